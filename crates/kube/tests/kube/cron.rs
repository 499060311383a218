//! Cron jobs on Kubernetes, against kube's mock service: each a CronJob the cluster runs, one
//! run at a time, and those the configuration no longer has deleted.

use std::sync::Arc;

use stagecraft_engine::{CronJobSpec, JobSpec, MemoryLedger, Runtime};

use crate::runtime::{env, json, mocked, serve_recording};

const NS: &str = "stagecraft-ab12cd3";

#[tokio::test]
async fn cron_jobs_become_cronjobs_and_those_gone_are_deleted() {
    let (runtime, mock) = mocked();
    assert!(runtime.schedules_cron_jobs());
    let listed = json(serde_json::json!({
        "apiVersion": "batch/v1", "kind": "CronJobList", "metadata": {},
        "items": [
            {"metadata": {"name": "nightly", "namespace": NS}, "spec": {"schedule": "0 3 * * *", "jobTemplate": {}}},
            {"metadata": {"name": "old", "namespace": NS}, "spec": {"schedule": "@daily", "jobTemplate": {}}}
        ]
    }));
    let gone = json(
        serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
    );
    let server = serve_recording(mock, vec![None, None, Some(listed), Some(gone)]);
    let ledger = Arc::new(MemoryLedger::default());
    let nightly = CronJobSpec {
        job: JobSpec {
            name: "nightly".into(),
            image: "busybox:1.36".into(),
            command: vec!["sh".into(), "-c".into(), "echo hi".into()],
            completed_timeout: std::time::Duration::from_secs(600),
            ..JobSpec::default()
        },
        schedule: "0 3 * * *".into(),
    };
    assert!(
        runtime
            .schedule_cron_jobs(&env(&ledger), &[nightly])
            .await
            .unwrap()
    );
    let seen = server.await.unwrap();
    let requests: Vec<&str> = seen
        .iter()
        .map(|(r, _)| r.split('?').next().unwrap())
        .collect();
    assert_eq!(
        requests,
        [
            format!("PATCH /api/v1/namespaces/{NS}"),
            format!("PATCH /apis/batch/v1/namespaces/{NS}/cronjobs/nightly"),
            format!("GET /apis/batch/v1/namespaces/{NS}/cronjobs"),
            format!("DELETE /apis/batch/v1/namespaces/{NS}/cronjobs/old"),
        ]
    );
    let applied: serde_json::Value = serde_json::from_slice(&seen[1].1).unwrap();
    assert_eq!(applied["spec"]["schedule"], "0 3 * * *");
    assert_eq!(applied["spec"]["concurrencyPolicy"], "Forbid");
    let job = &applied["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["backoffLimit"], 0);
    assert_eq!(job["activeDeadlineSeconds"], 600);
    assert_eq!(
        job["template"]["metadata"]["labels"]["dev.stagecraft/workload"],
        "cron_jobs.nightly"
    );
}
