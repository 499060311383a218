//! `stagecraft environments create|list|get|delete|adopt|extend|pause|resume|schedule|config-get|
//! config-set|vars-get|params-get|params-set`: environments of apps, and how an environment prints.

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use stagecraft_api::{
    DeployRequest, EnvironmentRow, Error, PresetOptions, PresetView, Stagecraft, Wait,
};
use stagecraft_engine::Environment;

use crate::Output;
use crate::deploys::{deploy_and_wait, deploy_report};
use crate::output::{raw, structured, table};

/// The environment a command is about: `ID`, or Release's `--environment ID`; Release's
/// `--app`, when given, must be the environment's app. An id in double quotes (what `jq`
/// without `-r` prints) is taken without them, as Release's scripts pass it.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The environment's id.
    #[arg(required_unless_present = "environment")]
    id: Option<String>,
    /// The environment's id, as Release's CLI takes it.
    #[arg(long, conflicts_with = "id")]
    environment: Option<String>,
    /// The environment's app, as Release's CLI takes it: checked.
    #[arg(long)]
    app: Option<String>,
}

impl Target {
    /// The environment's id, checked against `--app` when given.
    pub(crate) async fn resolve(&self, stagecraft: &Stagecraft) -> Result<String, Error> {
        let given = self
            .id
            .as_deref()
            .or(self.environment.as_deref())
            .unwrap_or_default()
            .trim();
        let id = given
            .strip_prefix('"')
            .and_then(|g| g.strip_suffix('"'))
            .unwrap_or(given)
            .to_owned();
        if let Some(app) = &self.app {
            let env = stagecraft.environment(&id).await?;
            if &env.app != app {
                return Err(Error::InvalidRequest {
                    field: "app",
                    message: format!("{id} is an environment of {}, not of {app}", env.app),
                });
            }
        }
        Ok(id)
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Environments {
    /// Creates an environment of an app and sets it up (unless `--skip-deploy`).
    Create {
        /// The app; a preset's when `--preset` is given.
        #[arg(long, required_unless_present = "preset")]
        app: Option<String>,
        /// Saved options (`stagecraft presets save`): each flag given here wins over it.
        #[arg(long)]
        preset: Option<String>,
        /// The branch; the app's tracking branch when not given.
        #[arg(long)]
        branch: Option<String>,
        /// The `environment_templates` entry: ephemeral (when neither this nor a preset says)
        /// or permanent.
        #[arg(long)]
        template: Option<String>,
        /// `docker` (when neither this nor a preset says), or `kube:<context>`.
        #[arg(long)]
        runtime: Option<String>,
        /// The environment's id: a permanent one's name, or a free handle of the pool its
        /// template asks for; without it, a free handle of that pool, else a random id.
        #[arg(long)]
        name: Option<String>,
        /// Hours until an ephemeral environment expires.
        #[arg(long)]
        ttl_hours: Option<u64>,
        /// Create it without setting it up; `deploys create` sets it up later.
        #[arg(long)]
        skip_deploy: bool,
        /// The branch need not exist in the app's repository: its deploys build the working
        /// tree, and say so. Without it, a branch the repository lacks is refused.
        #[arg(long)]
        working_tree: bool,
        /// A value of one of the template's parameters (`--param llm=gpt-4`, again for each);
        /// those not given take their default, and a required one must be given.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = name_value)]
        params: Vec<(String, String)>,
        /// A dataset (`stagecraft datasets create`) its volumes start from: its first setup
        /// fills them before anything runs and skips the jobs the dataset covers. Without it,
        /// the first of its template's `datasets` names that is a dataset of the app.
        #[arg(long)]
        dataset: Option<String>,
    },
    /// Every environment (`--app`: of one app). With `-o json`, each has Release's `id`,
    /// `tracking_branch` and `state` besides Stagecraft's own fields.
    List {
        #[arg(long)]
        app: Option<String>,
    },
    /// One environment.
    Get {
        #[command(flatten)]
        target: Target,
    },
    /// Tears the environment down: its teardown workflow, then everything it created.
    Delete {
        #[command(flatten)]
        target: Target,
        /// First disconnect what holds its objects and is not its own (other containers on
        /// its networks), which would keep the teardown from removing them.
        #[arg(long)]
        force: bool,
    },
    /// Stops the environment's containers and keeps everything else (volumes, network, the
    /// containers themselves; on Kubernetes its Deployments scaled to zero): it takes no
    /// memory or CPU until resumed. Expiry goes on while it is paused.
    Pause { id: String },
    /// Starts a paused environment's services again, in the setup workflow's order, each
    /// waited for until ready; its jobs are not run again.
    Resume { id: String },
    /// Shows or sets the environment's pausing schedule: paused and resumed by the clock (the
    /// app's, or `stagecraft serve`'s) at local times on chosen weekdays, as in `--pause 19:00
    /// --resume 08:00 --days mon-fri`. Without its own, it follows its app's default
    /// (`apps schedule`). A scheduled resume resumes only the schedule's own pause.
    Schedule {
        id: String,
        #[command(flatten)]
        flags: crate::schedule::ScheduleFlags,
        /// No schedule for it, whatever its app's default.
        #[arg(long, conflicts_with_all = ["pause", "resume", "days", "app_default"])]
        off: bool,
        /// Follows its app's default again (its own schedule removed).
        #[arg(long, conflicts_with_all = ["pause", "resume", "days"])]
        app_default: bool,
    },
    /// Environments a runtime still holds (by their labels) that no record here names, as after
    /// the database was deleted; with an ID, brings that one back: its record, `created`, with
    /// everything the runtime holds of it in its ledger (Deploy sets it up, delete removes it).
    Adopt { id: Option<String> },
    /// Moves an ephemeral environment's expiry up to 7 days from now.
    Extend {
        id: String,
        #[arg(long, default_value_t = 7)]
        days: u64,
    },
    /// Prints the environment's own configuration (YAML).
    ConfigGet {
        #[command(flatten)]
        target: Target,
    },
    /// Replaces the environment's configuration with the YAML on standard input (validated).
    ConfigSet {
        #[command(flatten)]
        target: Target,
    },
    /// The final variables of every service and job, secrets masked.
    VarsGet {
        #[command(flatten)]
        target: Target,
    },
    /// The environment's variables file, each secret shown as ••••••: what `vars-set` takes.
    VarsFile { id: String },
    /// Replaces the environment's variables file with the YAML on standard input (checked; a
    /// secret left as •••••• keeps its value); the next deploy runs setup. Not with GitOps.
    VarsSet { id: String },
    /// The template's parameters with the values the environment was given, and their
    /// defaults.
    ParamsGet { id: String },
    /// The apps the environment's template imports (`app_imports`): the branch each runs,
    /// why that one, the commit its files are read from, its services and those left out.
    Imports { id: String },
    /// Gives parameters new values (a new configuration version: the next deploy runs setup).
    ParamsSet {
        id: String,
        /// `NAME=VALUE`, one for each parameter to change.
        #[arg(value_name = "NAME=VALUE", value_parser = name_value, required_unless_present = "unset")]
        params: Vec<(String, String)>,
        /// Takes a value back: the parameter takes its default again.
        #[arg(long, value_name = "NAME")]
        unset: Vec<String>,
    },
}

/// `NAME=VALUE`, split at the first `=`.
pub(crate) fn name_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

impl Environments {
    /// Whether the command talks to the Docker engine: `create` (unless `--skip-deploy`)
    /// deploys with it, `delete` tears down with it, `pause` and `resume` stop and start its
    /// containers.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(
            self,
            Environments::Create {
                skip_deploy: false,
                ..
            } | Environments::Delete { .. }
                | Environments::Adopt { .. }
                | Environments::Pause { .. }
                | Environments::Resume { .. }
        )
    }
}

