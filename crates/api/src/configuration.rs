//! An environment's own configuration and variables: read, replace (validated, as a new
//! version), the final variables of each workload with secrets masked, and its service URLs.
//!
//! Each environment's service URLs in the environments list come from its configuration, read
//! once per configuration version (`UrlCache`): 40 environments of the 27-service
//! opentelemetry-demo template list in 24 ms the first time and 0.3 ms (median) after
//! (`cargo bench -p stagecraft-api --bench rows`; 27 ms every time before the cache).

use std::collections::HashMap;

use serde::Serialize;
use stagecraft_store::environment;

use crate::{Error, Stagecraft};

/// What stands in for a secret's value wherever it is shown.
pub const MASK: &str = "••••••";

/// One saved version of an environment's configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigVersion {
    /// `v{default}.{specific}`.
    pub version: String,
    pub specific: i64,
    pub config_yaml: String,
    pub created_at: String,
    /// With GitOps, where the configuration comes from and is edited:
    /// `.release/application_template.yaml on branch main`; `None` when it is edited here.
    pub follows: Option<String>,
    /// For the newest version (the one deploys run): each key the environment's runtime does
    /// not carry out, located, with what happens instead. Empty for older versions.
    pub warnings: Vec<stagecraft_template::Diagnostic>,
    /// The values its parameters were given (a version may differ from the one before only
    /// in these).
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// A workload's final variable, as shown: a secret's value is [`MASK`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownVar {
    pub key: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadVars {
    /// `services.<name>`, `jobs.<name>`, `cron_jobs.<name>`, or an init container's or a
    /// sidecar's: `services.<name>/init.<name>`, `services.<name>/sidecar.<name>`.
    pub workload: String,
    pub vars: Vec<ShownVar>,
    /// How the workload reads them when it is not as its container's environment (a static
    /// service's site build).
    pub note: Option<String>,
}

/// A service's address, as Release's CLI reports it: its hostname through the local ingress
/// (`http://web-ted1bc4.localhost:7480`), and the port its runtime publishes it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hostname {
    pub service: String,
    pub url: String,
    /// `http://127.0.0.1:<port>`, for tools that want a plain port; none where the runtime
    /// brings nothing to this machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<String>,
}

/// `hostnames` with each direct URL at the port a patch moved its service to, where one did.
fn moved(
    hostnames: Vec<PortedHostname>,
    env_id: &str,
    now: &[stagecraft_store::published_port::PublishedPort],
) -> Vec<Hostname> {
    hostnames
        .into_iter()
        .map(|(mut hostname, port)| {
            if let (Some(direct), Some(port)) = (&hostname.direct, port)
                && let Some(address) =
                    crate::ingress::direct_address(direct, env_id, &hostname.service, port, now)
            {
                hostname.direct = Some(format!("http://{address}"));
            }
            hostname
        })
        .collect()
}

/// Service URLs by (environment row id, default version, specific version), each with its
/// service's port, their direct URL at the stable port. A configuration version never changes
/// once saved, and neither does the runtime an environment runs on; where a patch moved a
/// service is read apart ([`Stagecraft::moved_ports`]).
#[derive(Debug, Default)]
pub(crate) struct UrlCache(std::sync::Mutex<HashMap<(i64, i64, i64), Vec<PortedHostname>>>);

/// A service's URLs, with its port (its `node_port`'s, when it has one).
type PortedHostname = (Hostname, Option<u16>);

