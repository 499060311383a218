//! The ingress in front of real local servers (hyper, on 127.0.0.1 port 0): routing by host
//! and path, the headers a service gets, a streamed answer passed on as it comes, a large
//! upload, a WebSocket-style upgrade echoed both ways, HTTP/2 from the client, and the
//! ingress's own pages for an unknown host and a service that does not answer.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use stagecraft_ingress::{FROM_INGRESS, Route, Routes, Table, Target};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into()).boxed()
}

/// A service: answers `/stream` in two parts (the second once the test says so), counts an
/// upload's bytes on `/upload`, echoes an upgraded connection, and otherwise says who it is,
/// the path and the headers it got.
async fn service(
    name: &'static str,
    release: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let release = Arc::clone(&release);
            tokio::spawn(async move {
                let handler = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                    let release = Arc::clone(&release);
                    async move {
                        let path = request.uri().path().to_owned();
                        if request.headers().contains_key("upgrade") {
                            let upgraded = hyper::upgrade::on(&mut request);
                            tokio::spawn(async move {
                                let mut io = TokioIo::new(upgraded.await.unwrap());
                                let mut buffer = [0u8; 64];
                                loop {
                                    let n = io.read(&mut buffer).await.unwrap_or(0);
                                    if n == 0 || io.write_all(&buffer[..n]).await.is_err() {
                                        return;
                                    }
                                }
                            });
                            return Ok::<_, std::convert::Infallible>(
                                Response::builder()
                                    .status(StatusCode::SWITCHING_PROTOCOLS)
                                    .header("connection", "upgrade")
                                    .header("upgrade", "echo")
                                    .body(full(""))
                                    .unwrap(),
                            );
                        }
                        if path == "/stream" {
                            let (frames, received) =
                                mpsc::channel::<Result<Frame<Bytes>, std::convert::Infallible>>(2);
                            let release = release.lock().await.take();
                            tokio::spawn(async move {
                                frames
                                    .send(Ok(Frame::data(Bytes::from("data: one\n\n"))))
                                    .await
                                    .unwrap();
                                if let Some(release) = release {
                                    let _ = release.await;
                                }
                                frames
                                    .send(Ok(Frame::data(Bytes::from("data: two\n\n"))))
                                    .await
                                    .unwrap();
                            });
                            let stream = futures_stream(received);
                            return Ok(Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(StreamBody::new(stream).boxed())
                                .unwrap());
                        }
                        if path == "/upload" {
                            let mut body = request.into_body();
                            let mut bytes = 0usize;
                            while let Some(frame) = body.frame().await {
                                bytes += frame.unwrap().data_ref().map_or(0, Bytes::len);
                            }
                            return Ok(Response::new(full(bytes.to_string())));
                        }
                        let header = |n: &str| {
                            request
                                .headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-")
                                .to_owned()
                        };
                        Ok(Response::new(full(format!(
                            "{name} {} host={} for={} fhost={} proto={} {:?}",
                            request.uri(),
                            header("host"),
                            header("x-forwarded-for"),
                            header("x-forwarded-host"),
                            header("x-forwarded-proto"),
                            request.version(),
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .with_upgrades()
                    .await;
            });
        }
    });
    address
}

/// A channel's items as a stream.
fn futures_stream<T: Send + 'static>(
    receiver: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// The ingress on a free port with `routes`; gives its address and the stop.
async fn ingress(routes: Routes) -> (SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(stagecraft_ingress::serve(listener, routes, stop.clone()));
    (address, stop)
}

fn route(host: &str, path: &str, env: &str, service: &str, address: SocketAddr) -> Route {
    Route {
        host: host.into(),
        path: path.into(),
        target: Target {
            env_id: env.into(),
            service: service.into(),
            address,
        },
    }
}

/// An HTTP/1.1 request through the ingress; gives the status, the ingress's marker and the
/// body.
async fn get(
    ingress: SocketAddr,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, bool, String) {
    let stream = TcpStream::connect(ingress).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder().uri(path).header("host", host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answered = async {
        let response = sender
            .send_request(request.body(full("")).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let ours = response.headers().contains_key(FROM_INGRESS);
        (
            status,
            ours,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    };
    let (status, ours, body) = tokio::time::timeout(Duration::from_secs(30), answered)
        .await
        .expect("no answer within 30 s");
    (status, ours, String::from_utf8_lossy(&body).into_owned())
}

/// `request` written as it is on a new connection; gives all the connection answered.
async fn raw(ingress: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(ingress).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("no answer within 30 s")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn no_release() -> Arc<Mutex<Option<oneshot::Receiver<()>>>> {
    Arc::new(Mutex::new(None))
}

#[tokio::test]
async fn two_environments_at_their_hostnames_and_a_path_rule() {
    let a = service("web-a", no_release()).await;
    let b = service("web-b", no_release()).await;
    let api = service("api-a", no_release()).await;
    let (table, conflicts) = Table::new([
        route("web-a1b2c3d.localhost", "/", "a1b2c3d", "web", a),
        route("web-a1b2c3d.localhost", "/api", "a1b2c3d", "api", api),
        route("web-e4f5a6b.localhost", "/", "e4f5a6b", "web", b),
    ]);
    assert!(conflicts.is_empty());
    let (ingress, stop) = ingress(Routes::new(table)).await;

    let (status, ours, body) = get(ingress, "web-a1b2c3d.localhost:8470", "/cart?x=1", &[]).await;
    assert_eq!((status, ours), (200, false), "{body}");
    assert!(body.starts_with("web-a /cart?x=1 host=web-a1b2c3d.localhost:8470 for=127.0.0.1 fhost=web-a1b2c3d.localhost:8470 proto=http HTTP/1.1"), "{body}");
    let (_, _, body) = get(ingress, "web-e4f5a6b.localhost", "/", &[]).await;
    assert!(body.starts_with("web-b / "), "{body}");
    // The matched prefix is kept; a client's X-Forwarded-For is kept before its own address.
    let (_, _, body) = get(
        ingress,
        "WEB-A1B2C3D.localhost",
        "/api/v1/items",
        &[("x-forwarded-for", "10.1.2.3")],
    )
    .await;
    assert!(
        body.starts_with("api-a /api/v1/items ") && body.contains("for=10.1.2.3, 127.0.0.1"),
        "{body}"
    );
    let (_, _, body) = get(ingress, "web-a1b2c3d.localhost", "/apiary", &[]).await;
    assert!(body.starts_with("web-a /apiary "), "{body}");
    // An absolute URI names the host, whatever the Host header says; two Host headers are
    // refused.
    let head = raw(
        ingress,
        "GET http://web-e4f5a6b.localhost/abs HTTP/1.1\r\nHost: web-a1b2c3d.localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 200") && head.contains("web-b /abs host=web-e4f5a6b.localhost "),
        "{head}"
    );
    let head = raw(
        ingress,
        "GET / HTTP/1.1\r\nHost: web-a1b2c3d.localhost\r\nHost: web-e4f5a6b.localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    stop.cancel();
}

#[tokio::test]
async fn an_unknown_host_and_a_service_that_does_not_answer_get_pages_of_ours() {
    // A port nothing listens on: bound, then let go.
    let gone = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (table, _) = Table::new([route("web-a1.localhost", "/", "a1", "web", gone)]);
    let (ingress, stop) = ingress(Routes::new(table)).await;

    let (status, ours, body) = get(ingress, "nope.localhost", "/", &[]).await;
    assert_eq!((status, ours), (404, true));
    assert!(
        body.contains("Nothing here answers nope.localhost") && body.contains("web-a1.localhost"),
        "{body}"
    );
    let (status, ours, body) =
        get(ingress, "web-a1.localhost", "/", &[("accept", "text/html")]).await;
    assert_eq!((status, ours), (502, true));
    assert!(
        body.starts_with("<!doctype html>")
            && body.contains("web of environment a1 does not answer"),
        "{body}"
    );
    assert!(
        body.contains("stagecraft instances logs --environment a1 web"),
        "{body}"
    );
    stop.cancel();
}

#[tokio::test]
async fn a_table_replaced_while_serving_routes_the_next_request() {
    let a = service("first", no_release()).await;
    let b = service("second", no_release()).await;
    let routes = Routes::new(Table::new([route("w.localhost", "/", "a1", "web", a)]).0);
    let (ingress, stop) = ingress(routes.clone()).await;
    assert!(
        get(ingress, "w.localhost", "/", &[])
            .await
            .2
            .starts_with("first ")
    );
    routes.replace(Table::new([route("w.localhost", "/", "a1", "web", b)]).0);
    assert!(
        get(ingress, "w.localhost", "/", &[])
            .await
            .2
            .starts_with("second ")
    );
    stop.cancel();
}

#[tokio::test]
async fn a_streamed_answer_passes_as_it_comes_and_a_large_upload_streams_through() {
    let (release, released) = oneshot::channel();
    let events = service("events", Arc::new(Mutex::new(Some(released)))).await;
    let (table, _) = Table::new([route("e.localhost", "/", "a1", "events", events)]);
    let (ingress, stop) = ingress(Routes::new(table)).await;

    let stream = TcpStream::connect(ingress).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender
        .send_request(
            Request::builder()
                .uri("/stream")
                .header("host", "e.localhost")
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    let mut body = response.into_body();
    // The first event arrives while the service still holds the second: nothing buffers it.
    let mut first = Vec::new();
    while first.len() < "data: one\n\n".len() {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("the first event was held back")
            .unwrap()
            .unwrap();
        first.extend_from_slice(&frame.into_data().unwrap());
    }
    assert_eq!(first, b"data: one\n\n");
    release.send(()).unwrap();
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(rest, "data: two\n\n");

    // 16 MiB sent in 64 KiB chunks as they are made.
    let stream = TcpStream::connect(ingress).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let chunks = futures_util::stream::iter((0..256).map(|_| {
        Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(vec![7u8; 64 * 1024])))
    }));
    let response = sender
        .send_request(
            Request::builder()
                .method("POST")
                .uri("/upload")
                .header("host", "e.localhost")
                .body(StreamBody::new(chunks))
                .unwrap(),
        )
        .await
        .unwrap();
    let counted = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(counted, (16 * 1024 * 1024).to_string());
    stop.cancel();
}

#[tokio::test]
async fn an_upgraded_connection_is_echoed_both_ways() {
    let echo = service("echo", no_release()).await;
    let (table, _) = Table::new([route("ws.localhost", "/", "a1", "socket", echo)]);
    let (ingress, stop) = ingress(Routes::new(table)).await;

    let mut stream = TcpStream::connect(ingress).await.unwrap();
    stream
        .write_all(b"GET /socket HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    for message in ["hello", "and again"] {
        stream.write_all(message.as_bytes()).await.unwrap();
        let mut back = vec![0u8; message.len()];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut back))
            .await
            .expect("no echo")
            .unwrap();
        assert_eq!(back, message.as_bytes());
    }
    stop.cancel();
}

#[tokio::test]
async fn a_client_speaking_http2_is_answered_and_the_service_hears_http1() {
    let web = service("web", no_release()).await;
    let (table, _) = Table::new([route("h2.localhost", "/", "a1", "web", web)]);
    let (ingress, stop) = ingress(Routes::new(table)).await;

    let stream = TcpStream::connect(ingress).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let response = sender
        .send_request(
            Request::builder()
                .uri("http://h2.localhost/x")
                .version(hyper::Version::HTTP_2)
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.starts_with("web /x host=h2.localhost ") && body.ends_with("HTTP/1.1"),
        "{body}"
    );
    stop.cancel();
}

#[tokio::test]
async fn a_refresh_is_answered_once_the_table_was_made_again_and_only_to_its_data_folder() {
    let (asks, mut asked) = mpsc::channel::<stagecraft_ingress::RefreshAsk>(4);
    let routes = Routes::identified(Table::default(), "folder-1").refreshed_by(asks);
    let (ingress, stop) = ingress(routes).await;
    fn refresh(identity: &str, method: &str) -> String {
        format!(
            "{method} / HTTP/1.1\r\nHost: {}\r\n{FROM_INGRESS}: {identity}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            stagecraft_api::REFRESH_HOST
        )
    }

    // Another data folder's, or not a POST: refused, nothing asked.
    for request in [refresh("folder-2", "POST"), refresh("folder-1", "GET")] {
        let answer = raw(ingress, &request).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(asked.try_recv().is_err());
    }

    // Answered only once whoever makes the table says it is done.
    let answer = tokio::spawn(async move { raw(ingress, &refresh("folder-1", "POST")).await });
    let ask = tokio::time::timeout(Duration::from_secs(5), asked.recv())
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!answer.is_finished(), "answered before the table was made");
    ask.send(()).unwrap();
    let answer = answer.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&format!("{FROM_INGRESS}: folder-1")),
        "{answer}"
    );

    // A refresh that could not read the routes answers nobody: 503.
    let answer = tokio::spawn(async move { raw(ingress, &refresh("folder-1", "POST")).await });
    drop(asked.recv().await.unwrap());
    let answer = answer.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    stop.cancel();
}

