//! What the engine asks of a runtime (Docker or Kubernetes). The trait is narrow and every
//! method is idempotent: repeating it after success changes nothing, so a crashed stage can
//! simply run again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::event::{DeployEvent, EventSink};

/// The environment a call is about, and its ledger.
#[derive(Clone)]
pub struct EnvironmentRef {
    /// Stable and unique: `ted1bc4` for an ephemeral environment, a name for a permanent one.
    pub env_id: String,
    pub app: String,
    /// The app's image registry (`host[:port]/path`): where a runtime whose cluster pulls its
    /// images pushes the ones Stagecraft built. `None` when the app names none.
    pub image_registry: Option<String>,
    /// The cluster pulls those images with the user's own login for the registry (the app
    /// asked for it): a runtime that needs one gives it to the cluster.
    pub share_registry_login: bool,
    /// Where the runtime records each object before it creates it; teardown removes exactly
    /// what it holds.
    pub ledger: Arc<dyn Ledger>,
}

impl std::fmt::Debug for EnvironmentRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvironmentRef")
            .field("env_id", &self.env_id)
            .field("app", &self.app)
            .field("image_registry", &self.image_registry)
            .field("share_registry_login", &self.share_registry_login)
            .finish_non_exhaustive()
    }
}

/// An environment's record of the objects it created. A runtime records an object before it
/// creates it (so a crash between the two leaves nothing unrecorded) and marks it removed
/// after removing it.
pub trait Ledger: Send + Sync {
    fn record<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>>;
    fn removed<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// What is recorded and not removed, oldest first.
    fn entries(&self) -> BoxFuture<'_, Result<Vec<RuntimeObject>, RuntimeError>>;
}

/// A ledger kept in memory: for runtimes used without a store, and for tests.
#[derive(Debug, Default)]
pub struct MemoryLedger(std::sync::Mutex<Vec<RuntimeObject>>);

impl Ledger for MemoryLedger {
    fn record<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            let mut entries = self
                .0
                .lock()
                .map_err(|_| RuntimeError::new("the ledger is poisoned"))?;
            if !entries.contains(object) {
                entries.push(object.clone());
            }
            Ok(())
        })
    }

    fn removed<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            let mut entries = self
                .0
                .lock()
                .map_err(|_| RuntimeError::new("the ledger is poisoned"))?;
            entries.retain(|e| e != object);
            Ok(())
        })
    }

    fn entries(&self) -> BoxFuture<'_, Result<Vec<RuntimeObject>, RuntimeError>> {
        Box::pin(async move {
            Ok(self
                .0
                .lock()
                .map_err(|_| RuntimeError::new("the ledger is poisoned"))?
                .clone())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    /// Never shown, logged or sent in an event.
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortSpec {
    pub container_port: u16,
    /// Reachable from outside the environment (`node_port`): on 127.0.0.1 for Docker.
    pub exposed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeSpec {
    Exec { command: Vec<String> },
    HttpGet { path: String, port: u16 },
}

/// An environment found by its labels in a runtime: its id and its app.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LabelledEnvironment {
    pub env_id: String,
    pub app: String,
}

/// A readiness probe and how it is run, as Kubernetes runs it: after `initial_delay`, every
/// `period`, each attempt bounded by `timeout`. With a `failure_threshold`, a new replica that
/// fails that many attempts in a row will not be ready: its task fails then, rather than at the
/// readiness limit (600 s), which stays the upper bound.
///
/// Serialised (for the digest that tells a changed service) as the bare probe when it has no
/// timing of its own, so services deployed before timing was read are not replaced for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadinessSpec {
    #[serde(flatten)]
    pub probe: ProbeSpec,
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub initial_delay: Duration,
    /// Between two attempts: the template's `period_seconds`; none: every second (a local
    /// engine answers at once, and Kubernetes' default 10 s would only slow a deploy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Duration>,
    /// One attempt's limit: the template's `timeout_seconds`; none: the runtime's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Failed attempts in a row after which the replica is given up on; none: it is probed
    /// until the readiness limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
}

#[cfg(test)]
mod readiness_tests {
    use super::*;

    #[test]
    fn a_probe_without_timing_reads_as_the_bare_probe_did() {
        let probe = ProbeSpec::HttpGet {
            path: "/".into(),
            port: 80,
        };
        assert_eq!(
            serde_json::to_value(ReadinessSpec::probe(probe.clone())).unwrap(),
            serde_json::to_value(&probe).unwrap()
        );
    }
}

impl ReadinessSpec {
    /// A probe with no timing of its own: checked at once, every second, until the limit.
    pub fn probe(probe: ProbeSpec) -> Self {
        Self {
            probe,
            initial_delay: Duration::ZERO,
            period: None,
            timeout: None,
            failure_threshold: None,
        }
    }
}

/// A liveness probe and how it is run: after `initial_delay`, every `period`; the container is
/// restarted after `failure_threshold` failures in a row (Kubernetes' defaults: 0 s, 10 s, 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivenessSpec {
    pub probe: ProbeSpec,
    pub initial_delay: Duration,
    pub period: Duration,
    pub failure_threshold: u32,
}

