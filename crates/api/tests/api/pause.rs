//! Pause and resume of the scenario app on the real Docker engine, through the use cases: its
//! containers stopped and kept, started again as the same containers in the setup workflow's
//! order with no job run again, a Deploy of a paused environment resuming it first, and a
//! teardown of a paused one.

use stagecraft_api::{DeployRequest, Wait};
use stagecraft_docker::stable_host_port;
use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

use crate::docker::{
    SCENARIO_WORKFLOWS, Scenario, container_ids, deploy_without_failures, event_types, http_get,
    labelled, scenario,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_app_is_paused_resumed_as_it_was_and_torn_down_while_paused() {
    let scenario = scenario("pau", SCENARIO_WORKFLOWS).await;
    let Scenario {
        stagecraft, env_id, ..
    } = &scenario;
    deploy_without_failures(stagecraft, env_id, Stage::Setup).await;
    let port = stable_host_port(env_id, "web", 8080);
    assert_eq!(http_get(port, "/index.html"), "hello v1\n");
    let running = container_ids(env_id);
    assert_eq!(running.len(), 4, "the four services: {running:?}");
    let objects = labelled(env_id);
    let refused = stagecraft
        .submit(env_id, DeployRequest::Resume, Wait::UntilDone)
        .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("is running, not paused")),
        "{refused:?}"
    );

    // Paused: nothing runs, everything is kept.
    let paused = stagecraft
        .submit(env_id, DeployRequest::Pause, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (paused.stage, paused.status),
        (Stage::Pause, DeployStatus::Succeeded)
    );
    let status = || async { stagecraft.environment(env_id).await.unwrap().status };
    assert_eq!(status().await, EnvironmentStatus::Paused);
    assert!(
        container_ids(env_id).is_empty(),
        "{:?}",
        container_ids(env_id)
    );
    assert_eq!(
        labelled(env_id),
        objects,
        "containers, network and volume kept"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "web's port is closed"
    );
    let again = stagecraft
        .submit(env_id, DeployRequest::Pause, Wait::UntilDone)
        .await;
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.to_string().contains("is paused already")),
        "{again:?}"
    );

    // Resumed: the same containers, in the setup's order, migrate not run again (worker's
    // readiness reads what it wrote, kept in the data volume).
    let resumed = stagecraft
        .submit(env_id, DeployRequest::Resume, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(stagecraft, resumed.id).await;
    assert_eq!(
        (resumed.stage, resumed.status),
        (Stage::Resume, DeployStatus::Succeeded),
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains("jobs.migrate") && e.contains("a resume runs no jobs")),
        "{events:#?}"
    );
    let started = |task: &str| {
        events
            .iter()
            .position(|e| e.contains("task_started") && e.contains(&format!("\"{task}\"")))
            .unwrap_or_else(|| panic!("{task} never started: {events:#?}"))
    };
    assert!(started("services.data") < started("services.web"));
    assert!(started("services.data") < started("services.worker"));
    assert_eq!(status().await, EnvironmentStatus::Deployed);
    assert_eq!(
        container_ids(env_id),
        running,
        "the same containers run again"
    );
    assert_eq!(http_get(port, "/index.html"), "hello v1\n");

    // A Deploy of a paused environment resumes it first, and says so.
    stagecraft
        .submit(env_id, DeployRequest::Pause, Wait::UntilDone)
        .await
        .unwrap();
    let deploy = stagecraft
        .submit(env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (deploy.stage, deploy.status),
        (Stage::Patch, DeployStatus::Succeeded),
        "{:#?}",
        event_types(stagecraft, deploy.id).await
    );
    assert!(deploy.reason.contains("resumed first"), "{}", deploy.reason);
    let deploys = stagecraft.deploys(env_id).await.unwrap();
    let before = &deploys[deploys.len() - 2];
    assert_eq!(
        (before.stage, before.status),
        (Stage::Resume, DeployStatus::Succeeded)
    );
    assert_eq!(status().await, EnvironmentStatus::Deployed);
    assert_eq!(http_get(port, "/index.html"), "hello v1\n");

    // Torn down while paused: everything goes.
    stagecraft
        .submit(env_id, DeployRequest::Pause, Wait::UntilDone)
        .await
        .unwrap();
    let teardown = stagecraft
        .submit(env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(status().await, EnvironmentStatus::TornDown);
    assert!(labelled(env_id).is_empty(), "{:?}", labelled(env_id));
}
