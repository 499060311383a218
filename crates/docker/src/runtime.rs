//! [`DockerRuntime`]: environments on a Docker engine. One bridge network per environment,
//! containers that reach each other by service name, our labels on every object, and the
//! environment's ledger written before anything is created.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerSummary, ContainerUpdateBody,
    EndpointSettings, HostConfig, Mount, MountTmpfsOptions, MountType, NetworkCreateRequest,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, KillContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};
use stagecraft_engine::{
    ConfigFile, EnvVar, EnvironmentRef, JobExit, JobSpec, Limits, LivenessSpec, LogLine, PortSpec,
    ProbeSpec, Runtime, RuntimeError, RuntimeObject, ServiceSpec, TaskProgress, VolumeMount,
    VolumeSource, WorkloadStatus,
};

use crate::DockerEngine;
use crate::probe;

/// The environment an object belongs to: what teardown checks before removing anything.
pub const LABEL_ENV: &str = "dev.stagecraft.env";
pub const LABEL_APP: &str = "dev.stagecraft.app";
/// `services.<name>` or `jobs.<name>`.
pub const LABEL_WORKLOAD: &str = "dev.stagecraft.workload";
/// A digest of the service's spec: a container whose digest differs is replaced.
pub const LABEL_CONFIG: &str = "dev.stagecraft.config";
pub const LABEL_REPLICA: &str = "dev.stagecraft.replica";

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
}

impl DockerRuntime {
    pub fn new(engine: Arc<DockerEngine>) -> Self {
        Self {
            engine,
            poll: Duration::from_secs(1),
            watchers: stagecraft_engine::Tasks::default(),
        }
    }

    /// Watches `container`'s liveness until it is removed (or this process ends).
    fn watch(&self, docker: &Docker, container: &str, liveness: &LivenessSpec) {
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
    fn unwatch(&self, prefix: &str) {
        self.watchers.abort_prefix(prefix);
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
            .map_err(|e| RuntimeError::new(e.to_string()))
    }
}

/// The network of environment `env_id`.
pub fn network_name(env_id: &str) -> String {
    format!("stagecraft-{}", docker_safe(env_id))
}

fn volume_name(env_id: &str, source: &VolumeSource) -> Option<String> {
    match source {
        VolumeSource::Persistent { name } => Some(format!(
            "stagecraft-{}-{}",
            docker_safe(env_id),
            docker_safe(name)
        )),
        VolumeSource::Shared { name } => Some(format!(
            "stagecraft-{}-shared-{}",
            docker_safe(env_id),
            docker_safe(name)
        )),
        VolumeSource::Memory { .. } => None,
    }
}

fn service_container(env_id: &str, service: &str, config: &str, replica: u32) -> String {
    format!(
        "stagecraft-{}-{}-{config}-{replica}",
        docker_safe(env_id),
        docker_safe(service)
    )
}

fn job_container(env_id: &str, job: &str) -> String {
    format!(
        "stagecraft-{}-job-{}",
        docker_safe(env_id),
        docker_safe(job)
    )
}

/// Docker names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn docker_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The files as a tar to unpack at the container's root: each at its full path, readable by
/// everyone, as a ConfigMap mounts it on Kubernetes.
fn files_tar(files: &[ConfigFile]) -> Result<Vec<u8>, RuntimeError> {
    let mut tar = tar::Builder::new(Vec::new());
    for file in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        tar.append_data(
            &mut header,
            file.mount_path.trim_start_matches('/'),
            file.content.as_bytes(),
        )
        .map_err(|e| {
            RuntimeError::new(format!("configmap `{}` cannot be packed: {e}", file.name))
        })?;
    }
    tar.into_inner()
        .map_err(|e| RuntimeError::new(format!("the configmap files cannot be packed: {e}")))
}

fn config_digest(spec: &impl serde::Serialize) -> Result<String, RuntimeError> {
    let bytes = serde_json::to_vec(spec)
        .map_err(|e| RuntimeError::new(format!("the workload's spec cannot be read: {e}")))?;
    Ok(Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn is_status(error: &bollard::errors::Error, status: u16) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code, .. } if *status_code == status
    )
}

