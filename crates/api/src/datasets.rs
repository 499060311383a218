//! Instant datasets, local (Release's "Instant datasets"): a dataset is a named copy of
//! volumes of one environment, taken after its setup (say, the database volume once migrate
//! and seed jobs ran), that new environments' volumes start from.
//!
//! `datasets create NAME --environment ID --volume SERVICE:VOLUME…` takes it: each volume's
//! files as an archive in the data folder (`datasets/<id>/`), with the setup jobs that had run
//! in that environment, the commit it ran, its size, and whether the environment was paused
//! (files at rest; a database written to while it is taken may be caught mid-write, so the
//! command says to pause first). `refresh` takes it again from the same environment and
//! volumes; `delete` removes it. An environment made with `--dataset NAME`, or whose template
//! lists a dataset's name under `datasets` (a name that is no handle pool), starts from it:
//! its first setup fills those volumes before anything runs (only volumes not made yet: a
//! retried first setup leaves what an earlier attempt filled), and skips the jobs the dataset
//! covers, saying why on the timeline. A dataset is taken only from an environment with no
//! deploy waiting or running, and not refreshed or deleted while an environment is being set
//! up from it.
//!
//! On Docker a dataset's volumes are archives in the data folder; on Kubernetes they are
//! VolumeSnapshots whose contents the cluster keeps (`Retain`), so a dataset is used by
//! environments on the runtime it was taken on (the same cluster's context): one asked for by
//! name on another runtime is refused, a template's is left out with a warning in the log. A
//! dataset's deletion deletes its snapshots, a refresh the old ones; an app is removed only once
//! its datasets kept on a cluster are deleted.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use stagecraft_engine::{
    DeployStatus, Environment, EnvironmentStatus, Stage, VolumeSnapshotRef, VolumeSource,
};
use stagecraft_store::dataset::{self, DatasetRow, NewDataset};
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// A dataset as the window and the command show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatasetView {
    pub name: String,
    pub app: String,
    /// The environment it was taken from.
    pub environment: String,
    /// Where its volumes are kept: `docker` (archives in the data folder) or the `kube:`
    /// runtime whose cluster keeps its VolumeSnapshots; environments on that runtime use it.
    pub runtime: String,
    pub volumes: Vec<DatasetVolumeView>,
    /// The setup jobs that had run there: an environment seeded from it skips them.
    pub jobs: Vec<String>,
    pub commit: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
    pub taken_at: String,
    /// Whether its environment was paused when it was taken (its files at rest).
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatasetVolumeView {
    pub service: String,
    pub volume: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// One volume of a dataset as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredVolume {
    service: String,
    volume: String,
    /// The archive's top folder.
    root: String,
    /// The archive, in the dataset's folder (none written for a snapshot).
    file: String,
    bytes: u64,
    /// The snapshot a cluster keeps instead of an archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot: Option<StoredSnapshot>,
}

/// A volume's snapshot, and the runtime whose cluster keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    runtime: String,
    #[serde(flatten)]
    snapshot: VolumeSnapshotRef,
}

/// The runtime a dataset's volumes are kept on: the cluster of its snapshots, else Docker's
/// archives.
fn runtime_of(volumes: &[StoredVolume]) -> String {
    volumes
        .iter()
        .find_map(|v| v.snapshot.as_ref().map(|s| s.runtime.clone()))
        .unwrap_or_else(|| "docker".to_owned())
}

fn volumes_of(row: &DatasetRow) -> Vec<StoredVolume> {
    serde_json::from_str(&row.volumes_json).unwrap_or_default()
}

fn view(row: &DatasetRow) -> DatasetView {
    let volumes = volumes_of(row);
    DatasetView {
        name: row.name.clone(),
        app: row.app.clone(),
        environment: row.source_env_id.clone(),
        runtime: runtime_of(&volumes),
        volumes: volumes
            .into_iter()
            .map(|v| DatasetVolumeView {
                service: v.service,
                volume: v.volume,
                bytes: v.bytes,
            })
            .collect(),
        jobs: serde_json::from_str(&row.jobs_json).unwrap_or_default(),
        commit: row.source_commit.clone(),
        bytes: u64::try_from(row.bytes).unwrap_or(0),
        taken_at: row.taken_at.clone(),
        paused: row.paused,
    }
}

