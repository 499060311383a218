//! The real app window, driven the way a user sees it: the release-mode UI embedded in the
//! debug binary, WebKitGTK, tauri-driver and WebKitWebDriver, under Xvfb.
//!
//! These tests are `#[ignore]`d for a plain `cargo test`: they need a display, `tauri-driver`
//! and `WebKitWebDriver` on PATH, and a built app. `scripts/test.sh` runs them with
//! `--ignored` under `xvfb-run`. Screenshots land in `target/e2e/`.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod branches;
mod driver;
mod environments;
mod frames;
mod imports;
mod notifications;
mod pause;
mod system;
mod terminal;
mod workloads;
