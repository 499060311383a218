//! Status changes as small explicit tables: every change not listed is refused, so a bug or a
//! race shows up as an error instead of an environment in a state nobody planned.

use serde::Serialize;

/// An environment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentStatus {
    /// Created, never set up.
    Created,
    SettingUp,
    /// The last setup or patch succeeded, and its services are ready as far as anyone looked.
    Deployed,
    /// The last setup or patch ran to its end, but a service task of it failed, or a service
    /// is not ready now (crashed, restarting, unready): running, not healthy. Kept apart from
    /// the deploy's own status, as Argo CD keeps Degraded apart from Synced.
    Degraded,
    Patching,
    /// The last setup or patch failed or was cancelled; a new deploy may fix it.
    Failed,
    /// A deploy was running when Stagecraft stopped; resume (re-run the stage) or tear down.
    Interrupted,
    TearingDown,
    /// A teardown ended with objects of its ledger left (a removal failed, the engine went
    /// away): only another teardown may run, until nothing is left.
    TeardownFailed,
    /// Everything it created is gone.
    TornDown,
    /// Its containers are being stopped.
    Pausing,
    /// Its containers are stopped and kept, with its volumes and network: it takes no memory
    /// or CPU until resumed. Expiry goes on.
    Paused,
    /// Its services are being started again.
    Resuming,
}

/// What happens to an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentEvent {
    SetupStarted,
    PatchStarted,
    DeploySucceeded,
    /// The stage ran to its end, but with failed service tasks or services not ready.
    DeployDegraded,
    /// A look at the runtime found a service of a deployed environment not ready.
    HealthDegraded,
    /// A look at the runtime found every service of a degraded environment ready again.
    HealthRecovered,
    DeployFailed,
    DeployCancelled,
    /// Found running after a crash.
    Interrupted,
    TeardownStarted,
    TeardownSucceeded,
    TeardownFailed,
    PauseStarted,
    /// Every container of the environment stopped.
    PauseSucceeded,
    ResumeStarted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an environment that is {from:?} cannot take {event:?}")]
pub struct TransitionError {
    pub from: EnvironmentStatus,
    pub event: EnvironmentEvent,
}

impl EnvironmentStatus {
    /// The status after `event`, or an error when the table has no such change.
    pub fn on(self, event: EnvironmentEvent) -> Result<Self, TransitionError> {
        use EnvironmentEvent as E;
        use EnvironmentStatus as S;
        let next = match (self, event) {
            // Setup may run on a new environment, and again at any settled point (the
            // configuration changed, or by hand to repair drift).
            (
                S::Created | S::Deployed | S::Degraded | S::Failed | S::Interrupted,
                E::SetupStarted,
            ) => S::SettingUp,
            // Patch needs an environment that was set up; a failed patch may be retried.
            (S::Deployed | S::Degraded | S::Failed | S::Interrupted, E::PatchStarted) => {
                S::Patching
            }
            (S::SettingUp | S::Patching | S::Resuming, E::DeploySucceeded) => S::Deployed,
            (S::SettingUp | S::Patching | S::Resuming, E::DeployDegraded) => S::Degraded,
            (S::Deployed, E::HealthDegraded) => S::Degraded,
            (S::Degraded, E::HealthRecovered) => S::Deployed,
            // A pause or a resume cut short leaves some services running and some not: a new
            // setup, patch, pause or resume mends it.
            (
                S::SettingUp | S::Patching | S::Pausing | S::Resuming,
                E::DeployFailed | E::DeployCancelled,
            ) => S::Failed,
            (S::SettingUp | S::Patching | S::Pausing | S::Resuming, E::Interrupted) => {
                S::Interrupted
            }
            // A running environment, or one left between states, may be paused.
            (S::Deployed | S::Degraded | S::Failed | S::Interrupted, E::PauseStarted) => S::Pausing,
            (S::Pausing, E::PauseSucceeded) => S::Paused,
            // Resume starts what a pause stopped; after a failed pause or resume it starts
            // whatever is still stopped.
            (S::Paused | S::Failed | S::Interrupted, E::ResumeStarted) => S::Resuming,
            // A teardown cut short has removed part of the environment: only a teardown runs.
            (S::TearingDown, E::Interrupted) => S::TeardownFailed,
            (
                S::Created
                | S::Deployed
                | S::Degraded
                | S::Failed
                | S::Interrupted
                | S::Paused
                | S::TearingDown
                | S::TeardownFailed,
                E::TeardownStarted,
            ) => S::TearingDown,
            (S::TearingDown, E::TeardownSucceeded) => S::TornDown,
            // A teardown that failed leaves objects behind: it must be run again.
            (S::TearingDown, E::TeardownFailed) => S::TeardownFailed,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(next)
    }

    /// No deploy is running: a new one may start.
    pub fn is_settled(self) -> bool {
        !matches!(
            self,
            Self::SettingUp | Self::Patching | Self::TearingDown | Self::Pausing | Self::Resuming
        )
    }
}

/// One run of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Running when Stagecraft stopped.
    Interrupted,
}

