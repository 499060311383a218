//! The `build` and `build_image` tables.

use std::collections::HashMap;

use sqlx::SqliteExecutor;
use stagecraft_engine::{BuildStepTiming, Layer, PreviousImage, ServiceBuild};

use crate::StoreError;

/// A build as kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildRow {
    pub id: i64,
    pub app_id: i64,
    pub git_commit: Option<String>,
    pub trigger: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The environment whose deploy made it (none for `stagecraft builds create`).
    pub environment: Option<String>,
    /// That environment's branch.
    pub branch: Option<String>,
}

/// One service's image in a build, as kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageRow {
    pub service: String,
    pub tag: String,
    pub inputs_digest: Option<String>,
    pub image_id: Option<String>,
    pub size_bytes: Option<i64>,
    pub layers: Vec<Layer>,
    pub steps: Vec<BuildStepTiming>,
    pub cache_hits: i64,
    pub outcome: String,
    pub reused_from_build: Option<i64>,
    pub detail: Option<String>,
}

/// Starts a build run by the process `holder` names.
pub async fn start(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    git_commit: Option<&str>,
    trigger: &str,
    holder: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO build (app_id, git_commit, trigger, status, holder) VALUES (?, ?, ?, 'running', ?) RETURNING id AS "id!: i64""#,
        app_id,
        git_commit,
        trigger,
        holder
    )
    .fetch_one(executor)
    .await?)
}

/// Builds marked running, and the process that runs each (none for a build started before
/// processes were recorded): `(id, holder)`.
pub async fn running(
    executor: impl SqliteExecutor<'_>,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", holder FROM build WHERE status = 'running' ORDER BY id"#
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| (r.id, r.holder))
    .collect())
}

