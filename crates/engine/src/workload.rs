//! From an environment's configuration and resolved variables to what the runtime is given.

use std::collections::HashMap;
use std::time::Duration;

use stagecraft_template::{Probe, Quantities, Service, Template, Text, Volume, WorkloadEnv};

use crate::runner::Workloads;
use crate::runtime::{
    ConfigFile, ContainerSpec, CronJobSpec, EnvVar, JobSpec, Limits, LivenessSpec, PortSpec,
    ProbeSpec, ReadinessSpec, ServiceSpec, VolumeMount, VolumeSource,
};

/// Injected variables whose values change with every deploy or commit. They do not count when
/// a runtime decides whether a workload changed ([`ServiceSpec::change_basis`]): otherwise
/// every patch would replace every service. A service left as it is keeps the values of its
/// own last deploy.
pub const PER_DEPLOY_VARIABLES: &[&str] = &[
    "RELEASE_BUILD_ID",
    "RELEASE_COMMIT_SHA",
    "RELEASE_COMMIT_SHORT",
];

impl ServiceSpec {
    /// The spec as far as a change matters: without [`PER_DEPLOY_VARIABLES`]. Two deploys
    /// whose bases are equal leave the service as it is, on every runtime.
    pub fn change_basis(&self) -> ServiceSpec {
        let lasting = |env: &[EnvVar]| -> Vec<EnvVar> {
            env.iter()
                .filter(|v| !PER_DEPLOY_VARIABLES.contains(&v.key.as_str()))
                .cloned()
                .collect()
        };
        let containers = |list: &[ContainerSpec]| -> Vec<ContainerSpec> {
            list.iter()
                .map(|c| ContainerSpec {
                    env: lasting(&c.env),
                    ..c.clone()
                })
                .collect()
        };
        ServiceSpec {
            env: lasting(&self.env),
            init_containers: containers(&self.init_containers),
            sidecars: containers(&self.sidecars),
            ..self.clone()
        }
    }
}

/// Release's default for how long a job may run.
pub const DEFAULT_COMPLETED_TIMEOUT: Duration = Duration::from_secs(1200);

fn texts(values: &[Text]) -> Vec<String> {
    values.iter().map(|t| t.value.clone()).collect()
}

fn port(text: &Option<Text>) -> Option<u16> {
    text.as_ref().and_then(|t| t.as_str().trim().parse().ok())
}

fn probe(probe: &Option<Probe>) -> Option<ProbeSpec> {
    let probe = probe.as_ref()?;
    if let Some(exec) = &probe.exec {
        return Some(ProbeSpec::Exec {
            command: texts(&exec.command),
        });
    }
    let http = probe.http_get.as_ref()?;
    Some(ProbeSpec::HttpGet {
        path: http
            .url_path
            .as_ref()
            .map_or_else(|| "/".to_owned(), |p| p.value.clone()),
        port: port(&http.port)?,
    })
}

/// A readiness probe with the timing the template gives (`ReadinessSpec` says what is assumed
/// for what it leaves out).
fn readiness(spec: &Option<Probe>) -> Option<ReadinessSpec> {
    let settings = spec.as_ref()?;
    let seconds = |s: Option<u64>| s.map(|s| Duration::from_secs(s.max(1)));
    Some(ReadinessSpec {
        probe: probe(spec)?,
        initial_delay: Duration::from_secs(settings.initial_delay_seconds.unwrap_or(0)),
        period: seconds(settings.period_seconds),
        timeout: seconds(settings.timeout_seconds),
        failure_threshold: settings
            .failure_threshold
            .map(|n| u32::try_from(n.max(1)).unwrap_or(u32::MAX)),
    })
}

