//! The things Stagecraft keeps: apps, environments and deploys, as the store hands them over.

use std::fmt;

use serde::Serialize;

use crate::{DeployStatus, EnvironmentStatus, Stage};

/// A local git repository with Release files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    pub id: i64,
    pub name: String,
    pub repo_path: String,
    pub tracking_branch: String,
    /// A new commit on the tracking branch queues a patch of its environments.
    pub auto_deploy: bool,
    /// The tracking branch's commit Stagecraft saw last.
    pub last_commit: Option<String>,
    /// Where its built images are pushed for a cluster that pulls them (`host[:port]/path`).
    pub image_registry: Option<String>,
    /// Clusters pull its built images with the user's Docker login for the registry.
    pub share_registry_login: bool,
    /// GitOps: each deploy reads the Release files of the commit it builds (or of the working
    /// tree), and the environment's configuration follows them.
    pub gitops: bool,
    pub created_at: String,
}

/// Ephemeral environments expire; permanent ones live until deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    Ephemeral,
    Permanent,
}

impl EnvironmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ephemeral => "ephemeral",
            Self::Permanent => "permanent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ephemeral" => Some(Self::Ephemeral),
            "permanent" => Some(Self::Permanent),
            _ => None,
        }
    }
}

/// `v{default}.{specific}`: the app configuration an environment was made from, and how many
/// times its own configuration has been saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Version {
    pub default: i64,
    pub specific: i64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.default, self.specific)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub id: i64,
    pub env_id: String,
    pub app_id: i64,
    pub app: String,
    pub branch: String,
    pub kind: EnvironmentKind,
    pub environment_template: String,
    pub version: Version,
    /// `docker`, or `kube:<context>`.
    pub runtime: String,
    pub status: EnvironmentStatus,
    pub expires_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deploy {
    pub id: i64,
    pub environment_id: i64,
    pub stage: Stage,
    pub reason: String,
    pub status: DeployStatus,
    pub config_version: Option<i64>,
    /// The build whose images it ran (or, for a rollback, will run).
    pub build_id: Option<i64>,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// It ran an earlier build's images, building nothing: the environment is pinned to that
    /// build until a deploy that builds moves it.
    pub rollback: bool,
    /// How it ended, once it has.
    pub outcome: Option<crate::DeployOutcome>,
    /// What a [`Stage::Workflow`] or [`Stage::Cron`] deploy runs: the custom workflow, or the
    /// cron job, by name.
    pub target: Option<String>,
}

impl Deploy {
    /// The workflow it runs: its stage's, or the custom one it names.
    pub fn workflow_name(&self) -> Option<&str> {
        match self.stage {
            Stage::Workflow => self.target.as_deref(),
            stage => stage.workflow(),
        }
    }

    /// What the timeline calls it: its stage, or the custom workflow or cron job it ran.
    pub fn label(&self) -> &str {
        self.target.as_deref().unwrap_or(self.stage.as_str())
    }
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Setup => "setup",
            Self::Patch => "patch",
            Self::Teardown => "teardown",
            Self::Workflow => "workflow",
            Self::Cron => "cron",
            Self::Pause => "pause",
            Self::Resume => "resume",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "build" => Some(Self::Build),
            "setup" => Some(Self::Setup),
            "patch" => Some(Self::Patch),
            "teardown" => Some(Self::Teardown),
            "workflow" => Some(Self::Workflow),
            "cron" => Some(Self::Cron),
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            _ => None,
        }
    }
}

/// Stored as text: the names the statuses serialise to.
macro_rules! text_enum {
    ($ty:ty { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

text_enum!(EnvironmentStatus {
    Created = "created",
    SettingUp = "setting_up",
    Deployed = "deployed",
    Degraded = "degraded",
    Patching = "patching",
    Failed = "failed",
    Interrupted = "interrupted",
    TearingDown = "tearing_down",
    TeardownFailed = "teardown_failed",
    TornDown = "torn_down",
    Pausing = "pausing",
    Paused = "paused",
    Resuming = "resuming",
});

text_enum!(DeployStatus {
    Queued = "queued",
    Running = "running",
    Succeeded = "succeeded",
    Failed = "failed",
    Cancelled = "cancelled",
    Interrupted = "interrupted",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_stored_as_the_names_they_serialise_to() {
        for status in [EnvironmentStatus::SettingUp, EnvironmentStatus::TornDown] {
            let json = serde_json_name(&status);
            assert_eq!(status.as_str(), json);
            assert_eq!(EnvironmentStatus::parse(&json), Some(status));
        }
        assert_eq!(
            DeployStatus::parse("interrupted"),
            Some(DeployStatus::Interrupted)
        );
        assert_eq!(Stage::parse("teardown"), Some(Stage::Teardown));
        assert_eq!(
            Version {
                default: 3,
                specific: 2
            }
            .to_string(),
            "v3.2"
        );
    }

    fn serde_json_name(value: &impl Serialize) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(name)) => name,
            other => panic!("not a name: {other:?}"),
        }
    }
}
