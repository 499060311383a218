//! An environment's removal by its ledger: containers first, then volumes, then the network,
//! each removed only when it carries the environment's label.
//!
//! Within a kind, objects go together, up to 8 at a time, and each container is stopped with a
//! 10 s grace first, so a teardown costs about one container's stop rather than the sum of
//! them.

use bollard::Docker;
use bollard::query_parameters::{
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt as _;
use stagecraft_engine::{EnvironmentRef, RuntimeError};

use super::errors::{failed, is_status};
use super::names::docker_safe;
use super::{DockerRuntime, LABEL_ENV, STOP_GRACE_SECS, owned_by};

impl DockerRuntime {
    /// Removes everything the environment's ledger holds, and nothing else.
    pub(super) async fn tear_down(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
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

    /// Disconnects every container on the environment's networks that its ledger does not
    /// record (`environments delete --force`); gives `container from network` for each.
    pub(super) async fn disconnect_foreign(
        &self,
        env: &EnvironmentRef,
    ) -> Result<Vec<String>, RuntimeError> {
        let docker = self.client().await?;
        let entries = env.ledger.entries().await?;
        let ours: Vec<&str> = entries
            .iter()
            .filter(|e| e.kind == "container")
            .map(|e| e.name.as_str())
            .collect();
        let mut disconnected = Vec::new();
        for network in entries.iter().filter(|e| e.kind == "network") {
            let inspect = match docker
                .inspect_network(
                    &network.name,
                    None::<bollard::query_parameters::InspectNetworkOptions>,
                )
                .await
            {
                Ok(inspect) => inspect,
                Err(error) if is_status(&error, 404) => continue,
                Err(error) => {
                    return Err(failed(
                        format!("inspecting network {}", network.name),
                        error,
                    ));
                }
            };
            for (id, endpoint) in inspect.containers.unwrap_or_default() {
                let name = endpoint.name.unwrap_or_else(|| id.clone());
                if ours.contains(&name.as_str()) {
                    continue;
                }
                docker
                    .disconnect_network(
                        &network.name,
                        bollard::models::NetworkDisconnectRequest {
                            container: id,
                            force: Some(true),
                        },
                    )
                    .await
                    .map_err(|e| {
                        failed(
                            format!("disconnecting {name} from network {}", network.name),
                            e,
                        )
                    })?;
                disconnected.push(format!("{name} from network {}", network.name));
            }
        }
        Ok(disconnected)
    }
}

/// Why the network could not go, naming the containers still attached to it: none of them is
/// in the environment's ledger (its own are removed before its networks, or the teardown
/// stops there), so only their owner should disconnect them.
async fn network_held(docker: &Docker, name: &str) -> Option<String> {
    let held: Vec<String> = docker
        .inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .ok()
        .and_then(|n| n.containers)
        .map(|c| {
            c.into_iter()
                .map(|(id, e)| e.name.unwrap_or_else(|| id.chars().take(12).collect()))
                .collect()
        })
        .unwrap_or_default();
    let first = held.first()?;
    let them = if held.len() == 1 { "it" } else { "them" };
    Some(format!(
        "it is still used by {} (not recorded as this environment's): disconnect {them} \
         (docker network disconnect {name} {first}) and tear it down again, or tear it down \
         with --force, which disconnects {them}",
        held.join(", "),
    ))
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
                Err(error) if entry.kind == "network" && is_status(&error, 403) => {
                    let mut failure = failed(format!("removing network {name}"), error);
                    if let Some(held) = network_held(docker, name).await {
                        failure.message = format!("{}: {held}", failure.message);
                    }
                    return Err(failure);
                }
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
