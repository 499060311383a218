//! A CI script written for Release's CLI, in the shape of the Rukio/nx-repo CircleCI orb
//! (`auth login`, `environments list --account --app --output json` filtered with jq on
//! `tracking_branch` and `state`, `environments create --skip-deploy`, `config-get` / edit /
//! `config-set` with `--environment` holding an id read by `jq` without `-r`, `deploys create
//! --wait` and the URL read from `.environment.hostnames[0].url`, then `environments delete`),
//! run unchanged with `release` linked to `stagecraft` (`stagecraft release-link`), on the
//! real Docker engine: twice (created, then found and updated), then the delete job.
//! The orb's `yq -i e '.auto_deploy = false'` is done with sed here (no yq on these machines).

use std::process::Command;

use crate::docker::{Cleanup, committed_app, stagecraft, stdout};

const CREATE_OR_UPDATE: &str = r#"
set -euo pipefail
release auth login --headless --login "$RELEASE_LOGIN" --token "$RELEASE_TOKEN"
(cd "$REPO" && release gitops validate --account "$RELEASE_ACCOUNT_ID")
RH_OUTPUT_ENV_LIST=$(release environments list \
  --account "$RELEASE_ACCOUNT_ID" \
  --app "$APP_NAME" \
  --output "json")
RH_OUTPUT_ENV=$(jq -n "$RH_OUTPUT_ENV_LIST" | jq --arg cb "$BRANCH" '.[] | select(.tracking_branch == $cb and (.state == "deployed" or .state == "deploying_setup" or .state == "waiting"))')
if [[ -z "$RH_OUTPUT_ENV" ]]; then
  release environments create \
    --account "$RELEASE_ACCOUNT_ID" \
    --app "$APP_NAME" \
    --branch "$BRANCH" \
    --output json \
    --skip-deploy > "$PERSIST/env.json"
  ENV_ID="$(jq .environment.id "$PERSIST/env.json")"
  RH_ENV_ID="${ENV_ID}"
  release environments config-get \
    --account "$RELEASE_ACCOUNT_ID" \
    --app "$APP_NAME" \
    --environment "$ENV_ID" > "$PERSIST/config.yaml"
  if grep -q '^auto_deploy:' "$PERSIST/config.yaml"; then
    sed -i 's/^auto_deploy:.*/auto_deploy: false/' "$PERSIST/config.yaml"
  else
    printf 'auto_deploy: false\n' >> "$PERSIST/config.yaml"
  fi
  release environments config-set \
    --account "$RELEASE_ACCOUNT_ID" \
    --app  "$APP_NAME" \
    --environment "$ENV_ID" < "$PERSIST/config.yaml"
  echo created > "$PERSIST/path.txt"
else
  RH_ENV_ID=$(echo "$RH_OUTPUT_ENV" | jq -r '.id')
  echo found > "$PERSIST/path.txt"
fi
release deploys create \
  --account "$RELEASE_ACCOUNT_ID" \
  --app "$APP_NAME" \
  --environment "$RH_ENV_ID" \
  --output json \
  --wait > "$PERSIST/env.json"
echo $(jq -r '.environment.hostnames[0].url' "$PERSIST/env.json") > "$PERSIST/env_url.txt"
"#;

const DELETE: &str = r#"
set -euo pipefail
RH_OUTPUT_ENV_LIST=$(release environments list --account "$RELEASE_ACCOUNT_ID" --app "$APP_NAME" --output "json")
RH_OUTPUT_ENV=$(jq -n "$RH_OUTPUT_ENV_LIST" | jq --arg cb "$BRANCH" '.[] | select(.tracking_branch == $cb and (.state == "deployed" or .state == "deploying_setup" or .state == "waiting"))')
if [[ -z "$RH_OUTPUT_ENV" ]]; then
  echo "Couldn't find Releasehub Env - Unable to Delete"
  exit 1
else
  echo "Deleting Releasehub Env"
  ENVIRONMENT_ID=$(jq -n "$RH_OUTPUT_ENV" | jq '.id')
  release environments delete "$ENVIRONMENT_ID" \
    --account "$RELEASE_ACCOUNT_ID" \
    --app "$APP_NAME"
fi
"#;

#[test]
fn a_release_ci_script_runs_unchanged_with_release_linked_to_stagecraft() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("rel{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = committed_app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    // The orb edits the environment's configuration (`config-set`): here an app whose
    // environments follow their branch's Release files (GitOps, on when the repository has
    // them) refuses that (the files are the configuration), so GitOps is turned off first.
    stdout(&stagecraft(&data, &["apps", "set-gitops", &name, "off"]));
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    stdout(&stagecraft(&data, &["release-link", bin.to_str().unwrap()]));
    let again = stagecraft(&data, &["release-link", bin.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "a link that exists is not replaced"
    );
    let persist = dir.path().join("persist");
    std::fs::create_dir_all(&persist).unwrap();

    let run = |script: &str| {
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = Command::new("bash")
            .args(["-c", script])
            .env("PATH", path)
            .env("STAGECRAFT_DATA_DIR", &data)
            .env("STAGECRAFT_KEYCHAIN", "0")
            .env("RELEASE_LOGIN", "ci@example.com")
            .env("RELEASE_TOKEN", "not-needed-here")
            .env("RELEASE_ACCOUNT_ID", "1234")
            .env("APP_NAME", &name)
            .env("BRANCH", "main")
            .env("REPO", &repo)
            .env("PERSIST", &persist)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the script failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let read = |file: &str| {
        std::fs::read_to_string(persist.join(file))
            .unwrap()
            .trim()
            .to_owned()
    };

    // First run: no environment for the branch yet, so it is made, its configuration edited,
    // then deployed and waited for.
    run(CREATE_OR_UPDATE);
    assert_eq!(read("path.txt"), "created");
    let url = read("env_url.txt");
    assert!(
        url.starts_with("http://worker-") && url.ends_with(".localhost:7480"),
        "{url}"
    );
    let deployed: serde_json::Value = serde_json::from_str(&read("env.json")).unwrap();
    assert_eq!(deployed["deploy"]["status"], "succeeded", "{deployed}");
    let id = deployed["environment"]["id"].as_str().unwrap().to_owned();
    let config = stdout(&stagecraft(
        &data,
        &["environments", "config-get", "--environment", &id],
    ));
    assert!(config.contains("auto_deploy: false"), "{config}");

    // Second run: the deployed environment of the branch is found and updated.
    run(CREATE_OR_UPDATE);
    assert_eq!(read("path.txt"), "found");
    let updated: serde_json::Value = serde_json::from_str(&read("env.json")).unwrap();
    assert_eq!(updated["environment"]["id"], id.as_str(), "{updated}");
    assert_eq!(updated["deploy"]["status"], "succeeded", "{updated}");

    // The delete job: found by branch, deleted by the id jq printed with its quotes.
    let said = run(DELETE);
    assert!(said.contains("Deleting Releasehub Env"), "{said}");
    let gone = stdout(&stagecraft(
        &data,
        &["environments", "get", &id, "-o", "json"],
    ));
    let gone: serde_json::Value = serde_json::from_str(&gone).unwrap();
    assert_eq!(gone["state"], "torn_down", "{gone}");

    // `--app` is checked: an environment of another app is refused, naming the field.
    let wrong = stagecraft(
        &data,
        &[
            "environments",
            "get",
            "--environment",
            &id,
            "--app",
            "other",
        ],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("app:"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}
