//! A pass-through proxy on the Docker socket that measures how long Stagecraft waits on Docker:
//! the time during which at least one of its requests has no complete answer yet. The rest of
//! a command's wall time is the engine's own: starting up, reading the template, hashing
//! contexts, writing its history, and sleeping between readiness probes.
//!
//! It reads just enough HTTP/1.1 to find where each answer ends (Content-Length, chunked
//! bodies, and connections taken over by `attach` or `exec`, which end when closed).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use crate::Error;

#[derive(Debug, Default)]
struct Busy {
    /// Connections with a request whose answer has not ended.
    pending: usize,
    since: Option<Instant>,
    total: Duration,
    /// Busy periods with the request that opened each, kept for `--trace`.
    periods: Vec<Period>,
}

/// A stretch of time during which Docker had at least one request outstanding.
#[derive(Debug, Clone)]
pub struct Period {
    pub start: Instant,
    pub end: Instant,
    pub first: String,
}

/// The time Docker spent answering, summed over the moments any request was outstanding.
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<Mutex<Busy>>);

impl Meter {
    fn start(&self, request: &str) {
        let Ok(mut busy) = self.0.lock() else { return };
        if busy.pending == 0 {
            let now = Instant::now();
            busy.since = Some(now);
            busy.periods.push(Period {
                start: now,
                end: now,
                first: request.to_owned(),
            });
        }
        busy.pending += 1;
    }

    fn end(&self) {
        let Ok(mut busy) = self.0.lock() else { return };
        busy.pending = busy.pending.saturating_sub(1);
        if busy.pending == 0
            && let Some(since) = busy.since.take()
        {
            busy.total += since.elapsed();
            if let Some(period) = busy.periods.last_mut() {
                period.end = Instant::now();
            }
        }
    }

    /// The busy periods that began at or after `since`.
    pub fn periods(&self, since: Instant) -> Vec<Period> {
        let Ok(busy) = self.0.lock() else {
            return Vec::new();
        };
        busy.periods
            .iter()
            .filter(|p| p.start >= since)
            .cloned()
            .collect()
    }

    /// Docker's busy time so far, including a request still outstanding.
    pub fn total(&self) -> Duration {
        let Ok(busy) = self.0.lock() else {
            return Duration::ZERO;
        };
        busy.total + busy.since.map_or(Duration::ZERO, |s| s.elapsed())
    }
}

/// Where an answer stands, read from the engine's bytes.
#[derive(Debug)]
enum Answer {
    Headers(Vec<u8>),
    Length(u64),
    ChunkSize(Vec<u8>),
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd(usize),
    Trailers(Vec<u8>),
    /// Until the connection closes: raw streams after an upgrade, or bodies without a length.
    UntilClose,
    Done,
}

