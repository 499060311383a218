//! An environment's queue: deploys wait in it and run one after another, by whichever process
//! holds the environment's lease.
//!
//! A deploy request inserts a `queued` deploy, or joins one of the same stage that waits (two
//! queued patches would deploy the same code twice; a rollback never joins). Then the process
//! tries to take the environment's lease (`environment_lease`), a row the running deploy renews
//! every third of its lifetime (30 s by default) while it runs (`run.rs`). The holder runs the
//! queued deploys one after another and lets go; a process that finds the lease taken returns
//! at once, its request queued. A process that dies stops renewing; the next runner of the
//! queue that finds it dead (same machine: at once, by its pid and start time, `holder.rs`;
//! elsewhere: once its lease expired) takes the queue over: the deploy it left running is
//! marked `interrupted` (`recovery.rs`), and the queued ones run. A `--wait` (`Wait::UntilEnded`)
//! looks again every second while its deploy waits behind another process, so it takes over
//! the moment that process dies.
//!
//! Within one process, a second task never runs an environment's queue beside the first
//! (`Queues`; the lease alone cannot tell two tasks of the same holder apart). A runner that
//! finds the queue empty lets go of the lease and of `Queues`, then looks once more: a deploy
//! queued meanwhile, whose own task (here) or process (elsewhere) found this runner still
//! holding on and left it, is run rather than stranded.

use std::sync::Arc;

use stagecraft_engine::{DeployStatus, Environment, Stage};
use stagecraft_store::{deploy, lease};

use super::DeployReport;

/// How often a process waiting for its deploy behind another process looks again: a third of
/// the lease, between these two.
const LOOK_AGAIN_MIN: std::time::Duration = std::time::Duration::from_millis(100);
/// See [`LOOK_AGAIN_MIN`].
const LOOK_AGAIN_MAX: std::time::Duration = std::time::Duration::from_secs(1);
use super::request::Planned;
use crate::{Error, Stagecraft};

/// The environments whose queue a task of this process runs. The lease keeps other processes
/// out; this keeps a second task of the same process (which holds the same lease) from running
/// the same queue beside the first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queues(Arc<std::sync::Mutex<std::collections::HashSet<i64>>>);

impl Queues {
    /// `true` when the caller now runs the queue; `false` when a task runs it already.
    pub(super) fn enter(&self, environment_id: i64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(environment_id)
    }

    pub(super) fn leave(&self, environment_id: i64) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&environment_id);
    }
}

impl Stagecraft {
    /// Queues `stage` for `reason` and runs the queue here: what the clock runs (an expiry, a
    /// new commit), with its own reason.
    /// `commit`, when given, is the one it builds (GitOps: the one whose files were read).
    pub(crate) async fn queue(
        &self,
        env: &Environment,
        stage: Stage,
        reason: &str,
        commit: Option<String>,
    ) -> Result<DeployReport, Error> {
        let planned = Planned {
            commit,
            ..Planned::of(stage, reason)
        };
        let id = self.enqueue(env, &planned).await?;
        self.run_queue(&env.env_id).await?;
        let deploy = self.deploy_by_id(id).await?;
        let ran = deploy.status != DeployStatus::Queued;
        Ok(DeployReport { deploy, ran })
    }

    /// Queues a deploy planned in full (a resume runs the configuration version the
    /// environment ran) and runs the environment's queue in the background: the clock's
    /// pausing schedules, which must not hold up its round.
    pub(crate) async fn queue_in_background(
        &self,
        env: &Environment,
        planned: &Planned,
    ) -> Result<DeployReport, Error> {
        let id = self.enqueue(env, planned).await?;
        drop(self.run_in_background(&env.env_id));
        let deploy = self.deploy_by_id(id).await?;
        let ran = deploy.status != DeployStatus::Queued;
        Ok(DeployReport { deploy, ran })
    }

