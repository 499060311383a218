use std::path::Path;
use std::process::{Command, Output};

fn stagecraft(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn init_writes_files_that_validate() {
    let repo = tempfile::tempdir().unwrap();

    let init = stagecraft(&["gitops", "init"], repo.path());
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(repo.path().join(".release.yaml").is_file());
    assert!(
        repo.path()
            .join(".release/application_template.yaml")
            .is_file()
    );
    assert!(
        repo.path()
            .join(".release/environment_variables.yaml")
            .is_file()
    );

    let validate = stagecraft(&["gitops", "validate", "--output", "json"], repo.path());
    assert_eq!(validate.status.code(), Some(0));
    let report = json(&validate);
    assert_eq!(report["valid"], true, "{report:#}");
    assert_eq!(report["errors"], 0);
    assert_eq!(
        report["files"]["application_template"],
        ".release/application_template.yaml"
    );
    assert_eq!(report["plans"][0]["workflow"], "setup");
    assert_eq!(
        report["plans"][0]["steps"][0]["tasks"][0]["kind"],
        "service"
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let repo = tempfile::tempdir().unwrap();
    assert!(
        stagecraft(&["gitops", "init"], repo.path())
            .status
            .success()
    );

    let again = stagecraft(&["gitops", "init"], repo.path());

    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(".release.yaml exists already"), "{stderr}");
    assert!(
        stagecraft(&["gitops", "init", "--force"], repo.path())
            .status
            .success()
    );
}

#[test]
fn init_from_compose_imports_it() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("docker-compose.yml"),
        "services:\n  web:\n    build: .\n    ports: ['8080:80']\n    depends_on: [db]\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: secret\n    restart: always\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("Dockerfile"), "FROM scratch\n").unwrap();

    let init = stagecraft(
        &["gitops", "init", "--from-compose", "docker-compose.yml"],
        repo.path(),
    );

    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let stdout = String::from_utf8_lossy(&init.stdout);
    assert!(
        stdout.contains("`restart` has no place in a Release template: dropped"),
        "{stdout}"
    );
    let template =
        std::fs::read_to_string(repo.path().join(".release/application_template.yaml")).unwrap();
    assert!(
        template.contains("- step: services-0\n    tasks:\n    - services.db\n"),
        "{template}"
    );
    let variables =
        std::fs::read_to_string(repo.path().join(".release/environment_variables.yaml")).unwrap();
    assert!(variables.contains("POSTGRES_PASSWORD"), "{variables}");
    let validate = stagecraft(&["gitops", "validate"], repo.path());
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stdout)
    );
}

#[test]
fn init_refuses_a_compose_file_that_is_a_pipe_at_once_and_says_so_once() {
    let repo = tempfile::tempdir().unwrap();
    let pipe = repo.path().join("compose.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    // On a thread: were the pipe opened, the command would wait for ever; the test must fail.
    let (sent, received) = std::sync::mpsc::channel();
    let dir = repo.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = sent.send(stagecraft(
            &["gitops", "init", "--from-compose", "compose.yaml"],
            &dir,
        ));
    });
    let init = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("gitops init refuses the pipe without opening it");
    assert_ne!(init.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&init.stderr);
    assert_eq!(
        stderr.trim(),
        "compose.yaml:1:1: error: is not a regular file (a folder, a pipe or a device): name a file"
    );
    assert!(
        !repo.path().join(".release.yaml").exists(),
        "nothing written"
    );
}

#[test]
fn init_from_compose_reads_dotenv_and_writes_nothing_that_would_not_validate() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join(".env"), "WEB_PORT=8181\n").unwrap();
    std::fs::write(
        repo.path().join("compose.yaml"),
        "services:\n  web_app:\n    image: nginx\n    ports: ['${WEB_PORT:-80}:80']\n",
    )
    .unwrap();
    let init = stagecraft(
        &["gitops", "init", "--from-compose", "compose.yaml"],
        repo.path(),
    );
    assert_eq!(
        init.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let template =
        std::fs::read_to_string(repo.path().join(".release/application_template.yaml")).unwrap();
    assert!(template.contains("name: web-app"), "{template}");
    assert!(template.contains("port: '8181'"), "{template}");
    let stdout = String::from_utf8_lossy(&init.stdout);
    assert!(
        stdout.contains(
            "compose.yaml:2:3: warning: services.web_app: `web_app` is renamed `web-app`"
        ),
        "{stdout}"
    );

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    ports: ['web:80']\n",
    )
    .unwrap();
    let init = stagecraft(
        &["gitops", "init", "--from-compose", "compose.yaml"],
        broken.path(),
    );
    assert_ne!(init.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&init.stderr);
    assert!(
        stderr.contains(".release/application_template.yaml:") && stderr.contains("error:"),
        "{stderr}"
    );
    assert!(
        !broken.path().join(".release.yaml").exists(),
        "nothing written"
    );
}

