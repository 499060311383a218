//! The change feed: what changed in the environments and their deploys, whichever process
//! changed it (this app, the command, the clock), as typed [`Change`]s: an environment created
//! or changed, a deploy queued, started, progressed (the running deploy stored new events) or
//! ended, a notice raised. The window follows it (the shell's `changes_follow`) instead of
//! asking every few seconds, and so do the app's desktop notifications
//! (`src-tauri/src/state.rs`).
//!
//! One watcher per process, started by the first follower and stopped when the last one leaves.
//! It keeps a connection of its own and asks SQLite's `data_version` every [`LOOK_EVERY`] (a
//! number that moves when any other connection, of this process or another, commits: no table
//! is read while nothing changes); after a commit, it reads a small snapshot (each
//! environment's status, expiry and configuration version; the deploys from the oldest one
//! still queued or running, with their newest `seq`; the newest notice) and sends what differs
//! from the last one.
//!
//! The screens never poll: the environments list and an environment's screen read their state
//! again when a change concerns them (never two reads at once: a burst costs one read running
//! and one after it, `ui/src/lib/changes.ts`), and a follower that fell behind gets `resync`.
//! The environment screen applies the deploy it follows from that deploy's events instead of
//! reading again on its progress. Only the clock moves on a timer (relative times, running
//! bars). Overlapping loads of a screen are ordered: only the last one started may write.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use stagecraft_engine::DeployStatus;
use stagecraft_store::change::{Snapshot, Watch};
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::{DeployStatusView, EnvironmentStatusView, Error, StageView, Stagecraft};

/// How often the watcher asks whether anything was committed.
pub const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Something the screens show changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Change {
    #[serde(rename_all = "camelCase")]
    EnvironmentCreated { env_id: String },
    /// Its status, expiry, configuration or services ready changed.
    #[serde(rename_all = "camelCase")]
    EnvironmentChanged {
        env_id: String,
        status: EnvironmentStatusView,
    },
    #[serde(rename_all = "camelCase")]
    DeployQueued {
        env_id: String,
        #[ts(type = "number")]
        deploy_id: i64,
        stage: StageView,
    },
    #[serde(rename_all = "camelCase")]
    DeployStarted {
        env_id: String,
        #[ts(type = "number")]
        deploy_id: i64,
    },
    /// A running deploy stored new events (its steps and tasks moved on).
    #[serde(rename_all = "camelCase")]
    DeployProgressed {
        env_id: String,
        #[ts(type = "number")]
        deploy_id: i64,
    },
    #[serde(rename_all = "camelCase")]
    DeployEnded {
        env_id: String,
        #[ts(type = "number")]
        deploy_id: i64,
        stage: StageView,
        status: DeployStatusView,
    },
    /// An environment tells its user something outside of a deploy (an expiry warning).
    #[serde(rename_all = "camelCase")]
    NoticeRaised {
        env_id: String,
        /// `expiry_warning`.
        notice: String,
        message: String,
    },
}

impl Change {
    /// The environment it is about.
    pub fn env_id(&self) -> &str {
        match self {
            Self::EnvironmentCreated { env_id }
            | Self::EnvironmentChanged { env_id, .. }
            | Self::DeployQueued { env_id, .. }
            | Self::DeployStarted { env_id, .. }
            | Self::DeployProgressed { env_id, .. }
            | Self::DeployEnded { env_id, .. }
            | Self::NoticeRaised { env_id, .. } => env_id,
        }
    }
}

/// The lowest deploy id the next snapshot needs: the oldest still queued or running, or the
/// first new one.
fn deploys_from(snapshot: &Snapshot) -> i64 {
    let next = snapshot.deploys.iter().map(|d| d.id).max().unwrap_or(0) + 1;
    snapshot
        .deploys
        .iter()
        .filter(|d| !d.status.is_finished())
        .map(|d| d.id)
        .min()
        .unwrap_or(next)
        .min(next)
}

fn is_running(status: DeployStatus) -> bool {
    status == DeployStatus::Running
}

