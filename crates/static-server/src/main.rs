//! `stagecraft-static-server`: the file server of a static service.
//!
//! Stagecraft builds a static service (`static: true` in a Release template) into an image
//! FROM scratch holding this program and the site's files in `/site`; this program is the
//! image's entry point and answers HTTP/1.1 on port 8080 of every address of the container.
//! The files are served by tower-http's `ServeDir` (content types, ranges, conditional
//! requests, `index.html` for a folder, precompressed `.br`/`.gz` siblings when the client
//! takes them). A path that is not a file and whose last segment has no extension
//! (`/orders/42`) gets the site's `index.html` (a single-page app's client-side routes, as a
//! CDN in front of a static site is usually set up); another missing path gets the site's
//! `404.html` when there is one, with status 404.
//!
//! `stagecraft-static-server --check` is the readiness probe: it exits 0 when the server
//! answers on 127.0.0.1:8080, 1 when it does not. `--site DIR` and `--listen ADDR` change
//! where the files are and where it listens (for tests). SIGTERM stops it at once.

use std::convert::Infallible;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tower::ServiceExt as _;
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::{ServeDir, ServeFile};

/// Where the image keeps the site's files.
const SITE: &str = "/site";
/// The port a static service listens on in its container.
const PORT: u16 = 8080;
/// The readiness probe's `User-Agent`: its requests are not logged.
const PROBE_AGENT: &str = "stagecraft-static-server-check";

fn main() -> ExitCode {
    let mut site = PathBuf::from(SITE);
    let mut listen = SocketAddr::from(([0, 0, 0, 0], PORT));
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--site" | "--listen" => {
                let Some(value) = args.next() else {
                    return usage(&format!("`{arg}` needs a value"));
                };
                if arg == "--site" {
                    site = PathBuf::from(value);
                } else {
                    match value.parse() {
                        Ok(addr) => listen = addr,
                        Err(_) => {
                            return usage(&format!("`{value}` is not an address and port"));
                        }
                    }
                }
            }
            _ => return usage(&format!("`{arg}` is not understood")),
        }
    }
    if check {
        return if answers(SocketAddr::from(([127, 0, 0, 1], listen.port()))) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("stagecraft-static-server: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(site, listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("stagecraft-static-server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "stagecraft-static-server: {problem}\n\
         usage: stagecraft-static-server [--site DIR] [--listen ADDR:PORT] | --check"
    );
    ExitCode::from(2)
}

/// Whether an HTTP server answers at `addr` within two seconds: any status line will do.
fn answers(addr: SocketAddr) -> bool {
    let timeout = Duration::from_secs(2);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if stream
        .write_all(
            format!("HEAD / HTTP/1.0\r\nHost: localhost\r\nUser-Agent: {PROBE_AGENT}\r\n\r\n")
                .as_bytes(),
        )
        .is_err()
    {
        return false;
    }
    let mut head = [0_u8; 8];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Serves `site` on `listen` until SIGTERM or Ctrl-C.
async fn run(site: PathBuf, listen: SocketAddr) -> std::io::Result<()> {
    if !site.is_dir() {
        return Err(std::io::Error::other(format!(
            "the site's folder {} does not exist",
            site.display()
        )));
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    log(&format!(
        "serving {} on http://{}",
        site.display(),
        listener.local_addr()?
    ));
    tokio::select! {
        result = serve(listener, site) => result,
        () = stopped() => Ok(()),
    }
}

/// Resolves on SIGTERM (what `docker stop` and Kubernetes send; as PID 1 the default would be
/// to ignore it) or Ctrl-C.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Accepts connections for ever, each served on a task of its own.
async fn serve(listener: tokio::net::TcpListener, site: PathBuf) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // An answer's head and body are written apart: without this, Nagle's algorithm holds
        // the body until the client's delayed ACK (40 ms on Linux) on a kept-alive connection.
        let _ = stream.set_nodelay(true);
        let site = site.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let site = site.clone();
                async move { Ok::<_, Infallible>(respond(&site, request).await) }
            });
            // A client that goes away mid-answer is not the server's failure.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Answer = Response<ServeFileSystemResponseBody>;