/// A liveness probe with Kubernetes' defaults for what the template leaves out.
fn liveness(spec: &Option<Probe>) -> Option<LivenessSpec> {
    let settings = spec.as_ref()?;
    Some(LivenessSpec {
        probe: probe(spec)?,
        initial_delay: Duration::from_secs(settings.initial_delay_seconds.unwrap_or(0)),
        period: Duration::from_secs(settings.period_seconds.unwrap_or(10).max(1)),
        failure_threshold: settings
            .failure_threshold
            .map_or(3, |n| u32::try_from(n.max(1)).unwrap_or(u32::MAX)),
    })
}

/// A Kubernetes memory quantity (`512Mi`, `1Gi`, `1G`, `1e9`, `100M`) in bytes; `None` when
/// it is not one.
pub fn parse_memory_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: f64 = match unit {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * scale;
    // Rounded down to whole bytes; the cast saturates.
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

/// A Kubernetes CPU quantity (`500m`, `1`, `0.5`, `128`) in thousandths of a CPU.
pub fn parse_cpu_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(millis) = text.strip_suffix('m') {
        return millis.parse().ok();
    }
    let cores: f64 = text.parse().ok()?;
    (cores.is_finite() && cores >= 0.0).then_some((cores * 1000.0).round() as u64)
}

/// The `limits` (or, with `pick` choosing them, the `requests`) of a workload's `memory` and
/// `cpu`, each its own or else the template's `resources` default.
fn quantities(
    template: &Template,
    memory: Option<&Quantities>,
    cpu: Option<&Quantities>,
    pick: fn(&Quantities) -> Option<&Text>,
) -> Limits {
    let defaults = template.resources.as_ref();
    let value = |own: Option<&Quantities>, default: Option<&Quantities>| {
        own.and_then(pick)
            .or_else(|| default.and_then(pick))
            .map(|t| t.value.clone())
    };
    Limits {
        memory_bytes: value(memory, defaults.and_then(|r| r.memory.as_ref()))
            .as_deref()
            .and_then(parse_memory_bytes),
        cpu_millis: value(cpu, defaults.and_then(|r| r.cpu.as_ref()))
            .as_deref()
            .and_then(parse_cpu_millis),
    }
}

fn limits(template: &Template, memory: Option<&Quantities>, cpu: Option<&Quantities>) -> Limits {
    quantities(template, memory, cpu, |q| q.limits.as_ref())
}

/// What is reserved ahead, never more than the limit (a default request above a workload's
/// own limit would be refused by Kubernetes; capped, it means what the template meant).
fn requests(template: &Template, memory: Option<&Quantities>, cpu: Option<&Quantities>) -> Limits {
    let wanted = quantities(template, memory, cpu, |q| q.requests.as_ref());
    let limits = limits(template, memory, cpu);
    let capped = |request: Option<u64>, limit: Option<u64>| match (request, limit) {
        (Some(request), Some(limit)) => Some(request.min(limit)),
        (request, _) => request,
    };
    Limits {
        memory_bytes: capped(wanted.memory_bytes, limits.memory_bytes),
        cpu_millis: capped(wanted.cpu_millis, limits.cpu_millis),
    }
}

/// The volumes a local runtime can give: persistent and shared ones as named volumes, shmem
/// in memory. S3 buckets have no local equivalent and are left out.
fn volumes(volumes: &[Volume]) -> Vec<VolumeMount> {
    volumes
        .iter()
        .filter_map(|volume| {
            Some(VolumeMount {
                source: volume_source(volume)?,
                mount_path: volume.mount_path.as_ref()?.value.clone(),
            })
        })
        .collect()
}

/// Where a volume's data lives; `None` for an S3 bucket.
fn volume_source(volume: &Volume) -> Option<VolumeSource> {
    if let Some(claim) = &volume.claim {
        return Some(VolumeSource::Shared {
            name: claim.value.clone(),
        });
    }
    Some(match volume.kind.as_ref().map(Text::as_str) {
        Some("shmem") => VolumeSource::Memory {
            size_bytes: volume
                .size
                .as_ref()
                .and_then(|s| parse_memory_bytes(s.as_str())),
        },
        Some("s3") => return None,
        _ => VolumeSource::Persistent {
            name: volume.name.as_ref()?.value.clone(),
        },
    })
}

