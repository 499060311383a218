//! Apps, environments and deploys: add an app from a folder, create an environment, deploy it
//! (setup or patch, as the Deploy button decides), tear it down; every event kept.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use stagecraft_engine::{
    App, Deploy, DeployEvent, DeployOutcome, DeployStatus, Environment, EnvironmentEvent,
    EnvironmentKind, EnvironmentRef, EnvironmentStatus, EventSink, Runner, Runtime, Stage,
};
use stagecraft_store::app::NewApp;
use stagecraft_store::deploy::StoredEvent;
use stagecraft_store::environment::NewEnvironment;
use stagecraft_store::{app, deploy, environment, lease};
use stagecraft_template::{Injected, WorkflowPlan};
use tokio_util::sync::CancellationToken;

use crate::follow::LiveEvent;
use crate::{Error, Stagecraft};

/// How long an ephemeral environment lives unless extended (Release's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3 * 24 * 3600);

/// What `create_environment` is asked for.
#[derive(Debug, Clone)]
pub struct CreateEnvironment {
    pub app: String,
    pub branch: Option<String>,
    /// `ephemeral` (default) or `permanent`, or another `environment_templates` entry.
    pub environment_template: String,
    /// `docker`, or `kube:<context>`.
    pub runtime: String,
    /// For a permanent environment, its name; ephemeral ones get a random id.
    pub name: Option<String>,
    pub ttl: Option<Duration>,
}

/// One line of the environments list.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentRow {
    pub environment: Environment,
    pub activity: Option<stagecraft_store::deploy::Activity>,
    pub urls: Vec<crate::Hostname>,
}

/// An app just added, and what its files did not say well enough to refuse them: a
/// docker-compose import's keys that Release has no place for, deprecated fields.
#[derive(Debug, Clone, Serialize)]
pub struct AddedApp {
    pub app: App,
    pub warnings: Vec<stagecraft_template::Diagnostic>,
}

/// A deploy as run or queued: the deploy, and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub deploy: Deploy,
    /// `false` when another deploy of this environment runs (here or in another process) and
    /// this one waits in the queue.
    pub ran: bool,
}

impl Stagecraft {
    /// The runtime the environment runs on, when this Stagecraft has it.
    pub(crate) fn runtime_of(&self, env: &Environment) -> Result<Arc<dyn Runtime>, Error> {
        self.runtimes
            .get(&env.runtime)
            .cloned()
            .ok_or_else(|| Error::Conflict {
                message: format!(
                    "the runtime `{}` of {} is not available in this Stagecraft",
                    env.runtime, env.env_id
                ),
            })
    }

    /// What a runtime is told about the environment, with its ledger in the store and its
    /// app's image registry as it is now.
    pub(crate) async fn environment_ref(&self, env: &Environment) -> Result<EnvironmentRef, Error> {
        let app = app::by_id(self.store.pool(), env.app_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })?;
        Ok(EnvironmentRef {
            env_id: env.env_id.clone(),
            app: env.app.clone(),
            image_registry: app.image_registry,
            share_registry_login: app.share_registry_login,
            ledger: Arc::new(crate::ledger::StoreLedger {
                store: self.store.clone(),
                environment_id: env.id,
            }),
        })
    }
}

/// A deploy queued by [`Stagecraft::start_deploy`] or [`Stagecraft::start_teardown`].
#[derive(Debug)]
pub struct Started {
    /// As it was when queued.
    pub deploy: Deploy,
    /// Ends when this process has run the environment's queue (at once when another process
    /// holds the environment and runs it). A process about to exit awaits it, so the
    /// environment's lease is released rather than left to expire.
    pub queue: tokio::task::JoinHandle<()>,
}

/// How a deploy is run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeployOptions {
    /// Build from the repository's working tree as it is (uncommitted changes included)
    /// instead of the commit the environment's branch names.
    pub working_tree: bool,
}

/// Registered runtimes by name (`docker`, `kube:<context>`).
#[derive(Clone, Default)]
pub struct Runtimes(HashMap<String, Arc<dyn Runtime>>);

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Runtimes {
    pub fn insert(&mut self, name: impl Into<String>, runtime: Arc<dyn Runtime>) {
        self.0.insert(name.into(), runtime);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<dyn Runtime>> {
        self.0.get(name)
    }

    /// The registered names, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.keys().cloned().collect();
        names.sort();
        names
    }
}

/// The deploys this process runs, with the token that cancels each: a cancel asked for in
/// this process takes effect at once; one asked for by another process arrives through the
/// store within [`CANCEL_CHECK_EVERY`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Running(Arc<std::sync::Mutex<HashMap<i64, CancellationToken>>>);

impl Running {
    fn insert(&self, deploy_id: i64, token: CancellationToken) {
        if let Ok(mut running) = self.0.lock() {
            running.insert(deploy_id, token);
        }
    }

    fn remove(&self, deploy_id: i64) {
        if let Ok(mut running) = self.0.lock() {
            running.remove(&deploy_id);
        }
    }

    fn cancel(&self, deploy_id: i64) {
        if let Some(token) = self.0.lock().ok().and_then(|r| r.get(&deploy_id).cloned()) {
            token.cancel();
        }
    }
}

/// The environments whose queue a task of this process runs. The lease keeps other processes
/// out; this keeps a second task of the same process (which holds the same lease) from running
/// the same queue beside the first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queues(Arc<std::sync::Mutex<std::collections::HashSet<i64>>>);

impl Queues {
    /// `true` when the caller now runs the queue; `false` when a task runs it already.
    fn enter(&self, environment_id: i64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(environment_id)
    }

    fn leave(&self, environment_id: i64) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&environment_id);
    }
}

/// How often a running deploy looks in the store for a cancel another process asked for.
const CANCEL_CHECK_EVERY: Duration = Duration::from_millis(250);

fn random_env_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let mut bits = hasher.finish();
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut id = String::with_capacity(7);
    // A letter first, so the id is a valid DNS label and container name prefix.
    id.push(char::from(alphabet[(bits % 26) as usize]));
    for _ in 0..6 {
        bits /= 26;
        id.push(char::from(alphabet[(bits % 36) as usize]));
    }
    id
}

/// The branch `HEAD` names in a git folder, when it names one.
fn current_branch(repo: &Path) -> Option<String> {
    let head = std::fs::read_to_string(repo.join(".git").join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_owned)
}

