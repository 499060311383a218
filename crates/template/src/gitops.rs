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
    import_compose, load_template, parse_release_file, parse_variables, template_to_yaml,
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
    names.iter().map(|n| root.join(n)).find(|p| p.is_file())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read(root: &Path, path: &Path, diagnostics: &mut Diagnostics) -> Option<String> {
    match crate::read_file(path) {
        Ok(text) => Some(text),
        Err(error) => {
            diagnostics.push(
                Severity::Error,
                &relative(root, path),
                error.loc,
                "",
                error.message,
            );
            None
        }
    }
}

/// Finds, reads and checks the Release files of the repository at `root`.
pub fn check_repository(root: &Path) -> RepoCheck {
    let mut diagnostics = Diagnostics::default();
    let mut files = GitopsFiles {
        release_file: Some(root.join(".release.yaml")).filter(|p| p.is_file()),
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
        let path = root.join(name.as_str().trim_start_matches("./"));
        // Nothing is read from outside the repository, through `..` or a link.
        let inside = match (path.canonicalize(), root.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root),
            _ => true,
        };
        if !inside {
            diagnostics.push(
                Severity::Error,
                ".release.yaml",
                name.loc,
                field,
                format!("`{name}` leads outside the repository: name a file inside it"),
            );
            None
        } else if path.is_file() {
            Some(path)
        } else {
            diagnostics.push(
                Severity::Error,
                ".release.yaml",
                name.loc,
                field,
                format!("`{name}` does not exist in the repository: fix the path"),
            );
            None
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
            template = parsed.value;
        }
    } else if let Some(path) = &files.compose {
        if let Some(text) = read(root, path, &mut diagnostics) {
            let app = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "app".into());
            let import = import_compose(&relative(root, path), &text, &app, "");
            diagnostics.extend(import.diagnostics);
            template = Some(import.template);
            variables = Some(import.variables);
        }
    } else {
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
/// file when given, else a minimal template to fill in.
pub fn scaffold(app: &str, compose: Option<(&str, &str)>) -> (Vec<(String, String)>, Diagnostics) {
    let (template, variables, diagnostics) = match compose {
        Some((file, text)) => {
            let import = import_compose(file, text, app, "");
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
