//! Any text as an environment variables file against a template of two services (one
//! exposed) and a job made from one: checked and resolved, mappings and all. Nothing may
//! panic, hang or grow without bound, and a resolution lists each variable once, in order.
#![no_main]

use std::sync::LazyLock;

use stagecraft_template::{
    Injected, Template, check_variables, load_template, parse_variables, resolve_variables,
};

static TEMPLATE: LazyLock<Template> = LazyLock::new(|| {
    load_template(
        "app.yaml",
        "app: shop\nservices:\n- name: api\n  image: shop/api\n  envs:\n  - {key: LOG, value: debug}\n  \
         ports:\n  - {type: node_port, port: '8080', target_port: '8080'}\n- name: web\n  image: shop/web\n\
         jobs:\n- name: migrate\n  from_services: api\nworkflows:\n- name: setup\n  order_from: [services.all]\n",
    )
    .value
    .unwrap_or_default()
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse_variables("vars.yaml", text);
    let Some(variables) = parsed.value else { return };
    let _ = check_variables(&TEMPLATE, &variables, "vars.yaml");
    if let Ok(envs) = resolve_variables(&TEMPLATE, &variables, &Injected::sample(&TEMPLATE), "vars.yaml") {
        for env in &envs {
            let keys: Vec<&str> = env.vars().map(|v| v.key.as_str()).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "not once each, in order: {keys:?}");
        }
    }
});
