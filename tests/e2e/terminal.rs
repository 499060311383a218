//! The Terminal tab in the real window: a shell opened in a deployed service's container from
//! its row in the Services panel, a command typed into xterm.js and its answer read from the
//! terminal's screen, then the terminal closed and no shell left running in the container.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::driver::{Driver, exclusive_window};
use crate::environments::{Cleanup, app_repo, click, deployed, wait_for};
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

/// Waits until the (first) terminal shows the shell's prompt.
async fn wait_for_prompt(client: &Client) {
    let deadline = Instant::now() + WAIT;
    while !screen(client).await.contains('#') {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            screen(client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

    let env_id = deployed(&client, &repo).await;

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
    wait_for_prompt(&client).await;
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
    // Colours, the 24-bit ones too (xterm.js writes them as style attributes).
    keys.send_keys("printf '\\033[38;2;255;100;0mtrue\\033[0m \\033[32mgreen\\033[0m\\n'")
        .await
        .unwrap();
    keys.send_keys(&Key::Enter.to_string()).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let coloured = loop {
        let colours = client
            .execute(
                "const spans = Array.from(document.querySelectorAll('[data-testid=terminal] .xterm-rows span'));\
                 const of = (text) => { const s = spans.find(s => s.textContent === text); \
                   return s ? getComputedStyle(s).color : null; };\
                 return [of('true'), of('green')];",
                vec![],
            )
            .await
            .unwrap();
        if colours[0].is_string() && colours[1].is_string() {
            break colours;
        }
        assert!(
            Instant::now() < deadline,
            "no coloured output: {}",
            screen(&client).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(coloured[0], "rgb(255, 100, 0)", "{coloured}");
    assert_ne!(coloured[1], coloured[0], "{coloured}");
    save_screenshot(&client, "terminal.png").await;

    // A second terminal beside it, from the tab's own button; the first one stays open.
    click(&client, "[data-testid=terminal-open]").await;
    let deadline = Instant::now() + WAIT;
    while client
        .find_all(Locator::Css("[data-testid=terminal][data-status=open]"))
        .await
        .unwrap()
        .len()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the second terminal never opened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(screen(&client).await.contains(&wanted));

    // Closed, both: their shells are stopped in the container, not left running.
    click(&client, "[data-testid=terminal-close]").await;
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

/// Keys typed one at a time for the round-trip measurement.
const KEYS: usize = 200;

/// A measurement, not a test (`scripts/test.sh` skips it by name): in the window, the time from a key
/// pressed in the terminal to its echo drawn on the terminal's screen, p50 and p99; then the
/// frame times while `cat` writes a 50 MB file through the terminal. Run it with
///
/// ```sh
/// xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --test e2e -- \
///   --ignored --exact terminal::terminal_keystrokes_and_a_large_output_in_the_window --nocapture
/// ```
#[tokio::test]
#[ignore = "a measurement: run it on its own (see its documentation)"]
async fn terminal_keystrokes_and_a_large_output_in_the_window() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("termbench{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = app_repo(dir.path(), &app);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;
    let env_id = deployed(&client, &repo).await;
    click(&client, "[data-testid=service-terminal]").await;
    wait_for(&client, "[data-testid=terminal][data-status=open]", WAIT).await;
    wait_for_prompt(&client).await;

    // Each key's press and the next change of the screen's rows, timed in the page.
    client
        .execute(
            "const area = document.querySelector('[data-testid=terminal] .xterm-helper-textarea');\
             const rows = document.querySelector('[data-testid=terminal] .xterm-rows');\
             window.__rtt = []; window.__pressed = null;\
             area.addEventListener('keydown', () => { window.__pressed = performance.now(); }, true);\
             new MutationObserver(() => { if (window.__pressed !== null) {\
               window.__rtt.push(performance.now() - window.__pressed); window.__pressed = null; } })\
               .observe(rows, { childList: true, subtree: true, characterData: true });",
            vec![],
        )
        .await
        .unwrap();
    let keys = client
        .find(Locator::Css(
            "[data-testid=terminal] .xterm-helper-textarea",
        ))
        .await
        .unwrap();
    for i in 0..KEYS {
        // A line of keys, then erased, so the prompt's line never wraps.
        let key = if i % 40 == 39 { "\u{15}" } else { "x" };
        keys.send_keys(key).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let rtt = client
        .execute("return window.__rtt;", vec![])
        .await
        .unwrap();
    let mut rtt: Vec<f64> = rtt
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    rtt.sort_by(f64::total_cmp);
    let at = |p: f64| crate::frames::percentile(&rtt, p);
    eprintln!(
        "window keystroke round trip over {} keys: p50 {:.1} ms, p99 {:.1} ms, longest {:.1} ms",
        rtt.len(),
        at(0.5),
        at(0.99),
        rtt[rtt.len() - 1]
    );
    assert!(rtt.len() > KEYS / 2, "most keys came back: {}", rtt.len());

    // 50 MB of text through the terminal while the frames are recorded.
    let container = String::from_utf8(
        std::process::Command::new("docker")
            .args([
                "ps",
                "-q",
                "--filter",
                &format!("label=dev.stagecraft.env={env_id}"),
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let made = std::process::Command::new("docker")
        .args(["exec", container.trim(), "sh", "-c"])
        .arg("yes 'INFO GET /api/orders/12345 200 in 12 ms \u{2713} status=ok' | head -c 50000000 > /big")
        .status()
        .unwrap();
    assert!(made.success());
    keys.send_keys("\u{15}cat /big; echo END-$((6*7))")
        .await
        .unwrap();
    crate::frames::record_frames(&client).await;
    let started = Instant::now();
    keys.send_keys(&Key::Enter.to_string()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !screen(&client).await.contains("END-42") {
        assert!(Instant::now() < deadline, "the cat never ended");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let took = started.elapsed();
    let frames = crate::frames::recorded_frames(&client).await;
    save_screenshot(&client, "terminal-cat.png").await;
    eprintln!(
        "50 MB through the window's terminal in {:.1} s ({:.1} MB/s); {}",
        took.as_secs_f64(),
        50.0 / took.as_secs_f64(),
        crate::frames::frame_summary(&frames)
    );
    client.close().await.unwrap();
}
