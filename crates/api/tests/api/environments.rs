use crate::EventJson as _;
use stagecraft_api::{
    CreateEnvironment, DataDir, DeployRequest, ErrorCode, Settings, Stagecraft, Wait,
};
use std::path::Path;
use std::sync::{Arc, Mutex};

use stagecraft_engine::{
    DeployStatus, EnvironmentKind, EnvironmentRef, EnvironmentStatus, JobExit, JobSpec, LogLine,
    Runtime, RuntimeError, RuntimeObject, ServiceSpec, Stage, TaskProgress, WorkloadStatus,
};
use tokio::sync::Semaphore;

/// A service's variables as `(key, value)` pairs.
pub type Vars = Vec<(String, String)>;

/// Records every call; holds each service deploy until the gate lets it through.
#[derive(Debug)]
pub struct Fake {
    calls: Mutex<Vec<String>>,
    /// Each deployed service's variables, as the runtime got them.
    pub envs: Mutex<Vec<(String, Vars)>>,
    /// Each deployed service's image, as the runtime got it.
    pub images: Mutex<Vec<(String, String)>>,
    /// What the runtime says exists for any environment.
    pub objects: Mutex<Vec<RuntimeObject>>,
    /// Each deployed service's configmap files, as the runtime got them.
    pub files: Mutex<Vec<(String, Vec<stagecraft_engine::ConfigFile>)>>,
    /// The app's image registry, and whether it shares its login, as each `prepare` was told.
    pub registries: Mutex<Vec<(Option<String>, bool)>>,
    /// What deploying `web` fails with, when set.
    pub web_fails: Mutex<Option<RuntimeError>>,
    /// `(env_id, service)` of each service deployed and not removed: what `status` reports.
    pub running: Mutex<Vec<(String, String)>>,
    /// Services `status` reports as not ready (`0 of 1`, "Exited (1)").
    pub down: Mutex<Vec<String>>,
    pub gate: Arc<Semaphore>,
    /// Whether it publishes services on this machine (`ingress_url`).
    serves_here: bool,
}

impl Fake {
    pub fn open() -> Arc<Self> {
        Self::with(Semaphore::MAX_PERMITS, false)
    }

    pub fn gated() -> Arc<Self> {
        Self::with(0, false)
    }

    /// A runtime that publishes services on this machine, as Docker does: the ingress routes
    /// its environments.
    pub fn local() -> Arc<Self> {
        Self::with(Semaphore::MAX_PERMITS, true)
    }

