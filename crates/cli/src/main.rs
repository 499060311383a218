//! # stagecraft
//!
//! The `stagecraft` command: what the desktop app does, headless and scriptable, in the shape
//! of Release's CLI. A thin layer over `stagecraft-api`: parse the command line, call one use
//! case, print its answer as text or JSON, exit with a meaningful status.
//!
//! Exit statuses: 0 success; 1 the files checked have errors, or the deploy or build failed; 2
//! the command could not run (bad arguments, unreadable paths).
//!
//! # Layout
//! - `main.rs`: the command line and the exit status
//! - `output.rs`: `--output table|json|yaml`
//! - `gitops.rs`: `stagecraft gitops validate|init`
//! - `session.rs`: opening Stagecraft for the commands below and handing each to its module
//! - `apps.rs`: `stagecraft apps list|get|add|refresh|set-registry|set-gitops|vars-file|vars-set`
//! - `environments.rs`: `stagecraft environments create|list|get|delete|extend|config-get|...`
//! - `deploys.rs`: `stagecraft deploys create|list|cancel` (`--wait` follows the deploy, run
//!   here or in another process), and the deploy report
//! - `builds.rs`: `stagecraft builds list|compare|create`
//! - `datasets.rs`: `stagecraft datasets create|list|refresh|delete`
//! - `schedule.rs`: `stagecraft environments schedule` and `stagecraft apps schedule`: pausing
//!   schedules
//! - `instances.rs`: `stagecraft instances logs|exec|terminal`
//! - `terminal.rs`: a command's session driven from this process's standard streams, the
//!   local terminal raw while it runs
//! - `serve.rs`: `stagecraft serve`, the clock without the window, and the HTTP API
//! - `auth.rs`: `stagecraft auth token create|list|revoke`, `auth requests`: the HTTP API's
//!   tokens and what it answered; `auth login`, accepted as Release's
//! - `release_link.rs`: `stagecraft release-link DIR`: `release` runs this command

mod apps;
mod auth;
mod builds;
mod cron;
mod datasets;
mod deploys;
mod environments;
mod gitops;
mod ingress;
mod instances;
mod output;
mod presets;
mod release_link;
mod schedule;
mod serve;
mod session;
mod terminal;
mod workflows;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::session::Request;

#[derive(Debug, Parser)]
#[command(
    name = "stagecraft",
    version,
    about = "Release-style environments on your own machine"
)]
struct Cli {
    /// How to print results: `table` for people, `json` or `yaml` for scripts (stable field
    /// names).
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Release's account (its CLI's `--account`): accepted, so Release's scripts run unchanged,
    /// and not used: this machine has one account.
    #[arg(long, global = true, value_name = "ID")]
    account: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    #[value(alias = "text")]
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The Release files in a repository (`.release.yaml`, `.release/`).
    Gitops {
        #[command(subcommand)]
        command: gitops::Gitops,
    },
    /// Apps: local repositories with Release files.
    Apps {
        #[command(subcommand)]
        command: apps::Apps,
    },
    /// Environments of apps.
    Environments {
        #[command(subcommand)]
        command: environments::Environments,
    },
    /// Presets: the options of `environments create` saved under a name.
    Presets {
        #[command(subcommand)]
        command: presets::Presets,
    },
    /// Datasets: copies of an environment's volumes that new environments start from.
    Datasets {
        #[command(subcommand)]
        command: datasets::Datasets,
    },
    /// Deploys: one run of setup, patch or teardown.
    Deploys {
        #[command(subcommand)]
        command: deploys::Deploys,
    },
    /// Builds of an app's images.
    Builds {
        #[command(subcommand)]
        command: builds::Builds,
    },
    /// The containers of an environment's workloads.
    Instances {
        #[command(subcommand)]
        command: instances::Instances,
    },
    /// An environment's custom workflows (any other than setup, patch and teardown), run by
    /// name.
    Workflows {
        #[command(subcommand)]
        command: workflows::Workflows,
    },
    /// An environment's cron jobs: listed with their last and next runs, run now.
    Cron {
        #[command(subcommand)]
        command: cron::Cron,
    },
    /// Runs the clock without the window (expiry, expiry warnings, auto_deploy of new commits
    /// on environments' branches, cron jobs on Docker) until stopped; while the app runs it,
    /// this one waits. Serves the HTTP API (Release's Environments API) on 127.0.0.1 too.
    Serve {
        /// Seconds between two rounds of the clock.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        every: u64,
        /// The HTTP API's port (0: a free one, printed).
        #[arg(long, default_value_t = stagecraft_http::DEFAULT_PORT)]
        api_port: u16,
        /// The address the API listens on. Only 127.0.0.1 (or ::1) keeps it to this machine:
        /// another address is warned about.
        #[arg(long, default_value = "127.0.0.1")]
        api_address: std::net::IpAddr,
        /// Requests per second each API token may make (as many at once in a burst); one
        /// more is answered 429 with Retry-After. 0: no limit.
        #[arg(long, default_value_t = stagecraft_http::DEFAULT_RATE_LIMIT)]
        api_rate_limit: u32,
        /// Runs the clock only, without the HTTP API.
        #[arg(long, conflicts_with_all = ["api_port", "api_address", "api_rate_limit"])]
        no_api: bool,
        /// Without the local ingress (environments at `http://<service>-<id>.localhost:7480`;
        /// `stagecraft ingress ports` sets its port).
        #[arg(long)]
        no_ingress: bool,
    },
    /// The local ingress: its ports, a setting of the data folder.
    Ingress {
        #[command(subcommand)]
        command: ingress::Ingress,
    },
    /// The HTTP API's tokens.
    Auth {
        #[command(subcommand)]
        command: auth::Auth,
    },
    /// Makes `release` run this command: a link named `release` in DIR (a folder on your PATH,
    /// such as ~/.local/bin), so scripts written for Release's CLI run here unchanged.
    ReleaseLink { dir: std::path::PathBuf },
    /// Prints a completion script: `stagecraft completions bash > /etc/bash_completion.d/stagecraft`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Exit status for "the files have errors".
