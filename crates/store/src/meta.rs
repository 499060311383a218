//! The `store_meta` table: a single row written when the database is created.

use sqlx::SqliteExecutor;

/// When, and by which Stagecraft version, a database was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMeta {
    /// RFC 3339 timestamp in UTC.
    pub created_at: String,
    pub created_by_version: String,
}

/// Writes the row on first open; later opens leave it as it is.
pub(crate) async fn record_creation(
    executor: impl SqliteExecutor<'_>,
    version: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO store_meta (id, created_by_version) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
        version
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub(crate) async fn get(executor: impl SqliteExecutor<'_>) -> Result<StoreMeta, sqlx::Error> {
    sqlx::query_as!(
        StoreMeta,
        "SELECT created_at, created_by_version FROM store_meta WHERE id = 1"
    )
    .fetch_one(executor)
    .await
}
