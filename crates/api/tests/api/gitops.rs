//! GitOps: an environment follows the Release files of its branch, read from real commits.

use std::path::Path;
use std::sync::Arc;

use stagecraft_api::{CreateEnvironment, DeployRequest, ErrorCode, Stagecraft, Wait};
use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

use crate::EventJson as _;
use crate::builds::git;
use crate::environments::{Fake, ephemeral, open, repo};

const TEMPLATE: &str = ".release/application_template.yaml";

/// The shop app in a git repository on `main`, added, with an environment of `main` set up.
async fn shop_on_main(dir: &Path) -> (Stagecraft, Arc<Fake>, std::path::PathBuf, String) {
    let repo = repo(dir);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let fake = Fake::open();
    let stagecraft = open(dir, Arc::clone(&fake)).await;
    let added = stagecraft.add_app(&repo).await.unwrap();
    assert!(added.app.gitops, "an app with Release files follows them");
    let env_id = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("main".into()),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (setup.stage, setup.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    (stagecraft, fake, repo, env_id)
}

fn edit(repo: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = repo.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, change(text)).unwrap();
}

fn commit(repo: &Path, message: &str) {
    git(repo, &["commit", "-q", "-am", message]);
}

/// A `cache` service added to the template and to its setup and patch workflows.
fn with_cache(template: String) -> String {
    template
        .replace(
            "- name: web\n",
            "- name: cache\n  image: redis:7\n- name: web\n",
        )
        .replace(
            "order_from: [services.db, jobs.migrate, services.web]",
            "order_from: [services.db, services.cache, jobs.migrate, services.web]",
        )
}

#[tokio::test]
async fn a_commit_that_changes_the_release_files_sets_up_with_them_and_says_which_file() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, repo, env_id) = shop_on_main(dir.path()).await;
    assert!(!fake.calls().iter().any(|c| c == "deploy cache"));

    edit(&repo, TEMPLATE, with_cache);
    commit(&repo, "a cache");
    let next = stagecraft.next_deploy(&env_id).await.unwrap();
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(
        (deploy.stage, deploy.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert!(
        deploy.reason.starts_with(&format!(
            "setup: {TEMPLATE} changed (v1.1 → v2.2), read from main at "
        )),
        "{}",
        deploy.reason
    );
    // What Deploy said beforehand read the branch's files as the deploy did, saving nothing.
    assert_eq!(next.stage, stagecraft_api::StageView::Setup);
    assert_eq!(next.reason, deploy.reason);
    assert!(fake.calls().iter().any(|c| c == "deploy cache"));
    let env = stagecraft.environment(&env_id).await.unwrap();
    assert_eq!(env.version.to_string(), "v2.2");
    let history: Vec<String> = stagecraft
        .config_history(&env_id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, ["v2.2", "v1.1"]);

    // Nothing changed since: the next deploy patches.
    let again = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(again.stage, Stage::Patch);
}

#[tokio::test]
async fn a_broken_commit_fails_the_deploy_with_located_errors_and_the_environment_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, repo, env_id) = shop_on_main(dir.path()).await;
    let calls = fake.calls().len();

    edit(&repo, TEMPLATE, |t| {
        t.replace(
            "- name: db\n  image: postgres:16\n",
            "- name: db\n  image: postgres:16\n  replicas: lots\n",
        )
    });
    commit(&repo, "broken");
    let next = stagecraft.next_deploy(&env_id).await.unwrap();
    assert!(
        next.reason.contains("the Release files of main at")
            && next.reason.contains("cannot be used"),
        "{}",
        next.reason
    );
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(deploy.status, DeployStatus::Failed);
    let events = stagecraft.deploy_events(deploy.id, 0).await.unwrap();
    let end = events.last().unwrap().json();
    assert!(
        end.contains("the Release files of main at") && end.contains(&format!("{TEMPLATE}:")),
        "{end}"
    );
    assert!(end.contains("replicas"), "{end}");
    assert_eq!(fake.calls().len(), calls, "nothing reached the runtime");
    let env = stagecraft.environment(&env_id).await.unwrap();
    assert_eq!(
        (env.status, env.version.to_string().as_str()),
        (EnvironmentStatus::Deployed, "v1.1")
    );
}

