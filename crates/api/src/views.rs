//! What the desktop app shows, as types whose TypeScript twins are generated: apps,
//! environments, the timeline's deploys, steps and tasks, and log pages. They are read-only
//! projections of the engine's and the store's records, in camelCase for the UI.

use serde::Serialize;
use stagecraft_engine::{
    App, Deploy, DeployStatus, Environment, EnvironmentKind, EnvironmentStatus, RuntimeErrorKind,
    Stage,
};
use ts_rs::TS;

use crate::{DeployDetail, Error, ErrorCode, Stagecraft};

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
    /// Where its built images are pushed for a cluster that pulls them (`host[:port]/path`).
    pub image_registry: Option<String>,
    /// Clusters pull its built images with the user's Docker login for the registry.
    pub share_registry_login: bool,
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
    pub url: String,
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
                })
                .collect(),
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
    /// `pending`, `running`, `waiting`, `retrying`, `succeeded`, `failed`, `timed_out`,
    /// `cancelled`, `skipped`.
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub wait_reason: Option<String>,
    /// Why it failed, timed out or was skipped.
    pub detail: Option<String>,
    /// 1, or more when a transient runtime failure made the runner try it again.
    #[ts(type = "number")]
    pub attempts: i64,
    /// What failed it, as the code a failed call would have (`DOCKER_UNREACHABLE`, ...), when
    /// its runtime said: the window tells what to do about it.
    pub error_code: Option<ErrorCode>,
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
        let runtime = detail.runtime;
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
                            attempts: t.attempts,
                            error_code: t
                                .error_kind
                                .as_deref()
                                .and_then(RuntimeErrorKind::parse)
                                .map(|kind| ErrorCode::of_runtime(&runtime, kind)),
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

pub(crate) fn log_page_view(page: stagecraft_store::log::LogPage) -> LogPageView {
    LogPageView {
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
    }
}

/// A log kept for an environment, for the Logs tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogResourceView {
    /// What `follow_log` and `logs` take.
    pub resource: String,
    /// `service`, `job` (one run) or `build` (one image's build output).
    pub kind: String,
    /// `web`; `migrate, deploy 3`; `web, build 2`.
    pub label: String,
    #[ts(type = "number")]
    pub lines: i64,
    #[ts(type = "number")]
    pub dropped: i64,
}

/// Reads a log's name: `<env>/services.<name>`, `<env>/<deploy>/jobs.<name>`,
/// `builds/<build>/<service>`. The number orders runs newest first.
fn log_kind(env_id: &str, resource: &str) -> Option<(&'static str, String, i64)> {
    if let Some(rest) = resource.strip_prefix("builds/") {
        let (build, service) = rest.split_once('/')?;
        let build: i64 = build.parse().ok()?;
        return Some(("build", format!("{service}, build {build}"), build));
    }
    let rest = resource.strip_prefix(env_id)?.strip_prefix('/')?;
    if let Some(service) = rest.strip_prefix("services.") {
        return Some(("service", service.to_owned(), 0));
    }
    let (deploy, job) = rest.split_once('/')?;
    let job = job.strip_prefix("jobs.")?;
    let deploy: i64 = deploy.parse().ok()?;
    Some(("job", format!("{job}, deploy {deploy}"), deploy))
}

impl Stagecraft {
    /// The environment's kept logs: services by name, then job runs and builds newest first.
    pub async fn log_resources(&self, env_id: &str) -> Result<Vec<LogResourceView>, Error> {
        let env = self.environment(env_id).await?;
        let found = stagecraft_store::log::resources(self.store.pool(), env.id).await?;
        let mut views: Vec<(i64, LogResourceView)> = found
            .into_iter()
            .filter_map(|r| {
                let (kind, label, order) = log_kind(env_id, &r.resource)?;
                Some((
                    order,
                    LogResourceView {
                        resource: r.resource,
                        kind: kind.to_owned(),
                        label,
                        lines: r.kept,
                        dropped: r.dropped,
                    },
                ))
            })
            .collect();
        let rank = |kind: &str| match kind {
            "service" => 0,
            "job" => 1,
            _ => 2,
        };
        views.sort_by(|(a_order, a), (b_order, b)| {
            rank(&a.kind)
                .cmp(&rank(&b.kind))
                .then(b_order.cmp(a_order))
                .then(a.label.cmp(&b.label))
        });
        Ok(views.into_iter().map(|(_, v)| v).collect())
    }

    /// What the Deploy button of `env_id` will run (setup or patch), and why.
    pub async fn next_deploy(&self, env_id: &str) -> Result<NextDeploy, Error> {
        let env = self.environment(env_id).await?;
        let (stage, reason) = self.setup_or_patch(&env).await?;
        Ok(NextDeploy {
            stage: stage.into(),
            reason,
        })
    }
}

