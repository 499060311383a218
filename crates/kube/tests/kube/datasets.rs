//! A dataset's volumes on Kubernetes against kube's mock service: the exact requests of a
//! taking (the claim's driver, its VolumeSnapshotClass, the VolumeSnapshot waited for, its
//! content kept), of a new environment's claim made from it (a pre-provisioned content, a
//! VolumeSnapshot bound to it, the claim with it as its `dataSource`), of a teardown (the
//! recorded content deleted after the namespace) and of a dataset's deletion. The objects are
//! checked with `kubernetes-validate --strict` where it has a schema (the claim); the snapshot
//! CRDs are not in it, so their bodies are compared whole here.

use std::sync::Arc;

use stagecraft_engine::{
    Ledger as _, MemoryLedger, Runtime as _, RuntimeErrorKind, RuntimeObject, VolumeMount,
    VolumeSeed, VolumeSnapshotRef, VolumeSource,
};

use crate::runtime::{Answer, NS, env, json, mocked, not_found, serve, serve_recording};

const SNAPSHOTS: &str = "/apis/snapshot.storage.k8s.io/v1";

fn data() -> VolumeMount {
    VolumeMount {
        source: VolumeSource::Persistent {
            name: "data".into(),
        },
        mount_path: "/var/lib/data".into(),
    }
}

fn body(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

fn claim(storage_class: &str) -> Answer {
    json(serde_json::json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "web-data", "namespace": NS},
        "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"]},
    }))
}

fn storage_class(provisioner: &str) -> Answer {
    json(serde_json::json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "csi-hostpath-sc"}, "provisioner": provisioner,
    }))
}

fn snapshot_class(name: &str, driver: &str, default: bool) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
        "metadata": {"name": name, "annotations": {
            "snapshot.storage.kubernetes.io/is-default-class": default.to_string()}},
        "driver": driver, "deletionPolicy": "Delete",
    })
}

fn classes(items: Vec<serde_json::Value>) -> Answer {
    json(serde_json::json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClassList",
        "metadata": {"resourceVersion": "3"}, "items": items,
    }))
}

fn snapshot(name: &str, status: serde_json::Value) -> Answer {
    json(serde_json::json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"source": {"persistentVolumeClaimName": "web-data"}},
        "status": status,
    }))
}

fn kept() -> VolumeSnapshotRef {
    VolumeSnapshotRef {
        content: "snapcontent-7f3a".into(),
        handle: "7f3a-handle".into(),
        driver: "hostpath.csi.k8s.io".into(),
        class: "csi-hostpath-snapclass".into(),
    }
}

