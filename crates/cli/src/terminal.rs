//! A session of `instances exec` or `instances terminal` driven from this process's standard
//! streams: standard input read on a thread of its own (a read cannot be cancelled), the
//! command's standard output and error written as they come, and, with a terminal, the local
//! terminal in raw mode (Ctrl-C and Ctrl-D reach the command) and its size followed. The
//! local terminal is restored on every way out: the command's end, an error, a panic.

use std::io::{IsTerminal as _, Read as _, Write as _};

use stagecraft_api::{Error, ExecInput, ExecOutput, ExecSession, TerminalSize};
use stagecraft_engine::Environment;

/// The local terminal's size; 24×80 when there is none.
pub(crate) fn local_size() -> TerminalSize {
    crossterm::terminal::size()
        .map(|(cols, rows)| TerminalSize { rows, cols })
        .unwrap_or(TerminalSize { rows: 24, cols: 80 })
}

/// Whether standard input is a terminal.
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Raw mode while it lives.
struct RawMode;

impl RawMode {
    fn enable() -> Result<Self, Error> {
        crossterm::terminal::enable_raw_mode().map_err(|source| Error::ReadFile {
            path: "<terminal>".into(),
            source,
        })?;
        Ok(Self)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Drives `session`, running in `env`, to its end: standard input to it when `stdin`, its
/// output here, the terminal raw and followed when `tty`. Gives the command's exit code.
pub(crate) async fn drive(
    env: &Environment,
    session: ExecSession,
    stdin: bool,
    tty: bool,
) -> Result<u8, Error> {
    let ExecSession {
        input,
        mut output,
        exit,
        ..
    } = session;
    // Raw only when the keys go to the command: then Ctrl-C is the command's to read.
    let _raw = if tty && stdin && stdin_is_terminal() {
        Some(RawMode::enable()?)
    } else {
        None
    };
    // They hold the input weakly: dropping it below stops the command even while they wait.
    if stdin {
        read_stdin(input.downgrade());
    }
    if tty {
        follow_size(input.downgrade());
    }
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut stopped_by = None;
    // Listened for from here on, once: a signal between two chunks is not missed.
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let chunk = tokio::select! {
            chunk = output.recv() => chunk,
            signal = &mut stop, if stopped_by.is_none() => {
                stopped_by = Some(signal);
                None
            }
        };
        let Some(chunk) = chunk else { break };
        let written = match chunk {
            ExecOutput::Stdout(bytes) => stdout.write_all(&bytes).and_then(|()| stdout.flush()),
            ExecOutput::Stderr(bytes) => stderr.write_all(&bytes).and_then(|()| stderr.flush()),
        };
        // Nobody reads us any more (`| head`): the command is stopped.
        if written.is_err() {
            break;
        }
    }
    // Dropping the input stops the command if it still runs (an interrupt, a closed terminal,
    // a closed pipe); its output then ends.
    drop(input);
    while output.recv().await.is_some() {}
    drop(_raw);
    if let Some(signal) = stopped_by {
        // 128 + the signal's number, as a shell reports a command a signal ended.
        return Ok(128 + signal);
    }
    match exit.await {
        Ok(Ok(Some(code))) => Ok(u8::try_from(code.rem_euclid(256)).unwrap_or(1)),
        Ok(Ok(None)) => {
            eprintln!("stagecraft: the runtime did not say how the command ended");
            Ok(crate::FAILED)
        }
        Ok(Err(error)) => Err(Error::runtime(env, error)),
        Err(_) => Ok(crate::FAILED),
    }
}

/// The first of Ctrl-C (SIGINT), SIGHUP (the terminal closed) and SIGTERM this process gets,
/// by its number: the command is stopped rather than left running in the container.
async fn stop_signal() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind| signal(kind).ok();
        let (mut hangup, mut terminate) = (
            listen(SignalKind::hangup()),
            listen(SignalKind::terminate()),
        );
        let next = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 2,
            _ = next(hangup.take()) => 1,
            _ = next(terminate.take()) => 15,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        2
    }
}

/// Standard input to the session, then its end, read on a thread that never blocks the
/// runtime (the process ends without waiting for it).
fn read_stdin(input: tokio::sync::mpsc::WeakSender<ExecInput>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let message = match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => ExecInput::Eof,
                Ok(n) => ExecInput::Data(buffer[..n].to_vec()),
            };
            let end = message == ExecInput::Eof;
            let sent = input
                .upgrade()
                .is_some_and(|input| input.blocking_send(message).is_ok());
            if end || !sent {
                return;
            }
        }
    });
}

/// Sends the local terminal's size each time it changes: on SIGWINCH where there is one,
/// every 250 ms elsewhere.
fn follow_size(input: tokio::sync::mpsc::WeakSender<ExecInput>) {
    tokio::spawn(async move {
        let mut last = local_size();
        #[cfg(unix)]
        let mut changes =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()) {
                Ok(changes) => changes,
                Err(_) => return,
            };
        loop {
            #[cfg(unix)]
            if changes.recv().await.is_none() {
                return;
            }
            #[cfg(not(unix))]
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let now = local_size();
            if now != last {
                last = now;
                let Some(input) = input.upgrade() else {
                    return;
                };
                if input.send(ExecInput::Resize(now)).await.is_err() {
                    return;
                }
            }
        }
    });
}
