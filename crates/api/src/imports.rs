//! App imports (reference §3.8): an environment of an app whose template imports others runs
//! their services too, in its own network or namespace, each from its own repository.
//!
//! Each imported app's branch is chosen once, when the environment first reads the import (at
//! its creation), in Release's order: the import's `branch`; else a branch of the imported
//! repository named like the environment's; else the imported app's `tracking_branch` (or
//! `tracking_tag`); else its repository's default branch (`origin/HEAD`, else the branch the
//! app was added on). Every read of the environment's configuration (each deploy, the
//! Variables tab, the service URLs) then reads the imported app's Release files from that
//! branch's commit, as a GitOps app's own are read (an app that does not follow its files: its
//! configuration in Stagecraft), with the environment's template merged in as for the
//! importer, its parameters given the environment's values of the same name or their
//! defaults, and `exclude_services` left out. The imported app must be one Stagecraft knows:
//! a missing one is a located error naming what to add.

use std::path::{Path, PathBuf};

use serde::Serialize;
use stagecraft_engine::{App, Environment};
use stagecraft_store::app;
use stagecraft_store::import::{self, BuiltImport, ImportRow};
use stagecraft_template::{AppImport, Diagnostic, Severity, Template, VariablesFile};
use ts_rs::TS;

use crate::{Error, Stagecraft};

/// An imported app's part of an environment, read for one configuration.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub app: String,
    pub branch: String,
    pub rule: String,
    /// The commit its files were read from (none: its working tree, or its configuration in
    /// Stagecraft when it does not follow its files).
    pub commit: Option<String>,
    /// Where its builds and `configmap` files are read.
    pub tree: PathBuf,
    /// Its configuration for this environment, excluded services left out.
    pub template: Template,
    /// Its template as read: where its names are located.
    pub located: Template,
    /// Its variables, as an environment's copy has them.
    pub variables: VariablesFile,
    /// Names it in diagnostics.
    pub file: String,
    pub excluded: Vec<String>,
    /// Its parameters' values: the environment's of the same name, else its defaults.
    pub parameters: Vec<(String, String)>,
    /// Of its template and variables as read: a setup keeps it, and a later change in it
    /// makes the next deploy a setup.
    pub digest: String,
}

impl Import {
    /// Whether the workload (`services.web` style names, or a bare name) is this app's.
    pub(crate) fn has_workload(&self, name: &str) -> bool {
        let t = &self.template;
        let named =
            |n: &Option<stagecraft_template::Text>| n.as_ref().is_some_and(|n| n.as_str() == name);
        t.services.iter().any(|s| named(&s.name))
            || t.jobs.iter().any(|j| named(&j.name))
            || t.cron_jobs.iter().any(|j| named(&j.name))
    }
}

/// An app an environment imports, as the details screen and `environments get` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportView {
    pub app: String,
    pub branch: String,
    /// Why that branch: which of Release's rules chose it.
    pub why: String,
    /// The commit its files are read from; none for a working tree.
    pub commit: Option<String>,
    /// Its services that run in the environment.
    pub services: Vec<String>,
    /// Its services left out (`exclude_services`).
    pub excluded: Vec<String>,
}

impl From<&Import> for ImportView {
    fn from(import: &Import) -> Self {
        Self {
            app: import.app.clone(),
            branch: import.branch.clone(),
            why: why(&import.rule).to_owned(),
            commit: import.commit.clone(),
            services: import
                .template
                .services
                .iter()
                .filter_map(|s| s.name.as_ref().map(|n| n.value.clone()))
                .collect(),
            excluded: import.excluded.clone(),
        }
    }
}

fn why(rule: &str) -> &'static str {
    match rule {
        "template" => "the import's `branch`",
        "matching" => "named like the environment's branch",
        "tracking" => "the imported app's tracking branch",
        _ => "the imported repository's default branch",
    }
}

/// The branch Release's order chooses for `import` of `app` in an environment on
/// `env_branch`; `tracking` is the imported template's `tracking_branch` or `tracking_tag`.
pub(crate) fn choose_branch(
    import: &AppImport,
    env_branch: &str,
    app: &App,
    tracking: Option<&str>,
) -> ImportRow {
    let row = |branch: &str, rule: &str| ImportRow {
        app_name: app.name.clone(),
        branch: branch.to_owned(),
        rule: rule.to_owned(),
    };
    if let Some(branch) = import.branch.as_ref().map(|b| b.as_str().trim())
        && !branch.is_empty()
    {
        return row(branch, "template");
    }
    let repo = Path::new(&app.repo_path);
    if crate::branch_commit(repo, env_branch).is_some() {
        return row(env_branch, "matching");
    }
    if let Some(tracking) = tracking.filter(|t| !t.trim().is_empty()) {
        return row(tracking.trim(), "tracking");
    }
    // `origin/HEAD` names the default branch when the repository has it locally.
    let default = default_branch(repo).filter(|b| crate::branch_commit(repo, b).is_some());
    row(
        &default.unwrap_or_else(|| app.tracking_branch.clone()),
        "default",
    )
}

