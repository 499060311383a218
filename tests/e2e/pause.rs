//! Pause and resume from the real window: an environment deployed, paused from its header
//! (its containers stopped and kept, "Paused" shown, a pause lane on the timeline), then
//! resumed (the same containers running again, "Deployed" shown, a resume lane); then given a
//! pausing schedule from its Configuration tab.

use std::collections::BTreeSet;

use crate::driver::{Driver, exclusive_window};
use crate::environments::{Cleanup, DEPLOY_WAIT, app_repo, click, deployed, wait_for};
use crate::system::{WAIT, save_screenshot, text_of};

/// Ids of the environment's containers, running ones only or all.
fn containers(env_id: &str, all: bool) -> BTreeSet<String> {
    let filter = format!("label=dev.stagecraft.env={env_id}");
    let mut args = vec!["ps", "-q", "--no-trunc", "--filter", &filter];
    if all {
        args.push("-a");
    }
    let output = std::process::Command::new("docker")
        .args(&args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver, the built app and dockerd: run scripts/test.sh"]
async fn an_environment_is_paused_and_resumed_from_the_window() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("e2epause{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = app_repo(dir.path(), &app);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;

    let env_id = deployed(&client, &repo).await;
    let running = containers(&env_id, false);
    let all = containers(&env_id, true);
    assert!(!running.is_empty());

    click(&client, "[data-testid=pause]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=paused]",
        DEPLOY_WAIT,
    )
    .await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=pause][data-status=succeeded]",
        WAIT,
    )
    .await;
    assert!(containers(&env_id, false).is_empty(), "nothing runs");
    assert_eq!(containers(&env_id, true), all, "every container kept");
    let note = text_of(&client, "paused-note").await;
    assert!(note.contains("Expiry goes on while it is paused"), "{note}");
    save_screenshot(&client, "paused.png").await;

    click(&client, "[data-testid=resume]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=deployed]",
        DEPLOY_WAIT,
    )
    .await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=resume][data-status=succeeded]",
        WAIT,
    )
    .await;
    assert_eq!(
        containers(&env_id, false),
        running,
        "the same containers run"
    );
    wait_for(&client, "[data-testid=pause]", WAIT).await;
    save_screenshot(&client, "resumed.png").await;

    // A pausing schedule of its own, from the Configuration tab: the times typed in the time
    // fields, the weekend left out; saved, it names itself and its next time.
    click(&client, "[data-testid=tab-configuration]").await;
    wait_for(&client, "[data-testid=schedule-save]", WAIT).await;
    let source = text_of(&client, "schedule-source").await;
    assert!(source.contains("No schedule"), "{source}");
    client
        .execute(
            "for (const [id, value] of [['schedule-pause', '19:00'], ['schedule-resume', '08:00']]) {
               const input = document.querySelector(`[data-testid=${id}]`);
               input.value = value;
               input.dispatchEvent(new Event('input', { bubbles: true }));
             }",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "[data-testid=schedule-save]").await;
    wait_for(&client, "[data-testid=schedule-next]", WAIT).await;
    let source = text_of(&client, "schedule-source").await;
    assert!(
        source.contains("Its own schedule")
            && source.contains("pause 19:00, resume 08:00, mon-fri"),
        "{source}"
    );
    save_screenshot(&client, "schedule.png").await;
    client.close().await.unwrap();
}
