//! The use cases against a real SQLite file and, for Docker, the real local engine.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod builds;
mod commits;
mod configuration;
mod crash;
mod docker;
mod environments;
mod follow;
mod kube_real;
mod secrets;
mod system;
mod timeline;
