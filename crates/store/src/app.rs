//! The `app` and `app_config` tables.

use sqlx::SqliteExecutor;

use crate::StoreError;
use stagecraft_engine::App;

/// What a new app is made of.
#[derive(Debug, Clone)]
pub struct NewApp<'a> {
    pub name: &'a str,
    pub repo_path: &'a str,
    pub tracking_branch: &'a str,
    pub auto_deploy: bool,
    pub gitops: bool,
}

/// One saved version of an app's default configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub app_id: i64,
    pub version: i64,
    pub template_file: String,
    pub template_yaml: String,
    pub variables_file: Option<String>,
    pub variables_yaml: String,
    pub created_at: String,
}

pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    app: &NewApp<'_>,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO app (name, repo_path, tracking_branch, auto_deploy, gitops) VALUES (?, ?, ?, ?, ?) RETURNING id AS \"id!: i64\"",
        app.name,
        app.repo_path,
        app.tracking_branch,
        app.auto_deploy,
        app.gitops,
    )
    .fetch_one(executor)
    .await?;
    Ok(id)
}

/// Saves a new version of the app's default configuration and returns its number.
pub async fn insert_config(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    template_file: &str,
    template_yaml: &str,
    variables_file: Option<&str>,
    variables_yaml: &str,
) -> Result<i64, StoreError> {
    let version = sqlx::query_scalar!(
        r#"INSERT INTO app_config (app_id, version, template_file, template_yaml, variables_file, variables_yaml)
           VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM app_config WHERE app_id = ?1), ?2, ?3, ?4, ?5)
           RETURNING version AS "version!: i64""#,
        app_id,
        template_file,
        template_yaml,
        variables_file,
        variables_yaml,
    )
    .fetch_one(executor)
    .await?;
    Ok(version)
}

/// Saves the next version of the app's default configuration, only while `after` is its
/// newest: `None` when another process saved one first.
pub async fn insert_config_after(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    after: i64,
    template_file: &str,
    template_yaml: &str,
    variables_file: Option<&str>,
    variables_yaml: &str,
) -> Result<Option<i64>, StoreError> {
    let version = sqlx::query_scalar!(
        r#"INSERT INTO app_config (app_id, version, template_file, template_yaml, variables_file, variables_yaml)
           SELECT ?1, ?2 + 1, ?3, ?4, ?5, ?6
           WHERE (SELECT COALESCE(MAX(version), 0) FROM app_config WHERE app_id = ?1) = ?2
           RETURNING version AS "version!: i64""#,
        app_id,
        after,
        template_file,
        template_yaml,
        variables_file,
        variables_yaml,
    )
    .fetch_optional(executor)
    .await?;
    Ok(version)
}

pub async fn latest_config(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<Option<AppConfig>, StoreError> {
    sqlx::query_as!(
        AppConfig,
        "SELECT app_id, version, template_file, template_yaml, variables_file, variables_yaml, created_at
         FROM app_config WHERE app_id = ? ORDER BY version DESC LIMIT 1",
        app_id
    )
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)
}

pub async fn config(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    version: i64,
) -> Result<Option<AppConfig>, StoreError> {
    sqlx::query_as!(
        AppConfig,
        "SELECT app_id, version, template_file, template_yaml, variables_file, variables_yaml, created_at
         FROM app_config WHERE app_id = ? AND version = ?",
        app_id,
        version
    )
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)
}

pub async fn by_name(
    executor: impl SqliteExecutor<'_>,
    name: &str,
) -> Result<Option<App>, StoreError> {
    sqlx::query_as!(
        App,
        r#"SELECT id, name, repo_path, tracking_branch, auto_deploy AS "auto_deploy: bool", last_commit, image_registry, share_registry_login AS "share_registry_login: bool", gitops AS "gitops: bool", created_at
           FROM app WHERE name = ?"#,
        name
    )
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)
}

pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<App>, StoreError> {
    sqlx::query_as!(
        App,
        r#"SELECT id, name, repo_path, tracking_branch, auto_deploy AS "auto_deploy: bool", last_commit, image_registry, share_registry_login AS "share_registry_login: bool", gitops AS "gitops: bool", created_at
           FROM app ORDER BY name"#
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::from)
}