    /// Puts a deploy in the environment's queue, or joins the same stage's waiting one.
    pub(super) async fn enqueue(&self, env: &Environment, planned: &Planned) -> Result<i64, Error> {
        // A request for a stage already waiting joins it: two queued patches would deploy the
        // same code twice. It is the newer wish: the waiting deploy takes its configuration
        // version, reason and what it builds. One transaction, so requests at once (the app,
        // the CLI, the clock) leave one waiting deploy. A rollback is its own.
        Ok(deploy::enqueue(
            self.store.pool(),
            env.id,
            &deploy::ToQueue {
                stage: planned.stage,
                reason: &planned.reason,
                config_version: Some(planned.config_version.unwrap_or(env.version.specific)),
                build_id: planned.build,
                working_tree: planned.working_tree,
                build_commit: planned.commit.as_deref(),
                target: planned.target.as_deref(),
            },
        )
        .await?)
    }

    /// Runs the environment's queue in a task of its own, on a handle to the same Stagecraft.
    pub(super) fn run_in_background(&self, env_id: &str) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let env_id = env_id.to_owned();
        tokio::spawn(async move {
            if let Err(error) = this.run_queue(&env_id).await {
                tracing::error!(env_id, %error, "the environment's queue could not run");
            }
        })
    }

    /// Runs the environment's queued deploys one after another while this process holds its
    /// lease; returns at once when another holder has it (it runs them).
    pub(super) async fn run_queue(&self, env_id: &str) -> Result<(), Error> {
        let env = self.environment(env_id).await?;
        loop {
            if !self.deploys.queues.enter(env.id) {
                return Ok(());
            }
            let drained = self.drain_queue(env_id).await;
            self.deploys.queues.leave(env.id);
            if !drained? {
                return Ok(());
            }
            // A deploy queued while this runner let go would wait for nobody: its task found
            // this one still running here, or its process found this one's lease. Those were
            // queued before, so one look after letting go finds them.
            if deploy::next_queued(self.store.pool(), env.id)
                .await?
                .is_none()
            {
                return Ok(());
            }
        }
    }

    /// Runs queued deploys until none is left, then lets go of the lease: `true`. `false`
    /// when another process holds the lease (it runs them).
    async fn drain_queue(&self, env_id: &str) -> Result<bool, Error> {
        loop {
            let env = self.environment(env_id).await?;
            let pool = self.store.pool();
            // A lease whose holder died here goes at once, and a deploy it left running ends.
            self.recover_environment(env.id).await?;
            let Some(next) = deploy::next_queued(pool, env.id).await? else {
                lease::release(pool, env.id, &self.deploys.holder).await?;
                return Ok(true);
            };
            if !lease::acquire(
                pool,
                env.id,
                &self.deploys.holder,
                next.id,
                self.lease_secs(),
            )
            .await?
            {
                return Ok(false);
            }
            // Taken once its holder's lease expired: what that holder left running ends
            // before the next deploy starts (and the environment's status with it).
            self.recover_environment(env.id).await?;
            let env = self.environment(env_id).await?;
            self.run_deploy(&env, &next).await?;
        }
    }

    /// Runs the environment's queue until the deploy `deploy_id` has ended: here, or in the
    /// process that holds the environment, looking again every second (a lease taken over at
    /// once when its holder is found dead, or once it expired).
    pub async fn run_until_ended(&self, env_id: &str, deploy_id: i64) -> Result<(), Error> {
        let every = (self.settings.deploy_lease / 3).clamp(LOOK_AGAIN_MIN, LOOK_AGAIN_MAX);
        loop {
            let Some(waiting) = deploy::by_id(self.store.pool(), deploy_id).await? else {
                return Ok(());
            };
            match waiting.status {
                status if status.is_finished() => return Ok(()),
                // Queued: run the queue here when this process may.
                DeployStatus::Queued => self.run_queue(env_id).await?,
                // Running elsewhere: only see whether its process died (then it ends).
                _ => self.recover_environment(waiting.environment_id).await?,
            }
            if deploy::by_id(self.store.pool(), deploy_id)
                .await?
                .is_none_or(|d| d.status.is_finished())
            {
                return Ok(());
            }
            tokio::time::sleep(every).await;
        }
    }

    pub(super) fn lease_secs(&self) -> i64 {
        i64::try_from(self.settings.deploy_lease.as_secs().max(1)).unwrap_or(i64::MAX)
    }
}
