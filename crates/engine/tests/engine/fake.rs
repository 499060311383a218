use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stagecraft_engine::{
    DeployEvent, EnvironmentRef, JobExit, JobSpec, LogLine, Runtime, RuntimeError, RuntimeObject,
    ServiceSpec, TaskProgress, WorkloadStatus,
};

/// What the fake does when asked to deploy a service or run a job.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Say each reason as a wait, then succeed after `after` (a job exits 0).
    Succeed {
        after: Duration,
        waits: Vec<&'static str>,
    },
    Fail {
        after: Duration,
        message: &'static str,
    },
    /// A job that exits with this code.
    Exit { after: Duration, code: i64 },
    /// Never finishes.
    Hang,
    /// The first `failures` calls fail with a transient error after `after`; then `then`.
    Flaky {
        failures: usize,
        after: Duration,
        then: Box<Behaviour>,
    },
}

pub fn ok(secs: u64) -> Behaviour {
    Behaviour::Succeed {
        after: Duration::from_secs(secs),
        waits: Vec::new(),
    }
}

#[derive(Debug, Default)]
pub struct Fake {
    pub calls: Mutex<Vec<String>>,
    /// How many times each workload was asked for, so a flaky one knows its attempt.
    pub asked: Mutex<HashMap<String, usize>>,
    pub behaviours: HashMap<String, Behaviour>,
    pub prepare_fails: bool,
}

impl Fake {
    pub fn with(behaviours: &[(&str, Behaviour)]) -> Arc<Self> {
        Arc::new(Self {
            behaviours: behaviours
                .iter()
                .map(|(n, b)| ((*n).to_owned(), b.clone()))
                .collect(),
            ..Self::default()
        })
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    async fn behave(&self, name: &str, progress: &TaskProgress) -> Result<i64, RuntimeError> {
        let asked = {
            let mut asked = self.asked.lock().unwrap();
            let count = asked.entry(name.to_owned()).or_default();
            *count += 1;
            *count
        };
        let mut behaviour = self.behaviours.get(name).cloned().unwrap_or_else(|| ok(1));
        if let Behaviour::Flaky {
            failures,
            after,
            then,
        } = behaviour
        {
            if asked <= failures {
                tokio::time::sleep(after).await;
                return Err(RuntimeError::transient(format!(
                    "the engine closed the connection (call {asked})"
                )));
            }
            behaviour = *then;
        }
        match behaviour {
            Behaviour::Succeed { after, waits } => {
                for reason in waits {
                    progress.waiting(reason);
                }
                tokio::time::sleep(after).await;
                Ok(0)
            }
            Behaviour::Fail { after, message } => {
                tokio::time::sleep(after).await;
                Err(RuntimeError::new(message))
            }
            Behaviour::Exit { after, code } => {
                tokio::time::sleep(after).await;
                Ok(code)
            }
            Behaviour::Hang => std::future::pending().await,
            Behaviour::Flaky { .. } => unreachable!("a flaky behaviour wraps a plain one"),
        }
    }
}

#[async_trait::async_trait]
impl Runtime for Fake {
    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.record(format!("prepare {}", env.env_id));
        if self.prepare_fails {
            return Err(
                RuntimeError::new("the network stagecraft-ted1bc4 cannot be created")
                    .of_kind(stagecraft_engine::RuntimeErrorKind::Conflict),
            );
        }
        Ok(())
    }

    async fn deploy_service(
        &self,
        _env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.record(format!("deploy {}", service.name));
        self.behave(&service.name, &progress).await.map(|_| ())
    }

    async fn run_job(
        &self,
        _env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        self.record(format!("run {}", job.name));
        self.behave(&job.name, &progress)
            .await
            .map(|code| JobExit::new(code, false))
    }

    async fn stop_job(&self, _env: &EnvironmentRef, job: &JobSpec) -> Result<(), RuntimeError> {
        self.record(format!("stop {}", job.name));
        Ok(())
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.record(format!("remove {}", env.env_id));
        Ok(())
    }