/// The ready VolumeSnapshot's name: the one the taking made, read back from its POST.
fn made_name(seen: &[(String, Vec<u8>)]) -> String {
    body(&seen[3].1)["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_taking_snapshots_the_claim_with_its_drivers_default_class_and_keeps_the_content() {
    let (runtime, mock) = mocked();
    let ready = serde_json::json!({"readyToUse": true,
        "boundVolumeSnapshotContentName": "snapcontent-7f3a", "restoreSize": "1Gi"});
    let server = serve_recording(
        mock,
        vec![
            Some(claim("csi-hostpath-sc")),
            Some(storage_class("hostpath.csi.k8s.io")),
            Some(classes(vec![
                snapshot_class("aaa-other-driver", "ebs.csi.aws.com", true),
                snapshot_class("aaa-not-default", "hostpath.csi.k8s.io", false),
                snapshot_class("csi-hostpath-snapclass", "hostpath.csi.k8s.io", true),
            ])),
            // The POST, answered with what it sent; then not ready with an error the
            // controller retries itself (the wait goes on), then ready.
            None,
            Some(snapshot(
                "x",
                serde_json::json!({"readyToUse": false,
                    "error": {"message": "VolumeSnapshotContent is missing"}}),
            )),
            Some(snapshot("x", ready)),
            Some(json(serde_json::json!({
                "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
                "metadata": {"name": "snapcontent-7f3a"},
                "spec": {"driver": "hostpath.csi.k8s.io", "deletionPolicy": "Retain",
                    "source": {"volumeHandle": "pv-1"},
                    "volumeSnapshotRef": {"name": "x", "namespace": NS}},
                "status": {"snapshotHandle": "7f3a-handle", "readyToUse": true},
            }))),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    let captured = runtime
        .capture_volume(
            &env(&ledger),
            "web",
            &data(),
            std::path::Path::new("/nowhere"),
        )
        .await
        .unwrap();

    assert_eq!(captured.bytes, 1 << 30);
    assert_eq!(captured.snapshot, Some(kept()));
    let seen = server.await.unwrap();
    let name = made_name(&seen);
    assert!(name.starts_with("dataset-web-data-"), "{name}");
    let requests: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        requests,
        [
            format!("GET /api/v1/namespaces/{NS}/persistentvolumeclaims/web-data"),
            "GET /apis/storage.k8s.io/v1/storageclasses/csi-hostpath-sc".to_owned(),
            format!("GET {SNAPSHOTS}/volumesnapshotclasses?"),
            format!("POST {SNAPSHOTS}/namespaces/{NS}/volumesnapshots?"),
            format!("GET {SNAPSHOTS}/namespaces/{NS}/volumesnapshots/{name}"),
            format!("GET {SNAPSHOTS}/namespaces/{NS}/volumesnapshots/{name}"),
            // Kept bound to its VolumeSnapshot, which goes with the namespace.
            format!("PATCH {SNAPSHOTS}/volumesnapshotcontents/snapcontent-7f3a?"),
        ]
    );
    let made = body(&seen[3].1);
    assert_eq!(
        made["spec"],
        serde_json::json!({
            "volumeSnapshotClassName": "csi-hostpath-snapclass",
            "source": {"persistentVolumeClaimName": "web-data"},
        })
    );
    assert_eq!(made["metadata"]["labels"]["dev.stagecraft/env"], "ab12cd3");
    assert_eq!(
        body(&seen[6].1),
        serde_json::json!({
            "metadata": {"labels": {"dev.stagecraft/dataset": "true"}},
            "spec": {"deletionPolicy": "Retain"},
        })
    );
}

#[tokio::test]
async fn a_cluster_that_cannot_snapshot_the_claim_says_what_to_install() {
    // No class for the claim's driver (kind's own storage).
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![
            Some(claim("standard")),
            Some(storage_class("rancher.io/local-path")),
            Some(classes(vec![snapshot_class(
                "csi-hostpath-snapclass",
                "hostpath.csi.k8s.io",
                true,
            )])),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let error = runtime
        .capture_volume(&env(&ledger), "web", &data(), std::path::Path::new("/x"))
        .await
        .unwrap_err();
    assert_eq!(server.await.unwrap().len(), 3);
    assert_eq!(error.kind, RuntimeErrorKind::Refused);
    let message = error.to_string();
    assert!(
        message.contains("no VolumeSnapshotClass is for driver rancher.io/local-path")
            && message.contains("storage class standard of claim web-data")
            && message.contains("minikube addons enable volumesnapshots"),
        "{message}"
    );

    // No snapshot API at all.
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![
            Some(claim("standard")),
            Some(storage_class("rancher.io/local-path")),
            Some(not_found(
                "the server could not find the requested resource",
            )),
        ],
    );
    let error = runtime
        .capture_volume(&env(&ledger), "web", &data(), std::path::Path::new("/x"))
        .await
        .unwrap_err();
    assert_eq!(server.await.unwrap().len(), 3);
    assert!(
        error
            .to_string()
            .contains("cannot snapshot volumes: it has no snapshot.storage.k8s.io/v1 API"),
        "{error}"
    );
}

fn seed() -> VolumeSeed {
    VolumeSeed {
        dataset: "seeded".into(),
        service: "web".into(),
        image: "postgres:16".into(),
        volume: data(),
        archive: std::path::PathBuf::new(),
        root: String::new(),
        snapshot: Some(kept()),
    }
}

#[tokio::test]
async fn a_new_environments_claim_is_made_from_the_datasets_snapshot_through_its_own_content() {
    let (runtime, mock) = mocked();
    let content_name = format!("{NS}-web-data");
    let server = serve_recording(
        mock,
        vec![
            Some(not_found("persistentvolumeclaims \"web-data\"")),
            None,
            None,
            Some(snapshot(
                "dataset-web-data",
                serde_json::json!({"readyToUse": true,
                    "boundVolumeSnapshotContentName": content_name, "restoreSize": "52428800"}),
            )),
            None,
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());

    let filled = runtime.seed_volume(&env(&ledger), &seed()).await.unwrap();

    assert_eq!(filled, Some(52_428_800));
    let seen = server.await.unwrap();
    let requests: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        requests,
        [
            format!("GET /api/v1/namespaces/{NS}/persistentvolumeclaims/web-data"),
            format!(
                "PATCH {SNAPSHOTS}/volumesnapshotcontents/{content_name}?&force=true&fieldManager=stagecraft"
            ),
            format!(
                "PATCH {SNAPSHOTS}/namespaces/{NS}/volumesnapshots/dataset-web-data?&force=true&fieldManager=stagecraft"
            ),
            format!("GET {SNAPSHOTS}/namespaces/{NS}/volumesnapshots/dataset-web-data"),
            format!("POST /api/v1/namespaces/{NS}/persistentvolumeclaims?&fieldManager=stagecraft"),
        ]
    );
    let content = body(&seen[1].1);
    assert_eq!(content["metadata"]["name"], content_name);
    assert!(content["metadata"].get("namespace").is_none(), "{content}");
    assert_eq!(
        content["spec"],
        serde_json::json!({
            "deletionPolicy": "Retain",
            "driver": "hostpath.csi.k8s.io",
            "source": {"snapshotHandle": "7f3a-handle"},
            "volumeSnapshotClassName": "csi-hostpath-snapclass",
            "volumeSnapshotRef": {"name": "dataset-web-data", "namespace": NS},
        })
    );
    assert_eq!(
        body(&seen[2].1)["spec"],
        serde_json::json!({
            "volumeSnapshotClassName": "csi-hostpath-snapclass",
            "source": {"volumeSnapshotContentName": content_name},
        })
    );
    let made = body(&seen[4].1);
    assert_eq!(made["metadata"]["name"], "web-data");
    assert_eq!(
        made["spec"]["dataSource"],
        serde_json::json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot",
            "name": "dataset-web-data"})
    );
    // Both recorded before they were made: the teardown takes them.
    let recorded = ledger.entries().await.unwrap();
    assert!(
        recorded.contains(&RuntimeObject {
            kind: "volumesnapshotcontent".into(),
            name: content_name.clone(),
        }) && recorded.iter().any(|o| o.kind == "namespace"),
        "{recorded:?}"
    );

    // A claim made by an earlier attempt is left as it is.
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![Some(claim("csi-hostpath-sc"))]);
    assert_eq!(
        runtime.seed_volume(&env(&ledger), &seed()).await.unwrap(),
        None
    );
    assert_eq!(server.await.unwrap().len(), 1);

    // An archive taken on Docker cannot fill a claim.
    let (runtime, _mock) = mocked();
    let archive = VolumeSeed {
        snapshot: None,
        ..seed()
    };
    let error = runtime
        .seed_volume(&env(&ledger), &archive)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("taken on Docker"), "{error}");
}

