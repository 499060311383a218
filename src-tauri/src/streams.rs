//! Streams to the window over Tauri channels. A stream belongs to the webview that asked for
//! it: when that webview loads a page again (a reload), its streams stop, and the reloaded
//! page asks again from the last `seq` it kept, so it misses nothing and gets nothing twice.
//!
//! A deploy's events come over `deploy_follow` (`Stagecraft::follow`), each as a
//! `FollowMessage::Event` with its progress line (`DeployEvent::progress_line`); the change
//! feed over `changes_follow`, with `resync` for a window that fell behind; a kept log over
//! `log_follow`, in pages. The environment screen shows its newest deploy's lines; they and the
//! last `seq` are kept in the window's session storage
//! (`ui/src/features/environment/timeline/feed.ts`), so a reloaded window shows what it had and
//! asks only for the events after that `seq`; an open log is opened again (its lines come anew
//! from the store, which keeps them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Serialize;
use ts_rs::TS;

/// What a followed deploy sends: its events in `seq` order, then `end` once it has ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FollowMessage {
    #[serde(rename_all = "camelCase")]
    Event {
        #[ts(type = "number")]
        seq: i64,
        at: String,
        /// The engine's event, as the store keeps it.
        event: stagecraft_api::DeployEvent,
        /// The event as a line of progress, in the words the command prints; `null` for the
        /// events too small to show.
        line: Option<String>,
    },
    End,
}

impl FollowMessage {
    pub(crate) fn event(stored: stagecraft_api::StoredEvent) -> Self {
        Self::Event {
            seq: stored.seq,
            at: stored.at,
            line: stored.event.progress_line(),
            event: stored.event,
        }
    }
}

/// What the change feed sends: each change, or `resync` when the window fell behind and
/// should read everything again.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ChangeMessage {
    Change { change: stagecraft_api::Change },
    Resync,
}

/// The streams running now, by id, with the webview each one writes to.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    next: AtomicU32,
    running: Mutex<HashMap<u32, (String, tokio::task::AbortHandle)>>,
}

impl Streams {
    /// Runs `work` as a stream of the webview `label`; gives its id.
    pub(crate) fn start(
        &self,
        label: &str,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> u32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let handle = tauri::async_runtime::spawn(work).inner().abort_handle();
        let mut running = self.lock();
        running.retain(|_, (_, h)| !h.is_finished());
        running.insert(id, (label.to_owned(), handle));
        id
    }

    /// Stops one stream; one that ended already is no error.
    pub(crate) fn stop(&self, id: u32) {
        if let Some((_, handle)) = self.lock().remove(&id) {
            handle.abort();
        }
    }

    /// Stops every stream of the webview `label`: it is loading a page again.
    pub(crate) fn stop_webview(&self, label: &str) -> usize {
        let mut running = self.lock();
        let before = running.len();
        running.retain(|_, (owner, handle)| {
            let keep = owner != label;
            if !keep {
                handle.abort();
            }
            keep
        });
        before - running.len()
    }

    #[cfg(test)]
    fn count(&self) -> usize {
        self.lock()
            .values()
            .filter(|(_, handle)| !handle.is_finished())
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (String, tokio::task::AbortHandle)>> {
        // A panic while the map was held leaves it consistent (each change is one call).
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::Streams;

    #[tokio::test]
    async fn a_reloaded_webview_loses_its_streams_and_only_its_own() {
        let streams = Streams::default();
        let (dropped_tx, mut dropped) = tokio::sync::mpsc::unbounded_channel::<&str>();
        struct Tell(
            tokio::sync::mpsc::UnboundedSender<&'static str>,
            &'static str,
        );
        impl Drop for Tell {
            fn drop(&mut self) {
                let _ = self.0.send(self.1);
            }
        }
        for (label, name) in [("main", "main 1"), ("main", "main 2"), ("other", "other")] {
            let tell = Tell(dropped_tx.clone(), name);
            streams.start(label, async move {
                let _tell = tell;
                std::future::pending::<()>().await;
            });
        }
        assert_eq!(streams.count(), 3);

        assert_eq!(streams.stop_webview("main"), 2);

        let mut stopped = vec![dropped.recv().await.unwrap(), dropped.recv().await.unwrap()];
        stopped.sort_unstable();
        assert_eq!(stopped, ["main 1", "main 2"]);
        assert_eq!(streams.count(), 1);
    }

    #[tokio::test]
    async fn a_stream_stops_by_its_id_and_a_finished_one_is_forgotten() {
        let streams = Streams::default();
        let finished = streams.start("main", async {});
        let pending = streams.start("main", std::future::pending::<()>());
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;

        streams.stop(pending);
        streams.stop(finished);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;

        assert_eq!(streams.count(), 0);
    }
}
