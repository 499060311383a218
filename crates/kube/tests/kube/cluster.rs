//! The requests a cluster receives, checked against kube's mock service: the exact
//! server-side applies of an environment's setup in order, the delete and the wait of its
//! teardown, and what a refusal becomes.

use std::collections::HashMap;
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use stagecraft_engine::{
    EnvVar, PortSpec, ProbeSpec, ReadinessSpec, ServiceSpec, VolumeMount, VolumeSource, Workloads,
};
use stagecraft_kube::{Cluster, KubeError, Manifests, Owner};
use tower_test::mock::{Handle, SendResponse};

type Mock = Handle<Request<Body>, Response<Body>>;

fn cluster() -> (Cluster, Mock) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (
        Cluster::new(kube::Client::new(service, "default"), "kind-dev"),
        handle,
    )
}

fn owner() -> Owner {
    Owner {
        env_id: "ab12cd3".into(),
        app: "shop".into(),
        pull_secret: None,
    }
}

fn workloads() -> Workloads {
    let web = ServiceSpec {
        name: "web".into(),
        image: "stagecraft/shop/web:4".into(),
        built: true,
        env: vec![
            EnvVar {
                key: "MODE".into(),
                value: "dev".into(),
                secret: false,
            },
            EnvVar {
                key: "DB_PASS".into(),
                value: "hunter2".into(),
                secret: true,
            },
        ],
        ports: vec![PortSpec {
            container_port: 8080,
            exposed: true,
        }],
        replicas: 1,
        readiness: Some(ReadinessSpec::probe(ProbeSpec::HttpGet {
            path: "/health".into(),
            port: 8080,
        })),
        volumes: vec![VolumeMount {
            source: VolumeSource::Persistent {
                name: "data".into(),
            },
            mount_path: "/data".into(),
        }],
        ..ServiceSpec::default()
    };
    Workloads {
        services: HashMap::from([("web".to_owned(), web)]),
        jobs: HashMap::new(),
        cron_jobs: HashMap::new(),
        ..Default::default()
    }
}

async fn answer(send: SendResponse<Response<Body>>, status: u16, body: Vec<u8>) {
    send.send_response(
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap(),
    );
}

fn status(code: u16, reason: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code
    }))
    .unwrap()
}

#[tokio::test]
async fn setup_applies_each_object_server_side_in_order() {
    let (cluster, mut mock) = cluster();
    let manifests = Manifests::of(&owner(), &workloads());
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..5 {
            let (request, send) = mock.next_request().await.expect("a request");
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.unwrap();
            let object: serde_json::Value = serde_json::from_slice(&body).unwrap();
            seen.push((
                parts.method.to_string(),
                parts.uri.to_string(),
                parts.headers["content-type"].to_str().unwrap().to_owned(),
                object["kind"].as_str().unwrap_or_default().to_owned(),
            ));
            // The server answers with the object as applied.
            answer(send, 200, body.to_vec()).await;
        }
        seen
    });
    cluster.apply(&manifests).await.unwrap();
    let seen = server.await.unwrap();
    let apply = "application/apply-patch+yaml";
    let query = "?&force=true&fieldManager=stagecraft";
    assert_eq!(
        seen,
        [
            (
                "PATCH",
                format!("/api/v1/namespaces/stagecraft-ab12cd3{query}"),
                "Namespace"
            ),
            (
                "PATCH",
                format!("/api/v1/namespaces/stagecraft-ab12cd3/secrets/web-secrets{query}"),
                "Secret"
            ),
            (
                "PATCH",
                format!(
                    "/api/v1/namespaces/stagecraft-ab12cd3/persistentvolumeclaims/web-data{query}"
                ),
                "PersistentVolumeClaim"
            ),
            (
                "PATCH",
                format!("/apis/apps/v1/namespaces/stagecraft-ab12cd3/deployments/web{query}"),
                "Deployment"
            ),
            (
                "PATCH",
                format!("/api/v1/namespaces/stagecraft-ab12cd3/services/web{query}"),
                "Service"
            ),
        ]
        .map(|(method, uri, kind)| (
            method.to_owned(),
            uri,
            apply.to_owned(),
            kind.to_owned()
        ))
    );
}

