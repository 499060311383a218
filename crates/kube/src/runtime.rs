//! The engine's [`Runtime`] on a Kubernetes cluster: one namespace per environment, each
//! service a Deployment (with its Service, Secret and claims) applied with server-side apply
//! and followed by watches until its rollout is done, each job run a Job followed until it
//! ends. Images Stagecraft built reach the cluster before they are needed (see [`Images`]).
//!
//! `KubeRuntime`, one per kubeconfig context, is registered as `kube:<context>` by the api's
//! `Stagecraft::use_kubernetes`, and connects on first use.
//!
//! # Deploys
//!
//! Setup applies the namespace, recorded in the ledger first. A service's deploy applies its
//! Secret, claims, ConfigMap, Deployment and Service with server-side apply, unless the
//! Deployment's `dev.stagecraft/config` annotation holds the digest of the same spec (without
//! the per-deploy `RELEASE_BUILD_ID` and commit variables, `ServiceSpec::change_basis`, as
//! Docker decides): an unchanged service is left as it is instead of rolled for a new build id.
//! Then it reads the Deployment and watches it and its pods (never polls) until every replica
//! runs the new template and is ready and no old one is left. Each pod's reason for not being
//! ready becomes the task's wait reason as it changes
//! (`waiting for readiness: web-5d9c-x2: ImagePullBackOff: …`, `restarting again and again (3
//! restarts so far): it ran out of memory …`,
//! `unschedulable: 0/1 nodes are available …`); `ErrImageNeverPull` and `InvalidImageName` fail
//! the task at once, and `ProgressDeadlineExceeded` fails it. A job run deletes the previous
//! run's Job (kept until then for its log), applies a Job of its own and watches it and its pod
//! to the pod's exit code; once the Job exists a failure is never retried (it would run twice).
//! API errors map to the runtime's transient failures (unreachable, 429, 5xx) or permanent
//! ones.
//!
//! A service's `node_port` is forwarded from 127.0.0.1 at the same stable port the Docker
//! runtime publishes it on (`stable_host_port`, in the engine), so `<SERVICE>_INGRESS_URL` and
//! the environments list's URLs work the same on both (`forward.rs`, kube's port-forward over
//! WebSocket): each connection picks a ready pod when it opens, so the forward survives every
//! rollout and crash; it lives as long as the process that deployed the service (the app), a
//! start takes it up again (`resume_service`), and teardown stops it. A port something else
//! holds already (another program, or another Stagecraft such as the app while the command
//! deploys) is not forwarded from this process: the deploy goes on, and the log says so.
//!
//! Teardown deletes the ledger's namespace only when it carries the environment's label, waits
//! until it is gone, and marks it removed; a namespace by that name without the label is left
//! and stays recorded. Logs are read from the workload's pods.
//!
//! # Built images
//!
//! Images Stagecraft built reach the cluster before they are needed, once per process: Docker
//! Desktop's cluster shares the engine's images; kind, k3d and minikube get them through their
//! own commands (`kind load docker-image`, `k3d image import`, `minikube image load`, which
//! must be on PATH); any other cluster pulls them from the app's image registry
//! (`app.image_registry`, see the api's `registry.rs`). The runtime is given an `ImagePusher`
//! (the engine's trait; `DockerPusher` in the docker crate, on the engine that built the
//! image): the image goes to `<registry>/<app>-<service>` (one path level, which every registry
//! takes) under a tag made from the start of its image ID, so the same content keeps its tag
//! and the Deployment's config digest stays equal when nothing changed. An app with built
//! images and no registry fails the task before anything reaches the cluster, saying how to
//! name one.
//!
//! The cluster's nodes pull from the registry by themselves (their cloud identity, or a public
//! registry), unless the app shares the user's login (`app.share_registry_login`; off by
//! default, since it puts the user's registry credentials in the cluster): then each deploy of
//! a built workload applies the Secret `stagecraft-registry-login`
//! (`kubernetes.io/dockerconfigjson`, a `config.json` holding only that registry's login, as
//! `ImagePusher::pull_login` reads it, at most once per 5 minutes since a credential helper is
//! a process to run; applied only when the login differs from the one the process last left
//! there, so a token that was renewed reaches the cluster) and its pods name it in
//! `imagePullSecrets`. The Deployment's config digest covers the Secret's name, so turning
//! sharing on or off replaces the pods. When the app stops sharing, the next deploy of a built
//! workload deletes the Secret (once per process and environment), so the login does not stay
//! in the cluster; deleting the namespace takes it too. An identity-token login cannot be
//! shared (kubelets do not take one), and sharing a login the user does not have fails before
//! any workload is applied.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{AsyncBufReadExt as _, StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use stagecraft_engine::{
    EnvironmentRef, ImagePusher, JobExit, JobSpec, LabelledEnvironment, LogLine, Runtime,
    RuntimeError, RuntimeErrorKind, RuntimeObject, ServiceSpec, TaskProgress, WorkloadStatus,
    Workloads,
};
use tokio::sync::OnceCell;

