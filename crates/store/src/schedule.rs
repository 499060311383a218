//! The `pause_schedule` and `pause_schedule_state` tables: pausing schedules of apps and
//! environments, and what the clock did with them.

use sqlx::SqliteExecutor;

use crate::StoreError;

/// A schedule as stored: local times `HH:MM`, weekdays as bits (bit 0 Monday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    pub pause_at: Option<String>,
    pub resume_at: Option<String>,
    pub days: i64,
    /// When it was saved (RFC 3339, UTC): its times before then are not acted on.
    pub saved_at: String,
}

/// The schedule being saved (no time at all, for an environment: "none, whatever its app's").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSchedule<'a> {
    pub pause_at: Option<&'a str>,
    pub resume_at: Option<&'a str>,
    pub days: i64,
}

/// The app's default schedule.
pub async fn of_app(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
) -> Result<Option<ScheduleRow>, StoreError> {
    Ok(sqlx::query_as!(
        ScheduleRow,
        "SELECT pause_at, resume_at, days, saved_at FROM pause_schedule WHERE app_id = ?",
        app_id
    )
    .fetch_optional(executor)
    .await?)
}

/// The environment's own schedule (which may say "none").
pub async fn of_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<ScheduleRow>, StoreError> {
    Ok(sqlx::query_as!(
        ScheduleRow,
        "SELECT pause_at, resume_at, days, saved_at FROM pause_schedule WHERE environment_id = ?",
        environment_id
    )
    .fetch_optional(executor)
    .await?)
}

/// Saves the app's default schedule, or removes it (`None`).
pub async fn save_for_app(
    executor: impl SqliteExecutor<'_>,
    app_id: i64,
    schedule: Option<NewSchedule<'_>>,
) -> Result<(), StoreError> {
    match schedule {
        Some(s) => {
            sqlx::query!(
                "INSERT INTO pause_schedule (app_id, pause_at, resume_at, days)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (app_id) WHERE app_id IS NOT NULL DO UPDATE
                     SET pause_at = excluded.pause_at, resume_at = excluded.resume_at,
                         days = excluded.days,
                         saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                app_id,
                s.pause_at,
                s.resume_at,
                s.days
            )
            .execute(executor)
            .await?;
        }
        None => {
            sqlx::query!("DELETE FROM pause_schedule WHERE app_id = ?", app_id)
                .execute(executor)
                .await?;
        }
    }
    Ok(())
}

/// Saves the environment's own schedule, or removes it (`None`: its app's default applies).
pub async fn save_for_environment(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    schedule: Option<NewSchedule<'_>>,
) -> Result<(), StoreError> {
    match schedule {
        Some(s) => {
            sqlx::query!(
                "INSERT INTO pause_schedule (environment_id, pause_at, resume_at, days)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (environment_id) WHERE environment_id IS NOT NULL DO UPDATE
                     SET pause_at = excluded.pause_at, resume_at = excluded.resume_at,
                         days = excluded.days,
                         saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                environment_id,
                s.pause_at,
                s.resume_at,
                s.days
            )
            .execute(executor)
            .await?;
        }
        None => {
            sqlx::query!(
                "DELETE FROM pause_schedule WHERE environment_id = ?",
                environment_id
            )
            .execute(executor)
            .await?;
        }
    }
    Ok(())
}

/// What the clock did with an environment's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleState {
    /// The schedule's times up to here were acted on (RFC 3339, UTC).
    pub checked_until: String,
    /// The pause the schedule queued, while it is the one that holds.
    pub paused_by: Option<i64>,
}

pub async fn state(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
) -> Result<Option<ScheduleState>, StoreError> {
    Ok(sqlx::query_as!(
        ScheduleState,
        "SELECT checked_until, paused_by FROM pause_schedule_state WHERE environment_id = ?",
        environment_id
    )
    .fetch_optional(executor)
    .await?)
}

pub async fn record_state(
    executor: impl SqliteExecutor<'_>,
    environment_id: i64,
    state: &ScheduleState,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO pause_schedule_state (environment_id, checked_until, paused_by)
         VALUES (?, ?, ?)
         ON CONFLICT (environment_id) DO UPDATE
             SET checked_until = excluded.checked_until, paused_by = excluded.paused_by",
        environment_id,
        state.checked_until,
        state.paused_by
    )
    .execute(executor)
    .await?;
    Ok(())
}