/// Creates the app and its first configuration version together.
pub async fn create(
    pool: &sqlx::SqlitePool,
    app: &NewApp<'_>,
    template_file: &str,
    template_yaml: &str,
    variables_file: Option<&str>,
    variables_yaml: &str,
) -> Result<i64, StoreError> {
    let mut tx = pool.begin().await?;
    let id = insert(&mut *tx, app).await.map_err(|error| {
        StoreError::conflict_or(error, || {
            format!(
                "an app named `{}` or from {} exists already",
                app.name, app.repo_path
            )
        })
    })?;
    insert_config(
        &mut *tx,
        id,
        template_file,
        template_yaml,
        variables_file,
        variables_yaml,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records the commit of the app's tracking branch seen last; `false` when another process
/// recorded `commit` first (it handles the new commit).
pub async fn set_last_commit(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    previous: Option<&str>,
    commit: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE app SET last_commit = ? WHERE id = ? AND last_commit IS ?",
        commit,
        app_id,
        previous
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Names the registry the app's built images are pushed to (`None`: none), and whether
/// clusters pull them with the user's login. Says whether the app exists.
pub async fn set_image_registry(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    registry: Option<&str>,
    share_login: bool,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE app SET image_registry = ?, share_registry_login = ? WHERE id = ?",
        registry,
        share_login,
        app_id
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a new commit on the tracking branch patches the app's environments (the template's
/// `auto_deploy`, as a GitOps sync of that branch reads it).
pub async fn set_auto_deploy(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    auto_deploy: bool,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE app SET auto_deploy = ? WHERE id = ?",
        auto_deploy,
        app_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Turns GitOps on or off for the app. Says whether the app exists.
pub async fn set_gitops(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    gitops: bool,
) -> Result<bool, StoreError> {
    let done = sqlx::query!("UPDATE app SET gitops = ? WHERE id = ?", gitops, app_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(executor: impl SqliteExecutor<'_>, id: i64) -> Result<Option<App>, StoreError> {
    Ok(sqlx::query_as!(
        App,
        r#"SELECT id, name, repo_path, tracking_branch, auto_deploy AS "auto_deploy: bool", last_commit, image_registry, share_registry_login AS "share_registry_login: bool", gitops AS "gitops: bool", created_at
           FROM app WHERE id = ?"#,
        id
    )
    .fetch_optional(executor)
    .await?)
}

/// Why an app cannot be removed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// These environments (`env_id`s) are not torn down.
    Live(Vec<String>),
    /// These builds of the app are running.
    Building(Vec<i64>),
    /// These environments of other apps (`env_id`s) import it and are not torn down.
    ImportedBy(Vec<String>),
    /// These environments are torn down but still have objects recorded as not removed, as
    /// `env_id kind name`.
    Leftovers(Vec<String>),
}

/// What keeps the app from being removed now, if anything.
pub async fn removal_blocker(
    pool: &sqlx::SqlitePool,
    app_id: i64,
) -> Result<Option<Blocker>, StoreError> {
    let mut conn = pool.acquire().await?;
    blocker(&mut conn, app_id).await
}

async fn blocker(
    conn: &mut sqlx::SqliteConnection,
    app_id: i64,
) -> Result<Option<Blocker>, StoreError> {
    let live = sqlx::query_scalar!(
        "SELECT env_id FROM environment WHERE app_id = ? AND status <> 'torn_down' ORDER BY id",
        app_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if !live.is_empty() {
        return Ok(Some(Blocker::Live(live)));
    }
    let importers = sqlx::query_scalar!(
        "SELECT e.env_id FROM environment_import i JOIN environment e ON e.id = i.environment_id
         WHERE i.app_name = (SELECT name FROM app WHERE id = ?) AND e.status <> 'torn_down'
         ORDER BY e.id",
        app_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if !importers.is_empty() {
        return Ok(Some(Blocker::ImportedBy(importers)));
    }
    let building = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM build WHERE app_id = ? AND status = 'running' ORDER BY id"#,
        app_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if !building.is_empty() {
        return Ok(Some(Blocker::Building(building)));
    }
    let leftovers = sqlx::query!(
        r#"SELECT e.env_id AS "env_id!", l.kind AS "kind!", l.name AS "name!"
           FROM ledger l JOIN environment e ON e.id = l.environment_id
           WHERE e.app_id = ? AND l.removed_at IS NULL ORDER BY e.id, l.rowid"#,
        app_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if !leftovers.is_empty() {
        return Ok(Some(Blocker::Leftovers(
            leftovers
                .into_iter()
                .map(|r| format!("{} {} {}", r.env_id, r.kind, r.name))
                .collect(),
        )));
    }
    Ok(None)
}

/// Removes the app and its history in one transaction: its versions, its builds and their
/// logs, and its torn-down environments with their deploys, logs and removed objects. Refused
/// (nothing removed) while an environment is not torn down, a build runs, or a torn-down
/// environment still has an object the ledger does not record as removed: those must go
/// first, or they would be lost.
/// `None` once removed.
pub async fn remove(pool: &sqlx::SqlitePool, app_id: i64) -> Result<Option<Blocker>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if let Some(blocked) = blocker(&mut tx, app_id).await? {
        return Ok(Some(blocked));
    }
    // Children first: the tables whose references do not cascade.
    sqlx::query!(
        "DELETE FROM environment_lease WHERE environment_id IN (SELECT id FROM environment WHERE app_id = ?)",
        app_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM deploy WHERE environment_id IN (SELECT id FROM environment WHERE app_id = ?)",
        app_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM ledger WHERE environment_id IN (SELECT id FROM environment WHERE app_id = ?)",
        app_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM environment WHERE app_id = ?", app_id)
        .execute(&mut *tx)
        .await?;
    // Build logs name their build (`builds/12/web`) rather than reference it.
    sqlx::query!(
        "DELETE FROM log_resource WHERE environment_id IS NULL AND EXISTS
           (SELECT 1 FROM build b WHERE b.app_id = ?
              AND substr(log_resource.resource, 1, length('builds/' || b.id || '/')) = 'builds/' || b.id || '/')",
        app_id
    )
    .execute(&mut *tx)
    .await?;
    // Builds, their images and the app's versions cascade with the app.
    sqlx::query!("DELETE FROM app WHERE id = ?", app_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(None)
}
