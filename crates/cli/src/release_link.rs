//! `stagecraft release-link DIR`: `release` made to run this command, so scripts written for
//! Release's CLI (`release environments list --account … --app …`) run here unchanged.

use stagecraft_api::Error;

/// `stagecraft release-link DIR`: a link named `release` (`release.exe` on Windows) in `dir` to
/// this command, so `release …` runs it. One that exists is refused.
pub(crate) fn release_link(dir: &std::path::Path) -> Result<u8, Error> {
    let exe = std::env::current_exe().map_err(|source| Error::ReadFile {
        path: std::path::PathBuf::from("<this command>"),
        source,
    })?;
    let link = dir.join(if cfg!(windows) {
        "release.exe"
    } else {
        "release"
    });
    if link.symlink_metadata().is_ok() {
        return Err(Error::Exists { path: link });
    }
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink(&exe, &link);
    // Windows: links need a privilege most users lack; a hard link does not.
    #[cfg(not(unix))]
    let made = std::fs::hard_link(&exe, &link);
    made.map_err(|source| Error::WriteFile {
        path: link.clone(),
        source,
    })?;
    eprintln!("{} runs {}", link.display(), exe.display());
    Ok(0)
}
