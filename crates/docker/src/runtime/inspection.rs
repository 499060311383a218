//! What an environment has on the engine, read from its labels: each workload's status, its
//! objects, its logs; and what one container's inspection tells (running, its published
//! ports, its last log lines).

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    LogsOptionsBuilder,
};
use futures_util::StreamExt as _;
use stagecraft_engine::{
    EnvironmentRef, LabelledEnvironment, LogLine, RuntimeError, RuntimeObject, WorkloadStatus,
};

use super::errors::failed;
use super::names::{object, summary_name};
use super::{DockerRuntime, LABEL_APP, LABEL_ENV, LABEL_PART_OF, LABEL_WORKLOAD, label};

impl DockerRuntime {
    /// How each workload of the environment is doing.
    pub(super) async fn workload_statuses(
        &self,
        env: &EnvironmentRef,
    ) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        let docker = self.client().await?;
        let containers = self.workload_containers(&docker, env, None).await?;
        // An old replica draining after a patch is on its way out, not one of the service's.
        let draining = self.draining(env, &containers).await;
        let mut by_workload: std::collections::BTreeMap<String, WorkloadStatus> =
            std::collections::BTreeMap::new();
        // A sidecar that is down leaves its replica not ready, once however many it has;
        // one whose replica started again after it is put back in the replica's namespace.
        let mut sidecars_down: std::collections::BTreeMap<&str, String> =
            std::collections::BTreeMap::new();
        for container in &containers {
            let Some(workload) = label(container, LABEL_WORKLOAD) else {
                continue;
            };
            let (Some((_, part)), Some(replica)) =
                (workload.split_once('/'), label(container, LABEL_PART_OF))
            else {
                continue;
            };
            let Some(name) = part.strip_prefix("sidecar.") else {
                continue;
            };
            let running =
                container.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING);
            if running
                && self
                    .rejoined(&docker, replica, &summary_name(container))
                    .await
            {
                continue;
            }
            let status = container.status.clone().unwrap_or_default();
            sidecars_down
                .entry(replica)
                .or_insert_with(|| format!("sidecar {name}: {status}"));
        }
        for container in &containers {
            let Some(workload) = label(container, LABEL_WORKLOAD) else {
                continue;
            };
            // An init container ends by design; sidecars were looked at above.
            let name = summary_name(container);
            if workload.contains('/') || draining.contains(&name) {
                continue;
            }
            let entry = by_workload
                .entry(workload.to_owned())
                .or_insert_with(|| WorkloadStatus {
                    workload: workload.to_owned(),
                    ready_replicas: 0,
                    replicas: 0,
                    reason: None,
                });
            entry.replicas += 1;
            if container.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING) {
                match sidecars_down.get(name.as_str()) {
                    Some(why) => {
                        entry.reason.get_or_insert_with(|| why.clone());
                    }
                    None => entry.ready_replicas += 1,
                }
            } else {
                // A service that is down is looked into; a job's container that ended is
                // what a job does, said in the engine's own word without another request.
                let id = container.id.as_deref().unwrap_or_default();
                let why = if workload.starts_with("services.") {
                    why_down(&docker, id).await
                } else {
                    None
                };
                entry.reason = why.or_else(|| container.status.clone());
            }
        }
        Ok(by_workload.into_values().collect())
    }

    /// The objects that carry the environment's label.
    pub(super) async fn labelled_objects(
        &self,
        env: &EnvironmentRef,
    ) -> Result<Vec<RuntimeObject>, RuntimeError> {
        let docker = self.client().await?;
        let found = labelled(&docker, format!("{LABEL_ENV}={}", env.env_id)).await?;
        let containers = found
            .containers
            .iter()
            .map(|c| object("container", &summary_name(c)));
        let volumes = found.volumes.iter().map(|v| object("volume", &v.name));
        let networks = found
            .networks
            .iter()
            .filter_map(|n| n.name.as_deref())
            .map(|n| object("network", n));
        Ok(containers.chain(volumes).chain(networks).collect())
    }

    /// Every environment some container, volume or network carries the label of, with its
    /// app: whichever database made them.
    pub(super) async fn environments_by_label(
        &self,
    ) -> Result<Vec<LabelledEnvironment>, RuntimeError> {
        let docker = self.client().await?;
        let found = labelled(&docker, LABEL_ENV.to_owned()).await?;
        let labels = found
            .containers
            .iter()
            .filter_map(|c| c.labels.as_ref())
            .chain(found.volumes.iter().map(|v| &v.labels))
            .chain(found.networks.iter().filter_map(|n| n.labels.as_ref()));
        let mut environments: Vec<LabelledEnvironment> = labels
            .filter_map(|l| {
                Some(LabelledEnvironment {
                    env_id: l.get(LABEL_ENV)?.clone(),
                    app: l.get(LABEL_APP).cloned().unwrap_or_default(),
                })
            })
            .collect();
        environments.sort();
        environments.dedup();
        Ok(environments)
    }

    /// A workload's log lines from its start (or from `since`), then as they come when
    /// `follow`.
    pub(super) fn log_lines(
        &self,
        env: &EnvironmentRef,
        workload: &str,
        follow: bool,
        since: Option<std::time::SystemTime>,
    ) -> impl futures_util::Stream<Item = Result<LogLine, RuntimeError>> + Send + 'static {
        let since = since
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
        let runtime = self.clone();
        let env = env.clone();
        let workload = workload.to_owned();
        futures_util::stream::once(async move {
            let docker = runtime.client().await?;
            let containers = runtime
                .workload_containers(&docker, &env, Some(&workload))
                .await?;
            let streams = containers.iter().map(|c| {
                // Timestamps let a log followed again after a restart skip what it kept.
                let options = LogsOptionsBuilder::default()
                    .stdout(true)
                    .stderr(true)
                    .follow(follow)
                    .since(since)
                    .timestamps(true)
                    .build();
                docker.logs(&summary_name(c), Some(options))
            });
            Ok::<_, RuntimeError>(futures_util::stream::select_all(streams))
        })
        .map(|streams| match streams {
            Ok(streams) => streams
                .map(|chunk| {
                    chunk
                        .map(|output| {
                            let stderr =
                                matches!(output, bollard::container::LogOutput::StdErr { .. });
                            output
                                .to_string()
                                .lines()
                                .map(|line| LogLine::timestamped(stderr, line))
                                .collect::<Vec<_>>()
                        })
                        .map_err(|e| failed("reading logs", e))
                })
                .flat_map(|lines| match lines {
                    Ok(lines) => {
                        futures_util::stream::iter(lines.into_iter().map(Ok)).left_stream()
                    }
                    Err(error) => futures_util::stream::once(async { Err(error) }).right_stream(),
                })
                .left_stream(),
            Err(error) => futures_util::stream::once(async { Err(error) }).right_stream(),
        })
        .flatten()
    }
}

