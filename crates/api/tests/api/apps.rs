//! Removing an app: refused while it has something to lose, complete when it has not.

use stagecraft_api::{DeployRequest, ErrorCode, Wait};
use stagecraft_engine::DeployStatus;
use stagecraft_store::Store;

use crate::builds::built_app;
use crate::environments::{ephemeral, repo};

#[tokio::test]
async fn an_app_is_removed_with_its_images_and_history_once_its_environments_are_torn_down() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, _fake, builder, env_id) = built_app(dir.path()).await;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);

    let refused = stagecraft.remove_app("shop").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Conflict);
    assert!(refused.to_string().contains(&env_id), "{refused}");
    assert!(
        builder.removed.lock().unwrap().is_empty(),
        "nothing removed"
    );
    assert_eq!(stagecraft.apps().await.unwrap().len(), 1);

    stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    let build = stagecraft.builds("shop").await.unwrap()[0].id;
    let removed = stagecraft.remove_app("shop").await.unwrap();
    assert_eq!(removed.environments, std::slice::from_ref(&env_id));
    // The tag carries the build and the data folder's id.
    assert_eq!(removed.images.len(), 1, "{:?}", removed.images);
    assert!(
        removed.images[0].starts_with(&format!("stagecraft/shop/web:{build}-")),
        "{:?}",
        removed.images
    );
    assert_eq!(*builder.removed.lock().unwrap(), removed.images);

    assert!(stagecraft.apps().await.unwrap().is_empty());
    assert_eq!(
        stagecraft.environment(&env_id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        stagecraft.builds("shop").await.unwrap_err().code(),
        ErrorCode::NotFound
    );

    // The same folder can be added again and starts afresh.
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let again = stagecraft.create_environment(ephemeral()).await.unwrap();
    let setup = stagecraft
        .submit(&again.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
}

#[tokio::test]
async fn an_object_a_teardown_left_keeps_the_app_and_its_images() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, _fake, builder, env_id) = built_app(dir.path()).await;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    let raw = Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();
    let env = stagecraft.environment(&env_id).await.unwrap();
    stagecraft_store::ledger::record(raw.pool(), env.id, "volume", "left-behind")
        .await
        .unwrap();

    let refused = stagecraft.remove_app("shop").await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Conflict);
    assert!(
        refused.to_string().contains("volume left-behind"),
        "{refused}"
    );
    assert!(builder.removed.lock().unwrap().is_empty());
    assert_eq!(stagecraft.apps().await.unwrap().len(), 1);
    assert_eq!(stagecraft.builds("shop").await.unwrap().len(), 1);
}

#[tokio::test]
async fn removing_an_unknown_app_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, _fake, _builder, _env_id) = built_app(dir.path()).await;
    assert_eq!(
        stagecraft.remove_app("nope").await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}
