//! A dataset's volumes on Kubernetes, with the cluster's VolumeSnapshots (the objects are made
//! in `manifest/snapshots.rs`).
//!
//! Taking ([`take`]): the claim's storage class gives its CSI driver, the driver a
//! VolumeSnapshotClass (the one marked default, else the first by name); a VolumeSnapshot of the
//! claim is made and waited for until ready; its VolumeSnapshotContent is set to `Retain` and
//! labelled as a dataset's: the content (cluster-scoped) and the storage's snapshot stay when
//! the environment's namespace goes, and the VolumeSnapshot with it.
//!
//! Filling a new environment's volume ([`fill`]): a pre-provisioned VolumeSnapshotContent naming
//! the same storage snapshot (`Retain`), a VolumeSnapshot bound to it in the new namespace,
//! waited for, then the claim made from it. Only a claim that does not exist yet is made.
//!
//! A dataset's deletion ([`forget`]) sets its content to `Delete`, deletes the VolumeSnapshot
//! bound to it where it still is, and the content, so the CSI driver deletes the storage's
//! snapshot.
//!
//! A cluster without the snapshot API, or without a VolumeSnapshotClass for the claim's driver
//! (kind's and k3d's default storage has none), gets [`KubeError::NoSnapshots`], which says
//! what to install.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::core::GroupVersionKind;
use stagecraft_engine::{
    CapturedVolume, EnvironmentRef, RuntimeError, RuntimeObject, VolumeMount, VolumeSeed,
    VolumeSnapshotRef,
};

use crate::cluster::{Cluster, FIELD_MANAGER};
use crate::manifest::{
    DEFAULT_SNAPSHOT_CLASS, LABEL_DATASET, Owner, SNAPSHOT_GROUP, SNAPSHOT_VERSION,
    pre_provisioned_content, seed_content_name, seed_snapshot_name, seeded_claim, volume_claim,
    volume_snapshot_of_claim, volume_snapshot_of_content,
};
use crate::runtime::{failed, namespace_object, owner};
use crate::{KubeError, KubeRuntime};

/// The ledger's kind for a pre-provisioned VolumeSnapshotContent an environment made.
pub(crate) const CONTENT_KIND: &str = "volumesnapshotcontent";

/// How long a VolumeSnapshot may take to be ready (the storage copies the volume).
const READY_WITHIN: Duration = Duration::from_secs(15 * 60);
/// How often one not ready yet is looked at.
const READY_EVERY: Duration = Duration::from_secs(1);
/// How long an error the VolumeSnapshot shows may stay before the wait ends with it.
const ERROR_STAYS: Duration = Duration::from_secs(60);

impl KubeRuntime {
    pub(crate) async fn capture(
        &self,
        env: &EnvironmentRef,
        service: &str,
        volume: &VolumeMount,
    ) -> Result<CapturedVolume, RuntimeError> {
        let cluster = self.cluster().await?;
        let claim =
            volume_claim(&format!("services.{service}"), &volume.source).ok_or_else(|| {
                RuntimeError::new(format!(
                    "{service}'s volume at {} is memory-backed: it keeps nothing to take",
                    volume.mount_path
                ))
            })?;
        let taken = take(cluster, &owner(env), &claim).await.map_err(failed)?;
        Ok(CapturedVolume {
            root: String::new(),
            bytes: taken.bytes,
            snapshot: Some(taken.snapshot),
        })
    }

    pub(crate) async fn seed(
        &self,
        env: &EnvironmentRef,
        seed: &VolumeSeed,
    ) -> Result<Option<u64>, RuntimeError> {
        let snapshot = seed.snapshot.as_ref().ok_or_else(|| {
            RuntimeError::new(format!(
                "dataset {} holds its volumes as archives (taken on Docker): on Kubernetes a \
                 dataset is a VolumeSnapshot; take one from an environment on this cluster",
                seed.dataset
            ))
        })?;
        let cluster = self.cluster().await?;
        let owner = owner(env);
        let claim = volume_claim(&format!("services.{}", seed.service), &seed.volume.source)
            .ok_or_else(|| {
                RuntimeError::new(format!(
                    "{}'s volume at {} is memory-backed: a dataset cannot fill it",
                    seed.service, seed.volume.mount_path
                ))
            })?;
        // Recorded before it is made: the teardown deletes it.
        env.ledger.record(&namespace_object(&owner)).await?;
        env.ledger
            .record(&RuntimeObject {
                kind: CONTENT_KIND.to_owned(),
                name: seed_content_name(&owner, &claim),
            })
            .await?;
        fill(cluster, &owner, &claim, snapshot)
            .await
            .map_err(failed)
    }
}

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(SNAPSHOT_GROUP, SNAPSHOT_VERSION, kind),
        plural,
    )
}