/// Runs `request` for environment `id` to its end and reports it as `deploys create` does.
async fn run_to_end(
    stagecraft: &Arc<Stagecraft>,
    id: &str,
    request: DeployRequest,
    output: Output,
) -> Result<u8, Error> {
    let report = stagecraft
        .submit(id, request, Wait::UntilEnded)
        .await?
        .report();
    deploy_report(stagecraft, id, Some(&report), output).await
}

pub(crate) async fn execute(
    stagecraft: &Arc<Stagecraft>,
    command: Environments,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Environments::Create {
            app,
            preset,
            branch,
            template,
            runtime,
            name,
            ttl_hours,
            skip_deploy,
            working_tree,
            params,
            dataset,
        } => {
            let given = PresetOptions {
                branch,
                template,
                ttl_hours,
                runtime,
                parameters: params.into_iter().collect(),
            };
            let mut request = match preset {
                Some(preset) => {
                    let preset = stagecraft.preset(&preset).await?;
                    if let Some(app) = app.filter(|a| *a != preset.app) {
                        return Err(Error::InvalidRequest {
                            field: "app",
                            message: format!(
                                "the preset {} is for {}, not {app}",
                                preset.name, preset.app
                            ),
                        });
                    }
                    preset.request(given)?
                }
                None => PresetView {
                    name: String::new(),
                    app: app.unwrap_or_default(),
                    options: PresetOptions::default(),
                }
                .request(given)?,
            };
            request.name = name;
            request.working_tree = working_tree;
            request.dataset = dataset;
            let env = stagecraft.create_environment(request).await?;
            // As Release's does: a new environment is set up unless told not to.
            let report = if skip_deploy {
                None
            } else {
                Some(deploy_and_wait(stagecraft, &env.env_id, DeployRequest::DEPLOY).await?)
            };
            return deploy_report(stagecraft, &env.env_id, report.as_ref(), output).await;
        }
        Environments::List { app } => {
            let rows: Vec<EnvironmentRow> = stagecraft
                .environment_rows()
                .await?
                .into_iter()
                .filter(|r| app.as_ref().is_none_or(|a| &r.environment.app == a))
                .collect();
            print_environments(&rows, output, false);
        }
        Environments::Get { target } => {
            let id = target.resolve(stagecraft).await?;
            print_environments(&[stagecraft.environment_row(&id).await?], output, true);
        }
        Environments::Delete { target, force } => {
            let id = target.resolve(stagecraft).await?;
            if force {
                for released in stagecraft.release_holders(&id).await? {
                    eprintln!("disconnected {released}");
                }
            }
            return run_to_end(stagecraft, &id, DeployRequest::Teardown, output).await;
        }
        Environments::Pause { id } => {
            return run_to_end(stagecraft, &id, DeployRequest::Pause, output).await;
        }
        Environments::Resume { id } => {
            return run_to_end(stagecraft, &id, DeployRequest::Resume, output).await;
        }
        Environments::Schedule {
            id,
            flags,
            off,
            app_default,
        } => {
            crate::schedule::environment(stagecraft, &id, flags, off, app_default, output).await?;
        }
        Environments::Adopt { id: None } => {
            let orphans = stagecraft.orphans().await?;
            match output {
                Output::Table => table(
                    &["ENVIRONMENT", "APP", "RUNTIME", "APP ADDED"],
                    &orphans
                        .iter()
                        .map(|o| {
                            vec![
                                o.env_id.clone(),
                                o.app.clone(),
                                o.runtime.clone(),
                                if o.app_added {
                                    "yes"
                                } else {
                                    "no: add it first"
                                }
                                .to_owned(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&orphans, output),
            }
        }
        Environments::Adopt { id: Some(id) } => {
            let env = stagecraft.adopt(&id).await?;
            print_environments(
                &[stagecraft.environment_row(&env.env_id).await?],
                output,
                true,
            );
        }
        Environments::Extend { id, days } => {
            let env = stagecraft
                .extend(&id, Some(Duration::from_secs(days * 24 * 3600)))
                .await?;
            print_environments(
                &[stagecraft.environment_row(&env.env_id).await?],
                output,
                true,
            );
        }
        Environments::Imports { id } => {
            let imports = stagecraft.environment_imports(&id).await?;
            match output {
                Output::Table => table(
                    &["APP", "BRANCH", "WHY", "COMMIT", "SERVICES", "EXCLUDED"],
                    &imports
                        .iter()
                        .map(|i| {
                            vec![
                                i.app.clone(),
                                i.branch.clone(),
                                i.why.clone(),
                                i.commit.as_deref().map_or_else(
                                    || "(working tree)".to_owned(),
                                    |c| c.chars().take(12).collect(),
                                ),
                                i.services.join(", "),
                                i.excluded.join(", "),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&imports, output),
            }
        }
        Environments::ParamsGet { id } => {
            print_parameters(&stagecraft.parameters(&id).await?, output);
        }
        Environments::ParamsSet { id, params, unset } => {
            let views = stagecraft
                .set_parameters(&id, params.into_iter().collect(), unset)
                .await?;
            print_parameters(&views, output);
        }
        Environments::ConfigGet { target } => {
            let id = target.resolve(stagecraft).await?;
            let config = stagecraft.config_get(&id).await?;
            match output {
                Output::Table => raw(&config.config_yaml),
                _ => structured(&config, output),
            }
        }
        Environments::ConfigSet { target } => {
            let id = target.resolve(stagecraft).await?;
            let yaml = read_stdin()?;
            let config = stagecraft.config_set(&id, &yaml).await?;
            match output {
                Output::Table => table(&["ENVIRONMENT", "VERSION"], &[vec![id, config.version]]),
                _ => structured(&config, output),
            }
        }
        Environments::VarsFile { id } => {
            let file = stagecraft.environment_variables_file(&id).await?;
            match output {
                Output::Table => raw(&file.yaml),
                _ => structured(&file, output),
            }
        }
        Environments::VarsSet { id } => {
            let yaml = read_stdin()?;
            let config = stagecraft.environment_variables_set(&id, &yaml).await?;
            match output {
                Output::Table => table(
                    &["VERSION", "SAVED"],
                    &[vec![config.version.clone(), config.created_at.clone()]],
                ),
                _ => structured(&config, output),
            }
        }
        Environments::VarsGet { target } => {
            let id = target.resolve(stagecraft).await?;
            let workloads = stagecraft.variables_get(&id).await?;
            match output {
                Output::Table => table(
                    &["WORKLOAD", "KEY", "VALUE"],
                    &workloads
                        .iter()
                        .flat_map(|w| {
                            w.vars
                                .iter()
                                .map(|v| vec![w.workload.clone(), v.key.clone(), v.value.clone()])
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&workloads, output),
            }
        }
    }
    Ok(0)
}

pub(crate) fn environment_rows(envs: &[Environment]) -> Vec<Vec<String>> {
    envs.iter()
        .map(|e| {
            vec![
                e.env_id.clone(),
                e.app.clone(),
                e.branch.clone(),
                e.kind.as_str().to_owned(),
                e.status.as_str().to_owned(),
                e.version.to_string(),
                e.expires_at.clone().unwrap_or_else(|| "never".into()),
            ]
        })
        .collect()
}

pub(crate) const ENVIRONMENT_HEADER: [&str; 7] = [
    "ID", "APP", "BRANCH", "KIND", "STATUS", "VERSION", "EXPIRES",
];

/// An environment as Release's CLI shows it: `.environment.id` and
/// `.environment.hostnames[0].url` are what scripts read.
/// The JSON field names are kept stable; `id` and `env_id` are the same value (Release calls
/// it `id`).
#[derive(serde::Serialize)]
pub(crate) struct EnvironmentOut<'a> {
    id: &'a str,
    env_id: &'a str,
    app: &'a str,
    branch: &'a str,
    /// Release's name for `branch`.
    tracking_branch: &'a str,
    /// Release's state: `deployed`, `waiting` (a deploy queued, or never set up),
    /// `deploying_setup`, `deploying_patch`, … (see [`stagecraft_api::EnvironmentRow`]).
    state: String,
    kind: stagecraft_engine::EnvironmentKind,
    environment_template: &'a str,
    /// `v{default}.{specific}`.
    version: String,
    runtime: &'a str,
    status: stagecraft_engine::EnvironmentStatus,
    expires_at: Option<&'a str>,
    created_at: &'a str,
    hostnames: Vec<stagecraft_api::Hostname>,
}

impl<'a> EnvironmentOut<'a> {
    pub(crate) fn new(
        environment: &'a Environment,
        hostnames: Vec<stagecraft_api::Hostname>,
    ) -> Self {
        Self {
            id: &environment.env_id,
            env_id: &environment.env_id,
            app: &environment.app,
            branch: &environment.branch,
            tracking_branch: &environment.branch,
            state: stagecraft_api::release_state(environment.status, None),
            kind: environment.kind,
            environment_template: &environment.environment_template,
            version: environment.version.to_string(),
            runtime: &environment.runtime,
            status: environment.status,
            expires_at: environment.expires_at.as_deref(),
            created_at: &environment.created_at,
            hostnames,
        }
    }
}

fn print_environments(rows: &[EnvironmentRow], output: Output, single: bool) {
    if output == Output::Table {
        let envs: Vec<Environment> = rows.iter().map(|r| r.environment.clone()).collect();
        table(&ENVIRONMENT_HEADER, &environment_rows(&envs));
        return;
    }
    let shown: Vec<EnvironmentOut> = rows
        .iter()
        .map(|row| EnvironmentOut {
            state: row.release_state(),
            ..EnvironmentOut::new(&row.environment, row.urls.clone())
        })
        .collect();
    match shown.first() {
        Some(env) if single => structured(env, output),
        _ => structured(&shown, output),
    }
}

/// Standard input, whole: a file given to a `*-set` command, read up to the parser's size
/// limit (`/dev/zero` piped in stops there).
pub(crate) fn read_stdin() -> Result<String, Error> {
    let cap = stagecraft_api::file_limit();
    let mut text = String::new();
    let fail = |source| Error::ReadFile {
        path: PathBuf::from("<standard input>"),
        source,
    };
    std::io::stdin()
        .take(cap as u64 + 1)
        .read_to_string(&mut text)
        .map_err(fail)?;
    if text.len() > cap {
        return Err(fail(std::io::Error::other(format!(
            "more than {} KiB: Release files are read up to that",
            cap / 1024
        ))));
    }
    Ok(text)
}

fn print_parameters(views: &[stagecraft_api::ParameterView], output: Output) {
    match output {
        Output::Table => table(
            &["PARAMETER", "VALUE", "DEFAULT", "DESCRIPTION"],
            &views
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        match (&p.value, &p.given, &p.default) {
                            (None, _, _) => "(required: no value)".to_owned(),
                            (Some(value), Some(_), _) => value.clone(),
                            (Some(value), None, Some(_)) => format!("{value} (default)"),
                            (Some(_), None, None) => "(not given)".to_owned(),
                        },
                        p.default.clone().unwrap_or_default(),
                        p.description.clone().unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        _ => structured(&views, output),
    }
}
