//! App imports with real git repositories: each imported app's branch chosen by Release's four
//! rules (its table: the import's `branch`, a branch named like the environment's, the
//! imported app's tracking branch, its default branch), its files read from that branch,
//! excluded services left out; an unknown app refused naming what to add; and on the real
//! Docker engine, the importer's service reaching the imported one by its name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stagecraft_api::{CreateEnvironment, DeployRequest, Error, Wait};
use stagecraft_engine::{DeployStatus, Stage};

use crate::builds::git;
use crate::docker::{
    Cleanup, container_of, docker, dockerfile, labelled, open_docker, refusal, service_dir, unique,
};
use crate::environments::{Fake, open};

const WORKFLOWS: &str = "workflows:
- {name: setup, order_from: [services.all]}
- {name: patch, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

/// A repository of `app` whose first commit is on `first`, with one service per name.
fn app_repo(dir: &Path, app: &str, first: &str, head: &str, services: &[&str]) -> PathBuf {
    let repo = dir.join(app);
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    let services: String = services
        .iter()
        .map(|s| format!("- {{name: {s}, image: busybox}}\n"))
        .collect();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}\n{head}environment_templates: [{{name: ephemeral}}]\nservices:\n{services}{WORKFLOWS}"
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", first]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    repo
}

fn branch(repo: &Path, name: &str) {
    git(repo, &["branch", name]);
}

fn on(app: &str, branch: &str) -> CreateEnvironment {
    CreateEnvironment {
        dataset: None,
        app: app.into(),
        branch: Some(branch.into()),
        environment_template: "ephemeral".into(),
        runtime: "docker".into(),
        name: None,
        ttl: None,
        working_tree: false,
        parameters: Default::default(),
    }
}

