//! Workload logs into the store: a job's whole output when it ends, a service's lines as they
//! come while this Stagecraft runs. Each resource is capped; the store counts what it drops.
//!
//! Resources: `<env_id>/<deploy id>/jobs.<name>` (one run of a job),
//! `<env_id>/services.<name>` and `builds/<build id>/<service>` (one image's build output).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;
use stagecraft_engine::{
    BuildLog, EnvironmentRef, JobExit, JobSpec, LogLine, Runtime, RuntimeError, RuntimeObject,
    ServiceSpec, SharedRuntime, TaskProgress, WorkloadStatus,
};
use stagecraft_store::Store;
use stagecraft_store::log::Stream;

/// Names the logs this process just added lines to, for its followers (`follow_log`).
pub(crate) type LogNews = tokio::sync::broadcast::Sender<String>;

/// Lines kept per resource; older ones are dropped and counted.
pub const LOG_CAP: i64 = 10_000;

/// A finished job's output is read for at most this long.
const JOB_LOG_READ: Duration = Duration::from_secs(30);

/// Lines of a followed service go to the store in batches of up to this many...
const FOLLOW_BATCH: usize = 2_000;

/// ...gathered for at most this long: how late a line may reach the store.
const FOLLOW_WINDOW: Duration = Duration::from_millis(100);

/// The services' log followers of this process, by resource; a newer deploy of a service
/// replaces its follower.
#[derive(Debug, Clone, Default)]
pub(crate) struct Followers(stagecraft_engine::Tasks);

impl Followers {
    fn replace(&self, resource: String, task: tokio::task::AbortHandle) {
        self.0.replace(resource, task);
    }

    /// Stops following the environment's services: it is gone.
    pub(crate) fn stop_environment(&self, env_id: &str) {
        self.0.abort_prefix(&format!("{env_id}/"));
    }
}

/// A build's output lines, stored by a writer of their own so a build never waits on the
/// database. The writer ends once every [`BuildLog`] handle is dropped; await it.
pub(crate) fn build_log(
    store: Store,
    news: LogNews,
    build_id: i64,
) -> (Arc<dyn BuildLog>, tokio::task::JoinHandle<()>) {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let writer = tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            while batch.len() < FOLLOW_BATCH
                && let Ok(next) = receiver.try_recv()
            {
                batch.push(next);
            }
            let mut by_service: Vec<(String, Vec<(Stream, String)>)> = Vec::new();
            for (service, line) in batch {
                match by_service.iter_mut().find(|(s, _)| *s == service) {
                    Some((_, lines)) => lines.push((Stream::Stdout, line)),
                    None => by_service.push((service, vec![(Stream::Stdout, line)])),
                }
            }
            for (service, lines) in by_service {
                let resource = format!("builds/{build_id}/{service}");
                match stagecraft_store::log::append(store.pool(), &resource, None, &lines, LOG_CAP)
                    .await
                {
                    // Nobody following is fine: the lines are stored.
                    Ok(()) => drop(news.send(resource)),
                    Err(error) => tracing::warn!(%error, resource, "a build's output was not kept"),
                }
            }
        }
    });
    (Arc::new(ChannelBuildLog(sender)), writer)
}

struct ChannelBuildLog(tokio::sync::mpsc::UnboundedSender<(String, String)>);

impl BuildLog for ChannelBuildLog {
    fn line(&self, service: &str, line: &str) {
        // The writer outlives every handle; a send fails only if it panicked.
        let _ = self.0.send((service.to_owned(), line.to_owned()));
    }
}

/// The runtime of one deploy, keeping its workloads' logs.
#[derive(Debug, Clone)]
pub(crate) struct LoggingRuntime {
    pub inner: SharedRuntime,
    pub store: Store,
    pub environment_id: i64,
    pub deploy_id: i64,
    pub followers: Followers,
    pub news: LogNews,
}

