//! Parameters end to end on the real Docker engine: given when the environment is created,
//! read by the template's variables and the variables file alike, in the container; a required
//! one left out and an unknown one refused; a change is a configuration change that runs setup.

use std::collections::BTreeMap;

use stagecraft_api::{CreateEnvironment, DeployRequest, Error, Wait};
use stagecraft_engine::{DeployStatus, Stage};

use crate::docker::{
    Cleanup, container_of, docker, dockerfile, environment_of, open_docker, refusal, service_dir,
    unique,
};

/// The value of `key` in the running container of `service`.
fn env_in(env_id: &str, service: &str, key: &str) -> String {
    let container = container_of(env_id, service);
    let env = docker(&["inspect", "--format", "{{json .Config.Env}}", &container]);
    let vars: Vec<String> = serde_json::from_str(&env).unwrap();
    vars.iter()
        .find_map(|v| v.strip_prefix(&format!("{key}=")).map(str::to_owned))
        .unwrap_or_else(|| panic!("{key} is not among {vars:?}"))
}

fn with(app: &str, parameters: &[(&str, &str)]) -> CreateEnvironment {
    CreateEnvironment {
        dataset: None,
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..environment_of(app)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_reach_the_container_and_a_change_runs_setup() {
    let dir = tempfile::tempdir().unwrap();
    let app = unique("prm");
    let _cleanup = Cleanup(app.clone());
    let repo = dir.path().join(&app);
    service_dir(
        &repo,
        "api",
        &dockerfile(
            &[],
            r#"["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]"#,
        ),
        &[],
    );
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}]
parameters:
- {{name: llm, type: string, description: the model, default: llama2}}
- {{name: region, type: string, description: where it runs}}
services:
- name: api
  build: {{context: api}}
  envs:
  - {{key: MODEL, value: 'model=${{parameters.llm}}'}}
workflows:
- {{name: setup, order_from: [services.api]}}
- {{name: patch, order_from: [services.api]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults:\n- {key: REGION, value: 'in ${parameters.region}'}\n",
    )
    .unwrap();
    let stagecraft = open_docker(dir.path()).await;
    stagecraft.add_app(&repo).await.unwrap();

    // A required one left out, and one the template lacks, are refused, naming them.
    let missing = stagecraft
        .create_environment(with(&app, &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::InvalidRequest { field: "parameters", message }
            if message.contains("region has no default")),
        "{missing}"
    );
    let unknown = stagecraft
        .create_environment(with(&app, &[("region", "eu"), ("lm", "x")]))
        .await
        .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("the template has no parameter lm: it declares llm, region"),
        "{unknown}"
    );

    let env_id = stagecraft
        .create_environment(with(&app, &[("region", "eu-west")]))
        .await
        .unwrap()
        .env_id;
    let setup = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(setup.status, DeployStatus::Succeeded);
    // The default, through the template's variables; the value given, through the file's.
    assert_eq!(env_in(&env_id, "api", "MODEL"), "model=llama2");
    assert_eq!(env_in(&env_id, "api", "REGION"), "in eu-west");
    let shown = stagecraft.parameters(&env_id).await.unwrap();
    assert_eq!(
        shown
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_deref(), p.given.is_some()))
            .collect::<Vec<_>>(),
        [
            ("llm", Some("llama2"), false),
            ("region", Some("eu-west"), true)
        ]
    );

    // A change is a configuration change: the next deploy is a setup, with the new value.
    let unchanged = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(unchanged.stage, Stage::Patch);
    stagecraft
        .set_parameters(
            &env_id,
            BTreeMap::from([("llm".to_owned(), "gpt-4".to_owned())]),
            Vec::new(),
        )
        .await
        .unwrap();
    let version = stagecraft.environment(&env_id).await.unwrap().version;
    // Taking a required one back is refused, and giving the value it has changes nothing:
    // no new version either way.
    let refused = stagecraft
        .set_parameters(&env_id, BTreeMap::new(), vec!["region".to_owned()])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("region"), "{refused}");
    stagecraft
        .set_parameters(
            &env_id,
            BTreeMap::from([("llm".to_owned(), "gpt-4".to_owned())]),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        stagecraft.environment(&env_id).await.unwrap().version,
        version
    );
    let changed = stagecraft
        .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(
        (changed.stage, changed.status),
        (Stage::Setup, DeployStatus::Succeeded)
    );
    assert_eq!(env_in(&env_id, "api", "MODEL"), "model=gpt-4");

    // The template gains a required parameter (GitOps brings it at the next deploy): that
    // deploy is refused, naming it and how to set it; the environment can still go.
    let text = std::fs::read_to_string(repo.join(".release/application_template.yaml")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        text.replace("parameters:\n", "parameters:\n- {name: tier}\n"),
    )
    .unwrap();
    let said = refusal(
        &stagecraft,
        stagecraft
            .submit(&env_id, DeployRequest::DEPLOY, Wait::UntilDone)
            .await,
    )
    .await;
    assert!(
        said.contains("tier has no default") && said.contains("params-set"),
        "{said}"
    );

    let teardown = stagecraft
        .submit(&env_id, DeployRequest::Teardown, Wait::UntilDone)
        .await
        .unwrap()
        .deploy;
    assert_eq!(teardown.status, DeployStatus::Succeeded);
}
