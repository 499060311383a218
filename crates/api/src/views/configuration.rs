//! Configuration versions and workloads' final variables.

use serde::Serialize;
use ts_rs::TS;

/// One saved version of an environment's configuration.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigVersionView {
    /// `v{default}.{specific}`.
    pub version: String,
    #[ts(type = "number")]
    pub specific: i64,
    pub config_yaml: String,
    pub created_at: String,
    /// With GitOps, where it comes from and is edited (`.release/application_template.yaml on
    /// branch main`); null when it is edited here.
    pub follows: Option<String>,
    /// For the newest version: each key its runtime does not carry out, located
    /// (`ted1bc4 configuration:12:5: warning: charts: …`). Empty for older versions.
    pub warnings: Vec<String>,
    /// The values its parameters were given.
    pub parameters: std::collections::BTreeMap<String, String>,
}

impl From<crate::ConfigVersion> for ConfigVersionView {
    fn from(config: crate::ConfigVersion) -> Self {
        Self {
            version: config.version,
            specific: config.specific,
            config_yaml: config.config_yaml,
            created_at: config.created_at,
            follows: config.follows,
            warnings: config.warnings.iter().map(ToString::to_string).collect(),
            parameters: config.parameters,
        }
    }
}

/// A workload's final variables; a secret's value is masked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadVarsView {
    /// `services.<name>` or `jobs.<name>`.
    pub workload: String,
    pub vars: Vec<VariableView>,
    /// How the workload reads them when not as its container's environment.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VariableView {
    pub key: String,
    pub value: String,
    pub secret: bool,
}

impl From<crate::WorkloadVars> for WorkloadVarsView {
    fn from(vars: crate::WorkloadVars) -> Self {
        Self {
            workload: vars.workload,
            note: vars.note,
            vars: vars
                .vars
                .into_iter()
                .map(|v| VariableView {
                    key: v.key,
                    value: v.value,
                    secret: v.secret,
                })
                .collect(),
        }
    }
}
