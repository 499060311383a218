//! The `ingress_setting` table: the local ingress's ports as the window sets them for its data
//! folder (no row: the defaults), and the ones its ingress serves now (`ingress_served`).

use sqlx::SqliteExecutor;

use crate::StoreError;

/// The ingress's ports as saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressSetting {
    pub port: u16,
    /// `None`: HTTPS off.
    pub https_port: Option<u16>,
}

/// The saved ports, if any were saved.
pub async fn get(executor: impl SqliteExecutor<'_>) -> Result<Option<IngressSetting>, StoreError> {
    let row = sqlx::query!("SELECT port, https_port FROM ingress_setting WHERE id = 1")
        .fetch_optional(executor)
        .await?;
    Ok(row.and_then(|row| {
        Some(IngressSetting {
            port: u16::try_from(row.port).ok()?,
            https_port: row.https_port.and_then(|p| u16::try_from(p).ok()),
        })
    }))
}

/// Saves the ports (the table's checks refuse port 0 and one port for both).
pub async fn set(
    executor: impl SqliteExecutor<'_>,
    setting: IngressSetting,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO ingress_setting (id, port, https_port) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET port = excluded.port, https_port = excluded.https_port,
             changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        setting.port,
        setting.https_port,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The ports the data folder's ingress serves now, and the `holder` name of the process
/// serving them, as that process recorded them.
pub async fn served(
    executor: impl SqliteExecutor<'_>,
) -> Result<Option<(IngressSetting, String)>, StoreError> {
    let row = sqlx::query!("SELECT port, https_port, holder FROM ingress_served WHERE id = 1")
        .fetch_optional(executor)
        .await?;
    Ok(row.and_then(|row| {
        let ports = IngressSetting {
            port: u16::try_from(row.port).ok()?,
            https_port: row.https_port.and_then(|p| u16::try_from(p).ok()),
        };
        Some((ports, row.holder))
    }))
}

/// Records that process `holder` serves the ingress at `ports`.
pub async fn set_served(
    executor: impl SqliteExecutor<'_>,
    ports: IngressSetting,
    holder: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO ingress_served (id, port, https_port, holder) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET port = excluded.port, https_port = excluded.https_port,
             holder = excluded.holder",
        ports.port,
        ports.https_port,
        holder,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Removes the record of process `holder` serving the ingress (another's stays).
pub async fn clear_served(
    executor: impl SqliteExecutor<'_>,
    holder: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM ingress_served WHERE holder = ?", holder)
        .execute(executor)
        .await?;
    Ok(())
}
