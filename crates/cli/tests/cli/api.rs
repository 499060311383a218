//! The HTTP API of a real `stagecraft serve` on a free 127.0.0.1 port, with a real HTTP client
//! (hyper), against the real Docker engine: refused without a valid token; Release's create by
//! branch, then update by the same branch, followed through the deploy until it ends; get and
//! list in Release's field names; bad bodies, oversized bodies and unknown apps with their
//! codes; a revoked token refused; delete; the requests and refusals recorded.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;

use crate::docker::{Cleanup, committed_app, json, stagecraft, stdout};

/// A `stagecraft serve` process, stopped (and waited for) when dropped, even when the test
/// fails half-way.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stagecraft serve --api-port 0` and `more`; gives the process and the port it printed.
fn serve(data: &Path, more: &[&str]) -> (Served, u16) {
    let mut child = Served(
        Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(["serve", "--every", "60", "--api-port", "0", "--no-ingress"])
            .args(more)
            .env("STAGECRAFT_DATA_DIR", data)
            .env("STAGECRAFT_KEYCHAIN", "0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve printed no API address within 30 s");
        if let Some(rest) =
            line.strip_prefix("stagecraft serve: the API answers on http://127.0.0.1:")
        {
            let port = rest.split('/').next().unwrap().parse().unwrap();
            // Its later lines are drained in the background, so it never blocks on them.
            std::thread::spawn(move || while receiver.recv().is_ok() {});
            return (child, port);
        }
    }
}

/// A new HTTP/1.1 connection to the API on 127.0.0.1:`port`, driven in the background.
async fn connect<B>(port: u16) -> hyper::client::conn::http1::SendRequest<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    sender
}

/// One request; gives the status and the JSON body (null when there is none).
async fn call(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, serde_json::Value) {
    let mut sender = connect(port).await;
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.unwrap_or_default(),
        )))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// Polls the deploy until it ended (bounded); gives it.
