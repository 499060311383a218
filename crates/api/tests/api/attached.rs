//! Init containers and sidecars on the real Docker engine: an init container writes the page
//! its service serves, a sidecar answers the service on localhost, a failing init container
//! fails its service's task with its exit code and last line, and teardown leaves nothing.

use stagecraft_api::{DeployRequest, Wait};
use stagecraft_docker::stable_host_port;
use stagecraft_engine::DeployStatus;

use crate::docker::{
    Cleanup, docker, dockerfile, environment_with, event_types, http_get, labelled, service_dir,
    unique,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_container_prepares_the_service_and_a_sidecar_answers_on_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("att");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    service_dir(
        &repo,
        "web",
        &dockerfile(
            &[],
            r#"["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]"#,
        ),
        &[],
    );
    let template = format!(
        "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: web
  build: {{context: web}}
  ports: [{{type: node_port, port: '80', target_port: '8080'}}]
  volumes: [{{name: pages, type: persistent, mount_path: /www}}]
  # Ready only once the sidecar answers on the replica's own localhost.
  readiness_probe: {{exec: {{command: [wget, -q, -O, /dev/null, 'http://localhost:9090/ok']}}, period_seconds: 1}}
- name: broken
  build: {{context: web}}
init_containers:
- name: render
  service: web
  command: [sh, -c, 'echo rendering; echo \"rendered for $GREETING\" > /pages/index.html']
  envs: [{{key: GREETING, value: init}}]
  volumes: [{{name: pages, mount_path: /pages}}]
- name: check
  service: broken
  command: [sh, -c, 'echo no config here >&2; exit 4']
sidecars:
- name: helper
  service: web
  command: [sh, -c, 'echo helper up; mkdir -p /s && echo ok > /s/ok && exec httpd -f -p 9090 -h /s']
workflows:
- {{name: setup, order_from: [services.web, services.broken]}}
- {{name: patch, order_from: [services.web]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    );
    let (stagecraft, env_id) = environment_with(dir.path(), &repo, &app, &template).await;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(&stagecraft, setup.id).await;
    assert_eq!(setup.status, DeployStatus::Succeeded, "{events:#?}");
    let finished = |task: &str| {
        events
            .iter()
            .find(|e| e.contains("\"type\":\"task_finished\"") && e.contains(task))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        finished("services.web").contains("\"outcome\":\"succeeded\""),
        "the sidecar answered the readiness probe on localhost: {events:#?}"
    );
    let broken = finished("services.broken");
    assert!(
        broken.contains("init container check of broken exited with code 4")
            && broken.contains("no config here"),
        "{broken}"
    );
    // The init container wrote, into the service's volume, the page the service serves.
    let port = stable_host_port(&env_id, "web", 8080);
    assert_eq!(http_get(port, "/index.html"), "rendered for init\n");
    // Their lines are kept with their service's, each under its own name.
    for (part, line) in [
        ("init.render", "rendering"),
        ("sidecar.helper", "helper up"),
    ] {
        let resource = format!("{env_id}/services.web/{part}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let page = stagecraft.logs(&resource, 0, 10).await.unwrap();
            if page.lines.iter().any(|l| l.line == line) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{resource}: {page:?}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    // Their variables in the Variables tab: the service's, their own over them.
    let vars = stagecraft.variables_get(&env_id).await.unwrap();
    let render = vars
        .iter()
        .find(|w| w.workload == "services.web/init.render")
        .unwrap_or_else(|| panic!("{vars:#?}"));
    assert!(
        render
            .vars
            .iter()
            .any(|v| v.key == "GREETING" && v.value == "init"),
        "{render:#?}"
    );
    assert!(
        render.vars.iter().any(|v| v.key == "RELEASE_ENV_ID"),
        "{render:#?}"
    );
    let kinds = stagecraft.log_resources(&env_id).await.unwrap();
    assert!(
        kinds.iter().any(|r| r.label == "web, sidecar helper"),
        "{kinds:#?}"
    );
    // The sidecar lives in the replica's network namespace; the failed replica left nothing.
    let containers = labelled(&env_id);
    assert!(
        containers.iter().any(|c| c.contains("-sidecar-helper")),
        "{containers:#?}"
    );
    assert!(
        !containers.iter().any(|c| c.contains("broken")),
        "{containers:#?}"
    );

    // The replica restarted (the engine does it after a crash) gets a new network namespace:
    // the next look at the environment's health puts its sidecar back in it.
    let replica = containers
        .iter()
        .filter_map(|c| c.strip_prefix("container "))
        .find(|c| c.contains("-web-") && !c.contains("-sidecar-") && !c.contains("-init-"))
        .unwrap()
        .to_owned();
    docker(&["restart", "-t", "1", &replica]);
    let web = stagecraft
        .health(&env_id)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.workload == "services.web")
        .unwrap();
    assert_eq!((web.ready_replicas, web.replicas), (1, 1), "{web:?}");
    assert_eq!(
        docker(&[
            "exec",
            &replica,
            "wget",
            "-q",
            "-O",
            "-",
            "http://localhost:9090/ok"
        ]),
        "ok",
        "the sidecar answers on the restarted replica's localhost"
    );
    // A sidecar that is down leaves its replica not ready, saying which.
    let sidecar = format!("{replica}-sidecar-helper");
    docker(&["stop", "-t", "1", &sidecar]);
    let web = stagecraft
        .health(&env_id)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.workload == "services.web")
        .unwrap();
    assert_eq!(web.ready_replicas, 0, "{web:?}");
    assert!(
        web.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("sidecar helper: Exited"),
        "{web:?}"
    );

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(labelled(&env_id), Vec::<String>::new());
}
