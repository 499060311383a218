//! What the desktop app shows, as types whose TypeScript twins are generated: apps,
//! environments, the timeline's deploys, steps and tasks, and log pages. They are read-only
//! projections of the engine's and the store's records, in camelCase for the UI.

//!
//! - `environment.rs`: apps, environments, the list's rows
//! - `apps.rs`: an app's details, its files read again, its removal
//! - `deploy.rs`: deploys, steps, tasks, what Deploy will run
//! - `logs.rs`: kept logs and their pages
//! - `builds.rs`: builds and their comparison
//! - `configuration.rs`: configuration versions and final variables

mod apps;
mod builds;
mod configuration;
mod deploy;
mod environment;
mod logs;

pub use apps::*;
pub use builds::*;
pub use configuration::*;
pub use deploy::*;
pub use environment::*;
pub use logs::*;