/// Where a volume's data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VolumeSource {
    /// The workload's own named volume (`type: persistent`): it outlives the workload's
    /// containers and goes with the environment.
    Persistent { name: String },
    /// An entry of the template's `shared_volumes`, mounted by `claim`.
    Shared { name: String },
    /// Memory-backed (`type: shmem`), at most `size_bytes` when given.
    Memory { size_bytes: Option<u64> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeMount {
    pub source: VolumeSource,
    pub mount_path: String,
}

/// A volume as a dataset took it: an archive written where the dataset keeps it (Docker), with
/// its one top folder, or a snapshot the runtime keeps (Kubernetes: a VolumeSnapshot's content,
/// retained in the cluster); and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedVolume {
    /// The archive's top folder; empty for a snapshot.
    pub root: String,
    pub bytes: u64,
    pub snapshot: Option<VolumeSnapshotRef>,
}

/// A snapshot of a volume kept by the runtime for a dataset (Kubernetes: a cluster-scoped
/// VolumeSnapshotContent whose deletion policy is `Retain`, and what a new environment's
/// pre-provisioned snapshot needs to name the same storage snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotRef {
    /// The VolumeSnapshotContent the dataset keeps.
    pub content: String,
    /// The storage system's id of the snapshot (`status.snapshotHandle`).
    pub handle: String,
    /// The CSI driver that made it.
    pub driver: String,
    /// The VolumeSnapshotClass it was made with.
    pub class: String,
}

/// A volume to fill from a dataset's archive before the environment's first setup runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSeed {
    /// The dataset's name, for what the timeline says.
    pub dataset: String,
    /// The service whose volume it is; its image makes the container the files are copied
    /// through (created, never started).
    pub service: String,
    pub image: String,
    pub volume: VolumeMount,
    /// The archive (`Runtime::capture_volume`'s) and its top folder, or the snapshot the
    /// runtime keeps.
    pub archive: std::path::PathBuf,
    pub root: String,
    pub snapshot: Option<VolumeSnapshotRef>,
}

/// The most a workload may use (the `limits` of its `memory` and `cpu`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub memory_bytes: Option<u64>,
    /// Thousandths of a CPU (`1000m` is one CPU).
    pub cpu_millis: Option<u64>,
}