impl Stagecraft {
    /// The service URLs of `env` at its current configuration version, read once per version.
    pub(crate) async fn cached_hostnames(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Vec<Hostname>, Error> {
        // Without its runtime the template's own hostnames show, until the runtime is there.
        if self.runtimes.get(&env.runtime).is_none() {
            return self.hostnames(&env.env_id).await;
        }
        let key = (env.id, env.version.default, env.version.specific);
        let cached = self.urls.0.lock().ok().and_then(|c| c.get(&key).cloned());
        let found = match cached {
            Some(found) => found,
            None => {
                let found = self.stable_hostnames(&env.env_id).await?;
                if let Ok(mut cache) = self.urls.0.lock() {
                    cache.insert(key, found.clone());
                }
                found
            }
        };
        Ok(moved(found, &env.env_id, &self.moved_ports().await?))
    }

    /// Every saved version of the environment's configuration, newest first.
    pub async fn config_history(&self, env_id: &str) -> Result<Vec<ConfigVersion>, Error> {
        let env = self.environment(env_id).await?;
        let follows = self.follows(&env).await?;
        let history = environment::config_history(self.store.pool(), env.id).await?;
        let target = if env.runtime.starts_with("kube") {
            stagecraft_template::Target::Kubernetes
        } else {
            stagecraft_template::Target::Docker
        };
        Ok(history
            .into_iter()
            .enumerate()
            .map(|(i, c)| ConfigVersion {
                warnings: if i == 0 {
                    let file = format!("{env_id} configuration");
                    stagecraft_template::unsupported(&file, &c.config_yaml, target).0
                } else {
                    Vec::new()
                },
                version: format!(
                    "v{}.{}",
                    c.default_version.unwrap_or(env.version.default),
                    c.version
                ),
                specific: c.version,
                // Written by this store as a JSON object; unreadable, it shows none.
                parameters: serde_json::from_str(&c.parameters_json).unwrap_or_default(),
                config_yaml: c.config_yaml,
                created_at: c.created_at,
                follows: follows.clone(),
            })
            .collect())
    }

    /// The environment's configuration as it stands.
    pub async fn config_get(&self, env_id: &str) -> Result<ConfigVersion, Error> {
        self.config_history(env_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                what: "configuration of environment",
                name: env_id.to_owned(),
            })
    }

    /// Where `env`'s configuration is edited when its app follows its Release files: the
    /// template file on the environment's branch.
    pub(crate) async fn follows(
        &self,
        env: &stagecraft_engine::Environment,
    ) -> Result<Option<String>, Error> {
        let app = self.find_app(&env.app).await?;
        if !app.gitops {
            return Ok(None);
        }
        let config = stagecraft_store::app::latest_config(self.store.pool(), app.id).await?;
        let file = config.map_or_else(|| ".release.yaml".to_owned(), |c| c.template_file);
        Ok(Some(format!("{file} on branch {}", env.branch)))
    }

