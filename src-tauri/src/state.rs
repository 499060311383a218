use std::sync::Arc;

use stagecraft_api::{Settings, Stagecraft};

use crate::IpcError;

/// The app's one managed state. When start-up fails (no data folder, a database from a newer
/// Stagecraft) the window still opens and every command answers with that error, so the user
/// sees what is wrong instead of a window that never appears.
#[derive(Debug)]
pub(crate) struct AppState {
    stagecraft: Result<Arc<Stagecraft>, IpcError>,
}

impl AppState {
    pub(crate) async fn open() -> Self {
        match Settings::from_env() {
            Ok(settings) => Self::open_with(settings).await,
            Err(error) => Self::failed(error),
        }
    }

    pub(crate) async fn open_with(settings: Settings) -> Self {
        match Stagecraft::open(settings).await {
            Ok(mut stagecraft) => {
                // Connects on first use: registering costs nothing when no engine runs.
                stagecraft.use_docker();
                stagecraft.use_kubernetes();
                Self {
                    stagecraft: Ok(Arc::new(stagecraft)),
                }
            }
            Err(error) => Self::failed(error),
        }
    }

    fn failed(error: stagecraft_api::Error) -> Self {
        tracing::error!(%error, "Stagecraft started without its database");
        Self {
            stagecraft: Err(error.into()),
        }
    }

    pub(crate) fn stagecraft(&self) -> Result<&Stagecraft, IpcError> {
        self.stagecraft.as_ref().map(|s| &**s).map_err(Clone::clone)
    }

    /// The shared handle, for work that outlives the command that started it.
    pub(crate) fn shared(&self) -> Result<Arc<Stagecraft>, IpcError> {
        self.stagecraft.clone()
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

    /// Tells the user through the desktop's notifications when a deploy fails (whoever ran
    /// it: the app, the command, the clock) or an environment is about to expire. Only what
    /// happens after the app opened: the database is asked every few seconds.
    pub(crate) fn start_notifications<R: tauri::Runtime>(&self, app: tauri::AppHandle<R>) {
        let Ok(stagecraft) = &self.stagecraft else {
            return;
        };
        let stagecraft = Arc::clone(stagecraft);
        tauri::async_runtime::spawn(async move {
            use tauri_plugin_notification::NotificationExt as _;
            let mut since = match stagecraft.attention_cursor().await {
                Ok(now) => now,
                Err(error) => {
                    tracing::warn!(%error, "notifications are off: the store's clock cannot be read");
                    return;
                }
            };
            let mut every = tokio::time::interval(NOTIFY_EVERY);
            loop {
                every.tick().await;
                let news = match stagecraft.attention_since(&since).await {
                    Ok(news) => news,
                    Err(error) => {
                        tracing::warn!(%error, "the notifications' round failed");
                        continue;
                    }
                };
                for attention in news {
                    let (title, body) = notification_text(&attention);
                    if let Err(error) = app.notification().builder().title(title).body(&body).show()
                    {
                        // No notification service (a bare X server, say): the log says it.
                        tracing::info!(%error, body, "notification not shown");
                    }
                    since = attention.at;
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

/// How often the store is asked for news to notify about.
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A notification's title and body.
pub(crate) fn notification_text(attention: &stagecraft_api::Attention) -> (&'static str, String) {
    match attention.kind.as_str() {
        "deploy_failed" => (
            "Deploy failed",
            format!(
                "The {} of {} failed: open it in Stagecraft to see why.",
                attention.detail, attention.env_id
            ),
        ),
        _ => ("Environment expiring", attention.detail.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_deploy_and_an_expiry_read_as_sentences() {
        let failed = stagecraft_api::Attention {
            kind: "deploy_failed".into(),
            env_id: "ted1bc4".into(),
            detail: "patch".into(),
            at: "2026-11-26T12:00:00.000Z".into(),
        };
        assert_eq!(
            notification_text(&failed),
            (
                "Deploy failed",
                "The patch of ted1bc4 failed: open it in Stagecraft to see why.".to_owned()
            )
        );
        let expiring = stagecraft_api::Attention {
            kind: "expiry_warning".into(),
            env_id: "ted1bc4".into(),
            detail: "ted1bc4 expires at 2026-11-27T12:00:00Z and will be torn down".into(),
            at: "2026-11-26T12:00:00.000Z".into(),
        };
        assert_eq!(notification_text(&expiring).0, "Environment expiring");
    }
}
