use crate::EventJson as _;
use stagecraft_api::{DeployRequest, Stagecraft, Wait};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use stagecraft_engine::{
    BuildProgress, BuildRequest, BuildStepTiming, BuiltImage, DeployStatus, ImageBuilder, Layer,
    RuntimeError, Stage,
};

use crate::environments::{Fake, ephemeral, open, repo};

/// Images whose digest is the service's current "source version"; each build of version N
/// has a layer `COPY v<N>` of N MB.
#[derive(Debug, Default)]
pub struct FakeBuilder {
    versions: Mutex<HashMap<String, u64>>,
    fails: Mutex<bool>,
    /// What each build read from `<context>/index.html`, when the context has one.
    read: Mutex<Vec<String>>,
    /// Tags removed, in order.
    pub removed: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl ImageBuilder for FakeBuilder {
    async fn has_image(&self, tag: &str) -> Result<bool, RuntimeError> {
        Ok(!self.removed.lock().unwrap().iter().any(|t| t == tag))
    }

    async fn remove_image(&self, tag: &str) -> Result<(), RuntimeError> {
        self.removed.lock().unwrap().push(tag.to_owned());
        Ok(())
    }

    async fn inputs_digest(&self, request: &BuildRequest) -> Result<String, RuntimeError> {
        Ok(format!(
            "sha256:{}-v{}",
            request.service,
            self.versions
                .lock()
                .unwrap()
                .get(&request.service)
                .unwrap_or(&1)
        ))
    }

    async fn build(
        &self,
        request: &BuildRequest,
        progress: BuildProgress,
    ) -> Result<BuiltImage, RuntimeError> {
        if *self.fails.lock().unwrap() {
            return Err(RuntimeError::new("COPY failed: app.py not found"));
        }
        let index = request.repo.join(&request.context).join("index.html");
        if let Ok(text) = std::fs::read_to_string(index) {
            self.read.lock().unwrap().push(text);
        }
        let version = *self
            .versions
            .lock()
            .unwrap()
            .get(&request.service)
            .unwrap_or(&1);
        progress.step("FROM scratch", true);
        progress.step(format!("COPY v{version}"), false);
        Ok(BuiltImage {
            image_id: format!("sha256:{}{version}", request.service),
            size_bytes: 10_000_000 + version * 1_000_000,
            layers: vec![
                Layer {
                    instruction: "FROM scratch".into(),
                    size_bytes: 10_000_000,
                },
                Layer {
                    instruction: format!("COPY v{version}"),
                    size_bytes: version * 1_000_000,
                },
            ],
            steps: vec![
                BuildStepTiming {
                    instruction: "FROM scratch".into(),
                    millis: 0,
                    cached: true,
                },
                BuildStepTiming {
                    instruction: format!("COPY v{version}"),
                    millis: 100 * version,
                    cached: false,
                },
            ],
        })
    }
}

pub async fn built_app(dir: &std::path::Path) -> (Stagecraft, Arc<Fake>, Arc<FakeBuilder>, String) {
    let repo = repo(dir);
    let template =
        std::fs::read_to_string(repo.join(".release/application_template.yaml")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        template.replace(
            "  image: shop/web\n",
            "  image: shop/web\n  has_repo: true\n  build: {context: web}\n",
        ),
    )
    .unwrap();
    // The build context a real build would read; the fake builder reads nothing from it.
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::write(repo.join("web/Dockerfile"), "FROM scratch\n").unwrap();
    let fake = Fake::open();
    let builder = Arc::new(FakeBuilder::default());
    let mut stagecraft = open(dir, Arc::clone(&fake)).await;
    let shared: Arc<FakeBuilder> = Arc::clone(&builder);
    stagecraft.register_builder(shared);
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    (stagecraft, fake, builder, env_id)
}

#[tokio::test]
async fn a_deploy_builds_first_then_reuses_unchanged_images_and_compares_builds() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, builder, env_id) = built_app(dir.path()).await;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(patch.stage, Stage::Patch);
    builder.versions.lock().unwrap().insert("web".into(), 3);
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    let builds = stagecraft.builds("shop").await.unwrap();
    assert_eq!(
        builds.iter().map(|b| b.status.as_str()).collect::<Vec<_>>(),
        ["succeeded"; 3]
    );
    let ids: Vec<i64> = builds.iter().rev().map(|b| b.id).collect();
    let images = without_folder(&fake.images.lock().unwrap());
    assert_eq!(
        images,
        [
            ("web".to_owned(), format!("stagecraft/shop/web:{}", ids[0])),
            ("web".to_owned(), format!("stagecraft/shop/web:{}", ids[0])),
            ("web".to_owned(), format!("stagecraft/shop/web:{}", ids[2])),
        ],
        "the second deploy reused the first build's image"
    );
    let events = stagecraft.deploy_events(patch.id, 0).await.unwrap();
    assert!(
        events.iter().any(|e| e
            .json()
            .contains(&format!("unchanged since build {}", ids[0]))),
        "{events:?}"
    );

    // The Builds tab's columns: who made each build, on which branch, the commit's message,
    // and which one the environment runs now.
    let views = stagecraft
        .build_views("shop", Some(env_id.as_str()))
        .await
        .unwrap();
    assert_eq!(
        views
            .iter()
            .map(|b| (b.environment.as_deref(), b.branch.as_deref(), b.live))
            .collect::<Vec<_>>(),
        [
            (Some(env_id.as_str()), Some("feature/cart"), true),
            (Some(env_id.as_str()), Some("feature/cart"), false),
            (Some(env_id.as_str()), Some("feature/cart"), false),
        ]
    );
    assert!(
        stagecraft
            .build_views("shop", None)
            .await
            .unwrap()
            .iter()
            .all(|b| !b.live)
    );
    stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap();
    assert!(
        stagecraft
            .build_views("shop", Some(env_id.as_str()))
            .await
            .unwrap()
            .iter()
            .all(|b| !b.live),
        "a torn-down environment runs no build"
    );

    let reuse = stagecraft.compare_builds(ids[0], ids[1]).await.unwrap();
    assert!(reuse.services[0].reused);
    assert_eq!(reuse.services[0].size_change, Some(0));

    let change = stagecraft.compare_builds(ids[0], ids[2]).await.unwrap();
    let web = &change.services[0];
    assert_eq!(
        (web.before_size, web.after_size, web.size_change),
        (Some(11_000_000), Some(13_000_000), Some(2_000_000))
    );
    assert_eq!(web.layers_added, ["COPY v3"]);
    assert_eq!(web.layers_removed, ["COPY v1"]);
    assert!(web.layers_changed.is_empty());
    assert_eq!(web.steps.len(), 3);
    assert_eq!(
        (web.steps[1].before_millis, web.steps[1].after_millis),
        (Some(100), None)
    );
    assert_eq!((web.before_cache_hits, web.after_cache_hits), (1, 1));
}

