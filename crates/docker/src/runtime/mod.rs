//! [`DockerRuntime`]: environments on a Docker engine. One bridge network per environment,
//! containers that reach each other by service name, our labels on every object, and the
//! environment's ledger written before anything is created.
//!
//! How it maps Release's model, which is made for Kubernetes:
//! - a bridge network `stagecraft-<env_id>` per environment;
//! - service containers `stagecraft-<env_id>-<service>-<config digest>-<replica>`, with the
//!   service name as network alias, restarted by the engine (`unless-stopped`) once ready;
//! - job containers `stagecraft-<env_id>-job-<name>`, kept until the job runs again (for their
//!   logs);
//! - named volumes `stagecraft-<env_id>-<name>` for `persistent` volumes and
//!   `stagecraft-<env_id>-shared-<name>` for `claim`s; `shmem` as tmpfs (or the container's
//!   `/dev/shm` size);
//! - every object carries the `dev.stagecraft.env` and `dev.stagecraft.app` labels, and each
//!   container `dev.stagecraft.workload` (with its config digest and, for a service, its
//!   replica).
//!
//! A service's config digest (its spec without the per-deploy `RELEASE_BUILD_ID` and commit
//! variables, `ServiceSpec::change_basis`) decides whether patch replaces it. A `node_port` is
//! published on 127.0.0.1 at a port derived from (env_id, service, port) in 20000–31999
//! (`stable_host_port`, in the engine); every other declared port gets an engine-chosen
//! 127.0.0.1 port, which is how HTTP readiness probes reach containers on every platform
//! (container addresses are not reachable from macOS or Windows hosts). While the local
//! ingress serves (a [`Switchboard`]), replica 0 of a service with a `node_port` is replaced
//! without downtime: its successor starts beside it on the service's other port, is waited
//! for, the ingress switches to it, and the old one stops in the background (`settle` awaits
//! it). Otherwise the old one must free the port before its successor starts: that window is
//! measured and recorded as a `service_unavailable` event.
//!
//! Its parts: `names` (what objects are called, the config digest), `containers` (network,
//! volumes, images, creating and removing containers), `rollout` (a service replaced one
//! replica at a time), `pause` (containers stopped and started again as they were), `jobs`,
//! `exec` (a command in a running container), `teardown`
//! (removal by the ledger), `liveness` (the watchers that restart a container failing its
//! probe), `inspection` (status, objects, logs) and `errors` (bollard's errors in the
//! engine's terms). Images are built by `DockerBuilder` (`builder.rs`).

mod attached;
mod containers;
mod datasets;
mod errors;
mod exec;
mod handover;
mod inspection;
mod jobs;
mod liveness;
mod names;
mod pause;
mod rollout;
mod teardown;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ContainerSummary;
use stagecraft_engine::{
    EnvironmentRef, JobExit, JobSpec, LabelledEnvironment, LogLine, Runtime, RuntimeError,
    RuntimeObject, ServiceSpec, Switchboard, TaskProgress, WorkloadStatus,
};

use crate::DockerEngine;

pub use names::network_name;

/// The environment an object belongs to: what teardown checks before removing anything.
pub const LABEL_ENV: &str = "dev.stagecraft.env";
pub const LABEL_APP: &str = "dev.stagecraft.app";
/// `services.<name>` or `jobs.<name>`.
pub const LABEL_WORKLOAD: &str = "dev.stagecraft.workload";
/// A digest of the service's spec: a container whose digest differs is replaced.
pub const LABEL_CONFIG: &str = "dev.stagecraft.config";
pub const LABEL_REPLICA: &str = "dev.stagecraft.replica";
/// On an init container or a sidecar: the replica container it belongs to, removed with it.
pub const LABEL_PART_OF: &str = "dev.stagecraft.part-of";

/// How long a stopped container gets to exit before it is killed.
const STOP_GRACE_SECS: i32 = 10;

/// Environments on one Docker engine.
#[derive(Debug, Clone)]
pub struct DockerRuntime {
    engine: Arc<DockerEngine>,
    /// Between two readiness attempts.
    poll: Duration,
    /// The liveness watcher of each container that has a liveness probe, by container name.
    /// Docker restarts a container that exits but does not act on a failing probe; while this
    /// process runs, a watcher does, as Kubernetes' kubelet would.
    watchers: stagecraft_engine::Tasks,
    /// The local ingress, when one serves this data folder's environments: a service with a
    /// `node_port` is then replaced without downtime (`rollout`).
    switchboard: Option<Arc<dyn Switchboard>>,
    /// Old replicas being stopped after a handover, awaited by [`Runtime::settle`].
    retiring: Arc<std::sync::Mutex<Vec<handover::Retiring>>>,
}

