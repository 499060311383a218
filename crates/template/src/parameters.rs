//! Parameters: a template's inputs (`parameters: [{name, type, description, default,
//! optional}]`), given when an environment is created and kept with it, read as
//! `${parameters.<name>}` in the values of variables (the template's `envs`, the variables
//! file's `defaults`, `envs` and per-service lists).
//!
//! A parameter with a `default` takes it when none is given; one without a default is
//! required unless `optional: true` (then it is empty). Only `type: string` is known (Release
//! documents no other); another type is read as a string, with a warning.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Template;

/// What opens a reference to a parameter in a value.
const OPENING: &str = "${parameters.";

/// A parameter as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterSpec {
    pub name: String,
    pub description: Option<String>,
    pub default: Option<String>,
    /// No default and not `optional`: an environment cannot be made without it.
    pub required: bool,
}

/// The parameters `template` declares, in its order (those without a name left out: the
/// validation says so).
pub fn declared(template: &Template) -> Vec<ParameterSpec> {
    template
        .parameters
        .iter()
        .filter_map(|p| {
            let name = p.name.as_ref()?.value.trim().to_owned();
            let default = p.default.as_ref().map(|d| d.value.clone());
            Some(ParameterSpec {
                required: default.is_none() && p.optional != Some(true),
                description: p.description.as_ref().map(|d| d.value.clone()),
                default,
                name,
            })
        })
        .collect()
}

/// Why given values do not fit a template's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterProblem {
    /// Names the template does not declare, with those it does.
    Unknown {
        names: Vec<String>,
        known: Vec<String>,
    },
    /// Required parameters without a value.
    Missing { names: Vec<String> },
}

impl std::fmt::Display for ParameterProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown { names, known } => write!(
                f,
                "the template has no parameter {}: {}",
                names.join(", "),
                if known.is_empty() {
                    "it declares none".to_owned()
                } else {
                    format!("it declares {}", known.join(", "))
                }
            ),
            Self::Missing { names } => write!(
                f,
                "the parameter{} {} {} no default and need{} a value",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "has" } else { "have" },
                if names.len() == 1 { "s" } else { "" }
            ),
        }
    }
}

/// Checks that every name in `given` is declared by `specs`.
pub fn check_names(
    specs: &[ParameterSpec],
    given: &BTreeMap<String, String>,
) -> Result<(), ParameterProblem> {
    let unknown: Vec<String> = given
        .keys()
        .filter(|name| !specs.iter().any(|s| &s.name == *name))
        .cloned()
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ParameterProblem::Unknown {
            names: unknown,
            known: specs.iter().map(|s| s.name.clone()).collect(),
        })
    }
}

/// The value of each declared parameter: the one given, else its default, else empty for an
/// optional one; the required ones without a value are the error. A given value the template
/// no longer declares is left out.
pub fn values(
    specs: &[ParameterSpec],
    given: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, ParameterProblem> {
    let mut out = Vec::with_capacity(specs.len());
    let mut missing = Vec::new();
    for spec in specs {
        match (given.get(&spec.name), &spec.default) {
            (Some(value), _) => out.push((spec.name.clone(), value.clone())),
            (None, Some(default)) => out.push((spec.name.clone(), default.clone())),
            (None, None) if spec.required => missing.push(spec.name.clone()),
            (None, None) => out.push((spec.name.clone(), String::new())),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(ParameterProblem::Missing { names: missing })
    }
}

/// The template with each `${parameters.NAME}` in its init containers' and sidecars'
/// variables replaced by `values` (those of services, jobs and cron jobs are replaced as the
/// variables are resolved); the name of one `values` lacks is the error (validation refuses a
/// template that reads an undeclared parameter).
pub fn apply(template: &mut Template, values: &[(String, String)]) -> Result<(), String> {
    let Template {
        init_containers,
        sidecars,
        ..
    } = template;
    for container in init_containers.iter_mut().chain(sidecars.iter_mut()) {
        for var in &mut container.envs {
            if let Some(value) = &mut var.value
                && let Cow::Owned(text) = substitute(&value.value, values)?
            {
                value.value = text;
            }
        }
    }
    Ok(())
}

/// The names of the parameters `text` reads, in order.
pub fn references(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPENING) {
        let after = &rest[start + OPENING.len()..];
        let Some(close) = after.find('}') else { break };
        names.push(after[..close].trim());
        rest = &after[close + 1..];
    }
    names
}

/// `text` with each `${parameters.NAME}` replaced by its value in `values`; the name of the
/// first parameter `values` lacks is the error.
pub fn substitute<'t>(text: &'t str, values: &[(String, String)]) -> Result<Cow<'t, str>, String> {
    if !text.contains(OPENING) {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPENING) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPENING.len()..];
        let Some(close) = after.find('}') else {
            // Not closed: not a reference, kept as written.
            out.push_str(&rest[start..]);
            return Ok(Cow::Owned(out));
        };
        let name = after[..close].trim();
        let Some((_, value)) = values.iter().find(|(n, _)| n == name) else {
            return Err(name.to_owned());
        };
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, default: Option<&str>, required: bool) -> ParameterSpec {
        ParameterSpec {
            name: name.into(),
            description: None,
            default: default.map(str::to_owned),
            required,
        }
    }

    #[test]
    fn values_take_what_is_given_then_the_default() {
        let specs = [
            spec("llm", Some("llama2"), false),
            spec("region", None, true),
            spec("note", None, false),
        ];
        let given = BTreeMap::from([("region".to_owned(), "eu".to_owned())]);
        assert_eq!(
            values(&specs, &given).unwrap(),
            [
                ("llm".to_owned(), "llama2".to_owned()),
                ("region".to_owned(), "eu".to_owned()),
                ("note".to_owned(), String::new()),
            ]
        );
        assert_eq!(
            values(&specs, &BTreeMap::new()).unwrap_err().to_string(),
            "the parameter region has no default and needs a value"
        );
        let unknown = BTreeMap::from([("lm".to_owned(), "x".to_owned())]);
        assert_eq!(
            check_names(&specs, &unknown).unwrap_err().to_string(),
            "the template has no parameter lm: it declares llm, region, note"
        );
    }

    #[test]
    fn references_are_replaced_by_their_values() {
        let values = [("llm".to_owned(), "gpt-4".to_owned())];
        assert_eq!(
            substitute("model=${parameters.llm}, again ${parameters.llm}", &values).unwrap(),
            "model=gpt-4, again gpt-4"
        );
        assert_eq!(substitute("plain", &values).unwrap(), "plain");
        assert_eq!(
            substitute("${parameters.nope}", &values).unwrap_err(),
            "nope"
        );
        assert_eq!(
            references("${parameters.a} and ${parameters. b }"),
            ["a", "b"]
        );
    }
}