impl Stagecraft {
    /// Adds the app whose Release files (or docker-compose file) are in the folder `path`.
    /// Refuses files with errors, with every error located; gives the warnings back.
    pub async fn add_app(&self, path: &Path) -> Result<AddedApp, Error> {
        let root = path.canonicalize().map_err(|source| Error::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let check = stagecraft_template::check_repository(&root);
        if check.diagnostics.has_errors() {
            return Err(Error::Invalid {
                diagnostics: check.diagnostics.0,
            });
        }
        let template = check.template.unwrap_or_default();
        let variables = check.variables.unwrap_or_default();
        let name = template
            .app
            .as_ref()
            .map(|a| a.value.clone())
            .or_else(|| root.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "app".to_owned());
        let branch = template
            .tracking_branch
            .as_ref()
            .map(|b| b.value.clone())
            .or_else(|| current_branch(&root))
            .unwrap_or_else(|| "main".to_owned());
        let relative = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
        };
        let template_file = relative(&check.files.template)
            .or_else(|| relative(&check.files.compose))
            .unwrap_or_default();
        let repo_path = root.display().to_string();
        app::create(
            self.store.pool(),
            &NewApp {
                name: &name,
                repo_path: &repo_path,
                tracking_branch: &branch,
                auto_deploy: template.auto_deploy.unwrap_or(false),
            },
            &template_file,
            &stagecraft_template::template_to_yaml(&template),
            relative(&check.files.variables).as_deref(),
            &stagecraft_template::variables_to_yaml(&self.sealer.seal_variables(&variables)),
        )
        .await?;
        Ok(AddedApp {
            app: self.find_app(&name).await?,
            warnings: check.diagnostics.warnings().cloned().collect(),
        })
    }

