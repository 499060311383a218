//! Static services: each mistake located, with what to do, and the keys they do not use (or
//! only they use) pointed at.

use stagecraft_template::load_template;

fn findings(text: &str) -> Vec<String> {
    load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("app.yaml:").to_owned())
        .collect()
}

fn template(services: &str) -> String {
    format!(
        "environment_templates: [{{name: ephemeral}}]
services:
{services}workflows:
- {{name: setup, order_from: [services.all]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    )
}

#[test]
fn a_static_service_as_real_templates_write_it_passes() {
    // awesome-release/genai-stack's front-end, and Rukio/nx-repo's (no build_base).
    let text = template(
        "- name: front-end
  static: true
  build_base: front-end
  build_output_directory: dist/
  build_package_install_command: npm install
  build_command: npm run build
- name: consumer-web
  build_package_install_command: npm install
  build_command: nx run consumer-web:build:releasehub
  build_output_directory: dist/ts/apps/consumer-web
  static: true
",
    );
    assert_eq!(findings(&text), Vec::<String>::new());
}

#[test]
fn each_mistake_is_located_with_what_to_do() {
    let text = template(
        "- {name: a, static: true, build_command: make}
- {name: b, static: true, build_base: ../other, build_output_directory: /srv/site}
- {name: c, static: true, build_base: web, build_output_directory: ../dist, image: nginx, ports: [{type: node_port, port: '80'}]}
- {name: d, image: busybox, build_output_directory: dist}
",
    );
    pretty_assertions::assert_eq!(
        findings(&text),
        [
            "3:3: error: services[0]: a static service needs `build_output_directory`: the folder its build writes the site to, relative to `build_base` (for example `dist` or `build`)",
            "4:39: error: services[1].build_base: `../other` leads outside: name a folder inside the repository, relative to it",
            "4:73: error: services[1].build_output_directory: `/srv/site` is an absolute path: name a folder inside `build_base` (where the build runs), relative to it",
            "5:68: error: services[2].build_output_directory: `../dist` leads outside: name a folder inside `build_base` (where the build runs), relative to it",
            "5:84: warning: services[2].image: not used by a static service: a static service runs Stagecraft's file server with the site its build wrote, listening on port 8080 (its URL)",
            "5:99: warning: services[2].ports: not used by a static service: a static service runs Stagecraft's file server with the site its build wrote, listening on port 8080 (its URL)",
            "6:53: warning: services[3].build_output_directory: not used: only a static service (`static: true`) reads `build_output_directory`",
        ]
    );
}

#[test]
fn nothing_runs_a_static_services_image() {
    let text = format!(
        "{}jobs:
- {{name: seed, from_services: front}}
- {{name: fine, from_services: front, image: busybox}}
cron_jobs:
- {{name: nightly, schedule: '@daily', from_services: front}}
init_containers:
- {{name: prepare, service: front}}
sidecars:
- {{name: helper, service: front, image: busybox}}
",
        template("- {name: front, static: true, build_output_directory: dist}\n")
    );
    let found = findings(&text);
    let refused: Vec<&str> = found
        .iter()
        .filter_map(|f| f.split_once(": error: ").map(|(_, rest)| rest))
        .map(|rest| rest.split_once(':').map_or(rest, |(key, _)| key))
        .collect();
    assert_eq!(
        refused,
        [
            "jobs[0].from_services",
            "cron_jobs[0].from_services",
            "init_containers[0].service"
        ],
        "{found:#?}"
    );
    assert!(
        found[0].contains("`front` is a static service"),
        "{found:#?}"
    );
}