#[tokio::test]
async fn a_teardown_deletes_the_recorded_content_after_the_namespace_leaving_the_storage() {
    let ledger = Arc::new(MemoryLedger::default());
    let content_name = format!("{NS}-web-data");
    ledger
        .record(&RuntimeObject {
            kind: "namespace".into(),
            name: NS.into(),
        })
        .await
        .unwrap();
    ledger
        .record(&RuntimeObject {
            kind: "volumesnapshotcontent".into(),
            name: content_name.clone(),
        })
        .await
        .unwrap();
    let namespace = json(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NS, "labels": {"dev.stagecraft/env": "ab12cd3"}}}));
    let (runtime, mock) = mocked();
    let server = serve(
        mock,
        vec![
            Some(namespace.clone()),
            Some(namespace),
            Some(not_found("namespaces")),
            Some(json(
                serde_json::json!({"kind": "Status", "apiVersion": "v1",
                "metadata": {}, "status": "Success"}),
            )),
        ],
    );
    runtime.remove_environment(&env(&ledger)).await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        [
            format!("GET /api/v1/namespaces/{NS}"),
            format!("DELETE /api/v1/namespaces/{NS}?"),
            format!("GET /api/v1/namespaces/{NS}"),
            // No policy change: `Retain` leaves the storage's snapshot to the dataset.
            format!("DELETE {SNAPSHOTS}/volumesnapshotcontents/{content_name}?"),
        ]
    );
    assert!(ledger.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_datasets_deletion_deletes_its_content_and_the_snapshot_holding_it() {
    let (runtime, mock) = mocked();
    let gone = json(serde_json::json!({"kind": "Status", "apiVersion": "v1",
        "metadata": {}, "status": "Success"}));
    let server = serve_recording(
        mock,
        vec![
            Some(json(serde_json::json!({
                "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
                "metadata": {"name": "snapcontent-7f3a"},
                "spec": {"deletionPolicy": "Delete", "driver": "hostpath.csi.k8s.io",
                    "source": {"volumeHandle": "pv-1"},
                    "volumeSnapshotRef": {"name": "dataset-web-data-18f", "namespace": NS}},
            }))),
            Some(gone.clone()),
            Some(gone),
        ],
    );
    runtime.delete_volume_snapshot(&kept()).await.unwrap();
    let seen = server.await.unwrap();
    let requests: Vec<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        requests,
        [
            format!("PATCH {SNAPSHOTS}/volumesnapshotcontents/snapcontent-7f3a?"),
            format!("DELETE {SNAPSHOTS}/namespaces/{NS}/volumesnapshots/dataset-web-data-18f?"),
            format!("DELETE {SNAPSHOTS}/volumesnapshotcontents/snapcontent-7f3a?"),
        ]
    );
    assert_eq!(
        body(&seen[0].1),
        serde_json::json!({"spec": {"deletionPolicy": "Delete"}})
    );

    // One already gone: nothing more.
    let (runtime, mock) = mocked();
    let server = serve(mock, vec![Some(not_found("volumesnapshotcontents"))]);
    runtime.delete_volume_snapshot(&kept()).await.unwrap();
    assert_eq!(server.await.unwrap().len(), 1);
}

