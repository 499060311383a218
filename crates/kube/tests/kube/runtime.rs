//! The Kubernetes runtime against kube's mock service: the exact requests a service's deploy,
//! a job's run and a teardown make, readiness followed through watches (never polled), and
//! the wait reasons a task shows while a pod cannot start.

use std::sync::Arc;

use http::{Request, Response};
use kube::client::Body;
use stagecraft_engine::{
    DeployEvent, EnvironmentRef, JobSpec, Ledger as _, MemoryLedger, PortSpec, Runtime,
    RuntimeObject, ServiceSpec, TaskProgress,
};
use stagecraft_kube::{Cluster, Images, KubeRuntime};
use tower_test::mock::Handle;

pub(crate) type Mock = Handle<Request<Body>, Response<Body>>;

pub(crate) const NS: &str = "stagecraft-ab12cd3";

pub(crate) fn mocked() -> (KubeRuntime, Mock) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let cluster = Cluster::new(kube::Client::new(service, "default"), "kind-dev");
    (KubeRuntime::with_cluster(cluster, Images::Shared), handle)
}

pub(crate) fn env(ledger: &Arc<MemoryLedger>) -> EnvironmentRef {
    EnvironmentRef {
        env_id: "ab12cd3".into(),
        image_registry: None,
        share_registry_login: false,
        app: "shop".into(),
        ledger: Arc::clone(ledger) as _,
    }
}

/// A progress whose wait reasons land in the returned receiver.
pub(crate) fn progress() -> (
    TaskProgress,
    tokio::sync::mpsc::UnboundedReceiver<DeployEvent>,
) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    (
        TaskProgress::new(Arc::new(sender), 0, "services.web"),
        receiver,
    )
}

fn reasons(receiver: &mut tokio::sync::mpsc::UnboundedReceiver<DeployEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        if let DeployEvent::TaskWaiting { reason, .. } = event {
            out.push(reason);
        }
    }
    out
}

/// One answer of the scripted API server.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn json(value: serde_json::Value) -> Answer {
    Answer {
        status: 200,
        body: serde_json::to_vec(&value).unwrap(),
    }
}

/// A watch's body: one event per line, as the API server streams them.
fn events(events: &[(&str, serde_json::Value)]) -> Answer {
    let mut body = Vec::new();
    for (kind, object) in events {
        body.extend(
            serde_json::to_vec(&serde_json::json!({"type": kind, "object": object})).unwrap(),
        );
        body.push(b'\n');
    }
    Answer { status: 200, body }
}

pub(crate) fn not_found(what: &str) -> Answer {
    Answer {
        status: 404,
        body: serde_json::to_vec(&serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("{what} not found"), "reason": "NotFound", "code": 404
        }))
        .unwrap(),
    }
}

/// Answers requests in order; an apply is answered with the object it sent. Gives back each
/// request as `METHOD path?query`.
pub(crate) fn serve(
    mock: Mock,
    answers: Vec<Option<Answer>>,
) -> tokio::task::JoinHandle<Vec<String>> {
    let recorded = serve_recording(mock, answers);
    tokio::spawn(async move {
        recorded
            .await
            .unwrap()
            .into_iter()
            .map(|(request, _)| request)
            .collect()
    })
}

/// As [`serve`], giving back each request's body too.
pub(crate) fn serve_recording(
    mut mock: Mock,
    answers: Vec<Option<Answer>>,
) -> tokio::task::JoinHandle<Vec<(String, Vec<u8>)>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        for answer in answers {
            let (request, send) = mock.next_request().await.expect("a request");
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.unwrap();
            seen.push((format!("{} {}", parts.method, parts.uri), body.to_vec()));
            let answer = answer.unwrap_or(Answer {
                status: 200,
                body: body.to_vec(),
            });
            send.send_response(
                Response::builder()
                    .status(answer.status)
                    .header("content-type", "application/json")
                    .body(Body::from(answer.body))
                    .unwrap(),
            );
        }
        seen
    })
}

pub(crate) fn web() -> ServiceSpec {
    ServiceSpec {
        name: "web".into(),
        image: "nginx:1.27".into(),
        ports: vec![PortSpec {
            container_port: 8080,
            exposed: false,
        }],
        replicas: 1,
        ..ServiceSpec::default()
    }
}

pub(crate) fn deployment(version: &str, status: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS, "generation": 2, "resourceVersion": version},
        "spec": {"replicas": 1, "selector": {}, "template": {}},
        "status": status,
    })
}

