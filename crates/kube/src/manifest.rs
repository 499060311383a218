//! An environment's Kubernetes objects, made from the same resolved workloads the Docker
//! runtime is given. Nothing here talks to a cluster; `cluster.rs` applies them with
//! server-side apply under the field manager `stagecraft`, in order, and tears an environment
//! down by deleting its namespace and waiting until it is gone.
//!
//! - a namespace `stagecraft-<env_id>`;
//! - per service a Deployment (replaced one pod at a time, the new one ready first), a
//!   ClusterIP Service for its ports, and a Secret holding its secret variables (referenced by
//!   `secretKeyRef`, never written into the Deployment);
//! - a PersistentVolumeClaim per persistent volume (`<service>-<name>`, `job-<job>-<name>`) and
//!   per shared one (`shared-<name>`); `shmem` as a memory-backed `emptyDir`;
//! - per workload with `configmap` files a ConfigMap, each file mounted alone at its path
//!   (`subPath`);
//! - `node_selector` (the app's merged with each workload's own) as the pods' `nodeSelector`;
//! - per job run a Job with `backoffLimit: 0` and `activeDeadlineSeconds` =
//!   `completed_timeout`;
//! - the Secret `stagecraft-registry-login` named in the pods' `imagePullSecrets` when the app
//!   shares the user's registry login (see `runtime.rs`).
//!
//! Names are made RFC 1123 labels, with a hash when they had to change. The tests check every
//! fixture's objects with `kubernetes-validate --strict` against Kubernetes 1.37.
//!
//! Choices where the model is silent, so they match the Docker runtime:
//! - a Deployment replaces replicas one at a time and the new one must be ready first
//!   (`maxSurge: 1`, `maxUnavailable: 0`);
//! - readiness is probed every second unless the template gives `period_seconds` (Docker: at
//!   once, then every second); with a `failure_threshold`, the rollout's progress deadline is
//!   that many checks and a minute more (`progress_deadline`), so it fails as Docker's does;
//! - images Stagecraft built are never pulled when the node has them (`IfNotPresent`): they are
//!   loaded into kind, minikube and k3d nodes, or pushed to the app's registry;
//! - a job runs once (`backoffLimit: 0`), for at most its `completed_timeout`, and is kept
//!   after it ends, for its log.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, ExecAction,
    HTTPGetAction, LocalObjectReference, Namespace, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, Secret, Service, ServicePort, ServiceSpec as KubeServiceSpec, Volume,
    VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use stagecraft_engine::{
    ConfigFile, ContainerSpec, CronJobSpec, JobSpec, Limits, LivenessSpec, ProbeSpec,
    ReadinessSpec, ServiceSpec, VolumeSource, Workloads,
};

/// A Deployment's annotation: the digest of the spec it was made from, without the variables
/// that change with every deploy. A patch leaves a service whose digest is unchanged as it is,
/// as the Docker runtime does, instead of rolling it for a new `RELEASE_BUILD_ID`.
pub const ANNOTATION_CONFIG: &str = "dev.stagecraft/config";

/// The digest [`ANNOTATION_CONFIG`] holds for `spec` (made by an owner without a pull
/// Secret; see [`Owner::config_digest`]).
pub fn config_digest(spec: &ServiceSpec) -> String {
    digest_of(&spec.change_basis())
}

fn digest_of(basis: &impl serde::Serialize) -> String {
    use sha2::Digest as _;
    let basis = serde_json::to_vec(basis).unwrap_or_default();
    sha2::Sha256::digest(basis)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The Secret pods pull built images with: `config_json` is a Docker `config.json` holding
/// the registry's login.
pub fn pull_secret(owner: &Owner, config_json: &str) -> Secret {
    Secret {
        metadata: owner.meta(PULL_SECRET, None),
        string_data: Some(BTreeMap::from([(
            ".dockerconfigjson".to_owned(),
            config_json.to_owned(),
        )])),
        type_: Some("kubernetes.io/dockerconfigjson".to_owned()),
        ..Secret::default()
    }
}

/// The label every object carries: which environment made it.
pub const LABEL_ENV: &str = "dev.stagecraft/env";
/// The app the environment runs.
pub const LABEL_APP: &str = "dev.stagecraft/app";
/// `services.<name>` or `jobs.<name>`: selects a workload's pods.
pub const LABEL_WORKLOAD: &str = "dev.stagecraft/workload";
const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "stagecraft");

