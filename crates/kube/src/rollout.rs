//! Reading a workload's state: whether a Deployment's rollout is done, how a Job ended, and
//! why a pod is not ready, in the words Release's troubleshooting pages use
//! (`ImagePullBackOff`, `CrashLoopBackOff`, `OOMKilled`, unschedulable). Pure functions over
//! the objects a watch delivers; nothing here talks to a cluster.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod};
use stagecraft_engine::Ended;

/// Waiting reasons after which a pod will never start by itself: waiting longer only hides the
/// mistake until the readiness timeout.
const HOPELESS: &[&str] = &["ErrImageNeverPull", "InvalidImageName"];

/// Where a Deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// Every replica runs the newest template and is ready; no old one is left.
    Done,
    Progressing {
        ready: i32,
        updated: i32,
        wanted: i32,
    },
    /// The Deployment gave up (`ProgressDeadlineExceeded`).
    Failed(String),
}

pub fn rollout(deployment: &Deployment) -> Rollout {
    let wanted = deployment.spec.replicas.unwrap_or(1);
    let Some(status) = &deployment.status else {
        return Rollout::Progressing {
            ready: 0,
            updated: 0,
            wanted,
        };
    };
    if let Some(failed) = status.conditions.iter().flatten().find(|c| {
        c.type_.as_deref() == Some("Progressing")
            && c.status.as_deref() == Some("False")
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    }) {
        return Rollout::Failed(
            failed
                .message
                .clone()
                .unwrap_or_else(|| "the rollout made no progress in time".to_owned()),
        );
    }
    let generation = deployment.metadata.generation.unwrap_or(0);
    let observed = status.observed_generation.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let ready = status.ready_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    if observed >= generation
        && updated == wanted
        && ready == wanted
        && available == wanted
        && total == wanted
    {
        Rollout::Done
    } else {
        Rollout::Progressing {
            ready,
            updated,
            wanted,
        }
    }
}

/// How a Job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Running,
    Succeeded,
    /// It failed; the reason its condition gives (`BackoffLimitExceeded`, `DeadlineExceeded`).
    Failed(String),
}

pub fn job_state(job: &Job) -> JobState {
    let Some(status) = &job.status else {
        return JobState::Running;
    };
    for condition in status.conditions.iter().flatten() {
        if condition.status != "True" {
            continue;
        }
        match condition.type_.as_str() {
            "Complete" | "SuccessCriteriaMet" => return JobState::Succeeded,
            "Failed" | "FailureTarget" => {
                return JobState::Failed(
                    condition
                        .reason
                        .clone()
                        .unwrap_or_else(|| "Failed".to_owned()),
                );
            }
            _ => {}
        }
    }
    if status.succeeded.unwrap_or(0) > 0 {
        JobState::Succeeded
    } else if status.failed.unwrap_or(0) > 0 {
        JobState::Failed("Failed".to_owned())
    } else {
        JobState::Running
    }
}

/// How the pod's first container that ended ended: its exit code, and whether it was killed
/// for its memory.
pub fn ended(pod: &Pod) -> Option<Ended> {
    pod.status
        .as_ref()?
        .container_statuses
        .iter()
        .flatten()
        .find_map(|c| c.state.as_ref()?.terminated.as_ref().map(terminated))
}

fn terminated(state: &ContainerStateTerminated) -> Ended {
    Ended::new(
        i64::from(state.exit_code),
        state.reason.as_deref() == Some("OOMKilled"),
    )
}

/// The memory limit of the pod's container `container`, in bytes.
fn memory_limit(pod: &Pod, container: &str) -> Option<u64> {
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.name == container)?
        .resources
        .as_ref()?
        .limits
        .as_ref()?
        .get("memory")
        .and_then(|q| stagecraft_engine::parse_memory_bytes(&q.0))
}

/// Why a pod is not ready, as a wait reason ("web-5d9c-x2: ImagePullBackOff: Back-off pulling
/// image …"); `None` for a ready pod or one on its way out. `hopeless` when it will never start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodReason {
    pub text: String,
    pub hopeless: bool,
}

