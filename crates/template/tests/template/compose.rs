//! Compose files in the shapes of the voting app, nginx-golang and wordpress-mysql, imported
//! and checked field by field against the generator's rules (reference §6).

use stagecraft_template::{
    ComposeImport, Service, Template, import_compose, plan_workflow, template_to_yaml, validate,
};

const VOTING_APP: &str = r#"services:
  vote:
    build: ./vote
    command: python app.py
    depends_on:
      redis:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 15s
      timeout: 5s
      retries: 3
      start_period: 10s
    volumes:
     - ./vote:/app
    ports:
      - "5000:80"
    networks:
      - front-tier
  result:
    build: ./result
    entrypoint: nodemon --inspect=0.0.0.0 server.js
    depends_on:
      db:
        condition: service_healthy
    ports:
      - "5001:80"
      - "127.0.0.1:9229:9229"
  worker:
    build:
      context: ./worker
      dockerfile: Dockerfile.prod
      args:
        DOTNET_VERSION: "8.0"
    depends_on:
      redis:
        condition: service_healthy
      db:
        condition: service_healthy
  redis:
    image: redis:alpine
    healthcheck:
      test: /healthchecks/redis.sh
      interval: "5s"
  db:
    image: postgres:15-alpine
    environment:
      POSTGRES_USER: "postgres"
      POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:-postgres}"
    volumes:
      - "db-data:/var/lib/postgresql/data"
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: "5s"
  seed:
    build: ./seed-data
    profiles: ["seed"]
    depends_on:
      vote:
        condition: service_healthy
    restart: "no"
volumes:
  db-data:
networks:
  front-tier:
"#;

const NGINX_GOLANG: &str = "services:
  frontend:
    image: nginx
    build: frontend
    ports:
      - 80:80
    depends_on:
      - backend
  backend:
    build:
      context: backend
      target: builder
    expose:
      - 8080
";

const WORDPRESS_MYSQL: &str = "services:
  db:
    image: mariadb:10.6.4-focal
    command: '--default-authentication-plugin=mysql_native_password'
    volumes:
      - db_data:/var/lib/mysql
    restart: always
    environment:
      - MYSQL_ROOT_PASSWORD=somewordpress
      - MYSQL_DATABASE=wordpress
    expose:
      - 3306
      - 33060
  wordpress:
    image: wordpress:latest
    volumes:
      - wp_data:/var/www/html
    ports:
      - 80:80
    restart: always
    environment:
      - WORDPRESS_DB_HOST=db
      - WORDPRESS_DB_NAME=wordpress
volumes:
  db_data:
  wp_data:
";

fn service<'a>(template: &'a Template, name: &str) -> &'a Service {
    template
        .services
        .iter()
        .find(|s| s.name.as_ref().unwrap().as_str() == name)
        .unwrap()
}

fn texts(values: &[stagecraft_template::Text]) -> Vec<&str> {
    values.iter().map(|t| t.as_str()).collect()
}

fn text(value: &Option<stagecraft_template::Text>) -> Option<&str> {
    value.as_ref().map(|t| t.as_str())
}

fn import(name: &str, source: &str, app: &str, repo: &str) -> ComposeImport {
    let import = import_compose(name, source, app, repo);
    assert!(!import.diagnostics.has_errors(), "{}", import.diagnostics);
    // The result is a template Stagecraft accepts, and it survives a round trip.
    let checked = validate(&import.template, "imported");
    assert!(!checked.has_errors(), "{checked}");
    let yaml = template_to_yaml(&import.template);
    let reread = stagecraft_template::load_template("imported", &yaml);
    assert!(
        !reread.diagnostics.has_errors(),
        "{}\n{yaml}",
        reread.diagnostics
    );
    assert_eq!(reread.value.unwrap(), import.template, "{yaml}");
    import
}

