use stagecraft_engine::{
    DeployEvent, DeployStatus, EnvironmentKind, EnvironmentStatus, Stage, Version,
};
use stagecraft_store::app::NewApp;
use stagecraft_store::environment::NewEnvironment;
use stagecraft_store::{Store, app, deploy, environment, lease, ledger};

pub(crate) async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("stagecraft.db"))
        .await
        .unwrap()
}

/// An app with one configuration version and an environment made from it.
pub(crate) async fn environment_fixture(store: &Store) -> (i64, i64) {
    environment_fixture_on(store.pool()).await
}

/// As [`environment_fixture`], on any pool (a database at an older schema).
pub(crate) async fn environment_fixture_on(pool: &sqlx::SqlitePool) -> (i64, i64) {
    let app_id = app::insert(
        pool,
        &NewApp {
            name: "shop",
            repo_path: "/src/shop",
            tracking_branch: "main",
            auto_deploy: true,
            gitops: false,
        },
    )
    .await
    .unwrap();
    let version = app::insert_config(
        pool,
        app_id,
        ".release/application_template.yaml",
        "app: shop\n",
        None,
        "defaults: []\n",
    )
    .await
    .unwrap();
    let environment_id = environment::insert(
        pool,
        &NewEnvironment {
            env_id: "ted1bc4",
            app_id,
            branch: "feature/cart",
            kind: EnvironmentKind::Ephemeral,
            environment_template: "ephemeral",
            default_version: version,
            runtime: "docker",
            expires_in_secs: Some(3 * 24 * 3600),
        },
    )
    .await
    .unwrap();
    // Written out: it must also work on a database at an older schema.
    sqlx::query(
        "INSERT INTO environment_config (environment_id, version, config_yaml, variables_yaml)
         VALUES (?, 1, 'app: shop
', 'envs: []
')",
    )
    .bind(environment_id)
    .execute(pool)
    .await
    .unwrap();
    (app_id, environment_id)
}

#[tokio::test]
async fn app_configuration_versions_count_up_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (app_id, _) = environment_fixture(&store).await;

    let second = app::insert_config(
        store.pool(),
        app_id,
        "t.yaml",
        "app: shop\nmode: x\n",
        Some("v.yaml"),
        "defaults: []\n",
    )
    .await
    .unwrap();

    assert_eq!(second, 2);
    let latest = app::latest_config(store.pool(), app_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (latest.version, latest.variables_file.as_deref()),
        (2, Some("v.yaml"))
    );
    assert_eq!(
        app::config(store.pool(), app_id, 1)
            .await
            .unwrap()
            .unwrap()
            .template_yaml,
        "app: shop\n"
    );
    let apps = app::list(store.pool()).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert!(apps[0].auto_deploy);
    assert!(app::by_name(store.pool(), "nope").await.unwrap().is_none());
}

#[tokio::test]
async fn a_synced_configuration_moves_the_default_version_and_keeps_each_versions_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let (app_id, environment_id) = environment_fixture(&store).await;
    // Saved as if before default versions were kept per version.
    sqlx::query("UPDATE environment_config SET default_version = NULL")
        .execute(pool)
        .await
        .unwrap();
    let second = app::insert_config(pool, app_id, "t.yaml", "app: shop\nv: 2\n", None, "{}\n")
        .await
        .unwrap();

    // Made against version 1 while another sync saved version 2 first: not saved.
    let raced = |after| {
        environment::insert_synced_config(
            pool,
            environment_id,
            after,
            second,
            "app: shop\nv: 2\n",
            "envs: []\n",
        )
    };
    let synced = raced(1).await.unwrap().unwrap();
    assert_eq!(
        raced(1).await.unwrap(),
        None,
        "a second sync against v1 saves nothing"
    );
    assert_eq!(
        app::insert_config_after(pool, app_id, 1, "t.yaml", "app: shop\nv: 2\n", None, "{}\n")
            .await
            .unwrap(),
        None,
        "nor does a second app version made against the first"
    );
    let edited =
        environment::insert_config(pool, environment_id, "app: shop\nv: 3\n", "envs: []\n")
            .await
            .unwrap();

    let env = environment::by_id(pool, environment_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(env.version.to_string(), "v2.3");
    let defaults: Vec<(i64, Option<i64>)> = environment::config_history(pool, environment_id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.version, c.default_version))
        .collect();
    // The first keeps the default it was made from; the synced and the edited one have v2.
    assert_eq!(
        defaults,
        [(edited, Some(2)), (synced, Some(2)), (1, Some(1))]
    );
}

