//! Deploys: a request submitted for an environment, queued, run one at a time per environment
//! across processes, cancelled, and read back.
//!
//! The desktop app and the CLI share one database, and each deploy of an environment runs
//! alone: a request queues a deploy, and whichever process holds the environment's lease runs
//! the queue. The runner's events go to the store in order, and every follower, in any process,
//! reads them back without a gap; the change feed (`change.rs`) tells each window what moved.
//!
//! - `request.rs`: what a [`DeployRequest`] runs (setup or patch as the Deploy button decides,
//!   setup again, a rollback, teardown), and why
//! - `queue.rs`: the environment's queue, run by whichever process holds its lease
//! - `run.rs`: one deploy run, its status moves and its events stored in order
//! - `prepare.rs`: the stage's runtime, plan and resolved workloads
//! - `cancel.rs`: the running deploy stopped, the queued ones ended unrun
//! - `follow.rs`: a deploy's events replayed from a `seq`, then followed live

mod cancel;
mod follow;
mod prepare;
mod queue;
mod request;
mod run;

use serde::Serialize;
use stagecraft_engine::{Deploy, DeployStatus, Stage};
use stagecraft_store::deploy;
use stagecraft_store::deploy::StoredEvent;

pub use request::DeployRequest;
pub(crate) use request::{Planned, Read};

use crate::{Error, Stagecraft};
use follow::LiveEvent;

/// Whether [`Stagecraft::submit`] returns once the deploy ran, or at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Runs the environment's queue here and returns once the deploy ended, or once it waits
    /// behind a deploy another process runs: for the clock and tests.
    UntilDone,
    /// Runs the environment's queue here and returns once the deploy ended, wherever it ran:
    /// while it waits behind a deploy another process runs, it looks again every second, and
    /// takes the queue over as soon as that process is found dead or its lease expired. For
    /// the command line's `--wait` and `environments delete`.
    UntilEnded,
    /// Returns once the deploy is queued; the queue runs in the background, and the deploy's
    /// events and the change feed show how it goes: for a window that must never wait.
    Background,
}

/// A deploy as [`Stagecraft::submit`] left it.
#[derive(Debug)]
pub struct Submitted {
    /// As it stands when `submit` returned: ended when it ran here; queued when it waits
    /// behind another deploy, or runs in the background.
    pub deploy: Deploy,
    /// With [`Wait::Background`], the task that runs the environment's queue; it ends at once
    /// when another process holds the environment and runs it. A process about to exit awaits
    /// it, so the environment's lease is released rather than left to expire.
    pub queue: Option<tokio::task::JoinHandle<()>>,
}

impl Submitted {
    /// `false` while the deploy waits in the queue (here or in another process).
    pub fn ran(&self) -> bool {
        self.deploy.status != DeployStatus::Queued
    }

    /// The deploy and whether it ran, for output.
    pub fn report(self) -> DeployReport {
        DeployReport {
            ran: self.ran(),
            deploy: self.deploy,
        }
    }
}

/// A deploy run or queued by the clock (an expiry, a new commit): the deploy, and where it
/// stands.
#[derive(Debug, Clone, Serialize)]
pub struct DeployReport {
    pub deploy: Deploy,
    /// `false` when another deploy of this environment runs (here or in another process) and
    /// this one waits in the queue.
    pub ran: bool,
}

/// What running deploys takes beyond the store and the runtimes: who this process is when it
/// holds a lease, the deploys it runs and the queues it drains, and where their events go
/// for followers in this process.
#[derive(Debug, Clone)]
pub(crate) struct Deploys {
    // Private: only `deploy` and its modules touch them.
    holder: String,
    /// This process as the operating system knows it, recorded under `holder`.
    me: stagecraft_store::holder::Holder,
    running: cancel::Running,
    queues: queue::Queues,
    live: tokio::sync::broadcast::Sender<LiveEvent>,
}

impl Deploys {
    /// Who this process is when it holds a lease (a deploy's, or the clock's).
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// This process as recorded, so others can tell when it died (`holder.rs`).
    pub(crate) fn me(&self) -> &stagecraft_store::holder::Holder {
        &self.me
    }

    pub(crate) fn new() -> Self {
        let holder = format!(
            "pid {} started {}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        Self {
            me: crate::holder::this_process(holder.clone()),
            holder,
            running: cancel::Running::default(),
            queues: queue::Queues::default(),
            live: tokio::sync::broadcast::channel(4096).0,
        }
    }
}

impl Stagecraft {
    /// Queues `request` for `env_id` and runs the environment's queue, here or in the
    /// background as `wait` says. The deploy waits in the queue while another runs; a second
    /// request for the same stage while one waits joins it (a rollback never does).
    pub async fn submit(
        &self,
        env_id: &str,
        request: DeployRequest,
        wait: Wait,
    ) -> Result<Submitted, Error> {
        let mut env = self.environment(env_id).await?;
        let mut planned = self.plan_request(&mut env, request).await?;
        if let Some(why) = &planned.refused {
            return Ok(Submitted {
                deploy: self
                    .refuse(&env, planned.stage, &planned.reason, why)
                    .await?,
                queue: None,
            });
        }
        // A deploy of a paused environment (or one a waiting pause will have paused) resumes
        // it first, in the same queue, and says so.
        if matches!(planned.stage, Stage::Setup | Stage::Patch)
            && crate::pause::paused_by_then(self, &env).await?
        {
            let resume = crate::pause::resume_before(self, &env, planned.stage).await?;
            self.enqueue(&env, &resume).await?;
            planned
                .reason
                .push_str("; the environment was paused: resumed first");
        }
        let id = self.enqueue(&env, &planned).await?;
        let queue = match wait {
            Wait::UntilDone => {
                self.run_queue(&env.env_id).await?;
                None
            }
            Wait::UntilEnded => {
                self.run_until_ended(&env.env_id, id).await?;
                None
            }
            Wait::Background => Some(self.run_in_background(&env.env_id)),
        };
        Ok(Submitted {
            deploy: self.deploy_by_id(id).await?,
            queue,
        })
    }

    pub async fn deploys(&self, env_id: &str) -> Result<Vec<Deploy>, Error> {
        let env = self.environment(env_id).await?;
        Ok(deploy::for_environment(self.store.pool(), env.id).await?)
    }

    /// A deploy's stored events after `after_seq`: replay from the last one seen.
    pub async fn deploy_events(
        &self,
        deploy_id: i64,
        after_seq: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        Ok(deploy::events_after(self.store.pool(), deploy_id, after_seq).await?)
    }

    /// Deploy `id` as it stands.
    pub async fn deploy_by_id(&self, id: i64) -> Result<Deploy, Error> {
        deploy::by_id(self.store.pool(), id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: id.to_string(),
            })
    }
}
