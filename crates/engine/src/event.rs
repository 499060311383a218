use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Stage;
use crate::runtime::RuntimeErrorKind;

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskOutcome {
    Succeeded,
    /// The task failed; `halts` when its step has `halt_on_error`, else the failure is
    /// recorded and the stage goes on (Release's default).
    Failed {
        error: String,
        halts: bool,
        /// What kind of runtime failure it was, when the runtime said: what the user can do.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        kind: Option<RuntimeErrorKind>,
    },
    TimedOut {
        #[ts(type = "number")]
        after_secs: u64,
        halts: bool,
    },
    Cancelled,
    /// Never started, and why.
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Succeeded,
    /// Some tasks failed; the stage went on.
    SucceededWithFailures,
    /// A task failed and the step halts on error: the stage stops here.
    Halted,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeployOutcome {
    /// Every step ran; `failed_tasks` failed without halting, and the services in `unready`
    /// were not ready when the stage ended (`api: 0 of 1 ready (Exited (1) 2 seconds ago)`).
    /// Either makes the environment degraded.
    Succeeded {
        failed_tasks: usize,
        #[serde(default)]
        unready: Vec<String>,
    },
    Failed {
        reason: String,
        /// What kind of runtime failure stopped it, when one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        kind: Option<RuntimeErrorKind>,
    },
    Cancelled,
    /// The process running it stopped (killed, crashed, the machine went down) before it
    /// ended; deploying again resumes it.
    Interrupted {
        reason: String,
    },
}

/// Everything a deploy tells as it runs, in order. Serialised with a `type` tag; the store
/// gives each one a `seq`, so a window that reloads replays and then follows without a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeployEvent {
    StageStarted {
        stage: Stage,
        reason: String,
    },
    InfrastructurePrepared,
    /// A volume filled from a dataset before the environment's first setup ran anything.
    VolumeSeeded {
        dataset: String,
        service: String,
        /// Where the service mounts it.
        volume: String,
        bytes: u64,
    },
    StepStarted {
        step: usize,
        name: String,
        tasks: Vec<String>,
        wait_for_finish: bool,
    },
    TaskStarted {
        step: usize,
        task: String,
        /// The longest it may run, when it has a limit: the window counts down what is left
        /// while it waits. Absent from events kept before it was told.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        limit_secs: Option<u64>,
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
        #[ts(type = "number")]
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
        #[ts(type = "number")]
        millis: u64,
        reason: String,
    },
    /// The task's service was replaced without downtime: its new replica was ready `millis`
    /// after it was started beside the old one, and the ingress sends its requests there
    /// now (the old one stops after, its requests under way let finish).
    ServiceSwitched {
        step: usize,
        task: String,
        #[ts(type = "number")]
        millis: u64,
        detail: String,
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
        #[ts(type = "number")]
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

impl TaskOutcome {
    /// In a progress line: `failed: <why>`, `succeeded`.
    fn describe(&self) -> String {
        match self {
            Self::Succeeded => "succeeded".to_owned(),
            Self::Failed { error, .. } => format!("failed: {error}"),
            Self::TimedOut { after_secs, .. } => format!("timed out after {after_secs} s"),
            Self::Cancelled => "cancelled".to_owned(),
            Self::Skipped { reason } => format!("skipped: {reason}"),
        }
    }
}

impl DeployOutcome {
    /// A setup or patch that ran to its end with failed tasks or services not ready: the
    /// environment runs, degraded.
    pub fn is_degraded(&self) -> bool {
        matches!(self, Self::Succeeded { failed_tasks, unready } if *failed_tasks > 0 || !unready.is_empty())
    }

    /// In a progress line: `succeeded`, `succeeded with 2 failed tasks`, `failed: <why>`.
    pub fn describe(&self) -> String {
        match self {
            Self::Succeeded {
                failed_tasks,
                unready,
            } => {
                let mut line = match failed_tasks {
                    0 => "succeeded".to_owned(),
                    1 => "succeeded with 1 failed task".to_owned(),
                    n => format!("succeeded with {n} failed tasks"),
                };
                if !unready.is_empty() {
                    line.push_str(&format!("; not ready: {}", unready.join(", ")));
                }
                line
            }
            Self::Failed { reason, .. } => format!("failed: {reason}"),
            Self::Cancelled => "cancelled".to_owned(),
            Self::Interrupted { reason } => format!("interrupted: {reason}"),
        }
    }
}

impl DeployEvent {
    /// The event as a line of a deploy's progress, the words both `stagecraft deploys create
    /// --wait` and the window show; `None` for the events too small to show. Indented by
    /// depth: a stage, its builds and steps, their tasks.
    pub fn progress_line(&self) -> Option<String> {
        Some(match self {
            Self::StageStarted { stage, reason } => {
                // Reasons often name their stage already ("patch: the configuration …").
                let stage = stage.to_string();
                if reason.starts_with(&stage) {
                    reason.clone()
                } else {
                    format!("{stage}: {reason}")
                }
            }
            Self::ServiceBuildStarted { service } => format!("  build {service}"),
            Self::ServiceBuilt {
                service,
                size_bytes,
                cache_hits,
                ..
            } => format!(
                "  built {service}: {} MB, {cache_hits} steps from cache",
                size_bytes / 1_000_000
            ),
            Self::ServiceBuildReused { service, reason } => format!("  build {service}: {reason}"),
            Self::ServiceBuildFailed { service, error } => {
                format!("  build {service} failed: {error}")
            }
            Self::StepStarted { name, .. } => format!("  step {name}"),
            Self::TaskWaiting { task, reason, .. } => format!("    {task}: {reason}"),
            Self::TaskRetrying {
                task,
                attempt,
                of,
                error,
                ..
            } => format!("    {task}: attempt {attempt} of {of} failed: {error}; trying again"),
            Self::TaskFinished { task, outcome, .. } => {
                format!("    {task}: {}", outcome.describe())
            }
            Self::ServiceUnavailable { task, reason, .. } => format!("    {task}: {reason}"),
            Self::ServiceSwitched { task, detail, .. } => format!("    {task}: {detail}"),
            Self::StageFinished { stage, outcome } => format!("{stage}: {}", outcome.describe()),
            Self::DeployInterrupted { reason } => format!("interrupted: {reason}"),
            Self::VolumeSeeded {
                dataset,
                service,
                volume,
                bytes,
            } => format!(
                "  {service}'s volume at {volume} filled from dataset `{dataset}` ({} KiB)",
                bytes.div_ceil(1024)
            ),
            Self::InfrastructurePrepared
            | Self::TaskStarted { .. }
            | Self::TaskAttemptStarted { .. }
            | Self::StepFinished { .. }
            | Self::StepsAwaited { .. }
            | Self::EnvironmentRemoved
            | Self::ServiceBuildStep { .. } => return None,
        })
    }

    /// Whether the event ends its deploy: nothing follows it.
    pub fn ends_deploy(&self) -> bool {
        matches!(
            self,
            Self::StageFinished { .. } | Self::DeployInterrupted { .. }
        )
    }
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