    /// The app's latest configuration and its template, parsed.
    pub(crate) async fn app_template(
        &self,
        app: &App,
    ) -> Result<
        (
            stagecraft_store::app::AppConfig,
            stagecraft_template::Template,
        ),
        Error,
    > {
        let config = app::latest_config(self.store.pool(), app.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app configuration",
                name: app.name.clone(),
            })?;
        let template =
            stagecraft_template::parse_template(&config.template_file, &config.template_yaml);
        let template = template.value.ok_or_else(|| Error::Invalid {
            diagnostics: template.diagnostics.0,
        })?;
        Ok((config, template))
    }

    async fn find_app(&self, name: &str) -> Result<App, Error> {
        app::by_name(self.store.pool(), name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: name.to_owned(),
            })
    }

    pub async fn apps(&self) -> Result<Vec<App>, Error> {
        Ok(app::list(self.store.pool()).await?)
    }

    /// Makes an environment of an app: its own configuration is the app's latest template
    /// merged with the chosen environment template, and its variables the app's, as Release
    /// makes them when an environment is created. Nothing is deployed yet.
    pub async fn create_environment(
        &self,
        request: CreateEnvironment,
    ) -> Result<Environment, Error> {
        let app = self.find_app(&request.app).await?;
        if self.runtimes.get(&request.runtime).is_none() {
            return Err(Error::InvalidRequest {
                field: "runtime",
                message: format!(
                    "`{}` is not a runtime this Stagecraft can deploy to: choose one of {}",
                    request.runtime,
                    self.runtimes.names().join(", ")
                ),
            });
        }
        if let Some(ttl) = request.ttl
            && ttl > MAX_EXTENSION
        {
            return Err(Error::InvalidRequest {
                field: "ttl",
                message: format!(
                    "{} h is longer than an ephemeral environment may live ({} days): give less, or make it permanent",
                    ttl.as_secs() / 3600,
                    MAX_EXTENSION.as_secs() / 86_400
                ),
            });
        }
        let (config, template) = self.app_template(&app).await?;
        let own = stagecraft_template::environment_config(
            &template,
            &request.environment_template,
            &config.template_file,
        )
        .map_err(|d| Error::Invalid { diagnostics: d.0 })?;
        // An environment's copy of the variables keeps `defaults` under the name `envs`.
        let variables = stagecraft_template::parse_variables("variables", &config.variables_yaml)
            .value
            .unwrap_or_default();
        let variables = stagecraft_template::VariablesFile {
            envs: variables
                .defaults
                .iter()
                .chain(&variables.envs)
                .cloned()
                .collect(),
            defaults: Vec::new(),
            ..variables
        };
        let kind = if request.environment_template == "permanent" {
            EnvironmentKind::Permanent
        } else {
            EnvironmentKind::Ephemeral
        };
        let expires_in_secs = match kind {
            EnvironmentKind::Permanent => None,
            EnvironmentKind::Ephemeral => Some(
                i64::try_from(request.ttl.unwrap_or(self.settings.default_ttl).as_secs())
                    .unwrap_or(i64::MAX),
            ),
        };
        let branch = request
            .branch
            .unwrap_or_else(|| app.tracking_branch.clone());
        let config_yaml = stagecraft_template::template_to_yaml(&own);
        let variables_yaml = stagecraft_template::variables_to_yaml(&variables);
        let env_id = match request.name {
            Some(name) => name,
            None => random_env_id(),
        };
        environment::create(
            self.store.pool(),
            &NewEnvironment {
                env_id: &env_id,
                app_id: app.id,
                branch: &branch,
                kind,
                environment_template: &request.environment_template,
                default_version: config.version,
                runtime: &request.runtime,
                expires_in_secs,
            },
            &config_yaml,
            &variables_yaml,
        )
        .await?;
        self.environment(&env_id).await
    }

    pub async fn environments(&self) -> Result<Vec<Environment>, Error> {
        Ok(environment::list(self.store.pool()).await?)
    }

    /// The environments list as people read it: each environment with what it is doing now
    /// (the stage and step its deploy runs, the deploys waiting) and its services' URLs.
    pub async fn environment_rows(&self) -> Result<Vec<EnvironmentRow>, Error> {
        let environments = environment::list(self.store.pool()).await?;
        let mut activity = deploy::activity(self.store.pool()).await?;
        let mut rows = Vec::with_capacity(environments.len());
        for environment in environments {
            let urls = if environment.status == EnvironmentStatus::TornDown {
                Vec::new()
            } else {
                // A configuration that no longer reads shows no URLs here; its own screen
                // says what is wrong with it.
                self.cached_hostnames(&environment)
                    .await
                    .unwrap_or_default()
            };
            let now = activity
                .iter()
                .position(|a| a.environment_id == environment.id)
                .map(|i| activity.swap_remove(i));
            rows.push(EnvironmentRow {
                environment,
                activity: now,
                urls,
            });
        }
        Ok(rows)
    }

    pub async fn environment(&self, env_id: &str) -> Result<Environment, Error> {
        environment::by_env_id(self.store.pool(), env_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "environment",
                name: env_id.to_owned(),
            })
    }

    pub async fn deploys(&self, env_id: &str) -> Result<Vec<Deploy>, Error> {
        let env = self.environment(env_id).await?;
        Ok(deploy::for_environment(self.store.pool(), env.id).await?)
    }

    /// A deploy's stored events after `after_seq`: replay from the last one seen.
    pub async fn deploy_events(
        &self,
        deploy_id: i64,
        after_seq: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        Ok(deploy::events_after(self.store.pool(), deploy_id, after_seq).await?)
    }

    /// Setup or patch, as the Deploy button decides: setup when the environment was never set
    /// up or its configuration changed since its last setup, else patch. The deploy runs now
    /// unless another runs, in which case it waits in the queue; a second request for the same
    /// stage while one waits joins it.
    pub async fn deploy(&self, env_id: &str) -> Result<DeployReport, Error> {
        self.deploy_with(env_id, DeployOptions::default()).await
    }

    /// [`Stagecraft::deploy`], choosing what the build reads.
    pub async fn deploy_with(
        &self,
        env_id: &str,
        options: DeployOptions,
    ) -> Result<DeployReport, Error> {
        let (env, stage, reason) = self.deploy_request(env_id, options).await?;
        self.queue_with_build(&env, stage, &reason, None, options.working_tree)
            .await
    }

    /// What the Deploy button runs for `env_id` with `options`, and why.
    async fn deploy_request(
        &self,
        env_id: &str,
        options: DeployOptions,
    ) -> Result<(Environment, Stage, String), Error> {
        let env = self.environment(env_id).await?;
        let (stage, mut reason) = self.setup_or_patch(&env).await?;
        if options.working_tree {
            reason.push_str("; built from the working tree");
        }
        Ok((env, stage, reason))
    }

    /// Deploys the images of an earlier build of the environment's app, building nothing: a
    /// rollback, as Release's Deploy button on a build's page does.
    pub async fn deploy_build(&self, env_id: &str, build_id: i64) -> Result<DeployReport, Error> {
        let (env, stage, reason) = self.rollback_request(env_id, build_id).await?;
        self.queue_with_build(&env, stage, &reason, Some(build_id), false)
            .await
    }

    /// [`Stagecraft::deploy_build`] for the window: queued, run in the background.
    pub async fn start_deploy_build(
        self: &Arc<Self>,
        env_id: &str,
        build_id: i64,
    ) -> Result<Started, Error> {
        let (env, stage, reason) = self.rollback_request(env_id, build_id).await?;
        self.start(&env, stage, &reason, Some(build_id), false)
            .await
    }

    /// What deploying the images of `build_id` to `env_id` runs, and why; refused unless it is
    /// a successful build of the environment's app.
    async fn rollback_request(
        &self,
        env_id: &str,
        build_id: i64,
    ) -> Result<(Environment, Stage, String), Error> {
        let env = self.environment(env_id).await?;
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
        let (stage, reason) = self.setup_or_patch(&env).await?;
        let reason = format!("{reason}; rollback to the images of build {build_id}");
        Ok((env, stage, reason))
    }

    /// Setup when the environment was never set up or its configuration changed since its
    /// last setup, else patch; with the reason.
    pub(crate) async fn setup_or_patch(&self, env: &Environment) -> Result<(Stage, String), Error> {
        ensure_standing(env)?;
        let last_setup = deploy::last_setup_version(self.store.pool(), env.id).await?;
        let (stage, reason) = match last_setup {
            None => (
                Stage::Setup,
                "first setup: the environment was never set up".to_owned(),
            ),
            Some(version) if version != env.version.specific => (
                Stage::Setup,
                format!(
                    "setup: the configuration changed since the last setup (v{}.{version} → {})",
                    env.version.default, env.version
                ),
            ),
            Some(_) => (
                Stage::Patch,
                "patch: the configuration is unchanged since the last setup".to_owned(),
            ),
        };
        Ok((stage, reason))
    }

    /// Runs setup again, whatever changed: to repair an environment that drifted, as Release's
    /// Setup action does.
    pub async fn setup(&self, env_id: &str) -> Result<DeployReport, Error> {
        let env = self.environment(env_id).await?;
        ensure_standing(&env)?;
        self.queue(&env, Stage::Setup, "setup requested").await
    }

    /// A page of a log kept by the store (a build's, a service's, a job's): up to `limit` lines
    /// after `after_seq`, and how many lines the cap has dropped.
    pub async fn logs(
        &self,
        resource: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<stagecraft_store::log::LogPage, Error> {
        Ok(stagecraft_store::log::page(self.store.pool(), resource, after_seq, limit).await?)
    }

    /// Runs the teardown workflow, then removes everything the environment created.
    pub async fn teardown(&self, env_id: &str) -> Result<DeployReport, Error> {
        let env = self.environment(env_id).await?;
        self.queue(&env, Stage::Teardown, "teardown requested")
            .await
    }

    pub(crate) async fn queue(
        &self,
        env: &Environment,
        stage: Stage,
        reason: &str,
    ) -> Result<DeployReport, Error> {
        self.queue_with_build(env, stage, reason, None, false).await
    }

    /// Queues a deploy (running the images of `build` when given) and runs the queue.
    async fn queue_with_build(
        &self,
        env: &Environment,
        stage: Stage,
        reason: &str,
        build: Option<i64>,
        working_tree: bool,
    ) -> Result<DeployReport, Error> {
        let id = self
            .enqueue(env, stage, reason, build, working_tree)
            .await?;
        self.run_queue(&env.env_id).await?;
        let deploy = self.deploy_by_id(id).await?;
        let ran = deploy.status != DeployStatus::Queued;
        Ok(DeployReport { deploy, ran })
    }

    /// Puts a deploy in the environment's queue, or joins the same stage's waiting one.
    async fn enqueue(
        &self,
        env: &Environment,
        stage: Stage,
        reason: &str,
        build: Option<i64>,
        working_tree: bool,
    ) -> Result<i64, Error> {
        let pool = self.store.pool();
        // A request for a stage already waiting joins it: two queued patches would deploy the
        // same code twice.
        let joined = match build {
            None => deploy::queued_of_stage(pool, env.id, stage).await?,
            Some(_) => None,
        };
        let id = match joined {
            Some(waiting) => waiting.id,
            None => {
                let version = Some(env.version.specific);
                deploy::insert_with_build(pool, env.id, stage, reason, version, build).await?
            }
        };
        // A request that joins a waiting deploy decides what it builds: it is the newer wish.
        deploy::set_working_tree(pool, id, working_tree).await?;
        Ok(id)
    }

    async fn deploy_by_id(&self, id: i64) -> Result<Deploy, Error> {
        deploy::by_id(self.store.pool(), id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: id.to_string(),
            })
    }

    /// Queues what the Deploy button runs (setup or patch) and returns at once; the deploy
    /// runs in the background, and its events and timeline show how it goes. For a window
    /// that must never wait.
    pub async fn start_deploy(
        self: &Arc<Self>,
        env_id: &str,
        options: DeployOptions,
    ) -> Result<Started, Error> {
        let (env, stage, reason) = self.deploy_request(env_id, options).await?;
        self.start(&env, stage, &reason, None, options.working_tree)
            .await
    }

    /// Cancels what the environment has running and waiting: the running deploy stops its
    /// stage (running tasks are stopped, no further step starts; here at once, in another
    /// process within a moment) and ends `cancelled`; queued deploys end `cancelled` unrun.
    /// Gives the deploys it cancelled.
    pub async fn cancel(&self, env_id: &str) -> Result<Vec<Deploy>, Error> {
        let env = self.environment(env_id).await?;
        let pool = self.store.pool();
        let mut cancelled = Vec::new();
        // The queued ones first: once the running one stops, the next would start.
        let mut deploys = deploy::for_environment(pool, env.id).await?;
        deploys.sort_by_key(|d| d.status != DeployStatus::Queued);
        for d in deploys {
            match d.status {
                DeployStatus::Queued => {
                    let unrun = deploy::set_status(
                        pool,
                        d.id,
                        DeployStatus::Queued,
                        DeployStatus::Cancelled,
                        Some(&DeployOutcome::Cancelled),
                    )
                    .await?;
                    if unrun {
                        self.record_unrun_end(&d, &DeployOutcome::Cancelled, false)
                            .await?;
                    } else {
                        // It started meanwhile: cancel it as a running one.
                        deploy::request_cancel(pool, d.id).await?;
                        self.running.cancel(d.id);
                    }
                    cancelled.push(d.id);
                }
                DeployStatus::Running => {
                    deploy::request_cancel(pool, d.id).await?;
                    self.running.cancel(d.id);
                    cancelled.push(d.id);
                }
                _ => {}
            }
        }
        if cancelled.is_empty() {
            return Err(Error::Conflict {
                message: format!("nothing to cancel: no deploy of {env_id} runs or waits"),
            });
        }
        cancelled.sort_unstable();
        let mut deploys = Vec::with_capacity(cancelled.len());
        for id in cancelled {
            deploys.push(self.deploy_by_id(id).await?);
        }
        Ok(deploys)
    }

    /// The events of a deploy that ended without running: its followers wait for an end, so it
    /// gets one (after a start, when the timeline should show it began and why it ended).
    async fn record_unrun_end(
        &self,
        deploy: &Deploy,
        outcome: &DeployOutcome,
        with_start: bool,
    ) -> Result<(), Error> {
        let mut events = Vec::with_capacity(2);
        if with_start {
            events.push(DeployEvent::StageStarted {
                stage: deploy.stage,
                reason: deploy.reason.clone(),
            });
        }
        events.push(DeployEvent::StageFinished {
            stage: deploy.stage,
            outcome: outcome.clone(),
        });
        for event in deploy::record_events(self.store.pool(), deploy.id, &events).await? {
            let _ = self.live.send(LiveEvent {
                deploy_id: deploy.id,
                event,
            });
        }
        Ok(())
    }

    /// Queues a setup (whatever Deploy would run) and returns at once, as
    /// [`Stagecraft::start_deploy`]: to repair drift, or set up again on purpose.
    pub async fn start_setup(self: &Arc<Self>, env_id: &str) -> Result<Started, Error> {
        let env = self.environment(env_id).await?;
        ensure_standing(&env)?;
        self.start(&env, Stage::Setup, "setup requested", None, false)
            .await
    }

    /// Queues the environment's teardown and returns at once, as [`Stagecraft::start_deploy`].
    pub async fn start_teardown(self: &Arc<Self>, env_id: &str) -> Result<Started, Error> {
        let env = self.environment(env_id).await?;
        self.start(&env, Stage::Teardown, "teardown requested", None, false)
            .await
    }

    /// Queues a deploy and runs the environment's queue in the background.
    async fn start(
        self: &Arc<Self>,
        env: &Environment,
        stage: Stage,
        reason: &str,
        build: Option<i64>,
        working_tree: bool,
    ) -> Result<Started, Error> {
        let id = self
            .enqueue(env, stage, reason, build, working_tree)
            .await?;
        let queue = self.run_in_background(&env.env_id);
        Ok(Started {
            deploy: self.deploy_by_id(id).await?,
            queue,
        })
    }

    fn run_in_background(self: &Arc<Self>, env_id: &str) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        let env_id = env_id.to_owned();
        tokio::spawn(async move {
            if let Err(error) = this.run_queue(&env_id).await {
                tracing::error!(env_id, %error, "the environment's queue could not run");
            }
        })
    }

    /// Runs the environment's queued deploys one after another while this process holds its
    /// lease; returns at once when another holder has it (it runs them).
    async fn run_queue(&self, env_id: &str) -> Result<(), Error> {
        let env = self.environment(env_id).await?;
        loop {
            if !self.queues.enter(env.id) {
                return Ok(());
            }
            let drained = self.drain_queue(env_id).await;
            self.queues.leave(env.id);
            if !drained? {
                return Ok(());
            }
            // A deploy queued while this runner let go would wait for nobody: its task found
            // this one still running here, or its process found this one's lease. Those were
            // queued before, so one look after letting go finds them.
            if deploy::next_queued(self.store.pool(), env.id)
                .await?
                .is_none()
            {
                return Ok(());
            }
        }
    }

    /// Runs queued deploys until none is left, then lets go of the lease: `true`. `false`
    /// when another process holds the lease (it runs them).
    async fn drain_queue(&self, env_id: &str) -> Result<bool, Error> {
        loop {
            let env = self.environment(env_id).await?;
            let pool = self.store.pool();
            let Some(next) = deploy::next_queued(pool, env.id).await? else {
                lease::release(pool, env.id, &self.holder).await?;
                return Ok(true);
            };
            if !lease::acquire(pool, env.id, &self.holder, next.id, self.lease_secs()).await? {
                return Ok(false);
            }
            self.run_deploy(&env, &next).await?;
        }
    }

    fn lease_secs(&self) -> i64 {
        i64::try_from(self.settings.deploy_lease.as_secs().max(1)).unwrap_or(i64::MAX)
    }

    /// On start: deploys left running by a process that died become interrupted, with an
    /// event that says so, and their environments `interrupted`: deploy again to resume, or
    /// tear down. Returns the deploys it interrupted.
    pub async fn recover(&self) -> Result<Vec<i64>, Error> {
        let pool = self.store.pool();
        let mut interrupted = Vec::new();
        for orphan in deploy::orphaned(pool).await? {
            let reason = "Stagecraft stopped while this deploy ran: deploy again to resume it, or tear the environment down".to_owned();
            let event = DeployEvent::DeployInterrupted {
                reason: reason.clone(),
            };
            deploy::append_event(pool, orphan.id, &event).await?;
            deploy::set_status(
                pool,
                orphan.id,
                DeployStatus::Running,
                DeployStatus::Interrupted,
                Some(&DeployOutcome::Interrupted { reason }),
            )
            .await?;
            if let Some(env) = environment::by_id(pool, orphan.environment_id).await?
                && let Ok(next) = env.status.on(EnvironmentEvent::Interrupted)
            {
                environment::set_status(pool, env.id, env.status, next).await?;
            }
            lease::clear_expired(pool, orphan.environment_id).await?;
            tracing::warn!(
                deploy = orphan.id,
                "interrupted a deploy left running by a process that stopped"
            );
            interrupted.push(orphan.id);
        }
        Ok(interrupted)
    }

    async fn run_deploy(&self, env: &Environment, queued: &Deploy) -> Result<(), Error> {
        let renewer = {
            let store = self.store.clone();
            let holder = self.holder.clone();
            let environment_id = env.id;
            let ttl = self.lease_secs();
            let every = (self.settings.deploy_lease / 3).max(Duration::from_millis(100));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    if let Err(error) =
                        lease::renew(store.pool(), environment_id, &holder, ttl).await
                    {
                        tracing::warn!(%error, "could not renew the deploy lease");
                    }
                }
            })
        };
        let cancel = CancellationToken::new();
        self.running.insert(queued.id, cancel.clone());
        let watcher = {
            let store = self.store.clone();
            let cancel = cancel.clone();
            let deploy_id = queued.id;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(CANCEL_CHECK_EVERY);
                loop {
                    tick.tick().await;
                    if deploy::cancel_requested(store.pool(), deploy_id)
                        .await
                        .unwrap_or(false)
                    {
                        cancel.cancel();
                        return;
                    }
                }
            })
        };
        let result = self.execute(env, queued, &cancel).await;
        watcher.abort();
        self.running.remove(queued.id);
        renewer.abort();
        if let Err(error) = &result {
            tracing::error!(deploy = queued.id, %error, "the deploy could not run");
        }
        result.map(|_| ())
    }

    async fn execute(
        &self,
        env: &Environment,
        queued: &Deploy,
        cancel: &CancellationToken,
    ) -> Result<DeployOutcome, Error> {
        let pool = self.store.pool();
        let start = match queued.stage {
            Stage::Setup => EnvironmentEvent::SetupStarted,
            Stage::Patch => EnvironmentEvent::PatchStarted,
            Stage::Teardown | Stage::Build => EnvironmentEvent::TeardownStarted,
        };
        let next = match env.status.on(start) {
            Ok(next) => next,
            Err(refused) => {
                // A deploy queued before the environment changed under it (a patch behind a
                // teardown): it fails unrun, and says why on the timeline, where its
                // followers wait for its end.
                tracing::info!(deploy = queued.id, %refused, "refused before it ran");
                let reason = match env.status {
                    EnvironmentStatus::TornDown => format!(
                        "{} was torn down before this {} could run: create a new environment",
                        env.env_id, queued.stage
                    ),
                    status => format!(
                        "{} is {}, and a {} cannot start from there",
                        env.env_id,
                        status.as_str().replace('_', " "),
                        queued.stage
                    ),
                };
                let outcome = DeployOutcome::Failed { reason, kind: None };
                // Its events first, as a deploy that ran stores them before it finishes.
                self.record_unrun_end(queued, &outcome, true).await?;
                self.finish(queued.id, DeployStatus::Queued, &outcome)
                    .await?;
                return Ok(outcome);
            }
        };
        if !environment::set_status(pool, env.id, env.status, next).await? {
            return Err(Error::Conflict {
                message: format!(
                    "the environment {} changed while starting a deploy: try again",
                    env.env_id
                ),
            });
        }
        if !deploy::set_status(
            pool,
            queued.id,
            DeployStatus::Queued,
            DeployStatus::Running,
            None,
        )
        .await?
        {
            // Cancelled while it waited: the environment goes back to where it was.
            environment::set_status(pool, env.id, next, env.status).await?;
            return Ok(DeployOutcome::Cancelled);
        }

        // Events go to the store in order, from a writer of their own: the runner never waits
        // on the database, and whatever piled up while a write ran goes in one transaction.
        // The deploy's log keeper hears each event first, so a job's output is stored before
        // the event that says it finished.
        let mut logs = match (self.runtime_of(env), self.environment_ref(env).await) {
            (Ok(runtime), Ok(target)) => {
                Some(self.logs.of(runtime, target, env.id).for_deploy(queued.id))
            }
            // The stage fails before any task runs, and says why.
            _ => None,
        };
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
        let writer = {
            let store = self.store.clone();
            let live = self.live.clone();
            let deploy_id = queued.id;
            tokio::spawn(async move {
                while let Some(first) = receiver.recv().await {
                    let mut batch = vec![first];
                    while let Ok(next) = receiver.try_recv() {
                        batch.push(next);
                    }
                    if let Some(logs) = &mut logs {
                        for event in &batch {
                            logs.on(event).await;
                        }
                    }
                    match deploy::record_events(store.pool(), deploy_id, &batch).await {
                        Ok(stored) => {
                            for event in stored {
                                // Nobody following is fine: the events are stored.
                                let _ = live.send(LiveEvent { deploy_id, event });
                            }
                        }
                        Err(error) => {
                            tracing::error!(deploy_id, %error, lost = batch.len(), "events could not be stored");
                        }
                    }
                }
            })
        };
        let outcome = self.run_stage(env, queued, Arc::new(sender), cancel).await;
        let _ = writer.await;

        let env_event = match (&outcome, queued.stage) {
            (DeployOutcome::Succeeded { .. }, Stage::Teardown) => {
                EnvironmentEvent::TeardownSucceeded
            }
            (_, Stage::Teardown) => EnvironmentEvent::TeardownFailed,
            (DeployOutcome::Succeeded { .. }, _) => EnvironmentEvent::DeploySucceeded,
            (DeployOutcome::Failed { .. }, _) => EnvironmentEvent::DeployFailed,
            (DeployOutcome::Cancelled, _) => EnvironmentEvent::DeployCancelled,
            (DeployOutcome::Interrupted { .. }, _) => EnvironmentEvent::Interrupted,
        };
        let done = next.on(env_event).unwrap_or(EnvironmentStatus::Failed);
        environment::set_status(pool, env.id, next, done).await?;
        self.finish(queued.id, DeployStatus::Running, &outcome)
            .await?;
        Ok(outcome)
    }

    async fn finish(
        &self,
        deploy_id: i64,
        from: DeployStatus,
        outcome: &DeployOutcome,
    ) -> Result<(), Error> {
        let status = match outcome {
            DeployOutcome::Succeeded { .. } => DeployStatus::Succeeded,
            DeployOutcome::Failed { .. } => DeployStatus::Failed,
            DeployOutcome::Cancelled => DeployStatus::Cancelled,
            DeployOutcome::Interrupted { .. } => DeployStatus::Interrupted,
        };
        if !from.can_become(status) {
            return Err(Error::Conflict {
                message: format!("a deploy cannot go from {from:?} to {status:?}"),
            });
        }
        deploy::set_status(self.store.pool(), deploy_id, from, status, Some(outcome)).await?;
        Ok(())
    }

    /// Plans and runs the deploy's stage against the environment's runtime; a configuration
    /// that cannot be planned or resolved fails the deploy, with the reason.
    async fn run_stage(
        &self,
        env: &Environment,
        queued: &Deploy,
        sink: Arc<dyn EventSink>,
        cancel: &CancellationToken,
    ) -> DeployOutcome {
        match self.prepare_stage(env, queued, &sink, cancel).await {
            Ok((runtime, plan, workloads, target)) => {
                let runner = Runner::new(runtime, sink);
                runner
                    .run(
                        &target,
                        queued.stage,
                        &queued.reason,
                        &plan,
                        workloads,
                        cancel,
                    )
                    .await
            }
            Err(error) => {
                // The timeline shows why a deploy that never started failed, or that the
                // user cancelled it while it built.
                let outcome = if cancel.is_cancelled() {
                    DeployOutcome::Cancelled
                } else {
                    DeployOutcome::Failed {
                        reason: error.to_string(),
                        kind: error.runtime_kind(),
                    }
                };
                sink.emit(DeployEvent::StageStarted {
                    stage: queued.stage,
                    reason: queued.reason.clone(),
                });
                sink.emit(DeployEvent::StageFinished {
                    stage: queued.stage,
                    outcome: outcome.clone(),
                });
                outcome
            }
        }
    }

    /// What a stage needs to run: its runtime, its plan and its workloads, or why it cannot.
    async fn prepare_stage(
        &self,
        env: &Environment,
        queued: &Deploy,
        sink: &Arc<dyn EventSink>,
        cancel: &CancellationToken,
    ) -> Result<
        (
            Arc<dyn Runtime>,
            WorkflowPlan,
            Arc<stagecraft_engine::Workloads>,
            EnvironmentRef,
        ),
        Error,
    > {
        let Some(runtime) = self.runtimes.0.get(&env.runtime).cloned() else {
            return Err(Error::Conflict {
                message: format!(
                    "the runtime `{}` is not available in this Stagecraft; known: {}",
                    env.runtime,
                    self.runtimes.names().join(", ")
                ),
            });
        };
        let version = queued.config_version.unwrap_or(env.version.specific);
        let config = environment::config(self.store.pool(), env.id, version)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "configuration",
                name: format!("v{}.{version} of {}", env.version.default, env.env_id),
            })?;
        // Named so that every diagnostic says which configuration it is about.
        let file = format!("{} configuration {}", env.env_id, env.version);
        let template = stagecraft_template::load_template(&file, &config.config_yaml);
        let Some(template) = template
            .value
            .filter(|_| !template.diagnostics.has_errors())
        else {
            return Err(Error::Invalid {
                diagnostics: template.diagnostics.0,
            });
        };
        let variables = stagecraft_template::parse_variables(&file, &config.variables_yaml)
            .value
            .unwrap_or_default();
        let variables = self.sealer.unseal_variables(&variables)?;
        let mut injected = Injected::for_environment(&template, &env.env_id, &env.app, &env.branch);
        runtime_ingress(&*runtime, &template, &env.env_id, &mut injected);
        let resolve = |injected: &Injected| {
            stagecraft_template::resolve_variables(&template, &variables, injected, &file)
                .map_err(|d| Error::Invalid { diagnostics: d.0 })
        };
        // Checked before building: a mistake in the variables should not cost a build.
        let mut envs = resolve(&injected)?;
        let mut built = None;
        let mut source = None;
        if matches!(queued.stage, Stage::Setup | Stage::Patch) {
            let build = self
                .build_stage(env, queued, &template, sink, cancel)
                .await?;
            // RELEASE_BUILD_ID and RELEASE_COMMIT_SHA name what is deployed.
            if let Some(id) = build.build_id {
                injected.build_id = id.to_string();
            }
            if let Some(commit) = &build.commit {
                injected.commit_sha.clone_from(commit);
            }
            envs = resolve(&injected)?;
            source = build.source;
            built = Some(build.images);
        }
        let mut workloads = stagecraft_engine::workloads(&template, &envs);
        if let Some(images) = built {
            use_built_images(&mut workloads, &template, &images);
        }
        // The configmap files come from the tree the images were built from; a teardown reads
        // the working tree, and a file it cannot read does not stop the teardown.
        let source = match source {
            Some(source) => source,
            None => self.app_repo(env).await?,
        };
        let files = read_config_files(&mut workloads, &source);
        if let Err(error) = files {
            if queued.stage == Stage::Teardown {
                tracing::warn!(%error, "a configmap file was not read for the teardown");
            } else {
                return Err(error);
            }
        }
        let workloads = Arc::new(workloads);
        let stage = queued.stage;
        let plan = stage
            .workflow()
            .and_then(|name| stagecraft_template::plan_workflow(&template, name))
            .unwrap_or_else(|| WorkflowPlan::empty(stage.workflow().unwrap_or("build")));
        let target = self.environment_ref(env).await?;
        Ok((runtime, plan, workloads, target))
    }
}