/// What changed from `before` to `after`, in the order it happened where that can be told.
/// Notices are not here: their text is read separately (see [`Watcher`]).
pub(crate) fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let mut changes = Vec::new();
    let old_envs: HashMap<i64, _> = before.environments.iter().map(|e| (e.id, e)).collect();
    let env_ids: HashMap<i64, &str> = after
        .environments
        .iter()
        .map(|e| (e.id, e.env_id.as_str()))
        .collect();
    for env in &after.environments {
        match old_envs.get(&env.id) {
            None => changes.push(Change::EnvironmentCreated {
                env_id: env.env_id.clone(),
            }),
            Some(old) if *old != env => changes.push(Change::EnvironmentChanged {
                env_id: env.env_id.clone(),
                status: env.status.into(),
            }),
            Some(_) => {}
        }
    }
    let old_deploys: HashMap<i64, _> = before.deploys.iter().map(|d| (d.id, d)).collect();
    let newest_before = before.deploys.iter().map(|d| d.id).max().unwrap_or(0);
    for deploy in &after.deploys {
        let Some(env_id) = env_ids.get(&deploy.environment_id) else {
            continue;
        };
        let env_id = (*env_id).to_owned();
        let old = old_deploys.get(&deploy.id);
        if old.is_none() && deploy.id <= newest_before {
            // Finished before the last look and only read now (the range starts lower).
            continue;
        }
        if old.is_none() {
            changes.push(Change::DeployQueued {
                env_id: env_id.clone(),
                deploy_id: deploy.id,
                stage: deploy.stage.into(),
            });
        }
        let was = old.map_or(DeployStatus::Queued, |o| o.status);
        // Started only when seen running: a deploy that went from queued to its end between
        // two looks may have ended unrun (cancelled while it waited), and its end says enough.
        if was == DeployStatus::Queued && is_running(deploy.status) {
            changes.push(Change::DeployStarted {
                env_id: env_id.clone(),
                deploy_id: deploy.id,
            });
        } else if is_running(was)
            && is_running(deploy.status)
            && old.is_some_and(|o| o.last_seq != deploy.last_seq)
        {
            changes.push(Change::DeployProgressed {
                env_id: env_id.clone(),
                deploy_id: deploy.id,
            });
        }
        if deploy.status.is_finished() && !was.is_finished() {
            changes.push(Change::DeployEnded {
                env_id,
                deploy_id: deploy.id,
                stage: deploy.stage.into(),
                status: deploy.status.into(),
            });
        }
    }
    changes
}

/// The process's one watcher, shared by its followers.
#[derive(Debug)]
pub(crate) struct Changes {
    sender: broadcast::Sender<Change>,
    /// Whether the watcher runs; changed only under this lock, by a follower that starts it
    /// and by the watcher when it finds nobody follows. A follower holds it while it starts
    /// the watcher, so one that comes meanwhile waits to learn whether it started (and tries
    /// itself when it did not) rather than keep a receiver that nothing feeds.
    running: tokio::sync::Mutex<bool>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(1024).0,
            running: tokio::sync::Mutex::new(false),
        }
    }
}

impl Stagecraft {
    /// Follows what changes from now on, here or in another process, as [`Change`]s. A
    /// follower that falls more than 1,024 changes behind gets `Lagged` and should read the
    /// state again.
    pub async fn follow_changes(&self) -> Result<broadcast::Receiver<Change>, Error> {
        let changes = Arc::clone(&self.changes);
        // Subscribed first: a running watcher sees a follower and goes on.
        let receiver = changes.sender.subscribe();
        let mut running = changes.running.lock().await;
        if *running {
            return Ok(receiver);
        }
        // The connection and the first snapshot are made only by the follower that starts
        // the watcher.
        let (watch, version, snapshot) = start_watch(self.store.path()).await?;
        *running = true;
        drop(running);
        tokio::spawn(watch_changes(changes, watch, version, snapshot));
        Ok(receiver)
    }
}

/// The watcher's connection, the database's version and what it shows then. The version is
/// read first: a commit made while the snapshot is read is seen again at the next look.
async fn start_watch(path: &std::path::Path) -> Result<(Watch, i64, Snapshot), Error> {
    let mut watch = Watch::open(path).await?;
    let version = watch.data_version().await?;
    let snapshot = watch.snapshot(0).await?;
    Ok((watch, version, snapshot))
}

/// Sends what changes until nobody follows.
async fn watch_changes(
    changes: Arc<Changes>,
    mut watch: Watch,
    mut version: i64,
    mut last: Snapshot,
) {
    loop {
        tokio::time::sleep(LOOK_EVERY).await;
        {
            let mut running = changes.running.lock().await;
            if changes.sender.receiver_count() == 0 {
                *running = false;
                return;
            }
        }
        let now = match watch.data_version().await {
            Ok(now) => now,
            Err(error) => {
                tracing::warn!(%error, "the change feed could not ask the database");
                continue;
            }
        };
        if now == version {
            continue;
        }
        version = now;
        let next = match watch.snapshot(deploys_from(&last)).await {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "the change feed could not read the database");
                continue;
            }
        };
        let mut found = diff(&last, &next);
        if next.last_notice > last.last_notice {
            match watch.notices_after(last.last_notice).await {
                Ok(notices) => {
                    found.extend(notices.into_iter().map(|(_, env_id, notice, message)| {
                        Change::NoticeRaised {
                            env_id,
                            notice,
                            message,
                        }
                    }))
                }
                Err(error) => tracing::warn!(%error, "the change feed could not read notices"),
            }
        }
        last = next;
        for change in found {
            // Nobody listening now is no error: the next look finds out and stops.
            let _ = changes.sender.send(change);
        }
    }
}

#[cfg(test)]
mod tests {
    use stagecraft_engine::{EnvironmentStatus, Stage};
    use stagecraft_store::change::{DeployMark, EnvironmentMark};

    use super::*;