/// The answer to `request` from the files of `site`, and one line of log for it.
async fn respond(site: &Path, request: Request<Incoming>) -> Answer {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let probe = headers
        .get(http::header::USER_AGENT)
        .is_some_and(|agent| agent == PROBE_AGENT);
    let dir = ServeDir::new(site)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip();
    let mut answer = match dir.oneshot(request).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    if answer.status() == StatusCode::NOT_FOUND && (method == Method::GET || method == Method::HEAD)
    {
        let index = site.join("index.html");
        let missing = site.join("404.html");
        if is_route(&path) && index.is_file() {
            answer = file(&index, &method, &headers).await;
        } else if missing.is_file() {
            answer = file(&missing, &method, &headers).await;
            *answer.status_mut() = StatusCode::NOT_FOUND;
        }
    }
    // The readiness probe asks every second: its requests would bury the site's.
    if !probe {
        log(&format!("{method} {path} {}", answer.status().as_u16()));
    }
    answer
}

/// One line of the server's log, on its standard output (the container's log).
fn log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// `path` served from one file, with the request's method and headers (for conditional
/// requests and encodings).
async fn file(path: &Path, method: &Method, headers: &http::HeaderMap) -> Answer {
    let mut request = Request::new(http_body_util::Empty::<bytes::Bytes>::new());
    *request.method_mut() = method.clone();
    *request.headers_mut() = headers.clone();
    // Conditions and ranges were about the path asked for, not this file.
    for name in [
        http::header::IF_NONE_MATCH,
        http::header::IF_MODIFIED_SINCE,
        http::header::RANGE,
    ] {
        request.headers_mut().remove(name);
    }
    match ServeFile::new(path).oneshot(request).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    }
}

/// Whether `path` looks like a client-side route of a single-page app (its last segment has
/// no extension), not a missing asset.
fn is_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !last.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        let status = text[9..12].parse().unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    }

    fn site(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "stagecraft-static-server-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("../outside.txt"), "outside").unwrap();
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    async fn started(site: PathBuf) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, site));
        addr
    }

    #[tokio::test]
    async fn files_folders_routes_and_missing_assets() {
        let addr = started(site(
            "full",
            &[
                ("index.html", "home"),
                ("docs/index.html", "docs"),
                ("app.js", "js"),
                ("404.html", "not here"),
            ],
        ))
        .await;
        assert_eq!(get(addr, "/").await, (200, "home".into()));
        assert_eq!(get(addr, "/app.js").await, (200, "js".into()));
        assert_eq!(get(addr, "/docs/").await, (200, "docs".into()));
        // A client-side route gets the app; a missing asset gets the site's 404 page.
        assert_eq!(get(addr, "/orders/42").await, (200, "home".into()));
        assert_eq!(get(addr, "/missing.png").await, (404, "not here".into()));
        // Nothing outside the site, though a file is there.
        assert_eq!(get(addr, "/../outside.txt").await.0, 404);
        assert_eq!(get(addr, "/%2e%2e/outside.txt").await.0, 404);
        // The probe blocks: off the runtime that serves.
        assert!(
            tokio::task::spawn_blocking(move || answers(addr))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_site_without_index_or_404_page_answers_404() {
        let addr = started(site("bare", &[("only.txt", "x")])).await;
        assert_eq!(get(addr, "/").await.0, 404);
        assert_eq!(get(addr, "/route").await.0, 404);
        assert_eq!(get(addr, "/only.txt").await, (200, "x".into()));
    }

    #[test]
    fn routes_are_paths_without_an_extension() {
        assert!(is_route("/"));
        assert!(is_route("/orders/42"));
        assert!(!is_route("/static/app.3f2a.js"));
    }

    #[test]
    fn nobody_answering_is_not_ready() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert!(!answers(addr));
    }
}
