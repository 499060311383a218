//! The use cases against a real SQLite file and, for Docker, the real local engine.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apps;
mod attached;
mod builds;
mod change;
mod commits;
mod configuration;
mod crash;
mod cron;
mod datasets;
mod docker;
mod environments;
mod follow;
mod gitops;
mod handles;
mod health;
mod imports;
mod ingress;
mod kube_real;
mod parameters;
mod pause;
mod schedule;
mod secrets;
mod site;
mod system;
mod timeline;
mod variables;
mod workflows;

/// A stored event as the JSON its row keeps, for assertions on what it says.
pub(crate) trait EventJson {
    fn json(&self) -> String;
}

impl EventJson for stagecraft_store::deploy::StoredEvent {
    fn json(&self) -> String {
        serde_json::to_string(&self.event).unwrap()
    }
}
