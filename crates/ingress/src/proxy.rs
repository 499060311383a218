//! The proxy: each request goes to the service its hostname and path route to, on its
//! published 127.0.0.1 port, and its answer comes back as it streams (Server-Sent Events,
//! large downloads and uploads are never held). A WebSocket (any `Upgrade`) is passed through:
//! once the service answers 101, the two connections are copied both ways until either
//! closes. Clients speak HTTP/1.1 or HTTP/2 (prior knowledge, as `curl --http2-prior-knowledge`
//! does); services are spoken to in HTTP/1.1 over a pool of kept-alive connections.
//!
//! Built on hyper and hyper-util (the server's connection builder that serves both versions
//! and upgrades, and the pooled client): the forwarding itself is what a reverse proxy must
//! do to a request (hop-by-hop headers off, `X-Forwarded-*` on), written here so that no
//! other layer sits between the ingress and hyper.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, HOST, HeaderMap, HeaderName, HeaderValue, UPGRADE};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::page::page;
use crate::table::{Found, Table, Target};

/// What the ingress answers with: a service's body as it streams, or a page of its own.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// How long a client has to send a request's headers (and how long a kept-alive connection
/// may stay idle).
const HEADER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a service's idle connection is kept for the next request.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// The routing table in use, replaced whole while requests go on.
#[derive(Debug, Clone, Default)]
pub struct Routes(Arc<RwLock<Arc<Table>>>);

impl Routes {
    pub fn new(table: Table) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(table))))
    }

    /// Puts `table` in use: requests that start after this see it.
    pub fn replace(&self, table: Table) {
        if let Ok(mut current) = self.0.write() {
            *current = Arc::new(table);
        }
    }

    /// The table in use now.
    pub fn current(&self) -> Arc<Table> {
        self.0.read().map(|t| Arc::clone(&t)).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Proxy {
    routes: Routes,
    client: Client<HttpConnector, Incoming>,
}

/// Answers on `listener` until `stop` is cancelled; requests under way then get a few
/// seconds to end.
pub async fn serve(listener: TcpListener, routes: Routes, stop: CancellationToken) {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let proxy = Proxy {
        routes,
        client: Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .build(connector),
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut served = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "the ingress could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        while served.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        let service = hyper::service::service_fn(move |request| {
            let proxy = proxy.clone();
            async move { Ok::<_, std::convert::Infallible>(proxy.handle(peer, request).await) }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        served.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "an ingress connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    served.abort_all();
    while served.join_next().await.is_some() {}
}

impl Proxy {
    async fn handle(&self, peer: SocketAddr, request: Request<Incoming>) -> Response<Body> {
        let host = request
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().authority().map(ToString::to_string))
            .unwrap_or_default();
        let table = self.routes.current();
        let target = match table.find(&host, request.uri().path()) {
            Found::Target(target) => target.clone(),
            Found::NoPath(paths) => {
                return page(
                    StatusCode::NOT_FOUND,
                    request.headers(),
                    "No route for this path",
                    &[
                        format!("{host} routes only these paths: {}.", paths.join(", ")),
                        "The template's `rules` say which service answers which path.".into(),
                    ],
                );
            }
            Found::UnknownHost => {
                let hosts = table.hosts();
                return page(
                    StatusCode::NOT_FOUND,
                    request.headers(),
                    "No environment at this hostname",
                    &[
                        format!("Nothing here answers {host}."),
                        if hosts.is_empty() {
                            "No environment is up now: start one in Stagecraft, or with \
                             `stagecraft environments create`."
                                .into()
                        } else {
                            format!("The hostnames up now: {}.", hosts.join(", "))
                        },
                        "`stagecraft environments list` shows each environment's URLs.".into(),
                    ],
                );
            }
        };
        self.forward(&target, peer, &host, request).await
    }

    async fn forward(
        &self,
        target: &Target,
        peer: SocketAddr,
        host: &str,
        mut request: Request<Incoming>,
    ) -> Response<Body> {
        let upgrade = upgrade_of(request.headers());
        let downstream = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        let asked = parts.headers.clone();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", hyper::http::uri::PathAndQuery::as_str);
        parts.uri = match format!("http://{}{path}", target.address).parse() {
            Ok(uri) => uri,
            Err(_) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    &asked,
                    "A path the ingress cannot pass on",
                    &[format!("{path} is not a path.")],
                );
            }
        };
        parts.version = Version::HTTP_11;
        without_hop_by_hop(&mut parts.headers);
        if let Some(protocol) = &upgrade {
            parts
                .headers
                .insert(CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(UPGRADE, protocol.clone());
        }
        if !parts.headers.contains_key(HOST)
            && let Ok(value) = HeaderValue::from_str(host)
        {
            // An HTTP/2 request names its host in the URI only.
            parts.headers.insert(HOST, value);
        }
        forwarded(&mut parts.headers, peer, host);
        let mut response = match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(%error, service = target.service, env = target.env_id, "a service did not answer the ingress");
                return page(
                    StatusCode::BAD_GATEWAY,
                    &asked,
                    "The service is not answering",
                    &[
                        format!(
                            "{} of environment {} does not answer on {}: it may still be \
                             starting, or it stopped or crashed.",
                            target.service, target.env_id, target.address
                        ),
                        format!(
                            "Its log says why: `stagecraft instances logs --environment {} {}`, \
                             or the environment's Logs in Stagecraft. This page answers until \
                             the service does; reload it.",
                            target.env_id, target.service
                        ),
                    ],
                );
            }
        };
        if response.status() == StatusCode::SWITCHING_PROTOCOLS
            && let Some(downstream) = downstream
        {
            let upstream = hyper::upgrade::on(&mut response);
            tokio::spawn(async move {
                match tokio::try_join!(downstream, upstream) {
                    Ok((down, up)) => {
                        let (mut down, mut up) = (TokioIo::new(down), TokioIo::new(up));
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                    Err(error) => tracing::debug!(%error, "an upgrade through the ingress failed"),
                }
            });
            let (parts, _) = response.into_parts();
            return Response::from_parts(
                parts,
                Empty::new().map_err(|never| match never {}).boxed(),
            );
        }
        let (mut parts, body) = response.into_parts();
        without_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, body.boxed())
    }
}

/// The protocol a request asks to switch to (`Connection: upgrade` with `Upgrade: …`).
fn upgrade_of(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(UPGRADE).cloned()).flatten()
}

/// Takes off the headers that belong to one connection, not to the request: those RFC 9110
/// names, and those the `Connection` header names.
fn without_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// `X-Forwarded-For` (the client's address added to any before it), `X-Forwarded-Host`
/// and `X-Forwarded-Proto`, as a service behind Release's ingress gets them.
fn forwarded(headers: &mut HeaderMap, peer: SocketAddr, host: &str) {
    let client = peer.ip().to_string();
    let chain = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(before) => format!("{before}, {client}"),
        None => client,
    };
    if let Ok(value) = HeaderValue::from_str(&chain) {
        headers.insert("x-forwarded-for", value);
    }
    if let Ok(value) = HeaderValue::from_str(host) {
        headers.insert("x-forwarded-host", value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
}
