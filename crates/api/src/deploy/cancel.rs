//! Cancel: the running deploy stops its stage, the queued ones end unrun; and a deploy refused
//! before it runs, kept with why.
//!
//! `Stagecraft::cancel` ends the environment's queued deploys `cancelled` unrun (each gets a
//! `stage_finished` event, so its followers end) and asks the running one to stop:
//! `deploy.cancel_requested_at` in the store, and at once the token of a deploy this process
//! runs. The process running a deploy looks for the store's mark every 250 ms (`run.rs`), so a
//! cancel from the command reaches the app's deploy (and the reverse) within a moment; the
//! token stops the build stage's builds and the runner's tasks (a job in the runtime is
//! stopped). A queued deploy that started meanwhile is cancelled as a running one.

use std::collections::HashMap;
use std::sync::Arc;

use stagecraft_engine::{Deploy, DeployEvent, DeployOutcome, DeployStatus, Environment, Stage};
use stagecraft_store::deploy;
use tokio_util::sync::CancellationToken;

use super::follow::LiveEvent;
use crate::{Error, Stagecraft};

/// The deploys this process runs, with the token that cancels each: a cancel asked for in
/// this process takes effect at once; one asked for by another process arrives through the
/// store within [`CANCEL_CHECK_EVERY`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Running(Arc<std::sync::Mutex<HashMap<i64, CancellationToken>>>);

impl Running {
    pub(super) fn insert(&self, deploy_id: i64, token: CancellationToken) {
        if let Ok(mut running) = self.0.lock() {
            running.insert(deploy_id, token);
        }
    }

    pub(super) fn remove(&self, deploy_id: i64) {
        if let Ok(mut running) = self.0.lock() {
            running.remove(&deploy_id);
        }
    }

    fn cancel(&self, deploy_id: i64) {
        if let Some(token) = self.0.lock().ok().and_then(|r| r.get(&deploy_id).cloned()) {
            token.cancel();
        }
    }
}

impl Stagecraft {
    /// Cancels what the environment has running and waiting: the running deploy stops its
    /// stage (running tasks are stopped, no further step starts; here at once, in another
    /// process within a moment) and ends `cancelled`; queued deploys end `cancelled` unrun.
    /// Gives the deploys it cancelled.
    pub async fn cancel(&self, env_id: &str) -> Result<Vec<Deploy>, Error> {
        let env = self.environment(env_id).await?;
        let pool = self.store.pool();
        let mut cancelled = Vec::new();
        // The queued ones first: once the running one stops, the next would start.
        let mut deploys = deploy::for_environment(pool, env.id).await?;
        deploys.sort_by_key(|d| d.status != DeployStatus::Queued);
        for d in deploys {
            match d.status {
                DeployStatus::Queued => {
                    let unrun = deploy::set_status(
                        pool,
                        d.id,
                        DeployStatus::Queued,
                        DeployStatus::Cancelled,
                        Some(&DeployOutcome::Cancelled),
                    )
                    .await?;
                    if unrun {
                        self.record_unrun_end(&d, &DeployOutcome::Cancelled, false)
                            .await?;
                    } else {
                        // It started meanwhile: cancel it as a running one.
                        deploy::request_cancel(pool, d.id).await?;
                        self.deploys.running.cancel(d.id);
                    }
                    cancelled.push(d.id);
                }
                DeployStatus::Running => {
                    deploy::request_cancel(pool, d.id).await?;
                    self.deploys.running.cancel(d.id);
                    cancelled.push(d.id);
                }
                _ => {}
            }
        }
        if cancelled.is_empty() {
            return Err(Error::Conflict {
                message: format!("nothing to cancel: no deploy of {env_id} runs or waits"),
            });
        }
        cancelled.sort_unstable();
        let mut deploys = Vec::with_capacity(cancelled.len());
        for id in cancelled {
            deploys.push(self.deploy_by_id(id).await?);
        }
        Ok(deploys)
    }

    /// Keeps a deploy of `stage` that fails before it runs, for `why`: inserted failed (never
    /// queued, so no runner picks it up), its lane shows that it began and why it ended; the
    /// environment stays as it was.
    pub(crate) async fn refuse(
        &self,
        env: &Environment,
        stage: Stage,
        reason: &str,
        why: &str,
    ) -> Result<Deploy, Error> {
        let outcome = DeployOutcome::Failed {
            reason: why.to_owned(),
            kind: None,
        };
        let id = deploy::insert_refused(
            self.store.pool(),
            env.id,
            stage,
            reason,
            Some(env.version.specific),
            &outcome,
        )
        .await?;
        let refused = self.deploy_by_id(id).await?;
        self.record_unrun_end(&refused, &outcome, true).await?;
        Ok(refused)
    }

    /// The events of a deploy that ended without running: its followers wait for an end, so it
    /// gets one (after a start, when the timeline should show it began and why it ended).
    pub(super) async fn record_unrun_end(
        &self,
        deploy: &Deploy,
        outcome: &DeployOutcome,
        with_start: bool,
    ) -> Result<(), Error> {
        let [started, finished] = ended_unrun(deploy, outcome);
        let events = if with_start {
            vec![started, finished]
        } else {
            vec![finished]
        };
        for event in deploy::record_events(self.store.pool(), deploy.id, &events).await? {
            let _ = self.deploys.live.send(LiveEvent {
                deploy_id: deploy.id,
                event,
            });
        }
        Ok(())
    }
}

/// The start and the end of a deploy that ends before its stage ran: how its timeline says it
/// began, and why it ended.
pub(super) fn ended_unrun(deploy: &Deploy, outcome: &DeployOutcome) -> [DeployEvent; 2] {
    [
        DeployEvent::StageStarted {
            stage: deploy.stage,
            reason: deploy.reason.clone(),
        },
        DeployEvent::StageFinished {
            stage: deploy.stage,
            outcome: outcome.clone(),
        },
    ]
}
