//! A static service on the real Docker engine: its site built by its own commands in the
//! build image (a busybox image here, as no registry is reachable) with the environment's
//! variables (not its secrets), served by Stagecraft's file server at the service's URL,
//! reused while its files are unchanged and built again when they change.

use stagecraft_api::{DeployRequest, StaticSiteSettings, Wait};
use stagecraft_docker::stable_host_port;
use stagecraft_engine::{DeployStatus, STATIC_SITE_PORT};

use crate::docker::{
    Cleanup, docker, dockerfile, environment_of, environment_with_variables, event_types, http_get,
    labelled, service_dir, unique,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_site_is_built_with_its_variables_served_and_reused_while_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("site");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    // The build image: busybox, under the app's name so the cleanup removes it, labelled so
    // its last layer is its own (never another build's cached parent).
    let builder_dir = dir.path().join("builder");
    service_dir(&builder_dir, "image", &dockerfile(&[], r#"["sh"]"#), &[]);
    let build_image = format!("stagecraft/{app}/site-builder:1");
    docker(&[
        "build",
        "-q",
        "--label",
        &format!("dev.stagecraft.test={app}"),
        "-t",
        &build_image,
        builder_dir.join("image").to_str().unwrap(),
    ]);
    std::fs::create_dir_all(repo.join("front/src")).unwrap();
    std::fs::write(repo.join("front/src/index.html"), "<h1>GREETING</h1>\n").unwrap();
    let template = format!(
        "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: front
  static: true
  build_base: front
  build_package_install_command: echo installing && mkdir -p dist
  build_command: sed \"s/GREETING/$GREETING/\" src/index.html > dist/index.html && echo \"[$TOKEN]\" > dist/token.txt && echo built
  build_output_directory: dist/
workflows:
- {{name: setup, order_from: [services.front]}}
- {{name: patch, order_from: [services.front]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    );
    let variables = "defaults:
- {key: GREETING, value: hello from the build}
- {key: TOKEN, value: s3cret, secret: true}
";
    let sites = StaticSiteSettings {
        build_image,
        ..StaticSiteSettings::from_env()
    };
    assert!(
        sites.server.is_some(),
        "build the file server first: export STAGECRAFT_STATIC_SERVER=$(scripts/static-server.sh)"
    );
    let (stagecraft, env_id) =
        environment_with_variables(dir.path(), &repo, &app, &template, variables, sites).await;

    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(&stagecraft, setup.id).await;
    assert_eq!(setup.status, DeployStatus::Succeeded, "{events:#?}");
    let port = stable_host_port(&env_id, "front", STATIC_SITE_PORT);
    assert_eq!(http_get(port, "/"), "<h1>hello from the build</h1>\n");
    // A client-side route gets the app; a secret never reaches the site.
    assert_eq!(
        http_get(port, "/orders/42"),
        "<h1>hello from the build</h1>\n"
    );
    assert_eq!(http_get(port, "/token.txt"), "[]\n");
    // Its URL is its hostname through the ingress, as for a node_port.
    let vars = stagecraft.variables_get(&env_id).await.unwrap();
    let front = vars
        .iter()
        .find(|w| w.workload == "services.front")
        .unwrap();
    assert!(
        front.vars.iter().any(|v| v.key == "FRONT_INGRESS_URL"
            && v.value
                == format!(
                    "http://front-{env_id}.localhost:{}",
                    stagecraft_api::DEFAULT_INGRESS_PORT
                )),
        "{front:#?}"
    );
    assert!(
        front
            .note
            .as_deref()
            .is_some_and(|n| n.contains("its file server's container gets none")),
        "{front:#?}"
    );
    // Recorded like an image build, with its output kept.
    let builds = stagecraft.build_views(&app, None).await.unwrap();
    let build = builds.first().unwrap();
    assert!(
        build
            .images
            .iter()
            .any(|i| i.service == "front" && i.outcome == "built"),
        "{build:#?}"
    );

    // Nothing changed: the site is reused, not built again.
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(&stagecraft, patch.id).await;
    assert_eq!(patch.status, DeployStatus::Succeeded, "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| e.contains("\"type\":\"service_build_reused\"")),
        "{events:#?}"
    );
    // A source file changed: built again and served.
    std::fs::write(repo.join("front/src/index.html"), "<h2>GREETING</h2>\n").unwrap();
    let patch = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(&stagecraft, patch.id).await;
    assert_eq!(patch.status, DeployStatus::Succeeded, "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| e.contains("\"type\":\"service_built\"")),
        "{events:#?}"
    );
    assert_eq!(http_get(port, "/"), "<h2>hello from the build</h2>\n");
    let first_site_build = stagecraft.build_views(&app, None).await.unwrap()[0].id;

    // A second environment: its own site (its own variables), then the first deploys again
    // and finds its own still there, not the second's.
    let other = stagecraft
        .create_environment(environment_of(&app))
        .await
        .unwrap()
        .env_id;
    let other_setup = stagecraft
        .submit(&other, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(other_setup.status, DeployStatus::Succeeded);
    let again = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(&stagecraft, again.id).await;
    assert!(
        events
            .iter()
            .any(|e| e.contains("\"type\":\"service_build_reused\"")
                && e.contains(&format!("build {first_site_build}"))),
        "{events:#?}"
    );
    // A rollback of the second to the first's build would serve the first's site: refused.
    let refused = stagecraft
        .submit(
            &other,
            DeployRequest::Rollback {
                build_id: first_site_build,
            },
            Wait::UntilDone,
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("static sites (front)"),
        "{refused}"
    );
    let other_teardown = stagecraft
        .submit(&other, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(other_teardown.status, DeployStatus::Succeeded);

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(labelled(&env_id), Vec::<String>::new());
}
