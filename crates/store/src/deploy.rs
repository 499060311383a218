//! The `deploy` and `deploy_event` tables.

use sqlx::SqliteExecutor;

use crate::StoreError;

pub use crate::queue::{ToQueue, enqueue, queued_of_stage, rejoin};
use stagecraft_engine::{Deploy, DeployEvent, DeployOutcome, DeployStatus, Stage};

/// One stored event: its number within the deploy, when (RFC 3339, UTC), and the event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: String,
    pub event: DeployEvent,
}

/// An event as its row keeps it: JSON with a `type` tag.
fn to_json(event: &DeployEvent) -> Result<String, StoreError> {
    serde_json::to_string(event).map_err(|error| StoreError::UnknownValue {
        row: "deploy event".to_owned(),
        column: "event_json",
        value: error.to_string(),
    })
}

/// A row read back. One this Stagecraft cannot read (written by a newer one, with an event it
/// does not know) is left out with a warning: its deploy's other events still tell the story.
fn from_row(deploy_id: i64, seq: i64, at: String, json: &str) -> Option<StoredEvent> {
    match serde_json::from_str(json) {
        Ok(event) => Some(StoredEvent { seq, at, event }),
        Err(error) => {
            tracing::warn!(deploy_id, seq, %error, "an event this Stagecraft cannot read is left out");
            None
        }
    }
}

pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    stage: Stage,
    reason: &str,
    config_version: Option<i64>,
) -> Result<i64, StoreError> {
    insert_with_build(
        executor,
        environment_id,
        stage,
        reason,
        config_version,
        None,
        None,
    )
    .await
}

/// Queues a deploy that runs the images of the earlier build `build_id` (a rollback), or
/// builds its own when `None`; a [`Stage::Workflow`] or [`Stage::Cron`] deploy names its
/// `target`.
pub async fn insert_with_build(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    stage: Stage,
    reason: &str,
    config_version: Option<i64>,
    build_id: Option<i64>,
    target: Option<&str>,
) -> Result<i64, StoreError> {
    let (stage, status) = (stage.as_str(), DeployStatus::Queued.as_str());
    let rollback = build_id.is_some();
    Ok(sqlx::query_scalar!(
        "INSERT INTO deploy (environment_id, stage, reason, status, config_version, build_id, rollback, target)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS \"id!: i64\"",
        environment_id,
        stage,
        reason,
        status,
        config_version,
        build_id,
        rollback,
        target,
    )
    .fetch_one(executor)
    .await?)
}

/// Keeps a deploy that failed before it could run (the Release files it would deploy do not
/// validate): it is never queued, so no runner can pick it up.
pub async fn insert_refused(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    stage: Stage,
    reason: &str,
    config_version: Option<i64>,
    outcome: &DeployOutcome,
) -> Result<i64, StoreError> {
    let (stage, status) = (stage.as_str(), DeployStatus::Failed.as_str());
    let outcome_json = serde_json::to_string(outcome).ok();
    Ok(sqlx::query_scalar!(
        "INSERT INTO deploy (environment_id, stage, reason, status, config_version, outcome_json, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         RETURNING id AS \"id!: i64\"",
        environment_id,
        stage,
        reason,
        status,
        config_version,
        outcome_json,
    )
    .fetch_one(executor)
    .await?)
}