#[tokio::test]
async fn each_import_gets_the_branch_releases_order_chooses_and_its_files_from_it() {
    let dir = tempfile::tempdir().unwrap();
    // Release's example: A (main; feature-1, feature-2) imports B (default develop; feature-2)
    // and C (default v5, tracking bug-1; feature-1, bug-2); and D, pinned by the import.
    let a = app_repo(
        dir.path(),
        "front",
        "main",
        "app_imports:\n- {name: back}\n- {name: cart}\n- name: pay\n  branch: pinned\n  exclude_services: [{name: pay-cache}]\n",
        &["web"],
    );
    branch(&a, "feature-1");
    branch(&a, "feature-2");
    let b = app_repo(dir.path(), "back", "develop", "", &["back-api"]);
    branch(&b, "feature-2");
    let c = app_repo(
        dir.path(),
        "cart",
        "v5",
        "tracking_branch: bug-1\n",
        &["cart-api"],
    );
    for name in ["bug-1", "feature-1", "bug-2"] {
        branch(&c, name);
    }
    let d = app_repo(dir.path(), "pay", "main", "", &["pay-api", "pay-cache"]);
    // The pinned branch's files have a service the default branch's lack: they are the ones read.
    git(&d, &["checkout", "-q", "-b", "pinned"]);
    let template = d.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace(
            "services:\n",
            "services:\n- {name: pay-pinned, image: busybox}\n",
        ),
    )
    .unwrap();
    git(&d, &["commit", "-q", "-am", "pinned"]);
    git(&d, &["checkout", "-q", "main"]);

    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    // The importer first: its imports are checked when an environment is made, not when
    // the app is added.
    for repo in [&a, &b, &c, &d] {
        stagecraft.add_app(repo).await.unwrap();
    }

    let mut chosen = Vec::new();
    for env_branch in ["main", "feature-1", "feature-2"] {
        let env = stagecraft
            .create_environment(on("front", env_branch))
            .await
            .unwrap();
        let imports = stagecraft.environment_imports(&env.env_id).await.unwrap();
        chosen.push(
            imports
                .iter()
                .map(|i| format!("{} {} ({})", i.app, i.branch, i.why))
                .collect::<Vec<_>>(),
        );
        if env_branch == "feature-1" {
            let pay = imports.iter().find(|i| i.app == "pay").unwrap();
            assert_eq!(pay.services, ["pay-pinned", "pay-api"]);
            assert_eq!(pay.excluded, ["pay-cache"]);
            assert!(pay.commit.is_some());
            // Deployed: every app's services, each with its own app and branch.
            let setup = stagecraft
                .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
                .unwrap()
                .deploy;
            assert_eq!(
                (setup.stage, setup.status),
                (Stage::Setup, DeployStatus::Succeeded)
            );
            let envs = fake.envs.lock().unwrap().clone();
            let var = |service: &str, key: &str| {
                envs.iter()
                    .find(|(s, _)| s == service)
                    .and_then(|(_, vars)| vars.iter().find(|(k, _)| k == key))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| panic!("{service} has no {key}: {envs:?}"))
            };
            let mut deployed: Vec<&str> = envs.iter().map(|(s, _)| s.as_str()).collect();
            deployed.sort_unstable();
            assert_eq!(
                deployed,
                ["back-api", "cart-api", "pay-api", "pay-pinned", "web"]
            );
            assert_eq!(var("web", "RELEASE_BRANCH_NAME"), "feature-1");
            assert_eq!(var("cart-api", "RELEASE_BRANCH_NAME"), "feature-1");
            assert_eq!(var("cart-api", "RELEASE_APP_NAME"), "cart");
            assert_eq!(var("back-api", "RELEASE_BRANCH_NAME"), "develop");
            assert_eq!(var("pay-api", "RELEASE_BRANCH_NAME"), "pinned");

            // Nothing changed: a patch. A change in an imported app's files alone: a setup,
            // saying which app.
            let again = stagecraft
                .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
                .unwrap()
                .deploy;
            assert_eq!(again.stage, Stage::Patch, "{}", again.reason);
            git(&c, &["checkout", "-q", "feature-1"]);
            let template = c.join(".release/application_template.yaml");
            let text = std::fs::read_to_string(&template).unwrap();
            std::fs::write(
                &template,
                text.replace(
                    "image: busybox}",
                    "image: busybox, envs: [{key: MODE, value: new}]}",
                ),
            )
            .unwrap();
            git(&c, &["commit", "-q", "-am", "a variable"]);
            git(&c, &["checkout", "-q", "v5"]);
            let changed = stagecraft
                .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
                .unwrap()
                .deploy;
            assert_eq!(
                (changed.stage, changed.status),
                (Stage::Setup, DeployStatus::Succeeded)
            );
            assert!(
                changed
                    .reason
                    .contains("the configuration of the imported app cart changed")
                    && changed.reason.contains("feature-1 at"),
                "{}",
                changed.reason
            );
            let after = stagecraft
                .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
                .await
                .unwrap()
                .deploy;
            assert_eq!(after.stage, Stage::Patch, "{}", after.reason);
        }
    }
    assert_eq!(
        chosen,
        [
            [
                "back develop (the imported repository's default branch)",
                "cart bug-1 (the imported app's tracking branch)",
                "pay pinned (the import's `branch`)",
            ],
            [
                "back develop (the imported repository's default branch)",
                "cart feature-1 (named like the environment's branch)",
                "pay pinned (the import's `branch`)",
            ],
            [
                "back feature-2 (named like the environment's branch)",
                "cart bug-1 (the imported app's tracking branch)",
                "pay pinned (the import's `branch`)",
            ],
        ]
    );

    // Chosen once, at creation: a branch named like the environment's made later changes
    // nothing for an environment that exists.
    let env = stagecraft
        .create_environment(on("front", "main"))
        .await
        .unwrap();
    branch(&b, "main");
    let imports = stagecraft.environment_imports(&env.env_id).await.unwrap();
    assert_eq!(imports[0].branch, "develop");

    // One way only: an environment of an imported app has that app's services alone.
    let back = stagecraft
        .create_environment(on("back", "develop"))
        .await
        .unwrap();
    assert!(
        stagecraft
            .environment_imports(&back.env_id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_app_stagecraft_does_not_know_is_refused_naming_what_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let a = app_repo(
        dir.path(),
        "front",
        "main",
        "app_imports:\n- {name: back}\n",
        &["web"],
    );
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&a).await.unwrap();
    let refused = stagecraft
        .create_environment(on("front", "main"))
        .await
        .unwrap_err();
    let Error::Invalid { diagnostics } = &refused else {
        panic!("{refused}");
    };
    assert_eq!(
        diagnostics[0].to_string(),
        "front configuration v1:3:9: error: app_imports[0].name: front imports the \
         app `back`, which Stagecraft does not know: add the folder of its repository \
         (`stagecraft apps add PATH`, or Add app in the window), with `app: back` in its \
         template or the folder named `back`"
    );
    assert!(stagecraft.environments().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_importers_service_reaches_the_imported_one_by_name_on_docker() {
    let dir = tempfile::tempdir().unwrap();
    let front = unique("imf");
    let back = unique("imb");
    let _cleanup = Cleanup(front.clone());
    let back_repo = dir.path().join(&back);
    service_dir(
        &back_repo,
        "api",
        &dockerfile(
            &["www /www"],
            r#"["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]"#,
        ),
        &[("www/hello", "from the imported app\n")],
    );
    std::fs::create_dir_all(back_repo.join(".release")).unwrap();
    std::fs::write(
        back_repo.join(".release/application_template.yaml"),
        format!(
            "app: {back}
environment_templates: [{{name: ephemeral}}]
services:
- name: api
  build: {{context: api}}
  ports: [{{type: container_port, port: 8080}}]
  readiness_probe: {{exec: {{command: [wget, -qO-, 'http://127.0.0.1:8080/hello']}}, period_seconds: 1}}
{WORKFLOWS}"
        ),
    )
    .unwrap();
    git(&back_repo, &["init", "-q", "-b", "main"]);
    git(&back_repo, &["add", "."]);
    git(&back_repo, &["commit", "-q", "-m", "first"]);

    let front_repo = dir.path().join(&front);
    service_dir(
        &front_repo,
        "web",
        &dockerfile(
            &[],
            r#"["sh", "-c", "trap 'exit 0' TERM; until wget -qO /got http://api:8080/hello; do sleep 0.2; done; sleep 100000 & wait"]"#,
        ),
        &[],
    );
    std::fs::create_dir_all(front_repo.join(".release")).unwrap();
    std::fs::write(
        front_repo.join(".release/application_template.yaml"),
        format!(
            "app: {front}
environment_templates: [{{name: ephemeral}}]
app_imports: [{{name: {back}}}]
services:
- name: web
  build: {{context: web}}
  depends_on: [api]
  readiness_probe: {{exec: {{command: [test, -s, /got]}}, period_seconds: 1}}
{WORKFLOWS}"
        ),
    )
    .unwrap();
    git(&front_repo, &["init", "-q", "-b", "main"]);
    git(&front_repo, &["add", "."]);
    git(&front_repo, &["commit", "-q", "-m", "first"]);

    let stagecraft = open_docker(dir.path()).await;
    stagecraft.add_app(&back_repo).await.unwrap();
    stagecraft.add_app(&front_repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(on(&front, "main"))
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded, "{setup:?}");
    // Both apps' images in the one build, each from its own repository.
    let builds = stagecraft.build_views(&front, None).await.unwrap();
    let mut built: Vec<&str> = builds[0]
        .images
        .iter()
        .map(|i| i.service.as_str())
        .collect();
    built.sort_unstable();
    assert_eq!(built, ["api", "web"]);
    let web = container_of(&env_id, "web");
    assert_eq!(
        docker(&["exec", &web, "cat", "/got"]),
        "from the imported app"
    );

    // A patch reuses both images: neither repository changed.
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (patch.stage, patch.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );
    let builds = stagecraft.build_views(&front, None).await.unwrap();
    assert!(
        builds[0].images.iter().all(|i| i.outcome == "reused"),
        "{:?}",
        builds[0].images
    );

    // The imported app's template changes: the next deploy sets up with it. A rollback to the
    // first build runs that build's images with the imported app's files as that build read
    // them, not as its branch has them now.
    let first_build = builds.last().unwrap().id;
    let template = back_repo.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace(
            "  build: {context: api}\n",
            "  build: {context: api}\n  envs: [{key: MODE, value: two}]\n",
        ),
    )
    .unwrap();
    git(&back_repo, &["commit", "-q", "-am", "a variable"]);
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (setup.stage, setup.status),
        (Stage::Setup, DeployStatus::Succeeded),
        "{}",
        setup.reason
    );
    let mode = |env_id: &str| {
        let api = container_of(env_id, "api");
        docker(&["inspect", "--format", "{{json .Config.Env}}", &api])
    };
    assert!(mode(&env_id).contains("MODE=two"), "{}", mode(&env_id));
    let rollback = stagecraft
        .submit(
            &env_id,
            DeployRequest::Rollback {
                build_id: first_build,
            },
            Wait::UntilDone,
        )
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        rollback.status,
        DeployStatus::Succeeded,
        "{}",
        rollback.reason
    );
    assert!(!mode(&env_id).contains("MODE="), "{}", mode(&env_id));

    // The teardown removes every app's part.
    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert!(labelled(&env_id).is_empty(), "{:?}", labelled(&env_id));
}

