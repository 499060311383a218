//! The build stage of a deploy (its images built or reused, kept), and two builds compared.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use stagecraft_engine::{
    Deploy, Environment, EventSink, ServiceBuild, build_images, build_requests,
};
use stagecraft_store::app;
use stagecraft_store::build::{self, BuildRow, ImageRow};
use stagecraft_template::Template;
use tokio_util::sync::CancellationToken;

use crate::{Error, Stagecraft};

/// What to build: an app's branch (its commit, or the working tree), and what asked for it.
#[derive(Clone, Copy)]
struct BuildTarget<'a> {
    app: &'a stagecraft_engine::App,
    branch: &'a str,
    working_tree: bool,
    /// What asked for it: `deploy 4 of ted1bc4`, `stagecraft builds create`.
    trigger: &'a str,
    deploy_id: Option<i64>,
    /// The commit to build, when the deploy pinned one; else the branch's.
    commit: Option<&'a str>,
    /// The environment's variables for a build of a commit (none: the working tree) with a
    /// number, which static services' sites are built with; none outside a deploy (its static
    /// services are then not built: their variables are an environment's).
    envs: Option<&'a EnvsFor<'a>>,
    /// The apps the environment imports: their services are built from their own trees.
    imports: &'a [crate::imports::Import],
    /// Told the build's number once it is recorded, for a caller that does not wait for it.
    started: Option<&'a tokio::sync::watch::Sender<Option<i64>>>,
}

/// A build started in the background, until its number is known.
#[derive(Debug)]
pub struct StartedBuild {
    number: tokio::sync::watch::Receiver<Option<i64>>,
    failed_early: tokio::sync::oneshot::Receiver<Error>,
}

impl StartedBuild {
    /// The build's number once it is recorded; the failure that came before, if one did (an
    /// unknown app, git, no builder).
    pub async fn recorded(mut self) -> Result<i64, Error> {
        // The number comes, or the task ends without it (its sender goes).
        while self.number.changed().await.is_ok() {
            if let Some(id) = *self.number.borrow() {
                return Ok(id);
            }
        }
        if let Some(id) = *self.number.borrow() {
            return Ok(id);
        }
        Err(self.failed_early.await.unwrap_or_else(|_| Error::Conflict {
            message: "the build stopped before it was recorded".to_owned(),
        }))
    }
}

/// An environment's variables for a build of `commit` numbered `build`.
pub(crate) type EnvsFor<'a> = dyn Fn(Option<&str>, i64) -> Result<Vec<stagecraft_template::WorkloadEnv>, Error>
    + Send
    + Sync
    + 'a;

/// What a deploy's build stage gave: the build (none without a builder), the commit it read
/// (none for the working tree), and each built service's image tag.
#[derive(Debug, Default)]
pub(crate) struct Built {
    pub build_id: Option<i64>,
    pub commit: Option<String>,
    pub images: Vec<(String, String)>,
    /// The tree the images were built from: where the deploy's `configmap` files are read.
    pub source: Option<std::path::PathBuf>,
}

impl Stagecraft {
    /// The images of the earlier build `build_id`, nothing built: what a rollback and a custom
    /// workflow run; with the tree of the commit it was built from, for the configmap files.
    pub(crate) async fn built_earlier(
        &self,
        env: &Environment,
        build_id: i64,
    ) -> Result<Built, Error> {
        let pool = self.store.pool();
        let images = build::images(pool, build_id).await?;
        let commit = build::by_id(pool, build_id)
            .await?
            .and_then(|b| b.git_commit);
        let source = match (&commit, app::by_id(pool, env.app_id).await) {
            (Some(commit), Ok(Some(app))) => Some(
                self.commit_tree(app.id, Path::new(&app.repo_path), commit)
                    .await?,
            ),
            _ => None,
        };
        Ok(Built {
            build_id: Some(build_id),
            source,
            commit,
            images: images
                .into_iter()
                .filter(|i| matches!(i.outcome.as_str(), "built" | "reused"))
                .map(|i| (i.service, i.tag))
                .collect(),
        })
    }