impl Stagecraft {
    /// The folder of the environment's app: its working tree.
    async fn app_repo(&self, env: &Environment) -> Result<std::path::PathBuf, Error> {
        app::by_id(self.store.pool(), env.app_id)
            .await?
            .map(|app| std::path::PathBuf::from(app.repo_path))
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })
    }
}

/// Fills each `configmap` entry of the workloads with its file's content, read from `source`
/// (a file outside it, through a link, is refused).
fn read_config_files(
    workloads: &mut stagecraft_engine::Workloads,
    source: &Path,
) -> Result<(), Error> {
    let root = source
        .canonicalize()
        .map_err(|source_error| Error::ReadFile {
            path: source.to_path_buf(),
            source: source_error,
        })?;
    let read = |file: &mut stagecraft_engine::ConfigFile| -> Result<(), Error> {
        let relative = file.repo_path.trim_start_matches("./");
        let path = root.join(relative);
        let real = path.canonicalize().map_err(|e| Error::ConfigFile {
            entry: file.name.clone(),
            message: format!(
                "{} cannot be read ({e}): commit the file, or fix `repo_path`",
                path.display()
            ),
        })?;
        if !real.starts_with(&root) {
            return Err(Error::ConfigFile {
                entry: file.name.clone(),
                message: format!("{} leads outside the repository", file.repo_path),
            });
        }
        file.content = std::fs::read_to_string(&real).map_err(|e| Error::ConfigFile {
            entry: file.name.clone(),
            message: format!("{} cannot be read as text ({e})", real.display()),
        })?;
        Ok(())
    };
    for service in workloads.services.values_mut() {
        for file in &mut service.config_files {
            read(file)?;
        }
    }
    for job in workloads.jobs.values_mut() {
        for file in &mut job.config_files {
            read(file)?;
        }
    }
    Ok(())
}

