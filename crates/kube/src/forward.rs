//! A `node_port` reachable from the desktop: `127.0.0.1:<port>` forwarded to a ready pod of the
//! service. Each connection picks a ready pod when it opens, so the forward outlives every pod
//! replacement (a rollout, a crash) for as long as the process that made it runs.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use tokio::net::{TcpListener, TcpStream};

use crate::cluster::Cluster;
use crate::kubeconfig::KubeError;
use crate::manifest::LABEL_WORKLOAD;

/// Where a forward goes: the service's pods in a namespace, and the port they listen on.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub cluster: Cluster,
    pub namespace: String,
    pub workload: String,
    pub port: u16,
}

/// Accepts connections on `listener` until the task is aborted, each one forwarded on its own.
pub(crate) async fn serve(listener: TcpListener, target: Target) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let target = target.clone();
        tokio::spawn(async move {
            if let Err(error) = forward(tcp, &target).await {
                tracing::warn!(
                    workload = target.workload,
                    port = target.port,
                    %error,
                    "a forwarded connection ended early"
                );
            }
        });
    }
}

/// Whether the pod is ready to take traffic and not on its way out.
pub(crate) fn ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
            })
}

async fn forward(mut tcp: TcpStream, target: &Target) -> Result<(), KubeError> {
    let cluster = &target.cluster;
    let pods: Api<Pod> = Api::namespaced(cluster.client(), &target.namespace);
    let listed = pods
        .list(&ListParams::default().labels(&format!("{LABEL_WORKLOAD}={}", target.workload)))
        .await
        .map_err(|e| cluster.error("list", "pods", &target.workload, e))?;
    let failed = |reason: String| KubeError::Failed {
        context: cluster.context().to_owned(),
        what: format!("forwarding port {} of {}", target.port, target.workload),
        reason,
    };
    let pod = listed
        .items
        .iter()
        .find(|p| ready(p))
        .and_then(|p| p.metadata.name.clone())
        .ok_or_else(|| failed("no pod is ready".to_owned()))?;
    let mut forwarder = pods
        .portforward(&pod, &[target.port])
        .await
        .map_err(|e| cluster.error("portforward", "pods", &pod, e))?;
    let mut upstream = forwarder
        .take_stream(target.port)
        .ok_or_else(|| failed("the forward opened without its port".to_owned()))?;
    // Either side closing ends the connection; that is how a connection ends.
    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
    drop(upstream);
    forwarder.join().await.map_err(|e| failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::ready;

    #[test]
    fn only_a_ready_pod_that_is_not_going_away_takes_a_connection() {
        let pod = |json: serde_json::Value| -> k8s_openapi::api::core::v1::Pod {
            serde_json::from_value(json).unwrap()
        };
        assert!(ready(&pod(serde_json::json!({"metadata": {"name": "a"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}))));
        assert!(!ready(&pod(serde_json::json!({"metadata": {"name": "b"},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]}}))));
        assert!(!ready(&pod(serde_json::json!({"metadata": {"name": "c",
            "deletionTimestamp": "2026-11-26T10:00:00Z"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}))));
    }
}