fn snapshots() -> ApiResource {
    resource("VolumeSnapshot", "volumesnapshots")
}

fn contents() -> ApiResource {
    resource("VolumeSnapshotContent", "volumesnapshotcontents")
}

fn classes() -> ApiResource {
    resource("VolumeSnapshotClass", "volumesnapshotclasses")
}

fn object(cluster: &Cluster, value: serde_json::Value) -> Result<DynamicObject, KubeError> {
    serde_json::from_value(value).map_err(|e| KubeError::Failed {
        context: cluster.context().to_owned(),
        what: "writing a snapshot object".to_owned(),
        reason: e.to_string(),
    })
}

fn text<'a>(object: &'a DynamicObject, path: &[&str]) -> Option<&'a str> {
    let mut value = &object.data;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str()
}

/// What a taking gives: the snapshot the dataset keeps, and the volume's size in bytes.
pub(crate) struct Taken {
    pub snapshot: VolumeSnapshotRef,
    pub bytes: u64,
}

/// Takes claim `claim` of the owner's namespace as a VolumeSnapshot whose content is kept.
pub(crate) async fn take(
    cluster: &Cluster,
    owner: &Owner,
    claim: &str,
) -> Result<Taken, KubeError> {
    let namespace = owner.namespace();
    let class = snapshot_class(cluster, &namespace, claim).await?;
    let taking = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let made = object(
        cluster,
        volume_snapshot_of_claim(owner, claim, &class, &format!("{taking:x}")),
    )?;
    let name = made.metadata.name.clone().unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), &namespace, &snapshots());
    api.create(&PostParams::default(), &made)
        .await
        .map_err(|e| cluster.error("create", "volumesnapshots", &name, e))?;
    let taken = keep(cluster, &api, &name, &class).await;
    if taken.is_err() {
        // A failed taking takes its content with it (the class's policy).
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => tracing::warn!(
                snapshot = name,
                namespace,
                %error,
                "a failed taking's VolumeSnapshot stays in the environment's namespace"
            ),
        }
    }
    // A kept one stays where it is, bound to its content, and goes with the namespace: by
    // then the controller has long seen the content's `Retain` (deleting it now could race
    // the patch in the controller's cache, and take the storage's snapshot with it).
    taken
}

/// Waits for VolumeSnapshot `name`, then keeps its content: `Retain`, labelled a dataset's.
async fn keep(
    cluster: &Cluster,
    api: &Api<DynamicObject>,
    name: &str,
    class: &str,
) -> Result<Taken, KubeError> {
    let ready = wait_ready(cluster, api, name).await?;
    let content_name = text(&ready, &["status", "boundVolumeSnapshotContentName"])
        .unwrap_or_default()
        .to_owned();
    let bytes = restore_bytes(&ready);
    let content_api: Api<DynamicObject> = Api::all_with(cluster.client(), &contents());
    let keep = serde_json::json!({
        "metadata": {"labels": {LABEL_DATASET: "true"}},
        "spec": {"deletionPolicy": "Retain"},
    });
    let content = content_api
        .patch(&content_name, &PatchParams::default(), &Patch::Merge(&keep))
        .await
        .map_err(|e| cluster.error("patch", "volumesnapshotcontents", &content_name, e))?;
    let handle = text(&content, &["status", "snapshotHandle"]).unwrap_or_default();
    let driver = text(&content, &["spec", "driver"]).unwrap_or_default();
    if handle.is_empty() || driver.is_empty() {
        forget(cluster, &content_name, true).await?;
        return Err(KubeError::Failed {
            context: cluster.context().to_owned(),
            what: format!("taking VolumeSnapshot {name}"),
            reason: format!(
                "its VolumeSnapshotContent {content_name} names no snapshot handle or driver"
            ),
        });
    }
    Ok(Taken {
        snapshot: VolumeSnapshotRef {
            content: content_name,
            handle: handle.to_owned(),
            driver: driver.to_owned(),
            class: class.to_owned(),
        },
        bytes,
    })
}

