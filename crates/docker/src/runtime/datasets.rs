//! A dataset's volumes on Docker: taken with the engine's archive API from a container of the
//! environment that mounts the volume (running or stopped), and given to a new environment's
//! volume through a container of its service's image that is created, never started, and
//! removed after: no helper image, nothing run.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType, MountVolumeOptions};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt as _;
use stagecraft_engine::{
    CapturedVolume, DeployEvent, EnvironmentRef, EventSink, RuntimeError, TaskProgress,
    VolumeMount, VolumeSeed,
};
use tokio::io::AsyncWriteExt as _;

use super::errors::{failed, is_status};
use super::names::{docker_safe, object, volume_name};
use super::{DockerRuntime, LABEL_ENV, labels};

/// Where the seeding container mounts the volume's parent: the archive's top folder lands on
/// the volume itself.
const SEED_DIR: &str = "/stagecraft-seed";

/// Pulls made for a seed say nothing on the timeline: the setup's own tasks say what they wait
/// for.
struct Quiet;

impl EventSink for Quiet {
    fn emit(&self, _event: DeployEvent) {}
}

impl DockerRuntime {
    pub(super) async fn capture(
        &self,
        env: &EnvironmentRef,
        volume: &VolumeMount,
        to: &Path,
    ) -> Result<CapturedVolume, RuntimeError> {
        let docker = self.client().await?;
        let name = volume_name(&env.env_id, &volume.source).ok_or_else(|| {
            RuntimeError::new(format!(
                "the volume at {} is memory-backed: it keeps nothing to take",
                volume.mount_path
            ))
        })?;
        let (container, destination) = mounting(&docker, env, &name).await?;
        let root = destination
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|r| !r.is_empty())
            .unwrap_or("volume")
            .to_owned();
        let mut stream = docker.download_from_container(
            &container,
            Some(
                DownloadFromContainerOptionsBuilder::default()
                    .path(&destination)
                    .build(),
            ),
        );
        let mut file = tokio::fs::File::create(to)
            .await
            .map_err(|e| RuntimeError::new(format!("writing {}: {e}", to.display())))?;
        let mut bytes = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| failed(format!("reading volume {name}"), e))?;
            bytes += chunk.len() as u64;
            file.write_all(&chunk)
                .await
                .map_err(|e| RuntimeError::new(format!("writing {}: {e}", to.display())))?;
        }
        file.sync_all()
            .await
            .map_err(|e| RuntimeError::new(format!("writing {}: {e}", to.display())))?;
        Ok(CapturedVolume {
            root,
            bytes,
            snapshot: None,
        })
    }

    pub(super) async fn seed(
        &self,
        env: &EnvironmentRef,
        seed: &VolumeSeed,
    ) -> Result<Option<u64>, RuntimeError> {
        let docker = self.client().await?;
        let name = volume_name(&env.env_id, &seed.volume.source).ok_or_else(|| {
            RuntimeError::new(format!(
                "{}'s volume at {} is memory-backed: a dataset cannot fill it",
                seed.service, seed.volume.mount_path
            ))
        })?;
        match docker.inspect_volume(&name).await {
            // Filled by an earlier attempt at this first setup, and perhaps written since.
            Ok(_) => return Ok(None),
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("inspecting volume {name}"), error)),
        }
        self.ensure_volumes(&docker, env, std::slice::from_ref(&seed.volume))
            .await?;
        let filled = self.fill(&docker, env, seed, &name).await;
        if filled.is_err()
            && docker
                .remove_volume(
                    &name,
                    None::<bollard::query_parameters::RemoveVolumeOptions>,
                )
                .await
                .is_ok()
        {
            // Half filled is worse than missing: the next attempt makes and fills it anew.
            env.ledger.removed(&object("volume", &name)).await?;
        }
        filled.map(Some)
    }

    /// Copies the seed's archive into volume `name` through a container of the service's
    /// image, created, never started, then removed.
    async fn fill(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        seed: &VolumeSeed,
        name: &str,
    ) -> Result<u64, RuntimeError> {
        let progress = TaskProgress::new(Arc::new(Quiet), 0, "seed");
        // Built images are there since the build; another is pulled as its service's would be.
        let built = docker.inspect_image(&seed.image).await.is_ok();
        self.ensure_image(docker, &seed.image, built, &progress)
            .await?;
        let container = format!(
            "stagecraft-{}-seed-{}",
            docker_safe(&env.env_id),
            docker_safe(name)
        );
        self.remove_container(docker, env, &container).await?;
        env.ledger.record(&object("container", &container)).await?;
        let body = ContainerCreateBody {
            image: Some(seed.image.clone()),
            // Never run: Docker only asks that a container have a command.
            cmd: Some(vec!["true".to_owned()]),
            labels: Some(labels(env, None)),
            host_config: Some(HostConfig {
                mounts: Some(vec![Mount {
                    target: Some(format!("{SEED_DIR}/{}", seed.root)),
                    source: Some(name.to_owned()),
                    typ: Some(MountType::VOLUME),
                    volume_options: Some(MountVolumeOptions {
                        no_copy: Some(true),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        docker
            .create_container(
                Some(
                    CreateContainerOptionsBuilder::default()
                        .name(&container)
                        .build(),
                ),
                body,
            )
            .await
            .map_err(|e| failed(format!("creating container {container}"), e))?;
        let copied = self.upload(docker, &container, &seed.archive).await;
        let removed = self.remove_container(docker, env, &container).await;
        let bytes = copied?;
        removed?;
        Ok(bytes)
    }

    async fn upload(
        &self,
        docker: &Docker,
        container: &str,
        archive: &Path,
    ) -> Result<u64, RuntimeError> {
        let file = tokio::fs::File::open(archive)
            .await
            .map_err(|e| RuntimeError::new(format!("reading {}: {e}", archive.display())))?;
        let bytes = file
            .metadata()
            .await
            .map(|m| m.len())
            .map_err(|e| RuntimeError::new(format!("reading {}: {e}", archive.display())))?;
        // Large chunks: with ReaderStream's 4 KiB ones, a 500 MiB dataset's setup took 4.0 s
        // instead of 2.0 s (BENCHMARKS.md, "Instant datasets").
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
        docker
            .upload_to_container(
                container,
                Some(
                    UploadToContainerOptionsBuilder::default()
                        .path(SEED_DIR)
                        .build(),
                ),
                bollard::body_try_stream(stream),
            )
            .await
            .map_err(|e| failed(format!("copying the dataset into {container}"), e))?;
        Ok(bytes)
    }
}

/// A container of the environment that mounts volume `name`, and where.
async fn mounting(
    docker: &Docker,
    env: &EnvironmentRef,
    name: &str,
) -> Result<(String, String), RuntimeError> {
    let filters = HashMap::from([
        ("label", vec![format!("{LABEL_ENV}={}", env.env_id)]),
        ("volume", vec![name.to_owned()]),
    ]);
    let found = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .map_err(|e| failed("listing the environment's containers", e))?;
    found
        .iter()
        .find_map(|c| {
            let mount = c
                .mounts
                .as_ref()?
                .iter()
                .find(|m| m.name.as_deref() == Some(name))?;
            Some((c.id.clone()?, mount.destination.clone()?))
        })
        .ok_or_else(|| {
            RuntimeError::new(format!(
                "no container of {} mounts volume {name}: set the environment up first",
                env.env_id
            ))
        })
}
