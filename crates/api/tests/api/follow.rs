use crate::EventJson as _;
use stagecraft_api::{DeployRequest, Stagecraft, Wait};
use std::sync::Arc;
use std::time::Duration;

use stagecraft_engine::DeployStatus;
use stagecraft_store::deploy::StoredEvent;

use crate::environments::{Fake, ephemeral, open, repo};

async fn drain(mut receiver: tokio::sync::mpsc::Receiver<StoredEvent>) -> Vec<StoredEvent> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, receiver.recv()).await {
        events.push(event);
    }
    events
}

/// Starts a setup whose services wait at the fake's gate; returns the running deploy's id.
async fn running_setup(
    deployer: &Arc<Stagecraft>,
    fake: &Arc<Fake>,
    env_id: &str,
) -> (i64, tokio::task::JoinHandle<()>) {
    let task = {
        let deployer = Arc::clone(deployer);
        let env_id = env_id.to_owned();
        tokio::spawn(async move {
            deployer
                .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
                .unwrap();
        })
    };
    loop {
        let deploys = deployer.deploys(env_id).await.unwrap();
        if let Some(deploy) = deploys
            .first()
            .filter(|d| d.status == DeployStatus::Running)
            && fake.calls().contains(&"deploy db".to_owned())
        {
            return (deploy.id, task);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_gets_the_past_then_the_live_events_without_gap_or_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let stagecraft = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let (deploy_id, task) = running_setup(&stagecraft, &fake, &env_id).await;

    let following = stagecraft.follow(deploy_id, 0).await.unwrap();
    fake.gate.add_permits(100);
    let followed = drain(following).await;
    task.await.unwrap();

    let stored = stagecraft.deploy_events(deploy_id, 0).await.unwrap();
    assert_eq!(followed, stored);
    assert_eq!(
        followed.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=stored.len() as i64).collect::<Vec<_>>()
    );
    assert!(
        followed
            .last()
            .unwrap()
            .json()
            .contains("\"type\":\"stage_finished\"")
    );
}

#[tokio::test]
async fn following_a_finished_deploy_replays_from_the_seq_asked_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    let followed = drain(stagecraft.follow(deploy.id, 3).await.unwrap()).await;

    let stored = stagecraft.deploy_events(deploy.id, 3).await.unwrap();
    assert_eq!(followed, stored);
    assert_eq!(followed.first().unwrap().seq, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_follows_a_deploy_it_did_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::gated();
    let app = Arc::new(open(dir.path(), Arc::clone(&fake)).await);
    let cli = open(dir.path(), Fake::open()).await;
    app.add_app(&repo(dir.path())).await.unwrap();
    let env_id = app.create_environment(ephemeral()).await.unwrap().env_id;
    let (deploy_id, task) = running_setup(&app, &fake, &env_id).await;

    let following = cli.follow(deploy_id, 0).await.unwrap();
    fake.gate.add_permits(100);
    let followed = drain(following).await;
    task.await.unwrap();

    assert_eq!(followed, cli.deploy_events(deploy_id, 0).await.unwrap());
    assert!(
        followed
            .last()
            .unwrap()
            .json()
            .contains("\"type\":\"stage_finished\"")
    );
}

#[tokio::test]
async fn following_a_deploy_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    let error = stagecraft.follow(42, 0).await.unwrap_err();
    assert_eq!(error.code(), stagecraft_api::ErrorCode::NotFound);
}

#[tokio::test]
async fn a_followed_log_replays_its_lines_then_brings_those_another_process_stores() {
    use stagecraft_store::log::{self, Stream};
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    let other = stagecraft_store::Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();
    let resource = "builds/1/web";
    let lines = |from: usize, to: usize| {
        (from..to)
            .map(|i| (Stream::Stdout, format!("line {i}")))
            .collect::<Vec<_>>()
    };
    log::append(other.pool(), resource, None, &lines(0, 7_000), 10_000)
        .await
        .unwrap();

    let mut followed = stagecraft.follow_log(resource, 0).await.unwrap();
    let first = followed.recv().await.unwrap();
    let second = followed.recv().await.unwrap();
    log::append(other.pool(), resource, None, &lines(7_000, 12_000), 10_000)
        .await
        .unwrap();
    let third = tokio::time::timeout(Duration::from_secs(5), followed.recv())
        .await
        .expect("lines another process stores arrive within a moment")
        .unwrap();

    assert_eq!((first.lines.len(), second.lines.len()), (5_000, 2_000));
    assert_eq!(second.lines.last().unwrap().line, "line 6999");
    assert_eq!(third.lines.first().unwrap().line, "line 7000");
    assert_eq!(third.lines.len(), 5_000);
    assert_eq!(third.dropped, 2_000, "the cap of 10,000 dropped the oldest");
}

#[tokio::test]
async fn the_ingress_access_log_goes_to_each_services_own_log_and_its_followers() {
    use stagecraft_api::IngressAccess;

    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();
    let resource = format!("{}/services.web/ingress.requests", env.env_id);
    let mut followed = stagecraft.follow_log(&resource, 0).await.unwrap();
    let access = |env_id: &str, path: &str, status: u16| IngressAccess {
        env_id: env_id.into(),
        service: "web".into(),
        method: "GET".into(),
        path: path.into(),
        status,
        millis: 1.5,
    };

    stagecraft
        .record_ingress_access(vec![
            access(&env.env_id, "/", 200),
            access("gone123", "/", 200),
            access(&env.env_id, "/missing", 502),
        ])
        .await
        .unwrap();

    // The first page is the log as it was (empty); then the new lines.
    let page = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let page = followed.recv().await.unwrap();
            if !page.lines.is_empty() {
                break page;
            }
        }
    })
    .await
    .expect("a follower hears of the lines at once");
    let lines: Vec<(&str, bool)> = page
        .lines
        .iter()
        .map(|l| (l.line.as_str(), l.stderr))
        .collect();
    assert_eq!(
        lines,
        [
            ("[ingress] GET / -> 200 (1.5 ms)", false),
            ("[ingress] GET /missing -> 502 (1.5 ms)", true)
        ]
    );
    // A log of its own beside the service's, listed with it.
    let listed = stagecraft.log_resources(&env.env_id).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|r| r.resource == resource && r.label == "web, requests through the ingress"),
        "{listed:?}"
    );
    // An environment this data folder does not have keeps nothing.
    assert!(
        stagecraft
            .logs("gone123/services.web/ingress.requests", 0, 10)
            .await
            .unwrap()
            .lines
            .is_empty()
    );
}
