use std::time::Duration;

use bollard::Docker;
use tokio::sync::OnceCell;

use crate::DockerError;

/// How long the first contact with an engine may take before we call it stuck. A local engine
/// answers in milliseconds; a VM-backed one (Docker Desktop, Colima) that is still booting can
/// take a few seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where Docker Engine and Docker Desktop listen when `DOCKER_HOST` is unset.
#[cfg(windows)]
const DEFAULT_ENDPOINT: &str = "npipe:////./pipe/docker_engine";
#[cfg(not(windows))]
const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

/// Seconds bollard waits for any single request; builds and log follows set their own.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Where the endpoint came from, so the UI can say why this address was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    /// The `DOCKER_HOST` environment variable.
    DockerHost,
    /// The platform's default socket or named pipe.
    PlatformDefault,
    /// Given explicitly by the caller.
    Explicit,
}

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

/// One Docker endpoint, connected on first use. Constructing it never touches the network, so
/// the app opens at once when no engine runs; a failed connection is retried on the next call.
#[derive(Debug)]
pub struct DockerEngine {
    endpoint: String,
    source: EndpointSource,
    client: OnceCell<Docker>,
}

impl DockerEngine {
    /// The engine `DOCKER_HOST` names, or the platform's default socket or pipe.
    pub fn from_env() -> Self {
        match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.trim().is_empty() => {
                Self::with_source(host, EndpointSource::DockerHost)
            }
            _ => Self::with_source(DEFAULT_ENDPOINT.to_owned(), EndpointSource::PlatformDefault),
        }
    }

    /// The engine at `endpoint` (`unix:///…`, `npipe:////./pipe/…`, `tcp://…`, `http://…`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self::with_source(endpoint.into(), EndpointSource::Explicit)
    }

    fn with_source(endpoint: String, source: EndpointSource) -> Self {
        Self {
            endpoint,
            source,
            client: OnceCell::new(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn endpoint_source(&self) -> EndpointSource {
        self.source
    }

    /// The connected client, negotiating the API version on first use: bollard speaks a newer
    /// API than many installed engines (Debian's 20.10 speaks 1.41) and they refuse newer ones.
    pub async fn client(&self) -> Result<&Docker, DockerError> {
        self.client
            .get_or_try_init(|| async {
                let docker = self.connect()?;
                let negotiated = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
                    .await
                    .map_err(|_elapsed| self.timeout())?;
                negotiated.map_err(|source| DockerError::first_contact(&self.endpoint, source))
            })
            .await
    }

    /// Asks the engine who it is; connects first if needed.
    pub async fn info(&self) -> Result<EngineInfo, DockerError> {
        let client = self.client().await?;
        let version = tokio::time::timeout(CONNECT_TIMEOUT, client.version())
            .await
            .map_err(|_elapsed| self.timeout())?
            .map_err(|source| DockerError::Api {
                endpoint: self.endpoint.clone(),
                source,
            })?;
        Ok(EngineInfo {
            endpoint: self.endpoint.clone(),
            platform: version.platform.map(|platform| platform.name),
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            os: version.os.unwrap_or_default(),
            arch: version.arch.unwrap_or_default(),
        })
    }

    fn connect(&self) -> Result<Docker, DockerError> {
        let endpoint = self.endpoint.as_str();
        let version = bollard::API_DEFAULT_VERSION;
        let connected = if endpoint.starts_with("unix://") || endpoint.starts_with("npipe://") {
            // Takes a unix socket on Unix and a named pipe on Windows; the other platform's
            // scheme is refused with bollard's own error.
            Docker::connect_with_socket(endpoint, REQUEST_TIMEOUT_SECS, version)
        } else {
            Docker::connect_with_http(endpoint, REQUEST_TIMEOUT_SECS, version)
        };
        connected.map_err(|source| match source {
            bollard::errors::Error::SocketNotFoundError(path) => DockerError::Unreachable {
                endpoint: self.endpoint.clone(),
                reason: format!("the socket {path} does not exist"),
                hint: crate::error::START_HINT,
            },
            source => DockerError::Endpoint {
                endpoint: self.endpoint.clone(),
                source,
            },
        })
    }

    fn timeout(&self) -> DockerError {
        DockerError::Timeout {
            endpoint: self.endpoint.clone(),
            timeout: CONNECT_TIMEOUT,
        }
    }
}