pub(super) fn running(inspect: &ContainerInspectResponse) -> bool {
    inspect
        .state
        .as_ref()
        .and_then(|s| s.running)
        .unwrap_or(false)
}

/// The host port 127.0.0.1 forwards to `port` of the container.
pub(super) fn published_port(inspect: &ContainerInspectResponse, port: u16) -> Option<u16> {
    inspect
        .network_settings
        .as_ref()?
        .ports
        .as_ref()?
        .get(&format!("{port}/tcp"))?
        .as_ref()?
        .iter()
        .find_map(|b| b.host_port.as_deref()?.parse().ok())
}

/// The container's last `count` log lines, as ": last lines: …" for an error message.
pub(super) async fn last_lines(docker: &Docker, container: &str, count: usize) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&count.to_string())
        .build();
    let chunks: Vec<_> = docker.logs(container, Some(options)).collect().await;
    let text: String = chunks
        .into_iter()
        .filter_map(Result::ok)
        .map(|c| c.to_string())
        .collect();
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!("; its last lines:\n{text}")
    }
}

/// Whether the kernel killed a container that ended with `code` for its memory. The engine
/// sets the flag from the runtime's OOM event, which is handled apart from the exit and may
/// come after it: seconds after on a busy machine (seen on a 2-core CI machine running tests
/// side by side, where one second was not enough). So an exit of 137 (SIGKILL) without the
/// flag is looked at again for up to 5 s; any other exit is answered at once.
pub(super) async fn oom_killed(docker: &Docker, container: &str, code: i64) -> bool {
    for attempt in 0..21 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        let flagged = docker
            .inspect_container(
                container,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .ok()
            .and_then(|inspect| inspect.state?.oom_killed)
            .unwrap_or(false);
        if flagged || code != 137 {
            return flagged;
        }
    }
    false
}