const INVALID: u8 = 1;
/// Exit status for "the command could not run".
pub(crate) const FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Diagnostics go to standard error, so a command's answer on standard output stays
    // readable by scripts; only warnings unless STAGECRAFT_LOG asks for more.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(stagecraft_api::log_filter("warn"))
        .init();
    let outcome = match cli.command {
        Command::Gitops { command } => gitops::run(command, cli.output),
        Command::Apps { command } => session::run(Request::Apps(command), cli.output),
        Command::Environments { command } => {
            session::run(Request::Environments(command), cli.output)
        }
        Command::Presets { command } => session::run(Request::Presets(command), cli.output),
        Command::Datasets { command } => session::run(Request::Datasets(command), cli.output),
        Command::Deploys { command } => session::run(Request::Deploys(command), cli.output),
        Command::Builds { command } => session::run(Request::Builds(command), cli.output),
        Command::Instances { command } => session::run(Request::Instances(command), cli.output),
        Command::Workflows { command } => session::run(Request::Workflows(command), cli.output),
        Command::Cron { command } => session::run(Request::Cron(command), cli.output),
        Command::Serve {
            every,
            api_port,
            api_address,
            api_rate_limit,
            no_api,
            no_ingress,
        } => session::run(
            Request::Serve(serve::Serve {
                every: std::time::Duration::from_secs(every),
                api: (!no_api).then_some(std::net::SocketAddr::new(api_address, api_port)),
                limits: stagecraft_http::Limits {
                    rate: std::num::NonZeroU32::new(api_rate_limit),
                    ..stagecraft_http::Limits::default()
                },
                ingress: !no_ingress,
            }),
            cli.output,
        ),
        Command::Ingress { command } => session::run(Request::Ingress(command), cli.output),
        Command::Auth { command } => session::run(Request::Auth(command), cli.output),
        Command::ReleaseLink { dir } => release_link::release_link(&dir),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "stagecraft", &mut std::io::stdout());
            Ok(0)
        }
    };
    match outcome {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            // Errors go to stderr in both output modes; with --output json as a JSON object
            // so a script can read the code.
            let code = error.code();
            match cli.output {
                Output::Json => eprintln!(
                    "{}",
                    serde_json::json!({ "error": { "code": code, "message": error.to_string() } })
                ),
                // Located findings say `error:` themselves, each after its place.
                Output::Table | Output::Yaml if code == stagecraft_api::ErrorCode::InvalidFiles => {
                    eprintln!("{error}");
                }
                Output::Table | Output::Yaml => eprintln!("error: {error}"),
            }
            ExitCode::from(FAILED)
        }
    }
}