/// A long-running workload, resolved: image chosen, variables final.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceSpec {
    pub name: String,
    pub image: String,
    /// Built by Stagecraft: never pulled from a registry (there is none to pull it from).
    pub built: bool,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub ports: Vec<PortSpec>,
    pub replicas: u32,
    pub readiness: Option<ReadinessSpec>,
    pub liveness: Option<LivenessSpec>,
    pub volumes: Vec<VolumeMount>,
    pub limits: Limits,
    /// What is reserved for it ahead (the `requests` of its `memory` and `cpu`), in the same
    /// units as its limits.
    pub requests: Limits,
    /// Labels a node must carry to run it (Release's `node_selector`, app-wide and its own);
    /// a single Docker engine has no nodes to choose and ignores it.
    pub node_selector: Vec<(String, String)>,
    /// Files from the repository placed in the container (Release's `configmap`).
    pub config_files: Vec<ConfigFile>,
    /// Run to completion, in order, before each replica's container starts; one that fails
    /// fails the replica. Left out of the digest when there are none, so a service without
    /// any keeps the digest it had before they existed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<ContainerSpec>,
    /// Run beside each replica's container, on its network (the same localhost), replaced and
    /// removed with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<ContainerSpec>,
}

/// An init container or a sidecar of a service, resolved: its image chosen, its variables
/// (the service's, then its own), the service's volumes it mounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// Built by Stagecraft: never pulled.
    pub built: bool,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub volumes: Vec<VolumeMount>,
    pub limits: Limits,
    pub requests: Limits,
    /// The service whose image it runs (none when it names an image of its own): a deploy
    /// that builds that service gives it the image built.
    #[serde(skip)]
    pub from_service: Option<String>,
}

/// A file of the repository placed in a workload's containers at `mount_path` (Release's
/// `configmap` entry). The deploy reads it from the tree it builds from; its content is part of
/// the spec, so a changed file replaces the workload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfigFile {
    /// The entry's name: a ConfigMap key on Kubernetes.
    pub name: String,
    /// Where the template says it is, relative to the repository's root.
    pub repo_path: String,
    /// The file's full path in the container.
    pub mount_path: String,
    pub content: String,
}

/// A workload that runs to completion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobSpec {
    pub name: String,
    pub image: String,
    /// Built by Stagecraft: never pulled from a registry.
    pub built: bool,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    /// How long it may run (Release's `completed_timeout`, 1200 s by default).
    pub completed_timeout: Duration,
    pub volumes: Vec<VolumeMount>,
    pub limits: Limits,
    /// What is reserved for it ahead (the `requests` of its `memory` and `cpu`), in the same
    /// units as its limits.
    pub requests: Limits,
    /// As [`ServiceSpec::node_selector`].
    pub node_selector: Vec<(String, String)>,
    /// As [`ServiceSpec::config_files`]; a job made from a service has the service's.
    pub config_files: Vec<ConfigFile>,
}

/// A job run on a schedule: five-field cron syntax (or `@daily`, ...), checked by the template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CronJobSpec {
    pub job: JobSpec,
    pub schedule: String,
}

/// What the runtime says about one workload of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadStatus {
    /// `services.<name>` or `jobs.<name>`.
    pub workload: String,
    pub ready_replicas: u32,
    pub replicas: u32,
    /// Why it is not ready, in the runtime's words ("CrashLoopBackOff", "exited with code 1").
    pub reason: Option<String>,
}

impl WorkloadStatus {
    /// Every replica it should have is ready.
    pub fn is_ready(&self) -> bool {
        self.ready_replicas >= self.replicas
    }

    /// `api: 0 of 1 ready (Exited (1) 2 seconds ago)`, without its `services.`.
    pub fn describe(&self) -> String {
        let name = self
            .workload
            .split_once('.')
            .map_or(self.workload.as_str(), |(_, name)| name);
        let mut line = format!("{name}: {} of {} ready", self.ready_replicas, self.replicas);
        // One line: a reason's log lines stay in the status itself, out of notices.
        if let Some(reason) = self.reason.as_deref().and_then(|r| r.lines().next()) {
            let reason = reason.trim_end_matches("; its last lines:");
            line.push_str(&format!(" ({reason})"));
        }
        line
    }
}

/// An object the runtime made for an environment: what the ledger records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RuntimeObject {
    /// `network`, `container`, `volume`, `namespace`, ...
    pub kind: String,
    pub name: String,
}

