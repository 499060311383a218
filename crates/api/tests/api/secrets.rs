use crate::EventJson as _;
use stagecraft_api::{DataDir, DeployRequest, ErrorCode, Settings, Stagecraft, Wait};
use std::sync::Arc;

use stagecraft_engine::DeployStatus;
use stagecraft_store::{Store, app, environment};

use crate::environments::{Fake, ephemeral, open, repo};

#[tokio::test]
async fn secrets_are_sealed_in_the_database_and_opened_only_for_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    let shop = stagecraft.add_app(&repo(dir.path())).await.unwrap().app;
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

    stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
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
    let deploy = reopened
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(deploy.status, DeployStatus::Failed);
    let events = reopened.deploy_events(deploy.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("cannot open the secret `DB_PASS`"),
        "{events:?}"
    );
}

/// The platform's real keychain. `scripts/test.sh` runs this inside `dbus-run-session` with an
/// unlocked gnome-keyring (a Secret Service); plain `cargo test` skips it so that no test
/// writes into a developer's own keychain.
#[tokio::test]
#[ignore = "needs an unlocked Secret Service: scripts/test.sh runs it under dbus-run-session with gnome-keyring"]
async fn the_key_lives_in_the_os_keychain_when_one_answers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let open_with_keychain = || async {
        let mut stagecraft = Stagecraft::open(Settings {
            data_dir: DataDir::explicit(&data),
            docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
            kubeconfig_paths: Vec::new(),
            deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
            default_ttl: stagecraft_api::DEFAULT_TTL,
            build_parallelism: 2,
            keychain: true,
            static_sites: stagecraft_api::StaticSiteSettings::from_env(),
            ingress: stagecraft_api::GivenIngressPorts::default(),
        })
        .await
        .unwrap();
        let fake = Fake::open();
        stagecraft.register_runtime("docker", Arc::clone(&fake) as _);
        (stagecraft, fake)
    };
    let (stagecraft, _) = open_with_keychain().await;
    stagecraft.add_app(&repo(dir.path())).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    let report = stagecraft.system_report().await.unwrap();
    drop(stagecraft);

    let account = format!("secret key of {}", data.display());
    let entry = keyring::Entry::new("dev.stagecraft", &account).unwrap();
    let key = entry.get_secret().unwrap();
    assert_eq!(key.len(), 32);
    assert!(!data.join("secret.key").exists(), "no file holds the key");
    assert_eq!(
        report.secret_key,
        format!("the OS keychain (service `dev.stagecraft`, account `{account}`)")
    );

    // Another process opens the same data folder: the key comes from the keychain again.
    let (reopened, fake) = open_with_keychain().await;
    reopened
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let envs = fake.envs.lock().unwrap().clone();
    let (_, web) = envs.iter().find(|(name, _)| name == "web").unwrap();
    assert!(
        web.contains(&("DB_PASS".to_owned(), "hunter2".to_owned())),
        "{web:?}"
    );
    entry.delete_credential().unwrap();
}
