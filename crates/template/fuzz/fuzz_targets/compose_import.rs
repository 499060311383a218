//! Any text as a compose file, with any text before a NUL byte as its `.env`: interpolation,
//! `extends`, renames, levels, and what `gitops init` would write. Nothing may panic, hang or
//! grow without bound; an import without errors writes a template and variables file that
//! read back without a YAML error.
#![no_main]

use stagecraft_template::{ComposeSource, import, parse_template, parse_variables, scaffold};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (dotenv, compose) = text.split_once('\0').unwrap_or(("", text));
    let source = ComposeSource::from_texts(
        "compose.yaml",
        compose,
        Some((".env", dotenv)),
        [("FROM_SHELL".to_owned(), "shell".to_owned())],
    );
    let imported = import(&source, "app", "org/repo");
    let (files, diagnostics) = scaffold("app", Some(&source));
    if !imported.diagnostics.has_errors() && !diagnostics.has_errors() {
        for (name, contents) in &files {
            let read = if name.ends_with("variables.yaml") {
                parse_variables(name, contents).diagnostics
            } else {
                parse_template(name, contents).diagnostics
            };
            assert!(
                !read.0.iter().any(|d| d.message.starts_with("not valid YAML")),
                "{name} does not read back:\n{read}\n{contents}"
            );
        }
    }
});