/// One line a workload wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub stderr: bool,
    pub line: String,
    /// When the runtime says it was written; `None` when it did not say.
    #[serde(skip)]
    pub at: Option<std::time::SystemTime>,
}

impl LogLine {
    /// A line as a runtime asked for timestamps gives it (`2026-11-26T10:00:00.123456789Z
    /// text`, as Docker and the kubelet write them): the time taken off the front. A line
    /// without one is kept whole.
    pub fn timestamped(stderr: bool, raw: &str) -> Self {
        // An empty line may come as the time alone.
        let (stamp, rest) = raw.split_once(' ').unwrap_or((raw, ""));
        let parsed =
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(|at| (std::time::SystemTime::from(at), rest));
        match parsed {
            Some((at, rest)) => Self {
                stderr,
                line: rest.to_owned(),
                at: Some(at),
            },
            None => Self {
                stderr,
                line: raw.to_owned(),
                at: None,
            },
        }
    }
}

/// How a job ended: its exit code, and whether it was killed for its memory.
pub type JobExit = crate::exit::Ended;

/// What kind of failure a runtime met: what the user can do about it follows from it (start
/// the engine, fix a permission, wait for a conflict to clear), whichever runtime it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeErrorKind {
    /// The engine or the cluster's API server did not answer.
    Unreachable,
    /// It answered and refused: unauthorised, forbidden, or a request it does not take.
    Refused,
    /// What the call needs does not exist (an image, a namespace, a container).
    NotFound,
    /// It clashes with what exists (a name taken, a port allocated, an object being changed).
    Conflict,
    /// It did not answer, or what was waited for did not happen, in time.
    TimedOut,
    /// Anything else: the message says what.
    Failed,
}

impl RuntimeErrorKind {
    /// Its name as stored and sent: `unreachable`, `not_found`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::Refused => "refused",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::TimedOut => "timed_out",
            Self::Failed => "failed",
        }
    }

    /// The kind named `name`, as [`as_str`](Self::as_str) gives it.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Unreachable,
            Self::Refused,
            Self::NotFound,
            Self::Conflict,
            Self::TimedOut,
            Self::Failed,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// A runtime's failure, said so that a user knows what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RuntimeError {
    pub kind: RuntimeErrorKind,
    pub message: String,
    /// The same call may well succeed in a moment (the engine or API server was briefly
    /// unreachable, overloaded, or busy with the same object), and nothing of the call took
    /// effect that a second try would repeat: the runner tries the task again.
    pub transient: bool,
    /// The adapter's own error, for logs and for callers that look deeper.
    #[source]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for RuntimeError {
    /// Two failures are the same when they say the same; their sources are not compared.
    fn eq(&self, other: &Self) -> bool {
        (self.kind, &self.message, self.transient) == (other.kind, &other.message, other.transient)
    }
}

impl Eq for RuntimeError {}

impl RuntimeError {
    /// A failure that trying again will not mend.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: RuntimeErrorKind::Failed,
            message: message.into(),
            transient: false,
            source: None,
        }
    }

    /// A failure worth another attempt; see [`RuntimeError::transient`](Self#structfield.transient).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            transient: true,
            ..Self::new(message)
        }
    }

    /// The same failure, of `kind`.
    #[must_use]
    pub fn of_kind(self, kind: RuntimeErrorKind) -> Self {
        Self { kind, ..self }
    }

    /// The same failure, said as `message`.
    #[must_use]
    pub fn with_message(self, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..self
        }
    }

    /// The same failure, caused by `source`.
    #[must_use]
    pub fn caused_by(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            source: Some(Arc::new(source)),
            ..self
        }
    }

    /// The same failure, never retried: once a job has started, running it again is a second
    /// run, not a retry.
    #[must_use]
    pub fn permanent(self) -> Self {
        Self {
            transient: false,
            ..self
        }
    }
}

/// Lets a running task say what it waits for; each call becomes a `TaskWaiting` event.
#[derive(Clone)]
pub struct TaskProgress {
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) step: usize,
    pub(crate) task: String,
}

