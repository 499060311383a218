//! Parameters: declared once under a readable name, every `${parameters.<name>}` of the
//! template naming one, and the values read by the template's variables and the variables
//! file when an environment's variables are resolved.

use stagecraft_template::{Injected, load_template, parse_variables, resolve_variables};

fn findings(text: &str) -> Vec<String> {
    load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("app.yaml:").to_owned())
        .collect()
}

const WORKFLOWS: &str = "workflows:
- {name: setup, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

#[test]
fn each_mistake_is_located_with_what_to_do() {
    let text = format!(
        "environment_templates: [{{name: ephemeral}}]
parameters:
- {{name: llm, type: string, default: llama2}}
- {{name: llm}}
- {{name: 2fast}}
- {{description: no name}}
- {{name: size, type: number}}
services:
- name: api
  image: busybox
  envs:
  - {{key: MODEL, value: '${{parameters.llm}}'}}
  - {{key: TYPO, value: 'x-${{parameters.lmm}}'}}
  command: [echo, '${{parameters.llm}}']
{WORKFLOWS}"
    );
    pretty_assertions::assert_eq!(
        findings(&text),
        [
            "4:10: error: parameters[1].name: a second parameter named `llm` (the first is at line 3)",
            "5:10: error: parameters[2].name: `2fast` cannot be read as `${parameters.2fast}`: use letters, digits, `_` and `-`, starting with a letter",
            "6:3: error: parameters[3]: this parameter has no `name`: add `name: <parameter name>`",
            "7:22: warning: parameters[4].type: `type: number` is read as a string: Release documents only `string`",
            "13:24: error: services[0].envs[1].value: `${parameters.lmm}` reads a parameter the template does not declare: known: 2fast, llm, size",
            "14:19: warning: services[0].command[1]: not carried out: `${parameters.<name>}` is read in variables' values only; read it here through a variable (`$NAME` in a shell command)",
        ]
    );
}

#[test]
fn values_reach_the_templates_variables_and_the_files() {
    let text = format!(
        "environment_templates: [{{name: ephemeral}}]
parameters:
- {{name: llm, default: llama2}}
services:
- name: api
  image: busybox
  envs: [{{key: MODEL, value: 'model=${{parameters.llm}}'}}]
{WORKFLOWS}"
    );
    let template = load_template("app.yaml", &text).value.unwrap();
    let variables = parse_variables(
        "vars.yaml",
        "defaults:\n- {key: AGAIN, value: '${parameters.llm}!'}\n- {key: BAD, value: '${parameters.nope}'}\n",
    )
    .value
    .unwrap();
    let mut injected = Injected::sample(&template);
    assert_eq!(
        injected.parameters,
        [("llm".to_owned(), "llama2".to_owned())]
    );
    // An undeclared one in the variables file is located there.
    let errors = resolve_variables(&template, &variables, &injected, "vars.yaml").unwrap_err();
    assert_eq!(
        errors.0[0].to_string(),
        "vars.yaml:3:21: error: defaults[1].value: `${parameters.nope}` reads a parameter the template does not declare: it declares llm"
    );
    let variables = parse_variables(
        "vars.yaml",
        "defaults:\n- {key: AGAIN, value: '${parameters.llm}!'}\nmapping:\n  MAPPED: 'm-${parameters.llm}'\n",
    )
    .value
    .unwrap();
    injected.parameters = vec![("llm".to_owned(), "gpt-4".to_owned())];
    let envs = resolve_variables(&template, &variables, &injected, "vars.yaml").unwrap();
    let api = envs.iter().find(|e| e.workload == "services.api").unwrap();
    assert_eq!(api.get("MODEL").unwrap().value, "model=gpt-4");
    assert_eq!(api.get("AGAIN").unwrap().value, "gpt-4!");
    assert_eq!(api.get("MAPPED").unwrap().value, "m-gpt-4");
}
