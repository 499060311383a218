//! # stagecraft-docker
//!
//! The Docker runtime: Stagecraft's only door to a Docker engine (Docker Engine, Docker Desktop,
//! Podman's Docker socket, Colima), through bollard.
//!
//! Depends on `stagecraft-engine`, whose `Runtime` and `ImageBuilder` it implements.
//! Must not depend on: tauri, sqlx, kube, or `stagecraft-api`. Nothing outside this crate
//! speaks bollard's types except this crate's own tests.
//!
//! # Layout
//! - `discovery.rs`: where an engine may listen ([`Discovery`]): DOCKER_HOST, the Docker
//!   context, the default socket, Docker Desktop, Colima, Podman
//! - `engine.rs`: [`DockerEngine`], the lazy connection to the first that answers, and
//!   [`EngineInfo`]
//! - `error.rs`: [`DockerError`], with the endpoint tried and what the user can do about it
//! - `runtime/`: [`DockerRuntime`], the engine's `Runtime`: a network per environment,
//!   containers by service name, rolling replacement, jobs, teardown by the ledger
//!   - `mod.rs`: [`DockerRuntime`] and its `Runtime` impl, our labels (`LABEL_*`)
//!   - `names.rs`: the names of networks, volumes and containers ([`network_name`]), the
//!     digest of a workload's spec
//!   - `containers.rs`: the network, volumes and images an environment needs; containers
//!     created from a plan, removed, listed by label
//!   - `rollout.rs`: a service deployed one replica at a time, each waited for until ready
//!   - `jobs.rs`: a job's container run until it exits, and killed
//!   - `teardown.rs`: an environment removed by its ledger, only what carries its label
//!   - `liveness.rs`: the watchers that restart a container failing its liveness probe
//!   - `inspection.rs`: workloads' status, the environment's objects, logs; a container's
//!     published ports and last log lines
//!   - `errors.rs`: bollard's errors as `RuntimeError`s, transient or not
//! - `probe.rs`: readiness probes (exec in the container, HTTP through 127.0.0.1)
//! - `port_owner.rs`: whether a 127.0.0.1 port is taken, and by which program
//! - `context.rs`: a build [`Context`]: the files `.dockerignore` keeps, their digest, the tar
//! - `hashes.rs`: [`FileHashes`], files' content hashes kept while their metadata is unchanged
//! - `builder.rs`: [`DockerBuilder`], the engine's `ImageBuilder`
//! - `push.rs`: [`DockerPusher`], images pushed to an app's registry with the user's
//!   credentials, for clusters that pull them
//! - `session.rs`: BuildKit's file-sync session, through which the engine reads a context
//! - `site.rs`: [`StaticSites`]: a static service's Dockerfile, and the image of Stagecraft's
//!   file server it ends in

mod builder;
mod context;
mod discovery;
mod engine;
mod error;
mod hashes;
mod layers;
mod port_owner;
mod probe;
mod push;
mod runtime;
mod session;
mod site;

pub use builder::DockerBuilder;
pub use context::{Context, Ignore};
pub use discovery::{Candidate, Discovery, EndpointSource};
pub use engine::{DockerEngine, EngineInfo};
pub use error::DockerError;
pub use hashes::FileHashes;
pub use push::DockerPusher;
pub use runtime::{
    DockerRuntime, LABEL_APP, LABEL_CONFIG, LABEL_ENV, LABEL_REPLICA, LABEL_WORKLOAD, network_name,
};
pub use site::{StaticSites, is_static_program};
pub use stagecraft_engine::stable_host_port;
