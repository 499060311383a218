//! The build context through BuildKit's file-sync session, as the `docker` command sends it:
//! the engine asks for the files it needs, and for a context it has seen before (the same
//! shared key) only the files that changed travel. A tar context instead travels whole every
//! time and is unpacked by a separate `dockerd` process per build, which costs the engine
//! about a fifth more CPU per small build (BENCHMARKS.md, P3).
//!
//! bollard's BuildKit builds always open their own session without a file-sync source, so
//! this module opens the session (`POST /session`, upgraded to HTTP/2, where the engine calls
//! us over gRPC) and sends the `/build` request itself; the build's answer is read as bollard's
//! `BuildInfo`. The file-sync protocol is fsutil's: the sender lists every entry (`STAT`, in
//! path order, an empty one at the end), the engine asks for files by their index (`REQ`),
//! each file goes as `DATA` packets ending with an empty one, and `FIN` ends the exchange.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bollard::models::BuildInfo;
use bollard_buildkit_proto::fsutil::types::packet::PacketType;
use bollard_buildkit_proto::fsutil::types::{Packet, Stat};
use bollard_buildkit_proto::health::health_check_response::ServingStatus;
use bollard_buildkit_proto::health::health_server::{Health, HealthServer};
use bollard_buildkit_proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard_buildkit_proto::moby::filesync::packet::file_sync_server::{FileSync, FileSyncServer};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use globset::{GlobBuilder, GlobMatcher};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::TokioIo;
use stagecraft_engine::RuntimeError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use crate::context::{Context, Ignore};

/// Where the engine listens, when this module can reach it itself.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl Endpoint {
    /// `unix:///…` and plain `tcp://` or `http://`; anything else (TLS, named pipes) builds
    /// from a tar instead.
    pub(crate) fn parse(endpoint: &str) -> Option<Endpoint> {
        if let Some(path) = endpoint.strip_prefix("unix://") {
            return Some(Endpoint::Unix(PathBuf::from(path)));
        }
        // A TCP engine behind TLS is left to bollard, which speaks it.
        if std::env::var_os("DOCKER_TLS_VERIFY").is_some()
            || std::env::var_os("DOCKER_CERT_PATH").is_some()
        {
            return None;
        }
        endpoint
            .strip_prefix("tcp://")
            .or_else(|| endpoint.strip_prefix("http://"))
            .map(|address| Endpoint::Tcp(address.trim_end_matches('/').to_owned()))
    }

    async fn connect(&self) -> std::io::Result<Io> {
        match self {
            #[cfg(unix)]
            Endpoint::Unix(path) => Ok(Io::Unix(tokio::net::UnixStream::connect(path).await?)),
            #[cfg(not(unix))]
            Endpoint::Unix(_) => Err(std::io::Error::other("unix sockets need a Unix system")),
            Endpoint::Tcp(address) => Ok(Io::Tcp(tokio::net::TcpStream::connect(address).await?)),
        }
    }
}

