//! Parse, validate and plan the 27-service opentelemetry-demo template: the work done each
//! time an app is opened or its template saved.
//!
//! `cargo bench -p stagecraft-template --bench parse`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stagecraft_template::{load_template, plan_workflow};

fn opentelemetry_demo() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/fixtures/release-templates/awesome-release__opentelemetry-demo__.release__application_template.yaml",
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("the fixture {} is missing: {error}", path.display()))
}

fn parse_validate_plan(c: &mut Criterion) {
    let text = opentelemetry_demo();
    let mut group = c.benchmark_group("opentelemetry-demo");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse+validate+plan", |b| {
        b.iter(|| {
            let parsed = load_template("app.yaml", black_box(&text));
            let template = parsed.value.unwrap_or_default();
            let plans: Vec<_> = ["setup", "patch", "teardown"]
                .iter()
                .filter_map(|w| plan_workflow(&template, w))
                .collect();
            black_box((parsed.diagnostics, plans))
        });
    });
    group.finish();
}

criterion_group!(benches, parse_validate_plan);
criterion_main!(benches);
