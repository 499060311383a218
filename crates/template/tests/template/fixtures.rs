use std::path::PathBuf;

use stagecraft_template::{
    Injected, load_template, parse_template, parse_variables, plan_workflow, resolve_variables,
    template_to_yaml, variables_to_yaml,
};

/// `../shared/fixtures/release-templates/` beside the repository, as CI lays it out.
pub fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/release-templates");
    assert!(
        dir.is_dir(),
        "the fixtures are missing at {}",
        dir.display()
    );
    dir
}

pub fn fixtures() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 15,
        "expected the 15 fixtures, found {}",
        files.len()
    );
    files
}

fn is_variables(name: &str) -> bool {
    name.contains("environment_variables")
}

#[test]
fn every_fixture_template_parses_validates_and_plans_without_errors() {
    for (name, text) in fixtures().into_iter().filter(|(n, _)| !is_variables(n)) {
        let parsed = load_template(&name, &text);
        assert!(
            !parsed.diagnostics.has_errors(),
            "{name}:\n{}",
            parsed.diagnostics
        );
        let template = parsed.value.unwrap();
        eprintln!("{name}: {} warnings", parsed.diagnostics.warnings().count());
        for warning in parsed.diagnostics.warnings() {
            eprintln!("  {warning}");
        }
        for workflow in &template.workflows {
            let workflow = workflow.name.as_ref().unwrap().as_str();
            let plan = plan_workflow(&template, workflow).unwrap();
            assert!(
                !plan.steps.is_empty() || workflow != "setup",
                "{name}: empty setup plan"
            );
        }
    }
}

#[test]
fn every_fixture_variables_file_parses_and_resolves() {
    let (_, template_text) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "awesome-release__genai-stack__.release__application_template.yaml")
        .unwrap();
    let template = load_template("template", &template_text).value.unwrap();
    for (name, text) in fixtures().into_iter().filter(|(n, _)| is_variables(n)) {
        let parsed = parse_variables(&name, &text);
        assert!(
            !parsed.diagnostics.has_errors(),
            "{name}:\n{}",
            parsed.diagnostics
        );
        let variables = parsed.value.unwrap();
        let checked = stagecraft_template::check_variables(&template, &variables, &name);
        assert!(checked.0.is_empty(), "{name}:\n{checked}");
        let resolved =
            resolve_variables(&template, &variables, &Injected::sample(&template), &name)
                .unwrap_or_else(|d| panic!("{name}:\n{d}"));
        assert!(!resolved.is_empty());
    }
}

#[test]
fn every_fixture_round_trips_to_yaml_unchanged_in_meaning() {
    for (name, text) in fixtures() {
        if is_variables(&name) {
            let first = parse_variables(&name, &text).value.unwrap();
            let yaml = variables_to_yaml(&first);
            let second = parse_variables("round trip", &yaml);
            assert!(
                !second.diagnostics.has_errors(),
                "{name}:\n{}\n{yaml}",
                second.diagnostics
            );
            assert_eq!(second.value.unwrap(), first, "{name}:\n{yaml}");
        } else {
            let first = parse_template(&name, &text).value.unwrap();
            let yaml = template_to_yaml(&first);
            let second = parse_template("round trip", &yaml);
            assert!(
                !second.diagnostics.has_errors(),
                "{name}:\n{}\n{yaml}",
                second.diagnostics
            );
            assert_eq!(second.value.unwrap(), first, "{name}:\n{yaml}");
        }
    }
}
