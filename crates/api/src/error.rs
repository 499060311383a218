//! `Error`, what every use case fails with, and its stable `ErrorCode`. The messages name the
//! file, endpoint or path at fault and say what to do; `Error::code()` maps every variant to a
//! code (`SCREAMING_SNAKE_CASE` on the wire, never renamed). A Tauri command returns only
//! `IpcError { code, message }`; the UI switches on `code` and shows `message`, and the CLI's
//! JSON output carries the code too.
//!
//! A deploy that fails before its first task (the configuration, the variables, git, a build, a
//! `configmap` file) fails with a typed `Error` too; its message becomes the deploy's failure
//! reason on the timeline. A task its runtime failed keeps the failure's `RuntimeErrorKind`,
//! and `ErrorCode::of_runtime` gives it the code the runtime's own error would have. What a
//! readiness probe answers is not an error of Stagecraft: the Docker runtime keeps it as
//! `NotReady`, the task's wait reason. The template crate's internal helpers still return a
//! message (see its `diagnostic.rs`).
//!
//! When start-up fails (no data folder, a database written by a newer Stagecraft), the window
//! opens anyway and every command answers with that error (`src-tauri/src/state.rs`).

use std::path::PathBuf;

use serde::Serialize;
use stagecraft_docker::DockerError;
use stagecraft_engine::{RuntimeError, RuntimeErrorKind};
use stagecraft_kube::KubeError;
use stagecraft_store::StoreError;
use stagecraft_template::Diagnostic;
use ts_rs::TS;

/// The stable identity of an error across IPC and in the CLI's JSON output. The UI switches on
/// it; the message is for people. Never rename a code: add one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No folder for Stagecraft's data could be found or created.
    DataDirUnavailable,
    /// The database file cannot be opened, created or migrated.
    StoreUnavailable,
    /// The database was written by a newer Stagecraft.
    StoreNewerSchema,
    /// A query on an open database failed.
    StoreQuery,
    /// No Docker engine answered at the endpoint.
    DockerUnreachable,
    /// The Docker engine did not answer in time.
    DockerTimeout,
    /// `DOCKER_HOST` holds an address Stagecraft cannot use.
    DockerEndpoint,
    /// The Docker engine answered with an error.
    DockerApi,
    /// A kubeconfig file exists but cannot be read.
    KubeconfigInvalid,
    /// A path that should be a folder is not one.
    NotAFolder,
    /// A file cannot be read.
    FileRead,
    /// A file cannot be written.
    FileWrite,
    /// A file would be overwritten.
    FileExists,
    /// Release files with errors; the diagnostics say where.
    InvalidFiles,
    /// What was asked for does not exist.
    NotFound,
    /// What was asked for clashes with what exists or with what another process just did.
    Conflict,
    /// The key that seals secret values cannot be read or made.
    SecretKey,
    /// A stored secret cannot be opened with this data folder's key.
    SecretSealed,
    /// The environment's runtime (Docker, a cluster) failed to do what was asked.
    RuntimeFailed,
    /// A request's field holds a value Stagecraft cannot take; the message names the field.
    InvalidRequest,
    /// The kubeconfig has no context by that name.
    KubeContextMissing,
    /// The cluster's API server did not answer.
    KubeUnreachable,
    /// The cluster refused: unauthorised, forbidden (with the verb and resource), or another
    /// refusal of its API.
    KubeRefused,
    /// A wait on the cluster ran out of time, or what it waited for failed.
    KubeFailed,
    /// A `git` command Stagecraft runs on the app's repository failed, or git is missing.
    GitFailed,
    /// A service's image did not build; the message has the builder's reason.
    BuildFailed,
    /// The user cancelled the work.
    Cancelled,
    /// A deploy failed or was interrupted; the message says which task and why.
    DeployFailed,
    /// A deploy ran to its end with a failed task or a service not ready: the environment runs,
    /// degraded; the message names them.
    Degraded,
    /// An HTTP API request without a valid token (`X-User-Token`, or `Authorization: Bearer`).
    Unauthorized,
    /// An HTTP API request whose body is larger than the API takes.
    RequestTooLarge,
    /// An HTTP API request that took longer than the API gives one.
    RequestTimeout,
    /// An HTTP API request over its token's rate (requests per second); `Retry-After` says
    /// when to try again.
    RateLimited,
}

