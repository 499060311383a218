//! What a deploy request runs for an environment, and why.

use stagecraft_engine::{Environment, Stage};
use stagecraft_store::deploy;

use crate::environment::ensure_standing;
use crate::sync::SyncOutcome;
use crate::{Error, Stagecraft};

/// What a user (the Deploy button, a command, the clock) asks of an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployRequest {
    /// What the Deploy button runs: setup when the environment was never set up or its
    /// configuration changed since its last setup, else patch. Built from the repository's
    /// working tree as it is (uncommitted changes included) when `working_tree`, else from the
    /// commit the environment's branch names.
    Deploy { working_tree: bool },
    /// Setup again, whatever changed: to repair an environment that drifted, as Release's
    /// Setup action does.
    Setup,
    /// The images of an earlier successful build of the environment's app, building nothing:
    /// a rollback, as Release's Deploy button on a build's page does.
    Rollback { build_id: i64 },
    /// The teardown workflow, then everything the environment created removed.
    Teardown,
    /// A custom workflow of the environment's configuration, by its name, with the images the
    /// environment runs (`workflows.rs`).
    Workflow { name: String },
    /// One run of a cron job of the environment's configuration, with the images the
    /// environment runs (`cron.rs`): the clock's, with why it runs now, or a user's "Run now".
    Cron {
        name: String,
        reason: Option<String>,
    },
    /// Stops the environment's containers and keeps everything else (`pause.rs`).
    Pause,
    /// Starts a paused environment's services again, in the setup workflow's order, running
    /// no jobs (`pause.rs`).
    Resume,
}

impl DeployRequest {
    /// What the Deploy button runs, built from the branch's commit.
    pub const DEPLOY: Self = Self::Deploy {
        working_tree: false,
    };
}

/// A request made concrete for one environment: the stage it runs, why, and what it deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    pub stage: Stage,
    pub reason: String,
    /// The build whose images it deploys, building nothing (a rollback).
    pub build: Option<i64>,
    pub working_tree: bool,
    /// Why it fails before it runs (the branch's Release files do not validate): it is kept,
    /// and ends failed at once, saying so.
    pub refused: Option<String>,
    /// The commit whose Release files made its configuration (GitOps): its build reads that
    /// commit, not whatever the branch names when the build starts.
    pub commit: Option<String>,
    /// The custom workflow or cron job a [`Stage::Workflow`] or [`Stage::Cron`] deploy runs.
    pub target: Option<String>,
    /// The configuration version it runs, when not the environment's newest: a custom
    /// workflow and a cron job's run run the one the environment runs (its last setup or
    /// patch), with its images.
    pub config_version: Option<i64>,
}

impl Stagecraft {
    /// What `request` runs for `env`, and why; refused when the environment cannot take it.
    /// A deploy that builds first brings the configuration in line with the branch's Release
    /// files when the app follows them (GitOps; `env` is then the environment as it is after).
    pub(crate) async fn plan_request(
        &self,
        env: &mut Environment,
        request: DeployRequest,
    ) -> Result<Planned, Error> {
        let planned = match request {
            DeployRequest::Deploy { working_tree } => {
                ensure_standing(env)?;
                let read = self.sync(env, working_tree).await?;
                let (stage, mut reason) = self.setup_or_patch(env).await?;
                if let Ok(Read {
                    synced: Some(synced),
                    ..
                }) = &read
                {
                    reason = synced.reason();
                }
                if working_tree {
                    reason.push_str("; built from the working tree");
                }
                let (commit, refused) = match read {
                    Ok(read) => (read.commit, None),
                    Err(why) => (None, Some(why)),
                };
                Planned {
                    stage,
                    reason,
                    build: None,
                    working_tree,
                    refused,
                    commit,
                    target: None,
                    config_version: None,
                }
            }
            DeployRequest::Setup => {
                ensure_standing(env)?;
                let read = self.sync(env, false).await?;
                let reason = match &read {
                    Ok(Read {
                        synced: Some(synced),
                        ..
                    }) => format!("setup requested; {}", synced.reason()),
                    _ => "setup requested".to_owned(),
                };
                let (commit, refused) = match read {
                    Ok(read) => (read.commit, None),
                    Err(why) => (None, Some(why)),
                };
                Planned {
                    refused,
                    commit,
                    ..Planned::of(Stage::Setup, &reason)
                }
            }
            DeployRequest::Rollback { build_id } => self.plan_rollback(env, build_id).await?,
            DeployRequest::Teardown => Planned::of(Stage::Teardown, "teardown requested"),
            DeployRequest::Pause => {
                crate::pause::ensure_pausable(env)?;
                Planned::of(Stage::Pause, "pause requested")
            }
            DeployRequest::Resume => {
                crate::pause::ensure_resumable(self, env).await?;
                crate::pause::resume_planned(
                    self,
                    env,
                    "resume requested: its services start again as they were, its jobs are \
                     not run again",
                )
                .await?
            }
            DeployRequest::Workflow { name } => {
                ensure_standing(env)?;
                self.check_custom_workflow(env, &name).await?;
                Planned {
                    target: Some(name.clone()),
                    config_version: self.deployed_version(env).await?,
                    ..Planned::of(Stage::Workflow, &format!("workflow `{name}` requested"))
                }
            }
            DeployRequest::Cron { name, reason } => {
                ensure_standing(env)?;
                self.check_cron_job(env, &name).await?;
                let reason = reason.unwrap_or_else(|| format!("cron job `{name}` run by hand"));
                Planned {
                    target: Some(name),
                    config_version: self.deployed_version(env).await?,
                    ..Planned::of(Stage::Cron, &reason)
                }
            }
        };
        Ok(planned)
    }

