//! Health, kept apart from deploy status as Argo CD keeps Healthy/Degraded apart from Synced:
//! what the runtime says of each service of an environment now.
//!
//! A setup or patch that runs to its end with a failed service task (a step without
//! `halt_on_error`, Release's default, goes on after one), or with a service not ready when it
//! ends, leaves its environment `degraded`, not `deployed` (`deploy/run.rs`). After that, each
//! round of the clock looks again at every deployed or degraded environment and moves it
//! between the two as its runtime reports its services ready or not. Each move to degraded
//! leaves a `degraded` notice naming the services (the app shows it as a desktop notification).
//!
//! Chosen where Release is silent: a service is ready when the runtime reports every replica
//! it should have as ready (Docker: running; Kubernetes: the Deployment's ready replicas);
//! jobs are not services and are not counted. A runtime that cannot be asked (the engine
//! stopped, a cluster out of reach) changes nothing: the status says what was last seen.

use stagecraft_engine::{Environment, EnvironmentEvent, EnvironmentStatus, WorkloadStatus};
use stagecraft_store::{environment, notice};

use crate::{Error, Stagecraft};

/// A notice's kind for an environment that became degraded.
pub const DEGRADED_NOTICE: &str = "degraded";

impl Stagecraft {
    /// Each service of the environment as its runtime reports it now (`services.<name>`,
    /// ready and wanted replicas, and why not ready).
    pub async fn health(&self, env_id: &str) -> Result<Vec<WorkloadStatus>, Error> {
        let env = self.environment(env_id).await?;
        let mut services = self.services_now(&env).await?;
        services.sort_by(|a, b| a.workload.cmp(&b.workload));
        Ok(services)
    }

    /// The services the runtime reports, and those the environment's last setup or patch
    /// deployed that it does not (no container, no Deployment: `0 of 0`, "not running").
    pub(crate) async fn services_now(
        &self,
        env: &Environment,
    ) -> Result<Vec<WorkloadStatus>, Error> {
        let version = self
            .last_deployed(env)
            .await?
            .and_then(|d| d.config_version);
        self.services_against(env, version).await
    }

    /// The services the runtime reports, and those configuration `version` has that it does
    /// not; only the reported ones without a version.
    pub(crate) async fn services_against(
        &self,
        env: &Environment,
        version: Option<i64>,
    ) -> Result<Vec<WorkloadStatus>, Error> {
        let runtime = self.runtime_of(env)?;
        let target = self.environment_ref(env).await?;
        let mut statuses: Vec<WorkloadStatus> = runtime
            .status(&target)
            .await
            .map_err(|e| Error::runtime(env, e))?
            .into_iter()
            .filter(|s| s.workload.starts_with("services."))
            .collect();
        for service in self.services_of(env, version).await? {
            let workload = format!("services.{service}");
            if !statuses.iter().any(|s| s.workload == workload) {
                statuses.push(WorkloadStatus {
                    workload,
                    ready_replicas: 0,
                    replicas: 0,
                    reason: Some("not running".to_owned()),
                });
            }
        }
        Ok(statuses)
    }

    /// The services of the environment's configuration `version`; none without one.
    async fn services_of(
        &self,
        env: &Environment,
        version: Option<i64>,
    ) -> Result<Vec<String>, Error> {
        let pool = self.store.pool();
        let Some(version) = version else {
            return Ok(Vec::new());
        };
        // With the apps it imports, when they can be read.
        if let Ok(resolved) = self.resolve_as(env, Some(version), false).await {
            return Ok(resolved
                .template
                .services
                .iter()
                .filter_map(|s| s.name.as_ref().map(|n| n.value.clone()))
                .collect());
        }
        let Some(config) = environment::config(pool, env.id, version).await? else {
            return Ok(Vec::new());
        };
        let template = stagecraft_template::parse_template("deployed", &config.config_yaml);
        Ok(template
            .value
            .map(|t| {
                t.services
                    .iter()
                    .filter_map(|s| s.name.as_ref().map(|n| n.value.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Records how many of `env`'s services are ready (the list's "2 of 3 ready"), and gives
    /// those that are not, described.
    pub(crate) async fn note_services(
        &self,
        env: &Environment,
        services: &[WorkloadStatus],
    ) -> Result<Vec<String>, Error> {
        let unready: Vec<String> = services
            .iter()
            .filter(|s| !s.is_ready() || s.replicas == 0)
            .map(WorkloadStatus::describe)
            .collect();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        environment::note_services_ready(
            self.store.pool(),
            env.id,
            count(services.len() - unready.len()),
            count(services.len()),
        )
        .await?;
        Ok(unready)
    }

    /// Records that `env` became degraded, and why: a notice the app shows.
    pub(crate) async fn note_degraded(&self, env: &Environment, why: &str) -> Result<(), Error> {
        let message = format!("{} is degraded: {why}", env.env_id);
        notice::record(self.store.pool(), env.id, DEGRADED_NOTICE, &message, None).await?;
        Ok(())
    }

    /// Looks at every deployed or degraded environment's services, records how many are ready
    /// (the list's "2 of 3 ready"), and moves it to degraded (some service not ready) or back
    /// to deployed (all ready). Gives the environments that
    /// moved, with their new status. An environment whose runtime cannot be asked is skipped.
    pub async fn check_health(&self) -> Result<Vec<(String, EnvironmentStatus)>, Error> {
        let pool = self.store.pool();
        let mut moved = Vec::new();
        // A custom workflow or a cron run leaves the environment deployed while it runs: one
        // that replaces a service is not a service gone down.
        let busy: std::collections::HashSet<i64> = stagecraft_store::deploy::running(pool)
            .await?
            .iter()
            .map(|d| d.environment_id)
            .collect();
        for env in environment::list(pool).await? {
            if !matches!(
                env.status,
                EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
            ) || busy.contains(&env.id)
            {
                continue;
            }
            let services = match self.services_now(&env).await {
                Ok(services) => services,
                Err(error) => {
                    tracing::debug!(env = %env.env_id, %error, "health not read");
                    continue;
                }
            };
            let unready = match self.note_services(&env, &services).await {
                Ok(unready) => unready,
                Err(error) => {
                    // One environment's count not kept does not stop the round for the others.
                    tracing::warn!(env = %env.env_id, %error, "services not counted");
                    continue;
                }
            };
            let event = match (env.status, unready.is_empty()) {
                (EnvironmentStatus::Deployed, false) => EnvironmentEvent::HealthDegraded,
                (EnvironmentStatus::Degraded, true) => EnvironmentEvent::HealthRecovered,
                _ => continue,
            };
            let Ok(next) = env.status.on(event) else {
                continue;
            };
            // Only from the status looked at: a deploy that started meanwhile wins.
            if environment::set_status(pool, env.id, env.status, next).await? {
                if next == EnvironmentStatus::Degraded {
                    self.note_degraded(&env, &unready.join(", ")).await?;
                }
                moved.push((env.env_id.clone(), next));
            }
        }
        Ok(moved)
    }
}
