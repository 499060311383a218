//! A measurement, not a test: the window's frame times while a service writes 10,000 log
//! lines a second and its log is open and followed. `scripts/test.sh` skips it; run it with
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --test e2e -- \
//!   --ignored --exact frames::frame_times_while_ten_thousand_log_lines_a_second_stream --nocapture
//! ```
//!
//! It prints the frames' median, 95th and 99th percentile and longest, and how many lines
//! reached the window; it asserts only that lines kept arriving.

use std::path::Path;
use std::time::Duration;

use crate::driver::{Driver, exclusive_window};
use crate::environments::{
    Cleanup, DEPLOY_WAIT, add_app_and_create_environment, click, click_xpath, service, wait_for,
};
use crate::system::{WAIT, save_screenshot, text_of};

/// How long frames are recorded.
const MEASURE: Duration = Duration::from_secs(10);

/// A service that writes 1,000 lines every 100 ms, and nothing else.
fn chatty_repo(dir: &Path, app: &str) -> std::path::PathBuf {
    let repo = dir.join(app);
    service(
        &repo,
        "chatty",
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do yes 'INFO GET /api/orders 200 in 12 ms' | head -n 1000; sleep 0.1; done & wait\"]\n",
        &[],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}\nenvironment_templates: [{{name: ephemeral}}]\nservices:\n\
             - {{name: chatty, build: {{context: chatty}}}}\nworkflows:\n\
             - {{name: setup, order_from: [services.chatty]}}\n\
             - {{name: teardown, order_from: [release.remove_environment]}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    repo
}

/// Starts recording the page's frame times (each animation frame's distance from the last).
pub(crate) async fn record_frames(client: &fantoccini::Client) {
    client
        .execute(
            "window.__frames = []; let last = performance.now();\n\
             const frame = (t) => { window.__frames.push(t - last); last = t;\n\
               if (!window.__stop) requestAnimationFrame(frame); };\n\
             requestAnimationFrame(frame);",
            vec![],
        )
        .await
        .unwrap();
}

/// Stops recording; the frame times since [`record_frames`], for [`frame_summary`].
pub(crate) async fn recorded_frames(client: &fantoccini::Client) -> serde_json::Value {
    client
        .execute("window.__stop = true; return window.__frames;", vec![])
        .await
        .unwrap()
}

/// "453 frames: median 17.0 ms, p95 …" from the frame times a page recorded (the first, from
/// the start of recording, dropped).
pub(crate) fn frame_summary(recorded: &serde_json::Value) -> String {
    let mut frames: Vec<f64> = recorded
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .skip(1)
        .collect();
    frames.sort_by(f64::total_cmp);
    format!(
        "{} frames: median {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, longest {:.1} ms",
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        percentile(&frames, 0.99),
        frames.last().copied().unwrap_or(f64::NAN)
    )
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

#[tokio::test]
#[ignore = "a measurement: run it on its own (see the module's documentation)"]
async fn frame_times_while_ten_thousand_log_lines_a_second_stream() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("fr{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = chatty_repo(dir.path(), &app);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;

    wait_for(&client, "[data-testid=no-environments]", WAIT).await;
    add_app_and_create_environment(&client, &repo).await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=setup][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    click_xpath(&client, "//button[normalize-space()='services.chatty']").await;
    // Let the stream settle in before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = text_of(&client, "log-count").await;

    record_frames(&client).await;
    tokio::time::sleep(MEASURE).await;
    let frames = recorded_frames(&client).await;
    let after = text_of(&client, "log-count").await;
    save_screenshot(&client, "log-streaming.png").await;

    let summary = frame_summary(&frames);
    eprintln!(
        "{summary} in {} s while the log streams; log count before: {before}; after: {after}",
        MEASURE.as_secs()
    );
    assert_ne!(before, after, "lines kept arriving");
    client.close().await.unwrap();
}

/// Lanes on the timeline for the second measurement.
const DEPLOYS: usize = 500;

/// An environment with `DEPLOYS` finished patches, each of three steps of two tasks, written
/// straight into the data folder's database before the app opens it.
async fn seed_history(data: &Path, repo: &Path) -> String {
    use stagecraft_engine::{
        DeployEvent, DeployOutcome, DeployStatus, EnvironmentKind, EnvironmentStatus, Stage,
        StepOutcome, TaskOutcome,
    };
    use stagecraft_store::{Store, app, deploy, environment};

    let template = "app: history\nenvironment_templates: [{name: ephemeral}]\nservices:\n\
                    - {name: web, image: nginx}\n- {name: api, image: shop/api}\nworkflows:\n\
                    - {name: setup, order_from: [services.all]}\n\
                    - {name: patch, order_from: [services.all]}\n";
    let store = Store::open(&data.join("stagecraft.db")).await.unwrap();
    let pool = store.pool();
    let app_id = app::insert(
        pool,
        &app::NewApp {
            name: "history",
            repo_path: repo.to_str().unwrap(),
            tracking_branch: "main",
            auto_deploy: false,
            gitops: false,
        },
    )
    .await
    .unwrap();
    let version = app::insert_config(
        pool,
        app_id,
        ".release/application_template.yaml",
        template,
        None,
        "defaults: []\n",
    )
    .await
    .unwrap();
    let env_id = "hist500";
    let id = environment::insert(
        pool,
        &environment::NewEnvironment {
            env_id,
            app_id,
            branch: "main",
            kind: EnvironmentKind::Permanent,
            environment_template: "ephemeral",
            default_version: version,
            runtime: "docker",
            expires_in_secs: None,
        },
    )
    .await
    .unwrap();
    environment::insert_config(pool, id, template, "envs: []\n")
        .await
        .unwrap();
    environment::set_status(
        pool,
        id,
        EnvironmentStatus::Created,
        EnvironmentStatus::Deployed,
    )
    .await
    .unwrap();
    for n in 0..DEPLOYS {
        let stage = if n == 0 { Stage::Setup } else { Stage::Patch };
        let deploy_id = deploy::insert(pool, id, stage, &format!("deploy {n}"), Some(1))
            .await
            .unwrap();
        deploy::set_status(
            pool,
            deploy_id,
            DeployStatus::Queued,
            DeployStatus::Running,
            None,
        )
        .await
        .unwrap();
        let mut events = vec![DeployEvent::StageStarted {
            stage,
            reason: format!("deploy {n}"),
        }];
        for step in 0..3 {
            let tasks = vec!["services.web".to_owned(), "services.api".to_owned()];
            events.push(DeployEvent::StepStarted {
                step,
                name: format!("step {step}"),
                tasks: tasks.clone(),
                wait_for_finish: true,
            });
            for task in tasks {
                events.push(DeployEvent::TaskStarted {
                    step,
                    task: task.clone(),
                    limit_secs: Some(600),
                });
                events.push(DeployEvent::TaskFinished {
                    step,
                    task,
                    outcome: TaskOutcome::Succeeded,
                });
            }
            events.push(DeployEvent::StepFinished {
                step,
                outcome: StepOutcome::Succeeded,
            });
        }
        deploy::record_events(pool, deploy_id, &events)
            .await
            .unwrap();
        deploy::set_status(
            pool,
            deploy_id,
            DeployStatus::Running,
            DeployStatus::Succeeded,
            Some(&DeployOutcome::Succeeded {
                failed_tasks: 0,
                unready: vec![],
            }),
        )
        .await
        .unwrap();
    }
    store.close().await;
    env_id.to_owned()
}

/// A measurement, as the one above: the frame times while the timeline of an environment with
/// 500 deploys is scrolled from top to bottom and back (it is read again only when the change
/// feed says the environment changed; nothing changes here).
///
/// ```sh
/// xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --test e2e -- \
///   --ignored --exact frames::frame_times_while_a_timeline_of_five_hundred_deploys_scrolls --nocapture
/// ```
#[tokio::test]
#[ignore = "a measurement: run it on its own (see the module's documentation)"]
async fn frame_times_while_a_timeline_of_five_hundred_deploys_scrolls() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = dir.path().join("history");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    let env_id = seed_history(&data, &repo).await;
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;

    click(
        &client,
        &format!("[data-testid=open-environment][data-env-id={env_id}]"),
    )
    .await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::XPath(&format!(
            "(//*[@data-testid='deploy-lane'])[{DEPLOYS}]"
        )))
        .await
        .expect("every deploy has its lane");

    let frames = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\n\
             const frames = []; let last = performance.now(); const start = last;\n\
             const height = document.documentElement.scrollHeight;\n\
             const frame = (t) => { frames.push(t - last); last = t;\n\
               const phase = ((t - start) % 5000) / 5000;\n\
               window.scrollTo(0, height * (phase < 0.5 ? phase * 2 : 2 - phase * 2));\n\
               if (t - start < 10000) requestAnimationFrame(frame); else done(frames); };\n\
             requestAnimationFrame(frame);",
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&client, "timeline-500.png").await;

    let count = frames.as_array().map_or(0, Vec::len);
    eprintln!(
        "{} in 10 s while a timeline of {DEPLOYS} deploys scrolls",
        frame_summary(&frames)
    );
    assert!(count > 100, "the window kept drawing");
    client.close().await.unwrap();
}
