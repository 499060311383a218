//! A handle checked out again: the torn-down environment that had the name keeps its history
//! under `<name>~<its number>`, its logs with it; the name is free for a new environment.

use stagecraft_engine::EnvironmentStatus;
use stagecraft_store::log::Stream;
use stagecraft_store::{environment, handle, log};

use crate::history::store;

#[tokio::test]
async fn checking_out_a_torn_down_name_moves_its_history_and_logs_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let pool = store.pool();
    let (app_id, env) = crate::history::environment_fixture(&store).await;
    sqlx::query("UPDATE environment SET env_id = 'qa1' WHERE id = ?")
        .bind(env)
        .execute(pool)
        .await
        .unwrap();
    log::append(
        pool,
        "qa1/services.web",
        Some(env),
        &[(Stream::Stdout, "up".into())],
        100,
    )
    .await
    .unwrap();
    handle::add(pool, app_id, "qa", &["qa1".to_owned()])
        .await
        .unwrap();

    // Held while the environment stands.
    assert_eq!(
        handle::check_out(pool, app_id, "qa", None).await.unwrap(),
        None
    );
    assert_eq!(
        handle::list(pool, app_id).await.unwrap()[0]
            .held_by
            .as_deref(),
        Some("qa1")
    );
    for (from, to) in [
        (EnvironmentStatus::Created, EnvironmentStatus::TearingDown),
        (EnvironmentStatus::TearingDown, EnvironmentStatus::TornDown),
    ] {
        assert!(environment::set_status(pool, env, from, to).await.unwrap());
    }
    assert_eq!(
        handle::check_out(pool, app_id, "qa", None)
            .await
            .unwrap()
            .as_deref(),
        Some("qa1")
    );
    let renamed = format!("qa1~{env}");
    let ids: Vec<String> = sqlx::query_scalar("SELECT env_id FROM environment")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(ids, std::slice::from_ref(&renamed));
    let logs: Vec<String> = log::resources(pool, env)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.resource)
        .collect();
    assert_eq!(logs, [format!("{renamed}/services.web")]);
    let page = log::page(pool, &format!("{renamed}/services.web"), 0, 10)
        .await
        .unwrap();
    assert_eq!(page.lines.len(), 1);
    assert!(
        log::page(pool, "qa1/services.web", 0, 10)
            .await
            .unwrap()
            .lines
            .is_empty()
    );
}
