//! A service replica replaced without downtime behind the local ingress (the engine's
//! `handover`): whether it can be, where each `node_port` is published now, waiting until the
//! new replica answers, switching the ingress to it, and stopping the old one in the
//! background once its requests under way had time to end.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::ContainerSummary;
use bollard::query_parameters::StopContainerOptionsBuilder;
use stagecraft_engine::{EnvironmentRef, RuntimeError, ServiceSpec, TaskProgress, VolumeSource};

use super::errors::{failed, is_status};
use super::inspection::{published_port, running};
use super::names::summary_name;
use super::{DockerRuntime, LABEL_REPLICA, LABEL_WORKLOAD, STOP_GRACE_SECS, label};
use crate::probe;

/// How long a new replica without a readiness probe gets to listen on its `node_port` before
/// the ingress is switched to it anyway (the task's own time limit may end it first).
const ANSWER_WITHIN: Duration = Duration::from_secs(300);
/// Between two looks at whether the new replica answers.
const ANSWER_POLL: Duration = Duration::from_millis(100);
/// How long the old replica keeps running once the ingress sends it nothing new: its
/// requests under way end before it is asked to stop (then it has its stop's grace period).
const DRAIN: Duration = Duration::from_secs(5);

/// A `node_port` and the 127.0.0.1 port it is published on.
pub(super) type Published = (u16, u16);

/// A background task of the runtime's for one service of one environment: an old replica
/// retired, or a cut-short handover undone.
#[derive(Debug)]
pub(super) struct Retiring {
    env_id: String,
    service: String,
    /// The container it removes.
    replica: String,
    task: tokio::task::AbortHandle,
    /// `true` once it ended (however).
    done: tokio::sync::watch::Receiver<bool>,
}

impl DockerRuntime {
    /// The 127.0.0.1 port `service`'s `port` is published on, as kept: the stable one unless
    /// a handover moved it.
    pub(super) async fn published(
        &self,
        env: &EnvironmentRef,
        service: &str,
        port: u16,
    ) -> Result<u16, RuntimeError> {
        match &self.switchboard {
            Some(board) => board.published(env, service, port).await,
            None => Ok(stagecraft_engine::stable_host_port(
                &env.env_id,
                service,
                port,
            )),
        }
    }

    /// Where replica 0 of `spec` publishes its `node_port`s now: the old container's own
    /// ports (what it holds, whatever was kept), else where they are kept.
    pub(super) async fn publishing(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        old: Option<&ContainerSummary>,
    ) -> Result<Vec<Published>, RuntimeError> {
        let mut now = Vec::new();
        for port in spec.ports.iter().filter(|p| p.exposed) {
            let kept = self.published(env, &spec.name, port.container_port).await?;
            // One of the port's two (a port that was not a `node_port` before has one
            // Docker chose: the new replica goes where it is kept).
            let stable =
                stagecraft_engine::stable_host_port(&env.env_id, &spec.name, port.container_port);
            let second = stagecraft_engine::other_host_port(
                &env.env_id,
                &spec.name,
                port.container_port,
                stable,
            );
            let held = old
                .and_then(|old| holds(old, port.container_port))
                .filter(|held| *held == stable || *held == second);
            now.push((port.container_port, held.unwrap_or(kept)));
        }
        Ok(now)
    }

    /// The ports the new replica takes when it is started beside `old`, which publishes
    /// `before`: a service with one `node_port` (the one the ingress routes) and no volume
    /// that outlives its containers (two replicas of a database never share its files),
    /// while an ingress of this data folder serves, when the other port is free.
    pub(super) async fn handover_to(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        before: &[Published],
        old: Option<&ContainerSummary>,
    ) -> Option<Vec<Published>> {
        let board = self.switchboard.as_ref()?;
        let [(port, host)] = before else {
            return None;
        };
        let keeps_files = spec
            .volumes
            .iter()
            .chain(spec.sidecars.iter().flat_map(|c| &c.volumes))
            .chain(spec.init_containers.iter().flat_map(|c| &c.volumes))
            .any(|v| {
                matches!(
                    v.source,
                    VolumeSource::Persistent { .. } | VolumeSource::Shared { .. }
                )
            });
        if old.is_none() || keeps_files {
            return None;
        }
        let other = stagecraft_engine::other_host_port(&env.env_id, &spec.name, *port, *host);
        if std::net::TcpListener::bind(("127.0.0.1", other)).is_err() {
            tracing::warn!(
                service = %spec.name,
                port = other,
                "the service's second port is taken: it is replaced as without an ingress"
            );
            return None;
        }
        board.serving().await.then(|| vec![(*port, other)])
    }

