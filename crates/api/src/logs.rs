//! Workload logs into the store: a job's whole output when it ends, a service's lines as they
//! come while this Stagecraft runs, both told by the deploy's events ([`DeployLogs`]). Each
//! resource is capped; the store counts what it drops.
//!
//! Resources: `<env_id>/<deploy id>/jobs.<name>` (one run of a job),
//! `<env_id>/services.<name>`, `<env_id>/services.<name>/init.<init container>` and
//! `<env_id>/services.<name>/sidecar.<sidecar>` (followed with their service), and
//! `builds/<build id>/<service>` (one image's build output).
//!
//! While an environment is deployed by this process, each service's lines are followed from the
//! runtime into the store in transactions gathered for at most 100 ms (up to 2,000 lines),
//! which keeps up with a service writing 10,000 lines a second; each log keeps its newest
//! 10,000 lines (`LOG_CAP`) and counts the rest. A start takes up the services deployed before
//! it (`recovery.rs`) from their newest kept line.
//!
//! An open log in the window is a stream too (`log_follow`, `Stagecraft::follow_log`): the kept
//! lines, then new pages as they are stored, at once when this process stored them (the log
//! writers name the log on a broadcast) and within 500 ms when another process did; the window
//! gathers the pages and draws them every 250 ms (while a service writes 10,000 lines a second:
//! median frame 17 ms, p95 54 ms, longest 72 ms, ~9,700 lines a second reaching the window).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt as _;

use stagecraft_engine::{BuildLog, DeployEvent, EnvironmentRef, LogLine, Runtime, TaskOutcome};
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
fn build_log(
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

/// Where this process keeps workload logs: the store, the services it follows, and the news
/// of lines just added.
#[derive(Debug, Clone)]
pub(crate) struct Logs {
    store: Store,
    followers: Followers,
    news: LogNews,
}

impl Logs {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            store,
            followers: Followers::default(),
            news: tokio::sync::broadcast::channel(1024).0,
        }
    }

    /// Adds `lines` to `resource`'s kept log (of environment row `environment_id`), and
    /// tells this process's followers.
    pub(crate) async fn append(
        &self,
        resource: &str,
        environment_id: i64,
        lines: &[(Stream, String)],
    ) -> Result<(), stagecraft_store::StoreError> {
        stagecraft_store::log::append(
            self.store.pool(),
            resource,
            Some(environment_id),
            lines,
            LOG_CAP,
        )
        .await?;
        let _ = self.news.send(resource.to_owned());
        Ok(())
    }

    /// Where build `build_id`'s output lines go, and the writer that stores them.
    pub(crate) fn for_build(
        &self,
        build_id: i64,
    ) -> (Arc<dyn BuildLog>, tokio::task::JoinHandle<()>) {
        build_log(self.store.clone(), self.news.clone(), build_id)
    }

    /// The logs of one environment on its runtime.
    pub(crate) fn of(
        &self,
        runtime: Arc<dyn Runtime>,
        target: EnvironmentRef,
        environment_id: i64,
    ) -> EnvironmentLogs {
        EnvironmentLogs {
            logs: self.clone(),
            runtime,
            target,
            environment_id,
        }
    }
}

/// One environment's workload logs, read from its runtime into the store.
#[derive(Clone)]
pub(crate) struct EnvironmentLogs {
    logs: Logs,
    runtime: Arc<dyn Runtime>,
    target: EnvironmentRef,
    environment_id: i64,
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
) -> Result<(), stagecraft_store::StoreError> {
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
    .await?;
    if let Some(newest) = newest {
        stagecraft_store::log::mark_followed(store.pool(), resource, newest).await?;
    }
    // Nobody following is fine: the lines are stored.
    let _ = news.send(resource.to_owned());
    Ok(())
}

impl EnvironmentLogs {
    /// Reads a job's output once it stopped, and keeps it as run `deploy_id`'s. A failure to
    /// keep logs is logged, never a reason to fail the job.
    async fn keep_job(&self, deploy_id: i64, job: &str) {
        let resource = format!("{}/{deploy_id}/jobs.{job}", self.target.env_id);
        let read = self
            .runtime
            .logs(&self.target, &format!("jobs.{job}"), false, None)
            .filter_map(|line| async move { line.ok() })
            .collect::<Vec<_>>();
        let lines = tokio::time::timeout(JOB_LOG_READ, read)
            .await
            .unwrap_or_default();
        let Logs { store, news, .. } = &self.logs;
        if let Err(error) = store_lines(store, news, &resource, self.environment_id, &lines).await {
            tracing::warn!(%error, resource, "a job's logs were not kept");
        }
    }

