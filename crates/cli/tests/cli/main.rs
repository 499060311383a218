//! The `stagecraft` binary as scripts run it: exit statuses and JSON output, on real folders.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod docker;
mod environments;
mod gitops;
mod ingress;
mod instances;
mod release_script;