/// Why a deploy that ended did not end well, as the command line prints it in every output
/// mode: the stable code and the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl Failure {
    /// None for a clean success, and while the deploy waits or runs. A runtime's failure keeps
    /// the code its direct call would have (`DOCKER_UNREACHABLE`, ...).
    pub fn of_deploy(runtime: &str, deploy: &stagecraft_engine::Deploy) -> Option<Self> {
        use stagecraft_engine::DeployOutcome as O;
        let outcome = deploy.outcome.as_ref()?;
        let code = match outcome {
            O::Succeeded { .. } if outcome.is_degraded() => ErrorCode::Degraded,
            O::Succeeded { .. } => return None,
            O::Failed {
                kind: Some(kind), ..
            } => ErrorCode::of_runtime(runtime, *kind),
            O::Failed { .. } | O::Interrupted { .. } => ErrorCode::DeployFailed,
            O::Cancelled => ErrorCode::Cancelled,
        };
        Some(Self {
            code,
            message: format!(
                "deploy {} ({}) {}",
                deploy.id,
                deploy.stage.as_str(),
                outcome.describe()
            ),
        })
    }
}

/// Everything a use case can fail with. Each variant keeps its cause; [`Error::code`] gives the
/// stable code for the wire.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot find a folder for Stagecraft's data on this system: set STAGECRAFT_DATA_DIR to \
         one"
    )]
    NoDataDir,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error(transparent)]
    Kube(#[from] KubeError),
    #[error("{path} is not a folder: give the repository's folder")]
    NotAFolder { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} exists already: move it away, or pass --force to overwrite it")]
    Exists { path: PathBuf },
    #[error(
        "cannot read or make the key that seals secrets, {path}: {source}. Check the folder's permissions"
    )]
    SecretKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the key that seals secrets is in the OS keychain (service `{service}`, account `{account}`) and cannot be read: {message}. Unlock the keychain, or run Stagecraft where it is reachable"
    )]
    SecretKeychain {
        service: &'static str,
        account: String,
        message: String,
    },
    #[error(
        "cannot open the secret `{key}` with the key in {key_home}: it was sealed with another key. Set the secret again"
    )]
    SecretSealed { key: String, key_home: String },
    #[error("{field}: {message}")]
    InvalidRequest {
        field: &'static str,
        message: String,
    },
    #[error("no {what} named `{name}`")]
    NotFound { what: &'static str, name: String },
    #[error("{message}")]
    Conflict { message: String },
    #[error("{}", diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { diagnostics: Vec<Diagnostic> },
    #[error("the runtime of {env_id} failed: {source}")]
    Runtime {
        env_id: String,
        /// `docker`, or `kube:<context>`.
        runtime: String,
        #[source]
        source: RuntimeError,
    },
    /// `git` in the app's repository: what was run and what it said (or that git is missing).
    #[error("{message}")]
    Git { message: String },
    #[error("the build of {service} failed: {message}")]
    BuildFailed { service: String, message: String },
    #[error("the build of {service} was cancelled")]
    BuildCancelled { service: String },
    /// A `configmap` entry whose file cannot be placed in the workload.
    #[error("configmap `{entry}`: {message}")]
    ConfigFile { entry: String, message: String },
}

impl ErrorCode {
    /// The code of a runtime's failure of `kind` on `runtime` (`docker`, `kube:<context>`):
    /// the same the runtime's own error would have, so a failed deploy task says what to do
    /// as a failed call does.
    pub fn of_runtime(runtime: &str, kind: RuntimeErrorKind) -> Self {
        let kube = runtime.starts_with("kube:");
        match kind {
            RuntimeErrorKind::Unreachable if kube => Self::KubeUnreachable,
            RuntimeErrorKind::Unreachable => Self::DockerUnreachable,
            RuntimeErrorKind::Refused if kube => Self::KubeRefused,
            RuntimeErrorKind::Refused => Self::DockerApi,
            RuntimeErrorKind::TimedOut if kube => Self::KubeFailed,
            RuntimeErrorKind::TimedOut => Self::DockerTimeout,
            RuntimeErrorKind::NotFound => Self::NotFound,
            RuntimeErrorKind::Conflict => Self::Conflict,
            RuntimeErrorKind::Failed => Self::RuntimeFailed,
        }
    }
}

