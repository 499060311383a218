//! # stagecraft-docker
//!
//! The Docker runtime: Stagecraft's only door to a Docker engine (Docker Engine, Docker Desktop,
//! Podman's Docker socket, Colima), through bollard.
//!
//! Must not depend on: tauri, sqlx, kube, or `stagecraft-api`. Nothing outside this crate
//! speaks bollard's types except this crate's own tests.
//!
//! # Layout
//! - `engine.rs`: [`DockerEngine`], the lazy connection to one endpoint, and [`EngineInfo`]
//! - `error.rs`: [`DockerError`], with the endpoint tried and what the user can do about it

mod engine;
mod error;

pub use engine::{DockerEngine, EndpointSource, EngineInfo};
pub use error::DockerError;