/// Ends a build its process left running: failed, now. `false` when it had ended already.
pub async fn interrupt(executor: impl SqliteExecutor<'_>, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE build SET status = 'failed', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ? AND status = 'running'",
        id
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the build's images and its end, in one transaction.
pub async fn finish(
    pool: &sqlx::SqlitePool,
    build_id: i64,
    images: &[(String, String, ServiceBuild)],
) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut failed = false;
    for (service, tag, outcome) in images {
        let (digest, image_id, size, layers, steps, hits, kind, from, detail, kept_tag) =
            match outcome {
                ServiceBuild::Built { image, digest } => (
                    Some(digest.clone()),
                    Some(image.image_id.clone()),
                    i64::try_from(image.size_bytes).ok(),
                    serde_json::to_string(&image.layers).unwrap_or_else(|_| "[]".into()),
                    serde_json::to_string(&image.steps).unwrap_or_else(|_| "[]".into()),
                    i64::try_from(image.steps.iter().filter(|s| s.cached).count()).unwrap_or(0),
                    "built",
                    None,
                    None,
                    tag.clone(),
                ),
                ServiceBuild::Reused { previous, reason } => (
                    Some(previous.digest.clone()),
                    None,
                    None,
                    "[]".into(),
                    "[]".into(),
                    0,
                    "reused",
                    Some(previous.build),
                    Some(reason.clone()),
                    previous.tag.clone(),
                ),
                ServiceBuild::Failed { error } => {
                    failed = true;
                    (
                        None,
                        None,
                        None,
                        "[]".into(),
                        "[]".into(),
                        0,
                        "failed",
                        None,
                        Some(error.clone()),
                        tag.clone(),
                    )
                }
                ServiceBuild::Cancelled => {
                    failed = true;
                    (
                        None,
                        None,
                        None,
                        "[]".into(),
                        "[]".into(),
                        0,
                        "cancelled",
                        None,
                        None,
                        tag.clone(),
                    )
                }
            };
        sqlx::query!(
            "INSERT INTO build_image (build_id, service, tag, inputs_digest, image_id, size_bytes, layers_json, steps_json,
                                      cache_hits, outcome, reused_from_build, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            build_id,
            service,
            kept_tag,
            digest,
            image_id,
            size,
            layers,
            steps,
            hits,
            kind,
            from,
            detail
        )
        .execute(&mut *tx)
        .await?;
    }
    let status = if failed { "failed" } else { "succeeded" };
    sqlx::query!(
        "UPDATE build SET status = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
        status,
        build_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many earlier images of one service a build considers reusing (one per inputs digest,
/// newest first): enough for the branches of several environments of one app.
pub const REUSE_CANDIDATES: usize = 16;

/// Each service's earlier images of the app that were built or reused, newest first, one per
/// inputs digest and at most [`REUSE_CANDIDATES`]: what the next build compares its inputs
/// with, so environments on different branches each find their own.
pub async fn reusable_images(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<HashMap<String, Vec<PreviousImage>>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT service AS "service!: String", tag AS "tag!: String", digest AS "digest!: String",
                  build AS "build!: i64"
           FROM (SELECT i.service, i.tag, i.inputs_digest AS digest, i.build_id AS made_in,
                        COALESCE(i.reused_from_build, i.build_id) AS build,
                        ROW_NUMBER() OVER (PARTITION BY i.service, i.inputs_digest ORDER BY i.build_id DESC) AS nth
                 FROM build_image i JOIN build b ON b.id = i.build_id
                 WHERE b.app_id = ? AND i.outcome IN ('built', 'reused') AND i.inputs_digest IS NOT NULL)
           WHERE nth = 1
           ORDER BY made_in DESC"#,
        app_id
    )
    .fetch_all(executor)
    .await?;
    let mut out: HashMap<String, Vec<PreviousImage>> = HashMap::new();
    for row in rows {
        let candidates = out.entry(row.service).or_default();
        if candidates.len() < REUSE_CANDIDATES {
            candidates.push(PreviousImage {
                build: row.build,
                tag: row.tag,
                digest: row.digest,
            });
        }
    }
    Ok(out)
}

pub async fn by_id(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<BuildRow>, StoreError> {
    Ok(sqlx::query_as!(
        BuildRow,
        r#"SELECT b.id, b.app_id, b.git_commit, b.trigger, b.status, b.started_at, b.finished_at,
                  e.env_id AS "environment?", e.branch AS "branch?"
           FROM build b
           LEFT JOIN deploy d ON d.id = (SELECT MIN(id) FROM deploy WHERE build_id = b.id AND rollback = 0 AND stage IN ('setup', 'patch'))
           LEFT JOIN environment e ON e.id = d.environment_id
           WHERE b.id = ?"#,
        id
    )
    .fetch_optional(executor)
    .await?)
}

/// The app's builds, newest first, each with the environment whose deploy made it.
pub async fn for_app(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<Vec<BuildRow>, StoreError> {
    Ok(sqlx::query_as!(
        BuildRow,
        r#"SELECT b.id, b.app_id, b.git_commit, b.trigger, b.status, b.started_at, b.finished_at,
                  e.env_id AS "environment?", e.branch AS "branch?"
           FROM build b
           LEFT JOIN deploy d ON d.id = (SELECT MIN(id) FROM deploy WHERE build_id = b.id AND rollback = 0 AND stage IN ('setup', 'patch'))
           LEFT JOIN environment e ON e.id = d.environment_id
           WHERE b.app_id = ? ORDER BY b.id DESC"#,
        app_id
    )
    .fetch_all(executor)
    .await?)
}

/// A build's images, by service name.
pub async fn images(
    executor: impl SqliteExecutor<'_>,
    build_id: i64,
) -> Result<Vec<ImageRow>, StoreError> {
    let rows = sqlx::query!(
        "SELECT service, tag, inputs_digest, image_id, size_bytes, layers_json, steps_json, cache_hits, outcome,
                reused_from_build, detail
         FROM build_image WHERE build_id = ? ORDER BY service",
        build_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ImageRow {
            service: r.service,
            tag: r.tag,
            inputs_digest: r.inputs_digest,
            image_id: r.image_id,
            size_bytes: r.size_bytes,
            layers: serde_json::from_str(&r.layers_json).unwrap_or_default(),
            steps: serde_json::from_str(&r.steps_json).unwrap_or_default(),
            cache_hits: r.cache_hits,
            outcome: r.outcome,
            reused_from_build: r.reused_from_build,
            detail: r.detail,
        })
        .collect())
}

/// Every image tag the app's builds made (not the ones they reused), oldest first.
pub async fn built_tags(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar!(
        r#"SELECT i.tag AS "tag!: String" FROM build_image i JOIN build b ON b.id = i.build_id
           WHERE b.app_id = ? AND i.outcome = 'built' ORDER BY b.id, i.service"#,
        app_id
    )
    .fetch_all(executor)
    .await
    .map_err(StoreError::from)
}
