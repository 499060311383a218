//! A service brought to a new configuration one replica at a time: each new replica started
//! and waited for until it is ready before the old one goes, and the old one back when the new
//! one cannot start.

use std::time::Instant;

use bollard::Docker;
use bollard::models::{
    ContainerSummary, ContainerUpdateBody, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::StopContainerOptionsBuilder;
use stagecraft_engine::{
    EnvironmentRef, PortSpec, ProbeSpec, RuntimeError, ServiceSpec, TaskProgress,
};

use super::containers::ContainerPlan;
use super::errors::{failed, is_status};
use super::handover::Undo;
use super::inspection::{last_lines, published_port, running};
use super::names::{config_digest, service_container, summary_name};
use super::{DockerRuntime, LABEL_CONFIG, LABEL_REPLICA, STOP_GRACE_SECS, label};
use crate::probe;

/// One service being brought to a new configuration.
#[derive(Clone, Copy)]
struct Rollout<'a> {
    env: &'a EnvironmentRef,
    spec: &'a ServiceSpec,
    /// The digest of `spec`, on every new container.
    config: &'a str,
    progress: &'a TaskProgress,
}

impl DockerRuntime {
    /// Creates the service, or replaces its replicas whose configuration changed, one at a
    /// time; an unchanged service is left as is.
    pub(super) async fn roll_out(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        self.ensure_network(&docker, env).await?;
        // An old replica of this service still on its way out goes first.
        self.retired(Some(&env.env_id), Some(&spec.name)).await;
        let config = config_digest(&spec.change_basis())?;
        let workload = format!("services.{}", spec.name);
        let existing = self
            .workload_containers(&docker, env, Some(&workload))
            .await?;
        let (current, mut stale): (Vec<_>, Vec<_>) = existing
            .into_iter()
            .partition(|c| label(c, LABEL_CONFIG) == Some(config.as_str()));
        let mut to_start = Vec::new();
        for replica in 0..spec.replicas {
            let name = service_container(&env.env_id, &spec.name, &config, replica);
            match current.iter().find(|c| summary_name(c) == name) {
                // A replica 0 a deploy cut short between its start and the switch to it never
                // was ready (the engine would restart it once it was): made anew.
                Some(c)
                    if c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
                        && replica == 0
                        && self.unfinished(&docker, spec, &name).await =>
                {
                    self.remove_replica(&docker, env, &name).await?;
                    to_start.push(replica);
                }
                Some(c) if c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING) => {
                }
                Some(_) => {
                    // Left stopped by a crash or a failed start: made anew.
                    self.remove_replica(&docker, env, &name).await?;
                    to_start.push(replica);
                }
                None => to_start.push(replica),
            }
        }
        // Containers of the current configuration beyond the replica count go too.
        stale.extend(current.into_iter().filter(|c| {
            label(c, LABEL_REPLICA)
                .and_then(|r| r.parse::<u32>().ok())
                .is_none_or(|r| r >= spec.replicas)
        }));
        // Replica 0 left as it is: the ingress routes to where it is (a process that ended
        // before its switch left it on the old one, removed below).
        if spec.replicas > 0 && !to_start.contains(&0) {
            let first = service_container(&env.env_id, &spec.name, &config, 0);
            self.reconcile(&docker, env, spec, &first).await?;
        }
        if to_start.is_empty() && stale.is_empty() {
            // Unchanged, and perhaps deployed by an earlier process: watch it from here.
            if let Some(liveness) = &spec.liveness {
                for replica in 0..spec.replicas {
                    let name = service_container(&env.env_id, &spec.name, &config, replica);
                    self.watch(&docker, &name, liveness);
                }
            }
            return Ok(());
        }
        self.ensure_image(&docker, &spec.image, spec.built, &progress)
            .await?;
        self.ensure_volumes(&docker, env, &spec.volumes).await?;
        for replica in to_start {
            let number = replica.to_string();
            let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut stale)
                .into_iter()
                .partition(|c| label(c, LABEL_REPLICA) == Some(number.as_str()));
            stale = others;
            // The running one the ingress routes to (that publishes where its ports are
            // kept) is replaced; any other (a replica a deploy cut short left, or an old one
            // whose stop ended with its process) goes first, so it holds no port the new one
            // needs.
            let kept = self.publishing(env, spec, None).await?;
            let (running_now, mut leftovers): (Vec<_>, Vec<_>) = mine.into_iter().partition(|c| {
                c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
            });
            let routed = running_now
                .iter()
                .position(|c| replica == 0 && self.publishes(c, &kept))
                .unwrap_or(0);
            let mut old = None;
            for (index, container) in running_now.into_iter().enumerate() {
                if index == routed {
                    old = Some(container);
                } else {
                    leftovers.push(container);
                }
            }
            for leftover in &leftovers {
                self.remove_replica(&docker, env, &summary_name(leftover))
                    .await?;
            }
            let rollout = Rollout {
                env,
                spec,
                config: &config,
                progress: &progress,
            };
            self.replace_replica(&docker, &rollout, replica, old.as_ref())
                .await?;
        }
        for old in stale {
            self.remove_replica(&docker, env, &summary_name(&old))
                .await?;
        }
        Ok(())
    }

    /// Each service replica left with no running container (a process killed between
    /// stopping the old one and starting its replacement) gets the last container that ran
    /// for it started again. Gives the containers started.
    pub(super) async fn restore_replicas(
        &self,
        env: &EnvironmentRef,
    ) -> Result<Vec<String>, RuntimeError> {
        let docker = self.client().await?;
        let containers = self.workload_containers(&docker, env, None).await?;
        let mut by_replica: std::collections::BTreeMap<(String, String), Vec<&ContainerSummary>> =
            std::collections::BTreeMap::new();
        for container in &containers {
            if let (Some(workload), Some(replica)) = (
                label(container, super::LABEL_WORKLOAD),
                label(container, LABEL_REPLICA),
            ) && workload.starts_with("services.")
            {
                by_replica
                    .entry((workload.to_owned(), replica.to_owned()))
                    .or_default()
                    .push(container);
            }
        }
        let mut started = Vec::new();
        for candidates in by_replica.values() {
            if candidates
                .iter()
                .any(|c| c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING))
            {
                continue;
            }
            // The one that ran last: a replacement created but never started has not run.
            let mut last: Option<(String, String)> = None;
            for candidate in candidates {
                let name = summary_name(candidate);
                let inspect = docker
                    .inspect_container(
                        &name,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                    .map_err(|e| failed(format!("inspecting container {name}"), e))?;
                let ran_at = inspect
                    .state
                    .and_then(|s| s.started_at)
                    .filter(|t| !t.starts_with("0001-"))
                    .unwrap_or_default();
                if !ran_at.is_empty() && last.as_ref().is_none_or(|(at, _)| ran_at > *at) {
                    last = Some((ran_at, name));
                }
            }
            if let Some((_, name)) = last {
                docker
                    .start_container(
                        &name,
                        None::<bollard::query_parameters::StartContainerOptions>,
                    )
                    .await
                    .map_err(|e| failed(format!("starting container {name} again"), e))?;
                self.rejoin_sidecars(&docker, env, &name).await;
                started.push(name);
            }
        }
        Ok(started)
    }

    /// Waits until the replica answers its readiness probe, or fails when it stops running,
    /// or when it failed the probe `failure_threshold` times in a row. The probe starts after
    /// its `initial_delay` and runs every `period` (every `poll` when the template gives none).
    pub(super) async fn wait_ready(
        &self,
        docker: &Docker,
        container: &str,
        spec: &ServiceSpec,
        replica: u32,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        if let Some(readiness) = &spec.readiness
            && !readiness.initial_delay.is_zero()
        {
            progress.waiting(format!(
                "waiting {} s before the first readiness check (initial_delay_seconds)",
                readiness.initial_delay.as_secs()
            ));
            tokio::time::sleep(readiness.initial_delay).await;
        }
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let inspect = docker
                .inspect_container(
                    container,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
                .map_err(|e| failed(format!("inspecting container {container}"), e))?;
            if !running(&inspect) {
                let code = inspect
                    .state
                    .as_ref()
                    .and_then(|s| s.exit_code)
                    .unwrap_or_default();
                let ended = stagecraft_engine::Ended::new(
                    code,
                    super::inspection::oom_killed(docker, container, code).await,
                );
                let tail = last_lines(docker, container, 5).await;
                return Err(RuntimeError::new(format!(
                    "{} replica {replica} {} before it was ready{tail}",
                    spec.name,
                    ended.explain(spec.limits.memory_bytes)
                )));
            }
            let Some(readiness) = &spec.readiness else {
                return Ok(());
            };
            let limit = readiness.timeout.unwrap_or(probe::PROBE_TIMEOUT);
            let (what, answer) = match &readiness.probe {
                ProbeSpec::Exec { command } => (
                    format!("exec {}", command.join(" ")),
                    probe::exec(docker, container, command, limit).await,
                ),
                ProbeSpec::HttpGet { path, port } => {
                    let what = format!("http :{port}{path}");
                    match published_port(&inspect, *port) {
                        Some(host_port) => (what, probe::http_get(host_port, path, limit).await),
                        None => (
                            what,
                            Err(probe::NotReady(format!(
                                "port {port} is not among the service's ports: add it to \
                                 `ports` so it can be probed"
                            ))),
                        ),
                    }
                }
            };
            let period = readiness.period.unwrap_or(self.poll);
            match answer {
                Ok(()) => return Ok(()),
                Err(why) => {
                    if let Some(threshold) = readiness.failure_threshold
                        && attempt >= threshold
                    {
                        return Err(RuntimeError::new(format!(
                            "{} replica {replica} was not ready after {attempt} checks, {:?} \
                             apart (its readiness probe's failure_threshold): {what}: {why}",
                            spec.name, period
                        )));
                    }
                    progress.waiting(format!(
                        "waiting for readiness: {what}, attempt {attempt} ({why})"
                    ));
                }
            }
            tokio::time::sleep(period).await;
        }
    }

    async fn replace_replica(
        &self,
        docker: &Docker,
        rollout: &Rollout<'_>,
        replica: u32,
        old: Option<&ContainerSummary>,
    ) -> Result<(), RuntimeError> {
        let Rollout {
            env,
            spec,
            config,
            progress,
        } = *rollout;
        let workload = format!("services.{}", spec.name);
        let name = service_container(&env.env_id, &spec.name, config, replica);
        // Replica 0 publishes each `node_port` on 127.0.0.1, where the old one does. Behind a
        // serving ingress, the new replica starts beside the old one on the other of the
        // port's two host ports. Otherwise a port can be held by one container only: the old
        // replica must let go of it before the new one starts, and that window is reported.
        let before = if replica == 0 {
            self.publishing(env, spec, old).await?
        } else {
            Vec::new()
        };
        let handover = if replica == 0 {
            self.handover_to(env, spec, &before, old).await
        } else {
            None
        };
        let hosts = handover.clone().unwrap_or_else(|| before.clone());
        let handover = handover.is_some();
        let mut stopped_old = None;
        if !handover
            && !hosts.is_empty()
            && let Some(old) = old
        {
            let old_name = summary_name(old);
            // The old replica may stop answering as soon as it is asked to stop.
            let since = Instant::now();
            docker
                .stop_container(
                    &old_name,
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
                        Err(e)
                    }
                })
                .map_err(|e| failed(format!("stopping container {old_name}"), e))?;
            stopped_old = Some((old_name, since));
        }
        let ports = spec
            .ports
            .iter()
            .map(|PortSpec { container_port, .. }| {
                let host = hosts
                    .iter()
                    .find(|(port, _)| port == container_port)
                    .map(|(_, host)| *host);
                (*container_port, host)
            })
            .collect();
        let plan = ContainerPlan {
            name: &name,
            workload: &workload,
            image: &spec.image,
            command: &spec.command,
            args: &spec.args,
            env: &spec.env,
            volumes: &spec.volumes,
            limits: spec.limits,
            requests: spec.requests,
            ports,
            alias: Some(&spec.name),
            extra_labels: vec![
                (LABEL_CONFIG, config.to_owned()),
                (LABEL_REPLICA, replica.to_string()),
            ],
            runs_once: false,
            files: &spec.config_files,
            joins: None,
        };
        // Its init containers to their end, then it, then its sidecars beside it; handed
        // over to, it must answer before the ingress sends it requests. A deploy cut short
        // meanwhile leaves the ingress on the old replica.
        let since = Instant::now();
        let undo = Undo {
            runtime: self.clone(),
            docker: docker.clone(),
            env: env.clone(),
            spec: spec.clone(),
            replica: name.clone(),
            before: handover.then(|| before.clone()),
        };
        let started = async {
            self.run_init_containers(docker, env, spec, &name, progress)
                .await?;
            self.create_container(docker, env, plan).await?;
            self.start_sidecars(docker, env, spec, &name, progress)
                .await?;
            self.wait_ready(docker, &name, spec, replica, progress)
                .await?;
            if handover {
                self.wait_answering(docker, &name, spec, &hosts, progress)
                    .await?;
                self.switch_over(env, spec, &hosts).await?;
            }
            Ok(())
        }
        .await;
        if let Err(error) = started {
            // Leave the service as it was: the ingress on the old replica (a switch may have
            // been half made), and the old replica back.
            undo.undo().await?;
            if let Some((old_name, _)) = &stopped_old
                && let Err(restart) = docker
                    .start_container(
                        old_name,
                        None::<bollard::query_parameters::StartContainerOptions>,
                    )
                    .await
            {
                return Err(RuntimeError::new(format!(
                    "{error}; the previous replica {old_name} could not be started again \
                     either: {restart}"
                )));
            }
            if let Some((old_name, _)) = &stopped_old {
                self.rejoin_sidecars(docker, env, old_name).await;
            }
            return Err(error);
        }
        // Handed over to, it serves: what follows cannot undo that.
        undo.done();
        // Restarted by the engine from now on (after a crash, after Docker restarts), as a
        // Kubernetes pod is; not before it was ready, so a replica that cannot start reports
        // its own exit code instead of a restart loop.
        let policy = docker
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
            .map_err(|e| failed(format!("setting the restart policy of {name}"), e));
        match policy {
            Ok(_) => {}
            // Handed over to, it serves already: the old one is retired all the same.
            Err(error) if handover => {
                tracing::warn!(%error, container = %name, "not restarted by the engine after a crash");
            }
            Err(error) => return Err(error),
        }
        // One that crashed between its readiness and the policy is started as the policy
        // would have started it.
        let exited = docker
            .inspect_container(
                &name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .is_ok_and(|inspect| !running(&inspect));
        if exited
            && let Err(error) = docker
                .start_container(
                    &name,
                    None::<bollard::query_parameters::StartContainerOptions>,
                )
                .await
        {
            // The engine may have started it meanwhile; the health round tells the rest.
            tracing::warn!(%error, container = %name, "a replica that crashed was not started again");
        }
        if let Some(liveness) = &spec.liveness {
            self.watch(docker, &name, liveness);
        }
        if handover && let Some(old) = old {
            let millis = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
            let at: Vec<String> = hosts
                .iter()
                .map(|(_, host)| format!("127.0.0.1:{host}"))
                .collect();
            progress.switched(
                millis,
                format!(
                    "the ingress sends {}'s new requests to its new container ({}), ready in \
                     {:.1} s; the old one gets 5 s for those under way, then is stopped",
                    spec.name,
                    at.join(", "),
                    since.elapsed().as_secs_f64()
                ),
            );
            self.retire(docker.clone(), env, &spec.name, summary_name(old));
            return Ok(());
        }
        if let Some((_, since)) = stopped_old {
            let millis = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
            progress.unavailable(
                millis,
                format!(
                    "{} had no ready replica while its published port moved to the new container",
                    spec.name
                ),
            );
        }
        if let Some(old) = old {
            self.remove_replica(docker, env, &summary_name(old)).await?;
        }
        Ok(())
    }
}
