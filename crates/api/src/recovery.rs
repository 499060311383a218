//! A process starting after another stopped: deploys it left running become interrupted,
//! interrupted environments' ledgers are brought in line with their runtimes, and deployed
//! environments are taken up (logs followed, what a runtime keeps only while a process runs).
//!
//! When Stagecraft opens (`Stagecraft::recover`), and whenever a process is about to run an
//! environment's queue (`Stagecraft::recover_environment`), a lease whose holder died on this
//! machine is let go at once (`holder.rs`: its pid and start time). Then a deploy marked
//! running whose environment's lease expired, is gone or is another deploy's lost its process:
//! it is marked `interrupted`, with a `deploy_interrupted` event saying so, and its environment
//! `interrupted`; the queued deploy that follows resumes it, because every runtime call is
//! idempotent. Builds a dead process left running end `failed`. A deploy whose holder lives
//! is left alone, so a command that starts while the app deploys does not interrupt it.
//!
//! The app's clock then (`clock.rs`, once) reconciles the ledgers of interrupted environments
//! with their runtime (objects found by the environment's labels are recorded, recorded objects
//! that are gone are marked removed) and takes up every deployed environment
//! (`Stagecraft::resume_environments`): with the workloads and images of its last successful
//! setup or patch, each service's log is followed on from its newest kept line, and
//! `Runtime::resume_service` gives back what a runtime keeps only while a process runs:
//! Docker's liveness watching, Kubernetes' `node_port` forwards. It never changes a service.
//! Both runtimes are asked for logs with timestamps (`LogLine::timestamped` takes the RFC 3339
//! time off each line), and the store keeps the runtime's time of the newest line of each
//! followed log (`log_resource.followed_until_ns`, migration 0014): a start asks the runtime
//! for the lines since then (Docker's `since` is whole seconds) and skips those at or before
//! it, so what a service wrote while no Stagecraft ran is kept, and no line twice.

use std::sync::Arc;

use stagecraft_engine::{Deploy, DeployEvent, EnvironmentStatus, EventSink, Stage};
use stagecraft_store::{build, deploy, environment, holder, lease};
use tokio_util::sync::CancellationToken;

use crate::{Error, Stagecraft};

impl Stagecraft {
    /// On start: leases and builds of processes found dead go at once (`holder.rs`); deploys
    /// left running by a process that died become interrupted, with an event that says so,
    /// and their environments `interrupted`: deploy again to resume, or tear down. Returns the
    /// deploys it interrupted.
    pub async fn recover(&self) -> Result<Vec<i64>, Error> {
        let pool = self.store.pool();
        for (environment_id, holder) in lease::all(pool).await? {
            self.release_if_dead(environment_id, &holder).await?;
        }
        let mut interrupted = Vec::new();
        for orphan in deploy::orphaned(pool).await? {
            if self.interrupt_orphan(&orphan).await? {
                interrupted.push(orphan.id);
                // A custom workflow leaves the environment deployed: nothing else brings back
                // a replica its cut-short rollout left stopped.
                if orphan.stage == Stage::Workflow {
                    self.restore_services(orphan.environment_id).await;
                }
            }
        }
        self.fail_dead_builds().await?;
        for idle in holder::idle(pool).await? {
            if crate::holder::is_dead(&idle, &self.deploys.me().host) {
                holder::forget(pool, &idle.name).await?;
            }
        }
        Ok(interrupted)
    }

    /// Before an environment's queue runs: its lease goes at once when its holder died on this
    /// machine, and a deploy left running by a process that no longer holds the lease (dead,
    /// or its lease expired and taken) is interrupted, its environment with it.
    pub(crate) async fn recover_environment(&self, environment_id: i64) -> Result<(), Error> {
        let pool = self.store.pool();
        let released = match lease::holder(pool, environment_id).await? {
            Some(holder) => self.release_if_dead(environment_id, &holder).await?,
            None => false,
        };
        for orphan in deploy::orphaned(pool).await? {
            if orphan.environment_id == environment_id
                && self.interrupt_orphan(&orphan).await?
                && matches!(orphan.stage, Stage::Setup | Stage::Patch | Stage::Workflow)
            {
                self.restore_services(environment_id).await;
            }
        }
        if released {
            self.fail_dead_builds().await?;
        }
        Ok(())
    }