async fn ended(port: u16, token: &str, deploy: i64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (status, answer) = call(
            port,
            "GET",
            &format!("/api/v1/deploys/{deploy}"),
            &[("x-user-token", token)],
            None,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        if !matches!(answer["status"].as_str(), Some("queued" | "running")) {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "deploy {deploy} did not end: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_api_of_a_real_serve_creates_updates_and_deletes_by_branch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("api{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = committed_app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let made = json(&data, &["auth", "token", "create", "ci", "-o", "json"]);
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("stc_"), "{made}");
    let listed = json(&data, &["auth", "token", "list", "-o", "json"]);
    assert!(
        !listed.to_string().contains(&token),
        "a list never shows a token: {listed}"
    );
    let (mut server, port) = serve(&data, &[]);
    let auth = [
        ("x-user-token", token.as_str()),
        ("x-user-email", "ci@example.com"),
    ];

    // Refused without a valid token, with the app's code.
    let (status, answer) = call(port, "GET", "/api/v1/environments", &[], None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("UNAUTHORIZED")),
        "{answer}"
    );
    let (status, _) = call(
        port,
        "GET",
        "/api/v1/environments",
        &[("x-user-token", "stc_0000")],
        None,
    )
    .await;
    assert_eq!(status, 401);
    for path in ["/api/v1/openapi.json", "/api/v1/nothing-here"] {
        let (status, answer) = call(port, "GET", path, &[], None).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{path}"
        );
    }
    let (status, document) = call(port, "GET", "/api/v1/openapi.json", &auth, None).await;
    assert_eq!((status, document["openapi"].as_str()), (200, Some("3.1.0")));

    // Release's own path: created for the branch, and set up.
    let create = serde_json::json!({"branch": "main", "services": {"worker": "ecr/worker:1"}});
    let (status, created) = call(
        port,
        "POST",
        &format!("/api/apps/{name}/environments"),
        &auth,
        Some(serde_json::to_vec(&create).unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["message"], "Successfully created Environment");
    assert!(
        created["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("services:"),
        "{created}"
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    let setup = ended(port, &token, created["deploy"]["id"].as_i64().unwrap()).await;
    assert_eq!(setup["status"], "succeeded", "{setup}");

    let bearer = format!("Bearer {token}");
    let (status, got) = call(
        port,
        "GET",
        &format!("/api/v1/environments/{id}"),
        &[("authorization", bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        (
            got["environment"]["state"].as_str(),
            got["environment"]["tracking_branch"].as_str()
        ),
        (Some("deployed"), Some("main")),
        "{got}"
    );
    // Its service at its hostname through the ingress, and at the port Docker publishes.
    assert_eq!(
        got["environment"]["hostnames"][0]["url"],
        format!(
            "http://worker-{id}.localhost:{}",
            stagecraft_api::DEFAULT_INGRESS_PORT
        ),
        "{got}"
    );
    assert!(
        got["environment"]["hostnames"][0]["direct"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{got}"
    );

    // The same branch again: the same environment, updated by a deploy of its newest commit.
    let (status, updated) = call(
        port,
        "POST",
        &format!("/api/v1/apps/{name}/environments"),
        &auth,
        Some(br#"{"branch": "main"}"#.to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["message"], "Successfully updated Environment");
    assert_eq!(updated["environment"]["id"], id.as_str());
    let patch = ended(port, &token, updated["deploy"]["id"].as_i64().unwrap()).await;
    assert_eq!(
        (patch["stage"].as_str(), patch["status"].as_str()),
        (Some("patch"), Some("succeeded")),
        "{patch}"
    );

    let (status, list) = call(
        port,
        "GET",
        &format!("/api/v1/environments?app={name}"),
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id.as_str());

    // Bad requests, with their codes.
    let (status, answer) = call(
        port,
        "POST",
        &format!("/api/v1/apps/{name}/environments"),
        &auth,
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("branch is a required parameter")),
        "{answer}"
    );
    let (status, answer) = call(
        port,
        "POST",
        "/api/v1/apps/nosuchapp/environments",
        &auth,
        Some(br#"{"branch": "main"}"#.to_vec()),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{answer}"
    );
    let mut oversized = br#"{"branch": "main", "commit_message": ""#.to_vec();
    oversized.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    oversized.extend(br#""}"#);
    let (status, answer) = call(
        port,
        "POST",
        &format!("/api/v1/apps/{name}/environments"),
        &auth,
        Some(oversized),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (413, Some("REQUEST_TOO_LARGE")),
        "{answer}"
    );

    // Deleted: torn down.
    let (status, deleted) = call(
        port,
        "DELETE",
        &format!("/api/v1/environments/{id}"),
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 202, "{deleted}");
    let teardown = ended(port, &token, deleted["deploy"]["id"].as_i64().unwrap()).await;
    assert_eq!(teardown["status"], "succeeded", "{teardown}");

    // A revoked token is refused within a second (a valid one is trusted that long).
    stdout(&stagecraft(&data, &["auth", "token", "revoke", "ci"]));
    tokio::time::sleep(stagecraft_http::TRUSTED_FOR + Duration::from_millis(100)).await;
    let (status, _) = call(port, "GET", "/api/v1/environments", &auth, None).await;
    assert_eq!(status, 401);

    // Stopped as a user stops it: the requests are recorded first.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(server.0.wait().unwrap().success());
    let recorded = json(&data, &["auth", "requests", "--limit", "100", "-o", "json"]);
    assert_eq!(recorded["refused"], 5, "{recorded}");
    let requests = recorded["requests"].as_array().unwrap();
    assert!(
        requests.iter().any(|r| r["method"] == "DELETE"
            && r["status"] == 202
            && r["token"] == "ci"
            && r["path"] == format!("/api/v1/environments/{id}")),
        "{recorded}"
    );
    let tokens = json(&data, &["auth", "token", "list", "-o", "json"]);
    assert!(
        tokens[0]["lastUsedAt"].is_string() && tokens[0]["revokedAt"].is_string(),
        "{tokens}"
    );
}

/// One Server-Sent Event: its name, id and JSON data.
#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<i64>,
    data: serde_json::Value,
}

/// A stream of Server-Sent Events read to its end (bounded: 300 s); gives the status and the
/// events (comments left out).
async fn events(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<Sse>) {
    let mut sender = connect(port).await;
    let mut request = hyper::Request::builder()
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("accept", "text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = tokio::time::timeout(Duration::from_secs(300), response.into_body().collect())
        .await
        .expect("the stream did not end within 300 s")
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    let parsed = text
        .split("\n\n")
        .filter_map(|block| {
            let (mut event, mut id, mut data) = (None, None, String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            Some(Sse {
                event: event?,
                id,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    (status, parsed)
}

/// A POST with `content_type` and `body` as they are; gives the status and the JSON answer.
async fn raw(
    port: u16,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let mut sender = connect(port).await;
    let request = hyper::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("x-user-token", token)
        .header("content-type", content_type)
        .body(http_body_util::Full::new(bytes::Bytes::copy_from_slice(
            body,
        )))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Follows a deploy's events to their end; checks they come in `seq` order from 1 without a
/// gap, and gives how the deploy ended.
async fn followed(port: u16, token: &str, deploy: i64) -> serde_json::Value {
    let (status, got) = events(
        port,
        &format!("/api/v1/deploys/{deploy}/events"),
        &[("x-user-token", token)],
    )
    .await;
    assert_eq!(status, 200);
    let seqs: Vec<i64> = got.iter().filter_map(|e| e.id).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(seqs.len()).unwrap()).collect::<Vec<_>>(),
        "{got:?}"
    );
    assert!(got.iter().any(|e| e.event == "stage_started"), "{got:?}");
    let (end, got) = got.split_last().unwrap();
    assert_eq!(end.event, "end", "{got:?}");
    let last = got.last().unwrap();
    assert_eq!(last.event, "stage_finished", "{got:?}");
    assert_eq!(last.data["seq"], last.id.unwrap());
    last.data["event"]["outcome"].clone()
}

/// The requests per second a token may make in the streaming test: low, so that a burst of
/// requests surely goes over it, and high enough for the test's own.
const RATE: u32 = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_streams_deploys_builds_and_logs_makes_environments_from_presets_and_limits_clients()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("apistream{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = committed_app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let token = json(&data, &["auth", "token", "create", "ci", "-o", "json"])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_server, port) = serve(&data, &["--api-rate-limit", &RATE.to_string()]);
    let auth = [("x-user-token", token.as_str())];

    // A preset, and an environment made from it, followed through its events.
    let (status, saved) = call(
        port,
        "PUT",
        "/api/v1/presets/review",
        &auth,
        Some(format!(r#"{{"app": "{name}", "branch": "main", "ttl_hours": 5}}"#).into_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, answer) = call(
        port,
        "PUT",
        "/api/v1/presets/typo",
        &auth,
        Some(format!(r#"{{"app": "{name}", "ttl": 5}}"#).into_bytes()),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("unknown fields: ttl"),
        "{answer}"
    );
    let (status, listed) = call(
        port,
        "GET",
        &format!("/api/v1/presets?app={name}"),
        &auth,
        None,
    )
    .await;
    assert_eq!(
        (status, listed[0]["ttl_hours"].as_u64()),
        (200, Some(5)),
        "{listed}"
    );
    let (status, created) = call(
        port,
        "POST",
        "/api/v1/presets/review/environments",
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["environment"]["tracking_branch"], "main");
    let first = created["deploy"]["id"].as_i64().unwrap();
    assert_eq!(followed(port, &token, first).await["outcome"], "succeeded");

    // A reconnecting client goes on after the last event it had (Last-Event-ID), and the
    // stream of a finished deploy ends after its replay.
    let (_, mut all) = events(port, &format!("/api/v1/deploys/{first}/events"), &auth).await;
    assert_eq!(all.pop().unwrap().event, "end");
    let from = (all.len() - 2).to_string();
    let (_, rest) = events(
        port,
        &format!("/api/v1/deploys/{first}/events?after=1"),
        &[("x-user-token", token.as_str()), ("last-event-id", &from)],
    )
    .await;
    assert_eq!(
        rest.iter().map(|e| e.id).collect::<Vec<_>>(),
        [all[all.len() - 2].id, all[all.len() - 1].id, None],
        "{rest:?}"
    );
    // Reconnecting after the last event of a finished deploy: 204, nothing more comes.
    let after_all = all.len().to_string();
    let (status, nothing) = events(
        port,
        &format!("/api/v1/deploys/{first}/events"),
        &[
            ("x-user-token", token.as_str()),
            ("last-event-id", &after_all),
        ],
    )
    .await;
    assert_eq!((status, nothing.len()), (204, 0), "{nothing:?}");
    let (status, answer) = call(port, "GET", "/api/v1/deploys/999999/events", &auth, None).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("NOT_FOUND")));

    // Setup and patch, each followed as `--wait` follows.
    for action in ["setup", "patch"] {
        let (status, submitted) = call(
            port,
            "POST",
            &format!("/api/v1/environments/{id}/{action}"),
            &auth,
            None,
        )
        .await;
        assert_eq!(status, 202, "{submitted}");
        let deploy = submitted["deploy"]["id"].as_i64().unwrap();
        assert_eq!(
            followed(port, &token, deploy).await["outcome"],
            "succeeded",
            "{action}"
        );
    }

    // The workload's lines from its container, stdout and stderr told apart (its shell may
    // take a moment to print them after the patch).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, lines) = events(
            port,
            &format!("/api/v1/environments/{id}/logs/worker"),
            &auth,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            lines.last().map(|l| l.event.as_str()),
            Some("end"),
            "{lines:?}"
        );
        if lines
            .iter()
            .any(|l| l.data["line"] == "ready" && l.data["stderr"] == false)
            && lines
                .iter()
                .any(|l| l.data["line"] == "careful" && l.data["stderr"] == true)
        {
            break;
        }
        assert!(Instant::now() < deadline, "{lines:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Builds: the setup's, with the builder's lines; a new one made without deploying and
    // followed until it ends.
    let (status, builds) = call(
        port,
        "GET",
        &format!("/api/v1/apps/{name}/builds"),
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 200, "{builds}");
    let first_build = builds.as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, log) = events(
        port,
        &format!("/api/v1/builds/{first_build}/logs/worker"),
        &auth,
    )
    .await;
    assert_eq!(status, 200);
    let (end, log) = log.split_last().unwrap();
    assert_eq!(end.event, "end");
    assert!(
        !log.is_empty() && log.iter().all(|l| l.event == "line"),
        "{log:?}"
    );
    // An optional body is read whatever its Content-Type says (curl -d sends a form's), and
    // a field the path does not take is refused.
    let (status, answer) = raw(
        port,
        &format!("/api/v1/apps/{name}/builds"),
        &token,
        "application/x-www-form-urlencoded",
        br#"{"brnch": "main"}"#,
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{answer}"
    );
    let (status, started) = raw(
        port,
        &format!("/api/v1/apps/{name}/builds"),
        &token,
        "application/x-www-form-urlencoded",
        br#"{"working_tree": true}"#,
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let build = started["id"].as_i64().unwrap();
    let (status, _) = events(
        port,
        &format!("/api/v1/builds/{build}/logs/worker?follow"),
        &auth,
    )
    .await;
    assert_eq!(status, 200);
    // The stream ended with the build.
    let (_, done) = call(port, "GET", &format!("/api/v1/builds/{build}"), &auth, None).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (status, answer) = call(
        port,
        "GET",
        &format!("/api/v1/builds/{build}/logs/nope"),
        &auth,
        None,
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{answer}"
    );

    // A client that sends its headers slowly is let go of after the header time limit.
    let began = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut slow,
        b"GET /api/v1/environments HTTP/1.1\r\nHost: x\r\n",
    )
    .await
    .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::io::AsyncReadExt::read_to_end(&mut slow, &mut rest),
    )
    .await;
    assert!(
        closed.is_ok(),
        "the slow connection was still open after 30 s"
    );
    assert!(
        began.elapsed() >= stagecraft_http::DEFAULT_HEADER_TIMEOUT - Duration::from_millis(500),
        "closed after {:?}",
        began.elapsed()
    );

    // A token over its rate is answered 429 with Retry-After; another token is not held up.
    let burst = json(&data, &["auth", "token", "create", "burst", "-o", "json"])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // At once: far more than the burst the rate allows, whatever the machine's speed.
    let burst = [("x-user-token", burst.as_str())];
    let statuses = futures_util::future::join_all(
        (0..RATE * 4).map(|_| call(port, "GET", "/api/v1/presets", &burst, None)),
    )
    .await;
    let refused: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert!(
        !refused.is_empty(),
        "{:?}",
        statuses.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    assert_eq!(refused[0].1["code"], "RATE_LIMITED", "{}", refused[0].1);
    let (status, _) = call(port, "GET", "/api/v1/presets", &auth, None).await;
    assert_eq!(status, 200);

    let (status, deleted) = call(
        port,
        "DELETE",
        &format!("/api/v1/environments/{id}"),
        &auth,
        None,
    )
    .await;
    assert_eq!(status, 202, "{deleted}");
    assert_eq!(
        followed(port, &token, deleted["deploy"]["id"].as_i64().unwrap()).await["outcome"],
        "succeeded"
    );
}
