//! Every public Release template becomes objects that Kubernetes 1.37 accepts: each object is
//! written to a file and checked by `kubernetes-validate --strict` (unknown fields are errors),
//! which `scripts/setup.sh --for-tests` installs.

use std::path::{Path, PathBuf};
use std::process::Command;

use stagecraft_kube::{Manifests, Owner, PULL_SECRET, job, pull_secret};
use stagecraft_template::{Injected, load_template, parse_variables, resolve_variables};

/// The version the schemas are checked against: k8s-openapi's newest (its `latest` feature).
const KUBERNETES_VERSION: &str = "1.37.0";

fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/release-templates");
    assert!(
        dir.is_dir(),
        "the fixtures are missing at {}",
        dir.display()
    );
    dir
}

/// The Python that has kubernetes-validate: the venv `scripts/setup.sh --for-tests` makes, or
/// the system's.
fn python() -> PathBuf {
    let venv =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/python/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Writes each object of every fixture's environment, and one run of each of its jobs.
fn write_manifests(out: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".yaml") && !name.contains("environment_variables")
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 14,
        "expected the fixture templates, found {}",
        names.len()
    );
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let template = load_template(&name, &std::fs::read_to_string(&path).unwrap())
            .value
            .unwrap();
        // The fixture's own variables file where it has one.
        let variables_path = PathBuf::from(
            path.to_string_lossy()
                .replace("application_template", "environment_variables"),
        );
        let variables_text = if variables_path != path && variables_path.exists() {
            std::fs::read_to_string(&variables_path).unwrap()
        } else {
            "defaults: []\n".to_owned()
        };
        let variables = parse_variables("environment_variables.yaml", &variables_text)
            .value
            .unwrap();
        let envs = resolve_variables(
            &template,
            &variables,
            &Injected::sample(&template),
            "environment_variables.yaml",
        )
        .unwrap();
        let mut workloads = stagecraft_engine::workloads(&template, &envs);
        // What the build stage gives services built from the repository.
        for spec in workloads.services.values_mut() {
            if spec.image.is_empty() {
                spec.image = format!("stagecraft/app/{}:1", spec.name);
                spec.built = true;
            }
        }
        for spec in workloads.jobs.values_mut() {
            if spec.image.is_empty() {
                spec.image = format!("stagecraft/app/{}:1", spec.name);
                spec.built = true;
            }
        }
        let owner = Owner {
            env_id: "ab12cd3".to_owned(),
            app: template
                .app
                .as_ref()
                .map_or("app", |a| a.as_str())
                .to_owned(),
            // As an app that shares its registry login: built images' pods name the Secret.
            pull_secret: Some(PULL_SECRET.to_owned()),
        };
        let mut objects = Manifests::of(&owner, &workloads).to_json().unwrap();
        objects.push(
            serde_json::to_value(pull_secret(
                &owner,
                r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpzZWNyZXQ="}}}"#,
            ))
            .unwrap(),
        );
        let mut jobs: Vec<_> = workloads.jobs.values().collect();
        jobs.sort_by(|a, b| a.name.cmp(&b.name));
        for spec in jobs {
            objects.push(serde_json::to_value(job(&owner, spec, "1")).unwrap());
        }
        let stem = name.trim_end_matches(".yaml");
        for (index, object) in objects.iter().enumerate() {
            assert!(
                object["apiVersion"].is_string() && object["kind"].is_string(),
                "{object}"
            );
            let file = out.join(format!("{stem}.{index:03}.json"));
            std::fs::write(&file, serde_json::to_string_pretty(object).unwrap()).unwrap();
            files.push(file);
        }
    }
    files
}

/// `kubernetes-validate --strict` of `files`.
fn validate(files: &[PathBuf]) -> std::process::Output {
    Command::new(python())
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            "-k",
            KUBERNETES_VERSION,
        ])
        .args(files)
        .output()
        .expect("python3 is needed to run kubernetes-validate")
}