/// `status.restoreSize` in bytes (a quantity such as `1Gi` or `1073741824`); 0 when unsaid.
fn restore_bytes(snapshot: &DynamicObject) -> u64 {
    let Some(size) = text(snapshot, &["status", "restoreSize"]) else {
        return 0;
    };
    let units = [
        ("Ki", 1u64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ];
    for (suffix, factor) in units {
        if let Some(number) = size.strip_suffix(suffix) {
            return number
                .parse::<u64>()
                .map_or(0, |n| n.saturating_mul(factor));
        }
    }
    size.parse().unwrap_or(0)
}

/// The VolumeSnapshotClass for the CSI driver of claim `claim`'s storage class.
async fn snapshot_class(
    cluster: &Cluster,
    namespace: &str,
    claim: &str,
) -> Result<String, KubeError> {
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), namespace);
    let found = claims
        .get_opt(claim)
        .await
        .map_err(|e| cluster.error("get", "persistentvolumeclaims", claim, e))?
        .ok_or_else(|| KubeError::Failed {
            context: cluster.context().to_owned(),
            what: format!("taking volume claim {claim}"),
            reason: format!("namespace {namespace} has no such claim: set the environment up"),
        })?;
    let storage_class = found
        .spec
        .and_then(|s| s.storage_class_name)
        .ok_or_else(|| KubeError::NoSnapshots {
            context: cluster.context().to_owned(),
            reason: format!("claim {claim} has no storage class, so no CSI driver"),
        })?;
    let storage: Api<StorageClass> = Api::all(cluster.client());
    let driver = storage
        .get(&storage_class)
        .await
        .map_err(|e| cluster.error("get", "storageclasses", &storage_class, e))?
        .provisioner;
    let api: Api<DynamicObject> = Api::all_with(cluster.client(), &classes());
    let listed = match api.list(&ListParams::default()).await {
        Ok(listed) => listed.items,
        Err(kube::Error::Api(status)) if status.code == 404 => {
            return Err(KubeError::NoSnapshots {
                context: cluster.context().to_owned(),
                reason: format!("it has no {SNAPSHOT_GROUP}/{SNAPSHOT_VERSION} API"),
            });
        }
        Err(e) => return Err(cluster.error("list", "volumesnapshotclasses", "", e)),
    };
    let mut of_driver: Vec<&DynamicObject> = listed
        .iter()
        .filter(|c| c.data.get("driver").and_then(|d| d.as_str()) == Some(driver.as_str()))
        .collect();
    of_driver.sort_by_key(|c| {
        let default = c
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DEFAULT_SNAPSHOT_CLASS))
            .is_some_and(|v| v == "true");
        (!default, c.metadata.name.clone())
    });
    of_driver
        .first()
        .and_then(|c| c.metadata.name.clone())
        .ok_or_else(|| KubeError::NoSnapshots {
            context: cluster.context().to_owned(),
            reason: format!(
                "no VolumeSnapshotClass is for driver {driver} (storage class \
                 {storage_class} of claim {claim})"
            ),
        })
}

/// Waits until VolumeSnapshot `name` is ready to use; its own error ends the wait.
async fn wait_ready(
    cluster: &Cluster,
    api: &Api<DynamicObject>,
    name: &str,
) -> Result<DynamicObject, KubeError> {
    let deadline = Instant::now() + READY_WITHIN;
    let mut erring: Option<Instant> = None;
    loop {
        let snapshot = api
            .get(name)
            .await
            .map_err(|e| cluster.error("get", "volumesnapshots", name, e))?;
        let status = snapshot.data.get("status");
        let ready = status
            .and_then(|s| s.get("readyToUse"))
            .and_then(serde_json::Value::as_bool)
            == Some(true);
        if ready
            && text(&snapshot, &["status", "boundVolumeSnapshotContentName"])
                .is_some_and(|c| !c.is_empty())
        {
            return Ok(snapshot);
        }
        // The controller writes errors it retries itself (a pre-provisioned content its cache
        // has not seen yet, a driver's transient refusal): one that stays ends the wait.
        match text(&snapshot, &["status", "error", "message"]) {
            Some(message) => {
                let since = *erring.get_or_insert_with(Instant::now);
                if since.elapsed() >= ERROR_STAYS {
                    return Err(KubeError::Failed {
                        context: cluster.context().to_owned(),
                        what: format!("VolumeSnapshot {name}"),
                        reason: message.to_owned(),
                    });
                }
            }
            None => erring = None,
        }
        if Instant::now() >= deadline {
            return Err(KubeError::Timeout {
                context: cluster.context().to_owned(),
                what: format!("VolumeSnapshot {name} ready to use"),
                seconds: READY_WITHIN.as_secs(),
            });
        }
        tokio::time::sleep(READY_EVERY).await;
    }
}

