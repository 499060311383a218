//! The `store_meta` table: a single row written when the database is created.

use sqlx::SqliteExecutor;

/// When, and by which Stagecraft version, a database was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMeta {
    /// RFC 3339 timestamp in UTC.
    pub created_at: String,
    pub created_by_version: String,
    /// A short random id of this database (8 hex digits), in the tags of the images its builds
    /// make: two data folders never overwrite each other's images.
    pub folder_id: String,
}

/// Writes the row on first open; later opens leave it as it is.
pub(crate) async fn record_creation(
    executor: impl SqliteExecutor<'_>,
    version: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO store_meta (id, created_by_version, folder_id)
         VALUES (1, ?, lower(hex(randomblob(4))))
         ON CONFLICT (id) DO UPDATE SET folder_id = COALESCE(store_meta.folder_id, excluded.folder_id)",
        version
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub(crate) async fn get(executor: impl SqliteExecutor<'_>) -> Result<StoreMeta, sqlx::Error> {
    sqlx::query_as!(
        StoreMeta,
        r#"SELECT created_at, created_by_version, folder_id AS "folder_id!: String" FROM store_meta WHERE id = 1"#
    )
    .fetch_one(executor)
    .await
}