/// A claim made from a dataset's VolumeSnapshot is one Kubernetes accepts; the snapshot
/// objects (CRDs, which kubernetes-validate has no schema for) are compared whole in
/// `datasets.rs`.
#[test]
fn a_claim_made_from_a_datasets_snapshot_is_accepted() {
    let owner = Owner {
        env_id: "ab12cd3".to_owned(),
        app: "shop".to_owned(),
        pull_secret: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claim.json");
    std::fs::write(
        &file,
        serde_json::to_string(&stagecraft_kube::seeded_claim(&owner, "db-data")).unwrap(),
    )
    .unwrap();
    let output = validate(std::slice::from_ref(&file));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["kind"], "PersistentVolumeClaim");
    assert_eq!(written["spec"]["dataSource"]["kind"], "VolumeSnapshot");
}

#[test]
fn every_fixture_becomes_objects_kubernetes_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_manifests(dir.path());
    assert!(files.len() > 100, "only {} objects", files.len());
    let output = validate(&files);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named kubernetes_validate"),
        "kubernetes-validate is missing: scripts/setup.sh --for-tests installs it"
    );
    assert!(output.status.success(), "{stdout}\n{stderr}");
}

#[test]
fn a_broken_object_is_refused_so_the_check_above_can_fail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(
        &file,
        r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": "two", "selector": {}, "template": {}, "unknownField": 1}}"#,
    )
    .unwrap();
    let output = validate(&[file]);
    assert!(
        !output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A readiness probe keeps the template's timing, and its failure_threshold bounds the
/// rollout: the cluster gives up after that many checks (and a minute for scheduling), as the
/// Docker runtime does.
#[test]
fn a_readiness_probes_timing_is_kept_and_bounds_the_rollout() {
    let template = load_template(
        "timing.yaml",
        "environment_templates: [{name: ephemeral}]
services:
- name: web
  image: nginx:1.27
  readiness_probe:
    exec: {command: [cat, /ready]}
    initial_delay_seconds: 3
    period_seconds: 2
    timeout_seconds: 4
    failure_threshold: 5
- name: plain
  image: nginx:1.27
  readiness_probe: {exec: {command: [cat, /ready]}}
",
    )
    .value
    .unwrap();
    let workloads = stagecraft_engine::workloads(&template, &[]);
    let owner = Owner {
        env_id: "ab12cd3".to_owned(),
        app: "app".to_owned(),
        pull_secret: None,
    };
    let objects = Manifests::of(&owner, &workloads).to_json().unwrap();
    let deployment = |name: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == name)
            .unwrap()
            .clone()
    };
    let web = deployment("web");
    let probe = &web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"];
    assert_eq!(probe["initialDelaySeconds"], 3, "{probe}");
    assert_eq!(probe["periodSeconds"], 2);
    assert_eq!(probe["timeoutSeconds"], 4);
    assert_eq!(probe["failureThreshold"], 5);
    assert_eq!(web["spec"]["progressDeadlineSeconds"], 3 + 2 * 5 + 60);
    // Without timing: every second, and the cluster's own deadline.
    let plain = deployment("plain");
    let probe = &plain["spec"]["template"]["spec"]["containers"][0]["readinessProbe"];
    assert_eq!(probe["periodSeconds"], 1, "{probe}");
    assert!(probe.get("failureThreshold").is_none());
    assert!(plain["spec"].get("progressDeadlineSeconds").is_none());
}

/// Init containers and sidecars become the pod's `initContainers` and its containers beside the
/// service's, mounting the service's volumes they name, their secret variables in the
/// service's Secret under their own names; the objects pass `kubernetes-validate --strict`.
#[test]
fn init_containers_and_sidecars_are_in_the_services_pods() {
    let text = "app: shop
services:
- name: web
  image: busybox
  ports: [{type: node_port, port: '80', target_port: '8080'}]
  volumes: [{name: pages, type: persistent, mount_path: /www}]
init_containers:
- name: render
  service: web
  command: [sh, -c, 'echo hi > /pages/index.html']
  volumes: [{name: pages, mount_path: /pages}]
sidecars:
- name: helper
  service: web
  image: busybox
  command: [httpd, -f, -p, '9090']
  envs: [{key: TOKEN, value: s3cret, secret: true}]
  memory: {limits: 64Mi}
";
    let manifests = manifests_of(text);
    let pod = manifests.deployments[0].spec.template.spec.clone().unwrap();
    let init = pod.init_containers.unwrap();
    assert_eq!(init.len(), 1);
    assert_eq!(init[0].name, "render");
    let mounts = init[0].volume_mounts.clone().unwrap();
    let web_mounts = pod.containers[0].volume_mounts.clone().unwrap();
    assert_eq!(
        (mounts[0].name.as_str(), mounts[0].mount_path.as_str()),
        (web_mounts[0].name.as_str(), "/pages"),
        "the service's volume, at the init container's path"
    );
    let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["web", "helper"]);
    let token = pod.containers[1]
        .env
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "TOKEN")
        .unwrap();
    assert!(
        token.value.is_none(),
        "a secret is never written as a value"
    );
    let key = &token
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap()
        .key;
    assert_eq!(key, "helper.TOKEN");
    assert_eq!(
        manifests.secrets[0].string_data.as_ref().unwrap()["helper.TOKEN"],
        "s3cret"
    );

    kubernetes_accepts(&manifests.to_json().unwrap());
}

