use std::path::Path;

use stagecraft_api::{DataDir, DockerStatus, ErrorCode, KubernetesReport, Settings, Stagecraft};

fn settings(dir: &Path, kubeconfig: Vec<std::path::PathBuf>) -> Settings {
    Settings {
        data_dir: DataDir::explicit(dir.join("data")),
        docker_endpoint: None,
        kubeconfig_paths: kubeconfig,
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: stagecraft_api::default_build_parallelism(),
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    }
}

#[tokio::test]
async fn the_report_names_the_data_folder_database_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = Stagecraft::open(settings(dir.path(), vec![]))
        .await
        .unwrap();

    let report = stagecraft.system_report().await.unwrap();

    assert_eq!(
        report.data_dir,
        dir.path().join("data").display().to_string()
    );
    assert_eq!(
        report.database.path,
        dir.path()
            .join("data")
            .join("stagecraft.db")
            .display()
            .to_string()
    );
    assert_eq!(
        report.database.schema_version,
        report.database.latest_schema_version
    );
    assert_eq!(report.database.created_by_version, report.version);
    assert!(
        matches!(report.kubernetes, KubernetesReport::Absent { ref searched } if searched.is_empty())
    );
}

#[tokio::test]
async fn kubeconfig_contexts_reach_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: k3d-dev\nclusters: [{name: k3d-dev, \
         cluster: {server: 'https://127.0.0.1:6550'}}]\ncontexts: [{name: k3d-dev, context: \
         {cluster: k3d-dev, user: admin, namespace: apps}}]\nusers: [{name: admin, user: {}}]\n",
    )
    .unwrap();
    let stagecraft = Stagecraft::open(settings(dir.path(), vec![kubeconfig.clone()]))
        .await
        .unwrap();

    let report = stagecraft.system_report().await.unwrap();

    let KubernetesReport::Found {
        files,
        current_context,
        contexts,
    } = report.kubernetes
    else {
        panic!("expected contexts, got {:?}", report.kubernetes);
    };
    assert_eq!(files, vec![kubeconfig.display().to_string()]);
    assert_eq!(current_context.as_deref(), Some("k3d-dev"));
    assert_eq!(contexts.len(), 1);
    assert_eq!(
        contexts[0].server.as_deref(),
        Some("https://127.0.0.1:6550")
    );
    assert_eq!(contexts[0].namespace.as_deref(), Some("apps"));
}

#[tokio::test]
async fn a_broken_kubeconfig_is_reported_with_its_code_not_as_a_failed_report() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, "clusters: {").unwrap();
    let stagecraft = Stagecraft::open(settings(dir.path(), vec![kubeconfig.clone()]))
        .await
        .unwrap();

    let report = stagecraft.system_report().await.unwrap();

    let KubernetesReport::Invalid { code, message } = report.kubernetes else {
        panic!(
            "expected an invalid kubeconfig, got {:?}",
            report.kubernetes
        );
    };
    assert_eq!(code, ErrorCode::KubeconfigInvalid);
    assert!(
        message.contains(&kubeconfig.display().to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn the_local_docker_engine_is_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = Stagecraft::open(settings(dir.path(), vec![]))
        .await
        .unwrap();

    let status = stagecraft.docker_status().await;

    assert!(
        matches!(status, DockerStatus::Reachable { ref version, .. } if !version.is_empty()),
        "a Docker engine must run for these tests: {status:?}"
    );
}

#[tokio::test]
async fn an_unreachable_engine_carries_a_stable_code_and_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path(), vec![]);
    settings.docker_endpoint = Some("unix:///nonexistent/api-test/docker.sock".into());
    let stagecraft = Stagecraft::open(settings).await.unwrap();

    let status = stagecraft.docker_status().await;

    let DockerStatus::Unreachable {
        endpoint,
        code,
        message,
        ..
    } = status
    else {
        panic!("expected unreachable, got {status:?}");
    };
    assert_eq!(endpoint, "unix:///nonexistent/api-test/docker.sock");
    assert_eq!(code, ErrorCode::DockerUnreachable);
    assert!(message.contains(&endpoint), "{message}");
}

#[tokio::test]
async fn a_data_folder_that_cannot_be_created_fails_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data"), "a file where the folder should be").unwrap();

    let error = Stagecraft::open(settings(dir.path(), vec![]))
        .await
        .unwrap_err();

    assert_eq!(error.code(), ErrorCode::DataDirUnavailable);
    assert!(
        error
            .to_string()
            .contains(&dir.path().join("data").display().to_string())
    );
}

#[tokio::test]
async fn every_kubeconfig_context_becomes_a_runtime_an_environment_can_be_created_on() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: k3d-dev\nclusters: [{name: k3d-dev, \
         cluster: {server: 'https://127.0.0.1:6550'}}, {name: prod, cluster: {server: \
         'https://127.0.0.1:6551'}}]\ncontexts: [{name: k3d-dev, context: {cluster: k3d-dev, \
         user: admin}}, {name: prod, context: {cluster: prod, user: admin}}]\nusers: [{name: \
         admin, user: {}}]\n",
    )
    .unwrap();
    let mut stagecraft = Stagecraft::open(settings(dir.path(), vec![kubeconfig]))
        .await
        .unwrap();
    stagecraft.use_docker();

    let before = stagecraft.runtime_choices().await;
    stagecraft.use_kubernetes();
    let after = stagecraft.runtime_choices().await;

    let shown = |choices: &[stagecraft_api::RuntimeChoice]| {
        choices
            .iter()
            .map(|c| (c.name.clone(), c.available, c.note.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shown(&before)[1..],
        [
            (
                "kube:k3d-dev".to_owned(),
                false,
                Some("not registered in this Stagecraft".to_owned())
            ),
            (
                "kube:prod".to_owned(),
                false,
                Some("not registered in this Stagecraft".to_owned())
            ),
        ]
    );
    assert_eq!(
        shown(&after)[1..],
        [
            ("kube:k3d-dev".to_owned(), true, None),
            (
                "kube:prod".to_owned(),
                true,
                Some("via the app's registry".to_owned())
            ),
        ]
    );
    let needs_registry = |choices: &[stagecraft_api::RuntimeChoice]| {
        choices
            .iter()
            .filter(|c| c.needs_registry)
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(needs_registry(&after), ["kube:prod"]);
}
