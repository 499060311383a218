//! `app_imports`: each names an app once, not the template's own, and each service it leaves
//! out is named. Whether the app exists is known only where apps are (creating or deploying
//! an environment says so, naming the folder to add).

use std::collections::HashMap;

use super::Check;
use crate::model::Template;
use crate::read::{child, index};

pub(super) fn check_imports(check: &mut Check<'_>, template: &Template) {
    let own = template.app.as_ref().map(|a| a.as_str().trim());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for import in &template.app_imports {
        if let Some(name) = check.name(&import.name, import.loc, &import.path, "app import") {
            let text = name.as_str().trim();
            let path = child(&import.path, "name");
            if own == Some(text) {
                check.error(
                    name.loc,
                    &path,
                    format!("`{text}` is this template's own app: an app cannot import itself"),
                );
            } else if let Some(first) = seen.get(text) {
                check.error(
                    name.loc,
                    &path,
                    format!("`{text}` is imported twice (the first at line {first}): keep one"),
                );
            } else {
                seen.insert(text, name.loc.line);
            }
        }
        for (i, excluded) in import.exclude_services.iter().enumerate() {
            let path = index(&child(&import.path, "exclude_services"), i);
            check.name(&excluded.name, excluded.loc, &path, "excluded service");
        }
    }
}