impl DockerRuntime {
    pub fn new(engine: Arc<DockerEngine>) -> Self {
        Self {
            engine,
            poll: Duration::from_secs(1),
            watchers: stagecraft_engine::Tasks::default(),
            switchboard: None,
            retiring: Arc::default(),
        }
    }

    /// Replaces services behind `switchboard`'s ingress without downtime.
    #[must_use]
    pub fn with_switchboard(mut self, switchboard: Arc<dyn Switchboard>) -> Self {
        self.switchboard = Some(switchboard);
        self
    }

    /// Probes readiness every `poll` (1 s by default).
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    async fn client(&self) -> Result<Docker, RuntimeError> {
        self.engine
            .client()
            .await
            .cloned()
            .map_err(RuntimeError::from)
    }
}

fn labels(env: &EnvironmentRef, workload: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([
        (LABEL_ENV.to_owned(), env.env_id.clone()),
        (LABEL_APP.to_owned(), env.app.clone()),
    ]);
    if let Some(workload) = workload {
        labels.insert(LABEL_WORKLOAD.to_owned(), workload.to_owned());
    }
    labels
}

fn owned_by(labels: Option<&HashMap<String, String>>, env: &EnvironmentRef) -> bool {
    labels.and_then(|l| l.get(LABEL_ENV)) == Some(&env.env_id)
}

fn label<'a>(summary: &'a ContainerSummary, key: &str) -> Option<&'a str> {
    summary
        .labels
        .as_ref()
        .and_then(|l| l.get(key))
        .map(String::as_str)
}

#[async_trait::async_trait]
impl Runtime for DockerRuntime {
    fn ingress_url(&self, env_id: &str, service: &str, port: u16) -> Option<String> {
        Some(stagecraft_engine::local_ingress_url(env_id, service, port))
    }

    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        self.ensure_network(&docker, env).await
    }

    /// Watches the liveness of the service's running replicas of this configuration.
    async fn resume_service(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        self.watch_replicas(env, spec).await
    }

    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.roll_out(env, spec, progress).await
    }

    async fn pause_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        self.hurry(&docker, env).await;
        self.pause_containers(env).await
    }

    async fn settle(&self) {
        self.retired(None, None).await;
    }

    /// The volume is the environment's whatever the service (Docker's volumes are named by
    /// the environment and the volume's name).
    async fn capture_volume(
        &self,
        env: &EnvironmentRef,
        _service: &str,
        volume: &stagecraft_engine::VolumeMount,
        to: &std::path::Path,
    ) -> Result<stagecraft_engine::CapturedVolume, RuntimeError> {
        self.capture(env, volume, to).await
    }

    async fn seed_volume(
        &self,
        env: &EnvironmentRef,
        seed: &stagecraft_engine::VolumeSeed,
    ) -> Result<Option<u64>, RuntimeError> {
        self.seed(env, seed).await
    }

    async fn wake_service(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.wake(env, spec, progress).await
    }

    async fn run_job(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        self.run_job_to_exit(env, job, progress).await
    }

    async fn stop_job(&self, env: &EnvironmentRef, job: &JobSpec) -> Result<(), RuntimeError> {
        self.kill_job(env, job).await
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        // Its old replicas on their way out go now, not after their drain.
        let docker = self.client().await?;
        self.hurry(&docker, env).await;
        self.tear_down(env).await
    }

    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        self.workload_statuses(env).await
    }

    async fn objects(&self, env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        self.labelled_objects(env).await
    }

    async fn labelled_environments(&self) -> Result<Vec<LabelledEnvironment>, RuntimeError> {
        self.environments_by_label().await
    }

    async fn restore(&self, env: &EnvironmentRef) -> Result<Vec<String>, RuntimeError> {
        self.restore_replicas(env).await
    }

    async fn release_holders(&self, env: &EnvironmentRef) -> Result<Vec<String>, RuntimeError> {
        self.disconnect_foreign(env).await
    }

    async fn exec(
        &self,
        env: &EnvironmentRef,
        request: &stagecraft_engine::ExecRequest,
    ) -> Result<stagecraft_engine::ExecSession, RuntimeError> {
        self.exec_in(env, request).await
    }

    fn logs(
        &self,
        env: &EnvironmentRef,
        workload: &str,
        follow: bool,
        since: Option<std::time::SystemTime>,
    ) -> stagecraft_engine::BoxStream<Result<LogLine, RuntimeError>> {
        Box::pin(self.log_lines(env, workload, follow, since))
    }
}
