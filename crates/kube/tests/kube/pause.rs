//! Pause and resume on Kubernetes against kube's mock service: the exact requests (the
//! Deployments scaled to zero with their counts recorded, the CronJobs suspended; a service
//! scaled back to its recorded count, its rollout waited for).

use std::sync::Arc;

use stagecraft_engine::{MemoryLedger, Runtime as _};

use crate::runtime::{NS, deployment, env, json, mocked, progress, serve_recording, web};

fn list(kind: &str, items: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {"resourceVersion": "9"},
        "items": items,
    })
}

fn named(mut deployment: serde_json::Value, name: &str, replicas: i32) -> serde_json::Value {
    deployment["metadata"]["name"] = name.into();
    deployment["spec"]["replicas"] = replicas.into();
    deployment
}

fn cron_job(name: &str, suspend: bool) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"schedule": "0 3 * * *", "suspend": suspend, "jobTemplate": {}},
    })
}

fn body(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn a_pause_scales_each_running_deployment_to_zero_recording_its_count_and_suspends_cron_jobs()
{
    let (runtime, mock) = mocked();
    let web = named(deployment("5", serde_json::json!({})), "web", 2);
    // Paused already by a pause cut short: left as it is.
    let worker = named(deployment("6", serde_json::json!({})), "worker", 0);
    let server = serve_recording(
        mock,
        vec![
            Some(json(list("Deployment", vec![web.clone(), worker]))),
            Some(json(web)),
            Some(json(list(
                "CronJob",
                vec![cron_job("cron-nightly", false), cron_job("cron-held", true)],
            ))),
            Some(json(cron_job("cron-nightly", true))),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    runtime.pause_environment(&env(&ledger)).await.unwrap();

    let seen = server.await.unwrap();
    let requests: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        requests,
        [
            format!(
                "GET /apis/apps/v1/namespaces/{NS}/deployments?&labelSelector=dev.stagecraft%2Fworkload"
            ),
            format!("PATCH /apis/apps/v1/namespaces/{NS}/deployments/web?"),
            format!(
                "GET /apis/batch/v1/namespaces/{NS}/cronjobs?&labelSelector=dev.stagecraft%2Fworkload"
            ),
            format!("PATCH /apis/batch/v1/namespaces/{NS}/cronjobs/cron-nightly?"),
        ]
    );
    assert_eq!(
        body(&seen[1].1),
        serde_json::json!({
            "metadata": {"annotations": {"dev.stagecraft/paused-replicas": "2"}},
            "spec": {"replicas": 0},
        })
    );
    assert_eq!(
        body(&seen[3].1),
        serde_json::json!({"spec": {"suspend": true}})
    );
}

/// The same path serves a resume and a setup or patch after a pause cut short: a deploy of an
/// unchanged Deployment that a pause left at zero scales it back.
#[tokio::test]
async fn a_resumed_service_gets_its_recorded_count_back_and_is_waited_for() {
    let (runtime, mock) = mocked();
    let mut paused = named(deployment("7", serde_json::json!({})), "web", 0);
    paused["metadata"]["annotations"] = serde_json::json!({
        "dev.stagecraft/paused-replicas": "3",
        stagecraft_kube::ANNOTATION_CONFIG: stagecraft_kube::config_digest(&web()),
    });
    let done = serde_json::json!({"observedGeneration": 2, "replicas": 3,
        "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3});
    let scaled = named(deployment("8", done), "web", 3);
    let server = serve_recording(
        mock,
        vec![
            // What a deploy of the service reads: unchanged, but paused.
            Some(json(paused.clone())),
            Some(json(paused)),
            Some(json(scaled.clone())),
            // The rollout: done at the first look.
            Some(json(scaled)),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    runtime
        .wake_service(&env(&ledger), &web(), progress().0)
        .await
        .unwrap();

    let seen = server.await.unwrap();
    let requests: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    let web_deployment = format!("/apis/apps/v1/namespaces/{NS}/deployments/web");
    assert_eq!(
        requests,
        [
            format!("GET {web_deployment}"),
            format!("GET {web_deployment}"),
            format!("PATCH {web_deployment}?"),
            format!("GET {web_deployment}"),
        ]
    );
    assert_eq!(
        body(&seen[2].1),
        serde_json::json!({
            "metadata": {"annotations": {"dev.stagecraft/paused-replicas": null}},
            "spec": {"replicas": 3},
        })
    );
}
