//! Environments: one running instance of an app, created from its latest configuration and an
//! environment template, listed with what each is doing, extended before it expires.

use std::time::Duration;

use serde::Serialize;
use stagecraft_engine::{Environment, EnvironmentKind, EnvironmentStatus};
use stagecraft_store::environment::NewEnvironment;
use stagecraft_store::{deploy, environment};

use crate::{Error, Stagecraft};

/// How long an ephemeral environment lives unless extended (Release's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3 * 24 * 3600);

/// The longest an Extend gives: Release resets expiry by up to 7 days.
pub const MAX_EXTENSION: Duration = Duration::from_secs(7 * 24 * 3600);

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
    /// The branch need not exist in the app's git repository: its deploys then build the
    /// working tree, and say so. Without it, a branch the repository lacks is refused.
    pub working_tree: bool,
    /// Values of the template's parameters (`--param NAME=VALUE`); those left out take their
    /// default, and a required one left out is refused.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The dataset its volumes start from (`--dataset`); without it, the first of its
    /// template's `datasets` names that is a dataset of the app, if any.
    pub dataset: Option<String>,
}

/// The state Release's CLI and API give an environment: a running deploy says its stage
/// (`deploying_setup`, `deploying_patch`, …), a queued one (or none yet) `waiting`, else the
/// status's own name (`deployed`, `degraded`, `paused`, `failed`, `torn_down`, …).
pub fn release_state(
    status: EnvironmentStatus,
    activity: Option<&stagecraft_store::deploy::Activity>,
) -> String {
    fn word(value: &impl Serialize) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
    if let Some(activity) = activity {
        if let Some(stage) = &activity.stage {
            return format!("deploying_{}", word(stage));
        }
        if activity.queued > 0 {
            return "waiting".to_owned();
        }
    }
    match status {
        EnvironmentStatus::Created => "waiting".to_owned(),
        status => word(&status),
    }
}

/// One line of the environments list.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentRow {
    pub environment: Environment,
    pub activity: Option<stagecraft_store::deploy::Activity>,
    pub urls: Vec<crate::Hostname>,
    /// Its services ready, of how many, as the last health round saw them; only for a
    /// deployed or degraded environment.
    pub services_ready: Option<(i64, i64)>,
}

impl EnvironmentRow {
    /// Its state as Release's CLI and API give it ([`release_state`]).
    pub fn release_state(&self) -> String {
        release_state(self.environment.status, self.activity.as_ref())
    }
}

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

impl Stagecraft {
    /// Makes an environment of an app: its own configuration is the app's latest template
    /// merged with the chosen environment template, and its variables the app's, as Release
    /// makes them when an environment is created. Nothing is deployed yet.
    pub async fn create_environment(
        &self,
        request: CreateEnvironment,
    ) -> Result<Environment, Error> {
        self.make_environment(request, false).await
    }

    /// As [`Stagecraft::create_environment`]; `adopting` brings back an environment a runtime
    /// holds: its id is the one it has (no handle is checked out, whatever its form), and
    /// required parameters wait for `params-set` (its values are not known: its deploy says
    /// which to set).
    pub(crate) async fn make_environment(
        &self,
        request: CreateEnvironment,
        adopting: bool,
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
        let specs = stagecraft_template::declared_parameters(&own);
        stagecraft_template::check_parameter_names(&specs, &request.parameters)
            .and_then(|()| {
                if adopting {
                    Ok(())
                } else {
                    stagecraft_template::parameter_values(&specs, &request.parameters).map(drop)
                }
            })
            .map_err(|problem| Error::InvalidRequest {
                field: "parameters",
                message: match problem {
                    stagecraft_template::ParameterProblem::Missing { .. } => format!(
                        "{problem}: give it when creating the environment (`--param \
                         NAME=VALUE`, or its field in the New environment dialog)"
                    ),
                    stagecraft_template::ParameterProblem::Unknown { .. } => problem.to_string(),
                },
            })?;
        // The app's configuration as kept, not `own` (merged, it has no lines): its imports
        // located where that configuration has them, named as a deploy names it.
        let kept = format!("{} configuration v{}", app.name, config.version);
        self.check_imports(&template, &kept, &app.name).await?;
        // An environment template may add imports of its own.
        self.check_imports(&own, &kept, &app.name).await?;
        let parameters_json = crate::parameters::to_json(&request.parameters);
        let variables = stagecraft_template::parse_variables("variables", &config.variables_yaml)
            .value
            .unwrap_or_default();
        let variables = environment_variables(variables);
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
        let repo = std::path::Path::new(&app.repo_path);
        if !request.working_tree
            && crate::branch_commit(repo, &branch).is_none()
            && let Some(branches) = crate::commits::branches(repo)
        {
            return Err(Error::InvalidRequest {
                field: "branch",
                message: format!(
                    "`{branch}` is not a branch of {}: its branches are {}. Create the branch \
                     first, or ask for its deploys to build the working tree instead \
                     (`--working-tree`)",
                    app.repo_path,
                    if branches.is_empty() {
                        "none yet (commit first)".to_owned()
                    } else {
                        branches.join(", ")
                    }
                ),
            });
        }
        let config_yaml = stagecraft_template::template_to_yaml(&own);
        let variables_yaml = stagecraft_template::variables_to_yaml(&variables);
        // A handle of the pool the template asks for is the id (Release's environment
        // handles); else the name given, else a random id. Two creations may check out one
        // handle at once: the one that loses takes the next free one.
        let dataset = if adopting {
            None
        } else {
            self.dataset_for_new(app.id, &own, request.dataset.as_deref(), &request.runtime)
                .await?
        };
        let mut attempts = 0;
        let env_id = loop {
            attempts += 1;
            let handle = if adopting {
                None
            } else {
                self.check_out_handle(&app, &own, request.name.as_deref())
                    .await?
            };
            let env_id = match (&handle, &request.name) {
                (Some(handle), _) => handle.clone(),
                (None, Some(name)) if adopting => name.clone(),
                (None, Some(name)) => {
                    crate::handles::check_id(name, "name")?;
                    name.clone()
                }
                (None, None) => random_env_id(),
            };
            let made = environment::create(
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
                &parameters_json,
            )
            .await;
            match made {
                Ok(_) => break env_id,
                Err(stagecraft_store::StoreError::Conflict { .. })
                    if handle.is_some() && request.name.is_none() && attempts < 5 => {}
                Err(error) => return Err(error.into()),
            }
        };
        let env = self.environment(&env_id).await?;
        if let Some(dataset) = &dataset {
            stagecraft_store::dataset::attach(self.store.pool(), env.id, dataset).await?;
        }
        // Release chooses the imported apps' branches when the environment is made.
        self.keep_import_branches(&env, &own, &config.template_file)
            .await?;
        Ok(env)
    }

