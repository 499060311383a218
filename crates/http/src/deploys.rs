//! A deploy as it stands, for a script that waits for one (`--wait`), and its events as
//! Server-Sent Events from a `seq` until it ends.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use stagecraft_api::{DeployEvent, StoredEvent};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::environments::DeployJson;
use crate::error::{ApiError, ErrorBody};
use crate::stream;

#[utoipa::path(get, path = "/api/v1/deploys/{id}",
    params(("id" = i64, Path, description = "The deploy's id")),
    responses((status = 200, body = DeployJson), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<DeployJson>, ApiError> {
    Ok(Json(state.stagecraft.deploy_by_id(id).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Only the events after this `seq` (0, the default: all of them). A `Last-Event-ID`
    /// header (a reconnecting client's) wins over it.
    pub after: Option<i64>,
}

/// The `data` of a deploy's event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventJson {
    /// Its number within the deploy: events come in `seq` order, without a gap.
    pub seq: i64,
    /// When it was stored (RFC 3339, UTC).
    pub at: String,
    /// The event, with its `type` (`stage_started`, `task_finished`, `stage_finished`, …)
    /// and its fields.
    #[schema(value_type = Object)]
    pub event: DeployEvent,
    /// The line `deploys create --wait` prints for it, when it prints one.
    pub line: Option<String>,
}

/// A deploy's events as Server-Sent Events (`event:` its type, `id:` its `seq`, `data:` an
/// [`EventJson`]): the stored ones after `after`, then the new ones as they are stored, by
/// this process or another. After the event that ends the deploy (`stage_finished` or
/// `deploy_interrupted`) comes `event: end` and the stream ends; a finished deploy's stream
/// replays and ends. A client reconnecting (`Last-Event-ID`) to a finished deploy with no
/// event after it is answered 204.
#[utoipa::path(get, path = "/api/v1/deploys/{id}/events",
    params(("id" = i64, Path, description = "The deploy's id"), EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header,
            description = "The `seq` a reconnecting client last received; wins over `after`")),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "`event:` the event's type, `id:` its `seq`, `data:` an EventJson; \
                           `event: end` last"),
        (status = 204, description = "Reconnected to a finished deploy: nothing more comes"),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = stream::resume_from(&headers, query.after);
    if stream::resuming(&headers)
        && state
            .stagecraft
            .deploy_by_id(id)
            .await?
            .status
            .is_finished()
        && state.stagecraft.deploy_events(id, after).await?.is_empty()
    {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let followed = state.stagecraft.follow(id, after).await?;
    let events = futures_util::StreamExt::map(stream::received(followed), |stored| {
        let StoredEvent { seq, at, event } = stored;
        let kind = event_type(&event);
        let line = event.progress_line();
        stream::json_event(
            &kind,
            Some(seq),
            &EventJson {
                seq,
                at,
                event,
                line,
            },
        )
    });
    Ok(stream::events(stream::ended(events), state.stop.clone()).into_response())
}

/// An event's `type` tag (`stage_started`).
fn event_type(event: &DeployEvent) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "event".to_owned())
}
