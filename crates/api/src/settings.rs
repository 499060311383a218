use std::path::{Path, PathBuf};

use stagecraft_docker::DockerEngine;

use crate::Error;

/// Where Stagecraft keeps its database and everything else it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    pub path: PathBuf,
    pub source: DataDirSource,
}

/// Why this data directory was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDirSource {
    /// `STAGECRAFT_DATA_DIR` names it.
    Env,
    /// The platform's per-user data folder.
    Platform,
    /// Given explicitly by the caller.
    Explicit,
}

impl DataDir {
    /// `STAGECRAFT_DATA_DIR` when set, else the platform's per-user data folder
    /// (`~/.local/share/stagecraft` on Linux, `~/Library/Application Support/dev.stagecraft.
    /// Stagecraft` on macOS, `%APPDATA%\stagecraft\Stagecraft\data` on Windows).
    pub fn from_env() -> Result<Self, Error> {
        if let Some(path) = std::env::var_os("STAGECRAFT_DATA_DIR").filter(|p| !p.is_empty()) {
            return Ok(Self {
                path: PathBuf::from(path),
                source: DataDirSource::Env,
            });
        }
        let dirs = directories::ProjectDirs::from("dev", "stagecraft", "Stagecraft")
            .ok_or(Error::NoDataDir)?;
        Ok(Self {
            path: dirs.data_dir().to_path_buf(),
            source: DataDirSource::Platform,
        })
    }

    pub fn explicit(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            source: DataDirSource::Explicit,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.path.join(stagecraft_store::DATABASE_FILE)
    }

    /// Where the desktop app writes its log files. A data folder someone chose
    /// (`STAGECRAFT_DATA_DIR`, a test's) keeps them in its own `logs` folder, so each such
    /// folder is whole; the platform's folder keeps them where the OS keeps logs:
    /// `$XDG_STATE_HOME/stagecraft/logs` (`~/.local/state/stagecraft/logs`) on Linux,
    /// `~/Library/Logs/Stagecraft` on macOS, `%LOCALAPPDATA%\stagecraft\Stagecraft\logs` on
    /// Windows.
    pub fn log_dir(&self) -> PathBuf {
        match self.source {
            DataDirSource::Platform => {
                platform_log_dir().unwrap_or_else(|| self.path.join(LOG_FOLDER))
            }
            DataDirSource::Env | DataDirSource::Explicit => self.path.join(LOG_FOLDER),
        }
    }

    /// The newest of the app's log files ([`LOG_FILE_PREFIX`]`.<date>.`[`LOG_FILE_SUFFIX`], one
    /// per day), if it has written one.
    pub fn newest_log_file(&self) -> Option<PathBuf> {
        let dir = self.log_dir();
        std::fs::read_dir(&dir)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| {
                name.starts_with(&format!("{LOG_FILE_PREFIX}."))
                    && name.ends_with(&format!(".{LOG_FILE_SUFFIX}"))
            })
            // The date in the name sorts as text.
            .max()
            .map(|name| dir.join(name))
    }
}

/// The folder of log files inside a data folder someone chose.
const LOG_FOLDER: &str = "logs";
/// The app's log files are `stagecraft.<YYYY-MM-DD>.log`.
pub const LOG_FILE_PREFIX: &str = "stagecraft";
pub const LOG_FILE_SUFFIX: &str = "log";

/// The OS's place for the app's logs, when it has one this process can name.
fn platform_log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("dev", "stagecraft", "Stagecraft")?;
    if cfg!(target_os = "macos") {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        return Some(home.join("Library").join("Logs").join("Stagecraft"));
    }
    if cfg!(windows) {
        return Some(dirs.data_local_dir().parent()?.join(LOG_FOLDER));
    }
    Some(dirs.state_dir()?.join(LOG_FOLDER))
}

/// Everything Stagecraft reads from its surroundings, gathered in one place so that tests can
/// give their own instead of changing the process environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub data_dir: DataDir,
    /// `None`: `DOCKER_HOST`, else the platform default.
    pub docker_endpoint: Option<String>,
    /// The kubeconfig files to read, in merge order.
    pub kubeconfig_paths: Vec<PathBuf>,
    /// How long a deploy's lease on its environment lasts without renewal: after a crash, the
    /// environment is free again this long after the last renewal.
    pub deploy_lease: std::time::Duration,
    /// How long an ephemeral environment lives unless created with its own TTL or extended.
    pub default_ttl: std::time::Duration,
    /// How many images a build stage builds at once (`STAGECRAFT_BUILD_PARALLELISM`; four
    /// per core, at most 8, by default).
    pub build_parallelism: usize,
    /// Keep the key that seals secrets in the OS keychain when one answers (`STAGECRAFT_KEYCHAIN=0`
    /// turns it off: the key then lives in a user-only file in the data folder).
    pub keychain: bool,
    /// How static services' sites are built and served.
    pub static_sites: StaticSiteSettings,
    /// The local ingress's ports this process's surroundings set, over the data folder's
    /// saved ones ([`crate::Stagecraft::ingress_ports`]).
    pub ingress: GivenIngressPorts,
}

