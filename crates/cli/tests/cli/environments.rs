use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn stagecraft(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(args)
        .env("STAGECRAFT_DATA_DIR", data)
        // Test data folders come and go: their keys stay out of the developer's keychain.
        .env("STAGECRAFT_KEYCHAIN", "0")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn app(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("shop");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        "app: shop\nenvironment_templates: [{name: ephemeral}, {name: permanent}]\nservices: [{name: web, image: nginx}]\nworkflows:\n- {name: setup, order_from: [services.all]}\n- {name: teardown, order_from: [release.remove_environment]}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults:\n- {key: TOKEN, value: s3cret, secret: true}\n- {key: MODE, value: dev}\n",
    )
    .unwrap();
    repo
}

#[test]
fn apps_and_environments_round_trip_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());

    let added = json(&stagecraft(
        &data,
        &["apps", "add", repo.to_str().unwrap(), "-o", "json"],
        None,
    ));
    assert_eq!(added["name"], "shop");
    let apps = json(&stagecraft(&data, &["apps", "list", "-o", "json"], None));
    assert_eq!(apps.as_array().unwrap().len(), 1);

    let env = json(&stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--app",
            "shop",
            "--ttl-hours",
            "5",
            "--skip-deploy",
            "-o",
            "json",
        ],
        None,
    ));
    // Release's shape: `.environment.id`, and no deploy with --skip-deploy.
    let id = env["environment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(env["environment"]["env_id"], id);
    assert!(env["deploy"].is_null(), "{env}");
    assert_eq!(
        (
            env["environment"]["status"].as_str(),
            env["environment"]["version"].as_str()
        ),
        (Some("created"), Some("v1.1"))
    );

    let table = stagecraft(&data, &["environments", "list"], None);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&id) && table.contains("ephemeral") && table.contains("v1.1"),
        "{table}"
    );

    let yaml = stagecraft(&data, &["environments", "get", &id, "-o", "yaml"], None);
    assert!(String::from_utf8_lossy(&yaml.stdout).contains(&format!("env_id: {id}")));

    let config = stagecraft(&data, &["environments", "config-get", &id], None);
    let config = String::from_utf8_lossy(&config.stdout).into_owned();
    assert!(config.contains("- name: web"), "{config}");

    // The app follows its Release files (GitOps): its configuration is edited on the branch,
    // until GitOps is turned off.
    let following = stagecraft(
        &data,
        &["environments", "config-set", &id, "-o", "json"],
        Some(&config),
    );
    assert_eq!(following.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&following.stderr).unwrap();
    assert_eq!(error["error"]["code"], "CONFLICT");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("follows its Release files (GitOps)"),
        "{error}"
    );
    stagecraft(&data, &["apps", "set-gitops", "shop", "off"], None);

    let broken = stagecraft(
        &data,
        &["environments", "config-set", &id, "-o", "json"],
        Some("services: [{name: web}]\n"),
    );
    assert_eq!(broken.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&broken.stderr).unwrap();
    assert_eq!(error["error"]["code"], "INVALID_FILES");

    let saved = json(&stagecraft(
        &data,
        &["environments", "config-set", &id, "-o", "json"],
        Some(&config.replace("nginx", "nginx:1.27")),
    ));
    assert_eq!(saved["version"], "v1.2");

    let vars = json(&stagecraft(
        &data,
        &["environments", "vars-get", &id, "-o", "json"],
        None,
    ));
    let web = &vars[0]["vars"];
    let token = web
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "TOKEN")
        .unwrap();
    assert_eq!(
        (token["value"].as_str(), token["secret"].as_bool()),
        (Some("••••••"), Some(true))
    );
    assert!(
        !String::from_utf8_lossy(
            &stagecraft(&data, &["environments", "vars-get", &id], None).stdout
        )
        .contains("s3cret")
    );
}

