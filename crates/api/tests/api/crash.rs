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
const CHILD_LEASE: &str = "STAGECRAFT_CRASH_CHILD_LEASE_SECS";
const LEASE: Duration = Duration::from_secs(1);
/// A lease far longer than any test waits: only finding its holder dead frees it in time.
const LONG_LEASE: Duration = Duration::from_secs(600);

async fn open_with_lease(dir: &std::path::Path, runtime: Arc<Fake>) -> Stagecraft {
    open_with(dir, runtime, LEASE).await
}

async fn open_with(dir: &std::path::Path, runtime: Arc<Fake>, lease: Duration) -> Stagecraft {
    let mut stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(dir.join("data")),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: lease,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: stagecraft_api::default_build_parallelism(),
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
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
    let lease = std::env::var(CHILD_LEASE)
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(LEASE, Duration::from_secs);
    let stagecraft = open_with(std::path::Path::new(&dir), Fake::gated(), lease).await;
    let _ = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await;
    unreachable!("the gate never opens: the parent kills this process first");
}

/// Starts the child half, deploying `env_id` with `lease`, and waits until it is inside the
/// deploy (a setup, or a patch when the environment was set up), waiting on its first service.
/// Gives the child and its running deploy.
#[expect(
    clippy::zombie_processes,
    reason = "the child is given to the caller, which kills it and waits for it"
)]
async fn child_inside_setup(
    dir: &std::path::Path,
    env_id: &str,
    lease: Duration,
) -> (std::process::Child, stagecraft_engine::Deploy) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::crash_child", "--ignored", "--nocapture"])
        .env(CHILD_DIR, dir)
        .env(CHILD_ENV_ID, env_id)
        .env(CHILD_LEASE, lease.as_secs().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watcher = open_with_lease(dir, Fake::open()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child never started its setup");
        }
        let deploys = watcher.deploys(env_id).await.unwrap();
        if let Some(deploy) = deploys.iter().find(|d| d.status == DeployStatus::Running) {
            let events = watcher.deploy_events(deploy.id, 0).await.unwrap();
            if events
                .iter()
                .any(|e| e.json().contains("waiting for readiness"))
            {
                return (child, deploy.clone());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Killed with a lease of ten minutes: the next request finds the holder dead by its pid and
/// takes the environment over at once, interrupting what it left and running its own deploy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_killed_mid_setup_is_taken_over_at_once_by_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let env_id = {
        let stagecraft = open_with(dir.path(), Fake::open(), LONG_LEASE).await;
        stagecraft.add_app(&repo(dir.path())).await.unwrap();
        stagecraft
            .create_environment(ephemeral())
            .await
            .unwrap()
            .env_id
    };
    let (mut child, running) = child_inside_setup(dir.path(), &env_id, LONG_LEASE).await;

    // While the child lives, a request waits behind it; nothing is taken from it.
    let fake = Fake::open();
    let next = open_with(dir.path(), Arc::clone(&fake), LONG_LEASE).await;
    let queued = next
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(queued.deploy.status, DeployStatus::Queued);
    assert!(fake.calls().is_empty());

    // Killed: a waiting request notices at once, long before the lease would expire.
    child.kill().unwrap();
    child.wait().unwrap();
    let started = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(60),
        next.run_until_ended(&env_id, queued.deploy.id),
    )
    .await
    .expect("the dead holder's lease is taken over, not waited out")
    .unwrap();
    eprintln!("taken over and set up in {:?}", started.elapsed());

    let deploys = next.deploys(&env_id).await.unwrap();
    assert_eq!(
        (deploys[0].id, deploys[0].status),
        (running.id, DeployStatus::Interrupted)
    );
    let last = next.deploy_events(running.id, 0).await.unwrap();
    assert!(
        last.last()
            .unwrap()
            .json()
            .contains("\"type\":\"deploy_interrupted\""),
        "{last:?}"
    );
    assert_eq!(
        (deploys[1].id, deploys[1].stage, deploys[1].status),
        (queued.deploy.id, Stage::Setup, DeployStatus::Succeeded)
    );
    assert_eq!(
        next.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::Deployed
    );
    assert_eq!(
        fake.calls(),
        ["prepare shop", "deploy db", "run migrate", "deploy web"]
    );
}

