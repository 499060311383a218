//! `stagecraft builds list|compare|create`: builds of an app's images, and how a build prints.

use clap::Subcommand;
use stagecraft_api::{Error, Stagecraft};

use crate::output::{structured, table};
use crate::{INVALID, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum Builds {
    /// The app's builds, newest first.
    List {
        #[arg(long)]
        app: String,
    },
    /// Two builds side by side.
    Compare { before: i64, after: i64 },
    /// Builds the app's services from a branch (its tracking branch when not given) without
    /// deploying; a later deploy reuses what is unchanged. Exits 1 when an image fails.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long)]
        branch: Option<String>,
        /// Build the working tree as it is instead of the branch's commit.
        #[arg(long)]
        working_tree: bool,
    },
}

impl Builds {
    /// Whether the command talks to the Docker engine: `create` builds with it.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(self, Builds::Create { .. })
    }
}

const BUILD_HEADER: [&str; 5] = ["BUILD", "STATUS", "COMMIT", "IMAGES", "TRIGGER"];

fn build_rows(builds: &[stagecraft_api::BuildView]) -> Vec<Vec<String>> {
    builds
        .iter()
        .map(|b| {
            vec![
                b.id.to_string(),
                b.status.clone(),
                b.git_commit.as_deref().map_or_else(
                    || "working tree".to_owned(),
                    |c| c.chars().take(12).collect(),
                ),
                b.images
                    .iter()
                    .map(|i| format!("{} {}", i.service, i.outcome))
                    .collect::<Vec<_>>()
                    .join(", "),
                b.trigger.clone(),
            ]
        })
        .collect()
}

/// Why a failed build failed: each image that failed, and what its builder said.
fn build_failure(build: &stagecraft_api::BuildView) -> Option<stagecraft_api::Failure> {
    if build.status != "failed" {
        return None;
    }
    let why: Vec<String> = build
        .images
        .iter()
        .filter(|i| i.outcome == "failed")
        .map(|i| format!("{}: {}", i.service, i.detail.as_deref().unwrap_or("failed")))
        .collect();
    Some(stagecraft_api::Failure {
        code: stagecraft_api::ErrorCode::BuildFailed,
        message: if why.is_empty() {
            format!("build {} failed", build.id)
        } else {
            format!("build {} failed: {}", build.id, why.join("; "))
        },
    })
}

/// A build as the command prints it; the names are stable and in the README.
#[derive(serde::Serialize)]
struct BuildOut<'a> {
    id: i64,
    git_commit: Option<&'a str>,
    /// The first line of the commit's message.
    subject: Option<&'a str>,
    /// The environment whose deploy made it, and its branch.
    environment: Option<&'a str>,
    branch: Option<&'a str>,
    trigger: &'a str,
    status: &'a str,
    started_at: &'a str,
    finished_at: Option<&'a str>,
    images: Vec<ImageOut<'a>>,
    /// Why a failed build failed (each failed image and its builder's reason), with the stable
    /// code a command's own error has. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<stagecraft_api::Failure>,
}

#[derive(serde::Serialize)]
struct ImageOut<'a> {
    service: &'a str,
    tag: &'a str,
    outcome: &'a str,
    size_bytes: Option<i64>,
    cache_hits: i64,
    reused_from_build: Option<i64>,
    detail: Option<&'a str>,
}

impl<'a> From<&'a stagecraft_api::BuildView> for BuildOut<'a> {
    fn from(build: &'a stagecraft_api::BuildView) -> Self {
        Self {
            id: build.id,
            git_commit: build.git_commit.as_deref(),
            subject: build.subject.as_deref(),
            environment: build.environment.as_deref(),
            branch: build.branch.as_deref(),
            trigger: &build.trigger,
            status: &build.status,
            started_at: &build.started_at,
            finished_at: build.finished_at.as_deref(),
            error: build_failure(build),
            images: build
                .images
                .iter()
                .map(|i| ImageOut {
                    service: &i.service,
                    tag: &i.tag,
                    outcome: &i.outcome,
                    size_bytes: i.size_bytes,
                    cache_hits: i.cache_hits,
                    reused_from_build: i.reused_from_build,
                    detail: i.detail.as_deref(),
                })
                .collect(),
        }
    }
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Builds,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Builds::List { app } => {
            let builds = stagecraft.build_views(&app, None).await?;
            match output {
                Output::Table => table(&BUILD_HEADER, &build_rows(&builds)),
                _ => structured(
                    &builds.iter().map(BuildOut::from).collect::<Vec<_>>(),
                    output,
                ),
            }
        }
        Builds::Compare { before, after } => {
            let comparison = stagecraft.compare_builds(before, after).await?;
            match output {
                Output::Table => table(
                    &[
                        "SERVICE", "BEFORE", "AFTER", "CHANGE", "LAYERS +", "LAYERS -", "REUSED",
                    ],
                    &comparison
                        .services
                        .iter()
                        .map(|s| {
                            let size =
                                |v: Option<i64>| v.map_or_else(|| "-".into(), |v| v.to_string());
                            vec![
                                s.service.clone(),
                                size(s.before_size),
                                size(s.after_size),
                                size(s.size_change),
                                s.layers_added.len().to_string(),
                                s.layers_removed.len().to_string(),
                                s.reused.to_string(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&comparison, output),
            }
            if output == Output::Table {
                let text = match &comparison.commits {
                    stagecraft_api::CommitsBetween::Listed { commits, more } => {
                        let mut text = String::from("\n");
                        for commit in commits {
                            text.push_str(&format!(
                                "{} {} ({})\n",
                                commit.sha.get(..12).unwrap_or(&commit.sha),
                                commit.subject,
                                commit.author
                            ));
                        }
                        if *more {
                            text.push_str("… and older commits\n");
                        }
                        text
                    }
                    stagecraft_api::CommitsBetween::Unknown { reason } => {
                        format!("\ncommits: {reason}\n")
                    }
                };
                crate::output::raw(&text);
            }
        }
        Builds::Create {
            app,
            branch,
            working_tree,
        } => {
            let build = stagecraft
                .build_app(&app, branch.as_deref(), working_tree)
                .await?;
            match output {
                Output::Table => {
                    table(&BUILD_HEADER, &build_rows(std::slice::from_ref(&build)));
                    // The reason, in every mode: on standard error, as a command's own error is.
                    if let Some(failure) = build_failure(&build) {
                        eprintln!("error: {}", failure.message);
                    }
                }
                _ => structured(&BuildOut::from(&build), output),
            }
            return Ok(if build.status == "failed" { INVALID } else { 0 });
        }
    }
    Ok(0)
}
