//! A deploy its process left running, ended in one transaction: the deploy `interrupted` with
//! its outcome, the event that says so, and its environment moved as the status table says
//! (`interrupted`, or `teardown_failed` for a teardown). One transaction, so a process that
//! takes the environment's lease next never finds the deploy ended and the environment still
//! `setting_up`.

use stagecraft_engine::{DeployEvent, DeployOutcome, EnvironmentEvent, EnvironmentStatus};

use crate::StoreError;
use crate::deploy::insert_events;

/// Ends the running deploy `deploy_id` as interrupted, for `reason`; `false` when it was not
/// running any more (another process ended it first).
pub async fn interrupt(
    pool: &sqlx::SqlitePool,
    deploy_id: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let outcome = serde_json::to_string(&DeployOutcome::Interrupted {
        reason: reason.to_owned(),
    })
    .map_err(|error| StoreError::UnknownValue {
        row: "deploy".to_owned(),
        column: "outcome_json",
        value: error.to_string(),
    })?;
    let ended = sqlx::query!(
        "UPDATE deploy SET status = 'interrupted',
                finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), outcome_json = ?
         WHERE id = ? AND status = 'running'
         RETURNING environment_id",
        outcome,
        deploy_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(ended) = ended else {
        return Ok(false);
    };
    insert_events(
        &mut tx,
        deploy_id,
        &[DeployEvent::DeployInterrupted {
            reason: reason.to_owned(),
        }],
    )
    .await?;
    let status = sqlx::query_scalar!(
        "SELECT status FROM environment WHERE id = ?",
        ended.environment_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(from) = status.as_deref().and_then(EnvironmentStatus::parse)
        && let Ok(to) = from.on(EnvironmentEvent::Interrupted)
    {
        crate::environment::set_status(&mut *tx, ended.environment_id, from, to).await?;
    }
    tx.commit().await?;
    Ok(true)
}
