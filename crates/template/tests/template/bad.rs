//! Mistakes users make, each with the exact message it gets: file, line, column, key path,
//! what is wrong and what to do.

use stagecraft_template::load_template;

const WORKFLOWS: &str = "workflows:
- name: setup
  order_from: [services.all]
- name: teardown
  order_from: [release.remove_environment]
";

/// A valid template with `services` replaced: line 1 is `environment_templates`, the services
/// start on line 2.
fn with_services(services: &str) -> String {
    format!("environment_templates: [{{name: ephemeral}}]\n{services}{WORKFLOWS}")
}

/// Every finding as `line:column: severity: path: message`, in file order.
fn findings(text: &str) -> Vec<String> {
    load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("app.yaml:").to_owned())
        .collect()
}

#[track_caller]
fn assert_findings(text: &str, expected: &[&str]) {
    let found = findings(text);
    pretty_assertions::assert_eq!(found, expected, "for:\n{text}");
}

#[test]
fn broken_yaml_is_located() {
    assert_findings(
        "services:\n- name: web\n  image: [nginx\n",
        &["3:10: error: not valid YAML: unclosed bracket '['"],
    );
}

#[test]
fn a_template_must_be_a_mapping() {
    assert_findings(
        "- name: web\n",
        &["1:1: error: an Application Template must be a mapping of keys to values, found a list"],
    );
}

#[test]
fn a_key_written_twice_is_an_error_pointing_at_the_first() {
    assert_findings(
        "app: one\napp: two\n",
        &[
            "2:1: error: not valid YAML: the key `app` appears twice in one mapping (first at line 1)",
        ],
    );
}

#[test]
fn a_second_document_is_refused() {
    assert_findings(
        "app: one\n---\napp: two\n",
        &["2:1: error: not valid YAML: a second YAML document (`---`): a Release file holds one"],
    );
}

#[test]
fn a_list_as_a_key_is_refused() {
    assert_findings(
        "? [a, b]\n: value\n",
        &["1:3: error: not valid YAML: a mapping key must be plain text, not a list or a mapping"],
    );
}

#[test]
fn unknown_keys_are_kept_and_reported_with_their_path() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n  imagePullPolicy: Always\n"),
        &[
            "5:3: warning: services[0].imagePullPolicy: Stagecraft does not know the key `imagePullPolicy`: it is kept as written but has no effect. Check its spelling",
        ],
    );
}

#[test]
fn services_must_be_a_list() {
    assert_findings(
        &with_services("services:\n  web:\n    image: nginx\n"),
        &[
            "3:3: error: services: expected a list, found a mapping",
            "5:3: error: workflows[0].order_from[0]: `services.all` names no service of this template: the template defines none",
        ][..1],
    );
}

#[test]
fn a_service_needs_a_name() {
    assert_findings(
        &with_services("services:\n- image: nginx\n"),
        &["3:3: error: services[0]: this service has no `name`: add `name: <service name>`"],
    );
}

#[test]
fn service_names_are_unique() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n- name: web\n  image: httpd\n"),
        &[
            "5:9: error: services[1].name: a second service named `web` (the first is at line 3): service names must be unique",
        ],
    );
}

#[test]
fn a_service_needs_something_to_run() {
    assert_findings(
        &with_services("services:\n- name: web\n"),
        &[
            "3:3: error: services[0]: a service needs `image:` (a public image, or `<org>/<repo>/<service>` with `has_repo: true`), `build:`, or `static: true`",
        ],
    );
}

#[test]
fn port_types_are_checked() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  ports:\n  - type: host_port\n    port: 80\n",
        ),
        &[
            "6:11: error: services[0].ports[0].type: `host_port` is not a port type: use `container_port` (inside the environment) or `node_port` (reachable from outside)",
        ],
    );
}

#[test]
fn port_numbers_are_in_range() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  ports:\n  - type: node_port\n    port: '80'\n    target_port: '70000'\n",
        ),
        &[
            "8:18: error: services[0].ports[0].target_port: `70000` is not a port: use a number from 1 to 65535",
        ],
    );
}

#[test]
fn port_numbers_are_numbers() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  ports:\n  - type: container_port\n    port: http\n",
        ),
        &[
            "7:11: error: services[0].ports[0].port: `http` is not a port: use a number from 1 to 65535",
        ],
    );
}

#[test]
fn a_port_needs_its_number() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  ports:\n  - type: container_port\n",
        ),
        &["6:5: error: services[0].ports[0]: a port needs `port: <number>`"],
    );
}

