//! `Runtime::exec` on Kubernetes: a command in a running pod of the environment's workload,
//! through the API server's `pods/exec` over WebSocket (kube's `Api::exec`), with the terminal
//! size channel for a TTY.
//!
//! The pod is found by the workload's label in the environment's namespace, never by a name the
//! caller gives; replica `N` is the N-th running pod by name (a Deployment's pods have no
//! numbers), no replica the first ready one. A terminal's command runs through `sh` with the
//! session's marker exported (`stagecraft_engine::marked_command`: an exec cannot set a
//! variable), so a terminal closed while its shell runs stops the shell and what it started by a
//! second exec (`stop_command`); a command without a terminal gets the end of its standard
//! input and runs on if it ignores it (it may have no `sh` to be marked through).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, AttachedProcess, ListParams};
use stagecraft_engine::{
    ExecEnds, ExecExit, ExecInput, ExecOutput, ExecRequest, ExecSession, RuntimeError,
    RuntimeErrorKind, StdinChunk, exec_marker, marked_command, stdin_writer, stop_command,
};
use tokio::io::AsyncReadExt as _;

use crate::cluster::Cluster;
use crate::forward::ready;
use crate::manifest::{LABEL_WORKLOAD, dns_label};

/// How long an ended exec's status may take to come.
const EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a stopped session's processes get to go.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `request` in its workload's pod in `namespace`.
pub(crate) async fn exec(
    cluster: &Cluster,
    namespace: &str,
    request: &ExecRequest,
) -> Result<ExecSession, RuntimeError> {
    let pods: Api<Pod> = Api::namespaced(cluster.client(), namespace);
    let listed = pods
        .list(&ListParams::default().labels(&format!("{LABEL_WORKLOAD}={}", request.workload)))
        .await
        .map_err(|e| crate::runtime::failed(cluster.error("list", "pods", &request.workload, e)))?;
    let pod = choose(listed.items, &request.workload, request.replica)?;
    // The workload's own container: a pod with sidecars has others.
    let container = request
        .workload
        .split_once('.')
        .map(|(_, name)| dns_label(name));
    let marker = exec_marker();
    let command = match request.tty {
        Some(_) => marked_command(&marker, &request.command),
        None => request.command.clone(),
    };
    let mut params = AttachParams::default()
        .stdin(request.stdin)
        .stdout(true)
        .stderr(request.tty.is_none())
        .tty(request.tty.is_some());
    params.container = container.clone();
    let process = pods
        .exec(&pod, command, &params)
        .await
        .map_err(|e| crate::runtime::failed(cluster.error("exec", "pods", &pod, e)))?;
    let (session, ends) = ExecSession::channels(pod.clone());
    let stop = request.tty.map(|_| Stop {
        pods,
        pod,
        container,
        marker,
    });
    tokio::spawn(drive(process, request.tty, stop, ends));
    Ok(session)
}

/// The pod of `workload` to run in.
fn choose(
    mut pods: Vec<Pod>,
    workload: &str,
    replica: Option<u32>,
) -> Result<String, RuntimeError> {
    pods.retain(|pod| {
        pod.metadata.deletion_timestamp.is_none()
            && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
    });
    pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let chosen = match replica {
        Some(wanted) => usize::try_from(wanted).ok().and_then(|i| pods.get(i)),
        None => pods.iter().find(|p| ready(p)).or_else(|| pods.first()),
    };
    chosen
        .and_then(|pod| pod.metadata.name.clone())
        .ok_or_else(|| {
            let message = match replica {
                Some(wanted) => format!(
                    "{workload} has no running replica {wanted} ({} running, counted from 0 by \
                     pod name)",
                    pods.len()
                ),
                None => format!(
                    "{workload} has no running pod: deploy it first (a job's pod can be reached \
                     only while it runs)"
                ),
            };
            RuntimeError::new(message).of_kind(RuntimeErrorKind::NotFound)
        })
}

/// How to stop a terminal's processes when its holder goes.
struct Stop {
    pods: Api<Pod>,
    pod: String,
    container: Option<String>,
    marker: String,
}

impl Stop {
    async fn run(&self) {
        let mut params = AttachParams::default().stdout(true).stderr(true);
        params.container = self.container.clone();
        let stopped = async {
            let mut process = self
                .pods
                .exec(&self.pod, stop_command(&self.marker), &params)
                .await?;
            let status = process.take_status();
            drop(process.stdout());
            drop(process.stderr());
            let ended = match status {
                Some(status) => status.await,
                None => None,
            };
            Ok::<_, kube::Error>(ended.map(|s| exit_code(&s)))
        };
        match tokio::time::timeout(STOP_WAIT, stopped).await {
            Ok(Ok(Some(Ok(Some(0))))) => {}
            outcome => tracing::warn!(
                pod = %self.pod,
                ?outcome,
                "a terminal whose session closed could not be stopped (the image needs sh, grep \
                 and kill): its shell may still run in the pod"
            ),
        }
    }
}

/// Reads at most this much output at once.
const CHUNK: usize = 16 * 1024;

