//! A deploy's events as progress lines: the words the command and the window both show.

use pretty_assertions::assert_eq;
use stagecraft_engine::{DeployEvent, DeployOutcome, Stage, TaskOutcome};

#[test]
fn events_read_as_the_lines_of_a_deploys_progress() {
    let lines: Vec<Option<String>> = [
        DeployEvent::StageStarted {
            stage: Stage::Setup,
            reason: "first setup".into(),
        },
        DeployEvent::StageStarted {
            stage: Stage::Patch,
            reason: "patch: the configuration is unchanged".into(),
        },
        DeployEvent::TaskFinished {
            step: 0,
            task: "jobs.migrate".into(),
            outcome: TaskOutcome::Failed {
                error: "exited with code 3".into(),
                halts: false,
                kind: None,
            },
        },
        DeployEvent::TaskRetrying {
            step: 0,
            task: "services.web".into(),
            attempt: 1,
            of: 3,
            error: "the engine closed the connection".into(),
            retry_in_ms: 1000,
        },
        DeployEvent::ServiceBuilt {
            service: "web".into(),
            image_id: "sha256:1".into(),
            size_bytes: 12_500_000,
            cache_hits: 4,
        },
        DeployEvent::StageFinished {
            stage: Stage::Setup,
            outcome: DeployOutcome::Succeeded {
                failed_tasks: 2,
                unready: vec![],
            },
        },
        DeployEvent::TaskStarted {
            step: 0,
            task: "services.web".into(),
            limit_secs: Some(600),
        },
    ]
    .iter()
    .map(DeployEvent::progress_line)
    .collect();

    assert_eq!(
        lines,
        [
            Some("setup: first setup".to_owned()),
            Some("patch: the configuration is unchanged".to_owned()),
            Some("    jobs.migrate: failed: exited with code 3".to_owned()),
            Some(
                "    services.web: attempt 1 of 3 failed: the engine closed the connection; \
                 trying again"
                    .to_owned()
            ),
            Some("  built web: 12 MB, 4 steps from cache".to_owned()),
            Some("setup: succeeded with 2 failed tasks".to_owned()),
            None,
        ]
    );
}

#[test]
fn an_event_reads_back_as_it_was_written() {
    let event = DeployEvent::StageFinished {
        stage: Stage::Teardown,
        outcome: DeployOutcome::Interrupted {
            reason: "Stagecraft stopped".into(),
        },
    };
    let json = serde_json::to_string(&event).unwrap();

    assert_eq!(
        json,
        r#"{"type":"stage_finished","stage":"teardown","outcome":{"outcome":"interrupted","reason":"Stagecraft stopped"}}"#
    );
    assert_eq!(serde_json::from_str::<DeployEvent>(&json).unwrap(), event);
    assert!(event.ends_deploy());
}

#[test]
fn a_task_start_kept_before_limits_were_told_still_reads() {
    let old: DeployEvent =
        serde_json::from_str(r#"{"type":"task_started","step":1,"task":"jobs.migrate"}"#).unwrap();
    assert_eq!(
        old,
        DeployEvent::TaskStarted {
            step: 1,
            task: "jobs.migrate".into(),
            limit_secs: None,
        }
    );
}
