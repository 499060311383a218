//! Liveness probes, which Docker does not act on: a watcher per container that restarts it
//! after `failure_threshold` failed probes in a row, for as long as this process runs, as
//! Kubernetes' kubelet would.
//!
//! Docker restarts a container that exits but does not act on a failing probe, so the runtime
//! watches each container with a liveness probe while the process that deployed it (or deployed
//! the environment again, unchanged, or took it up at start) runs. A CLI process that exits
//! stops watching; the app keeps watching for as long as it is open.

use bollard::Docker;
use stagecraft_engine::{EnvironmentRef, LivenessSpec, ProbeSpec, RuntimeError, ServiceSpec};

use super::errors::is_status;
use super::inspection::{published_port, running};
use super::names::{config_digest, summary_name};
use super::{DockerRuntime, LABEL_CONFIG, STOP_GRACE_SECS, label};
use crate::probe;

impl DockerRuntime {
    /// Watches `container`'s liveness until it is removed (or this process ends).
    pub(super) fn watch(&self, docker: &Docker, container: &str, liveness: &LivenessSpec) {
        if self.watchers.is_running(container) {
            return;
        }
        let task = tokio::spawn(watch_liveness(
            docker.clone(),
            container.to_owned(),
            liveness.clone(),
        ));
        self.watchers.replace(container, task.abort_handle());
    }

    /// Stops watching containers whose names start with `prefix`.
    pub(super) fn unwatch(&self, prefix: &str) {
        self.watchers.abort_prefix(prefix);
    }

    /// Watches the liveness of the service's running replicas of this configuration.
    pub(super) async fn watch_replicas(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        let Some(liveness) = &spec.liveness else {
            return Ok(());
        };
        let docker = self.client().await?;
        let config = config_digest(&spec.change_basis())?;
        let workload = format!("services.{}", spec.name);
        for container in self
            .workload_containers(&docker, env, Some(&workload))
            .await?
        {
            if label(&container, LABEL_CONFIG) == Some(config.as_str()) {
                self.watch(&docker, &summary_name(&container), liveness);
            }
        }
        Ok(())
    }
}

/// Probes a container's liveness and restarts it after `failure_threshold` failures in a row.
/// Ends when the container is gone.
async fn watch_liveness(docker: Docker, container: String, liveness: LivenessSpec) {
    tokio::time::sleep(liveness.initial_delay).await;
    let mut failures = 0u32;
    loop {
        tokio::time::sleep(liveness.period).await;
        let inspect = match docker
            .inspect_container(
                &container,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(inspect) => inspect,
            Err(error) if is_status(&error, 404) => return,
            Err(_) => continue,
        };
        // A stopped container is the restart policy's to bring back.
        if !running(&inspect) {
            failures = 0;
            continue;
        }
        let answer = match &liveness.probe {
            ProbeSpec::Exec { command } => {
                probe::exec(&docker, &container, command, probe::PROBE_TIMEOUT).await
            }
            ProbeSpec::HttpGet { path, port } => match published_port(&inspect, *port) {
                Some(host_port) => probe::http_get(host_port, path, probe::PROBE_TIMEOUT).await,
                None => Err(probe::NotReady(format!("port {port} is not published"))),
            },
        };
        match answer {
            Ok(()) => failures = 0,
            Err(why) => {
                failures += 1;
                if failures >= liveness.failure_threshold {
                    tracing::warn!(
                        container,
                        failures,
                        reason = %why,
                        "restarting a container that failed its liveness probe"
                    );
                    let options =
                        bollard::query_parameters::RestartContainerOptionsBuilder::default()
                            .t(STOP_GRACE_SECS)
                            .build();
                    if let Err(error) = docker.restart_container(&container, Some(options)).await {
                        tracing::warn!(container, %error, "the restart failed");
                    }
                    failures = 0;
                    tokio::time::sleep(liveness.initial_delay).await;
                }
            }
        }
    }
}
