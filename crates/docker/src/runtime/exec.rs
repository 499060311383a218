//! `Runtime::exec` on Docker: a command in a running container of the environment's workload
//! through the engine's exec API (create, start attached, resize, inspect for the exit code).
//!
//! The container is found by the environment's labels, never by a name the caller gives. Each
//! exec carries the session's marker in its environment; when the holder drops the session
//! before the command exits, the marked processes are stopped by a second exec
//! (`stagecraft_engine::stop_command`): Docker leaves an exec running when its client goes.

use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{ContainerSummary, ContainerSummaryStateEnum};
use futures_util::StreamExt as _;
use stagecraft_engine::{
    EXEC_MARKER, EnvironmentRef, ExecEnds, ExecExit, ExecInput, ExecOutput, ExecRequest,
    ExecSession, RuntimeError, RuntimeErrorKind, StdinChunk, TerminalSize, exec_marker,
    stdin_writer, stop_command,
};

use super::errors::failed;
use super::names::summary_name;
use super::{DockerRuntime, LABEL_REPLICA, label};

/// How long an ended exec may take to say its exit code.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(10);

/// How long a stopped session's processes get to go before its output is left.
const STOP_WAIT: Duration = Duration::from_secs(5);

impl DockerRuntime {
    pub(super) async fn exec_in(
        &self,
        env: &EnvironmentRef,
        request: &ExecRequest,
    ) -> Result<ExecSession, RuntimeError> {
        let docker = self.client().await?;
        let containers = self
            .workload_containers(&docker, env, Some(&request.workload))
            .await?;
        // Not in an old replica draining after a patch: it is on its way out.
        let draining = self.draining(env, &containers).await;
        let containers: Vec<ContainerSummary> = containers
            .into_iter()
            .filter(|c| !draining.contains(&summary_name(c)))
            .collect();
        let container = choose(&containers, &request.workload, request.replica)?;
        let marker = exec_marker();
        let tty = request.tty.is_some();
        let created = docker
            .create_exec(
                &container,
                CreateExecOptions {
                    attach_stdin: Some(request.stdin),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(tty),
                    env: Some(vec![format!("{EXEC_MARKER}={marker}")]),
                    cmd: Some(request.command.clone()),
                    ..CreateExecOptions::default()
                },
            )
            .await
            .map_err(|e| failed(format!("running a command in {container}"), e))?;
        let started = docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    tty,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(|e| failed(format!("running a command in {container}"), e))?;
        let StartExecResults::Attached { output, input } = started else {
            return Err(RuntimeError::new(format!(
                "the engine ran the command in {container} detached: nothing to attach to"
            )));
        };
        if let Some(size) = request.tty {
            resize(&docker, &created.id, size).await;
        }
        let (session, ends) = ExecSession::channels(container.clone());
        let exec = Exec {
            docker,
            container,
            id: created.id,
            marker,
        };
        tokio::spawn(exec.drive(output, input, ends));
        Ok(session)
    }
}

/// The running container of `workload` to run in: replica `replica`, or the first running one.
fn choose(
    containers: &[ContainerSummary],
    workload: &str,
    replica: Option<u32>,
) -> Result<String, RuntimeError> {
    let mut running: Vec<(u32, String)> = containers
        .iter()
        .filter(|c| c.state == Some(ContainerSummaryStateEnum::RUNNING))
        .map(|c| {
            let index = label(c, LABEL_REPLICA)
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            (index, summary_name(c))
        })
        .collect();
    running.sort();
    let chosen = match replica {
        Some(wanted) => running.into_iter().find(|(index, _)| *index == wanted),
        None => running.into_iter().next(),
    };
    chosen.map(|(_, name)| name).ok_or_else(|| {
        let message = match replica {
            Some(wanted) => format!(
                "{workload} has no running replica {wanted}: `stagecraft environments get` shows \
                 its replicas (counted from 0)"
            ),
            None if containers.is_empty() => format!(
                "{workload} has no container in this environment: deploy it first (a job's \
                 container can be reached only while it runs)"
            ),
            None => format!(
                "{workload} has no running container: its status says why; deploy again to \
                 start it"
            ),
        };
        RuntimeError::new(message).of_kind(RuntimeErrorKind::NotFound)
    })
}

