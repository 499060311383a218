//! `stagecraft workflows list|run`: an environment's custom workflows (any other than setup,
//! patch and teardown), run by name as a deploy of their own.

use std::sync::Arc;

use clap::Subcommand;
use stagecraft_api::{DeployRequest, Error, Stagecraft, Wait};

use crate::Output;
use crate::deploys::{deploy_and_wait, deploy_report};
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Workflows {
    /// The environment's custom workflows, with their steps and tasks.
    List {
        #[arg(long)]
        environment: String,
    },
    /// Runs a custom workflow on the environment, with the images it runs (nothing is built),
    /// queued behind its other deploys. Exits 1 when the run fails.
    Run {
        #[arg(long)]
        environment: String,
        /// The workflow's name, as the environment's configuration has it.
        name: String,
        /// Wait for the run to end, also when another Stagecraft runs it; progress goes to
        /// stderr when it is a terminal.
        #[arg(long)]
        wait: bool,
    },
}

impl Workflows {
    /// Whether the command talks to the Docker engine: `run` deploys with it.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(self, Workflows::Run { .. })
    }
}

pub(crate) async fn execute(
    stagecraft: &Arc<Stagecraft>,
    command: Workflows,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Workflows::List { environment } => {
            let workflows = stagecraft.workflows(&environment).await?;
            match output {
                Output::Table => table(
                    &["WORKFLOW", "STEPS"],
                    &workflows
                        .iter()
                        .map(|w| {
                            let steps: Vec<String> =
                                w.steps.iter().map(|s| s.tasks.join(" + ")).collect();
                            vec![w.name.clone(), steps.join(" → ")]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&workflows, output),
            }
            Ok(0)
        }
        Workflows::Run {
            environment,
            name,
            wait,
        } => {
            let request = DeployRequest::Workflow { name };
            let report = if wait {
                deploy_and_wait(stagecraft, &environment, request).await?
            } else {
                stagecraft
                    .submit(&environment, request, Wait::UntilDone)
                    .await?
                    .report()
            };
            deploy_report(stagecraft, &environment, Some(&report), output).await
        }
    }
}
