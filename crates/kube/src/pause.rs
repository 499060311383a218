//! Pause and resume on Kubernetes: each Deployment of the environment's namespace scaled to
//! zero with its replica count recorded in an annotation (`dev.stagecraft/paused-replicas`),
//! each CronJob suspended; a resume scales each service back to its recorded count and waits
//! for its rollout. Everything else (claims and their volumes, Secrets, ConfigMaps, Services)
//! is left as it is. The CronJobs take `suspend: false` back from the resume's own apply (the
//! manifests say so), so the scheduler runs them again.
//!
//! The scale and the suspension are merge patches, not server-side applies: they change one
//! field each, and the next apply of a changed workload takes the field back.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::{Api, ListParams, Patch, PatchParams};

use crate::KubeError;
use crate::cluster::{Cluster, Report};
use crate::manifest::LABEL_WORKLOAD;

/// The replica count a Deployment had when its environment was paused.
pub const ANNOTATION_PAUSED: &str = "dev.stagecraft/paused-replicas";

/// Scales every Deployment of `namespace` that runs to zero, recording its replica count, and
/// suspends every CronJob. Run again (after a pause cut short) it changes what is left.
pub(crate) async fn pause(cluster: &Cluster, namespace: &str) -> Result<(), KubeError> {
    let ours = ListParams::default().labels(LABEL_WORKLOAD);
    let deployments: Api<Deployment> = Api::namespaced(cluster.client(), namespace);
    let listed = deployments
        .list(&ours)
        .await
        .map_err(|e| cluster.error("list", "deployments", namespace, e))?;
    for deployment in listed.items {
        let name = deployment.metadata.name.clone().unwrap_or_default();
        let replicas = deployment.spec.replicas.unwrap_or(1);
        if replicas == 0 {
            continue;
        }
        let patch = serde_json::json!({
            "metadata": {"annotations": {ANNOTATION_PAUSED: replicas.to_string()}},
            "spec": {"replicas": 0},
        });
        deployments
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| cluster.error("patch", "deployments", &name, e))?;
    }
    let cron_jobs: Api<CronJob> = Api::namespaced(cluster.client(), namespace);
    let listed = match cron_jobs.list(&ours).await {
        Ok(listed) => listed.items,
        // No cron jobs were ever made where CronJobs may not be listed.
        Err(kube::Error::Api(status)) if status.code == 403 => Vec::new(),
        Err(e) => return Err(cluster.error("list", "cronjobs", namespace, e)),
    };
    for cron_job in listed {
        if cron_job.spec.suspend == Some(true) {
            continue;
        }
        let name = cron_job.metadata.name.clone().unwrap_or_default();
        let patch = serde_json::json!({"spec": {"suspend": true}});
        cron_jobs
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| cluster.error("patch", "cronjobs", &name, e))?;
    }
    Ok(())
}

/// Scales Deployment `name` back to the count its pause recorded (`replicas` when it has
/// none but stands at zero) and waits for its rollout. `false` when there is no such
/// Deployment: the caller deploys it anew.
pub(crate) async fn wake(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    workload: &str,
    replicas: i32,
    report: Report<'_>,
) -> Result<bool, KubeError> {
    let deployments: Api<Deployment> = Api::namespaced(cluster.client(), namespace);
    let Some(deployment) = deployments
        .get_opt(name)
        .await
        .map_err(|e| cluster.error("get", "deployments", name, e))?
    else {
        return Ok(false);
    };
    let recorded = deployment
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_PAUSED))
        .and_then(|n| n.parse::<i32>().ok());
    let current = deployment.spec.replicas.unwrap_or(1);
    if recorded.is_some() || current == 0 {
        let patch = serde_json::json!({
            "metadata": {"annotations": {ANNOTATION_PAUSED: null}},
            "spec": {"replicas": recorded.unwrap_or(replicas)},
        });
        deployments
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| cluster.error("patch", "deployments", name, e))?;
    }
    cluster
        .wait_rollout(namespace, name, workload, report)
        .await?;
    Ok(true)
}