use crate::cluster::Cluster;
use crate::kubeconfig::{ClusterKind, KubeError};
use crate::manifest::{LABEL_APP, LABEL_ENV, LABEL_WORKLOAD, Manifests, Owner, dns_label, job};

/// How long a registry login read from the user's Docker configuration is used before it is
/// read again.
const LOGIN_FRESH: Duration = Duration::from_secs(300);

/// How long teardown waits for the namespace to be gone.
const NAMESPACE_GONE_WITHIN: Duration = Duration::from_secs(180);

/// How images Stagecraft built reach a cluster's nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Images {
    /// The cluster runs on the engine that built them (Docker Desktop): nothing to do.
    Shared,
    /// `kind load docker-image <image> --name <cluster>`.
    Kind { cluster: String },
    /// `k3d image import <image> --cluster <cluster>`.
    K3d { cluster: String },
    /// `minikube image load <image> --profile <profile>`.
    Minikube { profile: String },
    /// A cluster that pulls: the images must be pushed to a registry it can reach.
    Registry,
}

impl Images {
    /// How images reach the cluster of kubeconfig context `context`, made by `kind`.
    pub fn for_context(kind: ClusterKind, context: &str) -> Self {
        match kind {
            ClusterKind::DockerDesktop => Self::Shared,
            ClusterKind::Kind => Self::Kind {
                cluster: context.strip_prefix("kind-").unwrap_or(context).to_owned(),
            },
            ClusterKind::K3d => Self::K3d {
                cluster: context.strip_prefix("k3d-").unwrap_or(context).to_owned(),
            },
            ClusterKind::Minikube => Self::Minikube {
                profile: context.to_owned(),
            },
            ClusterKind::Other => Self::Registry,
        }
    }

    /// The command that loads `image` into the cluster; `None` when none is needed, or none
    /// can do it (a registry).
    pub fn load_command(&self, image: &str) -> Option<(&'static str, Vec<String>)> {
        let args = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect();
        match self {
            Self::Shared | Self::Registry => None,
            Self::Kind { cluster } => Some((
                "kind",
                args(&["load", "docker-image", image, "--name", cluster]),
            )),
            Self::K3d { cluster } => Some((
                "k3d",
                args(&["image", "import", image, "--cluster", cluster]),
            )),
            Self::Minikube { profile } => Some((
                "minikube",
                args(&["image", "load", image, "--profile", profile]),
            )),
        }
    }
}

/// Environments on the cluster of one kubeconfig context.
pub struct KubeRuntime {
    context: String,
    paths: Vec<PathBuf>,
    cluster: OnceCell<Cluster>,
    images: Images,
    /// Built images this process made reachable by the cluster (loaded, or pushed under the
    /// app's registry), with the reference workloads name them by.
    loaded: Mutex<HashMap<String, String>>,
    /// What pushes built images to an app's registry, for a cluster that pulls them.
    pusher: Option<Arc<dyn ImagePusher>>,
    /// The login each environment's pull Secret holds (`None`: no Secret), as this process
    /// left it.
    logins_shared: Mutex<HashMap<String, Option<String>>>,
    /// The user's registry logins as last read, by registry, with when.
    logins: Mutex<HashMap<String, (Instant, String)>>,
    /// Each job's run counter, so every run gets a Job of its own (a Job cannot change).
    runs: Mutex<HashMap<String, u64>>,
    /// The `node_port` forwards this process keeps, by `<env_id>/<service>/<port>`.
    forwards: stagecraft_engine::Tasks,
}

impl std::fmt::Debug for KubeRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeRuntime")
            .field("context", &self.context)
            .field("images", &self.images)
            .finish_non_exhaustive()
    }
}

impl KubeRuntime {
    /// The runtime of `context` in the kubeconfig files `paths`; it connects on first use.
    pub fn new(paths: Vec<PathBuf>, context: &str, images: Images) -> Self {
        Self {
            context: context.to_owned(),
            paths,
            cluster: OnceCell::new(),
            images,
            loaded: Mutex::new(HashMap::new()),
            pusher: None,
            logins_shared: Mutex::new(HashMap::new()),
            logins: Mutex::new(HashMap::new()),
            runs: Mutex::new(HashMap::new()),
            forwards: stagecraft_engine::Tasks::default(),
        }
    }

    /// Pushes built images with `pusher` when the cluster pulls them from a registry.
    #[must_use]
    pub fn with_pusher(mut self, pusher: Arc<dyn ImagePusher>) -> Self {
        self.pusher = Some(pusher);
        self
    }