/// The branch `origin/HEAD` names in the repository at `repo`, when it has one.
fn default_branch(repo: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "symbolic-ref",
            "--quiet",
            "--short",
            "refs/remotes/origin/HEAD",
        ])
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let branch = name.strip_prefix("origin/")?;
    (output.status.success() && !branch.is_empty()).then(|| branch.to_owned())
}

/// The commit a branch (or, for `tracking_tag`, a tag) names.
fn commit_of(repo: &Path, name: &str) -> Option<String> {
    crate::branch_commit(repo, name).or_else(|| {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("refs/tags/{name}^{{commit}}"))
            .output()
            .ok()?;
        let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        output.status.success().then_some(commit)
    })
}

/// A digest of an imported app's configuration as an environment reads it.
fn digest_of(
    template: &Template,
    variables: &VariablesFile,
    params: &[(String, String)],
) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(stagecraft_template::template_to_yaml(template));
    hasher.update([0]);
    hasher.update(stagecraft_template::variables_to_yaml(variables));
    for (name, value) in params {
        hasher.update([0]);
        hasher.update(name);
        hasher.update([0]);
        hasher.update(value);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Stagecraft {
    /// Why the next deploy of `env` must set up although its own configuration is unchanged:
    /// an imported app's configuration changed since its last setup (or it was not imported
    /// then). `None` when none did, or when the imports cannot be read now (the deploy then
    /// says why).
    pub(crate) async fn imports_changed(&self, env: &Environment) -> Result<Option<String>, Error> {
        let Ok(resolved) = self.resolve(env, None).await else {
            return Ok(None);
        };
        if resolved.imports.is_empty() {
            return Ok(None);
        }
        let kept = import::last_setup_digests(self.store.pool(), env.id).await?;
        Ok(resolved.imports.iter().find_map(|i| {
            let same = kept
                .iter()
                .any(|(app, digest)| *app == i.app && *digest == i.digest);
            (!same).then(|| {
                let at = i.commit.as_deref().map_or_else(
                    || "its working tree".to_owned(),
                    |c| format!("{} at {}", i.branch, c.chars().take(12).collect::<String>()),
                );
                format!(
                    "setup: the configuration of the imported app {} changed since the last \
                     setup (read from {at})",
                    i.app
                )
            })
        }))
    }

    /// Keeps what a setup deploy runs its imported apps with.
    pub(crate) async fn record_setup_imports(
        &self,
        deploy_id: i64,
        imports: &[Import],
    ) -> Result<(), Error> {
        let digests: Vec<(String, String)> = imports
            .iter()
            .map(|i| (i.app.clone(), i.digest.clone()))
            .collect();
        Ok(import::record_setup(self.store.pool(), deploy_id, &digests).await?)
    }

    /// The apps `env` imports, as shown.
    pub async fn environment_imports(&self, env_id: &str) -> Result<Vec<ImportView>, Error> {
        let env = self.environment(env_id).await?;
        let resolved = self.resolve(&env, None).await?;
        Ok(resolved.imports.iter().map(ImportView::from).collect())
    }

    /// The app `import` names, or a located error saying which folder to add.
    async fn imported_app(
        &self,
        import: &AppImport,
        file: &str,
        importer: &str,
    ) -> Result<Option<App>, Error> {
        let Some(name) = import
            .name
            .as_ref()
            .filter(|n| !n.as_str().trim().is_empty())
        else {
            return Ok(None);
        };
        match app::by_name(self.store.pool(), name.as_str().trim()).await? {
            Some(app) => Ok(Some(app)),
            None => Err(Error::Invalid {
                diagnostics: vec![Diagnostic {
                    severity: Severity::Error,
                    file: file.to_owned(),
                    line: name.loc.line,
                    column: name.loc.column,
                    path: format!("{}.name", import.path.0),
                    message: format!(
                        "{importer} imports the app `{name}`, which Stagecraft does not know: add \
                         the folder of its repository (`stagecraft apps add PATH`, or Add app in \
                         the window), with `app: {name}` in its template or the folder named \
                         `{name}`"
                    ),
                }],
            }),
        }
    }

    /// Checks that every app `template` imports is known, before an environment is made.
    pub(crate) async fn check_imports(
        &self,
        template: &Template,
        file: &str,
        importer: &str,
    ) -> Result<(), Error> {
        for import in &template.app_imports {
            self.imported_app(import, file, importer).await?;
        }
        Ok(())
    }

    /// The branch kept for `env`'s import of `app`, chosen and kept now when it has none.
    async fn import_branch(
        &self,
        env: &Environment,
        import: &AppImport,
        app: &App,
    ) -> Result<ImportRow, Error> {
        let pool = self.store.pool();
        let kept = import::for_environment(pool, env.id).await?;
        let pinned = import
            .branch
            .as_ref()
            .map(|b| b.as_str().trim())
            .filter(|b| !b.is_empty());
        if let Some(row) = kept.into_iter().find(|r| r.app_name == app.name) {
            // The import's `branch` changed (set, changed or taken away) since the choice:
            // chosen again, as a new environment would choose; else kept.
            let still = match pinned {
                Some(branch) => row.rule == "template" && row.branch == branch,
                None => row.rule != "template",
            };
            if still {
                return Ok(row);
            }
            import::forget(pool, env.id, &app.name).await?;
        }
        let (_, template) = self.app_template(app).await?;
        let tracking = template
            .tracking_branch
            .as_ref()
            .or(template.tracking_tag.as_ref())
            .map(|t| t.value.clone());
        let (import, env_branch, chosen_app) = (import.clone(), env.branch.clone(), app.clone());
        let row = tokio::task::spawn_blocking(move || {
            choose_branch(&import, &env_branch, &chosen_app, tracking.as_deref())
        })
        .await
        .map_err(|e| Error::Git {
            message: format!("choosing the branch of {} stopped: {e}", app.name),
        })?;
        Ok(import::choose(pool, env.id, &row).await?)
    }

    /// Chooses and keeps the branch of each app `template` imports, for a new environment.
    pub(crate) async fn keep_import_branches(
        &self,
        env: &Environment,
        template: &Template,
        file: &str,
    ) -> Result<(), Error> {
        for import in &template.app_imports {
            if let Some(app) = self.imported_app(import, file, &env.app).await? {
                self.import_branch(env, import, &app).await?;
            }
        }
        Ok(())
    }

    /// The parts of `env` that `template` (its own configuration, `file`) imports, each read
    /// from its branch's newest commit, or from the one in `built` (what the build a deploy
    /// runs again read); `values` are the environment's parameters.
    pub(crate) async fn imports_of(
        &self,
        env: &Environment,
        template: &Template,
        file: &str,
        values: &[(String, String)],
        built: &[BuiltImport],
    ) -> Result<Vec<Import>, Error> {
        let mut out = Vec::new();
        for import in &template.app_imports {
            let Some(app) = self.imported_app(import, file, &env.app).await? else {
                continue;
            };
            let (row, commit) = match built.iter().find(|b| b.app_name == app.name) {
                Some(b) => {
                    let mut row = self.import_branch(env, import, &app).await?;
                    row.branch.clone_from(&b.branch);
                    (row, Some(b.git_commit.clone()))
                }
                None => (self.import_branch(env, import, &app).await?, None),
            };
            out.push(
                self.read_import(env, import, &app, row, commit, values)
                    .await?,
            );
        }
        Ok(out)
    }

    /// One imported app's files at its branch, made its part of `env`.
    /// `pinned`: the commit to read (none: the working tree) instead of the branch's newest.
    async fn read_import(
        &self,
        env: &Environment,
        import: &AppImport,
        app: &App,
        row: ImportRow,
        pinned: Option<Option<String>>,
        values: &[(String, String)],
    ) -> Result<Import, Error> {
        let repo = PathBuf::from(&app.repo_path);
        let commit = pinned.unwrap_or_else(|| commit_of(&repo, &row.branch));
        let short = |c: &str| c.chars().take(12).collect::<String>();
        // A folder that is no git repository is read as it is, as the importer's own is.
        let is_git = crate::commits::branches(&repo).is_some();
        let (template, variables, tree, file) = match &commit {
            _ if app.gitops && (commit.is_some() || !is_git) => {
                let tree = match &commit {
                    Some(commit) => self.commit_tree(app.id, &repo, commit).await?,
                    None => repo.clone(),
                };
                let read = tree.clone();
                let check = tokio::task::spawn_blocking(move || {
                    stagecraft_template::check_repository(&read)
                })
                .await
                .map_err(|e| Error::Git {
                    message: format!("reading the Release files of {} stopped: {e}", app.name),
                })?;
                let at = match &commit {
                    Some(commit) => format!("{} at {}", row.branch, short(commit)),
                    None => "working tree".to_owned(),
                };
                if check.diagnostics.has_errors() {
                    // Named as the imported app's files, not the importer's.
                    return Err(Error::Invalid {
                        diagnostics: check
                            .diagnostics
                            .0
                            .into_iter()
                            .map(|mut d| {
                                d.file = format!("{} {} ({at})", app.name, d.file);
                                d
                            })
                            .collect(),
                    });
                }
                let Some(template) = check.template else {
                    return Err(Error::Conflict {
                        message: format!(
                            "{} imports {}, whose branch `{}` has no Release files \
                             (`.release.yaml` or `.release/application_template.yaml`)",
                            env.app, app.name, row.branch
                        ),
                    });
                };
                let path = check
                    .files
                    .template
                    .as_ref()
                    .and_then(|p| p.strip_prefix(&tree).ok())
                    .map_or_else(|| "template".to_owned(), |p| p.display().to_string());
                let file = format!("{} {path} ({at})", app.name);
                (template, check.variables.unwrap_or_default(), tree, file)
            }
            None if app.gitops => {
                return Err(Error::Conflict {
                    message: format!(
                        "{} imports {} on `{}` ({}), which is not a branch or tag of {}: create \
                         it, or name another with `branch:` under the import",
                        env.app,
                        app.name,
                        row.branch,
                        why(&row.rule),
                        app.repo_path
                    ),
                });
            }
            _ => {
                let (config, template) = self.app_template(app).await?;
                let variables = stagecraft_template::parse_variables(
                    &config.template_file,
                    &config.variables_yaml,
                )
                .value
                .unwrap_or_default();
                let file = format!("{} configuration v{}", app.name, config.version);
                let tree = match &commit {
                    Some(commit) => self.commit_tree(app.id, &repo, commit).await?,
                    None => repo.clone(),
                };
                (template, variables, tree, file)
            }
        };
        let variables = self.sealer.unseal_variables(&variables)?;
        let template_as_read = template.clone();
        // Its template for this environment: the environment's kind when it has one, else its
        // own defaults.
        let has_kind = template.environment_templates.iter().any(|t| {
            t.name
                .as_ref()
                .is_some_and(|n| n.as_str() == env.environment_template)
        });
        let mut own = if has_kind {
            stagecraft_template::environment_config(&template, &env.environment_template, &file)
                .map_err(|d| Error::Invalid { diagnostics: d.0 })?
        } else {
            template.clone()
        };
        // Its parameters take the environment's values of the same name, else their
        // defaults; a required one with neither cannot be given here: refused, saying how.
        let specs = stagecraft_template::declared_parameters(&own);
        let mut params: Vec<(String, String)> = Vec::new();
        for spec in &specs {
            let given = values.iter().find(|(n, _)| *n == spec.name).map(|(_, v)| v);
            match given.or(spec.default.as_ref()) {
                Some(value) => params.push((spec.name.clone(), value.clone())),
                None if spec.required => {
                    return Err(Error::Conflict {
                        message: format!(
                            "{} requires the parameter `{}`, which {} does not give: declare \
                             `{}` in {}'s template (the environment's parameters reach the \
                             apps it imports by name), or give it a default in {}'s",
                            file, spec.name, env.env_id, spec.name, env.app, app.name
                        ),
                    });
                }
                None => params.push((spec.name.clone(), String::new())),
            }
        }
        stagecraft_template::apply_parameters(&mut own, &params).map_err(|name| {
            Error::Conflict {
                message: format!(
                    "{file} reads `${{parameters.{name}}}`, which has no value: give {} a \
                     parameter `{name}` (`stagecraft environments params-set`), or a default \
                     in {}'s template",
                    env.env_id, app.name
                ),
            }
        })?;
        let excluded = stagecraft_template::excluded_services(import);
        let template = stagecraft_template::without_services(own, &excluded);
        let variables = crate::environment::environment_variables(variables);
        let digest = digest_of(&template, &variables, &params);
        Ok(Import {
            app: app.name.clone(),
            branch: row.branch,
            rule: row.rule,
            commit,
            tree,
            template,
            located: template_as_read,
            variables,
            file,
            excluded,
            parameters: params,
            digest,
        })
    }
}