/// What a taking gives: its volumes (archives in `dir`), jobs, commit, size and whether paused.
struct Taken {
    dir: PathBuf,
    volumes: Vec<StoredVolume>,
    jobs: Vec<String>,
    commit: Option<String>,
    bytes: u64,
    paused: bool,
}

impl Taken {
    fn record<'a>(
        &'a self,
        name: &'a str,
        app_id: i64,
        env_id: &'a str,
        json: &'a (String, String),
    ) -> NewDataset<'a> {
        NewDataset {
            name,
            app_id,
            source_env_id: env_id,
            volumes_json: &json.0,
            jobs_json: &json.1,
            source_commit: self.commit.as_deref(),
            bytes: i64::try_from(self.bytes).unwrap_or(i64::MAX),
            paused: self.paused,
        }
    }

    fn json(&self) -> Result<(String, String), Error> {
        let encode = |e: serde_json::Error| Error::InvalidRequest {
            field: "dataset",
            message: format!("the dataset could not be recorded: {e}"),
        };
        Ok((
            serde_json::to_string(&self.volumes).map_err(encode)?,
            serde_json::to_string(&self.jobs).map_err(encode)?,
        ))
    }
}

fn io_error(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::ReadFile {
        path: path.to_path_buf(),
        source,
    }
}

impl Stagecraft {
    /// Where datasets' archives are kept.
    fn datasets_dir(&self) -> PathBuf {
        self.settings.data_dir.path.join("datasets")
    }

