//! The build stage: the images of the services built from the repository, each skipped when
//! its inputs are unchanged since its last image, the others built side by side up to a bound.
//!
//! A build stage reads every service's inputs and checks its last image at once; only the
//! builds themselves are bounded (the api's `STAGECRAFT_BUILD_PARALLELISM`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use stagecraft_template::Template;
use tokio_util::sync::CancellationToken;

use crate::event::{DeployEvent, EventSink};
use crate::runtime::RuntimeError;
use crate::site::{StaticBuilds, StaticSite, static_request};

/// One service's image to build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildRequest {
    pub service: String,
    /// The repository's folder (or a checkout of the commit being built).
    pub repo: PathBuf,
    /// The build context, relative to `repo`.
    pub context: String,
    /// Relative to the context; `Dockerfile` when not given.
    pub dockerfile: Option<String>,
    /// `KEY=VALUE`.
    pub args: Vec<String>,
    pub target: Option<String>,
    /// `stagecraft/<app>/<service>:<build>-<folder>`: the data folder's id keeps two data
    /// folders with an app of the same name from overwriting each other's images.
    pub tag: String,
    /// A static service's site: the builder makes its Dockerfile (`dockerfile` is then none,
    /// and `args` are the variables the site's build reads).
    pub site: Option<StaticSite>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub instruction: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildStepTiming {
    pub instruction: String,
    pub millis: u64,
    pub cached: bool,
}

/// What a build made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltImage {
    pub image_id: String,
    pub size_bytes: u64,
    pub layers: Vec<Layer>,
    pub steps: Vec<BuildStepTiming>,
}

/// A service's last image: reused while its inputs are the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousImage {
    pub build: i64,
    pub tag: String,
    pub digest: String,
}

/// How one service fared in the build stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ServiceBuild {
    Built {
        image: BuiltImage,
        digest: String,
    },
    Reused {
        previous: PreviousImage,
        reason: String,
    },
    Failed {
        error: String,
    },
    Cancelled,
}

/// Where a build's output lines go (the store, for the Builds view); events carry only steps.
pub trait BuildLog: Send + Sync {
    fn line(&self, service: &str, line: &str);
}

/// Lets a build say what it does; each step becomes a `ServiceBuildStep` event, and each
/// output line goes to the build's log when it has one.
#[derive(Clone)]
pub struct BuildProgress {
    sink: Arc<dyn EventSink>,
    service: String,
    log: Option<Arc<dyn BuildLog>>,
}

impl std::fmt::Debug for BuildProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildProgress")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl BuildProgress {
    /// A progress for building `service` outside the build stage: its events go to `sink`.
    pub fn new(sink: Arc<dyn EventSink>, service: impl Into<String>) -> Self {
        Self {
            sink,
            service: service.into(),
            log: None,
        }
    }

    /// The same progress, with output lines going to `log`.
    pub fn with_log(mut self, log: Arc<dyn BuildLog>) -> Self {
        self.log = Some(log);
        self
    }

    /// One line the build printed.
    pub fn output(&self, line: &str) {
        if let Some(log) = &self.log {
            log.line(&self.service, line);
        }
    }

    pub fn step(&self, instruction: impl Into<String>, cached: bool) {
        self.sink.emit(DeployEvent::ServiceBuildStep {
            service: self.service.clone(),
            instruction: instruction.into(),
            cached,
        });
    }
}

/// Builds images; the Docker adapter implements it.
#[async_trait::async_trait]
pub trait ImageBuilder: Send + Sync + 'static {
    /// A digest of everything the image is made from (the context's files as the builder would
    /// send them, the Dockerfile, the args, the target): equal digests make equal images.
    async fn inputs_digest(&self, request: &BuildRequest) -> Result<String, RuntimeError>;

    async fn build(
        &self,
        request: &BuildRequest,
        progress: BuildProgress,
    ) -> Result<BuiltImage, RuntimeError>;

    /// Whether the engine still has the image `tag`: an image to reuse may have been removed.
    async fn has_image(&self, tag: &str) -> Result<bool, RuntimeError>;

    /// Removes the image `tag` built here, leaving its parent layers to other images; an image
    /// already gone is not an error.
    async fn remove_image(&self, tag: &str) -> Result<(), RuntimeError>;

    /// The files inside each layer of the image `tag`, oldest layer first, for comparing two
    /// builds file by file. A builder that cannot read them says so.
    async fn layer_files(&self, tag: &str) -> Result<Vec<crate::LayerFiles>, RuntimeError> {
        Err(RuntimeError::new(format!(
            "the files of {tag} cannot be read by this builder"
        )))
    }
}

