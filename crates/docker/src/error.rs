use std::io::ErrorKind;
use std::time::Duration;

/// Everything that can go wrong talking to a Docker engine. Every variant names the endpoint,
/// because "cannot connect" without the address tried is useless to a user with three engines.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "{endpoint} is not a Docker endpoint Stagecraft can use: {source}. Use unix://, \
             npipe://, tcp:// or http:// in DOCKER_HOST"
    )]
    Endpoint {
        endpoint: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("no Docker engine answered at {endpoint}: {reason}. {hint}")]
    Unreachable {
        endpoint: String,
        reason: String,
        hint: &'static str,
    },
    #[error("the Docker engine at {endpoint} did not answer within {} s. Check that it is not \
             stuck (restart Docker), or set DOCKER_HOST to another engine", timeout.as_secs())]
    Timeout { endpoint: String, timeout: Duration },
    #[error("no Docker engine answered; tried {}. {}", tried.join("; "), START_HINT)]
    NoneAnswered { tried: Vec<String> },
    #[error("the Docker engine at {endpoint} refused the request: {source}")]
    Api {
        endpoint: String,
        #[source]
        source: bollard::errors::Error,
    },
}

impl DockerError {
    /// Why this attempt failed, without the endpoint and the advice: for a list of attempts.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Unreachable { reason, .. } => reason.clone(),
            Self::Timeout { timeout, .. } => format!("no answer within {} s", timeout.as_secs()),
            Self::Endpoint { source, .. } | Self::Api { source, .. } => source.to_string(),
            Self::NoneAnswered { tried } => tried.join("; "),
        }
    }

    /// Classifies a failure of the first request to an engine: a transport failure means no
    /// engine answered, anything else is the engine's own refusal.
    pub(crate) fn first_contact(endpoint: &str, source: bollard::errors::Error) -> Self {
        let Some(io) = io_cause(&source) else {
            return match source {
                bollard::errors::Error::HyperResponseError { .. }
                | bollard::errors::Error::HyperLegacyError { .. } => Self::Unreachable {
                    endpoint: endpoint.to_owned(),
                    reason: error_chain(&source),
                    hint: START_HINT,
                },
                source => Self::Api {
                    endpoint: endpoint.to_owned(),
                    source,
                },
            };
        };
        let hint = match io.kind() {
            ErrorKind::PermissionDenied => PERMISSION_HINT,
            _ => START_HINT,
        };
        Self::Unreachable {
            endpoint: endpoint.to_owned(),
            reason: error_chain(&source),
            hint,
        }
    }
}

pub(crate) const START_HINT: &str = "Start a Docker engine (Docker Desktop; `sudo systemctl start docker`; \
                          `colima start`; `podman machine start`), or point DOCKER_HOST at one";

const PERMISSION_HINT: &str = "Your user may not use this socket: add it to the `docker` group \
                               (`sudo usermod -aG docker $USER`, then log in again), or point \
                               DOCKER_HOST at an engine you may use";

fn io_cause<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = error.source();
    }
    None
}

/// The error and all its causes on one line: the exact reason a user can search for.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}