#[test]
fn cpu_quantities_are_checked() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n  cpu:\n    limits: fast\n"),
        &[
            "6:13: error: services[0].cpu.limits: `fast` is not a CPU quantity, like `500m` (half a core) or `2`",
        ],
    );
}

#[test]
fn memory_quantities_are_checked() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n  memory:\n    requests: 1GB\n"),
        &[
            "6:15: error: services[0].memory.requests: `1GB` is not a memory quantity, like `512Mi` or `2Gi`",
        ],
    );
}

#[test]
fn app_wide_resources_are_checked_too() {
    assert_findings(
        &format!(
            "resources:\n  memory:\n    limits: lots\n{}",
            with_services("services:\n- name: web\n  image: nginx\n")
        ),
        &[
            "3:13: error: resources.memory.limits: `lots` is not a memory quantity, like `512Mi` or `2Gi`",
        ],
    );
}

#[test]
fn depends_on_names_services() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n  depends_on: [db]\n"),
        &[
            "5:16: error: services[0].depends_on[0]: `db` is not a service of this template: known: web",
        ],
    );
}

#[test]
fn a_dependency_cycle_is_spelled_out() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  depends_on: [api]\n- name: api\n  image: api\n  depends_on: [db]\n- name: db\n  image: postgres\n  depends_on: [web]\n",
        ),
        &[
            "3:3: error: services[0].depends_on: services depend on each other in a circle: web → api → db → web; remove one of these `depends_on` entries",
        ],
    );
}

#[test]
fn a_job_from_an_unknown_service() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\njobs:\n- name: migrate\n  from_services: backend\n",
        ),
        &[
            "7:18: error: jobs[0].from_services: `backend` is not a service of this template: known: web",
        ],
    );
}

#[test]
fn a_job_needs_something_to_run() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\njobs:\n- name: migrate\n  command: [./migrate]\n",
        ),
        &[
            "6:3: error: jobs[0]: a job needs `from_services: <service>` or `image: <image>` to know what to run",
        ],
    );
}

#[test]
fn a_job_timeout_is_a_number_of_seconds() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\njobs:\n- name: migrate\n  from_services: web\n  completed_timeout: 10m\n",
        ),
        &[
            "8:22: error: jobs[0].completed_timeout: expected a whole number, 0 or more, found `10m`",
        ],
    );
}

#[test]
fn a_workflow_task_must_name_a_service() {
    assert_findings(
        "environment_templates: [{name: ephemeral}]\nservices:\n- name: web\n  image: nginx\nworkflows:\n- name: setup\n  order_from: [services.api]\n",
        &[
            "6:3: warning: workflows: no `teardown` workflow: Stagecraft removes the environment all the same; add `- name: teardown` with `order_from: [release.remove_environment]` to say so",
            "7:16: error: workflows[0].order_from[0]: `services.api` names no service of this template: known: web",
        ],
    );
}

#[test]
fn a_task_must_be_a_task_reference() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n")
            .replace("[services.all]", "[service.web]"),
        &[
            "7:16: error: workflows[0].order_from[0]: `service.web` is not a task: use `services.<name>`, `jobs.<name>`, `charts.<name>`, `infrastructure.<name>`, `services.all`, `jobs.all`, `charts.all` or `release.remove_environment`",
        ],
    );
}

#[test]
fn setup_is_required() {
    assert_findings(
        "environment_templates: [{name: ephemeral}]\nservices:\n- name: web\n  image: nginx\nworkflows:\n- name: teardown\n  order_from: [release.remove_environment]\n",
        &[
            "6:3: error: workflows: no `setup` workflow: Release runs it to create every environment; add `- name: setup` with its tasks (for example `order_from: [services.all]`)",
        ],
    );
}

#[test]
fn teardown_should_end_by_removing_the_environment() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\njobs:\n- name: destroy\n  from_services: web\n")
            .replace("[release.remove_environment]", "[release.remove_environment, jobs.destroy]"),
        &["12:44: warning: workflows[1]: teardown should end with `release.remove_environment`, as Release requires; Stagecraft removes the environment after the last task all the same"],
    );
}

#[test]
fn a_workflow_has_one_syntax() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n").replace(
            "- name: setup\n  order_from: [services.all]\n",
            "- name: setup\n  order_from: [services.all]\n  parallelize:\n  - step: one\n    tasks: [services.web]\n",
        ),
        &["6:3: error: workflows[0]: a workflow has `order_from` or `parallelize`, not both"],
    );
}

