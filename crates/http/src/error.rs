//! [`HttpError`], the crate's error (the API could not start), and [`ApiError`], what a
//! request is answered with when it fails: `{"error": message, "code": CODE}`, the message as
//! Release's API words its field (`error`), the code one of the app's stable [`ErrorCode`]s,
//! and the HTTP status that code means.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use stagecraft_api::{Error, ErrorCode};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "the API cannot listen on {address}: {source}. Is another `stagecraft serve` using the \
         port? Choose another with --api-port (0 picks a free one), or leave the API off with \
         --no-api"
    )]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

/// A failed request's body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
    /// The stable code the app and the command line use (`NOT_FOUND`, `INVALID_REQUEST`, …).
    #[schema(value_type = String)]
    pub code: ErrorCode,
}

/// A request's failure, answered as [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.into(),
                code,
            },
        }
    }
}

/// The HTTP status of an error code.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidRequest | ErrorCode::InvalidFiles | ErrorCode::NotAFolder => {
            StatusCode::BAD_REQUEST
        }
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::DockerUnreachable | ErrorCode::KubeUnreachable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorCode::DockerTimeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let code = error.code();
        Self::new(status_of(code), code, error.to_string())
    }
}

/// An error as a body, for a stream that has already begun (its status is sent).
pub(crate) fn body_of(error: &Error) -> ErrorBody {
    ErrorBody {
        error: error.to_string(),
        code: error.code(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// A body that may be left out: none (or blanks) is the defaults; anything else must be the
/// JSON asked for, whatever its `Content-Type` says (`curl -d` sends a form's).
pub(crate) fn optional_json<T: serde::de::DeserializeOwned + Default>(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::RequestTooLarge
        } else {
            ErrorCode::InvalidRequest
        };
        ApiError::new(status, code, rejection.body_text())
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
            format!("the body is not the JSON this path takes: {error}"),
        )
    })
}

/// A body axum could not read: too large, not JSON, or not the shape asked for.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::RequestTooLarge
        } else {
            ErrorCode::InvalidRequest
        };
        Self::new(status, code, rejection.body_text())
    }
}
