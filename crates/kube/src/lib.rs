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
//! - `rollout.rs`: a Deployment's rollout, a Job's end and why a pod is not ready, read from
//!   what the watches saw
//! - `exec.rs`: a command in a running pod (`pods/exec` over WebSocket), a terminal's size
//!   followed, a closed terminal's shell stopped
//! - `forward.rs`: a `node_port` forwarded from 127.0.0.1 to a ready pod
//! - `snapshot.rs`: a dataset's volumes as VolumeSnapshots: taken and kept, a new
//!   environment's claims made from them (the objects in `manifest/snapshots.rs`)
//! - `runtime.rs`: [`KubeRuntime`], the engine's `Runtime`; built images reach the cluster
//!   ([`Images`]): loaded into kind, k3d and minikube nodes, or pushed to the app's registry
//!   ([`registry_repository`]) with the `ImagePusher` it is given

mod cluster;
mod exec;
mod forward;
mod kubeconfig;
mod manifest;
mod pause;
mod rollout;
mod runtime;
mod snapshot;

pub use cluster::{Cluster, FIELD_MANAGER};
pub use kubeconfig::{
    ClusterKind, KubeContext, KubeError, KubeconfigContexts, Refusal, default_kubeconfig_paths,
    read_contexts,
};
pub use manifest::{
    ANNOTATION_CONFIG, LABEL_APP, LABEL_ENV, LABEL_WORKLOAD, Manifests, Owner, PULL_SECRET,
    config_digest, dns_label, job, pre_provisioned_content, pull_secret, seeded_claim,
    volume_snapshot_of_claim, volume_snapshot_of_content,
};
pub use runtime::{Images, KubeRuntime, registry_repository};
