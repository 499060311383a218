//! A repository's Release files checked together, as `stagecraft gitops validate` does:
//! `.release.yaml` names the template and variables files (else `.release/` holds them under
//! their usual names, else a docker-compose file is imported), and each is read, validated,
//! planned and resolved.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{ReleaseFile, Template, VariablesFile};
use crate::plan::{WorkflowPlan, plan_workflow};
use crate::variables::{Injected, resolve_variables};
use crate::yaml::Loc;
use crate::{
    ComposeSource, import, load_template, parse_release_file, parse_variables, template_to_yaml,
    variables_to_yaml,
};

/// Where a repository's Release files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitopsFiles {
    pub release_file: Option<PathBuf>,
    pub template: Option<PathBuf>,
    pub variables: Option<PathBuf>,
    pub compose: Option<PathBuf>,
}

/// What `gitops validate` found.
#[derive(Debug, Clone)]
pub struct RepoCheck {
    pub files: GitopsFiles,
    pub template: Option<Template>,
    pub variables: Option<VariablesFile>,
    pub plans: Vec<WorkflowPlan>,
    pub diagnostics: Diagnostics,
}

const TEMPLATE_NAMES: &[&str] = &[
    ".release/application_template.yaml",
    ".release/application-template.yaml",
];
const VARIABLES_NAMES: &[&str] = &[
    ".release/environment_variables.yaml",
    ".release/environment-variables.yaml",
];
const COMPOSE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

fn first_existing(root: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|n| root.join(n))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Whether `path` leads to something; an error that says why not otherwise (a link to
/// nothing, a loop of links).
fn reachable(root: &Path, path: &Path, diagnostics: &mut Diagnostics) -> bool {
    let Err(error) = path.canonicalize() else {
        return true;
    };
    let name = relative(root, path);
    diagnostics.push(
        Severity::Error,
        &name,
        Loc { line: 1, column: 1 },
        "",
        crate::file::unreachable(&name, path, &error),
    );
    false
}

fn read(root: &Path, path: &Path, diagnostics: &mut Diagnostics) -> Option<String> {
    if !reachable(root, path, diagnostics) {
        return None;
    }
    // A file found by its usual name may be a link: it is read only if it leads inside.
    let name = relative(root, path);
    let path = match crate::file::resolve_inside(root, path, &name) {
        Ok(path) => path,
        Err(message) => {
            diagnostics.push(
                Severity::Error,
                &name,
                Loc { line: 1, column: 1 },
                "",
                message,
            );
            return None;
        }
    };
    match crate::read_file(&path) {
        Ok(text) => Some(text),
        Err(error) => {
            diagnostics.push(Severity::Error, &name, error.loc, "", error.message);
            None
        }
    }
}

/// Finds, reads and checks the Release files of the repository at `root`.
pub fn check_repository(root: &Path) -> RepoCheck {
    let mut diagnostics = Diagnostics::default();
    let mut files = GitopsFiles {
        // A link that leads nowhere is found too, and then said to be one when read.
        release_file: Some(root.join(".release.yaml"))
            .filter(|p| std::fs::symlink_metadata(p).is_ok()),
        template: None,
        variables: None,
        compose: None,
    };
    let mut named = ReleaseFile::default();
    if let Some(path) = &files.release_file
        && let Some(text) = read(root, path, &mut diagnostics)
    {
        let parsed = parse_release_file(".release.yaml", &text);
        diagnostics.extend(parsed.diagnostics);
        named = parsed.value.unwrap_or_default();
    }
    let resolve = |text: &Option<crate::Text>, field: &str, diagnostics: &mut Diagnostics| {
        let name = text.as_ref()?;
        // Nothing is read from outside the repository, through `..` or a link.
        let written = name.as_str().trim_start_matches("./");
        match crate::file::inside(root, root, written) {
            // Named as written, so messages show the path the user wrote.
            Ok(_) => Some(root.join(written)),
            Err(message) => {
                diagnostics.push(Severity::Error, ".release.yaml", name.loc, field, message);
                None
            }
        }
    };
    files.template = resolve(
        &named.application_template,
        "application_template",
        &mut diagnostics,
    )
    .or_else(|| {
        named
            .application_template
            .is_none()
            .then(|| first_existing(root, TEMPLATE_NAMES))
            .flatten()
    });
    files.variables = resolve(
        &named.environment_variables,
        "environment_variables",
        &mut diagnostics,
    )
    .or_else(|| {
        named
            .environment_variables
            .is_none()
            .then(|| first_existing(root, VARIABLES_NAMES))
            .flatten()
    });
    files.compose = resolve(&named.compose, "compose", &mut diagnostics)
        .or_else(|| first_existing(root, COMPOSE_NAMES));

    let mut template = None;
    let mut variables = None;
    if let Some(path) = &files.template {
        if let Some(text) = read(root, path, &mut diagnostics) {
            let file = relative(root, path);
            let parsed = load_template(&file, &text);
            diagnostics.extend(parsed.diagnostics);
            diagnostics.extend(crate::unsupported(&file, &text, crate::Target::Either));
            if let Some(template) = &parsed.value {
                diagnostics.extend(build_files(root, &file, template));
            }
            template = parsed.value;
        }
    } else if let Some(path) = &files.compose {
        // Variables from `.env` and the environment, as `docker compose config` here would.
        let source = reachable(root, path, &mut diagnostics)
            .then(|| ComposeSource::read(root, path, crate::process_environment()));
        match source {
            Some(Ok(source)) => {
                let app = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "app".into());
                let import = import(&source, &app, "");
                diagnostics.extend(import.diagnostics);
                template = Some(import.template);
                variables = Some(import.variables);
            }
            Some(Err(found)) => diagnostics.extend(found),
            None => {}
        }
    } else if files.release_file.is_none() {
        diagnostics.push(
            Severity::Error,
            &root.display().to_string(),
            Loc::default(),
            "",
            "no Release files: expected `.release.yaml`, `.release/application_template.yaml` or a \
             docker-compose file. Run `stagecraft gitops init` to create them"
                .to_owned(),
        );
    }
    if let Some(path) = &files.variables
        && let Some(text) = read(root, path, &mut diagnostics)
    {
        let parsed = parse_variables(&relative(root, path), &text);
        diagnostics.extend(parsed.diagnostics);
        variables = parsed.value;
    }

    let mut plans = Vec::new();
    if let Some(template) = &template {
        for workflow in &template.workflows {
            if let Some(name) = &workflow.name {
                plans.extend(plan_workflow(template, name.as_str()));
            }
        }
        if let (Some(vars), Some(path)) = (&variables, &files.variables) {
            diagnostics.extend(crate::check_variables(
                template,
                vars,
                &relative(root, path),
            ));
            let injected = Injected::sample(template);
            if let Err(found) = resolve_variables(template, vars, &injected, &relative(root, path))
            {
                diagnostics.extend(found);
            }
        }
    }
    diagnostics.sort();
    RepoCheck {
        files,
        template,
        variables,
        plans,
        diagnostics,
    }
}

