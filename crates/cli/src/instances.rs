//! `stagecraft instances logs|exec|terminal`: the containers of an environment's workloads.

use std::time::Duration;

use clap::Subcommand;
use stagecraft_api::{Error, Exec, Stagecraft};

use crate::Output;

#[derive(Debug, Subcommand)]
pub(crate) enum Instances {
    /// A service's (or `jobs.<name>`'s) log lines from its containers: container stdout to
    /// stdout, stderr to stderr; with `-o json`, one JSON object per line.
    Logs {
        #[arg(long)]
        environment: String,
        /// `web` (a service), or `jobs.migrate`.
        workload: String,
        /// Keep printing new lines until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// Only lines from this long ago: `30s`, `10m`, `2h`, `1d`.
        #[arg(long, value_parser = parse_age)]
        since: Option<Duration>,
    },
    /// Runs a command in a running container of a service (or a job, while it runs) and exits
    /// with its exit code, as `docker exec` does: `instances exec --environment ID web -- ls -l`.
    /// Standard input is passed through when it is not a terminal (a pipe, a file), or with
    /// `--interactive`.
    Exec {
        #[arg(long)]
        environment: String,
        /// `web` (a service), or `jobs.migrate`.
        workload: String,
        /// Which replica, counted from 0; the first running one when not given.
        #[arg(long)]
        replica: Option<u32>,
        /// Pass standard input through even when it is a terminal.
        #[arg(short, long)]
        interactive: bool,
        /// Run the command in a terminal (standard error then comes with standard output).
        #[arg(short, long)]
        tty: bool,
        /// The program and its arguments, after `--`.
        #[arg(required = true, last = true)]
        command: Vec<String>,
    },
    /// An interactive shell in a running container of a service: the first of bash and sh the
    /// image has (or `--shell`), in a terminal that follows this one's size; Ctrl-C and
    /// Ctrl-D reach the shell; `exit` ends it.
    Terminal {
        #[arg(long)]
        environment: String,
        /// `web` (a service), or `jobs.migrate`.
        workload: String,
        /// Which replica, counted from 0; the first running one when not given.
        #[arg(long)]
        replica: Option<u32>,
        /// The shell to run instead of bash or sh.
        #[arg(long)]
        shell: Option<String>,
    },
}

impl Instances {
    /// Whether the command talks to the Docker engine: all of these read containers.
    pub(crate) fn uses_docker(&self) -> bool {
        true
    }
}

/// `30s`, `10m`, `2h`, `1d` (a bare number is seconds).
fn parse_age(text: &str) -> Result<Duration, Error> {
    let text = text.trim();
    let not_an_age = || Error::InvalidRequest {
        field: "--since",
        message: format!("`{text}` is not an age: write it as 30s, 10m, 2h or 1d"),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| not_an_age())?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(not_an_age()),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Instances,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Instances::Logs {
            environment,
            workload,
            follow,
            since,
        } => {
            use futures_util::StreamExt as _;
            use std::io::Write as _;
            let since = since.and_then(|age| std::time::SystemTime::now().checked_sub(age));
            let mut lines = std::pin::pin!(
                stagecraft
                    .instance_logs(&environment, &workload, follow, since)
                    .await?
            );
            let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
            while let Some(line) = lines.next().await {
                let line = line?;
                // A closed pipe (`| head`) ends the command quietly.
                let written = match output {
                    Output::Json | Output::Yaml => writeln!(
                        stdout,
                        "{}",
                        serde_json::json!({ "stderr": line.stderr, "line": line.line })
                    ),
                    Output::Table if line.stderr => writeln!(stderr, "{}", line.line),
                    Output::Table => writeln!(stdout, "{}", line.line),
                };
                if written.is_err() {
                    break;
                }
            }
        }
        Instances::Exec {
            environment,
            workload,
            replica,
            interactive,
            tty,
            command,
        } => {
            let env = stagecraft.environment(&environment).await?;
            let stdin = interactive || !crate::terminal::stdin_is_terminal();
            let exec = Exec {
                workload,
                replica,
                command,
                tty: tty.then(crate::terminal::local_size),
                stdin,
            };
            let session = stagecraft.exec(&environment, exec).await?;
            return crate::terminal::drive(&env, session, stdin, tty).await;
        }
        Instances::Terminal {
            environment,
            workload,
            replica,
            shell,
        } => {
            let env = stagecraft.environment(&environment).await?;
            let size = crate::terminal::local_size();
            let session = stagecraft
                .terminal(&environment, &workload, replica, shell, size)
                .await?;
            return crate::terminal::drive(&env, session, true, true).await;
        }
    }
    Ok(0)
}
