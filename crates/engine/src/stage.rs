use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The four stages of an environment's life (reference §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Docker builds of the services built from the repository. Always first.
    Build,
    /// Creates the environment's infrastructure, then runs the setup workflow.
    Setup,
    /// Deploys new code and runs patch jobs.
    Patch,
    /// Runs the teardown workflow, then removes everything the environment created.
    Teardown,
    /// Runs a custom workflow (any other than setup, patch and teardown) by its name, with
    /// the images the environment runs: the name is the deploy's [`crate::Deploy::target`].
    Workflow,
    /// One run of a cron job (its name is the deploy's [`crate::Deploy::target`]) with the
    /// images the environment runs, as the clock or a user's "Run now" asks; the environment's
    /// status is left as it is.
    Cron,
    /// Stops the environment's containers and keeps everything else (containers, volumes,
    /// network; on Kubernetes its Deployments scaled to zero, their replica counts recorded).
    Pause,
    /// Starts a paused environment's services again in the setup workflow's order, each
    /// waited for until ready, running none of its jobs.
    Resume,
}

impl Stage {
    /// The workflow a stage runs; the build stage runs none, and a custom workflow's name is
    /// its deploy's.
    pub fn workflow(self) -> Option<&'static str> {
        match self {
            Self::Build | Self::Workflow | Self::Cron | Self::Pause => None,
            // Its services, in the setup workflow's order; its jobs are skipped.
            Self::Setup | Self::Resume => Some("setup"),
            Self::Patch => Some("patch"),
            Self::Teardown => Some("teardown"),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Build => "build",
            Self::Setup => "setup",
            Self::Patch => "patch",
            Self::Teardown => "teardown",
            Self::Workflow => "workflow",
            Self::Cron => "cron",
            Self::Pause => "pause",
            Self::Resume => "resume",
        })
    }
}
