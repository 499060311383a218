//! The environment's queue of deploys: a request queued, or joined to the same stage's deploy
//! that still waits, in one transaction, so requests at once from any number of processes
//! leave one waiting deploy of a stage.

use sqlx::SqliteExecutor;
use stagecraft_engine::{Deploy, Stage};

use crate::StoreError;
use crate::deploy::{Row, insert_with_build, set_build_commit, set_working_tree};

/// Makes a queued deploy the newer request's: its configuration version, reason, what it
/// builds. `false` when it is no longer queued (it started meanwhile): the request is then a
/// deploy of its own.
pub async fn rejoin(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    config_version: Option<i64>,
    reason: &str,
    working_tree: bool,
    build_commit: Option<&str>,
) -> Result<bool, StoreError> {
    let source = if working_tree {
        "working_tree"
    } else {
        "commit"
    };
    let done = sqlx::query!(
        "UPDATE deploy SET config_version = ?, reason = ?, build_source = ?, build_commit = ?
         WHERE id = ? AND status = 'queued'",
        config_version,
        reason,
        source,
        build_commit,
        id,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A queued deploy of `stage` (and of its `target`: the same custom workflow or cron job) a new
/// request can join instead of queueing another.
pub async fn queued_of_stage(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    stage: Stage,
    target: Option<&str>,
) -> Result<Option<Deploy>, StoreError> {
    let stage = stage.as_str();
    let row = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE environment_id = ? AND status = 'queued' AND stage = ? AND target IS ?
         ORDER BY id LIMIT 1",
        environment_id,
        stage,
        target
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(Row::into_deploy))
}

/// A deploy to queue.
#[derive(Debug, Clone)]
pub struct ToQueue<'a> {
    pub stage: Stage,
    pub reason: &'a str,
    pub config_version: Option<i64>,
    /// A rollback's build: its images run, nothing is built. A rollback never joins another.
    pub build_id: Option<i64>,
    pub working_tree: bool,
    pub build_commit: Option<&'a str>,
    /// The custom workflow or cron job a [`Stage::Workflow`] or [`Stage::Cron`] deploy runs.
    pub target: Option<&'a str>,
}

/// Queues a deploy, or joins the same stage's deploy that still waits (it takes the newer
/// configuration version, reason and what it builds), in one transaction: requests at once
/// leave at most one waiting deploy of a stage. Gives the deploy's id.
pub async fn enqueue(
    pool: &sqlx::SqlitePool,
    environment_id: i64,
    deploy: &ToQueue<'_>,
) -> Result<i64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    if deploy.build_id.is_none()
        && let Some(waiting) =
            queued_of_stage(&mut *tx, environment_id, deploy.stage, deploy.target).await?
        && rejoin(
            &mut *tx,
            waiting.id,
            deploy.config_version,
            deploy.reason,
            deploy.working_tree,
            deploy.build_commit,
        )
        .await?
    {
        tx.commit().await?;
        return Ok(waiting.id);
    }
    let id = insert_with_build(
        &mut *tx,
        environment_id,
        deploy.stage,
        deploy.reason,
        deploy.config_version,
        deploy.build_id,
        deploy.target,
    )
    .await?;
    set_working_tree(&mut *tx, id, deploy.working_tree).await?;
    set_build_commit(&mut *tx, id, deploy.build_commit).await?;
    tx.commit().await?;
    Ok(id)
}
