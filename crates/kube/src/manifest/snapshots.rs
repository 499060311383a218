//! A dataset's volumes on Kubernetes, as objects (`snapshot.rs` talks to the cluster):
//!
//! - taking: a VolumeSnapshot of the workload's claim in the environment's namespace, with the
//!   VolumeSnapshotClass of the claim's CSI driver ([`volume_snapshot_of_claim`]);
//! - a new environment starting from it: a pre-provisioned VolumeSnapshotContent
//!   ([`pre_provisioned_content`], cluster-scoped, `Retain`: the storage's snapshot stays the
//!   dataset's) bound to a VolumeSnapshot in the new namespace ([`volume_snapshot_of_content`]),
//!   and the claim made with that VolumeSnapshot as its `dataSource` ([`seeded_claim`]).
//!
//! The snapshot objects are `snapshot.storage.k8s.io/v1` (the CSI external-snapshotter's
//! CRDs, GA since Kubernetes 1.20), written as JSON: k8s-openapi has no types for them.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, TypedLocalObjectReference};
use stagecraft_engine::{VolumeSnapshotRef, VolumeSource};

use super::{Owner, claim, claim_name, dns_label};

/// The API group of VolumeSnapshots, VolumeSnapshotContents and VolumeSnapshotClasses.
pub const SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";
/// Their version.
pub const SNAPSHOT_VERSION: &str = "v1";
/// A VolumeSnapshotClass's annotation: the class of its driver's snapshots when none is named.
pub const DEFAULT_SNAPSHOT_CLASS: &str = "snapshot.storage.kubernetes.io/is-default-class";
/// A label on a VolumeSnapshotContent a dataset keeps.
pub const LABEL_DATASET: &str = "dev.stagecraft/dataset";

/// The claim a workload's volume mounts (`None` for a memory-backed one).
pub fn volume_claim(workload: &str, source: &VolumeSource) -> Option<String> {
    claim_name(workload, source)
}

/// A VolumeSnapshot of claim `claim` in the owner's namespace; `taking` tells takings apart
/// (a snapshot's source cannot change once made).
pub fn volume_snapshot_of_claim(
    owner: &Owner,
    claim: &str,
    class: &str,
    taking: &str,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": format!("{SNAPSHOT_GROUP}/{SNAPSHOT_VERSION}"),
        "kind": "VolumeSnapshot",
        "metadata": owner.meta(&dns_label(&format!("dataset-{claim}-{taking}")), None),
        "spec": {
            "volumeSnapshotClassName": class,
            "source": {"persistentVolumeClaimName": claim},
        },
    })
}

/// The name of the VolumeSnapshot a new environment's claim `claim` is made from.
pub fn seed_snapshot_name(claim: &str) -> String {
    dns_label(&format!("dataset-{claim}"))
}

/// The name of the VolumeSnapshotContent that binds it (cluster-scoped: the namespace is in
/// the name).
pub fn seed_content_name(owner: &Owner, claim: &str) -> String {
    dns_label(&format!("{}-{claim}", owner.namespace()))
}

/// A pre-provisioned VolumeSnapshotContent naming the dataset's storage snapshot, bound to
/// [`volume_snapshot_of_content`] in the owner's namespace. `Retain`: deleting it (with the
/// environment) leaves the storage's snapshot, which stays the dataset's.
pub fn pre_provisioned_content(
    owner: &Owner,
    claim: &str,
    snapshot: &VolumeSnapshotRef,
) -> serde_json::Value {
    let mut meta = owner.meta(&seed_content_name(owner, claim), None);
    meta.namespace = None;
    serde_json::json!({
        "apiVersion": format!("{SNAPSHOT_GROUP}/{SNAPSHOT_VERSION}"),
        "kind": "VolumeSnapshotContent",
        "metadata": meta,
        "spec": {
            "deletionPolicy": "Retain",
            "driver": snapshot.driver,
            "source": {"snapshotHandle": snapshot.handle},
            "volumeSnapshotClassName": snapshot.class,
            "volumeSnapshotRef": {
                "name": seed_snapshot_name(claim),
                "namespace": owner.namespace(),
            },
        },
    })
}

/// The VolumeSnapshot bound to [`pre_provisioned_content`].
pub fn volume_snapshot_of_content(
    owner: &Owner,
    claim: &str,
    snapshot: &VolumeSnapshotRef,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": format!("{SNAPSHOT_GROUP}/{SNAPSHOT_VERSION}"),
        "kind": "VolumeSnapshot",
        "metadata": owner.meta(&seed_snapshot_name(claim), None),
        "spec": {
            "volumeSnapshotClassName": snapshot.class,
            "source": {"volumeSnapshotContentName": seed_content_name(owner, claim)},
        },
    })
}

/// Claim `claim` as the environment's apply makes it, provisioned from the VolumeSnapshot
/// [`volume_snapshot_of_content`] makes. Made once, before the apply: `dataSource` cannot
/// change, and the apply (another operation of the field manager) leaves it.
pub fn seeded_claim(owner: &Owner, claim_name: &str) -> PersistentVolumeClaim {
    let mut made = claim(owner, claim_name.to_owned());
    if let Some(spec) = made.spec.as_mut() {
        spec.data_source = Some(TypedLocalObjectReference {
            api_group: Some(SNAPSHOT_GROUP.to_owned()),
            kind: "VolumeSnapshot".to_owned(),
            name: seed_snapshot_name(claim_name),
        });
    }
    made
}