    /// Before a forced teardown (`environments delete --force`): disconnects what holds the
    /// environment's objects and is not its own (Docker: other containers on its networks),
    /// which would keep the teardown from removing them. Gives what it disconnected.
    pub async fn release_holders(&self, env_id: &str) -> Result<Vec<String>, Error> {
        let env = self.environment(env_id).await?;
        let runtime = self.runtime_of(&env)?;
        let target = self.environment_ref(&env).await?;
        runtime
            .release_holders(&target)
            .await
            .map_err(|source| Error::Runtime {
                env_id: env.env_id.clone(),
                runtime: env.runtime.clone(),
                source,
            })
    }

    pub async fn environments(&self) -> Result<Vec<Environment>, Error> {
        Ok(environment::list(self.store.pool()).await?)
    }

    /// The environments list as people read it: each environment with what it is doing now
    /// (the stage and step its deploy runs, the deploys waiting) and its services' URLs.
    pub async fn environment_rows(&self) -> Result<Vec<EnvironmentRow>, Error> {
        let environments = environment::list(self.store.pool()).await?;
        self.rows_of(environments).await
    }

    /// One environment as the environments list shows it, read at once with what it is
    /// doing and its services' readiness (the HTTP API's GET is this).
    pub async fn environment_row(&self, env_id: &str) -> Result<EnvironmentRow, Error> {
        let (environment, activity, ready) = environment::with_activity(self.store.pool(), env_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "environment",
                name: env_id.to_owned(),
            })?;
        Ok(self.row(environment, activity, ready).await)
    }

    async fn rows_of(&self, environments: Vec<Environment>) -> Result<Vec<EnvironmentRow>, Error> {
        let mut activity = deploy::activity(self.store.pool()).await?;
        let ready = environment::services_ready(self.store.pool()).await?;
        let mut rows = Vec::with_capacity(environments.len());
        for environment in environments {
            let now = activity
                .iter()
                .position(|a| a.environment_id == environment.id)
                .map(|i| activity.swap_remove(i));
            let ready = ready
                .iter()
                .find(|r| r.0 == environment.id)
                .map(|&(_, ready, total)| (ready, total));
            rows.push(self.row(environment, now, ready).await);
        }
        Ok(rows)
    }

    /// An environment's row: its URLs (none once torn down), what it does now, and its
    /// services' readiness while it is deployed.
    async fn row(
        &self,
        environment: Environment,
        activity: Option<deploy::Activity>,
        ready: Option<(i64, i64)>,
    ) -> EnvironmentRow {
        let urls = if environment.status == EnvironmentStatus::TornDown {
            Vec::new()
        } else {
            // A configuration that no longer reads shows no URLs here; its own screen says
            // what is wrong with it.
            self.cached_hostnames(&environment)
                .await
                .unwrap_or_default()
        };
        let services_ready = matches!(
            environment.status,
            EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
        )
        .then_some(ready)
        .flatten();
        EnvironmentRow {
            environment,
            activity,
            urls,
            services_ready,
        }
    }

    pub async fn environment(&self, env_id: &str) -> Result<Environment, Error> {
        environment::by_env_id(self.store.pool(), env_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "environment",
                name: env_id.to_owned(),
            })
    }

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
}

/// A torn down environment takes no more deploys; one whose teardown left objects behind takes
/// only another teardown.
pub(crate) fn ensure_standing(env: &Environment) -> Result<(), Error> {
    if env.status == EnvironmentStatus::TeardownFailed {
        return Err(Error::Conflict {
            message: format!(
                "the last teardown of {id} left objects behind: tear it down again \
                 (stagecraft environments delete {id})",
                id = env.env_id
            ),
        });
    }
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

/// An environment's copy of its app's variables: the `defaults` kept under the name `envs`.
pub(crate) fn environment_variables(
    app: stagecraft_template::VariablesFile,
) -> stagecraft_template::VariablesFile {
    stagecraft_template::VariablesFile {
        envs: app.defaults.iter().chain(&app.envs).cloned().collect(),
        defaults: Vec::new(),
        ..app
    }
}