    /// Keeps each `node_port` of the service reachable on 127.0.0.1 at its stable port, for
    /// as long as this process runs; a forward made already is kept.
    async fn forward_ports(
        &self,
        cluster: &Cluster,
        env: &EnvironmentRef,
        service: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        for port in service.ports.iter().filter(|p| p.exposed) {
            let key = format!("{}/{}/{}", env.env_id, service.name, port.container_port);
            let host_port = stagecraft_engine::stable_host_port(
                &env.env_id,
                &service.name,
                port.container_port,
            );
            if self.forwards.is_running(&key) {
                continue;
            }
            let listener = match tokio::net::TcpListener::bind(("127.0.0.1", host_port)).await {
                Ok(listener) => listener,
                // Another Stagecraft (the app, while the command deploys) may hold it: its
                // forward goes to the same service. A deploy does not fail for the address.
                Err(error) => {
                    tracing::warn!(
                        service = service.name,
                        host_port,
                        %error,
                        "the node_port is not forwarded from this process"
                    );
                    continue;
                }
            };
            let target = crate::forward::Target {
                cluster: cluster.clone(),
                namespace: owner(env).namespace(),
                workload: format!("services.{}", service.name),
                port: port.container_port,
            };
            let task = tokio::spawn(crate::forward::serve(listener, target));
            self.forwards.replace(key, task.abort_handle());
        }
        Ok(())
    }

    fn stop_forwards(&self, env_id: &str) {
        self.forwards.abort_prefix(&format!("{env_id}/"));
    }

    /// The runtime of a cluster already connected (tests give a mock service).
    pub fn with_cluster(cluster: Cluster, images: Images) -> Self {
        let context = cluster.context().to_owned();
        let runtime = Self::new(Vec::new(), &context, images);
        // A fresh cell takes its first value.
        let _ = runtime.cluster.set(cluster);
        runtime
    }

    pub(crate) async fn cluster(&self) -> Result<&Cluster, RuntimeError> {
        self.cluster
            .get_or_try_init(|| Cluster::connect(&self.paths, &self.context))
            .await
            .map_err(failed)
    }

