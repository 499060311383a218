//! The HTTP API's tests: a real HTTP client against the API served on a free 127.0.0.1 port,
//! over a real Stagecraft (SQLite file, Docker engine).

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod openapi;
