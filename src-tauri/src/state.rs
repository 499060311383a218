//! The app's one managed state: Stagecraft, opened once at start-up with the Docker runtime and
//! a Kubernetes runtime per kubeconfig context registered (each connects on its first use).
//!
//! When start-up fails (no data folder, a database written by a newer Stagecraft), the window
//! opens anyway and every command answers with that error: a window that never appears explains
//! nothing.
//!
//! The state starts the clock (`Stagecraft::run_clock`) and the desktop notifications: the app
//! follows the change feed and tells of each deploy that ended `failed` and each expiry
//! warning, whoever caused it (the app, the command, the clock), from the moment it opened.

use std::sync::Arc;

use stagecraft_api::{DataDir, IngressStatus, IngressView, Settings, Stagecraft};

use crate::IpcError;

/// Where the ingress is, as the app knows it.
#[derive(Debug)]
enum Ingress {
    Starting,
    Started(tokio::sync::watch::Receiver<stagecraft_ingress::Started>),
    Failed(String),
}

/// The app's one managed state. When start-up fails (no data folder, a database from a newer
/// Stagecraft) the window still opens and every command answers with that error, so the user
/// sees what is wrong instead of a window that never appears.
#[derive(Debug)]
pub(crate) struct AppState {
    stagecraft: Result<Arc<Stagecraft>, IpcError>,
    /// The data folder, known even when the database could not be opened: its log is what
    /// says why.
    data_dir: Option<DataDir>,
    /// Where the ingress is (kept current by it once started), or why it could not start.
    ingress: Arc<std::sync::Mutex<Ingress>>,
}

impl AppState {
    pub(crate) async fn open() -> Self {
        match Settings::from_env() {
            Ok(settings) => Self::open_with(settings).await,
            Err(error) => Self::failed(error, None),
        }
    }

    pub(crate) async fn open_with(settings: Settings) -> Self {
        let data_dir = settings.data_dir.clone();
        match Stagecraft::open(settings).await {
            Ok(mut stagecraft) => {
                // Connects on first use: registering costs nothing when no engine runs.
                stagecraft.use_docker();
                stagecraft.use_kubernetes();
                Self {
                    stagecraft: Ok(Arc::new(stagecraft)),
                    data_dir: Some(data_dir),
                    ingress: Arc::new(std::sync::Mutex::new(Ingress::Starting)),
                }
            }
            Err(error) => Self::failed(error, Some(data_dir)),
        }
    }

    fn failed(error: stagecraft_api::Error, data_dir: Option<DataDir>) -> Self {
        tracing::error!(%error, "Stagecraft started without its database");
        Self {
            stagecraft: Err(error.into()),
            data_dir,
            ingress: Arc::new(std::sync::Mutex::new(Ingress::Failed(
                "Stagecraft started without its database".to_owned(),
            ))),
        }
    }

    pub(crate) fn stagecraft(&self) -> Result<&Stagecraft, IpcError> {
        self.stagecraft.as_ref().map(|s| &**s).map_err(Clone::clone)
    }

    /// The data folder, whose log folder the System screen opens; when none could be found,
    /// the error that says so.
    pub(crate) fn data_dir(&self) -> Result<&DataDir, IpcError> {
        match (&self.data_dir, &self.stagecraft) {
            (Some(data_dir), _) => Ok(data_dir),
            (None, Err(error)) => Err(error.clone()),
            (None, Ok(stagecraft)) => Ok(&stagecraft.settings().data_dir),
        }
    }

    /// Starts the clock (expiry, auto_deploy, ledger reconciliation) in the background; the
    /// window never waits on it.
    pub(crate) fn start_clock(&self) {
        if let Ok(stagecraft) = &self.stagecraft {
            let stagecraft = Arc::clone(stagecraft);
            tauri::async_runtime::spawn(async move {
                stagecraft.run_clock(stagecraft_api::TICK_EVERY).await;
            });
        }
    }

    /// Starts the local ingress (every environment at its `*.localhost` hostname), or uses
    /// another Stagecraft's that holds the port; a port something else holds is logged, and
    /// the System screen says so.
    pub(crate) fn start_ingress(&self) {
        if let Ok(stagecraft) = &self.stagecraft {
            let stagecraft = Stagecraft::clone(stagecraft);
            let port = stagecraft.ingress_ports().port;
            let noted = Arc::clone(&self.ingress);
            tauri::async_runtime::spawn(async move {
                // It runs until the app quits.
                let stop = tokio_util::sync::CancellationToken::new();
                let now = match stagecraft_ingress::start(stagecraft, port, stop).await {
                    Ok(started) => Ingress::Started(started),
                    Err(error) => {
                        tracing::warn!(%error, "no ingress");
                        Ingress::Failed(error.to_string())
                    }
                };
                if let Ok(mut noted) = noted.lock() {
                    *noted = now;
                }
            });
        }
    }

