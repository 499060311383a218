//! What changed in the database, whichever process changed it: a connection of its own that
//! asks SQLite's `data_version` (it moves when any other connection, of this process or
//! another, commits), and a small snapshot of what the screens show, to compare.

use std::path::Path;

use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::StoreError;
use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

/// A connection that only watches: [`Watch::data_version`] moves after another connection's
/// commit.
#[derive(Debug)]
pub struct Watch {
    connection: SqliteConnection,
}

impl Watch {
    /// Opens a connection of its own to the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(crate::BUSY_TIMEOUT);
        let connection = SqliteConnection::connect_with(&options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self { connection })
    }

    /// A number that changes whenever another connection committed since the last call.
    pub async fn data_version(&mut self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(r#"PRAGMA data_version"#)
            .fetch_one(&mut self.connection)
            .await?
            .unwrap_or_default())
    }

    /// What the screens show, as of now; `deploys_from` is the lowest deploy id to include
    /// (the oldest one that was still queued or running, or the next new one).
    pub async fn snapshot(&mut self, deploys_from: i64) -> Result<Snapshot, StoreError> {
        let mut tx = self.connection.begin().await?;
        let environments = sqlx::query!(
            r#"SELECT e.id AS "id!: i64", e.env_id, e.status, e.expires_at,
                      e.services_ready AS "services_ready?: i64", e.services_total AS "services_total?: i64",
                      (SELECT MAX(c.version) FROM environment_config c WHERE c.environment_id = e.id) AS "config_version?: i64"
               FROM environment e ORDER BY e.id"#
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(EnvironmentMark {
                id: r.id,
                env_id: r.env_id,
                status: EnvironmentStatus::parse(&r.status)?,
                expires_at: r.expires_at,
                config_version: r.config_version,
                services_ready: r.services_ready.zip(r.services_total),
            })
        })
        .collect();
        let deploys = sqlx::query!(
            r#"SELECT d.id AS "id!: i64", d.environment_id AS "environment_id!: i64", d.stage, d.status,
                      (SELECT MAX(v.seq) FROM deploy_event v WHERE v.deploy_id = d.id) AS "last_seq?: i64"
               FROM deploy d WHERE d.id >= ? ORDER BY d.id"#,
            deploys_from
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(DeployMark {
                id: r.id,
                environment_id: r.environment_id,
                stage: Stage::parse(&r.stage)?,
                status: DeployStatus::parse(&r.status)?,
                last_seq: r.last_seq.unwrap_or_default(),
            })
        })
        .collect();
        let last_notice =
            sqlx::query_scalar!(r#"SELECT MAX(id) AS "id?: i64" FROM environment_notice"#)
                .fetch_one(&mut *tx)
                .await?
                .unwrap_or_default();
        tx.commit().await?;
        Ok(Snapshot {
            environments,
            deploys,
            last_notice,
        })
    }

    /// The notices recorded after `after_id`, oldest first: `(id, env_id, kind, message)`.
    pub async fn notices_after(
        &mut self,
        after_id: i64,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT n.id AS "id!: i64", e.env_id, n.kind, n.message
               FROM environment_notice n JOIN environment e ON e.id = n.environment_id
               WHERE n.id > ? ORDER BY n.id"#,
            after_id
        )
        .fetch_all(&mut self.connection)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, r.env_id, r.kind, r.message))
            .collect())
    }
}

/// What the screens show of the database, small enough to read after every commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub environments: Vec<EnvironmentMark>,
    /// Deploys from the asked id on.
    pub deploys: Vec<DeployMark>,
    /// The newest notice's id (0: none).
    pub last_notice: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentMark {
    pub id: i64,
    pub env_id: String,
    pub status: EnvironmentStatus,
    pub expires_at: Option<String>,
    /// Its own configuration's newest version.
    pub config_version: Option<i64>,
    /// Its services ready, of how many, as last seen: the list's "2 of 3 ready" follows it.
    pub services_ready: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployMark {
    pub id: i64,
    pub environment_id: i64,
    pub stage: Stage,
    pub status: DeployStatus,
    /// Its newest event's `seq` (0: none yet).
    pub last_seq: i64,
}