/// What a persistent or shared volume asks for: the model gives no size.
const VOLUME_SIZE: &str = "1Gi";

/// The Secret (`kubernetes.io/dockerconfigjson`) pods pull built images with when the app
/// shares the user's registry login with the cluster. No workload's Secret ends so.
pub const PULL_SECRET: &str = "stagecraft-registry-login";

/// Whom the objects belong to.
#[derive(Debug, Clone)]
pub struct Owner {
    pub env_id: String,
    pub app: String,
    /// The Secret the pods of built images pull with ([`PULL_SECRET`]), when there is one.
    pub pull_secret: Option<String>,
}

impl Owner {
    /// The digest [`ANNOTATION_CONFIG`] holds for a Deployment of `spec` made by this owner:
    /// the spec's, and the pull Secret its pods name, so that sharing a login or no longer
    /// sharing it replaces the pods.
    pub fn config_digest(&self, spec: &ServiceSpec) -> String {
        match self.pulls_with(any_built(spec)) {
            None => config_digest(spec),
            Some(secret) => digest_of(&(spec.change_basis(), secret)),
        }
    }

    fn pulls_with(&self, built: bool) -> Option<&str> {
        self.pull_secret.as_deref().filter(|_| built)
    }

    fn image_pull_secrets(&self, built: bool) -> Option<Vec<LocalObjectReference>> {
        self.pulls_with(built).map(|name| {
            vec![LocalObjectReference {
                name: name.to_owned(),
            }]
        })
    }

    /// The environment's namespace: `stagecraft-<env_id>`.
    pub fn namespace(&self) -> String {
        dns_label(&format!("stagecraft-{}", self.env_id))
    }

    pub(crate) fn labels(&self, workload: Option<&str>) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([
            (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
            (LABEL_ENV.to_owned(), label_value(&self.env_id)),
            (LABEL_APP.to_owned(), label_value(&self.app)),
        ]);
        if let Some(workload) = workload {
            labels.insert(LABEL_WORKLOAD.to_owned(), label_value(workload));
        }
        labels
    }

    pub(crate) fn meta(&self, name: &str, workload: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace()),
            labels: Some(self.labels(workload)),
            ..ObjectMeta::default()
        }
    }
}

/// A name Kubernetes accepts for a Service, a container or a namespace (RFC 1123 label:
/// lowercase letters, digits and `-`, starting with a letter, at most 63 characters). Names
/// that had to change keep a short hash of the original, so two never collide.
pub fn dns_label(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let mut out = out.trim_matches('-').to_owned();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "x-");
    }
    if out == name && out.len() <= 63 {
        return out;
    }
    let hash = short_hash(name);
    out.truncate(63 - hash.len() - 1);
    format!("{}-{hash}", out.trim_end_matches('-'))
}

