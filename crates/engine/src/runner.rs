//! One stage's workflow plan, executed with Release's semantics (reference §4.3): steps in
//! order; the tasks of a step together; a failed task is recorded and the stage goes on,
//! unless its step halts on error; a step with `wait_for_finish: false` starts its tasks and
//! the stage moves on, awaiting them before it ends; timeouts; cancellation.
//!
//! A task has attempts. A runtime marks a failure `transient` when the same call may well
//! succeed a moment later and a second try repeats nothing. The Docker runtime does so for a
//! dropped or timed-out connection, a 429, 502, 503 or 504, and a 409 "already in progress";
//! never for a 500, which the Docker engine answers most refusals with, and never once a job's
//! container may have started, since that would run the job twice. The Kubernetes runtime does
//! so for an unreachable API server, a 429 or a 5xx, and never once a job's Job exists. The
//! runner tries such a task again, 3 attempts in all, after 1 s and then 2 s (`Retries`),
//! inside the task's own time limit and the user's cancel. Each failed attempt is a
//! `task_retrying` event and each new one a `task_attempt_started`; the timeline row keeps the
//! count (`deploy_task.attempts`) and the last attempt's error as its wait reason; a task out
//! of attempts fails with "… (attempt 3 of 3)". A job that exits non-zero is a result, not a
//! failure to run it, and is never retried (Release's jobs have `backoffLimit: 0`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use stagecraft_template::{PlannedStep, Task, WorkflowPlan};
use tokio_util::sync::CancellationToken;

use crate::Stage;
use crate::event::{DeployEvent, DeployOutcome, EventSink, StepOutcome, TaskOutcome};
use crate::runtime::{EnvironmentRef, JobSpec, Runtime, ServiceSpec, TaskProgress, WorkloadStatus};

/// How long a runner waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For a service to become ready (Release waits 600 s for a pod).
    pub readiness: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            readiness: Duration::from_secs(600),
        }
    }
}

/// How often a task is tried when its runtime says the failure is transient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Attempts in all, the first one included.
    pub attempts: u32,
    /// The wait before the second attempt; doubled before each next one.
    pub backoff: Duration,
}

impl Default for Retries {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The resolved services and jobs a plan's tasks name.
#[derive(Debug, Clone, Default)]
pub struct Workloads {
    pub services: HashMap<String, ServiceSpec>,
    pub jobs: HashMap<String, JobSpec>,
    /// The template's cron jobs: scheduled by the runtime (a CronJob) or run by the clock.
    pub cron_jobs: HashMap<String, crate::CronJobSpec>,
    /// Volumes filled from a dataset before anything runs (the first setup of an environment
    /// made from one).
    pub seeds: Vec<crate::VolumeSeed>,
    /// Jobs not run, each with why (a dataset's volumes hold what they did).
    pub skipped_jobs: HashMap<String, String>,
}

/// Runs stages against one runtime, sending every event to one sink.
pub struct Runner {
    runtime: Arc<dyn Runtime>,
    sink: Arc<dyn EventSink>,
    timeouts: Timeouts,
    retries: Retries,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("timeouts", &self.timeouts)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

/// What one task needs, owned, so a step that does not wait can run on its own.
#[derive(Clone)]
struct TaskContext {
    /// A resume starts services (`Runtime::wake_service`) and skips jobs.
    stage: Stage,
    runtime: Arc<dyn Runtime>,
    sink: Arc<dyn EventSink>,
    env: EnvironmentRef,
    workloads: Arc<Workloads>,
    cancel: CancellationToken,
    timeouts: Timeouts,
    retries: Retries,
}

impl Runner {
    pub fn new(runtime: Arc<dyn Runtime>, sink: Arc<dyn EventSink>) -> Self {
        Self {
            runtime,
            sink,
            timeouts: Timeouts::default(),
            retries: Retries::default(),
        }
    }

    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn with_retries(mut self, retries: Retries) -> Self {
        self.retries = retries;
        self
    }

    /// Runs `plan` as `stage` of `env`. `reason` says why this stage runs ("first setup",
    /// "the configuration changed since the last setup", ...). Setup prepares the
    /// environment's infrastructure first; teardown removes the environment at the end even
    /// when its workflow forgot to.
    pub async fn run(
        &self,
        env: &EnvironmentRef,
        stage: Stage,
        reason: &str,
        plan: &WorkflowPlan,
        workloads: Arc<Workloads>,
        cancel: &CancellationToken,
    ) -> DeployOutcome {
        self.sink.emit(DeployEvent::StageStarted {
            stage,
            reason: reason.to_owned(),
        });
        let outcome = self.run_stage(env, stage, plan, workloads, cancel).await;
        self.sink.emit(DeployEvent::StageFinished {
            stage,
            outcome: outcome.clone(),
        });
        outcome
    }

