//! An environment's timeline: one lane per deploy, and a deploy opened into its steps and
//! their tasks, as bars.

use serde::Serialize;
use stagecraft_engine::Deploy;
use stagecraft_store::deploy;
use stagecraft_store::timeline::{self, StepRow, TaskRow};

use crate::{Error, Stagecraft};

#[derive(Debug, Clone, Serialize)]
pub struct TimelineStep {
    #[serde(flatten)]
    pub step: StepRow,
    pub tasks: Vec<TaskRow>,
}

/// A deploy opened: its steps, each with its tasks.
#[derive(Debug, Clone, Serialize)]
pub struct DeployDetail {
    pub deploy: Deploy,
    /// The runtime its environment runs on: a failed task's kind becomes its error code there.
    pub runtime: String,
    pub steps: Vec<TimelineStep>,
}

impl Stagecraft {
    /// The lanes of the timeline: every deploy of the environment, oldest first.
    pub async fn timeline(&self, env_id: &str) -> Result<Vec<Deploy>, Error> {
        self.deploys(env_id).await
    }

    /// A deploy's steps and their tasks, kept current from its events as they are stored.
    pub async fn deploy_detail(&self, deploy_id: i64) -> Result<DeployDetail, Error> {
        let pool = self.store.pool();
        let deploy = deploy::by_id(pool, deploy_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: deploy_id.to_string(),
            })?;
        let runtime = stagecraft_store::environment::by_id(pool, deploy.environment_id)
            .await?
            .map(|env| env.runtime)
            .unwrap_or_default();
        let mut tasks = timeline::tasks(pool, deploy_id)
            .await?
            .into_iter()
            .peekable();
        let steps = timeline::steps(pool, deploy_id)
            .await?
            .into_iter()
            .map(|step| {
                let mut own = Vec::new();
                while let Some(task) = tasks.next_if(|t| t.step == step.step) {
                    own.push(task);
                }
                TimelineStep { step, tasks: own }
            })
            .collect();
        Ok(DeployDetail {
            deploy,
            runtime,
            steps,
        })
    }
}