    fn env(status: EnvironmentStatus) -> EnvironmentMark {
        EnvironmentMark {
            id: 1,
            env_id: "ted1bc4".into(),
            status,
            expires_at: None,
            config_version: Some(1),
            services_ready: None,
        }
    }

    fn deploy(id: i64, status: DeployStatus, last_seq: i64) -> DeployMark {
        DeployMark {
            id,
            environment_id: 1,
            stage: Stage::Setup,
            status,
            last_seq,
        }
    }

    fn snapshot(status: EnvironmentStatus, deploys: Vec<DeployMark>) -> Snapshot {
        Snapshot {
            environments: vec![env(status)],
            deploys,
            last_notice: 0,
        }
    }

    #[test]
    fn a_deploy_queued_and_ended_between_two_looks_is_told_queued_then_ended() {
        let before = snapshot(EnvironmentStatus::Created, vec![]);
        let after = snapshot(
            EnvironmentStatus::Deployed,
            vec![deploy(1, DeployStatus::Succeeded, 12)],
        );

        assert_eq!(
            diff(&before, &after),
            [
                Change::EnvironmentChanged {
                    env_id: "ted1bc4".into(),
                    status: EnvironmentStatusView::Deployed
                },
                Change::DeployQueued {
                    env_id: "ted1bc4".into(),
                    deploy_id: 1,
                    stage: StageView::Setup
                },
                Change::DeployEnded {
                    env_id: "ted1bc4".into(),
                    deploy_id: 1,
                    stage: StageView::Setup,
                    status: DeployStatusView::Succeeded
                },
            ]
        );
    }

    #[test]
    fn a_queued_deploy_seen_running_started_and_one_seen_ended_ended() {
        let queued = snapshot(
            EnvironmentStatus::Deployed,
            vec![deploy(2, DeployStatus::Queued, 0)],
        );
        let running = snapshot(
            EnvironmentStatus::Patching,
            vec![deploy(2, DeployStatus::Running, 1)],
        );
        let failed = snapshot(
            EnvironmentStatus::Failed,
            vec![deploy(2, DeployStatus::Failed, 7)],
        );

        let started = diff(&queued, &running);
        let ended = diff(&running, &failed);

        assert_eq!(
            started.last(),
            Some(&Change::DeployStarted {
                env_id: "ted1bc4".into(),
                deploy_id: 2
            })
        );
        assert_eq!(
            ended.last(),
            Some(&Change::DeployEnded {
                env_id: "ted1bc4".into(),
                deploy_id: 2,
                stage: StageView::Setup,
                status: DeployStatusView::Failed
            })
        );
        assert!(
            !ended
                .iter()
                .any(|c| matches!(c, Change::DeployProgressed { .. })),
            "{ended:?}"
        );
    }

    #[test]
    fn a_running_deploy_with_new_events_progressed_and_nothing_else_changed() {
        let before = snapshot(
            EnvironmentStatus::SettingUp,
            vec![deploy(1, DeployStatus::Running, 3)],
        );
        let same = before.clone();
        let after = snapshot(
            EnvironmentStatus::SettingUp,
            vec![deploy(1, DeployStatus::Running, 9)],
        );

        assert_eq!(diff(&before, &same), []);
        assert_eq!(
            diff(&before, &after),
            [Change::DeployProgressed {
                env_id: "ted1bc4".into(),
                deploy_id: 1
            }]
        );
    }

    #[test]
    fn a_health_round_that_counts_other_services_ready_is_told() {
        let before = snapshot(EnvironmentStatus::Degraded, vec![]);
        let mut after = before.clone();
        after.environments[0].services_ready = Some((2, 3));
        assert_eq!(
            diff(&before, &after),
            [Change::EnvironmentChanged {
                env_id: "ted1bc4".into(),
                status: EnvironmentStatus::Degraded.into(),
            }]
        );
    }

    #[test]
    fn a_new_environment_and_a_queued_deploy_are_told() {
        let before = Snapshot::default();
        let after = snapshot(
            EnvironmentStatus::Created,
            vec![deploy(4, DeployStatus::Queued, 0)],
        );

        assert_eq!(
            diff(&before, &after),
            [
                Change::EnvironmentCreated {
                    env_id: "ted1bc4".into()
                },
                Change::DeployQueued {
                    env_id: "ted1bc4".into(),
                    deploy_id: 4,
                    stage: StageView::Setup
                },
            ]
        );
    }

    #[test]
    fn the_next_look_starts_at_the_oldest_deploy_still_waiting_or_running() {
        let waiting = snapshot(
            EnvironmentStatus::Deployed,
            vec![
                deploy(3, DeployStatus::Succeeded, 5),
                deploy(5, DeployStatus::Queued, 0),
                deploy(6, DeployStatus::Running, 2),
            ],
        );
        let idle = snapshot(
            EnvironmentStatus::Deployed,
            vec![deploy(3, DeployStatus::Succeeded, 5)],
        );

        assert_eq!(deploys_from(&waiting), 5);
        assert_eq!(deploys_from(&idle), 4);
        assert_eq!(deploys_from(&Snapshot::default()), 1);
    }
}
