//! Terminals in the window (the environment's Terminal tab): each an `ExecSession` of a shell
//! in a service's container, its output sent over a Tauri channel, its keys and size sent
//! back by commands. A terminal ends when its shell exits, when the window closes it, when its
//! webview loads again, or when the app exits: closing drops the session's input, and the
//! runtime stops the shell and what it started (`stagecraft_engine::stop_command`), so no
//! shell is left running in the container. Keys and output pass through memory only: nothing
//! typed is logged or stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use serde::Serialize;
use stagecraft_api::{ExecInput, ExecOutput, ExecSession, TerminalSize};
use ts_rs::TS;

/// What a terminal sends the window: its output, then how its shell ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TerminalMessage {
    /// Bytes the shell wrote (UTF-8 split anywhere), base64-encoded.
    Output { data: String },
    /// The shell ended: its exit code when the runtime said it, or why it broke.
    #[serde(rename_all = "camelCase")]
    Exit {
        #[ts(type = "number | null")]
        code: Option<i64>,
        error: Option<String>,
    },
}

/// Output sent to the window in one message at most: output that comes faster than the window
/// takes it goes in fewer, larger messages.
const MESSAGE_BYTES: usize = 64 * 1024;

/// Output sent and not yet drawn, at most (and the message that reached it): past it the
/// terminal waits for the window to say it drew some (`terminal_ack`), so a fast writer (`cat`
/// of a large file) slows down to what the window draws instead of queueing megabytes in it
/// and stalling its frames. The shell's own output waits in the runtime's pipe meanwhile, as
/// it would behind a slow terminal.
const IN_FLIGHT: u64 = 512 * 1024;

/// How long the app waits at exit for its terminals' shells to be stopped.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

struct Open {
    webview: String,
    input: tokio::sync::mpsc::Sender<ExecInput>,
    /// Bytes the window says it drew, in all.
    drawn: tokio::sync::watch::Sender<u64>,
    pump: tauri::async_runtime::JoinHandle<()>,
}

/// The open terminals, by id.
#[derive(Default)]
pub(crate) struct Terminals {
    next: AtomicU32,
    open: Mutex<HashMap<u32, Open>>,
    /// How many times each webview loaded a page again: a terminal that finishes opening
    /// after its page went is closed at once, not left to a page that never asked for it.
    loads: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for Terminals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminals")
            .field("open", &self.lock().len())
            .finish()
    }
}

impl Terminals {
    /// The page the webview `label` shows now, to give [`Terminals::open`].
    pub(crate) fn page(&self, label: &str) -> u64 {
        lock(&self.loads).get(label).copied().unwrap_or(0)
    }

