//! auto_deploy: a new commit on an environment's branch patches it (Release's branch
//! environments). The commit is read from the repository's own files, as git writes them.

use std::path::{Path, PathBuf};

use stagecraft_engine::{EnvironmentStatus, Stage};
use stagecraft_store::{app, environment};

use crate::deploy::Read;
use crate::{DeployReport, Error, Stagecraft};

/// The git directory of a work tree: `.git`, or where a `.git` file points (a worktree or a
/// submodule).
fn git_dir(repo: &Path) -> Option<PathBuf> {
    let dot_git = repo.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let pointer = std::fs::read_to_string(&dot_git).ok()?;
    let target = pointer.trim().strip_prefix("gitdir:")?.trim();
    Some(repo.join(target))
}

/// The commit `refs/heads/<branch>` names, loose or packed; `None` when the branch does not
/// exist or the folder is no git repository.
pub fn branch_commit(repo: &Path, branch: &str) -> Option<String> {
    let git = git_dir(repo)?;
    // A worktree keeps its refs in the common directory.
    let common = std::fs::read_to_string(git.join("commondir"))
        .ok()
        .map(|c| git.join(c.trim()))
        .unwrap_or_else(|| git.clone());
    let reference = format!("refs/heads/{branch}");
    for dir in [&git, &common] {
        if let Ok(loose) = std::fs::read_to_string(dir.join(&reference)) {
            let commit = loose.trim();
            if is_commit(commit) {
                return Some(commit.to_owned());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (commit, name) = line.split_once(' ')?;
        (name.trim() == reference && is_commit(commit)).then(|| commit.to_owned())
    })
}

/// The local branches of the git repository at `repo`, sorted; `None` when the folder is no
/// git repository (or git cannot read it).
pub(crate) fn branches(repo: &Path) -> Option<Vec<String>> {
    git_dir(repo)?;
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["for-each-ref", "--format=%(refname:short)", "refs/heads/"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    names.sort();
    Some(names)
}

fn is_commit(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.chars().all(|c| c.is_ascii_hexdigit())
}

impl Stagecraft {
    /// Looks at every environment's own branch (Release's branch environments). A commit an
    /// environment sees for the first time is recorded; a new one patches it, when its app has
    /// auto_deploy on and it is deployed (or failed). With GitOps the commit's Release files
    /// are read first: a change to them sets up instead. Also records each app's tracking
    /// branch commit. Returns the patches run or queued.
    pub async fn check_commits(&self) -> Result<Vec<DeployReport>, Error> {
        let pool = self.store.pool();
        let apps = self.apps().await?;
        for app in &apps {
            if let Some(commit) = branch_commit(Path::new(&app.repo_path), &app.tracking_branch)
                && app.last_commit.as_deref() != Some(commit.as_str())
            {
                app::set_last_commit(pool, app.id, app.last_commit.as_deref(), &commit).await?;
            }
        }
        let mut reports = Vec::new();
        for mut env in self.environments().await? {
            if matches!(
                env.status,
                EnvironmentStatus::TornDown
                    | EnvironmentStatus::TearingDown
                    | EnvironmentStatus::TeardownFailed
            ) {
                continue;
            }
            let Some(app) = apps.iter().find(|a| a.id == env.app_id) else {
                continue;
            };
            let Some(commit) = branch_commit(Path::new(&app.repo_path), &env.branch) else {
                continue;
            };
            let seen = environment::last_commit(pool, env.id).await?;
            if seen.as_deref() == Some(commit.as_str()) {
                continue;
            }
            // Not while a pause waits to run: the commit waits for the resume, as it does while
            // the environment is paused.
            let patchable = matches!(
                env.status,
                EnvironmentStatus::Deployed
                    | EnvironmentStatus::Degraded
                    | EnvironmentStatus::Failed
            ) && !crate::pause::paused_by_then(self, &env).await?;
            // A commit that lands while the environment deploys (or before auto_deploy is on)
            // stays unseen: a later round patches it. The first look only records.
            if seen.is_some() && (!app.auto_deploy || !patchable) {
                continue;
            }
            // Another process that saw the commit first deploys it.
            if !environment::set_last_commit(pool, env.id, seen.as_deref(), &commit).await? {
                continue;
            }
            if seen.is_none() {
                continue;
            }
            let short: String = commit.chars().take(7).collect();
            let reason = format!("patch: new commit {short} on {} (auto_deploy)", env.branch);
            // With GitOps the commit may change the configuration too: then it sets up.
            let report = match self.sync(&mut env, false).await? {
                Ok(Read {
                    synced: None,
                    commit,
                }) => self.queue(&env, Stage::Patch, &reason, commit).await?,
                Ok(Read {
                    synced: Some(synced),
                    commit,
                }) => {
                    let reason = format!(
                        "{}; new commit {short} on {} (auto_deploy)",
                        synced.reason(),
                        env.branch
                    );
                    self.queue(&env, Stage::Setup, &reason, commit).await?
                }
                Err(why) => {
                    let deploy = self.refuse(&env, Stage::Patch, &reason, &why).await?;
                    DeployReport { deploy, ran: true }
                }
            };
            reports.push(report);
        }
        Ok(reports)
    }
}
