//! The routes of the local ingress: every standing environment's hostnames and rules, each
//! to the 127.0.0.1 port its runtime publishes the service on. Read by whichever process runs
//! the ingress (the app, or `stagecraft serve`), from the store every process shares, so one
//! ingress on this machine serves every environment whatever process made it.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde::Serialize;
use stagecraft_engine::routing::{Route, Table, Target};
use stagecraft_engine::{EnvironmentStatus, LocalRoute};
use stagecraft_store::environment;
use stagecraft_store::published_port::PublishedPort;
use ts_rs::TS;

use crate::{Error, IngressPorts, Stagecraft};

/// Each environment's routes by (environment row id, default version, specific version): a
/// configuration version never changes once saved.
#[derive(Debug, Default)]
pub(crate) struct RouteCache(std::sync::Mutex<HashMap<(i64, i64, i64), Vec<LocalRoute>>>);

impl Stagecraft {
    /// The routes of every environment that is not torn down, on a runtime this Stagecraft
    /// has that brings its services to this machine. An environment whose configuration no
    /// longer reads is left out (its own screen says what is wrong). Each route's target is
    /// `127.0.0.1:<port>`, the port the runtime publishes the service on; the oldest
    /// environment's first.
    pub async fn ingress_routes(&self) -> Result<Vec<Route>, Error> {
        let mut routes = Vec::new();
        let moved = stagecraft_store::published_port::all(self.store.pool()).await?;
        for env in environment::list(self.store.pool()).await? {
            if env.status == EnvironmentStatus::TornDown {
                continue;
            }
            let Some(runtime) = self.runtimes.get(&env.runtime) else {
                continue;
            };
            let key = (env.id, env.version.default, env.version.specific);
            let cached = self
                .ingress
                .0
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned());
            let local = match cached {
                Some(local) => local,
                None => {
                    // Cached only when everything resolved: a configuration read without its
                    // imported apps (one failed to read) routes what it has now, and is read
                    // again at the next refresh.
                    let (resolved, whole) = match self.resolve_as(&env, None, true).await {
                        Ok(resolved) => (Ok(resolved), true),
                        Err(_) => (self.resolve_as(&env, None, false).await, false),
                    };
                    match resolved {
                        Ok(resolved) => {
                            let (local, left_out) =
                                stagecraft_engine::local_routes(&resolved.template, &env.env_id);
                            if whole {
                                for why in left_out {
                                    tracing::warn!(env = %env.env_id, "{why}");
                                }
                                if let Ok(mut cache) = self.ingress.0.lock() {
                                    cache.insert(key, local.clone());
                                }
                            }
                            local
                        }
                        Err(error) => {
                            tracing::debug!(%error, env = %env.env_id, "no routes: its configuration does not read");
                            continue;
                        }
                    }
                }
            };
            for route in local {
                let Some(address) = runtime
                    .ingress_url(&env.env_id, &route.service, route.port)
                    .and_then(|url| {
                        direct_address(&url, &env.env_id, &route.service, route.port, &moved)
                    })
                else {
                    continue;
                };
                routes.push(Route {
                    host: route.host,
                    path: route.path,
                    target: Target {
                        env_id: env.env_id.clone(),
                        service: route.service,
                        address,
                    },
                });
            }
        }
        Ok(routes)
    }
}

/// Where patches moved services from their stable ports, as read at most [`MOVED_FOR`] ago.
#[derive(Debug, Default)]
pub(crate) struct MovedPorts(tokio::sync::Mutex<Option<(std::time::Instant, Vec<PublishedPort>)>>);

/// How long the environments list shows a direct URL a patch (in any process) changed.
const MOVED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

impl Stagecraft {
    /// Every port patches moved from its stable one, read again when older than
    /// [`MOVED_FOR`]: one read a second for the lists, however often they are asked for.
    pub(crate) async fn moved_ports(&self) -> Result<Vec<PublishedPort>, Error> {
        let mut kept = self.moved.0.lock().await;
        if let Some((at, moved)) = &*kept
            && at.elapsed() < MOVED_FOR
        {
            return Ok(moved.clone());
        }
        let moved = stagecraft_store::published_port::all(self.store.pool()).await?;
        *kept = Some((std::time::Instant::now(), moved.clone()));
        Ok(moved)
    }
}