/// Points `<SERVICE>_INGRESS_URL` and `_HOST` at the address the runtime gives a service's
/// `node_port` (Docker: 127.0.0.1 and a port of its own), where it gives one.
pub(crate) fn runtime_ingress(
    runtime: &dyn Runtime,
    template: &stagecraft_template::Template,
    env_id: &str,
    injected: &mut Injected,
) {
    for (service, port) in stagecraft_engine::exposed_ports(template) {
        let Some(url) = runtime.ingress_url(env_id, &service, port) else {
            continue;
        };
        let host = url
            .split_once("://")
            .map_or(url.as_str(), |(_, rest)| rest)
            .to_owned();
        match injected.ingress.iter_mut().find(|(s, _, _)| *s == service) {
            Some(entry) => *entry = (service, url, host),
            None => injected.ingress.push((service, url, host)),
        }
    }
}

/// The longest an Extend gives: Release resets expiry by up to 7 days.
pub const MAX_EXTENSION: Duration = Duration::from_secs(7 * 24 * 3600);

impl Stagecraft {
    /// Moves an ephemeral environment's expiry to `by` from now (7 days, the most, when not
    /// given).
    pub async fn extend(&self, env_id: &str, by: Option<Duration>) -> Result<Environment, Error> {
        let env = self.environment(env_id).await?;
        if env.kind == EnvironmentKind::Permanent {
            return Err(Error::Conflict {
                message: format!("{env_id} is permanent: it never expires"),
            });
        }
        ensure_standing(&env)?;
        let by = by.unwrap_or(MAX_EXTENSION).min(MAX_EXTENSION);
        environment::expire_in(
            self.store.pool(),
            env.id,
            i64::try_from(by.as_secs()).unwrap_or(i64::MAX),
        )
        .await?;
        self.environment(env_id).await
    }

