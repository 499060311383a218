//! An environment's own configuration: the template merged with one of its
//! `environment_templates` entries, made once when the environment is created (reference §1,
//! §3.2).
//!
//! Release documents that an entry may override "any top-level key" but not how lists merge.
//! Stagecraft's rule: mappings merge key by key; lists of named entries (services, jobs, ...)
//! merge entry by entry on `name`, new names appended; anything else is replaced.

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::Template;
use crate::read::{Ctx, Read, Write};
use crate::yaml::{Entry, Loc, Node, Value};

/// The environment's configuration made from `template` and its entry `environment_template`
/// (`ephemeral`, `permanent`, ...). `file` names the template in messages.
pub fn environment_config(
    template: &Template,
    environment_template: &str,
    file: &str,
) -> Result<Template, Diagnostics> {
    let Some(entry) = template.environment_templates.iter().find(|e| {
        e.name
            .as_ref()
            .is_some_and(|n| n.as_str() == environment_template)
    }) else {
        let known: Vec<&str> = template
            .environment_templates
            .iter()
            .filter_map(|e| e.name.as_ref().map(|n| n.as_str()))
            .collect();
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(
            Severity::Error,
            file,
            template.loc,
            "environment_templates",
            format!(
                "no environment template named `{environment_template}`: known: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        );
        return Err(diagnostics);
    };
    let mut node = template.write();
    if let Value::Map(entries) = &mut node.value {
        entries.retain(|e| e.key != "environment_templates");
    }
    for (key, overlay) in &entry.overrides {
        let overlay = Node::map(vec![(key.clone(), overlay.clone())]);
        merge(&mut node, &overlay);
    }
    let origin = format!("{file} (environment template `{environment_template}`)");
    let mut ctx = Ctx::new(&origin);
    let config = Template::read(&mut ctx, &node, "");
    match config {
        Some(config) if !ctx.diagnostics.has_errors() => Ok(config),
        _ => Err(ctx.diagnostics),
    }
}

fn name_of(node: &Node) -> Option<&str> {
    match node.get("name").map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) => Some(text),
        _ => None,
    }
}

fn merge(base: &mut Node, overlay: &Node) {
    match (&mut base.value, &overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            for entry in overlay_entries {
                match base_entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => merge(&mut existing.value, &entry.value),
                    None => base_entries.push(Entry {
                        key: entry.key.clone(),
                        key_loc: Loc::default(),
                        value: entry.value.clone(),
                    }),
                }
            }
        }
        (Value::Seq(base_items), Value::Seq(overlay_items))
            if overlay_items.iter().all(|item| name_of(item).is_some())
                && base_items.iter().all(|item| name_of(item).is_some()) =>
        {
            for item in overlay_items {
                let name = name_of(item);
                match base_items.iter_mut().find(|b| name_of(b) == name) {
                    Some(existing) => merge(existing, item),
                    None => base_items.push(item.clone()),
                }
            }
        }
        _ => *base = overlay.clone(),
    }
}
