use stagecraft_store::{Store, StoreError, latest_known_version};

fn db_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("nested").join("data").join("stagecraft.db")
}

#[tokio::test]
async fn opening_creates_the_folder_and_migrates_to_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);

    let store = Store::open(&path).await.unwrap();

    assert!(path.is_file());
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_known_version()
    );
    assert!(latest_known_version() >= 1);
    let meta = store.meta().await.unwrap();
    assert_eq!(meta.created_by_version, env!("CARGO_PKG_VERSION"));
    assert!(meta.created_at.ends_with('Z'), "{}", meta.created_at);
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_data_folder_and_database_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    store.meta().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().unwrap()), 0o700, "the folder it made");
    assert_eq!(mode(&path), 0o600, "the database");
    let wal = path.with_extension("db-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600, "its write-ahead log");
}

#[tokio::test]
async fn the_file_is_in_wal_mode_so_the_app_and_the_cli_can_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    store.close().await;

    // A plain connection sees what Store::open left in the file itself.
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn reopening_keeps_the_creation_record_and_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let first = Store::open(&path).await.unwrap();
    let created = first.meta().await.unwrap();
    first.close().await;

    let second = Store::open(&path).await.unwrap();

    // The folder's id (in its images' tags) is made once and kept; another database has its own.
    assert_eq!(created.folder_id.len(), 8, "{created:?}");
    assert!(created.folder_id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(second.meta().await.unwrap(), created);
    let other_dir = tempfile::tempdir().unwrap();
    let other = Store::open(&db_path(&other_dir)).await.unwrap();
    assert_ne!(other.meta().await.unwrap().folder_id, created.folder_id);
    assert_eq!(
        second.schema_version().await.unwrap(),
        latest_known_version()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_opening_a_new_file_at_once_all_succeed() {
    // The app and the CLI starting together on a fresh data folder: both migrate.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);

        let opens = (0..4).map(|_| {
            let path = path.clone();
            tokio::spawn(async move { Store::open(&path).await })
        });
        let stores: Vec<Store> = open_all(opens).await;

        let first = stores[0].meta().await.unwrap();
        for store in &stores {
            assert_eq!(store.meta().await.unwrap(), first);
            assert_eq!(
                store.schema_version().await.unwrap(),
                latest_known_version()
            );
        }
    }
}

async fn open_all(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<Store, StoreError>>>,
) -> Vec<Store> {
    let mut stores = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        stores.push(handle.await.unwrap().unwrap());
    }
    stores
}

#[tokio::test]
async fn a_database_from_a_newer_stagecraft_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).await.unwrap();
    let future = latest_known_version() + 1000;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?, 'from the future', 1, x'00', 0)",
    )
    .bind(future)
    .execute(
        &sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    store.close().await;

    let error = Store::open(&path).await.unwrap_err();

    match &error {
        StoreError::NewerSchema {
            path: p,
            found,
            known,
        } => {
            assert_eq!(p, &path);
            assert_eq!(*found, future);
            assert_eq!(*known, latest_known_version());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("STAGECRAFT_DATA_DIR"), "{message}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stagecraft.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();

    let error = Store::open(&path).await.unwrap_err();

    assert!(
        matches!(&error, StoreError::Open { .. } | StoreError::Migrate { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&path.display().to_string()));
}

#[tokio::test]
async fn a_data_folder_that_cannot_be_created_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, "a file where the folder should be").unwrap();

    let error = Store::open(&blocker.join("stagecraft.db"))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, StoreError::CreateDir { path, .. } if *path == blocker),
        "{error:?}"
    );
}

