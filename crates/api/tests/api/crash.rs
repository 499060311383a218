//! A real process killed in the middle of a setup, and what the next start makes of it.

use crate::EventJson as _;
use stagecraft_api::{DataDir, DeployRequest, Settings, Stagecraft, Wait};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

use crate::environments::{Fake, ephemeral, open, repo};

const CHILD_DIR: &str = "STAGECRAFT_CRASH_CHILD_DIR";
const CHILD_ENV_ID: &str = "STAGECRAFT_CRASH_CHILD_ENV_ID";
const LEASE: Duration = Duration::from_secs(1);

async fn open_with_lease(dir: &std::path::Path, runtime: Arc<Fake>) -> Stagecraft {
    let mut stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(dir.join("data")),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: stagecraft_api::default_build_parallelism(),
        keychain: false,
    })
    .await
    .unwrap();
    stagecraft.register_runtime("docker", runtime);
    stagecraft
}

/// The half that gets killed: it deploys with a runtime whose services never become ready.
#[tokio::test]
#[ignore = "the child half of a_deploy_killed_mid_setup_is_interrupted_then_resumed, which runs it"]
async fn crash_child() {
    let dir = std::env::var_os(CHILD_DIR)
        .expect("this is the child half of a_deploy_killed_mid_setup_is_interrupted_then_resumed; it runs only under that test");
    let env_id = std::env::var(CHILD_ENV_ID).unwrap();
    let stagecraft = open_with_lease(std::path::Path::new(&dir), Fake::gated()).await;
    let _ = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await;
    unreachable!("the gate never opens: the parent kills this process first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_killed_mid_setup_is_interrupted_then_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let env_id = {
        let stagecraft = open_with_lease(dir.path(), Fake::open()).await;
        stagecraft.add_app(&repo(dir.path())).await.unwrap();
        stagecraft
            .create_environment(ephemeral())
            .await
            .unwrap()
            .env_id
    };

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::crash_child", "--ignored", "--nocapture"])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_ENV_ID, &env_id)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the child is inside the setup, waiting on its first service.
    let watcher = open_with_lease(dir.path(), Fake::open()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let running = loop {
        assert!(
            Instant::now() < deadline,
            "the child never started its setup"
        );
        let deploys = watcher.deploys(&env_id).await.unwrap();
        if let Some(deploy) = deploys
            .first()
            .filter(|d| d.status == DeployStatus::Running)
        {
            let events = watcher.deploy_events(deploy.id, 0).await.unwrap();
            if events
                .iter()
                .any(|e| e.json().contains("waiting for readiness"))
            {
                break deploy.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Opening Stagecraft while the child lives leaves its deploy alone: its lease is renewed.
    drop(open_with_lease(dir.path(), Fake::open()).await);
    assert_eq!(
        watcher.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::SettingUp
    );

    child.kill().unwrap();
    child.wait().unwrap();
    tokio::time::sleep(LEASE + Duration::from_millis(500)).await;

    let fake = Fake::open();
    let restarted = open_with_lease(dir.path(), Arc::clone(&fake)).await;
    let env = restarted.environment(&env_id).await.unwrap();
    assert_eq!(env.status, EnvironmentStatus::Interrupted);
    let deploys = restarted.deploys(&env_id).await.unwrap();
    assert_eq!(
        (deploys[0].id, deploys[0].status),
        (running.id, DeployStatus::Interrupted)
    );
    let events = restarted.deploy_events(running.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("\"type\":\"deploy_interrupted\""),
        "{events:?}"
    );

    // Deploying again resumes: the setup runs from the start, idempotently.
    let resumed = restarted
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        (resumed.deploy.stage, resumed.deploy.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert_eq!(
        fake.calls(),
        ["prepare shop", "deploy db", "run migrate", "deploy web"]
    );
    let teardown = restarted
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(teardown.deploy.status, DeployStatus::Succeeded);
    assert_eq!(
        restarted.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::TornDown
    );
}

#[tokio::test]
async fn an_interrupted_environments_ledger_is_reconciled_with_its_runtime() {
    use stagecraft_engine::RuntimeObject;
    use stagecraft_store::{Store, environment, ledger};

    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();
    let raw = Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();
    ledger::record(raw.pool(), env.id, "network", "stagecraft-net")
        .await
        .unwrap();
    ledger::record(raw.pool(), env.id, "container", "stagecraft-web-old")
        .await
        .unwrap();
    // The crash left the environment interrupted, with a volume created but not recorded and
    // a container gone.
    environment::set_status(
        raw.pool(),
        env.id,
        EnvironmentStatus::Created,
        EnvironmentStatus::Interrupted,
    )
    .await
    .unwrap();
    *fake.objects.lock().unwrap() = vec![
        RuntimeObject {
            kind: "network".into(),
            name: "stagecraft-net".into(),
        },
        RuntimeObject {
            kind: "volume".into(),
            name: "stagecraft-db-data".into(),
        },
    ];

    let report = stagecraft.reconcile_ledgers().await.unwrap();

    assert_eq!(
        report,
        [(
            env.env_id.clone(),
            "1 object(s) found that were not recorded, 1 recorded object(s) gone".to_owned()
        )]
    );
    let live: Vec<(String, String)> = ledger::live(raw.pool(), env.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.name))
        .collect();
    assert_eq!(
        live,
        [
            ("network".to_owned(), "stagecraft-net".to_owned()),
            ("volume".to_owned(), "stagecraft-db-data".to_owned())
        ]
    );
}
