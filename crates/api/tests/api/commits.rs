use stagecraft_api::{CreateEnvironment, DeployRequest, Wait, branch_commit};
use std::path::Path;

use stagecraft_engine::{DeployStatus, Stage};

use crate::environments::{Fake, ephemeral, open, repo};

const FIRST: &str = "1111111111111111111111111111111111111111";
const SECOND: &str = "2222222222222222222222222222222222222222";

fn commit_to(repo: &Path, branch: &str, commit: &str) {
    let heads = repo.join(".git/refs/heads");
    std::fs::create_dir_all(&heads).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(heads.join(branch), format!("{commit}\n")).unwrap();
}

#[test]
fn a_branch_resolves_loose_or_packed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(branch_commit(dir.path(), "main"), None, "no repository");
    commit_to(dir.path(), "main", FIRST);
    std::fs::write(
        dir.path().join(".git/packed-refs"),
        format!("# pack-refs with: peeled fully-peeled sorted\n{SECOND} refs/heads/release\n"),
    )
    .unwrap();

    assert_eq!(branch_commit(dir.path(), "main").as_deref(), Some(FIRST));
    assert_eq!(
        branch_commit(dir.path(), "release").as_deref(),
        Some(SECOND)
    );
    assert_eq!(branch_commit(dir.path(), "missing"), None);
}

#[tokio::test]
async fn a_new_commit_patches_the_tracking_branchs_deployed_environments() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let template =
        std::fs::read_to_string(repo.join(".release/application_template.yaml")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!("auto_deploy: true\n{template}"),
    )
    .unwrap();
    commit_to(&repo, "main", FIRST);
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo).await.unwrap();
    // These commits are refs and nothing else: GitOps, which reads a commit's files, is off
    // (`gitops.rs` has auto_deploy with GitOps, on real commits).
    stagecraft.set_gitops("shop", false).await.unwrap();
    let on_main = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: None,
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    let on_feature = stagecraft
        .create_environment(ephemeral())
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&on_main, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    stagecraft
        .submit(&on_feature, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();

    assert!(
        stagecraft.check_commits().await.unwrap().is_empty(),
        "the first commit seen is only recorded"
    );
    assert!(
        stagecraft.check_commits().await.unwrap().is_empty(),
        "nothing new"
    );

    commit_to(&repo, "main", SECOND);
    let patches = stagecraft.check_commits().await.unwrap();

    assert_eq!(patches.len(), 1);
    let patch = &patches[0].deploy;
    assert_eq!(
        (patch.stage, patch.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );
    assert_eq!(
        patch.reason,
        "patch: new commit 2222222 on main (auto_deploy)"
    );
    assert_eq!(
        stagecraft.environment(&on_main).await.unwrap().id,
        patch.environment_id
    );
    assert_eq!(
        stagecraft.deploys(&on_feature).await.unwrap().len(),
        1,
        "another branch is left alone"
    );
    assert!(stagecraft.check_commits().await.unwrap().is_empty());
}

#[tokio::test]
async fn without_auto_deploy_a_new_commit_is_only_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    commit_to(&repo, "main", FIRST);
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo).await.unwrap();
    let env_id = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: None,
            ..ephemeral()
        })
        .await
        .unwrap()
        .env_id;
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    stagecraft.check_commits().await.unwrap();

    commit_to(&repo, "main", SECOND);

    assert!(stagecraft.check_commits().await.unwrap().is_empty());
    assert_eq!(
        stagecraft.apps().await.unwrap()[0].last_commit.as_deref(),
        Some(SECOND)
    );
}

#[tokio::test]
async fn a_branch_the_repository_lacks_is_refused_with_the_branches_it_has() {
    use crate::builds::git;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["branch", "feature/cart"]);
    let stagecraft = open(dir.path(), Fake::open()).await;
    stagecraft.add_app(&repo).await.unwrap();

    let refused = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("feature/carts".into()),
            ..ephemeral()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), stagecraft_api::ErrorCode::InvalidRequest);
    assert!(
        refused
            .to_string()
            .contains("`feature/carts` is not a branch of")
            && refused
                .to_string()
                .contains("its branches are feature/cart, main"),
        "{refused}"
    );
    assert!(stagecraft.environments().await.unwrap().is_empty());

    // Asked for, the environment is made; its deploys build the working tree.
    let env = stagecraft
        .create_environment(CreateEnvironment {
            dataset: None,
            branch: Some("feature/carts".into()),
            working_tree: true,
            ..ephemeral()
        })
        .await
        .unwrap();
    assert_eq!(env.branch, "feature/carts");
}