#[test]
fn validate_says_a_release_yaml_that_is_a_loop_of_links_is_one() {
    let repo = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("b.yaml", repo.path().join(".release.yaml")).unwrap();
    std::os::unix::fs::symlink(".release.yaml", repo.path().join("b.yaml")).unwrap();
    let text = stagecraft(&["gitops", "validate"], repo.path());
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains(".release.yaml:1:1: error: `.release.yaml` is a link that leads back to itself (a loop of links)"),
        "{stdout}"
    );
    assert!(!stdout.contains("no Release files"), "{stdout}");

    // Found by its usual name, a link that leads out of the repository is not followed.
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::write(outer.path().join("secret.yaml"), "app: not-yours\n").unwrap();
    std::os::unix::fs::symlink(
        "../../secret.yaml",
        repo.join(".release/application_template.yaml"),
    )
    .unwrap();
    let text = stagecraft(&["gitops", "validate"], &repo);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains(".release/application_template.yaml:1:1: error: `.release/application_template.yaml` leads outside the repository"),
        "{stdout}"
    );
    assert!(!stdout.contains("not-yours"), "{stdout}");
}

#[test]
fn validate_finds_each_build_context_and_dockerfile_inside_the_repository() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::create_dir_all(repo.join("web")).unwrap();
    std::fs::create_dir_all(outer.path().join("secrets")).unwrap();
    std::fs::write(outer.path().join("secrets/Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(repo.join("web/Dockerfile"), "FROM scratch\n").unwrap();
    std::os::unix::fs::symlink(
        "../../secrets/Dockerfile",
        repo.join("web/Linked.Dockerfile"),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        "app: shop\nenvironment_templates: [{name: ephemeral}]\nservices:\n\
         - name: web\n  build: {context: web}\n\
         - name: api\n  build: {context: ../secrets}\n\
         - name: worker\n  build:\n    context: web\n    dockerfile: Linked.Dockerfile\n\
         - name: jobs\n  build:\n    context: web\n    dockerfile: Missing.Dockerfile\n\
         workflows:\n- name: setup\n  order_from: [services.all]\n",
    )
    .unwrap();
    let text = stagecraft(&["gitops", "validate"], &repo);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    for expected in [
        ".release/application_template.yaml:7:20: error: services[1].build.context: the build context `../secrets` leads outside the repository",
        ".release/application_template.yaml:11:17: error: services[2].build.dockerfile: the Dockerfile `Linked.Dockerfile` leads outside the repository",
        ".release/application_template.yaml:15:17: error: services[3].build.dockerfile: the Dockerfile `Missing.Dockerfile` does not exist in the repository",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }
    assert!(!stdout.contains("services[0].build"), "{stdout}");
}

#[test]
fn validate_exits_1_and_locates_every_error() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".release")).unwrap();
    std::fs::write(
        repo.path().join(".release/application_template.yaml"),
        "environment_templates: [{name: ephemeral}]\nservices:\n- name: web\n  image: nginx\n  ports:\n  - {type: node_port, port: 99999}\nworkflows:\n- name: setup\n  order_from: [services.api]\n",
    )
    .unwrap();

    let text = stagecraft(&["gitops", "validate"], repo.path());
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains(".release/application_template.yaml:6:29: error: services[0].ports[0].port: `99999` is not a port"),
        "{stdout}"
    );
    assert!(
        stdout.contains("invalid: 2 error(s), 1 warning(s)"),
        "{stdout}"
    );

    let report = json(&stagecraft(
        &["gitops", "validate", "-o", "json"],
        repo.path(),
    ));
    assert_eq!(report["valid"], false);
    let errors: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["line"], 9);
    assert_eq!(errors[1]["column"], 16);
    assert_eq!(errors[1]["path"], "workflows[0].order_from[0]");
}

#[test]
fn validate_of_a_missing_folder_fails_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let output = stagecraft(
        &["gitops", "validate", "nowhere", "--output", "json"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["error"]["code"], "NOT_A_FOLDER");
}

#[test]
fn validate_follows_release_yaml_to_its_files() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join(".release.yaml"),
        "application_template: config/app.yaml\nenvironment_variables: config/missing.yaml\n",
    )
    .unwrap();
    std::fs::create_dir(repo.path().join("config")).unwrap();
    std::fs::write(
        repo.path().join("config/app.yaml"),
        "environment_templates: [{name: ephemeral}]\nservices: [{name: web, image: nginx}]\nworkflows:\n- {name: setup, order_from: [services.all]}\n- {name: teardown, order_from: [release.remove_environment]}\n",
    )
    .unwrap();

    let output = stagecraft(&["gitops", "validate"], repo.path());

    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(".release.yaml:2:24: error: environment_variables: `config/missing.yaml` does not exist in the repository: fix the path"),
        "{stdout}"
    );
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let output = stagecraft(&["completions", shell], dir.path());
        assert!(output.status.success());
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            script.contains("environments") && script.contains("config-set"),
            "{shell}: {script}"
        );
    }
}
