//! # stagecraft-store
//!
//! Stagecraft's history in one SQLite file, through sqlx. The desktop app and the CLI open the
//! same file at the same time, so the connection settings (WAL, busy timeout, foreign keys) are
//! part of the contract, not tuning. Opening (creating the file, switching it to WAL, migrating
//! it) holds a lock file, `<database>.lock`, so two processes never set up a new file at once.
//!
//! Must not depend on: tauri, bollard, kube, or `stagecraft-api`. Rows map to domain types here.
//!
//! # Layout
//! - `lib.rs`: [`Store::open`], connection settings, migrations, [`StoreError`]
//! - `meta.rs`: the `store_meta` row (when and by which version the database was created)
//! - `app.rs`, `build.rs`, `environment.rs`, `import.rs`, `handle.rs`, `preset.rs`, `deploy.rs`, `timeline.rs`, `lease.rs`, `ledger.rs`,
//!   `log.rs`, `notice.rs`: one module per table
//!   group; each function takes `impl SqliteExecutor`, so it runs on the pool or inside a
//!   transaction ([`Store::pool`]); `queue.rs` is the `deploy` table's queue (a request queued
//!   or joined in one transaction), `cron.rs` its cron runs (the schedule time each is for, the
//!   runs kept)
//! - `change.rs`: what changed, whichever process changed it (`data_version` and a snapshot),
//!   for the api's change feed
//! - `migrations/`: the schema, one numbered file per change, embedded with `sqlx::migrate!()`
//! - `.sqlx/` (workspace root): offline query data for the `query!` macros

pub mod api_token;
pub mod app;
pub mod build;
pub mod change;
pub mod clock;
pub mod cron;
pub mod dataset;
pub mod deploy;
pub mod environment;
pub mod handle;
pub mod holder;
pub mod import;
pub mod ingress_setting;
pub mod interrupt;
pub mod lease;
pub mod ledger;
pub mod log;
mod meta;
pub mod notice;
pub mod preset;
pub mod published_port;
mod queue;
pub mod schedule;
pub mod timeline;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use meta::StoreMeta;

/// The file name of the database inside Stagecraft's data directory.
pub const DATABASE_FILE: &str = "stagecraft.db";

/// How long a writer waits for another process's write lock before giving up. The app and the
/// CLI write to the same file; a deploy's burst of events must not fail the other side.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATOR: Migrator = sqlx::migrate!();

/// Everything that can go wrong in the store. Each variant names the database file, because a
/// user with several data directories needs to know which one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot take the lock {path} that keeps two Stagecraft processes from migrating the \
             database at once: {source}"
    )]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database {path} has schema version {found}, but this Stagecraft knows versions up to \
         {known}: it was written by a newer Stagecraft. Run that newer version, or set \
         STAGECRAFT_DATA_DIR to another folder to start a new history"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot bring the database {path} to schema version {known}: {source}")]
    Migrate {
        path: PathBuf,
        known: i64,
        #[source]
        source: MigrateError,
    },
    #[error("database query failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{message}")]
    Conflict { message: String },
    #[error("the {row} has the unknown {column} `{value}`: it was written by another Stagecraft")]
    UnknownValue {
        row: String,
        column: &'static str,
        value: String,
    },
    #[error("database query on {path} failed: {source}")]
    Query {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    /// A unique constraint broken by an insert becomes a [`StoreError::Conflict`] saying what
    /// exists already; any other failure stays what it is.
    pub(crate) fn conflict_or(error: StoreError, message: impl FnOnce() -> String) -> StoreError {
        match error {
            StoreError::Sql(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict { message: message() }
            }
            other => other,
        }
    }
}

/// A handle on the database: a cheap clone of the connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

/// Creates `dir` (and its missing parents) readable by its owner alone; a folder that exists
/// keeps its mode.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the file at `path` readable and writable by its owner alone.
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Store {
    /// Opens the database at `path`, creating the file and its folder when missing, and brings
    /// the schema up to date.
    ///
    /// Errors with [`StoreError::NewerSchema`] when the file was migrated by a newer Stagecraft;
    /// the file is left untouched then.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            private_dir(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let new_file = !path.exists();
        // The app and the CLI may open a new file at the same moment. Creating it, switching
        // it to WAL and migrating it each need the file to themselves, and SQLite gives the
        // migrator no lock of its own: without this, one side fails with "table already
        // exists" or "database is locked".
        let first_open_lock = lock_for_first_open(path).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only a power loss can
            // drop the last transactions, which history can afford.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if new_file {
            // History and sealed secrets: the owner's alone (SQLite gives its -wal and -shm
            // files the database's mode).
            private_file(path).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let store = Self {
            pool,
            path: path.to_path_buf(),
        };
        store.migrate().await?;
        meta::record_creation(&store.pool, env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|source| store.query_error(source))?;
        drop(first_open_lock);
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let known = latest_known_version();
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| match source {
                MigrateError::VersionMissing(found) => StoreError::NewerSchema {
                    path: self.path.clone(),
                    found,
                    known,
                },
                source => StoreError::Migrate {
                    path: self.path.clone(),
                    known,
                    source,
                },
            })
    }

    /// The connection pool, for the table modules' functions and for transactions.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The highest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version = sqlx::query_scalar!(
            r#"SELECT MAX(version) AS "version?: i64" FROM _sqlx_migrations WHERE success = 1"#
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|source| self.query_error(source))?;
        Ok(version.unwrap_or(0))
    }

    /// When, and by which Stagecraft version, this database was created.
    pub async fn meta(&self) -> Result<StoreMeta, StoreError> {
        meta::get(&self.pool)
            .await
            .map_err(|source| self.query_error(source))
    }

    /// Closes every connection, checkpointing the WAL into the main file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn query_error(&self, source: sqlx::Error) -> StoreError {
        StoreError::Query {
            path: self.path.clone(),
            source,
        }
    }
}

/// Takes an exclusive lock on `<database>.lock`, waiting for another process that holds it.
async fn lock_for_first_open(database: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = database.with_file_name(name);
    let locked = {
        let lock_path = lock_path.clone();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
    };
    let lock_error = |source| StoreError::Lock {
        path: lock_path.clone(),
        source,
    };
    match locked {
        Ok(result) => result.map_err(lock_error),
        Err(join) => Err(lock_error(std::io::Error::other(join))),
    }
}

/// The schema version this build of Stagecraft migrates databases to.
pub fn latest_known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Rows a multi-row insert takes: at five parameters a row, far below SQLite's 32766.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// The database's clock, in the format of every `strftime` default in the schema. A batch reads
/// it once and stamps all its rows with it: `RETURNING` the time of every row costs a third of
/// the append rate.
pub(crate) async fn now(conn: &mut sqlx::SqliteConnection) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS "at!: String""#)
            .fetch_one(conn)
            .await?,
    )
}
