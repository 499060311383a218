use serde::Serialize;

use crate::Stage;

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskOutcome {
    Succeeded,
    /// The task failed; `halts` when its step has `halt_on_error`, else the failure is
    /// recorded and the stage goes on (Release's default).
    Failed {
        error: String,
        halts: bool,
    },
    TimedOut {
        after_secs: u64,
        halts: bool,
    },
    Cancelled,
    /// Never started, and why.
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Succeeded,
    /// Some tasks failed; the stage went on.
    SucceededWithFailures,
    /// A task failed and the step halts on error: the stage stops here.
    Halted,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeployOutcome {
    /// Every step ran; `failed_tasks` failed without halting.
    Succeeded {
        failed_tasks: usize,
    },
    Failed {
        reason: String,
    },
    Cancelled,
}

/// Everything a deploy tells as it runs, in order. Serialised with a `type` tag; the store
/// gives each one a `seq`, so a window that reloads replays and then follows without a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeployEvent {
    StageStarted {
        stage: Stage,
        reason: String,
    },
    InfrastructurePrepared,
    StepStarted {
        step: usize,
        name: String,
        tasks: Vec<String>,
        wait_for_finish: bool,
    },
    TaskStarted {
        step: usize,
        task: String,
    },
    TaskWaiting {
        step: usize,
        task: String,
        reason: String,
    },
    /// Attempt `attempt` of `of` failed with an error worth another try; the next attempt
    /// starts in `retry_in_ms`.
    TaskRetrying {
        step: usize,
        task: String,
        attempt: u32,
        of: u32,
        error: String,
        retry_in_ms: u64,
    },
    /// Attempt `attempt` (2 or more) of a task starts.
    TaskAttemptStarted {
        step: usize,
        task: String,
        attempt: u32,
    },
    TaskFinished {
        step: usize,
        task: String,
        outcome: TaskOutcome,
    },
    StepFinished {
        step: usize,
        outcome: StepOutcome,
    },
    /// While the task replaced a service, no replica of it was ready for `millis`.
    ServiceUnavailable {
        step: usize,
        task: String,
        millis: u64,
        reason: String,
    },
    /// A step with `wait_for_finish: false` left tasks running; the stage awaits them at its end.
    StepsAwaited {
        steps: Vec<usize>,
    },
    EnvironmentRemoved,
    StageFinished {
        stage: Stage,
        outcome: DeployOutcome,
    },
    /// Build stage: the service's inputs are unchanged, its last image is used again.
    ServiceBuildReused {
        service: String,
        reason: String,
    },
    ServiceBuildStarted {
        service: String,
    },
    ServiceBuildStep {
        service: String,
        instruction: String,
        cached: bool,
    },
    ServiceBuilt {
        service: String,
        image_id: String,
        size_bytes: u64,
        cache_hits: usize,
    },
    ServiceBuildFailed {
        service: String,
        error: String,
    },
    /// Written on start for a deploy whose process died while it ran: resume it by deploying
    /// again (every runtime call is idempotent), or tear the environment down.
    DeployInterrupted {
        reason: String,
    },
}

/// Where a runner's events go. The caller decides: the store, a UI channel, a test's list.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: DeployEvent);
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<DeployEvent> {
    fn emit(&self, event: DeployEvent) {
        // A receiver that went away no longer wants events; the deploy goes on.
        let _ = self.send(event);
    }
}
