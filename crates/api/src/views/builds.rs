//! Builds, their images and two builds compared.

use serde::Serialize;
use ts_rs::TS;

use stagecraft_store::app;

use crate::{Error, Stagecraft};

/// One service's image in a build.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageView {
    pub service: String,
    pub tag: String,
    /// `built`, `reused`, `failed` or `cancelled`.
    pub outcome: String,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    #[ts(type = "number")]
    pub cache_hits: i64,
    /// For a reused image, the build that made it.
    #[ts(type = "number | null")]
    pub reused_from_build: Option<i64>,
    /// Why it was reused, or why it failed.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BuildView {
    #[ts(type = "number")]
    pub id: i64,
    pub git_commit: Option<String>,
    /// What started it: `deploy 4 of ted1bc4: main at 1a2b3c4d5e6f`.
    pub trigger: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub images: Vec<ImageView>,
    /// The environment whose deploy made it; null for `stagecraft builds create`.
    pub environment: Option<String>,
    /// That environment's branch.
    pub branch: Option<String>,
    /// The first line of the built commit's message, when the repository still has it.
    pub subject: Option<String>,
    /// The environment asked about runs this build now (its last successful setup or patch).
    pub live: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StepComparisonView {
    pub instruction: String,
    #[ts(type = "number | null")]
    pub before_millis: Option<u64>,
    #[ts(type = "number | null")]
    pub after_millis: Option<u64>,
    pub before_cached: Option<bool>,
    pub after_cached: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LayerChangeView {
    pub instruction: String,
    #[ts(type = "number")]
    pub before_size: u64,
    #[ts(type = "number")]
    pub after_size: u64,
    /// What changed inside the layer, file by file; null when the images could not be read.
    pub files: Option<FileChangesView>,
}

/// The files of a layer that changed between two builds: each list sorted by path and cut at
/// 50, the rest counted in `more`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileChangesView {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<FileChangeView>,
    pub renamed: Vec<FileRenameView>,
    #[ts(type = "number")]
    pub more: usize,
}

/// A file of the same path with other contents.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeView {
    pub path: String,
    #[ts(type = "number")]
    pub before_size: u64,
    #[ts(type = "number")]
    pub after_size: u64,
}

/// A file's contents under another path.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileRenameView {
    pub from: String,
    pub to: String,
}