#[test]
fn a_deploy_that_fails_exits_1_and_is_listed_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());
    stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    // Created and set up at once, as Release's command does; the setup fails here.
    let created = stagecraft(
        &data,
        &["environments", "create", "--app", "shop", "-o", "json"],
        None,
    );
    assert_eq!(created.status.code(), Some(1));
    let env = json(&created);
    assert_eq!(env["deploy"]["stage"], "setup");
    let id = env["environment"]["id"].as_str().unwrap();

    // No Docker engine answers at DOCKER_HOST: the deploy fails, and says why.
    let deploy = stagecraft(
        &data,
        &["deploys", "create", "--environment", id, "-o", "json"],
        None,
    );
    assert_eq!(deploy.status.code(), Some(1));
    let report = json(&deploy);
    assert_eq!(
        (
            report["deploy"]["stage"].as_str(),
            report["deploy"]["status"].as_str()
        ),
        (Some("setup"), Some("failed"))
    );

    // --wait follows the deploy to its end and exits with its status.
    let waited = stagecraft(
        &data,
        &[
            "deploys",
            "create",
            "--environment",
            id,
            "--wait",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(waited.status.code(), Some(1));
    let report = json(&waited);
    assert_eq!(report["deploy"]["status"].as_str(), Some("failed"));
    assert!(
        waited.stderr.is_empty(),
        "no progress when stderr is not a terminal: {}",
        String::from_utf8_lossy(&waited.stderr)
    );

    let list = json(&stagecraft(
        &data,
        &["deploys", "list", "--environment", id, "-o", "json"],
        None,
    ));
    assert_eq!(list.as_array().unwrap().len(), 3);
    let builds = json(&stagecraft(
        &data,
        &["builds", "list", "--app", "shop", "-o", "json"],
        None,
    ));
    assert_eq!(
        builds.as_array().unwrap().len(),
        3,
        "each deploy's build, with nothing to build: {builds}"
    );

    let missing = stagecraft(&data, &["environments", "get", "nope", "-o", "json"], None);
    assert_eq!(missing.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&missing.stderr).unwrap();
    assert_eq!(error["error"]["code"], "NOT_FOUND");
}

#[test]
fn an_apps_image_registry_is_named_checked_and_cleared_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());
    stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);

    let set = json(&stagecraft(
        &data,
        &[
            "apps",
            "set-registry",
            "shop",
            "registry.example.com:5000/team",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(set["image_registry"], "registry.example.com:5000/team");
    assert_eq!(set["share_registry_login"], false);
    let shared = json(&stagecraft(
        &data,
        &[
            "apps",
            "set-registry",
            "shop",
            "registry.example.com:5000/team",
            "--share-login",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(shared["share_registry_login"], true);
    let both = stagecraft(
        &data,
        &["apps", "set-registry", "shop", "--clear", "--share-login"],
        None,
    );
    assert!(!both.status.success(), "nothing to share a login for");
    let listed = stagecraft(&data, &["apps", "list"], None);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("IMAGE REGISTRY"), "{listed}");
    assert!(
        listed.contains("registry.example.com:5000/team"),
        "{listed}"
    );

    let refused = stagecraft(
        &data,
        &[
            "apps",
            "set-registry",
            "shop",
            "https://registry.example.com/team",
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr
            .contains("image_registry: `https://registry.example.com/team` starts with `https://`"),
        "{stderr}"
    );
    let kept = json(&stagecraft(&data, &["apps", "list", "-o", "json"], None));
    assert_eq!(kept[0]["image_registry"], "registry.example.com:5000/team");

    let cleared = json(&stagecraft(
        &data,
        &["apps", "set-registry", "shop", "--clear", "-o", "json"],
        None,
    ));
    assert!(cleared["image_registry"].is_null(), "{cleared}");
    assert_eq!(cleared["share_registry_login"], false);
    let neither = stagecraft(&data, &["apps", "set-registry", "shop"], None);
    assert!(!neither.status.success());
    let unknown = stagecraft(&data, &["apps", "set-registry", "nope", "x.io/a"], None);
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no app named `nope`"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

#[test]
fn gitops_is_on_for_an_app_with_release_files_and_turned_off_and_on_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());
    stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    let listed = json(&stagecraft(&data, &["apps", "list", "-o", "json"], None));
    assert_eq!(listed[0]["gitops"], true);
    let table = stagecraft(&data, &["apps", "list"], None);
    assert!(String::from_utf8_lossy(&table.stdout).contains("GITOPS"));

    let off = json(&stagecraft(
        &data,
        &["apps", "set-gitops", "shop", "off", "-o", "json"],
        None,
    ));
    assert_eq!(off["gitops"], false);
    let on = json(&stagecraft(
        &data,
        &["apps", "set-gitops", "shop", "on", "-o", "json"],
        None,
    ));
    assert_eq!(on["gitops"], true);

    // Without Release files there is nothing to follow.
    std::fs::remove_dir_all(repo.join(".release")).unwrap();
    let refused = stagecraft(&data, &["apps", "set-gitops", "shop", "on"], None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("has no Release files to follow"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn an_app_is_read_again_shown_as_a_difference_and_kept_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());
    stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    let refused = stagecraft(&data, &["apps", "refresh", "shop"], None);
    assert_eq!(refused.status.code(), Some(2), "GitOps reads them already");
    stagecraft(&data, &["apps", "set-gitops", "shop", "off"], None);

    let template = repo.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace(
            "[{name: web, image: nginx}]",
            "[{name: web, image: nginx}, {name: cache, image: redis}]",
        ),
    )
    .unwrap();
    let variables = repo.join(".release/environment_variables.yaml");
    let vars = std::fs::read_to_string(&variables).unwrap();
    std::fs::write(&variables, vars.replace("s3cret", "n3w")).unwrap();

    let shown = stagecraft(&data, &["apps", "refresh", "shop"], None);
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.contains("+- name: cache"), "{shown}");
    assert!(shown.contains("a secret's value changed"), "{shown}");
    assert!(
        !shown.contains("n3w") && !shown.contains("s3cret"),
        "{shown}"
    );
    assert!(shown.contains("not kept"), "{shown}");
    let detail = json(&stagecraft(
        &data,
        &["apps", "get", "shop", "-o", "json"],
        None,
    ));
    assert_eq!(detail["version"], 1);

    let kept = stagecraft(&data, &["apps", "refresh", "shop", "--keep"], None);
    let kept = String::from_utf8_lossy(&kept.stdout).into_owned();
    assert!(kept.contains("kept as v2"), "{kept}");
    let detail = json(&stagecraft(
        &data,
        &["apps", "get", "shop", "-o", "json"],
        None,
    ));
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["app"]["gitops"], false);
    let again = stagecraft(&data, &["apps", "refresh", "shop"], None);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("as its v2 has them"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

/// Parameters from the command line: a required one left out is refused naming it, values
/// given with `--param` are kept, `params-set` changes one as a new configuration version.
#[test]
fn parameters_are_given_shown_and_changed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = dir.path().join("models");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        "app: models\nenvironment_templates: [{name: ephemeral}]\nparameters:\n- {name: llm, description: the model, default: llama2}\n- {name: region}\nservices:\n- name: web\n  image: nginx\n  envs: [{key: MODEL, value: '${parameters.llm}'}]\nworkflows:\n- {name: setup, order_from: [services.all]}\n- {name: teardown, order_from: [release.remove_environment]}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    let added = stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    assert!(added.status.success(), "{added:?}");
    let create = |params: &[&str]| {
        let mut args = vec![
            "environments",
            "create",
            "--app",
            "models",
            "--skip-deploy",
            "-o",
            "json",
        ];
        for param in params {
            args.extend(["--param", param]);
        }
        stagecraft(&data, &args, None)
    };
    let refused = create(&[]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("region has no default"),
        "{refused:?}"
    );
    let malformed = create(&["region"]);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("`region` is not NAME=VALUE"));

    let env = json(&create(&["region=eu-west"]));
    let id = env["environment"]["id"].as_str().unwrap().to_owned();
    let shown = stagecraft(&data, &["environments", "params-get", &id], None);
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.contains("llama2 (default)") && shown.contains("eu-west"),
        "{shown}"
    );

    let set = json(&stagecraft(
        &data,
        &["environments", "params-set", &id, "llm=gpt-4", "-o", "json"],
        None,
    ));
    assert_eq!(set[0]["name"], "llm");
    assert_eq!(set[0]["value"], "gpt-4");
    // A new version of its configuration: the next deploy runs setup.
    let got = json(&stagecraft(
        &data,
        &["environments", "get", &id, "-o", "json"],
        None,
    ));
    assert_eq!(got["version"], "v1.2", "{got}");
}

/// `environments imports`: each app the template imports, the branch it runs and why, its
/// services and those left out; an unknown app refused, naming what to add.
#[test]
fn imports_are_shown_with_their_branch_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let write = |name: &str, text: &str| {
        let repo = dir.path().join(name);
        std::fs::create_dir_all(repo.join(".release")).unwrap();
        std::fs::write(repo.join(".release/application_template.yaml"), text).unwrap();
        repo
    };
    let workflows = "workflows:\n- {name: setup, order_from: [services.all]}\n- {name: teardown, order_from: [release.remove_environment]}\n";
    let front = write(
        "front",
        &format!(
            "app: front\nenvironment_templates: [{{name: ephemeral}}]\napp_imports:\n- name: back\n  exclude_services: [{{name: cache}}]\nservices:\n- {{name: web, image: nginx, depends_on: [api]}}\n{workflows}"
        ),
    );
    let back = write(
        "back",
        &format!(
            "app: back\nenvironment_templates: [{{name: ephemeral}}]\nservices:\n- {{name: api, image: nginx}}\n- {{name: cache, image: redis}}\n{workflows}"
        ),
    );
    let added = stagecraft(&data, &["apps", "add", front.to_str().unwrap()], None);
    assert!(added.status.success(), "{added:?}");
    let create = || {
        stagecraft(
            &data,
            &[
                "environments",
                "create",
                "--app",
                "front",
                "--skip-deploy",
                "--working-tree",
                "-o",
                "json",
            ],
            None,
        )
    };
    let refused = create();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("front imports the app `back`, which Stagecraft does not know")
            && said.contains("stagecraft apps add PATH"),
        "{said}"
    );

    let added = stagecraft(&data, &["apps", "add", back.to_str().unwrap()], None);
    assert!(added.status.success(), "{added:?}");
    let env = json(&create());
    let id = env["environment"]["id"].as_str().unwrap().to_owned();
    let imports = json(&stagecraft(
        &data,
        &["environments", "imports", &id, "-o", "json"],
        None,
    ));
    assert_eq!(imports[0]["app"], "back", "{imports}");
    assert_eq!(
        imports[0]["why"],
        "the imported repository's default branch"
    );
    assert_eq!(imports[0]["commit"], serde_json::Value::Null);
    assert_eq!(imports[0]["services"], serde_json::json!(["api"]));
    assert_eq!(imports[0]["excluded"], serde_json::json!(["cache"]));
    let table = stagecraft(&data, &["environments", "imports", &id], None);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        table.contains("back") && table.contains("(working tree)") && table.contains("cache"),
        "{table}"
    );
}