    /// Follows a service's lines from `since` into the store until its containers go; lines
    /// the runtime dates at or before `kept_until` are kept already and skipped. A newer
    /// follower of the same service replaces this one.
    fn follow_service(&self, service: &str, since: SystemTime, kept_until: Option<SystemTime>) {
        self.follow(&format!("services.{service}"), since, kept_until);
    }

    /// Follows a workload's lines (a service's, or one of its init containers' or sidecars'
    /// as `services.<name>/sidecar.<sidecar>`) from `since` into the store until its
    /// containers go.
    fn follow(&self, workload: &str, since: SystemTime, kept_until: Option<SystemTime>) {
        let resource = format!("{}/{workload}", self.target.env_id);
        let mut stream = self.runtime.logs(&self.target, workload, true, Some(since));
        let Logs { store, news, .. } = self.logs.clone();
        let environment_id = self.environment_id;
        let key = resource.clone();
        let task = tokio::spawn(async move {
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
                    tracing::warn!(%error, resource, "a service's logs were not kept");
                }
                if ended {
                    break;
                }
            }
        });
        self.logs.followers.replace(key, task.abort_handle());
    }

    /// Follows a service this process takes up (deployed before it started): from its newest
    /// kept line, so what it wrote while no Stagecraft ran is kept too; a log never followed
    /// with timestamps goes on from now.
    pub(crate) async fn follow_resumed(&self, service: &str) {
        let resource = format!("{}/services.{service}", self.target.env_id);
        let kept_until = stagecraft_store::log::followed_until(self.logs.store.pool(), &resource)
            .await
            .ok()
            .flatten()
            .and_then(|ns| u64::try_from(ns).ok())
            .map(|ns| std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns));
        let since = kept_until.unwrap_or_else(SystemTime::now);
        self.follow_service(service, since, kept_until);
    }

    /// The keeper of deploy `deploy_id`'s logs, fed its events as they are stored; `parts`
    /// names each service's init containers and sidecars once the deploy knows them.
    pub(crate) fn for_deploy(self, deploy_id: i64, parts: Parts) -> DeployLogs {
        DeployLogs {
            logs: self,
            deploy_id,
            started: HashMap::new(),
            parts,
        }
    }
}

/// Keeps a deploy's workload logs as its tasks end, told by the deploy's events: a job's whole
/// output when its task finishes (however it ended), a service followed from its task's start
/// once it is ready; an environment removed is followed no more. The deploy's event writer
/// feeds it each event before storing it, so a job's output is in the store before the event
/// that says the job finished.
pub(crate) struct DeployLogs {
    logs: EnvironmentLogs,
    deploy_id: i64,
    /// When each service's task started: a replaced container's first lines predate the end
    /// of its task.
    started: HashMap<String, SystemTime>,
    parts: Parts,
}

/// Each service's init containers and sidecars as workloads
/// (`services.web/init.render`, `services.web/sidecar.proxy`), told by the deploy once its
/// workloads are resolved: their lines are followed with their service's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts(Arc<std::sync::Mutex<HashMap<String, Vec<String>>>>);

impl Parts {
    pub(crate) fn note(&self, workloads: &stagecraft_engine::Workloads) {
        let found = workloads
            .services
            .values()
            .map(|s| {
                let inits = s.init_containers.iter().map(|c| format!("init.{}", c.name));
                let sidecars = s.sidecars.iter().map(|c| format!("sidecar.{}", c.name));
                let parts = inits
                    .chain(sidecars)
                    .map(|part| format!("services.{}/{part}", s.name))
                    .collect();
                (s.name.clone(), parts)
            })
            .collect();
        if let Ok(mut held) = self.0.lock() {
            *held = found;
        }
    }

    fn of(&self, service: &str) -> Vec<String> {
        self.0
            .lock()
            .ok()
            .and_then(|held| held.get(service).cloned())
            .unwrap_or_default()
    }
}

