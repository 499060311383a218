//! A user's day in the real window against the real Docker engine: add an app, create an
//! environment, Deploy (setup), change a file, Deploy again (patch), read a job's log, tear
//! down. Images are built `FROM scratch` with Debian's static busybox; nothing is pulled.

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::driver::{Driver, exclusive_window};
use crate::notifications::Notifications;
use crate::system::{WAIT, save_screenshot, text_of};

/// Deploys build images and wait for readiness: longer than a screen takes to appear.
pub(crate) const DEPLOY_WAIT: Duration = Duration::from_secs(180);

pub(crate) fn service(repo: &Path, name: &str, dockerfile: &str, files: &[(&str, &str)]) {
    let dir = repo.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("/bin/busybox", dir.join("busybox"))
        .expect("busybox-static must be installed (apt-get install busybox-static)");
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// How web starts: it serves its folder until told to stop.
const SERVES: &str = "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\n";
/// How web starts in a patch that breaks it: it exits at once, saying why on stderr.
const CRASHES: &str = "echo 'cannot open the database: no such table' >&2; exit 3\n";

/// A web service (published, with an HTTP readiness probe) and a migrate job.
pub(crate) fn app_repo(dir: &Path, app: &str) -> std::path::PathBuf {
    let repo = dir.join(app);
    let base = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";
    service(
        &repo,
        "web",
        &format!("{base}COPY www /www\nCMD [\"sh\", \"/www/start.sh\"]\n"),
        &[("www/index.html", "hello v1\n"), ("www/start.sh", SERVES)],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}, {{name: permanent}}]
services:
- name: web
  has_repo: true
  build: {{context: web}}
  ports: [{{type: node_port, port: '80', target_port: '8080'}}]
  readiness_probe: {{http_get: {{path: /index.html, port: 8080}}}}
jobs:
- {{name: migrate, from_services: web, command: [sh, -c, 'echo migrating the schema']}}
workflows:
- name: setup
  order_from: [services.web, jobs.migrate]
- name: patch
  order_from: [services.web]
- name: teardown
  order_from: [release.remove_environment]
"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults:\n- {key: DB_PASS, value: hunter2, secret: true}\n",
    )
    .unwrap();
    repo
}

pub(crate) async fn click(client: &Client, css: &str) {
    let element = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css} on screen: {error}"));
    // WebKitWebDriver does not scroll an element at the window's edge into view for a click,
    // as a user would before clicking it.
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![serde_json::to_value(&element).unwrap()],
        )
        .await
        .unwrap();
    element.click().await.unwrap();
}

pub(crate) async fn click_xpath(client: &Client, xpath: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|error| panic!("no {xpath} on screen: {error}"))
        .click()
        .await
        .unwrap();
}