    /// Tears down every ephemeral environment past its expiry, including those that expired
    /// while Stagecraft was closed. Returns the teardowns it ran or queued.
    pub async fn expire_due(&self) -> Result<Vec<DeployReport>, Error> {
        let mut reports = Vec::new();
        for env_id in environment::expired(self.store.pool()).await? {
            let env = self.environment(&env_id).await?;
            let reason = format!(
                "expired at {}",
                env.expires_at.as_deref().unwrap_or("an unknown time")
            );
            reports.push(self.queue(&env, Stage::Teardown, &reason).await?);
        }
        Ok(reports)
    }
}

/// Services built from the repository run the image just built (or reused); so do the jobs
/// made `from_services` them that name no image of their own.
fn use_built_images(
    workloads: &mut stagecraft_engine::Workloads,
    template: &stagecraft_template::Template,
    built: &[(String, String)],
) {
    for (service, tag) in built {
        if let Some(spec) = workloads.services.get_mut(service) {
            spec.image = tag.clone();
            spec.built = true;
        }
        for job in &template.jobs {
            let inherits = job.image.is_none()
                && job
                    .from_services
                    .as_ref()
                    .is_some_and(|f| f.as_str() == service);
            if let (true, Some(name)) = (inherits, &job.name)
                && let Some(spec) = workloads.jobs.get_mut(name.as_str())
            {
                spec.image = tag.clone();
                spec.built = true;
            }
        }
    }
}

