//! The app's own log: standard error (as before) and a file a day in the OS's place for logs
//! (`DataDir::log_dir`), the last seven kept, so a user who started the app from a menu can
//! still read what happened and send it. Both take the same filter (`STAGECRAFT_LOG`, the HTTP
//! clients held at `info`: nothing typed into a terminal or sent to a runtime is written).
//! The System screen names the file and opens it, or shows it in its folder, with the OS's own
//! programs.

use std::path::{Path, PathBuf};

use stagecraft_api::{DataDir, ErrorCode, LOG_FILE_PREFIX, LOG_FILE_SUFFIX};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::IpcError;

/// How many daily files are kept: a week.
const KEPT_FILES: usize = 7;

/// Starts the log: standard error, and the day's file in the data folder's log folder when it
/// can be made (when not, standard error says why and the app goes on).
pub(crate) fn init() {
    // Said once the log is up, on standard error.
    let mut problem = None;
    let mut written_to = None;
    let appender = match DataDir::from_env() {
        Ok(data) => {
            let dir = data.log_dir();
            let appender = log_file(&dir)
                .map_err(|error| {
                    problem = Some(format!(
                        "cannot write a log file in {}: {error}",
                        dir.display()
                    ));
                })
                .ok();
            written_to = appender.is_some().then_some(dir);
            appender
        }
        Err(error) => {
            problem = Some(error.to_string());
            None
        }
    };
    let file_layer = appender.map(|appender| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(appender)
    });
    tracing_subscriber::registry()
        .with(stagecraft_api::log_filter("info"))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .init();
    let version = env!("CARGO_PKG_VERSION");
    match (problem, written_to) {
        (Some(problem), _) => {
            tracing::warn!(version, %problem, "Stagecraft starts; its log goes to standard error only");
        }
        (None, Some(dir)) => {
            tracing::info!(version, log_dir = %dir.display(), "Stagecraft starts");
        }
        (None, None) => tracing::info!(version, "Stagecraft starts"),
    }
}

/// The day's file (the folder made first); each line is written at once, no buffer to lose
/// when the app exits.
fn log_file(dir: &Path) -> std::io::Result<RollingFileAppender> {
    std::fs::create_dir_all(dir)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix(LOG_FILE_SUFFIX)
        .max_log_files(KEPT_FILES)
        .build(dir)
        .map_err(std::io::Error::other)
}

/// Opens the newest log file with the OS's program for text, or (`reveal`) shows it selected
/// in the OS's file manager. Only this file: the window names no path.
pub(crate) fn open<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    data_dir: &DataDir,
    reveal: bool,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt as _;
    let file: PathBuf = data_dir.newest_log_file().ok_or_else(|| IpcError {
        code: ErrorCode::NotFound,
        message: format!(
            "no log file in {} yet: the app writes one as it starts; start it again to make one",
            data_dir.log_dir().display()
        ),
    })?;
    let opened = if reveal {
        app.opener().reveal_item_in_dir(&file)
    } else {
        app.opener()
            .open_path(file.display().to_string(), None::<&str>)
    };
    opened.map_err(|error| IpcError {
        code: ErrorCode::FileRead,
        message: format!(
            "the system could not open {}: {error}. Open it with a text editor yourself",
            file.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn the_day_s_file_is_made_where_the_system_screen_looks_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::explicit(dir.path().join("data"));
        let mut appender = log_file(&data.log_dir()).unwrap();
        appender.write_all(b"a line\n").unwrap();
        appender.flush().unwrap();
        let file = data.newest_log_file().expect("a log file");
        assert_eq!(file.parent(), Some(data.log_dir().as_path()));
        assert_eq!(std::fs::read_to_string(file).unwrap(), "a line\n");
    }
}