    async fn pause_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.record(format!("pause {}", env.env_id));
        Ok(())
    }

    async fn wake_service(
        &self,
        _env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        self.record(format!("wake {}", service.name));
        self.behave(&service.name, &progress).await.map(|_| ())
    }

    async fn status(&self, _env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        Ok(Vec::new())
    }

    async fn objects(&self, _env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        Ok(Vec::new())
    }

    fn logs(
        &self,
        _env: &EnvironmentRef,
        _workload: &str,
        _follow: bool,
        _since: Option<std::time::SystemTime>,
    ) -> stagecraft_engine::BoxStream<Result<LogLine, RuntimeError>> {
        Box::pin(futures_util::stream::empty())
    }
}

/// Events as short lines, easy to compare: "task_finished 1 services.web succeeded".
pub fn lines(events: &[DeployEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            DeployEvent::StageStarted { stage, .. } => format!("stage_started {stage}"),
            DeployEvent::InfrastructurePrepared => "infrastructure_prepared".to_owned(),
            DeployEvent::VolumeSeeded {
                service, volume, ..
            } => format!("volume_seeded {service} {volume}"),
            DeployEvent::StepStarted { step, name, .. } => format!("step_started {step} {name}"),
            DeployEvent::TaskStarted { step, task, .. } => format!("task_started {step} {task}"),
            DeployEvent::TaskWaiting { step, task, reason } => {
                format!("task_waiting {step} {task}: {reason}")
            }
            DeployEvent::TaskRetrying {
                step,
                task,
                attempt,
                of,
                error,
                retry_in_ms,
            } => format!("task_retrying {step} {task} {attempt}/{of} in {retry_in_ms} ms: {error}"),
            DeployEvent::TaskAttemptStarted {
                step,
                task,
                attempt,
            } => format!("task_attempt_started {step} {task} {attempt}"),
            DeployEvent::TaskFinished {
                step,
                task,
                outcome,
            } => {
                format!(
                    "task_finished {step} {task} {}",
                    serde_json_outcome(outcome)
                )
            }
            DeployEvent::StepFinished { step, outcome } => {
                format!("step_finished {step} {outcome:?}")
            }
            DeployEvent::ServiceUnavailable {
                task,
                millis,
                reason,
                ..
            } => format!("unavailable {task} {millis} ms: {reason}"),
            DeployEvent::ServiceSwitched { task, detail, .. } => {
                format!("switched {task}: {detail}")
            }
            DeployEvent::StepsAwaited { steps } => format!("steps_awaited {steps:?}"),
            DeployEvent::EnvironmentRemoved => "environment_removed".to_owned(),
            DeployEvent::StageFinished { stage, outcome } => {
                format!("stage_finished {stage} {outcome:?}")
            }
            DeployEvent::DeployInterrupted { reason } => format!("deploy_interrupted: {reason}"),
            DeployEvent::ServiceBuildReused { service, reason } => {
                format!("build_reused {service}: {reason}")
            }
            DeployEvent::ServiceBuildStarted { service } => format!("build_started {service}"),
            DeployEvent::ServiceBuildStep {
                service,
                instruction,
                cached,
            } => {
                format!(
                    "build_step {service} {instruction}{}",
                    if *cached { " (cached)" } else { "" }
                )
            }
            DeployEvent::ServiceBuilt {
                service, image_id, ..
            } => format!("built {service} {image_id}"),
            DeployEvent::ServiceBuildFailed { service, error } => {
                format!("build_failed {service}: {error}")
            }
        })
        .collect()
}

fn serde_json_outcome(outcome: &stagecraft_engine::TaskOutcome) -> String {
    use stagecraft_engine::TaskOutcome as T;
    match outcome {
        T::Succeeded => "succeeded".to_owned(),
        T::Failed { error, halts, .. } => {
            format!("failed{} ({error})", if *halts { "+halts" } else { "" })
        }
        T::TimedOut { after_secs, halts } => {
            format!(
                "timed_out after {after_secs}s{}",
                if *halts { "+halts" } else { "" }
            )
        }
        T::Cancelled => "cancelled".to_owned(),
        T::Skipped { reason } => format!("skipped ({reason})"),
    }
}