#[tokio::test]
async fn a_service_is_applied_and_its_rollout_followed_by_watches_with_each_pods_reason() {
    let (runtime, mock) = mocked();
    let progressing = serde_json::json!({"observedGeneration": 2, "replicas": 2,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let pulling = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-5d9c-x2", "namespace": NS},
        "status": {"phase": "Pending", "containerStatuses": [{
            "name": "web", "image": "nginx:1.27", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff",
            "message": "Back-off pulling image \"nginx:1.27\""}}}]}});
    let server = serve(
        mock,
        vec![
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("41", progressing.clone()))),
            Some(events(&[
                ("MODIFIED", deployment("42", progressing)),
                ("MODIFIED", deployment("43", done)),
            ])),
            Some(events(&[("ADDED", pulling)])),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let (progress, mut waits) = progress();

    runtime
        .deploy_service(&env(&ledger), &web(), progress)
        .await
        .unwrap();

    let watch = "watch=true&timeoutSeconds=60";
    assert_eq!(
        server.await.unwrap(),
        [
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("PATCH /api/v1/namespaces/{NS}?&force=true&fieldManager=stagecraft"),
            format!(
                "PATCH /apis/apps/v1/namespaces/{NS}/deployments/web?&force=true&fieldManager=stagecraft"
            ),
            format!(
                "PATCH /api/v1/namespaces/{NS}/services/web?&force=true&fieldManager=stagecraft"
            ),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!(
                "GET /apis/apps/v1/namespaces/{NS}/deployments?&{watch}&fieldSelector=metadata.name%3Dweb&allowWatchBookmarks=true&resourceVersion=41"
            ),
            format!(
                "GET /api/v1/namespaces/{NS}/pods?&{watch}&labelSelector=dev.stagecraft%2Fworkload%3Dservices.web&allowWatchBookmarks=true&resourceVersion=0"
            ),
        ]
    );
    assert_eq!(
        reasons(&mut waits),
        [
            "waiting for the rollout of web: 1 of 1 ready, 1 updated",
            "waiting for readiness: web-5d9c-x2: ImagePullBackOff: Back-off pulling image \"nginx:1.27\"",
        ]
    );
    assert_eq!(
        ledger.entries().await.unwrap(),
        [RuntimeObject {
            kind: "namespace".into(),
            name: NS.into()
        }]
    );
}

