//! The HTTP API's own tests: its OpenAPI document. The API itself is tested through a real
//! `stagecraft serve` with a real HTTP client in `crates/cli/tests/cli/api.rs`.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod openapi;
