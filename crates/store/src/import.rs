//! The branch chosen for each app an environment imports, kept from the first time the
//! environment reads the import: Release chooses it when the environment is made.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// An imported app's branch for one environment, and the rule of Release's order that chose
/// it: `template` (the import's `branch`), `matching` (a branch named like the environment's),
/// `tracking` (the imported app's `tracking_branch` or `tracking_tag`), `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub app_name: String,
    pub branch: String,
    pub rule: String,
}

/// The branches chosen for the environment's imports, by app name.
pub async fn for_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<ImportRow>, StoreError> {
    Ok(sqlx::query_as!(
        ImportRow,
        "SELECT app_name, branch, rule FROM environment_import
         WHERE environment_id = ? ORDER BY app_name",
        environment_id
    )
    .fetch_all(executor)
    .await?)
}

/// Keeps `branch` for the environment's import of `app_name`, unless one was kept first (two
/// readers at once keep one); gives the one kept.
pub async fn choose(
    pool: &sqlx::SqlitePool,
    environment_id: i64,
    row: &ImportRow,
) -> Result<ImportRow, StoreError> {
    sqlx::query!(
        "INSERT INTO environment_import (environment_id, app_name, branch, rule)
         VALUES (?, ?, ?, ?) ON CONFLICT (environment_id, app_name) DO NOTHING",
        environment_id,
        row.app_name,
        row.branch,
        row.rule,
    )
    .execute(pool)
    .await?;
    Ok(sqlx::query_as!(
        ImportRow,
        "SELECT app_name, branch, rule FROM environment_import
         WHERE environment_id = ? AND app_name = ?",
        environment_id,
        row.app_name
    )
    .fetch_one(pool)
    .await?)
}

/// Keeps the digest of each imported app's configuration (`(app name, digest)`) a setup
/// deploy runs with.
pub async fn record_setup(
    pool: &sqlx::SqlitePool,
    deploy_id: i64,
    digests: &[(String, String)],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for (app_name, digest) in digests {
        sqlx::query!(
            "INSERT INTO deploy_import (deploy_id, app_name, digest) VALUES (?, ?, ?)
             ON CONFLICT (deploy_id, app_name) DO UPDATE SET digest = excluded.digest",
            deploy_id,
            app_name,
            digest,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The digests the environment's last successful setup ran its imported apps with, by app
/// name; empty when it was never set up (or imported nothing then).
pub async fn last_setup_digests(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query!(
        "SELECT app_name, digest FROM deploy_import
         WHERE deploy_id = (SELECT id FROM deploy
                            WHERE environment_id = ? AND stage = 'setup' AND status = 'succeeded'
                            ORDER BY id DESC LIMIT 1)
         ORDER BY app_name",
        environment_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.app_name, r.digest)).collect())
}

/// Forgets the branch kept for the environment's import of `app_name`: the import's `branch`
/// changed, and the next read chooses again.
pub async fn forget(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    app_name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "DELETE FROM environment_import WHERE environment_id = ? AND app_name = ?",
        environment_id,
        app_name
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// An imported app's branch and commit (none: its working tree) as a build read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImport {
    pub app_name: String,
    pub branch: String,
    pub git_commit: Option<String>,
}

/// Keeps what each imported app was built from by `build_id`.
pub async fn record_build(
    pool: &sqlx::SqlitePool,
    build_id: i64,
    imports: &[BuiltImport],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for import in imports {
        sqlx::query!(
            "INSERT INTO build_import (build_id, app_name, branch, git_commit) VALUES (?, ?, ?, ?)
             ON CONFLICT (build_id, app_name) DO NOTHING",
            build_id,
            import.app_name,
            import.branch,
            import.git_commit,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What each imported app was built from by `build_id`.
pub async fn built(
    executor: impl SqliteExecutor<'_>,
    build_id: i64,
) -> Result<Vec<BuiltImport>, StoreError> {
    Ok(sqlx::query_as!(
        BuiltImport,
        "SELECT app_name, branch, git_commit FROM build_import WHERE build_id = ? ORDER BY app_name",
        build_id
    )
    .fetch_all(executor)
    .await?)
}
