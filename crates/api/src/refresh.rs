//! An app over time, outside GitOps: its details, and its Release files read again into the
//! next default version, shown as a difference before it is kept. Environments made from then
//! on copy the new version; existing ones keep theirs, as in Release.

use serde::Serialize;
use stagecraft_engine::{App, Environment};
use stagecraft_store::app;

use crate::{Error, Stagecraft};

/// An app with its newest configuration version and its environments.
#[derive(Debug, Clone, Serialize)]
pub struct AppDetail {
    pub app: App,
    /// Its newest default configuration version.
    pub version: i64,
    pub environments: Vec<Environment>,
}

/// What reading an app's Release files again found.
#[derive(Debug, Clone, Serialize)]
pub struct AppRefresh {
    pub app: String,
    /// The version it had.
    pub from_version: i64,
    /// The version it has now, when the files changed and were kept.
    pub kept_version: Option<i64>,
    /// The template as stored, and as the files have it.
    pub template_before: String,
    pub template_after: String,
    /// The variables file as stored, and as the files have it, secrets masked.
    pub variables_before: String,
    pub variables_after: String,
    /// A secret's value changed (the masks hide it).
    pub secrets_changed: bool,
}

impl AppRefresh {
    pub fn changed(&self) -> bool {
        self.template_before != self.template_after || self.variables_before != self.variables_after
    }
}

impl Stagecraft {
    /// The app, its newest version and its environments (torn-down ones included).
    pub async fn app_get(&self, app_name: &str) -> Result<AppDetail, Error> {
        let app = self.find_app(app_name).await?;
        let version = app::latest_config(self.store.pool(), app.id)
            .await?
            .map_or(0, |c| c.version);
        let environments = self
            .environments()
            .await?
            .into_iter()
            .filter(|e| e.app_id == app.id)
            .collect();
        Ok(AppDetail {
            app,
            version,
            environments,
        })
    }

    /// Reads the app's Release files (or docker-compose file) from its folder again and
    /// compares them with its newest version; with `keep`, a change becomes its next version.
    /// Refused for an app that follows its files (GitOps: each deploy reads them).
    pub async fn app_refresh(&self, app_name: &str, keep: bool) -> Result<AppRefresh, Error> {
        let app = self.find_app(app_name).await?;
        if app.gitops {
            return Err(Error::Conflict {
                message: format!(
                    "{app_name} follows its Release files (GitOps): each deploy reads them; \
                     there is nothing to refresh"
                ),
            });
        }
        let root = std::path::PathBuf::from(&app.repo_path);
        let check =
            tokio::task::spawn_blocking(move || stagecraft_template::check_repository(&root))
                .await
                .map_err(|e| Error::Git {
                    message: format!("reading the files of {app_name} stopped: {e}"),
                })?;
        if check.diagnostics.has_errors() {
            return Err(Error::Invalid {
                diagnostics: check.diagnostics.0,
            });
        }
        let template = check.template.unwrap_or_default();
        let variables = check.variables.unwrap_or_default();
        let latest = app::latest_config(self.store.pool(), app.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app configuration",
                name: app.name.clone(),
            })?;
        let stored_variables =
            stagecraft_template::parse_variables("stored", &latest.variables_yaml)
                .value
                .unwrap_or_default();
        let mut refresh = AppRefresh {
            app: app.name.clone(),
            from_version: latest.version,
            kept_version: None,
            template_before: latest.template_yaml.clone(),
            template_after: stagecraft_template::template_to_yaml(&template),
            variables_before: stagecraft_template::variables_to_yaml(
                &self.sealer.mask_variables(&stored_variables),
            ),
            variables_after: stagecraft_template::variables_to_yaml(
                &self.sealer.mask_variables(&variables),
            ),
            secrets_changed: false,
        };
        // Secrets compare by value: the masks above hide a changed one.
        let secrets_changed = stagecraft_template::variables_to_yaml(&variables)
            != stagecraft_template::variables_to_yaml(
                &self.sealer.unseal_variables(&stored_variables)?,
            );
        if secrets_changed && refresh.variables_before == refresh.variables_after {
            refresh
                .variables_after
                .push_str("# a secret's value changed\n");
        }
        if keep && refresh.changed() {
            let sealed = self.sealer.seal_variables(&variables);
            let version = app::insert_config(
                self.store.pool(),
                app.id,
                &latest.template_file,
                &refresh.template_after,
                latest.variables_file.as_deref(),
                &stagecraft_template::variables_to_yaml(&sealed),
            )
            .await?;
            app::set_auto_deploy(
                self.store.pool(),
                app.id,
                template.auto_deploy.unwrap_or(false),
            )
            .await?;
            refresh.kept_version = Some(version);
        }
        Ok(refresh)
    }
}
