//! bollard's errors in the engine's terms: which status an answer had, and whether a failed
//! request is worth another attempt.
//!
//! Transient, so the runner tries the task again: a dropped or timed-out connection, a 429,
//! 502, 503 or 504, and a 409 "already in progress". Never a 500, which the engine answers most
//! refusals with; and a job whose container may have started fails for good (`jobs.rs`), since
//! another attempt would run it twice.

use stagecraft_engine::{RuntimeError, RuntimeErrorKind};

use crate::DockerError;

pub(super) fn is_status(error: &bollard::errors::Error, status: u16) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError { status_code, .. } if *status_code == status
    )
}

pub(super) fn failed(what: impl std::fmt::Display, error: bollard::errors::Error) -> RuntimeError {
    let message = format!("{what} failed: {error}");
    let failure = if is_transient(&error) {
        RuntimeError::transient(message)
    } else {
        RuntimeError::new(message)
    };
    failure.of_kind(kind(&error)).caused_by(error)
}

/// What kind of failure a request met: no answer, a refusal, something missing or clashing.
pub(crate) fn kind(error: &bollard::errors::Error) -> RuntimeErrorKind {
    use bollard::errors::Error as E;
    match error {
        E::RequestTimeoutError => RuntimeErrorKind::TimedOut,
        E::IOError { .. } | E::HyperResponseError { .. } | E::HyperLegacyError { .. } => {
            RuntimeErrorKind::Unreachable
        }
        E::DockerResponseServerError {
            status_code,
            message,
        } => match status_code {
            404 => RuntimeErrorKind::NotFound,
            409 => RuntimeErrorKind::Conflict,
            400 | 401 | 403 => RuntimeErrorKind::Refused,
            _ if message.contains("already allocated") || message.contains("already in use") => {
                RuntimeErrorKind::Conflict
            }
            _ => RuntimeErrorKind::Failed,
        },
        _ => RuntimeErrorKind::Failed,
    }
}

impl From<DockerError> for RuntimeError {
    /// The engine could not be used at all: no answer, no answer in time, or a refusal.
    fn from(error: DockerError) -> Self {
        let kind = match &error {
            DockerError::Endpoint { .. }
            | DockerError::Unreachable { .. }
            | DockerError::NoneAnswered { .. } => RuntimeErrorKind::Unreachable,
            DockerError::Timeout { .. } => RuntimeErrorKind::TimedOut,
            DockerError::Api { source, .. } => kind(source),
        };
        RuntimeError::new(error.to_string())
            .of_kind(kind)
            .caused_by(error)
    }
}

/// Failures the same request may not meet a moment later: the connection to the engine
/// dropped or timed out, the engine said it is overloaded or unavailable, or another
/// operation on the same object was still under way ("removal of container … is already in
/// progress"). A 500 is not among them: the engine answers most refusals with it.
pub(super) fn is_transient(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as E;
    match error {
        E::RequestTimeoutError
        | E::IOError { .. }
        | E::HyperResponseError { .. }
        | E::HyperLegacyError { .. } => true,
        E::DockerResponseServerError {
            status_code,
            message,
        } => {
            matches!(status_code, 429 | 502 | 503 | 504)
                || (*status_code == 409 && message.contains("in progress"))
        }
        _ => false,
    }
}

pub(super) fn pull_failed(image: &str, reason: &str) -> RuntimeError {
    RuntimeError::new(stagecraft_engine::pull_failure(
        image,
        reason,
        stagecraft_engine::Puller::Engine,
    ))
}

#[cfg(test)]
mod tests {
    use bollard::errors::Error;

    use super::{failed, is_transient};

    fn status(status_code: u16, message: &str) -> Error {
        Error::DockerResponseServerError {
            status_code,
            message: message.to_owned(),
        }
    }

    #[test]
    fn a_lost_connection_or_a_busy_engine_is_worth_another_attempt() {
        assert!(is_transient(&Error::RequestTimeoutError));
        assert!(is_transient(&Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        }));
        assert!(is_transient(&status(503, "the engine is starting")));
        assert!(is_transient(&status(
            409,
            "removal of container stagecraft-ted1bc4-web-0 is already in progress"
        )));
    }

    #[test]
    fn each_failure_says_its_kind() {
        use stagecraft_engine::RuntimeErrorKind as K;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let cases = [
            (Error::IOError { err: refused }, K::Unreachable),
            (Error::RequestTimeoutError, K::TimedOut),
            (status(404, "No such image: shop/web:1"), K::NotFound),
            (
                status(409, "The container name \"/web\" is already in use"),
                K::Conflict,
            ),
            (
                status(
                    500,
                    "Bind for 127.0.0.1:8080 failed: port is already allocated",
                ),
                K::Conflict,
            ),
            (status(500, "something broke"), K::Failed),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            assert_eq!(failed("starting web", error).kind, kind, "{text}");
        }
    }

    #[test]
    fn a_refusal_is_not() {
        assert!(!is_transient(&status(404, "No such image: shop/web:1")));
        assert!(!is_transient(&status(
            409,
            "Conflict. The container name \"/web\" is already in use"
        )));
        assert!(!is_transient(&status(
            500,
            "driver failed programming external connectivity: port is already allocated"
        )));
        let error = failed("creating container web", status(400, "invalid mount"));
        assert!(!error.transient);
        assert_eq!(error.kind, stagecraft_engine::RuntimeErrorKind::Refused);
        assert_eq!(
            error.message,
            "creating container web failed: Docker responded with status code 400: invalid mount"
        );
    }
}
