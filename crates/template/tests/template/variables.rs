use stagecraft_template::{
    Injected, VarSource, WorkloadEnv, load_template, parse_variables, resolve_variables,
};

const TEMPLATE: &str = "app: shop
environment_templates: [{name: ephemeral}]
services:
- name: api
  image: shop/api
  envs:
  - {key: LOG_LEVEL, value: debug}
  ports:
  - {type: node_port, port: '8080', target_port: '8080'}
- name: web
  image: shop/web
jobs:
- name: migrate
  from_services: api
  envs:
  - {key: MIGRATE, value: 'true'}
workflows:
- name: setup
  order_from: [services.all, jobs.migrate]
";

fn injected() -> Injected {
    Injected {
        env_id: "ted1bc4".into(),
        app: "shop".into(),
        branch: "feature/cart".into(),
        commit_sha: "0123456789abcdef0123456789abcdef01234567".into(),
        build_id: "42".into(),
        domain: "localhost".into(),
        context: "docker".into(),
        environment: "ephemeral".into(),
        ingress: vec![(
            "api".into(),
            "http://127.0.0.1:41000".into(),
            "127.0.0.1:41000".into(),
        )],
        parameters: Vec::new(),
    }
}

fn resolve(variables: &str) -> Result<Vec<WorkloadEnv>, String> {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let parsed = parse_variables("vars.yaml", variables);
    assert!(!parsed.diagnostics.has_errors(), "{}", parsed.diagnostics);
    resolve_variables(&template, &parsed.value.unwrap(), &injected(), "vars.yaml")
        .map_err(|d| d.to_string())
}

fn value<'a>(envs: &'a [WorkloadEnv], workload: &str, key: &str) -> &'a str {
    &envs
        .iter()
        .find(|e| e.workload == workload)
        .unwrap()
        .get(key)
        .unwrap_or_else(|| panic!("{workload} has no {key}"))
        .value
}