impl Answer {
    /// Feeds the engine's bytes; true when the answer ended within them.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            match self {
                Answer::Headers(head) => {
                    head.extend_from_slice(bytes);
                    let Some(end) = find(head, b"\r\n\r\n") else {
                        return false;
                    };
                    let rest = head.split_off(end + 4);
                    *self = Self::after_headers(head);
                    // Bytes after the headers belong to the body; re-read them below.
                    return self.feed_owned(rest);
                }
                Answer::Length(left) => {
                    let n = (*left).min(bytes.len() as u64);
                    *left -= n;
                    bytes = &bytes[n as usize..];
                    if *left == 0 {
                        *self = Answer::Done;
                    }
                }
                Answer::ChunkSize(line) => {
                    line.extend_from_slice(bytes);
                    let Some(end) = find(line, b"\r\n") else {
                        return false;
                    };
                    let rest = line.split_off(end + 2);
                    let text = String::from_utf8_lossy(&line[..end]);
                    let size = text.split(';').next().unwrap_or("0").trim();
                    let size = u64::from_str_radix(size, 16).unwrap_or(0);
                    *self = if size == 0 {
                        Answer::Trailers(b"\r\n".to_vec())
                    } else {
                        Answer::ChunkData(size)
                    };
                    return self.feed_owned(rest);
                }
                Answer::ChunkData(left) => {
                    let n = (*left).min(bytes.len() as u64);
                    *left -= n;
                    bytes = &bytes[n as usize..];
                    if *left == 0 {
                        *self = Answer::ChunkEnd(2);
                    }
                }
                Answer::ChunkEnd(left) => {
                    let n = (*left).min(bytes.len());
                    *left -= n;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        *self = Answer::ChunkSize(Vec::new());
                    }
                }
                Answer::Trailers(seen) => {
                    // The last chunk's CRLF is already in `seen`; the answer ends at an
                    // empty line.
                    seen.extend_from_slice(bytes);
                    if seen.ends_with(b"\r\n\r\n") {
                        *self = Answer::Done;
                    }
                    return matches!(self, Answer::Done);
                }
                Answer::UntilClose => return false,
                Answer::Done => return true,
            }
        }
        matches!(self, Answer::Done)
    }

    fn feed_owned(&mut self, rest: Vec<u8>) -> bool {
        if rest.is_empty() {
            matches!(self, Answer::Done)
        } else {
            self.feed(&rest)
        }
    }

    fn after_headers(head: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            return Answer::Headers(Vec::new());
        }
        if status == 101 {
            return Answer::UntilClose;
        }
        if status == 204 || status == 304 {
            return Answer::Done;
        }
        let header = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
            return Answer::ChunkSize(Vec::new());
        }
        match header("content-length:").and_then(|v| v.parse::<u64>().ok()) {
            Some(0) => Answer::Done,
            Some(n) => Answer::Length(n),
            None => Answer::UntilClose,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn connection(client: UnixStream, upstream: PathBuf, meter: Meter) {
    let Ok(engine) = UnixStream::connect(&upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut engine_read, mut engine_write) = engine.into_split();
    // One request at a time per connection, as HTTP/1.1 clients without pipelining send.
    let answer: Arc<Mutex<Option<Answer>>> = Arc::default();
    let requests = {
        let answer = answer.clone();
        let meter = meter.clone();
        async move {
            let mut buffer = vec![0u8; 64 * 1024];
            let mut measuring = true;
            loop {
                let n = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if let Ok(mut answer) = answer.lock()
                    && answer.is_none()
                {
                    *answer = Some(Answer::Headers(Vec::new()));
                    if measured(&buffer[..n]) {
                        meter.start(&request_line(&buffer[..n]));
                    } else {
                        // Streams that last as long as their reader wants are not waits.
                        *answer = Some(Answer::UntilClose);
                        measuring = false;
                    }
                }
                if engine_write.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
            let _ = engine_write.shutdown().await;
            measuring
        }
    };
    let answers = {
        let answer = answer.clone();
        let meter = meter.clone();
        async move {
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = match engine_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if let Ok(mut answer) = answer.lock()
                    && let Some(current) = answer.as_mut()
                    && current.feed(&buffer[..n])
                {
                    *answer = None;
                    meter.end();
                }
                if client_write.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
            let _ = client_write.shutdown().await;
        }
    };
    let (measuring, ()) = tokio::join!(requests, answers);
    if let Ok(mut answer) = answer.lock()
        && answer.take().is_some()
        && measuring
    {
        meter.end();
    }
}

fn request_line(request: &[u8]) -> String {
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    format!("{method} {}", path.split('?').next().unwrap_or_default())
}

/// Whether a request is a wait on Docker. Followed logs and events stream for as long as the
/// reader keeps them open, and a build's session runs beside the build request that is
/// measured; they are passed through without being counted.
fn measured(request: &[u8]) -> bool {
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let path = line.split_whitespace().nth(1).unwrap_or_default();
    let path = path.split('?').collect::<Vec<_>>();
    let (route, query) = (path[0], path.get(1).copied().unwrap_or_default());
    !(query
        .split('&')
        .any(|q| q == "follow=true" || q == "follow=1")
        || route.ends_with("/events")
        || route.ends_with("/session")
        || route.ends_with("/grpc"))
}

/// Starts the proxy at `socket` on a thread of its own, forwarding to the engine's `upstream`
/// socket; the benchmark's commands keep running meanwhile.
pub fn start(socket: &Path, upstream: &Path) -> Result<Meter, Error> {
    let meter = Meter::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::File {
            path: socket.to_owned(),
            source,
        })?;
    let listener = {
        let _guard = runtime.enter();
        UnixListener::bind(socket).map_err(|source| Error::File {
            path: socket.to_owned(),
            source,
        })?
    };
    let upstream = upstream.to_owned();
    let shared = meter.clone();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(connection(client, upstream.clone(), shared.clone()));
            }
        });
    });
    Ok(meter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(parts: &[&[u8]]) -> Vec<bool> {
        let mut answer = Answer::Headers(Vec::new());
        parts.iter().map(|p| answer.feed(p)).collect()
    }

    #[test]
    fn an_answer_with_a_length_ends_after_its_body_even_when_split() {
        assert_eq!(
            answer(&[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", b"cde"]),
            [false, true]
        );
        assert_eq!(
            answer(&[b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 2\r\n\r\nab"]),
            [false, true]
        );
    }

    #[test]
    fn a_chunked_stream_ends_at_its_last_chunk_not_before() {
        assert_eq!(
            answer(&[
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"",
                b"\r\n3\r\n}\r\n\r\n",
                b"0\r\n",
                b"\r\n"
            ]),
            [false, false, false, true]
        );
        assert_eq!(
            answer(&[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"]),
            [true]
        );
    }

    #[test]
    fn followed_logs_events_and_build_sessions_are_not_waits() {
        assert!(measured(b"POST /exec/abc/start HTTP/1.1\r\nHost: d\r\n"));
        assert!(measured(
            b"GET /containers/x/logs?tail=5&follow=false HTTP/1.1\r\n"
        ));
        assert!(!measured(
            b"GET /containers/x/logs?follow=true&stdout=true HTTP/1.1\r\n"
        ));
        assert!(!measured(b"GET /v1.41/events?filters=x HTTP/1.1\r\n"));
        assert!(!measured(b"POST /session HTTP/1.1\r\nUpgrade: h2c\r\n"));
    }

    #[test]
    fn no_body_answers_end_with_their_headers_and_upgrades_last_until_closed() {
        assert_eq!(answer(&[b"HTTP/1.1 204 No Content\r\n\r\n"]), [true]);
        assert_eq!(
            answer(&[b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n"]),
            [true]
        );
        assert_eq!(
            answer(&[
                b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\n\r\n",
                b"output"
            ]),
            [false, false]
        );
        assert_eq!(
            answer(&[
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n{"
            ]),
            [true]
        );
    }
}
