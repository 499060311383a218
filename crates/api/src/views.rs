//! What the desktop app shows, as types whose TypeScript twins are generated: apps,
//! environments, the timeline's deploys, steps and tasks, and log pages. They are read-only
//! projections of the engine's and the store's records, in camelCase for the UI.

use serde::Serialize;
use stagecraft_engine::{
    App, Deploy, DeployStatus, Environment, EnvironmentKind, EnvironmentStatus, Stage,
};
use ts_rs::TS;

use crate::{DeployDetail, Error, Stagecraft};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StageView {
    Build,
    Setup,
    Patch,
    Teardown,
}

impl From<Stage> for StageView {
    fn from(stage: Stage) -> Self {
        match stage {
            Stage::Build => Self::Build,
            Stage::Setup => Self::Setup,
            Stage::Patch => Self::Patch,
            Stage::Teardown => Self::Teardown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum EnvironmentStatusView {
    Created,
    SettingUp,
    Deployed,
    Patching,
    Failed,
    Interrupted,
    TearingDown,
    TornDown,
}

impl From<EnvironmentStatus> for EnvironmentStatusView {
    fn from(status: EnvironmentStatus) -> Self {
        use EnvironmentStatus as S;
        match status {
            S::Created => Self::Created,
            S::SettingUp => Self::SettingUp,
            S::Deployed => Self::Deployed,
            S::Patching => Self::Patching,
            S::Failed => Self::Failed,
            S::Interrupted => Self::Interrupted,
            S::TearingDown => Self::TearingDown,
            S::TornDown => Self::TornDown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DeployStatusView {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

impl From<DeployStatus> for DeployStatusView {
    fn from(status: DeployStatus) -> Self {
        use DeployStatus as S;
        match status {
            S::Queued => Self::Queued,
            S::Running => Self::Running,
            S::Succeeded => Self::Succeeded,
            S::Failed => Self::Failed,
            S::Cancelled => Self::Cancelled,
            S::Interrupted => Self::Interrupted,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub name: String,
    pub repo_path: String,
    pub tracking_branch: String,
    pub auto_deploy: bool,
}

impl From<App> for AppView {
    fn from(app: App) -> Self {
        Self {
            name: app.name,
            repo_path: app.repo_path,
            tracking_branch: app.tracking_branch,
            auto_deploy: app.auto_deploy,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentView {
    pub env_id: String,
    pub app: String,
    pub branch: String,
    pub ephemeral: bool,
    /// `v{default}.{specific}`.
    pub version: String,
    pub runtime: String,
    pub status: EnvironmentStatusView,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`; none for a permanent environment.
    pub expires_at: Option<String>,
    pub created_at: String,
}

impl From<Environment> for EnvironmentView {
    fn from(env: Environment) -> Self {
        Self {
            env_id: env.env_id,
            app: env.app,
            branch: env.branch,
            ephemeral: env.kind == EnvironmentKind::Ephemeral,
            version: env.version.to_string(),
            runtime: env.runtime,
            status: env.status.into(),
            expires_at: env.expires_at,
            created_at: env.created_at,
        }
    }
}

/// What the Deploy button will run, and why.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NextDeploy {
    pub stage: StageView,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeployView {
    #[ts(type = "number")]
    pub id: i64,
    pub stage: StageView,
    pub reason: String,
    pub status: DeployStatusView,
    #[ts(type = "number | null")]
    pub build_id: Option<i64>,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<Deploy> for DeployView {
    fn from(deploy: Deploy) -> Self {
        Self {
            id: deploy.id,
            stage: deploy.stage.into(),
            reason: deploy.reason,
            status: deploy.status.into(),
            build_id: deploy.build_id,
            queued_at: deploy.queued_at,
            started_at: deploy.started_at,
            finished_at: deploy.finished_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    /// `services.web`, `jobs.migrate`.
    pub task: String,
    /// `pending`, `running`, `waiting`, `succeeded`, `failed`, `timed_out`, `cancelled`,
    /// `skipped`.
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub wait_reason: Option<String>,
    /// Why it failed, timed out or was skipped.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    #[ts(type = "number")]
    pub step: i64,
    pub name: String,
    pub wait_for_finish: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeployDetailView {
    pub deploy: DeployView,
    pub steps: Vec<StepView>,
}

impl From<DeployDetail> for DeployDetailView {
    fn from(detail: DeployDetail) -> Self {
        Self {
            deploy: detail.deploy.into(),
            steps: detail
                .steps
                .into_iter()
                .map(|s| StepView {
                    step: s.step.step,
                    name: s.step.name,
                    wait_for_finish: s.step.wait_for_finish,
                    started_at: s.step.started_at,
                    finished_at: s.step.finished_at,
                    outcome: s.step.outcome,
                    tasks: s
                        .tasks
                        .into_iter()
                        .map(|t| TaskView {
                            task: t.task,
                            status: t.status,
                            started_at: t.started_at,
                            finished_at: t.finished_at,
                            wait_reason: t.wait_reason,
                            detail: t.detail,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogLineView {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub stderr: bool,
    pub line: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogPageView {
    pub lines: Vec<LogLineView>,
    /// Lines the cap dropped from the start of this log so far.
    #[ts(type = "number")]
    pub dropped: i64,
}

impl Stagecraft {
    /// What the Deploy button of `env_id` will run (setup or patch), and why.
    pub async fn next_deploy(&self, env_id: &str) -> Result<NextDeploy, Error> {
        let env = self.environment(env_id).await?;
        let (stage, reason) = self.setup_or_patch(&env).await?;
        Ok(NextDeploy {
            stage: stage.into(),
            reason,
        })
    }

    /// A page of a kept log, for the UI.
    pub async fn log_page(
        &self,
        resource: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<LogPageView, Error> {
        let page = self.logs(resource, after_seq, limit).await?;
        Ok(LogPageView {
            lines: page
                .lines
                .into_iter()
                .map(|l| LogLineView {
                    seq: l.seq,
                    at: l.at,
                    stderr: l.stream == "stderr",
                    line: l.line,
                })
                .collect(),
            dropped: page.dropped,
        })
    }
}
