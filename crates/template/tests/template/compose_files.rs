//! Compose files in the shapes real projects use (Laravel Sail, PostHog's `extends`,
//! awesome-compose), written for these tests in `tests/fixtures/compose/`, imported with their
//! `.env` and the files they extend, as `gitops init --from-compose` reads them.

use std::path::{Path, PathBuf};

use stagecraft_template::{
    ComposeImport, ComposeSource, EnvVar, Service, Severity, import, scaffold, validate,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose")
}

fn read(folder: &str, file: &str, environment: &[(&str, &str)]) -> ComposeSource {
    let root = fixtures().join(folder);
    ComposeSource::read(
        &root,
        &root.join(file),
        environment
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .unwrap_or_else(|found| panic!("{found}"))
}

/// Imports and checks the result is a template Stagecraft accepts.
fn imported(source: &ComposeSource) -> ComposeImport {
    let import = import(source, "app", "");
    assert!(!import.diagnostics.has_errors(), "{}", import.diagnostics);
    let checked = validate(&import.template, "imported");
    assert!(!checked.has_errors(), "{checked}");
    import
}

fn service<'a>(import: &'a ComposeImport, name: &str) -> &'a Service {
    import
        .template
        .services
        .iter()
        .find(|s| s.name.as_ref().is_some_and(|n| n.as_str() == name))
        .unwrap_or_else(|| panic!("no service {name}"))
}

fn var<'a>(import: &'a ComposeImport, service: &str, key: &str) -> &'a EnvVar {
    import
        .variables
        .services
        .as_ref()
        .and_then(|s| s.0.iter().find(|(n, _)| n.as_str() == service))
        .and_then(|(_, vars)| {
            vars.iter()
                .find(|v| v.key.as_ref().is_some_and(|k| k.as_str() == key))
        })
        .unwrap_or_else(|| panic!("{service} has no {key}"))
}

fn value<'a>(import: &'a ComposeImport, service: &str, key: &str) -> &'a str {
    var(import, service, key)
        .value
        .as_ref()
        .map_or("", |v| v.as_str())
}

fn ports(service: &Service) -> Vec<(String, String)> {
    service
        .ports
        .iter()
        .map(|p| {
            (
                p.port.as_ref().map_or(String::new(), |t| t.value.clone()),
                p.target_port
                    .as_ref()
                    .map_or(String::new(), |t| t.value.clone()),
            )
        })
        .collect()
}

#[test]
fn laravel_sail_reads_its_dotenv_everywhere_compose_does() {
    let import = imported(&read("sail", "docker-compose.yml", &[]));
    let app = service(&import, "laravel-test");
    assert_eq!(
        ports(app),
        [
            ("8080".to_owned(), "80".to_owned()),
            ("5173".to_owned(), "5173".to_owned())
        ],
        "APP_PORT from .env, VITE_PORT's default"
    );
    let args: Vec<&str> = app
        .build
        .as_ref()
        .unwrap()
        .args
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(args, ["WWWGROUP=1000"]);
    assert_eq!(value(&import, "laravel-test", "WWWUSER"), "1000");
    assert_eq!(value(&import, "laravel-test", "XDEBUG_MODE"), "off");
    assert_eq!(
        value(&import, "laravel-test", "XDEBUG_CONFIG"),
        "client_host=host.docker.internal"
    );
    assert_eq!(
        service(&import, "laravel-test")
            .depends_on
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>(),
        ["mysql", "redis", "meilisearch", "mailpit"]
    );
    // Secrets by their names, as Release's generator marks them.
    let password = var(&import, "mysql", "MYSQL_ROOT_PASSWORD");
    assert_eq!(
        password.value.as_ref().map(|v| v.as_str()),
        Some("password")
    );
    assert_eq!(password.secret, Some(true));
    assert_eq!(var(&import, "mysql", "MYSQL_DATABASE").secret, None);
    let probe = service(&import, "mysql").readiness_probe.as_ref().unwrap();
    let command: Vec<&str> = probe
        .exec
        .as_ref()
        .unwrap()
        .command
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(command, ["mysqladmin", "ping", "-ppassword"]);
    // The rename is said, where the name was written.
    let renamed = import
        .diagnostics
        .0
        .iter()
        .find(|d| {
            d.message
                .contains("`laravel.test` is renamed `laravel-test`")
        })
        .expect("the rename is listed");
    assert_eq!((renamed.line, renamed.severity), (3, Severity::Warning));
}

