//! Server-Sent Events: what follows a deploy or a log is sent as `text/event-stream`, each
//! event with its `id` (a `seq` where there is one, so a client reconnecting with
//! `Last-Event-ID` goes on where it was), a comment every 15 s to keep proxies from closing a
//! quiet stream, and the end of every stream when the API stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt as _};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How often a quiet stream sends a comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The events a stream sends, ended when the API stops.
pub(crate) fn events(
    events: impl Stream<Item = Event> + Send + 'static,
    stop: CancellationToken,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    Sse::new(
        events
            .take_until(stop.cancelled_owned())
            .map(Ok::<_, Infallible>),
    )
    .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// What a channel receives, as a stream that ends when the channel closes.
pub(crate) fn received<T: Send + 'static>(
    receiver: mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// The `seq` a reconnecting client last received (`Last-Event-ID`), which wins over `after`.
pub(crate) fn resume_from(headers: &HeaderMap, after: Option<i64>) -> i64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(after)
        .unwrap_or(0)
        .max(0)
}

/// An event with `data` as JSON (a value that cannot be written as JSON is sent empty).
pub(crate) fn json_event(name: &str, id: Option<i64>, data: &impl serde::Serialize) -> Event {
    let event = Event::default().event(name);
    let event = match id {
        Some(id) => event.id(id.to_string()),
        None => event,
    };
    event.json_data(data).unwrap_or_else(|error| {
        tracing::warn!(%error, "an event could not be written as JSON");
        Event::default().event(name)
    })
}
