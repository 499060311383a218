//! # stagecraft-docker
//!
//! The Docker runtime: Stagecraft's only door to a Docker engine (Docker Engine, Docker Desktop,
//! Podman's Docker socket, Colima), through bollard.
//!
//! Must not depend on: tauri, sqlx, kube, or `stagecraft-api`. Nothing outside this crate
//! speaks bollard's types except this crate's own tests.
//!
//! # Layout
//! - `discovery.rs`: where an engine may listen ([`Discovery`]): DOCKER_HOST, the Docker
//!   context, the default socket, Docker Desktop, Colima, Podman
//! - `engine.rs`: [`DockerEngine`], the lazy connection to the first that answers, and
//!   [`EngineInfo`]
//! - `error.rs`: [`DockerError`], with the endpoint tried and what the user can do about it

mod discovery;
mod engine;
mod error;

pub use discovery::{Candidate, Discovery, EndpointSource};
pub use engine::{DockerEngine, EngineInfo};
pub use error::DockerError;
