use stagecraft_api::{Settings, Stagecraft};

use crate::IpcError;

/// The app's one managed state. When start-up fails (no data folder, a database from a newer
/// Stagecraft) the window still opens and every command answers with that error, so the user
/// sees what is wrong instead of a window that never appears.
#[derive(Debug)]
pub(crate) struct AppState {
    stagecraft: Result<Stagecraft, IpcError>,
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
            Ok(stagecraft) => Self {
                stagecraft: Ok(stagecraft),
            },
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
        self.stagecraft.as_ref().map_err(Clone::clone)
    }

    pub(crate) async fn close(&self) {
        if let Ok(stagecraft) = &self.stagecraft {
            stagecraft.close().await;
        }
    }
}