/// What `gitops init` writes: `(path relative to the repository, contents)`. From a compose
/// file when given, else a minimal template to fill in. What it writes is read back and
/// checked as `gitops validate` would: an error there is an error of the import.
pub fn scaffold(
    app: &str,
    compose: Option<&ComposeSource>,
) -> (Vec<(String, String)>, Diagnostics) {
    let (template, variables, mut diagnostics) = match compose {
        Some(source) => {
            let import = import(source, app, "");
            (import.template, import.variables, import.diagnostics)
        }
        None => {
            let starter = format!(
                "app: {app}\nenvironment_templates:\n- name: ephemeral\n- name: permanent\n\
                 services:\n- name: web\n  image: nginx:stable\n  ports:\n  - type: node_port\n    \
                 port: '8080'\n    target_port: '80'\nworkflows:\n- name: setup\n  order_from:\n  \
                 - services.all\n- name: patch\n  order_from:\n  - services.all\n- name: teardown\n  \
                 order_from:\n  - release.remove_environment\n"
            );
            let template = crate::parse_template("starter", &starter)
                .value
                .unwrap_or_default();
            (template, VariablesFile::default(), Diagnostics::default())
        }
    };
    let mut variables_yaml = variables_to_yaml(&variables);
    if variables.defaults.is_empty() {
        variables_yaml = format!(
            "defaults: []\n{}",
            variables_yaml.trim_start_matches("{}\n")
        );
    }
    if !diagnostics.has_errors() {
        let root = compose
            .and_then(|source| source.location.as_ref())
            .map(|location| location.root.as_path());
        diagnostics.extend(check_written(
            &template_to_yaml(&template),
            &variables_yaml,
            root,
        ));
        diagnostics.sort();
    }
    let files = vec![
        (
            ".release.yaml".to_owned(),
            "application_template: .release/application_template.yaml\n\
             environment_variables: .release/environment_variables.yaml\n"
                .to_owned(),
        ),
        (
            ".release/application_template.yaml".to_owned(),
            template_to_yaml(&template),
        ),
        (
            ".release/environment_variables.yaml".to_owned(),
            variables_yaml,
        ),
    ];
    (files, diagnostics)
}

