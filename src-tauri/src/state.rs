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

    pub(crate) async fn close(&self) {
        if let Ok(stagecraft) = &self.stagecraft {
            stagecraft.close().await;
        }
    }
}
