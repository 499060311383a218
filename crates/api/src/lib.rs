//! # stagecraft-api
//!
//! Every use case the desktop app and the `stagecraft` command ask for, in one Tauri-free
//! crate: it opens the store, holds the runtimes, and answers in plain serialisable types whose
//! TypeScript twins are generated into `ui/src/ipc/bindings.ts`.
//!
//! Must not depend on: tauri. It wires `stagecraft-template`, `stagecraft-store`,
//! `stagecraft-docker` and `stagecraft-kube`, and never speaks sqlx, bollard or kube-rs itself.
//!
//! # Layout
//! One module per use case; each `impl Stagecraft` block holds that use case's methods.
//! - `app.rs`: apps added from a folder, their latest configuration
//! - `environment.rs`: environments created, listed, extended
//! - `parameters.rs`: the template's parameters, given at creation and changed as a new
//!   configuration version
//! - `presets.rs`: create options saved under a name, for `environments create --preset`
//! - `deploy/`: [`Stagecraft::submit`] a [`DeployRequest`], the queue, the run, the stage's
//!   preparation, cancel (its own `mod.rs` lists them)
//! - `handles.rs`: environment handles: pools of fixed names per app, one checked out as a
//!   new environment's id when its template asks for the pool
//! - `imports.rs`: app imports: each imported app's branch chosen once, its files read from
//!   it, its part of the environment
//! - `resolve.rs`: an environment's configuration resolved, the one way a deploy, the
//!   Variables tab and the service URLs read it
//! - `runtimes.rs`: the registered runtimes, and what one is told about an environment
//! - `clock.rs`: expiry warnings and teardowns, auto_deploy patches, health, every minute
//! - `health.rs`: each service as its runtime reports it; deployed ↔ degraded
//! - `adopt.rs`: environments a runtime holds and no record names, brought back
//! - `holder.rs`: this process as the OS knows it, and whether another one died
//! - `recovery.rs`: a start after a crash: deploys interrupted, ledgers reconciled,
//!   deployed environments taken up
//! - `builds.rs`: the build stage of a deploy, and two builds compared
//! - `commits.rs`: auto_deploy: a new commit on a tracking branch patches its environments
//! - `checkout.rs`: a commit's files for its build (`git archive`, kept per commit)
//! - `configuration.rs`: an environment's configuration (get, set as a new version,
//!   history), its final variables with secrets masked, its service URLs
//! - `timeline.rs`: the timeline's lanes (deploys) and a deploy's steps and tasks
//! - `workflows.rs`: custom workflows, listed and run by name as a deploy of their own
//! - `cron.rs`: cron jobs: run by the clock on Docker (missed runs caught up once), by the
//!   cluster on Kubernetes; listed with their last and next runs; run by hand
//! - `change.rs`: the change feed: what changed, whichever process changed it, as [`Change`]s
//! - `logs.rs`: workload logs into the store, told by the deploy's events; build logs;
//!   a kept log followed
//! - `exec.rs`: a command or a shell in a running container of an environment's workload
//! - `ledger.rs`: the engine's `Ledger` kept in the store
//! - `logging.rs`: the log filter, with the HTTP clients never below `info` (bodies hold secrets)
//! - `registry.rs`: an app's image registry, checked before it is kept
//! - `secrets.rs`: secret values sealed at rest with the data folder's key
//! - `gitops.rs`: `gitops validate` and `gitops init` over a repository's Release files
//! - `tokens.rs`: the HTTP API's tokens (hashes only) and the requests it answered
//! - `access.rs`: the ingress's access log, kept in each service's log
//! - `ingress.rs`: the local ingress's routes, from every process's environments
//! - `switch.rs`: the runtimes' `Switchboard`: where services are published now, the ingress
//!   asked to take a move
//! - `system.rs`: the System report ([`SystemReport`], [`DockerStatus`])
//! - `settings.rs`: [`Settings`]: where the data lives, which Docker endpoint and kubeconfig
//!   files to use, from the environment or given by a test
//! - `views/`: what the desktop app shows, as types with generated TypeScript twins
//! - `error.rs`: [`Error`] and the stable [`ErrorCode`] the UI and the CLI switch on