    /// Makes a built image reachable by the cluster's nodes, once per process: loaded into
    /// them, or pushed to the app's registry. Gives the reference the workload is to name.
    async fn ensure_image(
        &self,
        env: &EnvironmentRef,
        image: &str,
        built: bool,
        progress: &TaskProgress,
    ) -> Result<String, RuntimeError> {
        if !built {
            return Ok(image.to_owned());
        }
        let key = match (&self.images, &env.image_registry) {
            (Images::Registry, Some(registry)) => format!("{image} -> {registry}"),
            _ => image.to_owned(),
        };
        let known = self
            .loaded
            .lock()
            .map_err(|_| RuntimeError::new("the image cache is poisoned"))?
            .get(&key)
            .cloned();
        if let Some(reference) = known {
            return Ok(reference);
        }
        let reference = if self.images == Images::Registry {
            self.push(env, image, progress).await?
        } else {
            self.load(image, progress).await?;
            image.to_owned()
        };
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(key, reference.clone());
        }
        Ok(reference)
    }

    /// Pushes a built image to the app's registry, which the cluster pulls from.
    async fn push(
        &self,
        env: &EnvironmentRef,
        image: &str,
        progress: &TaskProgress,
    ) -> Result<String, RuntimeError> {
        let Some(registry) = &env.image_registry else {
            return Err(RuntimeError::new(format!(
                "{image} was built on this machine, and the cluster of context {} pulls its \
                 images from a registry: name the registry the app `{}` pushes to (`stagecraft \
                 apps set-registry {} <host>/<path>`, or the image registry field when creating \
                 an environment), one the cluster's nodes can pull from",
                self.context, env.app, env.app
            )));
        };
        let Some(pusher) = &self.pusher else {
            return Err(RuntimeError::new(format!(
                "{image} is to be pushed to {registry}, and this Stagecraft has no Docker engine \
                 to push it with"
            )));
        };
        pusher
            .push(image, &registry_repository(registry, image), progress)
            .await
    }

    /// The owner of a workload's objects: with the pull Secret when the workload's image was
    /// built, the cluster pulls it from the app's registry, and the app shares the user's
    /// login for it. The Secret is applied when the login differs from the one this process
    /// last gave the environment; the login is read again after [`LOGIN_FRESH`], since it may
    /// be a token that expires (a credential helper is a process to run, not once per task).
    async fn pulling_owner(
        &self,
        cluster: &Cluster,
        env: &EnvironmentRef,
        mut owner: Owner,
        built: bool,
    ) -> Result<Owner, RuntimeError> {
        let registry = match &env.image_registry {
            Some(registry) if built && self.images == Images::Registry => registry,
            _ => return Ok(owner),
        };
        let namespace = owner.namespace();
        if !env.share_registry_login {
            // A login shared before goes when the sharing stops: the user's credentials do
            // not stay in the cluster. Looked after once per process and environment.
            if self.shared_login(&env.env_id) != Some(None) {
                cluster
                    .delete_secret(&namespace, crate::manifest::PULL_SECRET)
                    .await
                    .map_err(failed)?;
                self.set_shared_login(&env.env_id, None);
            }
            return Ok(owner);
        }
        let login = self.login_for(env, registry).await?;
        if self.shared_login(&env.env_id).flatten().as_ref() != Some(&login) {
            let secret = crate::manifest::pull_secret(&owner, &login);
            cluster
                .apply_in(&namespace, &[secret])
                .await
                .map_err(failed)?;
            self.set_shared_login(&env.env_id, Some(login));
        }
        owner.pull_secret = Some(crate::manifest::PULL_SECRET.to_owned());
        Ok(owner)
    }

    /// The user's login for `registry`, read at most once per [`LOGIN_FRESH`].
    async fn login_for(
        &self,
        env: &EnvironmentRef,
        registry: &str,
    ) -> Result<String, RuntimeError> {
        let known = self.logins.lock().ok().and_then(|logins| {
            logins
                .get(registry)
                .filter(|(read, _)| read.elapsed() < LOGIN_FRESH)
                .map(|(_, login)| login.clone())
        });
        if let Some(login) = known {
            return Ok(login);
        }
        let pusher = self.pusher.as_ref().ok_or_else(|| {
            RuntimeError::new("this Stagecraft has no Docker engine to read your registry login")
        })?;
        let login = pusher.pull_login(registry).await?.ok_or_else(|| {
            RuntimeError::new(format!(
                "the app `{}` lets the cluster pull with your Docker login for {registry}, and \
                 you have none: run `docker login` for it, or stop sharing it (`stagecraft apps \
                 set-registry {} {registry}` without --share-login)",
                env.app, env.app
            ))
        })?;
        if let Ok(mut logins) = self.logins.lock() {
            logins.insert(registry.to_owned(), (Instant::now(), login.clone()));
        }
        Ok(login)
    }

    /// The login this process last left in the environment's namespace: `Some(None)` when it
    /// made sure there is none, `None` when it has not looked.
    fn shared_login(&self, env_id: &str) -> Option<Option<String>> {
        self.logins_shared
            .lock()
            .ok()
            .and_then(|shared| shared.get(env_id).cloned())
    }

    fn set_shared_login(&self, env_id: &str, login: Option<String>) {
        if let Ok(mut shared) = self.logins_shared.lock() {
            shared.insert(env_id.to_owned(), login);
        }
    }

    /// Loads a built image into the nodes of a local cluster (kind, k3d, minikube).
    async fn load(&self, image: &str, progress: &TaskProgress) -> Result<(), RuntimeError> {
        let Some((program, args)) = self.images.load_command(image) else {
            return Ok(());
        };
        progress.waiting(format!("loading {image} into the cluster ({program})"));
        let output = tokio::process::Command::new(program)
            .args(&args)
            .output()
            .await
            .map_err(|e| {
                RuntimeError::new(format!(
                    "loading {image} into the cluster needs `{program}` on PATH ({e}): install it"
                ))
            })?;
        if !output.status.success() {
            return Err(RuntimeError::new(format!(
                "`{program} {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(())
    }

    fn next_run(&self, env: &EnvironmentRef, job: &str) -> String {
        let key = format!("{}/{job}", env.env_id);
        let count = self.runs.lock().map_or(1, |mut runs| {
            let count = runs.entry(key).or_insert(0);
            *count += 1;
            *count
        });
        // The time keeps runs of different processes apart.
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        format!("{millis:x}{count}")
    }
}

/// Where a built image goes in the app's registry: `stagecraft/shop/web:7` under
/// `registry.example.com/team` is `registry.example.com/team/shop-web`. One path level, so
/// registries that allow no deeper ones (Docker Hub) take it too.
pub fn registry_repository(registry: &str, image: &str) -> String {
    let name = image.rsplit_once('/').map_or(image, |(_, last)| last);
    let without_tag = match name.split_once(['@', ':']) {
        Some((name_only, _)) => &image[..image.len() - name.len() + name_only.len()],
        None => image,
    };
    let local = without_tag
        .strip_prefix("stagecraft/")
        .unwrap_or(without_tag);
    let mut repository = String::with_capacity(local.len());
    for c in local.chars() {
        let c = c.to_ascii_lowercase();
        // Repository path components allow [a-z0-9] joined by `.`, `_` or `-`.
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        if !(c == '-' && repository.ends_with('-')) {
            repository.push(c);
        }
    }
    let repository = repository.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    format!("{}/{repository}", registry.trim_end_matches('/'))
}

pub(crate) fn owner(env: &EnvironmentRef) -> Owner {
    Owner {
        env_id: env.env_id.clone(),
        app: env.app.clone(),
        pull_secret: None,
    }
}

pub(crate) fn namespace_object(owner: &Owner) -> RuntimeObject {
    RuntimeObject {
        kind: "namespace".to_owned(),
        name: owner.namespace(),
    }
}

/// A cluster's refusal as a task's failure; a lost connection or an overloaded API server
/// is worth another attempt.
pub(crate) fn failed(error: KubeError) -> RuntimeError {
    let transient = match &error {
        KubeError::Unreachable { .. } => true,
        KubeError::Api(refusal) => matches!(refusal.code, 429 | 500 | 502 | 503 | 504),
        _ => false,
    };
    let kind = match &error {
        KubeError::Unreachable { .. } => RuntimeErrorKind::Unreachable,
        KubeError::Unauthorized { .. }
        | KubeError::Forbidden(_)
        | KubeError::NoSnapshots { .. } => RuntimeErrorKind::Refused,
        KubeError::Api(refusal) => match refusal.code {
            404 => RuntimeErrorKind::NotFound,
            409 => RuntimeErrorKind::Conflict,
            400 | 401 | 403 | 422 => RuntimeErrorKind::Refused,
            _ => RuntimeErrorKind::Failed,
        },
        KubeError::Timeout { .. } => RuntimeErrorKind::TimedOut,
        _ => RuntimeErrorKind::Failed,
    };
    let failure = if transient {
        RuntimeError::transient(error.to_string())
    } else {
        RuntimeError::new(error.to_string())
    };
    failure.of_kind(kind).caused_by(error)
}

#[async_trait::async_trait]
impl Runtime for KubeRuntime {
    /// A `node_port` is forwarded to 127.0.0.1 at a port stable across deploys, as the Docker
    /// runtime publishes it.
    fn ingress_url(&self, env_id: &str, service: &str, port: u16) -> Option<String> {
        Some(stagecraft_engine::local_ingress_url(env_id, service, port))
    }

    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        let owner = owner(env);
        env.ledger.record(&namespace_object(&owner)).await?;
        let manifests = Manifests::of(&owner, &Workloads::default());
        cluster.apply(&manifests).await.map_err(failed)
    }

    /// The cluster runs the cron jobs: a CronJob each (`concurrencyPolicy: Forbid`), those
    /// the configuration no longer has deleted.
    async fn schedule_cron_jobs(
        &self,
        env: &EnvironmentRef,
        cron_jobs: &[stagecraft_engine::CronJobSpec],
    ) -> Result<bool, RuntimeError> {
        let cluster = self.cluster().await?;
        // What it waits for (an image's push) is part of no task: said nowhere.
        let (unheard, _) = tokio::sync::mpsc::unbounded_channel::<stagecraft_engine::DeployEvent>();
        let progress = TaskProgress::new(std::sync::Arc::new(unheard), 0, "cron_jobs");
        let mut reached = HashMap::new();
        let mut built = false;
        for cron in cron_jobs {
            let mut cron = cron.clone();
            cron.job.image = self
                .ensure_image(env, &cron.job.image, cron.job.built, &progress)
                .await?;
            built |= cron.job.built;
            reached.insert(cron.job.name.clone(), cron);
        }
        let owner = owner(env);
        if !reached.is_empty() {
            env.ledger.record(&namespace_object(&owner)).await?;
            let owner = self
                .pulling_owner(cluster, env, owner.clone(), built)
                .await?;
            let workloads = Workloads {
                cron_jobs: reached,
                ..Workloads::default()
            };
            cluster
                .apply(&Manifests::of(&owner, &workloads))
                .await
                .map_err(failed)?;
        }
        let keep: Vec<String> = cron_jobs
            .iter()
            .map(|c| crate::manifest::cron_job_name(&c.job.name))
            .collect();
        let removed = cluster
            .delete_cron_jobs_except(&owner.namespace(), &keep)
            .await;
        match removed {
            Ok(_) => {}
            // An app without cron jobs works where the user may not list CronJobs.
            Err(error) if cron_jobs.is_empty() => {
                tracing::debug!(%error, "no cron jobs, and the cluster's were not listed");
            }
            Err(error) => return Err(failed(error)),
        }
        Ok(true)
    }

    fn schedules_cron_jobs(&self) -> bool {
        true
    }

    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        // Its init containers' and sidecars' images reach the cluster as its own does.
        let mut attached = Vec::new();
        for list in [&service.init_containers, &service.sidecars] {
            let mut reached = Vec::new();
            for container in list {
                reached.push(stagecraft_engine::ContainerSpec {
                    image: self
                        .ensure_image(env, &container.image, container.built, &progress)
                        .await?,
                    ..container.clone()
                });
            }
            attached.push(reached);
        }
        let sidecars = attached.pop().unwrap_or_default();
        let init_containers = attached.pop().unwrap_or_default();
        let service = &ServiceSpec {
            image: self
                .ensure_image(env, &service.image, service.built, &progress)
                .await?,
            init_containers,
            sidecars,
            ..service.clone()
        };
        let built = crate::manifest::any_built(service);
        let owner = owner(env);
        env.ledger.record(&namespace_object(&owner)).await?;
        let owner = self.pulling_owner(cluster, env, owner, built).await?;
        // Unchanged but for the per-deploy variables: left as it is, as on Docker; scaled back
        // first when a pause (or one cut short) left it at zero.
        let digest = owner.config_digest(service);
        let (deployed, paused) = cluster
            .deployment_digest(&owner.namespace(), &dns_label(&service.name))
            .await
            .map_err(failed)?;
        if deployed.as_deref() == Some(digest.as_str()) {
            if paused {
                let report = |reason: String| progress.waiting(reason);
                crate::pause::wake(
                    cluster,
                    &owner.namespace(),
                    &dns_label(&service.name),
                    &format!("services.{}", service.name),
                    i32::try_from(service.replicas).unwrap_or(i32::MAX),
                    &report,
                )
                .await
                .map_err(failed)?;
            }
            return self.forward_ports(cluster, env, service).await;
        }
        let workloads = Workloads {
            services: HashMap::from([(service.name.clone(), service.clone())]),
            jobs: HashMap::new(),
            cron_jobs: HashMap::new(),
            ..Default::default()
        };
        let manifests = Manifests::of(&owner, &workloads);
        cluster.apply(&manifests).await.map_err(failed)?;
        let report = |reason: String| progress.waiting(reason);
        cluster
            .wait_rollout(
                &owner.namespace(),
                &dns_label(&service.name),
                &format!("services.{}", service.name),
                &report,
            )
            .await
            .map_err(failed)?;
        self.forward_ports(cluster, env, service).await
    }

    /// Every Deployment scaled to zero (its count recorded), every CronJob suspended.
    async fn pause_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        crate::pause::pause(cluster, &owner(env).namespace())
            .await
            .map_err(failed)
    }

    /// A VolumeSnapshot of the service's claim, its content kept in the cluster.
    async fn capture_volume(
        &self,
        env: &EnvironmentRef,
        service: &str,
        volume: &stagecraft_engine::VolumeMount,
        _to: &std::path::Path,
    ) -> Result<stagecraft_engine::CapturedVolume, RuntimeError> {
        self.capture(env, service, volume).await
    }

    /// The claim made from the dataset's snapshot, through a pre-provisioned
    /// VolumeSnapshotContent (recorded in the ledger, deleted with the environment).
    async fn seed_volume(
        &self,
        env: &EnvironmentRef,
        seed: &stagecraft_engine::VolumeSeed,
    ) -> Result<Option<u64>, RuntimeError> {
        self.seed(env, seed).await
    }

    async fn delete_volume_snapshot(
        &self,
        snapshot: &stagecraft_engine::VolumeSnapshotRef,
    ) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        crate::snapshot::forget(cluster, &snapshot.content, true)
            .await
            .map_err(failed)
    }

    /// What a deploy of the service does: an unchanged Deployment that a pause scaled to zero
    /// is scaled back to its recorded count and its rollout waited for (a setup or patch after
    /// a pause cut short mends it the same way); its `node_port` forwards made again; one that
    /// is gone or changed is applied.
    async fn wake_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.deploy_service(env, service, progress).await
    }

    /// Makes the service's `node_port` forwards again in this process.
    async fn resume_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        if !service.ports.iter().any(|p| p.exposed) {
            return Ok(());
        }
        let cluster = self.cluster().await?;
        self.forward_ports(cluster, env, service).await
    }

    async fn run_job(
        &self,
        env: &EnvironmentRef,
        spec: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        let cluster = self.cluster().await?;
        let spec = &JobSpec {
            image: self
                .ensure_image(env, &spec.image, spec.built, &progress)
                .await?,
            ..spec.clone()
        };
        let owner = owner(env);
        env.ledger.record(&namespace_object(&owner)).await?;
        let owner = self.pulling_owner(cluster, env, owner, spec.built).await?;
        let workloads = Workloads {
            services: HashMap::new(),
            jobs: HashMap::from([(spec.name.clone(), spec.clone())]),
            cron_jobs: HashMap::new(),
            ..Default::default()
        };
        cluster
            .apply(&Manifests::of(&owner, &workloads))
            .await
            .map_err(failed)?;
        // The previous run's Job (kept for its log) goes when the job runs again.
        let workload = format!("jobs.{}", spec.name);
        cluster
            .delete_jobs(&owner.namespace(), &workload)
            .await
            .map_err(failed)?;
        let run = job(&owner, spec, &self.next_run(env, &spec.name));
        let report = |reason: String| progress.waiting(reason);
        cluster
            .run_job(&owner.namespace(), &run, &report)
            .await
            // Once the Job exists, trying again would run it twice.
            .map_err(|e| failed(e).permanent())
    }

    async fn stop_job(&self, env: &EnvironmentRef, spec: &JobSpec) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        cluster
            .delete_jobs(&owner(env).namespace(), &format!("jobs.{}", spec.name))
            .await
            .map_err(failed)
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let cluster = self.cluster().await?;
        self.stop_forwards(&env.env_id);
        let entries = env.ledger.entries().await?;
        if let Some(entry) = entries
            .iter()
            .find(|e| e.kind != "namespace" && e.kind != crate::snapshot::CONTENT_KIND)
        {
            return Err(RuntimeError::new(format!(
                "the ledger holds a {} ({}), which the Kubernetes runtime does not make",
                entry.kind, entry.name
            )));
        }
        // The namespaces first: the VolumeSnapshots in them hold their contents.
        let (namespaces, contents): (Vec<_>, Vec<_>) =
            entries.into_iter().partition(|e| e.kind == "namespace");
        for entry in namespaces {
            match cluster
                .namespace_labels(&entry.name)
                .await
                .map_err(failed)?
            {
                None => {}
                Some(labels) if labels.get(LABEL_ENV) == Some(&env.env_id) => {
                    cluster
                        .delete_namespace(&entry.name, NAMESPACE_GONE_WITHIN)
                        .await
                        .map_err(failed)?;
                }
                Some(_) => {
                    // Someone else's namespace under a name we once used: ours is gone, theirs
                    // stays (as on Docker), and the teardown can end.
                    tracing::warn!(
                        namespace = entry.name,
                        env_id = env.env_id,
                        "the namespace does not carry the environment's label: left as it is"
                    );
                }
            }
            env.ledger.removed(&entry).await?;
        }
        // Pre-provisioned for a dataset, `Retain`: the storage's snapshot stays the dataset's.
        for entry in contents {
            crate::snapshot::forget(cluster, &entry.name, false)
                .await
                .map_err(failed)?;
            env.ledger.removed(&entry).await?;
        }
        Ok(())
    }

    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        let cluster = self.cluster().await?;
        let namespace = owner(env).namespace();
        let deployments: Api<Deployment> = Api::namespaced(cluster.client(), &namespace);
        let listed = deployments
            .list(&ListParams::default())
            .await
            .map_err(|e| failed(cluster.error("list", "deployments", &namespace, e)))?;
        Ok(listed
            .items
            .iter()
            .filter_map(|d| {
                let workload = d.metadata.labels.as_ref()?.get(LABEL_WORKLOAD)?.clone();
                let status = d.status.clone().unwrap_or_default();
                let replicas = d.spec.replicas.unwrap_or(1);
                let ready = status.ready_replicas.unwrap_or(0);
                Some(WorkloadStatus {
                    workload,
                    ready_replicas: u32::try_from(ready).unwrap_or(0),
                    replicas: u32::try_from(replicas).unwrap_or(0),
                    reason: (ready < replicas).then(|| {
                        status
                            .conditions
                            .iter()
                            .flatten()
                            .find(|c| c.status.as_deref() == Some("False"))
                            .and_then(|c| c.message.clone())
                            .unwrap_or_else(|| "not every replica is ready".to_owned())
                    }),
                })
            })
            .collect())
    }

    async fn objects(&self, env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        let cluster = self.cluster().await?;
        let owner = owner(env);
        let labels = cluster
            .namespace_labels(&owner.namespace())
            .await
            .map_err(failed)?;
        let mut found = match labels {
            Some(labels) if labels.get(LABEL_ENV) == Some(&env.env_id) => {
                vec![namespace_object(&owner)]
            }
            _ => Vec::new(),
        };
        // Cluster-scoped, so outside the namespace: made for claims filled from a dataset.
        for name in crate::snapshot::contents_of(cluster, &owner)
            .await
            .map_err(failed)?
        {
            found.push(RuntimeObject {
                kind: crate::snapshot::CONTENT_KIND.to_owned(),
                name,
            });
        }
        Ok(found)
    }

    async fn labelled_environments(&self) -> Result<Vec<LabelledEnvironment>, RuntimeError> {
        let cluster = self.cluster().await?;
        let namespaces = cluster
            .labelled_namespaces(LABEL_ENV)
            .await
            .map_err(failed)?;
        let mut found: Vec<LabelledEnvironment> = namespaces
            .iter()
            .filter_map(|labels| {
                Some(LabelledEnvironment {
                    env_id: labels.get(LABEL_ENV)?.clone(),
                    app: labels.get(LABEL_APP).cloned().unwrap_or_default(),
                })
            })
            .collect();
        found.sort();
        found.dedup();
        Ok(found)
    }

    async fn exec(
        &self,
        env: &EnvironmentRef,
        request: &stagecraft_engine::ExecRequest,
    ) -> Result<stagecraft_engine::ExecSession, RuntimeError> {
        let cluster = self.cluster().await?;
        crate::exec::exec(cluster, &owner(env).namespace(), request).await
    }

    fn logs(
        &self,
        env: &EnvironmentRef,
        workload: &str,
        follow: bool,
        since: Option<std::time::SystemTime>,
    ) -> stagecraft_engine::BoxStream<Result<LogLine, RuntimeError>> {
        let namespace = owner(env).namespace();
        let workload = workload.to_owned();
        let cluster = self.cluster.get().cloned();
        let context = self.context.clone();
        let opened = async move {
            let Some(cluster) = cluster else {
                return Err(RuntimeError::new(format!(
                    "context {context} is not connected yet: deploy first"
                )));
            };
            // `services.web/sidecar.proxy`: the pods of `services.web`, its `proxy` container.
            let (owner_workload, part) = match workload.split_once('/') {
                Some((service, part)) => (service.to_owned(), part.split_once('.').map(|(_, n)| n)),
                None => (workload.clone(), None),
            };
            let pods: Api<Pod> = Api::namespaced(cluster.client(), &namespace);
            let listed = pods
                .list(&ListParams::default().labels(&format!("{LABEL_WORKLOAD}={owner_workload}")))
                .await
                .map_err(|e| failed(cluster.error("list", "pods", &workload, e)))?;
            let since_seconds = since.and_then(|s| {
                let ago = std::time::SystemTime::now().duration_since(s).ok()?;
                i64::try_from(ago.as_secs().max(1)).ok()
            });
            // The workload's own container: a pod with sidecars has others, and the API
            // refuses a log without a container named then.
            let container = part
                .or_else(|| owner_workload.split_once('.').map(|(_, name)| name))
                .map(dns_label);
            let mut streams = Vec::new();
            for pod in listed.items {
                let Some(name) = pod.metadata.name.clone() else {
                    continue;
                };
                let params = LogParams {
                    container: container.clone(),
                    follow,
                    since_seconds,
                    // Timestamps let a log followed again after a restart skip what it kept.
                    timestamps: true,
                    ..LogParams::default()
                };
                let reader = pods
                    .log_stream(&name, &params)
                    .await
                    .map_err(|e| failed(cluster.error("get", "pods/log", &name, e)))?;
                // Kubernetes merges a container's stdout and stderr into one log.
                streams.push(
                    reader
                        .lines()
                        .map_ok(|line| LogLine::timestamped(false, &line))
                        .map_err(|e| RuntimeError::new(format!("reading a pod's log: {e}")))
                        .boxed(),
                );
            }
            Ok::<_, RuntimeError>(futures_util::stream::select_all(streams))
        };
        Box::pin(futures_util::stream::once(opened).try_flatten())
    }
}