#[tokio::test]
async fn an_environment_reads_back_with_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    environment::insert_config(
        store.pool(),
        environment_id,
        "app: shop\nmode: edited\n",
        "envs: []\n",
    )
    .await
    .unwrap();

    let found = environment::by_env_id(store.pool(), "ted1bc4")
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.app, "shop");
    assert_eq!(found.branch, "feature/cart");
    assert_eq!(found.kind, EnvironmentKind::Ephemeral);
    assert_eq!(found.status, EnvironmentStatus::Created);
    assert_eq!(
        found.version,
        Version {
            default: 1,
            specific: 2
        }
    );
    assert_eq!(found.version.to_string(), "v1.2");
    assert!(
        found
            .expires_at
            .as_deref()
            .is_some_and(|at| at > found.created_at.as_str())
    );
    let history = environment::config_history(store.pool(), environment_id)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|c| c.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(environment::list(store.pool()).await.unwrap(), [found]);
}

#[tokio::test]
async fn a_status_change_only_applies_to_the_status_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, id) = environment_fixture(&store).await;

    assert!(
        environment::set_status(
            store.pool(),
            id,
            EnvironmentStatus::Created,
            EnvironmentStatus::SettingUp
        )
        .await
        .unwrap()
    );
    // A second process that still thinks the environment is new loses.
    assert!(
        !environment::set_status(
            store.pool(),
            id,
            EnvironmentStatus::Created,
            EnvironmentStatus::SettingUp
        )
        .await
        .unwrap()
    );
    let found = environment::by_env_id(store.pool(), "ted1bc4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, EnvironmentStatus::SettingUp);
}

#[tokio::test]
async fn events_are_numbered_per_deploy_and_replay_from_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let first = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        Some(1),
    )
    .await
    .unwrap();
    let second = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Patch,
        "deploy button",
        Some(1),
    )
    .await
    .unwrap();

    for i in 0..5 {
        assert_eq!(
            deploy::append_event(store.pool(), first, &numbered(i))
                .await
                .unwrap(),
            i + 1
        );
    }
    assert_eq!(
        deploy::append_event(store.pool(), second, &numbered(0))
            .await
            .unwrap(),
        1
    );

    let replay = deploy::events_after(store.pool(), first, 3).await.unwrap();
    assert_eq!(replay.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(replay[0].event, numbered(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_appending_to_one_deploy_never_share_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let app_store = store(&dir).await;
    let cli_store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&app_store).await;
    let id = deploy::insert(
        app_store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        None,
    )
    .await
    .unwrap();

    let writer = |store: Store| {
        tokio::spawn(async move {
            for _ in 0..200 {
                deploy::append_event(store.pool(), id, &numbered(0))
                    .await
                    .unwrap();
            }
        })
    };
    let (a, b) = tokio::join!(writer(app_store.clone()), writer(cli_store.clone()));
    a.unwrap();
    b.unwrap();

    let seqs: Vec<i64> = deploy::events_after(app_store.pool(), id, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=400).collect::<Vec<_>>());
}

