//! The `environment_notice` table: what an environment tells its user outside of a deploy.

use sqlx::SqliteExecutor;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub environment_id: i64,
    pub kind: String,
    pub message: String,
    pub at: String,
}

/// Ephemeral environments that expire within `within_secs` and have no expiry warning for
/// their current expiry yet: `(id, env_id, expires_at)`.
pub async fn expiring_unwarned(
    executor: impl SqliteExecutor<'_>,
    within_secs: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    let modifier = format!("{within_secs:+} seconds");
    let rows = sqlx::query!(
        r#"SELECT e.id AS "id!: i64", e.env_id, e.expires_at AS "expires_at!: String" FROM environment e
           WHERE e.expires_at IS NOT NULL
             AND e.expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)
             AND e.status NOT IN ('torn_down', 'tearing_down')
             AND NOT EXISTS (SELECT 1 FROM environment_notice n
                             WHERE n.environment_id = e.id AND n.kind = 'expiry_warning' AND n.about = e.expires_at)
           ORDER BY e.expires_at"#,
        modifier
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.env_id, r.expires_at))
        .collect())
}

/// Records a notice; `false` when the same one (kind and subject) exists already.
pub async fn record(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    kind: &str,
    message: &str,
    about: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "INSERT OR IGNORE INTO environment_notice (environment_id, kind, message, about) VALUES (?, ?, ?, ?)",
        environment_id,
        kind,
        message,
        about
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The environment's notices, newest first.
pub async fn for_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<Notice>, StoreError> {
    Ok(sqlx::query_as!(
        Notice,
        "SELECT id, environment_id, kind, message, at FROM environment_notice WHERE environment_id = ? ORDER BY id DESC",
        environment_id
    )
    .fetch_all(executor)
    .await?)
}
