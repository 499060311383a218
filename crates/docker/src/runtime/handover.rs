//! A service replica replaced without downtime behind the local ingress (the engine's
//! `handover`): where each `node_port` is published now, waiting until the new replica
//! answers HTTP, switching the ingress to it, and stopping the old one in the background.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::StopContainerOptionsBuilder;
use stagecraft_engine::{EnvironmentRef, RuntimeError, ServiceSpec, TaskProgress};

use super::errors::{failed, is_status};
use super::inspection::{published_port, running};
use super::{DockerRuntime, STOP_GRACE_SECS};
use crate::probe;

/// How long a new replica without a readiness probe gets to answer HTTP on its `node_port`
/// before the ingress is switched to it anyway.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Between two looks at whether the new replica answers.
const ANSWER_POLL: Duration = Duration::from_millis(100);

impl DockerRuntime {
    /// The 127.0.0.1 port `service`'s `port` is published on now: the stable one unless a
    /// handover moved it.
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

    /// Whether the old replica is replaced without downtime: it has one to hand over to, a
    /// `node_port`, and an ingress serves.
    pub(super) async fn hands_over(&self, exposed: bool, old: bool) -> bool {
        match &self.switchboard {
            Some(board) if exposed && old => board.serving().await,
            _ => false,
        }
    }

    /// Waits until `container` answers HTTP on each of `hosts` (any status: its readiness is
    /// the template's probe, when it has one), for at most [`ANSWER_WITHIN`]; fails when it
    /// stops running.
    pub(super) async fn wait_answering(
        &self,
        docker: &Docker,
        container: &str,
        spec: &ServiceSpec,
        hosts: &[(u16, u16)],
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        if spec.readiness.is_some() {
            return Ok(());
        }
        let since = Instant::now();
        for (port, host) in hosts {
            loop {
                let answer = probe::http_status(*host, "/", probe::PROBE_TIMEOUT).await;
                let Err(why) = answer else { break };
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
                        "port {port} gave no HTTP answer within {} s ({why}): the ingress is \
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
        hosts: &[(u16, u16)],
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
        if self.switchboard.is_none() {
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
        self.switch(env, spec, &moved).await
    }

    /// Stops `replica` (its requests under way get the stop's grace period) and removes it
    /// with its sidecars, in the background: [`DockerRuntime::retired`] waits for it.
    pub(super) fn retire(&self, docker: Docker, env: EnvironmentRef, replica: String) {
        let runtime = self.clone();
        let task = tokio::spawn(async move {
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
            if let Err(error) = runtime.remove_replica(&docker, &env, &replica).await {
                tracing::warn!(%error, container = %replica, "an old replica was not removed: the next deploy or the teardown removes it");
            }
        });
        if let Ok(mut retiring) = self.retiring.lock() {
            retiring.retain(|t| !t.is_finished());
            retiring.push(task);
        }
    }

    /// Waits until every old replica being retired is gone.
    pub(super) async fn retired(&self) {
        let tasks = self
            .retiring
            .lock()
            .map(|mut retiring| std::mem::take(&mut *retiring))
            .unwrap_or_default();
        for task in tasks {
            let _ = task.await;
        }
    }
}
