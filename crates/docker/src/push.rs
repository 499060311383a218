//! [`DockerPusher`]: images built here pushed to an app's registry, for a cluster whose nodes
//! pull them. The engine pushes (it has the layers and speaks the registry protocol); the
//! credentials are the user's own, as `docker login` left them.
//!
//! The image is tagged under the repository the Kubernetes runtime names, with a tag made from
//! the start of its image ID, pushed, and the pushed tag is removed from the local engine
//! afterwards. Credentials come from the Docker client's `config.json` (`auths`, `credsStore`,
//! `credHelpers`, read by the `docker_credential` crate; a helper gets 30 s); none means an
//! anonymous push. A refusal says what to do (`docker login <host>`, the engine's
//! `insecure-registries`, a repository to create first on ECR); a registry that cannot be
//! reached is a transient failure (pushing again repeats nothing).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::{PushImageOptions, RemoveImageOptions, TagImageOptions};
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use stagecraft_engine::{ImagePusher, RuntimeError, TaskProgress};

use crate::DockerEngine;

/// How long a credential helper (`docker-credential-osxkeychain`, …) may take to answer.
const HELPER_WITHIN: Duration = Duration::from_secs(30);

/// Pushes images from a Docker engine to registries.
#[derive(Debug, Clone)]
pub struct DockerPusher {
    engine: Arc<DockerEngine>,
    /// The Docker client configuration credentials come from; `None`: the user's own
    /// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
    config: Option<PathBuf>,
    /// One push of a reference at a time: two environments of an app deployed at once push
    /// the same image, and one's untagging must not pull the tag from under the other's push.
    pushing: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl DockerPusher {
    pub fn new(engine: Arc<DockerEngine>) -> Self {
        Self {
            engine,
            config: None,
            pushing: Arc::default(),
        }
    }

    /// Reads credentials from the Docker client configuration `file` rather than the user's.
    pub fn with_config(mut self, file: PathBuf) -> Self {
        self.config = Some(file);
        self
    }

    fn config_file(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            std::env::var_os("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".docker")))
                .map(|dir| dir.join("config.json"))
        })
    }

    async fn push_image(
        &self,
        image: &str,
        repository: &str,
        progress: &TaskProgress,
    ) -> Result<String, RuntimeError> {
        let docker = self.engine.client().await.map_err(RuntimeError::from)?;
        let inspected = docker
            .inspect_image(image)
            .await
            .map_err(|e| RuntimeError::new(format!("reading {image} before pushing it: {e}")))?;
        let tag = content_tag(inspected.id.as_deref().unwrap_or_default())
            .ok_or_else(|| RuntimeError::new(format!("the engine gave no image ID for {image}")))?;
        let reference = format!("{repository}:{tag}");
        let lock = self
            .pushing
            .lock()
            .map_err(|_| RuntimeError::new("the push locks are poisoned"))?
            .entry(reference.clone())
            .or_default()
            .clone();
        let _one_at_a_time = lock.lock().await;
        docker
            .tag_image(
                image,
                Some(TagImageOptions {
                    repo: Some(repository.to_owned()),
                    tag: Some(tag.clone()),
                }),
            )
            .await
            .map_err(|e| RuntimeError::new(format!("tagging {image} as {reference}: {e}")))?;
        let host = registry_host(repository);
        let credentials = self.credentials(&host).await?;
        progress.waiting(format!("pushing {reference}"));
        let mut stream = docker.push_image(
            repository,
            Some(PushImageOptions {
                tag: Some(tag.clone()),
                platform: None,
            }),
            credentials,
        );
        // The engine's lines name no layer Stagecraft can read (bollard keeps no `id`), but
        // each layer is "Preparing" once and finishes once.
        let (mut layers, mut done) = (0_usize, 0_usize);
        let mut outcome = Ok(());
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    let Some(status) = info.status.as_deref() else {
                        continue;
                    };
                    if status == "Preparing" {
                        layers += 1;
                    } else if status == "Pushed"
                        || status == "Layer already exists"
                        || status.starts_with("Mounted from")
                    {
                        done += 1;
                        progress.waiting(format!(
                            "pushing {reference}: {done} of {} layers",
                            layers.max(done)
                        ));
                    }
                }
                Err(error) => {
                    outcome = Err(push_failed(&reference, &host, &error));
                    break;
                }
            }
        }
        // The tag was only the name the engine pushes under: this machine does not need it.
        let untag = docker
            .remove_image(
                &reference,
                Some(RemoveImageOptions {
                    noprune: true,
                    ..RemoveImageOptions::default()
                }),
                None,
            )
            .await;
        if let Err(error) = untag {
            tracing::debug!(%reference, %error, "the pushed tag stays on this engine");
        }
        outcome.map(|()| reference)
    }

    /// The user's credentials for registry `host`; `None` (anonymous) when they have none.
    async fn credentials(
        &self,
        host: &str,
    ) -> Result<Option<bollard::auth::DockerCredentials>, RuntimeError> {
        let Some(file) = self.config_file() else {
            return Ok(None);
        };
        // The key Docker files Docker Hub's credentials under.
        let server = if host == DOCKER_HUB {
            "https://index.docker.io/v1/".to_owned()
        } else {
            host.to_owned()
        };
        let lookup = {
            let server = server.clone();
            let file = file.clone();
            // Reading the file and asking a credential helper both block.
            tokio::task::spawn_blocking(move || read_credential(&file, &server))
        };
        let found = tokio::time::timeout(HELPER_WITHIN, lookup)
            .await
            .map_err(|_| {
                RuntimeError::new(format!(
                    "the credential helper named in {} did not answer for {server} within {} s",
                    file.display(),
                    HELPER_WITHIN.as_secs()
                ))
            })?
            .map_err(|e| RuntimeError::new(format!("reading credentials stopped: {e}")))?;
        use docker_credential::{CredentialRetrievalError as E, DockerCredential};
        match found {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                Ok(Some(bollard::auth::DockerCredentials {
                    username: Some(username),
                    password: Some(password),
                    serveraddress: Some(server),
                    ..Default::default()
                }))
            }
            Ok(DockerCredential::IdentityToken(token)) => {
                Ok(Some(bollard::auth::DockerCredentials {
                    identitytoken: Some(token),
                    serveraddress: Some(server),
                    ..Default::default()
                }))
            }
            Err(E::NoCredentialConfigured | E::ConfigNotFound | E::ConfigReadError) => Ok(None),
            Err(error) => Err(RuntimeError::new(format!(
                "reading the credentials for {server} from {} failed: {error}. Run `docker login \
                 {host}` again",
                file.display()
            ))),
        }
    }
}

