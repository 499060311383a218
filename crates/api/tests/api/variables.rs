//! Variables edited in the app (GitOps off): secrets masked in the editor, kept when left so,
//! sealed when typed, and the next deploy gives the workloads the new values.

use std::sync::Arc;

use stagecraft_api::{DeployRequest, ErrorCode, MASK, Wait};
use stagecraft_engine::Stage;

use crate::environments::{Fake, ephemeral, open, repo};

/// The value the runtime got for `key` in `web`'s newest deploy.
fn given(fake: &Fake, key: &str) -> Option<String> {
    fake.envs
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(service, _)| service == "web")
        .and_then(|(_, vars)| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
}

#[tokio::test]
async fn an_environments_variables_are_edited_with_secrets_masked_and_the_next_deploy_sets_up() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    stagecraft.set_gitops("shop", false).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    let file = stagecraft
        .environment_variables_file(&env_id)
        .await
        .unwrap()
        .yaml;
    assert!(file.contains(MASK) && !file.contains("hunter2"), "{file}");
    // DB_PASS left masked; a new plain variable and a new secret typed in.
    let edited = file.replace(
        "- key: DB_PASS",
        "- key: GREETING\n  value: hello\n- key: API_TOKEN\n  value: s3cr3t\n  secret: true\n- key: DB_PASS",
    );
    let saved = stagecraft
        .environment_variables_set(&env_id, &edited)
        .await
        .unwrap();
    assert_eq!(saved.version, "v1.2");
    let shown = stagecraft
        .environment_variables_file(&env_id)
        .await
        .unwrap()
        .yaml;
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("hunter2"),
        "{shown}"
    );

    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(deploy.stage, Stage::Setup);
    assert_eq!(given(&fake, "DB_PASS").as_deref(), Some("hunter2"), "kept");
    assert_eq!(given(&fake, "API_TOKEN").as_deref(), Some("s3cr3t"));
    assert_eq!(given(&fake, "GREETING").as_deref(), Some("hello"));
}

#[tokio::test]
async fn a_masked_secret_with_no_value_and_a_broken_file_are_refused_naming_what() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    stagecraft.set_gitops("shop", false).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let file = stagecraft
        .environment_variables_file(&env_id)
        .await
        .unwrap()
        .yaml;

    let new_masked = file.replace(
        "- key: DB_PASS",
        &format!("- key: FRESH\n  value: {MASK}\n  secret: true\n- key: DB_PASS"),
    );
    let error = stagecraft
        .environment_variables_set(&env_id, &new_masked)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidRequest);
    assert!(
        error.to_string().contains("`FRESH` has no value yet"),
        "{error}"
    );

    let unmarked = file.replace("  secret: true\n", "");
    let error = stagecraft
        .environment_variables_set(&env_id, &unmarked)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("`DB_PASS` holds") && error.to_string().contains("secret: true"),
        "the mask is never kept as a value: {error}"
    );

    let broken = stagecraft
        .environment_variables_set(&env_id, "envs: {not: a list}\n")
        .await
        .unwrap_err();
    assert_eq!(broken.code(), ErrorCode::InvalidFiles);
    assert!(
        broken.to_string().contains(&format!("{env_id} variables:")),
        "{broken}"
    );
    assert_eq!(
        stagecraft
            .environment(&env_id)
            .await
            .unwrap()
            .version
            .to_string(),
        "v1.1",
        "nothing saved"
    );
}

#[tokio::test]
async fn with_gitops_the_variables_are_edited_on_the_branch_and_the_apps_default_one_is_copied_by_new_environments()
 {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let file = stagecraft
        .environment_variables_file(&env_id)
        .await
        .unwrap()
        .yaml;
    let refused = stagecraft
        .environment_variables_set(&env_id, &file)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Conflict);
    assert!(
        refused
            .to_string()
            .contains(".release/environment_variables.yaml on the environment's branch"),
        "{refused}"
    );

    let following = stagecraft.app_variables_file("shop").await.unwrap();
    assert_eq!(
        following.follows.as_deref(),
        Some(".release/environment_variables.yaml on branch main")
    );
    stagecraft.set_gitops("shop", false).await.unwrap();
    let app_file = stagecraft.app_variables_file("shop").await.unwrap();
    assert_eq!(app_file.follows, None);
    let app_file = app_file.yaml;
    assert!(!app_file.contains("hunter2"), "{app_file}");
    let version = stagecraft
        .app_variables_set(
            "shop",
            &app_file.replace("defaults:\n", "defaults:\n- key: REGION\n  value: eu\n"),
        )
        .await
        .unwrap();
    assert_eq!(version, 2);
    let newer = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&newer, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(given(&fake, "REGION").as_deref(), Some("eu"));
    assert_eq!(given(&fake, "DB_PASS").as_deref(), Some("hunter2"));
    // The environment made before keeps its own copy.
    let older = stagecraft
        .environment_variables_file(&env_id)
        .await
        .unwrap()
        .yaml;
    assert!(!older.contains("REGION"), "{older}");
}
