//! The `environment` and `environment_config` tables.

use sqlx::SqliteExecutor;
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
    pub expires_at: Option<&'a str>,
}

/// One saved version of an environment's own configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentConfig {
    pub version: i64,
    pub config_yaml: String,
    pub variables_yaml: String,
    pub created_at: String,
}

/// A row whose text column holds a value this build does not know: the database was written
/// by another version, or edited by hand.
#[derive(Debug, thiserror::Error)]
#[error("the environment {env_id} has the unknown {column} `{value}`")]
pub struct UnknownValue {
    pub env_id: String,
    pub column: &'static str,
    pub value: String,
}

pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    new: &NewEnvironment<'_>,
) -> Result<i64, sqlx::Error> {
    let kind = new.kind.as_str();
    let status = EnvironmentStatus::Created.as_str();
    sqlx::query_scalar!(
        "INSERT INTO environment (env_id, app_id, branch, kind, environment_template, default_version, runtime, status, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS \"id!: i64\"",
        new.env_id,
        new.app_id,
        new.branch,
        kind,
        new.environment_template,
        new.default_version,
        new.runtime,
        status,
        new.expires_at,
    )
    .fetch_one(executor)
    .await
}

/// Saves a new version of the environment's own configuration and returns its number.
pub async fn insert_config(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    config_yaml: &str,
    variables_yaml: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO environment_config (environment_id, version, config_yaml, variables_yaml)
           VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM environment_config WHERE environment_id = ?1), ?2, ?3)
           RETURNING version AS "version!: i64""#,
        environment_id,
        config_yaml,
        variables_yaml,
    )
    .fetch_one(executor)
    .await
}

pub async fn config(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    version: i64,
) -> Result<Option<EnvironmentConfig>, sqlx::Error> {
    sqlx::query_as!(
        EnvironmentConfig,
        "SELECT version, config_yaml, variables_yaml, created_at FROM environment_config
         WHERE environment_id = ? AND version = ?",
        environment_id,
        version
    )
    .fetch_optional(executor)
    .await
}

/// Every saved version, newest first.
pub async fn config_history(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<EnvironmentConfig>, sqlx::Error> {
    sqlx::query_as!(
        EnvironmentConfig,
        "SELECT version, config_yaml, variables_yaml, created_at FROM environment_config
         WHERE environment_id = ? ORDER BY version DESC",
        environment_id
    )
    .fetch_all(executor)
    .await
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
    fn into_environment(self) -> Result<Environment, UnknownValue> {
        let unknown = |column, value: &str| UnknownValue {
            env_id: self.env_id.clone(),
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

/// Either the query failed or a row holds a value this build does not know.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Query(#[from] sqlx::Error),
    #[error(transparent)]
    Unknown(#[from] UnknownValue),
}

pub async fn by_env_id(
    executor: impl SqliteExecutor<'_>,
    env_id: &str,
) -> Result<Option<Environment>, ReadError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT e.id, e.env_id, e.app_id, a.name AS app, e.branch, e.kind, e.environment_template,
                  e.default_version,
                  (SELECT COALESCE(MAX(version), 0) FROM environment_config c WHERE c.environment_id = e.id) AS "specific_version!: i64",
                  e.runtime, e.status, e.expires_at, e.created_at
           FROM environment e JOIN app a ON a.id = e.app_id
           WHERE e.env_id = ?"#,
        env_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Row::into_environment).transpose()?)
}

pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<Environment>, ReadError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT e.id, e.env_id, e.app_id, a.name AS app, e.branch, e.kind, e.environment_template,
                  e.default_version,
                  (SELECT COALESCE(MAX(version), 0) FROM environment_config c WHERE c.environment_id = e.id) AS "specific_version!: i64",
                  e.runtime, e.status, e.expires_at, e.created_at
           FROM environment e JOIN app a ON a.id = e.app_id
           ORDER BY e.created_at, e.id"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(Row::into_environment)
        .collect::<Result<_, _>>()?)
}

/// Moves the environment from `from` to `to`; `false` when it was no longer in `from` (another
/// process moved it first), so a caller never overwrites a change it did not see.
pub async fn set_status(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    from: EnvironmentStatus,
    to: EnvironmentStatus,
) -> Result<bool, sqlx::Error> {
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

pub async fn set_expiry(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    expires_at: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE environment SET expires_at = ? WHERE id = ?",
        expires_at,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}