async fn resize(docker: &Docker, exec_id: &str, size: TerminalSize) {
    let options = ResizeExecOptions {
        height: size.rows,
        width: size.cols,
    };
    // A command that just exited has no terminal to resize: nothing is lost.
    if let Err(error) = docker.resize_exec(exec_id, options).await {
        tracing::debug!(%error, "a terminal was not resized");
    }
}

/// One exec being driven.
struct Exec {
    docker: Docker,
    container: String,
    id: String,
    marker: String,
}

type Output = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
>;
type Input = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

impl Exec {
    /// Passes input in and output out until the command ends, or stops it when the holder
    /// goes; then says how it ended. Standard input is written by a task of its own
    /// (`stdin_writer`): output is read even while a write waits.
    async fn drive(self, mut output: Output, input: Input, ends: ExecEnds) {
        let ExecEnds {
            input: mut user,
            output: sink,
            exit,
        } = ends;
        let (stdin, writer) = stdin_writer(input);
        // A chunk of input waiting for room in the writer's queue; no more is read meanwhile.
        let mut pending: Option<StdinChunk> = None;
        let mut failure = None;
        loop {
            tokio::select! {
                chunk = output.next() => match chunk {
                    Some(Ok(LogOutput::StdErr { message })) => {
                        let _ = sink.send(ExecOutput::Stderr(message.to_vec())).await;
                    }
                    Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                        let _ = sink.send(ExecOutput::Stdout(message.to_vec())).await;
                    }
                    Some(Ok(LogOutput::StdIn { .. })) => {}
                    Some(Err(error)) => {
                        failure = Some(failed(format!("reading a command's output in {}", self.container), error));
                        break;
                    }
                    None => break,
                },
                room = stdin.reserve(), if pending.is_some() => {
                    // A writer that ended (the command closed its input) drops the rest.
                    if let (Ok(room), Some(chunk)) = (room, pending.take()) {
                        room.send(chunk);
                    }
                },
                message = user.recv(), if pending.is_none() => match message {
                    Some(ExecInput::Data(bytes)) => pending = Some(StdinChunk::Data(bytes)),
                    Some(ExecInput::Eof) => pending = Some(StdinChunk::Eof),
                    Some(ExecInput::Resize(size)) => resize(&self.docker, &self.id, size).await,
                    None => {
                        writer.abort();
                        self.stop().await;
                        // The stopped command's last output ends the stream; do not wait on
                        // it for ever.
                        let _ = tokio::time::timeout(STOP_WAIT, async {
                            while output.next().await.is_some() {}
                        })
                        .await;
                        break;
                    }
                },
            }
        }
        writer.abort();
        // The command has usually exited even when its stream broke: its code is still asked.
        let code = self.exit_code().await;
        let ended: ExecExit = match (failure, code) {
            (Some(error), None) => Err(error),
            (_, code) => Ok(code),
        };
        let _ = exit.send(ended);
    }

    /// The exit code once the engine has it.
    async fn exit_code(&self) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + EXIT_CODE_WAIT;
        loop {
            match self.docker.inspect_exec(&self.id).await {
                Ok(inspect) if inspect.running != Some(true) => return inspect.exit_code,
                Ok(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(_) => return None,
                Err(error) => {
                    tracing::debug!(%error, "an exec's exit code could not be read");
                    return None;
                }
            }
        }
    }

    /// Stops the session's processes: its holder is gone.
    async fn stop(&self) {
        let stopped = async {
            let created = self
                .docker
                .create_exec(
                    &self.container,
                    CreateExecOptions {
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        cmd: Some(stop_command(&self.marker)),
                        ..CreateExecOptions::default()
                    },
                )
                .await?;
            if let StartExecResults::Attached { mut output, .. } =
                self.docker.start_exec(&created.id, None).await?
            {
                while output.next().await.is_some() {}
            }
            let code = self.docker.inspect_exec(&created.id).await?.exit_code;
            Ok::<_, bollard::errors::Error>(code)
        };
        match tokio::time::timeout(STOP_WAIT, stopped).await {
            Ok(Ok(Some(0))) => {}
            outcome => tracing::warn!(
                container = %self.container,
                ?outcome,
                "a command whose session closed could not be stopped (the image needs sh, grep \
                 and kill): it may still run in the container"
            ),
        }
    }
}
