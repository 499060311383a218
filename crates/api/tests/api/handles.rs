//! Environment handles: an environment whose template asks for a pool takes a free name of it
//! as its id; a full pool refuses, naming the holders; a teardown frees the name for the next
//! environment (the old one's history kept under another id); a held name cannot be removed.

use std::path::Path;

use stagecraft_api::{CreateEnvironment, DeployRequest, Error, Wait};
use stagecraft_engine::DeployStatus;

use crate::environments::{Fake, open};

fn app(dir: &Path, datasets: &str) -> std::path::PathBuf {
    let repo = dir.join("shop");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: shop
environment_templates:
- name: ephemeral
  datasets: {datasets}
- name: permanent
services:
- {{name: web, image: busybox}}
workflows:
- {{name: setup, order_from: [services.all]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
        ),
    )
    .unwrap();
    repo
}

fn create(template: &str, name: Option<&str>) -> CreateEnvironment {
    CreateEnvironment {
        dataset: None,
        app: "shop".into(),
        branch: None,
        environment_template: template.into(),
        runtime: "docker".into(),
        name: name.map(str::to_owned),
        ttl: None,
        working_tree: true,
        parameters: Default::default(),
    }
}

#[tokio::test]
async fn environments_check_out_handles_and_a_teardown_frees_one() {
    let dir = tempfile::tempdir().unwrap();
    let repo = app(dir.path(), "[{name: qa}]");
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo).await.unwrap();
    let handles = stagecraft
        .add_handles("shop", "qa", Vec::new(), Some(2))
        .await
        .unwrap();
    let names: Vec<&str> = handles.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["qa1", "qa2"]);

    let first = stagecraft
        .create_environment(create("ephemeral", None))
        .await
        .unwrap();
    let second = stagecraft
        .create_environment(create("ephemeral", None))
        .await
        .unwrap();
    assert_eq!(
        (first.env_id.as_str(), second.env_id.as_str()),
        ("qa1", "qa2")
    );
    // A template without the pool: a random id, as always.
    let other = stagecraft
        .create_environment(create("permanent", None))
        .await
        .unwrap();
    assert!(!other.env_id.starts_with("qa"), "{}", other.env_id);

    // Full: refused, naming who holds the names.
    let full = stagecraft
        .create_environment(create("ephemeral", None))
        .await
        .unwrap_err();
    assert!(
        full.to_string()
            .contains("every handle of shop's pool `qa` is held, by the environments qa1, qa2"),
        "{full}"
    );
    // A held name cannot be removed.
    let held = stagecraft
        .remove_handles("shop", "qa", vec!["qa1".into()])
        .await
        .unwrap_err();
    assert!(held.to_string().contains("qa1 held"), "{held}");

    // Torn down, qa1 is free again: the next environment is qa1, with URLs of the same name;
    // the old one's history stays, under another id.
    let teardown = stagecraft
        .submit("qa1", DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    let shown = stagecraft.handles("shop").await.unwrap();
    assert_eq!(shown[0].held_by, None);
    assert_eq!(shown[1].held_by.as_deref(), Some("qa2"));
    let again = stagecraft
        .create_environment(create("ephemeral", None))
        .await
        .unwrap();
    assert_eq!(again.env_id, "qa1");
    let ids: Vec<String> = stagecraft
        .environments()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.env_id)
        .collect();
    assert!(
        ids.iter().any(|id| id.starts_with("qa1~")),
        "the torn-down qa1 keeps its history: {ids:?}"
    );
    assert!(
        stagecraft.deploys(&again.env_id).await.unwrap().is_empty(),
        "the new qa1 starts with no history"
    );

    // A name that is none of the pool's is refused; an id that cannot name Docker
    // objects is refused.
    let named = stagecraft
        .create_environment(create("ephemeral", Some("mine")))
        .await
        .unwrap_err();
    assert!(
        named.to_string().contains("`mine` is none of them"),
        "{named}"
    );
    let bad = stagecraft
        .create_environment(create("permanent", Some("My Env")))
        .await
        .unwrap_err();
    assert!(
        matches!(&bad, Error::InvalidRequest { field: "name", .. }),
        "{bad}"
    );
    let bad_handle = stagecraft
        .add_handles("shop", "qa", vec!["QA_3".into()], None)
        .await
        .unwrap_err();
    assert!(
        bad_handle
            .to_string()
            .contains("`QA_3` cannot be an environment's id"),
        "{bad_handle}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_creations_at_once_take_two_handles_and_a_named_one_must_be_free() {
    let dir = tempfile::tempdir().unwrap();
    let repo = app(dir.path(), "[{name: qa}]");
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo).await.unwrap();
    stagecraft
        .add_handles(
            "shop",
            "qa",
            vec!["qa-blue".into(), "qa-green".into()],
            None,
        )
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        stagecraft.create_environment(create("ephemeral", None)),
        stagecraft.create_environment(create("ephemeral", None)),
    );
    let mut ids = vec![a.unwrap().env_id, b.unwrap().env_id];
    ids.sort();
    assert_eq!(ids, ["qa-blue", "qa-green"]);

    // A name of the pool asked for: refused while held, naming the holder; taken once free.
    let held = stagecraft
        .create_environment(create("ephemeral", Some("qa-blue")))
        .await
        .unwrap_err();
    assert!(
        held.to_string()
            .contains("the handle qa-blue is held by the environment qa-blue"),
        "{held}"
    );
    stagecraft
        .submit("qa-green", DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    let named = stagecraft
        .create_environment(create("ephemeral", Some("qa-green")))
        .await
        .unwrap();
    assert_eq!(named.env_id, "qa-green");
    let unknown = stagecraft
        .remove_handles("shop", "qa", vec!["qa-red".into()])
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("qa-red in shop's pool `qa`"),
        "{unknown}"
    );
}
