//! What Stagecraft's own log shows: `STAGECRAFT_LOG` (an `EnvFilter`, `info` or `debug` or
//! `stagecraft_api=trace`), but never the HTTP clients' own request and response logging. At
//! `debug` and `trace` those dump bodies, and a container's body holds its environment, secrets
//! included (and an exec's frames a terminal's keys); so the clients under the runtimes are
//! held at `info` whatever the filter asks.

use tracing_subscriber::EnvFilter;

/// The crates whose debug logging shows request bodies or wire bytes.
const CLIENTS: &[&str] = &[
    "bollard",
    "hyper",
    "hyper_util",
    "h2",
    "tower",
    "tonic",
    "kube",
    "kube_client",
    "rustls",
    "reqwest",
    // kube's WebSocket (exec, port-forward) logs whole frames at trace: a terminal's keys.
    "tungstenite",
    "tokio_tungstenite",
];

/// `STAGECRAFT_LOG` (or `default` when it is unset or unreadable), with the clients held at
/// `info`: a directive for a named target overrides the same target's in the filter.
pub fn log_filter(default: &str) -> EnvFilter {
    let mut filter =
        EnvFilter::try_from_env("STAGECRAFT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    for client in CLIENTS {
        if let Ok(directive) = format!("{client}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}
