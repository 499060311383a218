//! The `ledger` table: what each environment created, written before it is created.

use sqlx::SqliteExecutor;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub kind: String,
    pub name: String,
    pub recorded_at: String,
}

/// Records that the environment is about to create `kind` `name`. Recording it again changes
/// nothing, so a retried step can record before it creates again.
pub async fn record(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    kind: &str,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO ledger (environment_id, kind, name) VALUES (?, ?, ?)
         ON CONFLICT (environment_id, kind, name) DO UPDATE SET removed_at = NULL",
        environment_id,
        kind,
        name
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn mark_removed(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    kind: &str,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE ledger SET removed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE environment_id = ? AND kind = ? AND name = ? AND removed_at IS NULL",
        environment_id,
        kind,
        name
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// What the environment created and has not removed, in the order it was recorded.
pub async fn live(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<LedgerEntry>, StoreError> {
    sqlx::query_as!(
        LedgerEntry,
        "SELECT kind, name, recorded_at FROM ledger WHERE environment_id = ? AND removed_at IS NULL ORDER BY recorded_at, rowid",
        environment_id
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::from)
}
