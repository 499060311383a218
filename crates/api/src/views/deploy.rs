//! The timeline: deploys, an opened deploy's steps and tasks, and what Deploy will run.

use serde::Serialize;
use stagecraft_engine::{Deploy, RuntimeErrorKind, Stage};
use ts_rs::TS;

use super::{DeployStatusView, StageView};
use crate::{DeployDetail, Error, ErrorCode, Stagecraft};

/// What the Deploy button will run, and why.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NextDeploy {
    pub stage: StageView,
    pub reason: String,
    /// The build the environment runs when its last setup or patch was a rollback to it: it is
    /// pinned there until a deploy that builds moves it (which Deploy does: it rolls forward).
    #[ts(type = "number | null")]
    pub pinned_build: Option<i64>,
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
    /// It ran `build_id`'s images, building nothing: a rollback to that build.
    pub rollback: bool,
    /// How it ended, once it has (a success may carry failed tasks and services not ready).
    pub outcome: Option<stagecraft_engine::DeployOutcome>,
    /// The custom workflow or cron job it ran, for the stages `workflow` and `cron`: the
    /// timeline's label.
    pub target: Option<String>,
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
            rollback: deploy.rollback,
            outcome: deploy.outcome,
            target: deploy.target,
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

impl Stagecraft {
    /// What the Deploy button of `env_id` will run (setup or patch), and why.
    /// With GitOps, it reads the branch's Release files as the deploy will, and saves nothing.
    pub async fn next_deploy(&self, env_id: &str) -> Result<NextDeploy, Error> {
        let env = self.environment(env_id).await?;
        let (stage, reason) = self.setup_or_patch(&env).await?;
        let pinned_build = self.pinned_build(&env).await?;
        let reason = match pinned_build {
            Some(build) => format!(
                "{reason}; rolls forward from build #{build} (a rollback) to what the branch has"
            ),
            None => reason,
        };
        let (stage, reason) = match self.sync_from_branch(&env, false, false).await {
            Ok(crate::sync::SyncOutcome::Synced(synced)) => (Stage::Setup, synced.reason()),
            Ok(crate::sync::SyncOutcome::Broken { at, error }) => (
                stage,
                format!("{reason}; but the Release files of {at} cannot be used: {error}"),
            ),
            // A reading that fails here is told by the deploy itself.
            Ok(crate::sync::SyncOutcome::Unchanged { .. }) | Err(_) => (stage, reason),
        };
        Ok(NextDeploy {
            stage: stage.into(),
            reason,
            pinned_build,
        })
    }

    /// The build `env` is pinned to: its last successful setup or patch's, when that was a
    /// rollback.
    pub(crate) async fn pinned_build(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Option<i64>, Error> {
        let last = self.last_deployed(env).await?;
        Ok(last.filter(|d| d.rollback).and_then(|d| d.build_id))
    }

    /// The build `env` runs: its last successful setup or patch's.
    pub(crate) async fn live_build(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Option<i64>, Error> {
        Ok(self.last_deployed(env).await?.and_then(|d| d.build_id))
    }

    /// The configuration version `env` runs: its last successful setup or patch's.
    pub(crate) async fn deployed_version(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Option<i64>, Error> {
        Ok(self
            .last_deployed(env)
            .await?
            .and_then(|d| d.config_version))
    }

    /// `env`'s last successful setup or patch.
    pub(crate) async fn last_deployed(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Option<stagecraft_engine::Deploy>, Error> {
        Ok(stagecraft_store::deploy::last_deployed(self.store.pool(), env.id).await?)
    }
}
