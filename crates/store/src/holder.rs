//! The `holder` table: each process that opened the data folder, as the operating system knows
//! it (pid, start time, host), under the name it holds leases and runs builds by.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// A process as recorded when it opened the data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// What its leases and builds name it by.
    pub name: String,
    pub pid: i64,
    /// When the operating system started it, as it counts it (Linux: clock ticks from boot;
    /// elsewhere: seconds since the Unix epoch): compared only on the same host.
    pub started: i64,
    pub host: String,
}

/// Records the process (again, when it opens the data folder twice).
pub async fn register(
    executor: impl SqliteExecutor<'_>,
    holder: &Holder,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO holder (name, pid, started, host) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, started = excluded.started, host = excluded.host",
        holder.name,
        holder.pid,
        holder.started,
        holder.host,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The process a lease or a build names, when it was recorded.
pub async fn by_name(
    executor: impl SqliteExecutor<'_>,
    name: &str,
) -> Result<Option<Holder>, StoreError> {
    Ok(sqlx::query_as!(
        Holder,
        "SELECT name, pid, started, host FROM holder WHERE name = ?",
        name
    )
    .fetch_optional(executor)
    .await?)
}

/// The recorded processes that hold nothing now: no lease, no running build.
pub async fn idle(executor: impl SqliteExecutor<'_>) -> Result<Vec<Holder>, StoreError> {
    Ok(sqlx::query_as!(
        Holder,
        "SELECT name, pid, started, host FROM holder
         WHERE name NOT IN (SELECT holder FROM environment_lease)
           AND name NOT IN (SELECT holder FROM clock_lease)
           AND name NOT IN (SELECT holder FROM build WHERE status = 'running' AND holder IS NOT NULL)"
    )
    .fetch_all(executor)
    .await?)
}

/// Forgets a process that died.
pub async fn forget(executor: impl SqliteExecutor<'_>, name: &str) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM holder WHERE name = ?", name)
        .execute(executor)
        .await?;
    Ok(())
}