/// Handles and presets from the command line: a pool made with `--count`, environments whose
/// template asks for it named from it; a preset's options used by `environments create
/// --preset`, a flag given beside it winning.
#[test]
fn handles_and_presets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        "app: shop\nenvironment_templates:\n- {name: ephemeral, datasets: [{name: qa}]}\n- {name: permanent}\nparameters:\n- {name: region, default: eu}\nservices: [{name: web, image: nginx}]\nworkflows:\n- {name: setup, order_from: [services.all]}\n- {name: teardown, order_from: [release.remove_environment]}\n",
    )
    .unwrap();
    let added = stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    assert!(added.status.success(), "{added:?}");
    let handles = json(&stagecraft(
        &data,
        &[
            "apps", "handles", "add", "shop", "qa", "--count", "1", "-o", "json",
        ],
        None,
    ));
    assert_eq!(handles[0]["name"], "qa1", "{handles}");
    assert_eq!(handles[0]["heldBy"], serde_json::Value::Null);

    let saved = json(&stagecraft(
        &data,
        &[
            "presets",
            "save",
            "nightly",
            "--app",
            "shop",
            "--template",
            "ephemeral",
            "--ttl-hours",
            "12",
            "--param",
            "region=us",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(saved[0]["options"]["ttlHours"], 12, "{saved}");
    let unknown = stagecraft(
        &data,
        &[
            "presets", "save", "bad", "--app", "shop", "--param", "zone=x",
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("the template has no parameter zone"),
        "{unknown:?}"
    );

    let env = json(&stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--preset",
            "nightly",
            "--working-tree",
            "--skip-deploy",
            "-o",
            "json",
        ],
        None,
    ));
    let id = env["environment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "qa1", "the ephemeral template asks for the pool: {env}");
    let params = stagecraft(&data, &["environments", "params-get", &id], None);
    assert!(
        String::from_utf8_lossy(&params.stdout).contains("us"),
        "{params:?}"
    );

    // The pool is full now: refused, naming the holder. A flag beside the preset wins: the
    // permanent template asks for no pool.
    let full = stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--preset",
            "nightly",
            "--working-tree",
            "--skip-deploy",
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&full.stderr).contains("held, by the environments qa1"),
        "{full:?}"
    );
    let permanent = json(&stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--preset",
            "nightly",
            "--template",
            "permanent",
            "--name",
            "staging",
            "--working-tree",
            "--skip-deploy",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(permanent["environment"]["id"], "staging", "{permanent}");
    // A preset whose branch is a pattern wants a branch that matches it.
    let saved = stagecraft(
        &data,
        &[
            "presets",
            "save",
            "features",
            "--app",
            "shop",
            "--branch",
            "feature/*",
            "--template",
            "permanent",
        ],
        None,
    );
    assert!(saved.status.success(), "{saved:?}");
    let unmatched = stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--preset",
            "features",
            "--branch",
            "fix/x",
            "--working-tree",
            "--skip-deploy",
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&unmatched.stderr)
            .contains("is for branches like `feature/*`: `fix/x` is not one"),
        "{unmatched:?}"
    );
    let matched = json(&stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--preset",
            "features",
            "--branch",
            "feature/cart",
            "--name",
            "cart",
            "--working-tree",
            "--skip-deploy",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(
        matched["environment"]["branch"], "feature/cart",
        "{matched}"
    );
    let listed = stagecraft(&data, &["apps", "handles", "list", "shop"], None);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("qa1") && !listed.contains("(free)"),
        "{listed}"
    );
}