#[test]
fn the_environment_wins_over_dotenv_and_a_variable_nobody_sets_is_told() {
    let import = imported(&read(
        "sail",
        "docker-compose.yml",
        &[("APP_PORT", "9090"), ("SAIL_XDEBUG_MODE", "debug")],
    ));
    assert_eq!(ports(service(&import, "laravel-test"))[0].0, "9090");
    assert_eq!(value(&import, "laravel-test", "XDEBUG_MODE"), "debug");
    drop(import);

    let source = ComposeSource {
        file: "compose.yaml".into(),
        text: "services:\n  web:\n    image: nginx\n    environment:\n      TOKEN_URL: 'https://${NOBODY}/x'\n    ports: ['${NEEDED:?set the port}:80']\n".into(),
        ..ComposeSource::default()
    };
    let import = stagecraft_template::import(&source, "app", "");
    let unset = import
        .diagnostics
        .0
        .iter()
        .find(|d| d.message.contains("`NOBODY` is not set"))
        .unwrap();
    assert_eq!(
        (unset.line, unset.severity, unset.path.as_str()),
        (5, Severity::Warning, "services.web.environment.TOKEN_URL")
    );
    let required = import
        .diagnostics
        .0
        .iter()
        .find(|d| d.severity == Severity::Error)
        .unwrap();
    assert_eq!(required.line, 6);
    assert!(
        required
            .message
            .contains("`NEEDED` must be set (set the port)")
    );
}

#[test]
fn posthog_extends_another_file_and_the_same_file() {
    let import = imported(&read("posthog", "docker-compose.hobby.yml", &[]));
    let web = service(&import, "web");
    assert_eq!(ports(web), [("8000".to_owned(), "8000".to_owned())]);
    assert_eq!(
        web.args.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["./bin/docker-server"],
        "`command` is replaced, not appended"
    );
    // From the base file's `web` (through a YAML merge key there), and this file's own.
    assert_eq!(
        value(&import, "web", "DATABASE_URL"),
        "postgres://posthog:posthog@db:5432/posthog"
    );
    assert_eq!(
        value(&import, "web", "OBJECT_STORAGE_ENDPOINT"),
        "http://object-storage:19000",
        "the renamed service is followed where it names a host"
    );
    let worker = service(&import, "worker");
    assert_eq!(
        worker.args.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["./bin/docker-worker-celery", "--with-scheduler"]
    );
    assert_eq!(
        value(&import, "worker", "OBJECT_STORAGE_ENDPOINT"),
        "http://object-storage:19000",
        "the worker extends this file's web, not the base one"
    );
    assert_eq!(var(&import, "web", "SECRET_KEY").secret, Some(true));
    let db = service(&import, "db");
    assert!(db.readiness_probe.is_some(), "the base's healthcheck came");
    assert!(import.template.services.iter().any(|s| {
        s.name
            .as_ref()
            .is_some_and(|n| n.as_str() == "object-storage")
    }),);
}

#[test]
fn extends_that_cannot_be_followed_is_a_located_error() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(
        outer.path().join("outside.yml"),
        "services:\n  x:\n    image: a\n",
    )
    .unwrap();
    let root = outer.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).unwrap();
    write(
        "compose.yaml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends:\n      file: ../outside.yml\n      service: x\n  d:\n    extends: {file: missing.yml, service: x}\n",
    );
    let source = ComposeSource::read(&root, &root.join("compose.yaml"), []).unwrap();
    let import = import(&source, "app", "");
    let errors: Vec<(usize, &str)> = import
        .diagnostics
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert!(
        errors
            .iter()
            .any(|(line, m)| *line == 3 && m.contains("in a circle")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(line, m)| *line == 7 && m.contains("leads outside the repository")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(line, m)| *line == 11 && m.contains("does not exist")),
        "{errors:?}"
    );
}