    /// Waits until `container` listens on each of `hosts` ([`probe::listening`]; readiness
    /// is the template's probe, when it has one), for at most [`ANSWER_WITHIN`]; fails when
    /// it stops running.
    pub(super) async fn wait_answering(
        &self,
        docker: &Docker,
        container: &str,
        spec: &ServiceSpec,
        hosts: &[Published],
        progress: &TaskProgress,
    ) -> Result<(), RuntimeError> {
        if spec.readiness.is_some() {
            return Ok(());
        }
        let since = Instant::now();
        for (port, host) in hosts {
            loop {
                let Err(why) = probe::listening(*host).await else {
                    break;
                };
                let inspect = docker
                    .inspect_container(
                        container,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                    .map_err(|e| failed(format!("inspecting container {container}"), e))?;
                if !running(&inspect) {
                    return Err(RuntimeError::new(format!(
                        "{}'s new replica stopped before it answered on port {port}",
                        spec.name
                    )));
                }
                if since.elapsed() >= ANSWER_WITHIN {
                    progress.waiting(format!(
                        "port {port} was not listened on within {} s ({why}): the ingress \
                         is switched to the new replica anyway",
                        ANSWER_WITHIN.as_secs()
                    ));
                    break;
                }
                tokio::time::sleep(ANSWER_POLL).await;
            }
        }
        Ok(())
    }

    /// [`Self::switch`] for a handover: when the ingress did not confirm because it is gone
    /// (the app quit meanwhile), nobody routes through it and the move stands (kept for the
    /// next ingress); otherwise the handover fails.
    pub(super) async fn switch_over(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        hosts: &[Published],
    ) -> Result<(), RuntimeError> {
        match self.switch(env, spec, hosts).await {
            Ok(()) => Ok(()),
            Err(error) => match &self.switchboard {
                Some(board) if !board.serving().await => {
                    tracing::warn!(%error, service = %spec.name, "the ingress went while the service was replaced: the move stands");
                    Ok(())
                }
                _ => Err(error),
            },
        }
    }

    /// Sends the ingress's requests for `spec`'s ports to `hosts` from now on.
    pub(super) async fn switch(
        &self,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        hosts: &[Published],
    ) -> Result<(), RuntimeError> {
        if let Some(board) = &self.switchboard {
            for (port, host) in hosts {
                board.switch(env, &spec.name, *port, *host).await?;
            }
        }
        Ok(())
    }

    /// Whether `replica` (a running replica 0 of `spec`, which has a `node_port`) was left
    /// before it was found ready: the engine restarts a replica once it was, so one it would
    /// not restart never got there.
    pub(super) async fn unfinished(
        &self,
        docker: &Docker,
        spec: &ServiceSpec,
        replica: &str,
    ) -> bool {
        if self.switchboard.is_none() || !spec.ports.iter().any(|p| p.exposed) {
            return false;
        }
        docker
            .inspect_container(
                replica,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .ok()
            .and_then(|inspect| inspect.host_config?.restart_policy?.name)
            .is_none_or(|policy| policy != bollard::models::RestartPolicyNameEnum::UNLESS_STOPPED)
    }

    /// Records where `replica` (the service's replica 0, left as it is) publishes its
    /// `node_port`s when that is not what is kept: a process that ended between a new
    /// replica's start and the switch to it left the ingress on the old one.
    pub(super) async fn reconcile(
        &self,
        docker: &Docker,
        env: &EnvironmentRef,
        spec: &ServiceSpec,
        replica: &str,
    ) -> Result<(), RuntimeError> {
        if self.switchboard.is_none() || !spec.ports.iter().any(|p| p.exposed) {
            return Ok(());
        }
        let inspect = docker
            .inspect_container(
                replica,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| failed(format!("inspecting container {replica}"), e))?;
        let mut moved = Vec::new();
        for port in spec.ports.iter().filter(|p| p.exposed) {
            let kept = self.published(env, &spec.name, port.container_port).await?;
            if let Some(actual) = published_port(&inspect, port.container_port)
                && actual != kept
            {
                moved.push((port.container_port, actual));
            }
        }
        // Kept first; an ingress that does not confirm (none runs) reads it when it starts.
        if let Err(error) = self.switch(env, spec, &moved).await {
            tracing::warn!(%error, service = %spec.name, "where the service is published was recorded; no ingress took it now");
        }
        Ok(())
    }

    /// Lets `replica` of `service` end its requests under way ([`DRAIN`]), then stops it
    /// (its stop's grace period) and removes it with its sidecars, in the background:
    /// [`DockerRuntime::retired`] waits for it.
    pub(super) fn retire(
        &self,
        docker: Docker,
        env: &EnvironmentRef,
        service: &str,
        replica: String,
    ) {
        // Not restarted for failing its liveness probe on its way out.
        self.unwatch(&replica);
        let runtime = self.clone();
        let owner = env.clone();
        let name = replica.clone();
        self.keep(env, service, &name, async move {
            tokio::time::sleep(DRAIN).await;
            let stopped = docker
                .stop_container(
                    &replica,
                    Some(
                        StopContainerOptionsBuilder::default()
                            .t(STOP_GRACE_SECS)
                            .build(),
                    ),
                )
                .await;
            if let Err(error) = stopped
                && !is_status(&error, 304)
                && !is_status(&error, 404)
            {
                tracing::warn!(%error, container = %replica, "an old replica was not stopped; it is removed");
            }
            if let Err(error) = runtime.remove_replica(&docker, &owner, &replica).await {
                tracing::warn!(%error, container = %replica, "an old replica was not removed: the next deploy or the teardown removes it");
            }
        });
    }

    /// Keeps `work` (on `replica` of `service` of `env`) until it ends: awaited by
    /// [`DockerRuntime::retired`], cut short by [`DockerRuntime::hurry`].
    pub(super) fn keep(
        &self,
        env: &EnvironmentRef,
        service: &str,
        replica: &str,
        work: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (ended, done) = tokio::sync::watch::channel(false);
        // Said ended however it ends (aborted too: the sender goes with the task).
        let task = tokio::spawn(async move {
            work.await;
            let _ = ended.send(true);
        });
        if let Ok(mut retiring) = self.retiring.lock() {
            retiring.retain(|r| !r.task.is_finished());
            retiring.push(Retiring {
                env_id: env.env_id.clone(),
                service: service.to_owned(),
                replica: replica.to_owned(),
                task: task.abort_handle(),
                done,
            });
        }
    }

    /// The background work on `env_id`'s (of its `service` only, when given) replicas, or
    /// on every one's.
    fn retiring_of(
        &self,
        env_id: Option<&str>,
        service: Option<&str>,
    ) -> Vec<(
        String,
        tokio::task::AbortHandle,
        tokio::sync::watch::Receiver<bool>,
    )> {
        self.retiring
            .lock()
            .map(|retiring| {
                retiring
                    .iter()
                    .filter(|r| {
                        env_id.is_none_or(|e| r.env_id == e)
                            && service.is_none_or(|s| r.service == s)
                    })
                    .map(|r| (r.replica.clone(), r.task.clone(), r.done.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until the old replicas being retired are gone: those of `env_id` (of its
    /// `service` only, when given), or every one. What it waits for stays listed until it
    /// ends, so a wait cut short leaves it to the next (and to `settle`).
    pub(super) async fn retired(&self, env_id: Option<&str>, service: Option<&str>) {
        for (_, _, mut done) in self.retiring_of(env_id, service) {
            // An error: the task is gone (ended, or aborted).
            let _ = done.wait_for(|ended| *ended).await;
        }
    }

    /// Ends the retirements of `env_id`'s old replicas now (a teardown or a pause does not
    /// wait for their drain and stop): their containers are removed at once.
    pub(super) async fn hurry(&self, docker: &Docker, env: &EnvironmentRef) {
        for (replica, task, mut done) in self.retiring_of(Some(&env.env_id), None) {
            task.abort();
            let _ = done.wait_for(|ended| *ended).await;
            if let Err(error) = self.remove_replica(docker, env, &replica).await {
                tracing::warn!(%error, container = %replica, "an old replica was not removed");
            }
        }
    }
}

impl DockerRuntime {
    /// The replicas of `env`'s services beside the one that serves, by container name: after
    /// a patch without downtime switched the ingress to a new replica 0, the old one drains
    /// beside it for a few seconds ([`DRAIN`]), still publishing its ports, but where they
    /// are no longer kept; before the switch, the new one is created, then started on the
    /// service's other port. While a running replica 0 of the service publishes its ports
    /// where they are kept, another replica 0 that runs publishing them elsewhere, or was
    /// created in the last minute and not started, is not one of the service's: its status
    /// counts the one that serves, and a command runs there. (Only replica 0 is handed over;
    /// the others publish on ports Docker picks and always count.) Read from the ports the
    /// switchboard keeps, so every process says the same, whichever runs the patch; looked
    /// up only while a service has two replicas 0.
    pub(super) async fn draining(
        &self,
        env: &EnvironmentRef,
        containers: &[ContainerSummary],
    ) -> std::collections::HashSet<String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let mut draining = std::collections::HashSet::new();
        'services: for (service, replicas) in replicas_zero(containers) {
            if replicas.len() < 2 {
                continue;
            }
            let ports: std::collections::BTreeSet<u16> = replicas
                .iter()
                .flat_map(|c| c.ports.iter().flatten())
                .filter(|p| p.public_port.is_some())
                .map(|p| p.private_port)
                .collect();
            let mut kept = Vec::new();
            for port in ports {
                match self.published(env, service, port).await {
                    Ok(host) => kept.push((port, host)),
                    // Not known where it is kept: every replica counts, as before a handover.
                    Err(error) => {
                        tracing::debug!(%error, service, "where the service is kept was not read for its status");
                        continue 'services;
                    }
                }
            }
            draining.extend(draining_of(&replicas, &kept, now));
        }
        draining
    }

    /// Whether `container` publishes each of `ports` where it is kept.
    pub(super) fn publishes(&self, container: &ContainerSummary, ports: &[Published]) -> bool {
        !ports.is_empty()
            && ports
                .iter()
                .all(|(port, host)| holds(container, *port) == Some(*host))
    }
}

/// Each service's replicas 0 that run or were created (the one a patch hands over from, and
/// the one it hands over to), by service name.
fn replicas_zero(
    containers: &[ContainerSummary],
) -> std::collections::BTreeMap<&str, Vec<&ContainerSummary>> {
    use bollard::models::ContainerSummaryStateEnum as State;
    let mut by_service: std::collections::BTreeMap<&str, Vec<&ContainerSummary>> =
        std::collections::BTreeMap::new();
    for container in containers {
        if !matches!(container.state, Some(State::RUNNING | State::CREATED))
            || label(container, LABEL_REPLICA).is_some_and(|r| r != "0")
        {
            continue;
        }
        let Some(service) = label(container, LABEL_WORKLOAD)
            .and_then(|w| w.strip_prefix("services."))
            .filter(|s| !s.contains('/'))
        else {
            continue;
        };
        by_service.entry(service).or_default().push(container);
    }
    by_service
}

/// How long a replica created and not started yet counts as one on its way in: creating it,
/// copying its files and starting it take seconds; one older than this is stuck, and shown.
const STARTING_WITHIN_SECS: i64 = 60;

/// Of one service's running or created replicas 0, while a running one publishes its ports
/// where they are `kept` (those of the kept ports some replica holds there; a port no replica
/// holds where it is kept, one that is not a `node_port`, is not looked at): those running
/// that publish a port elsewhere, and those created less than a minute before `now` (seconds
/// since the epoch) and not started.
fn draining_of(replicas: &[&ContainerSummary], kept: &[Published], now: i64) -> Vec<String> {
    use bollard::models::ContainerSummaryStateEnum as State;
    let kept: Vec<Published> = kept
        .iter()
        .copied()
        .filter(|(port, host)| replicas.iter().any(|c| holds(c, *port) == Some(*host)))
        .collect();
    let serving = |c: &ContainerSummary| {
        c.state == Some(State::RUNNING)
            && !kept.is_empty()
            && kept
                .iter()
                .all(|(port, host)| holds(c, *port) == Some(*host))
    };
    if !replicas.iter().any(|c| serving(c)) {
        return Vec::new();
    }
    replicas
        .iter()
        .filter(|c| {
            !serving(c)
                && match c.state {
                    Some(State::CREATED) => c
                        .created
                        .is_some_and(|at| now.saturating_sub(at) < STARTING_WITHIN_SECS),
                    _ => kept.iter().any(|(port, _)| holds(c, *port).is_some()),
                }
        })
        .map(|c| summary_name(c))
        .collect()
}

/// The host port `container` publishes its `port` on.
fn holds(container: &ContainerSummary, port: u16) -> Option<u16> {
    container
        .ports
        .as_ref()?
        .iter()
        .find(|p| p.private_port == port && p.public_port.is_some())
        .and_then(|p| p.public_port)
}

/// A handover under way: when the deploy is cut short while the new replica starts (cancelled,
/// out of time), the ingress goes back to the old replica and the new one is removed, in the
/// background ([`DockerRuntime::retired`] waits for it).
pub(super) struct Undo {
    pub(super) runtime: DockerRuntime,
    pub(super) docker: Docker,
    pub(super) env: EnvironmentRef,
    pub(super) spec: ServiceSpec,
    pub(super) replica: String,
    /// Where the old replica publishes, when the new one is handed over to (`None`: the
    /// ingress is not switched, and a cut-short deploy is left to the next one).
    pub(super) before: Option<Vec<Published>>,
}

impl Undo {
    /// Goes back now: the ingress to the old replica, the new one removed.
    pub(super) async fn undo(mut self) -> Result<(), RuntimeError> {
        let before = self.before.take();
        back(
            &self.runtime,
            &self.docker,
            &self.env,
            &self.spec,
            before,
            &self.replica,
        )
        .await
    }

    /// The new replica serves: nothing to go back to.
    pub(super) fn done(mut self) {
        self.before = None;
    }
}

async fn back(
    runtime: &DockerRuntime,
    docker: &Docker,
    env: &EnvironmentRef,
    spec: &ServiceSpec,
    before: Option<Vec<Published>>,
    replica: &str,
) -> Result<(), RuntimeError> {
    if let Some(before) = before
        && let Err(error) = runtime.switch(env, spec, &before).await
    {
        tracing::warn!(%error, service = %spec.name, "the ingress was not switched back to the old replica");
    }
    runtime.remove_replica(docker, env, replica).await
}

impl Drop for Undo {
    fn drop(&mut self) {
        let Some(before) = self.before.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // The next deploy finds the new replica unfinished and makes it anew.
            tracing::warn!(container = %self.replica, "a handover cut short is left to the next deploy");
            return;
        }
        let (runtime, docker, env, spec, replica) = (
            self.runtime.clone(),
            self.docker.clone(),
            self.env.clone(),
            self.spec.clone(),
            self.replica.clone(),
        );
        self.runtime.keep(&self.env, &self.spec.name, &self.replica, async move {
            if let Err(error) = back(&runtime, &docker, &env, &spec, Some(before), &replica).await
            {
                tracing::warn!(%error, container = %replica, "a new replica of a deploy cut short was not removed: the next deploy or the teardown removes it");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{ContainerSummary, ContainerSummaryStateEnum, PortSummary};

    use super::super::names::summary_name;
    use super::super::{LABEL_REPLICA, LABEL_WORKLOAD};
    use super::{draining_of, replicas_zero};

    /// A running replica named `name` publishing each (container port, host port).
    fn replica(name: &str, ports: &[(u16, u16)]) -> ContainerSummary {
        ContainerSummary {
            names: Some(vec![format!("/{name}")]),
            state: Some(ContainerSummaryStateEnum::RUNNING),
            ports: Some(
                ports
                    .iter()
                    .map(|(private, public)| PortSummary {
                        ip: Some("127.0.0.1".into()),
                        private_port: *private,
                        public_port: Some(*public),
                        typ: None,
                    })
                    .collect(),
            ),
            created: Some(1_000_000),
            ..ContainerSummary::default()
        }
    }

    /// Now, as the tests' containers were created: 10 s after.
    const NOW: i64 = 1_000_010;

    #[test]
    fn the_replica_off_the_kept_ports_drains_while_another_holds_them() {
        let (old, new) = (
            replica("web-old", &[(8080, 21000)]),
            replica("web-new", &[(8080, 27000)]),
        );
        // Before the switch the old one serves: the new one is not counted yet.
        assert_eq!(
            draining_of(&[&old, &new], &[(8080, 21000)], NOW),
            ["web-new"]
        );
        // After it, the old one drains.
        assert_eq!(
            draining_of(&[&old, &new], &[(8080, 27000)], NOW),
            ["web-old"]
        );
        // Kept where neither publishes (a record another process is changing): both count.
        assert!(draining_of(&[&old, &new], &[(8080, 30000)], NOW).is_empty());
        // Nothing kept (no published port): nothing drains.
        assert!(draining_of(&[&old, &new], &[], NOW).is_empty());
    }

    #[test]
    fn only_replicas_0_are_handed_over_the_others_always_count() {
        let labelled = |name: &str, index: &str, host: u16| {
            let mut c = replica(name, &[(8080, host)]);
            c.labels = Some(
                [(LABEL_WORKLOAD, "services.web"), (LABEL_REPLICA, index)]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            );
            c
        };
        // Replica 1 publishes its port where Docker chose; its sidecar is not a replica.
        let zero = labelled("web-0", "0", 21000);
        let one = labelled("web-1", "1", 40123);
        let mut sidecar = labelled("web-0-log", "0", 0);
        if let Some(labels) = sidecar.labels.as_mut() {
            labels.insert(LABEL_WORKLOAD.into(), "services.web/sidecar.log".into());
        }
        // One without the label (as `exec` takes it) is replica 0; one that exited is neither
        // the one serving nor one on its way.
        let mut unlabelled = labelled("web-u", "0", 21001);
        if let Some(labels) = unlabelled.labels.as_mut() {
            labels.remove(LABEL_REPLICA);
        }
        let mut exited = labelled("web-x", "0", 21002);
        exited.state = Some(ContainerSummaryStateEnum::EXITED);
        let containers = [zero, one, sidecar, unlabelled, exited];
        let groups = replicas_zero(&containers);
        let names: Vec<String> = groups["web"].iter().map(|c| summary_name(c)).collect();
        assert_eq!(names, ["web-0", "web-u"]);
        assert_eq!(groups.len(), 1);
    }

    #[test]
    fn a_port_no_replica_holds_where_it_is_kept_is_not_looked_at() {
        // 9090 is published too (not a node_port: kept at a stable port nobody holds).
        let old = replica("web-old", &[(8080, 21000), (9090, 31111)]);
        let new = replica("web-new", &[(8080, 27000), (9090, 32222)]);
        assert_eq!(
            draining_of(&[&old, &new], &[(8080, 27000), (9090, 25000)], NOW),
            ["web-old"]
        );
    }

    #[test]
    fn a_replica_created_and_not_started_is_on_its_way_in_for_a_minute_only() {
        let old = replica("web-old", &[(8080, 21000)]);
        let created = |name: &str, at: i64| ContainerSummary {
            state: Some(ContainerSummaryStateEnum::CREATED),
            ports: Some(Vec::new()),
            created: Some(at),
            ..replica(name, &[])
        };
        let (next, stuck) = (
            created("web-next", NOW - 10),
            created("web-stuck", NOW - 600),
        );
        assert_eq!(
            draining_of(&[&old, &next, &stuck], &[(8080, 21000)], NOW),
            ["web-next"]
        );
        // Nothing running serves: a created one is the service's, as any other.
        assert!(draining_of(&[&next], &[(8080, 21000)], NOW).is_empty());
    }
}
