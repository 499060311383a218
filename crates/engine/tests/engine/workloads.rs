use std::time::Duration;

use stagecraft_engine::{
    DEFAULT_COMPLETED_TIMEOUT, Limits, LivenessSpec, PortSpec, ProbeSpec, ReadinessSpec,
    VolumeMount, VolumeSource, Workloads, parse_cpu_millis, parse_memory_bytes, workloads,
};
use stagecraft_template::{Injected, Template, load_template, parse_variables, resolve_variables};

/// The runtime specs of `template` with the variables file `variables`, resolved as a
/// sample environment's.
fn specs_of(template: &Template, variables: &str) -> Workloads {
    let variables = parse_variables("v.yaml", variables).value.unwrap();
    let envs =
        resolve_variables(template, &variables, &Injected::sample(template), "v.yaml").unwrap();
    workloads(template, &envs)
}

#[test]
fn services_and_jobs_become_runtime_specs_with_their_final_variables() {
    let template = load_template(
        "shop.yaml",
        "environment_templates: [{name: ephemeral}]
resources: {replicas: 2}
services:
- name: api
  image: shop/api
  command: [/bin/api]
  args: [--port, '8080']
  ports:
  - {type: node_port, port: '80', target_port: '8080'}
  - {type: container_port, port: '9090'}
  readiness_probe: {http_get: {path: /health, port: 8080}}
  liveness_probe: {http_get: {path: /live, port: 8080}, period_seconds: 5, failure_threshold: 4}
- name: db
  image: postgres:16
  replicas: 1
  readiness_probe: {exec: {command: [pg_isready]}, initial_delay_seconds: 2, period_seconds: 3, timeout_seconds: 4, failure_threshold: 5}
jobs:
- {name: migrate, from_services: api, args: [migrate]}
- {name: report, image: busybox, command: [sh, -c, date], completed_timeout: 60}
workflows:
- {name: setup, order_from: [services.all, jobs.all]}
",
    )
    .value
    .unwrap();
    let specs = specs_of(
        &template,
        "defaults:\n- {key: DB_PASS, value: hunter2, secret: true}\n",
    );

    let api = &specs.services["api"];
    assert_eq!(api.image, "shop/api");
    assert_eq!(
        (api.command.clone(), api.args.clone()),
        (
            vec!["/bin/api".to_owned()],
            vec!["--port".to_owned(), "8080".to_owned()]
        )
    );
    assert_eq!(
        api.ports,
        [
            PortSpec {
                container_port: 8080,
                exposed: true
            },
            PortSpec {
                container_port: 9090,
                exposed: false
            }
        ]
    );
    assert_eq!(api.replicas, 2, "the app-wide default");
    assert_eq!(
        api.readiness,
        Some(ReadinessSpec::probe(ProbeSpec::HttpGet {
            path: "/health".into(),
            port: 8080
        }))
    );
    assert_eq!(
        api.liveness,
        Some(LivenessSpec {
            probe: ProbeSpec::HttpGet {
                path: "/live".into(),
                port: 8080
            },
            initial_delay: Duration::ZERO,
            period: Duration::from_secs(5),
            failure_threshold: 4,
        })
    );
    assert_eq!(specs.services["db"].liveness, None);
    let secret = api.env.iter().find(|v| v.key == "DB_PASS").unwrap();
    assert!(secret.secret);
    assert!(api.env.iter().any(|v| v.key == "RELEASE_ENV_ID"));
    assert_eq!(specs.services["db"].replicas, 1);
    // The probe's timing, as the template gives it.
    assert_eq!(
        specs.services["db"].readiness,
        Some(ReadinessSpec {
            probe: ProbeSpec::Exec {
                command: vec!["pg_isready".into()]
            },
            initial_delay: Duration::from_secs(2),
            period: Some(Duration::from_secs(3)),
            timeout: Some(Duration::from_secs(4)),
            failure_threshold: Some(5),
        })
    );

    let migrate = &specs.jobs["migrate"];
    assert_eq!(
        (migrate.image.as_str(), migrate.command.clone()),
        ("shop/api", vec!["/bin/api".to_owned()])
    );
    assert_eq!(migrate.args, ["migrate"], "its own arguments win");
    assert_eq!(migrate.completed_timeout, DEFAULT_COMPLETED_TIMEOUT);
    assert_eq!(
        specs.jobs["report"].completed_timeout,
        Duration::from_secs(60)
    );
}

#[test]
fn volumes_and_limits_reach_the_specs() {
    let template = load_template(
        "ai.yaml",
        "environment_templates: [{name: ephemeral}]
resources:
  cpu: {limits: 1000m, requests: 100m}
  memory: {limits: 1Gi, requests: 100Mi}
shared_volumes:
- {name: models, size: 10Gi, type: persistent}
services:
- name: llm
  image: ollama
  memory: {limits: 8Gi}
  cpu: {limits: '2'}
  volumes:
  - {claim: models, mount_path: /models}
  - {name: shm, type: shmem, size: 1Gi, mount_path: /dev/shm}
  - {type: s3, bucket: data, mount_path: /data}
- name: db
  image: postgres:16
  volumes:
  - {name: db-data, type: persistent, mount_path: /var/lib/postgresql/data}
jobs:
- {name: migrate, from_services: db}
workflows:
- {name: setup, order_from: [services.all, jobs.all]}
",
    )
    .value
    .unwrap();
    let specs = workloads(&template, &[]);
    let llm = &specs.services["llm"];
    assert_eq!(
        llm.volumes,
        [
            VolumeMount {
                source: VolumeSource::Shared {
                    name: "models".into()
                },
                mount_path: "/models".into()
            },
            VolumeMount {
                source: VolumeSource::Memory {
                    size_bytes: Some(1 << 30)
                },
                mount_path: "/dev/shm".into()
            },
        ],
        "an s3 bucket has no local equivalent"
    );
    assert_eq!(
        llm.limits,
        Limits {
            memory_bytes: Some(8 << 30),
            cpu_millis: Some(2000)
        }
    );
    let db = &specs.services["db"];
    assert_eq!(
        db.limits,
        Limits {
            memory_bytes: Some(1 << 30),
            cpu_millis: Some(1000)
        },
        "the app-wide defaults"
    );
    assert_eq!(
        specs.jobs["migrate"].volumes, db.volumes,
        "a job from a service mounts what the service mounts"
    );
}

