//! # stagecraft-kube
//!
//! The Kubernetes runtime: Stagecraft's only door to a cluster (kind, minikube, k3d, Docker
//! Desktop, or any real cluster), through kube-rs.
//!
//! Must not depend on: tauri, sqlx, bollard, or `stagecraft-api`.
//!
//! # Layout
//! - `kubeconfig.rs`: the contexts a user's kubeconfig offers ([`read_contexts`]); reading them
//!   never contacts a cluster

mod kubeconfig;

pub use kubeconfig::{
    KubeContext, KubeError, KubeconfigContexts, default_kubeconfig_paths, read_contexts,
};
