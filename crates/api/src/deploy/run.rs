//! One deploy run: the lease kept, a cancel from another process heard, the environment's and
//! the deploy's status moved, the stage run with its events stored in order (and the logs
//! kept as they tell), or why it could not start.
//!
//! While it runs, the environment's lease is renewed every third of its lifetime, and the
//! store's cancel mark is looked for every 250 ms (`cancel.rs`). Events go from the runner to
//! the store through a channel and a writer task, so the runner never waits on the database;
//! whatever piled up while a write ran is appended in one `BEGIN IMMEDIATE` transaction
//! (`stagecraft_store::deploy::record_events`), so two writers never share a `seq`, and the
//! same transaction keeps the deploy's `deploy_step` and `deploy_task` rows current. The
//! deploy's log keeper (`logs::DeployLogs`) hears each event before it is stored, so a job's
//! output is in the store before the event that says the job finished. Each stored event
//! reaches this process's followers through a broadcast (`follow.rs`).
//!
//! A deploy the environment refuses when its turn comes (a setup queued behind a teardown)
//! fails unrun with a `stage_started` and a `stage_finished` that says why, written before it
//! is marked failed, as a deploy that ran writes its events.

use std::sync::Arc;
use std::time::Duration;

use stagecraft_engine::{
    Deploy, DeployEvent, DeployOutcome, DeployStatus, Environment, EnvironmentEvent,
    EnvironmentStatus, EventSink, Runner, Stage,
};
use stagecraft_store::{deploy, environment, lease};
use tokio_util::sync::CancellationToken;

use super::follow::LiveEvent;
use crate::{Error, Stagecraft};

/// How often a running deploy looks in the store for a cancel another process asked for.
const CANCEL_CHECK_EVERY: Duration = Duration::from_millis(250);

