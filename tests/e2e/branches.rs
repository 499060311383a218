//! A branch the repository lacks is refused at creation in the window, naming the branches it
//! has, and nothing is created; the working tree is offered instead. No engine is needed: the
//! refusal comes before anything runs.

use std::process::Command;

use crate::driver::{Driver, exclusive_window};
use crate::environments::{app_repo, click};
use crate::system::{WAIT, save_screenshot, text_of};

fn git(repo: &std::path::Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=e2e", "-c", "user.email=e2e@localhost"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn a_branch_the_repository_lacks_is_refused_naming_those_it_has() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("branch{}", std::process::id());
    let repo = app_repo(dir.path(), &app);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["branch", "feature/cart"]);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;

    click(&client, "[data-testid=add-app-open]").await;
    let path = client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("[data-testid=app-path]"))
        .await
        .unwrap();
    path.send_keys(repo.to_str().unwrap()).await.unwrap();
    click(&client, "[data-testid=add-app]").await;
    // New environment opens on the app just added.
    let branch = client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("[data-testid=env-branch]"))
        .await
        .unwrap();
    branch.send_keys("no-such-branch").await.unwrap();
    click(&client, "[data-testid=create-environment]").await;
    let refused = text_of(&client, "create-error").await;
    assert!(refused.contains("is not a branch of"), "{refused}");
    assert!(refused.contains("main"), "{refused}");
    assert!(refused.contains("feature/cart"), "{refused}");
    // The working tree is offered instead, and nothing was created.
    client
        .find(fantoccini::Locator::Css(
            "[data-testid=create-working-tree]",
        ))
        .await
        .expect("the working tree is offered");
    save_screenshot(&client, "create-branch-refused.png").await;
    assert!(
        client
            .find_all(fantoccini::Locator::Css("[data-testid=env-row]"))
            .await
            .unwrap()
            .is_empty(),
        "no environment was created"
    );
    client.close().await.unwrap();
}