/// Each service's init containers and sidecars, made against the services already resolved:
/// the image given, or that of `from_services`, or the service's own; the service's variables
/// with the container's own `envs` over them; the service's volumes it names, at its paths.
fn attach(template: &Template, out: &mut Workloads) {
    let lists = [
        (&template.init_containers, false),
        (&template.sidecars, true),
    ];
    for (list, sidecar) in lists {
        for container in list {
            let (Some(name), Some(service)) = (&container.name, &container.service) else {
                continue;
            };
            let Some(owner) = out.services.get(service.as_str()) else {
                continue;
            };
            let from = container
                .from_services
                .as_ref()
                .and_then(|f| out.services.get(f.as_str()));
            let (image, built) = match (&container.image, from) {
                (Some(image), _) => (image.value.clone(), false),
                (None, Some(from)) => (from.image.clone(), from.built),
                (None, None) => (owner.image.clone(), owner.built),
            };
            let mut env = owner.env.clone();
            for var in &container.envs {
                let Some(key) = &var.key else { continue };
                env.retain(|v| v.key != key.value);
                env.push(EnvVar {
                    key: key.value.clone(),
                    value: var
                        .value
                        .as_ref()
                        .map(|v| v.value.clone())
                        .unwrap_or_default(),
                    secret: var.secret == Some(true),
                });
            }
            let owned = template
                .services
                .iter()
                .find(|s| s.name.as_ref() == Some(service))
                .map(|s| s.volumes.as_slice())
                .unwrap_or_default();
            let volumes = container
                .volumes
                .iter()
                .filter_map(|wanted| {
                    let name = wanted.name.as_ref()?;
                    let volume = owned.iter().find(|v| {
                        v.name.as_ref().or(v.claim.as_ref()).map(Text::as_str)
                            == Some(name.as_str())
                    })?;
                    Some(VolumeMount {
                        source: volume_source(volume)?,
                        mount_path: wanted.mount_path.as_ref()?.value.clone(),
                    })
                })
                .collect();
            let spec = ContainerSpec {
                name: name.value.clone(),
                image,
                built,
                command: texts(&container.command),
                args: texts(&container.args),
                env,
                volumes,
                limits: limits(template, container.memory.as_ref(), container.cpu.as_ref()),
                requests: requests(template, container.memory.as_ref(), container.cpu.as_ref()),
                from_service: match (&container.image, &container.from_services) {
                    (Some(_), _) => None,
                    (None, Some(from)) => Some(from.value.clone()),
                    (None, None) => Some(service.value.clone()),
                },
            };
            if let Some(owner) = out.services.get_mut(service.as_str()) {
                if sidecar {
                    owner.sidecars.push(spec);
                } else {
                    owner.init_containers.push(spec);
                }
            }
        }
    }
}

