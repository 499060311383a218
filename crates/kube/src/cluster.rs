//! A cluster, reached through kube-rs: an environment's objects applied with server-side
//! apply under the field manager `stagecraft` (so a second apply of the same objects changes
//! nothing, and fields others manage are left to them), and its namespace deleted and waited
//! for until it is gone. Errors name the context, the verb and the resource.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::config::KubeConfigOptions;
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::KubeError;
use crate::kubeconfig::Refusal;
use crate::kubeconfig::merged;
use crate::manifest::Manifests;

/// Who owns the fields Stagecraft sets (server-side apply).
pub const FIELD_MANAGER: &str = "stagecraft";

/// How often a namespace being deleted is looked at.
const GONE_EVERY: Duration = Duration::from_millis(500);

/// One kubeconfig context's cluster.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    context: String,
}

impl Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A cluster behind `client` (tests give a mock service).
    pub fn new(client: Client, context: impl Into<String>) -> Self {
        Self {
            client,
            context: context.into(),
        }
    }

    /// The cluster of `context` in the kubeconfig files at `paths`. Nothing is sent until the
    /// first call.
    pub async fn connect(paths: &[PathBuf], context: &str) -> Result<Self, KubeError> {
        let (kubeconfig, _) = merged(paths)?;
        let kubeconfig = kubeconfig
            .filter(|k| k.contexts.iter().any(|c| c.name == context))
            .ok_or_else(|| KubeError::NoContext {
                context: context.to_owned(),
            })?;
        let options = KubeConfigOptions {
            context: Some(context.to_owned()),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| KubeError::Config {
                context: context.to_owned(),
                reason: e.to_string(),
            })?;
        let client = Client::try_from(config).map_err(|e| KubeError::Config {
            context: context.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self::new(client, context))
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    fn error(&self, verb: &str, resource: &str, name: &str, error: kube::Error) -> KubeError {
        let context = self.context.clone();
        match error {
            kube::Error::Api(status) if status.code == 401 => KubeError::Unauthorized { context },
            kube::Error::Api(status) => {
                let refusal = Box::new(Refusal {
                    context,
                    verb: verb.to_owned(),
                    resource: resource.to_owned(),
                    name: name.to_owned(),
                    code: status.code,
                    message: status.message.clone(),
                });
                if status.code == 403 {
                    KubeError::Forbidden(refusal)
                } else {
                    KubeError::Api(refusal)
                }
            }
            other => KubeError::Unreachable {
                context,
                reason: other.to_string(),
            },
        }
    }

    async fn apply_one<K>(&self, api: Api<K>, object: &K) -> Result<(), KubeError>
    where
        K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
    {
        let name = object.meta().name.clone().unwrap_or_default();
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(object),
        )
        .await
        .map(|_| ())
        .map_err(|e| self.error("apply", &K::plural(&()), &name, e))
    }

    /// Applies the environment's objects in order: the namespace, then what pods need
    /// (Secrets, claims), then the workloads.
    pub async fn apply(&self, manifests: &Manifests) -> Result<(), KubeError> {
        let namespace = manifests
            .namespace
            .metadata
            .name
            .clone()
            .unwrap_or_default();
        self.apply_one(
            Api::<Namespace>::all(self.client.clone()),
            &manifests.namespace,
        )
        .await?;
        for secret in &manifests.secrets {
            self.apply_one(Api::namespaced(self.client.clone(), &namespace), secret)
                .await?;
        }
        for claim in &manifests.claims {
            self.apply_one(Api::namespaced(self.client.clone(), &namespace), claim)
                .await?;
        }
        for deployment in &manifests.deployments {
            self.apply_one(Api::namespaced(self.client.clone(), &namespace), deployment)
                .await?;
        }
        for service in &manifests.services {
            self.apply_one(Api::namespaced(self.client.clone(), &namespace), service)
                .await?;
        }
        Ok(())
    }

    /// Deletes the namespace (and with it everything in it) and returns once it is gone, or
    /// after `within`. A namespace already gone is fine: teardown may run twice.
    pub async fn delete_namespace(&self, name: &str, within: Duration) -> Result<(), KubeError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        match api.delete(name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
            Err(error) => return Err(self.error("delete", "namespaces", name, error)),
        }
        // Its finalizers remove what it holds first, which takes seconds.
        let deadline = Instant::now() + within;
        loop {
            match api.get_opt(name).await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(error) => return Err(self.error("get", "namespaces", name, error)),
            }
            if Instant::now() >= deadline {
                return Err(KubeError::Timeout {
                    context: self.context.clone(),
                    what: format!("deleting namespace {name}"),
                    seconds: within.as_secs(),
                });
            }
            tokio::time::sleep(GONE_EVERY).await;
        }
    }
}
