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

/// Something to tell the user about right away: a deploy that failed, or an expiry warning.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attention {
    /// `deploy_failed` or `expiry_warning`.
    pub kind: String,
    pub env_id: String,
    /// The failed deploy's stage, or the warning's message.
    pub detail: String,
    pub at: String,
}

/// Deploys that failed and expiry warnings recorded after `since` (a timestamp as the store
/// writes them), oldest first: what a desktop notification announces. Deploys another process
/// ran count too: the database is the one place every process writes.
pub async fn attention_since(
    executor: impl SqliteExecutor<'_>,
    since: &str,
) -> Result<Vec<Attention>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind!: String", env_id AS "env_id!: String", detail AS "detail!: String", at AS "at!: String" FROM (
             SELECT 'deploy_failed' AS kind, e.env_id AS env_id, d.stage AS detail, d.finished_at AS at
               FROM deploy d JOIN environment e ON e.id = d.environment_id
              WHERE d.status = 'failed' AND d.finished_at > ?1
             UNION ALL
             SELECT n.kind, e.env_id, n.message, n.at
               FROM environment_notice n JOIN environment e ON e.id = n.environment_id
              WHERE n.kind = 'expiry_warning' AND n.at > ?1
           ) ORDER BY at"#,
        since
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Attention {
            kind: r.kind,
            env_id: r.env_id,
            detail: r.detail,
            at: r.at,
        })
        .collect())
}

/// The store's clock, in the form of its timestamps: where [`attention_since`] starts.
pub async fn now(executor: impl SqliteExecutor<'_>) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS "now!: String""#)
            .fetch_one(executor)
            .await?,
    )
}