fn env_of(envs: &HashMap<&str, &WorkloadEnv>, workload: &str) -> Vec<EnvVar> {
    envs.get(workload)
        .map(|env| {
            env.vars()
                .map(|v| EnvVar {
                    key: v.key.clone(),
                    value: v.value.clone(),
                    secret: v.secret,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn service_spec(
    template: &Template,
    service: &Service,
    name: &str,
    env: Vec<EnvVar>,
) -> ServiceSpec {
    let replicas = service
        .replicas
        .or_else(|| template.resources.as_ref().and_then(|r| r.replicas))
        .unwrap_or(1);
    if service.is_static_site() {
        // Its image is the site's build, run as the image says (Stagecraft's file server),
        // which reads no variable: they went to the site's build (a change builds it again).
        return ServiceSpec {
            env: Vec::new(),
            command: Vec::new(),
            args: Vec::new(),
            ports: crate::site::static_ports(),
            readiness: Some(crate::site::static_readiness()),
            liveness: None,
            ..service_spec(template, &container_of(service), name, Vec::new())
        };
    }
    ServiceSpec {
        name: name.to_owned(),
        image: service
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default(),
        built: false,
        command: texts(&service.command),
        args: texts(&service.args),
        env,
        ports: service
            .ports
            .iter()
            .filter_map(|p| {
                let exposed = p.kind.as_ref().is_some_and(|k| k.as_str() == "node_port");
                // A node_port listens on `target_port` in the container; `port` is the
                // outside port.
                let container = if exposed {
                    port(&p.target_port).or(port(&p.port))
                } else {
                    port(&p.port)
                };
                container.map(|container_port| PortSpec {
                    container_port,
                    exposed,
                })
            })
            .collect(),
        replicas: u32::try_from(replicas).unwrap_or(u32::MAX),
        readiness: readiness(&service.readiness_probe),
        liveness: liveness(&service.liveness_probe),
        volumes: volumes(&service.volumes),
        limits: limits(template, service.memory.as_ref(), service.cpu.as_ref()),
        requests: requests(template, service.memory.as_ref(), service.cpu.as_ref()),
        node_selector: node_selector(template, &service.node_selector),
        config_files: service
            .configmap
            .iter()
            .filter_map(|entry| {
                Some(ConfigFile {
                    name: entry.name.as_ref()?.value.clone(),
                    repo_path: entry.repo_path.as_ref()?.value.clone(),
                    mount_path: entry.mount_path.as_ref()?.value.clone(),
                    content: String::new(),
                })
            })
            .collect(),
        init_containers: Vec::new(),
        sidecars: Vec::new(),
    }
}

/// A static service read as the container service it becomes: without the keys the site's
/// image decides (the static ones, `image`, `build`).
fn container_of(service: &Service) -> Service {
    Service {
        is_static: None,
        image: None,
        build: None,
        ..service.clone()
    }
}

/// The app-wide `node_selector` with the workload's own on top (its keys win), sorted by key.
fn node_selector(
    template: &Template,
    own: &[stagecraft_template::NodeSelector],
) -> Vec<(String, String)> {
    let mut merged = std::collections::BTreeMap::new();
    for entry in template.node_selector.iter().chain(own) {
        if let (Some(key), Some(value)) = (&entry.key, &entry.value) {
            merged.insert(key.value.clone(), value.value.clone());
        }
    }
    merged.into_iter().collect()
}

/// Each service's first `node_port` (a static service's file server), as the container port it listens on: what a runtime
/// publishes, and what `<SERVICE>_INGRESS_URL` points at.
pub fn exposed_ports(template: &Template) -> Vec<(String, u16)> {
    template
        .services
        .iter()
        .filter_map(|service| {
            let name = service.name.as_ref()?;
            if service.is_static_site() {
                return Some((name.value.clone(), crate::site::STATIC_SITE_PORT));
            }
            let port = service.ports.iter().find_map(|p| {
                p.kind
                    .as_ref()
                    .is_some_and(|k| k.as_str() == "node_port")
                    .then(|| port(&p.target_port).or(port(&p.port)))
                    .flatten()
            })?;
            Some((name.value.clone(), port))
        })
        .collect()
}

/// The services and jobs of `template` with their final variables (`envs`, from
/// `stagecraft_template::resolve_variables`). A job made `from_services` takes that service's
/// image, command and arguments unless it gives its own.
pub fn workloads(template: &Template, envs: &[WorkloadEnv]) -> Workloads {
    let envs: HashMap<&str, &WorkloadEnv> = envs.iter().map(|e| (e.workload.as_str(), e)).collect();
    let mut out = Workloads::default();
    for service in &template.services {
        let Some(name) = &service.name else { continue };
        let env = env_of(&envs, &format!("services.{name}"));
        out.services.insert(
            name.value.clone(),
            service_spec(template, service, name.as_str(), env),
        );
    }
    attach(template, &mut out);
    for job in &template.jobs {
        let Some(name) = &job.name else { continue };
        let fields = JobFields {
            from_services: job.from_services.as_ref(),
            image: job.image.as_ref(),
            command: &job.command,
            args: &job.args,
            completed_timeout: job.completed_timeout,
            volumes: &job.volumes,
            memory: job.memory.as_ref(),
            cpu: job.cpu.as_ref(),
            node_selector: &job.node_selector,
        };
        let env = env_of(&envs, &format!("jobs.{name}"));
        let spec = job_spec(template, &out, name.as_str(), &fields, env);
        out.jobs.insert(name.value.clone(), spec);
    }
    for job in &template.cron_jobs {
        let (Some(name), Some(schedule)) = (&job.name, &job.schedule) else {
            continue;
        };
        let fields = JobFields {
            from_services: job.from_services.as_ref(),
            image: job.image.as_ref(),
            command: &job.command,
            args: &job.args,
            completed_timeout: job.completed_timeout,
            volumes: &job.volumes,
            memory: job.memory.as_ref(),
            cpu: job.cpu.as_ref(),
            node_selector: &job.node_selector,
        };
        let env = env_of(&envs, &format!("cron_jobs.{name}"));
        let spec = job_spec(template, &out, name.as_str(), &fields, env);
        out.cron_jobs.insert(
            name.value.clone(),
            CronJobSpec {
                job: spec,
                // As a cluster reads it (a macro in lower case); checked by validation.
                schedule: stagecraft_template::Schedule::parse(schedule.as_str()).map_or_else(
                    |_| schedule.value.trim().to_owned(),
                    |s| s.as_str().to_owned(),
                ),
            },
        );
    }
    out
}

/// What a job and a cron job have alike.
struct JobFields<'a> {
    from_services: Option<&'a Text>,
    image: Option<&'a Text>,
    command: &'a [Text],
    args: &'a [Text],
    completed_timeout: Option<u64>,
    volumes: &'a [Volume],
    memory: Option<&'a Quantities>,
    cpu: Option<&'a Quantities>,
    node_selector: &'a [stagecraft_template::NodeSelector],
}

/// A job (or a cron job's run): made `from_services` a service, it takes that service's image,
/// command, arguments, volumes, node selector and configmap files unless it gives its own.
fn job_spec(
    template: &Template,
    workloads: &Workloads,
    name: &str,
    job: &JobFields<'_>,
    env: Vec<EnvVar>,
) -> JobSpec {
    let from = job
        .from_services
        .and_then(|f| workloads.services.get(f.as_str()));
    let own = |values: &[Text], inherited: Option<&Vec<String>>| {
        if values.is_empty() {
            inherited.cloned().unwrap_or_default()
        } else {
            texts(values)
        }
    };
    JobSpec {
        name: name.to_owned(),
        image: job
            .image
            .map(|i| i.value.clone())
            .or_else(|| from.map(|s| s.image.clone()))
            .unwrap_or_default(),
        built: job.image.is_none() && from.is_some_and(|s| s.built),
        command: own(job.command, from.map(|s| &s.command)),
        args: own(job.args, from.map(|s| &s.args)),
        env,
        completed_timeout: job
            .completed_timeout
            .map_or(DEFAULT_COMPLETED_TIMEOUT, Duration::from_secs),
        volumes: if job.volumes.is_empty() {
            from.map(|s| s.volumes.clone()).unwrap_or_default()
        } else {
            volumes(job.volumes)
        },
        limits: limits(template, job.memory, job.cpu),
        requests: requests(template, job.memory, job.cpu),
        node_selector: if job.node_selector.is_empty() {
            from.map(|s| s.node_selector.clone())
                .unwrap_or_else(|| node_selector(template, &[]))
        } else {
            node_selector(template, job.node_selector)
        },
        config_files: from.map(|s| s.config_files.clone()).unwrap_or_default(),
    }
}
