//! GitOps: an environment's configuration follows the Release files of what its next deploy
//! builds (Release's GitOps mode, reference §2.2). Before a deploy that builds, the files are
//! read from the commit its branch names (or from the working tree when the deploy builds
//! that) and checked as `gitops validate` checks them. When the app's tracking branch brings
//! files that differ from the app's newest configuration, they become its next version (the
//! first number of `v{default}.{specific}`), and the template's `auto_deploy` is taken from
//! them; another branch's files make only its environment's configuration. The environment's
//! own configuration is made from the files as at creation (the environment template merged
//! in, the variables copied), and when that differs from what the environment has, it becomes
//! its next version, so the deploy runs setup and says which file changed. Keys the variables
//! file lists under `gitops.immutable_keys` keep the environment's value. Files that do not
//! validate (or a commit that cannot be read) fail the deploy before anything reaches the
//! runtime, with every error located; the environment keeps running as it was.
//!
//! Chosen where Release is silent: the files are read when the deploy is asked for, so what
//! Deploy runs and why is known at once, and the deploy builds the commit whose files it read
//! (`deploy.build_commit`), even when a newer one lands while it waits in the queue: the next
//! deploy reads and builds that one.
use std::path::Path;

use stagecraft_engine::{Environment, Version};
use stagecraft_store::{app, environment};
use stagecraft_template::VariablesFile;

use crate::{Error, Stagecraft};

/// Syncs tried before giving up when other syncs keep saving versions first.
const SYNC_ATTEMPTS: usize = 3;

/// What reading the branch's Release files did to an environment's configuration.
#[derive(Debug)]
pub(crate) enum SyncOutcome {
    /// The app does not follow its files, or they make the configuration the environment has;
    /// `commit` is the one whose files were read (none for the working tree, or without GitOps).
    Unchanged { commit: Option<String> },
    /// They made a new configuration version.
    Synced(Synced),
    /// They do not validate: the deploy fails, saying why.
    Broken { at: String, error: Error },
}

/// A configuration version made from the branch's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Synced {
    pub from: Version,
    pub to: Version,
    /// The files that changed since the app's newest configuration, as the repository names
    /// them; empty when only the environment's own configuration had moved away from them.
    pub files: Vec<String>,
    /// Where they were read: `main at 1a2b3c4d5e6f`, or the working tree.
    pub at: String,
    /// The commit whose files they are (none for the working tree): the deploy builds it.
    pub commit: Option<String>,
}

impl Synced {
    /// Why the deploy sets up: "setup: .release/application_template.yaml changed (v1.1 →
    /// v2.2), read from main at 1a2b3c4d5e6f".
    pub(crate) fn reason(&self) -> String {
        let what = if self.files.is_empty() {
            "the environment's configuration differs from the Release files".to_owned()
        } else {
            format!("{} changed", self.files.join(" and "))
        };
        format!(
            "setup: {what} ({} → {}), read from {}",
            self.from, self.to, self.at
        )
    }
}

impl Stagecraft {
    /// Brings `env`'s configuration in line with its branch's Release files, when its app
    /// follows them; `working_tree` reads the files the deploy builds from the working tree.
    /// Without `apply` nothing is saved: what a deploy would make of them (`Synced::to` is the
    /// version it would be), for what Deploy will run.
    ///
    /// Two syncs at once (a double-click, the app and the CLI) save one version: the second
    /// finds the first's version saved and reads the files again against it.
    pub(crate) async fn sync_from_branch(
        &self,
        env: &Environment,
        working_tree: bool,
        apply: bool,
    ) -> Result<SyncOutcome, Error> {
        let mut env = env.clone();
        for _ in 0..SYNC_ATTEMPTS {
            if let Some(outcome) = self.sync_once(&env, working_tree, apply).await? {
                return Ok(outcome);
            }
            env = self.environment(&env.env_id).await?;
        }
        Err(Error::Conflict {
            message: format!(
                "{}'s configuration kept changing while its Release files were read: deploy again",
                env.env_id
            ),
        })
    }

