//! App imports: the template an environment runs made of the importer's and each imported
//! app's, names unique across them (located), excluded services left out with what named
//! them, and each stage's workflow made of every app's steps in Release's order.

use stagecraft_template::{
    ImportedPart, Template, compose_imports, excluded_services, load_template, plan_workflow,
    without_services,
};

fn template(file: &str, text: &str) -> Template {
    let parsed = load_template(file, text);
    assert!(!parsed.diagnostics.has_errors(), "{}", parsed.diagnostics);
    parsed.value.unwrap()
}

const FRONTEND: &str = "app: frontend
environment_templates: [{name: ephemeral}]
app_imports:
- name: backend
  exclude_services: [{name: redis}]
- name: payments
services:
- {name: web, image: busybox, depends_on: [api]}
- {name: redis, image: redis}
jobs:
- {name: assets, image: busybox}
workflows:
- {name: setup, order_from: [services.redis, jobs.assets, services.web]}
- {name: patch, order_from: [services.web]}
- {name: teardown, order_from: [release.remove_environment]}
";

const BACKEND: &str = "app: backend
environment_templates: [{name: ephemeral}]
services:
- {name: api, image: busybox, depends_on: [redis, db]}
- {name: redis, image: redis}
- {name: db, image: postgres}
jobs:
- {name: migrate, image: busybox}
workflows:
- name: setup
  parallelize:
  - {step: data, tasks: [services.redis, services.db]}
  - {step: schema, tasks: [jobs.migrate]}
  - {step: app, tasks: [services.api]}
- {name: patch, order_from: [services.api]}
- {name: teardown, order_from: [release.remove_environment]}
";

const PAYMENTS: &str = "app: payments
environment_templates: [{name: ephemeral}]
services:
- {name: pay, image: busybox}
workflows:
- {name: setup, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

fn parts(frontend: &Template) -> Vec<ImportedPart> {
    [("backend", BACKEND), ("payments", PAYMENTS)]
        .into_iter()
        .zip(&frontend.app_imports)
        .map(|((app, text), import)| {
            let located = template(&format!("{app}.yaml"), text);
            ImportedPart {
                app: app.to_owned(),
                file: format!("{app}.yaml"),
                template: without_services(located.clone(), &excluded_services(import)),
                located,
            }
        })
        .collect()
}

fn steps(template: &Template, workflow: &str) -> Vec<(String, Vec<String>)> {
    plan_workflow(template, workflow)
        .unwrap()
        .steps
        .into_iter()
        .map(|s| (s.name, s.tasks.iter().map(ToString::to_string).collect()))
        .collect()
}

fn names(list: Vec<(String, Vec<String>)>) -> Vec<(String, Vec<String>)> {
    list
}

fn step(name: &str, tasks: &[&str]) -> (String, Vec<String>) {
    (
        name.to_owned(),
        tasks.iter().map(|t| (*t).to_owned()).collect(),
    )
}

#[test]
fn imported_apps_run_first_in_order_and_remove_environment_runs_once() {
    let frontend = template("frontend.yaml", FRONTEND);
    let composed = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap();
    let services: Vec<&str> = composed
        .services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.as_str()))
        .collect();
    // The backend's redis is left out: the frontend's stands in for it.
    assert_eq!(services, ["web", "redis", "api", "db", "pay"]);
    let api = composed
        .services
        .iter()
        .find(|s| s.name.as_ref().unwrap().as_str() == "api")
        .unwrap();
    let deps: Vec<&str> = api.depends_on.iter().map(|d| d.as_str()).collect();
    assert_eq!(deps, ["redis", "db"]);
    pretty_assertions::assert_eq!(
        names(steps(&composed, "setup")),
        [
            // The frontend's redis stands in for the backend's: it starts before what needs it.
            step("stand-ins: services.redis", &["services.redis"]),
            step("backend: data", &["services.db"]),
            step("backend: schema", &["jobs.migrate"]),
            step("backend: app", &["services.api"]),
            step("payments: services.pay", &["services.pay"]),
            step("jobs.assets", &["jobs.assets"]),
            step("services.web", &["services.web"]),
        ]
    );
    pretty_assertions::assert_eq!(
        steps(&composed, "teardown"),
        [step(
            "release.remove_environment",
            &["release.remove_environment"]
        )]
    );
    pretty_assertions::assert_eq!(
        steps(&composed, "patch"),
        [
            step("backend: services.api", &["services.api"]),
            step("services.web", &["services.web"]),
        ]
    );
}