/// The local ingress's port unless a setting says otherwise: above 1024, so it needs no
/// privilege on Linux, macOS or Windows, and beside the HTTP API's 7477.
pub const DEFAULT_INGRESS_PORT: u16 = 7480;

/// Environment variable `name`, trimmed, when it says something.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The variable that sets the ingress's port for one process, over the saved setting.
pub const INGRESS_PORT_VAR: &str = "STAGECRAFT_INGRESS_PORT";
/// The variable that turns HTTPS on at a port for one process, over the saved setting.
pub const INGRESS_HTTPS_PORT_VAR: &str = "STAGECRAFT_INGRESS_HTTPS_PORT";

/// The ingress's ports a process's surroundings give it. Each one given wins over the data
/// folder's (the ones its ingress serves now, else the saved ones: the System screen's), which
/// win over the defaults ([`DEFAULT_INGRESS_PORT`], HTTPS off: its certificate authority is
/// made on first use, and a user trusts it by hand).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GivenIngressPorts {
    /// [`INGRESS_PORT_VAR`].
    pub port: Option<u16>,
    /// [`INGRESS_HTTPS_PORT_VAR`]: `Some(None)` when it says `0` or `off` (HTTPS off for this
    /// process).
    pub https_port: Option<Option<u16>>,
}

impl GivenIngressPorts {
    pub fn from_env() -> Self {
        let https_port = env_value(INGRESS_HTTPS_PORT_VAR).and_then(|v| match v.as_str() {
            "0" | "off" => Some(None),
            _ => v.parse().ok().map(Some),
        });
        Self {
            port: env_value(INGRESS_PORT_VAR)
                .and_then(|v| v.parse().ok())
                .filter(|p: &u16| *p > 0),
            https_port,
        }
    }

    /// The ports a process runs with: each given one, else the data folder's, else the
    /// default. An HTTPS port equal to the HTTP one is dropped, with a warning: HTTPS off.
    pub fn over(self, folder: Option<IngressPorts>) -> IngressPorts {
        let port = self
            .port
            .or(folder.map(|s| s.port))
            .unwrap_or(DEFAULT_INGRESS_PORT);
        let https_port = self
            .https_port
            .unwrap_or_else(|| folder.and_then(|s| s.https_port));
        if https_port == Some(port) {
            tracing::warn!(
                port,
                "the ingress's HTTPS port is its HTTP port too ({INGRESS_PORT_VAR} or \
                 {INGRESS_HTTPS_PORT_VAR} against the saved ports): HTTPS is off in this process"
            );
            return IngressPorts {
                port,
                https_port: None,
            };
        }
        IngressPorts { port, https_port }
    }

    /// The variables that set this process's ports.
    pub fn variables(self) -> Vec<&'static str> {
        [
            (self.port.is_some(), INGRESS_PORT_VAR),
            (self.https_port.is_some(), INGRESS_HTTPS_PORT_VAR),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }
}

/// The local ingress's ports: where every environment's services answer at their `*.localhost`
/// hostnames, and HTTPS's when it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct IngressPorts {
    pub port: u16,
    /// None: HTTPS off.
    pub https_port: Option<u16>,
}

impl Default for IngressPorts {
    fn default() -> Self {
        Self {
            port: DEFAULT_INGRESS_PORT,
            https_port: None,
        }
    }
}

/// Where the data folder keeps the ingress's certificate authority, and the file of its
/// certificate (the one a user trusts).
pub const INGRESS_AUTHORITY: (&str, &str) = ("ingress-ca", "stagecraft-ca.pem");

impl DataDir {
    /// The ingress's certificate authority's certificate, made or not.
    pub fn ingress_authority(&self) -> PathBuf {
        self.path
            .join(INGRESS_AUTHORITY.0)
            .join(INGRESS_AUTHORITY.1)
    }
}

/// The image static services' sites are built in, and Stagecraft's file server that serves
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticSiteSettings {
    /// `STAGECRAFT_STATIC_BUILD_IMAGE`; [`DEFAULT_STATIC_BUILD_IMAGE`] by default.
    pub build_image: String,
    /// `STAGECRAFT_STATIC_SERVER`, else `stagecraft-static-server` beside this program when
    /// it is one built to run FROM scratch; none: static services cannot be built (their
    /// build says how to mend it).
    pub server: Option<PathBuf>,
}

/// Node's current long-term release: what Release's static JavaScript builds run.
pub const DEFAULT_STATIC_BUILD_IMAGE: &str = "node:24";

/// The file server's name beside Stagecraft's own programs.
const STATIC_SERVER_PROGRAM: &str = "stagecraft-static-server";