/// Migration 24 rebuilds the `deploy` table (a CHECK cannot change in place) with foreign keys
/// off: a database made by the Stagecraft before it keeps every deploy with its events, steps
/// and tasks, and the new CHECK holds.
#[tokio::test]
async fn the_deploy_table_rebuilt_for_custom_workflows_keeps_every_deploy_and_its_events() {
    use stagecraft_engine::{DeployEvent, Stage};
    use stagecraft_store::deploy;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stagecraft.db");
    let pool = migrated_before(&path, 24).await;
    let (_, env) = crate::history::environment_fixture_on(&pool).await;
    let deploy_id: i64 = sqlx::query_scalar(
        "INSERT INTO deploy (environment_id, stage, reason, status, config_version)
         VALUES (?, 'setup', 'first setup', 'succeeded', 1) RETURNING id",
    )
    .bind(env)
    .fetch_one(&pool)
    .await
    .unwrap();
    let events = [
        DeployEvent::StageStarted {
            stage: Stage::Setup,
            reason: "first setup".into(),
        },
        DeployEvent::StepStarted {
            step: 0,
            name: "services.web".into(),
            tasks: vec!["services.web".into()],
            wait_for_finish: true,
        },
    ];
    deploy::record_events(&pool, deploy_id, &events)
        .await
        .unwrap();
    let steps = |pool: sqlx::SqlitePool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deploy_step")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(steps(pool.clone()).await, 1);
    pool.close().await;

    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_known_version()
    );
    let kept = deploy::by_id(store.pool(), deploy_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.stage, kept.target), (Stage::Setup, None));
    let stored = deploy::events_after(store.pool(), deploy_id, 0)
        .await
        .unwrap();
    assert_eq!(
        stored.into_iter().map(|e| e.event).collect::<Vec<_>>(),
        events
    );
    assert_eq!(steps(store.pool().clone()).await, 1, "steps kept");
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(on, 1, "foreign keys are on again");
    // A workflow deploy names its workflow; no other does.
    for (stage, workflow) in [("workflow", None), ("patch", Some("reindex"))] {
        let refused = sqlx::query(
            "INSERT INTO deploy (environment_id, stage, reason, status, target)
             VALUES (?, ?, 'r', 'queued', ?)",
        )
        .bind(env)
        .bind(stage)
        .bind(workflow)
        .execute(store.pool())
        .await;
        assert!(refused.is_err(), "{stage} {workflow:?}");
    }
    let named = deploy::insert_with_build(
        store.pool(),
        env,
        Stage::Workflow,
        "workflow `reindex` requested",
        Some(1),
        None,
        Some("reindex"),
    )
    .await
    .unwrap();
    let named = deploy::by_id(store.pool(), named).await.unwrap().unwrap();
    assert_eq!(named.label(), "reindex");
}

/// A database made by the Stagecraft whose newest migration came before `version`.
async fn migrated_before(path: &std::path::Path, version: i64) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let mut before = sqlx::migrate::Migrator::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
    )
    .await
    .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    pool
}

/// Migration 0028 rebuilds the deploy table again, for pauses and resumes: a cron run's
/// target and schedule time, and the imports a setup read, are kept.
#[tokio::test]
async fn the_deploy_table_rebuilt_for_pauses_keeps_targets_schedules_and_imports() {
    use stagecraft_engine::Stage;
    use stagecraft_store::deploy;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stagecraft.db");
    let pool = migrated_before(&path, 28).await;
    let (_, env) = crate::history::environment_fixture_on(&pool).await;
    let cron: i64 = sqlx::query_scalar(
        "INSERT INTO deploy (environment_id, stage, reason, status, target, scheduled_for)
         VALUES (?, 'cron', 'due', 'succeeded', 'nightly', '2026-12-05T03:00:00Z') RETURNING id",
    )
    .bind(env)
    .fetch_one(&pool)
    .await
    .unwrap();
    let refused = sqlx::query(
        "INSERT INTO deploy (environment_id, stage, reason, status) VALUES (?, 'pause', 'r', 'queued')",
    )
    .bind(env)
    .execute(&pool)
    .await;
    assert!(refused.is_err(), "no pause before 0028");
    sqlx::query("INSERT INTO deploy_import (deploy_id, app_name, digest) VALUES (?, 'api', 'd1')")
        .bind(cron)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = Store::open(&path).await.unwrap();
    let kept = deploy::by_id(store.pool(), cron).await.unwrap().unwrap();
    assert_eq!(
        (kept.stage, kept.target.as_deref()),
        (Stage::Cron, Some("nightly"))
    );
    let scheduled: Option<String> =
        sqlx::query_scalar("SELECT scheduled_for FROM deploy WHERE id = ?")
            .bind(cron)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(scheduled.as_deref(), Some("2026-12-05T03:00:00Z"));
    let imports: Vec<(i64, String)> =
        sqlx::query_as("SELECT deploy_id, app_name FROM deploy_import")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(
        imports,
        [(cron, "api".to_owned())],
        "the setup's imports kept"
    );
    for stage in [Stage::Pause, Stage::Resume] {
        let id =
            deploy::insert_with_build(store.pool(), env, stage, "requested", Some(1), None, None)
                .await
                .unwrap();
        let stored = deploy::by_id(store.pool(), id).await.unwrap().unwrap();
        assert_eq!(stored.stage, stage);
    }
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(on, 1, "foreign keys are on again");
}
