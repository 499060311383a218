//! `gitops validate` and `gitops init`: a repository's Release files checked, or created.

use std::path::{Path, PathBuf};

use serde::Serialize;
use stagecraft_template::{ComposeSource, Diagnostic, Severity, WorkflowPlan};

use crate::Error;

/// What `gitops validate` reports. Field names are part of the CLI's JSON output: stable.
#[derive(Debug, Clone, Serialize)]
pub struct GitopsReport {
    /// No errors (warnings allowed).
    pub valid: bool,
    pub errors: usize,
    pub warnings: usize,
    pub files: GitopsFileNames,
    pub diagnostics: Vec<Diagnostic>,
    pub plans: Vec<WorkflowPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitopsFileNames {
    pub release_file: Option<String>,
    pub application_template: Option<String>,
    pub environment_variables: Option<String>,
    pub compose: Option<String>,
}

fn shown(root: &Path, path: Option<&PathBuf>) -> Option<String> {
    path.map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
}

/// Finds and checks the Release files of the repository at `root`.
pub fn gitops_validate(root: &Path) -> Result<GitopsReport, Error> {
    if !root.is_dir() {
        return Err(Error::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    let check = stagecraft_template::check_repository(root);
    let errors = check.diagnostics.errors().count();
    let warnings = check.diagnostics.warnings().count();
    Ok(GitopsReport {
        valid: errors == 0,
        errors,
        warnings,
        files: GitopsFileNames {
            release_file: shown(root, check.files.release_file.as_ref()),
            application_template: shown(root, check.files.template.as_ref()),
            environment_variables: shown(root, check.files.variables.as_ref()),
            compose: shown(root, check.files.compose.as_ref()),
        },
        diagnostics: check.diagnostics.0,
        plans: check.plans,
    })
}

/// What `gitops init` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GitopsInit {
    pub written: Vec<String>,
    /// What a compose import could not carry over.
    pub diagnostics: Vec<Diagnostic>,
}

/// The most bytes a Release file (or a file given on standard input) is read up to: the
/// template parser's own limit.
pub fn file_limit() -> usize {
    stagecraft_template::Limits::default().max_bytes
}

/// The compose file `gitops init` was given, with the `.env` beside it and this process's
/// environment over that, as compose reads them. Files it extends are read from inside the
/// repository when it is in it, else from inside its own folder. Bounded before it is read:
/// a pipe or a device is refused, not waited on.
fn compose_source(root: &Path, path: &Path) -> Result<ComposeSource, Error> {
    let real = path.canonicalize().map_err(|error| Error::Invalid {
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            file: path.display().to_string(),
            line: 1,
            column: 1,
            path: String::new(),
            message: format!("cannot read the compose file: {error}"),
        }],
    })?;
    let repository = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let bound = if real.starts_with(&repository) {
        repository
    } else {
        real.parent().map(Path::to_path_buf).unwrap_or(repository)
    };
    ComposeSource::read(&bound, &real, stagecraft_template::process_environment()).map_err(
        |found| Error::Invalid {
            diagnostics: found.0,
        },
    )
}

/// Writes `.release.yaml` and `.release/*.yaml` into `root`, from `compose` when given.
/// Refuses to overwrite an existing file unless `force`.
pub fn gitops_init(root: &Path, compose: Option<&Path>, force: bool) -> Result<GitopsInit, Error> {
    if !root.is_dir() {
        return Err(Error::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    let app = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".to_owned());
    let source = match compose {
        Some(path) => Some(compose_source(root, path)?),
        None => None,
    };
    let (files, diagnostics) = stagecraft_template::scaffold(&app, source.as_ref());
    if diagnostics.has_errors() {
        return Err(Error::Invalid {
            diagnostics: diagnostics.0,
        });
    }
    if !force && let Some((existing, _)) = files.iter().find(|(name, _)| root.join(name).exists()) {
        return Err(Error::Exists {
            path: root.join(existing),
        });
    }
    let mut written = Vec::new();
    for (name, contents) in &files {
        let path = root.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::WriteFile {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, contents).map_err(|source| Error::WriteFile {
            path: path.clone(),
            source,
        })?;
        written.push(name.clone());
    }
    Ok(GitopsInit {
        written,
        diagnostics: diagnostics
            .0
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect(),
    })
}
