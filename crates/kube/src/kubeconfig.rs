use std::path::PathBuf;

use kube::config::Kubeconfig;

/// A kubeconfig that exists but cannot be used. A missing file is not an error: most Docker
/// users have no cluster.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error(
        "the kubeconfig has no context {context}: pick one of `kubectl config get-contexts`, \
         or point KUBECONFIG at the file that defines it"
    )]
    NoContext { context: String },
    #[error("the context {context} cannot be used: {reason}. Fix it in the kubeconfig")]
    Config { context: String, reason: String },
    #[error(
        "the cluster of context {context} cannot be reached: {reason}. Is it running? \
         (kind: `kind get clusters`, minikube: `minikube status`, k3d: `k3d cluster list`)"
    )]
    Unreachable { context: String, reason: String },
    #[error(
        "the cluster of context {context} does not accept your credentials: log in again, or \
         refresh the kubeconfig"
    )]
    Unauthorized { context: String },
    #[error(
        "{} {} {} is forbidden in context {}: {}. Ask for that permission (RBAC), or use \
         another context",
        .0.verb, .0.resource, .0.name, .0.context, .0.message
    )]
    Forbidden(Box<Refusal>),
    #[error(
        "{} {} {} failed in context {} ({}): {}",
        .0.verb, .0.resource, .0.name, .0.context, .0.code, .0.message
    )]
    Api(Box<Refusal>),
    #[error("{what} failed in context {context}: {reason}")]
    Failed {
        context: String,
        what: String,
        reason: String,
    },
    #[error(
        "the cluster of context {context} cannot snapshot volumes: {reason}. A dataset on \
         Kubernetes is a VolumeSnapshot: install the CSI snapshot CRDs and controller and a \
         CSI driver with a VolumeSnapshotClass (minikube: `minikube addons enable \
         volumesnapshots` and `minikube addons enable csi-hostpath-driver`, then make \
         `csi-hostpath-sc` the default storage class), or take the dataset on Docker"
    )]
    NoSnapshots { context: String, reason: String },
    #[error("{what} did not happen within {seconds} s in context {context}")]
    Timeout {
        context: String,
        what: String,
        seconds: u64,
    },
    #[error(
        "cannot read the kubeconfig {path}: {source}. Fix the file, or point KUBECONFIG \
             at a valid one"
    )]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error(
        "cannot combine the kubeconfig {path} with the files before it in KUBECONFIG: \
             {source}"
    )]
    Merge {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
}

/// What a cluster refused: the call and the cluster's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub context: String,
    pub verb: String,
    pub resource: String,
    pub name: String,
    pub code: u16,
    pub message: String,
}

/// One context of the kubeconfig: a cluster, a user and a default namespace under one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeContext {
    pub name: String,
    pub cluster: String,
    /// The API server URL of the context's cluster, when the kubeconfig defines that cluster.
    pub server: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
    /// What made the cluster, which decides how built images reach its nodes.
    pub kind: ClusterKind,
}

/// Which tool made a cluster, as its kubeconfig entries tell: how images Stagecraft builds
/// reach its nodes depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    /// kind: images are loaded into its nodes (`kind load docker-image`).
    Kind,
    /// minikube: images are loaded into its node (`minikube image load`).
    Minikube,
    /// k3d: images are imported into its nodes (`k3d image import`).
    K3d,
    /// Docker Desktop's cluster: it runs on the same engine and sees its images.
    DockerDesktop,
    /// Any other cluster: images go through a registry the app names.
    Other,
}

impl ClusterKind {
    /// Told by the names kind (`kind-<name>`), k3d (`k3d-<name>`) and Docker Desktop
    /// (`docker-desktop`) give their contexts, and by the extension minikube writes into its
    /// entries (its profiles may have any name).
    fn of(context: &str, cluster: &str, minikube_extension: bool) -> ClusterKind {
        let named = |prefix: &str| context.starts_with(prefix) || cluster.starts_with(prefix);
        if minikube_extension || context == "minikube" || cluster == "minikube" {
            ClusterKind::Minikube
        } else if named("kind-") {
            ClusterKind::Kind
        } else if named("k3d-") {
            ClusterKind::K3d
        } else if matches!(context, "docker-desktop" | "docker-for-desktop") {
            ClusterKind::DockerDesktop
        } else {
            ClusterKind::Other
        }
    }
}

/// What the kubeconfig files offer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KubeconfigContexts {
    /// The files that exist and were read, in the order they were merged.
    pub files: Vec<PathBuf>,
    pub current_context: Option<String>,
    pub contexts: Vec<KubeContext>,
}

