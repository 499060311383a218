use stagecraft_api::{DeployDetailView, DeployRequest, ErrorCode, Wait};
use std::sync::Arc;

use stagecraft_engine::{RuntimeError, RuntimeErrorKind, Stage};

use crate::environments::{Fake, ephemeral, open, repo};

#[tokio::test]
async fn the_timeline_has_a_lane_per_deploy_and_each_opens_into_steps_and_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    let lanes = stagecraft.timeline(&env_id).await.unwrap();
    assert_eq!(
        lanes.iter().map(|d| d.stage).collect::<Vec<_>>(),
        [Stage::Setup, Stage::Patch]
    );

    let setup = stagecraft.deploy_detail(lanes[0].id).await.unwrap();
    let patch = stagecraft.deploy_detail(lanes[1].id).await.unwrap();
    let steps: Vec<(&str, Option<&str>)> = setup
        .steps
        .iter()
        .map(|s| (s.step.name.as_str(), s.step.outcome.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("services.db", Some("succeeded")),
            ("jobs.migrate", Some("succeeded")),
            ("services.web", Some("succeeded"))
        ]
    );
    let db = &setup.steps[0].tasks[0];
    assert_eq!(
        (db.task.as_str(), db.status.as_str()),
        ("services.db", "succeeded")
    );
    assert_eq!(
        db.wait_reason.as_deref(),
        Some("waiting for readiness: exec true, attempt 1")
    );
    assert!(db.started_at.is_some() && db.finished_at.is_some());
    assert!(db.started_at <= db.finished_at);
    assert_eq!(patch.steps.len(), 1);
    assert_eq!(patch.steps[0].tasks[0].task, "services.web");
}

#[tokio::test]
async fn a_task_the_runtime_failed_says_the_error_code_a_failed_call_would() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    *fake.web_fails.lock().unwrap() = Some(
        RuntimeError::new("no Docker engine answered at unix:///var/run/docker.sock")
            .of_kind(RuntimeErrorKind::Unreachable),
    );
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    let detail = DeployDetailView::from(stagecraft.deploy_detail(setup.id).await.unwrap());
    let codes: Vec<(&str, &str, Option<ErrorCode>)> = detail
        .steps
        .iter()
        .flat_map(|s| &s.tasks)
        .map(|t| (t.task.as_str(), t.status.as_str(), t.error_code))
        .collect();
    assert_eq!(
        codes,
        [
            ("services.db", "succeeded", None),
            // A job's own failure (an exit code) has none; this one ran well.
            ("jobs.migrate", "succeeded", None),
            ("services.web", "failed", Some(ErrorCode::DockerUnreachable)),
        ]
    );
}
