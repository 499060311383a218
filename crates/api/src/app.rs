//! Apps: a repository folder with Release files (or a docker-compose file), added once and
//! read for its latest configuration.

use std::path::Path;

use serde::Serialize;
use stagecraft_engine::{App, Environment};
use stagecraft_store::app;
use stagecraft_store::app::NewApp;

use crate::{Error, Stagecraft};

/// An app just added, and what its files did not say well enough to refuse them: a
/// docker-compose import's keys that Release has no place for, deprecated fields.
#[derive(Debug, Clone, Serialize)]
pub struct AddedApp {
    pub app: App,
    pub warnings: Vec<stagecraft_template::Diagnostic>,
}

/// The branch `HEAD` names in a git folder, when it names one.
fn current_branch(repo: &Path) -> Option<String> {
    let head = std::fs::read_to_string(repo.join(".git").join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_owned)
}

impl Stagecraft {
    /// Adds the app whose Release files (or docker-compose file) are in the folder `path`.
    /// Refuses files with errors, with every error located; gives the warnings back.
    pub async fn add_app(&self, path: &Path) -> Result<AddedApp, Error> {
        let root = path.canonicalize().map_err(|source| Error::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let check = stagecraft_template::check_repository(&root);
        if check.diagnostics.has_errors() {
            return Err(Error::Invalid {
                diagnostics: check.diagnostics.0,
            });
        }
        let template = check.template.unwrap_or_default();
        let variables = check.variables.unwrap_or_default();
        let name = template
            .app
            .as_ref()
            .map(|a| a.value.clone())
            .or_else(|| root.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "app".to_owned());
        let branch = template
            .tracking_branch
            .as_ref()
            .map(|b| b.value.clone())
            .or_else(|| current_branch(&root))
            .unwrap_or_else(|| "main".to_owned());
        let relative = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
        };
        let template_file = relative(&check.files.template)
            .or_else(|| relative(&check.files.compose))
            .unwrap_or_default();
        let repo_path = root.display().to_string();
        app::create(
            self.store.pool(),
            &NewApp {
                name: &name,
                repo_path: &repo_path,
                tracking_branch: &branch,
                auto_deploy: template.auto_deploy.unwrap_or(false),
                // An app with Release files in its repository follows them (GitOps); one
                // imported from docker-compose keeps the template made from it.
                gitops: check.files.template.is_some(),
            },
            &template_file,
            &stagecraft_template::template_to_yaml(&template),
            relative(&check.files.variables).as_deref(),
            &stagecraft_template::variables_to_yaml(&self.sealer.seal_variables(&variables)),
        )
        .await?;
        Ok(AddedApp {
            app: self.find_app(&name).await?,
            warnings: check.diagnostics.warnings().cloned().collect(),
        })
    }

    /// The app's latest configuration and its template, parsed.
    pub(crate) async fn app_template(
        &self,
        app: &App,
    ) -> Result<
        (
            stagecraft_store::app::AppConfig,
            stagecraft_template::Template,
        ),
        Error,
    > {
        let config = app::latest_config(self.store.pool(), app.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app configuration",
                name: app.name.clone(),
            })?;
        let template =
            stagecraft_template::parse_template(&config.template_file, &config.template_yaml);
        let template = template.value.ok_or_else(|| Error::Invalid {
            diagnostics: template.diagnostics.0,
        })?;
        Ok((config, template))
    }

    pub(crate) async fn find_app(&self, name: &str) -> Result<App, Error> {
        app::by_name(self.store.pool(), name)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: name.to_owned(),
            })
    }

    pub async fn apps(&self) -> Result<Vec<App>, Error> {
        Ok(app::list(self.store.pool()).await?)
    }

    /// The folder of the environment's app: its working tree.
    pub(crate) async fn app_repo(&self, env: &Environment) -> Result<std::path::PathBuf, Error> {
        app::by_id(self.store.pool(), env.app_id)
            .await?
            .map(|app| std::path::PathBuf::from(app.repo_path))
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })
    }
}

