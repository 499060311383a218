//! [`DockerBuilder`]: the build stage's images, built by the engine from a context that
//! honours `.dockerignore`.
//!
//! Images are built with BuildKit when the engine offers it: each Dockerfile step arrives as a
//! vertex with its cache hit and the engine's timings. The context goes through BuildKit's
//! file-sync session, as the `docker` command sends it (`session.rs`: we open `POST /session`,
//! serve fsutil's DiffCopy over gRPC on the upgraded connection, and send `/build` with
//! `remote=client-session` ourselves, because bollard's BuildKit builds open a session of their
//! own without a file source): the engine asks for what it needs, and only files changed since
//! the last build of that folder travel. An engine that refuses the session gets the context as
//! a tar (through bollard's BuildKit session); one without BuildKit at all (Podman's API, old
//! engines) gets the classic builder, whose output names each step and its cache use. Each
//! refusal is remembered for the builder's lifetime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt as _;
use stagecraft_engine::{
    BuildProgress, BuildRequest, BuildStepTiming, BuiltImage, ImageBuilder, Layer, RuntimeError,
};

use crate::DockerEngine;
use crate::FileHashes;
use crate::context::Context;
use crate::session::{self, Endpoint};
use crate::site::{Server, StaticSites};

/// Builds images on a Docker engine: with BuildKit when the engine offers it (its steps,
/// cache hits and timings come as structured status), else with the classic builder (whose
/// output names each step and says when the cache served it). Podman's compatible API and old
/// engines have no BuildKit session; the first refusal switches this builder to the classic
/// one for good.
#[derive(Debug, Clone)]
pub struct DockerBuilder {
    engine: Arc<DockerEngine>,
    classic_only: Arc<std::sync::atomic::AtomicBool>,
    /// Set once the engine refused a file-sync session: contexts go as tars from then on.
    tar_only: Arc<std::sync::atomic::AtomicBool>,
    hashes: Arc<FileHashes>,
    sites: Arc<StaticSites>,
    /// Held while the file server's image is checked or made.
    server_made: Arc<tokio::sync::Mutex<()>>,
}

/// The context of `request`, and for a static site the file server its image ends in (its
/// Dockerfile written for it, read from outside the context).
fn context_of(
    sites: &StaticSites,
    request: &BuildRequest,
) -> Result<(Context, Option<Server>), RuntimeError> {
    let Some(site) = &request.site else {
        return Ok((Context::collect(request)?, None));
    };
    let server = sites.server()?;
    let dockerfile = sites.dockerfile(&request.service, site, &request.args, &server)?;
    Ok((
        Context::collect_with(request, Some(&dockerfile))?,
        Some(server),
    ))
}

