//! Pause and resume on Docker: every container of the environment stopped (not removed), and
//! later each service's own containers started again, keeping their ids, names, published
//! ports and writable layers; volumes and the network are never touched. Docker's
//! `unless-stopped` restart policy leaves a stopped container stopped across an engine
//! restart, so a paused environment stays paused.

use bollard::Docker;
use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::StopContainerOptionsBuilder;
use futures_util::StreamExt as _;
use stagecraft_engine::{EnvironmentRef, RuntimeError, ServiceSpec, TaskProgress};

use super::errors::{failed, is_status};
use super::names::{config_digest, service_container, summary_name};
use super::{DockerRuntime, STOP_GRACE_SECS};

/// How many containers are stopped at once: each may take its grace period.
const STOPS_AT_ONCE: usize = 8;

impl DockerRuntime {
    /// Stops every running container of the environment (services, their sidecars, a job
    /// that runs), each given its grace period, after its liveness watcher is stopped (a
    /// stopped container is no failure to act on).
    pub(super) async fn pause_containers(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        let running: Vec<String> = self
            .workload_containers(&docker, env, None)
            .await?
            .iter()
            .filter(|c| c.state == Some(ContainerSummaryStateEnum::RUNNING))
            .map(summary_name)
            .collect();
        for name in &running {
            self.unwatch(name);
        }
        // Every stop is tried, so one that fails leaves no more running than it must; the
        // first failure is the pause's.
        let stopped: Vec<Result<(), RuntimeError>> = futures_util::stream::iter(running)
            .map(|name| stop(&docker, name))
            .buffer_unordered(STOPS_AT_ONCE)
            .collect()
            .await;
        stopped.into_iter().collect()
    }

    /// Starts the service's stopped replicas of its current configuration again, one at a
    /// time, each with its sidecars and waited for until ready; then does what a deploy of
    /// the unchanged service does (a replica whose container is gone is made anew), and
    /// watches their liveness again.
    pub(super) async fn wake(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        let config = config_digest(&spec.change_basis())?;
        let workload = format!("services.{}", spec.name);
        let containers = self
            .workload_containers(&docker, env, Some(&workload))
            .await?;
        for replica in 0..spec.replicas {
            let name = service_container(&env.env_id, &spec.name, &config, replica);
            let Some(container) = containers.iter().find(|c| summary_name(c) == name) else {
                continue;
            };
            if container.state != Some(ContainerSummaryStateEnum::RUNNING) {
                docker
                    .start_container(
                        &name,
                        None::<bollard::query_parameters::StartContainerOptions>,
                    )
                    .await
                    .map_err(|e| failed(format!("starting container {name} again"), e))?;
            }
            // Its sidecars join it (one a pause cut short stopped starts again).
            self.rejoin_sidecars(&docker, env, &name).await;
            self.wait_ready(&docker, &name, spec, replica, &progress)
                .await?;
        }
        // A replica whose container is gone is made anew; liveness is watched again.
        self.roll_out(env, spec, progress).await?;
        self.watch_replicas(env, spec).await
    }
}

/// Stops one container; one stopped or removed already is no error.
async fn stop(docker: &Docker, name: String) -> Result<(), RuntimeError> {
    docker
        .stop_container(
            &name,
            Some(
                StopContainerOptionsBuilder::default()
                    .t(STOP_GRACE_SECS)
                    .build(),
            ),
        )
        .await
        .or_else(|e| {
            if is_status(&e, 304) || is_status(&e, 404) {
                Ok(())
            } else {
                Err(failed(format!("stopping container {name}"), e))
            }
        })
}
