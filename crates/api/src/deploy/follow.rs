//! Following a deploy: its stored events from a `seq` on, then the new ones as they come, with
//! no gap and no duplicate, until the deploy ends.
//!
//! `Stagecraft::follow` replays a deploy's events from a `seq` and then follows it: events this
//! process stores reach followers through a broadcast channel as they are written; events
//! another process stores are read from the database every 500 ms (SQLite tells no other
//! process about a write). A gap in the live feed, or a lagging follower, is filled from the
//! database, so nothing is missed or repeated. A follower ends after the deploy's
//! `stage_finished` (or `deploy_interrupted`), or when it finds the deploy finished twice in a
//! row with no such event (a process killed between its last two writes).
//!
//! Events are typed at every hop: the runner's `DeployEvent` is stored as JSON and read back as
//! a `DeployEvent` (`StoredEvent { seq, at, event }`; a row this Stagecraft cannot read,
//! written by a newer one, is left out with a warning); the shell sends it to the window with
//! its progress line (`DeployEvent::progress_line`, the one place that wording is written,
//! which `deploys create --wait` prints too), and the UI gets the generated union.

use std::time::Duration;

use stagecraft_store::deploy::{self, StoredEvent};
use tokio::sync::{broadcast, mpsc};

use crate::{Error, Stagecraft};

/// An event this process just stored, for followers in the same process.
#[derive(Debug, Clone)]
pub(crate) struct LiveEvent {
    pub deploy_id: i64,
    pub event: StoredEvent,
}

/// How often a follower looks in the database for events another process (the CLI, or the
/// app) stored: SQLite tells no other process about a write.
const OTHER_PROCESSES_EVERY: Duration = Duration::from_millis(500);

impl Stagecraft {
    /// The deploy's events after `after_seq` (0 for all), then its new ones as they are
    /// stored, here or by another process, in `seq` order without a gap or a duplicate. The
    /// channel closes after the event that ends the deploy; drop the receiver to stop early.
    pub async fn follow(
        &self,
        deploy_id: i64,
        after_seq: i64,
    ) -> Result<mpsc::Receiver<StoredEvent>, Error> {
        deploy::by_id(self.store.pool(), deploy_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "deploy",
                name: deploy_id.to_string(),
            })?;
        // Subscribe before reading the past, so nothing stored in between is missed.
        let mut live = self.deploys.live.subscribe();
        let store = self.store.clone();
        let (sender, receiver) = mpsc::channel(1024);
        tokio::spawn(async move {
            let mut last = after_seq;
            let mut catch_up = true;
            let mut finished_before = false;
            loop {
                if catch_up {
                    catch_up = false;
                    // Read before the events. A deploy found finished twice in a row, with no
                    // ending event between (a process killed between its last two writes),
                    // ends its followers too: the second look leaves time for an end that is
                    // written just after the status (a queued deploy cancelled unrun).
                    let finished = deploy::by_id(store.pool(), deploy_id)
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|d| d.status.is_finished());
                    let Ok(stored) = deploy::events_after(store.pool(), deploy_id, last).await
                    else {
                        return;
                    };
                    for event in stored {
                        last = event.seq;
                        let ends = event.event.ends_deploy();
                        if sender.send(event).await.is_err() || ends {
                            return;
                        }
                    }
                    if finished && finished_before {
                        return;
                    }
                    finished_before = finished;
                }
                tokio::select! {
                    received = live.recv() => match received {
                        Ok(LiveEvent { deploy_id: id, event }) if id == deploy_id && event.seq > last => {
                            if event.seq != last + 1 {
                                // Events written by another process came first: read them.
                                catch_up = true;
                                continue;
                            }
                            last = event.seq;
                            let ends = event.event.ends_deploy();
                            if sender.send(event).await.is_err() || ends {
                                return;
                            }
                        }
                        Ok(_) => {}
                        // Fell behind the live feed: the database has everything.
                        Err(broadcast::error::RecvError::Lagged(_)) => catch_up = true,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    () = tokio::time::sleep(OTHER_PROCESSES_EVERY) => catch_up = true,
                    () = sender.closed() => return,
                }
            }
        });
        Ok(receiver)
    }
}