impl From<stagecraft_engine::FileChanges> for FileChangesView {
    fn from(files: stagecraft_engine::FileChanges) -> Self {
        Self {
            added: files.added,
            removed: files.removed,
            changed: files
                .changed
                .into_iter()
                .map(|c| FileChangeView {
                    path: c.path,
                    before_size: c.before_size,
                    after_size: c.after_size,
                })
                .collect(),
            renamed: files
                .renamed
                .into_iter()
                .map(|r| FileRenameView {
                    from: r.from,
                    to: r.to,
                })
                .collect(),
            more: files.more,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceComparisonView {
    pub service: String,
    #[ts(type = "number | null")]
    pub before_size: Option<i64>,
    #[ts(type = "number | null")]
    pub after_size: Option<i64>,
    #[ts(type = "number | null")]
    pub size_change: Option<i64>,
    pub layers_added: Vec<String>,
    pub layers_removed: Vec<String>,
    pub layers_changed: Vec<LayerChangeView>,
    /// Why the files inside the layers were not compared; null when they were.
    pub files_unknown: Option<String>,
    pub steps: Vec<StepComparisonView>,
    #[ts(type = "number")]
    pub before_cache_hits: i64,
    #[ts(type = "number")]
    pub after_cache_hits: i64,
    pub reused: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BuildComparisonView {
    #[ts(type = "number")]
    pub before: i64,
    #[ts(type = "number")]
    pub after: i64,
    pub commits: CommitsBetweenView,
    pub services: Vec<ServiceComparisonView>,
}

/// The commits from one build to the other, newest first; or why they are not known.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CommitsBetweenView {
    Listed {
        commits: Vec<CommitView>,
        /// Only the newest 50 are listed.
        more: bool,
    },
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitView {
    pub sha: String,
    pub author: String,
    pub date: String,
    pub subject: String,
}

impl From<crate::compare::CommitsBetween> for CommitsBetweenView {
    fn from(commits: crate::compare::CommitsBetween) -> Self {
        match commits {
            crate::compare::CommitsBetween::Listed { commits, more } => Self::Listed {
                commits: commits
                    .into_iter()
                    .map(|c| CommitView {
                        sha: c.sha,
                        author: c.author,
                        date: c.date,
                        subject: c.subject,
                    })
                    .collect(),
                more,
            },
            crate::compare::CommitsBetween::Unknown { reason } => Self::Unknown { reason },
        }
    }
}

impl From<crate::BuildComparison> for BuildComparisonView {
    fn from(comparison: crate::BuildComparison) -> Self {
        Self {
            before: comparison.before,
            after: comparison.after,
            commits: comparison.commits.into(),
            services: comparison
                .services
                .into_iter()
                .map(|s| ServiceComparisonView {
                    service: s.service,
                    before_size: s.before_size,
                    after_size: s.after_size,
                    size_change: s.size_change,
                    layers_added: s.layers_added,
                    layers_removed: s.layers_removed,
                    layers_changed: s
                        .layers_changed
                        .into_iter()
                        .map(|c| LayerChangeView {
                            instruction: c.instruction,
                            before_size: c.before_size,
                            after_size: c.after_size,
                            files: c.files.map(FileChangesView::from),
                        })
                        .collect(),
                    files_unknown: s.files_unknown,
                    steps: s
                        .steps
                        .into_iter()
                        .map(|step| StepComparisonView {
                            instruction: step.instruction,
                            before_millis: step.before_millis,
                            after_millis: step.after_millis,
                            before_cached: step.before_cached,
                            after_cached: step.after_cached,
                        })
                        .collect(),
                    before_cache_hits: s.before_cache_hits,
                    after_cache_hits: s.after_cache_hits,
                    reused: s.reused,
                })
                .collect(),
        }
    }
}

impl Stagecraft {
    /// The app's builds with their images, newest first, for the Builds view; `live` marks the
    /// one `env_id` runs, when given.
    pub async fn build_views(
        &self,
        app_name: &str,
        env_id: Option<&str>,
    ) -> Result<Vec<BuildView>, Error> {
        let live = match env_id {
            Some(env_id) => {
                let env = self.environment(env_id).await?;
                // Nothing runs once it is torn down (or being torn down).
                if matches!(
                    env.status,
                    stagecraft_engine::EnvironmentStatus::TornDown
                        | stagecraft_engine::EnvironmentStatus::TearingDown
                        | stagecraft_engine::EnvironmentStatus::TeardownFailed
                ) {
                    None
                } else {
                    self.live_build(&env).await?
                }
            }
            None => None,
        };
        let builds = self.builds(app_name).await?;
        let subjects = self
            .commit_subjects(app_name, builds.iter().filter_map(|b| b.git_commit.clone()))
            .await;
        let mut views = Vec::new();
        for build in builds {
            let subject = build
                .git_commit
                .as_ref()
                .and_then(|c| subjects.get(c).cloned());
            let is_live = live == Some(build.id);
            views.push(self.build_view_of(build, subject, is_live).await?);
        }
        Ok(views)
    }

    /// Build `id`'s status (`running`, `succeeded`, `failed`), read alone: cheap enough to
    /// ask every second.
    pub async fn build_status(&self, id: i64) -> Result<String, Error> {
        Ok(stagecraft_store::build::by_id(self.store.pool(), id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "build",
                name: id.to_string(),
            })?
            .status)
    }

    /// Build `id` with its images, as the builds list shows it.
    pub async fn build_view(&self, id: i64) -> Result<BuildView, Error> {
        let build = stagecraft_store::build::by_id(self.store.pool(), id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "build",
                name: id.to_string(),
            })?;
        let subject = match (
            &build.git_commit,
            app::by_id(self.store.pool(), build.app_id).await?,
        ) {
            (Some(commit), Some(app)) => self
                .commit_subjects(&app.name, std::iter::once(commit.clone()))
                .await
                .remove(commit),
            _ => None,
        };
        self.build_view_of(build, subject, false).await
    }

    async fn build_view_of(
        &self,
        build: stagecraft_store::build::BuildRow,
        subject: Option<String>,
        live: bool,
    ) -> Result<BuildView, Error> {
        let images = self
            .images_resolved(build.id)
            .await?
            .into_iter()
            .map(|i| ImageView {
                service: i.service,
                tag: i.tag,
                outcome: i.outcome,
                size_bytes: i.size_bytes,
                cache_hits: i.cache_hits,
                reused_from_build: i.reused_from_build,
                detail: i.detail,
            })
            .collect();
        Ok(BuildView {
            id: build.id,
            subject,
            git_commit: build.git_commit,
            trigger: build.trigger,
            status: build.status,
            started_at: build.started_at,
            finished_at: build.finished_at,
            images,
            environment: build.environment,
            branch: build.branch,
            live,
        })
    }
}
