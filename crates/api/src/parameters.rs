//! Parameters: the template's inputs, given when an environment is created and kept with it,
//! per configuration version. Changing one saves a new version of the environment's
//! configuration, so its next deploy runs setup, as for any configuration change.

use std::collections::BTreeMap;

use serde::Serialize;
use stagecraft_engine::Environment;
use stagecraft_template::{ParameterSpec, Template};
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// A parameter of a template, with the value an environment gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ParameterView {
    pub name: String,
    pub description: Option<String>,
    pub default: Option<String>,
    /// No default and not optional: an environment needs a value.
    pub required: bool,
    /// The value the environment was given; none: it takes the default (or, for an app, no
    /// environment asked about).
    pub given: Option<String>,
    /// What `${parameters.<name>}` reads: the given value, else the default, else empty;
    /// none when a required one has no value.
    pub value: Option<String>,
}

/// Given values as kept with a configuration version.
pub(crate) fn to_json(given: &BTreeMap<String, String>) -> String {
    serde_json::to_string(given).unwrap_or_else(|_| "{}".to_owned())
}

fn from_json(env: &Environment, json: &str) -> Result<BTreeMap<String, String>, Error> {
    serde_json::from_str(json).map_err(|e| Error::Conflict {
        message: format!(
            "the parameters kept for {} cannot be read ({e}): set them again with \
             `stagecraft environments params-set`",
            env.env_id
        ),
    })
}

/// Each parameter's name and value.
pub(crate) type Values = Vec<(String, String)>;

/// The value of each of `template`'s parameters for `env`, from the values kept with its
/// configuration version (`parameters_json`) and the defaults; a required one without a value
/// is empty here and named in the second list (a deploy that runs the environment refuses to
/// start then; a teardown and the read-only views go on).
pub(crate) fn values_of(
    env: &Environment,
    template: &Template,
    parameters_json: &str,
) -> Result<(Values, Vec<String>), Error> {
    let given = from_json(env, parameters_json)?;
    let specs = stagecraft_template::declared_parameters(template);
    match stagecraft_template::parameter_values(&specs, &given) {
        Ok(values) => Ok((values, Vec::new())),
        Err(stagecraft_template::ParameterProblem::Missing { names }) => {
            let values = specs
                .iter()
                .map(|spec| {
                    let value = given
                        .get(&spec.name)
                        .or(spec.default.as_ref())
                        .cloned()
                        .unwrap_or_default();
                    (spec.name.clone(), value)
                })
                .collect();
            Ok((values, names))
        }
        // Names no longer declared are left out by `parameter_values`: never this.
        Err(problem @ stagecraft_template::ParameterProblem::Unknown { .. }) => {
            Err(Error::Conflict {
                message: format!("{}: {problem}", env.env_id),
            })
        }
    }
}

/// Why `env` cannot run while `missing` parameters have no value, and what to do.
pub(crate) fn missing_error(env: &Environment, missing: &[String]) -> Error {
    Error::Conflict {
        message: format!(
            "{}: {}; set {} with `stagecraft environments params-set {} {}=VALUE`",
            env.env_id,
            stagecraft_template::ParameterProblem::Missing {
                names: missing.to_vec()
            },
            if missing.len() == 1 { "it" } else { "them" },
            env.env_id,
            missing.first().map_or("NAME", String::as_str),
        ),
    }
}

fn views(specs: Vec<ParameterSpec>, given: &BTreeMap<String, String>) -> Vec<ParameterView> {
    specs
        .into_iter()
        .map(|spec| {
            let given = given.get(&spec.name).cloned();
            let value = given
                .clone()
                .or_else(|| spec.default.clone())
                .or_else(|| (!spec.required).then(String::new));
            ParameterView {
                name: spec.name,
                description: spec.description,
                default: spec.default,
                required: spec.required,
                given,
                value,
            }
        })
        .collect()
}

impl Stagecraft {
    /// The parameters an environment of `app` made from `environment_template` is created
    /// with: its latest template merged with that environment template, as creating does.
    pub async fn app_parameters(
        &self,
        app: &str,
        environment_template: &str,
    ) -> Result<Vec<ParameterView>, Error> {
        let app = self.find_app(app).await?;
        let (config, template) = self.app_template(&app).await?;
        let own = stagecraft_template::environment_config(
            &template,
            environment_template,
            &config.template_file,
        )
        .map_err(|d| Error::Invalid { diagnostics: d.0 })?;
        Ok(views(
            stagecraft_template::declared_parameters(&own),
            &BTreeMap::new(),
        ))
    }

    /// The parameters of `env_id`'s configuration, with the values it was given.
    pub async fn parameters(&self, env_id: &str) -> Result<Vec<ParameterView>, Error> {
        let env = self.environment(env_id).await?;
        let (template, given) = self.current_parameters(&env).await?;
        Ok(views(
            stagecraft_template::declared_parameters(&template),
            &given,
        ))
    }

    /// Gives `env_id`'s parameters the values `set` and takes back those named in `unset`
    /// (they take their default again), as a new version of its configuration: its next
    /// deploy runs setup. Names the template does not declare, and a required parameter
    /// left without a value, are refused; nothing changes then.
    pub async fn set_parameters(
        &self,
        env_id: &str,
        set: BTreeMap<String, String>,
        unset: Vec<String>,
    ) -> Result<Vec<ParameterView>, Error> {
        let env = self.environment(env_id).await?;
        crate::environment::ensure_standing(&env)?;
        let (template, mut given) = self.current_parameters(&env).await?;
        let specs = stagecraft_template::declared_parameters(&template);
        let named: BTreeMap<String, String> = set
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(unset.iter().map(|k| (k.clone(), String::new())))
            .collect();
        stagecraft_template::check_parameter_names(&specs, &named).map_err(|problem| {
            Error::InvalidRequest {
                field: "parameters",
                message: problem.to_string(),
            }
        })?;
        let before = given.clone();
        for name in &unset {
            given.remove(name);
        }
        given.extend(set);
        stagecraft_template::parameter_values(&specs, &given).map_err(|problem| {
            Error::InvalidRequest {
                field: "parameters",
                message: format!("{problem}: give it as NAME=VALUE instead"),
            }
        })?;
        if given == before {
            // Nothing changes: no new version, no setup.
            return self.parameters(env_id).await;
        }
        let saved = stagecraft_store::environment::insert_parameters(
            self.store.pool(),
            env.id,
            env.version.specific,
            &to_json(&given),
        )
        .await?;
        if saved.is_none() {
            return Err(Error::Conflict {
                message: format!(
                    "the configuration of {env_id} changed while the parameters were being set: \
                     nothing was saved; look at them again and set them again"
                ),
            });
        }
        self.parameters(env_id).await
    }

    /// The template of `env`'s current configuration and the parameters' values kept with it.
    async fn current_parameters(
        &self,
        env: &Environment,
    ) -> Result<(Template, BTreeMap<String, String>), Error> {
        let config =
            stagecraft_store::environment::config(self.store.pool(), env.id, env.version.specific)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "configuration",
                    name: format!("{} of {}", env.version, env.env_id),
                })?;
        let file = format!("{} configuration {}", env.env_id, env.version);
        let loaded = stagecraft_template::load_config(&file, &config.config_yaml);
        let Some(template) = loaded.value.filter(|_| !loaded.diagnostics.has_errors()) else {
            return Err(Error::Invalid {
                diagnostics: loaded.diagnostics.0,
            });
        };
        Ok((template, from_json(env, &config.parameters_json)?))
    }
}
