//! The change feed: what another process changes reaches this one's followers, typed.

use stagecraft_api::{Change, CreateEnvironment, DeployRequest, DeployStatusView, StageView, Wait};
use std::time::Duration;

use stagecraft_engine::DeployStatus;

use crate::environments::{Fake, ephemeral, open, open_without_runtimes, repo};

/// The changes received until one matches `last`, or all received in 10 s.
async fn until(
    changes: &mut tokio::sync::broadcast::Receiver<Change>,
    last: impl Fn(&Change) -> bool,
) -> Vec<Change> {
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(change) = changes.recv().await {
            let done = last(&change);
            seen.push(change);
            if done {
                return;
            }
        }
    })
    .await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_another_process_does_reaches_the_feed_in_order_and_typed() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Fake::open()).await;
    app.add_app(&repo(dir.path())).await.unwrap();
    let mut changes = app.follow_changes().await.unwrap();

    // Other processes (each its own pool and connections) create an environment and deploy
    // it from one that cannot reach its runtime: the setup fails. Then the clock warns of
    // its expiry.
    let env = open(dir.path(), Fake::open())
        .await
        .create_environment(CreateEnvironment {
            dataset: None,
            ttl: Some(Duration::from_secs(3600)),
            ..ephemeral()
        })
        .await
        .unwrap();
    let cli = open_without_runtimes(dir.path()).await;
    let report = cli
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(report.deploy.status, DeployStatus::Failed);
    assert_eq!(cli.expiry_warnings().await.unwrap().len(), 1);

    let seen = until(&mut changes, |c| matches!(c, Change::NoticeRaised { .. })).await;

    let env_id = env.env_id.clone();
    let position = |wanted: &Change| seen.iter().position(|c| c == wanted);
    let created = position(&Change::EnvironmentCreated {
        env_id: env_id.clone(),
    });
    let queued = position(&Change::DeployQueued {
        env_id: env_id.clone(),
        deploy_id: report.deploy.id,
        stage: StageView::Setup,
    });
    let ended = position(&Change::DeployEnded {
        env_id: env_id.clone(),
        deploy_id: report.deploy.id,
        stage: StageView::Setup,
        status: DeployStatusView::Failed,
    });
    assert!(
        created.is_some() && queued.is_some() && ended.is_some(),
        "{seen:#?}"
    );
    assert!(created < queued && queued < ended, "{seen:#?}");
    assert!(
        matches!(seen.last(), Some(Change::NoticeRaised { env_id: e, notice, .. })
            if *e == env_id && notice == "expiry_warning"),
        "{seen:#?}"
    );
    assert!(seen.iter().all(|c| c.env_id() == env_id), "{seen:#?}");

    // Nothing more happens: nothing more is told.
    let quiet = tokio::time::timeout(Duration::from_millis(800), changes.recv()).await;
    assert!(quiet.is_err(), "{quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_stops_when_nobody_follows_and_starts_again_for_a_new_follower() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path(), Fake::open()).await;
    app.add_app(&repo(dir.path())).await.unwrap();
    drop(app.follow_changes().await.unwrap());
    // The first watcher finds nobody and ends.
    tokio::time::sleep(stagecraft_api::LOOK_EVERY * 3).await;

    let mut changes = app.follow_changes().await.unwrap();
    let env = app.create_environment(ephemeral()).await.unwrap();

    let seen = until(&mut changes, |c| {
        matches!(c, Change::EnvironmentCreated { .. })
    })
    .await;
    assert_eq!(seen, [Change::EnvironmentCreated { env_id: env.env_id }]);
}