    /// Builds the environment's services built from the repository, reusing the image of each
    /// whose inputs are unchanged, and keeps the build. Returns each built service's image
    /// tag; nothing when no builder is registered or nothing is built from the repository.
    pub(crate) async fn build_stage(
        &self,
        env: &Environment,
        deploy: &Deploy,
        resolved: &crate::resolve::Resolved,
        envs: &EnvsFor<'_>,
        sink: &Arc<dyn EventSink>,
        cancel: &CancellationToken,
    ) -> Result<Built, Error> {
        let pool = self.store.pool();
        if let Some(earlier) = deploy.build_id {
            // A rollback: the earlier build's images, nothing built.
            return self.built_earlier(env, earlier).await;
        }
        let Some(builder) = self.builder.clone() else {
            return Ok(Built::default());
        };
        let app = app::by_id(pool, env.app_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })?;
        let working_tree = stagecraft_store::deploy::builds_working_tree(pool, deploy.id).await?;
        let pinned = stagecraft_store::deploy::build_commit(pool, deploy.id).await?;
        let trigger = format!("deploy {} of {}", deploy.id, env.env_id);
        let target = BuildTarget {
            app: &app,
            branch: &env.branch,
            working_tree,
            trigger: &trigger,
            deploy_id: Some(deploy.id),
            commit: pinned.as_deref(),
            envs: Some(envs),
            imports: &resolved.imports,
            started: None,
        };
        let built = self
            .build_images_of(&target, &resolved.own, builder, sink, cancel)
            .await?;
        // What the environment runs now: the clock's auto_deploy waits for a newer commit.
        if let Some(commit) = &built.commit {
            stagecraft_store::environment::note_last_commit(pool, env.id, commit).await?;
        }
        Ok(built)
    }

    /// Builds (or reuses) the images of `target.app`'s services from its branch's commit or
    /// its working tree, and keeps the build.
    async fn build_images_of(
        &self,
        target: &BuildTarget<'_>,
        template: &Template,
        builder: Arc<dyn stagecraft_engine::ImageBuilder>,
        sink: &Arc<dyn EventSink>,
        cancel: &CancellationToken,
    ) -> Result<Built, Error> {
        let pool = self.store.pool();
        let BuildTarget {
            app,
            branch,
            working_tree,
            trigger,
            deploy_id,
            commit: pinned,
            envs,
            imports,
            started,
        } = *target;
        let repo = Path::new(&app.repo_path);
        let commit = pinned
            .map(str::to_owned)
            .or_else(|| crate::branch_commit(repo, branch));
        let (source, commit, trigger) = match commit {
            Some(commit) if !working_tree => {
                let tree = self.commit_tree(app.id, repo, &commit).await?;
                let short: String = commit.chars().take(12).collect();
                (
                    tree,
                    Some(commit),
                    format!("{trigger}: {branch} at {short}"),
                )
            }
            Some(_) => (
                repo.to_path_buf(),
                None,
                format!("{trigger}: the working tree, as asked"),
            ),
            None => (
                repo.to_path_buf(),
                None,
                format!(
                    "{trigger}: the working tree ({} has no branch `{branch}`)",
                    app.repo_path
                ),
            ),
        };
        // Each imported app's commit is said with the build's own.
        let trigger = imports.iter().fold(trigger, |trigger, import| {
            let at = import.commit.as_deref().map_or_else(
                || "its working tree".to_owned(),
                |c| c.chars().take(12).collect(),
            );
            format!("{trigger}; {} {} at {at}", import.app, import.branch)
        });
        let build_id = build::start(
            pool,
            app.id,
            commit.as_deref(),
            &trigger,
            self.deploys.holder(),
        )
        .await?;
        if let Some(deploy_id) = deploy_id {
            stagecraft_store::deploy::set_build(pool, deploy_id, build_id).await?;
        }
        if let Some(started) = started {
            started.send_replace(Some(build_id));
        }
        // What each imported app is built from: a deploy running this build again reads them.
        let built: Vec<stagecraft_store::import::BuiltImport> = imports
            .iter()
            .map(|i| stagecraft_store::import::BuiltImport {
                app_name: i.app.clone(),
                branch: i.branch.clone(),
                git_commit: i.commit.clone(),
            })
            .collect();
        stagecraft_store::import::record_build(pool, build_id, &built).await?;
        let folder = self.store.meta().await?.folder_id;
        // The same configuration resolved before the build with placeholders for these two;
        // the sites read the real ones, as the containers will.
        let envs = envs
            .map(|envs_for| envs_for(commit.as_deref(), build_id))
            .transpose()?;
        let statics = envs.as_deref().map(|envs| stagecraft_engine::StaticBuilds {
            build_image: &self.settings.static_sites.build_image,
            envs,
        });
        let mut requests = build_requests(template, &source, &app.name, build_id, &folder, statics);
        for import in imports {
            requests.extend(build_requests(
                &import.template,
                &import.tree,
                &app.name,
                build_id,
                &folder,
                statics,
            ));
        }
        if requests.is_empty() {
            build::finish(pool, build_id, &[]).await?;
            return Ok(Built {
                build_id: Some(build_id),
                commit,
                images: Vec::new(),
                source: Some(source),
            });
        }
        let previous = build::reusable_images(pool, app.id).await?;
        let tags: HashMap<String, String> = requests
            .iter()
            .map(|r| (r.service.clone(), r.tag.clone()))
            .collect();
        let parallelism = self.settings.build_parallelism.max(1);
        let (log, writer) = self.logs.for_build(build_id);
        let results = build_images(
            builder,
            requests,
            &previous,
            parallelism,
            Arc::clone(sink),
            Some(log),
            cancel,
        )
        .await;
        // Every line is stored before the build is called finished.
        let _ = writer.await;
        let kept: Vec<(String, String, ServiceBuild)> = results
            .iter()
            .map(|(service, outcome)| {
                (
                    service.clone(),
                    tags.get(service).cloned().unwrap_or_default(),
                    outcome.clone(),
                )
            })
            .collect();
        build::finish(pool, build_id, &kept).await?;
        let mut images = Vec::new();
        for (service, tag, outcome) in kept {
            match outcome {
                ServiceBuild::Built { .. } => images.push((service, tag)),
                ServiceBuild::Reused { previous, .. } => images.push((service, previous.tag)),
                ServiceBuild::Failed { error } => {
                    return Err(Error::BuildFailed {
                        service,
                        message: error,
                    });
                }
                ServiceBuild::Cancelled => {
                    return Err(Error::BuildCancelled { service });
                }
            }
        }
        Ok(Built {
            build_id: Some(build_id),
            commit,
            images,
            source: Some(source),
        })
    }

    /// The files of `commit` of the repository at `repo`, unpacked once under the data folder.
    pub(crate) async fn commit_tree(
        &self,
        app_id: i64,
        repo: &Path,
        commit: &str,
    ) -> Result<std::path::PathBuf, Error> {
        let checkouts = self.settings.data_dir.path.join("checkouts");
        let (repo_path, at) = (repo.to_path_buf(), commit.to_owned());
        tokio::task::spawn_blocking(move || {
            crate::checkout::commit_tree(&checkouts, app_id, &repo_path, &at)
        })
        .await
        .map_err(|e| Error::Git {
            message: format!("reading commit {commit} stopped: {e}"),
        })?
    }

    /// Builds the app's services from `branch` (its tracking branch when not given) without
    /// deploying, as `stagecraft builds create` does; a later deploy reuses what is unchanged.
    pub async fn build_app(
        &self,
        app_name: &str,
        branch: Option<&str>,
        working_tree: bool,
    ) -> Result<crate::BuildView, Error> {
        self.build_app_telling(
            app_name,
            branch,
            working_tree,
            None,
            &CancellationToken::new(),
        )
        .await
    }

    /// Starts [`Self::build_app`] in the background, cancelled with `cancel`: gives the task
    /// that ends with the build (for a caller that must not stop before it, as the HTTP API at
    /// its stop: keep it first) and a [`StartedBuild`] that tells the build's number once it
    /// is recorded. A build that fails after it was recorded is marked failed, whatever
    /// stopped it.
    pub fn start_build(
        &self,
        app_name: &str,
        branch: Option<&str>,
        working_tree: bool,
        cancel: CancellationToken,
    ) -> (tokio::task::JoinHandle<()>, StartedBuild) {
        let (started, number) = tokio::sync::watch::channel(None);
        let (early, failed_early) = tokio::sync::oneshot::channel();
        let this = self.clone();
        let (app_name, branch) = (app_name.to_owned(), branch.map(str::to_owned));
        let task = tokio::spawn(async move {
            let built = this
                .build_app_telling(
                    &app_name,
                    branch.as_deref(),
                    working_tree,
                    Some(&started),
                    &cancel,
                )
                .await;
            let recorded = *started.borrow();
            match (built, recorded) {
                (Ok(_), _) => {}
                (Err(error), None) => drop(early.send(error)),
                (Err(error), Some(id)) => {
                    tracing::warn!(%error, build = id, "a build started by the API failed");
                    // Its row would say `running` until the next start otherwise.
                    if let Err(error) = build::interrupt(this.store.pool(), id).await {
                        tracing::warn!(%error, build = id, "a failed build was not marked so");
                    }
                }
            }
        });
        (
            task,
            StartedBuild {
                number,
                failed_early,
            },
        )
    }

    async fn build_app_telling(
        &self,
        app_name: &str,
        branch: Option<&str>,
        working_tree: bool,
        started: Option<&tokio::sync::watch::Sender<Option<i64>>>,
        cancel: &CancellationToken,
    ) -> Result<crate::BuildView, Error> {
        let app = app::by_name(self.store.pool(), app_name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: app_name.to_owned(),
            })?;
        let builder = self.builder.clone().ok_or_else(|| Error::Conflict {
            message: "this Stagecraft has no image builder (no Docker engine registered)"
                .to_owned(),
        })?;
        let (_, template) = self.app_template(&app).await?;
        let target = BuildTarget {
            app: &app,
            branch: branch.unwrap_or(&app.tracking_branch),
            working_tree,
            trigger: "stagecraft builds create",
            deploy_id: None,
            commit: None,
            // No environment: no static site (its variables are an environment's), and no
            // imported app (the branch of each is an environment's).
            envs: None,
            imports: &[],
            started,
        };
        // Nobody follows a build outside a deploy: its outcome is in the build's record.
        let (sink, _discarded) = tokio::sync::mpsc::unbounded_channel();
        let sink: Arc<dyn EventSink> = Arc::new(sink);
        let newest_before = build::for_app(self.store.pool(), app.id)
            .await?
            .first()
            .map_or(0, |b| b.id);
        // A failed image is recorded in the build, which is what the caller gets back; a
        // failure before the build was recorded (git, the store) is the answer instead.
        let built = self
            .build_images_of(&target, &template, builder, &sink, cancel)
            .await;
        let recorded = self
            .build_views(app_name, None)
            .await?
            .into_iter()
            .find(|b| b.id > newest_before);
        match (recorded, built) {
            (Some(view), _) => Ok(view),
            (None, Err(error)) => Err(error),
            (None, Ok(_)) => Err(Error::Conflict {
                message: format!(
                    "{app_name} could not be built: check its repository at {}",
                    app.repo_path
                ),
            }),
        }
    }

    /// The first line of each of `commits`' messages that the app's repository has, read with
    /// one `git log`; none when git cannot say (the builds show without them).
    pub(crate) async fn commit_subjects(
        &self,
        app_name: &str,
        commits: impl Iterator<Item = String>,
    ) -> HashMap<String, String> {
        let mut commits: Vec<String> = commits.collect();
        commits.sort();
        commits.dedup();
        let Ok(Some(app)) = app::by_name(self.store.pool(), app_name).await else {
            return HashMap::new();
        };
        if commits.is_empty() {
            return HashMap::new();
        }
        let listed = tokio::task::spawn_blocking(move || {
            // On standard input: any number of builds, whatever the command line's limit.
            crate::compare::git_log(
                Path::new(&app.repo_path),
                &["--no-walk=unsorted", "--ignore-missing", "--stdin"],
                Some(&(commits.join("\n") + "\n")),
            )
        })
        .await;
        match listed {
            Ok(Ok(listed)) => listed.into_iter().map(|c| (c.sha, c.subject)).collect(),
            Ok(Err(error)) => {
                tracing::debug!(%error, "commit messages not read");
                HashMap::new()
            }
            Err(_) => HashMap::new(),
        }
    }

    /// The app's builds, newest first.
    pub async fn builds(&self, app_name: &str) -> Result<Vec<BuildRow>, Error> {
        let app = app::by_name(self.store.pool(), app_name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: app_name.to_owned(),
            })?;
        Ok(build::for_app(self.store.pool(), app.id).await?)
    }

    /// The images of a build; a reused image shows what it was built as.
    pub(crate) async fn images_resolved(&self, build_id: i64) -> Result<Vec<ImageRow>, Error> {
        let pool = self.store.pool();
        build::by_id(pool, build_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "build",
                name: build_id.to_string(),
            })?;
        let mut images = build::images(pool, build_id).await?;
        for image in &mut images {
            if let Some(from) = image.reused_from_build
                && let Some(original) = build::images(pool, from)
                    .await?
                    .into_iter()
                    .find(|i| i.service == image.service)
            {
                image.image_id = original.image_id;
                image.size_bytes = original.size_bytes;
                image.layers = original.layers;
                image.steps = original.steps;
            }
        }
        Ok(images)
    }
}
