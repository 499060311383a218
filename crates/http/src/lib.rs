//! # stagecraft-http
//!
//! The HTTP API `stagecraft serve` answers on 127.0.0.1: Release's Environments API (create or
//! update by branch, list, get, setup, patch, delete) and what a script needs to follow a
//! deploy, with Release's field names where scripts read them. Every request needs a token
//! Stagecraft made; errors are `{"error", "code"}` with the app's stable codes; the OpenAPI
//! document is generated from the handlers (utoipa) and served at `/api/v1/openapi.json`.
//!
//! Depends on `stagecraft-api` (the use cases) and axum; knows nothing of Tauri or the store.
//!
//! # Layout
//! - `environments.rs`: the Environments API's handlers and answers
//! - `deploys.rs`: a deploy as it stands, and its events as Server-Sent Events
//! - `builds.rs`: builds of an app's images, and a build's output
//! - `logs.rs`: a workload's log lines from the runtime
//! - `presets.rs`: presets, and environments made from them
//! - `stream.rs`: Server-Sent Events (resuming from `Last-Event-ID`, ending at the stop)
//! - `auth.rs`: the token every request needs
//! - `record.rs`: the request log, written in batches
//! - `listen.rs`: the connections (a time limit on request headers, a cap, a graceful stop)
//! - `error.rs`: [`HttpError`] (the API could not start) and a request's failure

mod auth;
mod builds;
mod deploys;
mod environments;
mod error;
mod listen;
mod logs;
mod presets;
mod record;
mod stream;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use stagecraft_api::{ApiRequest, ErrorCode, Stagecraft};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::TRUSTED_FOR;
pub use environments::{CreateAnswer, DeployJson, EnvironmentJson};
pub use error::{ApiError, ErrorBody, HttpError};
pub use listen::MAX_CONNECTIONS;

/// Where the API listens unless told otherwise.
pub const DEFAULT_PORT: u16 = stagecraft_api::DEFAULT_API_PORT;
/// The largest request body the API reads.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The longest a request may take, reading its body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests a token may make per second unless told otherwise (a burst as large is allowed).
pub const DEFAULT_RATE_LIMIT: u32 = 100;
/// How long a client has to send a request's headers unless told otherwise; a kept-alive
/// connection idle this long is closed too.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The API's limits that a user may set.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second per token (the same number at once in a burst); none: no limit.
    pub rate: Option<std::num::NonZeroU32>,
    /// How long a client has to send a request's headers.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rate: std::num::NonZeroU32::new(DEFAULT_RATE_LIMIT),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// Each token's rate, kept as the time its next request is allowed (GCRA).
pub(crate) struct Rates {
    pub limiter: governor::DefaultKeyedRateLimiter<stagecraft_api::TokenId>,
    pub per_second: std::num::NonZeroU32,
}

#[derive(Clone)]
pub(crate) struct AppState {
    stagecraft: Stagecraft,
    requests: mpsc::Sender<ApiRequest>,
    /// The deploy queues and builds the API started, run in this process: waited for before
    /// `serve` returns, so a stop never cuts one short.
    background: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// One create-or-update at a time: two for one branch at once make one environment.
    creating: std::sync::Arc<tokio::sync::Mutex<()>>,
    trusted: std::sync::Arc<auth::Trusted>,
    /// None when the user lifted the limit.
    rates: Option<std::sync::Arc<Rates>>,
    /// Cancelled when the API stops: streams that follow (events, logs) end with it.
    stop: CancellationToken,
}

impl AppState {
    /// Keeps a deploy queue's or a build's task, to be waited for when the API stops.
    pub(crate) fn keep(&self, task: Option<tokio::task::JoinHandle<()>>) {
        let Some(task) = task else { return };
        if let Ok(mut background) = self.background.lock() {
            background.retain(|t| !t.is_finished());
            background.push(task);
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stagecraft API",
        description = "Release's Environments API on localhost, with Release's field names where \
                       scripts read them. Every request sends a token made with `stagecraft auth \
                       token create` as `X-User-Token` (with `X-User-Email`, not checked) or \
                       `Authorization: Bearer`. Release's own path `POST \
                       /api/apps/{app}/environments` is the same as \
                       `/api/v1/apps/{app}/environments`."
    ),
    modifiers(&Tokens),
    components(schemas(ErrorBody, deploys::EventJson, builds::LogLineJson))
)]
struct ApiDoc;

