//! The command against the real Docker engine: deploy with --wait, read a service's and a
//! job's lines, run commands and a terminal in it (`instances.rs`), tear down. The image is built `FROM scratch` with Debian's static busybox.

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn stagecraft(data: &Path, args: &[&str]) -> Output {
    stagecraft_with(data, args, &[])
}

/// As [`stagecraft`], with `env` added to the command's environment.
pub(crate) fn stagecraft_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(args)
        .env("STAGECRAFT_DATA_DIR", data)
        // Test data folders come and go: their keys stay out of the developer's keychain.
        .env("STAGECRAFT_KEYCHAIN", "0")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Runs the command and reads its JSON answer; it must succeed.
pub(crate) fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout(&stagecraft(data, args))).unwrap()
}

pub(crate) fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn app(dir: &Path, app: &str) -> std::path::PathBuf {
    let repo = dir.join(app);
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::create_dir_all(repo.join("worker")).unwrap();
    std::fs::copy("/bin/busybox", repo.join("worker/busybox"))
        .expect("busybox-static must be installed (apt-get install busybox-static)");
    std::fs::write(
        repo.join("worker/Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo ready; echo careful >&2; sleep 100000 & wait\"]\n",
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- {{name: worker, build: {{context: worker}}, ports: [{{type: node_port, port: '80', target_port: '8080'}}]}}
jobs:
- {{name: migrate, from_services: worker, command: [sh, -c, 'echo migrated']}}
workflows:
- {{name: setup, order_from: [services.worker, jobs.migrate]}}
- {{name: patch, order_from: [services.worker]}}
- {{name: teardown, order_from: [release.remove_environment]}}
- {{name: remigrate, order_from: [jobs.migrate]}}
"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    repo
}

/// [`app`] as a git repository with one commit on `main`.
pub(crate) fn committed_app(dir: &Path, app_name: &str) -> std::path::PathBuf {
    let repo = app(dir, app_name);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    repo
}

/// Runs git in `repo`, as a test user; it must succeed.
pub(crate) fn git(repo: &Path, args: &[&str]) {
    let done = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@stagecraft.invalid",
        ])
        .args(args)
        .output()
        .expect("git must be installed");
    assert!(
        done.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// Removes the app's containers, network and images even when the test fails half-way.
/// Images go by tag: identical builds of other apps share an image id.
pub(crate) struct Cleanup(pub(crate) String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let run = |args: &[&str]| {
            Command::new("docker")
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let filter = format!("label=dev.stagecraft.app={}", self.0);
        for id in run(&["ps", "-aq", "--filter", &filter]).lines() {
            run(&["rm", "--force", id]);
        }
        for id in run(&["network", "ls", "-q", "--filter", &filter]).lines() {
            run(&["network", "rm", id]);
        }
        for id in run(&["volume", "ls", "-q", "--filter", &filter]).lines() {
            run(&["volume", "rm", "--force", id]);
        }
        let reference = format!("reference=stagecraft/{}/*", self.0);
        for id in run(&[
            "images",
            "--filter",
            &reference,
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .lines()
        {
            run(&["rmi", "--force", "--no-prune", id]);
        }
    }
}

#[test]
fn a_deploy_waited_for_then_its_logs_read_then_torn_down() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("cli{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    // Built ahead of any environment; the setup then reuses the image.
    let build: serde_json::Value = json(&data, &["builds", "create", "--app", &name, "-o", "json"]);
    assert_eq!(build["status"], "succeeded", "{build}");
    assert_eq!(build["images"][0]["outcome"], "built", "{build}");

    // Created and set up in one command, as Release's does.
    let created: serde_json::Value = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    assert_eq!(created["deploy"]["status"], "succeeded", "{created}");
    let id = created["environment"]["id"].as_str().unwrap();
    let setup_build = created["deploy"]["build_id"].as_i64().unwrap().to_string();
    let compared: serde_json::Value = json(
        &data,
        &[
            "builds",
            "compare",
            &build["id"].to_string(),
            &setup_build,
            "-o",
            "json",
        ],
    );
    assert_eq!(compared["services"][0]["reused"], true, "{compared}");

    let deploy: serde_json::Value = json(
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
    );
    assert_eq!(
        (
            deploy["deploy"]["stage"].as_str(),
            deploy["deploy"]["status"].as_str()
        ),
        (Some("patch"), Some("succeeded")),
        "{deploy}"
    );
    let url = deploy["environment"]["hostnames"][0]["url"]
        .as_str()
        .unwrap();
    assert!(
        url.starts_with("http://worker-") && url.ends_with(".localhost:7480"),
        "{deploy}"
    );
    let direct = deploy["environment"]["hostnames"][0]["direct"]
        .as_str()
        .unwrap();
    assert!(direct.starts_with("http://127.0.0.1:"), "{deploy}");

    let worker = stagecraft(
        &data,
        &[
            "instances",
            "logs",
            "--environment",
            id,
            "worker",
            "--since",
            "1h",
        ],
    );
    assert_eq!(stdout(&worker).trim(), "ready");
    assert_eq!(String::from_utf8_lossy(&worker.stderr).trim(), "careful");
    let job = stdout(&stagecraft(
        &data,
        &[
            "instances",
            "logs",
            "--environment",
            id,
            "jobs.migrate",
            "-o",
            "json",
        ],
    ));
    let line: serde_json::Value = serde_json::from_str(job.trim()).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"stderr": false, "line": "migrated"})
    );

    let missing = stagecraft(&data, &["instances", "logs", "--environment", id, "nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("services.nope"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let bad_age = stagecraft(
        &data,
        &[
            "instances",
            "logs",
            "--environment",
            id,
            "worker",
            "--since",
            "soon",
        ],
    );
    assert!(
        String::from_utf8_lossy(&bad_age.stderr).contains("write it as 30s, 10m, 2h or 1d"),
        "{}",
        String::from_utf8_lossy(&bad_age.stderr)
    );

    crate::instances::exec_and_terminal(&data, id);

    // A custom workflow, listed and run by name: a deploy of its own, with the images the
    // environment runs.
    let listed = json(
        &data,
        &["workflows", "list", "--environment", id, "-o", "json"],
    );
    assert_eq!(listed[0]["name"], "remigrate", "{listed}");
    assert_eq!(
        listed[0]["steps"][0]["tasks"][0], "jobs.migrate",
        "{listed}"
    );
    let ran = json(
        &data,
        &[
            "workflows",
            "run",
            "--environment",
            id,
            "remigrate",
            "--wait",
            "-o",
            "json",
        ],
    );
    assert_eq!(
        (
            ran["deploy"]["stage"].as_str(),
            ran["deploy"]["status"].as_str(),
            ran["deploy"]["target"].as_str()
        ),
        (Some("workflow"), Some("succeeded"), Some("remigrate")),
        "{ran}"
    );
    assert_eq!(
        ran["deploy"]["build_id"], deploy["deploy"]["build_id"],
        "{ran}"
    );
    let unknown = stagecraft(
        &data,
        &["workflows", "run", "--environment", id, "remigrte"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("its custom workflows: remigrate"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    stdout(&stagecraft(&data, &["environments", "delete", id]));
    let left = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "teardown left containers behind");
}

/// A static service from the command line: created and set up in one command, its site built
/// by its own command in the static build image (busybox here), served at its URL.
#[test]
fn a_static_site_is_built_and_served_from_the_command_line() {
    assert!(
        std::env::var_os("STAGECRAFT_STATIC_SERVER").is_some(),
        "build the file server first: export STAGECRAFT_STATIC_SERVER=$(scripts/static-server.sh)"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("clisite{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    // The build image: busybox, under the app's name (the cleanup removes it), labelled so its
    // last layer is its own.
    let image_dir = dir.path().join("builder");
    std::fs::create_dir_all(&image_dir).unwrap();
    std::fs::copy("/bin/busybox", image_dir.join("busybox")).unwrap();
    std::fs::write(
        image_dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    let build_image = format!("stagecraft/{name}/site-builder:1");
    let built = Command::new("docker")
        .args(["build", "-q", "--label"])
        .arg(format!("dev.stagecraft.test={name}"))
        .args(["-t", &build_image])
        .arg(&image_dir)
        .output()
        .unwrap();
    stdout(&built);
    let repo = dir.path().join(&name);
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {name}
environment_templates: [{{name: ephemeral}}]
services:
- {{name: site, static: true, build_command: 'mkdir -p out && echo \"site of $RELEASE_APP_NAME\" > out/index.html', build_output_directory: out}}
workflows:
- {{name: setup, order_from: [services.site]}}
- {{name: patch, order_from: [services.site]}}
- {{name: teardown, order_from: [release.remove_environment]}}
"
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    let env = [("STAGECRAFT_STATIC_BUILD_IMAGE", build_image.as_str())];
    stdout(&stagecraft_with(
        &data,
        &["apps", "add", repo.to_str().unwrap()],
        &env,
    ));
    let created: serde_json::Value = serde_json::from_str(&stdout(&stagecraft_with(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
        &env,
    )))
    .unwrap();
    assert_eq!(created["deploy"]["status"], "succeeded", "{created}");
    let id = created["environment"]["id"].as_str().unwrap();
    // The port Docker publishes it on (its hostname goes through the ingress).
    let url = created["environment"]["hostnames"][0]["direct"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    std::io::Write::write_all(&mut stream, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(
        answer.ends_with(&format!("\r\n\r\nsite of {name}\n")),
        "{answer}"
    );
    stdout(&stagecraft(&data, &["environments", "delete", id]));
}

#[test]
fn ten_commands_deploying_one_environment_at_once_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("two{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created: serde_json::Value = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();

    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args([
                "deploys",
                "create",
                "--environment",
                &id,
                "--wait",
                "-o",
                "json",
            ])
            .env("STAGECRAFT_DATA_DIR", &data)
            .env("STAGECRAFT_KEYCHAIN", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Ten at once: each takes its turn or joins the deploy that waits.
    let children: Vec<_> = (0..10).map(|_| spawn()).collect();
    let reports: Vec<serde_json::Value> = children
        .into_iter()
        .map(|child| serde_json::from_str(&stdout(&child.wait_with_output().unwrap())).unwrap())
        .collect();

    // Each waited for a patch that succeeded: either its own, or the one it joined while it
    // waited its turn; nothing ran twice at once and nothing was lost.
    for report in &reports {
        assert_eq!(report["deploy"]["status"], "succeeded", "{report}");
        assert_eq!(report["deploy"]["stage"], "patch", "{report}");
    }
    let list: serde_json::Value = json(
        &data,
        &["deploys", "list", "--environment", &id, "-o", "json"],
    );
    let deploys = list.as_array().unwrap();
    assert!(deploys.iter().all(|d| d["status"] == "succeeded"), "{list}");
    // Never more than one deploy waiting behind the running one: the ten joined.
    assert!(
        deploys.len() < 10,
        "requests joined the waiting deploy: {list}"
    );
    let spans: Vec<(String, String)> = deploys
        .iter()
        .map(|d| {
            (
                d["started_at"].as_str().unwrap().to_owned(),
                d["finished_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "deploys overlapped: {spans:?}");
    }
    stdout(&stagecraft(&data, &["environments", "delete", &id]));
}

/// `stagecraft serve`, with no window open: a commit on the environment's branch patches it.
#[test]
fn serve_patches_an_environment_when_its_branch_gets_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("srv{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    let template = repo.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, format!("auto_deploy: true\n{text}")).unwrap();
    let git = |args: &[&str]| git(&repo, args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created: serde_json::Value = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    assert_eq!(created["deploy"]["status"], "succeeded", "{created}");
    let id = created["environment"]["id"].as_str().unwrap().to_owned();

    let mut serve = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["serve", "--every", "1", "--no-api", "--no-ingress"])
        .env("STAGECRAFT_DATA_DIR", &data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::fs::write(repo.join("worker/notes.txt"), "a change\n").unwrap();
    git(&["add", "worker/notes.txt"]);
    git(&["commit", "-q", "-m", "a change"]);

    // Bounded: a round a second, a patch of one busybox service.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let patch = loop {
        let deploys: serde_json::Value = json(
            &data,
            &["deploys", "list", "--environment", &id, "-o", "json"],
        );
        let done = deploys.as_array().unwrap().iter().find(|d| {
            d["stage"] == "patch" && !matches!(d["status"].as_str(), Some("queued" | "running"))
        });
        if let Some(done) = done {
            break done.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no patch within 90 s: {deploys}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    // SIGTERM: it stops after its round and lets go of the clock.
    let term = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");

    assert_eq!(patch["status"], "succeeded", "{patch}");
    assert!(
        patch["reason"]
            .as_str()
            .unwrap()
            .ends_with("on main (auto_deploy)"),
        "{patch}"
    );
    stdout(&stagecraft(&data, &["environments", "delete", &id]));
}

#[test]
fn a_secret_never_reaches_the_log_even_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("trace{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    let secret = "s3cr3t-only-for-the-container";
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        format!("defaults:\n- {{key: API_TOKEN, value: {secret}, secret: true}}\n"),
    )
    .unwrap();
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let traced = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["environments", "create", "--app", &name, "-o", "json"])
        .env("STAGECRAFT_DATA_DIR", &data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .env("STAGECRAFT_LOG", "trace")
        .output()
        .unwrap();
    let created: serde_json::Value = serde_json::from_str(&stdout(&traced)).unwrap();
    let log = String::from_utf8_lossy(&traced.stderr);
    assert!(
        log.lines().filter(|l| l.contains("DEBUG")).count() > 10,
        "the log is verbose:\n{log}"
    );
    assert!(!log.contains(secret), "the secret is in the log");
    // It did reach the container.
    let id = created["environment"]["id"].as_str().unwrap();
    let container = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    let first = String::from_utf8_lossy(&container.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let env = Command::new("docker")
        .args(["inspect", "--format", "{{json .Config.Env}}", &first])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&env.stdout).contains(secret));
    stdout(&stagecraft(&data, &["environments", "delete", id]));
}

/// A teardown that cannot remove everything fails, says what holds it, leaves the environment
/// `teardown_failed`, and with --force (which disconnects the holder) runs to the end.
#[test]
fn a_teardown_blocked_by_a_foreign_container_says_who_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("held{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    let deployed = json(
        &data,
        &[
            "deploys",
            "create",
            "--environment",
            &id,
            "--wait",
            "-o",
            "json",
        ],
    );
    assert_eq!(deployed["deploy"]["status"], "succeeded", "{deployed}");

    // Someone else's container joins the environment's network.
    let docker = |args: &[&str]| {
        let out = Command::new("docker").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let network = docker(&[
        "network",
        "ls",
        "--filter",
        &format!("label=dev.stagecraft.env={id}"),
        "--format",
        "{{.Name}}",
    ]);
    assert!(!network.is_empty() && !network.contains('\n'), "{network}");
    let foreign = format!("foreign-{name}");
    let image = docker(&[
        "images",
        "--filter",
        &format!("reference=stagecraft/{name}/worker"),
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ]);
    docker(&[
        "run",
        "-d",
        "--name",
        &foreign,
        // Only so the cleanup finds it; it carries no environment's label.
        "--label",
        &format!("dev.stagecraft.app={name}"),
        "--network",
        &network,
        image.lines().next().unwrap(),
        "sleep",
        "1000",
    ]);

    let blocked = stagecraft(&data, &["environments", "delete", &id, "-o", "json"]);
    assert_eq!(
        blocked.status.code(),
        Some(1),
        "a teardown that left objects fails"
    );
    let report: serde_json::Value = serde_json::from_slice(&blocked.stdout).unwrap();
    let reason = report["deploy"]["outcome"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains(&format!("network {network}")), "{report}");
    assert!(
        reason.contains(&foreign) && reason.contains("docker network disconnect"),
        "what holds the network is named: {report}"
    );
    // The reason is in every output mode: JSON's `error`, and standard error for the table.
    // The engine's own refusal, with its stable code.
    assert_eq!(report["error"]["code"], "DOCKER_API", "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&foreign),
        "{report}"
    );
    let got = json(&data, &["environments", "get", &id, "-o", "json"]);
    assert_eq!(got["status"], "teardown_failed", "{got}");
    let table = stagecraft(&data, &["environments", "delete", &id]);
    assert_eq!(table.status.code(), Some(1));
    let said = String::from_utf8_lossy(&table.stderr);
    assert!(
        said.contains("error: deploy")
            && said.contains("(teardown) failed")
            && said.contains(&foreign),
        "{said}"
    );
    // The network is still there, and what holds it is named.
    assert_eq!(
        docker(&["network", "inspect", &network, "--format", "{{.Name}}"]),
        network
    );
    // Nothing but another teardown runs now.
    let refused = stagecraft(&data, &["deploys", "create", "--environment", &id]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("tear it down again"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // --force disconnects the foreign container (it keeps running, only off the network), and
    // the teardown runs to its end.
    assert!(said.contains("--force"), "{said}");
    let again = json(
        &data,
        &["environments", "delete", &id, "--force", "-o", "json"],
    );
    assert_eq!(again["deploy"]["status"], "succeeded", "{again}");
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &foreign]),
        "true",
        "someone else's container is disconnected, never removed"
    );
    docker(&["rm", "--force", &foreign]);
    let got = json(&data, &["environments", "get", &id, "-o", "json"]);
    assert_eq!(got["status"], "torn_down", "{got}");
    assert!(
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .is_empty()
    );
}

/// The database is gone (here: another data folder), the environment still runs: `adopt`
/// lists it, brings it back, and its teardown then removes everything it had.
#[test]
fn an_environment_whose_records_are_gone_is_adopted_then_torn_down() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("adopt{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["deploy"]["status"], "succeeded", "{created}");

    // A new database knows nothing of it, yet sees it once the app is added.
    let fresh = dir.path().join("fresh");
    let listed = json(&fresh, &["environments", "adopt", "-o", "json"]);
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["env_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} is listed: {listed}"))
        .clone();
    assert_eq!(entry["app"], name.as_str());
    assert_eq!(entry["app_added"], false, "{entry}");
    let refused = stagecraft(&fresh, &["environments", "adopt", &id]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("add it first"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    stdout(&stagecraft(
        &fresh,
        &["apps", "add", repo.to_str().unwrap()],
    ));
    let adopted = json(&fresh, &["environments", "adopt", &id, "-o", "json"]);
    assert_eq!(adopted["id"], id.as_str(), "{adopted}");
    assert_eq!(adopted["status"], "created", "{adopted}");
    let listed = json(&fresh, &["environments", "adopt", "-o", "json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["env_id"] != id.as_str()),
        "adopted, it is no longer an orphan: {listed}"
    );

    // Its teardown removes what the first database made.
    let deleted = json(&fresh, &["environments", "delete", &id, "-o", "json"]);
    assert_eq!(deleted["deploy"]["status"], "succeeded", "{deleted}");
    let left = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "its containers are gone");
    let networks = Command::new("docker")
        .args([
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    assert!(networks.stdout.is_empty(), "its network is gone");
}

/// The engine out of reach during a teardown (a wrong DOCKER_HOST, as when dockerd is down):
/// it fails saying so, leaves the environment `teardown_failed` with its objects recorded, and
/// the next delete, with the engine back, removes them all.
#[test]
fn a_teardown_without_its_engine_fails_and_the_next_one_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("down{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created = json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["deploy"]["status"], "succeeded", "{created}");

    let down = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["environments", "delete", &id, "-o", "json"])
        .env("STAGECRAFT_DATA_DIR", &data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(
        down.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&down.stdout).unwrap();
    assert_eq!(report["deploy"]["status"], "failed", "{report}");
    assert_eq!(report["error"]["code"], "DOCKER_UNREACHABLE", "{report}");
    let got = json(&data, &["environments", "get", &id, "-o", "json"]);
    assert_eq!(got["status"], "teardown_failed", "{got}");
    let running = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    assert!(
        !running.stdout.is_empty(),
        "nothing was removed without the engine"
    );

    let again = json(&data, &["environments", "delete", &id, "-o", "json"]);
    assert_eq!(again["deploy"]["status"], "succeeded", "{again}");
    let got = json(&data, &["environments", "get", &id, "-o", "json"]);
    assert_eq!(got["status"], "torn_down", "{got}");
    let left = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
        ])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "the second teardown removed everything"
    );
}