impl Stagecraft {
    pub(super) async fn run_deploy(&self, env: &Environment, queued: &Deploy) -> Result<(), Error> {
        let renewer = {
            let store = self.store.clone();
            let holder = self.deploys.holder.clone();
            let environment_id = env.id;
            let ttl = self.lease_secs();
            let every = (self.settings.deploy_lease / 3).max(Duration::from_millis(100));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    if let Err(error) =
                        lease::renew(store.pool(), environment_id, &holder, ttl).await
                    {
                        tracing::warn!(%error, "could not renew the deploy lease");
                    }
                }
            })
        };
        let cancel = CancellationToken::new();
        self.deploys.running.insert(queued.id, cancel.clone());
        let watcher = {
            let store = self.store.clone();
            let cancel = cancel.clone();
            let deploy_id = queued.id;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(CANCEL_CHECK_EVERY);
                loop {
                    tick.tick().await;
                    if deploy::cancel_requested(store.pool(), deploy_id)
                        .await
                        .unwrap_or(false)
                    {
                        cancel.cancel();
                        return;
                    }
                }
            })
        };
        let result = self.execute(env, queued, &cancel).await;
        watcher.abort();
        self.deploys.running.remove(queued.id);
        renewer.abort();
        if let Err(error) = &result {
            tracing::error!(deploy = queued.id, %error, "the deploy could not run");
        }
        result.map(|_| ())
    }

    async fn execute(
        &self,
        env: &Environment,
        queued: &Deploy,
        cancel: &CancellationToken,
    ) -> Result<DeployOutcome, Error> {
        let pool = self.store.pool();
        // A custom workflow and a cron job's run leave the environment's status as it is (a
        // failed reindex does not make a healthy environment failed, nor a successful one a
        // failed environment deployed; the health round says what its services do): they
        // run only while the environment is deployed.
        let moves_status = !matches!(queued.stage, Stage::Cron | Stage::Workflow);
        let start = match queued.stage {
            Stage::Setup => EnvironmentEvent::SetupStarted,
            // Those that leave the status as it is run from where a patch may start.
            Stage::Patch | Stage::Workflow | Stage::Cron => EnvironmentEvent::PatchStarted,
            Stage::Teardown | Stage::Build => EnvironmentEvent::TeardownStarted,
            Stage::Pause => EnvironmentEvent::PauseStarted,
            Stage::Resume => EnvironmentEvent::ResumeStarted,
        };
        let next = match env.status.on(start) {
            Ok(_)
                if !moves_status
                    && !matches!(
                        env.status,
                        EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
                    ) =>
            {
                Err(format!(
                    "{} is {}: its {} runs while it is deployed",
                    env.env_id,
                    env.status.as_str().replace('_', " "),
                    if queued.stage == Stage::Cron {
                        "cron job"
                    } else {
                        "custom workflow"
                    }
                ))
            }
            Ok(_) if !moves_status => Ok(env.status),
            Ok(next) => Ok(next),
            Err(_) => Err(match env.status {
                EnvironmentStatus::TornDown => format!(
                    "{} was torn down before this {} could run: create a new environment",
                    env.env_id, queued.stage
                ),
                EnvironmentStatus::TeardownFailed => format!(
                    "{id}'s last teardown left objects behind, so a {} cannot run: tear it \
                     down again (stagecraft environments delete {id})",
                    queued.stage,
                    id = env.env_id
                ),
                EnvironmentStatus::Paused => format!(
                    "{id} is paused, so a {} cannot run: resume it first (stagecraft \
                     environments resume {id})",
                    queued.stage,
                    id = env.env_id
                ),
                status => format!(
                    "{} is {}, and a {} cannot start from there",
                    env.env_id,
                    status.as_str().replace('_', " "),
                    queued.stage
                ),
            }),
        };
        let next = match next {
            Ok(next) => next,
            Err(reason) => {
                // A deploy queued before the environment changed under it (a patch behind a
                // teardown): it fails unrun, and says why on the timeline, where its
                // followers wait for its end.
                tracing::info!(deploy = queued.id, %reason, "refused before it ran");
                let outcome = DeployOutcome::Failed { reason, kind: None };
                // Its events first, as a deploy that ran stores them before it finishes.
                self.record_unrun_end(queued, &outcome, true).await?;
                self.finish(queued.id, DeployStatus::Queued, &outcome)
                    .await?;
                return Ok(outcome);
            }
        };
        if moves_status && !environment::set_status(pool, env.id, env.status, next).await? {
            return Err(Error::Conflict {
                message: format!(
                    "the environment {} changed while starting a deploy: try again",
                    env.env_id
                ),
            });
        }
        if !deploy::set_status(
            pool,
            queued.id,
            DeployStatus::Queued,
            DeployStatus::Running,
            None,
        )
        .await?
        {
            // Cancelled while it waited: the environment goes back to where it was.
            if moves_status {
                environment::set_status(pool, env.id, next, env.status).await?;
            }
            return Ok(DeployOutcome::Cancelled);
        }

        // Events go to the store in order, from a writer of their own: the runner never waits
        // on the database, and whatever piled up while a write ran goes in one transaction.
        // The deploy's log keeper hears each event first, so a job's output is stored before
        // the event that says it finished.
        let parts = crate::logs::Parts::default();
        let mut logs = match (self.runtime_of(env), self.environment_ref(env).await) {
            (Ok(runtime), Ok(target)) => Some(
                self.logs
                    .of(runtime, target, env.id)
                    .for_deploy(queued.id, parts.clone()),
            ),
            // The stage fails before any task runs, and says why.
            _ => None,
        };
        // Each event carries when it was sent: the log keeper follows a service from its task's
        // start, however long the writer took to come to the event.
        let (sender, mut receiver) =
            tokio::sync::mpsc::unbounded_channel::<(std::time::SystemTime, DeployEvent)>();
        let writer = {
            let store = self.store.clone();
            let live = self.deploys.live.clone();
            let deploy_id = queued.id;
            tokio::spawn(async move {
                while let Some(first) = receiver.recv().await {
                    let mut batch = vec![first];
                    while let Ok(next) = receiver.try_recv() {
                        batch.push(next);
                    }
                    if let Some(logs) = &mut logs {
                        for (sent, event) in &batch {
                            logs.on(event, *sent).await;
                        }
                    }
                    let batch: Vec<DeployEvent> = batch.into_iter().map(|(_, e)| e).collect();
                    match deploy::record_events(store.pool(), deploy_id, &batch).await {
                        Ok(stored) => {
                            for event in stored {
                                // Nobody following is fine: the events are stored.
                                let _ = live.send(LiveEvent { deploy_id, event });
                            }
                        }
                        Err(error) => {
                            tracing::error!(deploy_id, %error, lost = batch.len(), "events could not be stored");
                        }
                    }
                }
            })
        };
        let outcome = self
            .run_stage(env, queued, Arc::new(Stamped(sender)), cancel, &parts)
            .await;
        let _ = writer.await;
        if !moves_status {
            self.finish(queued.id, DeployStatus::Running, &outcome)
                .await?;
            return Ok(outcome);
        }

        let env_event = match (&outcome, queued.stage) {
            (DeployOutcome::Succeeded { .. }, Stage::Teardown) => {
                EnvironmentEvent::TeardownSucceeded
            }
            (_, Stage::Teardown) => EnvironmentEvent::TeardownFailed,
            (DeployOutcome::Succeeded { .. }, Stage::Pause) => EnvironmentEvent::PauseSucceeded,
            (outcome @ DeployOutcome::Succeeded { .. }, _) if outcome.is_degraded() => {
                EnvironmentEvent::DeployDegraded
            }
            (DeployOutcome::Succeeded { .. }, _) => EnvironmentEvent::DeploySucceeded,
            (DeployOutcome::Failed { .. }, _) => EnvironmentEvent::DeployFailed,
            (DeployOutcome::Cancelled, _) => EnvironmentEvent::DeployCancelled,
            (DeployOutcome::Interrupted { .. }, _) => EnvironmentEvent::Interrupted,
        };
        let done = next.on(env_event).unwrap_or(EnvironmentStatus::Failed);
        environment::set_status(pool, env.id, next, done).await?;
        if matches!(
            done,
            EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
        ) {
            // The list's "2 of 3 ready" at once, not at the clock's next round, counted against
            // what this deploy deployed. A runtime that cannot be asked, or a count not kept,
            // leaves it to that round.
            let version = stagecraft_store::deploy::by_id(pool, queued.id)
                .await
                .ok()
                .flatten()
                .and_then(|d| d.config_version);
            let counted = match self.services_against(env, version).await {
                Ok(services) => self.note_services(env, &services).await.map(|_| ()),
                Err(error) => Err(error),
            };
            if let Err(error) = counted {
                tracing::debug!(env = %env.env_id, %error, "services not counted");
            }
        }
        if let DeployOutcome::Succeeded {
            failed_tasks,
            unready,
        } = &outcome
            && done == EnvironmentStatus::Degraded
        {
            let mut why = Vec::new();
            if *failed_tasks > 0 {
                why.push(format!(
                    "the {} of deploy {} had {failed_tasks} failed task(s)",
                    queued.stage.as_str(),
                    queued.id
                ));
            }
            if !unready.is_empty() {
                why.push(format!("not ready: {}", unready.join(", ")));
            }
            self.note_degraded(env, &why.join("; ")).await?;
        }
        self.finish(queued.id, DeployStatus::Running, &outcome)
            .await?;
        Ok(outcome)
    }

    pub(super) async fn finish(
        &self,
        deploy_id: i64,
        from: DeployStatus,
        outcome: &DeployOutcome,
    ) -> Result<(), Error> {
        let status = match outcome {
            DeployOutcome::Succeeded { .. } => DeployStatus::Succeeded,
            DeployOutcome::Failed { .. } => DeployStatus::Failed,
            DeployOutcome::Cancelled => DeployStatus::Cancelled,
            DeployOutcome::Interrupted { .. } => DeployStatus::Interrupted,
        };
        if !from.can_become(status) {
            return Err(Error::Conflict {
                message: format!("a deploy cannot go from {from:?} to {status:?}"),
            });
        }
        deploy::set_status(self.store.pool(), deploy_id, from, status, Some(outcome)).await?;
        Ok(())
    }

    /// Plans and runs the deploy's stage against the environment's runtime; a configuration
    /// that cannot be planned or resolved fails the deploy, with the reason.
    async fn run_stage(
        &self,
        env: &Environment,
        queued: &Deploy,
        sink: Arc<dyn EventSink>,
        cancel: &CancellationToken,
        parts: &crate::logs::Parts,
    ) -> DeployOutcome {
        match self.prepare_stage(env, queued, &sink, cancel).await {
            Ok((runtime, plan, workloads, target)) => {
                parts.note(&workloads);
                let runner = Runner::new(runtime, sink);
                runner
                    .run(
                        &target,
                        queued.stage,
                        &queued.reason,
                        &plan,
                        workloads,
                        cancel,
                    )
                    .await
            }
            Err(error) => {
                // The timeline shows why a deploy that never started failed, or that the
                // user cancelled it while it built.
                let outcome = if cancel.is_cancelled() {
                    DeployOutcome::Cancelled
                } else {
                    DeployOutcome::Failed {
                        reason: error.to_string(),
                        kind: error.runtime_kind(),
                    }
                };
                for event in super::cancel::ended_unrun(queued, &outcome) {
                    sink.emit(event);
                }
                outcome
            }
        }
    }
}

/// A deploy's events on their way to its writer, each with the time it was sent.
struct Stamped(tokio::sync::mpsc::UnboundedSender<(std::time::SystemTime, DeployEvent)>);

impl EventSink for Stamped {
    fn emit(&self, event: DeployEvent) {
        // The writer outlives the run; a send fails only if it stopped, and then nobody reads.
        let _ = self.0.send((std::time::SystemTime::now(), event));
    }
}