/// An app removed, and what was removed with it.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedApp {
    pub app: String,
    /// Its torn-down environments, whose history went with it.
    pub environments: Vec<String>,
    /// The image tags its builds made, removed from the Docker engine.
    pub images: Vec<String>,
}

impl Stagecraft {
    /// Removes the app: its images from the Docker engine, then its versions, builds and
    /// torn-down environments with their history, and its commit checkouts. Refused while an
    /// environment of it is not torn down (naming them), while a build of it runs, or while a
    /// torn-down environment still has an object recorded as created and not removed. Images
    /// pushed to a registry stay there.
    pub async fn remove_app(&self, app_name: &str) -> Result<RemovedApp, Error> {
        let detail = self.app_get(app_name).await?;
        if let Some(blocked) = app::removal_blocker(self.store.pool(), detail.app.id).await? {
            return Err(refused(app_name, blocked));
        }
        // Its datasets go with it (their rows by the cascade, their archives after); one a
        // cluster keeps is deleted first, by the user, so its snapshots never outlive a record.
        let datasets: Vec<_> = stagecraft_store::dataset::list(self.store.pool())
            .await?
            .into_iter()
            .filter(|d| d.app_id == detail.app.id)
            .collect();
        let on_clusters = self.datasets_kept_on_clusters(&datasets);
        if !on_clusters.is_empty() {
            return Err(Error::Conflict {
                message: format!(
                    "{app_name} has datasets whose VolumeSnapshots a cluster keeps: {}; delete \
                     them first (stagecraft datasets delete NAME), then remove the app",
                    on_clusters.join(", ")
                ),
            });
        }
        let datasets: Vec<i64> = datasets.iter().map(|d| d.id).collect();
        let images = stagecraft_store::build::built_tags(self.store.pool(), detail.app.id).await?;
        if !images.is_empty() {
            let builder = self.builder.clone().ok_or_else(|| Error::Conflict {
                message: format!(
                    "{app_name} has images on the Docker engine and this Stagecraft has no engine \
                     registered to remove them"
                ),
            })?;
            for tag in &images {
                builder
                    .remove_image(tag)
                    .await
                    .map_err(|source| Error::Runtime {
                        env_id: app_name.to_owned(),
                        runtime: "docker".to_owned(),
                        source,
                    })?;
            }
        }
        if let Some(blocked) = app::remove(self.store.pool(), detail.app.id).await? {
            return Err(refused(app_name, blocked));
        }
        self.remove_dataset_archives(&datasets).await;
        let checkouts = self
            .settings
            .data_dir
            .path
            .join("checkouts")
            .join(detail.app.id.to_string());
        if let Err(error) = std::fs::remove_dir_all(&checkouts)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %checkouts.display(), %error, "an app's checkouts stay on disk");
        }
        Ok(RemovedApp {
            app: detail.app.name,
            environments: detail.environments.into_iter().map(|e| e.env_id).collect(),
            images,
        })
    }
}

/// Why the app is kept, and what to do.
fn refused(app_name: &str, blocked: app::Blocker) -> Error {
    let message = match blocked {
        app::Blocker::Live(live) => format!(
            "{app_name} still has environments that are not torn down: {}; delete them first \
             (`stagecraft environments delete ID`)",
            live.join(", ")
        ),
        app::Blocker::ImportedBy(envs) => format!(
            "{app_name} is imported by environments that are not torn down: {}; delete them \
             first (`stagecraft environments delete ID`)",
            envs.join(", ")
        ),
        app::Blocker::Building(builds) => format!(
            "{app_name} is building ({}): remove it once the build has ended",
            builds
                .iter()
                .map(|b| format!("build {b}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        app::Blocker::Leftovers(objects) => format!(
            "{app_name} is kept: the teardown of its environments left objects that are \
             recorded as created and not removed ({}); remove them from the runtime, then try \
             again",
            objects.join("; ")
        ),
    };
    Error::Conflict { message }
}
