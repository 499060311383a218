//! Pausing schedules on the real Docker engine, with the clock's time given (a fake clock):
//! a scheduled pause and resume, a time acted on once, a pause by hand left alone by the
//! schedule's resume, a time missed while no clock ran caught up once and said so, and an
//! app's default followed, overridden and turned off by an environment.

use chrono::{DateTime, Duration, Utc};
use stagecraft_api::{
    DeployRequest, PauseScheduleInput, ScheduleChange, ScheduleSource, Stagecraft, Wait,
};
use stagecraft_engine::{DeployStatus, EnvironmentStatus, PauseSchedule, ScheduledAction, Stage};

use crate::cron::settled;
use crate::docker::{Cleanup, dockerfile, environment_with, service_dir, unique};

fn input(pause_at: Option<&str>, resume_at: Option<&str>, days: &str) -> PauseScheduleInput {
    PauseScheduleInput {
        pause_at: pause_at.map(str::to_owned),
        resume_at: resume_at.map(str::to_owned),
        days: days.to_owned(),
    }
}

/// The next time of "pause 03:00, resume 04:00, every day" after now, in UTC (the zone the
/// clock is given below, whatever the machine's).
fn next_pause() -> DateTime<Utc> {
    let schedule = PauseSchedule::parse(Some("03:00"), Some("04:00"), "daily").unwrap();
    let (action, at) = schedule.next_after(Utc::now(), &Utc).unwrap();
    if action == ScheduledAction::Pause {
        at
    } else {
        at + Duration::hours(23)
    }
}

async fn status(stagecraft: &Stagecraft, env_id: &str) -> EnvironmentStatus {
    stagecraft.environment(env_id).await.unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_pauses_and_resumes_on_schedule_and_catches_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("sch");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    service_dir(
        &repo,
        "web",
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
- name: web
  build: {{context: web}}
workflows:
- {{name: setup, order_from: [services.web]}}
- {{name: patch, order_from: [services.web]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
    );
    let (stagecraft, env_id) = environment_with(dir.path(), &repo, &app, &template).await;

    // Bad schedules are refused with the field and what to write.
    let refused = stagecraft
        .set_environment_schedule(
            &env_id,
            ScheduleChange::Set(input(Some("7pm"), None, "mon-fri")),
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("HH:MM"), "{refused}");
    let refused = stagecraft
        .set_app_schedule(&app, Some(input(Some("19:00"), None, "someday")))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("mon-fri"), "{refused}");

    // The app's default is followed, until the environment turns it off or has its own.
    let default = stagecraft
        .set_app_schedule(&app, Some(input(Some("02:00"), Some("02:30"), "daily")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(default.summary, "pause 02:00, resume 02:30, every day");
    let view = stagecraft.environment_schedule(&env_id).await.unwrap();
    assert_eq!(view.source, ScheduleSource::App);
    assert_eq!(view.schedule.as_ref(), Some(&default));
    let off = stagecraft
        .set_environment_schedule(&env_id, ScheduleChange::Off)
        .await
        .unwrap();
    assert_eq!(
        (off.source, off.schedule, off.next),
        (ScheduleSource::Off, None, None)
    );
    let own = stagecraft
        .set_environment_schedule(
            &env_id,
            ScheduleChange::Set(input(Some("03:00"), Some("04:00"), "daily")),
        )
        .await
        .unwrap();
    assert_eq!(own.source, ScheduleSource::Environment);
    assert_eq!(own.app_default.as_ref(), Some(&default));
    assert_eq!(
        own.schedule.as_ref().map(|s| s.days.len()),
        Some(7),
        "{own:#?}"
    );

    let pause_at = next_pause();
    assert!(own.next.is_some(), "{own:#?}");
    stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap();
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Deployed
    );

    // Just before the pause: nothing. Just after: the pause, once.
    let before = stagecraft
        .run_schedules_due(pause_at - Duration::seconds(30), &Utc)
        .await
        .unwrap();
    assert!(before.is_empty(), "{before:#?}");
    let paused = stagecraft
        .run_schedules_due(pause_at + Duration::seconds(30), &Utc)
        .await
        .unwrap();
    assert_eq!(paused.len(), 1, "{paused:#?}");
    assert_eq!(paused[0].deploy.stage, Stage::Pause);
    assert!(
        paused[0].deploy.reason.starts_with(
            "its pausing schedule (pause 03:00, resume 04:00, every day): the pause at 03:00"
        ),
        "{}",
        paused[0].deploy.reason
    );
    assert!(!paused[0].deploy.reason.contains("missed"));
    let again = stagecraft
        .run_schedules_due(pause_at + Duration::seconds(90), &Utc)
        .await
        .unwrap();
    assert!(again.is_empty(), "acted on once: {again:#?}");
    settled(&stagecraft, &env_id).await;
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Paused
    );

    // The resume an hour later resumes the schedule's own pause.
    let resume_at = pause_at + Duration::hours(1);
    let resumed = stagecraft
        .run_schedules_due(resume_at + Duration::seconds(30), &Utc)
        .await
        .unwrap();
    assert_eq!(resumed.len(), 1, "{resumed:#?}");
    assert_eq!(resumed[0].deploy.stage, Stage::Resume);
    settled(&stagecraft, &env_id).await;
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Deployed
    );

    // Paused by hand: the next day's times pass, and the schedule's resume leaves the user's
    // pause alone (the pause time found it paused already).
    let by_hand = stagecraft
        .submit(&env_id, DeployRequest::Pause, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(by_hand.status, DeployStatus::Succeeded);
    for at in [
        pause_at + Duration::days(1) + Duration::seconds(30),
        resume_at + Duration::days(1) + Duration::seconds(30),
    ] {
        let acted = stagecraft.run_schedules_due(at, &Utc).await.unwrap();
        assert!(acted.is_empty(), "{acted:#?}");
    }
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Paused
    );
    stagecraft
        .submit(&env_id, DeployRequest::Resume, Wait::UntilDone)
        .await
        .unwrap();

    // No clock ran for three days (closed in the middle of the day, opened just after a
    // pause time): the newest time missed is caught up, once, and its reason says so.
    let opened = pause_at + Duration::days(4) + Duration::minutes(10);
    let caught_up = stagecraft.run_schedules_due(opened, &Utc).await.unwrap();
    assert_eq!(caught_up.len(), 1, "{caught_up:#?}");
    assert_eq!(caught_up[0].deploy.stage, Stage::Pause);
    assert!(
        caught_up[0]
            .deploy
            .reason
            .contains("was missed while no clock ran; caught up now"),
        "{}",
        caught_up[0].deploy.reason
    );
    settled(&stagecraft, &env_id).await;
    assert_eq!(
        status(&stagecraft, &env_id).await,
        EnvironmentStatus::Paused
    );

    // Back to the app's default: its times act from the moment it is followed again, and a
    // torn-down environment is left alone.
    let back = stagecraft
        .set_environment_schedule(&env_id, ScheduleChange::AppDefault)
        .await
        .unwrap();
    assert_eq!(back.source, ScheduleSource::App);
    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    let after = stagecraft
        .run_schedules_due(opened + Duration::days(2), &Utc)
        .await
        .unwrap();
    assert!(after.is_empty(), "{after:#?}");
}
