//! The runner against a fake runtime that records every call, with tokio's clock paused so
//! timeouts of minutes take no time and every event sequence is exact.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod build;
mod fake;
mod pause_schedule;
mod progress;
mod runner;
mod workloads;