/// The files kubectl would read: every entry of `KUBECONFIG` (separated like `PATH`), or
/// `~/.kube/config` when it is unset or empty.
pub fn default_kubeconfig_paths() -> Vec<PathBuf> {
    let from_env: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|value| {
            std::env::split_paths(&value)
                .filter(|path| !path.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !from_env.is_empty() {
        return from_env;
    }
    directories::BaseDirs::new()
        .map(|dirs| vec![dirs.home_dir().join(".kube").join("config")])
        .unwrap_or_default()
}

/// Reads and merges the given kubeconfig files the way kubectl does (the first file to set a
/// value wins). Files that do not exist are skipped.
pub fn read_contexts(paths: &[PathBuf]) -> Result<KubeconfigContexts, KubeError> {
    let (merged, files) = merged(paths)?;
    let Some(config) = merged else {
        return Ok(KubeconfigContexts::default());
    };
    Ok(KubeconfigContexts {
        files,
        current_context: config.current_context.clone(),
        contexts: contexts_of(&config),
    })
}

/// The kubeconfig files merged as kubectl merges them, and the files that were read.
pub(crate) fn merged(paths: &[PathBuf]) -> Result<(Option<Kubeconfig>, Vec<PathBuf>), KubeError> {
    let mut merged: Option<Kubeconfig> = None;
    let mut files = Vec::new();
    for path in paths.iter().filter(|path| path.is_file()) {
        let config = Kubeconfig::read_from(path).map_err(|source| KubeError::Kubeconfig {
            path: path.clone(),
            source,
        })?;
        merged = Some(match merged {
            None => config,
            Some(earlier) => earlier.merge(config).map_err(|source| KubeError::Merge {
                path: path.clone(),
                source,
            })?,
        });
        files.push(path.clone());
    }
    Ok((merged, files))
}

fn contexts_of(config: &Kubeconfig) -> Vec<KubeContext> {
    config
        .contexts
        .iter()
        .map(|named| {
            let context = named.context.as_ref();
            let cluster = context.map(|c| c.cluster.clone()).unwrap_or_default();
            let minikube = context
                .and_then(|c| c.extensions.as_ref())
                .is_some_and(|extensions| {
                    extensions
                        .iter()
                        .any(|e| e.extension.to_string().contains("minikube.sigs.k8s.io"))
                });
            KubeContext {
                name: named.name.clone(),
                server: server_of(config, &cluster),
                user: context.and_then(|c| c.user.clone()),
                namespace: context.and_then(|c| c.namespace.clone()),
                kind: ClusterKind::of(&named.name, &cluster, minikube),
                cluster,
            }
        })
        .collect()
}

fn server_of(config: &Kubeconfig, cluster: &str) -> Option<String> {
    config
        .clusters
        .iter()
        .find(|named| named.name == cluster)
        .and_then(|named| named.cluster.as_ref())
        .and_then(|cluster| cluster.server.clone())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const KIND_AND_MINIKUBE: &str = r#"
apiVersion: v1
kind: Config
current-context: kind-dev
clusters:
- name: kind-dev
  cluster: { server: "https://127.0.0.1:6443" }
- name: minikube
  cluster: { server: "https://127.0.0.1:8443" }
contexts:
- name: kind-dev
  context: { cluster: kind-dev, user: kind-dev }
- name: minikube
  context: { cluster: minikube, user: minikube, namespace: demo }
users:
- name: kind-dev
  user: {}
- name: minikube
  user: {}
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn contexts_come_with_their_cluster_server_and_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "config", KIND_AND_MINIKUBE);

        let found = read_contexts(std::slice::from_ref(&path)).unwrap();

        assert_eq!(found.files, vec![path]);
        assert_eq!(found.current_context.as_deref(), Some("kind-dev"));
        assert_eq!(
            found.contexts,
            vec![
                KubeContext {
                    name: "kind-dev".into(),
                    cluster: "kind-dev".into(),
                    server: Some("https://127.0.0.1:6443".into()),
                    user: Some("kind-dev".into()),
                    namespace: None,
                    kind: ClusterKind::Kind,
                },
                KubeContext {
                    name: "minikube".into(),
                    cluster: "minikube".into(),
                    server: Some("https://127.0.0.1:8443".into()),
                    user: Some("minikube".into()),
                    namespace: Some("demo".into()),
                    kind: ClusterKind::Minikube,
                },
            ]
        );
    }

    #[test]
    fn the_tool_that_made_a_cluster_is_told_from_its_entries() {
        assert_eq!(
            ClusterKind::of("k3d-dev", "k3d-dev", false),
            ClusterKind::K3d
        );
        assert_eq!(
            ClusterKind::of("docker-desktop", "docker-desktop", false),
            ClusterKind::DockerDesktop
        );
        assert_eq!(
            ClusterKind::of("prod", "eks-prod", false),
            ClusterKind::Other
        );
        // A minikube profile may have any name; minikube marks its entries.
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "config",
            "apiVersion: v1\nkind: Config\nclusters: [{name: dev, cluster: {server: \
             'https://192.168.49.2:8443'}}]\ncontexts:\n- name: dev\n  context:\n    cluster: dev\n    \
             user: dev\n    extensions:\n    - name: context_info\n      extension: \
             {provider: minikube.sigs.k8s.io, version: v1.34.0}\nusers: [{name: dev, user: {}}]\n",
        );
        let found = read_contexts(&[path]).unwrap();
        assert_eq!(found.contexts[0].kind, ClusterKind::Minikube);
    }

    #[test]
    fn missing_files_mean_no_contexts_rather_than_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let found = read_contexts(&[dir.path().join("absent")]).unwrap();
        assert_eq!(found, KubeconfigContexts::default());
    }

    #[test]
    fn several_files_merge_with_the_first_current_context_winning() {
        let dir = tempfile::tempdir().unwrap();
        let first = write(dir.path(), "a", KIND_AND_MINIKUBE);
        let second = write(
            dir.path(),
            "b",
            "apiVersion: v1\nkind: Config\ncurrent-context: k3d\nclusters: [{name: k3d, cluster: \
             {server: 'https://127.0.0.1:7443'}}]\ncontexts: [{name: k3d, context: {cluster: \
             k3d, user: k3d}}]\nusers: [{name: k3d, user: {}}]\n",
        );

        let found = read_contexts(&[first.clone(), second.clone()]).unwrap();

        assert_eq!(found.files, vec![first, second]);
        assert_eq!(found.current_context.as_deref(), Some("kind-dev"));
        let names: Vec<_> = found.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["kind-dev", "minikube", "k3d"]);
    }

    #[test]
    fn a_broken_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "config", "contexts: [ this is not yaml");

        let error = read_contexts(std::slice::from_ref(&path)).unwrap_err();

        assert!(matches!(&error, KubeError::Kubeconfig { path: p, .. } if *p == path));
        assert!(error.to_string().contains(&path.display().to_string()));
    }
}