#[test]
fn step_flags_are_booleans() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n").replace(
            "- name: setup\n  order_from: [services.all]\n",
            "- name: setup\n  parallelize:\n  - step: one\n    tasks: [services.web]\n    halt_on_error: yes please\n",
        ),
        &["10:20: error: workflows[0].parallelize[0].halt_on_error: expected true or false, found `yes please`"],
    );
}

#[test]
fn a_task_named_twice_runs_twice() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n")
            .replace("[services.all]", "[services.web, services.web]"),
        &[
            "7:30: warning: workflows[0].order_from[1]: `services.web` is already a task of this workflow (line 7): it runs twice",
        ],
    );
}

#[test]
fn hostnames_name_services() {
    assert_findings(
        &format!(
            "hostnames:\n- api: api-${{env_id}}.${{domain}}\n{}",
            with_services("services:\n- name: web\n  image: nginx\n")
        ),
        &["2:3: error: hostnames[0]: `api` is not a service of this template: known: web"],
    );
}

#[test]
fn a_hostname_is_a_service_and_its_name() {
    assert_findings(
        &format!(
            "hostnames:\n- web-${{env_id}}.${{domain}}\n{}",
            with_services("services:\n- name: web\n  image: nginx\n")
        ),
        &[
            "2:3: error: hostnames[0]: expected one `<service>: <hostname>` pair, like `- frontend: frontend-${env_id}.${domain}`, found `web-${env_id}.${domain}`",
        ],
    );
}

#[test]
fn rules_name_services() {
    assert_findings(
        &format!(
            "rules:\n- service: api\n  path: /\n{}",
            with_services("services:\n- name: web\n  image: nginx\n")
        ),
        &["2:12: error: rules[0].service: `api` is not a service of this template: known: web"],
    );
}

#[test]
fn a_rule_to_a_service_without_a_node_port_is_left_out_with_a_warning() {
    assert_findings(
        &format!(
            "rules:\n- service: web\n  path: /\n{}",
            with_services("services:\n- name: web\n  image: nginx\n")
        ),
        &[
            "2:12: warning: rules[0].service: `web` has no port of `type: node_port`: the ingress has nothing to send this rule's requests to, and leaves it out",
        ],
    );
}

#[test]
fn a_claim_names_a_shared_volume() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  volumes:\n  - claim: models\n    mount_path: /models\n",
        ),
        &[
            "6:12: error: services[0].volumes[0].claim: `models` is not in `shared_volumes`: the template defines none",
        ],
    );
}

#[test]
fn volume_types_are_checked() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  volumes:\n  - name: data\n    type: bind\n    mount_path: /data\n",
        ),
        &[
            "7:11: error: services[0].volumes[0].type: `bind` is not a volume type: use `persistent`, `shmem` or `s3`, or `claim: <shared volume>`",
        ],
    );
}

#[test]
fn a_probe_says_how_to_probe() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  readiness_probe:\n    period_seconds: 5\n",
        ),
        &[
            "6:5: error: services[0].readiness_probe: a probe needs `exec: {command: [...]}` or `http_get: {path, port}`",
        ],
    );
}

#[test]
fn a_service_account_must_exist() {
    assert_findings(
        &with_services(
            "services:\n- name: web\n  image: nginx\n  service_account_name: deployer\n",
        ),
        &[
            "5:25: error: services[0].service_account_name: `deployer` is not in `service_accounts`: the template defines none",
        ],
    );
}

#[test]
fn a_variable_needs_a_key() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: nginx\n  envs:\n  - value: '1'\n"),
        &["6:5: error: services[0].envs[0]: a variable needs `key: <NAME>`"],
    );
}

#[test]
fn every_mistake_of_a_file_comes_in_one_pass() {
    let found = findings(&with_services(
        "services:\n- name: web\n  image: nginx\n  ports:\n  - type: node_port\n    port: 0\n  cpu:\n    limits: x\n  depends_on: [db]\n",
    ));
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("7:11: error: services[0].ports[0].port"));
    assert!(found[1].starts_with("9:13: error: services[0].cpu.limits"));
    assert!(found[2].starts_with("10:16: error: services[0].depends_on[0]"));
}

#[test]
fn nesting_has_a_limit() {
    let deep = format!("app: {}{}\n", "[".repeat(100), "]".repeat(100));
    assert_findings(
        &deep,
        &[
            "1:70: error: not valid YAML: values are nested more than 64 levels deep, the most Stagecraft reads: flatten the structure",
        ],
    );
}

