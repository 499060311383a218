//! The `ingress_setting` table: the local ingress's ports as saved for its data folder (no
//! row: the defaults); and `ingress_served`: the ports each process uses the ingress at now.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// The ingress's ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressSetting {
    pub port: u16,
    /// `None`: HTTPS off.
    pub https_port: Option<u16>,
}

impl IngressSetting {
    /// The ports as SQLite keeps them; none when they are not ports.
    fn read(port: i64, https_port: Option<i64>) -> Option<Self> {
        Some(Self {
            port: u16::try_from(port).ok()?,
            https_port: https_port.and_then(|p| u16::try_from(p).ok()),
        })
    }
}

/// The saved ports, if any were saved.
pub async fn get(executor: impl SqliteExecutor<'_>) -> Result<Option<IngressSetting>, StoreError> {
    let row = sqlx::query!("SELECT port, https_port FROM ingress_setting WHERE id = 1")
        .fetch_optional(executor)
        .await?;
    Ok(row.and_then(|row| IngressSetting::read(row.port, row.https_port)))
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

/// A process using the data folder's ingress, as it recorded itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressUser {
    /// Its `holder` name.
    pub holder: String,
    pub ports: IngressSetting,
    /// It serves the ingress (else it stands by to take it over).
    pub serving: bool,
}

/// Every process using the ingress as recorded: those serving it first, then the oldest.
pub async fn users(executor: impl SqliteExecutor<'_>) -> Result<Vec<IngressUser>, StoreError> {
    let rows = sqlx::query!(
        "SELECT holder, port, https_port, serving FROM ingress_served
         ORDER BY serving DESC, since, holder"
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(IngressUser {
                ports: IngressSetting::read(row.port, row.https_port)?,
                holder: row.holder,
                serving: row.serving != 0,
            })
        })
        .collect())
}

/// Records that process `holder` uses the ingress at `ports`, serving it or not.
pub async fn record_user(
    executor: impl SqliteExecutor<'_>,
    holder: &str,
    ports: IngressSetting,
    serving: bool,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO ingress_served (holder, port, https_port, serving) VALUES (?, ?, ?, ?)
         ON CONFLICT (holder) DO UPDATE SET port = excluded.port,
             https_port = excluded.https_port, serving = excluded.serving",
        holder,
        ports.port,
        ports.https_port,
        serving,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Removes process `holder`'s record (another's stays).
pub async fn forget_user(
    executor: impl SqliteExecutor<'_>,
    holder: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM ingress_served WHERE holder = ?", holder)
        .execute(executor)
        .await?;
    Ok(())
}