#[tokio::test]
async fn a_pod_that_can_never_start_fails_the_deploy_at_once_with_its_reason() {
    let (runtime, mock) = mocked();
    let never = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-5d9c-x2", "namespace": NS},
        "status": {"phase": "Pending", "containerStatuses": [{
            "name": "web", "image": "stagecraft/shop/web:4", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "ErrImageNeverPull",
            "message": "Container image \"stagecraft/shop/web:4\" is not present with pull policy of Never"}}}]}});
    let waiting = serde_json::json!({"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1});
    let server = serve(
        mock,
        vec![
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("41", waiting))),
            Some(events(&[])),
            Some(events(&[("ADDED", never)])),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    let error = runtime
        .deploy_service(&env(&ledger), &web(), progress().0)
        .await
        .unwrap_err();

    server.await.unwrap();
    assert_eq!(
        error.message,
        "the rollout of web failed in context kind-dev: web-5d9c-x2: ErrImageNeverPull: Container image \"stagecraft/shop/web:4\" is not present with pull policy of Never"
    );
    assert!(!error.transient);
}

#[tokio::test]
async fn a_job_runs_as_a_job_of_its_own_and_gives_its_pods_exit_code() {
    let (runtime, mock) = mocked();
    let spec = JobSpec {
        name: "migrate".into(),
        image: "shop/api:1".into(),
        command: vec!["./migrate".into()],
        completed_timeout: std::time::Duration::from_secs(1200),
        ..JobSpec::default()
    };
    let job = |version: &str, status: serde_json::Value| {
        serde_json::json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "migrate-x", "namespace": NS, "resourceVersion": version},
            "spec": {"template": {}}, "status": status})
    };
    let failed_pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "migrate-x-abc", "namespace": NS},
        "status": {"phase": "Failed", "containerStatuses": [{"name": "migrate",
            "image": "shop/api:1", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}]}});
    let server = serve(
        mock,
        vec![
            None,
            Some(json(
                serde_json::json!({"apiVersion": "batch/v1", "kind": "Status", "metadata": {}, "status": "Success"}),
            )),
            None,
            Some(json(job("7", serde_json::json!({"active": 1})))),
            Some(events(&[(
                "MODIFIED",
                job(
                    "8",
                    serde_json::json!({"failed": 1, "conditions": [
                    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}),
                ),
            )])),
            Some(events(&[])),
            Some(json(
                serde_json::json!({"apiVersion": "v1", "kind": "PodList",
                "metadata": {}, "items": [failed_pod]}),
            )),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    let exit = runtime
        .run_job(&env(&ledger), &spec, progress().0)
        .await
        .unwrap();

    assert_eq!(exit.code, 3);
    let seen = server.await.unwrap();
    assert_eq!(
        seen[0],
        format!("PATCH /api/v1/namespaces/{NS}?&force=true&fieldManager=stagecraft")
    );
    assert_eq!(
        seen[1],
        format!(
            "DELETE /apis/batch/v1/namespaces/{NS}/jobs?&labelSelector=dev.stagecraft%2Fworkload%3Djobs.migrate"
        )
    );
    assert!(
        seen[2].starts_with(&format!(
            "PATCH /apis/batch/v1/namespaces/{NS}/jobs/migrate-"
        )) && seen[2].ends_with("?&force=true&fieldManager=stagecraft"),
        "{seen:#?}"
    );
    assert!(
        seen[4]
            .contains("/jobs?&watch=true&timeoutSeconds=60&fieldSelector=metadata.name%3Dmigrate-"),
        "{seen:#?}"
    );
    assert!(
        seen[5].contains("/pods?&watch=true&timeoutSeconds=60&labelSelector=job-name%3Dmigrate-"),
        "{seen:#?}"
    );
    assert!(
        seen[6].starts_with(&format!(
            "GET /api/v1/namespaces/{NS}/pods?&labelSelector=job-name%3Dmigrate-"
        )),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn teardown_deletes_only_a_namespace_that_carries_the_environments_label() {
    let namespace = |env: &str| {
        json(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": NS, "labels": {"dev.stagecraft/env": env}}}))
    };
    let ledger = Arc::new(MemoryLedger::default());
    let recorded = RuntimeObject {
        kind: "namespace".into(),
        name: NS.into(),
    };
    ledger.record(&recorded).await.unwrap();

    // Someone else's namespace by the same name: left as it is; ours is gone, so the record
    // is done with and the teardown can end (as on Docker).
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![Some(namespace("zz99zz9"))]);
    runtime.remove_environment(&env(&ledger)).await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        [format!("GET /api/v1/namespaces/{NS}")]
    );
    assert!(ledger.entries().await.unwrap().is_empty());
    ledger.record(&recorded).await.unwrap();

    // Ours: deleted, waited for, and the ledger emptied; a second teardown is a no-op.
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![
            Some(namespace("ab12cd3")),
            Some(namespace("ab12cd3")),
            Some(not_found("namespaces \"stagecraft-ab12cd3\"")),
        ],
    );
    runtime.remove_environment(&env(&ledger)).await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        [
            format!("GET /api/v1/namespaces/{NS}"),
            format!("DELETE /api/v1/namespaces/{NS}?"),
            format!("GET /api/v1/namespaces/{NS}"),
        ]
    );
    assert!(ledger.entries().await.unwrap().is_empty());
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![]);
    runtime.remove_environment(&env(&ledger)).await.unwrap();
    assert!(server.await.unwrap().is_empty());
}

#[test]
fn built_images_reach_each_kind_of_local_cluster_by_its_own_tool() {
    use stagecraft_kube::ClusterKind;
    let load = |kind, context| {
        Images::for_context(kind, context)
            .load_command("stagecraft/shop/web:4")
            .map(|(program, args)| format!("{program} {}", args.join(" ")))
    };
    assert_eq!(
        load(ClusterKind::Kind, "kind-dev").as_deref(),
        Some("kind load docker-image stagecraft/shop/web:4 --name dev")
    );
    assert_eq!(
        load(ClusterKind::K3d, "k3d-shop").as_deref(),
        Some("k3d image import stagecraft/shop/web:4 --cluster shop")
    );
    assert_eq!(
        load(ClusterKind::Minikube, "minikube").as_deref(),
        Some("minikube image load stagecraft/shop/web:4 --profile minikube")
    );
    assert_eq!(load(ClusterKind::DockerDesktop, "docker-desktop"), None);
    assert_eq!(load(ClusterKind::Other, "prod"), None);
}