pub fn pod_reason(pod: &Pod) -> Option<PodReason> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let name = pod.metadata.name.as_deref().unwrap_or("a pod");
    let status = pod.status.as_ref()?;
    let said = |reason: &str, message: Option<&str>| {
        let message = message.map(str::trim).filter(|m| !m.is_empty());
        PodReason {
            text: match message {
                Some(message) => format!("{name}: {reason}: {message}"),
                None => format!("{name}: {reason}"),
            },
            hopeless: HOPELESS.contains(&reason),
        }
    };
    if let Some(unscheduled) = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    {
        let reason = match unscheduled.reason.as_deref() {
            Some("Unschedulable") | None => "unschedulable",
            Some(other) => other,
        };
        return Some(said(reason, unscheduled.message.as_deref()));
    }
    // An init container that failed (and is tried again, or not) holds the pod back: said in
    // the words the Docker runtime uses.
    for init in status.init_container_statuses.iter().flatten() {
        let state = init.state.as_ref();
        let retried = state.and_then(|s| s.waiting.as_ref()).is_some();
        let failed = state
            .and_then(|s| s.terminated.as_ref())
            .or_else(|| {
                init.last_state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .filter(|_| retried)
            })
            .filter(|t| t.exit_code != 0);
        if let Some(ended) = failed {
            let how = terminated(ended).explain(None);
            return Some(said(&format!("init container {} {how}", init.name), None));
        }
    }
    for container in status.container_statuses.iter().flatten() {
        let state = container.state.as_ref();
        if let Some(waiting) = state.and_then(|s| s.waiting.as_ref()) {
            let reason = waiting.reason.as_deref().unwrap_or("waiting");
            // A container that ended and is started again and again says so, with how it
            // ended last, in the words Docker's runtime uses too.
            let last = container
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .map(terminated);
            if let Some(last) = last.filter(|_| container.restart_count > 0) {
                return Some(said(
                    &format!(
                        "restarting again and again ({} restarts so far): it {}",
                        container.restart_count,
                        last.explain(memory_limit(pod, &container.name))
                    ),
                    Some(reason),
                ));
            }
            // The pull's own error says whether the registry was reached: told as the Docker
            // runtime tells it. (`ImagePullBackOff` only says it waits to try again.)
            if reason == "ErrImagePull" {
                let why = waiting.message.as_deref().unwrap_or(reason);
                return Some(said(
                    reason,
                    Some(&stagecraft_engine::pull_failure(
                        &container.image,
                        why,
                        stagecraft_engine::Puller::Cluster,
                    )),
                ));
            }
            // A command the image lacks: the same words as Docker's refusal to start it.
            if let Some(why) = waiting
                .message
                .as_deref()
                .and_then(stagecraft_engine::start_refused)
            {
                return Some(said(reason, Some(&format!("could not start: {why}"))));
            }
            if reason != "ContainerCreating" && reason != "PodInitializing" {
                return Some(said(reason, waiting.message.as_deref()));
            }
        }
        if let Some(ended) = state.and_then(|s| s.terminated.as_ref())
            && ended.exit_code != 0
        {
            let how = terminated(ended).explain(memory_limit(pod, &container.name));
            let refused = ended
                .message
                .as_deref()
                .and_then(stagecraft_engine::start_refused);
            return Some(match (refused, ended.reason.as_deref()) {
                (Some(why), reason) => said(
                    reason.unwrap_or("StartError"),
                    Some(&format!("could not start: {why}")),
                ),
                // Kubernetes' own reason when it says more than that it ended.
                (None, Some(reason)) if !matches!(reason, "Error" | "Completed" | "OOMKilled") => {
                    said(reason, Some(&how))
                }
                (None, _) => said(&how, None),
            });
        }
        if !container.ready && state.and_then(|s| s.running.as_ref()).is_some() {
            return Some(said("running, not ready yet", None));
        }
    }
    let phase = status.phase.as_deref().unwrap_or("Pending");
    (phase == "Pending").then(|| said("Pending", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> T {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_rollout_is_done_when_every_replica_is_new_and_ready_and_no_old_one_is_left() {
        let deployment = |status: serde_json::Value| -> Deployment {
            from_json(serde_json::json!({
                "metadata": {"name": "web", "generation": 2},
                "spec": {"replicas": 2, "selector": {}, "template": {}},
                "status": status,
            }))
        };
        assert_eq!(
            rollout(&deployment(serde_json::json!({
                "observedGeneration": 2, "replicas": 3, "updatedReplicas": 2,
                "readyReplicas": 2, "availableReplicas": 2
            }))),
            Rollout::Progressing {
                ready: 2,
                updated: 2,
                wanted: 2
            },
            "an old replica is still there"
        );
        assert_eq!(
            rollout(&deployment(serde_json::json!({
                "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                "readyReplicas": 2, "availableReplicas": 2
            }))),
            Rollout::Progressing {
                ready: 2,
                updated: 2,
                wanted: 2
            },
            "the controller has not seen the new template yet"
        );
        assert_eq!(
            rollout(&deployment(serde_json::json!({
                "observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                "readyReplicas": 2, "availableReplicas": 2
            }))),
            Rollout::Done
        );
        assert_eq!(
            rollout(&deployment(serde_json::json!({
                "observedGeneration": 2,
                "conditions": [{"type": "Progressing", "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": "ReplicaSet \"web-5d9c\" has timed out progressing."}]
            }))),
            Rollout::Failed("ReplicaSet \"web-5d9c\" has timed out progressing.".into())
        );
    }

    #[test]
    fn a_pod_says_why_it_is_not_ready_in_kubernetes_words() {
        let pod = |status: serde_json::Value| -> Pod {
            from_json(serde_json::json!({"metadata": {"name": "web-5d9c-x2"}, "status": status}))
        };
        let reason = |status| pod_reason(&pod(status)).map(|r| (r.text, r.hopeless));
        assert_eq!(
            reason(
                serde_json::json!({"phase": "Pending", "containerStatuses": [{
                "name": "web", "image": "shop/web:2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"shop/web:2\""}}}]})
            ),
            Some((
                "web-5d9c-x2: ImagePullBackOff: Back-off pulling image \"shop/web:2\"".into(),
                false
            ))
        );
        let (text, _) = reason(
            serde_json::json!({"phase": "Running", "containerStatuses": [{
            "name": "web", "image": "shop/web:2", "imageID": "", "ready": false,
            "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 3}}}]}),
        )
        .unwrap();
        assert_eq!(
            text,
            "web-5d9c-x2: restarting again and again (4 restarts so far): it exited with code 3: \
             CrashLoopBackOff"
        );
        let (text, _) = reason(serde_json::json!({"phase": "Pending", "containerStatuses": [{
            "name": "web", "image": "shop/web:2", "imageID": "", "ready": false,
            "restartCount": 0,
            "state": {"terminated": {"reason": "StartError", "exitCode": 128,
                "message": "failed to create containerd task: exec: \"nosuch\": executable file not found in $PATH"}}}]}))
        .unwrap();
        assert!(
            text.starts_with(
                "web-5d9c-x2: StartError: could not start: its command was not found in the image"
            ),
            "{text}"
        );
        let (text, _) = reason(serde_json::json!({"phase": "Pending", "containerStatuses": [{
            "name": "web", "image": "ghcr.io/org/web:2", "imageID": "", "ready": false,
            "restartCount": 0,
            "state": {"waiting": {"reason": "ErrImagePull",
                "message": "rpc error: code = NotFound desc = failed to pull and unpack image \"ghcr.io/org/web:2\": not found"}}}]}))
        .unwrap();
        assert!(
            text.starts_with("web-5d9c-x2: ErrImagePull: cannot pull ghcr.io/org/web:2: ghcr.io has no such image"),
            "{text}"
        );
        assert_eq!(
            reason(
                serde_json::json!({"phase": "Running", "containerStatuses": [{
                "name": "web", "image": "shop/web:2", "imageID": "", "ready": false,
                "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]})
            ),
            Some((
                "web-5d9c-x2: restarting again and again (3 restarts so far): it ran out of memory: \
                 killed when the machine running it ran out (exit code 137); give that machine \
                 (or Docker's VM) more memory, or set `memory.limits`: CrashLoopBackOff"
                    .into(),
                false
            ))
        );
        assert_eq!(
            reason(serde_json::json!({"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient memory."}]})),
            Some((
                "web-5d9c-x2: unschedulable: 0/1 nodes are available: 1 Insufficient memory."
                    .into(),
                false
            ))
        );
        assert_eq!(
            reason(serde_json::json!({"phase": "Pending", "containerStatuses": [{
                "name": "web", "image": "shop/web:2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImageNeverPull",
                    "message": "Container image \"shop/web:2\" is not present with pull policy of Never"}}}]}))
            .map(|(_, hopeless)| hopeless),
            Some(true)
        );
        assert_eq!(
            reason(
                serde_json::json!({"phase": "Running", "containerStatuses": [{
                "name": "web", "image": "shop/web:2", "imageID": "", "ready": true,
                "restartCount": 0, "state": {"running": {}}}]})
            ),
            None
        );
    }

    #[test]
    fn a_job_ends_by_its_conditions_and_its_pod_has_the_exit_code() {
        let job: Job = from_json(serde_json::json!({
            "metadata": {"name": "migrate-r1"},
            "status": {"failed": 1, "conditions": [
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}
        }));
        assert_eq!(
            job_state(&job),
            JobState::Failed("BackoffLimitExceeded".into())
        );
        let pod: Pod = from_json(serde_json::json!({
            "metadata": {"name": "migrate-r1-abc"},
            "status": {"phase": "Failed", "containerStatuses": [{
                "name": "migrate", "image": "shop/api:1", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}]}
        }));
        assert_eq!(ended(&pod), Some(Ended::new(3, false)));
        // Killed for its memory: said with its limit, in the Docker runtime's words.
        let pod: Pod = from_json(serde_json::json!({
            "metadata": {"name": "migrate-r1-abc"},
            "spec": {"containers": [{"name": "migrate", "image": "shop/api:1",
                "resources": {"limits": {"memory": "64Mi"}}}]},
            "status": {"phase": "Failed", "containerStatuses": [{
                "name": "migrate", "image": "shop/api:1", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
        }));
        let oom = ended(&pod).unwrap();
        assert!(oom.oom_killed);
        assert_eq!(
            pod_reason(&pod).unwrap().text,
            format!("migrate-r1-abc: {}", oom.explain(Some(64 * 1024 * 1024)))
        );
        assert!(pod_reason(&pod).unwrap().text.contains("limit of 64 MiB"));
    }

    #[test]
    fn a_failed_init_container_is_said_as_docker_says_it() {
        let pod: Pod = from_json(serde_json::json!({
            "metadata": {"name": "web-1"},
            "status": {
                "phase": "Pending",
                "initContainerStatuses": [{
                    "name": "check", "image": "busybox", "imageID": "", "ready": false,
                    "restartCount": 2,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 4, "reason": "Error"}}
                }]
            }
        }));
        let reason = pod_reason(&pod).unwrap();
        assert_eq!(
            reason.text,
            "web-1: init container check exited with code 4"
        );
    }
}
