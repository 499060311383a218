//! A command in a running container of a workload ([`Runtime::exec`](crate::Runtime::exec)):
//! what is asked ([`ExecRequest`]), and the session it gives ([`ExecSession`]) as channels, so
//! the CLI, the window and the tests drive a Docker exec and a Kubernetes exec alike.
//!
//! A session ends when its command exits (its code comes on `exit`) or when its holder drops
//! `input` first: then the runtime stops the command and everything it started (on Docker
//! always; on Kubernetes a terminal's, whose command it can mark; a command without a terminal
//! there gets the end of its input), because neither Docker nor Kubernetes stops an exec whose
//! client went away (a shell would be left running in the container). Each session's
//! processes carry [`EXEC_MARKER`] in their environment, which is how [`stop_command`] finds
//! them (a program that rewrites its environment, or one run as another user, escapes it).

use tokio::sync::{mpsc, oneshot};

use crate::RuntimeError;

/// The size of a terminal, in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalSize {
    pub rows: u16,
    pub cols: u16,
}

/// What to run, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// `services.<name>` or `jobs.<name>`.
    pub workload: String,
    /// Which replica, counted from 0 (Docker's replica label; a Deployment's pods by name);
    /// `None`: the first running one.
    pub replica: Option<u32>,
    /// The program and its arguments, run without a shell around them.
    pub command: Vec<String>,
    /// A pseudo-terminal of this size (standard error then comes with standard output, as on
    /// any terminal); `None`: plain pipes, standard output and error kept apart.
    pub tty: Option<TerminalSize>,
    /// Whether the command reads standard input from the session's `input`.
    pub stdin: bool,
}

/// What the holder of a session sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecInput {
    /// Bytes for the command's standard input (a terminal's keys).
    Data(Vec<u8>),
    /// The terminal's new size.
    Resize(TerminalSize),
    /// The end of standard input; the command goes on.
    Eof,
}

/// What the command writes, as it comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutput {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

/// How a command ended: its exit code when the runtime says it.
pub type ExecExit = Result<Option<i64>, RuntimeError>;

/// A running command. Drop `input` to stop it (and what it started, as the module says); read
/// `output` to its end, then `exit`.
#[derive(Debug)]
pub struct ExecSession {
    /// The container (Docker) or pod (Kubernetes) it runs in.
    pub container: String,
    pub input: mpsc::Sender<ExecInput>,
    /// Ends once the command has exited or was stopped.
    pub output: mpsc::Receiver<ExecOutput>,
    pub exit: oneshot::Receiver<ExecExit>,
}

/// The runtime's side of a session: it reads `input`, writes `output` and says how it ended.
#[derive(Debug)]
pub struct ExecEnds {
    pub input: mpsc::Receiver<ExecInput>,
    pub output: mpsc::Sender<ExecOutput>,
    pub exit: oneshot::Sender<ExecExit>,
}

/// Chunks of output in flight at once: a reader that falls behind slows the command down
/// rather than filling memory.
const OUTPUT_CHUNKS: usize = 64;

impl ExecSession {
    /// A session in `container` and the ends a runtime drives it through.
    pub fn channels(container: impl Into<String>) -> (Self, ExecEnds) {
        let (input, input_rx) = mpsc::channel(64);
        let (output_tx, output) = mpsc::channel(OUTPUT_CHUNKS);
        let (exit_tx, exit) = oneshot::channel();
        (
            Self {
                container: container.into(),
                input,
                output,
                exit,
            },
            ExecEnds {
                input: input_rx,
                output: output_tx,
                exit: exit_tx,
            },
        )
    }
}

/// What a session's standard-input writer is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdinChunk {
    Data(Vec<u8>),
    Eof,
}

/// Chunks of standard input queued for the writer at most.
const STDIN_CHUNKS: usize = 16;

/// Writes a session's standard input on a task of its own, so a runtime's drive loop keeps
/// reading the command's output while a write waits (a command that reads nothing until its
/// output is read would otherwise hold both for ever). The loop keeps a chunk aside while the
/// queue is full (`Sender::reserve`) and reads no more input meanwhile; the writer ends at
/// `Eof`, at a failed write, or when aborted.
pub fn stdin_writer<W>(mut writer: W) -> (mpsc::Sender<StdinChunk>, tokio::task::AbortHandle)
where
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio::io::AsyncWriteExt as _;
    let (chunks, mut queued) = mpsc::channel::<StdinChunk>(STDIN_CHUNKS);
    let task = tokio::spawn(async move {
        while let Some(chunk) = queued.recv().await {
            match chunk {
                StdinChunk::Data(bytes) => {
                    // A command that stopped reading has exited or closed its input: its
                    // output and exit say which.
                    if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                        return;
                    }
                }
                StdinChunk::Eof => {
                    let _ = writer.shutdown().await;
                    return;
                }
            }
        }
    });
    (chunks, task.abort_handle())
}

/// The variable each session's processes carry, set to the session's own [`exec_marker`].
pub const EXEC_MARKER: &str = "STAGECRAFT_EXEC";

/// A new session's marker: 32 hex digits, unguessable and never a prefix of another's.
pub fn exec_marker() -> String {
    use sha2::Digest as _;
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let digest = sha2::Sha256::digest(format!(
        "{}/{}/{count}/{:p}",
        std::process::id(),
        now.as_nanos(),
        &COUNT
    ));
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The command, run in the same container, that stops every process of the session `marker`:
/// a hangup (a shell's own way out, passed to its jobs), then a kill a second later for what
/// ignored it. Needs `sh`, `grep` and `kill` in the image (busybox has them); without them the
/// runtime says the process may be left.
pub fn stop_command(marker: &str) -> Vec<String> {
    const SCRIPT: &str = r#"m="STAGECRAFT_EXEC=$1"
pids() { for f in /proc/[0-9]*/environ; do grep -q "$m" "$f" 2>/dev/null && { p=${f#/proc/}; echo "${p%/environ}"; }; done; }
left=$(pids); [ -n "$left" ] || exit 0
kill -HUP $left 2>/dev/null; sleep 1
left=$(pids); [ -n "$left" ] && kill -KILL $left 2>/dev/null; exit 0"#;
    ["sh", "-c", SCRIPT, "stagecraft-stop", marker]
        .map(str::to_owned)
        .to_vec()
}

/// `command` run with [`EXEC_MARKER`] set, for a runtime that cannot set a variable on an exec
/// (Kubernetes): through `sh`, which a terminal's image has.
pub fn marked_command(marker: &str, command: &[String]) -> Vec<String> {
    let mut marked = [
        "sh",
        "-c",
        r#"export STAGECRAFT_EXEC="$0"; exec "$@""#,
        marker,
    ]
    .map(str::to_owned)
    .to_vec();
    marked.extend(command.iter().cloned());
    marked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_differ_and_stop_commands_name_them() {
        let (a, b) = (exec_marker(), exec_marker());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        let stop = stop_command(&a);
        assert_eq!(stop.last(), Some(&a));
        assert!(stop[2].contains(&format!("{EXEC_MARKER}=$1")));
        let marked = marked_command(&a, &["bash".to_owned()]);
        assert_eq!(marked[3], a);
        assert_eq!(marked[4], "bash");
    }
}
