//! A commit's files, for a build that must read that commit and not whatever the working tree
//! holds: `git archive` of the commit, unpacked once under the data folder and reused by every
//! build of the same commit.
//!
//! Builds read the commit the environment's branch names, unpacked under
//! `<data folder>/checkouts/<app id>/<commit>` (the 5 most recently used per app are kept); a deploy may
//! ask for the working tree instead, and a folder that is not a git repository is built as it
//! is.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// Checkouts kept per app; older ones are removed when a new one is made.
const KEPT_PER_APP: usize = 5;

/// The folder holding `commit` of the repository at `repo`, made when missing.
pub(crate) fn commit_tree(
    checkouts: &Path,
    app_id: i64,
    repo: &Path,
    commit: &str,
) -> Result<PathBuf, Error> {
    let app_dir = checkouts.join(app_id.to_string());
    let target = app_dir.join(commit);
    if target.is_dir() {
        // Used again: the newest to keep (pruning keeps the most recently used).
        touch(&target);
        return Ok(target);
    }
    std::fs::create_dir_all(&app_dir).map_err(|source| Error::WriteFile {
        path: app_dir.clone(),
        source,
    })?;
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", commit])
        .output()
        .map_err(|e| Error::Git {
            message: format!(
                "reading commit {commit} needs git on PATH ({e}): install git, or deploy the \
                 working tree (`stagecraft deploys create --working-tree`)"
            ),
        })?;
    if !output.status.success() {
        return Err(Error::Git {
            message: format!(
                "git archive of commit {commit} in {} failed: {}",
                repo.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    // Unpacked beside its final place and renamed: a crash never leaves half a checkout
    // where a later build would take it for a whole one.
    // One per unpacking, also between tasks of one process.
    static UNPACKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let partial = app_dir.join(format!(
        ".{commit}.partial-{}-{}",
        std::process::id(),
        UNPACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&partial);
    tar::Archive::new(output.stdout.as_slice())
        .unpack(&partial)
        .map_err(|source| Error::WriteFile {
            path: partial.clone(),
            source,
        })?;
    match std::fs::rename(&partial, &target) {
        Ok(()) => {}
        // Another process made it first: theirs is as good.
        Err(_) if target.is_dir() => {
            let _ = std::fs::remove_dir_all(&partial);
        }
        Err(source) => {
            return Err(Error::WriteFile {
                path: target,
                source,
            });
        }
    }
    prune(&app_dir, &target);
    Ok(target)
}

/// Marks a checkout used now.
fn touch(dir: &Path) {
    if let Ok(file) = std::fs::File::open(dir) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

/// Removes all but the most recently used checkouts of an app (never `keep`).
fn prune(app_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(app_dir) else {
        return;
    };
    let mut checkouts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    checkouts.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, path) in checkouts.into_iter().skip(KEPT_PER_APP) {
        if path != keep {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}