#[test]
fn the_voting_app_imports_with_levels_probes_and_a_patch_of_built_services() {
    let import = import(
        "docker-compose.yml",
        VOTING_APP,
        "voting-app",
        "dockersamples/example-voting-app",
    );
    let template = &import.template;
    assert_eq!(text(&template.app), Some("voting-app"));
    assert_eq!(
        text(&template.repo_name),
        Some("dockersamples/example-voting-app")
    );

    let vote = service(template, "vote");
    assert_eq!(
        text(&vote.image),
        Some("dockersamples/example-voting-app/vote")
    );
    assert_eq!(vote.has_repo, Some(true));
    assert_eq!(text(&vote.build.as_ref().unwrap().context), Some("./vote"));
    assert_eq!(texts(&vote.args), ["python", "app.py"]);
    assert_eq!(texts(&vote.depends_on), ["redis"]);
    let port = &vote.ports[0];
    assert_eq!(
        (text(&port.kind), text(&port.port), text(&port.target_port)),
        (Some("node_port"), Some("5000"), Some("80"))
    );
    assert_eq!(port.loadbalancer, Some(false));
    let probe = vote.readiness_probe.as_ref().unwrap();
    assert_eq!(
        texts(&probe.exec.as_ref().unwrap().command),
        ["curl", "-f", "http://localhost"]
    );
    assert_eq!(
        (
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold,
            probe.initial_delay_seconds
        ),
        (Some(15), Some(5), Some(3), Some(10))
    );
    assert!(vote.volumes.is_empty(), "the bind mount is dropped");

    let result = service(template, "result");
    assert_eq!(
        texts(&result.command),
        ["nodemon", "--inspect=0.0.0.0", "server.js"]
    );
    assert_eq!(result.ports.len(), 2);
    assert_eq!(
        (
            text(&result.ports[1].port),
            text(&result.ports[1].target_port)
        ),
        (Some("9229"), Some("9229"))
    );

    let worker = service(template, "worker").build.as_ref().unwrap();
    assert_eq!(text(&worker.context), Some("./worker"));
    assert_eq!(text(&worker.dockerfile), Some("Dockerfile.prod"));
    assert_eq!(texts(&worker.args), ["DOTNET_VERSION=8.0"]);

    let db = service(template, "db");
    assert_eq!(
        (text(&db.image), db.has_repo),
        (Some("postgres:15-alpine"), Some(false))
    );
    assert_eq!(text(&db.volumes[0].name), Some("db-data"));
    assert_eq!(text(&db.volumes[0].kind), Some("persistent"));
    assert_eq!(
        text(&db.volumes[0].mount_path),
        Some("/var/lib/postgresql/data")
    );
    assert_eq!(text(&db.storage.as_ref().unwrap().size), Some("10Gi"));
    assert_eq!(
        texts(
            &db.readiness_probe
                .as_ref()
                .unwrap()
                .exec
                .as_ref()
                .unwrap()
                .command
        ),
        ["/bin/sh", "-c", "pg_isready -U postgres"]
    );
    assert_eq!(
        texts(
            &service(template, "redis")
                .readiness_probe
                .as_ref()
                .unwrap()
                .exec
                .as_ref()
                .unwrap()
                .command
        ),
        ["/bin/sh", "-c", "/healthchecks/redis.sh"]
    );

    let db_vars = &import.variables.services.as_ref().unwrap().0;
    let (name, vars) = &db_vars[0];
    assert_eq!(name.as_str(), "db");
    let pairs: Vec<(&str, &str)> = vars
        .iter()
        .map(|v| (text(&v.key).unwrap(), text(&v.value).unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("POSTGRES_USER", "postgres"),
            ("POSTGRES_PASSWORD", "postgres")
        ]
    );

    assert_eq!(template.hostnames.len(), 2);
    assert_eq!(template.hostnames[0].service.as_str(), "vote");
    assert_eq!(
        template.hostnames[0].template.as_str(),
        "vote-voting-app-${env_id}.${domain}"
    );

    assert_eq!(
        plan_workflow(template, "setup").unwrap().to_string(),
        "setup:\n  1. services-0: services.redis, services.db\n  2. services-1: services.vote, services.result, services.worker\n  3. services-2: services.seed\n"
    );
    assert_eq!(
        plan_workflow(template, "patch").unwrap().to_string(),
        "patch:\n  1. services-0: services.vote, services.result, services.worker\n  2. services-1: services.seed\n"
    );
    assert_eq!(
        plan_workflow(template, "teardown").unwrap().to_string(),
        "teardown:\n  1. remove-environment: release.remove_environment\n"
    );

    let warnings: Vec<String> = import
        .diagnostics
        .warnings()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        warnings,
        [
            "docker-compose.yml:15:8: warning: services.vote.volumes[0]: the bind mount of `./vote` cannot be imported: an environment gets no files from your machine; build them into the image, or use a `configmap` entry",
            "docker-compose.yml:18:5: warning: services.vote.networks: `networks` has no place in a Release template: dropped",
            "docker-compose.yml:57:5: warning: services.seed.profiles: `profiles` has no place in a Release template: dropped",
            "docker-compose.yml:61:5: warning: services.seed.restart: `restart` has no place in a Release template: dropped",
            "docker-compose.yml:64:1: warning: networks: `networks` has no place in a Release template: dropped",
        ]
    );
}

