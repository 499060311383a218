use stagecraft_api::{CreateEnvironment, DeployRequest, ErrorCode, MASK, Stagecraft, Wait};
use std::sync::Arc;
use std::time::Duration;

use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

use crate::environments::{Fake, ephemeral, open, repo};

async fn shop(dir: &std::path::Path) -> (Stagecraft, String, Arc<Fake>) {
    let fake = Fake::open();
    let stagecraft = open(dir, Arc::clone(&fake)).await;
    stagecraft.add_app(&repo(dir)).await.unwrap();
    // The configuration is edited in the app: GitOps off (`gitops.rs` tests it on).
    stagecraft.set_gitops("shop", false).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    (stagecraft, env_id, fake)
}

#[tokio::test]
async fn a_new_configuration_is_validated_saved_as_the_next_version_and_brings_a_setup() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    let current = stagecraft.config_get(&env_id).await.unwrap();
    assert_eq!(current.version, "v1.1");

    let broken = current.config_yaml.replace(
        "image: postgres:16",
        "image: postgres:16\n  cpu: {limits: lots}",
    );
    let error = stagecraft.config_set(&env_id, &broken).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidFiles);
    assert!(
        error
            .to_string()
            .contains(&format!("{env_id} configuration:"))
            && error
                .to_string()
                .contains("cpu.limits: `lots` is not a CPU quantity"),
        "{error}"
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

    let edited = current
        .config_yaml
        .replace("image: postgres:16", "image: postgres:17");
    let saved = stagecraft.config_set(&env_id, &edited).await.unwrap();
    assert_eq!(saved.version, "v1.2");
    assert_eq!(stagecraft.config_history(&env_id).await.unwrap().len(), 2);

    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(deploy.deploy.stage, Stage::Setup);
    assert_eq!(
        deploy.deploy.reason,
        "setup: the configuration changed since the last setup (v1.1 → v1.2)"
    );
}

#[tokio::test]
async fn variables_are_shown_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;

    let workloads = stagecraft.variables_get(&env_id).await.unwrap();

    let web = workloads
        .iter()
        .find(|w| w.workload == "services.web")
        .unwrap();
    let secret = web.vars.iter().find(|v| v.key == "DB_PASS").unwrap();
    assert_eq!((secret.value.as_str(), secret.secret), (MASK, true));
    let url = web.vars.iter().find(|v| v.key == "PUBLIC_URL").unwrap();
    assert_eq!(url.value, format!("https://web-shop-{env_id}.localhost"));
    assert!(!format!("{workloads:?}").contains("hunter2"));
    // Release's own variables: the environment template it was made from, and `local` where
    // Release would name an account, a cloud and a region.
    let created = stagecraft.environment(&env_id).await.unwrap();
    let value = |key: &str| {
        web.vars
            .iter()
            .find(|v| v.key == key)
            .map(|v| v.value.clone())
    };
    assert_eq!(
        value("RELEASE_ENV"),
        Some(created.environment_template.clone())
    );
    assert_eq!(value("RELEASE_CLOUD_PROVIDER").as_deref(), Some("local"));
    assert_eq!(value("RELEASE_CLUSTER_REGION").as_deref(), Some("local"));
}

#[tokio::test]
async fn extend_moves_the_expiry_up_to_seven_days_and_permanent_ones_never_expire() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;
    let created = stagecraft.environment(&env_id).await.unwrap();

    let sooner = stagecraft
        .extend(&env_id, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert!(
        sooner.expires_at < created.expires_at,
        "an hour from now is before three days from now"
    );
    let longest = stagecraft
        .extend(&env_id, Some(Duration::from_secs(30 * 24 * 3600)))
        .await
        .unwrap();
    let capped = stagecraft.extend(&env_id, None).await.unwrap();
    assert!(longest.expires_at > created.expires_at);
    assert!(
        capped.expires_at >= longest.expires_at,
        "30 days are capped at 7"
    );

    let permanent = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            environment_template: "permanent".into(),
            name: Some("staging".into()),
            ..ephemeral()
        })
        .await
        .unwrap();
    assert_eq!(
        stagecraft
            .extend(&permanent.env_id, None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
}

#[tokio::test]
async fn expired_environments_are_torn_down_and_the_others_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, keep, fake) = shop(dir.path()).await;
    let expiring = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            ttl: Some(Duration::ZERO),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&expiring, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let reports = stagecraft.expire_due().await.unwrap();

    assert_eq!(reports.len(), 1);
    assert_eq!(
        (reports[0].deploy.stage, reports[0].deploy.status),
        (Stage::Teardown, DeployStatus::Succeeded)
    );
    assert!(
        reports[0].deploy.reason.starts_with("expired at "),
        "{}",
        reports[0].deploy.reason
    );
    assert_eq!(
        stagecraft.environment(&expiring).await.unwrap().status,
        EnvironmentStatus::TornDown
    );
    assert_eq!(
        stagecraft.environment(&keep).await.unwrap().status,
        EnvironmentStatus::Created
    );
    assert!(fake.calls().contains(&"remove shop".to_owned()));
    assert!(
        stagecraft.expire_due().await.unwrap().is_empty(),
        "a torn down environment is not torn down again"
    );
}

