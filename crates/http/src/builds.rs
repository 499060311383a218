//! Builds of an app's images (`builds create` without deploying, as the CLI's), one build as
//! it stands, and a build's output by service, following it while it runs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use stagecraft_api::BuildView;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::stream;

/// A build of an app's images.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BuildJson {
    pub id: i64,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// The commit built; none for a working tree.
    pub git_commit: Option<String>,
    /// The first line of that commit's message, when the repository has it.
    pub commit_message: Option<String>,
    /// What started it: `deploy 4 of ted1bc4: main at 1a2b3c4d5e6f`.
    pub trigger: String,
    /// The environment whose deploy made it; none for one made without deploying.
    pub environment: Option<String>,
    pub branch: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub images: Vec<ImageJson>,
}

/// A service's image in a build.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageJson {
    pub service: String,
    pub tag: String,
    /// `built`, `reused`, `failed` or `cancelled`.
    pub outcome: String,
    /// Why it was reused, or why it failed.
    pub detail: Option<String>,
    pub size_bytes: Option<i64>,
}

impl From<BuildView> for BuildJson {
    fn from(build: BuildView) -> Self {
        Self {
            id: build.id,
            status: build.status,
            git_commit: build.git_commit,
            commit_message: build.subject,
            trigger: build.trigger,
            environment: build.environment,
            branch: build.branch,
            started_at: build.started_at,
            finished_at: build.finished_at,
            images: build
                .images
                .into_iter()
                .map(|i| ImageJson {
                    service: i.service,
                    tag: i.tag,
                    outcome: i.outcome,
                    detail: i.detail,
                    size_bytes: i.size_bytes,
                })
                .collect(),
        }
    }
}

/// The app's builds, newest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/builds",
    params(("app" = String, Path, description = "The app's name")),
    responses((status = 200, body = [BuildJson]), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Path(app): Path<String>,
) -> Result<Json<Vec<BuildJson>>, ApiError> {
    let builds = state.stagecraft.build_views(&app, None).await?;
    Ok(Json(builds.into_iter().map(BuildJson::from).collect()))
}

/// What to build.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildBody {
    /// The branch whose newest commit is built; the app's tracking branch when left out.
    pub branch: Option<String>,
    /// Build the repository's working tree as it is instead.
    #[serde(default)]
    pub working_tree: bool,
}

/// Builds the app's services without deploying (a later deploy reuses what is unchanged).
/// Answered once the build is recorded, while it runs: `GET /api/v1/builds/{id}` and its
/// logs follow it.
#[utoipa::path(post, path = "/api/v1/apps/{app}/builds",
    params(("app" = String, Path, description = "The app's name")),
    request_body(content = Option<BuildBody>,
        description = "Optional: the tracking branch's newest commit when left out"),
    responses((status = 202, body = BuildJson), (status = 404, body = ErrorBody),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Path(app): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<BuildJson>), ApiError> {
    let body: BuildBody = crate::error::optional_json(body)?;
    // Kept before anything waits: a request cut short (its time limit, the client gone)
    // leaves a build that `serve` still waits for, and the stop cancels.
    let (running, started) = state.stagecraft.start_build(
        &app,
        body.branch.as_deref(),
        body.working_tree,
        state.stop.child_token(),
    );
    state.keep(Some(running));
    let id = started.recorded().await?;
    let build = state.stagecraft.build_view(id).await?;
    Ok((StatusCode::ACCEPTED, Json(build.into())))
}

#[utoipa::path(get, path = "/api/v1/builds/{id}",
    params(("id" = i64, Path, description = "The build's id")),
    responses((status = 200, body = BuildJson), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<BuildJson>, ApiError> {
    Ok(Json(state.stagecraft.build_view(id).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BuildLogQuery {
    /// Only the lines after this `seq` (0, the default: from the first kept). A
    /// `Last-Event-ID` header wins over it.
    pub after: Option<i64>,
    /// Keep sending new lines until the build ends (`?follow` or `?follow=true`).
    #[serde(default, deserialize_with = "crate::stream::flag")]
    pub follow: bool,
}

/// The `data` of a log line.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogLineJson {
    /// Its number in the log (kept lines only).
    pub seq: Option<i64>,
    /// When it was written, when known (RFC 3339).
    pub at: Option<String>,
    pub stderr: bool,
    pub line: String,
}

/// Lines a page of a kept log gives at most.
const PAGE: i64 = 1_000;
/// How often a followed build's status is looked at.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A service's output in a build as Server-Sent Events (`event: line`, `id:` its `seq`,
/// `data:` a [`LogLineJson`]), from `after`; with `follow`, its new lines (looked for every
/// second) until the build ends. `event: end` comes last when the build (or, without
/// `follow`, its kept lines) ended; a client reconnecting to an ended build with nothing new
/// is answered 204.
#[utoipa::path(get, path = "/api/v1/builds/{id}/logs/{service}",
    params(("id" = i64, Path, description = "The build's id"),
        ("service" = String, Path, description = "The service whose image it built"),
        BuildLogQuery,
        ("Last-Event-ID" = Option<i64>, Header,
            description = "The `seq` a reconnecting client last received; wins over `after`")),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "`event: line`, `id:` its `seq`, `data:` a LogLineJson; \
                           `event: end` last"),
        (status = 204, description = "Reconnected to an ended build: nothing more comes"),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn log(
    State(state): State<AppState>,
    Path((id, service)): Path<(i64, String)>,
    Query(query): Query<BuildLogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let build = state.stagecraft.build_view(id).await?;
    // A build's images are recorded as it ends: a running one's services are not known yet.
    if build.status != "running" && !build.images.iter().any(|i| i.service == service) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            stagecraft_api::ErrorCode::NotFound,
            format!(
                "build {id} has no image of a service `{service}`; its services: {}",
                build
                    .images
                    .iter()
                    .map(|i| i.service.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let resource = format!("builds/{id}/{service}");
    let after = stream::resume_from(&headers, query.after);
    if stream::resuming(&headers)
        && build.status != "running"
        && state
            .stagecraft
            .logs(&resource, after, 1)
            .await?
            .lines
            .is_empty()
    {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let (lines, sent) = tokio::sync::mpsc::channel(64);
    let stagecraft = state.stagecraft.clone();
    let stop = state.stop.clone();
    tokio::spawn(async move {
        let mut last = after;
        loop {
            // Whether the build had ended before this read: every line is stored before a
            // build is called finished, so a read after that is the last one needed.
            let ended = !query.follow
                || stagecraft
                    .build_status(id)
                    .await
                    .map_or(true, |status| status != "running");
            loop {
                let Ok(page) = stagecraft.logs(&resource, last, PAGE).await else {
                    return;
                };
                let full = page.lines.len() >= usize::try_from(PAGE).unwrap_or(usize::MAX);
                for line in page.lines {
                    last = line.seq;
                    let json = LogLineJson {
                        seq: Some(line.seq),
                        at: Some(line.at),
                        stderr: line.stream == "stderr",
                        line: line.line,
                    };
                    if lines
                        .send(stream::json_event(
                            "line",
                            Some(json.seq.unwrap_or(0)),
                            &json,
                        ))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                if !full {
                    break;
                }
            }
            if ended {
                let _ = lines.send(stream::end()).await;
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                () = stop.cancelled() => return,
                () = lines.closed() => return,
            }
        }
    });
    Ok(stream::events(stream::received(sent), state.stop.clone()).into_response())
}
