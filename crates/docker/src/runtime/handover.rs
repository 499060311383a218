//! A service replica replaced without downtime behind the local ingress (the engine's
//! `handover`): whether it can be, where each `node_port` is published now, waiting until the
//! new replica answers, switching the ingress to it, and stopping the old one in the
//! background once its requests under way had time to end.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::ContainerSummary;
use bollard::query_parameters::StopContainerOptionsBuilder;
use stagecraft_engine::{EnvironmentRef, RuntimeError, ServiceSpec, TaskProgress, VolumeSource};

use super::errors::{failed, is_status};
use super::inspection::{published_port, running};
use super::{DockerRuntime, STOP_GRACE_SECS};
use crate::probe;

/// How long a new replica without a readiness probe gets to answer on its `node_port` before
/// the ingress is switched to it anyway.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Between two looks at whether the new replica answers.
const ANSWER_POLL: Duration = Duration::from_millis(100);
/// How long the old replica keeps running once the ingress sends it nothing new: its
/// requests under way end before it is asked to stop (then it has its stop's grace period).
const DRAIN: Duration = Duration::from_secs(5);

/// A `node_port` and the 127.0.0.1 port it is published on.
pub(super) type Published = (u16, u16);

/// A background task of the runtime's for one service of one environment.
#[derive(Debug)]
pub(super) struct Retiring {
    env_id: String,
    service: String,
    task: tokio::task::JoinHandle<()>,
}

impl DockerRuntime {
    /// The 127.0.0.1 port `service`'s `port` is published on, as kept: the stable one unless
    /// a handover moved it.
    pub(super) async fn published(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
    ) -> Result<u16, RuntimeError> {
        match &self.switchboard {
            Some(board) => board.published(env, service, port).await,
            None => Ok(stagecraft_engine::stable_host_port(
                &env.env_id,
                service,
                port,
            )),
        }
    }

    /// Where replica 0 of `spec` publishes its `node_port`s now: the old container's own
    /// ports (what it holds, whatever was kept), else where they are kept.
    pub(super) async fn publishing(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        old: Option<&ContainerSummary>,
    ) -> Result<Vec<Published>, RuntimeError> {
        let mut now = Vec::new();
        for port in spec.ports.iter().filter(|p| p.exposed) {
            let held = old.and_then(|old| holds(old, port.container_port));
            let host = match held {
                Some(host) => host,
                None => self.published(env, &spec.name, port.container_port).await?,
            };
            now.push((port.container_port, host));
        }
        Ok(now)
    }

    /// The ports the new replica takes when it is started beside `old`, which publishes
    /// `before`: a service with one `node_port` (the one the ingress routes) and no volume
    /// that outlives its containers (two replicas of a database never share its files),
    /// while an ingress of this data folder serves, when the other port is free.
    pub(super) async fn handover_to(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        before: &[Published],
        old: Option<&ContainerSummary>,
    ) -> Option<Vec<Published>> {
        let board = self.switchboard.as_ref()?;
        let [(port, host)] = before else {
            return None;
        };
        let keeps_files = spec.volumes.iter().any(|v| {
            matches!(
                v.source,
                VolumeSource::Persistent { .. } | VolumeSource::Shared { .. }
            )
        });
        if old.is_none() || keeps_files {
            return None;
        }
        let other = stagecraft_engine::other_host_port(&env.env_id, &spec.name, *port, *host);
        if std::net::TcpListener::bind(("127.0.0.1", other)).is_err() {
            tracing::warn!(
                service = %spec.name,
                port = other,
                "the service's second port is taken: it is replaced as without an ingress"
            );
            return None;
        }
        board.serving().await.then(|| vec![(*port, other)])
    }