#[tokio::test]
async fn deploys_move_through_their_statuses_with_times() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let id = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        Some(1),
    )
    .await
    .unwrap();

    assert!(
        deploy::set_status(
            store.pool(),
            id,
            DeployStatus::Queued,
            DeployStatus::Running,
            None
        )
        .await
        .unwrap()
    );
    assert_eq!(deploy::running(store.pool()).await.unwrap().len(), 1);
    assert!(
        deploy::set_status(
            store.pool(),
            id,
            DeployStatus::Running,
            DeployStatus::Succeeded,
            Some(&stagecraft_engine::DeployOutcome::Succeeded {
                failed_tasks: 0,
                unready: vec![]
            })
        )
        .await
        .unwrap()
    );
    assert!(
        !deploy::set_status(
            store.pool(),
            id,
            DeployStatus::Running,
            DeployStatus::Failed,
            None
        )
        .await
        .unwrap()
    );

    let deploys = deploy::for_environment(store.pool(), environment_id)
        .await
        .unwrap();
    assert_eq!(deploys.len(), 1);
    assert_eq!(
        (deploys[0].stage, deploys[0].status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert!(deploys[0].started_at.is_some() && deploys[0].finished_at.is_some());
    assert!(deploy::running(store.pool()).await.unwrap().is_empty());
}

#[tokio::test]
async fn one_holder_at_a_time_until_its_lease_expires() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let deploy_id = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        None,
    )
    .await
    .unwrap();

    assert!(
        lease::acquire(store.pool(), environment_id, "app:101", deploy_id, 30)
            .await
            .unwrap()
    );
    assert!(
        !lease::acquire(store.pool(), environment_id, "cli:202", deploy_id, 30)
            .await
            .unwrap()
    );
    assert!(
        lease::acquire(store.pool(), environment_id, "app:101", deploy_id, 30)
            .await
            .unwrap(),
        "the holder may take it again"
    );
    assert!(
        lease::renew(store.pool(), environment_id, "app:101", 30)
            .await
            .unwrap()
    );
    assert!(
        !lease::renew(store.pool(), environment_id, "cli:202", 30)
            .await
            .unwrap()
    );

    // The holder dies: its lease runs out and another process takes over.
    assert!(
        lease::acquire(store.pool(), environment_id, "app:101", deploy_id, -1)
            .await
            .unwrap()
    );
    assert!(
        lease::acquire(store.pool(), environment_id, "cli:202", deploy_id, 30)
            .await
            .unwrap()
    );
    lease::release(store.pool(), environment_id, "cli:202")
        .await
        .unwrap();
    assert!(
        lease::acquire(store.pool(), environment_id, "app:101", deploy_id, 30)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_ledger_keeps_what_is_live_in_the_order_it_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, id) = environment_fixture(&store).await;

    ledger::record(store.pool(), id, "network", "stagecraft-ted1bc4")
        .await
        .unwrap();
    ledger::record(store.pool(), id, "volume", "stagecraft-ted1bc4-db-data")
        .await
        .unwrap();
    ledger::record(store.pool(), id, "container", "stagecraft-ted1bc4-db-1")
        .await
        .unwrap();
    ledger::record(store.pool(), id, "volume", "stagecraft-ted1bc4-db-data")
        .await
        .unwrap();
    ledger::mark_removed(store.pool(), id, "container", "stagecraft-ted1bc4-db-1")
        .await
        .unwrap();

    let live: Vec<(String, String)> = ledger::live(store.pool(), id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.name))
        .collect();
    assert_eq!(
        live,
        [
            ("network".to_owned(), "stagecraft-ted1bc4".to_owned()),
            ("volume".to_owned(), "stagecraft-ted1bc4-db-data".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_burst_of_events_is_appended_in_order_after_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let id = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        None,
    )
    .await
    .unwrap();
    deploy::append_event(store.pool(), id, &numbered(-1))
        .await
        .unwrap();

    let burst: Vec<DeployEvent> = (0..1234).map(numbered).collect();
    let stored = deploy::append_events(store.pool(), id, &burst)
        .await
        .unwrap();

    assert_eq!(stored.first().unwrap().seq, 2);
    assert_eq!(stored.last().unwrap().seq, 1235);
    assert_eq!(stored[1233].event, numbered(1233));
    let events = deploy::events_after(store.pool(), id, 0).await.unwrap();
    assert_eq!(events.len(), 1235);
    assert_eq!(events[1].event, numbered(0));
    assert_eq!(
        events[1234],
        deploy::StoredEvent {
            seq: 1235,
            at: events[1234].at.clone(),
            event: numbered(1233),
        }
    );
}

#[tokio::test]
async fn a_log_keeps_its_newest_lines_up_to_the_cap_and_counts_what_it_dropped() {
    use stagecraft_store::log::{self, Stream};
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let resource = "deploy 1 services.web";
    let lines: Vec<(Stream, String)> = (1..=25)
        .map(|i| {
            (
                if i % 5 == 0 {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                },
                format!("line {i}"),
            )
        })
        .collect();

    log::append(
        store.pool(),
        resource,
        Some(environment_id),
        &lines[..15],
        10,
    )
    .await
    .unwrap();
    log::append(
        store.pool(),
        resource,
        Some(environment_id),
        &lines[15..],
        10,
    )
    .await
    .unwrap();

    let page = log::page(store.pool(), resource, 0, 100).await.unwrap();
    assert_eq!(page.dropped, 15);
    assert_eq!(page.lines.len(), 10);
    assert_eq!(
        (page.lines[0].seq, page.lines[0].line.as_str()),
        (16, "line 16")
    );
    assert_eq!(page.lines[9].line, "line 25");
    assert_eq!(page.lines[9].stream, "stderr");
    let rest = log::page(store.pool(), resource, 23, 100).await.unwrap();
    assert_eq!(
        rest.lines.iter().map(|l| l.seq).collect::<Vec<_>>(),
        [24, 25]
    );
    let nothing = log::page(store.pool(), "deploy 9 services.none", 0, 100)
        .await
        .unwrap();
    assert_eq!((nothing.lines.len(), nothing.dropped), (0, 0));
}

#[tokio::test]
async fn a_task_tried_again_keeps_one_row_with_its_attempts_and_why_the_last_one_failed() {
    use stagecraft_engine::TaskOutcome;
    use stagecraft_store::timeline;

    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let id = deploy::insert(store.pool(), environment_id, Stage::Patch, "deploy", None)
        .await
        .unwrap();
    let task = || "jobs.migrate".to_owned();
    deploy::record_events(
        store.pool(),
        id,
        &[
            DeployEvent::StepStarted {
                step: 0,
                name: "migrate".into(),
                tasks: vec![task()],
                wait_for_finish: true,
            },
            DeployEvent::TaskStarted {
                step: 0,
                task: task(),
                limit_secs: None,
            },
            DeployEvent::TaskRetrying {
                step: 0,
                task: task(),
                attempt: 1,
                of: 3,
                error: "the engine closed the connection".into(),
                retry_in_ms: 1000,
            },
        ],
    )
    .await
    .unwrap();
    let row = &timeline::tasks(store.pool(), id).await.unwrap()[0];
    assert_eq!(row.status, "retrying");
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.wait_reason.as_deref(),
        Some("attempt 1 of 3 failed: the engine closed the connection; trying again in 1 s")
    );

    deploy::record_events(
        store.pool(),
        id,
        &[
            DeployEvent::TaskAttemptStarted {
                step: 0,
                task: task(),
                attempt: 2,
            },
            DeployEvent::TaskFinished {
                step: 0,
                task: task(),
                outcome: TaskOutcome::Succeeded,
            },
        ],
    )
    .await
    .unwrap();
    let rows = timeline::tasks(store.pool(), id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].attempts),
        ("succeeded", 2)
    );
    assert!(rows[0].started_at.is_some() && rows[0].finished_at.is_some());
}