/// The runtime's time of the newest of `lines`, in nanoseconds since the Unix epoch.
fn lines_newest(lines: &[LogLine]) -> Option<i64> {
    lines.iter().filter_map(|l| l.at).max().and_then(nanos)
}

fn nanos(at: SystemTime) -> Option<i64> {
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since_epoch.as_nanos()).ok()
}

async fn store_lines(
    store: &Store,
    news: &LogNews,
    resource: &str,
    environment_id: i64,
    lines: &[LogLine],
) -> Result<(), RuntimeError> {
    let newest = lines_newest(lines);
    let lines: Vec<(Stream, String)> = lines
        .iter()
        .map(|l| {
            let stream = if l.stderr {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            (stream, l.line.clone())
        })
        .collect();
    stagecraft_store::log::append(
        store.pool(),
        resource,
        Some(environment_id),
        &lines,
        LOG_CAP,
    )
    .await
    .map_err(|e| RuntimeError::new(format!("keeping the logs of {resource} failed: {e}")))?;
    if let Some(newest) = newest {
        stagecraft_store::log::mark_followed(store.pool(), resource, newest)
            .await
            .map_err(|e| {
                RuntimeError::new(format!("keeping the logs of {resource} failed: {e}"))
            })?;
    }
    // Nobody following is fine: the lines are stored.
    let _ = news.send(resource.to_owned());
    Ok(())
}

impl LoggingRuntime {
    /// Reads a job's output once it stopped, and keeps it. A failure to keep logs is logged,
    /// never a reason to fail the job.
    async fn keep_job_logs(&self, env: &EnvironmentRef, job: &str) {
        let resource = format!("{}/{}/jobs.{job}", env.env_id, self.deploy_id);
        let read = self
            .inner
            .logs(env, &format!("jobs.{job}"), false, None)
            .filter_map(|line| async move { line.ok() })
            .collect::<Vec<_>>();
        let lines = tokio::time::timeout(JOB_LOG_READ, read)
            .await
            .unwrap_or_default();
        if let Err(error) = store_lines(
            &self.store,
            &self.news,
            &resource,
            self.environment_id,
            &lines,
        )
        .await
        {
            tracing::warn!(%error, "a job's logs were not kept");
        }
    }

    /// Follows a service's lines from `since` into the store until its containers go; lines
    /// the runtime dates at or before `kept_until` are kept already and skipped.
    fn follow_service(
        &self,
        env: &EnvironmentRef,
        service: &str,
        since: SystemTime,
        kept_until: Option<SystemTime>,
    ) {
        let resource = format!("{}/services.{service}", env.env_id);
        let stream = self
            .inner
            .logs(env, &format!("services.{service}"), true, Some(since));
        let store = self.store.clone();
        let news = self.news.clone();
        let environment_id = self.environment_id;
        let key = resource.clone();
        let task = tokio::spawn(async move {
            let mut stream = Box::pin(stream);
            // Docker hands lines over a few at a time; a transaction per handful caps a busy
            // service at about 2,000 lines a second. Lines are gathered for up to
            // FOLLOW_WINDOW (or FOLLOW_BATCH lines) and stored together.
            let mut ended = false;
            while let Some(first) = stream.next().await {
                let mut batch = vec![first];
                let until = tokio::time::Instant::now() + FOLLOW_WINDOW;
                while batch.len() < FOLLOW_BATCH {
                    match tokio::time::timeout_at(until, stream.next()).await {
                        Ok(Some(item)) => batch.push(item),
                        Ok(None) => {
                            ended = true;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let lines: Vec<LogLine> = batch
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|line| match (line.at, kept_until) {
                        (Some(at), Some(kept)) => at > kept,
                        _ => true,
                    })
                    .collect();
                if let Err(error) =
                    store_lines(&store, &news, &resource, environment_id, &lines).await
                {
                    tracing::warn!(%error, "a service's logs were not kept");
                }
                if ended {
                    break;
                }
            }
        });
        self.followers.replace(key, task.abort_handle());
    }
}

impl Runtime for LoggingRuntime {
    fn ingress_url(&self, env_id: &str, service: &str, port: u16) -> Option<String> {
        self.inner.ingress_url(env_id, service, port)
    }

    async fn prepare(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.inner.prepare(env).await
    }

    async fn deploy_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
        progress: TaskProgress,
    ) -> Result<(), RuntimeError> {
        // A replaced container's first lines predate the end of the deploy: follow from here.
        let since = SystemTime::now();
        let deployed = self.inner.deploy_service(env, service, progress).await;
        if deployed.is_ok() {
            self.follow_service(env, &service.name, since, None);
        }
        deployed
    }

    async fn resume_service(
        &self,
        env: &EnvironmentRef,
        service: &ServiceSpec,
    ) -> Result<(), RuntimeError> {
        // The log goes on from its newest kept line: what the service wrote while no
        // Stagecraft ran is kept too. A log never followed with timestamps goes on from here.
        let resource = format!("{}/services.{}", env.env_id, service.name);
        let kept_until = stagecraft_store::log::followed_until(self.store.pool(), &resource)
            .await
            .ok()
            .flatten()
            .and_then(|ns| u64::try_from(ns).ok())
            .map(|ns| std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns));
        self.inner.resume_service(env, service).await?;
        let since = kept_until.unwrap_or_else(SystemTime::now);
        self.follow_service(env, &service.name, since, kept_until);
        Ok(())
    }

    async fn run_job(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        let ran = self.inner.run_job(env, job, progress).await;
        self.keep_job_logs(env, &job.name).await;
        ran
    }

    async fn stop_job(&self, env: &EnvironmentRef, job: &JobSpec) -> Result<(), RuntimeError> {
        let stopped = self.inner.stop_job(env, job).await;
        // The run was cut short (time out, cancel): what it wrote so far is kept.
        self.keep_job_logs(env, &job.name).await;
        stopped
    }

    async fn remove_environment(&self, env: &EnvironmentRef) -> Result<(), RuntimeError> {
        self.followers.stop_environment(&env.env_id);
        self.inner.remove_environment(env).await
    }

    async fn status(&self, env: &EnvironmentRef) -> Result<Vec<WorkloadStatus>, RuntimeError> {
        self.inner.status(env).await
    }

    async fn objects(&self, env: &EnvironmentRef) -> Result<Vec<RuntimeObject>, RuntimeError> {
        self.inner.objects(env).await
    }

    fn logs(
        &self,
        env: &EnvironmentRef,
        workload: &str,
        follow: bool,
        since: Option<SystemTime>,
    ) -> impl futures_util::Stream<Item = Result<LogLine, RuntimeError>> + Send + 'static {
        self.inner.logs(env, workload, follow, since)
    }
}

impl crate::Stagecraft {
    /// A workload's lines straight from the runtime (`web` means `services.web`; `jobs.seed`
    /// a job), from `since` when given, following new ones when `follow`.
    pub async fn instance_logs(
        &self,
        env_id: &str,
        workload: &str,
        follow: bool,
        since: Option<SystemTime>,
    ) -> Result<
        impl futures_util::Stream<Item = Result<LogLine, RuntimeError>> + Send + 'static,
        crate::Error,
    > {
        let env = self.environment(env_id).await?;
        let runtime = self.runtime_of(&env)?;
        let workload = if workload.contains('.') {
            workload.to_owned()
        } else {
            format!("services.{workload}")
        };
        let target = self.environment_ref(&env).await?;
        let known = runtime
            .status(&target)
            .await
            .map_err(|e| crate::Error::Runtime {
                env_id: env.env_id.clone(),
                message: e.message,
            })?;
        if !known.iter().any(|w| w.workload == workload) {
            return Err(crate::Error::NotFound {
                what: "workload with containers",
                name: format!("{workload} in {env_id}"),
            });
        }
        // Through the boxed runtime: its stream borrows nothing from this call.
        Ok(runtime.0.logs(&target, &workload, follow, since))
    }
}
