//! Cron jobs on the real Docker engine, with the clock's time given: a run queued when its
//! schedule comes due, never two runs of one cron job at once, runs missed while no clock ran
//! run once (and said so), a run by hand, each run kept as a job's with its log, and the
//! environment's status left as it is.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use stagecraft_api::{DeployRequest, Stagecraft, Wait};
use stagecraft_engine::{Deploy, DeployStatus, EnvironmentStatus, Stage};

use crate::docker::{
    Cleanup, dockerfile, environment_with, event_types, labelled, service_dir, unique,
};

/// Waits until none of the environment's deploys waits or runs; gives them all.
pub(crate) async fn settled(stagecraft: &Stagecraft, env_id: &str) -> Vec<Deploy> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let deploys = stagecraft.deploys(env_id).await.unwrap();
        if !deploys
            .iter()
            .any(|d| matches!(d.status, DeployStatus::Queued | DeployStatus::Running))
        {
            return deploys;
        }
        assert!(
            Instant::now() < deadline,
            "deploys never settled: {deploys:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_runs_a_cron_job_when_due_one_run_at_a_time_and_catches_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("crn");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    service_dir(
        &repo,
        "data",
        &dockerfile(
            &[],
            r#"["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]"#,
        ),
        &[],
    );
    let template = format!(
        "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: data
  build: {{context: data}}
  volumes: [{{name: files, type: persistent, mount_path: /data}}]
cron_jobs:
- name: tick
  schedule: '* * * * *'
  from_services: data
  command: [sh, -c, 'echo start >> /data/ticks; sleep 2; echo done; echo end >> /data/ticks']
workflows:
- {{name: setup, order_from: [services.data]}}
- {{name: patch, order_from: [services.data]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    );
    let (stagecraft, env_id) = environment_with(dir.path(), &repo, &app, &template).await;

    // Nothing runs before the environment is set up.
    let far = Utc::now() + chrono::Duration::days(1);
    assert!(stagecraft.run_cron_due(far).await.unwrap().is_empty());
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
    let set_up = at(setup.finished_at.as_deref().unwrap());

    // Not due yet at the moment of the setup; due once the next minute has come.
    assert!(stagecraft.run_cron_due(set_up).await.unwrap().is_empty());
    let first = stagecraft
        .run_cron_due(set_up + chrono::Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0].deploy.stage, Stage::Cron);
    assert!(
        first[0]
            .deploy
            .reason
            .contains("cron job `tick` (* * * * *): due at"),
        "{}",
        first[0].deploy.reason
    );
    // Asked again and again while it runs: never a second run beside it.
    let later = set_up + chrono::Duration::seconds(125);
    for _ in 0..3 {
        stagecraft.run_cron_due(later).await.unwrap();
    }
    let deploys = settled(&stagecraft, &env_id).await;
    let runs: Vec<&Deploy> = deploys.iter().filter(|d| d.stage == Stage::Cron).collect();
    assert!(runs.len() >= 2 && runs.len() <= 4, "{runs:#?}");
    for run in &runs {
        assert_eq!(
            (run.status, run.target.as_deref()),
            (DeployStatus::Succeeded, Some("tick")),
            "{run:#?}"
        );
    }
    for pair in runs.windows(2) {
        assert!(
            pair[0].finished_at.as_deref().unwrap() <= pair[1].started_at.as_deref().unwrap(),
            "two runs overlapped: {pair:#?}"
        );
    }
    // Each run is a job's: its log, its exit code, the service's volume and image.
    let log = stagecraft
        .logs(&format!("{env_id}/{}/jobs.tick", runs[0].id), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        log.lines
            .iter()
            .map(|l| l.line.as_str())
            .collect::<Vec<_>>(),
        ["done"]
    );
    let events = event_types(&stagecraft, runs[0].id).await;
    assert!(
        events
            .iter()
            .any(|e| e.contains("task_finished") && e.contains("\"outcome\":\"succeeded\"")),
        "{events:#?}"
    );
    // The environment stayed deployed throughout: a cron run is not a deploy of it.
    assert_eq!(
        stagecraft.environment(&env_id).await.unwrap().status,
        EnvironmentStatus::Deployed
    );

    // A day without a clock: one run, saying how many were missed.
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    let caught_up = stagecraft.run_cron_due(tomorrow).await.unwrap();
    assert_eq!(caught_up.len(), 1);
    assert!(
        caught_up[0]
            .deploy
            .reason
            .contains("runs came due since its last"),
        "{}",
        caught_up[0].deploy.reason
    );
    settled(&stagecraft, &env_id).await;

    // Run by hand, and listed with its last and next runs.
    let by_hand = stagecraft
        .submit(
            &env_id,
            DeployRequest::Cron {
                name: "tick".into(),
                reason: None,
            },
            Wait::UntilDone,
        )
        .await
        .unwrap()
        .deploy;
    assert_eq!(by_hand.status, DeployStatus::Succeeded);
    assert_eq!(by_hand.reason, "cron job `tick` run by hand");
    // A run by hand moves nothing of the schedule: the time already run is not run again.
    let again = stagecraft.run_cron_due(tomorrow).await.unwrap();
    assert!(again.is_empty(), "{again:#?}");
    let listed = stagecraft.cron_jobs(&env_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].schedule, "* * * * *");
    assert!(listed[0].next_run.is_some());
    assert_eq!(listed[0].last_run.as_ref().unwrap().id, by_hand.id);
    let unknown = stagecraft
        .submit(
            &env_id,
            DeployRequest::Cron {
                name: "tock".into(),
                reason: None,
            },
            Wait::UntilDone,
        )
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("its cron jobs: tick"),
        "{unknown}"
    );

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(labelled(&env_id), Vec::<String>::new());
    // Nothing runs on a torn-down environment.
    assert!(stagecraft.run_cron_due(tomorrow).await.unwrap().is_empty());
}