/// Makes claim `claim` of the owner's namespace from the dataset's `snapshot`: gives the
/// snapshot's size, or `None` when the claim exists (an earlier attempt at this first setup
/// made it). The caller records the content ([`crate::manifest::seed_content_name`]) first.
pub(crate) async fn fill(
    cluster: &Cluster,
    owner: &Owner,
    claim: &str,
    snapshot: &VolumeSnapshotRef,
) -> Result<Option<u64>, KubeError> {
    let namespace = owner.namespace();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client(), &namespace);
    if claims
        .get_opt(claim)
        .await
        .map_err(|e| cluster.error("get", "persistentvolumeclaims", claim, e))?
        .is_some()
    {
        return Ok(None);
    }
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let content = object(cluster, pre_provisioned_content(owner, claim, snapshot))?;
    let content_name = content.metadata.name.clone().unwrap_or_default();
    Api::<DynamicObject>::all_with(cluster.client(), &contents())
        .patch(&content_name, &apply, &Patch::Apply(&content))
        .await
        .map_err(|e| cluster.error("apply", "volumesnapshotcontents", &content_name, e))?;
    let bound = object(cluster, volume_snapshot_of_content(owner, claim, snapshot))?;
    let name = seed_snapshot_name(claim);
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), &namespace, &snapshots());
    api.patch(&name, &apply, &Patch::Apply(&bound))
        .await
        .map_err(|e| cluster.error("apply", "volumesnapshots", &name, e))?;
    let ready = wait_ready(cluster, &api, &name).await?;
    // Created, not applied: the environment's apply of the claim later is another operation of
    // the field manager, so it leaves `dataSource` (which cannot change) as it is.
    let made = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    };
    match claims.create(&made, &seeded_claim(owner, claim)).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => return Ok(None),
        Err(e) => return Err(cluster.error("create", "persistentvolumeclaims", claim, e)),
    }
    Ok(Some(restore_bytes(&ready)))
}

/// The VolumeSnapshotContents made for the owner's claims (a cluster without the snapshot API
/// has none).
pub(crate) async fn contents_of(
    cluster: &Cluster,
    owner: &Owner,
) -> Result<Vec<String>, KubeError> {
    let env = owner
        .labels(None)
        .get(crate::manifest::LABEL_ENV)
        .cloned()
        .unwrap_or_default();
    let api: Api<DynamicObject> = Api::all_with(cluster.client(), &contents());
    let selector = format!("{}={env}", crate::manifest::LABEL_ENV);
    match api.list(&ListParams::default().labels(&selector)).await {
        Ok(listed) => Ok(listed
            .items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Vec::new()),
        Err(e) => Err(cluster.error("list", "volumesnapshotcontents", &selector, e)),
    }
}

/// Deletes a VolumeSnapshotContent `name` (its policy first set to `delete` when `storage_too`,
/// so the driver deletes the storage's snapshot with it). One already gone is fine.
pub(crate) async fn forget(
    cluster: &Cluster,
    name: &str,
    storage_too: bool,
) -> Result<(), KubeError> {
    let api: Api<DynamicObject> = Api::all_with(cluster.client(), &contents());
    if storage_too {
        let delete = serde_json::json!({"spec": {"deletionPolicy": "Delete"}});
        let content = match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&delete))
            .await
        {
            Ok(content) => content,
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
            Err(e) => return Err(cluster.error("patch", "volumesnapshotcontents", name, e)),
        };
        // The VolumeSnapshot the taking left bound to it, where its environment still stands:
        // the content is not deleted while one holds it.
        let bound = (
            text(&content, &["spec", "volumeSnapshotRef", "namespace"]),
            text(&content, &["spec", "volumeSnapshotRef", "name"]),
        );
        if let (Some(namespace), Some(snapshot)) = bound {
            let snapshots: Api<DynamicObject> =
                Api::namespaced_with(cluster.client(), namespace, &snapshots());
            match snapshots.delete(snapshot, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => return Err(cluster.error("delete", "volumesnapshots", snapshot, e)),
            }
        }
    }
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(cluster.error("delete", "volumesnapshotcontents", name, e)),
    }
}