fn failed(what: impl std::fmt::Display, error: bollard::errors::Error) -> RuntimeError {
    let message = format!("{what} failed: {error}");
    if is_transient(&error) {
        RuntimeError::transient(message)
    } else {
        RuntimeError::new(message)
    }
}

/// Failures the same request may not meet a moment later: the connection to the engine
/// dropped or timed out, the engine said it is overloaded or unavailable, or another
/// operation on the same object was still under way ("removal of container … is already in
/// progress"). A 500 is not among them: the engine answers most refusals with it.
fn is_transient(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    match error {
        E::RequestTimeoutError
        | E::IOError { .. }
        | E::HyperResponseError { .. }
        | E::HyperLegacyError { .. } => true,
        E::DockerResponseServerError {
            status_code,
            message,
        } => {
            matches!(status_code, 429 | 502 | 503 | 504)
                || (*status_code == 409 && message.contains("in progress"))
        }
        _ => false,
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

/// How many of an environment's objects teardown removes at once.
const REMOVALS_AT_ONCE: usize = 8;

/// Removes one object of the ledger when it carries the environment's label, and marks it
/// removed. A container is stopped first, with the grace period replacements give, so its
/// process can shut down cleanly.
async fn remove_entry(
    docker: &Docker,
    env: &EnvironmentRef,
    entry: &stagecraft_engine::RuntimeObject,
) -> Result<(), RuntimeError> {
    let name = entry.name.as_str();
    let ours = match entry.kind.as_str() {
        "container" => match docker
            .inspect_container(
                name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(found) => Some(owned_by(
                found.config.as_ref().and_then(|c| c.labels.as_ref()),
                env,
            )),
            Err(error) if is_status(&error, 404) => None,
            Err(error) => return Err(failed(format!("inspecting container {name}"), error)),
        },
        "volume" => match docker.inspect_volume(name).await {
            Ok(found) => Some(found.labels.get(LABEL_ENV) == Some(&env.env_id)),
            Err(error) if is_status(&error, 404) => None,
            Err(error) => return Err(failed(format!("inspecting volume {name}"), error)),
        },
        _ => match docker
            .inspect_network(
                name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
        {
            Ok(found) => Some(owned_by(found.labels.as_ref(), env)),
            Err(error) if is_status(&error, 404) => None,
            Err(error) => return Err(failed(format!("inspecting network {name}"), error)),
        },
    };
    match ours {
        Some(true) => {
            let removed = match entry.kind.as_str() {
                "container" => {
                    match docker
                        .stop_container(
                            name,
                            Some(
                                StopContainerOptionsBuilder::default()
                                    .t(STOP_GRACE_SECS)
                                    .build(),
                            ),
                        )
                        .await
                    {
                        Ok(()) => {}
                        // Already stopped or gone: removal below settles it.
                        Err(error) if is_status(&error, 304) || is_status(&error, 404) => {}
                        Err(error) => {
                            return Err(failed(format!("stopping container {name}"), error));
                        }
                    }
                    docker
                        .remove_container(
                            name,
                            Some(
                                RemoveContainerOptionsBuilder::default()
                                    .force(true)
                                    .v(false)
                                    .build(),
                            ),
                        )
                        .await
                }
                "volume" => {
                    docker
                        .remove_volume(name, Some(RemoveVolumeOptionsBuilder::default().build()))
                        .await
                }
                _ => docker.remove_network(name).await,
            };
            match removed {
                Ok(()) => {}
                Err(error) if is_status(&error, 404) => {}
                Err(error) => {
                    return Err(failed(format!("removing {} {name}", entry.kind), error));
                }
            }
        }
        // Someone else's object under a name we once used: ours is gone, theirs stays.
        Some(false) => tracing::warn!(
            kind = %entry.kind,
            name,
            env = %env.env_id,
            "not removed: it does not carry this environment's label"
        ),
        None => {}
    }
    env.ledger.removed(entry).await
}

fn owned_by(labels: Option<&HashMap<String, String>>, env: &EnvironmentRef) -> bool {
    labels.and_then(|l| l.get(LABEL_ENV)) == Some(&env.env_id)
}

fn env_list(env: &[EnvVar]) -> Vec<String> {
    env.iter()
        .map(|v| format!("{}={}", v.key, v.value))
        .collect()
}

fn object(kind: &str, name: &str) -> RuntimeObject {
    RuntimeObject {
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

fn summary_name(summary: &ContainerSummary) -> String {
    summary
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_default()
}

fn label<'a>(summary: &'a ContainerSummary, key: &str) -> Option<&'a str> {
    summary
        .labels
        .as_ref()
        .and_then(|l| l.get(key))
        .map(String::as_str)
}

fn running(inspect: &ContainerInspectResponse) -> bool {
    inspect
        .state
        .as_ref()
        .and_then(|s| s.running)
        .unwrap_or(false)
}

/// One service being brought to a new configuration.
#[derive(Clone, Copy)]
struct Rollout<'a> {
    env: &'a EnvironmentRef,
    spec: &'a ServiceSpec,
    /// The digest of `spec`, on every new container.
    config: &'a str,
    progress: &'a TaskProgress,
}

/// What a container's configuration needs besides its image and command.
struct ContainerPlan<'a> {
    name: &'a str,
    workload: &'a str,
    image: &'a str,
    command: &'a [String],
    args: &'a [String],
    env: &'a [EnvVar],
    volumes: &'a [VolumeMount],
    limits: Limits,
    /// Container port and the host port on 127.0.0.1 (`None`: the engine picks one).
    ports: Vec<(u16, Option<u16>)>,
    /// Other containers find it by this name on the environment's network.
    alias: Option<&'a str>,
    extra_labels: Vec<(&'static str, String)>,
    /// A job's run: a start whose answer was lost may have started it, and trying again
    /// would run it twice, so such a failure is never retried.
    runs_once: bool,
    /// Files placed at their paths before it starts (Release's `configmap`).
    files: &'a [ConfigFile],
}

impl DockerRuntime {
    async fn ensure_network(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
    ) -> Result<(), RuntimeError> {
        let name = network_name(&env.env_id);
        match docker
            .inspect_network(
                &name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
        {
            Ok(network) if owned_by(network.labels.as_ref(), env) => return Ok(()),
            Ok(_) => {
                return Err(RuntimeError::new(format!(
                    "a network named {name} exists and is not environment {}'s: remove it \
                     (`docker network rm {name}`) if nothing needs it",
                    env.env_id
                )));
            }
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("inspecting network {name}"), error)),
        }
        env.ledger.record(&object("network", &name)).await?;
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".into()),
            labels: Some(labels(env, None)),
            ..Default::default()
        };
        match docker.create_network(request).await {
            Ok(_) => Ok(()),
            // Another deploy made it between our look and our create.
            Err(error) if is_status(&error, 409) => Ok(()),
            Err(error) => Err(failed(format!("creating network {name}"), error)),
        }
    }

    async fn ensure_volumes(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        volumes: &[VolumeMount],
    ) -> Result<(), RuntimeError> {
        for volume in volumes {
            let Some(name) = volume_name(&env.env_id, &volume.source) else {
                continue;
            };
            match docker.inspect_volume(&name).await {
                Ok(found) if found.labels.get(LABEL_ENV) == Some(&env.env_id) => continue,
                Ok(_) => {
                    return Err(RuntimeError::new(format!(
                        "a volume named {name} exists and is not environment {}'s: remove it \
                         (`docker volume rm {name}`) if its data is not needed",
                        env.env_id
                    )));
                }
                Err(error) if is_status(&error, 404) => {}
                Err(error) => return Err(failed(format!("inspecting volume {name}"), error)),
            }
            env.ledger.record(&object("volume", &name)).await?;
            docker
                .create_volume(VolumeCreateRequest {
                    name: Some(name.clone()),
                    labels: Some(labels(env, None)),
                    ..Default::default()
                })
                .await
                .map_err(|e| failed(format!("creating volume {name}"), e))?;
        }
        Ok(())
    }

    /// Pulls `image` when the engine does not have it: images not built by Stagecraft come
    /// from their registry.
    async fn ensure_image(
        &self,
        docker: &Docker,
        image: &str,
        built: bool,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        if image.is_empty() {
            return Err(RuntimeError::new(
                "no image: give the workload an `image`, a `build`, or `from_services`",
            ));
        }
        match docker.inspect_image(image).await {
            Ok(_) => return Ok(()),
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("inspecting image {image}"), error)),
        }
        if built {
            return Err(RuntimeError::new(format!(
                "the image {image} that Stagecraft built is gone from the engine (removed by \
                 `docker image rm` or a prune?): deploy again to build it anew"
            )));
        }
        progress.waiting(format!("pulling {image}"));
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .build();
        let mut pull = docker.create_image(Some(options), None, None);
        let mut last_status = String::new();
        while let Some(item) = pull.next().await {
            let item = item.map_err(|e| pull_failed(image, &e.to_string()))?;
            if let Some(detail) = item.error_detail {
                return Err(pull_failed(image, &detail.message.unwrap_or_default()));
            }
            if let Some(status) = item.status
                && status != last_status
            {
                progress.waiting(format!("pulling {image}: {status}"));
                last_status = status;
            }
        }
        Ok(())
    }

    async fn create_container(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        plan: ContainerPlan<'_>,
    ) -> Result<(), RuntimeError> {
        let network = network_name(&env.env_id);
        let mut container_labels = labels(env, Some(plan.workload));
        for (key, value) in plan.extra_labels {
            container_labels.insert(key.to_owned(), value);
        }
        let mut mounts = Vec::new();
        let mut shm_size = None;
        for volume in plan.volumes {
            match &volume.source {
                VolumeSource::Memory { size_bytes } if volume.mount_path == "/dev/shm" => {
                    shm_size = size_bytes.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
                }
                VolumeSource::Memory { size_bytes } => mounts.push(Mount {
                    target: Some(volume.mount_path.clone()),
                    typ: Some(MountType::TMPFS),
                    tmpfs_options: Some(MountTmpfsOptions {
                        size_bytes: size_bytes.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                source => mounts.push(Mount {
                    target: Some(volume.mount_path.clone()),
                    source: volume_name(&env.env_id, source),
                    typ: Some(MountType::VOLUME),
                    ..Default::default()
                }),
            }
        }
        let port_bindings = plan
            .ports
            .iter()
            .map(|(container, host)| {
                (
                    format!("{container}/tcp"),
                    Some(vec![PortBinding {
                        // Never on every interface: an environment is the developer's own.
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(host.map(|p| p.to_string()).unwrap_or_default()),
                    }]),
                )
            })
            .collect();
        let body = ContainerCreateBody {
            image: Some(plan.image.to_owned()),
            // Release follows Kubernetes: `command` replaces the entrypoint and `args` the
            // image's CMD; an entrypoint given alone clears the CMD, as Docker does.
            entrypoint: (!plan.command.is_empty()).then(|| plan.command.to_vec()),
            cmd: (!plan.args.is_empty()).then(|| plan.args.to_vec()),
            env: Some(env_list(plan.env)),
            labels: Some(container_labels),
            exposed_ports: Some(plan.ports.iter().map(|(p, _)| format!("{p}/tcp")).collect()),
            host_config: Some(HostConfig {
                network_mode: Some(network.clone()),
                port_bindings: Some(port_bindings),
                mounts: Some(mounts),
                shm_size,
                memory: plan
                    .limits
                    .memory_bytes
                    .map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
                nano_cpus: plan
                    .limits
                    .cpu_millis
                    .map(|m| i64::try_from(m.saturating_mul(1_000_000)).unwrap_or(i64::MAX)),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network,
                    EndpointSettings {
                        aliases: plan.alias.map(|a| vec![a.to_owned()]),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        env.ledger.record(&object("container", plan.name)).await?;
        docker
            .create_container(
                Some(
                    CreateContainerOptionsBuilder::default()
                        .name(plan.name)
                        .build(),
                ),
                body,
            )
            .await
            .map_err(|e| failed(format!("creating container {}", plan.name), e))?;
        if !plan.files.is_empty() {
            docker
                .upload_to_container(
                    plan.name,
                    Some(
                        bollard::query_parameters::UploadToContainerOptionsBuilder::default()
                            .path("/")
                            .build(),
                    ),
                    bollard::body_full(files_tar(plan.files)?.into()),
                )
                .await
                .map_err(|e| failed(format!("placing the configmap files in {}", plan.name), e))?;
        }
        docker
            .start_container(
                plan.name,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| {
                let error = failed(format!("starting container {}", plan.name), e);
                if plan.runs_once {
                    error.permanent()
                } else {
                    error
                }
            })
    }

    /// Removes a container of this environment and marks it removed in the ledger; one that
    /// is already gone counts as removed.
    async fn remove_container(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        name: &str,
    ) -> Result<(), RuntimeError> {
        match docker
            .remove_container(
                name,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await
        {
            Ok(()) => {}
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("removing container {name}"), error)),
        }
        self.unwatch(name);
        env.ledger.removed(&object("container", name)).await
    }

    async fn workload_containers(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        workload: Option<&str>,
    ) -> Result<Vec<ContainerSummary>, RuntimeError> {
        let mut label_filters = vec![format!("{LABEL_ENV}={}", env.env_id)];
        if let Some(workload) = workload {
            label_filters.push(format!("{LABEL_WORKLOAD}={workload}"));
        }
        let filters = HashMap::from([("label", label_filters)]);
        docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| failed("listing the environment's containers", e))
    }

    /// Waits until the replica answers its readiness probe, or fails when it stops running.
    async fn wait_ready(
        &self,
        docker: &Docker,
        container: &str,
        spec: &ServiceSpec,
        replica: u32,
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
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
                let tail = last_lines(docker, container, 5).await;
                return Err(RuntimeError::new(format!(
                    "{} replica {replica} exited with code {code} before it was ready{tail}",
                    spec.name
                )));
            }
            let Some(readiness) = &spec.readiness else {
                return Ok(());
            };
            let (what, answer) = match readiness {
                ProbeSpec::Exec { command } => (
                    format!("exec {}", command.join(" ")),
                    probe::exec(docker, container, command).await,
                ),
                ProbeSpec::HttpGet { path, port } => {
                    let what = format!("http :{port}{path}");
                    match published_port(&inspect, *port) {
                        Some(host_port) => (what, probe::http_get(host_port, path).await),
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
            match answer {
                Ok(()) => return Ok(()),
                Err(why) => progress.waiting(format!(
                    "waiting for readiness: {what}, attempt {attempt} ({why})"
                )),
            }
            tokio::time::sleep(self.poll).await;
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
        // A stable published port can be held by one container only: the old replica must
        // let go of it before the new one starts, and that window is reported.
        let holds_stable_port = replica == 0 && spec.ports.iter().any(|p| p.exposed);
        let mut stopped_old = None;
        if holds_stable_port && let Some(old) = old {
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
            .map(
                |PortSpec {
                     container_port,
                     exposed,
                 }| {
                    let host = (*exposed && replica == 0).then(|| {
                        stagecraft_engine::stable_host_port(
                            &env.env_id,
                            &spec.name,
                            *container_port,
                        )
                    });
                    (*container_port, host)
                },
            )
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
            ports,
            alias: Some(&spec.name),
            extra_labels: vec![
                (LABEL_CONFIG, config.to_owned()),
                (LABEL_REPLICA, replica.to_string()),
            ],
            runs_once: false,
            files: &spec.config_files,
        };
        let started = match self.create_container(docker, env, plan).await {
            Ok(()) => {
                self.wait_ready(docker, &name, spec, replica, progress)
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = started {
            // Leave the service as it was: the old replica comes back.
            self.remove_container(docker, env, &name).await?;
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
            return Err(error);
        }
        // Restarted by the engine from now on (after a crash, after Docker restarts), as a
        // Kubernetes pod is; not before it was ready, so a replica that cannot start reports
        // its own exit code instead of a restart loop.
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
        if let Some(liveness) = &spec.liveness {
            self.watch(docker, &name, liveness);
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
            self.remove_container(docker, env, &summary_name(old))
                .await?;
        }
        Ok(())
    }
}

fn pull_failed(image: &str, reason: &str) -> RuntimeError {
    RuntimeError::new(format!(
        "pulling {image} failed: {reason}. If no registry is reachable, build the image \
         (give the service a `build`) or load it into the engine (`docker load`)"
    ))
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
            ProbeSpec::Exec { command } => probe::exec(&docker, &container, command).await,
            ProbeSpec::HttpGet { path, port } => match published_port(&inspect, *port) {
                Some(host_port) => probe::http_get(host_port, path).await,
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

/// The host port 127.0.0.1 forwards to `port` of the container.
fn published_port(inspect: &ContainerInspectResponse, port: u16) -> Option<u16> {
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
async fn last_lines(docker: &Docker, container: &str, count: usize) -> String {
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

    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        self.ensure_network(&docker, env).await?;
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
                Some(c) if c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING) => {
                }
                Some(_) => {
                    // Left stopped by a crash or a failed start: made anew.
                    self.remove_container(&docker, env, &name).await?;
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
            let position = stale
                .iter()
                .position(|c| label(c, LABEL_REPLICA) == Some(replica.to_string().as_str()));
            let old = position.map(|i| stale.remove(i));
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
            self.remove_container(&docker, env, &summary_name(&old))
                .await?;
        }
        Ok(())
    }

    async fn run_job(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        let docker = self.client().await?;
        self.ensure_network(&docker, env).await?;
        self.ensure_image(&docker, &job.image, job.built, &progress)
            .await?;
        self.ensure_volumes(&docker, env, &job.volumes).await?;
        let name = job_container(&env.env_id, &job.name);
        match docker
            .inspect_container(
                &name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            // The previous run's container: its logs are kept until the job runs again.
            Ok(found) if owned_by(found.config.as_ref().and_then(|c| c.labels.as_ref()), env) => {
                self.remove_container(&docker, env, &name).await?;
            }
            Ok(_) => {
                return Err(RuntimeError::new(format!(
                    "a container named {name} exists and is not environment {}'s: remove it \
                     (`docker rm -f {name}`) if nothing needs it",
                    env.env_id
                )));
            }
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("inspecting container {name}"), error)),
        }
        let workload = format!("jobs.{}", job.name);
        let plan = ContainerPlan {
            name: &name,
            workload: &workload,
            image: &job.image,
            command: &job.command,
            args: &job.args,
            env: &job.env,
            volumes: &job.volumes,
            limits: job.limits,
            ports: Vec::new(),
            alias: None,
            extra_labels: vec![(LABEL_CONFIG, config_digest(job)?)],
            runs_once: true,
            files: &job.config_files,
        };
        self.create_container(&docker, env, plan).await?;
        progress.waiting("running; waiting for it to exit");
        let mut wait = docker.wait_container(
            &name,
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
                // The job runs: another attempt would be a second run.
                Err(error) => {
                    return Err(failed(format!("waiting for container {name}"), error).permanent());
                }
            }
        }
        let code = code.ok_or_else(|| {
            RuntimeError::new(format!("the engine did not say how container {name} ended"))
        })?;
        Ok(JobExit { code })
    }

    async fn stop_job(&self, env: &EnvironmentRef, job: &JobSpec) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        let name = job_container(&env.env_id, &job.name);
        match docker
            .kill_container(&name, Some(KillContainerOptionsBuilder::default().build()))
            .await
        {
            Ok(()) => Ok(()),
            // Gone, or no longer running.
            Err(error) if is_status(&error, 404) || is_status(&error, 409) => Ok(()),
            Err(error) => Err(failed(format!("stopping container {name}"), error)),
        }
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        self.unwatch(&format!("stagecraft-{}-", docker_safe(&env.env_id)));
        let entries = env.ledger.entries().await?;
        // Containers first: volumes and the network are in use until they are gone. Within
        // a kind, objects go at once, as `docker compose down` stops them: an environment's
        // teardown then takes one container's stop, not the sum of them.
        for kind in ["container", "volume", "network"] {
            // A plain loop: iterator closures here would make the future not `Send`.
            let mut pending = Vec::new();
            for entry in &entries {
                if entry.kind == kind {
                    pending.push(remove_entry(&docker, env, entry));
                }
            }
            let mut removals =
                futures_util::stream::iter(pending).buffer_unordered(REMOVALS_AT_ONCE);
            let mut first_error = None;
            while let Some(removed) = removals.next().await {
                if let Err(error) = removed {
                    first_error.get_or_insert(error);
                }
            }
            if let Some(error) = first_error {
                return Err(error);
            }
        }
        for other in &entries {
            if !["container", "volume", "network"].contains(&other.kind.as_str()) {
                return Err(RuntimeError::new(format!(
                    "the ledger holds a {} ({}), which the Docker runtime does not make",
                    other.kind, other.name
                )));
            }
        }
        Ok(())
    }

    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        let docker = self.client().await?;
        let containers = self.workload_containers(&docker, env, None).await?;
        let mut by_workload: std::collections::BTreeMap<String, WorkloadStatus> =
            std::collections::BTreeMap::new();
        for container in &containers {
            let Some(workload) = label(container, LABEL_WORKLOAD) else {
                continue;
            };
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
                entry.ready_replicas += 1;
            } else {
                entry.reason = container.status.clone();
            }
        }
        Ok(by_workload.into_values().collect())
    }

    async fn objects(&self, env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        let docker = self.client().await?;
        let filters = HashMap::from([("label", vec![format!("{LABEL_ENV}={}", env.env_id)])]);
        let mut objects: Vec<RuntimeObject> = self
            .workload_containers(&docker, env, None)
            .await?
            .iter()
            .map(|c| object("container", &summary_name(c)))
            .collect();
        let volumes = docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| failed("listing the environment's volumes", e))?;
        objects.extend(
            volumes
                .volumes
                .unwrap_or_default()
                .iter()
                .map(|v| object("volume", &v.name)),
        );
        let networks = docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| failed("listing the environment's networks", e))?;
        objects.extend(
            networks
                .iter()
                .filter_map(|n| n.name.as_deref())
                .map(|n| object("network", n)),
        );
        Ok(objects)
    }

    fn logs(
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

#[cfg(test)]
mod tests {
    use bollard::errors::Error;

    use super::{failed, is_transient};

    fn status(status_code: u16, message: &str) -> Error {
        Error::DockerResponseServerError {
            status_code,
            message: message.to_owned(),
        }
    }

    #[test]
    fn a_lost_connection_or_a_busy_engine_is_worth_another_attempt() {
        assert!(is_transient(&Error::RequestTimeoutError));
        assert!(is_transient(&Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        }));
        assert!(is_transient(&status(503, "the engine is starting")));
        assert!(is_transient(&status(
            409,
            "removal of container stagecraft-ted1bc4-web-0 is already in progress"
        )));
    }

    #[test]
    fn a_refusal_is_not() {
        assert!(!is_transient(&status(404, "No such image: shop/web:1")));
        assert!(!is_transient(&status(
            409,
            "Conflict. The container name \"/web\" is already in use"
        )));
        assert!(!is_transient(&status(
            500,
            "driver failed programming external connectivity: port is already allocated"
        )));
        let error = failed("creating container web", status(400, "invalid mount"));
        assert!(!error.transient);
        assert_eq!(
            error.message,
            "creating container web failed: Docker responded with status code 400: invalid mount"
        );
    }
}