/// A connection to the engine.
enum Io {
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_flush(cx),
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            Io::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The session's connection once upgraded: the engine speaks HTTP/2 to our gRPC server on it.
struct Upgraded(TokioIo<hyper::upgrade::Upgraded>);

impl tonic::transport::server::Connected for Upgraded {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Upgraded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

fn failed(what: &str, error: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::new(format!("{what}: {error}"))
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn http(endpoint: &Endpoint) -> Result<Sender, RuntimeError> {
    let io = endpoint
        .connect()
        .await
        .map_err(|e| failed("connecting to the Docker engine", e))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| failed("speaking HTTP to the Docker engine", e))?;
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    Ok(sender)
}

/// The folders the engine may read through the session: `context` and `dockerfile`.
#[derive(Debug, Clone)]
struct Dirs {
    context_root: PathBuf,
    /// The context's entries `.dockerignore` keeps, in path order.
    context_entries: Vec<String>,
    dockerfile_root: PathBuf,
    dockerfile_name: String,
}

/// A running session; the gRPC server stops when it is dropped.
pub(crate) struct Session {
    pub(crate) id: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const DIFF_COPY: &str = "/moby.filesync.v1.FileSync/DiffCopy";
const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";

/// Opens a session serving `context`'s files. Its shared key is the context's folder, so the
/// engine keeps what it received for the next build of the same folder.
pub(crate) async fn open(
    endpoint: &Endpoint,
    context: &Context,
    id: &str,
) -> Result<(Session, String), RuntimeError> {
    let (dockerfile_root, dockerfile_name) = match context.outside_dockerfile() {
        Some(path) => (
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        None => {
            let path = context.root().join(context.dockerfile());
            (
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        }
    };
    let dirs = Arc::new(Dirs {
        context_root: context.root().to_owned(),
        context_entries: context.entries().to_vec(),
        dockerfile_root,
        dockerfile_name: dockerfile_name.clone(),
    });
    let mut sender = http(endpoint).await?;
    let shared_key = format!("{:x}", fnv(&context.root().to_string_lossy()));
    let request = http::Request::post("/session")
        .header(http::header::HOST, "docker")
        .header(http::header::CONNECTION, "Upgrade")
        .header(http::header::UPGRADE, "h2c")
        .header("X-Docker-Expose-Session-Uuid", id)
        .header("X-Docker-Expose-Session-Name", "stagecraft")
        .header("X-Docker-Expose-Session-Sharedkey", &shared_key)
        .header("X-Docker-Expose-Session-Grpc-Method", DIFF_COPY)
        .header("X-Docker-Expose-Session-Grpc-Method", HEALTH_CHECK)
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed("opening a build session", e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed("opening a build session", e))?;
    if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        return Err(RuntimeError::new(format!(
            "the engine refused a build session ({})",
            response.status()
        )));
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|e| failed("opening a build session", e))?;
    let io = Upgraded(TokioIo::new(upgraded));
    let server = tokio::spawn(async move {
        let result = tonic::transport::Server::builder()
            .add_service(HealthServer::new(Healthy))
            .add_service(FileSyncServer::new(Provider { dirs }))
            .serve_with_incoming(futures_util::stream::iter([Ok::<_, std::io::Error>(io)]))
            .await;
        if let Err(error) = result {
            tracing::debug!(%error, "the build session ended");
        }
    });
    Ok((
        Session {
            id: id.to_owned(),
            server,
        },
        dockerfile_name,
    ))
}

/// Sends `/build` with the context read from `session`, and returns the engine's answers as
/// bollard reads them.
pub(crate) async fn build(
    endpoint: &Endpoint,
    query: &[(&str, String)],
) -> Result<impl Stream<Item = Result<BuildInfo, RuntimeError>>, RuntimeError> {
    let encoded = {
        let mut encoded = form_urlencoded::Serializer::new(String::new());
        for (key, value) in query {
            encoded.append_pair(key, value);
        }
        encoded.finish()
    };
    let mut sender = http(endpoint).await?;
    let request = http::Request::post(format!("/build?{encoded}"))
        .header(http::header::HOST, "docker")
        .header(http::header::CONTENT_TYPE, "application/x-tar")
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed("starting the build", e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed("starting the build", e))?;
    let status = response.status();
    let body = response.into_body();
    if !status.is_success() {
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let message = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        return Err(RuntimeError::new(format!(
            "the engine refused the build ({status}): {message}"
        )));
    }
    // The answer is JSON objects one after another (one per line); frames may split them.
    let frames = body.into_data_stream();
    Ok(futures_util::stream::unfold(
        (frames, Vec::<u8>::new(), false),
        |(mut frames, mut pending, mut ended)| async move {
            loop {
                if let Some(at) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=at).collect();
                    let line = line.trim_ascii();
                    if line.is_empty() {
                        continue;
                    }
                    let item = serde_json::from_slice::<BuildInfo>(line)
                        .map_err(|e| failed("reading the engine's build answer", e));
                    return Some((item, (frames, pending, ended)));
                }
                if ended {
                    let rest = std::mem::take(&mut pending);
                    let rest = rest.trim_ascii();
                    if rest.is_empty() {
                        return None;
                    }
                    let item = serde_json::from_slice::<BuildInfo>(rest)
                        .map_err(|e| failed("reading the engine's build answer", e));
                    return Some((item, (frames, pending, ended)));
                }
                match frames.next().await {
                    Some(Ok(bytes)) => pending.extend_from_slice(&bytes),
                    Some(Err(error)) => {
                        ended = true;
                        return Some((
                            Err(failed("reading the engine's build answer", error)),
                            (frames, pending, ended),
                        ));
                    }
                    None => ended = true,
                }
            }
        },
    ))
}

/// FNV-1a, for a shared key that names a folder without spelling it out.
fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

struct Healthy;

#[tonic::async_trait]
impl Health for Healthy {
    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn check(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _request: Request<HealthListRequest>,
    ) -> Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list"))
    }

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch"))
    }
}

