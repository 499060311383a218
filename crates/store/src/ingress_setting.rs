//! The `ingress_setting` table: the local ingress's ports as the window sets them for its data
//! folder (no row: the defaults).

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