#[tokio::test]
async fn a_service_switched_without_downtime_says_so_on_its_task_and_keeps_it_after_its_end() {
    use stagecraft_engine::TaskOutcome;
    use stagecraft_store::timeline;

    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let id = deploy::insert(store.pool(), environment_id, Stage::Patch, "deploy", None)
        .await
        .unwrap();
    let task = || "services.web".to_owned();
    let switched = "the ingress sends web's requests to its new container (127.0.0.1:24567)";
    deploy::record_events(
        store.pool(),
        id,
        &[
            DeployEvent::StepStarted {
                step: 0,
                name: "web".into(),
                tasks: vec![task()],
                wait_for_finish: true,
            },
            DeployEvent::TaskStarted {
                step: 0,
                task: task(),
                limit_secs: None,
            },
            DeployEvent::TaskWaiting {
                step: 0,
                task: task(),
                reason: "waiting for readiness".into(),
            },
        ],
    )
    .await
    .unwrap();
    // The switch in a batch of its own: the task runs again, the switch said on it.
    deploy::record_events(
        store.pool(),
        id,
        &[DeployEvent::ServiceSwitched {
            step: 0,
            task: task(),
            millis: 1400,
            detail: switched.into(),
        }],
    )
    .await
    .unwrap();
    let row = &timeline::tasks(store.pool(), id).await.unwrap()[0];
    assert_eq!(
        (row.status.as_str(), row.detail.as_deref()),
        ("running", Some(switched))
    );

    deploy::record_events(
        store.pool(),
        id,
        &[DeployEvent::TaskFinished {
            step: 0,
            task: task(),
            outcome: TaskOutcome::Succeeded,
        }],
    )
    .await
    .unwrap();
    let row = &timeline::tasks(store.pool(), id).await.unwrap()[0];
    assert_eq!(
        (row.status.as_str(), row.detail.as_deref()),
        ("succeeded", Some(switched))
    );

    // The switch and the task's end in one batch, as a runtime often sends them.
    let next = deploy::insert(store.pool(), environment_id, Stage::Patch, "deploy", None)
        .await
        .unwrap();
    deploy::record_events(
        store.pool(),
        next,
        &[
            DeployEvent::StepStarted {
                step: 0,
                name: "web".into(),
                tasks: vec![task()],
                wait_for_finish: true,
            },
            DeployEvent::ServiceSwitched {
                step: 0,
                task: task(),
                millis: 900,
                detail: switched.into(),
            },
            DeployEvent::TaskFinished {
                step: 0,
                task: task(),
                outcome: TaskOutcome::Succeeded,
            },
        ],
    )
    .await
    .unwrap();
    let row = &timeline::tasks(store.pool(), next).await.unwrap()[0];
    assert_eq!(
        (row.status.as_str(), row.detail.as_deref()),
        ("succeeded", Some(switched))
    );
}