    /// Deploying the images of `build_id`; refused unless it is a successful build of the
    /// environment's app.
    async fn plan_rollback(&self, env: &Environment, build_id: i64) -> Result<Planned, Error> {
        let build = stagecraft_store::build::by_id(self.store.pool(), build_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "build",
                name: build_id.to_string(),
            })?;
        if build.app_id != env.app_id || build.status != "succeeded" {
            return Err(Error::Conflict {
                message: format!(
                    "build {build_id} is not a successful build of {}'s app",
                    env.env_id
                ),
            });
        }
        // A static site carries the variables of the environment it was built for (its API's
        // URL, its id): another environment's would call that environment.
        if build.environment.as_deref() != Some(env.env_id.as_str()) {
            let template = self.resolve(env, None).await?.template;
            let images = stagecraft_store::build::images(self.store.pool(), build_id).await?;
            let sites: Vec<&str> = template
                .static_services()
                .filter(|name| images.iter().any(|i| i.service == *name))
                .collect();
            if !sites.is_empty() {
                let made_for = build.environment.as_deref().map_or_else(
                    || "no environment".to_owned(),
                    |e| format!("environment {e}"),
                );
                return Err(Error::Conflict {
                    message: format!(
                        "build {build_id} was made for {made_for}: its static sites ({}) carry \
                         that environment's variables; roll back to a build of {}, or deploy \
                         that commit",
                        sites.join(", "),
                        env.env_id
                    ),
                });
            }
        }
        let (stage, reason) = self.setup_or_patch(env).await?;
        Ok(Planned {
            stage,
            reason: format!("{reason}; rollback to the images of build {build_id}"),
            build: Some(build_id),
            working_tree: false,
            refused: None,
            commit: None,
            target: None,
            config_version: None,
        })
    }

    /// The GitOps sync before a deploy that builds: the version it made, if any (`env` is then
    /// refreshed), and the commit whose files it read; `Err` with why the deploy must fail when
    /// the files are broken.
    pub(crate) async fn sync(
        &self,
        env: &mut Environment,
        working_tree: bool,
    ) -> Result<Result<Read, String>, Error> {
        Ok(match self.sync_from_branch(env, working_tree, true).await {
            Ok(SyncOutcome::Unchanged { commit }) => Ok(Read {
                synced: None,
                commit,
            }),
            Ok(SyncOutcome::Synced(synced)) => {
                *env = self.environment(&env.env_id).await?;
                Ok(Read {
                    commit: synced.commit.clone(),
                    synced: Some(synced),
                })
            }
            Ok(SyncOutcome::Broken { at, error }) => Err(format!(
                "the Release files of {at} cannot be used, and nothing was deployed: {error}"
            )),
            // The database itself failing is this call's error; anything else (a secret that
            // no longer opens) is the deploy's, kept on its timeline.
            Err(error @ Error::Store(_)) => return Err(error),
            Err(error) => Err(format!(
                "the configuration could not be read against the Release files, and nothing \
                 was deployed: {error}"
            )),
        })
    }

    /// Setup when the environment was never set up or its configuration changed since its
    /// last setup, else patch; with the reason.
    pub(crate) async fn setup_or_patch(&self, env: &Environment) -> Result<(Stage, String), Error> {
        ensure_standing(env)?;
        let last_setup = deploy::last_setup_version(self.store.pool(), env.id).await?;
        let (stage, reason) = match last_setup {
            None => {
                let mut reason = "first setup: the environment was never set up".to_owned();
                if let Some(plan) = self.dataset_plan(env).await? {
                    reason.push_str("; ");
                    reason.push_str(&plan);
                }
                (Stage::Setup, reason)
            }
            Some(version) if version != env.version.specific => (
                Stage::Setup,
                format!(
                    "setup: the configuration changed since the last setup (v{}.{version} → {})",
                    env.version.default, env.version
                ),
            ),
            Some(_) => match self.imports_changed(env).await? {
                Some(reason) => (Stage::Setup, reason),
                None => (
                    Stage::Patch,
                    "patch: the configuration is unchanged since the last setup".to_owned(),
                ),
            },
        };
        Ok((stage, reason))
    }
}

impl Planned {
    /// `stage`, for `reason`, built as usual.
    pub(crate) fn of(stage: Stage, reason: &str) -> Self {
        Self {
            stage,
            reason: reason.to_owned(),
            build: None,
            working_tree: false,
            refused: None,
            commit: None,
            target: None,
            config_version: None,
        }
    }
}

/// What a deploy takes from the GitOps sync.
#[derive(Debug)]
pub(crate) struct Read {
    /// The version the branch's files made, when they changed the configuration.
    pub synced: Option<crate::sync::Synced>,
    /// The commit whose files were read: the deploy builds it.
    pub commit: Option<String>,
}
