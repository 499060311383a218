//! The `log_resource` and `log_line` tables: logs kept per resource up to a cap.

use crate::StoreError;

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LogLine {
    pub seq: i64,
    pub at: String,
    pub stream: String,
    pub line: String,
}

/// A resource's lines after a `seq`, and how many lines its cap has dropped so far.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    pub dropped: i64,
}

/// Appends lines to `resource`'s log, then drops its oldest lines past `cap`, recording how
/// many went. One transaction.
pub async fn append(
    pool: &sqlx::SqlitePool,
    resource: &str,
    environment_id: Option<i64>,
    lines: &[(Stream, String)],
    cap: i64,
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query!(
        "INSERT INTO log_resource (resource, environment_id) VALUES (?, ?) ON CONFLICT (resource) DO NOTHING",
        resource,
        environment_id
    )
    .execute(&mut *tx)
    .await?;
    let last = sqlx::query_scalar!(
        r#"SELECT COALESCE(MAX(seq), 0) AS "seq!: i64" FROM log_line WHERE resource = ?"#,
        resource
    )
    .fetch_one(&mut *tx)
    .await?;
    let at = crate::now(&mut tx).await?;
    let mut seq = last;
    for chunk in lines.chunks(crate::ROWS_PER_INSERT) {
        let mut insert =
            sqlx::QueryBuilder::new("INSERT INTO log_line (resource, seq, at, stream, line) ");
        insert.push_values(chunk, |mut row, (stream, line)| {
            seq += 1;
            row.push_bind(resource)
                .push_bind(seq)
                .push_bind(at.as_str())
                .push_bind(stream.as_str())
                .push_bind(line.as_str());
        });
        insert.build().execute(&mut *tx).await?;
    }
    let oldest_kept = seq - cap + 1;
    let dropped = sqlx::query!(
        "DELETE FROM log_line WHERE resource = ? AND seq < ?",
        resource,
        oldest_kept
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let (added, dropped) = (
        i64::try_from(lines.len()).unwrap_or(i64::MAX),
        i64::try_from(dropped).unwrap_or(i64::MAX),
    );
    sqlx::query!(
        "UPDATE log_resource SET kept = kept + ? - ?, dropped = dropped + ? WHERE resource = ?",
        added,
        dropped,
        dropped,
        resource
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records that `resource`'s log holds every line its runtime wrote up to `until_ns`
/// (nanoseconds since the Unix epoch, the runtime's clock); it never goes back.
pub async fn mark_followed(
    pool: &sqlx::SqlitePool,
    resource: &str,
    until_ns: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE log_resource SET followed_until_ns = MAX(COALESCE(followed_until_ns, 0), ?)
         WHERE resource = ?",
        until_ns,
        resource
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Until when (the runtime's clock, nanoseconds since the Unix epoch) `resource`'s log holds
/// every line, when it was followed with timestamps.
pub async fn followed_until(
    pool: &sqlx::SqlitePool,
    resource: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT followed_until_ns FROM log_resource WHERE resource = ?",
        resource
    )
    .fetch_optional(pool)
    .await?
    .flatten())
}

/// Up to `limit` lines of `resource` after `after_seq`, oldest first.
pub async fn page(
    pool: &sqlx::SqlitePool,
    resource: &str,
    after_seq: i64,
    limit: i64,
) -> Result<LogPage, StoreError> {
    let lines = sqlx::query_as!(
        LogLine,
        "SELECT seq, at, stream, line FROM log_line WHERE resource = ? AND seq > ? ORDER BY seq LIMIT ?",
        resource,
        after_seq,
        limit
    )
    .fetch_all(pool)
    .await?;
    let dropped = sqlx::query_scalar!(
        "SELECT dropped FROM log_resource WHERE resource = ?",
        resource
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(0);
    Ok(LogPage { lines, dropped })
}

/// A log kept for an environment: its name and how many lines it holds and dropped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogResource {
    pub resource: String,
    pub kept: i64,
    pub dropped: i64,
}

/// The logs of an environment: its services' and jobs', and the output of the builds its
/// deploys ran.
pub async fn resources(
    pool: &sqlx::SqlitePool,
    environment_id: i64,
) -> Result<Vec<LogResource>, StoreError> {
    Ok(sqlx::query_as!(
        LogResource,
        r#"SELECT resource AS "resource!", kept, dropped FROM log_resource
           WHERE environment_id = ?1
              OR resource IN (
                  SELECT r.resource FROM log_resource r
                  JOIN deploy d ON d.environment_id = ?1 AND d.build_id IS NOT NULL
                  WHERE r.resource LIKE 'builds/' || d.build_id || '/%')
           ORDER BY resource"#,
        environment_id
    )
    .fetch_all(pool)
    .await?)
}