mod access;
mod adopt;
mod app;
mod builds;
mod change;
mod checkout;
mod clock;
mod commits;
mod compare;
mod configuration;
mod cron;
mod datasets;
mod deploy;
mod environment;
mod error;
mod exec;
mod gitops;
mod handles;
mod health;
mod holder;
mod imports;
mod ingress;
mod ingress_ports;
mod ledger;
mod logging;
mod logs;
mod parameters;
mod pause;
mod presets;
mod recovery;
mod refresh;
mod registry;
mod resolve;
mod runtimes;
mod schedule;
mod secrets;
mod settings;
mod switch;
mod sync;
mod system;
mod timeline;
mod tokens;
mod variables;
mod views;
mod workflows;

use stagecraft_docker::DockerEngine;
use stagecraft_store::Store;

pub use access::IngressAccess;
pub use adopt::Orphan;
pub use app::{AddedApp, RemovedApp};
pub use builds::StartedBuild;
pub use change::{Change, LOOK_EVERY};
pub use clock::{EXPIRY_WARNING, TICK_EVERY, Tick};
pub use commits::branch_commit;
pub use compare::{
    BuildComparison, COMMITS_SHOWN, Commit, CommitsBetween, LayerChange, ServiceComparison,
    StepComparison,
};
pub use configuration::{ConfigVersion, Hostname, MASK, ShownVar, WorkloadVars};
pub use cron::CronJobView;
pub use datasets::{DatasetView, DatasetVolumeView};
pub use deploy::{DeployReport, DeployRequest, Submitted, Wait};
pub use environment::{
    CreateEnvironment, DEFAULT_TTL, EnvironmentRow, MAX_EXTENSION, release_state,
};
pub use error::{Error, ErrorCode, Failure};
pub use exec::Exec;
pub use gitops::{
    GitopsFileNames, GitopsInit, GitopsReport, file_limit, gitops_init, gitops_validate,
};
pub use handles::HandleView;
pub use health::DEGRADED_NOTICE;
pub use holder::this_process;
pub use imports::ImportView;
pub use ingress::{IngressClaim, IngressConflict, IngressStatus, IngressView};
pub use logging::log_filter;
pub use logs::LOG_CAP;
pub use parameters::ParameterView;
pub use presets::{PresetOptions, PresetView};
pub use refresh::{AppDetail, AppRefresh};
pub use runtimes::Runtimes;
pub use schedule::{
    EnvironmentScheduleView, PauseScheduleInput, PauseScheduleView, ScheduleChange, ScheduleSource,
    ScheduledTime,
};
pub use settings::{
    DEFAULT_DEPLOY_LEASE, DEFAULT_INGRESS_PORT, DEFAULT_STATIC_BUILD_IMAGE, DataDir, DataDirSource,
    GivenIngressPorts, INGRESS_AUTHORITY, INGRESS_HTTPS_PORT_VAR, INGRESS_PORT_VAR, IngressPorts,
    LOG_FILE_PREFIX, LOG_FILE_SUFFIX, Settings, StaticSiteSettings, default_build_parallelism,
};
pub use stagecraft_engine::{
    DeployEvent, DeployOutcome, ExecInput, ExecOutput, ExecSession, RuntimeErrorKind,
    ScheduledAction, Stage, StepOutcome, TaskOutcome, TerminalSize,
};
pub use stagecraft_store::deploy::StoredEvent;
pub use switch::{INGRESS_HEADER, PROBE_HOST, REFRESH_HOST, ask_ingress};
pub use system::{
    ClusterMadeBy, DataDirOrigin, DatabaseReport, DatasetsSpace, DockerStatus, EndpointSource,
    KubeContextReport, KubernetesReport, RuntimeChoice, SystemReport,
};
pub use timeline::{DeployDetail, TimelineStep};
pub use tokens::{
    ApiOverview, ApiRequest, ApiRequestView, DEFAULT_API_PORT, NewToken, TOKEN_PREFIX, TokenId,
    TokenView,
};
pub use variables::EditableVariables;
pub use views::{
    ActivityView, AddedAppView, AppDetailView, AppRefreshView, AppView, BuildComparisonView,
    BuildView, CommitView, CommitsBetweenView, ConfigVersionView, DeployDetailView,
    DeployStatusView, DeployView, EnvironmentRowView, EnvironmentStatusView, EnvironmentView,
    FileChangeView, FileChangesView, FileRenameView, ImageView, LayerChangeView, LogLineView,
    LogPageView, LogResourceView, NextDeploy, OrphanView, RemovedAppView, ServiceComparisonView,
    ServiceHealthView, ServicesReadyView, StageView, StepComparisonView, StepView, TaskView,
    UrlView, VariableView, WorkloadVarsView,
};
pub use workflows::{CustomWorkflow, WorkflowStep};

