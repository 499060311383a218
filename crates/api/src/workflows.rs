//! Custom workflows: any workflow of an environment's configuration other than setup, patch and
//! teardown, run by name on request (`stagecraft workflows run`, the details screen's Workflows
//! menu). A run is a deploy of the stage `workflow` with its own label, queued like the others:
//! it builds nothing and prepares no infrastructure; its tasks run with the images the
//! environment runs (its last successful deploy's build) and the configuration version it has.

use serde::Serialize;
use stagecraft_store::deploy;
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// A custom workflow as the window and the command line list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CustomWorkflow {
    pub name: String,
    /// Its steps in order, each with the tasks it runs together (`jobs.ingest`).
    pub steps: Vec<WorkflowStep>,
}

/// One step of a custom workflow: its tasks run together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WorkflowStep {
    pub name: String,
    pub tasks: Vec<String>,
}

impl Stagecraft {
    /// The custom workflows of the configuration `env_id` runs (its newest before its first
    /// setup), in the template's order.
    pub async fn workflows(&self, env_id: &str) -> Result<Vec<CustomWorkflow>, Error> {
        let env = self.environment(env_id).await?;
        let version = self.deployed_version(&env).await?;
        let resolved = self.resolve(&env, version).await?;
        Ok(stagecraft_template::custom_workflows(&resolved.template)
            .into_iter()
            .map(|plan| CustomWorkflow {
                name: plan.workflow,
                steps: plan
                    .steps
                    .into_iter()
                    .map(|step| WorkflowStep {
                        name: step.name,
                        tasks: step.tasks.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
            })
            .collect())
    }

    /// Checks that `name` is a custom workflow `env` can run now: one of its configuration's,
    /// on an environment that was set up.
    pub(crate) async fn check_custom_workflow(
        &self,
        env: &stagecraft_engine::Environment,
        name: &str,
    ) -> Result<(), Error> {
        if stagecraft_template::STAGE_WORKFLOWS.contains(&name) {
            return Err(Error::InvalidRequest {
                field: "workflow",
                message: format!(
                    "`{name}` is a stage's workflow, not a custom one: `stagecraft deploys \
                     create` runs setup or patch, `stagecraft environments delete` runs teardown"
                ),
            });
        }
        let known = self.workflows(&env.env_id).await?;
        if !known.iter().any(|w| w.name == name) {
            let names: Vec<&str> = known.iter().map(|w| w.name.as_str()).collect();
            return Err(Error::InvalidRequest {
                field: "workflow",
                message: format!(
                    "the configuration of {} has no workflow `{name}`; {}",
                    env.env_id,
                    if names.is_empty() {
                        "it has no custom workflow".to_owned()
                    } else {
                        format!("its custom workflows: {}", names.join(", "))
                    }
                ),
            });
        }
        if deploy::last_setup_version(self.store.pool(), env.id)
            .await?
            .is_none()
        {
            return Err(Error::Conflict {
                message: format!(
                    "{} was never set up, so a workflow has nothing to run with: deploy it first \
                     (stagecraft deploys create --environment {})",
                    env.env_id, env.env_id
                ),
            });
        }
        Ok(())
    }
}