    async fn run_stage(
        &self,
        env: &EnvironmentRef,
        stage: Stage,
        plan: &WorkflowPlan,
        workloads: Arc<Workloads>,
        cancel: &CancellationToken,
    ) -> DeployOutcome {
        if stage == Stage::Setup {
            let prepared = tokio::select! {
                () = cancel.cancelled() => return DeployOutcome::Cancelled,
                prepared = self.runtime.prepare(env) => prepared,
            };
            if let Err(error) = prepared {
                return DeployOutcome::Failed {
                    reason: format!("preparing the environment failed: {error}"),
                    kind: Some(error.kind),
                };
            }
            self.sink.emit(DeployEvent::InfrastructurePrepared);
            for seed in &workloads.seeds {
                let seeded = tokio::select! {
                    () = cancel.cancelled() => return DeployOutcome::Cancelled,
                    seeded = self.runtime.seed_volume(env, seed) => seeded,
                };
                match seeded {
                    Ok(None) => {}
                    Ok(Some(bytes)) => self.sink.emit(DeployEvent::VolumeSeeded {
                        dataset: seed.dataset.clone(),
                        service: seed.service.clone(),
                        volume: seed.volume.mount_path.clone(),
                        bytes,
                    }),
                    Err(error) => {
                        return DeployOutcome::Failed {
                            reason: format!(
                                "filling {}'s volume at {} from dataset `{}` failed: {error}",
                                seed.service, seed.volume.mount_path, seed.dataset
                            ),
                            kind: Some(error.kind),
                        };
                    }
                }
            }
        }
        let context = TaskContext {
            stage,
            runtime: Arc::clone(&self.runtime),
            sink: Arc::clone(&self.sink),
            env: env.clone(),
            workloads,
            cancel: cancel.clone(),
            timeouts: self.timeouts,
            retries: self.retries,
        };
        let mut failed_tasks = 0;
        // The first failed task's words and kind: what a teardown that left objects says.
        let mut first_error: Option<(String, Option<crate::RuntimeErrorKind>)> = None;
        let mut halted: Option<DeployOutcome> = None;
        let mut background = Vec::new();
        for (index, step) in plan.steps.iter().enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            self.sink.emit(DeployEvent::StepStarted {
                step: index,
                name: step.name.clone(),
                tasks: step.tasks.iter().map(Task::to_string).collect(),
                wait_for_finish: step.wait_for_finish,
            });
            let running = run_step(context.clone(), index, step.clone());
            if step.wait_for_finish {
                let ran = running.await;
                failed_tasks += ran.failures;
                if first_error.is_none() {
                    first_error = ran.error.clone().map(|e| (e, ran.kind));
                }
                if let Some(outcome) = halted_by(&ran, step) {
                    halted = Some(outcome);
                    break;
                }
            } else {
                background.push((index, step.clone(), tokio::spawn(running)));
            }
        }
        if !background.is_empty() {
            self.sink.emit(DeployEvent::StepsAwaited {
                steps: background.iter().map(|(index, _, _)| *index).collect(),
            });
            for (_, step, handle) in background {
                match handle.await {
                    Ok(ran) => {
                        failed_tasks += ran.failures;
                        if first_error.is_none() {
                            first_error = ran.error.clone().map(|e| (e, ran.kind));
                        }
                        if halted.is_none() {
                            halted = halted_by(&ran, &step);
                        }
                    }
                    Err(join) => {
                        halted.get_or_insert_with(|| DeployOutcome::Failed {
                            reason: format!("step `{}` stopped unexpectedly: {join}", step.name),
                            kind: None,
                        });
                    }
                }
            }
        }
        if cancel.is_cancelled() {
            return DeployOutcome::Cancelled;
        }
        if let Some(outcome) = halted {
            return outcome;
        }
        if stage == Stage::Teardown && !removes_environment(plan) {
            if let Err(error) = self.runtime.remove_environment(env).await {
                return DeployOutcome::Failed {
                    reason: format!("removing the environment failed: {error}"),
                    kind: Some(error.kind),
                };
            }
            self.sink.emit(DeployEvent::EnvironmentRemoved);
        }
        if stage == Stage::Teardown
            && let Some(left) = left_behind(env, first_error).await
        {
            return left;
        }
        // A pause has no workflow: it stops every container of the environment. Cancelled, it
        // leaves part of it stopped (the environment `failed`: a pause or resume mends it).
        if stage == Stage::Pause {
            let paused = tokio::select! {
                () = cancel.cancelled() => return DeployOutcome::Cancelled,
                paused = self.runtime.pause_environment(env) => paused,
            };
            if let Err(error) = paused {
                return DeployOutcome::Failed {
                    reason: format!("pausing the environment failed: {error}"),
                    kind: Some(error.kind),
                };
            }
        }
        // The runtime's own scheduler takes the cron jobs as they now are (a resume takes
        // them back from the pause, which held them).
        if matches!(stage, Stage::Setup | Stage::Patch | Stage::Resume)
            && self.runtime.schedules_cron_jobs()
        {
            let mut cron_jobs: Vec<crate::CronJobSpec> =
                context.workloads.cron_jobs.values().cloned().collect();
            cron_jobs.sort_by(|a, b| a.job.name.cmp(&b.job.name));
            if let Err(error) = self.runtime.schedule_cron_jobs(env, &cron_jobs).await {
                return DeployOutcome::Failed {
                    reason: format!("scheduling the cron jobs failed: {error}"),
                    kind: Some(error.kind),
                };
            }
        }
        let unready = if matches!(
            stage,
            Stage::Setup | Stage::Patch | Stage::Workflow | Stage::Resume
        ) {
            self.unready_services(env).await
        } else {
            Vec::new()
        };
        DeployOutcome::Succeeded {
            failed_tasks,
            unready,
        }
    }