    /// The ingress as this process has it, for the System screen.
    pub(crate) async fn ingress_view(&self) -> Result<IngressView, IpcError> {
        let (status, problem) = match self.ingress.lock().as_deref() {
            Ok(Ingress::Starting) => (IngressStatus::Starting, None),
            Ok(Ingress::Started(started)) => match *started.borrow() {
                stagecraft_ingress::Started::Here => (IngressStatus::Serving, None),
                stagecraft_ingress::Started::Elsewhere => (IngressStatus::Elsewhere, None),
                stagecraft_ingress::Started::Taken => (
                    IngressStatus::Off,
                    Some(
                        "the ingress that served this data folder went, and another program \
                         took its port: stop it, or choose another port below and start the app again"
                            .to_owned(),
                    ),
                ),
            },
            Ok(Ingress::Failed(why)) => (IngressStatus::Off, Some(why.clone())),
            Err(_) => (IngressStatus::Off, None),
        };
        Ok(self.stagecraft()?.ingress_view(status, problem).await?)
    }

    /// Tells the user through the desktop's notifications when a deploy fails (whoever ran
    /// it: the app, the command, the clock) or an environment is about to expire: what the
    /// change feed announces from the moment the app opened.
    pub(crate) fn start_notifications<R: tauri::Runtime>(&self, app: tauri::AppHandle<R>) {
        let Ok(stagecraft) = &self.stagecraft else {
            return;
        };
        let stagecraft = Arc::clone(stagecraft);
        tauri::async_runtime::spawn(async move {
            use tauri_plugin_notification::NotificationExt as _;
            let mut changes = match stagecraft.follow_changes().await {
                Ok(changes) => changes,
                Err(error) => {
                    tracing::warn!(%error, "notifications are off: the change feed cannot start");
                    return;
                }
            };
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "notifications fell behind the change feed");
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some((title, body)) = notification_text(&change) else {
                    continue;
                };
                if let Err(error) = app.notification().builder().title(title).body(&body).show() {
                    // No notification service (a bare X server, say): the log says it.
                    tracing::info!(%error, body, "notification not shown");
                }
            }
        });
    }

    pub(crate) async fn close(&self) {
        if let Ok(stagecraft) = &self.stagecraft {
            stagecraft.close().await;
        }
    }
}

/// A notification's title and body, for the changes worth one: a failed deploy, an expiry
/// warning, an environment that became degraded. A failed cron run is not one: a job that
/// fails every minute would notify every minute; the Cron jobs panel shows its last run.
pub(crate) fn notification_text(change: &stagecraft_api::Change) -> Option<(&'static str, String)> {
    use stagecraft_api::{Change, DeployStatusView, StageView};
    match change {
        Change::DeployEnded {
            stage: StageView::Cron,
            ..
        } => None,
        Change::DeployEnded {
            env_id,
            stage,
            status: DeployStatusView::Failed,
            ..
        } => {
            let stage = match stage {
                StageView::Build => "build",
                StageView::Setup => "setup",
                StageView::Patch => "patch",
                StageView::Teardown => "teardown",
                StageView::Workflow => "custom workflow",
                StageView::Cron => "cron run",
                StageView::Pause => "pause",
                StageView::Resume => "resume",
            };
            Some((
                "Deploy failed",
                format!("The {stage} of {env_id} failed: open it in Stagecraft to see why."),
            ))
        }
        Change::NoticeRaised {
            notice, message, ..
        } if notice == "expiry_warning" => Some(("Environment expiring", message.clone())),
        Change::NoticeRaised {
            notice, message, ..
        } if notice == stagecraft_api::DEGRADED_NOTICE => {
            Some(("Environment degraded", message.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_deploy_and_an_expiry_read_as_sentences_and_nothing_else_notifies() {
        use stagecraft_api::{Change, DeployStatusView, StageView};
        let failed = Change::DeployEnded {
            env_id: "ted1bc4".into(),
            deploy_id: 3,
            stage: StageView::Patch,
            status: DeployStatusView::Failed,
        };
        assert_eq!(
            notification_text(&failed),
            Some((
                "Deploy failed",
                "The patch of ted1bc4 failed: open it in Stagecraft to see why.".to_owned()
            ))
        );
        let expiring = Change::NoticeRaised {
            env_id: "ted1bc4".into(),
            notice: "expiry_warning".into(),
            message: "ted1bc4 expires at 2026-11-27T12:00:00Z and will be torn down".into(),
        };
        assert_eq!(
            notification_text(&expiring).map(|(title, _)| title),
            Some("Environment expiring")
        );
        let degraded = Change::NoticeRaised {
            env_id: "ted1bc4".into(),
            notice: stagecraft_api::DEGRADED_NOTICE.into(),
            message: "ted1bc4 is degraded: not ready: api: 0 of 1 ready (Exited (1))".into(),
        };
        assert_eq!(
            notification_text(&degraded),
            Some((
                "Environment degraded",
                "ted1bc4 is degraded: not ready: api: 0 of 1 ready (Exited (1))".to_owned()
            ))
        );
        let cron_failed = Change::DeployEnded {
            env_id: "ted1bc4".into(),
            deploy_id: 5,
            stage: StageView::Cron,
            status: DeployStatusView::Failed,
        };
        assert_eq!(notification_text(&cron_failed), None, "not every minute");
        let succeeded = Change::DeployEnded {
            env_id: "ted1bc4".into(),
            deploy_id: 4,
            stage: StageView::Patch,
            status: DeployStatusView::Succeeded,
        };
        assert_eq!(notification_text(&succeeded), None);
    }
}
