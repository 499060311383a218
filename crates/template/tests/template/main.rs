//! The Release format against real public templates and a catalogue of mistakes.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attached;
mod bad;
mod compose;
mod compose_files;
mod cron;
mod fixtures;
mod imports;
mod merge;
mod parameters;
mod plans;
mod round_trip;
mod site;
mod support;
mod variables;
