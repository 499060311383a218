//! The scenario on a real cluster: setup, a patch, a job's log, teardown, through the same use
//! cases the app and the command call. No cluster can run where CI runs, so this is ignored
//! there; point it at one with
//! `STAGECRAFT_TEST_KUBECONFIG=~/.kube/config [STAGECRAFT_TEST_KUBE_CONTEXT=kind-dev] \
//!  cargo test -p stagecraft-api --test api kube_real -- --ignored --nocapture`
//! (`scripts/test.sh` runs it when `STAGECRAFT_TEST_KUBECONFIG` is set). The cluster pulls
//! `busybox:1.36` itself, so it needs a registry it can reach. The second test builds an image
//! on the local Docker engine and has it reach the cluster as users' images do: loaded into
//! kind, k3d or minikube nodes, shared with Docker Desktop, or pushed to the registry
//! `STAGECRAFT_TEST_KUBE_REGISTRY` names (`host[:port]/path`, one you are logged in to) for
//! any other cluster, which pulls it by itself, or with your login when
//! `STAGECRAFT_TEST_KUBE_SHARE_LOGIN` is set.

use stagecraft_api::{CreateEnvironment, DataDir, DeployRequest, Settings, Stagecraft, Wait};
use std::path::PathBuf;

use stagecraft_engine::{DeployStatus, EnvironmentStatus};

const TEMPLATE: &str = "app: kubeshop
environment_templates: [{name: ephemeral}]
services:
- name: web
  image: busybox:1.36
  command: [sh, -c, 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
  ports: [{type: node_port, port: '80', target_port: '8080'}]
  readiness_probe: {http_get: {path: /index.html, port: 8080}}
jobs:
- {name: migrate, image: busybox:1.36, command: [sh, -c, 'echo migrating the schema']}
workflows:
- name: setup
  order_from: [services.web, jobs.migrate]
- name: patch
  order_from: [services.web]
- name: teardown
  order_from: [release.remove_environment]
";

/// The kubeconfig and context under test.
fn cluster_under_test() -> (PathBuf, String) {
    let kubeconfig = PathBuf::from(
        std::env::var_os("STAGECRAFT_TEST_KUBECONFIG")
            .expect("STAGECRAFT_TEST_KUBECONFIG names the kubeconfig of the cluster to test on"),
    );
    let found = stagecraft_kube::read_contexts(std::slice::from_ref(&kubeconfig)).unwrap();
    let context = std::env::var("STAGECRAFT_TEST_KUBE_CONTEXT")
        .ok()
        .or(found.current_context)
        .expect("a context: STAGECRAFT_TEST_KUBE_CONTEXT, or the kubeconfig's current one");
    (kubeconfig, context)
}

async fn open(data: &std::path::Path, kubeconfig: PathBuf) -> Stagecraft {
    let mut stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(data),
        docker_endpoint: None,
        kubeconfig_paths: vec![kubeconfig],
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: 2,
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    })
    .await
    .unwrap();
    stagecraft.use_docker();
    stagecraft.use_kubernetes();
    stagecraft
}

fn write_app(repo: &std::path::Path, template: &str) {
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(repo.join(".release/application_template.yaml"), template).unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
}

/// An ephemeral environment of `app` on the cluster of `context`.
async fn create_on(stagecraft: &Stagecraft, app: &str, context: &str) -> String {
    stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            app: app.into(),
            branch: None,
            environment_template: "ephemeral".into(),
            runtime: format!("kube:{context}"),
            name: None,
            ttl: None,
            working_tree: false,
            parameters: Default::default(),
        })
        .await
        .unwrap()
        .env_id
}

/// `GET /index.html` of the environment's `web` through its node_port on 127.0.0.1 (forwarded
/// to a ready pod): the whole answer.
async fn web_index(env_id: &str) -> String {
    let port = stagecraft_engine::stable_host_port(env_id, "web", 8080);
    let mut http = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut http, b"GET /index.html HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut http, &mut answer)
        .await
        .unwrap();
    answer
}

#[tokio::test]
#[ignore = "needs a Kubernetes cluster: set STAGECRAFT_TEST_KUBECONFIG (see the module's docs)"]
async fn kube_real_the_scenario_runs_on_a_real_cluster() {
    let (kubeconfig, context) = cluster_under_test();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("kubeshop");
    write_app(&repo, TEMPLATE);
    let stagecraft = open(&dir.path().join("data"), kubeconfig).await;
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = create_on(&stagecraft, "kubeshop", &context).await;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = stagecraft.deploy_events(setup.id, 0).await.unwrap();
    assert_eq!(setup.status, DeployStatus::Succeeded, "{events:#?}");
    let answer = web_index(&env_id).await;
    assert!(answer.contains("hello"), "{answer}");
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(patch.status, DeployStatus::Succeeded);
    let log = stagecraft
        .logs(&format!("{env_id}/{}/jobs.migrate", setup.id), 0, 100)
        .await
        .unwrap();
    assert!(
        log.lines
            .iter()
            .any(|l| l.line.contains("migrating the schema")),
        "{log:?}"
    );

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(
        stagecraft.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::TornDown
    );
}

#[tokio::test]
#[ignore = "needs a Kubernetes cluster and a Docker engine: set STAGECRAFT_TEST_KUBECONFIG"]
async fn kube_real_a_built_image_reaches_the_cluster_and_serves() {
    let (kubeconfig, context) = cluster_under_test();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("kubebuilt");
    let web = repo.join("web");
    std::fs::create_dir_all(web.join("www")).unwrap();
    std::fs::copy("/bin/busybox", web.join("busybox"))
        .expect("busybox-static must be installed (apt-get install busybox-static)");
    std::fs::write(web.join("www/index.html"), "built here\n").unwrap();
    std::fs::write(
        web.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         COPY www /www\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n",
    )
    .unwrap();
    write_app(
        &repo,
        "app: kubebuilt
environment_templates: [{name: ephemeral}]
services:
- name: web
  has_repo: true
  build: {context: web}
  ports: [{type: node_port, port: '80', target_port: '8080'}]
  readiness_probe: {http_get: {path: /index.html, port: 8080}}
workflows:
- name: setup
  order_from: [services.web]
- name: patch
  order_from: [services.web]
- name: teardown
  order_from: [release.remove_environment]
",
    );
    let stagecraft = open(&dir.path().join("data"), kubeconfig).await;
    stagecraft.add_app(&repo).await.unwrap();
    if let Ok(registry) = std::env::var("STAGECRAFT_TEST_KUBE_REGISTRY") {
        stagecraft
            .set_image_registry(
                "kubebuilt",
                Some(&registry),
                std::env::var_os("STAGECRAFT_TEST_KUBE_SHARE_LOGIN").is_some(),
            )
            .await
            .unwrap();
    }
    let env_id = create_on(&stagecraft, "kubebuilt", &context).await;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = stagecraft.deploy_events(setup.id, 0).await.unwrap();
    assert_eq!(setup.status, DeployStatus::Succeeded, "{events:#?}");
    let answer = web_index(&env_id).await;
    assert!(answer.contains("built here"), "{answer}");

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
}
