//! Readiness probes. An exec probe runs in the container; an HTTP probe goes to the port the
//! engine publishes on 127.0.0.1, which works the same on Linux and on the VMs of Docker
//! Desktop and Colima, where container addresses are not reachable from the host.

use std::time::Duration;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Why a probe found a container not ready: the probe's answer, not a failure of Stagecraft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotReady(pub String);

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn not_ready(error: impl std::fmt::Display) -> NotReady {
    NotReady(error.to_string())
}

/// The longest one probe may take when the template does not say (`timeout_seconds`), more
/// generous than Kubernetes' default second.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `command` in `container`: ready when it exits 0 within `limit`.
pub(crate) async fn exec(
    docker: &Docker,
    container: &str,
    command: &[String],
    limit: Duration,
) -> Result<(), NotReady> {
    let run = async {
        let created = docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(command.to_vec()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(not_ready)?;
        if let StartExecResults::Attached { mut output, .. } = docker
            .start_exec(&created.id, None)
            .await
            .map_err(not_ready)?
        {
            while output.next().await.is_some() {}
        }
        let inspect = docker.inspect_exec(&created.id).await.map_err(not_ready)?;
        match inspect.exit_code {
            Some(0) => Ok(()),
            Some(code) => Err(NotReady(format!("exited with code {code}"))),
            None => Err(NotReady("still running".to_owned())),
        }
    };
    tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| Err(NotReady(format!("no answer within {} s", limit.as_secs()))))
}

/// `GET path` on 127.0.0.1:`port`, within `limit`: ready on a 2xx or 3xx status, as
/// Kubernetes decides.
pub(crate) async fn http_get(port: u16, path: &str, limit: Duration) -> Result<(), NotReady> {
    let head = first_bytes(port, path, limit).await?;
    let line = String::from_utf8_lossy(&head);
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| NotReady("no HTTP answer".to_owned()))?;
    if (200..400).contains(&status) {
        Ok(())
    } else {
        Err(NotReady(format!("status {status}")))
    }
}

/// How long a connection to a published port must stay open (or say something) to count as
/// one a program took.
const LISTENING_AFTER: Duration = Duration::from_millis(300);

/// Whether a program listens behind 127.0.0.1:`port`. Docker's port proxy accepts a
/// connection even when nothing listens in the container, and closes it at once; a program
/// keeps it open waiting for a request (or greets first). Nothing is sent, so any protocol
/// passes: HTTP, a database's, a WebSocket server's.
pub(crate) async fn listening(port: u16) -> Result<(), NotReady> {
    let mut stream = tokio::time::timeout(
        PROBE_TIMEOUT,
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .map_err(|_| NotReady("no connection within 5 s".to_owned()))?
    .map_err(not_ready)?;
    let mut byte = [0u8; 1];
    match tokio::time::timeout(LISTENING_AFTER, stream.read(&mut byte)).await {
        // Still open, or a greeting: taken.
        Err(_) | Ok(Ok(1..)) => Ok(()),
        Ok(Ok(0)) => Err(NotReady("closed at once: nothing listens yet".to_owned())),
        Ok(Err(error)) => Err(not_ready(error)),
    }
}

/// What 127.0.0.1:`port` says first (up to its first line) to `GET path`, within `limit`. One
/// request, one line read: a client library would add nothing here.
async fn first_bytes(port: u16, path: &str, limit: Duration) -> Result<Vec<u8>, NotReady> {
    let run = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(not_ready)?;
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: stagecraft-probe\r\nConnection: close\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(not_ready)?;
        let mut head = Vec::new();
        let mut buffer = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < 4096 {
            let read = stream.read(&mut buffer).await.map_err(not_ready)?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        Ok(head)
    };
    tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| Err(NotReady(format!("no answer within {} s", limit.as_secs()))))
}