    /// One sync; `None` when another one saved a version first.
    async fn sync_once(
        &self,
        env: &Environment,
        working_tree: bool,
        apply: bool,
    ) -> Result<Option<SyncOutcome>, Error> {
        let pool = self.store.pool();
        let app = app::by_id(pool, env.app_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })?;
        if !app.gitops {
            return Ok(Some(SyncOutcome::Unchanged { commit: None }));
        }
        let repo = Path::new(&app.repo_path);
        let (root, at, commit) = match crate::branch_commit(repo, &env.branch) {
            Some(commit) if !working_tree => {
                let short: String = commit.chars().take(12).collect();
                let at = format!("{} at {short}", env.branch);
                // A commit that cannot be read fails the deploy, saying why, as its build would.
                match self.commit_tree(app.id, repo, &commit).await {
                    Ok(tree) => (tree, at, Some(commit)),
                    Err(error) => return Ok(Some(SyncOutcome::Broken { at, error })),
                }
            }
            Some(_) => (repo.to_path_buf(), "the working tree".to_owned(), None),
            None => (
                repo.to_path_buf(),
                format!(
                    "the working tree ({} has no branch `{}`)",
                    app.repo_path, env.branch
                ),
                None,
            ),
        };
        let read = root.clone();
        let check =
            tokio::task::spawn_blocking(move || stagecraft_template::check_repository(&read))
                .await
                .map_err(|e| Error::Git {
                    message: format!("reading the Release files of {at} stopped: {e}"),
                })?;
        if check.diagnostics.has_errors() {
            let error = Error::Invalid {
                diagnostics: check.diagnostics.0,
            };
            return Ok(Some(SyncOutcome::Broken { at, error }));
        }
        let (Some(template), Some(template_path)) = (check.template, check.files.template) else {
            let error = Error::Conflict {
                message: format!(
                    "{at} has no Release files (`.release.yaml` or `.release/application_template.yaml`), \
                     and {} follows them (GitOps): add them, or turn GitOps off with \
                     `stagecraft apps set-gitops {} off`",
                    app.name, app.name
                ),
            };
            return Ok(Some(SyncOutcome::Broken { at, error }));
        };
        let variables = check.variables.unwrap_or_default();
        let template_file = relative(&root, &template_path);
        let variables_file = check.files.variables.map(|p| relative(&root, &p));

        // The environment's own configuration, made from them as at its creation: checked
        // before anything is saved.
        let own = match stagecraft_template::environment_config(
            &template,
            &env.environment_template,
            &template_file,
        ) {
            Ok(own) => own,
            Err(diagnostics) => {
                let error = Error::Invalid {
                    diagnostics: diagnostics.0,
                };
                return Ok(Some(SyncOutcome::Broken { at, error }));
            }
        };
        // The app's default configuration: a new version when its tracking branch's files
        // changed. Another branch's files make that environment's configuration only.
        let latest = app::latest_config(pool, app.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app configuration",
                name: app.name.clone(),
            })?;
        let template_yaml = stagecraft_template::template_to_yaml(&template);
        let variables_yaml = stagecraft_template::variables_to_yaml(&variables);
        let mut files = Vec::new();
        if template_yaml != latest.template_yaml {
            files.push(template_file.clone());
        }
        if variables_yaml != self.opened_yaml(&latest.variables_yaml)? {
            files.push(
                variables_file
                    .clone()
                    .unwrap_or_else(|| "the variables file".to_owned()),
            );
        }
        let tracking = env.branch == app.tracking_branch && !working_tree;
        let default = if files.is_empty() || !tracking {
            latest.version
        } else if !apply {
            latest.version + 1
        } else {
            let Some(saved) = app::insert_config_after(
                pool,
                app.id,
                latest.version,
                &template_file,
                &template_yaml,
                variables_file.as_deref(),
                &stagecraft_template::variables_to_yaml(&self.sealer.seal_variables(&variables)),
            )
            .await?
            else {
                return Ok(None);
            };
            app::set_auto_deploy(pool, app.id, template.auto_deploy.unwrap_or(false)).await?;
            saved
        };

        // What the environment has, compared with what the files make.
        let config_yaml = stagecraft_template::template_to_yaml(&own);
        let current = environment::config(pool, env.id, env.version.specific)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "configuration",
                name: format!("{} of {}", env.version, env.env_id),
            })?;
        let current_variables = self.opened(&current.variables_yaml)?;
        let keep = variables.immutable_keys();
        let env_variables = keep_immutable(
            crate::environment::environment_variables(variables),
            &current_variables,
            &keep,
        );
        let env_variables_yaml = stagecraft_template::variables_to_yaml(&env_variables);
        if config_yaml == current.config_yaml
            && env_variables_yaml == stagecraft_template::variables_to_yaml(&current_variables)
        {
            return Ok(Some(SyncOutcome::Unchanged { commit }));
        }
        if !apply {
            return Ok(Some(SyncOutcome::Synced(Synced {
                from: env.version,
                to: Version {
                    default,
                    specific: env.version.specific + 1,
                },
                files,
                at,
                commit,
            })));
        }
        let sealed = self.sealer.seal_variables(&env_variables);
        let Some(specific) = environment::insert_synced_config(
            pool,
            env.id,
            env.version.specific,
            default,
            &config_yaml,
            &stagecraft_template::variables_to_yaml(&sealed),
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(SyncOutcome::Synced(Synced {
            from: env.version,
            to: Version { default, specific },
            files,
            at,
            commit,
        })))
    }

    /// A stored variables file with its secrets opened.
    fn opened(&self, yaml: &str) -> Result<VariablesFile, Error> {
        let stored = stagecraft_template::parse_variables("stored variables", yaml)
            .value
            .unwrap_or_default();
        self.sealer.unseal_variables(&stored)
    }

    /// The same, as YAML: what a file read from the repository is compared with.
    fn opened_yaml(&self, yaml: &str) -> Result<String, Error> {
        Ok(stagecraft_template::variables_to_yaml(&self.opened(yaml)?))
    }
}

