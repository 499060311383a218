//! [`DockerBuilder`]: the build stage's images, built by the engine from a context that
//! honours `.dockerignore`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt as _;
use stagecraft_engine::{
    BuildProgress, BuildRequest, BuildStepTiming, BuiltImage, ImageBuilder, Layer, RuntimeError,
};

use crate::DockerEngine;
use crate::context::Context;

/// Builds images on a Docker engine with its classic builder, which every engine and API
/// version Stagecraft supports offers and which reports each step and its cache use in the
/// build output.
#[derive(Debug, Clone)]
pub struct DockerBuilder {
    engine: Arc<DockerEngine>,
}

impl DockerBuilder {
    pub fn new(engine: Arc<DockerEngine>) -> Self {
        Self { engine }
    }
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

/// `/bin/sh -c #(nop) CMD ["x"]` is how the classic builder records `CMD ["x"]`.
fn instruction(created_by: &str) -> String {
    let text = created_by.trim();
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop) ") {
        return rest.trim().to_owned();
    }
    if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    text.to_owned()
}

impl ImageBuilder for DockerBuilder {
    async fn has_image(&self, tag: &str) -> Result<bool, RuntimeError> {
        let docker = self
            .engine
            .client()
            .await
            .map_err(|e| RuntimeError::new(e.to_string()))?;
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

    async fn inputs_digest(&self, request: &BuildRequest) -> Result<String, RuntimeError> {
        let request = request.clone();
        tokio::task::spawn_blocking(move || Context::collect(&request)?.digest(&request))
            .await
            .map_err(|e| RuntimeError::new(format!("reading the build context stopped: {e}")))?
    }

    async fn build(
        &self,
        request: &BuildRequest,
        progress: BuildProgress,
    ) -> Result<BuiltImage, RuntimeError> {
        let docker = self
            .engine
            .client()
            .await
            .map_err(|e| RuntimeError::new(e.to_string()))?;
        let owned = request.clone();
        let (dockerfile, tar) = tokio::task::spawn_blocking(move || {
            let context = Context::collect(&owned)?;
            Ok::<_, RuntimeError>((context.dockerfile().to_owned(), context.tar()?))
        })
        .await
        .map_err(|e| RuntimeError::new(format!("packing the build context stopped: {e}")))??;
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
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&dockerfile)
            .t(&request.tag)
            .rm(true)
            .forcerm(true)
            .buildargs(&buildargs);
        if let Some(target) = &request.target {
            options = options.target(target);
        }
        let mut stream =
            docker.build_image(options.build(), None, Some(bollard::body_full(tar.into())));
        let mut steps = StepTracker::default();
        while let Some(item) = stream.next().await {
            let item = item.map_err(|e| {
                RuntimeError::new(format!("building {} failed: {e}", request.service))
            })?;
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
                    steps.line(line, &progress);
                    progress.output(line);
                }
            }
        }
        steps.close(&progress);
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
            steps: steps.done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::instruction;

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
        assert_eq!(instruction("/bin/sh -c make all"), "RUN make all");
        assert_eq!(
            instruction("RUN /bin/busybox --install -s /bin # buildkit"),
            "RUN /bin/busybox --install -s /bin # buildkit"
        );
    }
}