#[tokio::test]
async fn a_failed_build_fails_the_deploy_before_anything_is_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, builder, env_id) = built_app(dir.path()).await;
    *builder.fails.lock().unwrap() = true;

    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    assert_eq!(deploy.status, DeployStatus::Failed);
    let events = stagecraft.deploy_events(deploy.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains("the build of web failed: COPY failed: app.py not found"),
        "{events:?}"
    );
    assert!(fake.calls().is_empty(), "nothing reached the runtime");
    assert_eq!(stagecraft.builds("shop").await.unwrap()[0].status, "failed");
}

#[tokio::test]
async fn a_deploy_of_an_earlier_build_runs_its_images_and_builds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, builder, env_id) = built_app(dir.path()).await;
    let first = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    builder.versions.lock().unwrap().insert("web".into(), 2);
    let second = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let (first_build, second_build) = (first.build_id.unwrap(), second.build_id.unwrap());
    assert_ne!(first_build, second_build);

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
        (rollback.stage, rollback.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );
    assert_eq!(rollback.build_id, Some(first_build));
    assert!(
        rollback
            .reason
            .ends_with(&format!("rollback to the images of build {first_build}")),
        "{}",
        rollback.reason
    );
    assert_eq!(
        stagecraft.builds("shop").await.unwrap().len(),
        2,
        "nothing was built"
    );
    let images = without_folder(&fake.images.lock().unwrap());
    assert_eq!(
        images.last().unwrap().1,
        format!("stagecraft/shop/web:{first_build}")
    );

    let other = stagecraft
        .submit(
            &env_id,
            DeployRequest::Rollback { build_id: 999 },
            Wait::UntilDone,
        )
        .await
        .unwrap_err();
    assert_eq!(other.code(), stagecraft_api::ErrorCode::NotFound);

    // Pinned to the build until a deploy that builds moves it; Deploy says it rolls forward.
    assert!(rollback.rollback && !second.rollback);
    let next = stagecraft.next_deploy(&env_id).await.unwrap();
    assert_eq!(next.pinned_build, Some(first_build));
    assert!(
        next.reason.ends_with(&format!(
            "rolls forward from build #{first_build} (a rollback) to what the branch has"
        )),
        "{}",
        next.reason
    );
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        stagecraft.next_deploy(&env_id).await.unwrap().pinned_build,
        None
    );
}

