//! The `environment_lease` table: one deploy at a time per environment, across processes.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// Takes the environment's lease for `holder` until `ttl_secs` from now, when it is free,
/// expired (its holder died) or already `holder`'s. `false` when another live holder has it.
pub async fn acquire(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    holder: &str,
    deploy_id: i64,
    ttl_secs: i64,
) -> Result<bool, StoreError> {
    let modifier = format!("{ttl_secs:+} seconds");
    let done = sqlx::query!(
        r#"INSERT INTO environment_lease (environment_id, holder, deploy_id, expires_at)
           VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?4))
           ON CONFLICT (environment_id) DO UPDATE
               SET holder = excluded.holder, deploy_id = excluded.deploy_id, expires_at = excluded.expires_at
               WHERE environment_lease.holder = excluded.holder
                  OR environment_lease.expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"#,
        environment_id,
        holder,
        deploy_id,
        modifier,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends `holder`'s lease; `false` when it lost it (it expired and someone took it).
pub async fn renew(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    holder: &str,
    ttl_secs: i64,
) -> Result<bool, StoreError> {
    let modifier = format!("{ttl_secs:+} seconds");
    let done = sqlx::query!(
        "UPDATE environment_lease SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE environment_id = ? AND holder = ?",
        modifier,
        environment_id,
        holder,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets go of `holder`'s lease; `false` when `holder` did not hold it (so, of two processes
/// that find a dead holder's lease, one alone lets go of it).
pub async fn release(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    holder: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "DELETE FROM environment_lease WHERE environment_id = ? AND holder = ?",
        environment_id,
        holder
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who holds the environment's lease now, if anyone.
pub async fn holder(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT holder FROM environment_lease WHERE environment_id = ?",
        environment_id
    )
    .fetch_optional(executor)
    .await?)
}

/// Every lease and its holder: `(environment_id, holder)`.
pub async fn all(executor: impl SqliteExecutor<'_>) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(
        sqlx::query!("SELECT environment_id, holder FROM environment_lease")
            .fetch_all(executor)
            .await?
            .into_iter()
            .map(|r| (r.environment_id, r.holder))
            .collect(),
    )
}

/// Drops the environment's lease when it has expired: its holder died.
pub async fn clear_expired(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "DELETE FROM environment_lease WHERE environment_id = ? AND expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        environment_id
    )
    .execute(executor)
    .await?;
    Ok(())
}
