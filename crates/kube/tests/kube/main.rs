//! The Kubernetes runtime's tests: no cluster can run here, so manifests are checked against
//! Kubernetes' own schemas (`kubernetes-validate`, from PyPI).

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod cron;
mod datasets;
mod exec;
mod manifests;
mod pause;
mod runtime;