    /// A setup or patch cut short may have stopped a replica before its replacement ran:
    /// each such replica gets a running container again (`Runtime::restore`). What cannot be
    /// done here (the runtime is not registered in this process, or does not answer) is
    /// logged: the deploy that follows brings the service back anyway.
    pub(crate) async fn restore_services(&self, environment_id: i64) {
        let Ok(Some(env)) = environment::by_id(self.store.pool(), environment_id).await else {
            return;
        };
        let (Ok(runtime), Ok(target)) = (self.runtime_of(&env), self.environment_ref(&env).await)
        else {
            return;
        };
        match runtime.restore(&target).await {
            Ok(started) if !started.is_empty() => tracing::warn!(
                env_id = env.env_id,
                started = started.join(", "),
                "replicas left stopped by an interrupted deploy were started again"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(
                env_id = env.env_id,
                %error,
                "replicas left stopped by an interrupted deploy could not be started again"
            ),
        }
    }

    /// Lets go of the environment's lease when `holder` is found dead; `true` when this call
    /// let go of it (of two processes that find it, one does).
    async fn release_if_dead(&self, environment_id: i64, holder: &str) -> Result<bool, Error> {
        if holder == self.deploys.holder() || !self.is_dead(holder).await? {
            return Ok(false);
        }
        let released = lease::release(self.store.pool(), environment_id, holder).await?;
        if released {
            tracing::warn!(
                environment_id,
                holder,
                "took over an environment whose deploying process died"
            );
        }
        Ok(released)
    }

    /// Whether the process `holder` names is known to have died (`holder.rs`).
    async fn is_dead(&self, holder: &str) -> Result<bool, Error> {
        Ok(holder::by_name(self.store.pool(), holder)
            .await?
            .is_some_and(|h| crate::holder::is_dead(&h, &self.deploys.me().host)))
    }

    /// Marks the deploy interrupted, with an event saying why, and its environment
    /// `interrupted` (a teardown's: `teardown_failed`), in one transaction; `false` when it had
    /// ended meanwhile (another process got there first).
    async fn interrupt_orphan(&self, orphan: &Deploy) -> Result<bool, Error> {
        let pool = self.store.pool();
        let reason = match orphan.stage {
            Stage::Teardown => {
                "Stagecraft stopped while this teardown ran: tear the environment down again to finish it"
            }
            Stage::Workflow | Stage::Cron => "Stagecraft stopped while this ran: run it again",
            Stage::Pause | Stage::Resume => {
                "Stagecraft stopped while this ran: pause or resume the environment again"
            }
            _ => {
                "Stagecraft stopped while this deploy ran: deploy again to resume it, or tear the environment down"
            }
        };
        if !stagecraft_store::interrupt::interrupt(pool, orphan.id, reason).await? {
            return Ok(false);
        }
        lease::clear_expired(pool, orphan.environment_id).await?;
        tracing::warn!(
            deploy = orphan.id,
            "interrupted a deploy left running by a process that stopped"
        );
        Ok(true)
    }

    /// Builds left running by a process found dead end as failed.
    async fn fail_dead_builds(&self) -> Result<(), Error> {
        let pool = self.store.pool();
        for (id, holder) in build::running(pool).await? {
            if let Some(holder) = holder
                && self.is_dead(&holder).await?
                && build::interrupt(pool, id).await?
            {
                tracing::warn!(build = id, "a build's process stopped while it ran");
            }
        }
        Ok(())
    }

    /// Brings the ledger of every interrupted environment in line with what its runtime says
    /// exists: objects found by the environment's labels but not recorded are recorded (so
    /// teardown removes them), recorded objects that are gone are marked removed. Call it once
    /// the runtimes are registered. Returns `(env_id, what changed)`.
    pub async fn reconcile_ledgers(&self) -> Result<Vec<(String, String)>, Error> {
        let pool = self.store.pool();
        let mut report = Vec::new();
        for env in self.environments().await? {
            if !matches!(
                env.status,
                EnvironmentStatus::Interrupted | EnvironmentStatus::TeardownFailed
            ) {
                continue;
            }
            let Some(runtime) = self.runtimes.get(&env.runtime) else {
                continue;
            };
            // What a pause stopped stays stopped: only a deploy cut short is brought back up.
            if env.status == EnvironmentStatus::Interrupted
                && !crate::pause::interrupted_pausing(self, env.id).await?
            {
                self.restore_services(env.id).await;
            }
            let target = self.environment_ref(&env).await?;
            let found = match runtime.objects(&target).await {
                Ok(found) => found,
                Err(error) => {
                    report.push((
                        env.env_id.clone(),
                        format!("the runtime could not list its objects: {error}"),
                    ));
                    continue;
                }
            };
            let live = stagecraft_store::ledger::live(pool, env.id).await?;
            let mut recorded = 0;
            for object in &found {
                if !live
                    .iter()
                    .any(|l| l.kind == object.kind && l.name == object.name)
                {
                    stagecraft_store::ledger::record(pool, env.id, &object.kind, &object.name)
                        .await?;
                    recorded += 1;
                }
            }
            let mut gone = 0;
            for entry in &live {
                if !found
                    .iter()
                    .any(|o| o.kind == entry.kind && o.name == entry.name)
                {
                    stagecraft_store::ledger::mark_removed(pool, env.id, &entry.kind, &entry.name)
                        .await?;
                    gone += 1;
                }
            }
            report.push((
                env.env_id.clone(),
                format!("{recorded} object(s) found that were not recorded, {gone} recorded object(s) gone"),
            ));
        }
        Ok(report)
    }

    /// Takes up every deployed environment in this process: each service's log followed from
    /// now, and what its runtime keeps only while a process runs (Docker's liveness watching,
    /// Kubernetes' `node_port` forwards). The workloads are those of the environment's last
    /// successful setup or patch, with that deploy's images. Gives the environments taken up;
    /// one that cannot be is logged and skipped.
    pub async fn resume_environments(&self) -> Result<Vec<String>, Error> {
        let mut resumed = Vec::new();
        for env in environment::list(self.store.pool()).await? {
            if !matches!(
                env.status,
                EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
            ) {
                continue;
            }
            let Some(last) = deploy::last_deployed(self.store.pool(), env.id).await? else {
                continue;
            };
            // Nobody follows these events: the images are the last deploy's, nothing is built.
            let (sink, _) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
            let sink: Arc<dyn EventSink> = Arc::new(sink);
            let prepared = self
                .prepare_stage(&env, &last, &sink, &CancellationToken::new())
                .await;
            let (runtime, _, workloads, target) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => {
                    tracing::warn!(env_id = env.env_id, %error, "not taken up");
                    continue;
                }
            };
            let logs = self.logs.of(Arc::clone(&runtime), target.clone(), env.id);
            for service in workloads.services.values() {
                match runtime.resume_service(&target, service).await {
                    Ok(()) => logs.follow_resumed(&service.name).await,
                    Err(error) => {
                        tracing::warn!(env_id = env.env_id, service = service.name, %error, "not taken up");
                    }
                }
            }
            resumed.push(env.env_id.clone());
        }
        Ok(resumed)
    }
}