impl DeployStatus {
    pub fn can_become(self, next: Self) -> bool {
        use DeployStatus as D;
        matches!(
            (self, next),
            // A queued deploy the environment refuses (a patch before any setup) fails unrun.
            (D::Queued, D::Running | D::Failed | D::Cancelled)
                | (
                    D::Running,
                    D::Succeeded | D::Failed | D::Cancelled | D::Interrupted
                )
        )
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Cancelled | Self::Interrupted
        )
    }
}

/// One task of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Running,
    /// Running, and waiting for something outside (readiness, a job's end); see its reason.
    Waiting,
    /// An attempt failed with a transient error; the next one starts after a wait.
    Retrying,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    /// Never started: an earlier step halted the stage, or the runtime cannot run its kind.
    Skipped,
}

impl TaskStatus {
    pub fn can_become(self, next: Self) -> bool {
        use TaskStatus as T;
        matches!(
            (self, next),
            (T::Pending, T::Running | T::Skipped | T::Cancelled)
                | (T::Running, T::Waiting)
                | (T::Waiting, T::Running | T::Waiting)
                | (T::Running | T::Waiting, T::Retrying)
                | (T::Retrying, T::Running | T::Cancelled | T::TimedOut)
                | (
                    T::Running | T::Waiting,
                    T::Succeeded | T::Failed | T::TimedOut | T::Cancelled
                )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::EnvironmentEvent as E;
    use super::EnvironmentStatus as S;
    use super::*;

    #[test]
    fn a_new_environment_is_set_up_then_patched_then_torn_down() {
        let mut status = S::Created;
        for (event, expected) in [
            (E::SetupStarted, S::SettingUp),
            (E::DeploySucceeded, S::Deployed),
            (E::PatchStarted, S::Patching),
            (E::DeploySucceeded, S::Deployed),
            (E::TeardownStarted, S::TearingDown),
            (E::TeardownSucceeded, S::TornDown),
        ] {
            status = status.on(event).unwrap();
            assert_eq!(status, expected);
        }
    }

    #[test]
    fn a_deployed_environment_is_paused_then_resumed_or_torn_down_while_paused() {
        let mut status = S::Deployed;
        for (event, expected) in [
            (E::PauseStarted, S::Pausing),
            (E::PauseSucceeded, S::Paused),
            (E::ResumeStarted, S::Resuming),
            (E::DeployDegraded, S::Degraded),
            (E::PauseStarted, S::Pausing),
            (E::PauseSucceeded, S::Paused),
            (E::TeardownStarted, S::TearingDown),
        ] {
            status = status.on(event).unwrap();
            assert_eq!(status, expected);
        }
        assert_eq!(
            S::Paused
                .on(E::ResumeStarted)
                .and_then(|s| s.on(E::DeploySucceeded)),
            Ok(S::Deployed)
        );
    }

    #[test]
    fn a_paused_environment_is_neither_deployed_nor_paused_again_nor_judged_by_health() {
        assert!(S::Paused.is_settled());
        for event in [
            E::SetupStarted,
            E::PatchStarted,
            E::PauseStarted,
            E::HealthDegraded,
            E::HealthRecovered,
        ] {
            assert!(S::Paused.on(event).is_err(), "{event:?}");
        }
        for running in [S::Pausing, S::Resuming] {
            assert!(!running.is_settled());
            for start in [E::SetupStarted, E::PatchStarted, E::TeardownStarted] {
                assert!(running.on(start).is_err(), "{running:?} took {start:?}");
            }
        }
        // Never resumed before it was set up, nor once it is gone.
        for never in [S::Created, S::TornDown, S::TeardownFailed, S::Deployed] {
            assert!(never.on(E::ResumeStarted).is_err(), "{never:?}");
        }
    }

    #[test]
    fn a_pause_or_resume_cut_short_leaves_an_environment_that_any_deploy_mends() {
        for running in [S::Pausing, S::Resuming] {
            assert_eq!(running.on(E::DeployFailed), Ok(S::Failed));
            assert_eq!(running.on(E::Interrupted), Ok(S::Interrupted));
        }
        for status in [S::Failed, S::Interrupted] {
            assert_eq!(status.on(E::PauseStarted), Ok(S::Pausing));
            assert_eq!(status.on(E::ResumeStarted), Ok(S::Resuming));
        }
    }

    #[test]
    fn a_patch_before_any_setup_is_refused() {
        assert_eq!(
            S::Created.on(E::PatchStarted),
            Err(TransitionError {
                from: S::Created,
                event: E::PatchStarted
            })
        );
    }

    #[test]
    fn nothing_starts_while_a_deploy_runs() {
        for running in [S::SettingUp, S::Patching, S::TearingDown] {
            assert!(!running.is_settled());
            for start in [E::SetupStarted, E::PatchStarted] {
                assert!(running.on(start).is_err(), "{running:?} took {start:?}");
            }
        }
    }

    #[test]
    fn a_failed_or_interrupted_environment_can_be_deployed_again_or_torn_down() {
        for status in [S::Failed, S::Interrupted] {
            assert_eq!(status.on(E::SetupStarted), Ok(S::SettingUp));
            assert_eq!(status.on(E::PatchStarted), Ok(S::Patching));
            assert_eq!(status.on(E::TeardownStarted), Ok(S::TearingDown));
        }
    }

    #[test]
    fn health_moves_a_deployed_environment_to_degraded_and_back_and_never_a_running_one() {
        assert_eq!(S::Patching.on(E::DeployDegraded), Ok(S::Degraded));
        assert_eq!(S::Deployed.on(E::HealthDegraded), Ok(S::Degraded));
        assert_eq!(S::Degraded.on(E::HealthRecovered), Ok(S::Deployed));
        for running in [S::SettingUp, S::Patching, S::TearingDown, S::TornDown] {
            assert!(running.on(E::HealthDegraded).is_err(), "{running:?}");
            assert!(running.on(E::HealthRecovered).is_err(), "{running:?}");
        }
        for start in [E::SetupStarted, E::PatchStarted, E::TeardownStarted] {
            assert!(S::Degraded.on(start).is_ok(), "{start:?}");
        }
    }

    #[test]
    fn a_torn_down_environment_takes_nothing_more() {
        for event in [
            E::SetupStarted,
            E::PatchStarted,
            E::TeardownStarted,
            E::DeploySucceeded,
        ] {
            assert!(S::TornDown.on(event).is_err());
        }
    }

    #[test]
    fn a_crash_interrupts_whatever_was_running_and_a_failed_teardown_must_run_again() {
        assert_eq!(S::SettingUp.on(E::Interrupted), Ok(S::Interrupted));
        assert_eq!(S::TearingDown.on(E::TeardownFailed), Ok(S::TeardownFailed));
        assert_eq!(S::TeardownFailed.on(E::TeardownStarted), Ok(S::TearingDown));
        assert!(S::TeardownFailed.on(E::SetupStarted).is_err());
        assert!(S::TeardownFailed.on(E::PatchStarted).is_err());
        assert!(S::Deployed.on(E::Interrupted).is_err());
    }

    #[test]
    fn deploys_and_tasks_only_move_forward() {
        assert!(DeployStatus::Queued.can_become(DeployStatus::Running));
        assert!(DeployStatus::Running.can_become(DeployStatus::Interrupted));
        assert!(!DeployStatus::Succeeded.can_become(DeployStatus::Running));
        assert!(!DeployStatus::Queued.can_become(DeployStatus::Succeeded));
        assert!(DeployStatus::Queued.can_become(DeployStatus::Failed));
        assert!(TaskStatus::Waiting.can_become(TaskStatus::Waiting));
        assert!(TaskStatus::Pending.can_become(TaskStatus::Skipped));
        assert!(!TaskStatus::Succeeded.can_become(TaskStatus::Running));
        assert!(!TaskStatus::Pending.can_become(TaskStatus::Succeeded));
        assert!(TaskStatus::Waiting.can_become(TaskStatus::Retrying));
        assert!(TaskStatus::Retrying.can_become(TaskStatus::Running));
        assert!(!TaskStatus::Retrying.can_become(TaskStatus::Succeeded));
    }
}
