//! # stagecraft
//!
//! The `stagecraft` command: what the desktop app does, headless and scriptable, in the shape
//! of Release's CLI. A thin layer over `stagecraft-api`: parse the command line, call one use
//! case, print its answer as text or JSON, exit with a meaningful status.
//!
//! Exit statuses: 0 success; 1 the files checked have errors; 2 the command could not run
//! (bad arguments, unreadable paths).
//!
//! # Layout
//! - `main.rs`: the command line and the exit status
//! - `gitops.rs`: `stagecraft gitops validate|init`

mod gitops;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "stagecraft",
    version,
    about = "Release-style environments on your own machine"
)]
struct Cli {
    /// How to print results: `text` for people, `json` for scripts (stable field names).
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The Release files in a repository (`.release.yaml`, `.release/`).
    Gitops {
        #[command(subcommand)]
        command: gitops::Gitops,
    },
}

/// Exit status for "the files have errors".
const INVALID: u8 = 1;
/// Exit status for "the command could not run".
const FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Gitops { command } => gitops::run(command, cli.output),
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
                Output::Text => eprintln!("error: {error}"),
            }
            ExitCode::from(FAILED)
        }
    }
}
