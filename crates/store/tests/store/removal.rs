//! An app removed with its history, and nothing of another app's.

use stagecraft_engine::{DeployEvent, Stage};
use stagecraft_store::app::{Blocker, NewApp};
use stagecraft_store::log::Stream;
use stagecraft_store::schedule::{self, NewSchedule, ScheduleState};
use stagecraft_store::{app, build, deploy, ledger, log};

use crate::history::{environment_fixture, store};

async fn count(pool: &sqlx::SqlitePool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_app_goes_with_its_history_only_when_nothing_of_it_runs_or_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let (app_id, env) = environment_fixture(&store).await;
    let deploy = deploy::insert(pool, env, Stage::Setup, "first deploy", Some(1))
        .await
        .unwrap();
    deploy::append_event(
        pool,
        deploy,
        &DeployEvent::StageStarted {
            stage: Stage::Setup,
            reason: "first deploy".into(),
        },
    )
    .await
    .unwrap();
    // Its pausing schedules, and the clock's record of the pause it queued.
    let evenings = NewSchedule {
        pause_at: Some("19:00"),
        resume_at: Some("08:00"),
        days: 0b1_1111,
    };
    schedule::save_for_app(pool, app_id, Some(evenings))
        .await
        .unwrap();
    schedule::save_for_environment(pool, env, Some(evenings))
        .await
        .unwrap();
    let state = ScheduleState {
        checked_until: "2026-12-04T19:00:30.000Z".into(),
        paused_by: Some(deploy),
    };
    schedule::record_state(pool, env, &state).await.unwrap();
    assert_eq!(schedule::state(pool, env).await.unwrap(), Some(state));
    // An app's default needs a time and a day.
    let empty = NewSchedule {
        pause_at: None,
        resume_at: None,
        days: 0,
    };
    assert!(
        schedule::save_for_app(pool, app_id, Some(empty))
            .await
            .is_err()
    );
    ledger::record(pool, env, "network", "stagecraft-ted1bc4")
        .await
        .unwrap();
    let built = build::start(pool, app_id, None, "deploy of ted1bc4", "test")
        .await
        .unwrap();
    log::append(
        pool,
        &format!("builds/{built}/web"),
        None,
        &[(Stream::Stdout, "ok".into())],
        100,
    )
    .await
    .unwrap();
    log::append(
        pool,
        "ted1bc4/services.web",
        Some(env),
        &[(Stream::Stdout, "up".into())],
        100,
    )
    .await
    .unwrap();

    // Another app, whose build number starts with the first one's: nothing of it goes.
    let other = app::create(
        pool,
        &NewApp {
            name: "blog",
            repo_path: "/src/blog",
            tracking_branch: "main",
            auto_deploy: false,
            gitops: false,
        },
        ".release/application_template.yaml",
        "app: blog\n",
        None,
        "defaults: []\n",
    )
    .await
    .unwrap();
    let mut others = Vec::new();
    for _ in 0..10 {
        others.push(
            build::start(pool, other, None, "blog", "test")
                .await
                .unwrap(),
        );
    }
    let sibling = format!("builds/{built}0/web");
    assert!(others.contains(&(built * 10)), "a build numbered {built}0");
    log::append(
        pool,
        &sibling,
        None,
        &[(Stream::Stdout, "blog".into())],
        100,
    )
    .await
    .unwrap();

    assert_eq!(
        app::remove(pool, app_id).await.unwrap(),
        Some(Blocker::Live(vec!["ted1bc4".into()]))
    );
    sqlx::query("UPDATE environment SET status = 'torn_down'")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        app::remove(pool, app_id).await.unwrap(),
        Some(Blocker::Building(vec![built]))
    );
    sqlx::query("UPDATE build SET status = 'succeeded'")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        app::removal_blocker(pool, app_id).await.unwrap(),
        Some(Blocker::Leftovers(vec![
            "ted1bc4 network stagecraft-ted1bc4".into()
        ]))
    );
    ledger::mark_removed(pool, env, "network", "stagecraft-ted1bc4")
        .await
        .unwrap();

    assert_eq!(app::remove(pool, app_id).await.unwrap(), None);
    for (table, left) in [
        ("app", 1),
        ("app_config", 1),
        ("environment", 0),
        ("environment_config", 0),
        ("deploy", 0),
        ("deploy_event", 0),
        ("ledger", 0),
        ("build", 10),
        ("log_resource", 1),
        ("log_line", 1),
        ("pause_schedule", 0),
        ("pause_schedule_state", 0),
    ] {
        assert_eq!(count(pool, table).await, left, "{table}");
    }
    let kept: String = sqlx::query_scalar("SELECT resource FROM log_resource")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(kept, sibling);
}