pub fn git(repo: &std::path::Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@stagecraft.invalid",
        ])
        .args(args)
        .output()
        .expect("git must be installed");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn a_build_reads_the_branch_commit_unless_the_working_tree_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, builder, env_id) = built_app(dir.path()).await;
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::write(repo.join("web/index.html"), "committed").unwrap();
    git(&repo, &["init", "-q", "-b", "feature/cart"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    std::fs::write(repo.join("web/index.html"), "uncommitted").unwrap();

    let from_commit = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    builder.versions.lock().unwrap().insert("web".into(), 2);
    let from_tree = stagecraft
        .submit(
            &env_id,
            DeployRequest::Deploy { working_tree: true },
            Wait::UntilDone,
        )
        .await
        .unwrap()
        .deploy;

    assert_eq!(
        *builder.read.lock().unwrap(),
        ["committed", "uncommitted"],
        "the environment's branch first, then the working tree as asked"
    );
    let builds = stagecraft.builds("shop").await.unwrap();
    let of = |deploy: &stagecraft_engine::Deploy| {
        builds
            .iter()
            .find(|b| Some(b.id) == deploy.build_id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        of(&from_commit).git_commit.as_deref().map(str::len),
        Some(40)
    );
    assert!(
        of(&from_commit).trigger.contains("feature/cart at"),
        "{builds:?}"
    );
    assert_eq!(of(&from_tree).git_commit, None);
    assert!(
        of(&from_tree).trigger.contains("working tree"),
        "{builds:?}"
    );
    assert!(from_tree.reason.ends_with("built from the working tree"));

    // The services are told what they run.
    let first_web = fake
        .envs
        .lock()
        .unwrap()
        .iter()
        .find(|(service, _)| service == "web")
        .unwrap()
        .1
        .clone();
    let var = |key: &str| {
        first_web
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(Some(var("RELEASE_COMMIT_SHA")), of(&from_commit).git_commit);
    assert_eq!(
        var("RELEASE_BUILD_ID"),
        from_commit.build_id.unwrap().to_string()
    );
}

#[tokio::test]
async fn a_comparison_lists_the_commits_between_two_builds() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, _fake, builder, env_id) = built_app(dir.path()).await;
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::write(repo.join("web/index.html"), "v1").unwrap();
    git(&repo, &["init", "-q", "-b", "feature/cart"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let first = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    for (text, subject) in [("v2", "Say hello v2"), ("v3", "Say hello v3")] {
        std::fs::write(repo.join("web/index.html"), text).unwrap();
        git(&repo, &["commit", "-q", "-am", subject]);
    }
    builder.versions.lock().unwrap().insert("web".into(), 2);
    let third = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let tree = stagecraft
        .submit(
            &env_id,
            DeployRequest::Deploy { working_tree: true },
            Wait::UntilDone,
        )
        .await
        .unwrap()
        .deploy;
    let (a, b, c) = (
        first.build_id.unwrap(),
        third.build_id.unwrap(),
        tree.build_id.unwrap(),
    );

    let forward = stagecraft.compare_builds(a, b).await.unwrap();
    let with_tree = stagecraft.compare_builds(b, c).await.unwrap();

    let stagecraft_api::CommitsBetween::Listed { commits, more } = forward.commits else {
        panic!("{:?}", forward.commits);
    };
    assert_eq!(
        commits
            .iter()
            .map(|c| c.subject.as_str())
            .collect::<Vec<_>>(),
        ["Say hello v3", "Say hello v2"]
    );
    assert!(!more);
    assert_eq!(commits[0].author, "Test");
    assert_eq!(commits[0].sha.len(), 40);
    assert!(matches!(
        with_tree.commits,
        stagecraft_api::CommitsBetween::Unknown { ref reason } if reason.contains("working tree")
    ));
}

#[tokio::test]
async fn a_build_that_cannot_read_its_commit_says_why_instead_of_recording_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, _builder, env_id) = built_app(dir.path()).await;
    let repo = dir.path().join("shop");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    // Where the commit's files would be unpacked is a file: the checkout cannot be made.
    let checkouts = dir.path().join("data").join("checkouts");
    std::fs::write(&checkouts, "in the way").unwrap();

    let error = stagecraft.build_app("shop", None, false).await.unwrap_err();

    assert_eq!(error.code(), stagecraft_api::ErrorCode::FileWrite);
    assert!(
        error.to_string().contains(&checkouts.display().to_string()),
        "{error}"
    );
    // A deploy says the same as its failure reason, and nothing reaches the runtime.
    git(&repo, &["branch", "-q", "feature/cart"]);
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(deploy.status, stagecraft_engine::DeployStatus::Failed);
    let events = stagecraft.deploy_events(deploy.id, 0).await.unwrap();
    assert!(
        events
            .last()
            .unwrap()
            .json()
            .contains(&format!("cannot write {}", checkouts.display())),
        "{events:?}"
    );
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn the_variables_tab_says_the_build_and_commit_the_environment_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (stagecraft, fake, _builder, env_id) = built_app(dir.path()).await;
    let repo = dir.path().join("shop");
    git(&repo, &["init", "-q", "-b", "feature/cart"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let deploy = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;

    let shown = stagecraft.variables_get(&env_id).await.unwrap();
    let web = &shown
        .iter()
        .find(|w| w.workload == "services.web")
        .unwrap()
        .vars;
    let value = |key: &str| web.iter().find(|v| v.key == key).map(|v| v.value.clone());
    let given = |key: &str| {
        fake.envs
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(service, _)| service == "web")
            .and_then(|(_, vars)| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    };
    assert_eq!(
        value("RELEASE_BUILD_ID"),
        Some(deploy.build_id.unwrap().to_string())
    );
    assert_eq!(value("RELEASE_BUILD_ID"), given("RELEASE_BUILD_ID"));
    assert_eq!(value("RELEASE_COMMIT_SHA"), given("RELEASE_COMMIT_SHA"));
    assert_ne!(value("RELEASE_COMMIT_SHA").unwrap(), "0".repeat(40));
}

/// The images deployed, their tags without the data folder's id (`…:7-ab12cd34` → `…:7`).
fn without_folder(images: &[(String, String)]) -> Vec<(String, String)> {
    images
        .iter()
        .map(|(service, tag)| {
            let (tag, folder) = tag
                .rsplit_once('-')
                .expect("a tag ends with the folder's id");
            assert_eq!(folder.len(), 8, "{tag}-{folder}");
            (service.clone(), tag.to_owned())
        })
        .collect()
}