impl Stagecraft {
    /// Turns GitOps on or off for `app_name`. On, each deploy that builds reads the Release
    /// files of what it builds; off, the app's environments keep the configuration they have,
    /// edited in the app. An app with no Release files in its repository cannot follow them.
    pub async fn set_gitops(
        &self,
        app_name: &str,
        on: bool,
    ) -> Result<stagecraft_engine::App, Error> {
        let app = self.find_app(app_name).await?;
        if on {
            let root = std::path::PathBuf::from(&app.repo_path);
            let files = tokio::task::spawn_blocking(move || {
                stagecraft_template::check_repository(&root).files
            })
            .await
            .map_err(|e| Error::Git {
                message: format!("reading the Release files of {app_name} stopped: {e}"),
            })?;
            if files.template.is_none() {
                return Err(Error::Conflict {
                    message: format!(
                        "{} has no Release files to follow (`.release.yaml` or \
                         `.release/application_template.yaml`): `stagecraft gitops init` makes them",
                        app.repo_path
                    ),
                });
            }
        }
        app::set_gitops(self.store.pool(), app.id, on).await?;
        self.find_app(app_name).await
    }
}

/// `path` as the repository names it.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The environment's variables from the files, but for each of `keep` that the environment
/// has: its own value stays, in `envs` and in each service's list the files still have.
fn keep_immutable(
    mut from_files: VariablesFile,
    current: &VariablesFile,
    keep: &[String],
) -> VariablesFile {
    keep_in(&mut from_files.envs, &current.envs, keep);
    if let (Some(files), Some(current)) = (&mut from_files.services, &current.services) {
        for (service, vars) in &mut files.0 {
            if let Some((_, kept)) = current.0.iter().find(|(s, _)| s.value == service.value) {
                keep_in(vars, kept, keep);
            }
        }
    }
    from_files
}

/// Each of `keep` that `current` sets keeps that value in `list`.
fn keep_in(
    list: &mut Vec<stagecraft_template::EnvVar>,
    current: &[stagecraft_template::EnvVar],
    keep: &[String],
) {
    let key_of = |var: &stagecraft_template::EnvVar| var.key.as_ref().map(|k| k.value.clone());
    for key in keep {
        let Some(kept) = current
            .iter()
            .find(|v| key_of(v).as_deref() == Some(key.as_str()))
        else {
            continue;
        };
        match list
            .iter_mut()
            .find(|v| key_of(v).as_deref() == Some(key.as_str()))
        {
            Some(var) => *var = kept.clone(),
            None => list.push(kept.clone()),
        }
    }
}
