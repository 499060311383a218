//! Presets: environment create options saved under a name.

use sqlx::SqliteExecutor;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetRow {
    pub name: String,
    pub app: String,
    /// The options, as the api wrote them.
    pub options_json: String,
}

/// Saves `name` (replacing a preset of that name).
pub async fn save(
    executor: impl SqliteExecutor<'_>,
    name: &str,
    app_id: i64,
    options_json: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO preset (name, app_id, options_json) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET app_id = excluded.app_id,
             options_json = excluded.options_json,
             saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        name,
        app_id,
        options_json
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Every preset, by name.
pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<PresetRow>, StoreError> {
    Ok(sqlx::query_as!(
        PresetRow,
        "SELECT p.name, a.name AS app, p.options_json FROM preset p JOIN app a ON a.id = p.app_id
         ORDER BY p.name"
    )
    .fetch_all(executor)
    .await?)
}

/// Removes the preset; `false` when there was none of that name.
pub async fn delete(executor: impl SqliteExecutor<'_>, name: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query!("DELETE FROM preset WHERE name = ?", name)
        .execute(executor)
        .await?
        .rows_affected()
        > 0)
}
