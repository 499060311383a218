//! Queueing is one transaction: requests at once, from several processes, leave one waiting
//! deploy of a stage.

use stagecraft_engine::Stage;
use stagecraft_store::{Store, deploy};

use crate::history::{environment_fixture, store};

#[tokio::test]
async fn ten_requests_at_once_from_three_processes_leave_one_waiting_patch() {
    let dir = tempfile::tempdir().unwrap();
    let first = store(&dir).await;
    let (app_id, env) = environment_fixture(&first).await;
    // Three stores on the file: as the app, the CLI and `serve` would open it.
    let mut stores = vec![first];
    for _ in 0..2 {
        stores.push(
            Store::open(&dir.path().join("stagecraft.db"))
                .await
                .unwrap(),
        );
    }
    let mut requests = Vec::new();
    for i in 0..10 {
        let pool = stores[i % 3].pool().clone();
        requests.push(tokio::spawn(async move {
            let reason = format!("request {i}");
            deploy::enqueue(
                &pool,
                env,
                &deploy::ToQueue {
                    stage: Stage::Patch,
                    reason: &reason,
                    config_version: Some(1),
                    build_id: None,
                    working_tree: false,
                    build_commit: None,
                    target: None,
                },
            )
            .await
            .unwrap()
        }));
    }
    let mut ids = Vec::new();
    for request in requests {
        ids.push(request.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one deploy for all: {ids:?}");
    let all = deploy::for_environment(stores[0].pool(), env)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);

    // A rollback is its own.
    let build = stagecraft_store::build::start(stores[1].pool(), app_id, None, "earlier", "test")
        .await
        .unwrap();
    let rollback = deploy::enqueue(
        stores[1].pool(),
        env,
        &deploy::ToQueue {
            stage: Stage::Patch,
            reason: "rollback",
            config_version: Some(1),
            build_id: Some(build),
            working_tree: false,
            build_commit: None,
            target: None,
        },
    )
    .await
    .unwrap();
    assert_ne!(rollback, ids[0]);
    let all = deploy::for_environment(stores[0].pool(), env)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[1].rollback && !all[0].rollback);
}

#[tokio::test]
async fn a_custom_workflow_joins_only_a_waiting_run_of_the_same_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, env) = environment_fixture(&store).await;
    let queue = |workflow: &'static str| {
        let pool = store.pool().clone();
        async move {
            deploy::enqueue(
                &pool,
                env,
                &deploy::ToQueue {
                    stage: Stage::Workflow,
                    reason: "requested",
                    config_version: Some(1),
                    build_id: None,
                    working_tree: false,
                    build_commit: None,
                    target: Some(workflow),
                },
            )
            .await
            .unwrap()
        }
    };
    let reindex = queue("reindex").await;
    let ingest = queue("ingest").await;
    assert_ne!(reindex, ingest, "another workflow is a run of its own");
    assert_eq!(queue("reindex").await, reindex, "the same one joins");
    let all = deploy::for_environment(store.pool(), env).await.unwrap();
    let labels: Vec<&str> = all.iter().map(|d| d.label()).collect();
    assert_eq!(labels, ["reindex", "ingest"]);
}

#[tokio::test]
async fn a_cron_jobs_runs_beyond_the_newest_kept_go_with_their_logs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let (_, env) = environment_fixture(&store).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let id =
            deploy::insert_with_build(pool, env, Stage::Cron, "due", Some(1), None, Some("tick"))
                .await
                .unwrap();
        sqlx::query("UPDATE deploy SET status = 'succeeded' WHERE id = ?")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        stagecraft_store::log::append(
            pool,
            &format!("ted1bc4/{id}/jobs.tick"),
            Some(env),
            &[(stagecraft_store::log::Stream::Stdout, "tick".to_owned())],
            100,
        )
        .await
        .unwrap();
        ids.push(id);
    }
    let gone = stagecraft_store::cron::prune(pool, env, "ted1bc4", "tick", 2)
        .await
        .unwrap();
    assert_eq!(gone, 3);
    let left: Vec<i64> = deploy::for_environment(pool, env)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, ids[3..]);
    let logs: Vec<String> = stagecraft_store::log::resources(pool, env)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.resource)
        .collect();
    assert_eq!(
        logs,
        [
            format!("ted1bc4/{}/jobs.tick", ids[3]),
            format!("ted1bc4/{}/jobs.tick", ids[4])
        ]
    );
}