impl Stagecraft {
    /// Brings the ledger of every interrupted environment in line with what its runtime says
    /// exists: objects found by the environment's labels but not recorded are recorded (so
    /// teardown removes them), recorded objects that are gone are marked removed. Call it once
    /// the runtimes are registered. Returns `(env_id, what changed)`.
    pub async fn reconcile_ledgers(&self) -> Result<Vec<(String, String)>, Error> {
        let pool = self.store.pool();
        let mut report = Vec::new();
        for env in self.environments().await? {
            if env.status != EnvironmentStatus::Interrupted {
                continue;
            }
            let Some(runtime) = self.runtimes.0.get(&env.runtime) else {
                continue;
            };
            let target = self.environment_ref(&env).await?;
            let found = match runtime.objects(&target).await {
                Ok(found) => found,
                Err(error) => {
                    report.push((
                        env.env_id.clone(),
                        format!("the runtime could not list its objects: {error}"),
                    ));
                    continue;
                }
            };
            let live = stagecraft_store::ledger::live(pool, env.id).await?;
            let mut recorded = 0;
            for object in &found {
                if !live
                    .iter()
                    .any(|l| l.kind == object.kind && l.name == object.name)
                {
                    stagecraft_store::ledger::record(pool, env.id, &object.kind, &object.name)
                        .await?;
                    recorded += 1;
                }
            }
            let mut gone = 0;
            for entry in &live {
                if !found
                    .iter()
                    .any(|o| o.kind == entry.kind && o.name == entry.name)
                {
                    stagecraft_store::ledger::mark_removed(pool, env.id, &entry.kind, &entry.name)
                        .await?;
                    gone += 1;
                }
            }
            report.push((
                env.env_id.clone(),
                format!("{recorded} object(s) found that were not recorded, {gone} recorded object(s) gone"),
            ));
        }
        Ok(report)
    }
}

