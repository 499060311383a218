//! The `environment` and `environment_config` tables.

use sqlx::SqliteExecutor;

use crate::StoreError;
use stagecraft_engine::{Environment, EnvironmentKind, EnvironmentStatus, Version};

/// What a new environment is made of.
#[derive(Debug, Clone)]
pub struct NewEnvironment<'a> {
    pub env_id: &'a str,
    pub app_id: i64,
    pub branch: &'a str,
    pub kind: EnvironmentKind,
    pub environment_template: &'a str,
    pub default_version: i64,
    pub runtime: &'a str,
    /// Seconds from now until an ephemeral environment expires; `None` for never.
    pub expires_in_secs: Option<i64>,
}

/// One saved version of an environment's own configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentConfig {
    pub version: i64,
    /// The app configuration version it was made from, when it is not the environment's first
    /// (`environment.default_version`): a GitOps sync moves it.
    pub default_version: Option<i64>,
    pub config_yaml: String,
    pub variables_yaml: String,
    /// The values its parameters were given: a JSON object of names to values.
    pub parameters_json: String,
    pub created_at: String,
}

pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    new: &NewEnvironment<'_>,
) -> Result<i64, StoreError> {
    let kind = new.kind.as_str();
    let status = EnvironmentStatus::Created.as_str();
    let expiry = new.expires_in_secs.map(|secs| format!("{secs:+} seconds"));
    sqlx::query_scalar!(
        "INSERT INTO environment (env_id, app_id, branch, kind, environment_template, default_version, runtime, status, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ?9 IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?9) END)
         RETURNING id AS \"id!: i64\"",
        new.env_id,
        new.app_id,
        new.branch,
        kind,
        new.environment_template,
        new.default_version,
        new.runtime,
        status,
        expiry,
    )
    .fetch_one(executor)
    .await
    .map_err(StoreError::from)
}

/// Saves a new version of the environment's own configuration, its parameters' values as its
/// newest version has them, and returns its number.
pub async fn insert_config(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    config_yaml: &str,
    variables_yaml: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar!(
        r#"INSERT INTO environment_config (environment_id, version, default_version, config_yaml, variables_yaml, parameters_json)
           VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM environment_config WHERE environment_id = ?1),
                   (SELECT default_version FROM environment WHERE id = ?1), ?2, ?3,
                   COALESCE((SELECT parameters_json FROM environment_config WHERE environment_id = ?1
                             ORDER BY version DESC LIMIT 1), '{}'))
           RETURNING version AS "version!: i64""#,
        environment_id,
        config_yaml,
        variables_yaml,
    )
    .fetch_one(executor)
    .await
    .map_err(StoreError::from)
}

/// Saves a new version of the environment's configuration that is version `after` (its
/// newest) with `parameters_json` (a JSON object of names to values) as its parameters'
/// values, and returns its number; `None` when `after` is no longer its newest (another
/// change came first: read it again).
pub async fn insert_parameters(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    after: i64,
    parameters_json: &str,
) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar!(
        r#"INSERT INTO environment_config (environment_id, version, default_version, config_yaml, variables_yaml, parameters_json)
           SELECT environment_id, version + 1, default_version, config_yaml, variables_yaml, ?3
           FROM environment_config
           WHERE environment_id = ?1 AND version = ?2
             AND version = (SELECT MAX(version) FROM environment_config WHERE environment_id = ?1)
           RETURNING version AS "version!: i64""#,
        environment_id,
        after,
        parameters_json,
    )
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)
}

/// Saves a new version of the environment's configuration made from app configuration
/// `default_version` (a GitOps sync), and makes that the environment's default version;
/// returns the new version's number. Only while `after` is still its newest version: `None`
/// when another sync saved one first (read the files again against it).
pub async fn insert_synced_config(
    pool: &sqlx::SqlitePool,
    environment_id: i64,
    after: i64,
    default_version: i64,
    config_yaml: &str,
    variables_yaml: &str,
) -> Result<Option<i64>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let newest = sqlx::query_scalar!(
        r#"SELECT COALESCE(MAX(version), 0) AS "newest!: i64" FROM environment_config WHERE environment_id = ?"#,
        environment_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if newest != after {
        return Ok(None);
    }
    // Versions saved before the default version was kept per version were made from the
    // environment's default as it is until now: they keep it.
    sqlx::query!(
        "UPDATE environment_config SET default_version = (SELECT default_version FROM environment WHERE id = ?1)
         WHERE environment_id = ?1 AND default_version IS NULL",
        environment_id
    )
    .execute(&mut *tx)
    .await?;
    let version = sqlx::query_scalar!(
        r#"INSERT INTO environment_config (environment_id, version, default_version, config_yaml, variables_yaml, parameters_json)
           VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM environment_config WHERE environment_id = ?1), ?2, ?3, ?4,
                   COALESCE((SELECT parameters_json FROM environment_config WHERE environment_id = ?1
                             ORDER BY version DESC LIMIT 1), '{}'))
           RETURNING version AS "version!: i64""#,
        environment_id,
        default_version,
        config_yaml,
        variables_yaml,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE environment SET default_version = ? WHERE id = ?",
        default_version,
        environment_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(version))
}