/// Stagecraft's use cases over one data directory. Opening it opens (and migrates) the
/// database; the runtimes connect lazily, on their first use. A clone is another handle to the
/// same database, runtimes and running deploys.
///
/// It holds what every use case shares (the settings, the store, the runtimes and builder,
/// the sealer) and one value per module that keeps state of its own, whose fields only that
/// module sees: `deploy::Deploys`, `logs::Logs`, the URL cache, the change feed.
#[derive(Clone)]
pub struct Stagecraft {
    settings: Settings,
    /// The local ingress's ports for this process: read once, as it opens (the settings' given
    /// ones over the data folder's).
    ingress_ports: IngressPorts,
    /// Whether this process recorded itself as using the ingress (to forget as it closes).
    ingress_recorded: std::sync::Arc<std::sync::atomic::AtomicBool>,
    store: Store,
    /// Shared with the Docker runtime and builder once [`Stagecraft::use_docker`] registers
    /// them, so the System screen and deploys talk to the same engine.
    docker: std::sync::Arc<DockerEngine>,
    runtimes: Runtimes,
    /// The deploys this process runs, their queues and their events.
    deploys: deploy::Deploys,
    sealer: secrets::Sealer,
    /// Builds the images of services built from the repository; none until a runtime that
    /// can build is registered.
    builder: Option<std::sync::Arc<dyn stagecraft_engine::ImageBuilder>>,
    /// Workload logs into the store: the services this process follows, and the news of
    /// lines just added.
    logs: logs::Logs,
    /// Each environment's service URLs by its configuration version: the environments list
    /// asks every few seconds, and a version's URLs never change.
    urls: std::sync::Arc<configuration::UrlCache>,
    /// Each environment's ingress routes by its configuration version.
    ingress: std::sync::Arc<ingress::RouteCache>,
    /// Where patches moved services, read at most once a second for the lists.
    moved: std::sync::Arc<ingress::MovedPorts>,
    /// What changed, for the window, whichever process changed it.
    changes: std::sync::Arc<change::Changes>,
}

impl std::fmt::Debug for Stagecraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stagecraft")
            .field("data_dir", &self.settings.data_dir.path)
            .field("runtimes", &self.runtimes)
            .field("deploys", &self.deploys)
            .finish_non_exhaustive()
    }
}

impl Stagecraft {
    /// Opens the database in the settings' data directory, creating it when missing.
    pub async fn open(settings: Settings) -> Result<Self, Error> {
        let store = Store::open(&settings.data_dir.database_path()).await?;
        let keychain = settings.keychain.then(|| {
            std::sync::Arc::new(secrets::OsKeychain) as std::sync::Arc<dyn secrets::Keychain>
        });
        let sealer = secrets::Sealer::open(&settings.data_dir.path, keychain).await?;
        let docker = std::sync::Arc::new(settings.docker_engine());
        let logs = logs::Logs::new(store.clone());
        let deploys = deploy::Deploys::new();
        let folder = ingress_ports::folder_ports(&store, &deploys.me().host).await?;
        let ingress_ports = settings.ingress.over(folder);
        let stagecraft = Self {
            settings,
            ingress_ports,
            ingress_recorded: std::sync::Arc::default(),
            store,
            docker,
            runtimes: Runtimes::default(),
            deploys,
            sealer,
            builder: None,
            logs,
            urls: std::sync::Arc::default(),
            ingress: std::sync::Arc::default(),
            moved: std::sync::Arc::default(),
            changes: std::sync::Arc::default(),
        };
        stagecraft_store::holder::register(stagecraft.store.pool(), stagecraft.deploys.me())
            .await?;
        stagecraft.recover().await?;
        Ok(stagecraft)
    }

