use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use stagecraft_api::{CreateEnvironment, DeployReport, Error, Settings, Stagecraft};
use stagecraft_engine::{DeployStatus, Environment};

use crate::output::{raw, structured, table};
use crate::{INVALID, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum Apps {
    /// Every app.
    List,
    /// Adds the app whose Release files (or docker-compose file) are in PATH.
    Add { path: PathBuf },
    /// Names the registry an app's built images are pushed to when its environments run on a
    /// cluster that pulls them (any but kind, k3d, minikube and Docker Desktop). Pushes use
    /// your Docker credentials: `docker login <host>` first.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["registry", "clear"])))]
    SetRegistry {
        app: String,
        /// `host[:port]/path`, as in `registry.example.com/team`; images go under it as
        /// `<app>-<service>:<content tag>`.
        registry: Option<String>,
        /// Names none: built images then reach only local clusters.
        #[arg(long)]
        clear: bool,
        /// Lets the clusters pull the images with your Docker login for the registry: it is
        /// kept as a Secret in each environment's namespace. For registries the cluster's
        /// nodes cannot pull from by themselves.
        #[arg(long, conflicts_with = "clear")]
        share_login: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Environments {
    /// Creates an environment of an app; nothing is deployed until `deploys create`.
    Create {
        #[arg(long)]
        app: String,
        /// The branch; the app's tracking branch when not given.
        #[arg(long)]
        branch: Option<String>,
        /// The `environment_templates` entry: ephemeral or permanent.
        #[arg(long, default_value = "ephemeral")]
        template: String,
        /// `docker`, or `kube:<context>`.
        #[arg(long, default_value = "docker")]
        runtime: String,
        /// A permanent environment's name; ephemeral ones get a random id.
        #[arg(long)]
        name: Option<String>,
        /// Hours until an ephemeral environment expires.
        #[arg(long)]
        ttl_hours: Option<u64>,
        /// Create it without setting it up; `deploys create` sets it up later.
        #[arg(long)]
        skip_deploy: bool,
    },
    /// Every environment.
    List,
    /// One environment.
    Get { id: String },
    /// Tears the environment down: its teardown workflow, then everything it created.
    Delete { id: String },
    /// Moves an ephemeral environment's expiry up to 7 days from now.
    Extend {
        id: String,
        #[arg(long, default_value_t = 7)]
        days: u64,
    },
    /// Prints the environment's own configuration (YAML).
    ConfigGet { id: String },
    /// Replaces the environment's configuration with the YAML on standard input (validated).
    ConfigSet { id: String },
    /// The final variables of every service and job, secrets masked.
    VarsGet { id: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Deploys {
    /// Deploys the environment: setup or patch, as the Deploy button decides. Exits 1 when the
    /// deploy fails.
    Create {
        #[arg(long)]
        environment: String,
        /// Build from the repository's working tree as it is, uncommitted changes included,
        /// instead of the commit the environment's branch names.
        #[arg(long)]
        working_tree: bool,
        /// Wait for the deploy to end, also when another Stagecraft runs it; progress goes to
        /// stderr when it is a terminal. The exit status is the deploy's.
        #[arg(long)]
        wait: bool,
    },
    /// The environment's deploys, oldest first.
    List {
        #[arg(long)]
        environment: String,
    },
    /// Cancels the environment's running deploy (its running tasks are stopped; also when the
    /// app runs it) and its queued ones.
    Cancel {
        #[arg(long)]
        environment: String,
    },
}

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

pub(crate) enum Request {
    Apps(Apps),
    Environments(Environments),
    Deploys(Deploys),
    Builds(Builds),
    Instances(Instances),
}

impl Request {
    /// Whether the command talks to the Docker engine: then the connection is made while the
    /// command reads the database, not after.
    fn uses_docker(&self) -> bool {
        matches!(
            self,
            Request::Environments(
                Environments::Create {
                    skip_deploy: false,
                    ..
                } | Environments::Delete { .. }
            ) | Request::Deploys(Deploys::Create { .. })
                | Request::Builds(Builds::Create { .. })
                | Request::Instances(_)
        )
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Instances {
    /// A service's (or `jobs.<name>`'s) log lines from its containers: container stdout to
    /// stdout, stderr to stderr; with `-o json`, one JSON object per line.
    Logs {
        #[arg(long)]
        environment: String,
        /// `web` (a service), or `jobs.migrate`.
        workload: String,
        /// Keep printing new lines until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// Only lines from this long ago: `30s`, `10m`, `2h`, `1d`.
        #[arg(long, value_parser = parse_age)]
        since: Option<Duration>,
    },
}

/// `30s`, `10m`, `2h`, `1d` (a bare number is seconds).
fn parse_age(text: &str) -> Result<Duration, Error> {
    let text = text.trim();
    let not_an_age = || Error::InvalidRequest {
        field: "--since",
        message: format!("`{text}` is not an age: write it as 30s, 10m, 2h or 1d"),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| not_an_age())?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(not_an_age()),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

fn environment_rows(envs: &[Environment]) -> Vec<Vec<String>> {
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

const ENVIRONMENT_HEADER: [&str; 7] = [
    "ID", "APP", "BRANCH", "KIND", "STATUS", "VERSION", "EXPIRES",
];

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

/// A build as the command prints it; the names are stable and in the README.
#[derive(serde::Serialize)]
struct BuildOut<'a> {
    id: i64,
    git_commit: Option<&'a str>,
    trigger: &'a str,
    status: &'a str,
    started_at: &'a str,
    finished_at: Option<&'a str>,
    images: Vec<ImageOut<'a>>,
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
            trigger: &build.trigger,
            status: &build.status,
            started_at: &build.started_at,
            finished_at: build.finished_at.as_deref(),
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

/// An environment as Release's CLI shows it: `.environment.id` and
/// `.environment.hostnames[0].url` are what scripts read.
/// The JSON field names are kept stable; `id` and `env_id` are the same value (Release calls
/// it `id`).
#[derive(serde::Serialize)]
struct EnvironmentOut<'a> {
    id: &'a str,
    env_id: &'a str,
    app: &'a str,
    branch: &'a str,
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
    fn new(environment: &'a Environment, hostnames: Vec<stagecraft_api::Hostname>) -> Self {
        Self {
            id: &environment.env_id,
            env_id: &environment.env_id,
            app: &environment.app,
            branch: &environment.branch,
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

/// What `deploys create` and `environments create` print.
#[derive(serde::Serialize)]
struct DeployOut<'a> {
    environment: EnvironmentOut<'a>,
    /// None for `environments create --skip-deploy`.
    deploy: Option<&'a stagecraft_engine::Deploy>,
    /// False when another process runs the environment's deploys and this one waits its turn.
    ran: bool,
}

/// Prints a deploy (and where the environment is reached); exits 1 when it failed.
async fn deploy_report(
    stagecraft: &Stagecraft,
    env_id: &str,
    report: Option<&DeployReport>,
    output: Output,
) -> Result<u8, Error> {
    let environment = stagecraft.environment(env_id).await?;
    let hostnames = stagecraft.hostnames(env_id).await?;
    match output {
        Output::Table => {
            if let Some(DeployReport { deploy, .. }) = report {
                table(
                    &["DEPLOY", "STAGE", "STATUS", "REASON"],
                    &[vec![
                        deploy.id.to_string(),
                        deploy.stage.as_str().to_owned(),
                        deploy.status.as_str().to_owned(),
                        deploy.reason.clone(),
                    ]],
                );
            } else {
                table(
                    &ENVIRONMENT_HEADER,
                    &environment_rows(std::slice::from_ref(&environment)),
                );
            }
            for hostname in &hostnames {
                raw(&format!("{}: {}\n", hostname.service, hostname.url));
            }
        }
        _ => structured(
            &DeployOut {
                environment: EnvironmentOut::new(&environment, hostnames),
                deploy: report.map(|r| &r.deploy),
                ran: report.is_some_and(|r| r.ran),
            },
            output,
        ),
    }
    Ok(match report {
        Some(report) if report.deploy.status == DeployStatus::Failed => INVALID,
        _ => 0,
    })
}

/// Starts the deploy and follows its events until it ends, here or in another process that
/// holds the environment.
async fn deploy_and_wait(
    stagecraft: &Arc<Stagecraft>,
    env_id: &str,
    options: stagecraft_api::DeployOptions,
) -> Result<DeployReport, Error> {
    let stagecraft_api::Started {
        deploy: started,
        queue,
    } = stagecraft.start_deploy(env_id, options).await?;
    let show = std::io::stderr().is_terminal();
    let mut events = stagecraft.follow(started.id, 0).await?;
    while let Some(event) = events.recv().await {
        if show && let Some(line) = progress_line(&event.event_json) {
            eprintln!("{line}");
        }
    }
    // This process may be the one running the queue: let it finish and release the
    // environment. The last event is stored a moment before the deploy's status is.
    let _ = queue.await;
    loop {
        let deploy = stagecraft
            .deploys(env_id)
            .await?
            .into_iter()
            .find(|d| d.id == started.id)
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: started.id.to_string(),
            })?;
        if !matches!(deploy.status, DeployStatus::Queued | DeployStatus::Running) {
            return Ok(DeployReport { deploy, ran: true });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One event as a line of progress for a person at a terminal; `None` for the ones too small
/// to show.
fn progress_line(event_json: &str) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(event_json).ok()?;
    let text = |key: &str| event.get(key).and_then(|v| v.as_str()).unwrap_or_default();
    let number = |key: &str| {
        event
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_default()
    };
    let outcome = |key: &str| {
        event
            .get(key)
            .and_then(|o| o.get("outcome"))
            .and_then(|o| o.as_str())
            .unwrap_or_default()
            .replace('_', " ")
    };
    Some(match text("type") {
        "stage_started" => format!("{}: {}", text("stage"), text("reason")),
        "service_build_started" => format!("  build {}", text("service")),
        "service_built" => format!(
            "  built {}: {} MB, {} steps from cache",
            text("service"),
            number("size_bytes") / 1_000_000,
            number("cache_hits")
        ),
        "service_build_reused" => format!("  build {}: {}", text("service"), text("reason")),
        "service_build_failed" => format!("  build {} failed: {}", text("service"), text("error")),
        "step_started" => format!("  step {}", text("name")),
        "task_waiting" => format!("    {}: {}", text("task"), text("reason")),
        "task_retrying" => format!(
            "    {}: attempt {} of {} failed: {}; trying again",
            text("task"),
            number("attempt"),
            number("of"),
            text("error")
        ),
        "task_finished" => format!("    {}: {}", text("task"), outcome("outcome")),
        "service_unavailable" => format!("    {}: {}", text("task"), text("reason")),
        "stage_finished" => format!("{}: {}", text("stage"), outcome("outcome")),
        "deploy_interrupted" => format!("interrupted: {}", text("reason")),
        _ => return None,
    })
}

pub(crate) fn run(request: Request, output: Output) -> Result<u8, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::ReadFile {
            path: PathBuf::from("<tokio runtime>"),
            source,
        })?;
    runtime.block_on(async move {
        let mut stagecraft = Stagecraft::open(Settings::from_env()?).await?;
        stagecraft.use_docker();
        stagecraft.use_kubernetes();
        if request.uses_docker() {
            stagecraft.connect_docker_soon();
        }
        let stagecraft = Arc::new(stagecraft);
        let status = execute(&stagecraft, request, output).await;
        stagecraft.close().await;
        status
    })
}

fn print_deploys(deploys: &[stagecraft_engine::Deploy], output: Output) {
    match output {
        Output::Table => table(
            &["DEPLOY", "STAGE", "STATUS", "QUEUED", "REASON"],
            &deploys
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.stage.as_str().to_owned(),
                        d.status.as_str().to_owned(),
                        d.queued_at.clone(),
                        d.reason.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        _ => structured(&deploys, output),
    }
}

async fn execute(
    stagecraft: &Arc<Stagecraft>,
    request: Request,
    output: Output,
) -> Result<u8, Error> {
    match request {
        Request::Apps(Apps::List) => {
            let apps = stagecraft.apps().await?;
            match output {
                Output::Table => table(
                    &[
                        "NAME",
                        "REPOSITORY",
                        "BRANCH",
                        "AUTO DEPLOY",
                        "IMAGE REGISTRY",
                    ],
                    &apps
                        .iter()
                        .map(|a| {
                            vec![
                                a.name.clone(),
                                a.repo_path.clone(),
                                a.tracking_branch.clone(),
                                a.auto_deploy.to_string(),
                                a.image_registry.clone().unwrap_or_else(|| "-".to_owned()),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&apps, output),
            }
        }
        Request::Apps(Apps::Add { path }) => {
            let stagecraft_api::AddedApp { app, warnings } = stagecraft.add_app(&path).await?;
            for warning in &warnings {
                eprintln!("{warning}");
            }
            match output {
                Output::Table => table(
                    &["NAME", "REPOSITORY", "BRANCH"],
                    &[vec![app.name, app.repo_path, app.tracking_branch]],
                ),
                _ => structured(&app, output),
            }
        }
        Request::Apps(Apps::SetRegistry {
            app,
            registry,
            clear: _,
            share_login,
        }) => {
            let app = stagecraft
                .set_image_registry(&app, registry.as_deref(), share_login)
                .await?;
            match output {
                Output::Table => table(
                    &["NAME", "IMAGE REGISTRY", "SHARES LOGIN"],
                    &[vec![
                        app.name,
                        app.image_registry.unwrap_or_else(|| "-".to_owned()),
                        app.share_registry_login.to_string(),
                    ]],
                ),
                _ => structured(&app, output),
            }
        }
        Request::Environments(Environments::Create {
            app,
            branch,
            template,
            runtime,
            name,
            ttl_hours,
            skip_deploy,
        }) => {
            let env = stagecraft
                .create_environment(CreateEnvironment {
                    app,
                    branch,
                    environment_template: template,
                    runtime,
                    name,
                    ttl: ttl_hours.map(|h| Duration::from_secs(h * 3600)),
                })
                .await?;
            // As Release's does: a new environment is set up unless told not to.
            let report = if skip_deploy {
                None
            } else {
                Some(deploy_and_wait(stagecraft, &env.env_id, Default::default()).await?)
            };
            return deploy_report(stagecraft, &env.env_id, report.as_ref(), output).await;
        }
        Request::Environments(Environments::List) => {
            print_environments(stagecraft, &stagecraft.environments().await?, output, false)
                .await?;
        }
        Request::Environments(Environments::Get { id }) => {
            print_environments(
                stagecraft,
                &[stagecraft.environment(&id).await?],
                output,
                true,
            )
            .await?;
        }
        Request::Environments(Environments::Delete { id }) => {
            let report = stagecraft.teardown(&id).await?;
            return deploy_report(stagecraft, &id, Some(&report), output).await;
        }
        Request::Environments(Environments::Extend { id, days }) => {
            let env = stagecraft
                .extend(&id, Some(Duration::from_secs(days * 24 * 3600)))
                .await?;
            print_environments(stagecraft, &[env], output, true).await?;
        }
        Request::Environments(Environments::ConfigGet { id }) => {
            let config = stagecraft.config_get(&id).await?;
            match output {
                Output::Table => raw(&config.config_yaml),
                _ => structured(&config, output),
            }
        }
        Request::Environments(Environments::ConfigSet { id }) => {
            let mut yaml = String::new();
            std::io::stdin()
                .read_to_string(&mut yaml)
                .map_err(|source| Error::ReadFile {
                    path: PathBuf::from("<standard input>"),
                    source,
                })?;
            let config = stagecraft.config_set(&id, &yaml).await?;
            match output {
                Output::Table => table(&["ENVIRONMENT", "VERSION"], &[vec![id, config.version]]),
                _ => structured(&config, output),
            }
        }
        Request::Environments(Environments::VarsGet { id }) => {
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
        Request::Deploys(Deploys::Create {
            environment,
            working_tree,
            wait,
        }) => {
            let options = stagecraft_api::DeployOptions { working_tree };
            let report = if wait {
                deploy_and_wait(stagecraft, &environment, options).await?
            } else {
                stagecraft.deploy_with(&environment, options).await?
            };
            return deploy_report(stagecraft, &environment, Some(&report), output).await;
        }
        Request::Deploys(Deploys::List { environment }) => {
            print_deploys(&stagecraft.deploys(&environment).await?, output);
        }
        Request::Deploys(Deploys::Cancel { environment }) => {
            print_deploys(&stagecraft.cancel(&environment).await?, output);
        }
        Request::Builds(Builds::List { app }) => {
            let builds = stagecraft.build_views(&app).await?;
            match output {
                Output::Table => table(&BUILD_HEADER, &build_rows(&builds)),
                _ => structured(
                    &builds.iter().map(BuildOut::from).collect::<Vec<_>>(),
                    output,
                ),
            }
        }
        Request::Instances(Instances::Logs {
            environment,
            workload,
            follow,
            since,
        }) => {
            use futures_util::StreamExt as _;
            use std::io::Write as _;
            let since = since.and_then(|age| std::time::SystemTime::now().checked_sub(age));
            let mut lines = std::pin::pin!(
                stagecraft
                    .instance_logs(&environment, &workload, follow, since)
                    .await?
            );
            let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
            while let Some(line) = lines.next().await {
                let line = line.map_err(|e| Error::Runtime {
                    env_id: environment.clone(),
                    message: e.message,
                })?;
                // A closed pipe (`| head`) ends the command quietly.
                let written = match output {
                    Output::Json | Output::Yaml => writeln!(
                        stdout,
                        "{}",
                        serde_json::json!({ "stderr": line.stderr, "line": line.line })
                    ),
                    Output::Table if line.stderr => writeln!(stderr, "{}", line.line),
                    Output::Table => writeln!(stdout, "{}", line.line),
                };
                if written.is_err() {
                    break;
                }
            }
        }
        Request::Builds(Builds::Create {
            app,
            branch,
            working_tree,
        }) => {
            let build = stagecraft
                .build_app(&app, branch.as_deref(), working_tree)
                .await?;
            match output {
                Output::Table => table(&BUILD_HEADER, &build_rows(std::slice::from_ref(&build))),
                _ => structured(&BuildOut::from(&build), output),
            }
            return Ok(if build.status == "failed" { INVALID } else { 0 });
        }
        Request::Builds(Builds::Compare { before, after }) => {
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
    }
    Ok(0)
}

async fn print_environments(
    stagecraft: &Stagecraft,
    envs: &[Environment],
    output: Output,
    single: bool,
) -> Result<(), Error> {
    if output == Output::Table {
        table(&ENVIRONMENT_HEADER, &environment_rows(envs));
        return Ok(());
    }
    let mut shown = Vec::new();
    for env in envs {
        shown.push(EnvironmentOut::new(
            env,
            stagecraft.hostnames(&env.env_id).await?,
        ));
    }
    match shown.first() {
        Some(env) if single => structured(env, output),
        _ => structured(&shown, output),
    }
    Ok(())
}