pub async fn config(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    version: i64,
) -> Result<Option<EnvironmentConfig>, StoreError> {
    sqlx::query_as!(
        EnvironmentConfig,
        "SELECT version, default_version, config_yaml, variables_yaml, parameters_json, created_at
         FROM environment_config WHERE environment_id = ? AND version = ?",
        environment_id,
        version
    )
    .fetch_optional(executor)
    .await
    .map_err(StoreError::from)
}

/// Every saved version, newest first.
pub async fn config_history(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<EnvironmentConfig>, StoreError> {
    sqlx::query_as!(
        EnvironmentConfig,
        "SELECT version, default_version, config_yaml, variables_yaml, parameters_json, created_at
         FROM environment_config WHERE environment_id = ? ORDER BY version DESC",
        environment_id
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::from)
}

struct Row {
    id: i64,
    env_id: String,
    app_id: i64,
    app: String,
    branch: String,
    kind: String,
    environment_template: String,
    default_version: i64,
    specific_version: i64,
    runtime: String,
    status: String,
    expires_at: Option<String>,
    created_at: String,
}

impl Row {
    fn into_environment(self) -> Result<Environment, StoreError> {
        let unknown = |column, value: &str| StoreError::UnknownValue {
            row: format!("environment {}", self.env_id),
            column,
            value: value.to_owned(),
        };
        let kind = EnvironmentKind::parse(&self.kind).ok_or_else(|| unknown("kind", &self.kind))?;
        let status = EnvironmentStatus::parse(&self.status)
            .ok_or_else(|| unknown("status", &self.status))?;
        Ok(Environment {
            id: self.id,
            app_id: self.app_id,
            app: self.app,
            branch: self.branch,
            kind,
            environment_template: self.environment_template,
            version: Version {
                default: self.default_version,
                specific: self.specific_version,
            },
            runtime: self.runtime,
            status,
            expires_at: self.expires_at,
            created_at: self.created_at,
            env_id: self.env_id,
        })
    }
}

pub async fn by_env_id(
    executor: impl SqliteExecutor<'_>,
    env_id: &str,
) -> Result<Option<Environment>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id!: i64", env_id, app_id, app, branch, kind, environment_template, default_version,
                  specific_version AS "specific_version!: i64", runtime, status, expires_at, created_at
           FROM environment_view WHERE env_id = ?"#,
        env_id
    )
    .fetch_optional(executor)
    .await?;
    row.map(Row::into_environment).transpose()
}

/// One environment with what it is doing now (its running deploy's stage and step, the
/// deploys waiting) and how many of its services were ready at the last look, in one read:
/// the HTTP API's GET of an environment is this, and each read is a round trip to the
/// database's thread.
pub async fn with_activity(
    executor: impl SqliteExecutor<'_>,
    env_id: &str,
) -> Result<
    Option<(
        Environment,
        Option<crate::deploy::Activity>,
        Option<(i64, i64)>,
    )>,
    StoreError,
> {
    let Some(row) = sqlx::query!(
        r#"SELECT v.id AS "id!: i64", v.env_id, v.app_id, v.app, v.branch, v.kind,
                  v.environment_template, v.default_version,
                  v.specific_version AS "specific_version!: i64", v.runtime, v.status,
                  v.expires_at, v.created_at,
                  e.services_ready AS "ready?: i64", e.services_total AS "total?: i64",
                  d.stage AS "stage?: String",
                  (b.status = 'running') AS "building?: bool",
                  (SELECT s.name FROM deploy_step s
                    WHERE s.deploy_id = d.id AND s.finished_at IS NULL
                    ORDER BY s.step DESC LIMIT 1) AS "step?: String",
                  (SELECT COUNT(*) FROM deploy_step s
                    WHERE s.deploy_id = d.id AND s.finished_at IS NOT NULL) AS "steps_done!: i64",
                  (SELECT COUNT(*) FROM deploy q
                    WHERE q.environment_id = v.id AND q.status = 'queued') AS "queued!: i64"
           FROM environment_view v
           JOIN environment e ON e.id = v.id
           LEFT JOIN deploy d ON d.environment_id = v.id AND d.status = 'running'
           LEFT JOIN build b ON b.id = d.build_id
           WHERE v.env_id = ?
           LIMIT 1"#,
        env_id
    )
    .fetch_optional(executor)
    .await?
    else {
        return Ok(None);
    };
    let activity = (row.stage.is_some() || row.queued > 0).then(|| crate::deploy::Activity {
        environment_id: row.id,
        stage: row
            .stage
            .as_deref()
            .and_then(stagecraft_engine::Stage::parse),
        building: row.building.unwrap_or(false),
        step: row.step,
        steps_done: row.steps_done,
        queued: row.queued,
    });
    let ready = row.ready.zip(row.total);
    let environment = Row {
        id: row.id,
        env_id: row.env_id,
        app_id: row.app_id,
        app: row.app,
        branch: row.branch,
        kind: row.kind,
        environment_template: row.environment_template,
        default_version: row.default_version,
        specific_version: row.specific_version,
        runtime: row.runtime,
        status: row.status,
        expires_at: row.expires_at,
        created_at: row.created_at,
    }
    .into_environment()?;
    Ok(Some((environment, activity, ready)))
}

pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<Environment>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id!: i64", env_id, app_id, app, branch, kind, environment_template, default_version,
                  specific_version AS "specific_version!: i64", runtime, status, expires_at, created_at
           FROM environment_view ORDER BY created_at, id"#
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(Row::into_environment).collect()
}

/// Moves the environment from `from` to `to`; `false` when it was no longer in `from` (another
/// process moved it first), so a caller never overwrites a change it did not see.
pub async fn set_status(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    from: EnvironmentStatus,
    to: EnvironmentStatus,
) -> Result<bool, StoreError> {
    let (from, to) = (from.as_str(), to.as_str());
    let done = sqlx::query!(
        "UPDATE environment SET status = ? WHERE id = ? AND status = ?",
        to,
        id,
        from
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the environment to expire `secs` seconds from now.
pub async fn expire_in(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    secs: i64,
) -> Result<(), StoreError> {
    let modifier = format!("{secs:+} seconds");
    sqlx::query!(
        "UPDATE environment SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE id = ?",
        modifier,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Environments past their expiry that are not torn down (or being torn down): also those
/// that expired while Stagecraft was closed.
pub async fn expired(executor: impl SqliteExecutor<'_>) -> Result<Vec<String>, StoreError> {
    let ids = sqlx::query_scalar!(
        "SELECT env_id FROM environment
         WHERE expires_at IS NOT NULL
           AND expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
           AND status NOT IN ('torn_down', 'tearing_down')
         ORDER BY expires_at"
    )
    .fetch_all(executor)
    .await?;
    Ok(ids)
}

/// Creates the environment and its first configuration version together.
pub async fn create(
    pool: &sqlx::SqlitePool,
    new: &NewEnvironment<'_>,
    config_yaml: &str,
    variables_yaml: &str,
    parameters_json: &str,
) -> Result<i64, StoreError> {
    let mut tx = pool.begin().await?;
    let id = insert(&mut *tx, new).await.map_err(|error| {
        StoreError::conflict_or(error, || {
            format!("an environment `{}` exists already", new.env_id)
        })
    })?;
    insert_config(&mut *tx, id, config_yaml, variables_yaml).await?;
    if parameters_json != "{}" {
        // Its first version is the one with them: the environment starts with its values.
        sqlx::query!(
            "UPDATE environment_config SET parameters_json = ? WHERE environment_id = ?",
            parameters_json,
            id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The commit of its branch the environment's clock saw last.
pub async fn last_commit(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT last_commit FROM environment WHERE id = ?", id)
            .fetch_optional(executor)
            .await?
            .flatten(),
    )
}

/// Notes that the environment runs `commit` of its branch (a deploy built it): the clock
/// patches it for a newer one only.
pub async fn note_last_commit(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    commit: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE environment SET last_commit = ? WHERE id = ?",
        commit,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Records the commit of its branch the environment's clock saw last; `false` when another
/// process recorded `commit` first (it handles the new commit).
pub async fn set_last_commit(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    previous: Option<&str>,
    commit: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE environment SET last_commit = ? WHERE id = ? AND last_commit IS ?",
        commit,
        id,
        previous
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<Environment>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id!: i64", env_id, app_id, app, branch, kind, environment_template, default_version,
                  specific_version AS "specific_version!: i64", runtime, status, expires_at, created_at
           FROM environment_view WHERE id = ?"#,
        id
    )
    .fetch_optional(executor)
    .await?;
    row.map(Row::into_environment).transpose()
}

/// Records how many of the environment's services the runtime reports ready, of how many it
/// should run. Writes only a change, so a health round that saw the same thing commits nothing
/// (and wakes no change feed).
pub async fn note_services_ready(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    ready: i64,
    total: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE environment SET services_ready = ?, services_total = ?
         WHERE id = ? AND (services_ready IS NOT ? OR services_total IS NOT ?)",
        ready,
        total,
        id,
        ready,
        total
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Every environment's services as the last health round saw them:
/// `(environment id, ready, total)`, for those looked at.
pub async fn services_ready(
    executor: impl SqliteExecutor<'_>,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", services_ready AS "ready!: i64", services_total AS "total!: i64"
           FROM environment WHERE services_ready IS NOT NULL AND services_total IS NOT NULL"#
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| (r.id, r.ready, r.total))
    .collect())
}