    /// Starts connecting to the Docker engine in the background, for a caller that knows it
    /// will need it: the connection is then made while it works, not when it first asks. A
    /// failure is kept for nobody: the first real call connects again and reports it.
    pub fn connect_docker_soon(&self) {
        let engine = std::sync::Arc::clone(&self.docker);
        tokio::spawn(async move {
            let _ = engine.client().await;
        });
    }

    /// Runs environments whose runtime is `docker` on the settings' Docker engine, and builds
    /// images there; connects on first use, so it costs nothing when no engine runs.
    pub fn use_docker(&mut self) {
        let engine = std::sync::Arc::clone(&self.docker);
        self.register_runtime(
            "docker",
            std::sync::Arc::new(
                stagecraft_docker::DockerRuntime::new(std::sync::Arc::clone(&engine))
                    .with_switchboard(std::sync::Arc::new(switch::IngressSwitch {
                        store: self.store.clone(),
                        port: self.ingress_ports.port,
                    })),
            ),
        );
        let hashes = self
            .settings
            .data_dir
            .path
            .join("cache")
            .join("file-hashes.json");
        let sites = stagecraft_docker::StaticSites {
            server: self.settings.static_sites.server.clone(),
            folder: self
                .settings
                .data_dir
                .path
                .join("cache")
                .join("static-sites"),
        };
        self.register_builder(std::sync::Arc::new(
            stagecraft_docker::DockerBuilder::new(engine)
                .with_file_hashes(hashes)
                .with_static_sites(sites),
        ));
    }

    /// Registers a Kubernetes runtime, `kube:<context>`, for every context of the kubeconfig.
    /// Nothing is contacted: each connects on its first use. A kubeconfig that cannot be read
    /// registers none (the System screen says what is wrong with it).
    pub fn use_kubernetes(&mut self) {
        let found = match stagecraft_kube::read_contexts(&self.settings.kubeconfig_paths) {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "no Kubernetes runtimes: the kubeconfig cannot be read");
                return;
            }
        };
        for context in found.contexts {
            let images = stagecraft_kube::Images::for_context(context.kind, &context.name);
            self.register_runtime(
                format!("kube:{}", context.name),
                std::sync::Arc::new(
                    stagecraft_kube::KubeRuntime::new(
                        self.settings.kubeconfig_paths.clone(),
                        &context.name,
                        images,
                    )
                    // Built images reach a cluster that pulls them through the app's registry,
                    // pushed by the engine that built them.
                    .with_pusher(std::sync::Arc::new(
                        stagecraft_docker::DockerPusher::new(std::sync::Arc::clone(&self.docker)),
                    )),
                ),
            );
        }
    }

    /// Makes an image builder available to the build stage.
    pub fn register_builder(
        &mut self,
        builder: std::sync::Arc<dyn stagecraft_engine::ImageBuilder>,
    ) {
        self.builder = Some(builder);
    }

    /// Makes a runtime available to environments that name it (`docker`, `kube:<context>`).
    pub fn register_runtime(
        &mut self,
        name: impl Into<String>,
        runtime: std::sync::Arc<dyn stagecraft_engine::Runtime>,
    ) {
        self.runtimes.insert(name, runtime);
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Lets the runtimes finish what they still do for ended deploys ([`Self::settle`]), then
    /// closes the database cleanly; call it before the process exits.
    pub async fn close(&self) {
        self.settle().await;
        // Processes that open the folder from now on no longer take this one's ingress ports.
        if self
            .ingress_recorded
            .load(std::sync::atomic::Ordering::SeqCst)
            && let Err(error) = self.ingress_stopped().await
        {
            tracing::debug!(%error, "this process's use of the ingress was not forgotten (its end is)");
        }
        self.store.close().await;
    }
}
