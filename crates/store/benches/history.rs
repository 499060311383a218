//! The history at scale: one environment with 1,000 deploys and 1,000,000 events in a real
//! SQLite file. Prints the ingest rate (events stored with the steps and tasks they update),
//! and the timeline and replay query times (median of 21).
//!
//! `cargo bench -p stagecraft-store --bench history`

// A bench binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use stagecraft_engine::{DeployEvent, EnvironmentKind, Stage, StepOutcome, TaskOutcome};
use stagecraft_store::app::NewApp;
use stagecraft_store::environment::NewEnvironment;
use stagecraft_store::{Store, app, deploy, environment, timeline};

const DEPLOYS: usize = 1_000;
const EVENTS_PER_DEPLOY: usize = 1_000;
const STEPS: usize = 10;
const TASKS_PER_STEP: usize = 5;
/// What the api's writer hands over at once when a deploy is busy.
const BATCH: usize = 250;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("stagecraft.db")).await?;
    let pool = store.pool();
    let app_id = app::create(
        pool,
        &NewApp {
            name: "bench",
            repo_path: "/src/bench",
            tracking_branch: "main",
            auto_deploy: false,
            gitops: false,
        },
        "t.yaml",
        "app: bench\n",
        None,
        "defaults: []\n",
    )
    .await?;
    let environment_id = environment::create(
        pool,
        &NewEnvironment {
            env_id: "bench01",
            app_id,
            branch: "main",
            kind: EnvironmentKind::Permanent,
            environment_template: "permanent",
            default_version: 1,
            runtime: "docker",
            expires_in_secs: None,
        },
        "app: bench\n",
        "envs: []\n",
        "{}",
    )
    .await?;
    // A deploy of 10 steps of 5 tasks, each task waiting 17 times before it finishes, padded
    // with waits to 1,000 events: what the runner sends, typed, so the steps and tasks of the
    // timeline are kept up to date as the events are stored.
    let mut one_deploy = Vec::with_capacity(EVENTS_PER_DEPLOY);
    for step in 0..STEPS {
        let tasks: Vec<String> = (0..TASKS_PER_STEP)
            .map(|t| format!("services.service-{step}-{t}"))
            .collect();
        one_deploy.push(DeployEvent::StepStarted {
            step,
            name: format!("services-{step}"),
            tasks: tasks.clone(),
            wait_for_finish: true,
        });
        for task in &tasks {
            one_deploy.push(DeployEvent::TaskStarted {
                step,
                task: task.clone(),
                limit_secs: Some(600),
            });
            for attempt in 1..=17 {
                one_deploy.push(DeployEvent::TaskWaiting {
                    step,
                    task: task.clone(),
                    reason: format!("waiting for readiness: http :8080/health, attempt {attempt}"),
                });
            }
            one_deploy.push(DeployEvent::TaskFinished {
                step,
                task: task.clone(),
                outcome: TaskOutcome::Succeeded,
            });
        }
        one_deploy.push(DeployEvent::StepFinished {
            step,
            outcome: StepOutcome::Succeeded,
        });
    }
    while one_deploy.len() < EVENTS_PER_DEPLOY {
        one_deploy.push(DeployEvent::TaskWaiting {
            step: STEPS - 1,
            task: format!("services.service-{}-{}", STEPS - 1, TASKS_PER_STEP - 1),
            reason: "waiting for readiness: http :8080/health".into(),
        });
    }

    let started = Instant::now();
    let mut deploy_ids = Vec::with_capacity(DEPLOYS);
    for i in 0..DEPLOYS {
        let stage = if i == 0 { Stage::Setup } else { Stage::Patch };
        let id = deploy::insert(pool, environment_id, stage, "bench", Some(1)).await?;
        for batch in one_deploy.chunks(BATCH) {
            deploy::record_events(pool, id, batch).await?;
        }
        deploy_ids.push(id);
    }
    let ingest = started.elapsed();
    let events = DEPLOYS * EVENTS_PER_DEPLOY;
    println!(
        "ingest: {events} events in {} deploys in {:.2} s: {:.0} events/s (batches of {BATCH})",
        DEPLOYS,
        ingest.as_secs_f64(),
        events as f64 / ingest.as_secs_f64()
    );

    let mut timeline = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let deploys = deploy::for_environment(pool, environment_id).await?;
        timeline.push(started.elapsed());
        assert_eq!(deploys.len(), DEPLOYS);
    }
    println!(
        "timeline (the lanes: {DEPLOYS} deploys): median {:?}",
        median(timeline)
    );

    let mut detail = Vec::new();
    let opened = deploy_ids[DEPLOYS / 2];
    for _ in 0..21 {
        let started = Instant::now();
        let steps = timeline::steps(pool, opened).await?;
        let tasks = timeline::tasks(pool, opened).await?;
        detail.push(started.elapsed());
        assert_eq!((steps.len(), tasks.len()), (STEPS, STEPS * TASKS_PER_STEP));
    }
    println!(
        "a deploy opened ({STEPS} steps, {} tasks): median {:?}",
        STEPS * TASKS_PER_STEP,
        median(detail)
    );

    let mut replay = Vec::new();
    let last = deploy_ids[DEPLOYS / 2];
    for _ in 0..21 {
        let started = Instant::now();
        let events = deploy::events_after(pool, last, 0).await?;
        replay.push(started.elapsed());
        assert_eq!(events.len(), EVENTS_PER_DEPLOY);
    }
    println!(
        "replay (one deploy's {EVENTS_PER_DEPLOY} events from seq 0): median {:?}",
        median(replay)
    );

    let size = std::fs::metadata(dir.path().join("stagecraft.db"))?.len()
        + std::fs::metadata(dir.path().join("stagecraft.db-wal")).map_or(0, |m| m.len());
    println!("database: {:.0} MiB", size as f64 / (1024.0 * 1024.0));
    store.close().await;
    Ok(())
}
