//! App imports in the real window against the real Docker engine: an environment of an app
//! that imports another is refused, saying what to add, until that app is added; then it runs
//! both apps' services in one network (the importer's page is what the imported service
//! answered by its name), and the Configuration tab shows the imported app's branch and why;
//! then a pool of environment handles is made on the app's screen.

use fantoccini::Locator;

use crate::driver::{Driver, exclusive_window};
use crate::environments::{Cleanup, DEPLOY_WAIT, add_app, click, service, wait_for};
use crate::system::{WAIT, save_screenshot, text_of};

const BASE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";

const WORKFLOWS: &str = "workflows:
- {name: setup, order_from: [services.all]}
- {name: patch, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

fn git(repo: &std::path::Path, args: &[&str]) {
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
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

fn commit_all(repo: &std::path::Path) {
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "first"]);
}

/// The imported app: `api`, busybox httpd answering `/hello`.
fn backend(dir: &std::path::Path, app: &str) -> std::path::PathBuf {
    let repo = dir.join(app);
    service(
        &repo,
        "api",
        &format!(
            "{BASE}COPY www /www\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n"
        ),
        &[("www/hello", "hello from the imported app\n")],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: api
  build: {{context: api}}
  readiness_probe: {{exec: {{command: [wget, -qO-, 'http://127.0.0.1:8080/hello']}}, period_seconds: 1}}
{WORKFLOWS}"
        ),
    )
    .unwrap();
    commit_all(&repo);
    repo
}

/// The importing app: `web` serves, at a published port, the page `api` gave it.
fn frontend(dir: &std::path::Path, app: &str, imported: &str) -> std::path::PathBuf {
    let repo = dir.join(app);
    service(
        &repo,
        "web",
        &format!(
            "{BASE}CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; mkdir -p /www; until wget -qO /www/index.html http://api:8080/hello; do sleep 0.2; done; httpd -f -p 8080 -h /www & wait\"]\n"
        ),
        &[],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}]
app_imports: [{{name: {imported}}}]
services:
- name: web
  build: {{context: web}}
  depends_on: [api]
  ports: [{{type: node_port, port: '80', target_port: '8080'}}]
  readiness_probe: {{http_get: {{path: /index.html, port: 8080}}, period_seconds: 1}}
{WORKFLOWS}"
        ),
    )
    .unwrap();
    commit_all(&repo);
    repo
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver, the built app and dockerd: run scripts/test.sh"]
async fn an_environment_of_an_importing_app_runs_both_apps_from_the_window() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let front = format!("imf{}", std::process::id());
    let back = format!("imb{}", std::process::id());
    let _cleanup = Cleanup(front.clone());
    let back_repo = backend(dir.path(), &back);
    let front_repo = frontend(dir.path(), &front, &back);
    let data = dir.path().join("data");
    let driver = Driver::start(&[("STAGECRAFT_DATA_DIR", data.to_str().unwrap())]);
    let client = driver.launch_app().await;
    wait_for(&client, "[data-testid=no-environments]", WAIT).await;

    // The importer alone: creating its environment is refused, naming the app to add.
    add_app(&client, &front_repo).await;
    click(&client, "[data-testid=create-environment]").await;
    wait_for(&client, "[data-testid=create-error]", WAIT).await;
    let said = text_of(&client, "create-error").await;
    assert!(
        said.contains(&format!("imports the app `{back}`")) && said.contains("apps add"),
        "{said}"
    );
    save_screenshot(&client, "import-unknown-app.png").await;
    client
        .find(Locator::XPath("//button[normalize-space()='Cancel']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // The imported app added, the importer's environment is made and set up.
    add_app(&client, &back_repo).await;
    // The New environment dialog opens on the app just added, once it is added.
    wait_for(
        &client,
        &format!("[data-testid=env-app] option[value={front}]"),
        WAIT,
    )
    .await;
    client
        .find(Locator::Css("[data-testid=env-app]"))
        .await
        .unwrap()
        .select_by_value(&front)
        .await
        .unwrap();
    click(&client, "[data-testid=create-environment]").await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=setup][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    wait_for(
        &client,
        "[data-testid=service-row][data-service=api][data-ready=true]",
        WAIT,
    )
    .await;
    let env_id = client
        .find(Locator::Css("[data-testid=environment-id]"))
        .await
        .unwrap()
        .attr("title")
        .await
        .unwrap()
        .unwrap_or_default();
    let port = stagecraft_engine::stable_host_port(env_id.trim(), "web", 8080);
    assert_eq!(
        crate::workloads::http_get(port, "/index.html"),
        "hello from the imported app\n"
    );
    save_screenshot(&client, "import-deployed.png").await;

    // The Configuration tab: the imported app, its branch and why that one.
    click(&client, "[data-testid=tab-configuration]").await;
    wait_for(
        &client,
        &format!("[data-testid=import][data-app={back}]"),
        WAIT,
    )
    .await;
    let row = text_of(&client, "import").await;
    assert!(
        row.contains("main") && row.contains("named like the environment's branch"),
        "{row}"
    );
    save_screenshot(&client, "import-panel.png").await;

    click(&client, "[data-testid=teardown]").await;
    click(&client, "[data-testid=confirm-teardown]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=tornDown]",
        DEPLOY_WAIT,
    )
    .await;

    // The importer's handles, on its app screen: a pool of two numbered names.
    click(&client, "[data-testid=nav-apps]").await;
    click(
        &client,
        &format!("[data-testid=open-app][data-app={front}]"),
    )
    .await;
    wait_for(&client, "[data-testid=app-handles]", WAIT).await;
    client
        .find(Locator::Css("[data-testid=handle-pool-name]"))
        .await
        .unwrap()
        .send_keys("qa")
        .await
        .unwrap();
    client
        .find(Locator::Css("[data-testid=handle-count]"))
        .await
        .unwrap()
        .send_keys("2")
        .await
        .unwrap();
    click(&client, "[data-testid=handle-add]:not([disabled])").await;
    wait_for(&client, "[data-testid=handle][data-handle=qa2]", WAIT).await;
    save_screenshot(&client, "app-handles.png").await;
    client.close().await.unwrap();
}
