//! Health apart from deploy status: a deploy that leaves a service failed or not ready leaves
//! its environment degraded; the clock's look moves it back once every service is ready.

use std::sync::Arc;

use stagecraft_api::{DEGRADED_NOTICE, DeployRequest, Wait};
use stagecraft_engine::{DeployStatus, EnvironmentStatus, RuntimeError};

use crate::EventJson as _;

use crate::environments::{Fake, ephemeral, open, repo};

async fn status(stagecraft: &stagecraft_api::Stagecraft, env_id: &str) -> EnvironmentStatus {
    stagecraft.environment(env_id).await.unwrap().status
}

#[tokio::test]
async fn a_service_that_fails_its_patch_leaves_the_environment_degraded_not_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
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
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Deployed
    );

    *fake.web_fails.lock().unwrap() = Some(RuntimeError::new("web exited with code 1"));
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    // The patch's step does not halt on error (Release's default): it ran to its end.
    assert_eq!(patch.status, DeployStatus::Succeeded);
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Degraded
    );
    let notices = stagecraft.notices(&env_id).await.unwrap();
    let degraded = notices.iter().find(|n| n.kind == DEGRADED_NOTICE).unwrap();
    assert!(
        degraded.message.contains("1 failed task"),
        "{}",
        degraded.message
    );
    let events = stagecraft.deploy_events(patch.id, 0).await.unwrap();
    let finished = events.last().unwrap().json();
    assert!(
        finished.contains("\"type\":\"stage_finished\"") && finished.contains("\"failed_tasks\":1"),
        "{finished}"
    );

    // A degraded environment deploys again, and a deploy that fixes it says deployed.
    *fake.web_fails.lock().unwrap() = None;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Deployed
    );
}

#[tokio::test]
async fn the_clock_sees_a_service_go_down_and_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
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
    assert!(stagecraft.check_health().await.unwrap().is_empty());
    let ready = |rows: Vec<stagecraft_api::EnvironmentRow>| {
        rows.into_iter()
            .find(|r| r.environment.env_id == env_id)
            .and_then(|r| r.services_ready)
    };
    assert_eq!(
        ready(stagecraft.environment_rows().await.unwrap()),
        Some((2, 2)),
        "the deploy's end counts its services"
    );

    fake.down.lock().unwrap().push("web".into());
    let health = stagecraft.health(&env_id).await.unwrap();
    let web = health
        .iter()
        .find(|s| s.workload == "services.web")
        .unwrap();
    assert_eq!((web.ready_replicas, web.replicas), (0, 1));
    assert_eq!(
        stagecraft.check_health().await.unwrap(),
        [(env_id.clone(), EnvironmentStatus::Degraded)]
    );
    assert_eq!(
        ready(stagecraft.environment_rows().await.unwrap()),
        Some((1, 2)),
        "the health round counts them again"
    );
    let notice = stagecraft.notices(&env_id).await.unwrap().remove(0);
    assert_eq!(
        notice.message,
        format!("{env_id} is degraded: web: 0 of 1 ready (Exited (1) 2 seconds ago)")
    );
    assert!(
        stagecraft.check_health().await.unwrap().is_empty(),
        "no second move, no second notice"
    );

    fake.down.lock().unwrap().clear();
    assert_eq!(
        stagecraft.check_health().await.unwrap(),
        [(env_id.clone(), EnvironmentStatus::Deployed)]
    );

    // A service the last deploy ran that has nothing running at all is not ready either.
    fake.running.lock().unwrap().retain(|(_, s)| s != "db");
    assert_eq!(
        stagecraft.check_health().await.unwrap(),
        [(env_id.clone(), EnvironmentStatus::Degraded)]
    );
    let health = stagecraft.health(&env_id).await.unwrap();
    let db = health.iter().find(|s| s.workload == "services.db").unwrap();
    assert_eq!(db.reason.as_deref(), Some("not running"));
}
