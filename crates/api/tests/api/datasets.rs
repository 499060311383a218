//! Instant datasets on the real Docker engine: a volume written by a job, taken as a dataset,
//! filled into a new environment's volume before it runs anything (through a container that
//! is created, never started), read back by its service, with the job the dataset covers
//! skipped and saying why; a dataset taken again, refused names and volumes, and deleted.

use stagecraft_api::{CreateEnvironment, DeployRequest, Wait};
use stagecraft_docker::stable_host_port;
use stagecraft_engine::{DeployStatus, Stage};

use crate::docker::{
    Cleanup, dockerfile, environment_of, environment_with, event_types, http_get, labelled,
    service_dir, unique,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_taken_after_setup_seeds_a_new_environment_and_skips_its_job() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("dst");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    service_dir(
        &repo,
        "db",
        &dockerfile(&[], r#"["httpd", "-f", "-p", "8080", "-h", "/data"]"#),
        &[],
    );
    let template = format!(
        "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: db
  build: {{context: db}}
  ports: [{{type: node_port, port: '80', target_port: '8080'}}]
  volumes: [{{name: files, type: persistent, mount_path: /data}}]
jobs:
- name: seed
  from_services: db
  command: [sh, -c, 'echo run >> /data/runs; mkdir -p /data/deep/er; echo kept > /data/deep/er/file; dd if=/dev/zero of=/data/blob bs=1024 count=256 2>/dev/null']
workflows:
- {{name: setup, order_from: [jobs.seed, services.db]}}
- {{name: patch, order_from: [services.db]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    );
    let (stagecraft, source) = environment_with(dir.path(), &repo, &app, &template).await;
    let refused = stagecraft
        .create_dataset("early", &source, &["db:files".to_owned()])
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("set-up environment"),
        "{refused}"
    );
    let setup = stagecraft
        .submit(&source, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
    assert_eq!(
        http_get(stable_host_port(&source, "db", 8080), "/runs"),
        "run\n"
    );

    // Taken: one volume, the job that had run, its size; names and volumes checked.
    let badly_named = stagecraft
        .create_dataset("../up", &source, &["db:files".to_owned()])
        .await
        .unwrap_err();
    assert!(
        badly_named.to_string().contains("cannot name a dataset"),
        "{badly_named}"
    );
    let name = format!("seeded-{app}");
    let bad = stagecraft
        .create_dataset(&name, &source, &["db:nope".to_owned()])
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("its volumes: files"), "{bad}");
    let taken = stagecraft
        .create_dataset(&name, &source, &["db:files".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        (
            taken.environment.as_str(),
            taken.jobs.as_slice(),
            taken.paused
        ),
        (source.as_str(), ["seed".to_owned()].as_slice(), false)
    );
    assert_eq!(taken.volumes.len(), 1);
    // Archives in the data folder: for environments on Docker.
    assert_eq!(taken.runtime, "docker");
    assert!(taken.bytes > 256 * 1024, "{taken:#?}");
    assert_eq!(stagecraft.datasets_bytes().await.unwrap(), taken.bytes);
    let again = stagecraft
        .create_dataset(&name, &source, &["db:files".to_owned()])
        .await
        .unwrap_err();
    assert!(again.to_string().contains("datasets refresh"), "{again}");

    // A new environment from it: the volume filled before anything ran, the job skipped.
    let seeded = stagecraft
        .create_environment(CreateEnvironment {
            dataset: Some(name.clone()),
            ..environment_of(&app)
        })
        .await
        .unwrap()
        .env_id;
    let next = stagecraft.next_deploy(&seeded).await.unwrap();
    assert!(
        next.reason
            .contains(&format!("its volumes start from dataset {name} (db:files"))
            && next
                .reason
                .ends_with("the jobs it covers are skipped: seed"),
        "{}",
        next.reason
    );
    let labelled_before = labelled(&seeded);
    assert!(labelled_before.is_empty(), "{labelled_before:?}");
    let first = stagecraft
        .submit(&seeded, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(first.status, DeployStatus::Succeeded, "{first:#?}");
    let port = stable_host_port(&seeded, "db", 8080);
    assert_eq!(
        http_get(port, "/runs"),
        "run\n",
        "the job did not run again"
    );
    assert_eq!(http_get(port, "/deep/er/file"), "kept\n");
    let events = event_types(&stagecraft, first.id).await;
    assert!(
        events
            .iter()
            .any(|e| e.contains("volume_seeded") && e.contains(&name)),
        "{events:#?}"
    );
    let skipped = events
        .iter()
        .find(|e| e.contains("task_finished") && e.contains("jobs.seed"))
        .unwrap();
    assert!(
        skipped.contains("skipped") && skipped.contains(&format!("dataset `{name}`")),
        "{skipped}"
    );
    // Nothing of the copy is left: the container it went through was removed.
    assert!(
        !labelled(&seeded).iter().any(|o| o.contains("-seed-")),
        "{:?}",
        labelled(&seeded)
    );
    // A dataset of the seeded environment covers the job its own dataset covered.
    let grand = stagecraft
        .create_dataset(&format!("grand-{app}"), &seeded, &["db:files".to_owned()])
        .await
        .unwrap();
    assert_eq!(grand.jobs, ["seed"], "{grand:#?}");
    stagecraft.delete_dataset(&grand.name).await.unwrap();

    // A later setup is the environment's own: nothing is filled again.
    let later = stagecraft
        .submit(&seeded, DeployRequest::Setup, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (later.stage, later.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert_eq!(
        http_get(port, "/runs"),
        "run\nrun\n",
        "its own setup runs the job"
    );
    assert!(
        !event_types(&stagecraft, later.id)
            .await
            .iter()
            .any(|e| e.contains("volume_seeded"))
    );

    // Taken again after the source ran its job once more, then deleted.
    stagecraft
        .submit(&source, DeployRequest::Setup, Wait::UntilDone)
        .await
        .unwrap();
    let refreshed = stagecraft.refresh_dataset(&name).await.unwrap();
    assert!(refreshed.taken_at > taken.taken_at, "{refreshed:#?}");
    let third = stagecraft
        .create_environment(CreateEnvironment {
            dataset: Some(name.clone()),
            ..environment_of(&app)
        })
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&third, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        http_get(stable_host_port(&third, "db", 8080), "/runs"),
        "run\nrun\n"
    );
    stagecraft.delete_dataset(&name).await.unwrap();
    assert!(stagecraft.datasets().await.unwrap().is_empty());
    assert!(
        !dir.path().join("data/datasets/1").exists(),
        "the archives went with it"
    );
    let unknown = stagecraft
        .create_environment(CreateEnvironment {
            dataset: Some(name.clone()),
            ..environment_of(&app)
        })
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no dataset named"),
        "{unknown}"
    );
}
