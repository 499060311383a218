//! Running the ingress for a Stagecraft: one per machine and data folder. The process that
//! binds the port serves every environment (its table is made again from the store every
//! [`REFRESH`], so environments any process makes, changes or tears down are routed within
//! seconds); another process of the same data folder that finds its ingress on the port uses
//! it, and takes the port over if it is let go (looking again every [`TAKE_OVER`]). The
//! ingress's own pages carry its data folder's id, so an ingress of another data folder (which
//! routes none of this one's environments) is told apart.

use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

use stagecraft_api::Stagecraft;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::proxy::{RefreshAsk, Routes, serve};
use stagecraft_engine::routing::{Route, Table};

/// How often the serving ingress makes its table again.
pub const REFRESH: Duration = Duration::from_secs(2);
/// How often a process that found another's ingress looks whether the port is free.
const TAKE_OVER: Duration = Duration::from_secs(5);

/// The ingress could not start.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error(
        "the ingress cannot listen on 127.0.0.1:{port}: {source}. Another program (or a \
         Stagecraft of another data folder) uses the port: choose another one in the app's \
         System screen or with `stagecraft ingress ports --port N` and start again (or set \
         STAGECRAFT_INGRESS_PORT for this process), or stop what uses it"
    )]
    PortTaken {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the ingress could not read its data folder's id: {0}")]
    Store(String),
    #[error("the ingress's certificate authority: {0}")]
    Authority(String),
    #[error(
        "the ingress cannot answer HTTPS on 127.0.0.1:{port}: {source}. Choose a free \
         port in the app's System screen or with `stagecraft ingress ports --https-port N` \
         and start again, or stop what uses it"
    )]
    HttpsPortTaken {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// Where the ingress is: what [`start`] found, then what changes (a takeover).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// This process serves it.
    Here,
    /// Another Stagecraft of the same data folder serves it; this process takes over if it
    /// goes.
    Elsewhere,
    /// Another program took the port after the ingress that had it went (looked at again
    /// every few seconds).
    Taken,
}

/// Starts the ingress on 127.0.0.1:`port` (and [::1]:`port` where the machine has it) for
/// `stagecraft`'s environments, until `stop`; gives where it is, kept current. A port another
/// program (or a Stagecraft of another data folder) holds is an error; one this data folder's
/// ingress holds is used.
pub async fn start(
    stagecraft: Stagecraft,
    port: u16,
    stop: CancellationToken,
) -> Result<watch::Receiver<Started>, IngressError> {
    let identity = stagecraft
        .data_folder_id()
        .await
        .map_err(|error| IngressError::Store(error.to_string()))?;
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    match TcpListener::bind(v4).await {
        Ok(listener) => {
            let (status, seen) = watch::channel(Started::Here);
            // Given once it answers on its ports and has recorded them for other processes.
            let (answering, answers) = tokio::sync::oneshot::channel();
            tokio::spawn(async move {
                keep(stagecraft, listener, port, &identity, stop, Some(answering)).await;
                drop(status);
            });
            let _ = answers.await;
            Ok(seen)
        }
        Err(source) if source.kind() == std::io::ErrorKind::AddrInUse => {
            if !is_ingress(port, &identity).await {
                return Err(IngressError::PortTaken { port, source });
            }
            let (status, seen) = watch::channel(Started::Elsewhere);
            // Processes that open the data folder meanwhile name these ports too, even while
            // the port changes hands.
            let found = stagecraft_api::IngressPorts {
                port,
                ..stagecraft.ingress_ports()
            };
            standing_by(&stagecraft, Some(found)).await;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(TAKE_OVER) => {}
                        () = stop.cancelled() => {
                            standing_by(&stagecraft, None).await;
                            return;
                        }
                    }
                    match TcpListener::bind(v4).await {
                        Ok(listener) => {
                            tracing::info!(
                                port,
                                "the ingress was let go: this process serves it now"
                            );
                            status.send_replace(Started::Here);
                            keep(stagecraft, listener, port, &identity, stop, None).await;
                            return;
                        }
                        Err(_) if is_ingress(port, &identity).await => {
                            if status.send_replace(Started::Elsewhere) != Started::Elsewhere {
                                standing_by(&stagecraft, Some(found)).await;
                            }
                        }
                        // Another program's port is no ingress of this folder's: processes
                        // that open it meanwhile take the saved ports.
                        Err(_) => {
                            if status.send_replace(Started::Taken) != Started::Taken {
                                standing_by(&stagecraft, None).await;
                            }
                        }
                    }
                }
            });
            Ok(seen)
        }
        Err(source) => Err(IngressError::PortTaken { port, source }),
    }
}

/// Records that this process stands by to take over the folder's ingress at `ports` (none: no
/// longer), for the processes that open the folder meanwhile.
async fn standing_by(stagecraft: &Stagecraft, ports: Option<stagecraft_api::IngressPorts>) {
    match ports {
        Some(ports) => {
            if let Err(error) = stagecraft.ingress_in_use(ports, false).await {
                tracing::warn!(%error, "this process's use of the ingress was not recorded");
            }
        }
        None => {
            if let Err(error) = stagecraft.ingress_stopped().await {
                tracing::debug!(%error, "this process's use of the ingress was not forgotten (its end is)");
            }
        }
    }
}

