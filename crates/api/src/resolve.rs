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
    /// What the environment runs: its own configuration with the apps it imports.
    pub template: Template,
    /// Its own configuration alone: what its repository builds.
    pub own: Template,
    /// The apps it imports, each read from its branch.
    pub imports: Vec<crate::imports::Import>,
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
    /// An imported app's workloads read its own variables, with its own name, branch,
    /// commit and parameters as `RELEASE_*` and `${parameters.*}`.
    pub(crate) fn envs_with(&self, injected: &Injected) -> Result<Vec<WorkloadEnv>, Error> {
        let mut envs = stagecraft_template::resolve_variables(
            &self.own,
            &self.variables,
            injected,
            &self.file,
        )
        .map_err(|d| Error::Invalid { diagnostics: d.0 })?;
        for import in &self.imports {
            let mut theirs = injected.clone();
            theirs.app.clone_from(&import.app);
            theirs.branch.clone_from(&import.branch);
            // An app read from its working tree has no commit to name.
            theirs.commit_sha = import.commit.clone().unwrap_or_else(|| "0".repeat(40));
            theirs.parameters.clone_from(&import.parameters);
            envs.extend(
                stagecraft_template::resolve_variables(
                    &import.template,
                    &import.variables,
                    &theirs,
                    &import.file,
                )
                .map_err(|d| Error::Invalid { diagnostics: d.0 })?,
            );
        }
        Ok(envs)
    }

    /// Where the files of `workload` (a service's or job's name) are read: its app's tree,
    /// `own` for the environment's own app.
    pub(crate) fn tree_of<'a>(
        &'a self,
        workload: &str,
        own: &'a std::path::Path,
    ) -> &'a std::path::Path {
        self.imports
            .iter()
            .find(|i| i.has_workload(workload))
            .map_or(own, |i| i.tree.as_path())
    }
}

impl Stagecraft {
    /// `env`'s configuration at `version` (its current one when `None`), resolved.
    pub(crate) async fn resolve(
        &self,
        env: &Environment,
        version: Option<i64>,
    ) -> Result<Resolved, Error> {
        self.resolve_as(env, version, true).await
    }

    /// As [`Stagecraft::resolve`]; without `strict`, imported apps that cannot be read,
    /// composed or resolved are left out (logged) rather than refusing: what a teardown reads
    /// (it removes every object of the environment whatever app made it), and the health
    /// round's list of services.
    pub(crate) async fn resolve_as(
        &self,
        env: &Environment,
        version: Option<i64>,
        strict: bool,
    ) -> Result<Resolved, Error> {
        self.resolve_at(env, version, strict, None).await
    }

    /// As [`Stagecraft::resolve_as`], the imported apps read at the commits the build `built`
    /// read (a deploy that runs its images again runs its files too).
    pub(crate) async fn resolve_at(
        &self,
        env: &Environment,
        version: Option<i64>,
        strict: bool,
        built: Option<i64>,
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
        // The parameters' values: the variables are read with them as they are resolved, the
        // init containers' and sidecars' here.
        let (parameters, missing_parameters) =
            crate::parameters::values_of(env, &template, &config.parameters_json)?;
        stagecraft_template::apply_parameters(&mut template, &parameters).map_err(|name| {
            Error::Conflict {
                message: format!(
                    "{file} reads `${{parameters.{name}}}`, which has no value: set it with \
                     `stagecraft environments params-set {} {name}=VALUE`",
                    env.env_id
                ),
            }
        })?;
        let built = match built {
            Some(build) => stagecraft_store::import::built(self.store.pool(), build).await?,
            None => Vec::new(),
        };
        let mut imports = match self
            .imports_of(env, &template, &file, &parameters, &built)
            .await
        {
            Ok(imports) => imports,
            Err(error) if !strict => {
                tracing::warn!(%error, env = %env.env_id, "imported apps left out: a teardown or a status read goes on without them");
                Vec::new()
            }
            Err(error) => return Err(error),
        };
        let own = template;
        let composed = if imports.is_empty() {
            Ok(own.clone())
        } else {
            let parts: Vec<stagecraft_template::ImportedPart> = imports
                .iter()
                .map(|i| stagecraft_template::ImportedPart {
                    app: i.app.clone(),
                    file: i.file.clone(),
                    template: i.template.clone(),
                    located: i.located.clone(),
                })
                .collect();
            stagecraft_template::compose_imports(&own, &file, &parts)
                .map_err(|d| Error::Invalid { diagnostics: d.0 })
        };
        let template = match composed {
            Ok(template) => template,
            Err(error) if !strict => {
                tracing::warn!(%error, env = %env.env_id, "imported apps left out: a teardown or a status read goes on without them");
                imports.clear();
                own.clone()
            }
            Err(error) => return Err(error),
        };
        // Every app's services are reached alike: their addresses are everyone's variables.
        let mut injected = Injected::for_environment(&template, &env.env_id, &env.app, &env.branch);
        injected.environment.clone_from(&env.environment_template);
        if let Some(runtime) = self.runtimes.get(&env.runtime) {
            runtime_ingress(
                &**runtime,
                &template,
                &env.env_id,
                self.ingress_ports.port,
                &mut injected,
            );
        }
        injected.parameters = parameters;
        let mut resolved = Resolved {
            file,
            template,
            own,
            imports,
            variables,
            injected,
            missing_parameters,
        };
        // A teardown goes on without imported apps whose variables no longer resolve: it
        // removes every object of the environment whatever app made it.
        if !strict
            && !resolved.imports.is_empty()
            && let Err(error) = resolved.envs_with(&resolved.injected)
        {
            tracing::warn!(%error, env = %env.env_id, "imported apps left out: a teardown or a status read goes on without them");
            resolved.imports.clear();
            resolved.template = resolved.own.clone();
        }
        Ok(resolved)
    }
}
