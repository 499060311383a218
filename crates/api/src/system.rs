//! The System screen: where the data lives, the database's schema, whether Docker answers and
//! which Kubernetes contexts exist.
//!
//! The local report (`Stagecraft::system_report`) and the Docker status
//! (`Stagecraft::docker_status`) are asked for separately, so a slow or absent engine never
//! holds up the window.

use serde::Serialize;
use stagecraft_docker::EngineInfo;
use stagecraft_kube::KubeconfigContexts;
use ts_rs::TS;

use crate::{DataDirSource, Error, ErrorCode, Stagecraft};

/// Everything on the System screen that needs no network: it answers in milliseconds.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SystemReport {
    /// This build of Stagecraft.
    pub version: String,
    pub data_dir: String,
    pub data_dir_source: DataDirOrigin,
    /// Where the key that seals secret values is kept: "the OS keychain (…)" or a file.
    pub secret_key: String,
    /// The folder of the desktop app's log files (one a day, the last seven kept).
    pub log_dir: String,
    /// Today's log file, or the newest there is; none before the app first wrote one (the
    /// command line logs to standard error only).
    pub log_file: Option<String>,
    pub database: DatabaseReport,
    /// The datasets (`stagecraft datasets`) and the space their archives take.
    pub datasets: DatasetsSpace,
    pub kubernetes: KubernetesReport,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatasetsSpace {
    pub count: u32,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Where their archives are kept.
    pub dir: String,
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DataDirOrigin {
    /// `STAGECRAFT_DATA_DIR`.
    Env,
    /// The platform's per-user data folder.
    Platform,
    /// Chosen by the program that opened Stagecraft.
    Explicit,
}

impl From<DataDirSource> for DataDirOrigin {
    fn from(source: DataDirSource) -> Self {
        match source {
            DataDirSource::Env => Self::Env,
            DataDirSource::Platform => Self::Platform,
            DataDirSource::Explicit => Self::Explicit,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseReport {
    pub path: String,
    /// The highest migration applied to the file.
    #[ts(type = "number")]
    pub schema_version: i64,
    /// The highest migration this build knows; equal to `schema_version` once open.
    #[ts(type = "number")]
    pub latest_schema_version: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub created_by_version: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum KubernetesReport {
    /// At least one kubeconfig file was read.
    #[serde(rename_all = "camelCase")]
    Found {
        files: Vec<String>,
        current_context: Option<String>,
        contexts: Vec<KubeContextReport>,
    },
    /// No kubeconfig file exists at the places searched.
    #[serde(rename_all = "camelCase")]
    Absent { searched: Vec<String> },
    /// A kubeconfig file exists but cannot be used.
    #[serde(rename_all = "camelCase")]
    Invalid { code: ErrorCode, message: String },
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KubeContextReport {
    pub name: String,
    pub cluster: String,
    pub server: Option<String>,
    pub namespace: Option<String>,
    /// What made the cluster: how images Stagecraft builds will reach it.
    pub made_by: ClusterMadeBy,
}

/// A runtime an environment can be created on, for the create form.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeChoice {
    /// What `CreateEnvironment::runtime` takes: `docker`, `kube:<context>`.
    pub name: String,
    pub label: String,
    pub available: bool,
    /// Why it is not available, or what it needs.
    pub note: Option<String>,
    /// Its nodes pull images, so an app's built images go through the app's image registry.
    pub needs_registry: bool,
}

/// The tool that made a cluster, as its kubeconfig entries tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ClusterMadeBy {
    /// Images are loaded into its nodes.
    Kind,
    Minikube,
    K3d,
    /// It shares the Docker engine's images.
    DockerDesktop,
    /// Images go through a registry.
    Other,
}

impl From<stagecraft_kube::ClusterKind> for ClusterMadeBy {
    fn from(kind: stagecraft_kube::ClusterKind) -> Self {
        use stagecraft_kube::ClusterKind;
        match kind {
            ClusterKind::Kind => Self::Kind,
            ClusterKind::Minikube => Self::Minikube,
            ClusterKind::K3d => Self::K3d,
            ClusterKind::DockerDesktop => Self::DockerDesktop,
            ClusterKind::Other => Self::Other,
        }
    }
}

/// Whether a Docker engine answers, and who it is; or the exact error and what to do.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum DockerStatus {
    #[serde(rename_all = "camelCase")]
    Reachable {
        endpoint: String,
        endpoint_source: EndpointSource,
        platform: Option<String>,
        version: String,
        api_version: String,
        os: String,
        arch: String,
    },
    #[serde(rename_all = "camelCase")]
    Unreachable {
        endpoint: String,
        endpoint_source: EndpointSource,
        code: ErrorCode,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum EndpointSource {
    /// `DOCKER_HOST`.
    DockerHost,
    /// The current Docker context.
    DockerContext,
    /// The platform's default socket or named pipe.
    PlatformDefault,
    /// Docker Desktop's per-user socket.
    DockerDesktop,
    /// Colima's socket.
    Colima,
    /// Podman's Docker-compatible socket.
    Podman,
    /// Chosen by the program that opened Stagecraft.
    Explicit,
}

impl From<stagecraft_docker::EndpointSource> for EndpointSource {
    fn from(source: stagecraft_docker::EndpointSource) -> Self {
        match source {
            stagecraft_docker::EndpointSource::DockerHost => Self::DockerHost,
            stagecraft_docker::EndpointSource::DockerContext => Self::DockerContext,
            stagecraft_docker::EndpointSource::PlatformDefault => Self::PlatformDefault,
            stagecraft_docker::EndpointSource::DockerDesktop => Self::DockerDesktop,
            stagecraft_docker::EndpointSource::Colima => Self::Colima,
            stagecraft_docker::EndpointSource::Podman => Self::Podman,
            stagecraft_docker::EndpointSource::Explicit => Self::Explicit,
        }
    }
}

impl Stagecraft {
    /// The part of the System screen that needs no network.
    pub async fn system_report(&self) -> Result<SystemReport, Error> {
        let meta = self.store.meta().await?;
        let database = DatabaseReport {
            path: self.store.path().display().to_string(),
            schema_version: self.store.schema_version().await?,
            latest_schema_version: stagecraft_store::latest_known_version(),
            created_at: meta.created_at,
            created_by_version: meta.created_by_version,
        };
        Ok(SystemReport {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: self.settings.data_dir.path.display().to_string(),
            data_dir_source: self.settings.data_dir.source.into(),
            secret_key: self.sealer.home().to_string(),
            log_dir: self.settings.data_dir.log_dir().display().to_string(),
            log_file: self
                .settings
                .data_dir
                .newest_log_file()
                .map(|file| file.display().to_string()),
            database,
            datasets: self.datasets_space().await?,
            kubernetes: self.kubernetes_report().await,
        })
    }

    /// The runtimes a new environment may run on: the local Docker engine, and each
    /// kubeconfig context (available once a runtime is registered under its name).
    pub async fn runtime_choices(&self) -> Vec<RuntimeChoice> {
        let docker = self.runtimes.get("docker").is_some();
        let mut choices = vec![RuntimeChoice {
            name: "docker".to_owned(),
            label: format!("Docker ({})", self.docker.endpoint()),
            available: docker,
            note: (!docker).then(|| "no Docker runtime is registered".to_owned()),
            needs_registry: false,
        }];
        if let KubernetesReport::Found { contexts, .. } = self.kubernetes_report().await {
            for context in contexts {
                let name = format!("kube:{}", context.name);
                let available = self.runtimes.get(&name).is_some();
                choices.push(RuntimeChoice {
                    label: format!("Kubernetes: {}", context.name),
                    available,
                    note: if !available {
                        Some("not registered in this Stagecraft".to_owned())
                    } else if context.made_by == ClusterMadeBy::Other {
                        Some("via the app's registry".to_owned())
                    } else {
                        None
                    },
                    needs_registry: context.made_by == ClusterMadeBy::Other,
                    name,
                });
            }
        }
        choices
    }

    async fn kubernetes_report(&self) -> KubernetesReport {
        let paths = self.settings.kubeconfig_paths.clone();
        let searched = paths.iter().map(|p| p.display().to_string()).collect();
        // Reading files blocks; a home folder on a network share can take a while.
        let read =
            tokio::task::spawn_blocking(move || stagecraft_kube::read_contexts(&paths)).await;
        match read {
            Ok(Ok(found)) if found.files.is_empty() => KubernetesReport::Absent { searched },
            Ok(Ok(found)) => kubernetes_found(found),
            Ok(Err(error)) => {
                let error = Error::from(error);
                KubernetesReport::Invalid {
                    code: error.code(),
                    message: error.to_string(),
                }
            }
            Err(join) => KubernetesReport::Invalid {
                code: ErrorCode::KubeconfigInvalid,
                message: format!("reading the kubeconfig stopped unexpectedly: {join}"),
            },
        }
    }

    /// Contacts the Docker engine (connecting on first use) and says whether it answers.
    pub async fn docker_status(&self) -> DockerStatus {
        let endpoint = self.docker.endpoint().to_owned();
        let endpoint_source = self.docker.endpoint_source().into();
        match self.docker.info().await {
            Ok(EngineInfo {
                endpoint,
                platform,
                version,
                api_version,
                os,
                arch,
            }) => DockerStatus::Reachable {
                endpoint,
                endpoint_source,
                platform,
                version,
                api_version,
                os,
                arch,
            },
            Err(error) => {
                let error = Error::from(error);
                tracing::info!(%endpoint, %error, "Docker engine not reachable");
                DockerStatus::Unreachable {
                    endpoint,
                    endpoint_source,
                    code: error.code(),
                    message: error.to_string(),
                }
            }
        }
    }
}

fn kubernetes_found(found: KubeconfigContexts) -> KubernetesReport {
    KubernetesReport::Found {
        files: found
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        current_context: found.current_context,
        contexts: found
            .contexts
            .into_iter()
            .map(|c| KubeContextReport {
                name: c.name,
                cluster: c.cluster,
                server: c.server,
                namespace: c.namespace,
                made_by: c.kind.into(),
            })
            .collect(),
    }
}