/// A label value: at most 63 of letters, digits, `-`, `_` and `.`, starting and ending with
/// a letter or digit.
fn label_value(value: &str) -> String {
    let out: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    out.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// Eight hex digits of FNV-1a: stable across versions and platforms.
/// A CronJob's name: a DNS label of at most 52 characters (the cluster appends the time of
/// each run's Job to it), a long one cut and told apart by a hash.
pub fn cron_job_name(name: &str) -> String {
    let label = dns_label(name);
    if label.len() <= 52 {
        return label;
    }
    let hash = short_hash(name);
    let mut cut = label;
    cut.truncate(52 - hash.len() - 1);
    format!("{}-{hash}", cut.trim_end_matches('-'))
}

fn short_hash(text: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

fn probe(spec: &ProbeSpec) -> Probe {
    match spec {
        ProbeSpec::Exec { command } => Probe {
            exec: Some(ExecAction {
                command: Some(command.clone()),
            }),
            ..Probe::default()
        },
        ProbeSpec::HttpGet { path, port } => Probe {
            http_get: Some(HTTPGetAction {
                path: Some(path.clone()),
                port: IntOrString::Int(i32::from(*port)),
                ..HTTPGetAction::default()
            }),
            ..Probe::default()
        },
    }
}

/// The template's timing, as given; a period it leaves out is a second, as on Docker.
fn readiness(spec: &ReadinessSpec) -> Probe {
    let seconds = |d: std::time::Duration| i32::try_from(d.as_secs()).unwrap_or(i32::MAX);
    Probe {
        initial_delay_seconds: (!spec.initial_delay.is_zero()).then(|| seconds(spec.initial_delay)),
        period_seconds: Some(spec.period.map_or(1, |p| seconds(p).max(1))),
        timeout_seconds: spec.timeout.map(|t| seconds(t).max(1)),
        failure_threshold: spec
            .failure_threshold
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        ..probe(&spec.probe)
    }
}

/// How long a rollout may go without progress before the cluster gives up on it
/// (`ProgressDeadlineExceeded`, which fails the task): with a readiness `failure_threshold`,
/// its checks' worth (initial delay, then a period per failure) and a minute more for
/// scheduling and the image, at most Kubernetes' own 600 s; else Kubernetes' default.
fn progress_deadline(spec: &ServiceSpec) -> Option<i32> {
    let readiness = spec.readiness.as_ref()?;
    let threshold = u64::from(readiness.failure_threshold?);
    let period = readiness.period.map_or(1, |p| p.as_secs().max(1));
    let checks = readiness.initial_delay.as_secs() + period.saturating_mul(threshold);
    i32::try_from(checks.saturating_add(60).min(600)).ok()
}

fn liveness(spec: &LivenessSpec) -> Probe {
    let seconds = |d: std::time::Duration| i32::try_from(d.as_secs()).unwrap_or(i32::MAX);
    Probe {
        initial_delay_seconds: Some(seconds(spec.initial_delay)),
        period_seconds: Some(seconds(spec.period).max(1)),
        failure_threshold: Some(i32::try_from(spec.failure_threshold).unwrap_or(i32::MAX)),
        ..probe(&spec.probe)
    }
}

fn resources(limits: &Limits, requests: &Limits) -> Option<ResourceRequirements> {
    let map = |amounts: &Limits| {
        let mut map = BTreeMap::new();
        if let Some(bytes) = amounts.memory_bytes {
            map.insert("memory".to_owned(), Quantity(bytes.to_string()));
        }
        if let Some(millis) = amounts.cpu_millis {
            map.insert("cpu".to_owned(), Quantity(format!("{millis}m")));
        }
        (!map.is_empty()).then_some(map)
    };
    let (limits, requests) = (map(limits), map(requests));
    (limits.is_some() || requests.is_some()).then(|| ResourceRequirements {
        limits,
        requests,
        ..ResourceRequirements::default()
    })
}

/// A workload's part of an object name: `web` for `services.web`, `job-migrate` for
/// `jobs.migrate`, `cron-nightly` for `cron_jobs.nightly`, so a service, a job and a cron
/// job of the same name never share an object.
fn workload_part(workload: &str) -> String {
    match workload.split_once('.') {
        Some(("jobs", name)) => format!("job-{name}"),
        Some(("cron_jobs", name)) => format!("cron-{name}"),
        Some((_, name)) => name.to_owned(),
        None => workload.to_owned(),
    }
}

/// The Secret holding a workload's secret variables: `web-secrets`.
fn secret_name(workload: &str) -> String {
    dns_label(&format!("{}-secrets", workload_part(workload)))
}

fn files_name(workload: &str) -> String {
    dns_label(&format!("{}-files", workload_part(workload)))
}

/// The ConfigMap holding a workload's `configmap` files, one key per entry.
fn config_map(owner: &Owner, workload: &str, files: &[ConfigFile]) -> Option<ConfigMap> {
    (!files.is_empty()).then(|| ConfigMap {
        metadata: owner.meta(&files_name(workload), Some(workload)),
        data: Some(
            files
                .iter()
                .map(|f| (f.name.clone(), f.content.clone()))
                .collect(),
        ),
        ..ConfigMap::default()
    })
}

/// The claim a volume mounts: a workload's own persistent volume, or a shared one.
pub(crate) fn claim_name(workload: &str, source: &VolumeSource) -> Option<String> {
    match source {
        VolumeSource::Persistent { name } => {
            Some(dns_label(&format!("{}-{name}", workload_part(workload))))
        }
        VolumeSource::Shared { name } => Some(dns_label(&format!("shared-{name}"))),
        VolumeSource::Memory { .. } => None,
    }
}

fn volumes(
    workload: &str,
    mounts: &[stagecraft_engine::VolumeMount],
    files: &[ConfigFile],
) -> (Option<Vec<Volume>>, Option<Vec<VolumeMount>>) {
    let mut volumes = Vec::new();
    let mut mounted = Vec::new();
    // Each file is mounted alone (`subPath`), so the rest of its folder stays the image's.
    if !files.is_empty() {
        volumes.push(Volume {
            name: "files".to_owned(),
            config_map: Some(ConfigMapVolumeSource {
                name: files_name(workload),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        });
        for file in files {
            mounted.push(VolumeMount {
                name: "files".to_owned(),
                mount_path: file.mount_path.clone(),
                sub_path: Some(file.name.clone()),
                read_only: Some(true),
                ..VolumeMount::default()
            });
        }
    }
    for (index, mount) in mounts.iter().enumerate() {
        let name = format!("volume-{index}");
        let volume = match &mount.source {
            VolumeSource::Memory { size_bytes } => Volume {
                name: name.clone(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".to_owned()),
                    size_limit: size_bytes.map(|b| Quantity(b.to_string())),
                    ..EmptyDirVolumeSource::default()
                }),
                ..Volume::default()
            },
            source => Volume {
                name: name.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(workload, source).unwrap_or_default(),
                    ..PersistentVolumeClaimVolumeSource::default()
                }),
                ..Volume::default()
            },
        };
        volumes.push(volume);
        mounted.push(VolumeMount {
            name,
            mount_path: mount.mount_path.clone(),
            ..VolumeMount::default()
        });
    }
    if volumes.is_empty() {
        (None, None)
    } else {
        (Some(volumes), Some(mounted))
    }
}

fn pull_policy(built: bool) -> Option<String> {
    built.then(|| "IfNotPresent".to_owned())
}

fn non_empty(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn deployment(owner: &Owner, spec: &ServiceSpec) -> Deployment {
    let workload = format!("services.{}", spec.name);
    let (volumes, volume_mounts) = volumes(&workload, &spec.volumes, &spec.config_files);
    let container = Container {
        name: dns_label(&spec.name),
        image: Some(spec.image.clone()),
        image_pull_policy: pull_policy(spec.built),
        command: non_empty(&spec.command),
        args: non_empty(&spec.args),
        env: env(&workload, &spec.env),
        ports: (!spec.ports.is_empty()).then(|| {
            spec.ports
                .iter()
                .map(|p| ContainerPort {
                    container_port: i32::from(p.container_port),
                    ..ContainerPort::default()
                })
                .collect()
        }),
        readiness_probe: spec.readiness.as_ref().map(readiness),
        liveness_probe: spec.liveness.as_ref().map(liveness),
        resources: resources(&spec.limits, &spec.requests),
        volume_mounts,
        ..Container::default()
    };
    let attached = |c: &ContainerSpec| attached_container(&workload, c, &spec.volumes);
    let init_containers: Vec<Container> = spec.init_containers.iter().map(attached).collect();
    let mut containers = vec![container];
    containers.extend(spec.sidecars.iter().map(attached));
    let selector = BTreeMap::from([(LABEL_WORKLOAD.to_owned(), label_value(&workload))]);
    let mut metadata = owner.meta(&dns_label(&spec.name), Some(&workload));
    metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_CONFIG.to_owned(),
        owner.config_digest(spec),
    )]));
    Deployment {
        metadata,
        spec: DeploymentSpec {
            replicas: Some(i32::try_from(spec.replicas).unwrap_or(i32::MAX)),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            progress_deadline_seconds: progress_deadline(spec),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(owner.labels(Some(&workload))),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    init_containers: (!init_containers.is_empty()).then_some(init_containers),
                    containers,
                    volumes,
                    node_selector: node_selector(&spec.node_selector),
                    image_pull_secrets: owner.image_pull_secrets(any_built(spec)),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        },
        ..Deployment::default()
    }
}

