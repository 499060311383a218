//! Pause and resume: an environment's containers stopped and kept, then started again as they
//! were, as Release's "Pause/resume environments" does. Both are deploys of their own stages
//! (`pause`, `resume`), so they queue behind a running deploy, show as lanes on the timeline
//! with their durations, and survive a crash as any deploy does.
//!
//! A pause stops every container of the environment and keeps everything else (Docker: the
//! containers, volumes and network; Kubernetes: Deployments scaled to zero with their replica
//! counts recorded, CronJobs suspended). A resume starts the services in the setup workflow's
//! order, each waited for until ready, with the configuration and images the environment ran
//! when it was paused; its jobs are skipped and say so (their effects are in the volumes).
//! While paused: the clock runs none of its cron jobs, the health round leaves it alone, a new
//! commit is not patched until it is resumed (nor while a pause waits to run), and expiry goes
//! on (a paused environment expires and is torn down as a running one would). A deploy asked
//! of a paused environment, or of one a waiting pause will have paused by its turn (the Deploy
//! button, setup, a rollback), queues a resume before it, and says so. A pause or resume cut
//! short leaves it `failed` or `interrupted`; a resume, a pause, or a deploy (which starts what
//! is stopped: Docker makes stopped replicas anew, Kubernetes scales a paused Deployment back)
//! mends it. Stagecraft started again after a crash mid-pause leaves stopped what was stopped.

use stagecraft_engine::{DeployStatus, Environment, EnvironmentStatus, Stage};

use crate::deploy::Planned;
use crate::environment::ensure_standing;
use crate::{Error, Stagecraft};

/// A pause needs something that ran: refused before any setup, when paused already, and when
/// torn down.
pub(crate) fn ensure_pausable(env: &Environment) -> Result<(), Error> {
    ensure_standing(env)?;
    let why = match env.status {
        EnvironmentStatus::Created => "was never set up: nothing of it runs to pause",
        EnvironmentStatus::Paused => "is paused already",
        EnvironmentStatus::Pausing => "is being paused already",
        _ => return Ok(()),
    };
    Err(Error::Conflict {
        message: format!("{} {why}", env.env_id),
    })
}

/// A resume needs a pause behind it: the environment is paused, or a pause or resume was the
/// last deploy that ran and it was cut short (`failed`, `interrupted`). Any other failed
/// environment needs a deploy: a resume would skip the jobs that failed.
pub(crate) async fn ensure_resumable(
    stagecraft: &Stagecraft,
    env: &Environment,
) -> Result<(), Error> {
    ensure_standing(env)?;
    let why = match env.status {
        EnvironmentStatus::Created => "was never set up: set it up (stagecraft deploys create)",
        EnvironmentStatus::Deployed | EnvironmentStatus::Degraded => "is running, not paused",
        EnvironmentStatus::Resuming => "is being resumed already",
        EnvironmentStatus::Failed | EnvironmentStatus::Interrupted
            if !matches!(
                last_started(stagecraft, env).await?,
                Some(Stage::Pause | Stage::Resume)
            ) =>
        {
            "was not paused: its last deploy failed; deploy it again (stagecraft deploys create)"
        }
        _ => return Ok(()),
    };
    Err(Error::Conflict {
        message: format!("{} {why}", env.env_id),
    })
}

/// The stage of the environment's newest deploy that started (ran, or runs).
async fn last_started(stagecraft: &Stagecraft, env: &Environment) -> Result<Option<Stage>, Error> {
    let deploys =
        stagecraft_store::deploy::for_environment(stagecraft.store.pool(), env.id).await?;
    Ok(deploys
        .iter()
        .rev()
        .find(|d| d.started_at.is_some())
        .map(|d| d.stage))
}

/// Whether the environment is paused, or will be once the deploys ahead of a new one ran: a
/// pause waits or runs, and no resume waits after it.
pub(crate) async fn paused_by_then(
    stagecraft: &Stagecraft,
    env: &Environment,
) -> Result<bool, Error> {
    if env.status == EnvironmentStatus::Paused {
        return Ok(true);
    }
    let deploys =
        stagecraft_store::deploy::for_environment(stagecraft.store.pool(), env.id).await?;
    let last_pending = deploys.iter().rev().find(|d| {
        matches!(d.status, DeployStatus::Queued | DeployStatus::Running)
            && matches!(d.stage, Stage::Pause | Stage::Resume)
    });
    Ok(last_pending.is_some_and(|d| d.stage == Stage::Pause))
}

/// Whether the environment's last interrupted deploy was a pause: its stopped containers are
/// left stopped when Stagecraft starts again.
pub(crate) async fn interrupted_pausing(
    stagecraft: &Stagecraft,
    environment_id: i64,
) -> Result<bool, Error> {
    let deploys =
        stagecraft_store::deploy::for_environment(stagecraft.store.pool(), environment_id).await?;
    Ok(deploys
        .iter()
        .rev()
        .find(|d| d.status == DeployStatus::Interrupted)
        .is_some_and(|d| d.stage == Stage::Pause))
}

/// A resume of `env` for `reason`: the configuration version it ran, with its images.
pub(crate) async fn resume_planned(
    stagecraft: &Stagecraft,
    env: &Environment,
    reason: &str,
) -> Result<Planned, Error> {
    Ok(Planned {
        config_version: stagecraft.deployed_version(env).await?,
        ..Planned::of(Stage::Resume, reason)
    })
}

/// The resume queued ahead of a `stage` deploy of a paused environment.
pub(crate) async fn resume_before(
    stagecraft: &Stagecraft,
    env: &Environment,
    stage: Stage,
) -> Result<Planned, Error> {
    let reason = format!("the environment was paused: resumed before the {stage} asked for");
    resume_planned(stagecraft, env, &reason).await
}
