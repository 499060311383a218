//! # stagecraft-template
//!
//! The Release format: the Application Template, the environment variables file and
//! `.release.yaml`, read into typed values with every mistake located (file, line, column and
//! key path) and explained; validated; merged with an environment template; the variables of
//! each workload resolved; workflows planned into steps; and Docker Compose files imported.
//!
//! Must not depend on: the engine, the store, the runtimes, tauri. It is pure: text in, values
//! and diagnostics out, no I/O but what `gitops` reads from a repository folder.
//!
//! # Layout
//! - `yaml.rs`: YAML text to a located tree, with size, depth and alias limits
//! - `read.rs`: tree to typed records, collecting every error; records write themselves back
//! - `model.rs`: the records: [`Template`], [`VariablesFile`], [`ReleaseFile`], ...
//! - `diagnostic.rs`: [`Diagnostic`] and [`Diagnostics`]
//! - `validate.rs`: names, references, ports, quantities, cycles, required workflows
//! - `support.rs`: what each runtime carries out of a template, and a located warning for the rest
//! - `merge.rs`: an environment's own configuration from the template and one
//!   `environment_templates` entry
//! - `variables.rs`: the final environment of each service and job
//! - `imports.rs`: the template of an environment whose app imports others (`app_imports`)
//! - `local_host.rs`: what a hostname pattern gives on this machine (`${domain}` = `localhost`)
//! - `parameters.rs`: the template's inputs, their values and `${parameters.<name>}`
//! - `plan.rs`: a workflow as ordered steps of tasks
//! - `compose/`: a docker-compose file to a template and a variables file: compose's
//!   interpolation and `.env`, `extends`, names made Kubernetes names
//! - `graph.rs`: `depends_on` walked without recursion, circles found once
//! - `file.rs`: files read bounded, and only inside the repository
//! - `gitops.rs`: the files of a repository (`.release.yaml`, `.release/`), validated together

mod compose;
mod diagnostic;
mod file;
mod gitops;
mod graph;
mod imports;
mod local_host;
mod merge;
mod model;
mod parameters;
mod plan;
mod read;
mod schedule;
mod support;
mod validate;
mod variables;
mod yaml;

pub use compose::{
    ComposeImport, ComposeLocation, ComposeSource, import, import_compose, process_environment,
};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use file::{ReadError, inside, read_file, resolve_inside};
pub use gitops::{GitopsFiles, RepoCheck, check_repository, scaffold};
pub use imports::{
    ImportedPart, compose as compose_imports, excluded as excluded_services, without_services,
};
pub use local_host::{LOCAL_DOMAIN, local_hostname};
pub use merge::environment_config;
pub use model::*;
pub use parameters::{
    ParameterProblem, ParameterSpec, apply as apply_parameters,
    check_names as check_parameter_names, declared as declared_parameters,
    values as parameter_values,
};
pub use plan::{PlannedStep, STAGE_WORKFLOWS, Task, WorkflowPlan, custom_workflows, plan_workflow};
pub use read::{Extra, Opaque, Text, TextList, TextMap};
pub use schedule::Schedule;
pub use support::{Target, unsupported};
pub use validate::validate;
pub use variables::{
    Injected, ResolvedVar, VarSource, WorkloadEnv, check_variables, resolve_variables,
};
pub use yaml::{KeyPath, Limits, Loc, Node, Style, Value};

use read::{Ctx, Read, Write};

/// A file read into a value, with what was found on the way. `value` is `None` only when the
/// file could not be read as YAML at all or is not a mapping.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub value: Option<T>,
    pub diagnostics: Diagnostics,
}

fn parse_as<T: Read>(file: &str, text: &str, what: &str) -> Parsed<T> {
    let mut ctx = Ctx::new(file);
    let value = match yaml::parse(text, Limits::default()) {
        Err(error) => {
            ctx.error(error.loc, "", format!("not valid YAML: {}", error.message));
            None
        }
        Ok((root, oddities)) => {
            for oddity in oddities {
                ctx.warn(oddity.loc, "", oddity.message);
            }
            if matches!(root.value, Value::Map(_)) {
                T::read(&mut ctx, &root, "")
            } else {
                ctx.error(
                    root.loc,
                    "",
                    format!(
                        "{what} must be a mapping of keys to values, found {}",
                        root.describe()
                    ),
                );
                None
            }
        }
    };
    let mut diagnostics = ctx.diagnostics;
    diagnostics.sort();
    Parsed { value, diagnostics }
}

/// Reads an Application Template (or an environment's own configuration, the same shape).
/// `file` names it in messages.
pub fn parse_template(file: &str, text: &str) -> Parsed<Template> {
    parse_as(file, text, "an Application Template")
}

/// Reads an environment variables file.
pub fn parse_variables(file: &str, text: &str) -> Parsed<VariablesFile> {
    parse_as(file, text, "an environment variables file")
}

/// Reads `.release.yaml`.
pub fn parse_release_file(file: &str, text: &str) -> Parsed<ReleaseFile> {
    parse_as(file, text, "`.release.yaml`")
}

/// Reads a template and validates it: the usual first step for any consumer.
pub fn load_template(file: &str, text: &str) -> Parsed<Template> {
    load_as(file, text, validate::Reading::AppTemplate)
}

/// Reads an environment's own configuration and validates it as one: like
/// [`load_template`], without asking for the `environment_templates` that making it dropped.
pub fn load_config(file: &str, text: &str) -> Parsed<Template> {
    load_as(file, text, validate::Reading::EnvironmentConfig)
}

fn load_as(file: &str, text: &str, reading: validate::Reading) -> Parsed<Template> {
    let mut parsed = parse_template(file, text);
    if let Some(template) = &parsed.value {
        parsed
            .diagnostics
            .extend(validate::validate_as(template, file, reading));
        parsed.diagnostics.sort();
    }
    parsed
}

/// Writes a template back as YAML: known keys in a fixed order, unknown keys kept.
pub fn template_to_yaml(template: &Template) -> String {
    yaml::emit(&template.write())
}

/// Writes a variables file back as YAML.
pub fn variables_to_yaml(variables: &VariablesFile) -> String {
    yaml::emit(&variables.write())
}