    /// Replaces the environment's configuration with `yaml`, after validating it: every
    /// mistake is reported with its line, column and key path, and nothing is saved. The
    /// version's second number goes up; the next deploy runs setup, since the configuration
    /// changed.
    pub async fn config_set(&self, env_id: &str, yaml: &str) -> Result<ConfigVersion, Error> {
        let env = self.environment(env_id).await?;
        crate::environment::ensure_standing(&env)?;
        if let Some(source) = self.follows(&env).await? {
            return Err(Error::Conflict {
                message: format!(
                    "{} follows its Release files (GitOps): edit {source} and deploy, or turn \
                     GitOps off with `stagecraft apps set-gitops {} off`",
                    env.app, env.app
                ),
            });
        }
        let file = format!("{env_id} configuration");
        let parsed = stagecraft_template::load_config(&file, yaml);
        if parsed.value.is_none() || parsed.diagnostics.has_errors() {
            return Err(Error::Invalid {
                diagnostics: parsed.diagnostics.0,
            });
        }
        let current = environment::config(self.store.pool(), env.id, env.version.specific)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "configuration of environment",
                name: env_id.to_owned(),
            })?;
        environment::insert_config(self.store.pool(), env.id, yaml, &current.variables_yaml)
            .await?;
        self.config_get(env_id).await
    }

    /// Where each service with a `node_port` is reached: `<SERVICE>_INGRESS_URL` (its
    /// hostname through the local ingress), and the 127.0.0.1 port the environment's runtime
    /// publishes it on.
    pub async fn hostnames(&self, env_id: &str) -> Result<Vec<Hostname>, Error> {
        let found = self.stable_hostnames(env_id).await?;
        let now = stagecraft_store::published_port::of(self.store.pool(), env_id).await?;
        Ok(moved(found, env_id, &now))
    }

    /// [`Self::hostnames`], each with its service's port, the direct URLs at the stable
    /// ports.
    async fn stable_hostnames(&self, env_id: &str) -> Result<Vec<PortedHostname>, Error> {
        let env = self.environment(env_id).await?;
        let resolved = self.resolve(&env, None).await?;
        let ports = stagecraft_engine::exposed_ports(&resolved.template);
        let runtime = self.runtimes.get(&env.runtime);
        let hostnames: Vec<PortedHostname> = resolved
            .injected
            .ingress
            .into_iter()
            .map(|(service, url, _)| {
                let port = ports.iter().find(|(s, _)| *s == service).map(|p| p.1);
                let direct = runtime
                    .as_ref()
                    .zip(port)
                    .and_then(|(runtime, port)| runtime.ingress_url(&env.env_id, &service, port));
                let hostname = Hostname {
                    service,
                    url,
                    direct,
                };
                (hostname, port)
            })
            .collect();
        // A runtime that brings services to this machine reaches only those with a port
        // (one with a `hostnames` entry and no `node_port` is not reached here); one that
        // brings nothing shows the template's own hostnames, as Release gives them.
        let local = hostnames.iter().any(|(h, _)| h.direct.is_some());
        Ok(hostnames
            .into_iter()
            .filter(|(h, _)| !local || h.direct.is_some())
            .collect())
    }

    /// The final variables of every service and job, secrets masked: with the build and
    /// commit the environment runs (its last successful setup or patch's), as its containers
    /// have them; before any build, the placeholders a deploy replaces.
    pub async fn variables_get(&self, env_id: &str) -> Result<Vec<WorkloadVars>, Error> {
        let env = self.environment(env_id).await?;
        let resolved = self.resolve(&env, None).await?;
        // The build and commit the environment runs: its last successful setup or patch's.
        let mut injected = resolved.injected.clone();
        let pool = self.store.pool();
        if let Some(build_id) = self.live_build(&env).await? {
            injected.build_id = build_id.to_string();
            if let Some(commit) = stagecraft_store::build::by_id(pool, build_id)
                .await?
                .and_then(|b| b.git_commit)
            {
                injected.commit_sha = commit;
            }
        }
        let shown = |key: &str, value: &str, secret: bool| ShownVar {
            value: if secret {
                MASK.to_owned()
            } else {
                value.to_owned()
            },
            key: key.to_owned(),
            secret,
        };
        let envs = resolved.envs_with(&injected)?;
        // Init containers and sidecars: their service's variables with their own over them,
        // as the engine gives them.
        let workloads = stagecraft_engine::workloads(&resolved.template, &envs);
        let mut services: Vec<&stagecraft_engine::ServiceSpec> =
            workloads.services.values().collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        let attached = services.into_iter().flat_map(|service| {
            let inits = service.init_containers.iter().map(|c| ("init", c));
            let sidecars = service.sidecars.iter().map(|c| ("sidecar", c));
            inits.chain(sidecars).map(|(kind, container)| WorkloadVars {
                workload: format!("services.{}/{kind}.{}", service.name, container.name),
                vars: container
                    .env
                    .iter()
                    .map(|v| shown(&v.key, &v.value, v.secret))
                    .collect(),
                note: None,
            })
        });
        let statics: Vec<String> = resolved
            .template
            .static_services()
            .map(|name| format!("services.{name}"))
            .collect();
        let mut out: Vec<WorkloadVars> = envs
            .iter()
            .map(|w| WorkloadVars {
                workload: w.workload.clone(),
                vars: w
                    .vars()
                    .map(|v| shown(&v.key, &v.value, v.secret))
                    .collect(),
                note: statics.contains(&w.workload).then(|| {
                    "a static service: its site's build reads these (not the secrets, nor \
                     RELEASE_BUILD_ID and RELEASE_COMMIT_*); its file server's container gets none"
                        .to_owned()
                }),
            })
            .collect();
        out.extend(attached);
        Ok(out)
    }
}
