//! The `deploy_step` and `deploy_task` tables: each deploy's steps and tasks as its events
//! describe them, and the timeline read from them.
//!
//! `deploy::record_events` keeps them current in the same transaction as the events: a batch's
//! changes to a task are folded into its last state and written in one statement for all tasks,
//! so a task that waited a hundred times costs one row update. The timeline reads the deploys
//! (its lanes) and opens one deploy at a time into its steps and tasks.

use sqlx::SqliteExecutor;
use stagecraft_engine::{DeployEvent, StepOutcome, TaskOutcome};

use crate::StoreError;

/// A step of a deploy on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepRow {
    pub deploy_id: i64,
    pub step: i64,
    pub name: String,
    pub wait_for_finish: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
}

/// A task of a step on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskRow {
    pub deploy_id: i64,
    pub step: i64,
    pub task: String,
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub wait_reason: Option<String>,
    pub detail: Option<String>,
    /// 1, or more when transient failures made the runner try it again.
    pub attempts: i64,
    /// The kind of runtime failure that failed it (`unreachable`, `conflict`, ...), when the
    /// runtime said.
    pub error_kind: Option<String>,
}

fn step_outcome(outcome: StepOutcome) -> &'static str {
    match outcome {
        StepOutcome::Succeeded => "succeeded",
        StepOutcome::SucceededWithFailures => "succeeded_with_failures",
        StepOutcome::Halted => "halted",
        StepOutcome::Cancelled => "cancelled",
    }
}

fn task_outcome(outcome: &TaskOutcome) -> (&'static str, Option<String>) {
    match outcome {
        TaskOutcome::Succeeded => ("succeeded", None),
        TaskOutcome::Failed { error, .. } => ("failed", Some(error.clone())),
        TaskOutcome::TimedOut { after_secs, .. } => {
            ("timed_out", Some(format!("timed out after {after_secs} s")))
        }
        TaskOutcome::Cancelled => ("cancelled", None),
        TaskOutcome::Skipped { reason } => ("skipped", Some(reason.clone())),
    }
}

/// Rows a multi-row statement takes: nine parameters a row stay below SQLite's 32766.
const ROWS_PER_STATEMENT: usize = 500;

/// What a batch of events did to one task: its last status, and what it learned.
#[derive(Debug, Default)]
struct TaskChange {
    status: &'static str,
    started: bool,
    finished: bool,
    wait_reason: Option<String>,
    detail: Option<String>,
    attempt: Option<u32>,
    error_kind: Option<&'static str>,
}

/// The change of the task `task` of `step` within a batch, made on first use.
fn entry<'a>(
    changes: &'a mut Vec<((i64, String), TaskChange)>,
    step: usize,
    task: &str,
) -> &'a mut TaskChange {
    let key = (i64::try_from(step).unwrap_or(i64::MAX), task.to_owned());
    let index = match changes.iter().position(|(k, _)| *k == key) {
        Some(index) => index,
        None => {
            changes.push((key, TaskChange::default()));
            changes.len() - 1
        }
    };
    &mut changes[index].1
}

