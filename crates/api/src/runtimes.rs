//! The runtimes this Stagecraft deploys to, by name (`docker`, `kube:<context>`), and what one
//! is told about an environment.
//!
//! The app and the CLI register the same ones, and registering contacts nothing:
//! `Stagecraft::use_docker` registers the Docker runtime and builder over the same lazily
//! connected engine the System screen reports on, and `Stagecraft::use_kubernetes` a Kubernetes
//! runtime per kubeconfig context, `kube:<context>`, each connecting on its first use and given
//! the Docker engine to push built images with.

use std::collections::HashMap;
use std::sync::Arc;

use stagecraft_engine::{Environment, EnvironmentRef, Runtime};
use stagecraft_store::app;
use stagecraft_template::Injected;

use crate::{Error, Stagecraft};

/// Registered runtimes by name (`docker`, `kube:<context>`).
#[derive(Clone, Default)]
pub struct Runtimes(HashMap<String, Arc<dyn Runtime>>);

impl std::fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Runtimes {
    pub fn insert(&mut self, name: impl Into<String>, runtime: Arc<dyn Runtime>) {
        self.0.insert(name.into(), runtime);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<dyn Runtime>> {
        self.0.get(name)
    }

    /// The registered names, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.keys().cloned().collect();
        names.sort();
        names
    }
}

impl Stagecraft {
    /// Waits for what the runtimes still do for deploys that ended (old replicas stopping
    /// after a patch without downtime): a process calls it before it exits, so nothing it
    /// started is left half done.
    pub async fn settle(&self) {
        for runtime in self.runtimes.0.values() {
            runtime.settle().await;
        }
    }

    /// The runtime the environment runs on, when this Stagecraft has it.
    pub(crate) fn runtime_of(&self, env: &Environment) -> Result<Arc<dyn Runtime>, Error> {
        self.runtimes
            .get(&env.runtime)
            .cloned()
            .ok_or_else(|| Error::Conflict {
                message: format!(
                    "the runtime `{}` of {} is not available in this Stagecraft",
                    env.runtime, env.env_id
                ),
            })
    }

    /// What a runtime is told about the environment, with its ledger in the store and its
    /// app's image registry as it is now.
    pub(crate) async fn environment_ref(&self, env: &Environment) -> Result<EnvironmentRef, Error> {
        let app = app::by_id(self.store.pool(), env.app_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "app",
                name: env.app.clone(),
            })?;
        Ok(EnvironmentRef {
            env_id: env.env_id.clone(),
            app: env.app.clone(),
            image_registry: app.image_registry,
            share_registry_login: app.share_registry_login,
            ledger: Arc::new(crate::ledger::StoreLedger {
                store: self.store.clone(),
                environment_id: env.id,
            }),
        })
    }
}

/// Points `<SERVICE>_INGRESS_URL` and `_HOST` at the service's hostname through the local
/// ingress (`http://web-ted1bc4.localhost:7480`, `web-ted1bc4.localhost`) on a runtime that
/// brings its `node_port`s to this machine (Docker publishes them on 127.0.0.1, Kubernetes
/// forwards them there); the ingress passes each request on to that port.
pub(crate) fn runtime_ingress(
    runtime: &dyn Runtime,
    template: &stagecraft_template::Template,
    env_id: &str,
    ingress_port: u16,
    injected: &mut Injected,
) {
    for route in stagecraft_engine::local_hostnames(template, env_id) {
        if runtime
            .ingress_url(env_id, &route.service, route.port)
            .is_none()
        {
            continue;
        }
        let url = stagecraft_engine::local_url(&route.host, ingress_port);
        let entry = (route.service, url, route.host);
        match injected.ingress.iter_mut().find(|(s, _, _)| *s == entry.0) {
            Some(found) => *found = entry,
            None => injected.ingress.push(entry),
        }
    }
}