/// Moves a deploy to `to` when it is in `from`; `false` when it was not.
pub async fn set_status(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    from: DeployStatus,
    to: DeployStatus,
    outcome: Option<&DeployOutcome>,
) -> Result<bool, StoreError> {
    let (from, to) = (from.as_str(), to.as_str());
    let outcome_json = outcome.and_then(|o| serde_json::to_string(o).ok());
    let done = sqlx::query!(
        r#"UPDATE deploy SET status = ?1,
               started_at = CASE WHEN ?1 = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE started_at END,
               finished_at = CASE WHEN ?1 IN ('succeeded', 'failed', 'cancelled', 'interrupted') THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE finished_at END,
               outcome_json = COALESCE(?4, outcome_json)
           WHERE id = ?2 AND status = ?3"#,
        to,
        id,
        from,
        outcome_json,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Appends an event and returns its `seq`: one more than the deploy's last, in one statement,
/// so two writers can never give two events the same number.
pub async fn append_event(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
    event: &DeployEvent,
) -> Result<i64, StoreError> {
    let event_json = to_json(event)?;
    sqlx::query_scalar!(
        r#"INSERT INTO deploy_event (deploy_id, seq, at, event_json)
           VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM deploy_event WHERE deploy_id = ?1),
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2)
           RETURNING seq AS "seq!: i64""#,
        deploy_id,
        event_json,
    )
    .fetch_one(executor)
    .await
    .map_err(StoreError::from)
}

/// The deploy's events after `after_seq`, in order.
pub async fn events_after(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
    after_seq: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = sqlx::query!(
        "SELECT seq, at, event_json FROM deploy_event WHERE deploy_id = ? AND seq > ? ORDER BY seq",
        deploy_id,
        after_seq
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| from_row(deploy_id, r.seq, r.at, &r.event_json))
        .collect())
}

pub(crate) struct Row {
    pub(crate) id: i64,
    pub(crate) environment_id: i64,
    pub(crate) stage: String,
    pub(crate) reason: String,
    pub(crate) status: String,
    pub(crate) config_version: Option<i64>,
    pub(crate) build_id: Option<i64>,
    pub(crate) queued_at: String,
    pub(crate) started_at: Option<String>,
    pub(crate) finished_at: Option<String>,
    pub(crate) rollback: bool,
    pub(crate) outcome_json: Option<String>,
    pub(crate) target: Option<String>,
}

impl Row {
    /// `None` for a row with a stage or status this build does not know.
    pub(crate) fn into_deploy(self) -> Option<Deploy> {
        Some(Deploy {
            id: self.id,
            environment_id: self.environment_id,
            stage: Stage::parse(&self.stage)?,
            reason: self.reason,
            status: DeployStatus::parse(&self.status)?,
            config_version: self.config_version,
            build_id: self.build_id,
            queued_at: self.queued_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            rollback: self.rollback,
            target: self.target,
            // An outcome this build cannot read is left out, as an unreadable event is.
            outcome: self
                .outcome_json
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok()),
        })
    }
}

/// The environment's deploys, oldest first. Rows this build cannot read are left out.
pub async fn for_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Vec<Deploy>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE environment_id = ? ORDER BY id",
        environment_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().filter_map(Row::into_deploy).collect())
}

/// Deploys left running by a process that stopped: on start, they become interrupted.
pub async fn running(executor: impl SqliteExecutor<'_>) -> Result<Vec<Deploy>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE status = 'running' ORDER BY id"
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().filter_map(Row::into_deploy).collect())
}

/// The oldest deploy of the environment still waiting to run.
pub async fn next_queued(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<Deploy>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE environment_id = ? AND status = 'queued' ORDER BY id LIMIT 1",
        environment_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(Row::into_deploy))
}