/// `GET path` with `Host: host` through the ingress on 127.0.0.1:`port`: the whole answer
/// (empty when nothing answers yet).
fn ingress_get(port: u16, host: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Types the repository's folder, adds the app and creates an environment of it, as a user
/// does on the Environments screen; the window then shows the environment's details.
pub(crate) async fn add_app_and_create_environment(client: &Client, repo: &Path) {
    add_app(client, repo).await;
    click(client, "[data-testid=create-environment]").await;
}

/// Types the repository's folder and adds the app; the New environment dialog then opens on
/// it by itself.
pub(crate) async fn add_app(client: &Client, repo: &Path) {
    click(client, "[data-testid=add-app-open]").await;
    client
        .find(Locator::Css("[data-testid=app-path]"))
        .await
        .unwrap()
        .send_keys(repo.to_str().unwrap())
        .await
        .unwrap();
    click(client, "[data-testid=add-app]").await;
}

/// The id of the environment the window shows.
pub(crate) async fn environment_id(client: &Client) -> String {
    client
        .find(Locator::Css("[data-testid=environment-id]"))
        .await
        .unwrap()
        .attr("title")
        .await
        .unwrap()
        .unwrap()
}

/// Adds the app, creates an environment of it and deploys it from the window; gives its id.
pub(crate) async fn deployed(client: &Client, repo: &Path) -> String {
    wait_for(client, "[data-testid=no-environments]", WAIT).await;
    add_app_and_create_environment(client, repo).await;
    wait_for(client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    let env_id = environment_id(client).await;
    assert!(!env_id.is_empty());
    click(client, "[data-testid=deploy]").await;
    wait_for(
        client,
        "[data-testid=environment-status][data-status=deployed]",
        DEPLOY_WAIT,
    )
    .await;
    env_id
}

pub(crate) async fn wait_for(client: &Client, css: &str, within: Duration) {
    client
        .wait()
        .at_most(within)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} never appeared: {error}"));
}

/// The proportional set size of the app and every process under it (WebKit's web and network
/// processes), in KiB: shared pages counted once across them.
fn app_tree_pss_kib() -> u64 {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces: the fields after it start past the last ')'.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let is_app = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim().starts_with("stagecraft-desk"))
    };
    let mut tree: Vec<u32> = pids.iter().copied().filter(|p| is_app(*p)).collect();
    let mut grew = true;
    while grew {
        grew = false;
        for pid in &pids {
            if !tree.contains(pid) && parent_of(*pid).is_some_and(|p| tree.contains(&p)) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    tree.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// Removes the app's objects and images even when the test fails half-way. Images go by
/// tag: identical builds of other apps share an image id, and removing by id would take
/// their tags too.
pub(crate) struct Cleanup(pub(crate) String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label=dev.stagecraft.app={}", self.0);
        let run = |args: &[&str]| {
            std::process::Command::new("docker")
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        for id in run(&["ps", "-aq", "--filter", &filter]).lines() {
            run(&["rm", "--force", id]);
        }
        for id in run(&["network", "ls", "-q", "--filter", &filter]).lines() {
            run(&["network", "rm", id]);
        }
        for id in run(&["volume", "ls", "-q", "--filter", &filter]).lines() {
            run(&["volume", "rm", "--force", id]);
        }
        let reference = format!("reference=stagecraft/{}/*", self.0);
        for id in run(&[
            "images",
            "--filter",
            &reference,
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .lines()
        {
            run(&["rmi", "--force", "--no-prune", id]);
        }
    }
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver, the built app and dockerd: run scripts/test.sh"]
async fn an_app_is_deployed_patched_and_torn_down_from_the_window() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("e2e{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = app_repo(dir.path(), &app);
    let data = dir.path().join("data");
    // The desktop's notifications, on a session bus of the test's own.
    let notifications = Notifications::start();
    // The app's ingress on a port of the test's own.
    let ingress_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data.to_str().unwrap()),
        ("DBUS_SESSION_BUS_ADDRESS", &notifications.address),
        ("STAGECRAFT_INGRESS_PORT", &ingress_port.to_string()),
    ]);
    let launched = std::time::Instant::now();
    let client = driver.launch_app().await;

    // Add the app and create an environment.
    wait_for(&client, "[data-testid=no-environments]", WAIT).await;
    let interactive = launched.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    eprintln!(
        "window interactive {:.2} s after launch (WebDriver session included); idle memory of \
         the app's process tree: {} MiB (PSS)",
        interactive.as_secs_f64(),
        app_tree_pss_kib() / 1024
    );
    add_app_and_create_environment(&client, &repo).await;

    // The details: Deploy says it will set up; clicking it runs setup, live.
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    let reason = text_of(&client, "deploy-reason").await;
    assert!(reason.contains("never set up"), "{reason}");
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=setup][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=deployed]",
        WAIT,
    )
    .await;
    wait_for(
        &client,
        "[data-testid=task][data-task='jobs.migrate'][data-status=succeeded]",
        WAIT,
    )
    .await;
    save_screenshot(&client, "environment-setup.png").await;

    // The environments list gives the service's hostname, and the app's own ingress answers
    // at it (within its 2 s refresh).
    let env_id = environment_id(&client).await;
    click(&client, "[data-testid=nav-environments]").await;
    wait_for(&client, "[data-testid=env-urls] a", WAIT).await;
    let hostname = format!("web-{env_id}.localhost");
    save_screenshot(&client, "environments-deployed.png").await;
    let link = client
        .find(Locator::Css("[data-testid=env-urls] a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        link.as_deref().map(|l| l.trim_end_matches('/')),
        Some(format!("http://{hostname}:{ingress_port}").as_str())
    );
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let answer = ingress_get(ingress_port, &hostname, "/index.html");
        if answer.ends_with("\r\n\r\nhello v1\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    click(&client, "[data-testid=open-environment]").await;
    wait_for(&client, "[data-testid=deploy-feed]", WAIT).await;

    // The deploy's progress came over its event stream, and reads like the command's; a
    // reloaded window shows the same lines (kept with their last seq), none twice.
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='deploy-feed'][contains(., 'setup: succeeded')]",
        ))
        .await
        .expect("the setup's progress is streamed to the window");
    let streamed = text_of(&client, "deploy-feed").await;
    assert!(streamed.contains("step "), "{streamed}");
    assert!(streamed.contains("jobs.migrate: succeeded"), "{streamed}");
    client.refresh().await.expect("the window reloads");
    wait_for(&client, "[data-testid=deploy-feed]", WAIT).await;
    assert_eq!(text_of(&client, "deploy-feed").await, streamed);

    // The job's log.
    click_xpath(&client, "//button[normalize-space()='jobs.migrate']").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='log-lines'][contains(., 'migrating the schema')]",
        ))
        .await
        .expect("the job's output is shown");

    // A one-file change, then Deploy runs patch.
    std::fs::write(repo.join("web/www/index.html"), "hello v2\n").unwrap();
    wait_for(&client, "[data-testid=deploy][data-stage=patch]", WAIT).await;
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=patch][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    save_screenshot(&client, "environment-patch.png").await;

    // The two builds compared: only web changed.
    click(&client, "[data-testid=tab-builds]").await;
    wait_for(&client, "[data-testid=build-row][data-build-id='2']", WAIT).await;
    // The history chart: a bar per build.
    let bars = client
        .find_all(Locator::Css(
            "[data-testid=build-trend] [data-testid=trend-bar]",
        ))
        .await
        .expect("the builds chart");
    assert_eq!(bars.len(), 2, "one bar per build");
    click(&client, "[aria-label='Compare build 1']").await;
    click(&client, "[aria-label='Compare build 2']").await;
    click(&client, "[data-testid=compare]").await;
    wait_for(
        &client,
        "[data-testid=service-comparison][data-service=web]",
        WAIT,
    )
    .await;
    client
        .find(Locator::XPath(
            "//*[@data-testid='service-comparison']//*[@title='COPY www /www']",
        ))
        .await
        .expect("the COPY step is compared");
    // Its layer is the same size in both builds ("hello v1" and "hello v2"): the files inside
    // tell them apart.
    let files = text_of(&client, "layer-files").await;
    assert!(files.contains("www/index.html"), "{files}");
    save_screenshot(&client, "builds-compare.png").await;

    // The Logs tab: every kept log by kind; build 2's output of web opens, the `COPY www`
    // step in it.
    click(&client, "[data-testid=tab-logs]").await;
    click(
        &client,
        "[data-testid=log-resource][data-resource='builds/2/web']",
    )
    .await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='log-lines'][contains(., 'COPY www /www')]",
        ))
        .await
        .expect("the build's output is shown");
    wait_for(
        &client,
        "[data-testid=log-resource][data-resource$='/jobs.migrate']",
        WAIT,
    )
    .await;
    save_screenshot(&client, "logs.png").await;
    click(&client, "[data-testid=tab-builds]").await;

    // Build 1's details page: its image, and its own Deploy button, which rolls back to its
    // images, building nothing.
    click(
        &client,
        "[data-testid=build-row][data-build-id='1'] [data-testid=open-build]",
    )
    .await;
    wait_for(
        &client,
        "[data-testid=build-details][data-build-id='1'] [data-testid=build-image][data-service=web]",
        WAIT,
    )
    .await;
    save_screenshot(&client, "build-details.png").await;
    // A rollback is asked about before it runs.
    click(&client, "[data-testid=deploy-opened-build]").await;
    click(&client, "[data-testid=confirm-rollback]").await;
    wait_for(&client, "[data-testid=timeline]", WAIT).await;
    client
        .wait()
        .at_most(DEPLOY_WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='deploy-lane'][@data-status='succeeded'][contains(., 'rollback to the images of build 1')]",
        ))
        .await
        .expect("the rollback deploy succeeds");
    // Its lane says it is one, and the header that the environment is pinned to build 1 until
    // Deploy moves it on; the services panel shows what runs.
    let stage = text_of(&client, "lane-stage").await;
    assert_eq!(stage.trim(), "Rollback to build #1");
    let pinned = text_of(&client, "pinned").await;
    assert!(pinned.contains("Pinned to build #1"), "{pinned}");
    wait_for(
        &client,
        "[data-testid=service-row][data-service=web][data-ready=true]",
        WAIT,
    )
    .await;
    save_screenshot(&client, "rollback.png").await;

    // A patch whose web crashes as it starts: the deploy goes on (the patch's step does not
    // halt on an error, Release's default), the environment is degraded, not deployed, the
    // lane opens on its failure summary, and the desktop is told.
    std::fs::write(repo.join("web/www/start.sh"), CRASHES).unwrap();
    click(&client, "[data-testid=deploy]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=degraded]",
        DEPLOY_WAIT,
    )
    .await;
    let summary = text_of(&client, "failure-summary").await;
    assert!(summary.contains("services.web"), "{summary}");
    assert!(summary.contains("exited with code 3"), "{summary}");
    assert!(summary.contains("no such table"), "{summary}");
    wait_for(&client, "[data-testid=failure-rollback]", WAIT).await;
    save_screenshot(&client, "failure-summary.png").await;
    let shown = notifications.wait_for("Environment degraded", WAIT).await;
    assert!(shown.body.contains("is degraded"), "{shown:?}");
    // Mended, and deployed again from the summary.
    std::fs::write(repo.join("web/www/start.sh"), SERVES).unwrap();
    click(&client, "[data-testid=failure-deploy]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=deployed]",
        DEPLOY_WAIT,
    )
    .await;

    // The environment's own configuration: the app follows its Release files (GitOps), so the
    // tab says where to edit them; edited here instead, it is saved as v1.2, and the next
    // deploy runs setup.
    click(&client, "[data-testid=tab-configuration]").await;
    let follows = text_of(&client, "config-follows").await;
    assert!(
        follows.contains(".release/application_template.yaml on branch"),
        "{follows}"
    );
    save_screenshot(&client, "configuration-gitops.png").await;
    click(&client, "[data-testid=config-edit-here]").await;
    wait_for(&client, "[data-testid=config-save]", WAIT).await;
    let editor = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=config-yaml]"))
        .await
        .unwrap();
    // The editor's own styles got past the window's strict CSP (they carry the page's nonce):
    // unstyled, CodeMirror stacks its line numbers above the text.
    let styled = client
        .execute(
            "return getComputedStyle(document.querySelector('.cm-editor')).display;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(styled, serde_json::json!("flex"));
    // The editor takes the keys at its first line: a comment line above the rest, ended with
    // the Enter key.
    editor
        .send_keys("# more memory for the demo\u{E007}")
        .await
        .unwrap();
    click(&client, "[data-testid=config-save]").await;
    let notice = text_of(&client, "config-notice").await;
    assert!(notice.contains("v1.2"), "{notice}");
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    let card = text_of(&client, "configuration").await;
    assert!(card.contains("own template, v1.2"), "{card}");
    save_screenshot(&client, "configuration.png").await;

    // Its variables file, edited too: the secret stays masked, a new variable is kept as v1.3.
    click(&client, "[data-testid=tab-variables]").await;
    let variables = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=variables-yaml]"))
        .await
        .unwrap();
    let shown = variables.prop("value").await.unwrap().unwrap_or_default();
    assert!(!shown.contains("hunter2"), "{shown}");
    variables
        // One line: WebDriver types a newline as Enter, which the textarea may not keep twice.
        .send_keys("\n- {key: FROM_THE_WINDOW, value: 'yes'}")
        .await
        .unwrap();
    click(&client, "[data-testid=variables-save]").await;
    let notice = text_of(&client, "variables-notice").await;
    assert!(notice.contains("v1.3"), "{notice}");
    save_screenshot(&client, "variables.png").await;
    click(&client, "[data-testid=tab-timeline]").await;

    // Tear down, with a confirmation.
    click(&client, "[data-testid=teardown]").await;
    click(&client, "[data-testid=confirm-teardown]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=tornDown]",
        DEPLOY_WAIT,
    )
    .await;
    save_screenshot(&client, "environment-torn-down.png").await;

    click(&client, "[data-testid=nav-environments]").await;
    // Torn-down environments wait behind a toggle.
    click(&client, "[data-testid=show-torn-down]").await;
    wait_for(&client, "[data-testid=open-environment]", WAIT).await;
    save_screenshot(&client, "environments.png").await;

    // The same screens in a small window: the sidebar folds to a rail, nothing spills sideways.
    client.set_window_size(800, 600).await.unwrap();
    wait_for(&client, "nav.collapsed", WAIT).await;
    let spills = "const m = document.querySelector('main'); return m.scrollWidth - m.clientWidth;";
    let overflow = |value: serde_json::Value| value.as_i64().unwrap_or(i64::MAX);
    assert!(overflow(client.execute(spills, vec![]).await.unwrap()) <= 0);
    save_screenshot(&client, "environments-800.png").await;
    click(&client, "[data-testid=open-environment]").await;
    // It opens on the tab of the log shown last (the Logs tab): the timeline is asked for.
    click(&client, "[data-testid=tab-timeline]").await;
    wait_for(&client, "[data-testid=timeline]", WAIT).await;
    assert!(overflow(client.execute(spills, vec![]).await.unwrap()) <= 0);
    save_screenshot(&client, "environment-800.png").await;
    click(&client, "[data-testid=tab-builds]").await;
    wait_for(&client, "[data-testid=build-row]", WAIT).await;
    assert!(overflow(client.execute(spills, vec![]).await.unwrap()) <= 0);
    save_screenshot(&client, "builds-800.png").await;
    client.set_window_size(1280, 800).await.unwrap();

    // The app's own screen: its files read again (unchanged), then the app removed, with its
    // images and the history of its torn-down environment.
    click(&client, "[data-testid=nav-apps]").await;
    click(
        &client,
        &format!("[data-testid=app-row][data-app='{app}'] [data-testid=open-app]"),
    )
    .await;
    wait_for(&client, "[data-testid=app-environment-row].gone", WAIT).await;
    click(&client, "[data-testid=app-refresh]").await;
    wait_for(&client, "[data-testid=app-refresh-unchanged]", WAIT).await;
    save_screenshot(&client, "app.png").await;
    click(&client, "[data-testid=app-remove]").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=app-remove-name]"))
        .await
        .unwrap()
        .send_keys(&app)
        .await
        .unwrap();
    click(&client, "[data-testid=app-remove-confirm]").await;
    wait_for(&client, "[data-testid=no-apps]", WAIT).await;
    let images = std::process::Command::new("docker")
        .args(["image", "ls", "--quiet", &format!("stagecraft/{app}/*")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&images.stdout).trim(),
        "",
        "its images are gone"
    );
    client.close().await.unwrap();
}