#[tokio::test]
async fn a_moved_port_is_kept_until_the_service_is_back_on_its_stable_one() {
    use stagecraft_store::published_port::{self, PublishedPort};

    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    environment_fixture(&store).await;
    let pool = store.pool();
    assert!(published_port::all(pool).await.unwrap().is_empty());

    published_port::set(pool, "ted1bc4", "web", 8080, 24567, false)
        .await
        .unwrap();
    published_port::set(pool, "ted1bc4", "web", 8080, 25001, false)
        .await
        .unwrap();
    let moved = PublishedPort {
        env_id: "ted1bc4".into(),
        service: "web".into(),
        port: 8080,
        host_port: 25001,
    };
    assert_eq!(
        published_port::all(pool).await.unwrap(),
        std::slice::from_ref(&moved)
    );
    assert_eq!(published_port::of(pool, "ted1bc4").await.unwrap(), [moved]);
    assert!(
        published_port::of(pool, "other99")
            .await
            .unwrap()
            .is_empty()
    );
    // An environment it does not know records nothing.
    published_port::set(pool, "nobody1", "web", 8080, 24567, false)
        .await
        .unwrap();

    published_port::set(pool, "ted1bc4", "web", 8080, 21000, true)
        .await
        .unwrap();
    assert!(published_port::all(pool).await.unwrap().is_empty());
}