#[tokio::test]
async fn the_working_tree_is_read_when_the_deploy_builds_it() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, repo, env_id) = shop_on_main(dir.path()).await;

    edit(&repo, TEMPLATE, with_cache);
    let from_commit = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(from_commit.stage, Stage::Patch, "the edit is not committed");
    let from_tree = stagecraft
        .submit(
            &env_id,
            DeployRequest::Deploy { working_tree: true },
            Wait::UntilDone,
        )
        .await
        .unwrap()
        .deploy;

    assert_eq!(from_tree.stage, Stage::Setup);
    assert!(
        from_tree.reason.contains("read from the working tree"),
        "{}",
        from_tree.reason
    );
    assert!(fake.calls().iter().any(|c| c == "deploy cache"));
}

#[tokio::test]
async fn keys_the_variables_file_calls_immutable_keep_the_environments_value() {
    let dir = tempfile::tempdir().unwrap();
    let vars = ".release/environment_variables.yaml";
    let repo_dir = dir.path();
    let repo = repo(repo_dir);
    edit(&repo, vars, |v| {
        format!(
            "gitops:\n  immutable_keys: [REGION]\n{}services:\n  db:\n  - {{key: REGION, value: eu-db}}\n",
            v.replace(
                "defaults:\n",
                "defaults:\n- {key: REGION, value: eu}\n- {key: TIER, value: small}\n"
            )
        )
    });
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let fake = Fake::open();
    let stagecraft = open(repo_dir, Arc::clone(&fake)).await;
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("main".into()),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    edit(&repo, vars, |v| {
        v.replace("value: eu}", "value: us}")
            .replace("value: eu-db}", "value: us-db}")
            .replace("value: small}", "value: large}")
    });
    commit(&repo, "new values");
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(deploy.stage, Stage::Setup);
    assert!(deploy.reason.contains(vars), "{}", deploy.reason);
    let web = fake
        .envs
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(service, _)| service == "web")
        .unwrap()
        .1
        .clone();
    let value = |key: &str| web.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(value("REGION").as_deref(), Some("eu"), "kept: immutable");
    assert_eq!(value("TIER").as_deref(), Some("large"), "followed the file");
    let db = fake
        .envs
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(service, _)| service == "db")
        .unwrap()
        .1
        .clone();
    let region = db
        .iter()
        .find(|(k, _)| k == "REGION")
        .map(|(_, v)| v.as_str());
    assert_eq!(region, Some("eu-db"), "kept in a service's list too");
}

#[tokio::test]
async fn with_gitops_the_configuration_is_edited_on_the_branch_not_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, _, _, env_id) = shop_on_main(dir.path()).await;
    let current = stagecraft.config_get(&env_id).await.unwrap();

    let error = stagecraft
        .config_set(&env_id, &current.config_yaml)
        .await
        .unwrap_err();

    assert_eq!(error.code(), ErrorCode::Conflict);
    let message = error.to_string();
    assert!(
        message.contains(&format!("edit {TEMPLATE} on branch main")),
        "{message}"
    );
    // Off, it is edited in the app again.
    let app = stagecraft.set_gitops("shop", false).await.unwrap();
    assert!(!app.gitops);
    stagecraft
        .config_set(&env_id, &current.config_yaml)
        .await
        .unwrap();
}

