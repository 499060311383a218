//! Environments whose records are gone while a runtime still holds their labelled objects (the
//! database was deleted or made anew): found by their labels, and brought back on request.
//!
//! Adopting one creates its record again, under its own id, for its app (which must be added
//! first), on the runtime that holds it. It is `created`, as this database never set it up: the
//! first Deploy runs setup, which takes its objects over by their names. Everything the runtime
//! holds of it goes into its ledger at once, so a teardown removes it all. Chosen where Release
//! has nothing like it: its branch is the app's tracking branch, and it is permanent when the
//! app's template has a `permanent` environment template (nothing adopted expires behind the
//! user's back), else ephemeral with the default lifetime.

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;
use stagecraft_engine::Environment;
use stagecraft_store::ledger;

use crate::{CreateEnvironment, Error, Stagecraft};

/// How long one runtime may take to list what it holds: a cluster out of reach is skipped.
const LIST_WITHIN: Duration = Duration::from_secs(15);

/// An environment a runtime holds objects of, that this database has no record of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    pub env_id: String,
    /// Its app, as its labels name it.
    pub app: String,
    /// The runtime that holds it (`docker`, `kube:<context>`).
    pub runtime: String,
    /// Whether that app is added here: it must be, to adopt the environment.
    pub app_added: bool,
}

impl Stagecraft {
    /// The environments the registered runtimes hold labelled objects of, with no record here.
    /// A runtime that cannot be asked (no engine, a cluster out of reach) is skipped, logged.
    pub async fn orphans(&self) -> Result<Vec<Orphan>, Error> {
        let known: HashSet<String> = self
            .environments()
            .await?
            .into_iter()
            .map(|e| e.env_id)
            .collect();
        let apps: HashSet<String> = self.apps().await?.into_iter().map(|a| a.name).collect();
        let mut orphans = Vec::new();
        for name in self.runtimes.names() {
            let Some(runtime) = self.runtimes.get(&name) else {
                continue;
            };
            let found = match tokio::time::timeout(LIST_WITHIN, runtime.labelled_environments())
                .await
            {
                Ok(Ok(found)) => found,
                Ok(Err(error)) => {
                    tracing::warn!(runtime = name, %error, "cannot list what the runtime holds");
                    continue;
                }
                Err(_) => {
                    tracing::warn!(
                        runtime = name,
                        "the runtime did not list what it holds in time"
                    );
                    continue;
                }
            };
            for env in found {
                if !known.contains(&env.env_id) {
                    orphans.push(Orphan {
                        app_added: apps.contains(&env.app),
                        env_id: env.env_id,
                        app: env.app,
                        runtime: name.clone(),
                    });
                }
            }
        }
        Ok(orphans)
    }

    /// Brings back the environment `env_id` a runtime holds and this database has no record
    /// of: its record, `created`, with everything the runtime holds of it in its ledger.
    pub async fn adopt(&self, env_id: &str) -> Result<Environment, Error> {
        let orphan = self
            .orphans()
            .await?
            .into_iter()
            .find(|o| o.env_id == env_id)
            .ok_or_else(|| Error::NotFound {
                what: "environment that a runtime holds and no record names",
                name: env_id.to_owned(),
            })?;
        if !orphan.app_added {
            return Err(Error::InvalidRequest {
                field: "app",
                message: format!(
                    "{env_id} belongs to the app `{}`, which is not added here: add it first \
                     (stagecraft apps add PATH), then adopt {env_id} again",
                    orphan.app
                ),
            });
        }
        let app = self.find_app(&orphan.app).await?;
        let (_, template) = self.app_template(&app).await?;
        let permanent = template
            .environment_templates
            .iter()
            .any(|t| t.name.as_ref().is_some_and(|n| n.value == "permanent"));
        self.make_environment(
            CreateEnvironment {
                dataset: None,
                app: orphan.app.clone(),
                branch: None,
                environment_template: if permanent { "permanent" } else { "ephemeral" }.to_owned(),
                runtime: orphan.runtime.clone(),
                name: Some(env_id.to_owned()),
                ttl: None,
                // Its branch is the app's own; whether the repository has it does not matter here.
                working_tree: true,
                // Not known: a required one is asked for by its first deploy.
                parameters: Default::default(),
            },
            // Adopting: the id it has, required parameters asked for by its first deploy.
            true,
        )
        .await?;
        let env = self.environment(env_id).await?;
        let runtime = self.runtime_of(&env)?;
        let target = self.environment_ref(&env).await?;
        let objects = runtime
            .objects(&target)
            .await
            .map_err(|source| Error::Runtime {
                env_id: env_id.to_owned(),
                runtime: env.runtime.clone(),
                source,
            })?;
        for object in objects {
            ledger::record(self.store.pool(), env.id, &object.kind, &object.name).await?;
        }
        tracing::info!(
            env_id,
            app = orphan.app,
            "adopted an environment left by another database"
        );
        Ok(env)
    }
}