/// Why a container is not running, in the words both runtimes use: how it ended (out of
/// memory with its limit, a signal, a missing command) and, when the engine keeps restarting
/// it, how many times, with its last lines. `None` when it cannot be inspected.
async fn why_down(docker: &Docker, container: &str) -> Option<String> {
    let inspect = docker
        .inspect_container(
            container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()?;
    let state = inspect.state.as_ref()?;
    let ended = stagecraft_engine::Ended::new(
        state.exit_code.unwrap_or_default(),
        state.oom_killed.unwrap_or(false),
    );
    let limit = inspect
        .host_config
        .as_ref()
        .and_then(|h| h.memory)
        .and_then(|bytes| u64::try_from(bytes).ok())
        .filter(|bytes| *bytes > 0);
    use bollard::models::ContainerStateStatusEnum as Status;
    let how = ended.explain(limit);
    let restarts = inspect.restart_count.unwrap_or(0);
    match state.status {
        // Between two runs: how it ended last is kept until it starts again.
        Some(Status::RESTARTING) => {
            let tail = last_lines(docker, container, 5).await;
            Some(format!(
                "restarting again and again ({restarts} restarts so far): it {how}{tail}"
            ))
        }
        // Started again since it was listed: how it ended last went with the restart.
        Some(Status::RUNNING) if restarts > 0 => {
            let tail = last_lines(docker, container, 5).await;
            Some(format!(
                "restarting again and again ({restarts} restarts so far; up again for now){tail}"
            ))
        }
        Some(Status::EXITED | Status::DEAD) if restarts > 0 => {
            Some(format!("stopped after {restarts} restarts: it {how}"))
        }
        Some(Status::EXITED | Status::DEAD) => Some(format!("it {how}")),
        // Created, paused, being removed: the engine's own word says it.
        _ => None,
    }
}

/// What carries a label, as `label` filters it (`key` for any value, `key=value`).
struct Labelled {
    containers: Vec<bollard::models::ContainerSummary>,
    volumes: Vec<bollard::models::Volume>,
    networks: Vec<bollard::models::Network>,
}

/// The containers (stopped too), volumes and networks that carry `label`.
async fn labelled(docker: &Docker, label: String) -> Result<Labelled, RuntimeError> {
    let filters = HashMap::from([("label", vec![label])]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| failed("listing labelled containers", e))?;
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| failed("listing labelled volumes", e))?
        .volumes
        .unwrap_or_default();
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| failed("listing labelled networks", e))?;
    Ok(Labelled {
        containers,
        volumes,
        networks,
    })
}

/// Waits for the container to exit: its exit code.
pub(super) async fn exit_code(docker: &Docker, name: &str) -> Result<i64, RuntimeError> {
    let mut wait = docker.wait_container(
        name,
        None::<bollard::query_parameters::WaitContainerOptions>,
    );
    let mut code = None;
    while let Some(item) = wait.next().await {
        match item {
            Ok(response) => code = Some(response.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Err(bollard::errors::Error::DockerContainerWaitError { code: exit, .. }) => {
                code = Some(exit);
            }
            Err(error) => {
                return Err(failed(format!("waiting for container {name}"), error).permanent());
            }
        }
    }
    code.ok_or_else(|| RuntimeError::new(format!("the engine did not say how {name} ended")))
}