/// Serves on `listener` (and ::1), making the table again every [`REFRESH`], until `stop`;
/// tells `answering` once it answers on its ports and has recorded them.
async fn keep(
    stagecraft: Stagecraft,
    listener: TcpListener,
    port: u16,
    identity: &str,
    stop: CancellationToken,
    answering: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let (asks, mut asked) = mpsc::channel::<RefreshAsk>(64);
    let (log, logged) = mpsc::channel(ACCESS_BEHIND);
    let routes = Routes::identified(Table::default(), identity)
        .refreshed_by(asks)
        .logged_to(log);
    tokio::spawn(keep_access_log(stagecraft.clone(), logged));
    let _ = refresh(&stagecraft, &routes, &mut Vec::new()).await;
    let mut served = vec![tokio::spawn(serve(listener, routes.clone(), stop.clone()))];
    // Where the machine has IPv6 loopback; `localhost` names resolve to it first on some.
    match TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
        Ok(v6) => served.push(tokio::spawn(serve(v6, routes.clone(), stop.clone()))),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => tracing::warn!(
            port,
            %error,
            "another program answers on [::1] at the ingress's port: a browser that tries ::1 \
             first reaches it, not the ingress; stop it or choose another port (`stagecraft ingress ports`)"
        ),
        Err(error) => tracing::debug!(%error, "no IPv6 loopback: the ingress is on 127.0.0.1 only"),
    }
    let mut listening = stagecraft_api::IngressPorts {
        port,
        https_port: None,
    };
    if let Some(https) = stagecraft.ingress_ports().https_port {
        match https_listeners(&stagecraft, https).await {
            Ok((listeners, tls)) => {
                tracing::info!(port = https, "the ingress answers HTTPS too");
                listening.https_port = Some(https);
                for listener in listeners {
                    served.push(tokio::spawn(crate::proxy::serve_tls(
                        listener,
                        routes.clone(),
                        std::sync::Arc::clone(&tls),
                        stop.clone(),
                    )));
                }
            }
            Err(error) => tracing::warn!(%error, "the ingress answers no HTTPS"),
        }
    }
    // Processes that open the data folder from now on name the ports it answers on, once it
    // answers on all of them (until then they take the saved ones, which these come from
    // unless a variable set them).
    if let Err(error) = stagecraft.ingress_in_use(listening, true).await {
        tracing::warn!(%error, "the ingress's ports were not recorded for other processes");
    }
    if let Some(answering) = answering {
        let _ = answering.send(());
    }
    let mut last = Vec::new();
    let mut every = tokio::time::interval(REFRESH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {
                let _ = refresh(&stagecraft, &routes, &mut last).await;
            }
            Some(ask) = asked.recv() => {
                // Every ask waiting now is answered by one refresh that starts after it.
                let mut answered = vec![ask];
                while let Ok(ask) = asked.try_recv() {
                    answered.push(ask);
                }
                // A refresh that could not read the routes answers nobody: the asker learns
                // its change is not in use (and keeps the old replica).
                if refresh(&stagecraft, &routes, &mut last).await {
                    for ask in answered {
                        let _ = ask.send(());
                    }
                }
            }
            () = stop.cancelled() => break,
        }
    }
    for task in served {
        let _ = task.await;
    }
    if let Err(error) = stagecraft.ingress_stopped().await {
        tracing::debug!(%error, "the ingress's end was not recorded (its process's end is)");
    }
}

/// The HTTPS port's listeners (127.0.0.1, and ::1 where the machine has it) and its TLS
/// setup, the data folder's certificate authority made on first use.
async fn https_listeners(
    stagecraft: &Stagecraft,
    port: u16,
) -> Result<(Vec<TcpListener>, std::sync::Arc<rustls::ServerConfig>), IngressError> {
    let authority = crate::tls::Authority::load_or_create(&stagecraft.settings().data_dir.path)?;
    let tls = crate::tls::server_config(authority)?;
    let v4 = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| IngressError::HttpsPortTaken { port, source })?;
    let mut listeners = vec![v4];
    if let Ok(v6) = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
        listeners.push(v6);
    }
    Ok((listeners, tls))
}

/// Requests told to the access log and not yet written, at most: past it (a store that
/// cannot keep up) requests go unlogged, never slowed.
const ACCESS_BEHIND: usize = 20_000;
/// How often the access log is written: a batch a second, each service's requests summed up
/// past a few (`stagecraft_api::IngressAccess`).
const ACCESS_EVERY: Duration = Duration::from_secs(1);

/// Writes the requests told on `logged` to their services' logs, a batch every
/// [`ACCESS_EVERY`], until every sender is gone.
async fn keep_access_log(
    stagecraft: Stagecraft,
    mut logged: mpsc::Receiver<stagecraft_api::IngressAccess>,
) {
    let mut batch = Vec::new();
    loop {
        if logged.recv_many(&mut batch, ACCESS_BEHIND).await == 0 {
            return;
        }
        tokio::time::sleep(ACCESS_EVERY).await;
        while let Ok(access) = logged.try_recv() {
            batch.push(access);
        }
        if let Err(error) = stagecraft
            .record_ingress_access(std::mem::take(&mut batch))
            .await
        {
            tracing::warn!(%error, "the ingress's access log was not written");
        }
    }
}

/// Makes the table again when the routes changed since `last`; whether the routes were read.
async fn refresh(stagecraft: &Stagecraft, routes: &Routes, last: &mut Vec<Route>) -> bool {
    let now = match stagecraft.ingress_routes().await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "the ingress's routes were not read; the last ones stay");
            return false;
        }
    };
    if now == *last {
        return true;
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
    true
}

/// Whether this data folder's ingress (`identity`) answers on 127.0.0.1:`port`.
async fn is_ingress(port: u16, identity: &str) -> bool {
    stagecraft_api::ask_ingress(port, identity, false).await
}
