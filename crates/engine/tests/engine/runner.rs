use std::sync::Arc;
use std::time::Duration;

use pretty_assertions::assert_eq;
use stagecraft_engine::{
    DeployEvent, DeployOutcome, EnvironmentRef, JobSpec, Runner, RuntimeErrorKind, ServiceSpec,
    Stage, Timeouts, Workloads,
};
use stagecraft_template::{WorkflowPlan, load_template, plan_workflow};
use tokio_util::sync::CancellationToken;

use crate::fake::{Behaviour, Fake, lines, ok};

fn env() -> EnvironmentRef {
    EnvironmentRef {
        env_id: "ted1bc4".into(),
        image_registry: None,
        share_registry_login: false,
        app: "shop".into(),
        ledger: Arc::new(stagecraft_engine::MemoryLedger::default()),
    }
}

fn plan(workflows: &str, workflow: &str) -> WorkflowPlan {
    let text = format!(
        "environment_templates: [{{name: ephemeral}}]
services:
- {{name: db, image: postgres}}
- {{name: api, image: shop/api}}
- {{name: web, image: shop/web}}
jobs:
- {{name: migrate, from_services: api}}
- {{name: seed, from_services: api}}
workflows:
{workflows}"
    );
    let parsed = load_template("shop.yaml", &text);
    assert!(!parsed.diagnostics.has_errors(), "{}", parsed.diagnostics);
    plan_workflow(&parsed.value.unwrap(), workflow).unwrap()
}

fn workloads(job_timeout_secs: u64) -> Arc<Workloads> {
    let service = |name: &str| ServiceSpec {
        name: name.to_owned(),
        image: format!("shop/{name}"),
        command: Vec::new(),
        args: Vec::new(),
        env: Vec::new(),
        ports: Vec::new(),
        replicas: 1,
        readiness: None,
        ..ServiceSpec::default()
    };
    let job = |name: &str| JobSpec {
        name: name.to_owned(),
        image: "shop/api".to_owned(),
        command: vec![format!("./{name}")],
        args: Vec::new(),
        env: Vec::new(),
        completed_timeout: Duration::from_secs(job_timeout_secs),
        ..JobSpec::default()
    };
    Arc::new(Workloads {
        services: ["db", "api", "web"]
            .iter()
            .map(|n| ((*n).to_owned(), service(n)))
            .collect(),
        jobs: ["migrate", "seed"]
            .iter()
            .map(|n| ((*n).to_owned(), job(n)))
            .collect(),
        cron_jobs: std::collections::HashMap::new(),
        ..Default::default()
    })
}

struct Run {
    outcome: DeployOutcome,
    events: Vec<DeployEvent>,
}

async fn run(
    fake: &Arc<Fake>,
    stage: Stage,
    plan: &WorkflowPlan,
    cancel: &CancellationToken,
) -> Run {
    run_with(fake, stage, plan, cancel, Timeouts::default(), 1200).await
}

async fn run_with(
    fake: &Arc<Fake>,
    stage: Stage,
    plan: &WorkflowPlan,
    cancel: &CancellationToken,
    timeouts: Timeouts,
    job_timeout_secs: u64,
) -> Run {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(Arc::clone(fake) as _, Arc::new(sender)).with_timeouts(timeouts);
    let outcome = runner
        .run(
            &env(),
            stage,
            "first setup",
            plan,
            workloads(job_timeout_secs),
            cancel,
        )
        .await;
    drop(runner);
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    Run { outcome, events }
}

const SETUP: &str = "- name: setup
  parallelize:
  - step: data
    tasks: [services.db]
  - step: migrate
    tasks: [jobs.migrate]
  - step: apps
    tasks: [services.api, services.web]
";