    fn with(permits: usize, serves_here: bool) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            envs: Mutex::default(),
            images: Mutex::default(),
            objects: Mutex::default(),
            files: Mutex::default(),
            registries: Mutex::default(),
            web_fails: Mutex::default(),
            running: Mutex::default(),
            down: Mutex::default(),
            gate: Arc::new(Semaphore::new(permits)),
            serves_here,
        })
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Runtime for Fake {
    /// Where Docker would publish it, when it serves here: the stable port of this machine.
    fn ingress_url(&self, env_id: &str, service: &str, port: u16) -> Option<String> {
        self.serves_here.then(|| {
            format!(
                "http://127.0.0.1:{}",
                stagecraft_engine::stable_host_port(env_id, service, port)
            )
        })
    }

    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("prepare {}", env.app));
        self.registries
            .lock()
            .unwrap()
            .push((env.image_registry.clone(), env.share_registry_login));
        let network = RuntimeObject {
            kind: "network".into(),
            name: format!("stagecraft-{}", env.env_id),
        };
        env.ledger.record(&network).await
    }

    async fn resume_service(
        &self,
        _env: &EnvironmentRef,
        service: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("resume {} {}", service.name, service.image));
        Ok(())
    }

    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("deploy {}", service.name));
        self.files
            .lock()
            .unwrap()
            .push((service.name.clone(), service.config_files.clone()));
        let container = RuntimeObject {
            kind: "container".into(),
            name: format!("{}-{}", env.env_id, service.name),
        };
        env.ledger.record(&container).await?;
        let vars = service
            .env
            .iter()
            .map(|v| (v.key.clone(), v.value.clone()))
            .collect();
        self.envs.lock().unwrap().push((service.name.clone(), vars));
        if service.name == "web" {
            self.images
                .lock()
                .unwrap()
                .push((service.name.clone(), service.image.clone()));
        }
        if service.name == "web"
            && let Some(error) = self.web_fails.lock().unwrap().clone()
        {
            return Err(error);
        }
        progress.waiting("waiting for readiness: exec true, attempt 1");
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|e| RuntimeError::new(e.to_string()))?;
        let running = (env.env_id.clone(), service.name.clone());
        let mut all = self.running.lock().unwrap();
        if !all.contains(&running) {
            all.push(running);
        }
        Ok(())
    }

    async fn run_job(
        &self,
        _: &EnvironmentRef,
        job: &JobSpec,
        _: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        self.calls.lock().unwrap().push(format!("run {}", job.name));
        Ok(JobExit::new(0, false))
    }

    async fn stop_job(&self, _: &EnvironmentRef, _: &JobSpec) -> Result<(), RuntimeError> {
        Ok(())
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("remove {}", env.app));
        self.running
            .lock()
            .unwrap()
            .retain(|(env_id, _)| *env_id != env.env_id);
        // Exactly what the ledger holds, and nothing else.
        for object in env.ledger.entries().await? {
            env.ledger.removed(&object).await?;
        }
        Ok(())
    }
    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        let down = self.down.lock().unwrap().clone();
        Ok(self
            .running
            .lock()
            .unwrap()
            .iter()
            .filter(|(env_id, _)| *env_id == env.env_id)
            .map(|(_, service)| {
                let up = !down.contains(service);
                WorkloadStatus {
                    workload: format!("services.{service}"),
                    ready_replicas: u32::from(up),
                    replicas: 1,
                    reason: (!up).then(|| "Exited (1) 2 seconds ago".to_owned()),
                }
            })
            .collect())
    }

    async fn objects(&self, _: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        Ok(self.objects.lock().unwrap().clone())
    }

    fn logs(
        &self,
        _: &EnvironmentRef,
        _: &str,
        _: bool,
        _: Option<std::time::SystemTime>,
    ) -> stagecraft_engine::BoxStream<Result<LogLine, RuntimeError>> {
        Box::pin(futures_util::stream::empty())
    }
}

const TEMPLATE: &str = "app: shop
environment_templates:
- name: ephemeral
- name: permanent
  resources: {replicas: 2}
services:
- name: db
  image: postgres:16
- name: web
  image: shop/web
  ports: [{type: node_port, port: '8080', target_port: '80'}]
jobs:
- {name: migrate, from_services: web}
workflows:
- name: setup
  order_from: [services.db, jobs.migrate, services.web]
- name: patch
  order_from: [services.web]
- name: teardown
  order_from: [release.remove_environment]
";

pub fn repo(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("shop");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(repo.join(".release/application_template.yaml"), TEMPLATE).unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults:\n- {key: DB_PASS, value: hunter2, secret: true}\nmapping:\n  PUBLIC_URL: WEB_INGRESS_URL\n",
    )
    .unwrap();
    repo
}

pub async fn open(dir: &Path, runtime: Arc<Fake>) -> Stagecraft {
    let mut stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(dir.join("data")),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: stagecraft_api::default_build_parallelism(),
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    })
    .await
    .unwrap();
    stagecraft.register_runtime("docker", runtime);
    stagecraft
}

pub fn ephemeral() -> CreateEnvironment {
    CreateEnvironment {
        dataset: None,
        app: "shop".into(),
        branch: Some("feature/cart".into()),
        environment_template: "ephemeral".into(),
        runtime: "docker".into(),
        name: None,
        ttl: None,
        working_tree: false,
        parameters: Default::default(),
    }
}

#[tokio::test]
async fn an_app_is_added_from_its_folder_once() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;

    let app = stagecraft.add_app(&repo(dir.path())).await.unwrap().app;

    assert_eq!(
        (app.name.as_str(), app.tracking_branch.as_str()),
        ("shop", "main")
    );
    let again = stagecraft.add_app(&repo(dir.path())).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::Conflict);
    assert!(again.to_string().contains("exists already"), "{again}");
}

