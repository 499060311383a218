//! # stagecraft-engine
//!
//! The heart of Stagecraft: an environment's life through its four stages (build, setup,
//! patch, teardown), executed with the semantics of Release's workflows, against runtime
//! traits that the Docker and Kubernetes adapters implement.
//!
//! Must not depend on: tauri, sqlx, bollard, kube, or `stagecraft-api`. The runner only sends
//! events; the caller decides where they go (the store, the UI, logs).
//!
//! # Layout
//! - `build.rs`: the build stage: [`ImageBuilder`], skipping images whose inputs are unchanged
//! - `domain.rs`: what is kept: [`App`], [`Environment`], [`Deploy`], [`Version`]
//! - `stage.rs`: [`Stage`]
//! - `status.rs`: the status of environments, deploys and tasks, each with its transition table
//! - `runtime.rs`: the [`Runtime`] trait, what it is given ([`ServiceSpec`], [`JobSpec`])
//!   and [`RuntimeError`], whose [`RuntimeErrorKind`] says what the user can do
//! - `event.rs`: [`DeployEvent`], everything a deploy tells as it runs
//! - `exec.rs`: a command in a running container ([`ExecRequest`], [`ExecSession`])
//! - `handover.rs`: a service replaced without downtime behind the ingress ([`Switchboard`])
//! - `routing.rs`: the ingress's routing table (hostnames, the longest path prefix first)
//! - `exit.rs`: [`Ended`], how a container ended, in the same words on both runtimes
//! - `pull.rs`: why an image could not be pulled (no registry reached, or no such image)
//! - `runner.rs`: [`Runner`], one stage's workflow plan executed step by step
//! - `site.rs`: static services: their sites' builds ([`StaticSite`]) and how they are served
//! - `workload.rs`: a configuration and its resolved variables as runtime specs ([`workloads`])

mod build;
mod domain;
mod event;
mod exec;
mod exit;
mod handover;
mod ingress;
mod layer_files;
mod pause_schedule;
mod pull;
pub mod routing;
mod runner;
mod runtime;
mod site;
mod stage;
mod status;
mod tasks;
mod workload;

pub use build::{
    BuildLog, BuildProgress, BuildRequest, BuildStepTiming, BuiltImage, ImageBuilder, Layer,
    PreviousImage, ServiceBuild, build_images, build_requests,
};
pub use domain::{App, Deploy, Environment, EnvironmentKind, Version};
pub use event::{DeployEvent, DeployOutcome, EventSink, StepOutcome, TaskOutcome};
pub use exec::{
    EXEC_MARKER, ExecEnds, ExecExit, ExecInput, ExecOutput, ExecRequest, ExecSession, StdinChunk,
    TerminalSize, exec_marker, marked_command, stdin_writer, stop_command,
};
pub use exit::{Ended, memory, start_refused};
pub use handover::{Switchboard, other_host_port};
pub use ingress::{LocalRoute, local_hostnames, local_routes, local_url};
pub use layer_files::{FileChange, FileChanges, FileRename, LayerFile, LayerFiles};
pub use pause_schedule::{PauseSchedule, PauseScheduleError, ScheduledAction, Weekdays};
pub use pull::{Puller, pull_failure, registry_of};
pub use runner::{Retries, Runner, Timeouts, Workloads};
pub use runtime::{
    BoxStream, CapturedVolume, ConfigFile, ContainerSpec, CronJobSpec, EnvVar, EnvironmentRef,
    ImagePusher, JobExit, JobSpec, LabelledEnvironment, Ledger, Limits, LivenessSpec, LogLine,
    MemoryLedger, PortSpec, ProbeSpec, ReadinessSpec, Runtime, RuntimeError, RuntimeErrorKind,
    RuntimeObject, ServiceSpec, TaskProgress, VolumeMount, VolumeSeed, VolumeSnapshotRef,
    VolumeSource, WorkloadStatus, local_ingress_url, stable_host_port,
};
pub use site::{STATIC_SERVER, STATIC_SITE_PORT, StaticBuilds, StaticSite};
pub use stage::Stage;
pub use stagecraft_template::{LOCAL_DOMAIN, local_hostname};
pub use status::{DeployStatus, EnvironmentEvent, EnvironmentStatus, TaskStatus, TransitionError};
pub use tasks::Tasks;
pub use workload::{
    DEFAULT_COMPLETED_TIMEOUT, PER_DEPLOY_VARIABLES, exposed_ports, parse_cpu_millis,
    parse_memory_bytes, workloads,
};
