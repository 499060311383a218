//! The Terminal tab in the real window: a shell opened in a deployed service's container from
//! its row in the Services panel, a command typed into xterm.js and its answer read from the
//! terminal's screen, then the terminal closed and no shell left running in the container.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::driver::{Driver, exclusive_window};
use crate::environments::{
    Cleanup, DEPLOY_WAIT, add_app_and_create_environment, app_repo, click, wait_for,
};
use crate::system::{WAIT, save_screenshot};

/// What the terminal's screen shows now (xterm.js draws its rows as DOM text).
async fn screen(client: &Client) -> String {
    client
        .execute(
            "const rows = document.querySelector('[data-testid=terminal] .xterm-rows');\
             return rows ? Array.from(rows.children).map(r => r.textContent).join('\\n') : '';",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The processes of the environment's web container, by `docker top`.
fn processes(env_id: &str) -> String {
    let ps = std::process::Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={env_id}"),
            "--filter",
            "label=dev.stagecraft.workload=services.web",
        ])
        .output()
        .unwrap();
    let container = String::from_utf8_lossy(&ps.stdout).trim().to_owned();
    let top = std::process::Command::new("docker")
        .args(["top", &container, "-o", "pid,args"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&top.stdout).into_owned()
}

fn has_shell(processes: &str) -> bool {
    processes.lines().any(|l| l.trim_end().ends_with(" sh"))
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver, the built app and dockerd: run scripts/test.sh"]
async fn a_terminal_opens_in_a_deployed_service_answers_and_closes_without_leaving_a_shell() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("e2eterm{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = app_repo(dir.path(), &app);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;

    wait_for(&client, "[data-testid=no-environments]", WAIT).await;
    add_app_and_create_environment(&client, &repo).await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    let env_id = client
        .find(Locator::Css("[data-testid=environment-id]"))
        .await
        .unwrap()
        .attr("title")
        .await
        .unwrap()
        .unwrap();
    assert!(!env_id.is_empty());
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=deployed]",
        DEPLOY_WAIT,
    )
    .await;

    // The Terminal action beside the web service opens the Terminal tab on a shell in it.
    click(
        &client,
        "[data-testid=service-row][data-service=web][data-ready=true] [data-testid=service-terminal]",
    )
    .await;
    wait_for(
        &client,
        "[data-testid=terminal][data-workload=web][data-status=open]",
        WAIT,
    )
    .await;
    let deadline = Instant::now() + WAIT;
    while !screen(&client).await.contains('#') {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            screen(&client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(has_shell(&processes(&env_id)), "{}", processes(&env_id));

    // Typed into the terminal as a user types: the environment's id comes back on its screen.
    let keys = client
        .find(Locator::Css(
            "[data-testid=terminal] .xterm-helper-textarea",
        ))
        .await
        .unwrap();
    keys.send_keys("echo id=$RELEASE_ENV_ID").await.unwrap();
    keys.send_keys(&Key::Enter.to_string()).await.unwrap();
    let wanted = format!("id={env_id}");
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = screen(&client).await;
        // The echoed command holds `id=$RELEASE_ENV_ID`; only the answer holds the id itself.
        if shown.contains(&wanted) {
            break;
        }
        assert!(Instant::now() < deadline, "{wanted} never showed: {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    save_screenshot(&client, "terminal.png").await;

    // Closed: the shell is stopped in the container, not left running.
    click(&client, "[data-testid=terminal-close]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while has_shell(&processes(&env_id)) {
        assert!(
            Instant::now() < deadline,
            "the closed terminal's shell still runs: {}",
            processes(&env_id)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        client
            .find_all(Locator::Css("[data-testid=terminal]"))
            .await
            .unwrap()
            .is_empty()
    );
    client.close().await.unwrap();
}