#[tokio::test]
async fn an_apps_image_registry_reaches_the_runtime_at_each_deploy_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();

    stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let app = stagecraft
        .set_image_registry("shop", Some(" registry.example.com/team/ "), true)
        .await
        .unwrap();
    assert_eq!(
        app.image_registry.as_deref(),
        Some("registry.example.com/team")
    );
    assert!(app.share_registry_login);
    let refused = stagecraft
        .set_image_registry("shop", Some("registry.example.com/team/web:1"), false)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidRequest);
    assert!(
        refused.to_string().starts_with("image_registry: "),
        "{refused}"
    );
    let missing = stagecraft
        .set_image_registry("cart", Some("registry.example.com/team"), false)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    stagecraft
        .submit(&env.env_id, DeployRequest::Setup, Wait::UntilDone)
        .await
        .unwrap();
    let nothing_to_share = stagecraft
        .set_image_registry("shop", None, true)
        .await
        .unwrap_err();
    assert_eq!(nothing_to_share.code(), ErrorCode::InvalidRequest);
    stagecraft
        .set_image_registry("shop", Some(""), false)
        .await
        .unwrap();
    stagecraft
        .submit(&env.env_id, DeployRequest::Setup, Wait::UntilDone)
        .await
        .unwrap();

    assert_eq!(
        *fake.registries.lock().unwrap(),
        [
            (None, false),
            (Some("registry.example.com/team".to_owned()), true),
            (None, false)
        ]
    );
    assert_eq!(stagecraft.apps().await.unwrap()[0].image_registry, None);
}

#[tokio::test]
async fn an_app_with_mistakes_is_refused_with_every_one_located() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    let repo = repo(dir.path());
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        TEMPLATE.replace("[services.web]", "[services.api]"),
    )
    .unwrap();

    let error = stagecraft.add_app(&repo).await.unwrap_err();

    assert_eq!(error.code(), ErrorCode::InvalidFiles);
    assert!(
        error.to_string().contains(".release/application_template.yaml:18:16: error: workflows[1].order_from[0]: `services.api` names no service"),
        "{error}"
    );
    assert!(stagecraft.apps().await.unwrap().is_empty());
}

#[tokio::test]
async fn environments_get_an_id_a_version_and_an_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();

    let ephemeral = stagecraft.create_environment(ephemeral()).await.unwrap();
    let permanent = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            environment_template: "permanent".into(),
            name: Some("staging".into()),
            branch: None,
            ..self::ephemeral()
        })
        .await
        .unwrap();

    assert_eq!(ephemeral.env_id.len(), 7);
    assert!(
        ephemeral
            .env_id
            .chars()
            .next()
            .unwrap()
            .is_ascii_lowercase()
    );
    assert_eq!(
        (ephemeral.kind, ephemeral.version.to_string()),
        (EnvironmentKind::Ephemeral, "v1.1".to_owned())
    );
    assert_eq!(ephemeral.status, EnvironmentStatus::Created);
    assert!(ephemeral.expires_at.is_some());
    assert_eq!(
        (permanent.env_id.as_str(), permanent.branch.as_str()),
        ("staging", "main")
    );
    assert_eq!(
        (permanent.kind, permanent.expires_at.as_deref()),
        (EnvironmentKind::Permanent, None)
    );
    assert_eq!(stagecraft.environments().await.unwrap().len(), 2);
}

