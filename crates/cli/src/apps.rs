//! `stagecraft apps list|get|add|remove|refresh|set-registry|set-gitops|vars-file|vars-set|handles|
//! schedule`: the apps,
//! local repositories with Release files.

use std::path::PathBuf;

use clap::Subcommand;
use stagecraft_api::{Error, Stagecraft};

use crate::Output;
use crate::output::{structured, table};

#[derive(Debug, Subcommand)]
pub(crate) enum Apps {
    /// Every app.
    List,
    /// One app: its newest configuration version, whether it follows its Release files, and
    /// its environments.
    Get { app: String },
    /// Reads the app's Release files again (outside GitOps) and shows how they differ from its
    /// newest version; `--keep` makes them its next version, which environments created from
    /// then on copy.
    Refresh {
        app: String,
        #[arg(long)]
        keep: bool,
    },
    /// Adds the app whose Release files (or docker-compose file) are in PATH.
    Add { path: PathBuf },
    /// Removes the app, the images its builds made, and the history of its torn-down
    /// environments. Refused while an environment of it is not torn down.
    Remove { app: String },
    /// Names the registry an app's built images are pushed to when its environments run on a
    /// cluster that pulls them (any but kind, k3d, minikube and Docker Desktop). Pushes use
    /// your Docker credentials: `docker login <host>` first.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["registry", "clear"])))]
    SetRegistry {
        app: String,
        /// `host[:port]/path`, as in `registry.example.com/team`; images go under it as
        /// `<app>-<service>:<content tag>`.
        registry: Option<String>,
        /// Names none: built images then reach only local clusters.
        #[arg(long)]
        clear: bool,
        /// Lets the clusters pull the images with your Docker login for the registry: it is
        /// kept as a Secret in each environment's namespace. For registries the cluster's
        /// nodes cannot pull from by themselves.
        #[arg(long, conflicts_with = "clear")]
        share_login: bool,
    },
    /// Whether the app's environments follow the Release files of their branch (GitOps, on for
    /// an app added from Release files): each deploy reads them from the commit it builds, and
    /// a change makes it run setup. Off, the configuration is edited in the app.
    SetGitops {
        app: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// The app's default variables file, each secret shown as ••••••.
    VarsFile { app: String },
    /// Replaces the app's default variables file with the YAML on standard input (checked; a
    /// secret left as •••••• keeps its value): environments created from then on copy it.
    /// Not with GitOps.
    VarsSet { app: String },
    /// The app's environment handles: pools of fixed names. An environment whose template asks
    /// for a pool (`datasets: [{name: POOL}]`) takes a free name of it as its id when it is
    /// made, so its URLs stay the same each time; its teardown frees the name.
    #[command(subcommand)]
    Handles(Handles),
    /// Shows or sets the app's default pausing schedule: each of its environments without a
    /// schedule of its own is paused and resumed by it (`--pause 19:00 --resume 08:00 --days
    /// mon-fri`, local times).
    Schedule {
        app: String,
        #[command(flatten)]
        flags: crate::schedule::ScheduleFlags,
        /// Removes the default.
        #[arg(long, conflicts_with_all = ["pause", "resume", "days"])]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Handles {
    /// Every handle of the app, by pool, with the environment holding each.
    List { app: String },
    /// Adds names to a pool (made by its first name).
    Add {
        app: String,
        pool: String,
        names: Vec<String>,
        /// Also adds `<POOL>1` to `<POOL><N>`, as Release numbers a pool's handles.
        #[arg(long, value_name = "N")]
        count: Option<u32>,
    },
    /// Removes names from a pool; refused while one is held.
    Remove {
        app: String,
        pool: String,
        #[arg(required = true)]
        names: Vec<String>,
    },
}

impl Apps {
    /// Whether the command talks to the Docker engine: only `remove`, for the app's images.
    pub(crate) fn uses_docker(&self) -> bool {
        matches!(self, Self::Remove { .. })
    }
}

pub(crate) async fn execute(
    stagecraft: &Stagecraft,
    command: Apps,
    output: Output,
) -> Result<u8, Error> {
    match command {
        Apps::Schedule { app, flags, clear } => {
            crate::schedule::app(stagecraft, &app, flags, clear, output).await?;
        }
        Apps::Handles(command) => {
            let handles = match command {
                Handles::List { app } => stagecraft.handles(&app).await?,
                Handles::Add {
                    app,
                    pool,
                    names,
                    count,
                } => stagecraft.add_handles(&app, &pool, names, count).await?,
                Handles::Remove { app, pool, names } => {
                    stagecraft.remove_handles(&app, &pool, names).await?
                }
            };
            match output {
                Output::Table => table(
                    &["POOL", "HANDLE", "HELD BY"],
                    &handles
                        .iter()
                        .map(|h| {
                            vec![
                                h.pool.clone(),
                                h.name.clone(),
                                h.held_by.clone().unwrap_or_else(|| "(free)".to_owned()),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&handles, output),
            }
        }
        Apps::List => {
            let apps = stagecraft.apps().await?;
            match output {
                Output::Table => table(
                    &[
                        "NAME",
                        "REPOSITORY",
                        "BRANCH",
                        "AUTO DEPLOY",
                        "GITOPS",
                        "IMAGE REGISTRY",
                    ],
                    &apps
                        .iter()
                        .map(|a| {
                            vec![
                                a.name.clone(),
                                a.repo_path.clone(),
                                a.tracking_branch.clone(),
                                a.auto_deploy.to_string(),
                                if a.gitops { "on" } else { "off" }.to_owned(),
                                a.image_registry.clone().unwrap_or_else(|| "-".to_owned()),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => structured(&apps, output),
            }
        }
        Apps::Get { app } => {
            let detail = stagecraft.app_get(&app).await?;
            match output {
                Output::Table => {
                    table(
                        &["NAME", "VERSION", "GITOPS", "BRANCH", "REPOSITORY"],
                        &[vec![
                            detail.app.name.clone(),
                            format!("v{}", detail.version),
                            if detail.app.gitops { "on" } else { "off" }.to_owned(),
                            detail.app.tracking_branch.clone(),
                            detail.app.repo_path.clone(),
                        ]],
                    );
                    if !detail.environments.is_empty() {
                        crate::output::raw("\n");
                        table(
                            &["ENVIRONMENT", "BRANCH", "STATUS", "VERSION"],
                            &detail
                                .environments
                                .iter()
                                .map(|e| {
                                    vec![
                                        e.env_id.clone(),
                                        e.branch.clone(),
                                        e.status.as_str().to_owned(),
                                        e.version.to_string(),
                                    ]
                                })
                                .collect::<Vec<_>>(),
                        );
                    }
                }
                _ => structured(&detail, output),
            }
        }
        Apps::Refresh { app, keep } => {
            let refresh = stagecraft.app_refresh(&app, keep).await?;
            match output {
                Output::Table => crate::output::raw(&describe_refresh(&refresh)),
                _ => structured(&refresh, output),
            }
        }
        Apps::Add { path } => {
            let stagecraft_api::AddedApp { app, warnings } = stagecraft.add_app(&path).await?;
            for warning in &warnings {
                eprintln!("{warning}");
            }
            match output {
                Output::Table => table(
                    &["NAME", "REPOSITORY", "BRANCH"],
                    &[vec![app.name, app.repo_path, app.tracking_branch]],
                ),
                _ => structured(&app, output),
            }
        }
        Apps::SetRegistry {
            app,
            registry,
            clear: _,
            share_login,
        } => {
            let app = stagecraft
                .set_image_registry(&app, registry.as_deref(), share_login)
                .await?;
            match output {
                Output::Table => table(
                    &["NAME", "IMAGE REGISTRY", "SHARES LOGIN"],
                    &[vec![
                        app.name,
                        app.image_registry.unwrap_or_else(|| "-".to_owned()),
                        app.share_registry_login.to_string(),
                    ]],
                ),
                _ => structured(&app, output),
            }
        }
        Apps::Remove { app } => {
            let removed = stagecraft.remove_app(&app).await?;
            match output {
                Output::Table => table(
                    &["APP", "ENVIRONMENTS", "IMAGES"],
                    &[vec![
                        removed.app.clone(),
                        removed.environments.len().to_string(),
                        removed.images.len().to_string(),
                    ]],
                ),
                _ => structured(&removed, output),
            }
        }
        Apps::VarsFile { app } => {
            let file = stagecraft.app_variables_file(&app).await?;
            match output {
                Output::Table => crate::output::raw(&file.yaml),
                _ => structured(
                    &serde_json::json!({ "variables_yaml": file.yaml, "follows": file.follows }),
                    output,
                ),
            }
        }
        Apps::VarsSet { app } => {
            let yaml = crate::environments::read_stdin()?;
            let version = stagecraft.app_variables_set(&app, &yaml).await?;
            match output {
                Output::Table => table(&["APP", "VERSION"], &[vec![app, version.to_string()]]),
                _ => structured(
                    &serde_json::json!({ "app": app, "version": version }),
                    output,
                ),
            }
        }
        Apps::SetGitops { app, state } => {
            let app = stagecraft.set_gitops(&app, state == "on").await?;
            match output {
                Output::Table => table(
                    &["NAME", "GITOPS", "BRANCH"],
                    &[vec![
                        app.name,
                        if app.gitops { "on" } else { "off" }.to_owned(),
                        app.tracking_branch,
                    ]],
                ),
                _ => structured(&app, output),
            }
        }
    }
    Ok(0)
}

/// A refresh as people read it: each file's difference (unified, as `diff -u` prints it), then
/// what became of it.
fn describe_refresh(refresh: &stagecraft_api::AppRefresh) -> String {
    let mut text = String::new();
    for (name, before, after) in [
        (
            "template",
            &refresh.template_before,
            &refresh.template_after,
        ),
        (
            "variables",
            &refresh.variables_before,
            &refresh.variables_after,
        ),
    ] {
        if before != after {
            let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
            text.push_str(
                &diff
                    .unified_diff()
                    .header(
                        &format!("{name} v{}", refresh.from_version),
                        &format!("{name} (files)"),
                    )
                    .to_string(),
            );
        }
    }
    if refresh.secrets_changed {
        text.push_str("a secret's value changed\n");
    }
    text.push_str(&match (refresh.changed(), refresh.kept_version) {
        (false, _) => format!(
            "{}'s files are as its v{} has them\n",
            refresh.app, refresh.from_version
        ),
        (true, Some(version)) => {
            format!("kept as v{version}: environments created from now on use it\n")
        }
        (true, None) => "not kept: run again with --keep to make it the next version\n".to_owned(),
    });
    text
}
