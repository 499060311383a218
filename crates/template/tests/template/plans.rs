//! Plans of real templates, checked against what their workflows say, and the catch-all rules.

use stagecraft_template::{Task, load_template, plan_workflow};

use crate::fixtures::fixtures;

fn plan_text(fixture: &str, workflow: &str) -> String {
    let (_, text) = fixtures().into_iter().find(|(n, _)| n == fixture).unwrap();
    let template = load_template(fixture, &text).value.unwrap();
    plan_workflow(&template, workflow).unwrap().to_string()
}

#[test]
fn order_from_makes_one_step_per_task_and_expands_services_all_in_template_order() {
    assert_eq!(
        plan_text(
            "releasehub-samples__mssql-stored-procedures-automated-testing-with-releasehub__.release__application_template.yaml",
            "setup"
        ),
        "setup:\n  1. services.sql-runner: services.sql-runner\n  2. services.database: services.database\n  3. jobs.run-sql-tests: jobs.run-sql-tests\n"
    );
}

#[test]
fn parallel_steps_keep_their_flags() {
    assert_eq!(
        plan_text(
            "awesome-release__genai-stack__.release__application_template.yaml",
            "setup"
        ),
        "setup:\n  1. services-parallel [no wait]: services.front-end\n  2. services-0: services.database, services.ollama\n  3. services-1: jobs.pull-model\n  4. services-2: services.api, services.bot, services.loader, services.pdf-bot\n"
    );
    assert_eq!(
        plan_text(
            "awesome-release__AI-Examples__.release__fine_tune_application_template.yaml",
            "setup"
        ),
        "setup:\n  1. fine-tune [halt_on_error]: jobs.peft-tuning\n  2. triton-export [halt_on_error]: jobs.triton-export\n"
    );
}

#[test]
fn the_27_service_opentelemetry_demo_sets_up_in_seven_levels() {
    let plan = plan_text(
        "awesome-release__opentelemetry-demo__.release__application_template.yaml",
        "setup",
    );
    let steps: Vec<&str> = plan
        .lines()
        .skip(1)
        .map(|l| l.split(':').next().unwrap().trim())
        .collect();
    assert_eq!(
        steps,
        [
            "1. services-0",
            "2. services-1",
            "3. services-2",
            "4. services-3",
            "5. services-4",
            "6. services-5",
            "7. services-6"
        ]
    );
    assert!(
        plan.contains("  7. services-6: services.frontendproxy\n"),
        "{plan}"
    );
}

#[test]
fn teardown_runs_its_jobs_before_removing_the_environment() {
    assert_eq!(
        plan_text(
            "awesome-release__cloudformation_dynamodb__.release__application_template.yaml",
            "teardown"
        ),
        "teardown:\n  1. remove-db: jobs.cf-template-destroy\n  2. remove-environment: release.remove_environment\n"
    );
}

#[test]
fn catch_alls_leave_out_what_the_workflow_names_anywhere() {
    let text = "environment_templates: [{name: ephemeral}]
services:
- {name: db, image: postgres}
- {name: api, image: api}
- {name: web, image: web}
jobs:
- {name: migrate, from_services: api}
- {name: seed, from_services: api}
workflows:
- name: setup
  parallelize:
  - step: data
    tasks: [services.db, jobs.migrate]
  - step: rest
    tasks: [services.all, jobs.all]
    halt_on_error: true
  - step: last
    tasks: [services.web]
";
    let template = load_template("app.yaml", text).value.unwrap();
    let plan = plan_workflow(&template, "setup").unwrap();
    assert_eq!(
        plan.steps[1].tasks,
        [Task::Service("api".into()), Task::Job("seed".into())]
    );
    assert!(plan.steps[1].halt_on_error);
    assert!(plan.steps[1].wait_for_finish);
    assert_eq!(plan.steps[2].tasks, [Task::Service("web".into())]);
    assert!(plan_workflow(&template, "patch").is_none());
}