struct Provider {
    dirs: Arc<Dirs>,
}

type PacketStream = Pin<Box<dyn Stream<Item = Result<Packet, Status>> + Send + 'static>>;

/// The bytes of a file go in packets of this size, as fsutil sends them.
const CHUNK: usize = 32 * 1024;

#[tonic::async_trait]
impl FileSync for Provider {
    type DiffCopyStream = PacketStream;
    type TarStreamStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let values = |key: &str| -> Vec<String> {
            request
                .metadata()
                .get_all(key)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect()
        };
        let dir = values("dir-name").into_iter().next().unwrap_or_default();
        let includes = values("include-patterns");
        let excludes = values("exclude-patterns");
        let (root, entries) = match dir.as_str() {
            "context" => (
                self.dirs.context_root.clone(),
                self.dirs.context_entries.clone(),
            ),
            "dockerfile" => (
                self.dirs.dockerfile_root.clone(),
                vec![self.dirs.dockerfile_name.clone()],
            ),
            other => {
                return Err(Status::not_found(format!(
                    "no folder {other} in this session"
                )));
            }
        };
        let entries = select(&root, entries, &includes, &excludes)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let mut incoming = request.into_inner();
        let (tx, rx) = mpsc::channel::<Result<Packet, Status>>(64);
        let entries = Arc::new(entries);
        let root = Arc::new(root);
        // Entries are listed while the engine already asks for files.
        {
            let tx = tx.clone();
            let entries = Arc::clone(&entries);
            tokio::spawn(async move {
                for (_, stat) in entries.iter() {
                    let packet = Packet {
                        r#type: PacketType::PacketStat as i32,
                        stat: Some(stat.clone()),
                        ..Packet::default()
                    };
                    if tx.send(Ok(packet)).await.is_err() {
                        return;
                    }
                }
                let _ = tx
                    .send(Ok(Packet {
                        r#type: PacketType::PacketStat as i32,
                        ..Packet::default()
                    }))
                    .await;
            });
        }
        tokio::spawn(async move {
            while let Ok(Some(packet)) = incoming.message().await {
                match PacketType::try_from(packet.r#type) {
                    Ok(PacketType::PacketReq) => {
                        let Some((path, _)) =
                            usize::try_from(packet.id).ok().and_then(|i| entries.get(i))
                        else {
                            let _ = tx.send(Err(Status::invalid_argument("no such file"))).await;
                            return;
                        };
                        let file = root.join(path);
                        if let Err(error) = send_file(&file, packet.id, &tx).await {
                            let _ = tx
                                .send(Ok(Packet {
                                    r#type: PacketType::PacketErr as i32,
                                    data: format!("{}: {error}", file.display()).into_bytes(),
                                    ..Packet::default()
                                }))
                                .await;
                            return;
                        }
                        let end = Packet {
                            r#type: PacketType::PacketData as i32,
                            id: packet.id,
                            ..Packet::default()
                        };
                        if tx.send(Ok(end)).await.is_err() {
                            return;
                        }
                    }
                    Ok(PacketType::PacketFin) => {
                        let _ = tx
                            .send(Ok(Packet {
                                r#type: PacketType::PacketFin as i32,
                                ..Packet::default()
                            }))
                            .await;
                        return;
                    }
                    Ok(PacketType::PacketErr) => return,
                    _ => {}
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn tar_stream(
        &self,
        _request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::TarStreamStream>, Status> {
        Err(Status::unimplemented("tar streams are not offered"))
    }
}

/// A file's bytes as `DATA` packets, read a chunk at a time so a large file is never held
/// whole in memory.
async fn send_file(
    file: &Path,
    id: u32,
    tx: &mpsc::Sender<Result<Packet, Status>>,
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt as _;
    let mut reader = tokio::fs::File::open(file).await?;
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        chunk.truncate(n);
        let data = Packet {
            r#type: PacketType::PacketData as i32,
            id,
            data: chunk,
            ..Packet::default()
        };
        if tx.send(Ok(data)).await.is_err() {
            return Err(std::io::Error::other("the engine stopped reading"));
        }
    }
}

fn matcher(pattern: &str) -> Result<GlobMatcher, RuntimeError> {
    Ok(GlobBuilder::new(pattern.trim_start_matches('/'))
        .literal_separator(true)
        .build()
        .map_err(|e| failed(&format!("the pattern `{pattern}`"), e))?
        .compile_matcher())
}

/// The entries the engine asked for, with their stats, in path order: those matching an
/// include pattern (or inside a folder that does) when it gives any, less those its exclude
/// patterns (`.dockerignore` rules) name, plus the folders that hold them.
fn select(
    root: &Path,
    entries: Vec<String>,
    includes: &[String],
    excludes: &[String],
) -> Result<Vec<(String, Stat)>, RuntimeError> {
    let includes: Vec<GlobMatcher> = includes
        .iter()
        .map(|p| matcher(p))
        .collect::<Result<_, _>>()?;
    let excludes = Ignore::parse("the engine's exclude patterns", &excludes.join("\n"))?;
    let kept_by_includes = |path: &str| {
        includes.is_empty()
            || includes.iter().any(|m| {
                m.is_match(path)
                    || path
                        .match_indices('/')
                        .any(|(at, _)| m.is_match(&path[..at]))
            })
    };
    let mut kept: BTreeSet<String> = BTreeSet::new();
    for path in entries {
        if kept_by_includes(&path) && !excludes.excludes(&path) {
            // The folders that hold it come first: the engine writes in order.
            for (at, _) in path.match_indices('/') {
                kept.insert(path[..at].to_owned());
            }
            kept.insert(path);
        }
    }
    // Path order as fsutil compares: component by component.
    let mut kept: Vec<String> = kept.into_iter().collect();
    kept.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    let mut out = Vec::with_capacity(kept.len());
    for path in kept {
        let full = root.join(&path);
        let metadata = std::fs::symlink_metadata(&full)
            .map_err(|e| failed(&format!("{}", full.display()), e))?;
        let stat = stat(&path, &full, &metadata);
        out.push((path, stat));
    }
    Ok(out)
}

/// Go's `os.FileMode` bits, which fsutil sends.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;
const MODE_SETUID: u32 = 1 << 23;
const MODE_SETGID: u32 = 1 << 22;
const MODE_STICKY: u32 = 1 << 20;

fn stat(path: &str, full: &Path, metadata: &std::fs::Metadata) -> Stat {
    #[cfg(unix)]
    let unix = {
        use std::os::unix::fs::PermissionsExt as _;
        metadata.permissions().mode()
    };
    #[cfg(not(unix))]
    let unix: u32 = if metadata.is_dir() { 0o755 } else { 0o644 };
    let mut mode = unix & 0o777;
    if unix & 0o4000 != 0 {
        mode |= MODE_SETUID;
    }
    if unix & 0o2000 != 0 {
        mode |= MODE_SETGID;
    }
    if unix & 0o1000 != 0 {
        mode |= MODE_STICKY;
    }
    let file_type = metadata.file_type();
    let mut linkname = String::new();
    if file_type.is_dir() {
        mode |= MODE_DIR;
    } else if file_type.is_symlink() {
        mode |= MODE_SYMLINK;
        linkname = std::fs::read_link(full)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    let mod_time = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Stat {
        path: path.to_owned(),
        mode,
        // As the `docker` command sends a context: owned by root in the image.
        uid: 0,
        gid: 0,
        size: if file_type.is_file() {
            i64::try_from(metadata.len()).unwrap_or(i64::MAX)
        } else {
            0
        },
        mod_time,
        linkname,
        ..Stat::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_in_path_order_with_their_folders_and_only_what_was_asked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/c.txt"), "c").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch").unwrap();
        let entries = vec![
            "Dockerfile".to_owned(),
            "a".to_owned(),
            "a/b".to_owned(),
            "a/b/c.txt".to_owned(),
            "a.txt".to_owned(),
        ];
        let all = select(dir.path(), entries.clone(), &[], &[]).unwrap();
        let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["Dockerfile", "a", "a/b", "a/b/c.txt", "a.txt"]);
        assert_eq!(all[1].1.mode & MODE_DIR, MODE_DIR);
        assert_eq!(all[3].1.size, 1);

        let only = select(dir.path(), entries.clone(), &["a/b/c.txt".to_owned()], &[]).unwrap();
        let paths: Vec<&str> = only.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a", "a/b", "a/b/c.txt"]);

        let less = select(dir.path(), entries, &[], &["a".to_owned()]).unwrap();
        let paths: Vec<&str> = less.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["Dockerfile", "a.txt"]);
    }
}