impl DockerBuilder {
    pub fn new(engine: Arc<DockerEngine>) -> Self {
        Self {
            engine,
            classic_only: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            tar_only: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            hashes: Arc::new(FileHashes::default()),
            sites: Arc::new(StaticSites::default()),
            server_made: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Builds static services' sites with the file server and the folder `sites` names.
    pub fn with_static_sites(mut self, sites: StaticSites) -> Self {
        self.sites = Arc::new(sites);
        self
    }

    /// Keeps build-context files' hashes in `file` between runs, so deciding whether an image
    /// can be reused reads only the files that changed.
    pub fn with_file_hashes(mut self, file: PathBuf) -> Self {
        self.hashes = Arc::new(FileHashes::in_file(file));
        self
    }

    /// Sends build contexts as tars, never through a file-sync session: to test that path.
    pub fn tar_contexts(self) -> Self {
        self.tar_only
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Whether contexts go as tars: asked to, or the engine refused a file-sync session.
    pub fn sends_tars(&self) -> bool {
        self.tar_only.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Never tries BuildKit: for engines known to lack it, and to test the classic path.
    pub fn classic(engine: Arc<DockerEngine>) -> Self {
        let builder = Self::new(engine);
        builder
            .classic_only
            .store(true, std::sync::atomic::Ordering::Relaxed);
        builder
    }
}

/// A BuildKit build in progress: its vertices (steps) by digest, timed by the engine.
#[derive(Default)]
struct VertexTracker {
    /// In the order they first appeared.
    order: Vec<String>,
    vertices: HashMap<String, Vertex>,
    /// The first error a vertex reported.
    error: Option<String>,
}

#[derive(Default, Clone)]
struct Vertex {
    name: String,
    cached: bool,
    started: Option<(i64, i32)>,
    completed: Option<(i64, i32)>,
    announced: bool,
    reported: bool,
}

/// Seconds from `start` to `end`, both protobuf timestamps as (seconds, nanos).
fn seconds_between(start: (i64, i32), end: (i64, i32)) -> f64 {
    let nanos =
        (i128::from(end.0) - i128::from(start.0)) * 1_000_000_000 + i128::from(end.1 - start.1);
    // Build steps last seconds to hours: f64 holds that exactly enough.
    nanos as f64 / 1e9
}

impl VertexTracker {
    fn status(
        &mut self,
        status: bollard::moby::buildkit::v1::StatusResponse,
        progress: &BuildProgress,
    ) {
        for vertex in status.vertexes {
            if !self.vertices.contains_key(&vertex.digest) {
                self.order.push(vertex.digest.clone());
            }
            let entry = self.vertices.entry(vertex.digest.clone()).or_default();
            entry.name = vertex.name;
            entry.cached |= vertex.cached;
            if let Some(t) = vertex.started {
                entry.started = Some((t.seconds, t.nanos));
            }
            if let Some(t) = vertex.completed {
                entry.completed = Some((t.seconds, t.nanos));
            }
            if !vertex.error.is_empty() && self.error.is_none() {
                self.error = Some(format!("`{}`: {}", entry.name, vertex.error));
            }
            // The build log reads like `docker build --progress=plain`.
            if entry.started.is_some() && !entry.announced {
                entry.announced = true;
                progress.output(&entry.name);
            }
            if entry.completed.is_some() && !entry.reported {
                entry.reported = true;
                if entry.cached {
                    progress.output(&format!("{}: cached", entry.name));
                } else if let (Some(start), Some(end)) = (entry.started, entry.completed) {
                    progress.output(&format!(
                        "{}: done in {:.1} s",
                        entry.name,
                        seconds_between(start, end)
                    ));
                }
                if let Some(instruction) = step_instruction(&entry.name) {
                    progress.step(instruction, entry.cached);
                }
            }
        }
        for log in status.logs {
            for line in String::from_utf8_lossy(&log.msg).lines() {
                progress.output(line);
            }
        }
    }

    /// The Dockerfile's steps, in order, with what the engine measured.
    fn steps(&self) -> Vec<BuildStepTiming> {
        self.order
            .iter()
            .filter_map(|digest| self.vertices.get(digest))
            .filter_map(|v| {
                let instruction = step_instruction(&v.name)?;
                let millis = match (v.started, v.completed) {
                    (Some(start), Some(end)) => {
                        // Whole milliseconds; a negative span (clock skew) counts as none.
                        (seconds_between(start, end) * 1000.0).max(0.0).round() as u64
                    }
                    _ => 0,
                };
                Some(BuildStepTiming {
                    instruction,
                    millis,
                    cached: v.cached,
                })
            })
            .collect()
    }
}

/// `[2/4] COPY www /www` is step 2's `COPY www /www`; in a multi-stage Dockerfile
/// `[builder 2/3] RUN make` is `builder: RUN make`. BuildKit's own vertices
/// (`[internal] load .dockerignore`) are not steps of the Dockerfile.
fn step_instruction(name: &str) -> Option<String> {
    let rest = name.strip_prefix('[')?;
    let (position, instruction) = rest.split_once("] ")?;
    let (stage, counter) = match position.rsplit_once(' ') {
        Some((stage, counter)) => (Some(stage.trim()), counter),
        None => (None, position),
    };
    let (step, _) = counter.split_once('/')?;
    step.trim().parse::<u32>().ok()?;
    let instruction = instruction.trim();
    Some(match stage {
        Some(stage) => format!("{stage}: {instruction}"),
        None => instruction.to_owned(),
    })
}

/// Whether an engine's refusal means "no BuildKit here" (so the classic builder is the way),
/// rather than a failure of this build.
fn lacks_buildkit(error: &bollard::errors::Error) -> bool {
    let text = error.to_string().to_lowercase();
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code, .. } if *status_code == 400 || *status_code == 404 || *status_code == 501
    ) && (text.contains("session") || text.contains("buildkit") || text.contains("version"))
        || text.contains("not implemented")
}

/// A step of the build output being timed.
struct OpenStep {
    instruction: String,
    started: Instant,
    cached: bool,
}

/// Follows the classic builder's output: `Step 2/5 : COPY . /app`, then ` ---> Using cache`
/// when the cache served it.
#[derive(Default)]
struct StepTracker {
    open: Option<OpenStep>,
    done: Vec<BuildStepTiming>,
    /// What the build printed last, for an error message.
    tail: Vec<String>,
}

impl StepTracker {
    fn line(&mut self, line: &str, progress: &BuildProgress) {
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            return;
        }
        self.tail.push(trimmed.to_owned());
        if self.tail.len() > 10 {
            self.tail.remove(0);
        }
        if let Some(rest) = trimmed.strip_prefix("Step ")
            && let Some((_, instruction)) = rest.split_once(" : ")
        {
            self.close(progress);
            self.open = Some(OpenStep {
                instruction: instruction.to_owned(),
                started: Instant::now(),
                cached: false,
            });
        } else if trimmed.trim_start() == "---> Using cache"
            && let Some(open) = &mut self.open
        {
            open.cached = true;
        }
    }

    fn close(&mut self, progress: &BuildProgress) {
        if let Some(open) = self.open.take() {
            progress.step(open.instruction.clone(), open.cached);
            self.done.push(BuildStepTiming {
                instruction: open.instruction,
                millis: u64::try_from(open.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                cached: open.cached,
            });
        }
    }
}

/// `/bin/sh -c #(nop) CMD ["x"]` is how the classic builder records `CMD ["x"]`;
/// `COPY . /app # buildkit` is how BuildKit does.
/// `created_by` with each `file:<sha256>` or `dir:<sha256>` the classic builder writes cut to
/// `file:` / `dir:`.
fn without_content_digests(created_by: &str) -> String {
    let mut out = String::with_capacity(created_by.len());
    let mut rest = created_by;
    while let Some(at) = rest.find(['f', 'd']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let prefix = ["file:", "dir:"].into_iter().find(|p| from.starts_with(p));
        match prefix {
            Some(prefix) => {
                let digest = &from[prefix.len()..];
                let hex = digest.bytes().take_while(u8::is_ascii_hexdigit).count();
                out.push_str(prefix);
                rest = if hex == 64 { &digest[hex..] } else { digest };
            }
            None => {
                let next = from.chars().next().map_or(1, char::len_utf8);
                out.push_str(&from[..next]);
                rest = &from[next..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn instruction(created_by: &str) -> String {
    let text = created_by.trim();
    // The classic builder names a COPY's source by its contents (`COPY file:3f2a…` or
    // `dir:…`): without it, the same instruction reads the same from one build to the next.
    let text = without_content_digests(text);
    let text = text.as_str();
    let text = text.strip_suffix("# buildkit").map_or(text, str::trim_end);
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop) ") {
        return rest.trim().to_owned();
    }
    if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    text.to_owned()
}

#[async_trait::async_trait]
impl ImageBuilder for DockerBuilder {
    async fn has_image(&self, tag: &str) -> Result<bool, RuntimeError> {
        let docker = self.engine.client().await.map_err(RuntimeError::from)?;
        match docker.inspect_image(tag).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(RuntimeError::new(format!(
                "the image {tag} cannot be read: {error}"
            ))),
        }
    }

    async fn remove_image(&self, tag: &str) -> Result<(), RuntimeError> {
        let docker = self.engine.client().await.map_err(RuntimeError::from)?;
        // `noprune`: untagged parents may be layers another build is using right now.
        let options = bollard::query_parameters::RemoveImageOptions {
            noprune: true,
            ..Default::default()
        };
        match docker.remove_image(tag, Some(options), None).await {
            Ok(_)
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(error) => Err(RuntimeError::new(format!(
                "the image {tag} cannot be removed: {error}"
            ))),
        }
    }

    async fn layer_files(
        &self,
        tag: &str,
    ) -> Result<Vec<stagecraft_engine::LayerFiles>, RuntimeError> {
        let docker = self.engine.client().await.map_err(RuntimeError::from)?;
        crate::layers::layer_files(docker, tag).await
    }

    async fn inputs_digest(&self, request: &BuildRequest) -> Result<String, RuntimeError> {
        let request = request.clone();
        let hashes = Arc::clone(&self.hashes);
        let sites = Arc::clone(&self.sites);
        tokio::task::spawn_blocking(move || {
            let digest = context_of(&sites, &request)?.0.digest(&request, &hashes);
            hashes.save();
            digest
        })
        .await
        .map_err(|e| RuntimeError::new(format!("reading the build context stopped: {e}")))?
    }

    async fn build(
        &self,
        request: &BuildRequest,
        progress: BuildProgress,
    ) -> Result<BuiltImage, RuntimeError> {
        let docker = self.engine.client().await.map_err(RuntimeError::from)?;
        let owned = request.clone();
        let sites = Arc::clone(&self.sites);
        let (context, server) = tokio::task::spawn_blocking(move || context_of(&sites, &owned))
            .await
            .map_err(|e| RuntimeError::new(format!("reading the build context stopped: {e}")))??;
        if let Some(server) = &server {
            // One at a time: two sites built at once would both make it.
            let _made = self.server_made.lock().await;
            crate::site::ensure_server_image(docker, server).await?;
        }
        let buildargs: HashMap<String, String> = request
            .args
            .iter()
            .map(|arg| match arg.split_once('=') {
                Some((key, value)) => (key.to_owned(), value.to_owned()),
                // `ARG NAME` with no value takes the variable of the same name, as
                // `docker build --build-arg NAME` does.
                None => (arg.clone(), std::env::var(arg).unwrap_or_default()),
            })
            .collect();
        let session = if self.classic_only.load(std::sync::atomic::Ordering::Relaxed)
            || self.tar_only.load(std::sync::atomic::Ordering::Relaxed)
        {
            None
        } else {
            Endpoint::parse(self.engine.endpoint())
        };
        let by_session = match &session {
            Some(endpoint) => {
                match session_build(endpoint, request, &context, &buildargs, &progress).await {
                    Ok(steps) => Some(steps),
                    Err(BuildKitFailure::Failed(error)) => return Err(error),
                    Err(BuildKitFailure::Unsupported(reason)) => {
                        tracing::info!(%reason, "no build session: sending the context as a tar");
                        self.tar_only
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        None
                    }
                }
            }
            None => None,
        };
        let steps = if let Some(steps) = by_session {
            steps
        } else if self.classic_only.load(std::sync::atomic::Ordering::Relaxed) {
            let dockerfile = context.dockerfile().to_owned();
            let tar = pack(context).await?;
            classic_build(docker, request, &dockerfile, &buildargs, tar, &progress).await?
        } else {
            let dockerfile = context.dockerfile().to_owned();
            let tar = pack(context).await?;
            match buildkit_build(
                docker,
                request,
                &dockerfile,
                &buildargs,
                tar.clone(),
                &progress,
            )
            .await
            {
                Ok(steps) => steps,
                Err(BuildKitFailure::Unsupported(reason)) => {
                    tracing::info!(%reason, "the engine has no BuildKit: using the classic builder");
                    self.classic_only
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    classic_build(docker, request, &dockerfile, &buildargs, tar, &progress).await?
                }
                Err(BuildKitFailure::Failed(error)) => return Err(error),
            }
        };
        let image = docker.inspect_image(&request.tag).await.map_err(|e| {
            RuntimeError::new(format!("the image {} cannot be read: {e}", request.tag))
        })?;
        let history = docker.image_history(&request.tag).await.map_err(|e| {
            RuntimeError::new(format!(
                "the history of {} cannot be read: {e}",
                request.tag
            ))
        })?;
        Ok(BuiltImage {
            image_id: image.id.unwrap_or_default(),
            size_bytes: image
                .size
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or_default(),
            // Oldest first, as the Dockerfile reads.
            layers: history
                .iter()
                .rev()
                .map(|item| Layer {
                    instruction: instruction(&item.created_by),
                    size_bytes: u64::try_from(item.size).unwrap_or_default(),
                })
                .collect(),
            steps,
        })
    }
}

/// The context as the tar the engine builds from.
async fn pack(context: Context) -> Result<Vec<u8>, RuntimeError> {
    tokio::task::spawn_blocking(move || context.tar())
        .await
        .map_err(|e| RuntimeError::new(format!("packing the build context stopped: {e}")))?
}

/// A BuildKit session's name, unique to this process and moment.
fn session_id() -> String {
    format!(
        "stagecraft-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}

enum BuildKitFailure {
    /// The engine offers no BuildKit: build with the classic builder instead.
    Unsupported(String),
    Failed(RuntimeError),
}

async fn buildkit_build(
    docker: &bollard::Docker,
    request: &BuildRequest,
    dockerfile: &str,
    buildargs: &HashMap<String, String>,
    tar: Vec<u8>,
    progress: &BuildProgress,
) -> Result<Vec<BuildStepTiming>, BuildKitFailure> {
    let session = session_id();
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile)
        .t(&request.tag)
        .buildargs(buildargs)
        .version(bollard::query_parameters::BuilderVersion::BuilderBuildKit)
        .session(&session);
    if let Some(target) = &request.target {
        options = options.target(target);
    }
    let mut stream =
        docker.build_image(options.build(), None, Some(bollard::body_full(tar.into())));
    let mut vertices = VertexTracker::default();
    let mut started = false;
    while let Some(item) = stream.next().await {
        let item = match item {
            Ok(item) => item,
            Err(error) if !started && lacks_buildkit(&error) => {
                return Err(BuildKitFailure::Unsupported(error.to_string()));
            }
            Err(error) => {
                return Err(BuildKitFailure::Failed(RuntimeError::new(format!(
                    "building {} failed: {error}",
                    request.service
                ))));
            }
        };
        started = true;
        vertices
            .answer(item, request, progress)
            .map_err(BuildKitFailure::Failed)?;
    }
    vertices.finish(request).map_err(BuildKitFailure::Failed)
}

/// A BuildKit build whose context the engine reads through our file-sync session
/// (`session.rs`): only what changed since the last build of the folder travels. An engine
/// that refuses the session or such a build is `Unsupported`, and the tar is sent instead.
async fn session_build(
    endpoint: &Endpoint,
    request: &BuildRequest,
    context: &Context,
    buildargs: &HashMap<String, String>,
    progress: &BuildProgress,
) -> Result<Vec<BuildStepTiming>, BuildKitFailure> {
    let id = session_id();
    let (session, dockerfile) = session::open(endpoint, context, &id)
        .await
        .map_err(|e| BuildKitFailure::Unsupported(e.to_string()))?;
    let mut query = vec![
        ("version", "2".to_owned()),
        ("session", session.id.clone()),
        ("remote", "client-session".to_owned()),
        ("dockerfile", dockerfile),
        ("t", request.tag.clone()),
        ("rm", "1".to_owned()),
        (
            "buildargs",
            serde_json::to_string(buildargs).unwrap_or_else(|_| "{}".to_owned()),
        ),
    ];
    if let Some(target) = &request.target {
        query.push(("target", target.clone()));
    }
    let stream = session::build(endpoint, &query)
        .await
        .map_err(|e| BuildKitFailure::Unsupported(e.to_string()))?;
    let mut stream = std::pin::pin!(stream);
    let mut vertices = VertexTracker::default();
    while let Some(item) = stream.next().await {
        let item = item.map_err(|error| {
            BuildKitFailure::Failed(RuntimeError::new(format!(
                "building {} failed: {error}",
                request.service
            )))
        })?;
        vertices
            .answer(item, request, progress)
            .map_err(BuildKitFailure::Failed)?;
    }
    drop(session);
    vertices.finish(request).map_err(BuildKitFailure::Failed)
}

impl VertexTracker {
    /// Takes one answer of the engine: an error ends the build, BuildKit's status moves
    /// its steps on.
    fn answer(
        &mut self,
        item: bollard::models::BuildInfo,
        request: &BuildRequest,
        progress: &BuildProgress,
    ) -> Result<(), RuntimeError> {
        if let Some(detail) = item.error_detail {
            let at = self.error.clone().unwrap_or_default();
            return Err(RuntimeError::new(format!(
                "building {} failed: {} {at}",
                request.service,
                detail.message.unwrap_or_default().trim()
            )));
        }
        if let Some(bollard::models::BuildInfoAux::BuildKit(status)) = item.aux {
            self.status(status, progress);
        }
        Ok(())
    }

    /// The steps once the answers ended, or the error a step reported.
    fn finish(self, request: &BuildRequest) -> Result<Vec<BuildStepTiming>, RuntimeError> {
        if let Some(error) = &self.error {
            return Err(RuntimeError::new(format!(
                "building {} failed at {error}",
                request.service
            )));
        }
        Ok(self.steps())
    }
}

async fn classic_build(
    docker: &bollard::Docker,
    request: &BuildRequest,
    dockerfile: &str,
    buildargs: &HashMap<String, String>,
    tar: Vec<u8>,
    progress: &BuildProgress,
) -> Result<Vec<BuildStepTiming>, RuntimeError> {
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile)
        .t(&request.tag)
        .rm(true)
        .forcerm(true)
        .buildargs(buildargs);
    if let Some(target) = &request.target {
        options = options.target(target);
    }
    let mut stream =
        docker.build_image(options.build(), None, Some(bollard::body_full(tar.into())));
    let mut steps = StepTracker::default();
    while let Some(item) = stream.next().await {
        let item = item
            .map_err(|e| RuntimeError::new(format!("building {} failed: {e}", request.service)))?;
        if let Some(detail) = item.error_detail {
            let at = steps
                .open
                .as_ref()
                .map(|s| format!(" at `{}`", s.instruction))
                .unwrap_or_default();
            return Err(RuntimeError::new(format!(
                "building {} failed{at}: {}\n{}",
                request.service,
                detail.message.unwrap_or_default().trim(),
                steps.tail.join("\n")
            )));
        }
        if let Some(text) = item.stream {
            for line in text.lines() {
                steps.line(line, progress);
                progress.output(line);
            }
        }
    }
    steps.close(progress);
    Ok(steps.done)
}

#[cfg(test)]
mod tests {
    use super::{instruction, step_instruction};

    #[test]
    fn buildkit_vertices_of_the_dockerfile_are_its_steps() {
        assert_eq!(
            step_instruction("[2/4] COPY www /www").as_deref(),
            Some("COPY www /www")
        );
        assert_eq!(
            step_instruction("[builder 3/5] RUN make").as_deref(),
            Some("builder: RUN make")
        );
        assert_eq!(step_instruction("[internal] load .dockerignore"), None);
    }

    #[test]
    fn history_entries_read_as_dockerfile_instructions() {
        assert_eq!(
            instruction("/bin/sh -c #(nop)  CMD [\"httpd\" \"-f\"]"),
            "CMD [\"httpd\" \"-f\"]"
        );
        assert_eq!(
            instruction("/bin/sh -c #(nop) COPY file:abc in /bin/busybox "),
            "COPY file:abc in /bin/busybox"
        );
        let digest = "3f2a".repeat(16);
        assert_eq!(
            instruction(&format!("/bin/sh -c #(nop) COPY dir:{digest} in /www ")),
            "COPY dir: in /www",
            "the classic builder's content digest is not part of the instruction"
        );
        assert_eq!(instruction("/bin/sh -c make all"), "RUN make all");
        assert_eq!(
            instruction("RUN /bin/busybox --install -s /bin # buildkit"),
            "RUN /bin/busybox --install -s /bin"
        );
    }
}
