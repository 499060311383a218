//! The objects one spec becomes, field by field.

use super::*;

#[test]
fn a_cronjobs_name_leaves_room_for_its_runs() {
    assert_eq!(cron_job_name("nightly"), "nightly");
    let long = "a".repeat(60);
    let name = cron_job_name(&long);
    assert!(name.len() <= 52, "{name}");
    assert_ne!(name, cron_job_name(&"a".repeat(61)));
}

#[test]
fn names_become_dns_labels_and_changed_ones_keep_a_hash() {
    assert_eq!(dns_label("web"), "web");
    assert_eq!(dns_label("stagecraft-ab12cd3"), "stagecraft-ab12cd3");
    let changed = dns_label("Frontend_Proxy");
    assert!(changed.starts_with("frontend-proxy-"), "{changed}");
    assert_ne!(changed, dns_label("frontend-proxy"));
    assert_ne!(dns_label("a_b"), dns_label("a.b"));
    let long = dns_label(&"x".repeat(100));
    assert!(long.len() <= 63, "{long}");
    assert!(dns_label("1st").starts_with("x-1st-"));
}

#[test]
fn requests_are_reserved_beside_limits() {
    let owner = Owner {
        env_id: "ab12cd3".into(),
        app: "shop".into(),
        pull_secret: None,
    };
    let service = ServiceSpec {
        name: "web".into(),
        image: "shop/web".into(),
        replicas: 1,
        limits: Limits {
            memory_bytes: Some(1 << 30),
            cpu_millis: Some(1000),
        },
        requests: Limits {
            memory_bytes: Some(100 << 20),
            cpu_millis: Some(100),
        },
        ..ServiceSpec::default()
    };
    let pod = deployment(&owner, &service).spec.template.spec.unwrap();
    let resources = pod.containers[0].resources.clone().unwrap();
    assert_eq!(resources.limits.unwrap()["cpu"], Quantity("1000m".into()));
    let requests = resources.requests.unwrap();
    assert_eq!(requests["cpu"], Quantity("100m".into()));
    assert_eq!(requests["memory"], Quantity((100u64 << 20).to_string()));
    let none = ServiceSpec {
        name: "web".into(),
        image: "shop/web".into(),
        replicas: 1,
        ..ServiceSpec::default()
    };
    let pod = deployment(&owner, &none).spec.template.spec.unwrap();
    assert!(pod.containers[0].resources.is_none());
}

#[test]
fn a_node_selector_reaches_the_pods_of_services_and_jobs() {
    let owner = Owner {
        env_id: "ab12cd3".into(),
        app: "genai".into(),
        pull_secret: None,
    };
    let gpu = vec![("nvidia.com/gpu".to_owned(), "true".to_owned())];
    let service = ServiceSpec {
        name: "llm".into(),
        image: "ollama/ollama".into(),
        replicas: 1,
        node_selector: gpu.clone(),
        ..ServiceSpec::default()
    };
    let pod = deployment(&owner, &service).spec.template.spec.unwrap();
    assert_eq!(
        pod.node_selector,
        Some(BTreeMap::from([(
            "nvidia.com/gpu".to_owned(),
            "true".to_owned()
        )]))
    );
    let spec = JobSpec {
        name: "pull".into(),
        image: "ollama/ollama".into(),
        node_selector: gpu,
        ..JobSpec::default()
    };
    let run = job(&owner, &spec, "r1")
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    assert_eq!(run.node_selector.unwrap()["nvidia.com/gpu"], "true");
    let plain = ServiceSpec {
        node_selector: Vec::new(),
        ..service
    };
    assert_eq!(
        deployment(&owner, &plain)
            .spec
            .template
            .spec
            .unwrap()
            .node_selector,
        None
    );
}

#[test]
fn configmap_files_become_a_configmap_each_mounted_alone() {
    let owner = Owner {
        env_id: "ab12cd3".into(),
        app: "otel".into(),
        pull_secret: None,
    };
    let file = |name: &str, mount: &str, content: &str| ConfigFile {
        name: name.into(),
        repo_path: format!("src/{name}"),
        mount_path: mount.into(),
        content: content.into(),
    };
    let service = ServiceSpec {
        name: "grafana".into(),
        image: "grafana/grafana".into(),
        replicas: 1,
        config_files: vec![
            file("grafana-ini", "/etc/grafana/grafana.ini", "[server]\n"),
            file(
                "general-yaml",
                "/etc/grafana/provisioning/general.yaml",
                "a: 1\n",
            ),
        ],
        ..ServiceSpec::default()
    };
    let workloads = Workloads {
        services: std::collections::HashMap::from([("grafana".to_owned(), service)]),
        ..Workloads::default()
    };

    let manifests = Manifests::of(&owner, &workloads);

    let map = &manifests.config_maps[0];
    assert_eq!(map.metadata.name.as_deref(), Some("grafana-files"));
    assert_eq!(map.data.as_ref().unwrap()["grafana-ini"], "[server]\n");
    let pod = manifests.deployments[0].spec.template.spec.clone().unwrap();
    let mounts = pod.containers[0].volume_mounts.clone().unwrap();
    assert_eq!(
        mounts
            .iter()
            .map(|m| (m.mount_path.as_str(), m.sub_path.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("/etc/grafana/grafana.ini", Some("grafana-ini")),
            (
                "/etc/grafana/provisioning/general.yaml",
                Some("general-yaml")
            )
        ]
    );
    assert_eq!(
        pod.volumes.unwrap()[0].config_map.as_ref().unwrap().name,
        "grafana-files"
    );
}

#[test]
fn label_values_are_cut_and_cleaned() {
    assert_eq!(label_value("services.api"), "services.api");
    assert_eq!(label_value("my app!"), "my-app");
    assert_eq!(label_value(&"a".repeat(70)).len(), 63);
}