/// Each object passes `kubernetes-validate --strict`.
#[track_caller]
fn kubernetes_accepts(objects: &[serde_json::Value]) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        let file = dir.path().join(format!("{index:03}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(object).unwrap()).unwrap();
        files.push(file);
    }
    let output = Command::new(python())
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            "-k",
            KUBERNETES_VERSION,
        ])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A cron job becomes a CronJob that never runs two of its runs at once, its variables (a
/// secret among them) in a Secret of its own, accepted by `kubernetes-validate --strict`.
#[test]
fn cron_jobs_become_cronjobs_kubernetes_accepts() {
    let text = "app: shop
services:
- {name: web, image: busybox, volumes: [{name: data, type: persistent, mount_path: /data}]}
cron_jobs:
- name: nightly
  schedule: '0 3 * * mon-fri'
  from_services: web
  command: [sh, -c, 'echo hi']
  envs: [{key: TOKEN, value: s3cret, secret: true}]
  completed_timeout: 300
";
    let manifests = manifests_of(text);
    let cron = &manifests.cron_jobs[0];
    assert_eq!(cron.spec.schedule, "0 3 * * mon-fri");
    assert_eq!(cron.spec.concurrency_policy.as_deref(), Some("Forbid"));
    assert_eq!(
        cron.spec.suspend,
        Some(false),
        "said outright: the apply after a resume takes back a pause's suspension"
    );
    let pod = cron
        .spec
        .job_template
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .clone()
        .unwrap();
    assert_eq!(
        pod.volumes.unwrap()[0]
            .persistent_volume_claim
            .as_ref()
            .unwrap()
            .claim_name,
        "cron-nightly-data",
        "a claim of its own, as a job's (named apart from a service's or a job's)"
    );
    assert!(
        manifests
            .secrets
            .iter()
            .any(|s| s.string_data.as_ref().unwrap().get("TOKEN").is_some()),
        "{:#?}",
        manifests.secrets
    );
    kubernetes_accepts(&manifests.to_json().unwrap());
}

/// A paused environment's objects, as its pause leaves them (each Deployment at zero with its
/// count in an annotation, each CronJob suspended), are still objects Kubernetes accepts.
#[test]
fn a_paused_environments_objects_are_accepted() {
    let text = "app: shop
services:
- {name: web, image: busybox, replicas: 2}
cron_jobs:
- {name: nightly, schedule: '0 3 * * *', from_services: web, command: [sh, -c, 'echo hi']}
";
    let manifests = manifests_of(text);
    let mut objects = manifests.to_json().unwrap();
    let mut paused = 0;
    for object in &mut objects {
        match object["kind"].as_str() {
            Some("Deployment") => {
                assert_eq!(object["spec"]["replicas"], 2);
                object["metadata"]["annotations"]["dev.stagecraft/paused-replicas"] = "2".into();
                object["spec"]["replicas"] = 0.into();
                paused += 1;
            }
            Some("CronJob") => {
                object["spec"]["suspend"] = true.into();
                paused += 1;
            }
            _ => {}
        }
    }
    assert_eq!(paused, 2);
    kubernetes_accepts(&objects);
}

/// A static service is a Deployment of its site's image: Stagecraft's file server on its
/// port, ready when the server answers, reached through a Service like a `node_port`.
#[test]
fn a_static_service_runs_its_sites_file_server() {
    let text = "app: shop
services:
- name: front
  static: true
  build_base: front
  build_command: npm run build
  build_output_directory: dist
";
    let manifests = manifests_of(text);
    let pod = manifests.deployments[0].spec.template.spec.clone().unwrap();
    let container = &pod.containers[0];
    assert_eq!(
        container.ports.as_ref().unwrap()[0].container_port,
        i32::from(stagecraft_engine::STATIC_SITE_PORT)
    );
    let probe = container.readiness_probe.as_ref().unwrap();
    assert_eq!(
        probe.exec.as_ref().unwrap().command.as_deref().unwrap(),
        [stagecraft_engine::STATIC_SERVER, "--check"]
    );
    assert!(container.command.is_none() && container.args.is_none());
    let service = manifests.services[0].spec.clone().unwrap();
    assert_eq!(
        service.ports.unwrap()[0].target_port,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(8080))
    );
    kubernetes_accepts(&manifests.to_json().unwrap());
}

