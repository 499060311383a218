//! From an environment's configuration and resolved variables to what the runtime is given.

use std::collections::HashMap;
use std::time::Duration;

use stagecraft_template::{Probe, Service, Template, Text, WorkloadEnv};

use crate::runner::Workloads;
use crate::runtime::{EnvVar, JobSpec, PortSpec, ProbeSpec, ServiceSpec};

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

fn env_of(envs: &HashMap<&str, &WorkloadEnv>, workload: &str) -> Vec<EnvVar> {
    envs.get(workload)
        .map(|env| {
            env.vars
                .iter()
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
    ServiceSpec {
        name: name.to_owned(),
        image: service
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default(),
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
        readiness: probe(&service.readiness_probe),
    }
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
    for job in &template.jobs {
        let Some(name) = &job.name else { continue };
        let from = job
            .from_services
            .as_ref()
            .and_then(|f| out.services.get(f.as_str()))
            .cloned();
        let own = |values: &[Text], inherited: Option<&Vec<String>>| {
            if values.is_empty() {
                inherited.cloned().unwrap_or_default()
            } else {
                texts(values)
            }
        };
        out.jobs.insert(
            name.value.clone(),
            JobSpec {
                name: name.value.clone(),
                image: job
                    .image
                    .as_ref()
                    .map(|i| i.value.clone())
                    .or_else(|| from.as_ref().map(|s| s.image.clone()))
                    .unwrap_or_default(),
                command: own(&job.command, from.as_ref().map(|s| &s.command)),
                args: own(&job.args, from.as_ref().map(|s| &s.args)),
                env: env_of(&envs, &format!("jobs.{name}")),
                completed_timeout: job
                    .completed_timeout
                    .map_or(DEFAULT_COMPLETED_TIMEOUT, Duration::from_secs),
            },
        );
    }
    out
}
