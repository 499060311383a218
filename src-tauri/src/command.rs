//! The commands the UI may call. Each one is also listed in `build.rs` and allowed in
//! `capabilities/main.json`; anything else the webview asks for is refused.

use stagecraft_api::{DockerStatus, SystemReport};
use tauri::State;

use crate::{AppState, IpcError};

#[tauri::command]
pub(crate) async fn system_report(state: State<'_, AppState>) -> Result<SystemReport, IpcError> {
    Ok(state.stagecraft()?.system_report().await?)
}

#[tauri::command]
pub(crate) async fn docker_status(state: State<'_, AppState>) -> Result<DockerStatus, IpcError> {
    Ok(state.stagecraft()?.docker_status().await)
}