/// The objects of environment `ab12cd3` of the template `text` (no variables file, no shared
/// registry login).
fn manifests_of(text: &str) -> Manifests {
    let template = load_template("t.yaml", text).value.unwrap();
    let variables = parse_variables("v.yaml", "defaults: []\n").value.unwrap();
    let envs = resolve_variables(
        &template,
        &variables,
        &Injected::sample(&template),
        "v.yaml",
    )
    .unwrap();
    let workloads = stagecraft_engine::workloads(&template, &envs);
    let owner = Owner {
        env_id: "ab12cd3".to_owned(),
        app: "shop".to_owned(),
        pull_secret: None,
    };
    Manifests::of(&owner, &workloads)
}

/// An environment whose app imports another is one namespace with both apps' objects: the
/// imported app's services beside the importer's, its excluded service left out, and every
/// object accepted.
#[test]
fn an_environment_with_an_imported_app_is_one_namespace_of_both_apps_objects() {
    let front = load_template(
        "front.yaml",
        "app: shop
app_imports: [{name: backend, exclude_services: [{name: cache}]}]
services:
- {name: web, image: busybox, depends_on: [api], ports: [{type: node_port, target_port: 8080}]}
- {name: cache, image: redis}
workflows:
- {name: setup, order_from: [services.all]}
",
    )
    .value
    .unwrap();
    let backend = load_template(
        "backend.yaml",
        "app: backend
services:
- {name: api, image: busybox, depends_on: [cache], ports: [{type: container_port, port: 9000}]}
- {name: cache, image: redis}
jobs:
- {name: migrate, image: busybox}
workflows:
- {name: setup, order_from: [services.all, jobs.migrate]}
",
    )
    .value
    .unwrap();
    let part = stagecraft_template::ImportedPart {
        app: "backend".to_owned(),
        file: "backend.yaml".to_owned(),
        template: stagecraft_template::without_services(
            backend.clone(),
            &stagecraft_template::excluded_services(&front.app_imports[0]),
        ),
        located: backend,
    };
    let template = stagecraft_template::compose_imports(&front, "front.yaml", &[part]).unwrap();
    let variables = parse_variables("v.yaml", "defaults: []\n").value.unwrap();
    let envs = resolve_variables(
        &template,
        &variables,
        &Injected::sample(&template),
        "v.yaml",
    )
    .unwrap();
    let workloads = stagecraft_engine::workloads(&template, &envs);
    let owner = Owner {
        env_id: "ab12cd3".to_owned(),
        app: "shop".to_owned(),
        pull_secret: None,
    };
    let manifests = Manifests::of(&owner, &workloads);
    let namespace = manifests.namespace.metadata.name.clone().unwrap();
    let names: Vec<String> = manifests
        .deployments
        .iter()
        .map(|d| {
            assert_eq!(d.metadata.namespace.as_deref(), Some(namespace.as_str()));
            d.metadata.name.clone().unwrap()
        })
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for service in ["api", "cache", "web"] {
        assert!(
            names.iter().any(|n| n.contains(service)),
            "{service} is missing from {names:?}"
        );
    }
    // The job runs from the imported app, in the same namespace.
    assert!(workloads.jobs.contains_key("migrate"));
    let job = job(&owner, &workloads.jobs["migrate"], "run-1");
    assert_eq!(job.metadata.namespace.as_deref(), Some(namespace.as_str()));
    let mut objects = manifests.to_json().unwrap();
    objects.push(serde_json::to_value(&job).unwrap());
    kubernetes_accepts(&objects);
}
