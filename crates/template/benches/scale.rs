//! A compose file of 1,000 services, each published on a port (so each has a hostname) and
//! depending on the one before: imported, written out as `gitops init` writes it, read back,
//! validated, its workflows planned and every workload's variables resolved. Prints the
//! process's peak resident memory at the end (Linux).
//!
//! `cargo bench -p stagecraft-template --bench scale`

// The peak memory is part of what it reports.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use stagecraft_template::{
    Injected, check_variables, import_compose, load_template, parse_variables, plan_workflow,
    resolve_variables, template_to_yaml, variables_to_yaml,
};

const SERVICES: usize = 1_000;

fn chained_compose(services: usize) -> String {
    let mut text = String::from("services:\n");
    for i in 0..services {
        let _ = writeln!(
            text,
            "  s{i}:\n    image: busybox\n    ports: ['{}:80']\n    environment:\n      \
             OWN_{i}: value-{i}",
            20_000 + i
        );
        if i > 0 {
            let _ = writeln!(text, "    depends_on: [s{}]", i - 1);
        }
    }
    text
}

fn import_validate_plan_resolve(compose: &str) -> usize {
    let import = import_compose("compose.yaml", compose, "scale", "");
    let template_yaml = template_to_yaml(&import.template);
    let variables_yaml = variables_to_yaml(&import.variables);
    let parsed = load_template("application_template.yaml", &template_yaml);
    let template = parsed.value.unwrap_or_default();
    let variables = parse_variables("environment_variables.yaml", &variables_yaml)
        .value
        .unwrap_or_default();
    let plans: Vec<_> = template
        .workflows
        .iter()
        .filter_map(|w| w.name.as_ref())
        .filter_map(|name| plan_workflow(&template, name.as_str()))
        .collect();
    let checked = check_variables(&template, &variables, "environment_variables.yaml");
    let resolved = resolve_variables(
        &template,
        &variables,
        &Injected::sample(&template),
        "environment_variables.yaml",
    );
    assert!(
        !parsed.diagnostics.has_errors() && !checked.has_errors() && resolved.is_ok(),
        "the generated app must be valid: {:?}",
        parsed.diagnostics
    );
    black_box((plans, resolved)).1.map_or(0, |envs| envs.len())
}

fn scale(c: &mut Criterion) {
    let compose = chained_compose(SERVICES);
    let mut group = c.benchmark_group("compose of 1,000 chained services");
    group.sample_size(10);
    group.bench_function("import+validate+plan+resolve", |b| {
        b.iter(|| import_validate_plan_resolve(black_box(&compose)));
    });
    group.finish();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        println!(
            "peak resident memory of the benchmark process: {}",
            peak[6..].trim()
        );
    }
}

criterion_group!(benches, scale);
criterion_main!(benches);