#[tokio::test]
async fn an_imported_app_is_kept_while_imported_and_a_broken_import_never_blocks_the_teardown() {
    let dir = tempfile::tempdir().unwrap();
    let a = app_repo(
        dir.path(),
        "front",
        "main",
        "app_imports:\n- {name: back, branch: main}\n",
        &["web"],
    );
    let b = app_repo(dir.path(), "back", "main", "", &["api"]);
    branch(&b, "next");
    let fake = Fake::open();
    let stagecraft = open(dir.path(), Arc::clone(&fake)).await;
    stagecraft.add_app(&a).await.unwrap();
    stagecraft.add_app(&b).await.unwrap();
    let env = stagecraft
        .create_environment(on("front", "main"))
        .await
        .unwrap();
    let setup = stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);

    // The imported app cannot be removed while an environment imports it.
    let refused = stagecraft.remove_app("back").await.unwrap_err();
    assert!(
        refused.to_string().contains(&format!(
            "imported by environments that are not torn down: {}",
            env.env_id
        )),
        "{refused}"
    );

    // The import's `branch` changes: chosen again at the next deploy.
    let template = a.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, text.replace("branch: main", "branch: next")).unwrap();
    git(&a, &["commit", "-q", "-am", "next"]);
    let moved = stagecraft
        .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(moved.status, DeployStatus::Succeeded, "{}", moved.reason);
    let imports = stagecraft.environment_imports(&env.env_id).await.unwrap();
    assert_eq!(
        (imports[0].branch.as_str(), imports[0].why.as_str()),
        ("next", "the import's `branch`")
    );

    // An imported parameter that is required and given by nobody is refused, saying how.
    git(&b, &["checkout", "-q", "next"]);
    let back_template = b.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&back_template).unwrap();
    std::fs::write(
        &back_template,
        text.replace("services:\n", "parameters: [{name: region}]\nservices:\n"),
    )
    .unwrap();
    git(&b, &["commit", "-q", "-am", "a parameter"]);
    let said = refusal(
        &stagecraft,
        stagecraft
            .submit(&env.env_id, DeployRequest::DEPLOY, Wait::UntilDone)
            .await,
    )
    .await;
    assert!(
        said.contains("requires the parameter `region`")
            && said.contains("declare `region` in front's template"),
        "{said}"
    );

    // The imported branch now clashes with the importer: deploys are refused, located, but the
    // teardown removes the environment all the same.
    std::fs::write(
        &back_template,
        text.replace(
            "- {name: api, image: busybox}",
            "- {name: web, image: busybox}",
        ),
    )
    .unwrap();
    git(&b, &["commit", "-q", "-am", "a clash"]);
    let clash = stagecraft
        .environment_imports(&env.env_id)
        .await
        .unwrap_err();
    assert!(
        clash
            .to_string()
            .contains("the service `web` of back has the name of one of front"),
        "{clash}"
    );
    let teardown = stagecraft
        .submit(&env.env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    // Torn down, the app may go.
    stagecraft.remove_app("back").await.unwrap();
}