/// One service's image in a build.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageView {
    pub service: String,
    pub tag: String,
    /// `built`, `reused`, `failed` or `cancelled`.
    pub outcome: String,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    #[ts(type = "number")]
    pub cache_hits: i64,
    /// For a reused image, the build that made it.
    #[ts(type = "number | null")]
    pub reused_from_build: Option<i64>,
    /// Why it was reused, or why it failed.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BuildView {
    #[ts(type = "number")]
    pub id: i64,
    pub git_commit: Option<String>,
    /// What started it: `deploy 4 of ted1bc4: main at 1a2b3c4d5e6f`.
    pub trigger: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub images: Vec<ImageView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StepComparisonView {
    pub instruction: String,
    #[ts(type = "number | null")]
    pub before_millis: Option<u64>,
    #[ts(type = "number | null")]
    pub after_millis: Option<u64>,
    pub before_cached: Option<bool>,
    pub after_cached: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LayerChangeView {
    pub instruction: String,
    #[ts(type = "number")]
    pub before_size: u64,
    #[ts(type = "number")]
    pub after_size: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceComparisonView {
    pub service: String,
    #[ts(type = "number | null")]
    pub before_size: Option<i64>,
    #[ts(type = "number | null")]
    pub after_size: Option<i64>,
    #[ts(type = "number | null")]
    pub size_change: Option<i64>,
    pub layers_added: Vec<String>,
    pub layers_removed: Vec<String>,
    pub layers_changed: Vec<LayerChangeView>,
    pub steps: Vec<StepComparisonView>,
    #[ts(type = "number")]
    pub before_cache_hits: i64,
    #[ts(type = "number")]
    pub after_cache_hits: i64,
    pub reused: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BuildComparisonView {
    #[ts(type = "number")]
    pub before: i64,
    #[ts(type = "number")]
    pub after: i64,
    pub commits: CommitsBetweenView,
    pub services: Vec<ServiceComparisonView>,
}

/// The commits from one build to the other, newest first; or why they are not known.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CommitsBetweenView {
    Listed {
        commits: Vec<CommitView>,
        /// Only the newest 50 are listed.
        more: bool,
    },
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitView {
    pub sha: String,
    pub author: String,
    pub date: String,
    pub subject: String,
}

impl From<crate::builds::CommitsBetween> for CommitsBetweenView {
    fn from(commits: crate::builds::CommitsBetween) -> Self {
        match commits {
            crate::builds::CommitsBetween::Listed { commits, more } => Self::Listed {
                commits: commits
                    .into_iter()
                    .map(|c| CommitView {
                        sha: c.sha,
                        author: c.author,
                        date: c.date,
                        subject: c.subject,
                    })
                    .collect(),
                more,
            },
            crate::builds::CommitsBetween::Unknown { reason } => Self::Unknown { reason },
        }
    }
}

impl From<crate::BuildComparison> for BuildComparisonView {
    fn from(comparison: crate::BuildComparison) -> Self {
        Self {
            before: comparison.before,
            after: comparison.after,
            commits: comparison.commits.into(),
            services: comparison
                .services
                .into_iter()
                .map(|s| ServiceComparisonView {
                    service: s.service,
                    before_size: s.before_size,
                    after_size: s.after_size,
                    size_change: s.size_change,
                    layers_added: s.layers_added,
                    layers_removed: s.layers_removed,
                    layers_changed: s
                        .layers_changed
                        .into_iter()
                        .map(|(instruction, before_size, after_size)| LayerChangeView {
                            instruction,
                            before_size,
                            after_size,
                        })
                        .collect(),
                    steps: s
                        .steps
                        .into_iter()
                        .map(|step| StepComparisonView {
                            instruction: step.instruction,
                            before_millis: step.before_millis,
                            after_millis: step.after_millis,
                            before_cached: step.before_cached,
                            after_cached: step.after_cached,
                        })
                        .collect(),
                    before_cache_hits: s.before_cache_hits,
                    after_cache_hits: s.after_cache_hits,
                    reused: s.reused,
                })
                .collect(),
        }
    }
}

impl Stagecraft {
    /// The app's builds with their images, newest first, for the Builds view.
    pub async fn build_views(&self, app_name: &str) -> Result<Vec<BuildView>, Error> {
        let mut views = Vec::new();
        for build in self.builds(app_name).await? {
            let images = self
                .images_resolved(build.id)
                .await?
                .into_iter()
                .map(|i| ImageView {
                    service: i.service,
                    tag: i.tag,
                    outcome: i.outcome,
                    size_bytes: i.size_bytes,
                    cache_hits: i.cache_hits,
                    reused_from_build: i.reused_from_build,
                    detail: i.detail,
                })
                .collect();
            views.push(BuildView {
                id: build.id,
                git_commit: build.git_commit,
                trigger: build.trigger,
                status: build.status,
                started_at: build.started_at,
                finished_at: build.finished_at,
                images,
            });
        }
        Ok(views)
    }
}

/// One saved version of an environment's configuration.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigVersionView {
    /// `v{default}.{specific}`.
    pub version: String,
    #[ts(type = "number")]
    pub specific: i64,
    pub config_yaml: String,
    pub created_at: String,
}

impl From<crate::ConfigVersion> for ConfigVersionView {
    fn from(config: crate::ConfigVersion) -> Self {
        Self {
            version: config.version,
            specific: config.specific,
            config_yaml: config.config_yaml,
            created_at: config.created_at,
        }
    }
}

/// A workload's final variables; a secret's value is masked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadVarsView {
    /// `services.<name>` or `jobs.<name>`.
    pub workload: String,
    pub vars: Vec<VariableView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VariableView {
    pub key: String,
    pub value: String,
    pub secret: bool,
}

impl From<crate::WorkloadVars> for WorkloadVarsView {
    fn from(vars: crate::WorkloadVars) -> Self {
        Self {
            workload: vars.workload,
            vars: vars
                .vars
                .into_iter()
                .map(|v| VariableView {
                    key: v.key,
                    value: v.value,
                    secret: v.secret,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::log_kind;

    #[test]
    fn a_log_name_says_what_wrote_it() {
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/services.web"),
            Some(("service", "web".to_owned(), 0))
        );
        assert_eq!(
            log_kind("ted1bc4", "ted1bc4/12/jobs.migrate"),
            Some(("job", "migrate, deploy 12".to_owned(), 12))
        );
        assert_eq!(
            log_kind("ted1bc4", "builds/3/web"),
            Some(("build", "web, build 3".to_owned(), 3))
        );
        assert_eq!(log_kind("ted1bc4", "other/services.web"), None);
        assert_eq!(log_kind("ted1bc4", "ted1bc4/x/jobs.migrate"), None);
    }
}
