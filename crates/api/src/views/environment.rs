//! Apps, environments and the environments list as the window shows them.

use serde::Serialize;
use stagecraft_engine::{
    App, DeployStatus, Environment, EnvironmentKind, EnvironmentStatus, Stage,
};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StageView {
    Build,
    Setup,
    Patch,
    Teardown,
    /// A custom workflow, run by name.
    Workflow,
    /// One run of a cron job.
    Cron,
    /// Its containers stopped and kept.
    Pause,
    /// Its services started again.
    Resume,
}

impl From<Stage> for StageView {
    fn from(stage: Stage) -> Self {
        match stage {
            Stage::Build => Self::Build,
            Stage::Setup => Self::Setup,
            Stage::Patch => Self::Patch,
            Stage::Teardown => Self::Teardown,
            Stage::Workflow => Self::Workflow,
            Stage::Cron => Self::Cron,
            Stage::Pause => Self::Pause,
            Stage::Resume => Self::Resume,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum EnvironmentStatusView {
    Created,
    SettingUp,
    Deployed,
    /// Deployed, but a service failed or is not ready.
    Degraded,
    Patching,
    Failed,
    Interrupted,
    TearingDown,
    /// A teardown left objects behind: tear it down again.
    TeardownFailed,
    TornDown,
    Pausing,
    /// Its containers are stopped and kept: it takes no memory or CPU; expiry goes on.
    Paused,
    Resuming,
}

impl From<EnvironmentStatus> for EnvironmentStatusView {
    fn from(status: EnvironmentStatus) -> Self {
        use EnvironmentStatus as S;
        match status {
            S::Created => Self::Created,
            S::SettingUp => Self::SettingUp,
            S::Deployed => Self::Deployed,
            S::Degraded => Self::Degraded,
            S::Patching => Self::Patching,
            S::Failed => Self::Failed,
            S::Interrupted => Self::Interrupted,
            S::TearingDown => Self::TearingDown,
            S::TeardownFailed => Self::TeardownFailed,
            S::TornDown => Self::TornDown,
            S::Pausing => Self::Pausing,
            S::Paused => Self::Paused,
            S::Resuming => Self::Resuming,
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
    /// Where its built images are pushed for a cluster that pulls them (`host[:port]/path`).
    pub image_registry: Option<String>,
    /// Clusters pull its built images with the user's Docker login for the registry.
    pub share_registry_login: bool,
    /// Its environments follow the Release files of their branch (GitOps).
    pub gitops: bool,
}

impl From<App> for AppView {
    fn from(app: App) -> Self {
        Self {
            name: app.name,
            repo_path: app.repo_path,
            tracking_branch: app.tracking_branch,
            auto_deploy: app.auto_deploy,
            image_registry: app.image_registry,
            share_registry_login: app.share_registry_login,
            gitops: app.gitops,
        }
    }
}

/// An app just added, with what its files did not say well: each warning located
/// (`docker-compose.yml:14:5: warning: services.web.build.ssh: …`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddedAppView {
    pub app: AppView,
    pub warnings: Vec<String>,
}

impl From<crate::AddedApp> for AddedAppView {
    fn from(added: crate::AddedApp) -> Self {
        Self {
            app: added.app.into(),
            warnings: added.warnings.iter().map(ToString::to_string).collect(),
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

/// One line of the environments list: the environment, what it is doing, where it answers.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRowView {
    pub environment: EnvironmentView,
    pub activity: Option<ActivityView>,
    pub urls: Vec<UrlView>,
    /// Its services ready, of how many ("2 of 3 ready"), as the last health round saw them;
    /// null unless it is deployed or degraded, or before a round looked.
    pub services: Option<ServicesReadyView>,
}

/// How many of an environment's services are ready.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServicesReadyView {
    #[ts(type = "number")]
    pub ready: i64,
    #[ts(type = "number")]
    pub total: i64,
}

/// What an environment is doing now.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    /// The running deploy's stage; null when deploys only wait.
    pub stage: Option<StageView>,
    /// The running deploy builds its images now.
    pub building: bool,
    /// The step it runs now.
    pub step: Option<String>,
    #[ts(type = "number")]
    pub steps_done: i64,
    /// Deploys waiting behind it.
    #[ts(type = "number")]
    pub queued: i64,
}

/// A service's address on this machine.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UrlView {
    pub service: String,
    /// Its hostname through the local ingress.
    pub url: String,
    /// `http://127.0.0.1:<port>`, the port its runtime publishes it on.
    pub direct: Option<String>,
}

impl From<crate::EnvironmentRow> for EnvironmentRowView {
    fn from(row: crate::EnvironmentRow) -> Self {
        Self {
            environment: row.environment.into(),
            activity: row.activity.map(|a| ActivityView {
                stage: a.stage.map(StageView::from),
                building: a.building,
                step: a.step,
                steps_done: a.steps_done,
                queued: a.queued,
            }),
            urls: row
                .urls
                .into_iter()
                .map(|h| UrlView {
                    service: h.service,
                    url: h.url,
                    direct: h.direct,
                })
                .collect(),
            services: row
                .services_ready
                .map(|(ready, total)| ServicesReadyView { ready, total }),
        }
    }
}

/// One service of an environment as its runtime reports it now.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealthView {
    /// Its name, without `services.`.
    pub service: String,
    pub ready_replicas: u32,
    /// The replicas it should have; 0 when nothing of it runs.
    pub replicas: u32,
    /// Every replica it should have is ready (and it has some).
    pub ready: bool,
    /// Why not, in the runtime's words (`Exited (1) 2 seconds ago`, `not running`).
    pub reason: Option<String>,
}

impl From<stagecraft_engine::WorkloadStatus> for ServiceHealthView {
    fn from(status: stagecraft_engine::WorkloadStatus) -> Self {
        Self {
            service: status
                .workload
                .strip_prefix("services.")
                .unwrap_or(&status.workload)
                .to_owned(),
            ready: status.is_ready() && status.replicas > 0,
            ready_replicas: status.ready_replicas,
            replicas: status.replicas,
            reason: status.reason,
        }
    }
}

/// An environment a runtime holds by its labels and no record here names (the database was
/// made anew): offered for adoption.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrphanView {
    pub env_id: String,
    pub app: String,
    pub runtime: String,
    /// Its app is added here; it must be, to adopt the environment.
    pub app_added: bool,
}

impl From<crate::Orphan> for OrphanView {
    fn from(orphan: crate::Orphan) -> Self {
        Self {
            env_id: orphan.env_id,
            app: orphan.app,
            runtime: orphan.runtime,
            app_added: orphan.app_added,
        }
    }
}
