//! What runs on a clock: expiry warnings, teardowns of expired environments, patches of new
//! commits, and a look at each deployed environment's health.
//!
//! The app runs it (`Stagecraft::run_clock`, started by the shell): once at start, the ledgers
//! of interrupted environments are reconciled with their runtime and deployed environments are
//! taken up (`recovery.rs`); then every minute (`TICK_EVERY`) `tick()` sends expiry warnings,
//! tears down expired environments and patches environments whose tracking branch has a new
//! commit, queues the runs of cron jobs that came due (`cron.rs`) and the pauses and resumes of
//! pausing schedules whose times came (`schedule.rs`). A failed round is
//! logged and the next one runs as usual. (Deploys a dead process
//! left running were interrupted earlier still, when Stagecraft opened.)

use std::time::Duration;

use serde::Serialize;
use stagecraft_engine::Stage;
use stagecraft_store::environment;

use crate::deploy::DeployReport;
use crate::{Error, Stagecraft};

/// How long before expiry the user is warned (Release mails a day ahead).
pub const EXPIRY_WARNING: Duration = Duration::from_secs(24 * 3600);

/// How often the app's clock runs [`Stagecraft::tick`].
pub const TICK_EVERY: Duration = Duration::from_secs(60);

/// What one [`Stagecraft::tick`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub warnings: Vec<(String, String)>,
    pub expired: Vec<DeployReport>,
    pub patched: Vec<DeployReport>,
    /// Environments whose services' health moved them to degraded or back to deployed.
    pub health: Vec<(String, stagecraft_engine::EnvironmentStatus)>,
    /// Runs of cron jobs that came due, queued (they go on in the background).
    pub cron: Vec<DeployReport>,
    /// Pauses and resumes of pausing schedules whose times came (`schedule.rs`), queued.
    pub scheduled: Vec<DeployReport>,
}

impl Stagecraft {
    /// Tears down every ephemeral environment past its expiry, including those that expired
    /// while Stagecraft was closed. Returns the teardowns it ran or queued.
    pub async fn expire_due(&self) -> Result<Vec<DeployReport>, Error> {
        let mut reports = Vec::new();
        for env_id in environment::expired(self.store.pool()).await? {
            let env = self.environment(&env_id).await?;
            let reason = format!(
                "expired at {}",
                env.expires_at.as_deref().unwrap_or("an unknown time")
            );
            reports.push(self.queue(&env, Stage::Teardown, &reason, None).await?);
        }
        Ok(reports)
    }

    /// Records an expiry warning for each ephemeral environment that expires within a day and
    /// has not been warned about its current expiry (an Extend earns a new warning). Returns
    /// the new notices' environments and messages, for the app to show.
    pub async fn expiry_warnings(&self) -> Result<Vec<(String, String)>, Error> {
        let pool = self.store.pool();
        let within = i64::try_from(EXPIRY_WARNING.as_secs()).unwrap_or(i64::MAX);
        let mut warned = Vec::new();
        for (id, env_id, expires_at) in
            stagecraft_store::notice::expiring_unwarned(pool, within).await?
        {
            let message = format!(
                "{env_id} expires at {expires_at} and will be torn down: extend it to keep it"
            );
            if stagecraft_store::notice::record(
                pool,
                id,
                "expiry_warning",
                &message,
                Some(&expires_at),
            )
            .await?
            {
                warned.push((env_id, message));
            }
        }
        Ok(warned)
    }

    /// An environment's notices, newest first.
    pub async fn notices(
        &self,
        env_id: &str,
    ) -> Result<Vec<stagecraft_store::notice::Notice>, Error> {
        let env = self.environment(env_id).await?;
        Ok(stagecraft_store::notice::for_environment(self.store.pool(), env.id).await?)
    }

    /// What runs on a clock: expiry warnings, teardowns of expired environments, patches of
    /// new commits, a look at the health of deployed environments (`health.rs`). The app calls
    /// it every minute once a runtime is registered.
    pub async fn tick(&self) -> Result<Tick, Error> {
        Ok(Tick {
            warnings: self.expiry_warnings().await?,
            expired: self.expire_due().await?,
            patched: self.check_commits().await?,
            health: self.check_health().await?,
            cron: self.run_cron_due(chrono::Utc::now()).await?,
            scheduled: self
                .run_schedules_due(chrono::Utc::now(), &chrono::Local)
                .await?,
        })
    }

