//! The store against real SQLite files, one test binary for the crate.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_tokens;
mod handles;
mod history;
mod open;
mod queue;
mod removal;