#[tokio::test]
async fn https_with_the_data_folders_authority_a_certificate_per_hostname() {
    use stagecraft_ingress::{Authority, serve_tls, server_config};

    let data = tempfile::tempdir().unwrap();
    let authority = Authority::load_or_create(data.path()).unwrap();
    let trusted = std::fs::read(&authority.path).unwrap();
    assert!(authority.path.ends_with("ingress-ca/stagecraft-ca.pem"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = authority.path.with_file_name("stagecraft-ca-key.pem");
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is the user's only");
    }
    // Read again, the same authority (its certificate kept, its key signing).
    let again = Authority::load_or_create(data.path()).unwrap();
    assert_eq!(std::fs::read(&again.path).unwrap(), trusted);
    // A certificate that is not its key's is made again (to be trusted again), not used.
    let other = tempfile::tempdir().unwrap();
    let stranger = Authority::load_or_create(other.path()).unwrap();
    std::fs::copy(&stranger.path, &authority.path).unwrap();
    let remade = Authority::load_or_create(data.path()).unwrap();
    let remade_pem = std::fs::read(&remade.path).unwrap();
    assert!(remade_pem != trusted && remade_pem != std::fs::read(&stranger.path).unwrap());
    let trusted = remade_pem;
    let again = remade;

    let web = service("web", no_release()).await;
    let routes = Routes::new(Table::new([route("web.localhost", "/", "a1", "web", web)]).0);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(serve_tls(
        listener,
        routes,
        server_config(again).unwrap(),
        stop.clone(),
    ));

    // A client that trusts the authority only.
    let mut roots = rustls::RootCertStore::empty();
    {
        use rustls::pki_types::pem::PemObject as _;
        for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(&trusted) {
            roots.add(certificate.unwrap()).unwrap();
        }
    }
    let client = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let connect = |name: &'static str| {
        let client = Arc::clone(&client);
        async move {
            let tcp = TcpStream::connect(address).await.unwrap();
            tokio_rustls::TlsConnector::from(client)
                .connect(name.try_into().unwrap(), tcp)
                .await
        }
    };
    let tls = connect("web.localhost")
        .await
        .expect("the certificate is trusted");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender
        .send_request(
            Request::builder()
                .uri("/hello")
                .header("host", "web.localhost")
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.starts_with("web /hello") && body.contains("proto=https"),
        "{body}"
    );

    // A name the authority may not sign for gets no certificate.
    assert!(connect("example.com").await.is_err());
    stop.cancel();
}