#[test]
fn kubernetes_quantities_are_read_as_kubernetes_reads_them() {
    assert_eq!(parse_memory_bytes("100Mi"), Some(100 * 1024 * 1024));
    assert_eq!(parse_memory_bytes("1G"), Some(1_000_000_000));
    assert_eq!(parse_memory_bytes("1.5Gi"), Some(3 << 29));
    assert_eq!(parse_memory_bytes("512"), Some(512));
    assert_eq!(parse_memory_bytes("12 apples"), None);
    assert_eq!(parse_memory_bytes("Mi"), None);
    assert_eq!(parse_cpu_millis("250m"), Some(250));
    assert_eq!(parse_cpu_millis("0.5"), Some(500));
    assert_eq!(parse_cpu_millis("128"), Some(128_000));
    assert_eq!(parse_cpu_millis("lots"), None);
}

#[test]
fn per_deploy_variables_are_not_a_change() {
    let var = |key: &str, value: &str| stagecraft_engine::EnvVar {
        key: key.into(),
        value: value.into(),
        secret: false,
    };
    let spec = |build: &str, mode: &str| stagecraft_engine::ServiceSpec {
        name: "web".into(),
        env: vec![var("RELEASE_BUILD_ID", build), var("MODE", mode)],
        ..stagecraft_engine::ServiceSpec::default()
    };
    assert_eq!(
        spec("1", "dev").change_basis(),
        spec("2", "dev").change_basis()
    );
    assert_ne!(
        spec("1", "dev").change_basis(),
        spec("1", "prod").change_basis()
    );
}

#[test]
fn node_selectors_merge_the_apps_with_each_workloads_own() {
    let template = load_template(
        "gpu.yaml",
        "environment_templates: [{name: ephemeral}]
node_selector: [{key: kubernetes.io/arch, value: amd64}, {key: pool, value: general}]
services:
- name: llm
  image: ollama/ollama
  node_selector: [{key: nvidia.com/gpu, value: 'true'}, {key: pool, value: gpu}]
- {name: web, image: nginx}
jobs:
- {name: pull, from_services: llm, command: [ollama, pull]}
- {name: report, image: busybox}
workflows:
- {name: setup, order_from: [services.all, jobs.all]}
",
    )
    .value
    .unwrap();

    let specs = workloads(&template, &[]);

    let pairs = |list: &[(String, String)]| {
        list.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&specs.services["llm"].node_selector),
        [
            "kubernetes.io/arch=amd64",
            "nvidia.com/gpu=true",
            "pool=gpu"
        ]
    );
    assert_eq!(
        pairs(&specs.services["web"].node_selector),
        ["kubernetes.io/arch=amd64", "pool=general"]
    );
    assert_eq!(
        specs.jobs["pull"].node_selector, specs.services["llm"].node_selector,
        "a job made from a service runs where it runs"
    );
    assert_eq!(
        pairs(&specs.jobs["report"].node_selector),
        ["kubernetes.io/arch=amd64", "pool=general"]
    );
}

#[test]
fn a_status_is_described_in_one_line_its_log_lines_left_out() {
    let status = stagecraft_engine::WorkloadStatus {
        workload: "services.web".into(),
        ready_replicas: 0,
        replicas: 1,
        reason: Some(
            "restarting again and again (2 restarts so far): it exited with code 3; its last \
             lines:\ncannot reach the database\ncannot reach the database"
                .into(),
        ),
    };
    assert_eq!(
        status.describe(),
        "web: 0 of 1 ready (restarting again and again (2 restarts so far): it exited with code 3)"
    );
}

#[test]
fn a_request_is_never_above_its_limit() {
    let template = load_template(
        "shop.yaml",
        "app: shop\nresources:\n  memory: {limits: 1Gi, requests: 100Mi}\n  cpu: {limits: '1', requests: 500m}\n\
         services:\n- name: web\n  image: nginx\n  memory: {limits: 64Mi}\n  cpu: {limits: 250m}\n\
         - name: api\n  image: api\nworkflows:\n- name: setup\n  order_from: [services.all]\n",
    )
    .value
    .unwrap();
    let specs = specs_of(&template, "defaults: []\n");
    let web = &specs.services["web"];
    assert_eq!(
        web.requests.memory_bytes,
        Some(64 << 20),
        "capped by its own limit"
    );
    assert_eq!(web.requests.cpu_millis, Some(250));
    let api = &specs.services["api"];
    assert_eq!(api.requests.memory_bytes, Some(100 << 20), "the default");
    assert_eq!(api.requests.cpu_millis, Some(500));
    assert_eq!(
        api.limits,
        Limits {
            memory_bytes: Some(1 << 30),
            cpu_millis: Some(1000)
        }
    );
}