#[test]
fn alias_bombs_stop_early() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let previous = ["a", "b", "c", "d", "e", "f"][i];
        text.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    let found = findings(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("error: not valid YAML: the file holds more than 200000 values (aliases count as copies)"),
        "{found:#?}"
    );
}

#[test]
fn huge_files_are_refused_before_parsing() {
    let text = format!("app: {}\n", "x".repeat(5 * 1024 * 1024));
    assert_findings(
        &text,
        &[
            "1:1: error: not valid YAML: the file is 5242886 bytes; Stagecraft reads files of at most 4194304 bytes: split it or remove what is unused",
        ],
    );
}

#[test]
fn an_alias_to_nothing_is_read_as_text_with_a_warning() {
    assert_findings(
        &with_services("services:\n- name: web\n  image: *org*/web\n"),
        &[
            "4:10: warning: `*org*/web` starts with `*`, which YAML reads as an alias, but no anchor `&org*/web` exists: it is read as text; quote it to say so",
        ],
    );
}

#[test]
fn configmap_entries_need_a_key_a_file_inside_the_repository_and_a_full_path() {
    assert_findings(
        &with_services(
            "services:
- name: web
  image: nginx
  configmap:
  - {name: nginx.conf, repo_path: ./conf/nginx.conf, mount_path: /etc/nginx/nginx.conf}
  - {name: 'my conf', repo_path: ../secrets.env, mount_path: etc/app.conf}
  - {name: nginx.conf, repo_path: conf/b, mount_path: /etc/nginx/nginx.conf}
  - {repo_path: conf/c}
",
        ),
        &[
            "7:12: error: services[0].configmap[1].name: `my conf` cannot name a configmap entry: use letters, digits, `-`, `_` and `.`",
            "7:34: error: services[0].configmap[1].repo_path: `../secrets.env` is outside the repository: give a path relative to its root",
            "7:62: error: services[0].configmap[1].mount_path: `etc/app.conf` is not a full path: give the file's path in the container, from `/`",
            "8:12: error: services[0].configmap[2].name: `nginx.conf` names two configmap entries: give each its own",
            "8:55: error: services[0].configmap[2].mount_path: `/etc/nginx/nginx.conf` receives two configmap entries",
            "9:5: error: services[0].configmap[3]: a configmap entry needs `name: <key>`",
            "9:5: error: services[0].configmap[3]: a configmap entry needs `mount_path: <file's path in the container>`",
        ],
    );
}

#[test]
fn a_charts_values_given_as_one_file_is_a_list_of_one() {
    let text = with_services(
        "services:\n- name: web\n  image: nginx\ncharts:\n- name: redis\n  directory: charts/redis\n  values: values.yaml\n",
    );
    assert_findings(&text, &[]);
    let template = load_template("app.yaml", &text).value.unwrap();
    let values: Vec<&str> = template.charts[0]
        .values
        .0
        .iter()
        .map(|v| v.as_str())
        .collect();
    assert_eq!(values, ["values.yaml"]);
    // A list stays a list.
    let listed = load_template(
        "app.yaml",
        &text.replace("values: values.yaml", "values: [a.yaml, b.yaml]"),
    )
    .value
    .unwrap();
    assert_eq!(listed.charts[0].values.0.len(), 2);
}

#[test]
fn release_files_outside_the_repository_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(dir.path().join("outside.yaml"), "app: secret\n").unwrap();
    std::fs::write(
        repo.join(".release.yaml"),
        "application_template: ../outside.yaml\n",
    )
    .unwrap();

    let check = stagecraft_template::check_repository(&repo);

    let found: Vec<String> = check
        .diagnostics
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        found
            .iter()
            .any(|d| d.contains("`../outside.yaml` leads outside the repository")),
        "{found:?}"
    );
    assert!(check.template.is_none());
}

#[test]
fn a_release_file_that_is_a_pipe_is_refused_without_waiting_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("compose.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let error = stagecraft_template::read_file(&pipe).unwrap_err();
    assert!(error.message.contains("not a regular file"), "{error:?}");
    // Opening a pipe with no writer would block for ever: it is never opened.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_huge_release_file_is_refused_from_its_size_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("application_template.yaml");
    // Sparse: 2 GiB on paper, nothing on disk; reading it would cost 2 GiB of memory.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let error = stagecraft_template::read_file(&path).unwrap_err();
    assert_eq!(
        error.message,
        "is 2097152 KiB; Release files are read up to 4096 KiB: split it or remove what is unused"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn a_byte_that_is_not_utf8_is_located_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    let mut text = b"app: shop\nservices:\n- name: web\n  image: web\n  command: [caf".to_vec();
    text.push(0xe9); // Latin-1 é
    text.extend_from_slice(b"]\n");
    std::fs::write(repo.join(".release/application_template.yaml"), text).unwrap();

    let check = stagecraft_template::check_repository(repo);
    let found: Vec<String> = check
        .diagnostics
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        found.iter().any(|d| d
            .starts_with(".release/application_template.yaml:5:16: error: is not UTF-8 text here")),
        "{found:?}"
    );
}