    /// Waits until `container` answers on each of `hosts` (anything it says: Docker's port
    /// proxy accepts for a container that does not listen yet and closes without a word;
    /// readiness is the template's probe, when it has one), for at most [`ANSWER_WITHIN`];
    /// fails when it stops running.
    pub(super) async fn wait_answering(
        &self,
        docker: &Docker,
        container: &str,
        spec: &ServiceSpec,
        hosts: &[Published],
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        if spec.readiness.is_some() {
            return Ok(());
        }
        let since = Instant::now();
        for (port, host) in hosts {
            loop {
                let Err(why) = probe::answers(*host, probe::PROBE_TIMEOUT).await else {
                    break;
                };
                let inspect = docker
                    .inspect_container(
                        container,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                    .map_err(|e| failed(format!("inspecting container {container}"), e))?;
                if !running(&inspect) {
                    return Err(RuntimeError::new(format!(
                        "{}'s new replica stopped before it answered on port {port}",
                        spec.name
                    )));
                }
                if since.elapsed() >= ANSWER_WITHIN {
                    progress.waiting(format!(
                        "port {port} said nothing within {} s ({why}): the ingress is \
                         switched to the new replica anyway",
                        ANSWER_WITHIN.as_secs()
                    ));
                    break;
                }
                tokio::time::sleep(ANSWER_POLL).await;
            }
        }
        Ok(())
    }

    /// Sends the ingress's requests for `spec`'s ports to `hosts` from now on.
    pub(super) async fn switch(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        hosts: &[Published],
    ) -> Result<(), RuntimeError> {
        if let Some(board) = &self.switchboard {
            for (port, host) in hosts {
                board.switch(env, &spec.name, *port, *host).await?;
            }
        }
        Ok(())
    }

    /// Records where `replica` (the service's replica 0, left as it is) publishes its
    /// `node_port`s when that is not what is kept: a process that ended between a new
    /// replica's start and the switch to it left the ingress on the old one.
    pub(super) async fn reconcile(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        replica: &str,
    ) -> Result<(), RuntimeError> {
        if self.switchboard.is_none() || !spec.ports.iter().any(|p| p.exposed) {
            return Ok(());
        }
        let inspect = docker
            .inspect_container(
                replica,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| failed(format!("inspecting container {replica}"), e))?;
        let mut moved = Vec::new();
        for port in spec.ports.iter().filter(|p| p.exposed) {
            let kept = self.published(env, &spec.name, port.container_port).await?;
            if let Some(actual) = published_port(&inspect, port.container_port)
                && actual != kept
            {
                moved.push((port.container_port, actual));
            }
        }
        // Kept first; an ingress that does not confirm (none runs) reads it when it starts.
        if let Err(error) = self.switch(env, spec, &moved).await {
            tracing::warn!(%error, service = %spec.name, "where the service is published was recorded; no ingress took it now");
        }
        Ok(())
    }

    /// Lets `replica` of `service` end its requests under way ([`DRAIN`]), then stops it
    /// (its stop's grace period) and removes it with its sidecars, in the background:
    /// [`DockerRuntime::retired`] waits for it.
    pub(super) fn retire(
        &self,
        docker: Docker,
        env: &EnvironmentRef,
        service: &str,
        replica: String,
    ) {
        // Not restarted for failing its liveness probe on its way out.
        self.unwatch(&replica);
        let runtime = self.clone();
        let owner = env.clone();
        self.keep(env, service, async move {
            tokio::time::sleep(DRAIN).await;
            let stopped = docker
                .stop_container(
                    &replica,
                    Some(
                        StopContainerOptionsBuilder::default()
                            .t(STOP_GRACE_SECS)
                            .build(),
                    ),
                )
                .await;
            if let Err(error) = stopped
                && !is_status(&error, 304)
                && !is_status(&error, 404)
            {
                tracing::warn!(%error, container = %replica, "an old replica was not stopped; it is removed");
            }
            if let Err(error) = runtime.remove_replica(&docker, &owner, &replica).await {
                tracing::warn!(%error, container = %replica, "an old replica was not removed: the next deploy or the teardown removes it");
            }
        });
    }

    /// Keeps `work` for `service` of `env` until [`DockerRuntime::retired`] awaits it.
    pub(super) fn keep(
        &self,
        env: &EnvironmentRef,
        service: &str,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let task = tokio::spawn(work);
        if let Ok(mut retiring) = self.retiring.lock() {
            retiring.retain(|r| !r.task.is_finished());
            retiring.push(Retiring {
                env_id: env.env_id.clone(),
                service: service.to_owned(),
                task,
            });
        }
    }

    /// Waits until the old replicas being retired are gone: those of `env_id` (of its
    /// `service` only, when given), or every one.
    pub(super) async fn retired(&self, env_id: Option<&str>, service: Option<&str>) {
        let tasks: Vec<Retiring> = self
            .retiring
            .lock()
            .map(|mut retiring| {
                let (mine, others) = std::mem::take(&mut *retiring).into_iter().partition(|r| {
                    env_id.is_none_or(|e| r.env_id == e) && service.is_none_or(|s| r.service == s)
                });
                *retiring = others;
                mine
            })
            .unwrap_or_default();
        for retiring in tasks {
            let _ = retiring.task.await;
        }
    }
}

impl DockerRuntime {
    /// Whether `container` publishes each of `ports` where it is kept.
    pub(super) fn publishes(&self, container: &ContainerSummary, ports: &[Published]) -> bool {
        !ports.is_empty()
            && ports
                .iter()
                .all(|(port, host)| holds(container, *port) == Some(*host))
    }
}

/// The host port `container` publishes its `port` on.
fn holds(container: &ContainerSummary, port: u16) -> Option<u16> {
    container
        .ports
        .as_ref()?
        .iter()
        .find(|p| p.private_port == port && p.public_port.is_some())
        .and_then(|p| p.public_port)
}

/// A handover under way: when the deploy is cut short while the new replica starts (cancelled,
/// out of time), the ingress goes back to the old replica and the new one is removed, in the
/// background ([`DockerRuntime::retired`] waits for it).
pub(super) struct Undo {
    pub(super) runtime: DockerRuntime,
    pub(super) docker: Docker,
    pub(super) env: EnvironmentRef,
    pub(super) spec: ServiceSpec,
    pub(super) replica: String,
    /// Where the old replica publishes, when the new one is handed over to (`None`: the
    /// ingress is not switched, and a cut-short deploy is left to the next one).
    pub(super) before: Option<Vec<Published>>,
}

impl Undo {
    /// Goes back now: the ingress to the old replica, the new one removed.
    pub(super) async fn undo(mut self) -> Result<(), RuntimeError> {
        let before = self.before.take();
        back(
            &self.runtime,
            &self.docker,
            &self.env,
            &self.spec,
            before,
            &self.replica,
        )
        .await
    }

    /// The new replica serves: nothing to go back to.
    pub(super) fn done(mut self) {
        self.before = None;
    }
}

async fn back(
    runtime: &DockerRuntime,
    docker: &Docker,
    env: &EnvironmentRef,
    spec: &ServiceSpec,
    before: Option<Vec<Published>>,
    replica: &str,
) -> Result<(), RuntimeError> {
    if let Some(before) = before
        && let Err(error) = runtime.switch(env, spec, &before).await
    {
        tracing::warn!(%error, service = %spec.name, "the ingress was not switched back to the old replica");
    }
    runtime.remove_replica(docker, env, replica).await
}

impl Drop for Undo {
    fn drop(&mut self) {
        let Some(before) = self.before.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let (runtime, docker, env, spec, replica) = (
            self.runtime.clone(),
            self.docker.clone(),
            self.env.clone(),
            self.spec.clone(),
            self.replica.clone(),
        );
        self.runtime.keep(&self.env, &self.spec.name, async move {
            if let Err(error) = back(&runtime, &docker, &env, &spec, Some(before), &replica).await
            {
                tracing::warn!(%error, container = %replica, "a new replica of a deploy cut short was not removed: the next deploy or the teardown removes it");
            }
        });
    }
}