async fn drive(
    mut process: AttachedProcess,
    tty: Option<stagecraft_engine::TerminalSize>,
    stop: Option<Stop>,
    ends: ExecEnds,
) {
    let ExecEnds {
        input: mut user,
        output: sink,
        exit,
    } = ends;
    // Standard input and the terminal's size are written by tasks of their own: output is
    // read even while they wait (kube's pipes hold 1 KiB).
    let (stdin, writer) = match process.stdin() {
        Some(input) => {
            let (stdin, writer) = stdin_writer(input);
            (Some(stdin), Some(writer))
        }
        None => (None, None),
    };
    let sizes = process.terminal_size().map(|mut resize| {
        let (sizes, mut latest) = tokio::sync::watch::channel(tty);
        let task = tokio::spawn(async move {
            // The newest size once there is room for it; none is lost but those replaced.
            loop {
                let size = *latest.borrow_and_update();
                if let Some(size) = size {
                    let ready = std::future::poll_fn(|cx| resize.poll_ready(cx)).await;
                    if ready.is_err() || resize.try_send(terminal(size)).is_err() {
                        return;
                    }
                }
                if latest.changed().await.is_err() {
                    return;
                }
            }
        });
        (sizes, task.abort_handle())
    });
    let mut stdout = process.stdout();
    let mut stderr = process.stderr();
    let status = process.take_status();
    let (mut out_buffer, mut err_buffer) = (vec![0; CHUNK], vec![0; CHUNK]);
    // A chunk of input waiting for room in the writer's queue; no more is read meanwhile.
    let mut pending: Option<StdinChunk> = None;
    loop {
        tokio::select! {
            read = read_some(stdout.as_mut(), &mut out_buffer) => match read {
                Some(n) => { let _ = sink.send(ExecOutput::Stdout(out_buffer[..n].to_vec())).await; }
                None => stdout = None,
            },
            read = read_some(stderr.as_mut(), &mut err_buffer) => match read {
                Some(n) => { let _ = sink.send(ExecOutput::Stderr(err_buffer[..n].to_vec())).await; }
                None => stderr = None,
            },
            room = reserve(stdin.as_ref()), if pending.is_some() => {
                if let (Some(room), Some(chunk)) = (room, pending.take()) {
                    room.send(chunk);
                }
            },
            message = user.recv(), if pending.is_none() => match message {
                Some(ExecInput::Data(bytes)) => pending = Some(StdinChunk::Data(bytes)),
                Some(ExecInput::Eof) => pending = Some(StdinChunk::Eof),
                Some(ExecInput::Resize(size)) => {
                    if let Some((sizes, _)) = sizes.as_ref() {
                        sizes.send_replace(Some(size));
                    }
                }
                None => {
                    // The writer's end closes the command's input; a terminal's shell is
                    // stopped besides.
                    if let Some(writer) = writer.as_ref() {
                        writer.abort();
                    }
                    if let Some(stop) = stop.as_ref() {
                        stop.run().await;
                    }
                    process.abort();
                    break;
                }
            },
        }
        if stdout.is_none() && stderr.is_none() {
            break;
        }
    }
    if let Some(writer) = writer {
        writer.abort();
    }
    if let Some((_, task)) = sizes {
        task.abort();
    }
    // The status comes before the stream closes; its sender dropped without one says nothing.
    let ended: ExecExit = match status {
        Some(status) => match tokio::time::timeout(EXIT_WAIT, status).await {
            Ok(Some(status)) => exit_code(&status),
            Ok(None) | Err(_) => Ok(None),
        },
        None => Ok(None),
    };
    drop(process);
    let _ = exit.send(ended);
}

/// Room for one chunk in the writer's queue; `None` when there is no writer or it ended.
async fn reserve(
    stdin: Option<&tokio::sync::mpsc::Sender<StdinChunk>>,
) -> Option<tokio::sync::mpsc::Permit<'_, StdinChunk>> {
    stdin?.reserve().await.ok()
}

/// Reads into `buffer` from `reader`; `None` at its end. Without a reader, never ends.
async fn read_some(
    reader: Option<&mut tokio::io::ReadHalf<tokio::io::SimplexStream>>,
    buffer: &mut [u8],
) -> Option<usize> {
    match reader {
        Some(reader) => match reader.read(buffer).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}

fn terminal(size: stagecraft_engine::TerminalSize) -> kube::api::TerminalSize {
    kube::api::TerminalSize {
        width: size.cols,
        height: size.rows,
    }
}

/// The exit code an exec's status says: `Success` is 0; a `NonZeroExitCode` names its code in
/// its causes; any other failure (a command the image lacks) is the API server's message.
pub(crate) fn exit_code(
    status: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Status,
) -> ExecExit {
    if status.status.as_deref() == Some("Success") {
        return Ok(Some(0));
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
        })
        .and_then(|cause| cause.message.as_deref()?.parse().ok());
    match code {
        Some(code) => Ok(Some(code)),
        None => Err(RuntimeError::new(format!(
            "the command could not run: {}",
            status
                .message
                .as_deref()
                .unwrap_or("the cluster gave no reason")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::exit_code;

    fn status(value: serde_json::Value) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Status {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn an_execs_status_gives_its_exit_code_or_its_reason() {
        assert_eq!(
            exit_code(&status(serde_json::json!({"status": "Success"}))).ok(),
            Some(Some(0))
        );
        let failed = status(serde_json::json!({
            "status": "Failure", "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}
        }));
        assert_eq!(exit_code(&failed).ok(), Some(Some(3)));
        let missing = status(serde_json::json!({
            "status": "Failure", "reason": "InternalError",
            "message": "exec: \"nope\": executable file not found in $PATH"
        }));
        let error = exit_code(&missing).unwrap_err();
        assert!(
            error.to_string().contains("executable file not found"),
            "{error}"
        );
    }
}
