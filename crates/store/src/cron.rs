//! Cron runs in the `deploy` table: the schedule's time the clock's last run of a cron job was
//! for, and the runs kept (the newest of each cron job; older ones go with their events and
//! logs, so a job that runs every minute does not grow the database without end).

use sqlx::SqliteExecutor;
use stagecraft_engine::Deploy;

use crate::StoreError;
use crate::deploy::Row;

/// The environment's last run of the cron job `name`, by the clock or by hand.
pub async fn last_run(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    name: &str,
) -> Result<Option<Deploy>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE environment_id = ? AND stage = 'cron' AND target = ?
         ORDER BY id DESC LIMIT 1",
        environment_id,
        name
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(Row::into_deploy))
}

/// The latest schedule time the clock queued a run of the cron job `name` for.
pub async fn last_slot(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    name: &str,
) -> Result<Option<String>, StoreError> {
    let slot = sqlx::query_scalar!(
        "SELECT MAX(scheduled_for) FROM deploy
         WHERE environment_id = ? AND stage = 'cron' AND target = ?",
        environment_id,
        name
    )
    .fetch_one(executor)
    .await?;
    Ok(slot)
}

/// Notes that the cron run `deploy_id` (queued, or a waiting one a request joined) is for the
/// schedule time `slot`, when that is later than the one it has.
pub async fn mark_slot(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
    slot: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE deploy SET scheduled_for = ?1
         WHERE id = ?2 AND stage = 'cron' AND (scheduled_for IS NULL OR scheduled_for < ?1)",
        slot,
        deploy_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes the ended runs of the cron job `name` beyond the newest `keep`, with their events,
/// steps, tasks and logs (`<env_id>/<deploy>/jobs.<name>`). Gives how many went.
pub async fn prune(
    pool: &sqlx::SqlitePool,
    environment_id: i64,
    env_id: &str,
    name: &str,
    keep: i64,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let old = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM deploy
           WHERE environment_id = ? AND stage = 'cron' AND target = ?
             AND status NOT IN ('queued', 'running')
             AND id NOT IN (SELECT deploy_id FROM environment_lease)
           ORDER BY id DESC LIMIT -1 OFFSET ?"#,
        environment_id,
        name,
        keep
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &old {
        let resource = format!("{env_id}/{id}/jobs.{name}");
        sqlx::query!("DELETE FROM log_resource WHERE resource = ?", resource)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("DELETE FROM deploy WHERE id = ?", id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(u64::try_from(old.len()).unwrap_or(u64::MAX))
}
