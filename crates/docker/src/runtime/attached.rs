//! A service replica's init containers and sidecars. Init containers run in order, each to its
//! end, before the replica's container is made; the first that fails fails the replica with how
//! it ended and its last lines. Sidecars start once the replica's container runs, in its network
//! namespace (`container:<replica>`: the same localhost, no name of their own on the network),
//! restarted by the engine as it is, and are removed with it. Each carries [`LABEL_PART_OF`]
//! with its replica's name, so a replica goes with its parts whatever the spec that made them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{ContainerUpdateBody, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::ListContainersOptionsBuilder;
use stagecraft_engine::{
    ContainerSpec, Ended, EnvironmentRef, RuntimeError, ServiceSpec, TaskProgress,
};

use super::containers::ContainerPlan;
use super::errors::failed;
use super::inspection::{exit_code, last_lines, oom_killed};
use super::names::{docker_safe, summary_name};
use super::{DockerRuntime, LABEL_ENV, LABEL_PART_OF};

/// Lines of a failed init container's log its failure quotes.
const LAST_LINES: usize = 5;

impl DockerRuntime {
    /// Runs the init containers of the replica `replica` (its container's name) in order.
    pub(super) async fn run_init_containers(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        replica: &str,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        for init in &spec.init_containers {
            let name = format!("{replica}-init-{}", docker_safe(&init.name));
            let workload = format!("services.{}/init.{}", spec.name, init.name);
            progress.waiting(format!("init container {}: running", init.name));
            self.create_part(docker, env, init, &name, &workload, replica, None, progress)
                .await?;
            let code = exit_code(docker, &name).await?;
            if code != 0 {
                let ended = Ended::new(code, oom_killed(docker, &name, code).await);
                let lines = last_lines(docker, &name, LAST_LINES).await;
                return Err(RuntimeError::new(format!(
                    "init container {} of {} {}{}",
                    init.name,
                    spec.name,
                    ended.explain(init.limits.memory_bytes),
                    if lines.is_empty() {
                        String::new()
                    } else {
                        format!("; its last lines: {lines}")
                    }
                ))
                .permanent());
            }
        }
        Ok(())
    }

    /// Starts the sidecars of the replica `replica`, whose container runs.
    pub(super) async fn start_sidecars(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        replica: &str,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        for sidecar in &spec.sidecars {
            let name = format!("{replica}-sidecar-{}", docker_safe(&sidecar.name));
            let workload = format!("services.{}/sidecar.{}", spec.name, sidecar.name);
            self.create_part(
                docker,
                env,
                sidecar,
                &name,
                &workload,
                replica,
                Some(replica),
                progress,
            )
            .await?;
            docker
                .update_container(
                    &name,
                    ContainerUpdateBody {
                        restart_policy: Some(RestartPolicy {
                            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                            maximum_retry_count: None,
                        }),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| failed(format!("setting the restart policy of {name}"), e))?;
        }
        Ok(())
    }

    /// Puts the running sidecar `sidecar` back in its replica's network namespace when the
    /// replica started again after it (a crash the engine restarted, a liveness restart, a
    /// replica started again after a failed replacement): a sidecar keeps the namespace it
    /// joined, and a restarted replica has a new one. `true` when it is in its replica's
    /// namespace (as it was, or restarted now).
    pub(super) async fn rejoined(&self, docker: &Docker, replica: &str, sidecar: &str) -> bool {
        let (Some((replica_at, _)), Some((sidecar_at, sidecar_running))) = (
            started_at(docker, replica).await,
            started_at(docker, sidecar).await,
        ) else {
            return false;
        };
        // A stopped sidecar (a pause cut short stopped it, not its replica) starts again too.
        if sidecar_at >= replica_at && sidecar_running {
            return true;
        }
        let options = bollard::query_parameters::RestartContainerOptionsBuilder::default()
            .t(1)
            .build();
        match docker.restart_container(sidecar, Some(options)).await {
            Ok(()) => {
                tracing::info!(
                    sidecar,
                    replica,
                    "a sidecar joined its restarted replica again"
                );
                true
            }
            Err(error) => {
                tracing::warn!(sidecar, %error, "a sidecar could not join its restarted replica");
                false
            }
        }
    }

    /// After `replica` started again: each of its sidecars joins its new namespace.
    pub(super) async fn rejoin_sidecars(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        replica: &str,
    ) {
        let Ok(parts) = self.parts(docker, env, replica).await else {
            return;
        };
        for part in &parts {
            let is_sidecar =
                super::label(part, super::LABEL_WORKLOAD).is_some_and(|w| w.contains("/sidecar."));
            if is_sidecar {
                self.rejoined(docker, replica, &summary_name(part)).await;
            }
        }
    }

    /// Removes a replica's container and every init container and sidecar of it.
    pub(super) async fn remove_replica(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        replica: &str,
    ) -> Result<(), RuntimeError> {
        let parts = self.parts(docker, env, replica).await?;
        // Sidecars first: they live in the replica's network namespace.
        for part in &parts {
            self.remove_container(docker, env, &summary_name(part))
                .await?;
        }
        self.remove_container(docker, env, replica).await
    }

    /// The init containers and sidecars of `replica`.
    async fn parts(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        replica: &str,
    ) -> Result<Vec<bollard::models::ContainerSummary>, RuntimeError> {
        let filters = HashMap::from([(
            "label",
            vec![
                format!("{LABEL_ENV}={}", env.env_id),
                format!("{LABEL_PART_OF}={replica}"),
            ],
        )]);
        docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| failed(format!("listing the containers of {replica}"), e))
    }

    /// Makes and starts one init container or sidecar of `replica`, anew.
    #[allow(clippy::too_many_arguments)]
    async fn create_part(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        part: &ContainerSpec,
        name: &str,
        workload: &str,
        replica: &str,
        joins: Option<&str>,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.ensure_image(docker, &part.image, part.built, progress)
            .await?;
        self.ensure_volumes(docker, env, &part.volumes).await?;
        // A previous attempt's, kept for its logs until now.
        self.remove_container(docker, env, name).await?;
        let plan = ContainerPlan {
            name,
            workload,
            image: &part.image,
            command: &part.command,
            args: &part.args,
            env: &part.env,
            volumes: &part.volumes,
            limits: part.limits,
            requests: part.requests,
            ports: Vec::new(),
            alias: None,
            extra_labels: vec![(LABEL_PART_OF, replica.to_owned())],
            // An init container's run is not tried twice; a sidecar is started as a service's
            // replica is.
            runs_once: joins.is_none(),
            files: &[],
            joins,
        };
        self.create_container(docker, env, plan).await
    }
}

/// When the container last started, as the engine says it (RFC 3339; read as a time, since
/// the engine drops trailing zeros of the fraction and the text does not sort).
/// When the container last started, and whether it runs now.
async fn started_at(docker: &Docker, name: &str) -> Option<(time::OffsetDateTime, bool)> {
    let state = docker
        .inspect_container(
            name,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()?
        .state?;
    let at = time::OffsetDateTime::parse(
        state.started_at.as_deref()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Some((at, state.running == Some(true)))
}
