//! A cluster, reached through kube-rs: an environment's objects applied with server-side
//! apply under the field manager `stagecraft` (so a second apply of the same objects changes
//! nothing, and fields others manage are left to them), and its namespace deleted and waited
//! for until it is gone. Errors name the context, the verb and the resource.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::config::KubeConfigOptions;
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stagecraft_engine::Ended;

use crate::KubeError;
use crate::kubeconfig::Refusal;
use crate::kubeconfig::merged;
use crate::manifest::{LABEL_WORKLOAD, Manifests};
use crate::rollout::{JobState, Rollout, ended, job_state, pod_reason, rollout};

/// How long one watch request lasts before the server ends it and it is made again.
const WATCH_SECS: u32 = 60;

/// What a wait reports while it waits: each new reason once.
pub type Report<'a> = &'a (dyn Fn(String) + Send + Sync);

/// Who owns the fields Stagecraft sets (server-side apply).
pub const FIELD_MANAGER: &str = "stagecraft";

/// How often a namespace being deleted is looked at.
const GONE_EVERY: Duration = Duration::from_millis(500);

/// One kubeconfig context's cluster.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    context: String,
}

impl Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A cluster behind `client` (tests give a mock service).
    pub fn new(client: Client, context: impl Into<String>) -> Self {
        Self {
            client,
            context: context.into(),
        }
    }

    /// The cluster of `context` in the kubeconfig files at `paths`. Nothing is sent until the
    /// first call.
    pub async fn connect(paths: &[PathBuf], context: &str) -> Result<Self, KubeError> {
        let (kubeconfig, _) = merged(paths)?;
        let kubeconfig = kubeconfig
            .filter(|k| k.contexts.iter().any(|c| c.name == context))
            .ok_or_else(|| KubeError::NoContext {
                context: context.to_owned(),
            })?;
        let options = KubeConfigOptions {
            context: Some(context.to_owned()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| KubeError::Config {
                context: context.to_owned(),
                reason: e.to_string(),
            })?;
        let client = Client::try_from(config).map_err(|e| KubeError::Config {
            context: context.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self::new(client, context))
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    pub(crate) fn client(&self) -> Client {
        self.client.clone()
    }

    pub(crate) fn error(
        &self,
        verb: &str,
        resource: &str,
        name: &str,
        error: kube::Error,
    ) -> KubeError {
        let context = self.context.clone();
        match error {
            kube::Error::Api(status) if status.code == 401 => KubeError::Unauthorized { context },
            kube::Error::Api(status) => {
                let refusal = Box::new(Refusal {
                    context,
                    verb: verb.to_owned(),
                    resource: resource.to_owned(),
                    name: name.to_owned(),
                    code: status.code,
                    message: status.message.clone(),
                });
                if status.code == 403 {
                    KubeError::Forbidden(refusal)
                } else {
                    KubeError::Api(refusal)
                }
            }
            other => KubeError::Unreachable {
                context,
                reason: other.to_string(),
            },
        }
    }

    pub(crate) async fn apply_one<K>(&self, api: Api<K>, object: &K) -> Result<(), KubeError>
    where
        K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
    {
        let name = object.meta().name.clone().unwrap_or_default();
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(object),
        )
        .await
        .map(|_| ())
        .map_err(|e| self.error("apply", &K::plural(&()), &name, e))
    }

    /// Applies each of `objects` in `namespace`, in order.
    pub(crate) async fn apply_in<K>(&self, namespace: &str, objects: &[K]) -> Result<(), KubeError>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Serialize
            + DeserializeOwned
            + Clone
            + Debug,
    {
        for object in objects {
            self.apply_one(Api::namespaced(self.client.clone(), namespace), object)
                .await?;
        }
        Ok(())
    }

    /// Applies the environment's objects in order: the namespace, then what pods need
    /// (Secrets, ConfigMaps, claims), then the workloads.
    pub async fn apply(&self, manifests: &Manifests) -> Result<(), KubeError> {
        let namespace = manifests
            .namespace
            .metadata
            .name
            .clone()
            .unwrap_or_default();
        self.apply_one(
            Api::<Namespace>::all(self.client.clone()),
            &manifests.namespace,
        )
        .await?;
        self.apply_in(&namespace, &manifests.secrets).await?;
        self.apply_in(&namespace, &manifests.config_maps).await?;
        self.apply_in(&namespace, &manifests.claims).await?;
        self.apply_in(&namespace, &manifests.deployments).await?;
        self.apply_in(&namespace, &manifests.services).await?;
        self.apply_in(&namespace, &manifests.cron_jobs).await?;
        Ok(())
    }

    /// Deletes the namespace (and with it everything in it) and returns once it is gone, or
    /// after `within`. A namespace already gone is fine: teardown may run twice.
    pub async fn delete_namespace(&self, name: &str, within: Duration) -> Result<(), KubeError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        match api.delete(name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
            Err(error) => return Err(self.error("delete", "namespaces", name, error)),
        }
        // Its finalizers remove what it holds first, which takes seconds.
        let deadline = Instant::now() + within;
        loop {
            match api.get_opt(name).await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(error) => return Err(self.error("get", "namespaces", name, error)),
            }
            if Instant::now() >= deadline {
                return Err(KubeError::Timeout {
                    context: self.context.clone(),
                    what: format!("deleting namespace {name}"),
                    seconds: within.as_secs(),
                });
            }
            tokio::time::sleep(GONE_EVERY).await;
        }
    }

    /// The config digest annotation of Deployment `name` (`None` when there is no such
    /// Deployment, or it has none), and whether a pause left it scaled to zero.
    pub async fn deployment_digest(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<(Option<String>, bool), KubeError> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        match api.get_opt(name).await {
            Ok(Some(deployment)) => {
                let annotations = deployment.metadata.annotations.unwrap_or_default();
                Ok((
                    annotations.get(crate::manifest::ANNOTATION_CONFIG).cloned(),
                    annotations.contains_key(crate::pause::ANNOTATION_PAUSED),
                ))
            }
            Ok(None) => Ok((None, false)),
            Err(error) => Err(self.error("get", "deployments", name, error)),
        }
    }

    /// The labels of namespace `name`, or `None` when there is no such namespace.
    pub async fn namespace_labels(
        &self,
        name: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, KubeError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        match api.get_opt(name).await {
            Ok(found) => Ok(found.map(|n| n.metadata.labels.unwrap_or_default())),
            Err(error) => Err(self.error("get", "namespaces", name, error)),
        }
    }

    /// The labels of every namespace that carries `label` (any value).
    pub async fn labelled_namespaces(
        &self,
        label: &str,
    ) -> Result<Vec<std::collections::BTreeMap<String, String>>, KubeError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let listed = api
            .list(&ListParams::default().labels(label))
            .await
            .map_err(|error| self.error("list", "namespaces", "", error))?;
        Ok(listed
            .items
            .into_iter()
            .map(|n| n.metadata.labels.unwrap_or_default())
            .collect())
    }

    /// Returns once the Deployment `name`'s rollout is done: a watch on it, and one on its
    /// pods, whose reasons for not being ready are reported as they change. Fails when the
    /// Deployment gives up or a pod can never start.
    pub async fn wait_rollout(
        &self,
        namespace: &str,
        name: &str,
        workload: &str,
        report: Report<'_>,
    ) -> Result<(), KubeError> {
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let mut tell = Teller::new(report);
        loop {
            let current = deployments
                .get(name)
                .await
                .map_err(|e| self.error("get", "deployments", name, e))?;
            if let Some(ended) = self.rollout_ended(name, &current, &mut tell) {
                return ended;
            }
            let version = current
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default();
            let mut both = self
                .watch_with_pods(
                    &deployments,
                    name,
                    &version,
                    Watched::Deployment,
                    &pods,
                    &format!("{LABEL_WORKLOAD}={workload}"),
                )
                .await?;
            while let Some(event) = both.next().await {
                match event {
                    Watched::Deployment(Ok(
                        WatchEvent::Added(deployment) | WatchEvent::Modified(deployment),
                    )) => {
                        if let Some(ended) = self.rollout_ended(name, &deployment, &mut tell) {
                            return ended;
                        }
                    }
                    Watched::Pod(Ok(WatchEvent::Added(pod) | WatchEvent::Modified(pod))) => {
                        if let Some(reason) = pod_reason(&pod) {
                            if reason.hopeless {
                                return Err(self.rollout_failed(name, &reason.text));
                            }
                            tell.say(format!("waiting for readiness: {}", reason.text));
                        }
                    }
                    Watched::Deployment(Ok(WatchEvent::Deleted(_))) => {
                        return Err(self.rollout_failed(name, "the Deployment was deleted"));
                    }
                    // An expired resource version (410) or a dropped stream: read the
                    // Deployment again and watch anew.
                    Watched::Deployment(Ok(WatchEvent::Error(_)) | Err(_)) => break,
                    Watched::Pod(_)
                    | Watched::Job(_)
                    | Watched::Deployment(Ok(WatchEvent::Bookmark(_))) => {}
                }
            }
        }
    }

    /// A watch on the object `name` from `version`, merged with one on the pods `selector`
    /// picks (from their current state).
    async fn watch_with_pods<K>(
        &self,
        own: &Api<K>,
        name: &str,
        version: &str,
        wrap: fn(Result<WatchEvent<K>, kube::Error>) -> Watched,
        pods: &Api<Pod>,
        selector: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, Watched>, KubeError>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let own_params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(WATCH_SECS);
        let pod_params = WatchParams::default().labels(selector).timeout(WATCH_SECS);
        let own = own
            .watch(&own_params, version)
            .await
            .map_err(|e| self.error("watch", &K::plural(&()), name, e))?
            .map(wrap);
        let theirs = pods
            .watch(&pod_params, "0")
            .await
            .map_err(|e| self.error("watch", "pods", selector, e))?
            .map(Watched::Pod);
        Ok(futures_util::stream::select(own.boxed(), theirs.boxed()).boxed())
    }

    /// Whether the Deployment's rollout has ended, and how; its progress is told otherwise.
    fn rollout_ended(
        &self,
        name: &str,
        deployment: &Deployment,
        tell: &mut Teller<'_>,
    ) -> Option<Result<(), KubeError>> {
        match rollout(deployment) {
            Rollout::Done => Some(Ok(())),
            Rollout::Failed(why) => Some(Err(self.rollout_failed(name, &why))),
            Rollout::Progressing {
                ready,
                updated,
                wanted,
            } => {
                tell.say(progress(name, ready, updated, wanted));
                None
            }
        }
    }

    fn rollout_failed(&self, name: &str, why: &str) -> KubeError {
        KubeError::Failed {
            context: self.context.clone(),
            what: format!("the rollout of {name}"),
            reason: why.to_owned(),
        }
    }

    /// Creates the Job and returns the exit code of its pod once it ended; its pods' reasons
    /// for not running are reported as they change.
    pub async fn run_job(
        &self,
        namespace: &str,
        job: &Job,
        report: Report<'_>,
    ) -> Result<Ended, KubeError> {
        let jobs: Api<Job> = Api::namespaced(self.client.clone(), namespace);
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let name = job.metadata.name.clone().unwrap_or_default();
        self.apply_one(jobs.clone(), job).await?;
        let mut tell = Teller::new(report);
        tell.say("running; waiting for it to end".to_owned());
        let state = loop {
            let current = jobs
                .get(&name)
                .await
                .map_err(|e| self.error("get", "jobs", &name, e))?;
            if job_state(&current) != JobState::Running {
                break job_state(&current);
            }
            let version = current
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default();
            let mut both = self
                .watch_with_pods(
                    &jobs,
                    &name,
                    &version,
                    Watched::Job,
                    &pods,
                    &format!("job-name={name}"),
                )
                .await?;
            let mut state = None;
            while let Some(event) = both.next().await {
                match event {
                    Watched::Job(Ok(WatchEvent::Added(job) | WatchEvent::Modified(job)))
                        if job_state(&job) != JobState::Running =>
                    {
                        state = Some(job_state(&job));
                        break;
                    }
                    Watched::Pod(Ok(WatchEvent::Added(pod) | WatchEvent::Modified(pod))) => {
                        if let Some(reason) = pod_reason(&pod) {
                            if reason.hopeless {
                                return Err(KubeError::Failed {
                                    context: self.context.clone(),
                                    what: format!("job {name}"),
                                    reason: reason.text,
                                });
                            }
                            tell.say(reason.text);
                        }
                    }
                    Watched::Job(Ok(WatchEvent::Deleted(_))) => {
                        return Err(KubeError::Failed {
                            context: self.context.clone(),
                            what: format!("job {name}"),
                            reason: "the Job was deleted".to_owned(),
                        });
                    }
                    Watched::Job(Ok(WatchEvent::Error(_)) | Err(_)) => break,
                    _ => {}
                }
            }
            if let Some(state) = state {
                break state;
            }
        };
        // The exit code is the pod's; a Job that failed without one (its deadline) says why.
        let listed = pods
            .list(&ListParams::default().labels(&format!("job-name={name}")))
            .await
            .map_err(|e| self.error("list", "pods", &name, e))?;
        let code = listed.items.iter().find_map(ended);
        match (state, code) {
            (JobState::Succeeded, code) => Ok(code.unwrap_or_default()),
            (_, Some(code)) => Ok(code),
            (JobState::Failed(reason), None) => Err(KubeError::Failed {
                context: self.context.clone(),
                what: format!("job {name}"),
                reason,
            }),
            (JobState::Running, None) => Ok(Ended::default()),
        }
    }

    /// Deletes Secret `name` in the namespace; one already gone is fine.
    pub async fn delete_secret(&self, namespace: &str, name: &str) -> Result<(), KubeError> {
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        match secrets.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(self.error("delete", "secrets", name, error)),
        }
    }

    /// Deletes the namespace's CronJobs not named in `keep`: the cron jobs the configuration
    /// no longer has.
    pub async fn delete_cron_jobs_except(
        &self,
        namespace: &str,
        keep: &[String],
    ) -> Result<Vec<String>, KubeError> {
        let api: Api<CronJob> = Api::namespaced(self.client.clone(), namespace);
        let listed = api
            .list(&ListParams::default())
            .await
            .map_err(|e| self.error("list", "cronjobs", namespace, e))?;
        let mut deleted = Vec::new();
        for name in listed.items.into_iter().filter_map(|c| c.metadata.name) {
            if keep.contains(&name) {
                continue;
            }
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => deleted.push(name),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(self.error("delete", "cronjobs", &name, error)),
            }
        }
        Ok(deleted)
    }

    /// Deletes every Job of the workload in the namespace, with their pods.
    pub async fn delete_jobs(&self, namespace: &str, workload: &str) -> Result<(), KubeError> {
        let jobs: Api<Job> = Api::namespaced(self.client.clone(), namespace);
        jobs.delete_collection(
            &DeleteParams::background(),
            &ListParams::default().labels(&format!("{LABEL_WORKLOAD}={workload}")),
        )
        .await
        .map(|_| ())
        .or_else(|error| match error {
            kube::Error::Api(status) if status.code == 404 => Ok(()),
            other => Err(self.error("delete", "jobs", workload, other)),
        })
    }
}

/// Reports each reason once, however often a watch repeats it.
struct Teller<'a> {
    report: Report<'a>,
    said: String,
}

impl<'a> Teller<'a> {
    fn new(report: Report<'a>) -> Self {
        Self {
            report,
            said: String::new(),
        }
    }

    fn say(&mut self, text: String) {
        if text != self.said {
            (self.report)(text.clone());
            self.said = text;
        }
    }
}

/// An event of one of the two watches a wait runs.
#[expect(
    clippy::large_enum_variant,
    reason = "each event is moved once, from its stream into the match; boxing would allocate for every event"
)]
enum Watched {
    Deployment(Result<WatchEvent<Deployment>, kube::Error>),
    Job(Result<WatchEvent<Job>, kube::Error>),
    Pod(Result<WatchEvent<Pod>, kube::Error>),
}

fn progress(name: &str, ready: i32, updated: i32, wanted: i32) -> String {
    format!("waiting for the rollout of {name}: {ready} of {wanted} ready, {updated} updated")
}