/// What `gitops validate` would find in the files `scaffold` writes: only their errors, since
/// the import's own warnings already say what was dropped.
/// With the repository's `root`, its build contexts and Dockerfiles are looked for too.
fn check_written(template_yaml: &str, variables_yaml: &str, root: Option<&Path>) -> Diagnostics {
    const TEMPLATE: &str = ".release/application_template.yaml";
    const VARIABLES: &str = ".release/environment_variables.yaml";
    let mut found = Diagnostics::default();
    let template = load_template(TEMPLATE, template_yaml);
    found.extend(template.diagnostics);
    if let (Some(root), Some(written)) = (root, &template.value) {
        found.extend(build_files(root, TEMPLATE, written));
    }
    let variables = parse_variables(VARIABLES, variables_yaml);
    found.extend(variables.diagnostics);
    if let (Some(template), Some(variables)) = (&template.value, &variables.value) {
        found.extend(crate::check_variables(template, variables, VARIABLES));
        if let Err(errors) =
            resolve_variables(template, variables, &Injected::sample(template), VARIABLES)
        {
            found.extend(errors);
        }
    }
    found.0.retain(|d| d.severity == Severity::Error);
    found
}

/// A static service's `build_base` found as a folder inside the repository.
fn static_base(root: &Path, file: &str, service: &crate::model::Service, out: &mut Diagnostics) {
    let base = service.build_base.as_ref().map_or(".", |b| b.as_str());
    let loc = service.build_base.as_ref().map_or(service.loc, |b| b.loc);
    let problem = match crate::file::inside(root, root, base) {
        Ok(dir) if dir.is_dir() => return,
        Ok(_) => format!("`build_base` `{base}` is not a folder: name a folder"),
        Err(message) => format!("`build_base` {message}"),
    };
    out.push(
        Severity::Error,
        file,
        loc,
        &crate::read::child(&service.path, "build_base"),
        problem,
    );
}

/// Each built service's context and Dockerfile found inside the repository (after links are
/// followed), as a build will look for them: the context from the repository's root, the
/// Dockerfile from the context. An error at the key that names what is missing or outside.
fn build_files(root: &Path, file: &str, template: &Template) -> Diagnostics {
    let mut out = Diagnostics::default();
    for service in &template.services {
        if service.is_static_site() {
            static_base(root, file, service, &mut out);
            continue;
        }
        let Some(build) = &service.build else {
            continue;
        };
        let build_path = crate::read::child(&service.path, "build");
        let context = build.context.as_ref().map_or(".", |c| c.as_str());
        let context_loc = build.context.as_ref().map_or(service.loc, |c| c.loc);
        let context_dir = match crate::file::inside(root, root, context) {
            Ok(dir) if dir.is_dir() => dir,
            Ok(_) => {
                out.push(
                    Severity::Error,
                    file,
                    context_loc,
                    &crate::read::child(&build_path, "context"),
                    format!("the build context `{context}` is not a folder: name a folder"),
                );
                continue;
            }
            Err(message) => {
                out.push(
                    Severity::Error,
                    file,
                    context_loc,
                    &crate::read::child(&build_path, "context"),
                    format!("the build context {message}"),
                );
                continue;
            }
        };
        let dockerfile = build
            .dockerfile
            .as_ref()
            .map_or("Dockerfile", |d| d.as_str());
        let dockerfile_loc = build.dockerfile.as_ref().map_or(context_loc, |d| d.loc);
        let problem = match crate::file::inside(root, &context_dir, dockerfile) {
            Ok(path) if path.is_file() => None,
            Ok(_) => Some(format!(
                "the Dockerfile `{dockerfile}` is not a regular file: name a file"
            )),
            Err(message) => Some(format!(
                "the Dockerfile {message} (read from the context `{context}`)"
            )),
        };
        if let Some(message) = problem {
            out.push(
                Severity::Error,
                file,
                dockerfile_loc,
                &crate::read::child(&build_path, "dockerfile"),
                message,
            );
        }
    }
    out
}