/// Pausing schedules and datasets from the command line: an app's default followed, turned
/// off and replaced by an environment's own; a time that is no time refused with what to
/// write; no datasets yet, and an unknown one refused when an environment is made from it.
#[test]
fn schedules_and_datasets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let repo = app(dir.path());
    let added = stagecraft(&data, &["apps", "add", repo.to_str().unwrap()], None);
    assert!(added.status.success(), "{added:?}");
    let created = json(&stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--app",
            "shop",
            "--skip-deploy",
            "-o",
            "json",
        ],
        None,
    ));
    let id = created["environment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {created}"))
        .to_owned();

    let default = json(&stagecraft(
        &data,
        &[
            "apps", "schedule", "shop", "--pause", "19:00", "--resume", "08:00", "--days",
            "mon-fri", "-o", "json",
        ],
        None,
    ));
    assert_eq!(
        default["summary"], "pause 19:00, resume 08:00, mon-fri",
        "{default}"
    );
    let shown = json(&stagecraft(
        &data,
        &["environments", "schedule", &id, "-o", "json"],
        None,
    ));
    assert_eq!(shown["source"], "app", "{shown}");
    assert!(shown["next"]["at"].is_string(), "{shown}");
    let off = json(&stagecraft(
        &data,
        &["environments", "schedule", &id, "--off", "-o", "json"],
        None,
    ));
    assert_eq!(
        (off["source"].as_str(), &off["schedule"]),
        (Some("off"), &serde_json::Value::Null)
    );
    let own = json(&stagecraft(
        &data,
        &[
            "environments",
            "schedule",
            &id,
            "--pause",
            "22:30",
            "-o",
            "json",
        ],
        None,
    ));
    assert_eq!(
        own["schedule"]["summary"], "pause 22:30, every day",
        "{own}"
    );
    let table = stagecraft(&data, &["environments", "schedule", &id], None);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("its own") && text.contains("local (UTC"),
        "{text}"
    );

    let refused = stagecraft(
        &data,
        &["environments", "schedule", &id, "--pause", "7pm"],
        None,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("HH:MM"),
        "{refused:?}"
    );

    let none = json(&stagecraft(
        &data,
        &["datasets", "list", "-o", "json"],
        None,
    ));
    assert_eq!(none, serde_json::json!([]));
    let unknown = stagecraft(
        &data,
        &[
            "environments",
            "create",
            "--app",
            "shop",
            "--skip-deploy",
            "--dataset",
            "nope",
        ],
        None,
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no dataset named `nope`"),
        "{unknown:?}"
    );
}