/// The address in `url` (a runtime's `http://127.0.0.1:<port>` for `service`'s `port`), on
/// the port a handover moved it to when it did.
pub(crate) fn direct_address(
    url: &str,
    env_id: &str,
    service: &str,
    port: u16,
    moved: &[PublishedPort],
) -> Option<SocketAddr> {
    let mut address = url.strip_prefix("http://")?.parse::<SocketAddr>().ok()?;
    if let Some(now) = moved
        .iter()
        .find(|p| p.env_id == env_id && p.service == service && p.port == port)
    {
        address.set_port(now.host_port);
    }
    Some(address)
}

/// Whether this process serves the ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum IngressStatus {
    /// This process serves it.
    Serving,
    /// Another Stagecraft (`stagecraft serve`, another window) serves it; this one takes
    /// over if it goes.
    Elsewhere,
    /// Nobody: the port is held by another program, or the ingress could not start.
    Off,
    /// Still starting.
    Starting,
}

/// The local ingress as the System screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IngressView {
    /// The port this process's ingress listens on (or would).
    pub port: u16,
    pub status: IngressStatus,
    /// Why it is off, and what to do.
    pub problem: Option<String>,
    /// Whether this machine's resolver sends `*.localhost` names to the loopback address
    /// (browsers do by themselves; `curl` and other programs need the resolver to).
    pub resolves_localhost: bool,
    /// This process's HTTPS port, when HTTPS is on.
    pub https_port: Option<u16>,
    /// The data folder's saved ports (the defaults when none were saved): the ingress's from
    /// its next start.
    pub saved: IngressPorts,
    /// The environment variables that set this process's ports over the saved ones.
    pub set_by_env: Vec<String>,
    /// The certificate of the data folder's authority, once made (HTTPS's first use): the
    /// file to trust.
    pub authority: Option<String>,
    /// Hostnames and paths claimed twice (by two environments, or by two rules of one): the
    /// first claim keeps it, the older environment's.
    pub conflicts: Vec<IngressConflict>,
}

/// A hostname and path claimed twice: by two environments (a `hostnames` pattern without
/// `${env_id}`, say), routed to the one made first, or by two rules of one environment,
/// routed to the first; the other service is not reached there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IngressConflict {
    pub host: String,
    pub path: String,
    /// Who gets its requests.
    pub kept: IngressClaim,
    /// Who claims it too, and gets none of them.
    pub dropped: IngressClaim,
}

/// An environment's service behind a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IngressClaim {
    pub env_id: String,
    pub service: String,
}

impl From<Target> for IngressClaim {
    fn from(target: Target) -> Self {
        Self {
            env_id: target.env_id,
            service: target.service,
        }
    }
}

/// How long the resolver gets to answer for a `*.localhost` name.
const RESOLVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

impl Stagecraft {
    /// The data folder's own id (made once with its database): the ingress says it, so a
    /// process tells its own data folder's ingress from another's on the port.
    pub async fn data_folder_id(&self) -> Result<String, Error> {
        Ok(self.store.meta().await?.folder_id)
    }

    /// The ingress as this process has it, with whether the machine resolves `*.localhost`,
    /// the routes claimed twice (as the ingress's table, made from the same routes, leaves
    /// them out) and the saved ports.
    pub async fn ingress_view(
        &self,
        status: IngressStatus,
        problem: Option<String>,
    ) -> Result<IngressView, Error> {
        let IngressPorts { port, https_port } = self.ingress_ports;
        let looked = tokio::time::timeout(
            RESOLVE_WITHIN,
            tokio::net::lookup_host(("stagecraft-check.localhost", port)),
        )
        .await;
        let found: Vec<SocketAddr> = match looked {
            Ok(Ok(found)) => found.collect(),
            _ => Vec::new(),
        };
        let resolves_localhost = !found.is_empty() && found.iter().all(|a| a.ip().is_loopback());
        let authority = self.settings.data_dir.ingress_authority();
        let conflicts = match self.ingress_routes().await {
            Ok(routes) => Table::new(routes).1,
            Err(error) => {
                tracing::debug!(%error, "the ingress's routes were not read for its view");
                Vec::new()
            }
        };
        let saved = self.saved_ingress_ports().await?;
        let set_by_env = self
            .settings
            .ingress
            .variables()
            .into_iter()
            .map(str::to_owned)
            .collect();
        Ok(IngressView {
            port,
            status,
            problem,
            resolves_localhost,
            https_port,
            saved,
            set_by_env,
            authority: (https_port.is_some() && authority.is_file())
                .then(|| authority.display().to_string()),
            conflicts: conflicts
                .into_iter()
                .map(|c| IngressConflict {
                    host: c.kept.host,
                    path: c.kept.path,
                    kept: c.kept.target.into(),
                    dropped: c.dropped.target.into(),
                })
                .collect(),
        })
    }
}