#[tokio::test]
async fn activity_names_the_running_stage_its_current_step_and_the_queue() {
    use stagecraft_engine::{DeployEvent, StepOutcome};

    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    assert!(deploy::activity(store.pool()).await.unwrap().is_empty());
    let (env, activity, ready) = environment::with_activity(store.pool(), "ted1bc4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((env.id, activity, ready), (environment_id, None, None));
    let running = deploy::insert(store.pool(), environment_id, Stage::Setup, "first", Some(1))
        .await
        .unwrap();
    for _ in 0..2 {
        deploy::insert(store.pool(), environment_id, Stage::Patch, "again", Some(1))
            .await
            .unwrap();
    }
    deploy::set_status(
        store.pool(),
        running,
        DeployStatus::Queued,
        DeployStatus::Running,
        None,
    )
    .await
    .unwrap();
    let step = |step: usize, name: &str| DeployEvent::StepStarted {
        step,
        name: name.into(),
        tasks: Vec::new(),
        wait_for_finish: true,
    };
    deploy::record_events(
        store.pool(),
        running,
        &[
            step(0, "data"),
            DeployEvent::StepFinished {
                step: 0,
                outcome: StepOutcome::Succeeded,
            },
            step(1, "migrate"),
        ],
    )
    .await
    .unwrap();

    let activity = deploy::activity(store.pool()).await.unwrap();

    assert_eq!(
        activity,
        [deploy::Activity {
            environment_id,
            stage: Some(Stage::Setup),
            building: false,
            step: Some("migrate".into()),
            steps_done: 1,
            queued: 2,
        }]
    );
    // One environment's, read with it, is the same.
    let (_, one, ready) = environment::with_activity(store.pool(), "ted1bc4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((one, ready), (Some(activity[0].clone()), None));
}

/// A distinct event for the `n`th place.
fn numbered(n: i64) -> DeployEvent {
    DeployEvent::TaskWaiting {
        step: 0,
        task: "web".into(),
        reason: format!("n{n}"),
    }
}

#[tokio::test]
async fn an_event_this_stagecraft_cannot_read_is_left_out_and_the_rest_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let (_, environment_id) = environment_fixture(&store).await;
    let id = deploy::insert(
        store.pool(),
        environment_id,
        Stage::Setup,
        "first setup",
        None,
    )
    .await
    .unwrap();
    deploy::append_event(store.pool(), id, &numbered(1))
        .await
        .unwrap();
    // What a newer Stagecraft, with an event this one does not know, would have written.
    sqlx::query(
        "INSERT INTO deploy_event (deploy_id, seq, at, event_json) VALUES (?, 2, '2026-12-04T00:00:00.000Z', '{\"type\":\"from_the_future\"}')",
    )
    .bind(id)
    .execute(store.pool())
    .await
    .unwrap();
    deploy::append_event(store.pool(), id, &numbered(3))
        .await
        .unwrap();

    let events = deploy::events_after(store.pool(), id, 0).await.unwrap();

    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(events[1].event, numbered(3));
}

#[tokio::test]
async fn the_clock_is_held_by_one_process_until_it_lets_go_or_stops_renewing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    use stagecraft_store::clock;

    assert!(clock::hold(pool, "app", 60).await.unwrap());
    assert!(
        clock::hold(pool, "app", 60).await.unwrap(),
        "renewed by its holder"
    );
    assert!(
        !clock::hold(pool, "serve", 60).await.unwrap(),
        "held by the app"
    );
    clock::release(pool, "serve").await.unwrap();
    assert!(
        !clock::hold(pool, "serve", 60).await.unwrap(),
        "only its holder lets it go"
    );
    clock::release(pool, "app").await.unwrap();
    assert!(clock::hold(pool, "serve", 60).await.unwrap());
    // A holder that stops renewing loses it once it expires.
    assert!(clock::hold(pool, "serve", -1).await.unwrap());
    assert!(clock::hold(pool, "app", 60).await.unwrap());
}

/// Parameters' values are kept per configuration version: a change is a new version with the
/// same files, and a version saved for any other reason keeps the newest values.
#[tokio::test]
async fn parameters_are_a_configuration_version_and_carry_forward() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let (_, environment_id) = environment_fixture(&store).await;
    let first = environment::config(pool, environment_id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.parameters_json, "{}");
    let second = environment::insert_parameters(pool, environment_id, 1, r#"{"llm":"gpt-4"}"#)
        .await
        .unwrap();
    assert_eq!(second, Some(2));
    // After a version that is no longer the newest: nothing saved.
    assert_eq!(
        environment::insert_parameters(pool, environment_id, 1, r#"{"llm":"x"}"#)
            .await
            .unwrap(),
        None
    );
    let with = environment::config(pool, environment_id, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (with.config_yaml.as_str(), with.parameters_json.as_str()),
        (first.config_yaml.as_str(), r#"{"llm":"gpt-4"}"#)
    );
    let third = environment::insert_config(pool, environment_id, "app: shop\nv: 3\n", "envs: []\n")
        .await
        .unwrap();
    let carried = environment::config(pool, environment_id, third)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carried.parameters_json, r#"{"llm":"gpt-4"}"#);
    // Only a JSON object is kept.
    assert!(
        environment::insert_parameters(pool, environment_id, third, "[1]")
            .await
            .is_err()
    );
}
