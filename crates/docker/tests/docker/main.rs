//! The Docker adapter against a real engine (started by `.ci/run`, or `scripts/test.sh`
//! locally). Images are built `FROM scratch` with Debian's static busybox: no registry is
//! contacted but the ones the push tests start on 127.0.0.1.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod busybox;
mod context;
mod engine;
mod exec;
mod layers;
mod pause;
mod push;
mod runtime;
mod session;
mod site;