impl DeployLogs {
    /// Hears `event`, sent at `sent`.
    pub(crate) async fn on(&mut self, event: &DeployEvent, sent: SystemTime) {
        match event {
            DeployEvent::TaskStarted { task, .. } => {
                if let Some(service) = task.strip_prefix("services.") {
                    self.started.insert(service.to_owned(), sent);
                }
            }
            DeployEvent::TaskFinished { task, outcome, .. } => {
                if let Some(service) = task.strip_prefix("services.") {
                    let since = self.started.remove(service).unwrap_or(sent);
                    if *outcome == TaskOutcome::Succeeded {
                        self.logs.follow_service(service, since, None);
                        for part in self.parts.of(service) {
                            self.logs.follow(&part, since, None);
                        }
                    }
                } else if let Some(job) = task.strip_prefix("jobs.")
                    && !matches!(outcome, TaskOutcome::Skipped { .. })
                {
                    self.logs.keep_job(self.deploy_id, job).await;
                }
            }
            DeployEvent::EnvironmentRemoved => {
                self.logs
                    .logs
                    .followers
                    .stop_environment(&self.logs.target.env_id);
            }
            _ => {}
        }
    }
}

impl crate::Stagecraft {
    /// A page of a log kept by the store (a build's, a service's, a job's): up to `limit` lines
    /// after `after_seq`, and how many lines the cap has dropped.
    pub async fn logs(
        &self,
        resource: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<stagecraft_store::log::LogPage, crate::Error> {
        Ok(stagecraft_store::log::page(self.store.pool(), resource, after_seq, limit).await?)
    }

    /// A workload's lines straight from the runtime (`web` means `services.web`; `jobs.seed`
    /// a job), from `since` when given, following new ones when `follow`.
    pub async fn instance_logs(
        &self,
        env_id: &str,
        workload: &str,
        follow: bool,
        since: Option<SystemTime>,
    ) -> Result<
        impl futures_util::Stream<Item = Result<LogLine, crate::Error>> + Send + 'static + use<>,
        crate::Error,
    > {
        let env = self.environment(env_id).await?;
        let runtime = self.runtime_of(&env)?;
        let workload = crate::exec::workload_name(workload);
        let target = self.environment_ref(&env).await?;
        let known = runtime
            .status(&target)
            .await
            .map_err(|e| crate::Error::runtime(&env, e))?;
        if !known.iter().any(|w| w.workload == workload) {
            return Err(crate::Error::NotFound {
                what: "workload with containers",
                name: format!("{workload} in {env_id}"),
            });
        }
        let lines = runtime.logs(&target, &workload, follow, since);
        Ok(lines.map(move |line| line.map_err(|e| crate::Error::runtime(&env, e))))
    }
}

/// How often a follower of a log looks for lines another process stored: SQLite tells no
/// other process about a write.
const OTHER_PROCESSES_EVERY: Duration = Duration::from_millis(500);

/// Lines a followed log sends at most at once.
const LOG_PAGE: i64 = 5_000;

impl crate::Stagecraft {
    /// A kept log's lines after `after_seq`, then its new ones as they are stored (by this
    /// process: at once; by another: within 500 ms), in pages of up to 5,000 lines, each with
    /// how many lines the cap has dropped so far. Runs until the receiver is dropped.
    pub async fn follow_log(
        &self,
        resource: &str,
        after_seq: i64,
    ) -> Result<tokio::sync::mpsc::Receiver<crate::LogPageView>, crate::Error> {
        // Subscribe before the first read, so lines stored in between are not missed.
        let mut news = self.logs.news.subscribe();
        let store = self.store.clone();
        let resource = resource.to_owned();
        let (sender, receiver) = tokio::sync::mpsc::channel(8);
        tokio::spawn(async move {
            let mut last = after_seq;
            let mut dropped = None;
            loop {
                // Everything stored since the last look, a page at a time.
                loop {
                    let Ok(page) =
                        stagecraft_store::log::page(store.pool(), &resource, last, LOG_PAGE).await
                    else {
                        return;
                    };
                    let full = i64::try_from(page.lines.len()).unwrap_or(i64::MAX) >= LOG_PAGE;
                    if page.lines.is_empty() && dropped == Some(page.dropped) {
                        break;
                    }
                    last = page.lines.last().map_or(last, |l| l.seq);
                    dropped = Some(page.dropped);
                    if sender
                        .send(crate::views::log_page_view(page))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    if !full {
                        break;
                    }
                }
                // Then wait for news of this log, or look anyway (another process's lines).
                let wait = tokio::time::sleep(OTHER_PROCESSES_EVERY);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        heard = news.recv() => match heard {
                            Ok(name) if name == resource => break,
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                        },
                        () = &mut wait => break,
                        () = sender.closed() => return,
                    }
                }
            }
        });
        Ok(receiver)
    }
}