struct Tokens;

impl Modify for Tokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-User-Token"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(environments::list))
        .routes(routes!(environments::get, environments::delete))
        .routes(routes!(environments::setup))
        .routes(routes!(environments::patch))
        .routes(routes!(environments::create_or_update))
        .routes(routes!(deploys::get))
        .routes(routes!(deploys::events))
        .routes(routes!(logs::instance))
        .routes(routes!(builds::list, builds::create))
        .routes(routes!(builds::get))
        .routes(routes!(builds::log))
        .routes(routes!(presets::list))
        .routes(routes!(presets::get, presets::save, presets::delete))
        .routes(routes!(presets::create_environment))
}

/// The API's OpenAPI document, as the handlers declare it, with what every path may answer
/// besides (429 over a token's rate).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let mut document = documented().split_for_parts().1;
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let too_many = ResponseBuilder::new()
        .description(
            "The token made more requests than the API takes a second; `Retry-After` says \
             when to try again",
        )
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            operation
                .responses
                .responses
                .entry("429".to_owned())
                .or_insert_with(|| too_many.clone().into());
        }
    }
    document
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// A request that takes longer than [`REQUEST_TIMEOUT`] is answered 408.
async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            format!(
                "the request took longer than {} s, its body included",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// The most of a refused body read and dropped before the refusal is sent: a client that is
/// still sending would otherwise meet a reset connection instead of the answer. Read frame by
/// frame, never held; only a request with a valid token gets this far.
const DRAIN_LIMIT: u64 = 2 * 1024 * 1024;

/// A body that says it is larger than [`BODY_LIMIT`] is refused (413) before a handler reads
/// it; one that does not say (chunked) is cut at the limit by the handlers' extractors.
async fn size_limit(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT as u64 => {
            use http_body_util::BodyExt as _;
            let mut body = request.into_body();
            let mut drained = 0u64;
            while drained < DRAIN_LIMIT.min(length) {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        drained += frame.data_ref().map_or(0, |d| d.len() as u64);
                    }
                    _ => break,
                }
            }
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::RequestTooLarge,
                format!("the body is {length} bytes: the API takes at most {BODY_LIMIT} bytes"),
            )
            .into_response()
        }
        _ => next.run(request).await,
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!(
            "no such API path: {} {} (the OpenAPI document at /api/v1/openapi.json lists them)",
            request.method(),
            request.uri().path()
        ),
    )
}

fn router(state: AppState) -> Router {
    let (router, _) = documented().split_for_parts();
    router
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(
            "/api/apps/{app}/environments",
            post(environments::create_or_update),
        )
        .fallback(not_found)
        // Innermost first: the size limits see only requests with a valid token.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(size_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(middleware::from_fn(time_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record::record,
        ))
        .with_state(state)
}

/// Listens on `address`.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, HttpError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| HttpError::Bind {
            address: address.to_string(),
            source,
        })
}

/// Answers the API's requests on `listener` until `stop` is cancelled; the requests answered
/// are all recorded, and the deploys and builds it started have ended, before it returns.
pub async fn serve(
    stagecraft: Stagecraft,
    listener: TcpListener,
    limits: Limits,
    stop: CancellationToken,
) {
    let (requests, received) = mpsc::channel(record::BACKLOG);
    let writer = tokio::spawn(record::write(stagecraft.clone(), received));
    let background = std::sync::Arc::default();
    let app = router(AppState {
        stagecraft,
        requests,
        background: std::sync::Arc::clone(&background),
        creating: std::sync::Arc::default(),
        trusted: std::sync::Arc::default(),
        rates: limits.rate.map(|per_second| {
            std::sync::Arc::new(Rates {
                limiter: governor::RateLimiter::keyed(governor::Quota::per_second(per_second)),
                per_second,
            })
        }),
        stop: stop.clone(),
    });
    listen::connections(listener, app, &limits, &stop).await;
    // The deploys and builds it started end as they would (their environments' leases
    // released).
    let running: Vec<_> = background
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    for queue in running {
        let _ = queue.await;
    }
    if let Err(error) = writer.await {
        tracing::warn!(%error, "the API's request log stopped");
    }
}
