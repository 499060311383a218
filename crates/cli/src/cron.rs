//! `stagecraft cron list|run`: an environment's cron jobs, with their last and next runs, and
//! one run now.

use std::sync::Arc;

use clap::Subcommand;
use stagecraft_api::{DeployRequest, Error, Stagecraft, Wait};

use crate::Output;
use crate::deploys::{deploy_and_wait, deploy_report};
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Cron {
    /// The environment's cron jobs: schedule, next run (when Stagecraft's clock runs them),
    /// last run and how it ended.
    List {
        #[arg(long)]
        environment: String,
    },
    /// Runs a cron job now, with the images the environment runs, queued behind its other
    /// deploys. Exits 1 when the run fails.
    Run {
        #[arg(long)]
        environment: String,
        /// The cron job's name, as the environment's configuration has it.
        name: String,
        /// Wait for the run to end, also when another Stagecraft runs it.
        #[arg(long)]
        wait: bool,
    },
}

impl Cron {
    /// Whether the command talks to the Docker engine: `run` does.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(self, Cron::Run { .. })
    }
}

pub(crate) async fn execute(
    stagecraft: &Arc<Stagecraft>,
    command: Cron,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Cron::List { environment } => {
            let jobs = stagecraft.cron_jobs(&environment).await?;
            match output {
                Output::Table => table(
                    &[
                        "CRON JOB",
                        "SCHEDULE",
                        "NEXT RUN",
                        "LAST RUN",
                        "LAST STATUS",
                    ],
                    &jobs
                        .iter()
                        .map(|job| {
                            let last = job.last_run.as_ref();
                            vec![
                                job.name.clone(),
                                job.schedule.clone(),
                                job.next_run.clone().unwrap_or_else(|| "-".to_owned()),
                                last.and_then(|d| d.started_at.clone())
                                    .unwrap_or_else(|| "-".to_owned()),
                                last.map_or_else(
                                    || "-".to_owned(),
                                    |d| format!("{:?}", d.status).to_lowercase(),
                                ),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&jobs, output),
            }
            Ok(0)
        }
        Cron::Run {
            environment,
            name,
            wait,
        } => {
            let request = DeployRequest::Cron { name, reason: None };
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