    /// The environment's services that are not ready as the stage ends, in the runtime's
    /// words; none when the runtime cannot say (the deploy's tasks have said what they saw).
    async fn unready_services(&self, env: &EnvironmentRef) -> Vec<String> {
        match self.runtime.status(env).await {
            Ok(statuses) => statuses
                .iter()
                .filter(|s| s.workload.starts_with("services.") && !s.is_ready())
                .map(WorkloadStatus::describe)
                .collect(),
            Err(error) => {
                tracing::warn!(env = %env.env_id, %error, "the services' readiness cannot be read");
                Vec::new()
            }
        }
    }
}

fn removes_environment(plan: &WorkflowPlan) -> bool {
    plan.steps
        .iter()
        .flat_map(|s| &s.tasks)
        .any(|t| *t == Task::RemoveEnvironment)
}

/// What a step's run came to.
struct StepRun {
    outcome: StepOutcome,
    /// How many of its tasks failed or timed out.
    failures: usize,
    /// The kind of the first runtime failure among them, when a runtime said.
    kind: Option<crate::RuntimeErrorKind>,
    /// The first failed task, and what it said.
    error: Option<String>,
}

/// A teardown is complete or says what it left: every object of the ledger that is not marked
/// removed (a removal that failed in a step that goes on after errors, an engine that went
/// away) fails it, named, so it is run again rather than called done.
async fn left_behind(
    env: &EnvironmentRef,
    why: Option<(String, Option<crate::RuntimeErrorKind>)>,
) -> Option<DeployOutcome> {
    /// How many of the objects left the reason names.
    const NAMED: usize = 8;
    match env.ledger.entries().await {
        Ok(left) if left.is_empty() => None,
        Ok(left) => {
            let mut named: Vec<String> = left
                .iter()
                .take(NAMED)
                .map(|o| format!("{} {}", o.kind, o.name))
                .collect();
            if left.len() > NAMED {
                named.push(format!("and {} more", left.len() - NAMED));
            }
            let (text, kind) = match why {
                Some((why, kind)) => (
                    format!(" (the first failure: {why}); tear it down again once that is fixed"),
                    kind,
                ),
                None => ("; tear it down again".to_owned(), None),
            };
            Some(DeployOutcome::Failed {
                reason: format!(
                    "the teardown left {} object(s) of the environment: {}{text}",
                    left.len(),
                    named.join(", ")
                ),
                // The first failure's kind: what to do about it (an engine out of reach…).
                kind,
            })
        }
        Err(error) => Some(DeployOutcome::Failed {
            reason: format!("the teardown could not read what is left of the environment: {error}"),
            kind: Some(error.kind),
        }),
    }
}

/// The stage's outcome when the step stopped it.
fn halted_by(ran: &StepRun, step: &PlannedStep) -> Option<DeployOutcome> {
    (ran.outcome == StepOutcome::Halted).then(|| DeployOutcome::Failed {
        reason: match &ran.error {
            Some(error) => format!(
                "a task of step `{}` failed, and the step halts on error: {error}",
                step.name
            ),
            None => format!(
                "a task of step `{}` failed, and the step halts on error",
                step.name
            ),
        },
        kind: ran.kind,
    })
}

/// Runs a step's tasks together.
async fn run_step(context: TaskContext, index: usize, step: PlannedStep) -> StepRun {
    let tasks = step
        .tasks
        .iter()
        .map(|task| run_task(context.clone(), index, task.clone(), step.halt_on_error));
    let outcomes = join_all(tasks).await;
    let failures = outcomes
        .iter()
        .filter(|o| matches!(o, TaskOutcome::Failed { .. } | TaskOutcome::TimedOut { .. }))
        .count();
    let outcome = if outcomes.contains(&TaskOutcome::Cancelled) {
        StepOutcome::Cancelled
    } else if failures > 0 && step.halt_on_error {
        StepOutcome::Halted
    } else if failures > 0 {
        StepOutcome::SucceededWithFailures
    } else {
        StepOutcome::Succeeded
    };
    context.sink.emit(DeployEvent::StepFinished {
        step: index,
        outcome,
    });
    // The first task that failed says both what kind of failure it was and what it said.
    let (kind, error) = step
        .tasks
        .iter()
        .zip(&outcomes)
        .find_map(|(task, o)| match o {
            TaskOutcome::Failed { error, kind, .. } => Some((*kind, format!("{task}: {error}"))),
            TaskOutcome::TimedOut { after_secs, .. } => {
                Some((None, format!("{task}: timed out after {after_secs} s")))
            }
            _ => None,
        })
        .map_or((None, None), |(kind, error)| (kind, Some(error)));
    StepRun {
        outcome,
        failures,
        kind,
        error,
    }
}

async fn run_task(context: TaskContext, step: usize, task: Task, halts: bool) -> TaskOutcome {
    let name = task.to_string();
    let outcome = match &task {
        Task::Service(service) => match context.workloads.services.get(service) {
            Some(spec) => deploy_service(&context, step, &name, spec, halts).await,
            None => missing(&context, step, &name, "service", halts),
        },
        Task::Job(_) if context.stage == Stage::Resume => TaskOutcome::Skipped {
            reason: "a resume runs no jobs: they ran when the environment was set up, and its \
                     volumes kept what they did"
                .to_owned(),
        },
        Task::Job(job) if context.workloads.skipped_jobs.contains_key(job) => {
            TaskOutcome::Skipped {
                reason: context.workloads.skipped_jobs[job].clone(),
            }
        }
        Task::Job(job) => match context.workloads.jobs.get(job) {
            Some(spec) => run_job(&context, step, &name, spec, halts).await,
            None => missing(&context, step, &name, "job", halts),
        },
        Task::Chart(_) => TaskOutcome::Skipped {
            reason: "Stagecraft does not run Helm charts yet".to_owned(),
        },
        Task::Infrastructure(_) => TaskOutcome::Skipped {
            reason: "Stagecraft does not run infrastructure as code yet".to_owned(),
        },
        Task::RemoveEnvironment => remove_environment(&context, step, &name, halts).await,
    };
    context.sink.emit(DeployEvent::TaskFinished {
        step,
        task: name,
        outcome: outcome.clone(),
    });
    outcome
}

fn started(
    context: &TaskContext,
    step: usize,
    name: &str,
    limit: Option<Duration>,
) -> TaskProgress {
    context.sink.emit(DeployEvent::TaskStarted {
        step,
        task: name.to_owned(),
        limit_secs: limit.map(|l| l.as_secs()),
    });
    TaskProgress {
        sink: Arc::clone(&context.sink),
        step,
        task: name.to_owned(),
    }
}

fn missing(context: &TaskContext, step: usize, name: &str, what: &str, halts: bool) -> TaskOutcome {
    started(context, step, name, None);
    TaskOutcome::Failed {
        error: format!("the configuration has no {what} for `{name}`"),
        halts,
        kind: None,
    }
}

/// Makes `call` once per attempt until it succeeds, fails for good, or was tried as often as
/// the runner's retries allow, waiting longer before each next attempt. Each failed attempt
/// that will be tried again is a `TaskRetrying` event, so the timeline shows every attempt and
/// why it failed; a task that ran out of attempts says how many it had.
async fn with_attempts<T, F, Fut>(
    context: &TaskContext,
    progress: &TaskProgress,
    mut call: F,
) -> Result<T, crate::RuntimeError>
where
    F: FnMut(TaskProgress) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::RuntimeError>>,
{
    let of = context.retries.attempts.max(1);
    let mut backoff = context.retries.backoff;
    let mut attempt = 1;
    loop {
        match call(progress.clone()).await {
            Err(error) if error.transient && attempt < of => {
                context.sink.emit(DeployEvent::TaskRetrying {
                    step: progress.step,
                    task: progress.task.clone(),
                    attempt,
                    of,
                    error: error.message,
                    retry_in_ms: u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                });
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                attempt += 1;
                context.sink.emit(DeployEvent::TaskAttemptStarted {
                    step: progress.step,
                    task: progress.task.clone(),
                    attempt,
                });
            }
            Err(error) if attempt > 1 => {
                let message = format!("{} (attempt {attempt} of {of})", error.message);
                return Err(error.with_message(message));
            }
            result => return result,
        }
    }
}

/// A task's runtime call under the user's cancel and a time limit; `done` judges its result.
async fn bounded<T>(
    cancel: &CancellationToken,
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, crate::RuntimeError>>,
    halts: bool,
    done: impl FnOnce(T) -> TaskOutcome,
) -> TaskOutcome {
    tokio::select! {
        () = cancel.cancelled() => TaskOutcome::Cancelled,
        result = tokio::time::timeout(limit, call) => match result {
            Ok(Ok(value)) => done(value),
            Ok(Err(error)) => TaskOutcome::Failed {
                error: error.to_string(),
                halts,
                kind: Some(error.kind),
            },
            Err(_elapsed) => TaskOutcome::TimedOut { after_secs: limit.as_secs(), halts },
        },
    }
}

async fn deploy_service(
    context: &TaskContext,
    step: usize,
    name: &str,
    spec: &ServiceSpec,
    halts: bool,
) -> TaskOutcome {
    let progress = started(context, step, name, Some(context.timeouts.readiness));
    let (runtime, env) = (&context.runtime, &context.env);
    let resume = context.stage == Stage::Resume;
    let call = with_attempts(context, &progress, |progress| async move {
        if resume {
            runtime.wake_service(env, spec, progress).await
        } else {
            runtime.deploy_service(env, spec, progress).await
        }
    });
    bounded(
        &context.cancel,
        context.timeouts.readiness,
        call,
        halts,
        |()| TaskOutcome::Succeeded,
    )
    .await
}

async fn run_job(
    context: &TaskContext,
    step: usize,
    name: &str,
    spec: &JobSpec,
    halts: bool,
) -> TaskOutcome {
    let progress = started(context, step, name, Some(spec.completed_timeout));
    let (runtime, env) = (&context.runtime, &context.env);
    let call = with_attempts(context, &progress, |progress| {
        runtime.run_job(env, spec, progress)
    });
    let outcome = bounded(
        &context.cancel,
        spec.completed_timeout,
        call,
        halts,
        |exit| {
            if exit.code == 0 {
                TaskOutcome::Succeeded
            } else {
                TaskOutcome::Failed {
                    error: exit.explain(spec.limits.memory_bytes),
                    halts,
                    kind: None,
                }
            }
        },
    )
    .await;
    if matches!(
        outcome,
        TaskOutcome::Cancelled | TaskOutcome::TimedOut { .. }
    ) {
        // The job may still run in the runtime; a failure to stop it is logged, and teardown
        // removes it with the rest of the environment.
        if let Err(error) = context.runtime.stop_job(&context.env, spec).await {
            tracing::warn!(job = %spec.name, %error, "could not stop the job");
        }
    }
    outcome
}

async fn remove_environment(
    context: &TaskContext,
    step: usize,
    name: &str,
    halts: bool,
) -> TaskOutcome {
    let progress = started(context, step, name, None);
    let (runtime, env) = (&context.runtime, &context.env);
    let call = with_attempts(context, &progress, |_| runtime.remove_environment(env));
    tokio::select! {
        () = context.cancel.cancelled() => TaskOutcome::Cancelled,
        result = call => match result {
            Ok(()) => {
                context.sink.emit(DeployEvent::EnvironmentRemoved);
                TaskOutcome::Succeeded
            }
            Err(error) => TaskOutcome::Failed {
                error: error.to_string(),
                halts,
                kind: Some(error.kind),
            },
        },
    }
}