/// What the environment made outside its namespace is found again (a crash's recovery, an
/// adoption): the contents labelled with it.
#[tokio::test]
async fn the_objects_of_an_environment_include_the_contents_made_for_it() {
    let (runtime, mock) = mocked();
    let content_name = format!("{NS}-web-data");
    let server = serve(
        mock,
        vec![
            Some(json(
                serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": NS, "labels": {"dev.stagecraft/env": "ab12cd3"}}}),
            )),
            Some(json(serde_json::json!({
                "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContentList",
                "metadata": {"resourceVersion": "4"},
                "items": [{"apiVersion": "snapshot.storage.k8s.io/v1",
                    "kind": "VolumeSnapshotContent", "metadata": {"name": content_name},
                    "spec": {}}],
            }))),
        ],
    );
    let ledger = Arc::new(MemoryLedger::default());
    let found = runtime.objects(&env(&ledger)).await.unwrap();
    assert_eq!(
        server.await.unwrap(),
        [
            format!("GET /api/v1/namespaces/{NS}"),
            format!(
                "GET {SNAPSHOTS}/volumesnapshotcontents?&labelSelector=dev.stagecraft%2Fenv%3Dab12cd3"
            ),
        ]
    );
    assert_eq!(
        found,
        [
            RuntimeObject {
                kind: "namespace".into(),
                name: NS.into(),
            },
            RuntimeObject {
                kind: "volumesnapshotcontent".into(),
                name: content_name,
            },
        ]
    );
}