/// The requests for the services of `template` built from the repository at `repo`, tagged
/// for build `build` of `app`, in the data folder `folder` (its id): those with a `build`, and
/// the static services, their sites built as `statics` says (none without: outside an
/// environment, a site's variables are not known).
pub fn build_requests(
    template: &Template,
    repo: &std::path::Path,
    app: &str,
    build: i64,
    folder: &str,
    statics: Option<StaticBuilds<'_>>,
) -> Vec<BuildRequest> {
    template
        .services
        .iter()
        .filter_map(|service| {
            let name = service.name.as_ref()?;
            let tag = format!("stagecraft/{app}/{name}:{build}-{folder}");
            if service.is_static_site() {
                let (context, args, site) = static_request(service, name.as_str(), statics?);
                return Some(BuildRequest {
                    service: name.value.clone(),
                    repo: repo.to_path_buf(),
                    context,
                    dockerfile: None,
                    args,
                    target: None,
                    tag,
                    site: Some(site),
                });
            }
            let build_spec = service.build.as_ref()?;
            Some(BuildRequest {
                service: name.value.clone(),
                repo: repo.to_path_buf(),
                context: build_spec
                    .context
                    .as_ref()
                    .map_or_else(|| ".".to_owned(), |c| c.value.clone()),
                dockerfile: build_spec.dockerfile.as_ref().map(|d| d.value.clone()),
                args: build_spec.args.iter().map(|a| a.value.clone()).collect(),
                target: build_spec.target.as_ref().map(|t| t.value.clone()),
                tag,
                site: None,
            })
        })
        .collect()
}

/// Builds what changed, at most `parallelism` at once, and reuses the rest: a service's
/// `previous` images (newest first, one per inputs digest) are its candidates, and the first
/// whose digest is the new inputs' and that the engine still has is reused (two environments
/// of one app on two branches each reuse their own). Output lines go to `log` when given. Results come in the order of `requests`. Only the builds themselves are
/// bounded: reading every service's inputs and checking its last image go on meanwhile, so a
/// build stage that reuses most images does not queue those checks behind the builds.
pub async fn build_images(
    builder: Arc<dyn ImageBuilder>,
    requests: Vec<BuildRequest>,
    previous: &HashMap<String, Vec<PreviousImage>>,
    parallelism: usize,
    sink: Arc<dyn EventSink>,
    log: Option<Arc<dyn BuildLog>>,
    cancel: &CancellationToken,
) -> Vec<(String, ServiceBuild)> {
    let permits = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
    let all = requests.len().max(1);
    let jobs = requests.into_iter().map(|request| {
        let builder = Arc::clone(&builder);
        let permits = Arc::clone(&permits);
        let sink = Arc::clone(&sink);
        let log = log.clone();
        let previous = previous.get(&request.service).cloned().unwrap_or_default();
        let cancel = cancel.clone();
        async move {
            let service = request.service.clone();
            let outcome = tokio::select! {
                () = cancel.cancelled() => ServiceBuild::Cancelled,
                outcome = build_one(&*builder, &request, previous, &sink, log, &permits) => outcome,
            };
            if outcome == ServiceBuild::Cancelled {
                sink.emit(DeployEvent::ServiceBuildFailed {
                    service: service.clone(),
                    error: "cancelled".into(),
                });
            }
            (service, outcome)
        }
    });
    futures_util::stream::iter(jobs)
        .buffered(all)
        .collect()
        .await
}

async fn build_one(
    builder: &dyn ImageBuilder,
    request: &BuildRequest,
    candidates: Vec<PreviousImage>,
    sink: &Arc<dyn EventSink>,
    log: Option<Arc<dyn BuildLog>>,
    permits: &tokio::sync::Semaphore,
) -> ServiceBuild {
    let service = request.service.clone();
    let digest = match builder.inputs_digest(request).await {
        Ok(digest) => digest,
        Err(error) => {
            let error = format!("reading the build inputs failed: {error}");
            sink.emit(DeployEvent::ServiceBuildFailed {
                service,
                error: error.clone(),
            });
            return ServiceBuild::Failed { error };
        }
    };
    let mut previous = None;
    for candidate in candidates.into_iter().filter(|p| p.digest == digest) {
        // Reused only while the engine still has it; else the next, or built again.
        if builder.has_image(&candidate.tag).await.unwrap_or(false) {
            previous = Some(candidate);
            break;
        }
    }
    if let Some(previous) = previous {
        let short: String = digest.chars().take(12).collect();
        let reason = format!("unchanged since build {} (inputs {short})", previous.build);
        sink.emit(DeployEvent::ServiceBuildReused {
            service,
            reason: reason.clone(),
        });
        return ServiceBuild::Reused { previous, reason };
    }
    // Never closed, so acquiring only waits for a free slot.
    let _permit = permits.acquire().await.ok();
    sink.emit(DeployEvent::ServiceBuildStarted {
        service: service.clone(),
    });
    let progress = BuildProgress {
        sink: Arc::clone(sink),
        service: service.clone(),
        log,
    };
    match builder.build(request, progress).await {
        Ok(image) => {
            sink.emit(DeployEvent::ServiceBuilt {
                service,
                image_id: image.image_id.clone(),
                size_bytes: image.size_bytes,
                cache_hits: image.steps.iter().filter(|s| s.cached).count(),
            });
            ServiceBuild::Built { image, digest }
        }
        Err(error) => {
            let error = error.to_string();
            sink.emit(DeployEvent::ServiceBuildFailed {
                service,
                error: error.clone(),
            });
            ServiceBuild::Failed { error }
        }
    }
}