/// How long before expiry the user is warned (Release mails a day ahead).
pub const EXPIRY_WARNING: Duration = Duration::from_secs(24 * 3600);

impl Stagecraft {
    /// Records an expiry warning for each ephemeral environment that expires within a day and
    /// has not been warned about its current expiry (an Extend earns a new warning). Returns
    /// the new notices' environments and messages, for the app to show.
    pub async fn expiry_warnings(&self) -> Result<Vec<(String, String)>, Error> {
        let pool = self.store.pool();
        let within = i64::try_from(EXPIRY_WARNING.as_secs()).unwrap_or(i64::MAX);
        let mut warned = Vec::new();
        for (id, env_id, expires_at) in
            stagecraft_store::notice::expiring_unwarned(pool, within).await?
        {
            let message = format!(
                "{env_id} expires at {expires_at} and will be torn down: extend it to keep it"
            );
            if stagecraft_store::notice::record(
                pool,
                id,
                "expiry_warning",
                &message,
                Some(&expires_at),
            )
            .await?
            {
                warned.push((env_id, message));
            }
        }
        Ok(warned)
    }

    /// An environment's notices, newest first.
    pub async fn notices(
        &self,
        env_id: &str,
    ) -> Result<Vec<stagecraft_store::notice::Notice>, Error> {
        let env = self.environment(env_id).await?;
        Ok(stagecraft_store::notice::for_environment(self.store.pool(), env.id).await?)
    }

    /// What runs on a clock: expiry warnings, teardowns of expired environments, patches of
    /// new commits. The app calls it every minute once a runtime is registered.
    pub async fn tick(&self) -> Result<Tick, Error> {
        Ok(Tick {
            warnings: self.expiry_warnings().await?,
            expired: self.expire_due().await?,
            patched: self.check_commits().await?,
        })
    }
}

/// How often the app's clock runs [`Stagecraft::tick`].
pub const TICK_EVERY: Duration = Duration::from_secs(60);

impl Stagecraft {
    /// Takes up every deployed environment in this process: each service's log followed from
    /// now, and what its runtime keeps only while a process runs (Docker's liveness watching,
    /// Kubernetes' `node_port` forwards). The workloads are those of the environment's last
    /// successful setup or patch, with that deploy's images. Gives the environments taken up;
    /// one that cannot be is logged and skipped.
    pub async fn resume_environments(&self) -> Result<Vec<String>, Error> {
        let mut resumed = Vec::new();
        for env in environment::list(self.store.pool()).await? {
            if env.status != EnvironmentStatus::Deployed {
                continue;
            }
            let Some(last) = deploy::for_environment(self.store.pool(), env.id)
                .await?
                .into_iter()
                .rev()
                .find(|d| {
                    d.status == DeployStatus::Succeeded
                        && matches!(d.stage, Stage::Setup | Stage::Patch)
                })
            else {
                continue;
            };
            // Nobody follows these events: the images are the last deploy's, nothing is built.
            let (sink, _) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
            let sink: Arc<dyn EventSink> = Arc::new(sink);
            let prepared = self
                .prepare_stage(&env, &last, &sink, &CancellationToken::new())
                .await;
            let (runtime, _, workloads, target) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => {
                    tracing::warn!(env_id = env.env_id, %error, "not taken up");
                    continue;
                }
            };
            let logs = self.logs.of(Arc::clone(&runtime), target.clone(), env.id);
            for service in workloads.services.values() {
                match runtime.resume_service(&target, service).await {
                    Ok(()) => logs.follow_resumed(&service.name).await,
                    Err(error) => {
                        tracing::warn!(env_id = env.env_id, service = service.name, %error, "not taken up");
                    }
                }
            }
            resumed.push(env.env_id.clone());
        }
        Ok(resumed)
    }

    /// The app's clock, for as long as it runs: first the ledgers of interrupted environments
    /// are brought in line with their runtimes and deployed environments are taken up, then
    /// [`Stagecraft::tick`] runs every `every`. A failed round is logged and the next one runs
    /// as usual.
    pub async fn run_clock(&self, every: Duration) {
        match self.reconcile_ledgers().await {
            Ok(report) => {
                for (env_id, what) in report {
                    tracing::info!(env_id, what, "ledger reconciled");
                }
            }
            Err(error) => tracing::warn!(%error, "the ledgers could not be reconciled"),
        }
        match self.resume_environments().await {
            Ok(resumed) => {
                for env_id in resumed {
                    tracing::info!(env_id, "deployed environment taken up");
                }
            }
            Err(error) => tracing::warn!(%error, "the deployed environments could not be taken up"),
        }
        let mut clock = tokio::time::interval(every);
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            clock.tick().await;
            match self.tick().await {
                Ok(tick) => {
                    for (env_id, warning) in &tick.warnings {
                        tracing::info!(env_id, warning, "expiry warning");
                    }
                    for report in tick.expired.iter().chain(&tick.patched) {
                        tracing::info!(
                            deploy = report.deploy.id,
                            stage = %report.deploy.stage,
                            status = ?report.deploy.status,
                            "deploy run by the clock"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "the clock's round failed"),
            }
        }
    }
}

/// What one [`Stagecraft::tick`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub warnings: Vec<(String, String)>,
    pub expired: Vec<DeployReport>,
    pub patched: Vec<DeployReport>,
}

/// A torn down environment takes no more deploys.
pub(crate) fn ensure_standing(env: &Environment) -> Result<(), Error> {
    if matches!(
        env.status,
        EnvironmentStatus::TornDown | EnvironmentStatus::TearingDown
    ) {
        return Err(Error::Conflict {
            message: format!(
                "the environment {} is torn down: create a new one",
                env.env_id
            ),
        });
    }
    Ok(())
}
