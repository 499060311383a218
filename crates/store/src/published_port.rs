//! The `published_port` table: where a service's port is published on 127.0.0.1 when a patch
//! without downtime moved it from its stable port (no row: the stable port).

use sqlx::SqliteExecutor;

use crate::StoreError;

/// A service's port and the 127.0.0.1 port it is published on now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// The environment's `env_id`.
    pub env_id: String,
    pub service: String,
    pub port: u16,
    pub host_port: u16,
}

/// Records that `service`'s `port` of environment `env_id` is published on `host_port`; its
/// stable port removes the row.
pub async fn set(
    executor: impl SqliteExecutor<'_>,
    env_id: &str,
    service: &str,
    port: u16,
    host_port: u16,
    stable: bool,
) -> Result<(), StoreError> {
    if stable {
        sqlx::query!(
            "DELETE FROM published_port
             WHERE environment_id = (SELECT id FROM environment WHERE env_id = ?)
               AND service = ? AND port = ?",
            env_id,
            service,
            port,
        )
        .execute(executor)
        .await?;
    } else {
        sqlx::query!(
            "INSERT INTO published_port (environment_id, service, port, host_port)
             SELECT id, ?, ?, ? FROM environment WHERE env_id = ?
             ON CONFLICT (environment_id, service, port) DO UPDATE SET host_port = excluded.host_port",
            service,
            port,
            host_port,
            env_id,
        )
        .execute(executor)
        .await?;
    }
    Ok(())
}

/// A row as SQLite keeps it.
struct Row {
    env_id: String,
    service: String,
    port: i64,
    host_port: i64,
}

fn published(rows: Vec<Row>) -> Vec<PublishedPort> {
    rows.into_iter()
        .filter_map(|r| {
            Some(PublishedPort {
                env_id: r.env_id,
                service: r.service,
                port: u16::try_from(r.port).ok()?,
                host_port: u16::try_from(r.host_port).ok()?,
            })
        })
        .collect()
}

/// Every port moved from its stable one, of every environment.
pub async fn all(executor: impl SqliteExecutor<'_>) -> Result<Vec<PublishedPort>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT e.env_id AS "env_id!", p.service, p.port, p.host_port
           FROM published_port p JOIN environment e ON e.id = p.environment_id"#
    )
    .fetch_all(executor)
    .await?;
    Ok(published(rows))
}

/// The ports of environment `env_id` moved from their stable ones.
pub async fn of(
    executor: impl SqliteExecutor<'_>,
    env_id: &str,
) -> Result<Vec<PublishedPort>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT e.env_id AS "env_id!", p.service, p.port, p.host_port
           FROM published_port p JOIN environment e ON e.id = p.environment_id
           WHERE e.env_id = ?"#,
        env_id
    )
    .fetch_all(executor)
    .await?;
    Ok(published(rows))
}
