//! `Runtime::exec` against kube's mock service: the pod chosen by the workload's label, the
//! exact `pods/exec` request (a terminal's command marked through `sh`, its container named),
//! and a refusal said as the cluster's. No WebSocket can be upgraded through the mock: the
//! session itself is the Docker runtime's tests' (`crates/docker/tests/docker/exec.rs`).

use std::sync::Arc;

use stagecraft_engine::{ExecRequest, MemoryLedger, Runtime, TerminalSize};

use crate::runtime::{Answer, env, json, mocked, serve};

fn pod(name: &str, phase: &str, ready: bool) -> serde_json::Value {
    serde_json::json!({
        "metadata": {"name": name, "labels": {"dev.stagecraft/workload": "services.web"}},
        "status": {"phase": phase, "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }}
        ]}
    })
}

fn pods() -> Answer {
    json(serde_json::json!({
        "apiVersion": "v1", "kind": "PodList", "metadata": {},
        "items": [
            pod("web-7f9c-zzzzz", "Running", true),
            pod("web-7f9c-aaaaa", "Running", false),
            pod("web-7f9c-mmmmm", "Pending", false),
        ]
    }))
}

fn forbidden() -> Answer {
    Answer {
        status: 403,
        body: serde_json::to_vec(&serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "pods \"web-7f9c-zzzzz\" is forbidden: User \"dev\" cannot create resource \"pods/exec\"",
            "reason": "Forbidden", "code": 403
        }))
        .unwrap(),
    }
}

#[tokio::test]
async fn a_terminal_opens_on_the_first_ready_pod_with_its_command_marked() {
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![Some(pods()), Some(forbidden())]);
    let request = ExecRequest {
        workload: "services.web".into(),
        replica: None,
        command: vec!["bash".into()],
        tty: Some(TerminalSize { rows: 24, cols: 80 }),
        stdin: true,
    };
    let error = runtime
        .exec(&env(&Arc::new(MemoryLedger::default())), &request)
        .await
        .unwrap_err();
    let requests = server.await.unwrap();
    assert_eq!(
        requests[0],
        "GET /api/v1/namespaces/stagecraft-ab12cd3/pods?&labelSelector=dev.stagecraft%2Fworkload%3Dservices.web"
    );
    // The ready pod, not the first by name; the command through `sh` with the marker.
    let (path, query) = requests[1].split_once('?').unwrap();
    assert_eq!(
        path,
        "GET /api/v1/namespaces/stagecraft-ab12cd3/pods/web-7f9c-zzzzz/exec"
    );
    let query: Vec<(String, String)> = form_urlencoded(query);
    let commands: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        &commands[..3],
        ["sh", "-c", r#"export STAGECRAFT_EXEC="$0"; exec "$@""#]
    );
    assert_eq!(commands[3].len(), 32);
    assert_eq!(commands[4], "bash");
    for (key, value) in [
        ("container", "web"),
        ("stdin", "true"),
        ("stdout", "true"),
        ("tty", "true"),
    ] {
        assert!(
            query.contains(&(key.to_owned(), value.to_owned())),
            "{key}={value} in {query:?}"
        );
    }
    assert!(
        !query.iter().any(|(k, v)| k == "stderr" && v == "true"),
        "{query:?}"
    );
    // The cluster's refusal, in its words.
    let message = error.to_string();
    assert!(
        message.contains("cannot create resource \"pods/exec\""),
        "{message}"
    );
    assert_eq!(error.kind, stagecraft_engine::RuntimeErrorKind::Refused);
}

#[tokio::test]
async fn a_command_goes_to_the_replica_asked_for_unmarked_and_a_missing_one_is_named() {
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![Some(pods()), Some(forbidden()), Some(pods())]);
    let ledger = Arc::new(MemoryLedger::default());
    let mut request = ExecRequest {
        workload: "services.web".into(),
        replica: Some(1),
        command: vec!["sh".into(), "-c".into(), "exit 3".into()],
        tty: None,
        stdin: false,
    };
    runtime.exec(&env(&ledger), &request).await.unwrap_err();
    request.replica = Some(2);
    let missing = runtime.exec(&env(&ledger), &request).await.unwrap_err();
    let requests = server.await.unwrap();
    // Replica 1 of the running pods by name; the command as given; stderr apart.
    let (path, query) = requests[1].split_once('?').unwrap();
    assert!(path.ends_with("/pods/web-7f9c-zzzzz/exec"), "{path}");
    let query = form_urlencoded(query);
    let commands: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(commands, ["sh", "-c", "exit 3"]);
    assert!(
        query.contains(&("stderr".into(), "true".into())),
        "{query:?}"
    );
    assert!(
        !query.iter().any(|(k, v)| k == "tty" && v == "true"),
        "{query:?}"
    );
    assert!(
        missing
            .to_string()
            .contains("no running replica 2 (2 running"),
        "{missing}"
    );
}

fn form_urlencoded(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
