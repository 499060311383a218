//! A workload's log lines straight from the runtime, as `instances logs` prints them: the
//! lines it has, then (with `follow`) the new ones as its containers write them.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use futures_util::StreamExt as _;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::builds::LogLineJson;
use crate::error::{ApiError, ErrorBody};
use crate::stream;

#[derive(Debug, Deserialize, IntoParams)]
pub struct InstanceLogQuery {
    /// Keep sending new lines as the containers write them (until the client goes, or the
    /// workload's containers are gone): `?follow` or `?follow=true`.
    #[serde(default, deserialize_with = "crate::stream::flag")]
    pub follow: bool,
    /// Only lines from the last this many seconds.
    pub since_seconds: Option<u64>,
}

/// A service's (or `jobs.<name>`'s) lines from its containers as Server-Sent Events
/// (`event: line`, `data:` a [`LogLineJson`] without `seq`; `event: error` with an error
/// body if the runtime stops answering), then `event: end` when the lines end.
#[utoipa::path(get, path = "/api/v1/environments/{id}/logs/{workload}",
    params(("id" = String, Path, description = "The environment's id"),
        ("workload" = String, Path, description = "`web` (a service), or `jobs.migrate`"),
        InstanceLogQuery),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "`event: line`, `data:` a LogLineJson; `event: error`, `data:` an \
                           ErrorBody; `event: end` last"),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn instance(
    State(state): State<AppState>,
    Path((id, workload)): Path<(String, String)>,
    Query(query): Query<InstanceLogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let since = query
        .since_seconds
        .and_then(|s| std::time::SystemTime::now().checked_sub(std::time::Duration::from_secs(s)));
    let lines = state
        .stagecraft
        .instance_logs(&id, &workload, query.follow, since)
        .await?;
    // The runtime stopped answering: said once, and the stream ends after it.
    let mut failed = false;
    let lines = lines.take_while(move |line| {
        let go = !failed;
        failed |= line.is_err();
        std::future::ready(go)
    });
    let events = lines.map(|line| match line {
        Ok(line) => stream::json_event(
            "line",
            None,
            &LogLineJson {
                seq: None,
                at: line.at.map(|at| {
                    chrono::DateTime::<chrono::Utc>::from(at)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                }),
                stderr: line.stderr,
                line: line.line,
            },
        ),
        Err(error) => stream::json_event("error", None, &crate::error::body_of(&error)),
    });
    Ok(stream::events(stream::ended(events), state.stop.clone()))
}