#[test]
fn defaults_then_template_then_service_then_mapping() {
    let envs = resolve(
        "defaults:
- {key: LOG_LEVEL, value: info}
- {key: DB_HOST, value: db}
- {key: DB_PASS, value: hunter2, secret: true}
services:
  api:
  - {key: DB_HOST, value: api-db}
mapping:
  DATABASE_URL: postgres://app:${DB_PASS}@${DB_HOST}:5432/shop
  PUBLIC_URL: API_INGRESS_URL
  SHORT: $RELEASE_COMMIT_SHORT
  CDN: ${CDN_HOST:-https://cdn.example.com}
",
    )
    .unwrap();
    assert_eq!(
        value(&envs, "services.api", "LOG_LEVEL"),
        "debug",
        "the template's envs beat defaults"
    );
    assert_eq!(value(&envs, "services.web", "LOG_LEVEL"), "info");
    assert_eq!(
        value(&envs, "services.api", "DATABASE_URL"),
        "postgres://app:hunter2@api-db:5432/shop"
    );
    assert_eq!(
        value(&envs, "services.web", "DATABASE_URL"),
        "postgres://app:hunter2@db:5432/shop"
    );
    assert_eq!(
        value(&envs, "services.web", "PUBLIC_URL"),
        "http://127.0.0.1:41000"
    );
    assert_eq!(value(&envs, "services.web", "SHORT"), "0123456");
    assert_eq!(
        value(&envs, "services.web", "CDN"),
        "https://cdn.example.com"
    );
    assert_eq!(
        value(&envs, "services.web", "RELEASE_BRANCH_NAME"),
        "feature/cart"
    );
    assert_eq!(
        value(&envs, "services.web", "API_INGRESS_HOST"),
        "127.0.0.1:41000"
    );
}

#[test]
fn every_variable_is_listed_once_in_key_order_the_workloads_own_hiding_the_shared() {
    let envs = resolve(
        "defaults:\n- {key: LOG_LEVEL, value: info}\n- {key: ZONE, value: eu}\nmapping:\n  A_FIRST: ZONE\n",
    )
    .unwrap();
    let api = envs.iter().find(|e| e.workload == "services.api").unwrap();
    let keys: Vec<&str> = api.vars().map(|v| v.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted, each key once");
    let level: Vec<_> = api.vars().filter(|v| v.key == "LOG_LEVEL").collect();
    assert_eq!(level.len(), 1);
    assert_eq!(
        (level[0].value.as_str(), level[0].source),
        ("debug", VarSource::Template)
    );
    assert_eq!(api.get("A_FIRST").unwrap().source, VarSource::Mapping);
    assert_eq!(api.get("ZONE").unwrap().source, VarSource::Defaults);
    let json = serde_json::to_value(api).unwrap();
    assert_eq!(json["workload"], "services.api");
    assert_eq!(json["vars"].as_array().unwrap().len(), keys.len());
    assert_eq!(json["vars"][0]["key"], keys[0]);
}

#[test]
fn a_job_starts_from_its_service() {
    let envs =
        resolve("defaults: []\nservices:\n  api:\n  - {key: DB_HOST, value: api-db}\n").unwrap();
    assert_eq!(value(&envs, "jobs.migrate", "DB_HOST"), "api-db");
    assert_eq!(value(&envs, "jobs.migrate", "LOG_LEVEL"), "debug");
    assert_eq!(value(&envs, "jobs.migrate", "MIGRATE"), "true");
}

#[test]
fn secrets_stay_flagged_through_the_mapping() {
    let envs = resolve(
        "defaults:
- {key: DB_PASS, value: hunter2, secret: true}
- {key: OPENAI_API_KEY, value: '$secrets.aws./openai/api-token'}
mapping:
  DATABASE_URL: postgres://app:${DB_PASS}@db/shop
  PLAIN: nothing-secret
",
    )
    .unwrap();
    let api = envs.iter().find(|e| e.workload == "services.api").unwrap();
    assert!(api.get("DB_PASS").unwrap().secret);
    assert!(
        api.get("DATABASE_URL").unwrap().secret,
        "derived from a secret"
    );
    assert!(
        api.get("OPENAI_API_KEY").unwrap().secret,
        "a vault reference"
    );
    assert!(!api.get("PLAIN").unwrap().secret);
    assert_eq!(api.get("DATABASE_URL").unwrap().source, VarSource::Mapping);
}

#[test]
fn mapping_entries_may_read_each_other() {
    let envs = resolve("defaults: []\nmapping:\n  B: ${A}/b\n  A: http://a\n").unwrap();
    assert_eq!(value(&envs, "services.web", "B"), "http://a/b");
}

#[test]
fn a_missing_reference_is_an_error_at_the_mapping_entry() {
    let error = resolve("defaults: []\nmapping:\n  DATABASE_URL: postgres://${DB_HOST}/shop\n")
        .unwrap_err();
    assert_eq!(
        error,
        "vars.yaml:3:17: error: mapping.DATABASE_URL: `DATABASE_URL` reads `DB_HOST`, which no variable defines: define it in `defaults` or the service's variables, or give a fallback: `${DB_HOST:-value}` (for services.api, services.web, jobs.migrate)\n"
    );
}

#[test]
fn a_mapping_cycle_is_spelled_out() {
    let error = resolve("defaults: []\nmapping:\n  A: ${B}\n  B: ${C}\n  C: ${A}\n").unwrap_err();
    assert!(
        error.starts_with("vars.yaml:3:6: error: mapping.A: mapping entries read each other in a circle: A → B → C → A (for services.api, services.web, jobs.migrate)\n"),
        "{error}"
    );
}

#[test]
fn a_variables_file_is_checked_against_its_template() {
    let template = load_template("shop.yaml", TEMPLATE).value.unwrap();
    let text = "defaults:\n- {key: A, value: '1'}\n- {key: A, value: '2'}\n- {value: orphan}\n- {key: TOKEN, secret: true}\n- {key: EMPTY}\nservices:\n  api: []\n  migrate: []\n  wbe:\n  - {key: X, value: y}\n";
    let variables = parse_variables("vars.yaml", text).value.unwrap();
    let found: Vec<String> =
        stagecraft_template::check_variables(&template, &variables, "vars.yaml")
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
    assert_eq!(
        found,
        [
            "vars.yaml:3:9: warning: defaults[1].key: `A` is set twice in this list (first at line 2): the last value wins",
            "vars.yaml:4:3: error: defaults[2]: a variable needs `key: <NAME>`",
            "vars.yaml:6:3: error: defaults[4]: `EMPTY` has no `value`: give one (only a secret may leave it out)",
            "vars.yaml:10:3: warning: services.wbe: `wbe` is not a service or job of the template: these variables reach nothing. Check the name",
        ]
    );
}

#[test]
fn a_null_value_is_an_empty_value_with_a_warning_that_names_it() {
    let text =
        "defaults:\n- key: EMPTY\n  value:\n- key: TILDE\n  value: ~\n- key: SET\n  value: x\n";
    let parsed = parse_variables("vars.yaml", text);
    let warnings: Vec<String> = parsed
        .diagnostics
        .warnings()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("vars.yaml:3:")
            && warnings[0].contains("defaults[0].value")
            && warnings[0].contains("`EMPTY` has `value: null`: it is taken as an empty value"),
        "{warnings:?}"
    );
    assert!(!parsed.diagnostics.has_errors());
    let template = load_template("t.yaml", TEMPLATE).value.unwrap();
    let variables = parsed.value.unwrap();
    let checked = stagecraft_template::check_variables(&template, &variables, "vars.yaml");
    assert!(
        !checked.has_errors(),
        "no word of a missing `value`: {checked}"
    );
    let envs = resolve(text).unwrap();
    assert_eq!(value(&envs, "services.web", "EMPTY"), "");
    assert_eq!(value(&envs, "services.web", "TILDE"), "");
    // Written back, it says what it means.
    let yaml = stagecraft_template::variables_to_yaml(&variables);
    assert!(yaml.contains("value: ''"), "{yaml}");
    assert!(
        !parse_variables("again", &yaml)
            .diagnostics
            .warnings()
            .any(|_| true)
    );
}