#[tokio::test]
async fn the_secret_value_goes_only_into_the_secret() {
    let manifests = Manifests::of(&owner(), &workloads());
    let objects = manifests.to_json().unwrap();
    let with_value: Vec<&str> = objects
        .iter()
        .filter(|o| o.to_string().contains("hunter2"))
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(with_value, ["Secret"]);
    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env[1]["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "web-secrets", "key": "DB_PASS"})
    );
}

#[tokio::test]
async fn teardown_deletes_the_namespace_and_waits_until_it_is_gone() {
    let (cluster, mut mock) = cluster();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        // The delete, then the namespace is still terminating once, then gone.
        let answers = [
            (200, serde_json::to_vec(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "stagecraft-ab12cd3"}, "status": {"phase": "Terminating"}})).unwrap()),
            (200, serde_json::to_vec(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "stagecraft-ab12cd3"}, "status": {"phase": "Terminating"}})).unwrap()),
            (404, status(404, "NotFound", "namespaces \"stagecraft-ab12cd3\" not found")),
        ];
        for (code, body) in answers {
            let (request, send) = mock.next_request().await.expect("a request");
            seen.push((request.method().to_string(), request.uri().to_string()));
            answer(send, code, body).await;
        }
        seen
    });
    cluster
        .delete_namespace("stagecraft-ab12cd3", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        server.await.unwrap(),
        [
            ("DELETE", "/api/v1/namespaces/stagecraft-ab12cd3?"),
            ("GET", "/api/v1/namespaces/stagecraft-ab12cd3"),
            ("GET", "/api/v1/namespaces/stagecraft-ab12cd3"),
        ]
        .map(|(m, u)| (m.to_owned(), u.to_owned()))
    );
}

#[tokio::test]
async fn a_namespace_already_gone_is_torn_down() {
    let (cluster, mut mock) = cluster();
    let server = tokio::spawn(async move {
        let (_, send) = mock.next_request().await.expect("the delete");
        answer(send, 404, status(404, "NotFound", "not found")).await;
    });
    cluster
        .delete_namespace("stagecraft-ab12cd3", Duration::from_secs(30))
        .await
        .unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_refusal_names_the_context_the_verb_and_the_resource() {
    let (cluster, mut mock) = cluster();
    let manifests = Manifests::of(&owner(), &workloads());
    let server = tokio::spawn(async move {
        let (_, send) = mock.next_request().await.expect("the namespace's apply");
        answer(
            send,
            403,
            status(
                403,
                "Forbidden",
                "namespaces \"stagecraft-ab12cd3\" is forbidden: User \"dev\" cannot patch resource \"namespaces\"",
            ),
        )
        .await;
    });
    let error = cluster.apply(&manifests).await.unwrap_err();
    server.await.unwrap();
    assert!(
        matches!(&error, KubeError::Forbidden(refusal)
            if refusal.verb == "apply" && refusal.resource == "namespaces"
                && refusal.name == "stagecraft-ab12cd3"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("kind-dev") && message.contains("RBAC"),
        "{message}"
    );

    let (cluster, mut mock) = self::cluster();
    let server = tokio::spawn(async move {
        let (_, send) = mock.next_request().await.expect("the delete");
        answer(send, 401, status(401, "Unauthorized", "Unauthorized")).await;
    });
    let error = cluster
        .delete_namespace("stagecraft-ab12cd3", Duration::from_secs(1))
        .await
        .unwrap_err();
    server.await.unwrap();
    assert!(matches!(error, KubeError::Unauthorized { .. }), "{error:?}");
}

#[tokio::test]
async fn a_context_missing_from_the_kubeconfig_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: kind-dev\n  context: {cluster: c, user: u}\n\
         current-context: kind-dev\n",
    )
    .unwrap();
    let error = Cluster::connect(std::slice::from_ref(&file), "minikube")
        .await
        .unwrap_err();
    assert!(matches!(error, KubeError::NoContext { .. }), "{error:?}");
    assert!(error.to_string().contains("minikube"), "{error}");
    let cluster = Cluster::connect(&[file], "kind-dev").await.unwrap();
    assert_eq!(cluster.context(), "kind-dev");
}