/// The scenario's three stages through the engine's runner, as the app runs them: setup (the
/// namespace, web, then the migrate job), a patch of web (a new template rolled out, followed
/// by watches), teardown. Every request the cluster receives, in order.
#[tokio::test]
async fn the_scenario_setup_patch_and_teardown_make_exactly_these_requests() {
    use stagecraft_engine::{Runner, Stage, Workloads};
    use tokio_util::sync::CancellationToken;

    let template = stagecraft_template::load_template(
        "scenario.yaml",
        "environment_templates: [{name: ephemeral}]
services:
- {name: web, image: nginx:1.27}
jobs:
- {name: migrate, image: shop/api:1, command: [./migrate]}
workflows:
- name: setup
  order_from: [services.web, jobs.migrate]
- name: patch
  order_from: [services.web]
- name: teardown
  order_from: [release.remove_environment]
",
    );
    let template = template.value.unwrap();
    let plan = |name: &str| stagecraft_template::plan_workflow(&template, name).unwrap();
    let workloads = Arc::new(Workloads {
        services: std::collections::HashMap::from([("web".to_owned(), web())]),
        jobs: std::collections::HashMap::from([(
            "migrate".to_owned(),
            JobSpec {
                name: "migrate".into(),
                image: "shop/api:1".into(),
                command: vec!["./migrate".into()],
                completed_timeout: std::time::Duration::from_secs(1200),
                ..JobSpec::default()
            },
        )]),
        cron_jobs: std::collections::HashMap::new(),
        ..Default::default()
    });
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let rolling = serde_json::json!({"observedGeneration": 2, "replicas": 2,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let job_done = serde_json::json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate-x", "namespace": NS, "resourceVersion": "9"},
        "spec": {"template": {}}, "status": {"succeeded": 1, "conditions": [
            {"type": "Complete", "status": "True"}]}});
    let pod_list = serde_json::json!({"apiVersion": "v1", "kind": "PodList", "metadata": {},
        "items": [{"metadata": {"name": "migrate-x-abc"}, "status": {"phase": "Succeeded",
            "containerStatuses": [{"name": "migrate", "image": "shop/api:1", "imageID": "",
            "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}]}}]});
    let namespace = json(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NS, "labels": {"dev.stagecraft/env": "ab12cd3"}}}));
    let status_ok = || {
        json(
            serde_json::json!({"apiVersion": "v1", "kind": "Status", "metadata": {},
            "status": "Success"}),
        )
    };
    let deployment_list = serde_json::json!({"apiVersion": "apps/v1", "kind": "DeploymentList",
        "metadata": {}, "items": []});
    let cron_list = serde_json::json!({"apiVersion": "batch/v1", "kind": "CronJobList",
        "metadata": {}, "items": []});
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![
            // setup: the namespace
            None,
            // web: not there yet; its objects, rolled out at once
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("50", done.clone()))),
            // migrate: its namespace apply, the last run's Job removed, a Job of its own
            None,
            Some(status_ok()),
            None,
            Some(json(job_done)),
            Some(json(pod_list)),
            // the setup's end: no cron jobs, none left; the services' health asked for
            Some(json(cron_list.clone())),
            Some(json(deployment_list.clone())),
            // patch: web was made from another spec (no digest of this one): its objects,
            // its rollout followed until done
            Some(json(deployment("55", done.clone()))),
            None,
            None,
            None,
            Some(json(deployment("60", rolling.clone()))),
            Some(events(&[
                ("MODIFIED", deployment("61", rolling)),
                ("MODIFIED", deployment("62", done)),
            ])),
            Some(events(&[])),
            // the patch's end: no cron jobs, none left; the services' health
            Some(json(cron_list)),
            Some(json(deployment_list)),
            // teardown: the namespace checked, deleted, gone
            Some(namespace.clone()),
            Some(namespace),
            Some(not_found("namespaces \"stagecraft-ab12cd3\"")),
        ],
    );
    let runtime = Arc::new(runtime);
    let ledger = Arc::new(MemoryLedger::default());
    let (sink, _events) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(Arc::clone(&runtime) as _, Arc::new(sink));
    let cancel = CancellationToken::new();
    let env = env(&ledger);

    let mut outcomes = Vec::new();
    for (stage, name) in [
        (Stage::Setup, "setup"),
        (Stage::Patch, "patch"),
        (Stage::Teardown, "teardown"),
    ] {
        outcomes.push(
            runner
                .run(
                    &env,
                    stage,
                    name,
                    &plan(name),
                    Arc::clone(&workloads),
                    &cancel,
                )
                .await,
        );
    }

    assert!(
        outcomes.iter().all(|o| *o
            == stagecraft_engine::DeployOutcome::Succeeded {
                failed_tasks: 0,
                unready: vec![]
            }),
        "{outcomes:?}"
    );
    let apply = "?&force=true&fieldManager=stagecraft";
    let seen: Vec<String> = server
        .await
        .unwrap()
        .into_iter()
        // A run's Job name carries a unique id; the rest is compared exactly.
        .map(|r| {
            let Some(at) = r.find("migrate-") else {
                return r;
            };
            let end = r[at..]
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .map_or(r.len(), |e| at + e);
            format!("{}migrate-RUN{}", &r[..at], &r[end..])
        })
        .collect();
    assert_eq!(
        seen,
        [
            format!("PATCH /api/v1/namespaces/{NS}{apply}"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("PATCH /api/v1/namespaces/{NS}{apply}"),
            format!("PATCH /apis/apps/v1/namespaces/{NS}/deployments/web{apply}"),
            format!("PATCH /api/v1/namespaces/{NS}/services/web{apply}"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("PATCH /api/v1/namespaces/{NS}{apply}"),
            format!(
                "DELETE /apis/batch/v1/namespaces/{NS}/jobs?&labelSelector=dev.stagecraft%2Fworkload%3Djobs.migrate"
            ),
            format!("PATCH /apis/batch/v1/namespaces/{NS}/jobs/migrate-RUN{apply}"),
            format!("GET /apis/batch/v1/namespaces/{NS}/jobs/migrate-RUN"),
            format!("GET /api/v1/namespaces/{NS}/pods?&labelSelector=job-name%3Dmigrate-RUN"),
            format!("GET /apis/batch/v1/namespaces/{NS}/cronjobs?"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments?"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("PATCH /api/v1/namespaces/{NS}{apply}"),
            format!("PATCH /apis/apps/v1/namespaces/{NS}/deployments/web{apply}"),
            format!("PATCH /api/v1/namespaces/{NS}/services/web{apply}"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!(
                "GET /apis/apps/v1/namespaces/{NS}/deployments?&watch=true&timeoutSeconds=60&fieldSelector=metadata.name%3Dweb&allowWatchBookmarks=true&resourceVersion=60"
            ),
            format!(
                "GET /api/v1/namespaces/{NS}/pods?&watch=true&timeoutSeconds=60&labelSelector=dev.stagecraft%2Fworkload%3Dservices.web&allowWatchBookmarks=true&resourceVersion=0"
            ),
            format!("GET /apis/batch/v1/namespaces/{NS}/cronjobs?"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments?"),
            format!("GET /api/v1/namespaces/{NS}"),
            format!("DELETE /api/v1/namespaces/{NS}?"),
            format!("GET /api/v1/namespaces/{NS}"),
        ]
    );
    assert!(ledger.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_node_port_is_forwarded_from_its_stable_local_port_until_teardown() {
    let (runtime, mock) = mocked();
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let server = serve(
        mock,
        vec![
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("50", done))),
            // A connection to the forward asks for the service's ready pods then.
            Some(json(
                serde_json::json!({"apiVersion": "v1", "kind": "PodList",
                "metadata": {}, "items": []}),
            )),
            // teardown: nothing recorded by the cluster any more
            Some(not_found("namespaces \"stagecraft-ab12cd3\"")),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let service = ServiceSpec {
        ports: vec![PortSpec {
            container_port: 8080,
            exposed: true,
        }],
        ..web()
    };
    let port = stagecraft_engine::stable_host_port("ab12cd3", "web", 8080);

    runtime
        .deploy_service(&env(&ledger), &service, progress().0)
        .await
        .unwrap();
    assert_eq!(
        runtime.ingress_url("ab12cd3", "web", 8080),
        Some(format!("http://127.0.0.1:{port}"))
    );
    let mut client = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the node_port listens on 127.0.0.1");
    // No pod is ready: the connection is closed without an answer.
    let mut buffer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut client, &mut buffer)
        .await
        .unwrap();
    assert!(buffer.is_empty());
    runtime.remove_environment(&env(&ledger)).await.unwrap();

    let seen = server.await.unwrap();
    assert_eq!(
        seen[5],
        format!(
            "GET /api/v1/namespaces/{NS}/pods?&labelSelector=dev.stagecraft%2Fworkload%3Dservices.web"
        )
    );
    // The forward stopped with the environment: the port is free again.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    drop(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("teardown let go of the port"),
    );
}

#[tokio::test]
async fn a_service_unchanged_but_for_its_per_deploy_variables_is_left_as_it_is() {
    let (runtime, mock) = mocked();
    let with_build = |id: &str| ServiceSpec {
        env: vec![stagecraft_engine::EnvVar {
            key: "RELEASE_BUILD_ID".into(),
            value: id.into(),
            secret: false,
        }],
        ..web()
    };
    let mut running = deployment("70", serde_json::json!({}));
    running["metadata"]["annotations"] = serde_json::json!({
        stagecraft_kube::ANNOTATION_CONFIG: stagecraft_kube::config_digest(&with_build("1"))
    });
    let server = serve(mock, vec![Some(json(running))]);
    let ledger = Arc::new(MemoryLedger::default());

    runtime
        .deploy_service(&env(&ledger), &with_build("2"), progress().0)
        .await
        .unwrap();

    assert_eq!(
        server.await.unwrap(),
        [format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web")],
        "nothing applied, nothing rolled"
    );
}

/// Records what it was asked to push and says the registry took it under a fixed tag; the
/// user's login is `login`.
#[derive(Default)]
struct RecordingPusher {
    pushed: std::sync::Mutex<Vec<(String, String)>>,
    login: Option<String>,
    logins_read: std::sync::atomic::AtomicUsize,
}

impl stagecraft_engine::ImagePusher for RecordingPusher {
    fn push<'a>(
        &'a self,
        image: &'a str,
        repository: &'a str,
        _progress: &'a TaskProgress,
    ) -> futures_util::future::BoxFuture<'a, Result<String, stagecraft_engine::RuntimeError>> {
        self.pushed
            .lock()
            .unwrap()
            .push((image.to_owned(), repository.to_owned()));
        Box::pin(async move { Ok(format!("{repository}:0123456789ab")) })
    }

    fn pull_login<'a>(
        &'a self,
        _repository: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<String>, stagecraft_engine::RuntimeError>>
    {
        self.logins_read
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async move { Ok(self.login.clone()) })
    }
}

fn pulling_cluster() -> (KubeRuntime, Mock, Arc<RecordingPusher>) {
    pulling_cluster_with(None)
}

fn pulling_cluster_with(login: Option<&str>) -> (KubeRuntime, Mock, Arc<RecordingPusher>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let cluster = Cluster::new(kube::Client::new(service, "default"), "prod");
    let pusher = Arc::new(RecordingPusher {
        login: login.map(str::to_owned),
        ..RecordingPusher::default()
    });
    let runtime =
        KubeRuntime::with_cluster(cluster, Images::Registry).with_pusher(Arc::clone(&pusher) as _);
    (runtime, handle, pusher)
}

fn built_web() -> ServiceSpec {
    ServiceSpec {
        image: "stagecraft/shop/web:4".into(),
        built: true,
        ..web()
    }
}

#[tokio::test]
async fn on_a_cluster_that_pulls_a_built_image_is_pushed_to_the_apps_registry_and_named_by_it() {
    let (runtime, mock, pusher) = pulling_cluster();
    let progressing = serde_json::json!({"observedGeneration": 2, "replicas": 2,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let starting = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-6f7d-a1", "namespace": NS},
        "status": {"phase": "Pending"}});
    let server = serve_recording(
        mock,
        vec![
            // No login shared before: the Secret that would hold it is made sure of gone.
            Some(not_found("secrets \"stagecraft-registry-login\"")),
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("41", progressing.clone()))),
            Some(events(&[
                ("MODIFIED", deployment("42", progressing)),
                ("MODIFIED", deployment("43", done)),
            ])),
            Some(events(&[("ADDED", starting)])),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let target = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        ..env(&ledger)
    };

    runtime
        .deploy_service(&target, &built_web(), progress().0)
        .await
        .unwrap();

    assert_eq!(
        *pusher.pushed.lock().unwrap(),
        [(
            "stagecraft/shop/web:4".to_owned(),
            "registry.example.com/team/shop-web".to_owned()
        )]
    );
    let requests = server.await.unwrap();
    let (_, body) = requests
        .iter()
        .find(|(request, _)| request.starts_with("PATCH /apis/apps/v1/"))
        .expect("the Deployment is applied");
    let applied: serde_json::Value = serde_json::from_slice(body).unwrap();
    let container = &applied["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["image"],
        "registry.example.com/team/shop-web:0123456789ab"
    );
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
}

#[tokio::test]
async fn an_image_is_pushed_once_per_process_and_its_pushed_name_keeps_the_deployment_unchanged() {
    let (runtime, mock, pusher) = pulling_cluster();
    let pushed = ServiceSpec {
        image: "registry.example.com/team/shop-web:0123456789ab".into(),
        ..built_web()
    };
    let mut running = deployment("50", serde_json::json!({}));
    running["metadata"]["annotations"] = serde_json::json!({
        stagecraft_kube::ANNOTATION_CONFIG: stagecraft_kube::config_digest(&pushed)
    });
    let server = serve(
        mock,
        vec![
            Some(not_found("secrets \"stagecraft-registry-login\"")),
            Some(json(running.clone())),
            Some(json(running)),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let target = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        ..env(&ledger)
    };

    for _ in 0..2 {
        runtime
            .deploy_service(&target, &built_web(), progress().0)
            .await
            .unwrap();
    }

    assert_eq!(pusher.pushed.lock().unwrap().len(), 1);
    assert_eq!(
        server.await.unwrap(),
        [
            format!("DELETE /api/v1/namespaces/{NS}/secrets/stagecraft-registry-login?"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
        ],
        "the running Deployment names the pushed image: nothing applied; no login left"
    );
}

#[tokio::test]
async fn a_built_image_for_a_pulling_cluster_and_an_app_without_a_registry_says_how_to_name_one() {
    let (runtime, mock, pusher) = pulling_cluster();
    let server = serve(mock, vec![]);
    let ledger = Arc::new(MemoryLedger::default());

    let error = runtime
        .deploy_service(&env(&ledger), &built_web(), progress().0)
        .await
        .unwrap_err();

    assert!(
        error
            .message
            .contains("stagecraft apps set-registry shop <host>/<path>"),
        "{error}"
    );
    assert!(!error.transient);
    assert!(pusher.pushed.lock().unwrap().is_empty());
    assert!(
        server.await.unwrap().is_empty(),
        "nothing reached the cluster"
    );
    assert!(ledger.entries().await.unwrap().is_empty());
}

#[test]
fn a_built_image_goes_under_the_registry_as_one_repository_named_for_its_app_and_service() {
    use stagecraft_kube::registry_repository;
    assert_eq!(
        registry_repository("registry.example.com/team", "stagecraft/shop/web:4"),
        "registry.example.com/team/shop-web"
    );
    assert_eq!(
        registry_repository("127.0.0.1:5000/", "stagecraft/My App/Web_1:12"),
        "127.0.0.1:5000/my-app-web_1"
    );
    assert_eq!(
        registry_repository("acme", "stagecraft/shop/api@sha256:abc"),
        "acme/shop-api"
    );
}

#[tokio::test]
async fn an_app_that_shares_its_login_gets_a_pull_secret_its_built_pods_name() {
    let login = r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpzZWNyZXQ="}}}"#;
    let (runtime, mock, _pusher) = pulling_cluster_with(Some(login));
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1});
    let server = serve_recording(
        mock,
        vec![
            None,
            Some(not_found("deployments.apps \"web\"")),
            None,
            None,
            None,
            Some(json(deployment("41", done))),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let target = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        share_registry_login: true,
        ..env(&ledger)
    };

    runtime
        .deploy_service(&target, &built_web(), progress().0)
        .await
        .unwrap();

    let requests = server.await.unwrap();
    let lines: Vec<&str> = requests.iter().map(|(line, _)| line.as_str()).collect();
    assert_eq!(
        lines[..2],
        [
            format!(
                "PATCH /api/v1/namespaces/{NS}/secrets/stagecraft-registry-login?&force=true&fieldManager=stagecraft"
            ),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
        ]
    );
    let secret: serde_json::Value = serde_json::from_slice(&requests[0].1).unwrap();
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(secret["stringData"][".dockerconfigjson"], login);
    let (_, body) = requests
        .iter()
        .find(|(line, _)| line.starts_with("PATCH /apis/apps/v1/"))
        .expect("the Deployment is applied");
    let applied: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        applied["spec"]["template"]["spec"]["imagePullSecrets"],
        serde_json::json!([{"name": "stagecraft-registry-login"}])
    );
    // Sharing the login is part of the Deployment's digest: turning it on or off replaces it.
    assert_ne!(
        applied["metadata"]["annotations"][stagecraft_kube::ANNOTATION_CONFIG],
        stagecraft_kube::config_digest(&ServiceSpec {
            image: "registry.example.com/team/shop-web:0123456789ab".into(),
            ..built_web()
        })
    );
}

#[tokio::test]
async fn sharing_a_login_the_user_does_not_have_says_what_to_do_before_any_workload_is_applied() {
    let (runtime, mock, _pusher) = pulling_cluster_with(None);
    let server = serve(mock, vec![]);
    let ledger = Arc::new(MemoryLedger::default());
    let target = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        share_registry_login: true,
        ..env(&ledger)
    };

    let error = runtime
        .deploy_service(&target, &built_web(), progress().0)
        .await
        .unwrap_err();

    assert!(
        error
            .message
            .contains("you have none: run `docker login` for it"),
        "{error}"
    );
    assert!(server.await.unwrap().is_empty());
}

#[tokio::test]
async fn a_login_no_longer_shared_is_taken_out_of_the_cluster_once() {
    let login = r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpzZWNyZXQ="}}}"#;
    let (runtime, mock, _pusher) = pulling_cluster_with(Some(login));
    let pushed = ServiceSpec {
        image: "registry.example.com/team/shop-web:0123456789ab".into(),
        ..built_web()
    };
    let shared_owner = stagecraft_kube::Owner {
        env_id: "ab12cd3".into(),
        app: "shop".into(),
        pull_secret: Some(stagecraft_kube::PULL_SECRET.into()),
    };
    let running = |owner: &stagecraft_kube::Owner| {
        let mut running = deployment("60", serde_json::json!({}));
        running["metadata"]["annotations"] = serde_json::json!({
            stagecraft_kube::ANNOTATION_CONFIG: owner.config_digest(&pushed)
        });
        running
    };
    let server = serve(
        mock,
        vec![
            // Shared: the Secret is applied and the running Deployment, which names it, stays.
            None,
            Some(json(running(&shared_owner))),
            // No longer shared: the Secret goes, once; the Deployment is running without it.
            Some(json(
                serde_json::json!({"kind": "Status", "apiVersion": "v1",
                "metadata": {}, "status": "Success"}),
            )),
            Some(json(running(&stagecraft_kube::Owner {
                pull_secret: None,
                ..shared_owner.clone()
            }))),
            Some(json(running(&stagecraft_kube::Owner {
                pull_secret: None,
                ..shared_owner.clone()
            }))),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let sharing = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        share_registry_login: true,
        ..env(&ledger)
    };
    let not_sharing = EnvironmentRef {
        share_registry_login: false,
        ..sharing.clone()
    };

    runtime
        .deploy_service(&sharing, &built_web(), progress().0)
        .await
        .unwrap();
    for _ in 0..2 {
        runtime
            .deploy_service(&not_sharing, &built_web(), progress().0)
            .await
            .unwrap();
    }

    assert_eq!(
        server.await.unwrap(),
        [
            format!(
                "PATCH /api/v1/namespaces/{NS}/secrets/stagecraft-registry-login?&force=true&fieldManager=stagecraft"
            ),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("DELETE /api/v1/namespaces/{NS}/secrets/stagecraft-registry-login?"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
        ]
    );
}

#[tokio::test]
async fn a_shared_login_is_read_and_applied_once_for_the_workloads_of_a_deploy() {
    let login = r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpzZWNyZXQ="}}}"#;
    let (runtime, mock, pusher) = pulling_cluster_with(Some(login));
    let owner = stagecraft_kube::Owner {
        env_id: "ab12cd3".into(),
        app: "shop".into(),
        pull_secret: Some(stagecraft_kube::PULL_SECRET.into()),
    };
    let mut running = deployment("70", serde_json::json!({}));
    running["metadata"]["annotations"] = serde_json::json!({
        stagecraft_kube::ANNOTATION_CONFIG: owner.config_digest(&ServiceSpec {
            image: "registry.example.com/team/shop-web:0123456789ab".into(),
            ..built_web()
        })
    });
    let server = serve(
        mock,
        vec![None, Some(json(running.clone())), Some(json(running))],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let sharing = EnvironmentRef {
        image_registry: Some("registry.example.com/team".into()),
        share_registry_login: true,
        ..env(&ledger)
    };

    for _ in 0..2 {
        runtime
            .deploy_service(&sharing, &built_web(), progress().0)
            .await
            .unwrap();
    }

    assert_eq!(
        pusher
            .logins_read
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "a credential helper runs once, not per workload"
    );
    assert_eq!(
        server.await.unwrap(),
        [
            format!(
                "PATCH /api/v1/namespaces/{NS}/secrets/stagecraft-registry-login?&force=true&fieldManager=stagecraft"
            ),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
            format!("GET /apis/apps/v1/namespaces/{NS}/deployments/web"),
        ]
    );
}

/// What `environments adopt` asks a cluster: the namespaces that carry an environment's
/// label, each with its environment and app.
#[tokio::test]
async fn the_environments_a_cluster_holds_are_its_labelled_namespaces() {
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![Some(json(serde_json::json!({
            "apiVersion": "v1", "kind": "NamespaceList", "metadata": {},
            "items": [
                {"metadata": {"name": "stagecraft-ab12cd3",
                    "labels": {"dev.stagecraft/env": "ab12cd3", "dev.stagecraft/app": "shop"}}},
                {"metadata": {"name": "stagecraft-zz99zz9",
                    "labels": {"dev.stagecraft/env": "zz99zz9", "dev.stagecraft/app": "blog"}}}
            ]
        })))],
    );
    let found = runtime.labelled_environments().await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        ["GET /api/v1/namespaces?&labelSelector=dev.stagecraft%2Fenv".to_owned()]
    );
    assert_eq!(
        found
            .iter()
            .map(|e| (e.env_id.as_str(), e.app.as_str()))
            .collect::<Vec<_>>(),
        [("ab12cd3", "shop"), ("zz99zz9", "blog")]
    );
}
