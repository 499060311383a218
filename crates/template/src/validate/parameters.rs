//! Parameters: each declared once under a name a reference can read, and every
//! `${parameters.<name>}` in the template's variables naming one of them.

use std::collections::HashMap;

use super::{Check, known};
use crate::model::{EnvVar, Template};
use crate::parameters::references;
use crate::read::{child, index};

pub(super) fn check_parameters(check: &mut Check<'_>, template: &Template) {
    let mut names: HashMap<&str, usize> = HashMap::new();
    for parameter in &template.parameters {
        let Some(name) = check.name(&parameter.name, parameter.loc, &parameter.path, "parameter")
        else {
            continue;
        };
        let text = name.as_str().trim();
        if !is_parameter_name(text) {
            check.error(
                name.loc,
                &child(&parameter.path, "name"),
                format!(
                    "`{text}` cannot be read as `${{parameters.{text}}}`: use letters, digits, \
                     `_` and `-`, starting with a letter"
                ),
            );
        }
        if let Some(first) = names.get(text) {
            check.error(
                name.loc,
                &child(&parameter.path, "name"),
                format!("a second parameter named `{text}` (the first is at line {first})"),
            );
        } else {
            names.insert(text, name.loc.line);
        }
        if let Some(kind) = &parameter.kind
            && kind.as_str() != "string"
        {
            check.warn(
                kind.loc,
                &child(&parameter.path, "type"),
                format!("`type: {kind}` is read as a string: Release documents only `string`"),
            );
        }
    }
    let declared: std::collections::HashSet<&str> = names.keys().copied().collect();
    let lists = template
        .services
        .iter()
        .map(|s| (&s.envs, &s.path))
        .chain(template.jobs.iter().map(|j| (&j.envs, &j.path)))
        .chain(template.cron_jobs.iter().map(|j| (&j.envs, &j.path)))
        .chain(template.init_containers.iter().map(|c| (&c.envs, &c.path)))
        .chain(template.sidecars.iter().map(|c| (&c.envs, &c.path)));
    for (envs, owner) in lists {
        for (i, var) in envs.iter().enumerate() {
            check_references(check, var, &index(&child(owner, "envs"), i), &declared);
        }
    }
    // Elsewhere a reference is not read: said where it is, not left to surprise.
    let words = template
        .services
        .iter()
        .map(|s| (&s.command, &s.args, &s.path))
        .chain(template.jobs.iter().map(|j| (&j.command, &j.args, &j.path)))
        .chain(
            template
                .cron_jobs
                .iter()
                .map(|j| (&j.command, &j.args, &j.path)),
        );
    for (command, args, owner) in words {
        for (key, list) in [("command", command), ("args", args)] {
            for (i, word) in list.iter().enumerate() {
                if !references(word.as_str()).is_empty() {
                    check.warn(
                        word.loc,
                        &index(&child(owner, key), i),
                        "not carried out: `${parameters.<name>}` is read in variables' values \
                         only; read it here through a variable (`$NAME` in a shell command)",
                    );
                }
            }
        }
    }
}

fn check_references(
    check: &mut Check<'_>,
    var: &EnvVar,
    path: &str,
    declared: &std::collections::HashSet<&str>,
) {
    let Some(value) = &var.value else { return };
    for name in references(value.as_str()) {
        if !declared.contains(name) {
            check.error(
                value.loc,
                &child(path, "value"),
                format!(
                    "`${{parameters.{name}}}` reads a parameter the template does not declare: {}",
                    if declared.is_empty() {
                        "it declares none (add it under `parameters:`)".to_owned()
                    } else {
                        known(declared)
                    }
                ),
            );
        }
    }
}

fn is_parameter_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