    /// Takes `session` for the webview `label`, its output sent to `send` until it ends
    /// (`send` false: nobody listens any more); gives its id. `None`, and the session closed
    /// (its shell stopped), when the webview loaded another page since `page`.
    pub(crate) fn open(
        &self,
        label: &str,
        page: u64,
        session: ExecSession,
        send: impl Fn(TerminalMessage) -> bool + Send + 'static,
    ) -> Option<u32> {
        if self.page(label) != page {
            return None;
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let ExecSession {
            input,
            mut output,
            exit,
            ..
        } = session;
        let (drawn, mut drawn_rx) = tokio::sync::watch::channel(0u64);
        let pump = tauri::async_runtime::spawn(async move {
            let encoder = base64::engine::general_purpose::STANDARD;
            let mut listening = true;
            let mut sent = 0u64;
            while let Some(first) = output.recv().await {
                let mut bytes = chunk(first);
                while bytes.len() < MESSAGE_BYTES
                    && let Ok(next) = output.try_recv()
                {
                    bytes.extend(chunk(next));
                }
                // A closed terminal has nobody drawing: its output is only drained.
                while listening && sent.saturating_sub(*drawn_rx.borrow()) > IN_FLIGHT {
                    listening = drawn_rx.changed().await.is_ok();
                }
                if listening {
                    sent += bytes.len() as u64;
                    listening = send(TerminalMessage::Output {
                        data: encoder.encode(&bytes),
                    });
                }
            }
            let message = match exit.await {
                Ok(Ok(code)) => TerminalMessage::Exit { code, error: None },
                Ok(Err(error)) => TerminalMessage::Exit {
                    code: None,
                    error: Some(error.to_string()),
                },
                Err(_) => TerminalMessage::Exit {
                    code: None,
                    error: None,
                },
            };
            if listening {
                send(message);
            }
        });
        let mut open = self.lock();
        open.retain(|_, t| !t.pump.inner().is_finished());
        open.insert(
            id,
            Open {
                webview: label.to_owned(),
                input,
                drawn,
                pump,
            },
        );
        Some(id)
    }

    /// Keys typed (or pasted) into terminal `id`.
    pub(crate) async fn input(&self, id: u32, data: Vec<u8>) {
        self.send(id, ExecInput::Data(data)).await;
    }

    /// The window drew `bytes` more of terminal `id`'s output.
    pub(crate) fn drawn(&self, id: u32, bytes: u64) {
        if let Some(terminal) = self.lock().get(&id) {
            terminal.drawn.send_modify(|drawn| *drawn += bytes);
        }
    }

    /// Terminal `id`'s new size.
    pub(crate) async fn resize(&self, id: u32, size: TerminalSize) {
        self.send(id, ExecInput::Resize(size)).await;
    }

    async fn send(&self, id: u32, message: ExecInput) {
        let input = self.lock().get(&id).map(|t| t.input.clone());
        // A terminal whose shell ended takes no more keys: its window says it ended.
        if let Some(input) = input {
            let _ = input.send(message).await;
        }
    }

    /// Closes terminal `id`: its shell is stopped. One closed already is no error.
    pub(crate) fn close(&self, id: u32) {
        self.lock().remove(&id);
    }

    /// Closes every terminal of the webview `label`: it is loading a page again.
    pub(crate) fn close_webview(&self, label: &str) -> usize {
        *lock(&self.loads).entry(label.to_owned()).or_default() += 1;
        let mut open = self.lock();
        let before = open.len();
        open.retain(|_, t| t.webview != label);
        before - open.len()
    }

    /// Closes every terminal and waits (for a bounded time) until their shells are stopped:
    /// the app is exiting, and would take the stopping with it.
    pub(crate) async fn close_all(&self) {
        let pumps: Vec<_> = self.lock().drain().map(|(_, t)| t.pump).collect();
        let _ = tokio::time::timeout(CLOSE_WAIT, futures_util::future::join_all(pumps)).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Open>> {
        lock(&self.open)
    }
}

/// Each change is one call: a panic while a map was held leaves it consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn chunk(output: ExecOutput) -> Vec<u8> {
    match output {
        ExecOutput::Stdout(bytes) | ExecOutput::Stderr(bytes) => bytes,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use stagecraft_api::{ExecOutput, ExecSession};

    use super::{IN_FLIGHT, MESSAGE_BYTES, TerminalMessage, Terminals};

    #[tokio::test]
    async fn a_terminal_that_opens_after_its_page_went_is_closed_at_once() {
        let terminals = Terminals::default();
        let page = terminals.page("main");
        assert_eq!(terminals.close_webview("main"), 0);
        let (opened, mut ends) = ExecSession::channels("web-1");
        assert!(terminals.open("main", page, opened, |_| true).is_none());
        // Its input is gone: the runtime stops the shell.
        assert!(ends.input.recv().await.is_none());
        let (opened, _ends) = ExecSession::channels("web-1");
        let page = terminals.page("main");
        assert!(terminals.open("main", page, opened, |_| true).is_some());
    }

    #[tokio::test]
    async fn output_waits_for_the_window_to_draw_what_it_was_sent() {
        let terminals = Terminals::default();
        let (opened, ends) = ExecSession::channels("web-1");
        let sent = Arc::new(Mutex::new(0usize));
        let counted = Arc::clone(&sent);
        let id = terminals
            .open("main", 0, opened, move |message| {
                if let TerminalMessage::Output { data } = message {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD.decode(data);
                    *counted.lock().unwrap() += bytes.unwrap().len();
                }
                true
            })
            .unwrap();
        // Far more than may be in flight, in chunks the pump takes one message at a time.
        let writer = tokio::spawn(async move {
            for _ in 0..64 {
                if ends
                    .output
                    .send(ExecOutput::Stdout(vec![b'x'; 64 * 1024]))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let before = *sent.lock().unwrap();
        assert!(
            before as u64 <= IN_FLIGHT + MESSAGE_BYTES as u64,
            "{before} sent undrawn"
        );
        assert!(before > 0);
        terminals.drawn(id, before as u64);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(*sent.lock().unwrap() > before, "more came once drawn");
        terminals.close(id);
        writer.abort();
    }
}