#[tokio::test]
async fn deploy_sets_up_first_then_patches_and_teardown_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();

    let setup = stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert!(setup.ran());
    assert_eq!(
        (setup.deploy.stage, setup.deploy.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert_eq!(
        setup.deploy.reason,
        "first setup: the environment was never set up"
    );
    assert_eq!(
        stagecraft.environment(&env.env_id).await.unwrap().status,
        EnvironmentStatus::Deployed
    );
    assert_eq!(
        fake.calls(),
        ["prepare shop", "deploy db", "run migrate", "deploy web"]
    );

    let events = stagecraft.deploy_events(setup.deploy.id, 0).await.unwrap();
    assert_eq!(events.first().unwrap().seq, 1);
    assert!(
        events[0].json().contains("\"type\":\"stage_started\""),
        "{}",
        events[0].json()
    );
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("\"type\":\"stage_finished\"")
    );
    assert!(events.iter().any(|e| {
        e.json()
            .contains("waiting for readiness: exec true, attempt 1")
    }));
    assert!(
        !events.iter().any(|e| e.json().contains("hunter2")),
        "no secret in an event"
    );
    let replay = stagecraft.deploy_events(setup.deploy.id, 3).await.unwrap();
    assert_eq!(replay.first().unwrap().seq, 4);

    let patch = stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        (patch.deploy.stage, patch.deploy.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );
    assert_eq!(
        patch.deploy.reason,
        "patch: the configuration is unchanged since the last setup"
    );

    let teardown = stagecraft
        .submit(&env.env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(teardown.deploy.status, DeployStatus::Succeeded);
    assert_eq!(
        stagecraft.environment(&env.env_id).await.unwrap().status,
        EnvironmentStatus::TornDown
    );
    assert_eq!(fake.calls().last().unwrap(), "remove shop");
    assert_eq!(
        stagecraft
            .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    let stages: Vec<Stage> = stagecraft
        .deploys(&env.env_id)
        .await
        .unwrap()
        .iter()
        .map(|d| d.stage)
        .collect();
    assert_eq!(stages, [Stage::Setup, Stage::Patch, Stage::Teardown]);
}

/// The data folder of `dir` opened by a Stagecraft with no runtime registered: a process
/// that cannot reach the runtime its environments were created on.
pub async fn open_without_runtimes(dir: &Path) -> Stagecraft {
    Stagecraft::open(Settings {
        data_dir: DataDir::explicit(dir.join("data")),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: 2,
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_runtime_that_is_not_there_is_refused_at_creation_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();

    let error = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            runtime: "kube:kind-dev".into(),
            ..ephemeral()
        })
        .await
        .unwrap_err();
    let too_long = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            ttl: Some(std::time::Duration::from_secs(8 * 24 * 3600)),
            ..ephemeral()
        })
        .await
        .unwrap_err();

    assert_eq!(error.code(), ErrorCode::InvalidRequest);
    assert_eq!(
        error.to_string(),
        "runtime: `kube:kind-dev` is not a runtime this Stagecraft can deploy to: choose one of docker"
    );
    assert_eq!(too_long.code(), ErrorCode::InvalidRequest);
    assert!(
        too_long.to_string().starts_with("ttl: 192 h is longer"),
        "{too_long}"
    );
    assert!(stagecraft.environments().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_runtime_that_is_not_there_fails_the_deploy_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();
    let stagecraft = open_without_runtimes(dir.path()).await;

    let report = stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    assert_eq!(report.deploy.status, DeployStatus::Failed);
    assert_eq!(
        stagecraft.environment(&env.env_id).await.unwrap().status,
        EnvironmentStatus::Failed
    );
    let events = stagecraft.deploy_events(report.deploy.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("the runtime `docker` is not available in this Stagecraft"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_queues_behind_the_first_and_its_requests_coalesce() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let app = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    let cli = open(dir.path(), Fake::open()).await;
    app.add_app(&repo(dir.path())).await.unwrap();
    let env = app.create_environment(ephemeral()).await.unwrap();

    // The app starts the setup; its first service waits at the gate.
    let running = {
        let app = Arc::clone(&app);
        let env_id = env.env_id.clone();
        tokio::spawn(async move {
            app.submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
        })
    };
    while !fake.calls().contains(&"deploy db".to_owned()) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    // The CLI asks twice: both requests wait in one queued deploy.
    let first = cli
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let second = cli
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert!(!first.ran() && !second.ran());
    assert_eq!(first.deploy.id, second.deploy.id);
    assert_eq!(first.deploy.status, DeployStatus::Queued);

    // Let the app finish: it runs the queued deploy too before it lets go.
    fake.gate.add_permits(100);
    let setup = running.await.unwrap().unwrap();
    assert_eq!(setup.deploy.status, DeployStatus::Succeeded);
    let deploys = cli.deploys(&env.env_id).await.unwrap();
    assert_eq!(deploys.len(), 2);
    assert_eq!(
        deploys[1].status,
        DeployStatus::Succeeded,
        "the queued deploy ran"
    );
}

#[tokio::test]
async fn setup_runs_again_on_request_even_when_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    let again = stagecraft
        .submit(&env_id, DeployRequest::Setup, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(
        (again.stage, again.status, again.reason.as_str()),
        (Stage::Setup, DeployStatus::Succeeded, "setup requested")
    );
    assert_eq!(
        fake.calls()
            .iter()
            .filter(|c| c.starts_with("prepare"))
            .count(),
        2
    );
}

#[tokio::test]
async fn the_ledger_holds_what_the_runtime_made_until_teardown_removes_it() {
    use stagecraft_store::{Store, ledger};
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();
    stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let raw = Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();

    let live: Vec<String> = ledger::live(raw.pool(), env.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.name))
        .collect();
    assert_eq!(
        live,
        [
            format!("network stagecraft-{}", env.env_id),
            format!("container {}-db", env.env_id),
            format!("container {}-web", env.env_id),
        ]
    );

    stagecraft
        .submit(&env.env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    assert!(ledger::live(raw.pool(), env.id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_started_for_the_window_returns_at_once_and_runs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let stagecraft = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let next = stagecraft.next_deploy(&env_id).await.unwrap();
    assert_eq!(next.stage, stagecraft_api::StageView::Setup);

    // The runtime holds every service until the gate opens: the call must not wait for it.
    let started = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stagecraft.submit(&env_id, DeployRequest::DEPLOY, Wait::Background),
    )
    .await
    .expect("start_deploy returns before the deploy ends")
    .unwrap()
    .deploy;
    assert_eq!(started.stage, Stage::Setup);
    assert!(matches!(
        started.status,
        DeployStatus::Queued | DeployStatus::Running
    ));

    fake.gate.add_permits(100);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let deploys = stagecraft.deploys(&env_id).await.unwrap();
        if deploys[0].status == DeployStatus::Succeeded {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{deploys:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::Background)
        .await
        .unwrap();
    assert_eq!(teardown.deploy.stage, Stage::Teardown);
    // The setup's queue may still be winding down when the teardown is asked for: then it runs
    // the teardown, and this call's queue task has nothing to do. The teardown's end is what
    // is waited for, as the window waits for it (through the change feed).
    teardown.queue.unwrap().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stagecraft.environment(&env_id).await.unwrap().status != EnvironmentStatus::TornDown {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            stagecraft.deploys(&env_id).await.unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_app_imported_from_docker_compose_comes_with_what_was_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    let repo = dir.path().join("blog");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n    container_name: blog-web\n    ports: [\"8080:80\"]\n",
    )
    .unwrap();

    let added = stagecraft.add_app(&repo).await.unwrap();

    assert_eq!(added.app.name, "blog");
    let warnings: Vec<String> = added.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "docker-compose.yml:4:5: warning: services.web.container_name: `container_name` has no place in a Release template: dropped"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_running_deploy_and_drops_the_queued_ones() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let stagecraft = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    let queued = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::Background)
        .await
        .unwrap()
        .deploy;
    // The setup waits on the gated runtime.
    wait_until(|| async {
        stagecraft.deploys(&env_id).await.unwrap()[0].status == DeployStatus::Running
    })
    .await;

    let cancelled = stagecraft.cancel(&env_id).await.unwrap();

    assert_eq!(
        cancelled.len(),
        2,
        "{cancelled:?} {:?}",
        stagecraft.deploys(&env_id).await.unwrap()
    );
    setup.queue.unwrap().await.unwrap();
    // Whichever task of this process runs the queue, the cancelled deploy ends without the
    // gate opening.
    wait_until(|| async {
        stagecraft.deploys(&env_id).await.unwrap()[0].status == DeployStatus::Cancelled
    })
    .await;
    let deploys = stagecraft.deploys(&env_id).await.unwrap();
    assert_eq!(
        deploys.iter().map(|d| d.status).collect::<Vec<_>>(),
        [DeployStatus::Cancelled, DeployStatus::Cancelled]
    );
    assert_eq!(deploys[1].id, queued.id);
    assert_eq!(
        stagecraft.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::Failed,
        "a cancelled setup leaves the environment to be deployed again"
    );
    let ends = stagecraft.deploy_events(queued.id, 0).await.unwrap();
    assert!(ends[0].json().contains("cancelled"), "{ends:?}");
    let nothing = stagecraft.cancel(&env_id).await.unwrap_err();
    assert_eq!(nothing.code(), ErrorCode::Conflict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_asked_for_by_another_process_reaches_the_one_that_runs_the_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let app = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    app.add_app(&repo(dir.path())).await.unwrap();
    let env_id = app.create_environment(ephemeral()).await.unwrap().env_id;
    let setup = app
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    wait_until(|| async { app.deploys(&env_id).await.unwrap()[0].status == DeployStatus::Running })
        .await;
    let cli = open(dir.path(), Fake::open()).await;

    cli.cancel(&env_id).await.unwrap();

    setup.queue.unwrap().await.unwrap();
    wait_until(|| async {
        app.deploys(&env_id).await.unwrap()[0].status == DeployStatus::Cancelled
    })
    .await;
}

async fn wait_until<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn configmap_files_are_read_from_the_repository_and_a_missing_one_fails_the_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    let repo = repo(dir.path());
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        TEMPLATE.replace(
            "  image: shop/web\n",
            "  image: shop/web\n  configmap:\n  - {name: nginx-conf, repo_path: ./conf/nginx.conf, mount_path: /etc/nginx/nginx.conf}\n",
        ),
    )
    .unwrap();
    std::fs::create_dir_all(repo.join("conf")).unwrap();
    std::fs::write(repo.join("conf/nginx.conf"), "worker_processes 1;\n").unwrap();
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(setup.status, DeployStatus::Succeeded);
    let files = fake.files.lock().unwrap().clone();
    let (_, web) = files.iter().find(|(name, _)| name == "web").unwrap();
    assert_eq!(
        web.iter()
            .map(|f| (f.mount_path.as_str(), f.content.as_str()))
            .collect::<Vec<_>>(),
        [("/etc/nginx/nginx.conf", "worker_processes 1;\n")]
    );

    std::fs::remove_file(repo.join("conf/nginx.conf")).unwrap();
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(patch.status, DeployStatus::Failed);
    let events = stagecraft.deploy_events(patch.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("configmap `nginx-conf`"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_new_process_takes_up_the_deployed_environments_services() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let deployed = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&deployed, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let never = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    drop(stagecraft);
    let fake = Fake::open();
    let app = open(dir.path(), Arc::clone(&fake)).await;

    let resumed = app.resume_environments().await.unwrap();

    assert_eq!(resumed, [deployed], "{never} was never deployed");
    let mut calls = fake.calls();
    calls.sort();
    assert_eq!(calls, ["resume db postgres:16", "resume web shop/web"]);
}

#[tokio::test]
async fn a_deploy_queued_behind_a_teardown_fails_unrun_says_why_and_ends_its_followers() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let stagecraft = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    wait_until(|| async {
        stagecraft.deploys(&env_id).await.unwrap()[0].status == DeployStatus::Running
    })
    .await;
    stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::Background)
        .await
        .unwrap();
    let late = stagecraft
        .submit(&env_id, DeployRequest::Setup, Wait::Background)
        .await
        .unwrap()
        .deploy;
    let mut follower = stagecraft.follow(late.id, 0).await.unwrap();

    fake.gate.add_permits(100);
    setup.queue.unwrap().await.unwrap();
    let mut seen = Vec::new();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(event) = follower.recv().await {
            seen.push(event.json());
        }
    })
    .await;

    assert!(ended.is_ok(), "the follower never ended: {seen:?}");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].contains("\"type\":\"stage_started\""), "{seen:?}");
    assert!(
        seen[1].contains("\"type\":\"stage_finished\"")
            && seen[1].contains(&format!(
                "{env_id} was torn down before this setup could run: create a new environment"
            )),
        "{seen:?}"
    );
    wait_until(|| async {
        stagecraft.deploys(&env_id).await.unwrap()[2].status == DeployStatus::Failed
    })
    .await;
}