#[tokio::test(start_paused = true)]
async fn setup_prepares_then_runs_steps_in_order_and_the_tasks_of_a_step_together() {
    let fake = Fake::with(&[("api", ok(3)), ("web", ok(1))]);

    let started = tokio::time::Instant::now();
    let run = run(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(
        lines(&run.events),
        [
            "stage_started setup",
            "infrastructure_prepared",
            "step_started 0 data",
            "task_started 0 services.db",
            "task_finished 0 services.db succeeded",
            "step_finished 0 Succeeded",
            "step_started 1 migrate",
            "task_started 1 jobs.migrate",
            "task_finished 1 jobs.migrate succeeded",
            "step_finished 1 Succeeded",
            "step_started 2 apps",
            "task_started 2 services.api",
            "task_started 2 services.web",
            "task_finished 2 services.web succeeded",
            "task_finished 2 services.api succeeded",
            "step_finished 2 Succeeded",
            "stage_finished setup Succeeded { failed_tasks: 0, unready: [] }",
        ]
    );
    assert_eq!(
        fake.calls(),
        [
            "prepare ted1bc4",
            "deploy db",
            "run migrate",
            "deploy api",
            "deploy web"
        ]
    );
    // db 1 s + migrate 1 s + the slower of api (3 s) and web (1 s): the step ran together.
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_failed_task_is_recorded_and_the_stage_goes_on() {
    let fake = Fake::with(&[(
        "migrate",
        Behaviour::Exit {
            after: Duration::from_secs(1),
            code: 3,
        },
    )]);

    let run = run(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 1,
            unready: vec![]
        }
    );
    let lines = lines(&run.events);
    assert!(
        lines.contains(&"task_finished 1 jobs.migrate failed (exited with code 3)".to_owned()),
        "{lines:#?}"
    );
    assert!(lines.contains(&"step_finished 1 SucceededWithFailures".to_owned()));
    assert!(
        lines.contains(&"step_finished 2 Succeeded".to_owned()),
        "later steps still run"
    );
}

#[tokio::test(start_paused = true)]
async fn halt_on_error_stops_the_stage_and_fails_the_deploy() {
    let fake = Fake::with(&[(
        "migrate",
        Behaviour::Fail {
            after: Duration::from_secs(2),
            message: "relation users already exists",
        },
    )]);
    let workflows = SETUP.replace(
        "tasks: [jobs.migrate]",
        "tasks: [jobs.migrate]\n    halt_on_error: true",
    );

    let run = run(
        &fake,
        Stage::Setup,
        &plan(&workflows, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Failed {
            reason: "a task of step `migrate` failed, and the step halts on error: \
                     jobs.migrate: relation users already exists"
                .into(),
            // The runtime's kind of failure survives the stage: the window says what to do.
            kind: Some(RuntimeErrorKind::Failed),
        }
    );
    assert_eq!(
        lines(&run.events)[7..],
        [
            "task_started 1 jobs.migrate",
            "task_finished 1 jobs.migrate failed+halts (relation users already exists)",
            "step_finished 1 Halted",
            "stage_finished setup Failed { reason: \"a task of step `migrate` failed, and the step halts on error: jobs.migrate: relation users already exists\", kind: Some(Failed) }",
        ]
    );
    assert!(
        !fake.calls().contains(&"deploy api".to_owned()),
        "the next step never starts"
    );
}

#[tokio::test(start_paused = true)]
async fn a_step_that_does_not_wait_runs_beside_the_next_and_is_awaited_at_the_end() {
    let fake = Fake::with(&[("web", ok(10)), ("api", ok(2))]);
    let workflows = "- name: setup
  parallelize:
  - step: frontend
    tasks: [services.web]
    wait_for_finish: false
  - step: backend
    tasks: [services.api]
";

    let started = tokio::time::Instant::now();
    let run = run(
        &fake,
        Stage::Setup,
        &plan(workflows, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(
        lines(&run.events),
        [
            "stage_started setup",
            "infrastructure_prepared",
            "step_started 0 frontend",
            "step_started 1 backend",
            "task_started 1 services.api",
            "task_started 0 services.web",
            "task_finished 1 services.api succeeded",
            "step_finished 1 Succeeded",
            "steps_awaited [0]",
            "task_finished 0 services.web succeeded",
            "step_finished 0 Succeeded",
            "stage_finished setup Succeeded { failed_tasks: 0, unready: [] }",
        ]
    );
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(10),
        "web's 10 s covered api's 2 s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_that_runs_past_its_completed_timeout_times_out_and_is_stopped() {
    let fake = Fake::with(&[("migrate", Behaviour::Hang)]);

    let started = tokio::time::Instant::now();
    let run = run_with(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
        Timeouts::default(),
        1200,
    )
    .await;

    assert!(
        lines(&run.events)
            .contains(&"task_finished 1 jobs.migrate timed_out after 1200s".to_owned()),
        "{:#?}",
        lines(&run.events)
    );
    assert!(fake.calls().contains(&"stop migrate".to_owned()));
    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 1,
            unready: vec![]
        }
    );
    assert_eq!(started.elapsed(), Duration::from_secs(1 + 1200 + 1));
}

#[tokio::test(start_paused = true)]
async fn a_service_that_never_becomes_ready_times_out_with_its_wait_reasons_shown() {
    let fake = Fake::with(&[(
        "db",
        Behaviour::Succeed {
            after: Duration::from_secs(3600),
            waits: vec![
                "waiting for readiness: exec pg_isready, attempt 1",
                "waiting for readiness: exec pg_isready, attempt 2",
            ],
        },
    )]);
    let timeouts = Timeouts {
        readiness: Duration::from_secs(600),
    };

    let run = run_with(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
        timeouts,
        1200,
    )
    .await;

    assert_eq!(
        lines(&run.events)[3..7],
        [
            "task_started 0 services.db",
            "task_waiting 0 services.db: waiting for readiness: exec pg_isready, attempt 1",
            "task_waiting 0 services.db: waiting for readiness: exec pg_isready, attempt 2",
            "task_finished 0 services.db timed_out after 600s",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_running_tasks_and_starts_no_more() {
    let fake = Fake::with(&[("migrate", Behaviour::Hang)]);
    let cancel = CancellationToken::new();
    let cancel_later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        cancel_later.cancel();
    });

    let run = run(&fake, Stage::Setup, &plan(SETUP, "setup"), &cancel).await;

    assert_eq!(run.outcome, DeployOutcome::Cancelled);
    assert_eq!(
        lines(&run.events)[7..],
        [
            "task_started 1 jobs.migrate",
            "task_finished 1 jobs.migrate cancelled",
            "step_finished 1 Cancelled",
            "stage_finished setup Cancelled",
        ]
    );
    assert_eq!(
        fake.calls(),
        [
            "prepare ted1bc4",
            "deploy db",
            "run migrate",
            "stop migrate"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn setup_fails_at_once_when_the_infrastructure_cannot_be_prepared() {
    let fake = Arc::new(Fake {
        prepare_fails: true,
        ..Fake::default()
    });

    let run = run(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Failed {
            reason:
                "preparing the environment failed: the network stagecraft-ted1bc4 cannot be created"
                    .into(),
            kind: Some(RuntimeErrorKind::Conflict),
        }
    );
    assert_eq!(fake.calls(), ["prepare ted1bc4"]);
}

#[tokio::test(start_paused = true)]
async fn patch_prepares_nothing() {
    let fake = Fake::with(&[]);
    let workflows = format!("{SETUP}- name: patch\n  order_from: [services.api]\n");

    let run = run(
        &fake,
        Stage::Patch,
        &plan(&workflows, "patch"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(fake.calls(), ["deploy api"]);
}

#[tokio::test(start_paused = true)]
async fn teardown_runs_its_jobs_then_removes_the_environment_once() {
    let fake = Fake::with(&[]);
    let workflows =
        format!("{SETUP}- name: teardown\n  order_from: [jobs.seed, release.remove_environment]\n");

    let run = run(
        &fake,
        Stage::Teardown,
        &plan(&workflows, "teardown"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(fake.calls(), ["run seed", "remove ted1bc4"]);
    assert!(lines(&run.events).contains(&"environment_removed".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_pause_runs_no_workflow_and_stops_the_environment_once() {
    let fake = Fake::with(&[]);

    let run = run(
        &fake,
        Stage::Pause,
        &WorkflowPlan::empty("pause"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(fake.calls(), ["pause ted1bc4"]);
    assert_eq!(
        lines(&run.events),
        [
            "stage_started pause",
            "stage_finished pause Succeeded { failed_tasks: 0, unready: [] }",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_resume_wakes_the_services_in_the_setup_order_and_skips_the_jobs_saying_why() {
    let fake = Fake::with(&[("api", ok(3)), ("web", ok(1))]);

    let run = run(
        &fake,
        Stage::Resume,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    // Nothing prepared, nothing deployed, no job run: each service woken in its step's turn.
    assert_eq!(fake.calls(), ["wake db", "wake api", "wake web"]);
    assert_eq!(
        lines(&run.events),
        [
            "stage_started resume",
            "step_started 0 data",
            "task_started 0 services.db",
            "task_finished 0 services.db succeeded",
            "step_finished 0 Succeeded",
            "step_started 1 migrate",
            "task_finished 1 jobs.migrate skipped (a resume runs no jobs: they ran when the \
             environment was set up, and its volumes kept what they did)",
            "step_finished 1 Succeeded",
            "step_started 2 apps",
            "task_started 2 services.api",
            "task_started 2 services.web",
            "task_finished 2 services.web succeeded",
            "task_finished 2 services.api succeeded",
            "step_finished 2 Succeeded",
            "stage_finished resume Succeeded { failed_tasks: 0, unready: [] }",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_teardown_that_leaves_objects_of_its_ledger_fails_naming_them() {
    use stagecraft_engine::{Ledger as _, MemoryLedger, RuntimeObject};
    let fake = Fake::with(&[]);
    let ledger = Arc::new(MemoryLedger::default());
    ledger
        .record(&RuntimeObject {
            kind: "network".into(),
            name: "stagecraft-ted1bc4".into(),
        })
        .await
        .unwrap();
    // The runtime says it removed the environment, yet its network is still recorded.
    let env = EnvironmentRef {
        ledger: Arc::clone(&ledger) as _,
        ..env()
    };
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel();
    let outcome = Runner::new(Arc::clone(&fake) as _, Arc::new(sender))
        .run(
            &env,
            Stage::Teardown,
            "delete",
            &plan(
                &format!("{SETUP}- name: teardown\n  order_from: [release.remove_environment]\n"),
                "teardown",
            ),
            workloads(1200),
            &CancellationToken::new(),
        )
        .await;

    let DeployOutcome::Failed { reason, .. } = outcome else {
        panic!("a teardown that left objects is not a success: {outcome:?}");
    };
    assert_eq!(
        reason,
        "the teardown left 1 object(s) of the environment: network stagecraft-ted1bc4; tear it down again"
    );
}

#[tokio::test(start_paused = true)]
async fn teardown_removes_the_environment_even_when_its_workflow_forgot() {
    let fake = Fake::with(&[]);
    let workflows = format!("{SETUP}- name: teardown\n  order_from: [jobs.seed]\n");

    let run = run(
        &fake,
        Stage::Teardown,
        &plan(&workflows, "teardown"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(fake.calls(), ["run seed", "remove ted1bc4"]);
    assert_eq!(
        lines(&run.events)[run.events.len() - 2..],
        [
            "environment_removed",
            "stage_finished teardown Succeeded { failed_tasks: 0, unready: [] }"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn charts_and_infrastructure_are_skipped_with_the_reason() {
    let fake = Fake::with(&[]);
    let text = "environment_templates: [{name: ephemeral}]
charts: [{name: tonic, directory: charts/tonic}]
workflows:
- name: setup
  order_from: [charts.tonic]
";
    let template = load_template("t.yaml", text).value.unwrap();
    let plan = plan_workflow(&template, "setup").unwrap();

    let run = run(&fake, Stage::Setup, &plan, &CancellationToken::new()).await;

    assert!(
        lines(&run.events).contains(
            &"task_finished 0 charts.tonic skipped (Stagecraft does not run Helm charts yet)"
                .to_owned()
        )
    );
    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
}

const MIGRATE: &str = "- name: setup
  parallelize:
  - step: migrate
    tasks: [jobs.migrate]
    halt_on_error: true
";

#[tokio::test(start_paused = true)]
async fn a_transient_failure_is_tried_again_after_a_growing_wait_and_each_attempt_is_told() {
    let fake = Fake::with(&[(
        "migrate",
        Behaviour::Flaky {
            failures: 2,
            after: Duration::from_millis(100),
            then: Box::new(ok(1)),
        },
    )]);
    let started = tokio::time::Instant::now();

    let run = run(
        &fake,
        Stage::Patch,
        &plan(MIGRATE, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 0,
            unready: vec![]
        }
    );
    assert_eq!(
        lines(&run.events)[2..7],
        [
            "task_started 0 jobs.migrate",
            "task_retrying 0 jobs.migrate 1/3 in 1000 ms: the engine closed the connection (call 1)",
            "task_attempt_started 0 jobs.migrate 2",
            "task_retrying 0 jobs.migrate 2/3 in 2000 ms: the engine closed the connection (call 2)",
            "task_attempt_started 0 jobs.migrate 3",
        ]
    );
    assert_eq!(fake.calls(), ["run migrate", "run migrate", "run migrate"]);
    // 0.1 + 1 + 0.1 + 2 + 1 s: the waits doubled, the task's own time counted once each.
    assert_eq!(started.elapsed(), Duration::from_millis(4200));
}

#[tokio::test(start_paused = true)]
async fn a_task_out_of_attempts_fails_with_its_last_error_and_how_many_attempts_it_had() {
    let fake = Fake::with(&[(
        "migrate",
        Behaviour::Flaky {
            failures: 5,
            after: Duration::from_millis(100),
            then: Box::new(ok(1)),
        },
    )]);

    let run = run(
        &fake,
        Stage::Patch,
        &plan(MIGRATE, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(fake.calls().len(), 3, "three attempts in all");
    assert!(
        lines(&run.events).contains(
            &"task_finished 0 jobs.migrate failed+halts (the engine closed the connection (call 3) (attempt 3 of 3))"
                .to_owned()
        ),
        "{:#?}",
        lines(&run.events)
    );
    assert!(matches!(run.outcome, DeployOutcome::Failed { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_failure_that_is_not_transient_and_a_job_that_exits_non_zero_are_never_tried_again() {
    let fake = Fake::with(&[
        (
            "migrate",
            Behaviour::Exit {
                after: Duration::from_secs(1),
                code: 1,
            },
        ),
        (
            "db",
            Behaviour::Fail {
                after: Duration::from_secs(1),
                message: "the image shop/db does not exist",
            },
        ),
    ]);

    let run = run(
        &fake,
        Stage::Setup,
        &plan(SETUP, "setup"),
        &CancellationToken::new(),
    )
    .await;

    assert_eq!(
        run.outcome,
        DeployOutcome::Succeeded {
            failed_tasks: 2,
            unready: vec![]
        }
    );
    let calls = fake.calls();
    assert_eq!(calls.iter().filter(|c| *c == "run migrate").count(), 1);
    assert_eq!(calls.iter().filter(|c| *c == "deploy db").count(), 1);
    assert!(
        !lines(&run.events)
            .iter()
            .any(|l| l.starts_with("task_retrying")),
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_during_the_wait_between_attempts_stops_the_task() {
    let fake = Fake::with(&[(
        "migrate",
        Behaviour::Flaky {
            failures: 1,
            after: Duration::from_millis(100),
            then: Box::new(ok(1)),
        },
    )]);
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        canceller.cancel();
    });

    let run = run(&fake, Stage::Patch, &plan(MIGRATE, "setup"), &cancel).await;

    assert_eq!(run.outcome, DeployOutcome::Cancelled);
    assert_eq!(fake.calls(), ["run migrate", "stop migrate"]);
}