#[test]
fn parallelized_imports_run_their_steps_side_by_side() {
    let text = FRONTEND.replace(
        "app_imports:",
        "parallelize_app_imports: true\napp_imports:",
    );
    let frontend = template("frontend.yaml", &text);
    let composed = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap();
    pretty_assertions::assert_eq!(
        steps(&composed, "setup")[1..4],
        [
            step(
                "backend: data + payments: services.pay",
                &["services.db", "services.pay"]
            ),
            step("backend: schema", &["jobs.migrate"]),
            step("backend: app", &["services.api"]),
        ]
    );
}

#[test]
fn a_name_two_apps_use_is_located_in_the_app_that_brings_the_second() {
    let frontend = template(
        "frontend.yaml",
        &FRONTEND.replace("exclude_services: [{name: redis}]", "branch: main"),
    );
    let error = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap_err();
    let lines: Vec<String> = error.0.iter().map(ToString::to_string).collect();
    pretty_assertions::assert_eq!(
        lines,
        [
            "backend.yaml:5:10: error: services[1].name: the service `redis` of backend has the name \
          of one of frontend (frontend.yaml, line 9): imported apps run in one network, so their \
          names must differ: leave it out with \
          `exclude_services: [{name: redis}]` under the import of backend, or rename one"
        ]
    );
}

#[test]
fn imports_are_checked_where_they_are_written() {
    let text = "app: frontend
app_imports:
- name: backend
- name: frontend
- name: backend
- {exclude_services: [{}]}
services:
- {name: web, image: busybox}
workflows:
- {name: setup, order_from: [services.all]}
";
    let lines: Vec<String> = load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .filter(|d| d.path.starts_with("app_imports"))
        .map(|d| d.to_string())
        .collect();
    pretty_assertions::assert_eq!(
        lines,
        [
            "app.yaml:4:9: error: app_imports[1].name: `frontend` is this template's own app: an app cannot import itself",
            "app.yaml:5:9: error: app_imports[2].name: `backend` is imported twice (the first at line 3): keep one",
            "app.yaml:6:3: error: app_imports[3]: this app import has no `name`: add `name: <app import name>`",
            "app.yaml:6:23: error: app_imports[3].exclude_services[0]: this excluded service has no `name`: add `name: <excluded service name>`",
        ]
    );
}

#[test]
fn a_dependency_an_exclusion_leaves_unmet_is_an_error_where_it_is_written() {
    let text = FRONTEND
        .replace("- {name: redis, image: redis}\n", "")
        .replace("services.redis, ", "");
    let frontend = template("frontend.yaml", &text);
    let error = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap_err();
    let lines: Vec<String> = error.0.iter().map(ToString::to_string).collect();
    pretty_assertions::assert_eq!(
        lines,
        [
            "backend.yaml:4:44: error: services[0].depends_on[0]: `redis` is not a service of any app \
          of the environment (an import's `exclude_services` may have left it out): known: api, \
          db, pay, web"
        ]
    );
}

#[test]
fn an_exclusion_that_names_no_service_of_the_app_is_an_error_where_it_is_written() {
    let frontend = template(
        "frontend.yaml",
        &FRONTEND.replace(
            "exclude_services: [{name: redis}]",
            "exclude_services: [{name: redis}, {name: rediss}]",
        ),
    );
    let error = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap_err();
    let lines: Vec<String> = error.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "frontend.yaml:5:44: error: app_imports[0].exclude_services[1].name: `rediss` is not a \
          service of backend: it has api, redis, db"
        ]
    );
}

#[test]
fn a_service_and_a_job_of_one_app_may_share_a_name_and_catch_alls_stay_the_importers() {
    // Validation allows a service and a job of one name; the composition does too.
    let frontend = template(
        "frontend.yaml",
        &FRONTEND
            .replace(
                "- {name: assets, image: busybox}",
                "- {name: web, image: busybox}",
            )
            .replace("jobs.assets", "jobs.web")
            .replace(
                "{name: patch, order_from: [services.web]}",
                "{name: patch, order_from: [services.all]}",
            ),
    );
    let composed = compose_imports(&frontend, "frontend.yaml", &parts(&frontend)).unwrap();
    // `services.all` in the frontend's patch is the frontend's services, not the backend's.
    assert_eq!(
        steps(&composed, "patch"),
        [
            step("stand-ins: services.redis", &["services.redis"]),
            step("backend: services.api", &["services.api"]),
            step("services.web", &["services.web"]),
        ]
    );
}