#[tokio::test]
async fn each_request_passed_to_a_service_is_told_to_the_access_log() {
    let web = service("web", no_release()).await;
    let (log, mut logged) = mpsc::channel(8);
    let routes = Routes::new(
        Table::new([
            route("w.localhost", "/", "a1", "web", web),
            // Nothing listens there: the ingress answers 502 for it, and says so too.
            route(
                "gone.localhost",
                "/",
                "a1",
                "api",
                "127.0.0.1:9".parse().unwrap(),
            ),
        ])
        .0,
    )
    .logged_to(log);
    let (ingress, stop) = ingress(routes).await;

    assert_eq!(get(ingress, "w.localhost", "/hello?x=1", &[]).await.0, 200);
    assert_eq!(get(ingress, "gone.localhost", "/", &[]).await.0, 502);
    assert_eq!(get(ingress, "nobody.localhost", "/", &[]).await.0, 404);

    let first = logged.recv().await.unwrap();
    assert_eq!(
        (
            first.env_id.as_str(),
            first.service.as_str(),
            first.method.as_str(),
            first.path.as_str(),
            first.status
        ),
        ("a1", "web", "GET", "/hello?…", 200)
    );
    assert!(first.millis > 0.0);
    let second = logged.recv().await.unwrap();
    assert_eq!((second.service.as_str(), second.status), ("api", 502));
    assert!(
        logged.try_recv().is_err(),
        "a host nobody serves is no service's"
    );
    stop.cancel();
}