impl std::fmt::Debug for TaskProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskProgress")
            .field("step", &self.step)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

impl TaskProgress {
    /// A progress for a task outside a runner: its events go to `sink`.
    pub fn new(sink: Arc<dyn EventSink>, step: usize, task: impl Into<String>) -> Self {
        Self {
            sink,
            step,
            task: task.into(),
        }
    }

    /// "waiting for readiness: http :8080/health, attempt 3"
    pub fn waiting(&self, reason: impl Into<String>) {
        self.sink.emit(DeployEvent::TaskWaiting {
            step: self.step,
            task: self.task.clone(),
            reason: reason.into(),
        });
    }

    /// The service's new replica, ready `millis` after it started beside the old one, has
    /// the ingress's requests now: `detail` says where.
    pub fn switched(&self, millis: u64, detail: impl Into<String>) {
        self.sink.emit(DeployEvent::ServiceSwitched {
            step: self.step,
            task: self.task.clone(),
            millis,
            detail: detail.into(),
        });
    }

    /// The service had no ready replica for `millis` while it was replaced, and why.
    pub fn unavailable(&self, millis: u64, reason: impl Into<String>) {
        self.sink.emit(DeployEvent::ServiceUnavailable {
            step: self.step,
            task: self.task.clone(),
            millis,
            reason: reason.into(),
        });
    }
}

/// Pushes images built on this machine to a registry, for a runtime whose nodes pull them.
/// The Docker adapter implements it; the Kubernetes runtime is given one.
pub trait ImagePusher: Send + Sync + 'static {
    /// Pushes the local image `image` to `repository` (`host[:port]/path/name`) under a tag
    /// made from its content, so a changed image never takes an old tag; gives back the
    /// reference pushed (`repository:tag`). Pushing an image the registry has is cheap and
    /// changes nothing.
    fn push<'a>(
        &'a self,
        image: &'a str,
        repository: &'a str,
        progress: &'a TaskProgress,
    ) -> BoxFuture<'a, Result<String, RuntimeError>>;

    /// The user's login for the registry of `repository`, as a Docker `config.json` that holds
    /// only it (what a cluster pulls with); `None` when they have none.
    fn pull_login<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, RuntimeError>>;
}