    /// Every dataset, by name.
    pub async fn datasets(&self) -> Result<Vec<DatasetView>, Error> {
        Ok(dataset::list(self.store.pool())
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// The space the datasets' archives take, in bytes.
    pub async fn datasets_bytes(&self) -> Result<u64, Error> {
        Ok(self.datasets_space().await?.bytes)
    }

    /// How many datasets there are, the space their archives take, and where.
    pub(crate) async fn datasets_space(&self) -> Result<crate::system::DatasetsSpace, Error> {
        let all = dataset::list(self.store.pool()).await?;
        Ok(crate::system::DatasetsSpace {
            count: u32::try_from(all.len()).unwrap_or(u32::MAX),
            // The archives in the data folder; a cluster keeps its snapshots.
            bytes: all
                .iter()
                .flat_map(volumes_of)
                .filter(|v| v.snapshot.is_none())
                .map(|v| v.bytes)
                .sum(),
            dir: self.datasets_dir().display().to_string(),
        })
    }

    /// Takes a dataset `name` from `env_id`'s volumes (`SERVICE:VOLUME` each).
    pub async fn create_dataset(
        &self,
        name: &str,
        env_id: &str,
        volumes: &[String],
    ) -> Result<DatasetView, Error> {
        check_name(name)?;
        if dataset::by_name(self.store.pool(), name).await?.is_some() {
            return Err(Error::Conflict {
                message: format!(
                    "a dataset named {name} exists: take it again (stagecraft datasets refresh \
                     {name}) or delete it first"
                ),
            });
        }
        if volumes.is_empty() {
            return Err(Error::InvalidRequest {
                field: "volume",
                message: "name the volumes to take, as SERVICE:VOLUME (the service's `volumes` \
                          entry's name)"
                    .to_owned(),
            });
        }
        let env = self.environment(env_id).await?;
        let taken = self.take(name, &env, volumes).await?;
        let id = match taken.json() {
            Ok(json) => dataset::insert(
                self.store.pool(),
                &taken.record(name, env.app_id, &env.env_id, &json),
            )
            .await
            .map_err(Error::from),
            Err(error) => Err(error),
        };
        let id = match id {
            Ok(id) => id,
            Err(error) => {
                self.discard(&taken.dir, &taken.volumes).await;
                return Err(error);
            }
        };
        let home = self.datasets_dir().join(id.to_string());
        if let Err(error) = tokio::fs::rename(&taken.dir, &home).await {
            self.discard(&taken.dir, &taken.volumes).await;
            dataset::delete(self.store.pool(), name).await?;
            return Err(io_error(&home, error));
        }
        self.dataset(name).await
    }

    /// Takes the dataset again from its environment and volumes: it holds what they hold now.
    pub async fn refresh_dataset(&self, name: &str) -> Result<DatasetView, Error> {
        let row = self.dataset_row(name).await?;
        let env = self.environment(&row.source_env_id).await?;
        let asked: Vec<String> = volumes_of(&row)
            .iter()
            .map(|v| format!("{}:{}", v.service, v.volume))
            .collect();
        self.ensure_unused(name).await?;
        let taken = self.take(name, &env, &asked).await?;
        // A taking may last minutes: what holds now decides, and the old volumes are those
        // the dataset holds now (another refresh may have replaced them meanwhile).
        let replaced = match self.ensure_unused(name).await {
            Ok(()) => match self.dataset_row(name).await {
                Ok(current) => self
                    .replace_archives(row.id, &taken)
                    .await
                    .map(|()| current),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        let current = match replaced {
            Ok(current) => current,
            Err(error) => {
                self.discard(&taken.dir, &taken.volumes).await;
                return Err(error);
            }
        };
        // The old snapshots are the dataset's no more.
        for old in volumes_of(&current)
            .iter()
            .filter_map(|v| v.snapshot.as_ref())
        {
            if let Err(error) = self.delete_snapshot(old).await {
                tracing::warn!(
                    dataset = name,
                    content = old.snapshot.content,
                    %error,
                    "a refreshed dataset's old VolumeSnapshotContent stays in the cluster"
                );
            }
        }
        self.dataset(name).await
    }

    /// Removes a taking that is not recorded: its folder and the snapshots it kept. What
    /// cannot be removed is logged.
    async fn discard(&self, dir: &std::path::Path, volumes: &[StoredVolume]) {
        let _ = tokio::fs::remove_dir_all(dir).await;
        for kept in volumes.iter().filter_map(|v| v.snapshot.as_ref()) {
            if let Err(error) = self.delete_snapshot(kept).await {
                tracing::warn!(
                    content = kept.snapshot.content,
                    %error,
                    "a dataset's VolumeSnapshotContent that was not recorded stays in the cluster"
                );
            }
        }
    }

    /// Deletes a snapshot a dataset kept, through the runtime whose cluster keeps it.
    async fn delete_snapshot(&self, kept: &StoredSnapshot) -> Result<(), Error> {
        let runtime = self
            .runtimes
            .get(&kept.runtime)
            .cloned()
            .ok_or_else(|| Error::Conflict {
                message: format!(
                    "the runtime `{}`, whose cluster keeps VolumeSnapshotContent {}, is not \
                     available in this Stagecraft: add its kubeconfig context again, then retry",
                    kept.runtime, kept.snapshot.content
                ),
            })?;
        runtime
            .delete_volume_snapshot(&kept.snapshot)
            .await
            .map_err(|source| Error::Runtime {
                env_id: String::new(),
                runtime: kept.runtime.clone(),
                source,
            })
    }

    /// The names of those of `rows` whose volumes a cluster keeps as snapshots.
    pub(crate) fn datasets_kept_on_clusters(&self, rows: &[DatasetRow]) -> Vec<String> {
        rows.iter()
            .filter(|row| volumes_of(row).iter().any(|v| v.snapshot.is_some()))
            .map(|row| row.name.clone())
            .collect()
    }

    /// Puts a new taking's archives in place of dataset `id`'s and records it; on a failure,
    /// the old archives are put back.
    async fn replace_archives(&self, id: i64, taken: &Taken) -> Result<(), Error> {
        let home = self.datasets_dir().join(id.to_string());
        let old = self.datasets_dir().join(format!("{id}.old"));
        let _ = tokio::fs::remove_dir_all(&old).await;
        let had = tokio::fs::try_exists(&home).await.unwrap_or(false);
        if had {
            tokio::fs::rename(&home, &old)
                .await
                .map_err(|e| io_error(&home, e))?;
        }
        let put_back = || async {
            if had {
                let _ = tokio::fs::rename(&old, &home).await;
            }
        };
        if let Err(error) = tokio::fs::rename(&taken.dir, &home).await {
            put_back().await;
            return Err(io_error(&home, error));
        }
        let row = self.dataset_by_id(id).await?;
        let json = taken.json()?;
        let recorded = dataset::update(
            self.store.pool(),
            id,
            &taken.record(&row.name, row.app_id, &row.source_env_id, &json),
        )
        .await;
        if let Err(error) = recorded {
            let _ = tokio::fs::remove_dir_all(&home).await;
            put_back().await;
            return Err(error.into());
        }
        let _ = tokio::fs::remove_dir_all(&old).await;
        Ok(())
    }

    async fn dataset_by_id(&self, id: i64) -> Result<DatasetRow, Error> {
        dataset::list(self.store.pool())
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "dataset",
                name: id.to_string(),
            })
    }

    /// Refuses to change a dataset while an environment is being seeded from it (its first
    /// setup waits or runs): its archives would move under it.
    async fn ensure_unused(&self, name: &str) -> Result<(), Error> {
        let pool = self.store.pool();
        for environment_id in dataset::environments_of(pool, name).await? {
            if stagecraft_store::deploy::last_setup_finished(pool, environment_id)
                .await?
                .is_some()
            {
                continue;
            }
            let deploys = stagecraft_store::deploy::for_environment(pool, environment_id).await?;
            if let Some(active) = deploys
                .iter()
                .find(|d| matches!(d.status, DeployStatus::Queued | DeployStatus::Running))
            {
                let env = stagecraft_store::environment::list(pool)
                    .await?
                    .into_iter()
                    .find(|e| e.id == active.environment_id)
                    .map_or_else(|| environment_id.to_string(), |e| e.env_id);
                return Err(Error::Conflict {
                    message: format!(
                        "{env} is being set up from dataset {name}: wait for its setup to end"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Deletes the dataset and its archives. Environments made from it keep their volumes.
    pub async fn delete_dataset(&self, name: &str) -> Result<(), Error> {
        let row = self.dataset_row(name).await?;
        self.ensure_unused(name).await?;
        // The snapshots and files first: what cannot go keeps its row, and the error says why.
        for kept in volumes_of(&row).iter().filter_map(|v| v.snapshot.as_ref()) {
            self.delete_snapshot(kept).await?;
        }
        let home = self.datasets_dir().join(row.id.to_string());
        match tokio::fs::remove_dir_all(&home).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error(&home, error));
            }
            _ => {}
        }
        dataset::delete(self.store.pool(), name).await?;
        Ok(())
    }

    /// Removes the archives of datasets whose rows went (with their app): a folder left is
    /// logged, not an error.
    pub(crate) async fn remove_dataset_archives(&self, ids: &[i64]) {
        for id in ids {
            let home = self.datasets_dir().join(id.to_string());
            if let Err(error) = tokio::fs::remove_dir_all(&home).await
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %home.display(), %error, "a dataset's archives stay on disk");
            }
        }
    }

    pub async fn dataset(&self, name: &str) -> Result<DatasetView, Error> {
        Ok(view(&self.dataset_row(name).await?))
    }

    async fn dataset_row(&self, name: &str) -> Result<DatasetRow, Error> {
        dataset::by_name(self.store.pool(), name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "dataset",
                name: name.to_owned(),
            })
    }

    /// Takes `volumes` of `env` (archives in a new folder, or snapshots its cluster keeps),
    /// with what the dataset records.
    async fn take(
        &self,
        name: &str,
        env: &Environment,
        volumes: &[String],
    ) -> Result<Taken, Error> {
        crate::environment::ensure_standing(env)?;
        let paused = env.status == EnvironmentStatus::Paused;
        if !paused
            && !matches!(
                env.status,
                EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
            )
        {
            return Err(Error::Conflict {
                message: format!(
                    "{} is {:?}: a dataset is taken from a set-up environment, deployed or paused",
                    env.env_id, env.status
                ),
            });
        }
        let pool = self.store.pool();
        let deploys = stagecraft_store::deploy::for_environment(pool, env.id).await?;
        if let Some(active) = deploys
            .iter()
            .find(|d| matches!(d.status, DeployStatus::Queued | DeployStatus::Running))
        {
            return Err(Error::Conflict {
                message: format!(
                    "{} has a {} deploy waiting or running: take the dataset once it ended",
                    env.env_id, active.stage
                ),
            });
        }
        let version = self.deployed_version(env).await?;
        let resolved = self.resolve(env, version).await?;
        let envs = resolved.envs_with(&resolved.injected)?;
        let workloads = stagecraft_engine::workloads(&resolved.template, &envs);
        let mut mounts = Vec::new();
        for asked in volumes {
            let (service, volume) = asked.split_once(':').ok_or_else(|| Error::InvalidRequest {
                field: "volume",
                message: format!("`{asked}` is not SERVICE:VOLUME"),
            })?;
            let spec = workloads
                .services
                .get(service)
                .ok_or_else(|| Error::InvalidRequest {
                    field: "volume",
                    message: format!("{} has no service `{service}`", env.env_id),
                })?;
            let mount = spec
                .volumes
                .iter()
                .find(|m| volume_named(&m.source) == Some(volume))
                .ok_or_else(|| {
                    let names: Vec<&str> = spec
                        .volumes
                        .iter()
                        .filter_map(|m| volume_named(&m.source))
                        .collect();
                    Error::InvalidRequest {
                        field: "volume",
                        message: format!(
                            "service `{service}` has no volume `{volume}`; its volumes: {}",
                            if names.is_empty() {
                                "none".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ),
                    }
                })?;
            mounts.push((service.to_owned(), volume.to_owned(), mount.clone()));
        }
        // What it records, read before anything is taken: a snapshot taken is removed when
        // the taking fails, which is simpler with nothing left to fail after it.
        let setup = deploys
            .iter()
            .rev()
            .find(|d| d.stage == Stage::Setup && d.status == DeployStatus::Succeeded);
        // The jobs its last setup ran, and those it skipped because the dataset it was seeded
        // from covered them: their work is in its volumes either way.
        let parent_jobs: Vec<String> = match dataset::of_environment(pool, env.id).await? {
            Some(parent) => dataset::by_name(pool, &parent)
                .await?
                .map(|row| serde_json::from_str(&row.jobs_json).unwrap_or_default())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut jobs = Vec::new();
        if let Some(setup) = setup {
            for task in stagecraft_store::timeline::tasks(pool, setup.id).await? {
                let Some(job) = task.task.strip_prefix("jobs.") else {
                    continue;
                };
                let covered = task.status == "succeeded"
                    || (task.status == "skipped" && parent_jobs.iter().any(|j| j == job));
                if covered && !jobs.iter().any(|j| j == job) {
                    jobs.push(job.to_owned());
                }
            }
        }
        let commit = match stagecraft_store::deploy::last_deployed(pool, env.id).await? {
            Some(deployed) => stagecraft_store::deploy::build_commit(pool, deployed.id).await?,
            None => None,
        };
        let runtime = self.runtime_of(env)?;
        let target = self.environment_ref(env).await?;
        let dir = self.datasets_dir().join(format!(
            ".taking-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = tokio::fs::remove_dir_all(&dir).await;
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error(&dir, e))?;
        let mut stored = Vec::new();
        for (index, (service, volume, mount)) in mounts.iter().enumerate() {
            let file = format!("{index}.tar");
            let captured = runtime
                .capture_volume(&target, service, mount, &dir.join(&file))
                .await;
            let captured = match captured {
                Ok(captured) => captured,
                Err(source) => {
                    self.discard(&dir, &stored).await;
                    return Err(Error::Runtime {
                        env_id: env.env_id.clone(),
                        runtime: env.runtime.clone(),
                        source,
                    });
                }
            };
            stored.push(StoredVolume {
                service: service.clone(),
                volume: volume.clone(),
                root: captured.root,
                file,
                bytes: captured.bytes,
                snapshot: captured.snapshot.map(|snapshot| StoredSnapshot {
                    runtime: env.runtime.clone(),
                    snapshot,
                }),
            });
        }
        Ok(Taken {
            dir,
            bytes: stored.iter().map(|v| v.bytes).sum(),
            volumes: stored,
            jobs,
            commit,
            paused,
        })
    }

    /// The dataset a new environment of `app_id` starts from: the one asked for by name
    /// (`--dataset`; refused when unknown, another app's, or kept on another runtime than
    /// `runtime`), else the first of its template's `datasets` names that is a dataset of the
    /// app (left out when kept on another runtime, with a warning in the log).
    pub(crate) async fn dataset_for_new(
        &self,
        app_id: i64,
        template: &stagecraft_template::Template,
        asked: Option<&str>,
        runtime: &str,
    ) -> Result<Option<String>, Error> {
        if let Some(name) = asked {
            let row = self.dataset_row(name).await?;
            if row.app_id != app_id {
                return Err(Error::InvalidRequest {
                    field: "dataset",
                    message: format!(
                        "dataset {name} was taken from an environment of app {}: an environment \
                         starts from a dataset of its own app",
                        row.app
                    ),
                });
            }
            fits(template, &row)?;
            let kept_on = runtime_of(&volumes_of(&row));
            if kept_on != runtime {
                return Err(Error::InvalidRequest {
                    field: "dataset",
                    message: format!(
                        "dataset {name} is kept on {kept_on} ({}), so only environments on \
                         {kept_on} start from it: create the environment there, take a dataset \
                         on {runtime}, or create it without --dataset",
                        if kept_on == "docker" {
                            "archives in the data folder"
                        } else {
                            "VolumeSnapshots of its cluster"
                        }
                    ),
                });
            }
            return Ok(Some(name.to_owned()));
        }
        for named in template.datasets.iter().filter_map(|d| d.name.as_ref()) {
            let name = named.as_str().trim();
            // A handle pool first: Release names both under `datasets`.
            if stagecraft_store::handle::has_pool(self.store.pool(), app_id, name).await? {
                continue;
            }
            let Some(row) = dataset::by_name(self.store.pool(), name).await? else {
                continue;
            };
            if row.app_id != app_id {
                continue;
            }
            fits(template, &row)?;
            let kept_on = runtime_of(&volumes_of(&row));
            if kept_on != runtime {
                tracing::warn!(
                    dataset = name,
                    runtime,
                    kept_on,
                    "the template's dataset is left out: it is kept on another runtime"
                );
                return Ok(None);
            }
            return Ok(Some(name.to_owned()));
        }
        Ok(None)
    }

    /// What the first setup of an environment made from a dataset does with it, as its reason
    /// and the next deploy say: the volumes it fills and the jobs it skips.
    pub(crate) async fn dataset_plan(&self, env: &Environment) -> Result<Option<String>, Error> {
        let pool = self.store.pool();
        let Some(name) = dataset::of_environment(pool, env.id).await? else {
            return Ok(None);
        };
        let Some(row) = dataset::by_name(pool, &name).await? else {
            return Ok(Some(format!(
                "dataset {name}, which it was made to start from, is gone: it seeds itself"
            )));
        };
        let volumes: Vec<String> = volumes_of(&row)
            .iter()
            .map(|v| format!("{}:{}", v.service, v.volume))
            .collect();
        let jobs: Vec<String> = serde_json::from_str(&row.jobs_json).unwrap_or_default();
        Ok(Some(format!(
            "its volumes start from dataset {name} ({}, taken from {} at {}){}",
            volumes.join(", "),
            row.source_env_id,
            row.taken_at,
            if jobs.is_empty() {
                String::new()
            } else {
                format!(", and the jobs it covers are skipped: {}", jobs.join(", "))
            }
        )))
    }

    /// For the first setup of an environment made from a dataset (none succeeded yet): the
    /// volumes to fill from it before anything runs, and the jobs it covers, skipped.
    pub(crate) async fn seed_from_dataset(
        &self,
        env: &Environment,
        workloads: &mut stagecraft_engine::Workloads,
    ) -> Result<(), Error> {
        let pool = self.store.pool();
        let Some(name) = dataset::of_environment(pool, env.id).await? else {
            return Ok(());
        };
        if stagecraft_store::deploy::last_setup_finished(pool, env.id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let Some(row) = dataset::by_name(pool, &name).await? else {
            tracing::warn!(env = %env.env_id, dataset = name, "the dataset is gone: the environment seeds itself");
            return Ok(());
        };
        let home = self.datasets_dir().join(row.id.to_string());
        for stored in volumes_of(&row) {
            let located = |what: String| Error::Conflict {
                message: format!(
                    "dataset {name} holds volume {}:{}, but {what}: make the dataset from an \
                     environment of this template, or create the environment without it",
                    stored.service, stored.volume
                ),
            };
            let spec = workloads.services.get(&stored.service).ok_or_else(|| {
                located(format!(
                    "{} has no service `{}`",
                    env.env_id, stored.service
                ))
            })?;
            let mount = spec
                .volumes
                .iter()
                .find(|m| volume_named(&m.source) == Some(stored.volume.as_str()))
                .ok_or_else(|| located(format!("its service has no volume `{}`", stored.volume)))?;
            workloads.seeds.push(stagecraft_engine::VolumeSeed {
                dataset: name.clone(),
                service: stored.service.clone(),
                image: spec.image.clone(),
                volume: mount.clone(),
                archive: home.join(&stored.file),
                root: stored.root.clone(),
                snapshot: stored.snapshot.as_ref().map(|s| s.snapshot.clone()),
            });
        }
        let jobs: Vec<String> = serde_json::from_str(&row.jobs_json).unwrap_or_default();
        let mut skipped = HashMap::new();
        for job in jobs.into_iter().filter(|j| workloads.jobs.contains_key(j)) {
            let reason = format!(
                "the environment starts from dataset `{name}`, which holds what this job did: \
                 it ran in {} before the dataset was taken ({})",
                row.source_env_id, row.taken_at
            );
            skipped.insert(job, reason);
        }
        workloads.skipped_jobs = skipped;
        Ok(())
    }
}

/// A dataset's name: what a template's `datasets` entry can name, and safe as a word in a
/// command line (its files are kept under its id, never its name).
fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest {
            field: "name",
            message: format!(
                "`{name}` cannot name a dataset: use lowercase letters, digits, `-` and `_`, \
                 starting with a letter or digit, at most 63 characters"
            ),
        })
    }
}

/// Refuses a dataset whose volumes the template has not: its first setup could not be filled.
fn fits(template: &stagecraft_template::Template, row: &DatasetRow) -> Result<(), Error> {
    for stored in volumes_of(row) {
        let service = template.services.iter().find(|s| {
            s.name
                .as_ref()
                .is_some_and(|n| n.as_str() == stored.service)
        });
        let has = service.is_some_and(|s| {
            s.volumes.iter().any(|v| {
                [&v.name, &v.claim]
                    .into_iter()
                    .flatten()
                    .any(|n| n.as_str() == stored.volume)
            })
        });
        if !has {
            return Err(Error::InvalidRequest {
                field: "dataset",
                message: format!(
                    "dataset {} holds volume {}:{}, which this environment's template has not \
                     (no service `{}` with a volume `{}`): take a dataset of this template's \
                     volumes, or create the environment without it",
                    row.name, stored.service, stored.volume, stored.service, stored.volume
                ),
            });
        }
    }
    Ok(())
}

/// The name a volume has in the template (`volumes[].name`, or the shared volume it claims).
fn volume_named(source: &VolumeSource) -> Option<&str> {
    match source {
        VolumeSource::Persistent { name } | VolumeSource::Shared { name } => Some(name),
        VolumeSource::Memory { .. } => None,
    }
}
