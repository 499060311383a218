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
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use stagecraft_api::IngressAccess;

use crate::page::page;
use stagecraft_engine::routing::{Found, Table, Target};

/// What the ingress answers with: a service's body as it streams, or a page of its own.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// How long a client has to send a request's headers (and how long a kept-alive connection
/// may stay idle).
const HEADER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a service's idle connection is kept for the next request: less than the
/// keep-alive of common development servers (Node's is 5 s), so the ingress never sends a
/// request on a connection the service is closing.
const POOL_IDLE: Duration = Duration::from_secs(4);
/// How long a client has for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a refresh asked for may take before the asker is told it did not happen.
const REFRESH_WITHIN: Duration = Duration::from_secs(5);
/// How often an HTTP/2 client connection is pinged to find it gone.
const H2_PING: Duration = Duration::from_secs(30);

/// A request to make the table again, answered once a table made after it is in use.
pub type RefreshAsk = oneshot::Sender<()>;

/// The routing table in use, replaced whole while requests go on; the ingress's identity (its
/// store's), which its own pages carry in [`crate::FROM_INGRESS`]; and where a refresh is
/// asked for, when something makes the table.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    table: Arc<RwLock<Arc<Table>>>,
    identity: Arc<str>,
    refresh: Option<mpsc::Sender<RefreshAsk>>,
    /// Where each request passed to a service is told, for its access log.
    access: Option<mpsc::Sender<IngressAccess>>,
}

impl Routes {
    pub fn new(table: Table) -> Self {
        Self::identified(table, "stagecraft")
    }

    /// Routes whose ingress says it serves the store `identity`.
    pub fn identified(table: Table, identity: &str) -> Self {
        Self {
            table: Arc::new(RwLock::new(Arc::new(table))),
            identity: Arc::from(identity),
            refresh: None,
            access: None,
        }
    }

    /// Routes that tell `log` of each request passed to a service (dropped, not waited for,
    /// when it is behind).
    #[must_use]
    pub fn logged_to(mut self, log: mpsc::Sender<IngressAccess>) -> Self {
        self.access = Some(log);
        self
    }

    /// Routes whose table is made again on request: a `POST` to the host
    /// [`stagecraft_api::REFRESH_HOST`] carrying the identity (a process that moved a
    /// service) is sent to `asks`, and answered `204` once it is done.
    #[must_use]
    pub fn refreshed_by(mut self, asks: mpsc::Sender<RefreshAsk>) -> Self {
        self.refresh = Some(asks);
        self
    }

    /// Puts `table` in use: requests that start after this see it.
    pub fn replace(&self, table: Table) {
        if let Ok(mut current) = self.table.write() {
            *current = Arc::new(table);
        }
    }

    /// The table in use now.
    pub fn current(&self) -> Arc<Table> {
        self.table
            .read()
            .map(|t| Arc::clone(&t))
            .unwrap_or_default()
    }
}

#[derive(Clone)]
struct Proxy {
    routes: Routes,
    client: Client<HttpConnector, Incoming>,
    /// Ends the upgraded connections (they leave hyper's) when the ingress stops.
    stop: CancellationToken,
    /// Whether clients reach it over TLS (its HTTPS port).
    https: bool,
}

/// Answers on `listener` until `stop` is cancelled; requests under way then get a few
/// seconds to end.
pub async fn serve(listener: TcpListener, routes: Routes, stop: CancellationToken) {
    serve_with(listener, routes, None, stop).await;
}

/// [`serve`] over TLS: each connection's handshake with `tls` (a certificate per hostname,
/// HTTP/2 or HTTP/1.1 as the client offers), then the same proxy.
pub async fn serve_tls(
    listener: TcpListener,
    routes: Routes,
    tls: Arc<rustls::ServerConfig>,
    stop: CancellationToken,
) {
    serve_with(
        listener,
        routes,
        Some(tokio_rustls::TlsAcceptor::from(tls)),
        stop,
    )
    .await;
}

