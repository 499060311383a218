//! Any text through everything a Release file goes through: parse, validate, plan every
//! workflow, merge every environment template, resolve variables, write back and read again.
//! Nothing may panic, hang or grow without bound, and a template written back must read back
//! equal.
#![no_main]

use stagecraft_template::{
    Injected, environment_config, import_compose, load_template, parse_template, parse_variables,
    plan_workflow, resolve_variables, template_to_yaml,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = load_template("fuzz.yaml", text);
    if let Some(template) = parsed.value {
        for workflow in &template.workflows {
            if let Some(name) = &workflow.name {
                let _ = plan_workflow(&template, name.as_str());
            }
        }
        for entry in &template.environment_templates {
            if let Some(name) = &entry.name {
                let _ = environment_config(&template, name.as_str(), "fuzz.yaml");
            }
        }
        if let Some(variables) = parse_variables("fuzz.yaml", text).value {
            let _ = resolve_variables(&template, &variables, &Injected::sample(&template), "vars");
        }
        let yaml = template_to_yaml(&template);
        let again = parse_template("round-trip.yaml", &yaml);
        assert!(
            !again.diagnostics.has_errors(),
            "written back, the template does not read:\n{}\n{yaml}",
            again.diagnostics
        );
        assert!(again.value.as_ref() == Some(&template), "the round trip changed the template:\n{yaml}");
    }
    let _ = import_compose("compose.yaml", text, "app", "org/repo");
});
