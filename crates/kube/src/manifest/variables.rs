//! A workload's variables: plain ones as values, secret ones from its Secret (an init
//! container's or a sidecar's under its own name in its service's Secret).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, Secret, SecretKeySelector};
use stagecraft_engine::{ContainerSpec, EnvVar as Variable};

use super::{Owner, secret_name};

pub(super) fn env(workload: &str, variables: &[Variable]) -> Option<Vec<EnvVar>> {
    env_of(workload, variables, None)
}

/// The Secret key of a variable: its name, under its container's name for an init container
/// or a sidecar (`helper.TOKEN`), whose variables share their service's Secret.
fn variable_key(container: Option<&str>, key: &str) -> String {
    secret_key(&container.map_or_else(|| key.to_owned(), |c| format!("{c}.{key}")))
}

pub(super) fn env_of(
    workload: &str,
    variables: &[Variable],
    container: Option<&str>,
) -> Option<Vec<EnvVar>> {
    let vars: Vec<EnvVar> = variables
        .iter()
        .map(|v| {
            if v.secret {
                EnvVar {
                    name: v.key.clone(),
                    value_from: Some(EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: secret_name(workload),
                            key: variable_key(container, &v.key),
                            ..SecretKeySelector::default()
                        }),
                        ..EnvVarSource::default()
                    }),
                    ..EnvVar::default()
                }
            } else {
                EnvVar {
                    name: v.key.clone(),
                    value: Some(v.value.clone()),
                    ..EnvVar::default()
                }
            }
        })
        .collect();
    (!vars.is_empty()).then_some(vars)
}

/// A Secret's keys allow letters, digits, `-`, `_` and `.`.
fn secret_key(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) fn secret(
    owner: &Owner,
    workload: &str,
    variables: &[Variable],
    attached: &[&ContainerSpec],
) -> Option<Secret> {
    let own = variables.iter().map(|v| (None, v));
    let theirs = attached
        .iter()
        .flat_map(|c| c.env.iter().map(|v| (Some(c.name.as_str()), v)));
    let data: BTreeMap<String, String> = own
        .chain(theirs)
        .filter(|(_, v)| v.secret)
        .map(|(container, v)| (variable_key(container, &v.key), v.value.clone()))
        .collect();
    (!data.is_empty()).then(|| Secret {
        metadata: owner.meta(&secret_name(workload), Some(workload)),
        string_data: Some(data),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    })
}
