use std::sync::Arc;

use stagecraft_api::ErrorCode;
use stagecraft_engine::DeployStatus;
use stagecraft_store::{Store, app, environment};

use crate::environments::{Fake, ephemeral, open, repo};

#[tokio::test]
async fn secrets_are_sealed_in_the_database_and_opened_only_for_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    let shop = stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env = stagecraft.create_environment(ephemeral()).await.unwrap();

    let raw = Store::open(&dir.path().join("data/stagecraft.db"))
        .await
        .unwrap();
    let stored_app = app::latest_config(raw.pool(), shop.id)
        .await
        .unwrap()
        .unwrap()
        .variables_yaml;
    let stored_env = environment::config(raw.pool(), env.id, 1)
        .await
        .unwrap()
        .unwrap()
        .variables_yaml;
    for stored in [&stored_app, &stored_env] {
        assert!(!stored.contains("hunter2"), "{stored}");
        assert!(stored.contains("value: enc:v1:"), "{stored}");
    }

    stagecraft.deploy(&env.env_id).await.unwrap();
    let envs = fake.envs.lock().unwrap().clone();
    let (_, web) = envs.iter().find(|(name, _)| name == "web").unwrap();
    assert!(
        web.contains(&("DB_PASS".to_owned(), "hunter2".to_owned())),
        "{web:?}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("data/secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_secret_sealed_with_another_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    drop(stagecraft);
    let key = dir.path().join("data/secret.key");
    std::fs::remove_file(&key).unwrap();

    let reopened = open(dir.path(), Fake::open()).await;

    let error = reopened.variables_get(&env_id).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::SecretSealed);
    assert!(
        error
            .to_string()
            .contains("cannot open the secret `DB_PASS`"),
        "{error}"
    );
    let deploy = reopened.deploy(&env_id).await.unwrap().deploy;
    assert_eq!(deploy.status, DeployStatus::Failed);
    let events = reopened.deploy_events(deploy.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .event_json
            .contains("cannot open the secret `DB_PASS`"),
        "{events:?}"
    );
}