/// Whether a pod of the service runs an image Stagecraft built: its own, or an init
/// container's or a sidecar's (then it pulls with the registry login, where one is shared).
pub fn any_built(spec: &ServiceSpec) -> bool {
    spec.built
        || spec
            .init_containers
            .iter()
            .chain(&spec.sidecars)
            .any(|c| c.built)
}

/// An init container or a sidecar of the service's pods: the service's volumes it names are
/// the pod's volumes of the same source, mounted at its own paths.
fn attached_container(
    workload: &str,
    spec: &ContainerSpec,
    service_volumes: &[stagecraft_engine::VolumeMount],
) -> Container {
    let mounts: Vec<VolumeMount> = spec
        .volumes
        .iter()
        .filter_map(|mount| {
            let index = service_volumes
                .iter()
                .position(|v| v.source == mount.source)?;
            Some(VolumeMount {
                name: format!("volume-{index}"),
                mount_path: mount.mount_path.clone(),
                ..VolumeMount::default()
            })
        })
        .collect();
    Container {
        name: dns_label(&spec.name),
        image: Some(spec.image.clone()),
        image_pull_policy: pull_policy(spec.built),
        command: non_empty(&spec.command),
        args: non_empty(&spec.args),
        env: env_of(workload, &spec.env, Some(&spec.name)),
        resources: resources(&spec.limits, &spec.requests),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Container::default()
    }
}

