//! # stagecraft-kube
//!
//! The Kubernetes runtime: Stagecraft's only door to a cluster (kind, minikube, k3d, Docker
//! Desktop, or any real cluster), through kube-rs.
//!
//! Depends on `stagecraft-engine`, whose workloads it turns into Kubernetes objects.
//! Must not depend on: tauri, sqlx, bollard, or `stagecraft-api`.
//!
//! # Layout
//! - `kubeconfig.rs`: the contexts a user's kubeconfig offers ([`read_contexts`]); reading them
//!   never contacts a cluster
//! - `cluster.rs`: [`Cluster`], one context's cluster: server-side apply of an environment's
//!   objects, its namespace deleted and waited for
//! - `manifest.rs`: an environment's objects ([`Manifests`], [`job`]) from the engine's
//!   resolved workloads: namespace, Secrets, PersistentVolumeClaims, Deployments, Services, Jobs

mod cluster;
mod forward;
mod kubeconfig;
mod manifest;
mod rollout;
mod runtime;

pub use cluster::{Cluster, FIELD_MANAGER};
pub use kubeconfig::{
    ClusterKind, KubeContext, KubeError, KubeconfigContexts, Refusal, default_kubeconfig_paths,
    read_contexts,
};
pub use manifest::{
    ANNOTATION_CONFIG, LABEL_APP, LABEL_ENV, LABEL_WORKLOAD, Manifests, Owner, config_digest,
    dns_label, job,
};
pub use runtime::{Images, KubeRuntime};