#[test]
fn nginx_golang_builds_both_services_and_keeps_the_build_target() {
    let import = import(
        "compose.yaml",
        NGINX_GOLANG,
        "nginx-golang",
        "awesome-release/nginx-golang",
    );
    let template = &import.template;
    let frontend = service(template, "frontend");
    assert_eq!(
        text(&frontend.image),
        Some("awesome-release/nginx-golang/frontend"),
        "a build wins over image"
    );
    assert_eq!(
        text(&frontend.build.as_ref().unwrap().context),
        Some("frontend")
    );
    let backend = service(template, "backend");
    assert_eq!(
        text(&backend.build.as_ref().unwrap().target),
        Some("builder")
    );
    assert_eq!(
        (text(&backend.ports[0].kind), text(&backend.ports[0].port)),
        (Some("container_port"), Some("8080"))
    );
    assert_eq!(
        plan_workflow(template, "setup").unwrap().to_string(),
        "setup:\n  1. services-0: services.backend\n  2. services-1: services.frontend\n"
    );
    assert!(import.diagnostics.0.is_empty(), "{}", import.diagnostics);
}

#[test]
fn wordpress_mysql_keeps_named_volumes_and_has_no_patch() {
    let import = import("docker-compose.yaml", WORDPRESS_MYSQL, "wordpress", "");
    let template = &import.template;
    let db = service(template, "db");
    assert_eq!(
        texts(&db.args),
        ["--default-authentication-plugin=mysql_native_password"]
    );
    let ports: Vec<(Option<&str>, Option<&str>)> = db
        .ports
        .iter()
        .map(|p| (text(&p.kind), text(&p.port)))
        .collect();
    assert_eq!(
        ports,
        [
            (Some("container_port"), Some("3306")),
            (Some("container_port"), Some("33060"))
        ]
    );
    assert_eq!(text(&db.volumes[0].name), Some("db_data"));
    let wordpress = service(template, "wordpress");
    assert_eq!(
        text(&wordpress.volumes[0].mount_path),
        Some("/var/www/html")
    );
    assert_eq!(text(&wordpress.ports[0].target_port), Some("80"));
    let vars = &import.variables.services.as_ref().unwrap().0[1].1;
    assert_eq!(text(&vars[0].key), Some("WORDPRESS_DB_HOST"));
    assert_eq!(text(&vars[0].value), Some("db"));
    assert!(
        plan_workflow(template, "patch").is_none(),
        "stock images only: nothing to patch"
    );
    assert_eq!(
        plan_workflow(template, "setup").unwrap().to_string(),
        "setup:\n  1. services-0: services.db, services.wordpress\n"
    );
    assert_eq!(
        import.diagnostics.warnings().count(),
        2,
        "{}",
        import.diagnostics
    );
}

#[test]
fn a_compose_file_without_services_is_an_error() {
    let import = import_compose("compose.yaml", "version: '3'\n", "app", "");
    assert_eq!(
        import.diagnostics.to_string(),
        "compose.yaml:1:1: error: services: a compose file needs `services:`, a mapping of service names to their settings\n"
    );
}