fn service(owner: &Owner, spec: &ServiceSpec) -> Option<Service> {
    if spec.ports.is_empty() {
        return None;
    }
    let workload = format!("services.{}", spec.name);
    let mut ports: Vec<u16> = spec.ports.iter().map(|p| p.container_port).collect();
    ports.sort_unstable();
    ports.dedup();
    Some(Service {
        metadata: owner.meta(&dns_label(&spec.name), Some(&workload)),
        spec: Some(KubeServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(BTreeMap::from([(
                LABEL_WORKLOAD.to_owned(),
                label_value(&workload),
            )])),
            ports: Some(
                ports
                    .into_iter()
                    .map(|port| ServicePort {
                        name: Some(format!("port-{port}")),
                        port: i32::from(port),
                        target_port: Some(IntOrString::Int(i32::from(port))),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..KubeServiceSpec::default()
        }),
        ..Service::default()
    })
}

pub(crate) fn claim(owner: &Owner, name: String) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: owner.meta(&name, None),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_owned(),
                    Quantity(VOLUME_SIZE.to_owned()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

/// Release's `node_selector` as the pod's; none when empty.
fn node_selector(labels: &[(String, String)]) -> Option<BTreeMap<String, String>> {
    (!labels.is_empty()).then(|| labels.iter().cloned().collect())
}

/// Everything an environment's setup applies, but its jobs (made per run, by [`job`]).
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub namespace: Namespace,
    pub secrets: Vec<Secret>,
    pub config_maps: Vec<ConfigMap>,
    pub claims: Vec<PersistentVolumeClaim>,
    pub deployments: Vec<Deployment>,
    pub services: Vec<Service>,
    pub cron_jobs: Vec<CronJob>,
}

impl Manifests {
    /// The objects for `workloads`, in the order they are applied (the namespace, then what
    /// pods need, then the workloads), each sorted by name so the output is stable.
    pub fn of(owner: &Owner, workloads: &Workloads) -> Manifests {
        let mut services: Vec<&ServiceSpec> = workloads.services.values().collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        let mut jobs: Vec<&JobSpec> = workloads.jobs.values().collect();
        jobs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut cron_jobs: Vec<&CronJobSpec> = workloads.cron_jobs.values().collect();
        cron_jobs.sort_by(|a, b| a.job.name.cmp(&b.job.name));

        // What pods need, for services and jobs alike: their Secrets and volume claims.
        let needs = services
            .iter()
            .map(|s| {
                (
                    format!("services.{}", s.name),
                    &s.env,
                    &s.volumes,
                    &s.config_files,
                    s.init_containers.iter().chain(&s.sidecars).collect(),
                )
            })
            .chain(jobs.iter().map(|j| {
                (
                    format!("jobs.{}", j.name),
                    &j.env,
                    &j.volumes,
                    &j.config_files,
                    Vec::new(),
                )
            }))
            .chain(cron_jobs.iter().map(|c| {
                (
                    format!("cron_jobs.{}", c.job.name),
                    &c.job.env,
                    &c.job.volumes,
                    &c.job.config_files,
                    Vec::new(),
                )
            }));
        let mut claims = BTreeMap::new();
        let mut secrets = Vec::new();
        let mut config_maps = Vec::new();
        for (workload, env, mounts, files, attached) in needs {
            secrets.extend(secret(owner, &workload, env, &attached));
            config_maps.extend(config_map(owner, &workload, files));
            for mount in mounts {
                if let Some(name) = claim_name(&workload, &mount.source) {
                    claims.insert(name.clone(), claim(owner, name));
                }
            }
        }
        Manifests {
            namespace: Namespace {
                metadata: ObjectMeta {
                    name: Some(owner.namespace()),
                    labels: Some(owner.labels(None)),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
            secrets,
            config_maps,
            claims: claims.into_values().collect(),
            deployments: services.iter().map(|s| deployment(owner, s)).collect(),
            services: services.iter().filter_map(|s| service(owner, s)).collect(),
            cron_jobs: cron_jobs.iter().map(|c| cron_job(owner, c)).collect(),
        }
    }

    /// Every object as JSON, in apply order, with its `apiVersion` and `kind`.
    pub fn to_json(&self) -> Result<Vec<serde_json::Value>, serde_json::Error> {
        let mut out = vec![serde_json::to_value(&self.namespace)?];
        for secret in &self.secrets {
            out.push(serde_json::to_value(secret)?);
        }
        for config_map in &self.config_maps {
            out.push(serde_json::to_value(config_map)?);
        }
        for claim in &self.claims {
            out.push(serde_json::to_value(claim)?);
        }
        for deployment in &self.deployments {
            out.push(serde_json::to_value(deployment)?);
        }
        for service in &self.services {
            out.push(serde_json::to_value(service)?);
        }
        for cron_job in &self.cron_jobs {
            out.push(serde_json::to_value(cron_job)?);
        }
        Ok(out)
    }
}

mod jobs;
mod snapshots;
mod variables;

pub use jobs::{cron_job, job};
pub use snapshots::{
    DEFAULT_SNAPSHOT_CLASS, LABEL_DATASET, SNAPSHOT_GROUP, SNAPSHOT_VERSION,
    pre_provisioned_content, seed_content_name, seed_snapshot_name, seeded_claim, volume_claim,
    volume_snapshot_of_claim, volume_snapshot_of_content,
};
use variables::{env, env_of, secret};

#[cfg(test)]
mod tests;