impl StaticSiteSettings {
    pub fn from_env() -> Self {
        let beside = || {
            let path = std::env::current_exe()
                .ok()?
                .parent()?
                .join(STATIC_SERVER_PROGRAM);
            path.is_file().then_some(path)
        };
        Self {
            build_image: env_value("STAGECRAFT_STATIC_BUILD_IMAGE")
                .unwrap_or_else(|| DEFAULT_STATIC_BUILD_IMAGE.to_owned()),
            server: env_value("STAGECRAFT_STATIC_SERVER")
                .map(PathBuf::from)
                .or_else(beside),
        }
    }
}

/// The default for [`Settings::build_parallelism`]: four per core, at most 8. A build spends
/// much of its time waiting on the engine (starting each step's container, exporting layers),
/// so one per core leaves the machine idle: on 2 cores, 6 small builds take 0.58× of their
/// time one after another with 8 at once, 0.65× with 4 (BENCHMARKS.md, P3). The cap bounds
/// the memory that many builds' steps take at once.
pub fn default_build_parallelism() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    (4 * cores).clamp(2, 8)
}

/// The default for [`Settings::deploy_lease`].
pub const DEFAULT_DEPLOY_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

impl Settings {
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            data_dir: DataDir::from_env()?,
            docker_endpoint: None,
            kubeconfig_paths: stagecraft_kube::default_kubeconfig_paths(),
            deploy_lease: DEFAULT_DEPLOY_LEASE,
            default_ttl: crate::DEFAULT_TTL,
            build_parallelism: std::env::var("STAGECRAFT_BUILD_PARALLELISM")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|n: &usize| *n > 0)
                .unwrap_or_else(default_build_parallelism),
            keychain: !matches!(
                std::env::var("STAGECRAFT_KEYCHAIN")
                    .ok()
                    .as_deref()
                    .map(str::trim),
                Some("0" | "false" | "no" | "off")
            ),
            static_sites: StaticSiteSettings::from_env(),
            ingress: GivenIngressPorts::from_env(),
        })
    }

    pub(crate) fn docker_engine(&self) -> DockerEngine {
        match &self.docker_endpoint {
            Some(endpoint) => DockerEngine::new(endpoint.clone()),
            None => DockerEngine::from_env(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_ingress_ports_win_over_saved_ones_which_win_over_the_defaults() {
        let saved = IngressPorts {
            port: 8080,
            https_port: Some(8443),
        };
        let none = GivenIngressPorts::default();
        assert_eq!(none.over(None), IngressPorts::default());
        assert_eq!(none.over(Some(saved)), saved);
        let given = GivenIngressPorts {
            port: Some(9000),
            https_port: None,
        };
        assert_eq!(given.variables(), [INGRESS_PORT_VAR]);
        assert_eq!(
            given.over(Some(saved)),
            IngressPorts {
                port: 9000,
                https_port: Some(8443)
            }
        );
        // One given and one saved that are the same port: HTTPS off rather than a clash.
        let clash = GivenIngressPorts {
            port: Some(8443),
            https_port: None,
        };
        assert_eq!(clash.over(Some(saved)).https_port, None);
        // `off` for one process turns the saved HTTPS off there.
        let off = GivenIngressPorts {
            port: None,
            https_port: Some(None),
        };
        assert_eq!(
            off.over(Some(saved)),
            IngressPorts {
                port: 8080,
                https_port: None
            }
        );
        assert_eq!(off.variables(), [INGRESS_HTTPS_PORT_VAR]);
    }

    #[test]
    fn a_chosen_data_folder_keeps_its_logs_inside() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::explicit(dir.path());
        assert_eq!(data.log_dir(), dir.path().join("logs"));
        assert_eq!(data.newest_log_file(), None);
    }

    #[test]
    fn the_newest_log_file_is_the_latest_day_s() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::explicit(dir.path());
        std::fs::create_dir_all(data.log_dir()).unwrap();
        for name in [
            "stagecraft.2026-12-04.log",
            "stagecraft.2026-12-05.log",
            "stagecraft.2026-11-30.log",
            "other.2027-01-01.log",
            "stagecraft.2027-01-01.txt",
        ] {
            std::fs::write(data.log_dir().join(name), "line\n").unwrap();
        }
        assert_eq!(
            data.newest_log_file(),
            Some(data.log_dir().join("stagecraft.2026-12-05.log"))
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_platform_folder_keeps_logs_in_the_xdg_state_folder() {
        let data = DataDir {
            path: PathBuf::from("/nonexistent/data"),
            source: DataDirSource::Platform,
        };
        let logs = data.log_dir();
        assert!(logs.ends_with("stagecraft/logs"), "{}", logs.display());
        assert!(
            logs.starts_with(std::env::var_os("XDG_STATE_HOME").map_or_else(
                || {
                    directories::BaseDirs::new()
                        .unwrap()
                        .home_dir()
                        .join(".local/state")
                },
                PathBuf::from
            )),
            "{}",
            logs.display()
        );
    }
}
