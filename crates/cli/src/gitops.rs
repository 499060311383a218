use std::io::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use stagecraft_api::{Error, GitopsReport};

use crate::{INVALID, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum Gitops {
    /// Checks the Release files: every error with its file, line, column and key path.
    /// Exits 1 when there are errors.
    Validate {
        /// The repository's folder.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Writes `.release.yaml`, `.release/application_template.yaml` and
    /// `.release/environment_variables.yaml`.
    Init {
        /// The repository's folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Make them from this docker-compose file, as Release's generator does.
        #[arg(long, value_name = "FILE")]
        from_compose: Option<PathBuf>,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
}

pub(crate) fn run(command: Gitops, output: Output) -> Result<u8, Error> {
    match command {
        Gitops::Validate { path } => {
            let report = stagecraft_api::gitops_validate(&path)?;
            match output {
                Output::Json | Output::Yaml => crate::output::structured(&report, output),
                Output::Table => print_report(&report),
            }
            Ok(if report.valid { 0 } else { INVALID })
        }
        Gitops::Init {
            path,
            from_compose,
            force,
        } => {
            let init = stagecraft_api::gitops_init(&path, from_compose.as_deref(), force)?;
            match output {
                Output::Json | Output::Yaml => crate::output::structured(&init, output),
                Output::Table => {
                    let mut out = std::io::stdout().lock();
                    for warning in &init.diagnostics {
                        let _ = writeln!(out, "{warning}");
                    }
                    for file in &init.written {
                        let _ = writeln!(out, "wrote {}", path.join(file).display());
                    }
                }
            }
            Ok(0)
        }
    }
}

fn print_report(report: &GitopsReport) {
    let mut out = std::io::stdout().lock();
    for diagnostic in &report.diagnostics {
        let _ = writeln!(out, "{diagnostic}");
    }
    let files: Vec<&str> = [
        &report.files.release_file,
        &report.files.application_template,
        &report.files.environment_variables,
        &report.files.compose,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect();
    let verdict = if report.valid { "valid" } else { "invalid" };
    let _ = writeln!(
        out,
        "{verdict}: {} error(s), {} warning(s) in {}",
        report.errors,
        report.warnings,
        files.join(", ")
    );
}
