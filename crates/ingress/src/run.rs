//! Running the ingress for a Stagecraft: one per machine. The process that binds the port
//! serves every environment (its table is made again from the store every
//! [`REFRESH`], so environments any process makes, changes or tears down are routed within
//! seconds); another process that finds a Stagecraft ingress on the port uses it, and takes
//! the port over if it is let go (looking again every [`TAKE_OVER`]).

use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

use stagecraft_api::Stagecraft;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::proxy::{Routes, serve};
use crate::table::{Route, Table, Target};

/// How often the serving ingress makes its table again.
pub const REFRESH: Duration = Duration::from_secs(2);
/// How often a process that found another's ingress looks whether the port is free.
const TAKE_OVER: Duration = Duration::from_secs(5);

/// The ingress could not start.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error(
        "the ingress cannot listen on 127.0.0.1:{port}: {source}. Something other than \
         Stagecraft uses the port: set STAGECRAFT_INGRESS_PORT to another one (for every \
         Stagecraft command and the app), or stop what uses it"
    )]
    PortTaken {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// Where the ingress is, once [`start`] looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// This process serves it.
    Here,
    /// Another Stagecraft's ingress answers on the port; this process takes over if it goes.
    Elsewhere,
}

/// Starts the ingress on 127.0.0.1:`port` (and [::1]:`port` where the machine has it) for
/// `stagecraft`'s environments, until `stop`. A port another program holds is an error; one
/// another Stagecraft's ingress holds is used.
pub async fn start(
    stagecraft: Stagecraft,
    port: u16,
    stop: CancellationToken,
) -> Result<Started, IngressError> {
    match TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
        Ok(listener) => {
            tokio::spawn(keep(stagecraft, listener, port, stop));
            Ok(Started::Here)
        }
        Err(source) if source.kind() == std::io::ErrorKind::AddrInUse => {
            if is_ingress(port).await {
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            () = tokio::time::sleep(TAKE_OVER) => {}
                            () = stop.cancelled() => return,
                        }
                        if let Ok(listener) =
                            TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
                        {
                            tracing::info!(
                                port,
                                "the ingress was let go: this process serves it now"
                            );
                            keep(stagecraft, listener, port, stop).await;
                            return;
                        }
                    }
                });
                Ok(Started::Elsewhere)
            } else {
                Err(IngressError::PortTaken { port, source })
            }
        }
        Err(source) => Err(IngressError::PortTaken { port, source }),
    }
}

/// Serves on `listener` (and ::1), making the table again every [`REFRESH`], until `stop`.
async fn keep(stagecraft: Stagecraft, listener: TcpListener, port: u16, stop: CancellationToken) {
    let routes = Routes::default();
    refresh(&stagecraft, &routes, &mut Vec::new()).await;
    let mut served = vec![tokio::spawn(serve(listener, routes.clone(), stop.clone()))];
    // Where the machine has IPv6 loopback; `localhost` names resolve to it first on some.
    if let Ok(v6) = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
        served.push(tokio::spawn(serve(v6, routes.clone(), stop.clone())));
    }
    let mut last = Vec::new();
    loop {
        tokio::select! {
            () = tokio::time::sleep(REFRESH) => refresh(&stagecraft, &routes, &mut last).await,
            () = stop.cancelled() => break,
        }
    }
    for task in served {
        let _ = task.await;
    }
}

/// Makes the table again when the routes changed since `last`.
async fn refresh(stagecraft: &Stagecraft, routes: &Routes, last: &mut Vec<Route>) {
    let found = match stagecraft.ingress_routes().await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "the ingress's routes were not read; the last ones stay");
            return;
        }
    };
    let now: Vec<Route> = found
        .into_iter()
        .map(|r| Route {
            host: r.host,
            path: r.path,
            target: Target {
                env_id: r.env_id,
                service: r.service,
                address: r.address,
            },
        })
        .collect();
    if now == *last {
        return;
    }
    let (table, conflicts) = Table::new(now.clone());
    for conflict in conflicts {
        tracing::warn!(
            host = conflict.kept.host,
            path = conflict.kept.path,
            kept = conflict.kept.target.env_id,
            dropped = conflict.dropped.target.env_id,
            "two environments claim one hostname and path: the first keeps it"
        );
    }
    routes.replace(table);
    *last = now;
}

/// Whether a Stagecraft ingress answers on 127.0.0.1:`port`: its page for a host it does
/// not know carries [`crate::FROM_INGRESS`].
async fn is_ingress(port: u16) -> bool {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let asked = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream
            .write_all(
                b"HEAD / HTTP/1.1\r\nHost: stagecraft-probe.invalid\r\nConnection: close\r\n\r\n",
            )
            .await
            .ok()?;
        let mut head = Vec::new();
        stream.read_to_end(&mut head).await.ok()?;
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        Some(head.contains(&format!("{}:", crate::FROM_INGRESS)))
    };
    tokio::time::timeout(Duration::from_secs(2), asked)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
