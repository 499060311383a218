//! The connections: accepted on the listener, each served by hyper's HTTP/1.1 connection
//! with a time limit on request headers, at most [`MAX_CONNECTIONS`] at once, and all of them
//! let finish when the API stops.
//!
//! `axum::serve` sets no timer on its connections, so a client that sends its headers a byte
//! at a time (or opens connections and sends nothing) would hold them for ever; here hyper's
//! `header_read_timeout` closes a connection whose request head has not arrived in
//! [`Limits::header_timeout`], and the same timer closes a kept-alive connection that stays
//! idle that long. A body that arrives slowly is the request's own time limit's (30 s).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::Limits;

/// The most connections served at once; the next waits in the listener's backlog.
pub const MAX_CONNECTIONS: usize = 512;
/// How long requests under way are given to end once the API stops.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` is cancelled, then lets the requests under way end
/// (at most [`STOP_GRACE`]; streams of events and logs end with `stop` themselves).
pub(crate) async fn connections(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    stop: &CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut served = tokio::task::JoinSet::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = stop.cancelled() => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // the listener itself is fine; wait a little rather than spin.
                    tracing::warn!(%error, "the API could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        // The connections that ended are let go of.
        while served.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        served.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "an API connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(STOP_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "the API stopped with requests still under way after {} s: they are cut",
            STOP_GRACE.as_secs()
        );
    }
    // Dropping the set ends what is left (and the router each connection holds).
    served.abort_all();
    while served.join_next().await.is_some() {}
}
