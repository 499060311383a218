//! Two builds compared: the commits between them, and per service its image's size, its
//! layers (added, removed, changed, and inside a changed one its files), its steps' times and
//! cache hits.

use std::path::Path;

use serde::Serialize;
use stagecraft_engine::FileChanges;
use stagecraft_store::app;
use stagecraft_store::build::{self, ImageRow};

use crate::{Error, Stagecraft};

impl Stagecraft {
    /// The commits from build `a`'s to build `b`'s, read with `git log` in the app's
    /// repository.
    async fn commits_between(&self, a: i64, b: i64) -> Result<CommitsBetween, Error> {
        let pool = self.store.pool();
        let row = |id: i64| async move {
            build::by_id(pool, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "build",
                    name: id.to_string(),
                })
        };
        let (before, after) = (row(a).await?, row(b).await?);
        let unknown = |reason: &str| {
            Ok(CommitsBetween::Unknown {
                reason: reason.to_owned(),
            })
        };
        let (Some(from), Some(to)) = (&before.git_commit, &after.git_commit) else {
            return unknown("a build of the working tree has no commit to compare");
        };
        if from == to {
            return unknown("both builds are of the same commit");
        }
        let Some(app) = app::by_id(pool, after.app_id).await? else {
            return unknown("the app is gone");
        };
        let (repo, range) = (app.repo_path, format!("{from}..{to}"));
        let listed = tokio::task::spawn_blocking(move || {
            git_log(
                Path::new(&repo),
                &[&format!("--max-count={}", COMMITS_SHOWN + 1), &range],
                None,
            )
        })
        .await;
        Ok(match listed {
            Ok(Ok(mut commits)) => {
                let more = commits.len() > COMMITS_SHOWN;
                commits.truncate(COMMITS_SHOWN);
                CommitsBetween::Listed { commits, more }
            }
            Ok(Err(error)) => CommitsBetween::Unknown {
                reason: error.to_string(),
            },
            Err(join) => CommitsBetween::Unknown {
                reason: format!("reading the history stopped: {join}"),
            },
        })
    }

    pub async fn compare_builds(&self, a: i64, b: i64) -> Result<BuildComparison, Error> {
        let (before, after) = (
            self.images_resolved(a).await?,
            self.images_resolved(b).await?,
        );
        let mut services: Vec<String> = before
            .iter()
            .chain(&after)
            .map(|i| i.service.clone())
            .collect();
        services.sort();
        services.dedup();
        let find = |images: &[ImageRow], service: &str| {
            images.iter().find(|i| i.service == service).cloned()
        };
        let commits = self.commits_between(a, b).await?;
        let mut compared = Vec::with_capacity(services.len());
        for service in &services {
            let (old, new) = (find(&before, service), find(&after, service));
            let mut comparison = compare(service, old.clone(), new.clone());
            if let (Some(old), Some(new)) = (old, new)
                && !comparison.reused
                && old.tag != new.tag
            {
                self.compare_files(&mut comparison, &old, &new).await;
            }
            compared.push(comparison);
        }
        Ok(BuildComparison {
            before: a,
            after: b,
            commits,
            services: compared,
        })
    }

    /// Reads the files inside both images' layers and, for each layer the same instruction
    /// made in both, what changed file by file; a layer of the same size with other files is
    /// a change too. Images that cannot be read leave the sizes alone, saying why.
    async fn compare_files(
        &self,
        comparison: &mut ServiceComparison,
        old: &ImageRow,
        new: &ImageRow,
    ) {
        let Some(builder) = self.builder.clone() else {
            return;
        };
        let (before, after) =
            tokio::join!(builder.layer_files(&old.tag), builder.layer_files(&new.tag));
        let (before, after) = match (before, after) {
            (Ok(before), Ok(after)) => (before, after),
            (Err(error), _) | (_, Err(error)) => {
                comparison.files_unknown = Some(error.message);
                return;
            }
        };
        // Layers pair by instruction and by how many times it came before: the second
        // `RUN true` of one build with the second of the other.
        let nth = |layers: &[stagecraft_engine::LayerFiles], i: usize| {
            layers[..i]
                .iter()
                .filter(|l| l.instruction == layers[i].instruction)
                .count()
        };
        for (i, layer) in after.iter().enumerate() {
            let n = nth(&after, i);
            let Some(earlier) = before
                .iter()
                .filter(|l| l.instruction == layer.instruction)
                .nth(n)
            else {
                continue;
            };
            let files = FileChanges::between(&earlier.files, &layer.files);
            if files.is_empty() {
                continue;
            }
            if let Some(change) = comparison
                .layers_changed
                .iter_mut()
                .filter(|c| c.instruction == layer.instruction)
                .nth(n)
            {
                change.files = Some(files);
                continue;
            }
            let size = |image: &ImageRow| {
                image
                    .layers
                    .iter()
                    .find(|l| l.instruction == layer.instruction)
                    .map_or(0, |l| l.size_bytes)
            };
            comparison.layers_changed.push(LayerChange {
                instruction: layer.instruction.clone(),
                before_size: size(old),
                after_size: size(new),
                files: Some(files),
            });
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildComparison {
    pub before: i64,
    pub after: i64,
    /// What changed in the repository from one build to the other.
    pub commits: CommitsBetween,
    pub services: Vec<ServiceComparison>,
}

/// The commits reachable from the later build's commit and not from the earlier one's, newest
/// first, as `git log before..after` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommitsBetween {
    Listed {
        commits: Vec<Commit>,
        /// More than [`COMMITS_SHOWN`]: only the newest are listed.
        more: bool,
    },
    /// Why there is no list: a build of the working tree, the same commit, no git.
    Unknown { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub sha: String,
    pub author: String,
    /// ISO 8601, as the author dated it.
    pub date: String,
    pub subject: String,
}

/// The most commits a comparison lists.
pub const COMMITS_SHOWN: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepComparison {
    pub instruction: String,
    pub before_millis: Option<u64>,
    pub after_millis: Option<u64>,
    pub before_cached: Option<bool>,
    pub after_cached: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceComparison {
    pub service: String,
    pub before_size: Option<i64>,
    pub after_size: Option<i64>,
    pub size_change: Option<i64>,
    /// Layer instructions only the later build has.
    pub layers_added: Vec<String>,
    /// Layer instructions only the earlier build has.
    pub layers_removed: Vec<String>,
    /// Layer instructions in both, with a different size or other files.
    pub layers_changed: Vec<LayerChange>,
    /// Why the files inside the layers were not compared (an image removed since, a builder
    /// that cannot read them); none when they were, or when there was nothing to compare.
    pub files_unknown: Option<String>,
    pub steps: Vec<StepComparison>,
    pub before_cache_hits: i64,
    pub after_cache_hits: i64,
    /// The later build reused the image instead of building it.
    pub reused: bool,
}

/// A layer made by the same instruction in both builds, changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerChange {
    pub instruction: String,
    pub before_size: u64,
    pub after_size: u64,
    /// What changed inside it, file by file, when the images could be read.
    pub files: Option<stagecraft_engine::FileChanges>,
}

fn compare(service: &str, before: Option<ImageRow>, after: Option<ImageRow>) -> ServiceComparison {
    let layers =
        |image: &Option<ImageRow>| image.as_ref().map(|i| i.layers.clone()).unwrap_or_default();
    let (old_layers, new_layers) = (layers(&before), layers(&after));
    let size_of = |instruction: &str, list: &[stagecraft_engine::Layer]| {
        list.iter()
            .find(|l| l.instruction == instruction)
            .map(|l| l.size_bytes)
    };
    let layers_added = new_layers
        .iter()
        .filter(|l| size_of(&l.instruction, &old_layers).is_none())
        .map(|l| l.instruction.clone())
        .collect();
    let layers_removed = old_layers
        .iter()
        .filter(|l| size_of(&l.instruction, &new_layers).is_none())
        .map(|l| l.instruction.clone())
        .collect();
    let layers_changed = new_layers
        .iter()
        .filter_map(|l| {
            let old = size_of(&l.instruction, &old_layers)?;
            (old != l.size_bytes).then(|| LayerChange {
                instruction: l.instruction.clone(),
                before_size: old,
                after_size: l.size_bytes,
                files: None,
            })
        })
        .collect();
    let steps_of =
        |image: &Option<ImageRow>| image.as_ref().map(|i| i.steps.clone()).unwrap_or_default();
    let (old_steps, new_steps) = (steps_of(&before), steps_of(&after));
    let mut instructions: Vec<String> = old_steps.iter().map(|s| s.instruction.clone()).collect();
    for step in &new_steps {
        if !instructions.contains(&step.instruction) {
            instructions.push(step.instruction.clone());
        }
    }
    let steps = instructions
        .into_iter()
        .map(|instruction| {
            let old = old_steps.iter().find(|s| s.instruction == instruction);
            let new = new_steps.iter().find(|s| s.instruction == instruction);
            StepComparison {
                before_millis: old.map(|s| s.millis),
                after_millis: new.map(|s| s.millis),
                before_cached: old.map(|s| s.cached),
                after_cached: new.map(|s| s.cached),
                instruction,
            }
        })
        .collect();
    let before_size = before.as_ref().and_then(|i| i.size_bytes);
    let after_size = after.as_ref().and_then(|i| i.size_bytes);
    ServiceComparison {
        service: service.to_owned(),
        size_change: before_size.zip(after_size).map(|(b, a)| a - b),
        before_size,
        after_size,
        layers_added,
        layers_removed,
        layers_changed,
        files_unknown: None,
        steps,
        before_cache_hits: before.as_ref().map_or(0, |i| i.cache_hits),
        after_cache_hits: after.as_ref().map_or(0, |i| i.cache_hits),
        reused: after.as_ref().is_some_and(|i| i.outcome == "reused"),
    }
}

/// The commits `git log <args>` lists in `repo`; `input`, when given, is its standard input
/// (revisions for `--stdin`, as many as there are, whatever the command line's limit).
pub(crate) fn git_log(
    repo: &Path,
    args: &[&str],
    input: Option<&str>,
) -> Result<Vec<Commit>, Error> {
    use std::io::Write as _;
    use std::process::Stdio;
    let started = || Error::Git {
        message: "listing commits needs git on PATH".to_owned(),
    };
    let mut child = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "--no-color", "--format=%H%x1f%an%x1f%aI%x1f%s"])
        .args(args)
        .arg("--")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git {
            message: format!("listing commits needs git on PATH ({e})"),
        })?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Dropped at the end of this block: git reads to the end of its input.
        stdin.write_all(input.as_bytes()).map_err(|_| started())?;
    }
    let output = child.wait_with_output().map_err(|_| started())?;
    if !output.status.success() {
        return Err(Error::Git {
            message: format!(
                "git log {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(4, '\u{1f}');
            Some(Commit {
                sha: fields.next()?.to_owned(),
                author: fields.next()?.to_owned(),
                date: fields.next()?.to_owned(),
                subject: fields.next().unwrap_or_default().to_owned(),
            })
        })
        .collect())
}
