//! What an environment's Docker objects are called: its network, volumes and containers (in
//! names Docker accepts), the digest of a workload's spec that a service container's name
//! carries, the ledger's entry for an object, and a listed container's name.

use bollard::models::ContainerSummary;
use sha2::{Digest as _, Sha256};
use stagecraft_engine::{RuntimeError, RuntimeObject, VolumeSource};

/// The network of environment `env_id`.
pub fn network_name(env_id: &str) -> String {
    format!("stagecraft-{}", docker_safe(env_id))
}

pub(super) fn volume_name(env_id: &str, source: &VolumeSource) -> Option<String> {
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

pub(super) fn service_container(env_id: &str, service: &str, config: &str, replica: u32) -> String {
    format!(
        "stagecraft-{}-{}-{config}-{replica}",
        docker_safe(env_id),
        docker_safe(service)
    )
}

pub(super) fn job_container(env_id: &str, job: &str) -> String {
    format!(
        "stagecraft-{}-job-{}",
        docker_safe(env_id),
        docker_safe(job)
    )
}

/// Docker names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub(super) fn docker_safe(name: &str) -> String {
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

pub(super) fn config_digest(spec: &impl serde::Serialize) -> Result<String, RuntimeError> {
    let bytes = serde_json::to_vec(spec)
        .map_err(|e| RuntimeError::new(format!("the workload's spec cannot be read: {e}")))?;
    Ok(Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect())
}

pub(super) fn object(kind: &str, name: &str) -> RuntimeObject {
    RuntimeObject {
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

pub(super) fn summary_name(summary: &ContainerSummary) -> String {
    summary
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_default()
}
