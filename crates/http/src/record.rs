//! The request log: each answered request (method, path without its query, status, time,
//! token) goes to a writer that records them in batches, so a request never waits for the
//! database's write. The window shows the last ones, and how many were refused.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use stagecraft_api::{ApiRequest, Stagecraft, TokenId};
use tokio::sync::mpsc;

use crate::AppState;

/// How many answered requests may wait for the writer; more are dropped (and logged).
pub const BACKLOG: usize = 10_000;
/// How long a request waits for the writer at most.
const EVERY: Duration = Duration::from_millis(500);
/// The most requests recorded in one transaction.
const BATCH: usize = 1_000;

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let answered = ApiRequest {
        method,
        path,
        status: response.status().as_u16(),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        token: response.extensions().get::<TokenId>().copied(),
    };
    if state.requests.try_send(answered).is_err() {
        tracing::warn!("the API's request log is behind: a request is left out of it");
    }
    response
}

/// Records what comes on `requests`, at most [`EVERY`] after the first of a batch came,
/// until every sender is gone; what is left then is recorded.
pub async fn write(stagecraft: Stagecraft, mut requests: mpsc::Receiver<ApiRequest>) {
    let mut batch = Vec::new();
    let mut due = None;
    loop {
        let open = tokio::select! {
            received = requests.recv() => match received {
                Some(request) => {
                    if batch.is_empty() {
                        due = Some(tokio::time::Instant::now() + EVERY);
                    }
                    batch.push(request);
                    if batch.len() < BATCH {
                        continue;
                    }
                    true
                }
                None => false,
            },
            () = sleep_until(due), if due.is_some() => true,
        };
        if !batch.is_empty() {
            if let Err(error) = stagecraft.record_api_requests(&batch).await {
                tracing::warn!(%error, count = batch.len(), "the API's requests were not recorded");
            }
            batch.clear();
        }
        due = None;
        if !open {
            return;
        }
    }
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}
