//! Variables edited in the app, outside GitOps: an environment's own variables file, and the
//! app's default one (which environments made from then on copy; existing ones keep theirs, as
//! in Release). The editor shows each secret as [`crate::MASK`]: leaving it so keeps the
//! secret, typing a value replaces it; every value is sealed before it is stored, and a change
//! to an environment's file is its configuration's next version, so its next deploy runs setup.
//! With GitOps the files on the branch are the variables, and these refuse, saying where.

use serde::Serialize;
use stagecraft_store::{app, environment};
use stagecraft_template::VariablesFile;
use ts_rs::TS;

use crate::{ConfigVersion, Error, Stagecraft};

/// A variables file as its editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EditableVariables {
    /// The file, each secret's value shown as [`crate::MASK`].
    pub yaml: String,
    /// With GitOps, where it is edited instead (`.release/application_template.yaml on branch
    /// main`: the variables file beside it); null when it is edited here.
    pub follows: Option<String>,
}

impl Stagecraft {
    /// The environment's variables file, secrets masked: what its editor starts from.
    pub async fn environment_variables_file(
        &self,
        env_id: &str,
    ) -> Result<EditableVariables, Error> {
        let env = self.environment(env_id).await?;
        let current = self.stored_config(&env).await?;
        Ok(EditableVariables {
            yaml: self.masked(&current.variables_yaml),
            follows: self.follows(&env).await?,
        })
    }

    /// Replaces the environment's variables file with `yaml` (secrets left as [`crate::MASK`]
    /// keep their value), after checking it against the environment's template; kept as the
    /// configuration's next version.
    pub async fn environment_variables_set(
        &self,
        env_id: &str,
        yaml: &str,
    ) -> Result<ConfigVersion, Error> {
        let env = self.environment(env_id).await?;
        crate::environment::ensure_standing(&env)?;
        self.refuse_with_gitops(&env.app, "variables file").await?;
        let file = format!("{env_id} variables");
        let current = self.stored_config(&env).await?;
        let edited = parse(&file, yaml)?;
        let stored = stagecraft_template::parse_variables(&file, &current.variables_yaml)
            .value
            .unwrap_or_default();
        let edited = self.sealer.keep_masked(&edited, &stored, &file)?;
        // Checked as a deploy will resolve them: a mapping to a variable that does not exist,
        // for example, is refused now rather than at the next deploy.
        let resolved = self.resolve(&env, None).await?;
        let opened = self.sealer.unseal_variables(&edited)?;
        // The environment's own workloads read this file; imported apps read their own.
        stagecraft_template::resolve_variables(&resolved.own, &opened, &resolved.injected, &file)
            .map_err(|d| Error::Invalid { diagnostics: d.0 })?;
        let sealed = stagecraft_template::variables_to_yaml(&self.sealer.seal_variables(&edited));
        environment::insert_config(self.store.pool(), env.id, &current.config_yaml, &sealed)
            .await?;
        self.config_get(env_id).await
    }

    /// The app's default variables file, secrets masked; with GitOps, where it is edited
    /// instead (the file on the tracking branch).
    pub async fn app_variables_file(&self, app_name: &str) -> Result<EditableVariables, Error> {
        let app = self.find_app(app_name).await?;
        let latest = self.latest_app_config(&app).await?;
        let follows = app.gitops.then(|| {
            let file = latest
                .variables_file
                .clone()
                .unwrap_or_else(|| ".release/environment_variables.yaml".to_owned());
            format!("{file} on branch {}", app.tracking_branch)
        });
        Ok(EditableVariables {
            yaml: self.masked(&latest.variables_yaml),
            follows,
        })
    }

    /// Replaces the app's default variables file with `yaml` (secrets left as
    /// [`crate::MASK`] keep their value): its next configuration version, which environments
    /// created from then on copy. Gives the new version's number.
    pub async fn app_variables_set(&self, app_name: &str, yaml: &str) -> Result<i64, Error> {
        let app = self.find_app(app_name).await?;
        self.refuse_with_gitops(&app.name, "variables file").await?;
        let latest = self.latest_app_config(&app).await?;
        let file = latest
            .variables_file
            .clone()
            .unwrap_or_else(|| format!("{app_name} variables"));
        let edited = parse(&file, yaml)?;
        let stored = stagecraft_template::parse_variables(&file, &latest.variables_yaml)
            .value
            .unwrap_or_default();
        let edited = self.sealer.keep_masked(&edited, &stored, &file)?;
        let template =
            stagecraft_template::parse_template(&latest.template_file, &latest.template_yaml)
                .value
                .unwrap_or_default();
        let opened = self.sealer.unseal_variables(&edited)?;
        let injected = stagecraft_template::Injected::for_environment(
            &template,
            "env",
            &app.name,
            &app.tracking_branch,
        );
        stagecraft_template::resolve_variables(&template, &opened, &injected, &file)
            .map_err(|d| Error::Invalid { diagnostics: d.0 })?;
        let sealed = stagecraft_template::variables_to_yaml(&self.sealer.seal_variables(&edited));
        Ok(app::insert_config(
            self.store.pool(),
            app.id,
            &latest.template_file,
            &latest.template_yaml,
            latest.variables_file.as_deref(),
            &sealed,
        )
        .await?)
    }

    async fn stored_config(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<stagecraft_store::environment::EnvironmentConfig, Error> {
        environment::config(self.store.pool(), env.id, env.version.specific)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "configuration of environment",
                name: env.env_id.clone(),
            })
    }

    async fn latest_app_config(
        &self,
        app: &stagecraft_engine::App,
    ) -> Result<stagecraft_store::app::AppConfig, Error> {
        app::latest_config(self.store.pool(), app.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app configuration",
                name: app.name.clone(),
            })
    }

    fn masked(&self, stored_yaml: &str) -> String {
        let stored = stagecraft_template::parse_variables("stored variables", stored_yaml)
            .value
            .unwrap_or_default();
        stagecraft_template::variables_to_yaml(&self.sealer.mask_variables(&stored))
    }

    /// With GitOps the branch's files are the configuration: nothing of it is edited here.
    async fn refuse_with_gitops(&self, app_name: &str, what: &str) -> Result<(), Error> {
        let app = self.find_app(app_name).await?;
        if app.gitops {
            let file = self
                .latest_app_config(&app)
                .await?
                .variables_file
                .unwrap_or_else(|| ".release/environment_variables.yaml".to_owned());
            return Err(Error::Conflict {
                message: format!(
                    "{app_name} follows its Release files (GitOps): its {what} is {file} on the \
                     environment's branch; edit it there and deploy, or turn GitOps off with \
                     `stagecraft apps set-gitops {app_name} off`"
                ),
            });
        }
        Ok(())
    }
}

/// `yaml` read as a variables file, refused with every error located.
fn parse(file: &str, yaml: &str) -> Result<VariablesFile, Error> {
    let parsed = stagecraft_template::parse_variables(file, yaml);
    match parsed.value {
        Some(value) if !parsed.diagnostics.has_errors() => Ok(value),
        _ => Err(Error::Invalid {
            diagnostics: parsed.diagnostics.0,
        }),
    }
}
