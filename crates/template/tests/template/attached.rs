//! Init containers and sidecars: each mistake located, with what to do.

use stagecraft_template::load_template;

fn findings(text: &str) -> Vec<String> {
    load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("app.yaml:").to_owned())
        .collect()
}

const SERVICES: &str = "environment_templates: [{name: ephemeral}]
services:
- name: web
  image: busybox
  volumes: [{name: pages, type: persistent, mount_path: /www}]
- {name: api, image: busybox}
workflows:
- {name: setup, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

#[test]
fn a_correct_init_container_and_sidecar_pass() {
    let text = format!(
        "{SERVICES}init_containers:
- {{name: render, service: web, command: [sh], volumes: [{{name: pages, mount_path: /p}}]}}
sidecars:
- {{name: helper, service: web, from_services: api, memory: {{limits: 64Mi}}}}
"
    );
    assert_eq!(findings(&text), Vec::<String>::new());
}

#[test]
fn each_mistake_is_located_with_what_to_do() {
    let text = format!(
        "{SERVICES}init_containers:
- {{name: render, service: wbe}}
- {{name: render2}}
- {{name: web, service: web}}
- {{name: copy, service: web, volumes: [{{name: data, mount_path: /d}}, {{mount_path: /x}}]}}
sidecars:
- {{name: copy, service: web, from_services: nope, memory: {{limits: lots}}}}
"
    );
    let found = findings(&text);
    pretty_assertions::assert_eq!(
        found,
        [
            "11:27: error: init_containers[0].service: `wbe` is not a service of this template: known: api, web",
            "12:3: error: init_containers[1]: this init container names no service: add `service: <the service it belongs to>`",
            "13:10: error: init_containers[2].name: `web` has a second container named `web`: the names of a service's containers (its own is `web`) must be unique",
            "14:47: error: init_containers[3].volumes[0].name: `data` is not a volume of `web`: an init container mounts its service's volumes by name (pages)",
            "14:70: error: init_containers[3].volumes[1]: name the volume of `web` to mount: `name: <volume name>`",
            "16:10: error: sidecars[0].name: `web` has a second container named `copy` (the first is at line 14): the names of a service's containers (its own is `web`) must be unique",
            "16:45: error: sidecars[0].from_services: `nope` is not a service of this template: known: api, web",
            "16:68: error: sidecars[0].memory.limits: `lots` is not a memory quantity, like `512Mi` or `2Gi`",
        ]
    );
}