/// Where environments run. Implemented by the Docker and Kubernetes adapters; the engine
/// knows nothing else about them. Object-safe: callers hold an `Arc<dyn Runtime>` and choose
/// one while running (Docker for one environment, a cluster for another).
#[async_trait::async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// The address a user opens to reach `service`'s `node_port` listening on `port` in
    /// environment `env_id`, when this runtime decides it (Docker publishes it on 127.0.0.1);
    /// `None` keeps the template's hostnames. It becomes `<SERVICE>_INGRESS_URL`.
    fn ingress_url(&self, env_id: &str, service: &str, port: u16) -> Option<String> {
        let _ = (env_id, service, port);
        None
    }

    /// Creates the environment's own infrastructure (network or namespace, volumes).
    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError>;

    /// Hands the environment's cron jobs to the runtime's own scheduler (Kubernetes: a
    /// CronJob each, those no longer in the list removed) at the end of a setup or patch;
    /// `false` when the runtime has none and Stagecraft's clock runs them (Docker).
    async fn schedule_cron_jobs(
        &self,
        env: &EnvironmentRef,
        cron_jobs: &[CronJobSpec],
    ) -> Result<bool, RuntimeError> {
        let _ = (env, cron_jobs);
        Ok(false)
    }

    /// Whether the runtime schedules cron jobs itself ([`Runtime::schedule_cron_jobs`]).
    fn schedules_cron_jobs(&self) -> bool {
        false
    }

    /// Creates the service, or replaces it one replica at a time when its image or
    /// configuration changed, and returns once it is ready. An unchanged service is left as is.
    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError>;

    /// Takes up what a deployed service needs from the process that runs it, when a new
    /// process (the app, started again) finds it deployed: what the runtime keeps only while
    /// it runs (Docker: liveness watching; Kubernetes: the `node_port` forwards). It never
    /// changes the service.
    async fn resume_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        let _ = (env, service);
        Ok(())
    }

    /// Waits for what the runtime still does for deploys that ended (Docker: old replicas
    /// stopping after a handover). A process calls it before it exits.
    async fn settle(&self) {}

    /// Stops every container of the environment and keeps it, with everything else the
    /// environment created (Docker: containers stopped, not removed; Kubernetes: Deployments
    /// scaled to zero with their replica counts recorded, CronJobs suspended). Stopping what
    /// is stopped already is no error.
    async fn pause_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let _ = env;
        Err(RuntimeError::new("this runtime cannot pause environments"))
    }

    /// Starts a paused service again as it was (Docker: the same containers; Kubernetes: the
    /// recorded replica count) and returns once it is ready. A service that runs already is
    /// left as is; one whose containers are gone is deployed as `deploy_service` would.
    async fn wake_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        let _ = (env, service, progress);
        Err(RuntimeError::new("this runtime cannot resume environments"))
    }

    /// Takes one of service `service`'s volumes as it is now, for a dataset: Docker writes its
    /// files to `to` as a tar archive whose one top folder is the capture's `root`; Kubernetes
    /// takes a VolumeSnapshot and keeps its content in the cluster (`snapshot`), writing
    /// nothing. Gives the size in bytes.
    async fn capture_volume(
        &self,
        env: &EnvironmentRef,
        service: &str,
        volume: &VolumeMount,
        to: &std::path::Path,
    ) -> Result<CapturedVolume, RuntimeError> {
        let _ = (env, service, volume, to);
        Err(RuntimeError::new(
            "this runtime cannot take a dataset's volumes yet (Docker can)",
        ))
    }

    /// Fills one of the environment's volumes from a dataset's archive before anything of the
    /// environment runs: a first setup of an environment made from a dataset. Only a volume
    /// that does not exist yet is made and filled (a retried first setup leaves the volume an
    /// earlier attempt filled, and what ran since wrote, as it is): gives the archive's bytes
    /// copied, or `None` when the volume was there.
    async fn seed_volume(
        &self,
        env: &EnvironmentRef,
        seed: &VolumeSeed,
    ) -> Result<Option<u64>, RuntimeError> {
        let _ = (env, seed);
        Err(RuntimeError::new(
            "this runtime cannot fill volumes from a dataset yet (Docker can)",
        ))
    }

    /// Deletes a snapshot a capture kept (a dataset's deletion or refresh), and with it the
    /// storage system's copy. One that is gone already is no error.
    async fn delete_volume_snapshot(
        &self,
        snapshot: &VolumeSnapshotRef,
    ) -> Result<(), RuntimeError> {
        let _ = snapshot;
        Err(RuntimeError::new("this runtime keeps no volume snapshots"))
    }

    /// Disconnects what holds the environment's objects and is not recorded as its own
    /// (Docker: other containers on its networks), so a teardown can remove them; asked for
    /// with `environments delete --force`. Gives what it disconnected. Kubernetes needs
    /// nothing: deleting a namespace takes everything in it.
    async fn release_holders(&self, env: &EnvironmentRef) -> Result<Vec<String>, RuntimeError> {
        let _ = env;
        Ok(Vec::new())
    }

    /// After a process died in the middle of a setup or patch: brings each service replica
    /// left with no running container back to one (the last that ran), so a service half
    /// replaced is not down until the next deploy. Gives the containers started. Kubernetes
    /// needs nothing: a Deployment keeps its replicas itself, mid-rollout too.
    async fn restore(&self, env: &EnvironmentRef) -> Result<Vec<String>, RuntimeError> {
        let _ = env;
        Ok(Vec::new())
    }

    /// Runs the job to completion and says how it ended.
    async fn run_job(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError>;

    /// Stops a job that ran out of time or was cancelled.
    async fn stop_job(&self, env: &EnvironmentRef, job: &JobSpec) -> Result<(), RuntimeError>;

    /// Removes everything the environment created, and nothing else.
    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError>;

    /// How each workload of the environment is doing.
    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError>;

    /// The objects that exist for the environment, found by its labels: what the ledger is
    /// reconciled with after a crash.
    async fn objects(&self, env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError>;

    /// Every environment this runtime holds labelled objects of, whichever database made them:
    /// for bringing back environments whose records are gone (`environments adopt`).
    async fn labelled_environments(&self) -> Result<Vec<LabelledEnvironment>, RuntimeError> {
        Err(RuntimeError::new(
            "this runtime cannot list the environments it holds",
        ))
    }

    /// Runs a command in a running container of the request's workload (a service's replica,
    /// or a job's container while it runs), found by the environment's labels: this runtime
    /// never reaches a container it did not make for `env`.
    async fn exec(
        &self,
        env: &EnvironmentRef,
        request: &crate::ExecRequest,
    ) -> Result<crate::ExecSession, RuntimeError> {
        let _ = (env, request);
        Err(RuntimeError::new(
            "this runtime cannot run commands in containers",
        ))
    }

    /// A workload's log lines from its start (or from `since`), then as they come when
    /// `follow`. The stream borrows nothing: it outlives the call.
    fn logs(
        &self,
        env: &EnvironmentRef,
        workload: &str,
        follow: bool,
        since: Option<std::time::SystemTime>,
    ) -> BoxStream<Result<LogLine, RuntimeError>>;
}

/// A stream that borrows nothing, as [`Runtime::logs`] gives.
pub type BoxStream<T> = std::pin::Pin<Box<dyn futures_util::Stream<Item = T> + Send + 'static>>;

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A `node_port` reaches the desktop on 127.0.0.1 at a port in this range, derived from the
/// environment, the service and the port, so the address stays the same across deploys and
/// runtimes. It sits below the ephemeral ranges of Linux (32768+), macOS and Windows (49152+).
const HOST_PORTS: std::ops::Range<u16> = 20000..32000;

/// Where the desktop reaches `service`'s `node_port` `port` of `env_id`: 127.0.0.1 at its
/// [`stable_host_port`], on every runtime that brings it there.
pub fn local_ingress_url(env_id: &str, service: &str, port: u16) -> String {
    format!(
        "http://127.0.0.1:{}",
        stable_host_port(env_id, service, port)
    )
}

/// The host port of `service`'s `port` in `env_id` on 127.0.0.1: the same on every deploy.
pub fn stable_host_port(env_id: &str, service: &str, port: u16) -> u16 {
    host_port_of(&format!("{env_id}/{service}/{port}"))
}

/// A port of [`HOST_PORTS`] made from `key`.
pub(crate) fn host_port_of(key: &str) -> u16 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key);
    let span = HOST_PORTS.end - HOST_PORTS.start;
    HOST_PORTS.start + u16::from_be_bytes([digest[0], digest[1]]) % span
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::LogLine;

    #[test]
    fn a_runtimes_timestamp_is_taken_off_the_front_of_its_line() {
        let line = LogLine::timestamped(true, "2026-11-26T10:00:00.123456789Z tick 4 at 10:00");
        assert_eq!(line.line, "tick 4 at 10:00");
        assert!(line.stderr);
        assert_eq!(
            line.at,
            Some(UNIX_EPOCH + Duration::new(1_795_687_200, 123_456_789))
        );
        // An empty line comes as the time alone, or with its space.
        for raw in ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z "] {
            let empty = LogLine::timestamped(false, raw);
            assert_eq!((empty.line.as_str(), empty.at.is_some()), ("", true));
        }
        // A line without one is kept whole.
        let plain = LogLine::timestamped(false, "2026 was a good year");
        assert_eq!(
            (plain.line.as_str(), plain.at),
            ("2026 was a good year", None)
        );
    }
}