/// A cluster no tool made (so its nodes pull images) asks for the app's image registry in the
/// create form; a name Docker would refuse is refused in the window and nothing is created; a
/// good one is kept for the app. The cluster's server is never contacted by creating.
#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn a_cluster_that_pulls_asks_for_the_apps_image_registry_when_creating() {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = app_repo(dir.path(), "pulled");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: 'https://127.0.0.1:1'}
users:
- name: dev
  user: {token: unused}
contexts:
- name: prod
  context: {cluster: prod, user: dev}
current-context: prod
",
    )
    .unwrap();
    let data = dir.path().join("data");
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data.to_str().unwrap()),
        ("KUBECONFIG", kubeconfig.to_str().unwrap()),
    ]);
    let client = driver.launch_app().await;
    click(&client, "[data-testid=add-app-open]").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=app-path]"))
        .await
        .unwrap()
        .send_keys(repo.to_str().unwrap())
        .await
        .unwrap();
    click(&client, "[data-testid=add-app]").await;
    wait_for(
        &client,
        "[data-testid=env-runtime] option[value='kube:prod']",
        WAIT,
    )
    .await;
    assert!(
        client
            .find_all(Locator::Css("[data-testid=env-registry]"))
            .await
            .unwrap()
            .is_empty(),
        "no registry asked for the Docker engine"
    );
    client
        .find(Locator::Css("[data-testid=env-runtime]"))
        .await
        .unwrap()
        .select_by_value("kube:prod")
        .await
        .unwrap();
    let field = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=env-registry]"))
        .await
        .unwrap();
    field
        .send_keys("https://registry.example.com/team")
        .await
        .unwrap();
    click(&client, "[data-testid=create-environment]").await;
    let error = text_of(&client, "create-error").await;
    assert!(
        error.contains("leave the scheme out (`registry.example.com/team`)"),
        "{error}"
    );
    save_screenshot(&client, "create-registry-refused.png").await;

    field.clear().await.unwrap();
    field.send_keys("registry.example.com/team").await.unwrap();
    click(&client, "[data-testid=env-share-login]").await;
    save_screenshot(&client, "create-registry.png").await;
    click(&client, "[data-testid=create-environment]").await;
    // The environment's details open; its setup cannot reach the cluster, which is fine here.
    wait_for(&client, "[data-testid=deploy]", WAIT).await;
    // The Configuration tab shows the app's registry, to change it later.
    click(&client, "[data-testid=tab-configuration]").await;
    let kept = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=config-registry]"))
        .await
        .unwrap();
    assert_eq!(
        kept.prop("value").await.unwrap().as_deref(),
        Some("registry.example.com/team")
    );
    save_screenshot(&client, "configuration-registry.png").await;
    client.close().await.unwrap();

    // What the window kept, read from the app's own database.
    let store = stagecraft_store::Store::open(&data.join("stagecraft.db"))
        .await
        .unwrap();
    let apps = stagecraft_store::app::list(store.pool()).await.unwrap();
    assert_eq!(
        apps[0].image_registry.as_deref(),
        Some("registry.example.com/team")
    );
    assert!(apps[0].share_registry_login);
    store.close().await;
}