    /// The app's clock (or `stagecraft serve`'s), for as long as it runs: every `every`, when
    /// this process holds the clock (one process at a time does: the app and a `serve`
    /// never both act on an environment), [`Stagecraft::tick`] runs. On taking the clock it
    /// first brings the ledgers of interrupted environments in line with their runtimes and
    /// takes up the deployed environments (logs followed, liveness watched). A failed round is
    /// logged and the next one runs as usual.
    pub async fn run_clock(&self, every: Duration) {
        self.run_clock_until(every, &tokio_util::sync::CancellationToken::new())
            .await;
    }

    /// [`Stagecraft::run_clock`] until `stop` is cancelled: between two rounds, never in the
    /// middle of one (a round's deploys end as they would), and the clock is let go.
    pub async fn run_clock_until(
        &self,
        every: Duration,
        stop: &tokio_util::sync::CancellationToken,
    ) {
        // Held for a few rounds, so a holder that stops hands it over soon after.
        let ttl = i64::try_from((every * 5 / 2).as_secs().max(5)).unwrap_or(i64::MAX);
        let mut holding = false;
        let mut clock = tokio::time::interval(every);
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = clock.tick() => {}
                () = stop.cancelled() => break,
            }
            let holds =
                match stagecraft_store::clock::hold(self.store.pool(), self.deploys.holder(), ttl)
                    .await
                {
                    Ok(holds) => holds,
                    Err(error) => {
                        tracing::warn!(%error, "the clock's lease could not be read");
                        false
                    }
                };
            if holds && !holding {
                tracing::info!("this process runs the clock");
                self.take_up().await;
            } else if !holds && holding {
                tracing::info!("another process runs the clock now");
            }
            holding = holds;
            if !holds {
                continue;
            }
            // A round may run deploys for minutes (an auto_deploy's build): the clock stays
            // this process's while it does.
            let renewer = {
                let store = self.store.clone();
                let holder = self.deploys.holder().to_owned();
                let every = Duration::from_secs(u64::try_from(ttl / 3).unwrap_or(1).max(1));
                tokio::spawn(async move {
                    let mut renew = tokio::time::interval(every);
                    loop {
                        renew.tick().await;
                        if let Err(error) =
                            stagecraft_store::clock::hold(store.pool(), &holder, ttl).await
                        {
                            tracing::warn!(%error, "the clock's lease could not be renewed");
                        }
                    }
                })
            };
            let round = self.tick().await;
            renewer.abort();
            match round {
                Ok(tick) => {
                    for (env_id, warning) in &tick.warnings {
                        tracing::info!(env_id, warning, "expiry warning");
                    }
                    for report in tick
                        .expired
                        .iter()
                        .chain(&tick.patched)
                        .chain(&tick.cron)
                        .chain(&tick.scheduled)
                    {
                        tracing::info!(
                            deploy = report.deploy.id,
                            stage = %report.deploy.stage,
                            status = ?report.deploy.status,
                            "deploy run by the clock"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "the clock's round failed"),
            }
        }
        if holding {
            self.release_clock().await;
        }
    }

    /// Lets go of the clock, when this process holds it: another takes it at its next round.
    pub async fn release_clock(&self) {
        if let Err(error) =
            stagecraft_store::clock::release(self.store.pool(), self.deploys.holder()).await
        {
            tracing::warn!(%error, "the clock's lease was not released");
        }
    }

    /// What the process that takes the clock does first.
    async fn take_up(&self) {
        match self.reconcile_ledgers().await {
            Ok(report) => {
                for (env_id, what) in report {
                    tracing::info!(env_id, what, "ledger reconciled");
                }
            }
            Err(error) => tracing::warn!(%error, "the ledgers could not be reconciled"),
        }
        match self.resume_environments().await {
            Ok(resumed) => {
                for env_id in resumed {
                    tracing::info!(env_id, "deployed environment taken up");
                }
            }
            Err(error) => tracing::warn!(%error, "the deployed environments could not be taken up"),
        }
    }
}