async fn serve_with(
    listener: TcpListener,
    routes: Routes,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: CancellationToken,
) {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let proxy = Proxy {
        routes,
        stop: stop.clone(),
        https: tls.is_some(),
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
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(H2_PING));
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
        match &tls {
            None => {
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
            Some(tls) => {
                // The handshake on the connection's own task: a slow client holds no other.
                let (tls, builder, watcher) = (tls.clone(), builder.clone(), graceful.watcher());
                served.spawn(async move {
                    let stream =
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(error)) => {
                                tracing::debug!(%error, "a TLS handshake with the ingress failed");
                                return;
                            }
                            Err(_) => return,
                        };
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .into_owned();
                    if let Err(error) = watcher.watch(connection).await {
                        tracing::debug!(%error, "an ingress connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    served.abort_all();
    while served.join_next().await.is_some() {}
}

impl Proxy {
    async fn handle(&self, peer: SocketAddr, request: Request<Incoming>) -> Response<Body> {
        let mut response = self.answer(peer, request).await;
        if let Some(ours) = response.headers_mut().get_mut(crate::FROM_INGRESS)
            && let Ok(identity) = HeaderValue::from_str(&self.routes.identity)
        {
            *ours = identity;
        }
        response
    }

    async fn answer(&self, peer: SocketAddr, request: Request<Incoming>) -> Response<Body> {
        if request.method() == hyper::Method::CONNECT {
            return page(
                StatusCode::METHOD_NOT_ALLOWED,
                request.headers(),
                "Not a forward proxy",
                &[
                    "The ingress passes requests on to environments by hostname; it opens no \
                   tunnels (CONNECT)."
                        .into(),
                ],
            );
        }
        let Some(host) = host_asked(&request) else {
            return page(
                StatusCode::BAD_REQUEST,
                request.headers(),
                "Which host?",
                &["A request names one host: in its URI, or in one Host header.".into()],
            );
        };
        if stagecraft_engine::routing::host_of(&host).as_deref()
            == Some(stagecraft_api::REFRESH_HOST)
        {
            return self.refresh(&request).await;
        }
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
                // The hostnames up now are listed to a page asking by a loopback name only:
                // a site that points its own name at 127.0.0.1 learns nothing.
                let loopback = stagecraft_engine::routing::host_of(&host).is_some_and(|h| {
                    h == "localhost" || h.ends_with(".localhost") || h == "127.0.0.1" || h == "::1"
                });
                let hosts = if loopback { table.hosts() } else { Vec::new() };
                return page(
                    StatusCode::NOT_FOUND,
                    request.headers(),
                    "No environment at this hostname",
                    &[
                        format!("Nothing here answers {host}."),
                        if !loopback {
                            "Open it by its `.localhost` hostname.".into()
                        } else if hosts.is_empty() {
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
        let Some(log) = &self.routes.access else {
            return self.forward(&target, peer, &host, request).await;
        };
        let started = std::time::Instant::now();
        let method = request.method().to_string();
        let path = IngressAccess::shown_path(request.uri().path(), request.uri().query().is_some());
        let response = self.forward(&target, peer, &host, request).await;
        let _ = log.try_send(IngressAccess {
            env_id: target.env_id.clone(),
            service: target.service.clone(),
            method,
            path,
            status: response.status().as_u16(),
            millis: started.elapsed().as_secs_f64() * 1000.0,
        });
        response
    }

    /// A process of this data folder moved a service: the table is made again from the
    /// store before the answer, so the process knows new requests go where it said.
    async fn refresh(&self, request: &Request<Incoming>) -> Response<Body> {
        let from = request
            .headers()
            .get(crate::FROM_INGRESS)
            .and_then(|v| v.to_str().ok());
        if request.method() != hyper::Method::POST || from != Some(&*self.routes.identity) {
            return page(
                StatusCode::FORBIDDEN,
                request.headers(),
                "Not this data folder's ingress",
                &[
                    "Only a Stagecraft of the data folder this ingress serves asks it to make \
                   its table again."
                        .into(),
                ],
            );
        }
        let done = match &self.routes.refresh {
            Some(asks) => {
                let (ask, answered) = oneshot::channel();
                asks.send(ask).await.is_ok()
                    && tokio::time::timeout(REFRESH_WITHIN, answered)
                        .await
                        .is_ok_and(|a| a.is_ok())
            }
            None => true,
        };
        let status = if done {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let mut answer = Response::new(empty());
        *answer.status_mut() = status;
        answer
            .headers_mut()
            .insert(crate::FROM_INGRESS, HeaderValue::from_static("stagecraft"));
        answer
    }

    async fn forward(
        &self,
        target: &Target,
        peer: SocketAddr,
        host: &str,
        mut request: Request<Incoming>,
    ) -> Response<Body> {
        let upgrade = upgrade_of(request.headers())
            // HTTP/2 in the clear is spoken to the ingress directly, never through it.
            .filter(|protocol| !protocol.as_bytes().eq_ignore_ascii_case(b"h2c"));
        let downstream = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        // What a page of the ingress's needs of the request: whether it takes HTML.
        let mut asked = HeaderMap::new();
        if let Some(accept) = parts.headers.get(hyper::header::ACCEPT) {
            asked.insert(hyper::header::ACCEPT, accept.clone());
        }
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
        let trailers = accepts_trailers(&parts.headers);
        without_hop_by_hop(&mut parts.headers);
        if trailers {
            parts
                .headers
                .insert(hyper::header::TE, HeaderValue::from_static("trailers"));
        }
        if let Some(protocol) = &upgrade {
            parts
                .headers
                .insert(CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(UPGRADE, protocol.clone());
        }
        // The host it was routed by, whatever else the client said (an HTTP/2 request names
        // it in the URI only; an absolute URI wins over a Host header).
        if let Ok(value) = HeaderValue::from_str(host) {
            parts.headers.insert(HOST, value);
        }
        forwarded(&mut parts.headers, peer, host, self.https);
        let mut response = match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(error) if !error.is_connect() => {
                tracing::debug!(%error, service = target.service, env = target.env_id, "a service's answer could not be passed on");
                return page(
                    StatusCode::BAD_GATEWAY,
                    &asked,
                    "The service's answer could not be passed on",
                    &[
                        format!(
                            "{} of environment {} closed the connection, or answered in a way \
                             HTTP does not allow, or the request's body could not be read.",
                            target.service, target.env_id
                        ),
                        format!(
                            "Its log may say why: `stagecraft instances logs --environment {} {}`.",
                            target.env_id, target.service
                        ),
                    ],
                );
            }
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
            let stop = self.stop.clone();
            tokio::spawn(async move {
                match tokio::try_join!(downstream, upstream) {
                    Ok((down, up)) => {
                        let (mut down, mut up) = (TokioIo::new(down), TokioIo::new(up));
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                            () = stop.cancelled() => {}
                        }
                    }
                    Err(error) => tracing::debug!(%error, "an upgrade through the ingress failed"),
                }
            });
            let (parts, _) = response.into_parts();
            return Response::from_parts(parts, empty());
        }
        let (mut parts, body) = response.into_parts();
        without_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, body.boxed())
    }
}

/// A body with nothing in it.
fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// The host a request asks for: its URI's authority (an absolute URI, or HTTP/2's
/// `:authority`), else its one Host header; none when it has none or several.
fn host_asked(request: &Request<Incoming>) -> Option<String> {
    if let Some(authority) = request.uri().authority() {
        return Some(authority.as_str().to_owned());
    }
    let mut hosts = request.headers().get_all(HOST).iter();
    let host = hosts.next()?.to_str().ok()?.to_owned();
    hosts.next().is_none().then_some(host)
}

/// Whether the client takes trailers (`TE: trailers`): the service is told so, as gRPC-web
/// and streaming APIs need.
fn accepts_trailers(headers: &HeaderMap) -> bool {
    headers
        .get_all(hyper::header::TE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("trailers"))
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
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// `X-Forwarded-For` (the client's address added to any before it), `X-Forwarded-Host`
/// and `X-Forwarded-Proto`, as a service behind Release's ingress gets them.
fn forwarded(headers: &mut HeaderMap, peer: SocketAddr, host: &str, https: bool) {
    let client = peer.ip().to_string();
    let before: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let chain = if before.is_empty() {
        client
    } else {
        format!("{}, {client}", before.join(", "))
    };
    if let Ok(value) = HeaderValue::from_str(&chain) {
        headers.insert("x-forwarded-for", value);
    }
    if let Ok(value) = HeaderValue::from_str(host) {
        headers.insert("x-forwarded-host", value);
    }
    headers.insert(
        "x-forwarded-proto",
        HeaderValue::from_static(if https { "https" } else { "http" }),
    );
}
