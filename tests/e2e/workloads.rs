//! Every workload kind of a template in the real window against the real Docker engine: an
//! environment created with a parameter typed in the New environment dialog, a service with
//! an init container that writes the page it serves (reading the parameter) and a sidecar it
//! reaches on
//! localhost, a custom workflow run from the Workflows menu, a cron job run with Run now and
//! kept in its own group on the timeline, and a static service whose site its own commands
//! build and Stagecraft's file server serves. Images are built `FROM scratch` with Debian's
//! static busybox; nothing is pulled.

use fantoccini::Locator;

use crate::driver::{Driver, exclusive_window};
use crate::environments::{Cleanup, DEPLOY_WAIT, add_app, click, service, wait_for};
use crate::system::{WAIT, save_screenshot, text_of};

/// The app's repository, and the local image its static site is built in.
fn repo(dir: &std::path::Path, app: &str) -> (std::path::PathBuf, String) {
    let repo = dir.join(app);
    let base = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";
    // The static build image: busybox, under the app's name so the cleanup removes it, and
    // labelled so its last layer is its own.
    let builder = dir.join("site-builder");
    service(&builder, "image", &format!("{base}CMD [\"sh\"]\n"), &[]);
    let build_image = format!("stagecraft/{app}/site-builder:1");
    let built = std::process::Command::new("docker")
        .args(["build", "-q", "--label"])
        .arg(format!("dev.stagecraft.test={app}"))
        .args(["-t", &build_image])
        .arg(builder.join("image"))
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(repo.join("docs/guide.md"), "the guide\n").unwrap();
    service(
        &repo,
        "web",
        &format!(
            "{base}CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n"
        ),
        &[],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: docs
  static: true
  build_base: docs
  build_command: mkdir -p site && cp guide.md site/index.html
  build_output_directory: site
- name: web
  build: {{context: web}}
  ports: [{{type: node_port, port: '80', target_port: '8080'}}]
  volumes: [{{name: pages, type: persistent, mount_path: /www}}]
  readiness_probe: {{exec: {{command: [wget, -q, -O, /dev/null, 'http://localhost:9090/ok']}}, period_seconds: 1}}
parameters:
- {{name: greeting, description: What the page says}}
init_containers:
- {{name: render, service: web, command: [sh, -c, 'echo rendered for $GREETING > /pages/index.html'], envs: [{{key: GREETING, value: '${{parameters.greeting}}'}}], volumes: [{{name: pages, mount_path: /pages}}]}}
sidecars:
- {{name: helper, service: web, command: [sh, -c, 'mkdir -p /s && echo ok > /s/ok && exec httpd -f -p 9090 -h /s']}}
jobs:
- {{name: reindex, from_services: web, command: [sh, -c, 'echo reindexed $(cat /www/index.html)']}}
cron_jobs:
- {{name: report, schedule: '@yearly', from_services: web, command: [sh, -c, 'echo nightly report']}}
workflows:
- {{name: setup, order_from: [services.web, services.docs]}}
- {{name: patch, order_from: [services.web, services.docs]}}
- {{name: rebuild-index, order_from: [jobs.reindex]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    (repo, build_image)
}

/// The body of `GET path` from 127.0.0.1 at `port`.
pub(crate) fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("127.0.0.1:{port}: {e}"));
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or(response)
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver, the built app and dockerd: run scripts/test.sh"]
async fn a_workflow_and_a_cron_job_run_from_the_window_beside_init_containers_sidecars_and_a_static_site()
 {
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let app = format!("wkl{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let (repo, build_image) = repo(dir.path(), &app);
    let data = dir.path().join("data");
    assert!(
        std::env::var_os("STAGECRAFT_STATIC_SERVER").is_some(),
        "build the file server first: export STAGECRAFT_STATIC_SERVER=$(scripts/static-server.sh)"
    );
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data.to_str().unwrap()),
        ("STAGECRAFT_STATIC_BUILD_IMAGE", &build_image),
    ]);
    let client = driver.launch_app().await;
    wait_for(&client, "[data-testid=no-environments]", WAIT).await;
    add_app(&client, &repo).await;
    // The template's parameter, asked for in the New environment dialog.
    wait_for(
        &client,
        "[data-testid=env-parameter][data-parameter=greeting][required]",
        WAIT,
    )
    .await;
    client
        .find(Locator::Css(
            "[data-testid=env-parameter][data-parameter=greeting]",
        ))
        .await
        .unwrap()
        .send_keys("the window")
        .await
        .unwrap();
    save_screenshot(&client, "new-environment-parameters.png").await;
    click(&client, "[data-testid=create-environment]").await;

    // Setup: the init container renders the page, the sidecar answers the readiness probe.
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
        "[data-testid=environment-status][data-status=deployed]",
        WAIT,
    )
    .await;
    // The static site, built by its own command and served at the service's port.
    wait_for(
        &client,
        "[data-testid=service-row][data-service=docs][data-ready=true]",
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
    let port = stagecraft_engine::stable_host_port(
        env_id.trim(),
        "docs",
        stagecraft_engine::STATIC_SITE_PORT,
    );
    assert_eq!(http_get(port, "/"), "the guide\n");
    // The parameter given in the dialog, read by the init container that wrote the page.
    let web = stagecraft_engine::stable_host_port(env_id.trim(), "web", 8080);
    assert_eq!(http_get(web, "/index.html"), "rendered for the window\n");
    save_screenshot(&client, "static-site.png").await;

    // The custom workflow, from the Workflows menu: a run of its own, labelled by its name.
    click(&client, "[data-testid=workflows-menu]").await;
    click(
        &client,
        "[data-testid=workflow-run][data-workflow=rebuild-index]:not([disabled])",
    )
    .await;
    wait_for(
        &client,
        "[data-testid=deploy-lane][data-stage=workflow][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='deploy-lane'][@data-stage='workflow']//*[@data-testid='lane-stage'][normalize-space()='rebuild-index']",
        ))
        .await
        .expect("the workflow's lane is labelled with its name");
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//*[@data-testid='deploy-feed'][contains(., 'jobs.reindex: succeeded')]",
        ))
        .await
        .expect("the workflow ran its job");
    save_screenshot(&client, "workflow-run.png").await;

    // The cron job, listed beside the services, run now: its run in a group of its own.
    wait_for(&client, "[data-testid=cron-job][data-cron=report]", WAIT).await;
    assert!(text_of(&client, "cron-schedule").await.contains("@yearly"));
    click(
        &client,
        "[data-testid=cron-run-now][data-cron=report]:not([disabled])",
    )
    .await;
    wait_for(
        &client,
        "[data-testid=cron-runs] [data-testid=deploy-lane][data-stage=cron][data-status=succeeded]",
        DEPLOY_WAIT,
    )
    .await;
    let count = text_of(&client, "cron-runs-count").await;
    assert_eq!(count, "1 run");
    assert!(
        client
            .find_all(Locator::Css(
                "[data-testid=deploy-lanes] [data-testid=deploy-lane][data-stage=cron]"
            ))
            .await
            .unwrap()
            .is_empty(),
        "cron runs are not mixed into the deploys"
    );
    save_screenshot(&client, "cron-run.png").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=deployed]",
        WAIT,
    )
    .await;

    // The Parameters panel of the Variables tab: a new value is a new configuration version,
    // so the next deploy is a setup.
    click(&client, "[data-testid=tab-variables]").await;
    let field = "[data-testid=parameter-value][data-parameter=greeting]";
    wait_for(&client, field, WAIT).await;
    let input = client.find(Locator::Css(field)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("a new day").await.unwrap();
    click(&client, "[data-testid=parameters-save]:not([disabled])").await;
    wait_for(&client, "[data-testid=parameters-notice]", WAIT).await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    save_screenshot(&client, "parameters-panel.png").await;

    click(&client, "[data-testid=teardown]").await;
    click(&client, "[data-testid=confirm-teardown]").await;
    wait_for(
        &client,
        "[data-testid=environment-status][data-status=tornDown]",
        DEPLOY_WAIT,
    )
    .await;
    client.close().await.unwrap();
}
