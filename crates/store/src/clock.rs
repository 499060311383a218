//! The `clock_lease` table: the clock runs in one process at a time.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// Holds the clock for `holder` until `ttl_secs` from now, when it is free, expired (its
/// holder stopped) or already `holder`'s. `false` when another live holder has it.
pub async fn hold(
    executor: impl SqliteExecutor<'_>,
    holder: &str,
    ttl_secs: i64,
) -> Result<bool, StoreError> {
    let modifier = format!("{ttl_secs:+} seconds");
    let done = sqlx::query!(
        r#"INSERT INTO clock_lease (id, holder, expires_at)
           VALUES (1, ?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2))
           ON CONFLICT (id) DO UPDATE
               SET holder = excluded.holder, expires_at = excluded.expires_at
               WHERE clock_lease.holder = excluded.holder
                  OR clock_lease.expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"#,
        holder,
        modifier,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets go of the clock, when `holder` has it: another process may take it at once.
pub async fn release(executor: impl SqliteExecutor<'_>, holder: &str) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM clock_lease WHERE holder = ?", holder)
        .execute(executor)
        .await?;
    Ok(())
}
