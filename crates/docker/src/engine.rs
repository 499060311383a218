//! `DockerEngine`: the connection to a Docker engine, made lazily. Constructing one never
//! touches the network, so opening the app opens the database and nothing else. The engine is
//! contacted on the first call that needs it, trying each candidate endpoint (`discovery.rs`)
//! in order with a 5 s limit, and the first that answers is kept; a failed connection is
//! retried on the next call.

use std::time::Duration;

use bollard::Docker;
use tokio::sync::OnceCell;

use crate::DockerError;
use crate::discovery::{Candidate, Discovery, EndpointSource};

/// How long the first contact with an engine may take before we call it stuck. A local engine
/// answers in milliseconds; a VM-backed one (Docker Desktop, Colima) that is still booting can
/// take a few seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Seconds bollard waits for any single request; builds and log follows set their own.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// What a reachable engine says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    pub endpoint: String,
    /// The product, e.g. "Docker Engine - Community", "Docker Desktop 4.41.0" or "Podman Engine".
    pub platform: Option<String>,
    pub version: String,
    /// The API version both sides agreed on.
    pub api_version: String,
    pub os: String,
    pub arch: String,
}

/// A Docker engine, connected on first use. Constructing it never touches the network, so
/// the app opens at once when no engine runs; the first call tries each candidate endpoint in
/// order and keeps the first that answers; a failure is retried on the next call.
#[derive(Debug)]
pub struct DockerEngine {
    candidates: Vec<Candidate>,
    connected: OnceCell<(Docker, usize)>,
}

impl DockerEngine {
    /// `DOCKER_HOST` when set; else the current Docker context, the platform's default socket
    /// or pipe, and the sockets of Docker Desktop, Colima and Podman, in that order.
    pub fn from_env() -> Self {
        Self::with_candidates(Discovery::from_env().candidates())
    }

    /// The engine at `endpoint` (`unix:///…`, `npipe:////./pipe/…`, `tcp://…`, `http://…`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self::with_candidates(vec![Candidate {
            endpoint: endpoint.into(),
            source: EndpointSource::Explicit,
        }])
    }

    /// The engine at the first of `candidates` that answers.
    pub fn with_candidates(candidates: Vec<Candidate>) -> Self {
        Self {
            candidates,
            connected: OnceCell::new(),
        }
    }

    /// The endpoints tried, in order.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    fn current(&self) -> Option<&Candidate> {
        let index = self.connected.get().map_or(0, |(_, index)| *index);
        self.candidates.get(index)
    }

    /// The endpoint in use once connected; before, the first to be tried.
    pub fn endpoint(&self) -> &str {
        self.current().map_or("", |c| c.endpoint.as_str())
    }

    pub fn endpoint_source(&self) -> EndpointSource {
        self.current()
            .map_or(EndpointSource::Explicit, |c| c.source)
    }

    /// The connected client, negotiating the API version on first use: bollard speaks a newer
    /// API than many installed engines (Debian's 20.10 speaks 1.41) and they refuse newer ones.
    pub async fn client(&self) -> Result<&Docker, DockerError> {
        self.connected
            .get_or_try_init(|| async {
                let mut failures = Vec::new();
                for (index, candidate) in self.candidates.iter().enumerate() {
                    match connect(&candidate.endpoint).await {
                        Ok(docker) => return Ok((docker, index)),
                        Err(error) => failures.push((candidate.endpoint.clone(), error)),
                    }
                }
                Err(match failures.len() {
                    1 => failures.remove(0).1,
                    0 => DockerError::NoneAnswered { tried: Vec::new() },
                    _ => DockerError::NoneAnswered {
                        tried: failures
                            .into_iter()
                            .map(|(endpoint, error)| format!("{endpoint}: {}", error.reason()))
                            .collect(),
                    },
                })
            })
            .await
            .map(|(docker, _)| docker)
    }

    /// Asks the engine who it is; connects first if needed.
    pub async fn info(&self) -> Result<EngineInfo, DockerError> {
        let client = self.client().await?;
        let endpoint = self.endpoint().to_owned();
        let version = tokio::time::timeout(CONNECT_TIMEOUT, client.version())
            .await
            .map_err(|_elapsed| DockerError::Timeout {
                endpoint: endpoint.clone(),
                timeout: CONNECT_TIMEOUT,
            })?
            .map_err(|source| DockerError::Api {
                endpoint: endpoint.clone(),
                source,
            })?;
        Ok(EngineInfo {
            endpoint,
            platform: version.platform.map(|platform| platform.name),
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            os: version.os.unwrap_or_default(),
            arch: version.arch.unwrap_or_default(),
        })
    }
}

/// Connects to one endpoint and agrees on the API version.
async fn connect(endpoint: &str) -> Result<Docker, DockerError> {
    let version = bollard::API_DEFAULT_VERSION;
    let connected = if endpoint.starts_with("unix://") || endpoint.starts_with("npipe://") {
        // Takes a unix socket on Unix and a named pipe on Windows; the other platform's
        // scheme is refused with bollard's own error.
        Docker::connect_with_socket(endpoint, REQUEST_TIMEOUT_SECS, version)
    } else {
        Docker::connect_with_http(endpoint, REQUEST_TIMEOUT_SECS, version)
    };
    let docker = connected.map_err(|source| match source {
        bollard::errors::Error::SocketNotFoundError(path) => DockerError::Unreachable {
            endpoint: endpoint.to_owned(),
            reason: format!("the socket {path} does not exist"),
            hint: crate::error::START_HINT,
        },
        source => DockerError::Endpoint {
            endpoint: endpoint.to_owned(),
            source,
        },
    })?;
    tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
        .await
        .map_err(|_elapsed| DockerError::Timeout {
            endpoint: endpoint.to_owned(),
            timeout: CONNECT_TIMEOUT,
        })?
        .map_err(|source| DockerError::first_contact(endpoint, source))
}
