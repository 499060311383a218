//! Every key a runtime does not carry out is a located warning that says what happens instead.

use stagecraft_template::{Diagnostic, Target, unsupported};

use crate::fixtures::fixtures;

const TEMPLATE: &str = "\
app: shop
node_selector:
- key: disk
  value: ssd
services:
- name: web
  image: shop/web
  has_repo: true
  ports:
  - type: node_port
    port: '8080'
    tls_enabled: true
  readiness_probe:
    exec: {command: [true]}
    success_threshold: 2
  volumes:
  - {type: s3, bucket: assets, mount_path: /assets}
- name: api
  image: shop/api
  has_repo: true
  build: {context: api}
charts:
- name: redis
  repo_url: https://charts.example.com
cron_jobs:
- name: nightly
  schedule: '0 3 * * *'
environment_templates:
- name: ephemeral
  sidecars: [{name: proxy}]
workflows:
- name: setup
  order_from: [services.all]
- name: reindex
  order_from: [services.web]
";

fn lines(found: &[Diagnostic]) -> Vec<String> {
    found
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.path))
        .collect()
}

#[test]
fn each_key_left_out_on_docker_is_named_where_it_is_written() {
    let found = unsupported("t.yaml", TEMPLATE, Target::Docker).0;
    assert_eq!(
        lines(&found),
        [
            "2:1 node_selector",
            "8:13 services[0].has_repo",
            "12:5 services[0].ports[0].tls_enabled",
            "15:5 services[0].readiness_probe.success_threshold",
            "17:12 services[0].volumes[0].type",
            "17:16 services[0].volumes[0].bucket",
            "22:1 charts",
        ],
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .all(|d| d.severity == stagecraft_template::Severity::Warning)
    );
    let text = |path: &str| {
        found
            .iter()
            .find(|d| d.path == path)
            .map(ToString::to_string)
            .unwrap()
    };
    assert!(text("charts").contains("Helm charts are not run"));
    // Cron jobs run: the clock runs them on Docker, a CronJob on Kubernetes.
    assert!(!found.iter().any(|d| d.path.starts_with("cron_jobs")));
    assert!(text("node_selector").contains("no nodes"));
    // A custom workflow runs on request (`stagecraft workflows run`): nothing to warn about.
    assert!(!found.iter().any(|d| d.path.starts_with("workflows")));
    assert!(text("services[0].volumes[0].type").contains("S3 buckets are not mounted"));
    assert!(text("services[0].has_repo").contains("add `build: {context: .}`"));
}

#[test]
fn what_one_runtime_carries_out_is_not_warned_about_there() {
    let kube = unsupported("t.yaml", TEMPLATE, Target::Kubernetes).0;
    assert!(!kube.iter().any(|d| d.path == "node_selector"), "{kube:#?}");
    let either = unsupported("t.yaml", TEMPLATE, Target::Either).0;
    let selector = either.iter().find(|d| d.path == "node_selector").unwrap();
    assert!(
        selector
            .to_string()
            .contains("on Docker, one Docker engine"),
        "{selector}"
    );
    assert_eq!(either.len(), kube.len() + 1);
}

#[test]
fn every_fixture_says_what_it_leaves_out() {
    let mut total = 0;
    for (name, text) in fixtures()
        .into_iter()
        .filter(|(n, _)| !n.contains("environment_variables"))
    {
        let found = unsupported(&name, &text, Target::Either);
        total += found.0.len();
        eprintln!("{name}: {} keys left out", found.0.len());
        for warning in found.warnings() {
            eprintln!("  {warning}");
        }
        assert!(!found.has_errors());
    }
    assert!(total > 0, "real templates use keys Stagecraft leaves out");
}