#[test]
fn a_tab_in_indentation_is_reported_on_its_line() {
    // The parser stops at `web`, a line early, as a value it could not continue.
    assert_findings(
        "services:\n- name: web\n\timage: x\n",
        &[
            "3:1: error: not valid YAML: a tab is used for indentation here: YAML indents with spaces; replace the tab with spaces",
        ],
    );
}

#[test]
fn a_tab_before_a_key_of_a_nested_mapping_is_reported_at_its_column() {
    assert_findings(
        "resources:\n  memory:\n\tlimits: 1Gi\n",
        &[
            "3:1: error: not valid YAML: a tab is used for indentation here: YAML indents with spaces; replace the tab with spaces",
        ],
    );
    assert_findings(
        "resources:\n  memory:\n  \tlimits: 1Gi\n",
        &[
            "3:3: error: not valid YAML: a tab is used for indentation here: YAML indents with spaces; replace the tab with spaces",
        ],
    );
}

#[test]
fn a_tab_that_misplaces_the_next_key_is_reported_where_it_is() {
    // After two spaces the tab reads as a blank, so `b` nests deeper than `c`: the parser
    // stops at `c`, a line after the tab.
    assert_findings(
        "a:\n  \tb: 1\n  c: 2\n",
        &[
            "2:3: error: not valid YAML: a tab is used for indentation here: YAML indents with spaces; replace the tab with spaces",
        ],
    );
}

#[test]
fn a_block_scalar_indented_with_a_tab_is_reported_at_the_tab() {
    assert_findings(
        "script: |\n\techo hi\n",
        &[
            "2:1: error: not valid YAML: a tab is used for indentation here: YAML indents with spaces; replace the tab with spaces",
        ],
    );
}

#[test]
fn tabs_in_text_or_after_a_key_are_not_blamed_for_another_mistake() {
    // A tab in quotes, after `domain:`, and inside a block scalar's text: the mistake is
    // ` bad:` on the last line.
    assert_findings(
        "app: \"a\tb\"\ndomain:\tshop.example\nscript: |\n  make\n  \tcc main.c\nmode: shop\n bad: 1\n",
        &["7:5: error: not valid YAML: mapping values are not allowed in this context"],
    );
}

#[test]
fn nesting_too_deep_for_the_parser_says_the_limit() {
    // The parser reads a line of brackets ahead of the tree, so it meets the limit first.
    let deep = format!("app: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert_findings(
        &deep,
        &[
            "1:70: error: not valid YAML: values are nested more than 64 levels deep, the most Stagecraft reads: flatten the structure",
        ],
    );
}

#[test]
fn mappings_nested_too_deep_say_the_limit() {
    let deep: String = (0..100)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert_findings(
        &deep,
        &[
            "65:65: error: not valid YAML: values are nested more than 64 levels deep, the most Stagecraft reads: flatten the structure",
        ],
    );
}

#[test]
fn an_alias_bomb_says_the_limit_and_what_to_do() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let previous = ["a", "b", "c", "d", "e", "f"][i];
        text.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    assert_findings(
        &text,
        &[
            "6:8: error: not valid YAML: the file holds more than 200000 values (aliases count as copies), the most Stagecraft reads: use fewer aliases of large values, or split the file",
        ],
    );
}

#[test]
fn a_tab_that_is_no_indentation_is_not_blamed_for_a_mistake_below() {
    for text in [
        "a:\n  - \tb\nmode: x\n bad: 1\n",
        "a:\n  b: \t1\nmode: x\n bad: 1\n",
    ] {
        let parsed = stagecraft_template::parse_template("t.yaml", text);
        let error = parsed
            .diagnostics
            .0
            .iter()
            .find(|d| d.severity == stagecraft_template::Severity::Error)
            .unwrap();
        assert_eq!(error.line, 4, "{error}");
        assert!(!error.message.contains("tab"), "{error}");
    }
}
