//! Where a Docker engine may be listening, in the order a user expects: `DOCKER_HOST` when set
//! (and then nothing else), the current Docker context, the platform's default socket, then
//! the sockets of Docker Desktop, Colima and Podman's Docker-compatible service.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why an endpoint is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    /// The `DOCKER_HOST` environment variable.
    DockerHost,
    /// The current Docker context (`DOCKER_CONTEXT`, or `currentContext` in the Docker config).
    DockerContext,
    /// The platform's default socket or named pipe.
    PlatformDefault,
    /// Docker Desktop's per-user socket.
    DockerDesktop,
    /// Colima's socket.
    Colima,
    /// Podman's Docker-compatible socket.
    Podman,
    /// Given explicitly by the caller.
    Explicit,
}

/// One endpoint to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub endpoint: String,
    pub source: EndpointSource,
}

/// Where Docker engines are usually found.
#[cfg(windows)]
pub(crate) const DEFAULT_ENDPOINT: &str = "npipe:////./pipe/docker_engine";
#[cfg(not(windows))]
pub(crate) const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

/// What discovery reads from the surroundings, gathered so tests can give their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    /// `DOCKER_CONFIG`, or `~/.docker`.
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`, where a rootless Podman puts its socket.
    pub runtime_dir: Option<PathBuf>,
}

fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Discovery {
    pub fn from_env() -> Self {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        Self {
            docker_host: non_empty("DOCKER_HOST"),
            docker_context: non_empty("DOCKER_CONTEXT"),
            docker_config: non_empty("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".docker"))),
            runtime_dir: non_empty("XDG_RUNTIME_DIR").map(PathBuf::from),
            home,
        }
    }

    /// The endpoints to try, in order, without duplicates.
    pub fn candidates(&self) -> Vec<Candidate> {
        if let Some(host) = &self.docker_host {
            // The user said where: nothing else is tried.
            return vec![Candidate {
                endpoint: host.clone(),
                source: EndpointSource::DockerHost,
            }];
        }
        let mut out: Vec<Candidate> = Vec::new();
        let mut push = |endpoint: String, source| {
            if !out.iter().any(|c| c.endpoint == endpoint) {
                out.push(Candidate { endpoint, source });
            }
        };
        if let Some(endpoint) = self.context_endpoint() {
            push(endpoint, EndpointSource::DockerContext);
        }
        push(DEFAULT_ENDPOINT.to_owned(), EndpointSource::PlatformDefault);
        if cfg!(unix) {
            let socket = |path: &Path| format!("unix://{}", path.display());
            if let Some(home) = &self.home {
                push(
                    socket(&home.join(".docker/run/docker.sock")),
                    EndpointSource::DockerDesktop,
                );
                push(
                    socket(&home.join(".docker/desktop/docker.sock")),
                    EndpointSource::DockerDesktop,
                );
                push(
                    socket(&home.join(".colima/default/docker.sock")),
                    EndpointSource::Colima,
                );
            }
            if let Some(runtime_dir) = &self.runtime_dir {
                push(
                    socket(&runtime_dir.join("podman/podman.sock")),
                    EndpointSource::Podman,
                );
            }
            push(
                "unix:///run/podman/podman.sock".to_owned(),
                EndpointSource::Podman,
            );
        }
        out
    }

    /// The Docker endpoint of the current context, unless it is `default` (the default socket).
    fn context_endpoint(&self) -> Option<String> {
        let config = self.docker_config.as_ref()?;
        let name = match &self.docker_context {
            Some(name) => name.clone(),
            None => {
                let text = std::fs::read_to_string(config.join("config.json")).ok()?;
                let json: serde_json::Value = serde_json::from_str(&text).ok()?;
                json.get("currentContext")?.as_str()?.to_owned()
            }
        };
        if name == "default" {
            return None;
        }
        // The Docker CLI keeps a context's metadata under the SHA-256 of its name.
        let digest = Sha256::digest(name.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let meta =
            std::fs::read_to_string(config.join("contexts/meta").join(hex).join("meta.json"))
                .ok()?;
        let json: serde_json::Value = serde_json::from_str(&meta).ok()?;
        Some(
            json.get("Endpoints")?
                .get("docker")?
                .get("Host")?
                .as_str()?
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(dir: &Path) -> Discovery {
        Discovery {
            docker_config: Some(dir.join(".docker")),
            home: Some(dir.to_path_buf()),
            runtime_dir: Some(dir.join("run")),
            ..Discovery::default()
        }
    }

    #[test]
    fn docker_host_is_the_only_candidate_when_set() {
        let dir = tempfile::tempdir().unwrap();
        let found = Discovery {
            docker_host: Some("tcp://127.0.0.1:2375".into()),
            ..discovery(dir.path())
        }
        .candidates();
        assert_eq!(
            found,
            [Candidate {
                endpoint: "tcp://127.0.0.1:2375".into(),
                source: EndpointSource::DockerHost
            }]
        );
    }

    #[test]
    fn the_current_context_comes_first_then_the_known_sockets() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(".docker");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.json"),
            r#"{"currentContext": "colima"}"#,
        )
        .unwrap();
        let hex: String = Sha256::digest(b"colima")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let meta = config.join("contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"colima","Endpoints":{"docker":{"Host":"unix:///home/dev/.colima/default/docker.sock"}}}"#,
        )
        .unwrap();

        let found = discovery(dir.path()).candidates();

        let sources: Vec<(EndpointSource, &str)> = found
            .iter()
            .map(|c| (c.source, c.endpoint.as_str()))
            .collect();
        assert_eq!(
            sources[0],
            (
                EndpointSource::DockerContext,
                "unix:///home/dev/.colima/default/docker.sock"
            )
        );
        assert_eq!(
            sources[1],
            (EndpointSource::PlatformDefault, DEFAULT_ENDPOINT)
        );
        if cfg!(unix) {
            assert!(found.iter().any(|c| c.source == EndpointSource::Podman
                && c.endpoint
                    == format!(
                        "unix://{}",
                        dir.path().join("run/podman/podman.sock").display()
                    )));
            assert!(
                found
                    .iter()
                    .any(|c| c.source == EndpointSource::DockerDesktop)
            );
        }
    }

    #[test]
    fn the_default_context_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let found = Discovery {
            docker_context: Some("default".into()),
            ..discovery(dir.path())
        }
        .candidates();
        assert_eq!(found[0].source, EndpointSource::PlatformDefault);
    }
}