impl Error {
    /// `env`'s runtime failed.
    pub fn runtime(env: &stagecraft_engine::Environment, source: RuntimeError) -> Self {
        Self::Runtime {
            env_id: env.env_id.clone(),
            runtime: env.runtime.clone(),
            source,
        }
    }

    /// What kind of runtime failure this is, when it is one (the engine that builds is the
    /// Docker runtime's).
    pub(crate) fn runtime_kind(&self) -> Option<RuntimeErrorKind> {
        match self {
            Self::Runtime { source, .. } => Some(source.kind),
            Self::Docker(
                DockerError::Unreachable { .. }
                | DockerError::NoneAnswered { .. }
                | DockerError::Endpoint { .. },
            )
            | Self::Kube(KubeError::Unreachable { .. }) => Some(RuntimeErrorKind::Unreachable),
            Self::Docker(DockerError::Timeout { .. }) | Self::Kube(KubeError::Timeout { .. }) => {
                Some(RuntimeErrorKind::TimedOut)
            }
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NoDataDir | Self::Store(StoreError::CreateDir { .. }) => {
                ErrorCode::DataDirUnavailable
            }
            Self::Store(StoreError::NewerSchema { .. }) => ErrorCode::StoreNewerSchema,
            Self::Store(
                StoreError::Lock { .. } | StoreError::Open { .. } | StoreError::Migrate { .. },
            ) => ErrorCode::StoreUnavailable,
            Self::Store(StoreError::Query { .. } | StoreError::Sql(_)) => ErrorCode::StoreQuery,
            Self::Store(StoreError::Conflict { .. } | StoreError::UnknownValue { .. })
            | Self::Conflict { .. } => ErrorCode::Conflict,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::SecretKey { .. } | Self::SecretKeychain { .. } => ErrorCode::SecretKey,
            Self::SecretSealed { .. } => ErrorCode::SecretSealed,
            Self::Docker(DockerError::Unreachable { .. } | DockerError::NoneAnswered { .. }) => {
                ErrorCode::DockerUnreachable
            }
            Self::Docker(DockerError::Timeout { .. }) => ErrorCode::DockerTimeout,
            Self::Docker(DockerError::Endpoint { .. }) => ErrorCode::DockerEndpoint,
            Self::Docker(DockerError::Api { .. }) => ErrorCode::DockerApi,
            Self::Kube(KubeError::NoContext { .. }) => ErrorCode::KubeContextMissing,
            Self::Kube(KubeError::Unreachable { .. }) => ErrorCode::KubeUnreachable,
            Self::Kube(
                KubeError::Unauthorized { .. }
                | KubeError::Forbidden(_)
                | KubeError::Api(_)
                | KubeError::NoSnapshots { .. },
            ) => ErrorCode::KubeRefused,
            Self::Kube(KubeError::Failed { .. } | KubeError::Timeout { .. }) => {
                ErrorCode::KubeFailed
            }
            Self::Kube(_) => ErrorCode::KubeconfigInvalid,
            Self::NotAFolder { .. } => ErrorCode::NotAFolder,
            Self::ReadFile { .. } => ErrorCode::FileRead,
            Self::WriteFile { .. } => ErrorCode::FileWrite,
            Self::Exists { .. } => ErrorCode::FileExists,
            Self::Invalid { .. } => ErrorCode::InvalidFiles,
            Self::Runtime {
                runtime, source, ..
            } => ErrorCode::of_runtime(runtime, source.kind),
            Self::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            Self::Git { .. } => ErrorCode::GitFailed,
            Self::BuildFailed { .. } => ErrorCode::BuildFailed,
            Self::BuildCancelled { .. } => ErrorCode::Cancelled,
            Self::ConfigFile { .. } => ErrorCode::FileRead,
        }
    }
}
