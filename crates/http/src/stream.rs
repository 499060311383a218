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

/// `?follow`, `?follow=true` (or `1`, `yes`) are true; left out, `false`, `0` or `no` false.
pub(crate) fn flag<'de, D: serde::Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(value)?;
    match text.as_deref().map(str::trim) {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("" | "true" | "1" | "yes") => Ok(true),
        Some(other) => Err(serde::de::Error::custom(format!(
            "`{other}` is not true or false"
        ))),
    }
}

/// The event a stream sends last when what it follows ended (not when the API stops): a
/// client that sees it should not reconnect.
pub(crate) fn end() -> Event {
    Event::default().event("end").data("")
}

/// `events`, then [`end`].
pub(crate) fn ended(
    events: impl Stream<Item = Event> + Send + 'static,
) -> impl Stream<Item = Event> + Send + 'static {
    events.chain(futures_util::stream::once(std::future::ready(end())))
}

/// Whether a client is reconnecting (it sent `Last-Event-ID`): one that reconnects to
/// something that has ended, with nothing new, is answered 204, which tells an `EventSource`
/// to stop.
pub(crate) fn resuming(headers: &HeaderMap) -> bool {
    headers.contains_key("last-event-id")
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
