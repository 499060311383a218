//! Environment handles: pools of fixed names per app, each name held while an environment
//! that is not torn down has it as its id.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// A handle of an app's pool, and the environment holding it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleRow {
    pub pool: String,
    pub name: String,
    /// The `env_id` of the environment holding it (the handle's own name), and its status;
    /// none when it is free.
    pub held_by: Option<String>,
}

/// Every handle of the app, by pool then name, with who holds each.
pub async fn list(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<Vec<HandleRow>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT h.pool, h.name,
                  (SELECT e.env_id FROM environment e
                   WHERE e.env_id = h.name AND e.status <> 'torn_down') AS "held_by?: String"
           FROM handle h WHERE h.app_id = ? ORDER BY h.pool, length(h.name), h.name"#,
        app_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HandleRow {
            pool: r.pool,
            name: r.name,
            held_by: r.held_by,
        })
        .collect())
}

/// Adds `names` to the app's `pool` (those it has already are kept as they are); gives how
/// many were new.
pub async fn add(
    pool: &sqlx::SqlitePool,
    app_id: i64,
    pool_name: &str,
    names: &[String],
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    let mut added = 0;
    for name in names {
        added += sqlx::query!(
            "INSERT INTO handle (app_id, pool, name) VALUES (?, ?, ?)
             ON CONFLICT (app_id, pool, name) DO NOTHING",
            app_id,
            pool_name,
            name
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(added)
}

/// Removes `names` from the app's `pool`, unless one is held: then nothing is removed and the
/// held ones are given back.
pub async fn remove(
    pool: &sqlx::SqlitePool,
    app_id: i64,
    pool_name: &str,
    names: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut held = Vec::new();
    for name in names {
        let holder = sqlx::query_scalar!(
            "SELECT env_id FROM environment WHERE env_id = ? AND status <> 'torn_down'",
            name
        )
        .fetch_optional(&mut *tx)
        .await?;
        if holder.is_some() {
            held.push(name.clone());
        }
    }
    if !held.is_empty() {
        return Ok(held);
    }
    for name in names {
        sqlx::query!(
            "DELETE FROM handle WHERE app_id = ? AND pool = ? AND name = ?",
            app_id,
            pool_name,
            name
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Vec::new())
}

/// Whether the app has a pool named `pool_name`.
pub async fn has_pool(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    pool_name: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM handle WHERE app_id = ? AND pool = ?) AS "has!: bool""#,
        app_id,
        pool_name
    )
    .fetch_one(executor)
    .await?)
}

/// A free handle of the app's pool (`wanted`: that one, when free), its name freed for a new
/// environment: a torn-down environment that had it as its id keeps its history under
/// `<name>~<its number>`, its logs with it. `None` when none is free.
pub async fn check_out(
    pool: &sqlx::SqlitePool,
    app_id: i64,
    pool_name: &str,
    wanted: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let free = sqlx::query_scalar!(
        "SELECT h.name FROM handle h
         WHERE h.app_id = ?1 AND h.pool = ?2 AND (?3 IS NULL OR h.name = ?3)
           AND NOT EXISTS (SELECT 1 FROM environment e
                           WHERE e.env_id = h.name AND e.status <> 'torn_down')
         ORDER BY length(h.name), h.name LIMIT 1",
        app_id,
        pool_name,
        wanted
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = free else {
        return Ok(None);
    };
    let before = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM environment WHERE env_id = ? AND status = 'torn_down'"#,
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = before {
        // Its logs are kept by `<env_id>/...`: moved to the new id, lines and all.
        let renamed = format!("{name}~{id}");
        let prefix = format!("{name}/");
        sqlx::query!(
            "INSERT INTO log_resource (resource, environment_id, kept, dropped, followed_until_ns)
             SELECT ?1 || substr(resource, length(?2) + 1), environment_id, kept, dropped,
                    followed_until_ns
             FROM log_resource
             WHERE environment_id = ?3 AND substr(resource, 1, length(?4)) = ?4",
            renamed,
            name,
            id,
            prefix
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE log_line SET resource = ?1 || substr(resource, length(?2) + 1)
             WHERE resource IN (SELECT resource FROM log_resource
                                WHERE environment_id = ?3 AND substr(resource, 1, length(?4)) = ?4)",
            renamed,
            name,
            id,
            prefix
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "DELETE FROM log_resource
             WHERE environment_id = ?1 AND substr(resource, 1, length(?2)) = ?2",
            id,
            prefix
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE environment SET env_id = ? WHERE id = ?",
            renamed,
            id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Some(name))
}
