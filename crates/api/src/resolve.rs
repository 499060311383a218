//! An environment's configuration at one version, read and resolved the one way every reader
//! uses it: the deploy that runs it, the Variables tab and the service URLs. A template that
//! does not validate, or a variables file with errors, is refused by all of them alike, with
//! the diagnostics; none of them quietly reads less than the others.

use stagecraft_engine::{Environment, Version};
use stagecraft_store::environment;
use stagecraft_template::{Injected, Template, VariablesFile, WorkloadEnv};

use crate::runtimes::runtime_ingress;
use crate::{Error, Stagecraft};

/// A configuration read and checked, with what Stagecraft injects into it.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// Names the configuration in every diagnostic: `ted1bc4 configuration v1.2`.
    pub file: String,
    pub template: Template,
    /// Its variables, secrets opened.
    pub variables: VariablesFile,
    /// `RELEASE_*`, and each `node_port`'s address as the environment's runtime gives it (the
    /// template's hostnames while this Stagecraft does not have that runtime). A deploy adds
    /// the build and commit it deploys.
    pub injected: Injected,
    /// Required parameters without a value (empty in `injected`): a deploy that runs the
    /// environment refuses to start; a teardown goes on.
    pub missing_parameters: Vec<String>,
}

impl Resolved {
    /// Each workload's final variables, with `injected` (this configuration's, or a deploy's
    /// with its build).
    pub(crate) fn envs_with(&self, injected: &Injected) -> Result<Vec<WorkloadEnv>, Error> {
        stagecraft_template::resolve_variables(
            &self.template,
            &self.variables,
            injected,
            &self.file,
        )
        .map_err(|d| Error::Invalid { diagnostics: d.0 })
    }
}

impl Stagecraft {
    /// `env`'s configuration at `version` (its current one when `None`), resolved.
    pub(crate) async fn resolve(
        &self,
        env: &Environment,
        version: Option<i64>,
    ) -> Result<Resolved, Error> {
        let specific = version.unwrap_or(env.version.specific);
        let config = environment::config(self.store.pool(), env.id, specific)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "configuration",
                name: format!("v{}.{specific} of {}", env.version.default, env.env_id),
            })?;
        let version = Version {
            default: config.default_version.unwrap_or(env.version.default),
            specific,
        };
        let file = format!("{} configuration {version}", env.env_id);
        let template = stagecraft_template::load_config(&file, &config.config_yaml);
        let Some(mut template) = template
            .value
            .filter(|_| !template.diagnostics.has_errors())
        else {
            return Err(Error::Invalid {
                diagnostics: template.diagnostics.0,
            });
        };
        let variables = stagecraft_template::parse_variables(&file, &config.variables_yaml);
        let Some(variables) = variables
            .value
            .filter(|_| !variables.diagnostics.has_errors())
        else {
            return Err(Error::Invalid {
                diagnostics: variables.diagnostics.0,
            });
        };
        let variables = self.sealer.unseal_variables(&variables)?;
        let mut injected = Injected::for_environment(&template, &env.env_id, &env.app, &env.branch);
        injected.environment.clone_from(&env.environment_template);
        if let Some(runtime) = self.runtimes.get(&env.runtime) {
            runtime_ingress(&**runtime, &template, &env.env_id, &mut injected);
        }
        // The parameters' values: the variables are read with them as they are resolved, the
        // init containers' and sidecars' here.
        let (parameters, missing_parameters) =
            crate::parameters::values_of(env, &template, &config.parameters_json)?;
        injected.parameters = parameters;
        stagecraft_template::apply_parameters(&mut template, &injected.parameters).map_err(
            |name| Error::Conflict {
                message: format!(
                    "{file} reads `${{parameters.{name}}}`, which has no value: set it with \
                     `stagecraft environments params-set {} {name}=VALUE`",
                    env.env_id
                ),
            },
        )?;
        Ok(Resolved {
            file,
            template,
            variables,
            injected,
            missing_parameters,
        })
    }
}