#[test]
fn dollar_dollar_is_a_dollar() {
    let import = imported(&read("awesome", "spring-postgres.yaml", &[]));
    let shown = format!("{:?}", import.template.services);
    assert!(shown.contains("${SERVER_PORT:-8080}"), "{shown}");
    assert!(!shown.contains("$$"), "{shown}");
}

#[test]
fn names_kubernetes_refuses_are_renamed_and_followed() {
    let import = imported(&read("awesome", "names.yaml", &[]));
    let names: Vec<&str> = import
        .template
        .services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.as_str()))
        .collect();
    assert_eq!(
        names,
        ["ac-nginx", "object-storage", "web-server", "s-9lives"]
    );
    assert_eq!(
        service(&import, "web-server")
            .depends_on
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>(),
        ["object-storage"]
    );
    assert_eq!(
        value(&import, "web-server", "STORAGE_URL"),
        "http://object-storage:9000"
    );
    assert_eq!(value(&import, "web-server", "NGINX_HOST"), "ac-nginx");
    let renames = import
        .diagnostics
        .0
        .iter()
        .filter(|d| d.message.contains(" is renamed "))
        .count();
    assert_eq!(renames, 4);
}

#[test]
fn a_circle_is_told_at_its_first_service_the_same_way_every_time() {
    let text = std::fs::read_to_string(fixtures().join("cycle.yaml")).unwrap();
    let mut seen = Vec::new();
    for _ in 0..8 {
        let import = import(&ComposeSource::text("cycle.yaml", &text), "app", "");
        let errors: Vec<String> = import
            .diagnostics
            .0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        seen.push(errors);
    }
    assert!(seen.iter().all(|e| *e == seen[0]), "{seen:?}");
    assert_eq!(seen[0].len(), 1, "{:?}", seen[0]);
    assert!(
        seen[0][0].starts_with("cycle.yaml:6:5:") && seen[0][0].contains("a → c → b → a"),
        "{}",
        seen[0][0]
    );
}

#[test]
fn every_fixture_imports_into_a_template_that_validates() {
    for (folder, file) in [
        ("sail", "docker-compose.yml"),
        ("posthog", "docker-compose.hobby.yml"),
        ("posthog", "docker-compose.base.yml"),
        ("awesome", "nginx-flask-mysql.yaml"),
        ("awesome", "react-express-mongodb.yaml"),
        ("awesome", "spring-postgres.yaml"),
        ("awesome", "wordpress-mysql.yaml"),
        ("awesome", "names.yaml"),
    ] {
        let source = read(folder, file, &[]);
        let (files, diagnostics) = scaffold("app", Some(&source));
        assert!(!diagnostics.has_errors(), "{folder}/{file}: {diagnostics}");
        assert_eq!(files.len(), 3);
    }
}

#[test]
fn init_refuses_what_would_not_validate() {
    let source = ComposeSource::text(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: ['web:80']\n",
    );
    let (_, diagnostics) = scaffold("app", Some(&source));
    let error = diagnostics
        .0
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("the written template does not validate");
    assert_eq!(error.file, ".release/application_template.yaml");
}

/// A repository in a temporary folder with `files` written into it.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn context(import: &ComposeImport, service_name: &str) -> String {
    service(import, service_name)
        .build
        .as_ref()
        .and_then(|b| b.context.as_ref())
        .map_or(String::new(), |c| c.value.clone())
}

#[test]
fn build_contexts_are_written_from_the_repository_root() {
    let repo = repository(&[
        (
            "deploy/compose.yml",
            "services:\n  web:\n    build: ..\n  api:\n    build: {context: ../services/api}\n  \
             worker:\n    extends: {file: ../common/base.yml, service: worker}\n",
        ),
        (
            "common/base.yml",
            "services:\n  worker:\n    build: ./worker\n",
        ),
        ("Dockerfile", "FROM scratch\n"),
        ("services/api/Dockerfile", "FROM scratch\n"),
        ("common/worker/Dockerfile", "FROM scratch\n"),
    ]);
    let source =
        ComposeSource::read(repo.path(), &repo.path().join("deploy/compose.yml"), []).unwrap();
    let import = imported(&source);
    assert_eq!(context(&import, "web"), ".");
    assert_eq!(context(&import, "api"), "services/api");
    assert_eq!(context(&import, "worker"), "common/worker");
    let (_, diagnostics) = scaffold("app", Some(&source));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
}