/// Killed in the middle of a patch: the next request takes over at once, the patch it left is
/// interrupted, and the environment is patched to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_killed_midway_is_taken_over_and_runs_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let env_id = {
        let stagecraft = open_with(dir.path(), Fake::open(), LONG_LEASE).await;
        stagecraft.add_app(&repo(dir.path())).await.unwrap();
        let env_id = stagecraft
            .create_environment(ephemeral())
            .await
            .unwrap()
            .env_id;
        let setup = stagecraft
            .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
            .await
            .unwrap();
        assert_eq!(setup.deploy.status, DeployStatus::Succeeded);
        env_id
    };
    let (mut child, running) = child_inside_setup(dir.path(), &env_id, LONG_LEASE).await;
    assert_eq!(running.stage, Stage::Patch);

    child.kill().unwrap();
    child.wait().unwrap();
    let fake = Fake::open();
    let next = open_with(dir.path(), Arc::clone(&fake), LONG_LEASE).await;
    let started = Instant::now();
    let resumed = tokio::time::timeout(
        Duration::from_secs(60),
        next.submit(&env_id, DeployRequest::DEPLOY, Wait::UntilEnded),
    )
    .await
    .expect("the dead holder's lease is taken over, not waited out")
    .unwrap();
    eprintln!("patch taken over and run in {:?}", started.elapsed());

    let deploys = next.deploys(&env_id).await.unwrap();
    let left = deploys.iter().find(|d| d.id == running.id).unwrap();
    assert_eq!(left.status, DeployStatus::Interrupted);
    assert_eq!(
        resumed.deploy.status,
        DeployStatus::Succeeded,
        "{resumed:?}"
    );
    assert_eq!(
        next.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::Deployed
    );
}

/// What a process found dead left behind goes when Stagecraft opens: its lease (before it
/// expires), the deploy it ran, and a build it ran (never left `running`).
#[tokio::test]
async fn what_a_dead_process_held_is_recovered_when_stagecraft_opens() {
    use stagecraft_store::{Store, build, deploy, holder, lease};

    let dir = tempfile::tempdir().unwrap();
    let (env_id, app_id) = {
        let stagecraft = open_with(dir.path(), Fake::open(), LONG_LEASE).await;
        stagecraft.add_app(&repo(dir.path())).await.unwrap();
        let env = stagecraft.create_environment(ephemeral()).await.unwrap();
        (env.env_id, env.app_id)
    };
    // A process that ran here and exited: its pid and start time no longer match a live one.
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = i64::from(gone.id());
    gone.wait().unwrap();
    let live = stagecraft_api::this_process("pid live".into());
    let dead = holder::Holder {
        name: "pid gone".into(),
        pid,
        ..live.clone()
    };
    let raw = Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();
    let pool = raw.pool();
    holder::register(pool, &dead).await.unwrap();
    holder::register(pool, &live).await.unwrap();
    let env = stagecraft_store::environment::by_env_id(pool, &env_id)
        .await
        .unwrap()
        .unwrap();
    let running = deploy::enqueue(
        pool,
        env.id,
        &deploy::ToQueue {
            stage: Stage::Setup,
            reason: "first setup",
            config_version: None,
            build_id: None,
            working_tree: false,
            build_commit: None,
            target: None,
        },
    )
    .await
    .unwrap();
    assert!(
        lease::acquire(pool, env.id, &dead.name, running, 600)
            .await
            .unwrap()
    );
    assert!(
        deploy::set_status(
            pool,
            running,
            DeployStatus::Queued,
            DeployStatus::Running,
            None
        )
        .await
        .unwrap()
    );
    let built = build::start(pool, app_id, None, "deploy", &dead.name)
        .await
        .unwrap();
    let other = build::start(pool, app_id, None, "deploy", &live.name)
        .await
        .unwrap();

    let opened = open_with(dir.path(), Fake::open(), LONG_LEASE).await;
    let deploys = opened.deploys(&env_id).await.unwrap();
    assert_eq!(deploys[0].status, DeployStatus::Interrupted);
    assert_eq!(lease::holder(pool, env.id).await.unwrap(), None);
    let statuses: Vec<(i64, Option<String>)> = build::running(pool).await.unwrap();
    assert_eq!(
        statuses,
        [(other, Some(live.name.clone()))],
        "the dead one's build ended"
    );
    assert_eq!(
        build::by_id(pool, built).await.unwrap().unwrap().status,
        "failed"
    );
    // Its record goes once it holds nothing.
    assert_eq!(holder::by_name(pool, &dead.name).await.unwrap(), None);
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

    let (mut child, running) = child_inside_setup(dir.path(), &env_id, LEASE).await;
    let watcher = open_with_lease(dir.path(), Fake::open()).await;
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