#[cfg(test)]
mod tests {
    use stagecraft_engine::RuntimeErrorKind as K;

    use super::failed;
    use crate::KubeError;
    use crate::kubeconfig::Refusal;

    fn api(code: u16) -> KubeError {
        KubeError::Api(Box::new(Refusal {
            context: "kind-dev".into(),
            verb: "create".into(),
            resource: "deployments".into(),
            name: "web".into(),
            code,
            message: "refused".into(),
        }))
    }

    #[test]
    fn a_clusters_failure_says_its_kind_and_whether_to_try_again() {
        let cases = [
            (
                KubeError::Unreachable {
                    context: "kind-dev".into(),
                    reason: "connection refused".into(),
                },
                K::Unreachable,
                true,
            ),
            (
                KubeError::Unauthorized {
                    context: "kind-dev".into(),
                },
                K::Refused,
                false,
            ),
            (api(404), K::NotFound, false),
            (api(409), K::Conflict, false),
            (api(422), K::Refused, false),
            (api(503), K::Failed, true),
            (
                KubeError::Timeout {
                    context: "kind-dev".into(),
                    what: "the rollout of web".into(),
                    seconds: 600,
                },
                K::TimedOut,
                false,
            ),
        ];
        for (error, kind, transient) in cases {
            let text = error.to_string();
            let failure = failed(error);
            assert_eq!(
                (failure.kind, failure.transient),
                (kind, transient),
                "{text}"
            );
            assert!(std::error::Error::source(&failure).is_some(), "{text}");
        }
    }
}
