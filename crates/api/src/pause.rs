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
//! commit is not patched until it is resumed, and expiry goes on (a paused environment
//! expires and is torn down as a running one would). A deploy asked of a paused environment
//! (the Deploy button, setup, a rollback) queues a resume before it, and says so.

use stagecraft_engine::{Environment, EnvironmentStatus, Stage};

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

/// A resume needs a pause (or a pause or resume cut short) behind it.
pub(crate) fn ensure_resumable(env: &Environment) -> Result<(), Error> {
    ensure_standing(env)?;
    let why = match env.status {
        EnvironmentStatus::Created => "was never set up: set it up (stagecraft deploys create)",
        EnvironmentStatus::Deployed | EnvironmentStatus::Degraded => "is running, not paused",
        EnvironmentStatus::Resuming => "is being resumed already",
        _ => return Ok(()),
    };
    Err(Error::Conflict {
        message: format!("{} {why}", env.env_id),
    })
}

/// The resume queued ahead of a `stage` deploy of a paused environment.
pub(crate) async fn resume_before(
    stagecraft: &Stagecraft,
    env: &Environment,
    stage: Stage,
) -> Result<Planned, Error> {
    Ok(Planned {
        config_version: stagecraft.deployed_version(env).await?,
        ..Planned::of(
            Stage::Resume,
            &format!("the environment was paused: resumed before the {stage} asked for"),
        )
    })
}
