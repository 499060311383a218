//! `stagecraft deploys create|list|cancel`: deploys, one run of setup, patch or teardown; and
//! the deploy report `environments create|delete` print too.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use stagecraft_api::{DeployReport, DeployRequest, Error, Stagecraft, Wait};
use stagecraft_engine::{DeployStatus, EnvironmentStatus};

use crate::environments::{ENVIRONMENT_HEADER, EnvironmentOut, environment_rows};
use crate::output::{raw, structured, table};
use crate::{INVALID, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum Deploys {
    /// Deploys the environment: setup or patch, as the Deploy button decides. Exits 1 when the
    /// deploy fails.
    Create {
        #[command(flatten)]
        target: crate::environments::Target,
        /// Build from the repository's working tree as it is, uncommitted changes included,
        /// instead of the commit the environment's branch names.
        #[arg(long)]
        working_tree: bool,
        /// Wait for the deploy to end, also when another Stagecraft runs it; progress goes to
        /// stderr when it is a terminal. The exit status is the deploy's.
        #[arg(long)]
        wait: bool,
    },
    /// The environment's deploys, oldest first.
    List {
        #[command(flatten)]
        target: crate::environments::Target,
    },
    /// Cancels the environment's running deploy (its running tasks are stopped; also when the
    /// app runs it) and its queued ones.
    Cancel {
        #[arg(long)]
        environment: String,
    },
}

impl Deploys {
    /// Whether the command talks to the Docker engine: `create` deploys with it.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(self, Deploys::Create { .. })
    }
}

pub(crate) async fn execute(
    stagecraft: &Arc<Stagecraft>,
    command: Deploys,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Deploys::Create {
            target,
            working_tree,
            wait,
        } => {
            let environment = target.resolve(stagecraft).await?;
            let request = DeployRequest::Deploy { working_tree };
            let report = if wait {
                deploy_and_wait(stagecraft, &environment, request).await?
            } else {
                stagecraft
                    .submit(&environment, request, Wait::UntilDone)
                    .await?
                    .report()
            };
            return deploy_report(stagecraft, &environment, Some(&report), output).await;
        }
        Deploys::List { target } => {
            let environment = target.resolve(stagecraft).await?;
            print_deploys(&stagecraft.deploys(&environment).await?, output);
        }
        Deploys::Cancel { environment } => {
            print_deploys(&stagecraft.cancel(&environment).await?, output);
        }
    }
    Ok(0)
}

/// What `deploys create` and `environments create` print.
#[derive(serde::Serialize)]
struct DeployOut<'a> {
    environment: EnvironmentOut<'a>,
    /// None for `environments create --skip-deploy`.
    deploy: Option<&'a stagecraft_engine::Deploy>,
    /// False when another process runs the environment's deploys and this one waits its turn.
    ran: bool,
    /// Why the deploy did not end well (failed, degraded, cancelled): its stable code and
    /// message, as a command's own error is given. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<stagecraft_api::Failure>,
}

/// Prints a deploy (and where the environment is reached); exits 1 when it failed, or ran to
/// its end leaving the environment degraded (a service task failed, a service is not ready).
pub(crate) async fn deploy_report(
    stagecraft: &Stagecraft,
    env_id: &str,
    report: Option<&DeployReport>,
    output: Output,
) -> Result<u8, Error> {
    let environment = stagecraft.environment(env_id).await?;
    let hostnames = stagecraft.hostnames(env_id).await?;
    let failure =
        report.and_then(|r| stagecraft_api::Failure::of_deploy(&environment.runtime, &r.deploy));
    match output {
        Output::Table => {
            if let Some(DeployReport { deploy, .. }) = report {
                table(
                    &["DEPLOY", "STAGE", "STATUS", "REASON"],
                    &[vec![
                        deploy.id.to_string(),
                        deploy.label().to_owned(),
                        deploy.status.as_str().to_owned(),
                        deploy.reason.clone(),
                    ]],
                );
            } else {
                table(
                    &ENVIRONMENT_HEADER,
                    &environment_rows(std::slice::from_ref(&environment)),
                );
            }
            for hostname in &hostnames {
                raw(&format!("{}: {}\n", hostname.service, hostname.url));
            }
            // The reason, in every mode: on standard error, as a command's own error is.
            if let Some(failure) = failure.as_ref() {
                eprintln!("error: {}", failure.message);
            }
        }
        _ => structured(
            &DeployOut {
                environment: EnvironmentOut::new(&environment, hostnames),
                deploy: report.map(|r| &r.deploy),
                ran: report.is_some_and(|r| r.ran),
                error: failure.clone(),
            },
            output,
        ),
    }
    // Exit 1 for every end that printed an error (failed, cancelled, interrupted, degraded).
    Ok(match report {
        Some(_) if failure.is_some() => INVALID,
        Some(report) if report.deploy.status == DeployStatus::Failed => INVALID,
        Some(_) if environment.status == EnvironmentStatus::Degraded => INVALID,
        _ => 0,
    })
}

/// Starts the deploy and follows its events until it ends, here or in another process that
/// holds the environment.
pub(crate) async fn deploy_and_wait(
    stagecraft: &Arc<Stagecraft>,
    env_id: &str,
    request: DeployRequest,
) -> Result<DeployReport, Error> {
    let stagecraft_api::Submitted {
        deploy: started,
        queue,
    } = stagecraft.submit(env_id, request, Wait::Background).await?;
    // While the deploy waits behind another process, look again every second: when that
    // process dies, this one takes the environment over and runs it.
    let keeper = {
        let stagecraft = Arc::clone(stagecraft);
        let env_id = env_id.to_owned();
        tokio::spawn(async move { stagecraft.run_until_ended(&env_id, started.id).await })
    };
    let show = std::io::stderr().is_terminal();
    let mut events = stagecraft.follow(started.id, 0).await?;
    let mut keeper = keeper;
    let mut kept = false;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    if show && let Some(line) = event.event.progress_line() {
                        eprintln!("{line}");
                    }
                }
                None => break,
            },
            // The keeper failing (the database, the runtime) ends the wait with its error
            // rather than leaving a deploy nobody runs followed for ever.
            result = &mut keeper, if !kept => {
                kept = true;
                if let Ok(Err(error)) = result {
                    return Err(error);
                }
            }
        }
    }
    // This process may be the one running the queue: let it finish and release the
    // environment. The last event is stored a moment before the deploy's status is.
    if let Some(queue) = queue {
        let _ = queue.await;
    }
    if !kept && let Ok(result) = keeper.await {
        result?;
    }
    loop {
        let deploy = stagecraft
            .deploys(env_id)
            .await?
            .into_iter()
            .find(|d| d.id == started.id)
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: started.id.to_string(),
            })?;
        if !matches!(deploy.status, DeployStatus::Queued | DeployStatus::Running) {
            return Ok(DeployReport { deploy, ran: true });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn print_deploys(deploys: &[stagecraft_engine::Deploy], output: Output) {
    match output {
        Output::Table => table(
            &["DEPLOY", "STAGE", "STATUS", "QUEUED", "REASON"],
            &deploys
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.label().to_owned(),
                        d.status.as_str().to_owned(),
                        d.queued_at.clone(),
                        d.reason.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        _ => structured(&deploys, output),
    }
}