/// Brings the deploy's steps and tasks up to date with a batch of events stored at `at`: new
/// steps and their tasks are inserted, then every task the batch touched is written once with
/// its last state, in one statement, so a task that waited a hundred times costs no more than
/// one that waited once.
pub(crate) async fn apply(
    executor: &mut sqlx::SqliteConnection,
    deploy_id: i64,
    at: &str,
    events: &[DeployEvent],
) -> Result<(), StoreError> {
    let mut changes: Vec<((i64, String), TaskChange)> = Vec::new();
    let mut new_steps = Vec::new();
    let mut new_tasks = Vec::new();
    let mut finished_steps = Vec::new();
    for event in events {
        match event {
            DeployEvent::StepStarted {
                step,
                name,
                tasks,
                wait_for_finish,
            } => {
                let step = i64::try_from(*step).unwrap_or(i64::MAX);
                new_steps.push((step, name.as_str(), *wait_for_finish));
                new_tasks.extend(tasks.iter().map(|task| (step, task.as_str())));
            }
            DeployEvent::TaskStarted { step, task, .. } => {
                let change = entry(&mut changes, *step, task);
                change.status = "running";
                change.started = true;
            }
            DeployEvent::TaskWaiting { step, task, reason } => {
                let change = entry(&mut changes, *step, task);
                change.status = "waiting";
                change.wait_reason = Some(reason.clone());
            }
            DeployEvent::TaskRetrying {
                step,
                task,
                attempt,
                of,
                error,
                retry_in_ms,
            } => {
                let change = entry(&mut changes, *step, task);
                change.status = "retrying";
                change.attempt = Some(*attempt);
                change.wait_reason = Some(format!(
                    "attempt {attempt} of {of} failed: {error}; trying again in {}",
                    seconds(*retry_in_ms)
                ));
            }
            DeployEvent::TaskAttemptStarted {
                step,
                task,
                attempt,
            } => {
                let change = entry(&mut changes, *step, task);
                change.status = "running";
                change.attempt = Some(*attempt);
            }
            DeployEvent::TaskFinished {
                step,
                task,
                outcome,
            } => {
                let change = entry(&mut changes, *step, task);
                let (status, detail) = task_outcome(outcome);
                change.status = status;
                change.finished = true;
                // An end without a detail of its own (a success) keeps what the task said
                // before it, in this batch too (a service switched to its new replica).
                if detail.is_some() {
                    change.detail = detail;
                }
                if let TaskOutcome::Failed {
                    kind: Some(kind), ..
                } = outcome
                {
                    change.error_kind = Some(kind.as_str());
                }
            }
            DeployEvent::ServiceSwitched {
                step, task, detail, ..
            } => {
                // Said on the task, running again after its waits; its end keeps the detail
                // (a success has none of its own).
                let change = entry(&mut changes, *step, task);
                change.status = "running";
                change.detail = Some(detail.clone());
            }
            DeployEvent::StepFinished { step, outcome } => {
                finished_steps.push((
                    i64::try_from(*step).unwrap_or(i64::MAX),
                    step_outcome(*outcome),
                ));
            }
            _ => {}
        }
    }
    // Rows first, so the changes below find the tasks a step of this same batch started.
    for chunk in new_steps.chunks(ROWS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT OR IGNORE INTO deploy_step (deploy_id, step, name, wait_for_finish, started_at) ",
        );
        insert.push_values(chunk, |mut row, (step, name, wait)| {
            row.push_bind(deploy_id)
                .push_bind(*step)
                .push_bind(*name)
                .push_bind(*wait)
                .push_bind(at);
        });
        insert.build().execute(&mut *executor).await?;
    }
    for chunk in new_tasks.chunks(ROWS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT OR IGNORE INTO deploy_task (deploy_id, step, task, status) ",
        );
        insert.push_values(chunk, |mut row, (step, task)| {
            row.push_bind(deploy_id)
                .push_bind(*step)
                .push_bind(*task)
                .push("'pending'");
        });
        insert.build().execute(&mut *executor).await?;
    }
    // Every task the batch touched, in one statement, with its last state.
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        let mut update = sqlx::QueryBuilder::new(
            "UPDATE deploy_task SET status = c.column3,
                 started_at = COALESCE(deploy_task.started_at, c.column4, c.column5),
                 finished_at = COALESCE(c.column5, deploy_task.finished_at),
                 wait_reason = COALESCE(c.column6, deploy_task.wait_reason),
                 detail = COALESCE(c.column7, deploy_task.detail),
                 attempts = COALESCE(c.column8, deploy_task.attempts),
                 error_kind = COALESCE(c.column9, deploy_task.error_kind)
             FROM (",
        );
        update.push_values(chunk, |mut row, ((step, task), change)| {
            row.push_bind(*step)
                .push_bind(task.as_str())
                .push_bind(change.status)
                .push_bind(change.started.then_some(at))
                // A task that finishes without a start of its own (skipped) starts as it ends.
                .push_bind(change.finished.then_some(at))
                .push_bind(change.wait_reason.as_deref())
                .push_bind(change.detail.as_deref())
                .push_bind(change.attempt)
                .push_bind(change.error_kind);
        });
        update.push(") AS c WHERE deploy_task.deploy_id = ");
        update.push_bind(deploy_id);
        update.push(" AND deploy_task.step = c.column1 AND deploy_task.task = c.column2");
        update.build().execute(&mut *executor).await?;
    }
    for (step, outcome) in finished_steps {
        sqlx::query!(
            "UPDATE deploy_step SET finished_at = ?, outcome = ? WHERE deploy_id = ? AND step = ?",
            at,
            outcome,
            deploy_id,
            step
        )
        .execute(&mut *executor)
        .await?;
    }
    Ok(())
}

/// "1 s", "500 ms": a wait as people say it.
fn seconds(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else {
        format!("{millis} ms")
    }
}

/// A deploy's steps, in order.
pub async fn steps(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
) -> Result<Vec<StepRow>, StoreError> {
    Ok(sqlx::query_as!(
        StepRow,
        r#"SELECT deploy_id, step, name, wait_for_finish AS "wait_for_finish: bool", started_at, finished_at, outcome
           FROM deploy_step WHERE deploy_id = ? ORDER BY step"#,
        deploy_id
    )
    .fetch_all(executor)
    .await?)
}

/// A deploy's tasks, in step and start order.
pub async fn tasks(
    executor: impl SqliteExecutor<'_>,
    deploy_id: i64,
) -> Result<Vec<TaskRow>, StoreError> {
    Ok(sqlx::query_as!(
        TaskRow,
        "SELECT deploy_id, step, task, status, started_at, finished_at, wait_reason, detail, attempts,
                error_kind
         FROM deploy_task WHERE deploy_id = ? ORDER BY step, started_at, task",
        deploy_id
    )
    .fetch_all(executor)
    .await?)
}
