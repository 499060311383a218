//! An environment's objects made on the engine: its network and volumes (recorded in the
//! ledger before they are created), images pulled when missing, and containers created from a
//! [`ContainerPlan`], removed, and listed by their labels.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, ContainerSummary, EndpointSettings, HostConfig, Mount, MountTmpfsOptions,
    MountType, NetworkCreateRequest, NetworkingConfig, PortBinding, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt as _;
use stagecraft_engine::{
    ConfigFile, EnvVar, EnvironmentRef, Limits, RuntimeError, TaskProgress, VolumeMount,
    VolumeSource,
};

use super::errors::{failed, is_status, pull_failed};
use super::names::{network_name, object, volume_name};
use super::{DockerRuntime, LABEL_ENV, LABEL_WORKLOAD, labels, owned_by};

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

fn env_list(env: &[EnvVar]) -> Vec<String> {
    env.iter()
        .map(|v| format!("{}={}", v.key, v.value))
        .collect()
}

/// The smallest memory reservation the engine takes.
const MIN_RESERVATION: u64 = 6 * 1024 * 1024;

/// What a container's configuration needs besides its image and command.
pub(super) struct ContainerPlan<'a> {
    pub(super) name: &'a str,
    pub(super) workload: &'a str,
    pub(super) image: &'a str,
    pub(super) command: &'a [String],
    pub(super) args: &'a [String],
    pub(super) env: &'a [EnvVar],
    pub(super) volumes: &'a [VolumeMount],
    pub(super) limits: Limits,
    /// Reserved ahead: the memory as a reservation (cgroup v2's `memory.low`: kept from
    /// reclaim while the machine runs short). A CPU request is not applied: Docker weighs every
    /// container alike, and a share from it would put a workload that asks for little behind
    /// those that ask for nothing.
    pub(super) requests: Limits,
    /// Container port and the host port on 127.0.0.1 (`None`: the engine picks one).
    pub(super) ports: Vec<(u16, Option<u16>)>,
    /// Other containers find it by this name on the environment's network.
    pub(super) alias: Option<&'a str>,
    pub(super) extra_labels: Vec<(&'static str, String)>,
    /// A job's run: a start whose answer was lost may have started it, and trying again
    /// would run it twice, so such a failure is never retried.
    pub(super) runs_once: bool,
    /// Files placed at their paths before it starts (Release's `configmap`).
    pub(super) files: &'a [ConfigFile],
    /// A sidecar: it joins this container's network namespace (the same localhost) instead
    /// of the environment's network, and publishes nothing.
    pub(super) joins: Option<&'a str>,
}

impl DockerRuntime {
    pub(super) async fn ensure_network(
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

    pub(super) async fn ensure_volumes(
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
    pub(super) async fn ensure_image(
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
            // The registry's answer is classified; a lost connection to the engine itself is
            // the engine's failure (worth another attempt), not the registry's.
            let item = item.map_err(|e| match e {
                bollard::errors::Error::DockerResponseServerError { message, .. } => {
                    pull_failed(image, &message)
                }
                other => failed(format!("pulling {image}"), other),
            })?;
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

    pub(super) async fn create_container(
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
                network_mode: Some(
                    plan.joins
                        .map_or_else(|| network.clone(), |main| format!("container:{main}")),
                ),
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
                // No swap beyond the limit, as a Kubernetes pod has none: a container that
                // passes its limit is killed for it, as it would be on a cluster.
                memory_swap: plan
                    .limits
                    .memory_bytes
                    .map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
                // The engine refuses a reservation under 6 MiB; one at most the limit (the
                // workload's requests are capped by its limits already).
                memory_reservation: plan
                    .requests
                    .memory_bytes
                    .filter(|b| *b >= MIN_RESERVATION)
                    .map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
                ..Default::default()
            }),
            networking_config: plan.joins.is_none().then(|| NetworkingConfig {
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
                let command = stagecraft_engine::start_refused(&e.to_string());
                let error = match (taken_port(plan.name, &plan.ports), command) {
                    // Not worth trying again: the other program keeps the port.
                    (Some(why), _) => failed(why, e).permanent(),
                    // Nor with a command the image does not have.
                    (None, Some(why)) => {
                        RuntimeError::new(format!("{} could not start: {why} ({e})", plan.name))
                            .of_kind(super::errors::kind(&e))
                            .caused_by(e)
                            .permanent()
                    }
                    (None, None) => failed(format!("starting container {}", plan.name), e),
                };
                if plan.runs_once {
                    error.permanent()
                } else {
                    error
                }
            })
    }

    /// Removes a container of this environment and marks it removed in the ledger; one that
    /// is already gone counts as removed.
    pub(super) async fn remove_container(
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

    pub(super) async fn workload_containers(
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
}

/// When a start failed because a port the container publishes is taken on 127.0.0.1: which
/// port, and (where the system says) which program holds it.
fn taken_port(container: &str, ports: &[(u16, Option<u16>)]) -> Option<String> {
    let port = ports
        .iter()
        .filter_map(|(_, host)| *host)
        .find(|host| !crate::port_owner::is_free(*host))?;
    let who = crate::port_owner::who_listens(port).map_or_else(
        || "another program".to_owned(),
        |who| format!("another program, {who}"),
    );
    Some(format!(
        "starting container {container}: 127.0.0.1:{port} is taken by {who}: stop it, or give \
         the service another node_port"
    ))
}