#[test]
fn hostile_compose_files_end_quickly_with_a_located_error() {
    // A service without a name next to one that is renamed: no endless renaming.
    let import = stagecraft_template::import_compose(
        "compose.yaml",
        "services:\n  '':\n    image: a\n    environment: {A: b}\n  a_b:\n    image: b\n    environment: {URL: 'http://a_b'}\n",
        "app",
        "",
    );
    let error = import
        .diagnostics
        .0
        .iter()
        .find(|d| d.severity == Severity::Error)
        .unwrap();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("without a name"));
    assert_eq!(value(&import, "a-b", "URL"), "http://a-b");

    // A few lines that extend a large service many times.
    let mut text = String::from("services:\n  base:\n    image: a\n    environment:\n");
    for i in 0..2_000 {
        text.push_str(&format!("      K{i}: v\n"));
    }
    for i in 0..200 {
        text.push_str(&format!("  s{i}: {{extends: base}}\n"));
    }
    let import = stagecraft_template::import_compose("compose.yaml", &text, "app", "");
    assert!(
        import
            .diagnostics
            .0
            .iter()
            .any(|d| d.severity == Severity::Error
                && d.message.contains("makes more than 200000 values")),
        "{}",
        import.diagnostics
    );

    // A duration too long for any clock.
    let import = stagecraft_template::import_compose(
        "compose.yaml",
        "services:\n  a:\n    image: a\n    healthcheck: {test: [CMD, x], interval: 20000000000000000s1s}\n",
        "app",
        "",
    );
    assert!(!import.diagnostics.has_errors(), "{}", import.diagnostics);
}

#[test]
fn a_dotenv_folder_is_no_dotenv_and_a_broken_one_is_said() {
    let repo = repository(&[
        (
            "compose.yaml",
            "services:\n  a:\n    image: 'x:${TAG:-1}'\n",
        ),
        (".env/bin/activate", "# a virtualenv\n"),
    ]);
    let source = ComposeSource::read(repo.path(), &repo.path().join("compose.yaml"), []).unwrap();
    assert_eq!(
        service(&imported(&source), "a")
            .image
            .as_ref()
            .unwrap()
            .as_str(),
        "x:1"
    );

    let repo = repository(&[("compose.yaml", "services:\n  a:\n    image: x\n")]);
    std::os::unix::fs::symlink("nowhere", repo.path().join(".env")).unwrap();
    let source = ComposeSource::read(repo.path(), &repo.path().join("compose.yaml"), []).unwrap();
    assert!(
        source
            .notes
            .0
            .iter()
            .any(|d| d.message.contains("link to nothing")),
        "{}",
        source.notes
    );
}

#[test]
fn extended_lists_merge_once_each() {
    let import = imported(&ComposeSource::text(
        "compose.yaml",
        "services:\n  base:\n    image: a\n    ports: ['8000:8000']\n    expose: ['9000']\n    \
         volumes: ['data:/data', '/cache']\n  web:\n    extends: base\n    ports: [8000:8000, '8001:8001']\n    \
         expose: ['9000']\n    volumes: ['other:/data', '/cache']\nvolumes: {data: {}, other: {}}\n",
    ));
    let web = service(&import, "web");
    assert_eq!(
        ports(web).len(),
        3,
        "8000 once, 8001, and 9000 exposed once: {:?}",
        ports(web)
    );
    let mounts: Vec<(&str, &str)> = web
        .volumes
        .iter()
        .map(|v| {
            (
                v.name.as_ref().map_or("", |n| n.as_str()),
                v.mount_path.as_ref().map_or("", |m| m.as_str()),
            )
        })
        .collect();
    assert_eq!(mounts, [("other", "/data")]);
}