fn read_credential(
    file: &std::path::Path,
    server: &str,
) -> Result<docker_credential::DockerCredential, docker_credential::CredentialRetrievalError> {
    let reader = std::fs::File::open(file)
        .map_err(|_| docker_credential::CredentialRetrievalError::ConfigReadError)?;
    docker_credential::get_credential_from_reader(std::io::BufReader::new(reader), server)
}

impl ImagePusher for DockerPusher {
    fn push<'a>(
        &'a self,
        image: &'a str,
        repository: &'a str,
        progress: &'a TaskProgress,
    ) -> BoxFuture<'a, Result<String, RuntimeError>> {
        Box::pin(self.push_image(image, repository, progress))
    }

    fn pull_login<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, RuntimeError>> {
        Box::pin(async move {
            let host = registry_host(repository);
            let Some(credentials) = self.credentials(&host).await? else {
                return Ok(None);
            };
            let (Some(username), Some(password)) = (credentials.username, credentials.password)
            else {
                return Err(RuntimeError::new(format!(
                    "your Docker login for {host} is an identity token, which a cluster cannot \
                     pull with: log in with a user name and a password or access token \
                     (`docker login {host}`)"
                )));
            };
            let server = credentials.serveraddress.unwrap_or(host);
            let auth = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{username}:{password}"),
            );
            let config = serde_json::json!({
                "auths": { server: { "username": username, "password": password, "auth": auth } }
            });
            Ok(Some(config.to_string()))
        })
    }
}

const DOCKER_HUB: &str = "docker.io";

/// The registry a repository is in, as Docker decides it: the first part when it looks like a
/// host (has a dot or a port, or is `localhost`), else Docker Hub.
fn registry_host(repository: &str) -> String {
    match repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            if first == "index.docker.io" {
                DOCKER_HUB.to_owned()
            } else {
                first.to_owned()
            }
        }
        _ => DOCKER_HUB.to_owned(),
    }
}

/// The tag an image is pushed under: the start of its ID, so the same content always has the
/// same tag and other content never does.
fn content_tag(id: &str) -> Option<String> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    (hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex[..12].to_ascii_lowercase())
}

/// What a failed push means for the user, and whether trying again may help.
fn push_failed(reference: &str, host: &str, error: &bollard::errors::Error) -> RuntimeError {
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let hint = if lower.contains("unauthorized")
        || lower.contains("no basic auth credentials")
        || lower.contains("authentication required")
        || lower.contains("denied")
    {
        format!(
            ": log in with `docker login {host}` (Stagecraft uses the Docker client's credentials), and check that you may push to it"
        )
    } else if lower.contains("http response to https client") {
        format!(
            ": {host} speaks plain HTTP; the Docker engine only allows that for registries in its \
             `insecure-registries` (and 127.0.0.0/8)"
        )
    } else if lower.contains("name unknown") || lower.contains("repository does not exist") {
        ": the registry has no such repository; create it there (ECR and some others do not \
         create repositories on push)"
            .to_owned()
    } else {
        String::new()
    };
    let message = format!("pushing {reference} failed: {text}{hint}");
    // Another Stagecraft pushing the same image may untag it between our tag and our push:
    // tagging and pushing again mends it.
    let transient = lower.contains("does not exist locally")
        || lower.contains("connection refused")
        || lower.contains("i/o timeout")
        || lower.contains("connection reset")
        || lower.contains("tls handshake timeout")
        || lower.contains("503 service unavailable")
        || lower.contains("too many requests")
        || matches!(
            error,
            bollard::errors::Error::RequestTimeoutError | bollard::errors::Error::IOError { .. }
        );
    // Pushing again repeats nothing: the registry keeps what it has.
    if transient {
        RuntimeError::transient(message)
    } else {
        RuntimeError::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::{content_tag, registry_host};

    #[test]
    fn the_registry_is_the_first_part_only_when_it_names_a_host() {
        assert_eq!(registry_host("127.0.0.1:5000/team/web"), "127.0.0.1:5000");
        assert_eq!(registry_host("ghcr.io/acme/web"), "ghcr.io");
        assert_eq!(registry_host("localhost/web"), "localhost");
        assert_eq!(registry_host("acme/web"), "docker.io");
        assert_eq!(registry_host("index.docker.io/acme/web"), "docker.io");
        assert_eq!(registry_host("web"), "docker.io");
    }

    #[test]
    fn the_tag_is_the_start_of_the_image_id() {
        assert_eq!(
            content_tag("sha256:0123456789abcdef0123").as_deref(),
            Some("0123456789ab")
        );
        assert_eq!(content_tag("sha256:0123"), None);
        assert_eq!(content_tag("sha256:zzzzzzzzzzzzzzzz"), None);
    }
}
