//! Custom workflows on the real Docker engine: listed from the configuration, refused before
//! the environment was set up or by a name it does not have, and run by name as a deploy of
//! their own, with the images the environment runs and nothing built.

use stagecraft_api::{DeployRequest, Error, Wait};
use stagecraft_engine::{DeployStatus, EnvironmentStatus, Stage};

use crate::docker::{Scenario, event_types, labelled, scenario};

const WORKFLOWS: &str = "- name: setup
  order_from: [services.data, jobs.migrate]
- name: patch
  order_from: [services.data]
- name: reindex
  parallelize:
  - {step: read, tasks: [jobs.seed]}
  - {step: again, tasks: [jobs.later]}
- name: teardown
  order_from: [release.remove_environment]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_workflow_runs_by_name_with_the_images_the_environment_runs() {
    let scenario = scenario("wfl", WORKFLOWS).await;
    let Scenario {
        stagecraft,
        env_id,
        app,
        ..
    } = &scenario;

    let listed = stagecraft.workflows(env_id).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0].name, "reindex");
    let steps: Vec<(&str, Vec<&str>)> = listed[0]
        .steps
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.tasks.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [("read", vec!["jobs.seed"]), ("again", vec!["jobs.later"])]
    );

    let run = |name: &str| DeployRequest::Workflow { name: name.into() };
    // Never set up: nothing to run with.
    let early = stagecraft
        .submit(env_id, run("reindex"), Wait::UntilDone)
        .await
        .unwrap_err();
    assert!(
        matches!(&early, Error::Conflict { message } if message.contains("never set up")),
        "{early:?}"
    );

    let setup = stagecraft
        .submit(env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
    let built = setup.build_id.expect("the setup built the images");

    // A name the configuration does not have, and a stage's own workflow, are refused, saying
    // which custom workflows there are.
    let unknown = stagecraft
        .submit(env_id, run("reindx"), Wait::UntilDone)
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no workflow `reindx`")
            && unknown
                .to_string()
                .contains("its custom workflows: reindex"),
        "{unknown}"
    );
    let stage_own = stagecraft
        .submit(env_id, run("setup"), Wait::UntilDone)
        .await
        .unwrap_err();
    assert!(
        stage_own.to_string().contains("stage's workflow"),
        "{stage_own}"
    );

    let builds_before = stagecraft.builds(app).await.unwrap().len();
    let ran = stagecraft
        .submit(env_id, run("reindex"), Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    let events = event_types(stagecraft, ran.id).await;
    assert_eq!(
        (ran.stage, ran.status, ran.target.as_deref(), ran.label()),
        (
            Stage::Workflow,
            DeployStatus::Succeeded,
            Some("reindex"),
            "reindex"
        ),
        "{events:#?}"
    );
    assert_eq!(ran.build_id, Some(built), "the images the environment runs");
    assert!(!ran.rollback);
    assert!(
        events.last().unwrap().contains("\"failed_tasks\":0"),
        "{events:#?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e.contains("service_build") || e.contains("infrastructure_prepared")),
        "nothing built, nothing prepared: {events:#?}"
    );
    assert_eq!(
        stagecraft.builds(app).await.unwrap().len(),
        builds_before,
        "no build was made"
    );
    // `seed` read what the setup's `migrate` wrote: the same volume, the same images.
    let seed = stagecraft
        .logs(&format!("{env_id}/{}/jobs.seed", ran.id), 0, 10)
        .await
        .unwrap();
    let lines: Vec<&str> = seed.lines.iter().map(|l| l.line.as_str()).collect();
    assert_eq!(lines, ["schema-1", "seeded"]);
    assert_eq!(
        stagecraft.environment(env_id).await.unwrap().status,
        EnvironmentStatus::Deployed
    );
    // The next Deploy is still a patch: a workflow is not a setup.
    let next = stagecraft
        .submit(env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (next.stage, next.status),
        (Stage::Patch, DeployStatus::Succeeded)
    );

    let teardown = stagecraft
        .submit(env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
    assert_eq!(labelled(env_id), Vec::<String>::new());
}