#[tokio::test]
async fn an_environment_about_to_expire_is_warned_once_per_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;
    let later = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            ttl: Some(Duration::from_secs(7 * 24 * 3600)),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    assert!(
        stagecraft.expiry_warnings().await.unwrap().is_empty(),
        "three days away: no warning yet"
    );

    stagecraft
        .extend(&env_id, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    let warned = stagecraft.expiry_warnings().await.unwrap();

    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0].0, env_id);
    assert!(
        warned[0]
            .1
            .contains("will be torn down: extend it to keep it"),
        "{}",
        warned[0].1
    );
    assert!(
        stagecraft.expiry_warnings().await.unwrap().is_empty(),
        "once per expiry"
    );
    stagecraft
        .extend(&env_id, Some(Duration::from_secs(7200)))
        .await
        .unwrap();
    assert_eq!(
        stagecraft.expiry_warnings().await.unwrap().len(),
        1,
        "a new expiry, a new warning"
    );
    assert_eq!(stagecraft.notices(&env_id).await.unwrap().len(), 2);
    assert!(stagecraft.notices(&later).await.unwrap().is_empty());

    let tick = stagecraft.tick().await.unwrap();
    assert!(tick.warnings.is_empty() && tick.expired.is_empty() && tick.patched.is_empty());
}

#[tokio::test]
async fn the_environments_list_shows_the_urls_of_the_current_configuration_version() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;
    let urls = |rows: Vec<stagecraft_api::EnvironmentRow>| -> Vec<String> {
        rows.into_iter()
            .flat_map(|r| r.urls.into_iter().map(|h| h.url))
            .collect()
    };
    let before = urls(stagecraft.environment_rows().await.unwrap());
    assert_eq!(before.len(), 1, "{before:?}");
    // Asked again, the same (read once for this version).
    assert_eq!(urls(stagecraft.environment_rows().await.unwrap()), before);

    let current = stagecraft.config_get(&env_id).await.unwrap();
    let edited = format!(
        "{}hostnames:\n- web: shop-${{env_id}}.example.test\n",
        current.config_yaml
    );
    stagecraft.config_set(&env_id, &edited).await.unwrap();

    let after = urls(stagecraft.environment_rows().await.unwrap());
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(
        after[0].contains(&format!("shop-{env_id}.example.test")),
        "the new version's URL: {after:?} (was {before:?})"
    );
}

#[tokio::test]
async fn the_variables_tab_shows_what_the_deploy_gave_each_workload() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, fake) = shop(dir.path()).await;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    // One resolution for both: the tab differs only in what a deploy adds (its build and
    // commit) and in the secrets it masks.
    let per_deploy = ["RELEASE_BUILD_ID", "RELEASE_COMMIT_SHA"];
    let shown: Vec<(String, String)> = stagecraft
        .variables_get(&env_id)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.workload == "services.web")
        .unwrap()
        .vars
        .into_iter()
        .filter(|v| !per_deploy.contains(&v.key.as_str()))
        .map(|v| (v.key, v.value))
        .collect();
    let given: Vec<(String, String)> = fake
        .envs
        .lock()
        .unwrap()
        .iter()
        .find(|(service, _)| service == "web")
        .unwrap()
        .1
        .iter()
        .filter(|(key, _)| !per_deploy.contains(&key.as_str()))
        .map(|(key, value)| {
            let value = if key == "DB_PASS" { MASK } else { value };
            (key.clone(), value.to_owned())
        })
        .collect();
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort();
        v
    };
    assert!(shown.iter().any(|(k, _)| k == "PUBLIC_URL"));
    assert_eq!(sorted(shown), sorted(given));
}

#[tokio::test]
async fn the_configuration_says_which_of_its_keys_the_runtime_does_not_carry_out() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, env_id, _) = shop(dir.path()).await;
    let current = stagecraft.config_get(&env_id).await.unwrap();
    assert!(current.warnings.is_empty(), "{:?}", current.warnings);

    let edited = format!(
        "{}charts:\n- {{name: redis, repo_url: 'https://charts.example.com'}}\n",
        current.config_yaml
    );
    let saved = stagecraft.config_set(&env_id, &edited).await.unwrap();
    let line = edited
        .lines()
        .position(|l| l.starts_with("charts:"))
        .unwrap()
        + 1;
    let warnings: Vec<String> = saved.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(&format!(
            "{env_id} configuration:{line}:1: warning: charts: not carried out on Docker: "
        )) && warnings[0].contains("Helm charts are not run"),
        "{warnings:#?}"
    );
    let history = stagecraft.config_history(&env_id).await.unwrap();
    assert!(
        history[1].warnings.is_empty(),
        "only the newest version says"
    );
}
