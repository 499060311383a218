//! The `dataset` and `environment_dataset` tables: datasets, and the environments seeded from
//! them.

use sqlx::SqliteExecutor;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetRow {
    pub id: i64,
    pub name: String,
    pub app_id: i64,
    pub app: String,
    pub source_env_id: String,
    pub volumes_json: String,
    pub jobs_json: String,
    pub source_commit: Option<String>,
    pub bytes: i64,
    pub paused: bool,
    pub taken_at: String,
}

/// A dataset as taken.
#[derive(Debug, Clone, Copy)]
pub struct NewDataset<'a> {
    pub name: &'a str,
    pub app_id: i64,
    pub source_env_id: &'a str,
    pub volumes_json: &'a str,
    pub jobs_json: &'a str,
    pub source_commit: Option<&'a str>,
    pub bytes: i64,
    pub paused: bool,
}

/// Every dataset, by name.
pub async fn list(executor: impl SqliteExecutor<'_>) -> Result<Vec<DatasetRow>, StoreError> {
    Ok(sqlx::query_as!(
        DatasetRow,
        r#"SELECT d.id, d.name, d.app_id, a.name AS app, d.source_env_id, d.volumes_json,
                  d.jobs_json, d.source_commit, d.bytes, d.paused AS "paused: bool", d.taken_at
           FROM dataset d JOIN app a ON a.id = d.app_id ORDER BY d.name"#
    )
    .fetch_all(executor)
    .await?)
}

pub async fn by_name(
    executor: impl SqliteExecutor<'_>,
    name: &str,
) -> Result<Option<DatasetRow>, StoreError> {
    Ok(sqlx::query_as!(
        DatasetRow,
        r#"SELECT d.id, d.name, d.app_id, a.name AS app, d.source_env_id, d.volumes_json,
                  d.jobs_json, d.source_commit, d.bytes, d.paused AS "paused: bool", d.taken_at
           FROM dataset d JOIN app a ON a.id = d.app_id WHERE d.name = ?"#,
        name
    )
    .fetch_optional(executor)
    .await?)
}

/// Records a dataset; gives its id.
pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    dataset: &NewDataset<'_>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO dataset (name, app_id, source_env_id, volumes_json, jobs_json, source_commit,
                              bytes, paused)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS \"id!\"",
        dataset.name,
        dataset.app_id,
        dataset.source_env_id,
        dataset.volumes_json,
        dataset.jobs_json,
        dataset.source_commit,
        dataset.bytes,
        dataset.paused
    )
    .fetch_one(executor)
    .await?)
}

/// Takes the dataset anew: what it holds now, and when.
pub async fn update(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    dataset: &NewDataset<'_>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE dataset SET volumes_json = ?, jobs_json = ?, source_commit = ?, bytes = ?,
             paused = ?, taken_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?",
        dataset.volumes_json,
        dataset.jobs_json,
        dataset.source_commit,
        dataset.bytes,
        dataset.paused,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Removes the dataset's row; `false` when there was none of that name.
pub async fn delete(executor: impl SqliteExecutor<'_>, name: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query!("DELETE FROM dataset WHERE name = ?", name)
        .execute(executor)
        .await?
        .rows_affected()
        > 0)
}

/// Seeds the environment from the dataset `name`.
pub async fn attach(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO environment_dataset (environment_id, dataset) VALUES (?, ?)
         ON CONFLICT (environment_id) DO UPDATE SET dataset = excluded.dataset",
        environment_id,
        name
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The dataset the environment's volumes start from.
pub async fn of_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT dataset FROM environment_dataset WHERE environment_id = ?",
        environment_id
    )
    .fetch_optional(executor)
    .await?)
}

/// The environments seeded, or to be seeded, from the dataset `name`.
pub async fn environments_of(
    executor: impl SqliteExecutor<'_>,
    name: &str,
) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT environment_id FROM environment_dataset WHERE dataset = ? ORDER BY environment_id",
        name
    )
    .fetch_all(executor)
    .await?)
}
