//! # stagecraft-desktop
//!
//! The desktop app: a thin Tauri skin over `stagecraft-api`. Each command is a few lines that
//! call one use case and turn its error into an [`IpcError`]; all logic lives below.
//!
//! Must not contain: domain logic, SQL, Docker or Kubernetes calls.
//!
//! Opening the app opens the database (milliseconds) and nothing else: the runtimes connect on
//! first use, so the window never waits for Docker or a cluster. The window opens where and as
//! large as it was left (tauri-plugin-window-state): the state is kept in
//! `<data folder>/window-state.json` and written a moment after each move or resize, not only
//! at exit, so a killed app keeps it too.
//!
//! # Layout
//! - `lib.rs`: [`run`]: the Tauri builder, start-up and shut-down
//! - `state.rs`: the one managed state, built once at start-up; the clock and the notifications
//! - `command_list.rs`: the names of the commands the window may call, written once
//! - `command.rs`: the `#[tauri::command]` functions themselves
//! - `ipc_error.rs`: [`IpcError`], the only error a command returns
//! - `logging.rs`: the app's log, on standard error and in a file a day; opening that file
//! - `streams.rs`: streams to the window over channels, stopped when it reloads
//! - `terminals.rs`: the window's terminals (shells in containers), closed when it reloads or
//!   the app exits, their shells stopped
//! - `bindings.rs` (tests): keeps `ui/src/ipc/bindings.ts` in step with the Rust types

#[cfg(test)]
mod bindings;
mod command;
mod ipc_error;
mod logging;
mod state;
mod streams;
mod terminals;

use std::process::ExitCode;

use tauri::Manager;

pub use ipc_error::IpcError;
use state::AppState;

/// The invoke handler of every command of `command_list.rs`.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        tauri::generate_handler![$(command::$name),*]
    };
}

/// Adds Stagecraft's commands to a builder: the app's, or the IPC tests' mock one.
fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(streams::Streams::default())
        .manage(terminals::Terminals::default())
        // A page that loads again (a reload) starts its streams anew from its last `seq`;
        // the old page's streams would write to callbacks nobody holds.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started {
                let stopped = webview
                    .state::<streams::Streams>()
                    .stop_webview(webview.label());
                let closed = webview
                    .state::<terminals::Terminals>()
                    .close_webview(webview.label());
                if stopped + closed > 0 {
                    tracing::debug!(stopped, closed, "a page loaded again: its streams stopped");
                }
            }
        })
        .invoke_handler(include!("command_list.rs"))
}

/// Writes the window's place and size a moment after each move or resize, not only when the
/// app exits: an app that is killed, or whose session a test driver ends, still opens as it
/// was left next time.
fn keep_window_state(app: &tauri::App) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt as _, StateFlags};

    let changes = Arc::new(AtomicU64::new(0));
    for window in app.webview_windows().into_values() {
        let handle = app.handle().clone();
        let changes = Arc::clone(&changes);
        window.on_window_event(move |event| {
            if !matches!(
                event,
                tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)
            ) {
                return;
            }
            let change = changes.fetch_add(1, Ordering::Relaxed) + 1;
            let handle = handle.clone();
            let changes = Arc::clone(&changes);
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(400)).await;
                // Only the last of a burst of changes (a drag) writes the file.
                if changes.load(Ordering::Relaxed) == change
                    && let Err(error) = handle.save_window_state(StateFlags::all())
                {
                    tracing::warn!(%error, "the window's state was not saved");
                }
            });
        });
    }
}

/// Runs the app until its last window closes.
pub fn run() -> ExitCode {
    logging::init();

    // The window opens where and as large as it was left. Kept in the data folder, beside the
    // database, so each data folder (and each end-to-end test) has its own.
    let window_state = stagecraft_api::DataDir::from_env()
        .map(|dir| {
            dir.path
                .join("window-state.json")
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_else(|_| "window-state.json".to_owned());
    let app = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_filename(window_state)
                .build(),
        )
        .setup(|app| {
            // Opening the database takes milliseconds; the runtimes connect lazily, so the
            // window never waits for Docker or a cluster.
            let state = tauri::async_runtime::block_on(AppState::open());
            state.start_clock();
            state.start_ingress();
            state.start_notifications(app.handle().clone());
            app.manage(state);
            keep_window_state(app);
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "Stagecraft could not start");
            return ExitCode::FAILURE;
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // The terminals' shells are stopped first: the runtime goes with the app.
            let terminals = handle.state::<terminals::Terminals>();
            tauri::async_runtime::block_on(terminals.close_all());
            let state = handle.state::<AppState>();
            tauri::async_runtime::block_on(state.close());
        }
    });
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn invoke(app: &tauri::App<tauri::test::MockRuntime>, cmd: &str) -> serde_json::Value {
        let webview = tauri::WebviewWindowBuilder::new(app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().unwrap())
        .unwrap_or_else(|error| error)
    }

    fn app_with_data_dir(dir: &std::path::Path) -> tauri::App<tauri::test::MockRuntime> {
        let settings = stagecraft_api::Settings {
            data_dir: stagecraft_api::DataDir::explicit(dir),
            docker_endpoint: Some("unix:///nonexistent/stagecraft-test.sock".into()),
            kubeconfig_paths: vec![dir.join("no-kubeconfig")],
            deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
            default_ttl: stagecraft_api::DEFAULT_TTL,
            build_parallelism: stagecraft_api::default_build_parallelism(),
            keychain: false,
            static_sites: stagecraft_api::StaticSiteSettings::from_env(),
            ingress: stagecraft_api::GivenIngressPorts::default(),
        };
        let state = tauri::async_runtime::block_on(AppState::open_with(settings));
        let app = with_commands(mock_builder())
            .build(mock_context(noop_assets()))
            .unwrap();
        app.manage(state);
        app
    }

    #[test]
    fn system_report_crosses_ipc_in_camel_case() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_data_dir(dir.path());

        let report = invoke(&app, "system_report");

        assert_eq!(
            report["database"]["schemaVersion"], report["database"]["latestSchemaVersion"],
            "{report}"
        );
        assert!(report["database"]["schemaVersion"].as_i64() >= Some(1));
        assert_eq!(report["dataDirSource"], "explicit");
        assert_eq!(report["kubernetes"]["state"], "absent");
    }

    #[test]
    fn an_unreachable_docker_engine_is_a_status_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_data_dir(dir.path());

        let status = invoke(&app, "docker_status");

        assert_eq!(status["state"], "unreachable", "{status}");
        assert_eq!(status["code"], "DOCKER_UNREACHABLE");
        assert_eq!(
            status["endpoint"],
            "unix:///nonexistent/stagecraft-test.sock"
        );
    }

    #[test]
    fn a_database_that_cannot_open_gives_every_command_a_coded_error() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the data folder should be: the database cannot be created inside it.
        let blocker = dir.path().join("data");
        std::fs::write(&blocker, "not a folder").unwrap();
        let app = app_with_data_dir(&blocker);

        let error = invoke(&app, "system_report");

        assert_eq!(error["code"], "DATA_DIR_UNAVAILABLE", "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains(&blocker.display().to_string())
        );
        // Its log is still found where it would be: the System screen opens it.
        let state = app.state::<AppState>();
        assert_eq!(
            state.data_dir().map(stagecraft_api::DataDir::log_dir).ok(),
            Some(blocker.join("logs"))
        );
    }
}