/// The configuration version of the environment's last successful setup, if any.
pub async fn last_setup_version(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<i64>, StoreError> {
    let version = sqlx::query_scalar!(
        "SELECT config_version FROM deploy
         WHERE environment_id = ? AND stage = 'setup' AND status = 'succeeded'
         ORDER BY id DESC LIMIT 1",
        environment_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(version.flatten())
}

pub async fn by_id(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<Deploy>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy WHERE id = ?",
        id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(Row::into_deploy))
}

/// Deploys marked running whose environment's lease is gone, expired or another deploy's:
/// their process died. A deploy whose holder still renews its lease is left alone, so a CLI
/// that starts while the app deploys does not interrupt it.
pub async fn orphaned(executor: impl SqliteExecutor<'_>) -> Result<Vec<Deploy>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT d.id AS "id!: i64", d.environment_id, d.stage, d.reason, d.status, d.config_version, d.build_id,
                  d.queued_at, d.started_at, d.finished_at, d.rollback AS "rollback: bool", d.outcome_json, d.target
           FROM deploy d LEFT JOIN environment_lease l ON l.environment_id = d.environment_id
           WHERE d.status = 'running'
             AND (l.environment_id IS NULL
                  OR l.deploy_id != d.id
                  OR l.expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
           ORDER BY d.id"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().filter_map(Row::into_deploy).collect())
}

/// Appends events in order and returns them as stored, with their `seq` and time: one
/// transaction, taken for writing from its start so no other writer can number the same
/// `seq`, and multi-row inserts, so a burst of events costs one commit.
pub async fn append_events(
    pool: &sqlx::SqlitePool,
    deploy_id: i64,
    events: &[DeployEvent],
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let stored = insert_events(&mut tx, deploy_id, events).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn insert_events(
    tx: &mut sqlx::SqliteConnection,
    deploy_id: i64,
    events: &[DeployEvent],
) -> Result<Vec<StoredEvent>, StoreError> {
    let json = events.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
    let last = sqlx::query_scalar!(
        r#"SELECT COALESCE(MAX(seq), 0) AS "seq!: i64" FROM deploy_event WHERE deploy_id = ?"#,
        deploy_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let at = crate::now(tx).await?;
    let mut seq = last;
    for chunk in json.chunks(crate::ROWS_PER_INSERT) {
        let mut insert =
            sqlx::QueryBuilder::new("INSERT INTO deploy_event (deploy_id, seq, at, event_json) ");
        insert.push_values(chunk, |mut row, json| {
            seq += 1;
            row.push_bind(deploy_id)
                .push_bind(seq)
                .push_bind(at.as_str())
                .push_bind(json.as_str());
        });
        insert.build().execute(&mut *tx).await?;
    }
    Ok(events
        .iter()
        .zip(last + 1..)
        .map(|(event, seq)| StoredEvent {
            seq,
            at: at.clone(),
            event: event.clone(),
        })
        .collect())
}

/// Stores a deploy's events as [`append_events`] does, and in the same transaction brings its
/// steps and tasks up to date, so the timeline is never behind the events.
pub async fn record_events(
    pool: &sqlx::SqlitePool,
    deploy_id: i64,
    events: &[stagecraft_engine::DeployEvent],
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let stored = insert_events(&mut tx, deploy_id, events).await?;
    if let Some(first) = stored.first() {
        crate::timeline::apply(&mut tx, deploy_id, &first.at, events).await?;
    }
    tx.commit().await?;
    Ok(stored)
}

/// The environment's last successful setup or patch: what it runs (its configuration
/// version, its build).
pub async fn last_deployed(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<Deploy>, StoreError> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, environment_id, stage, reason, status, config_version, build_id, queued_at, started_at, finished_at,
                rollback AS \"rollback: bool\", outcome_json, target
         FROM deploy
         WHERE environment_id = ? AND status = 'succeeded' AND stage IN ('setup', 'patch')
         ORDER BY id DESC LIMIT 1",
        environment_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.and_then(Row::into_deploy))
}

/// When the environment's last successful setup ended: where its cron jobs' schedules start.
pub async fn last_setup_finished(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<String>, StoreError> {
    let at = sqlx::query_scalar!(
        "SELECT finished_at FROM deploy
         WHERE environment_id = ? AND stage = 'setup' AND status = 'succeeded'
         ORDER BY id DESC LIMIT 1",
        environment_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(at.flatten())
}

/// Records the configuration version the deploy runs, once it starts (a custom workflow or a
/// cron run takes the one the environment then runs).
pub async fn set_config_version(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
    version: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE deploy SET config_version = ? WHERE id = ?",
        version,
        deploy_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Records the build whose images the deploy runs.
pub async fn set_build(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
    build_id: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE deploy SET build_id = ? WHERE id = ?",
        build_id,
        deploy_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Makes the deploy build from the repository's working tree (`true`) or from its branch's
/// commit (`false`, the default).
pub async fn set_working_tree(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    working_tree: bool,
) -> Result<(), StoreError> {
    let source = if working_tree {
        "working_tree"
    } else {
        "commit"
    };
    sqlx::query!(
        "UPDATE deploy SET build_source = ? WHERE id = ?",
        source,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether the deploy builds from the working tree rather than its branch's commit.
/// Pins the commit the deploy builds (`None`: the branch's, when the build starts).
pub async fn set_build_commit(
    executor: impl SqliteExecutor<'_>,
    id: i64,
    commit: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE deploy SET build_commit = ? WHERE id = ?",
        commit,
        id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The commit the deploy builds, when one was pinned.
pub async fn build_commit(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT build_commit FROM deploy WHERE id = ?", id)
            .fetch_optional(executor)
            .await?
            .flatten(),
    )
}

pub async fn builds_working_tree(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<bool, StoreError> {
    let source = sqlx::query_scalar!("SELECT build_source FROM deploy WHERE id = ?", id)
        .fetch_optional(executor)
        .await?;
    Ok(source.as_deref() == Some("working_tree"))
}

/// What an environment is doing now: its running deploy (if any), where that deploy is, and
/// how many deploys wait behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Activity {
    pub environment_id: i64,
    /// The running deploy's stage; `None` when deploys only wait.
    pub stage: Option<stagecraft_engine::Stage>,
    /// The running deploy builds its images now.
    pub building: bool,
    /// The step it runs now (the last one started and not finished).
    pub step: Option<String>,
    pub steps_done: i64,
    pub queued: i64,
}

/// Every environment with a deploy running or queued.
pub async fn activity(pool: &sqlx::SqlitePool) -> Result<Vec<Activity>, StoreError> {
    let running = sqlx::query!(
        r#"SELECT d.environment_id AS "environment_id!: i64", d.stage,
                  (b.status = 'running') AS "building?: bool",
                  (SELECT s.name FROM deploy_step s
                    WHERE s.deploy_id = d.id AND s.finished_at IS NULL
                    ORDER BY s.step DESC LIMIT 1) AS "step?: String",
                  (SELECT COUNT(*) FROM deploy_step s
                    WHERE s.deploy_id = d.id AND s.finished_at IS NOT NULL) AS "steps_done!: i64"
           FROM deploy d LEFT JOIN build b ON b.id = d.build_id
           WHERE d.status = 'running'"#
    )
    .fetch_all(pool)
    .await?;
    let queued = sqlx::query!(
        r#"SELECT environment_id AS "environment_id!: i64", COUNT(*) AS "queued!: i64"
           FROM deploy WHERE status = 'queued' GROUP BY environment_id"#
    )
    .fetch_all(pool)
    .await?;
    let mut activity: Vec<Activity> = running
        .into_iter()
        .map(|r| Activity {
            environment_id: r.environment_id,
            stage: stagecraft_engine::Stage::parse(&r.stage),
            building: r.building.unwrap_or(false),
            step: r.step,
            steps_done: r.steps_done,
            queued: 0,
        })
        .collect();
    for waiting in queued {
        match activity
            .iter_mut()
            .find(|a| a.environment_id == waiting.environment_id)
        {
            Some(found) => found.queued = waiting.queued,
            None => activity.push(Activity {
                environment_id: waiting.environment_id,
                stage: None,
                building: false,
                step: None,
                steps_done: 0,
                queued: waiting.queued,
            }),
        }
    }
    Ok(activity)
}

/// Asks the process running the deploy to cancel it; `false` when it is neither queued nor
/// running (it ended), or was asked already.
pub async fn request_cancel(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE deploy SET cancel_requested_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ? AND status IN ('queued', 'running') AND cancel_requested_at IS NULL",
        deploy_id
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether someone asked to cancel the deploy.
pub async fn cancel_requested(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query!(
        r#"SELECT cancel_requested_at IS NOT NULL AS "asked!: bool" FROM deploy WHERE id = ?"#,
        deploy_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.is_some_and(|r| r.asked))
}