#[tokio::test]
async fn auto_deploy_sets_up_an_environment_whose_branch_changed_its_release_files() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, repo, env_id) = shop_on_main(dir.path()).await;
    edit(&repo, TEMPLATE, |t| format!("auto_deploy: true\n{t}"));
    commit(&repo, "auto_deploy");
    // The first look records the branch's commit; the deploy above had the old files.
    stagecraft.check_commits().await.unwrap();
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    edit(&repo, TEMPLATE, with_cache);
    commit(&repo, "a cache");
    let reports = stagecraft.check_commits().await.unwrap();

    assert_eq!(reports.len(), 1, "{reports:?}");
    let deploy = &reports[0].deploy;
    assert_eq!(
        (deploy.stage, deploy.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert!(
        deploy.reason.contains(&format!("{TEMPLATE} changed"))
            && deploy.reason.contains("(auto_deploy)"),
        "{}",
        deploy.reason
    );
    assert!(fake.calls().iter().any(|c| c == "deploy cache"));
}

#[tokio::test]
async fn a_deploy_builds_the_commit_whose_files_it_read_even_when_a_newer_one_lands_while_it_waits()
{
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    edit(&repo, TEMPLATE, |t| {
        t.replace(
            "  image: shop/web\n",
            "  image: shop/web\n  has_repo: true\n  build: {context: web}\n",
        )
    });
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::write(repo.join("web/index.html"), "one\n").unwrap();
    std::fs::write(repo.join("web/Dockerfile"), "FROM scratch\n").unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let first_commit = stagecraft_api::branch_commit(&repo, "main").unwrap();
    let fake = Fake::gated();
    let mut stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.register_builder(Arc::new(crate::builds::FakeBuilder::default()));
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("main".into()),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;

    // The first deploy holds the environment (its services wait at the gate); the second is
    // asked for now, and waits in the queue.
    let running = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    let waiting = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    std::fs::write(repo.join("web/index.html"), "two\n").unwrap();
    commit(&repo, "two");
    fake.gate.add_permits(1_000);
    running.queue.unwrap().await.unwrap();
    waiting.queue.unwrap().await.unwrap();

    let deploys = stagecraft.deploys(&env_id).await.unwrap();
    let second = deploys.iter().find(|d| d.id == waiting.deploy.id).unwrap();
    assert_eq!(second.status, DeployStatus::Succeeded, "{second:?}");
    let build = stagecraft
        .builds("shop")
        .await
        .unwrap()
        .into_iter()
        .find(|b| Some(b.id) == second.build_id)
        .unwrap();
    assert_eq!(build.git_commit.as_deref(), Some(first_commit.as_str()));
    // The Builds tab shows the commit's message, read from the repository.
    let view = stagecraft
        .build_views("shop", Some(env_id.as_str()))
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.id == build.id)
        .unwrap();
    assert_eq!(
        (view.subject.as_deref(), view.branch.as_deref(), view.live),
        (Some("one"), Some("main"), true)
    );
}

#[tokio::test]
async fn auto_deploy_patches_an_environment_of_another_branch_when_its_branch_moves() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    edit(&repo, TEMPLATE, |t| format!("auto_deploy: true\n{t}"));
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["branch", "feature/cart"]);
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo).await.unwrap();
    let on_feature = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&on_feature, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    // The deploy read the branch's commit: nothing new for the clock.
    assert!(stagecraft.check_commits().await.unwrap().is_empty());

    git(&repo, &["checkout", "-q", "feature/cart"]);
    std::fs::write(repo.join("notes.txt"), "a change on the branch\n").unwrap();
    git(&repo, &["add", "notes.txt"]);
    commit(&repo, "on the branch");
    let reports = stagecraft.check_commits().await.unwrap();

    assert_eq!(reports.len(), 1, "{reports:?}");
    let patch = &reports[0].deploy;
    assert_eq!(
        (patch.stage, patch.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );
    assert!(
        patch.reason.starts_with("patch: new commit ")
            && patch.reason.ends_with(" on feature/cart (auto_deploy)"),
        "{}",
        patch.reason
    );
    assert!(stagecraft.check_commits().await.unwrap().is_empty(), "once");
}

#[tokio::test]
async fn a_commit_that_lands_while_the_environment_deploys_is_patched_once_it_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    edit(&repo, TEMPLATE, |t| format!("auto_deploy: true\n{t}"));
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let fake = Fake::gated();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("main".into()),
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    fake.gate.add_permits(1_000);
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert!(
        stagecraft.check_commits().await.unwrap().is_empty(),
        "first look"
    );

    // A deploy runs (its service waits at the gate) when the commit lands.
    fake.gate.forget_permits(1_000);
    let running = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::Background)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while stagecraft.environment(&env_id).await.unwrap().status != EnvironmentStatus::Patching {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the deploy starts");
    std::fs::write(repo.join("notes.txt"), "later\n").unwrap();
    git(&repo, &["add", "notes.txt"]);
    commit(&repo, "while it deploys");
    assert!(
        stagecraft.check_commits().await.unwrap().is_empty(),
        "it deploys"
    );
    fake.gate.add_permits(1_000);
    running.queue.unwrap().await.unwrap();

    let reports = stagecraft.check_commits().await.unwrap();
    assert_eq!(reports.len(), 1, "the commit is not lost: {reports:?}");
    assert_eq!(reports[0].deploy.status, DeployStatus::Succeeded);
}
