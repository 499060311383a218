//! A docker-compose file to an Application Template and a variables file, the way Release's
//! generator makes them (reference §6): one setup step per `depends_on` level
//! (`services-0..N`), a patch of the built services only, a teardown that removes the
//! environment. Whatever cannot carry over (bind mounts, `restart`, `networks`, ...) is
//! dropped with a warning that says so. Before anything is read, compose's own passes run:
//! interpolation from `.env` and the environment (`interpolate.rs`), `extends`
//! (`extends.rs`), and names Kubernetes refuses made valid (`names.rs`).

mod extends;
mod interpolate;
mod names;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{
    EnvVar, EnvironmentTemplate, ExecAction, Hostname, Port, Probe, Quantities, Resources, Service,
    ServiceBuild, ServiceVariables, Step, Storage, Template, VariablesFile, Volume, Workflow,
};
use crate::read::{Text, child, index};
use crate::yaml::{self, Entry, Limits, Loc, Node, Value};

/// What an import made, and what it could not carry over.
#[derive(Debug, Clone)]
pub struct ComposeImport {
    pub template: Template,
    pub variables: VariablesFile,
    pub diagnostics: Diagnostics,
}

/// A compose file to import, and what it may read: the variables `${VAR}` takes (the `.env`
/// file beside it, with the environment's over them, as compose takes them) and, when it was
/// read from a repository, the files `extends` names (inside the repository only).
#[derive(Debug, Clone, Default)]
pub struct ComposeSource {
    /// Its name in messages.
    pub file: String,
    pub text: String,
    pub env: HashMap<String, String>,
    /// What was wrong in the `.env` file.
    pub notes: Diagnostics,
    /// Where it was read from, when it was.
    pub location: Option<ComposeLocation>,
}

/// Where a compose file was read from: files it extends are read from inside `root`, and
/// its build contexts (written from its folder) are written from `root` in the template.
#[derive(Debug, Clone)]
pub struct ComposeLocation {
    /// The repository, links followed.
    pub root: PathBuf,
    /// The compose file, links followed.
    pub path: PathBuf,
}

impl ComposeLocation {
    fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The compose file's folder from the repository's root (empty at the root).
    fn folder(&self) -> PathBuf {
        let dir = self.dir();
        dir.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// This process's environment, for `${VAR}` as compose reads it; a variable whose name or
/// value is not UTF-8 is left out (compose could not use it either).
pub fn process_environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

impl ComposeSource {
    /// Text alone: no `.env`, no environment, no other files.
    pub fn text(file: &str, text: &str) -> Self {
        Self {
            file: file.to_owned(),
            text: text.to_owned(),
            ..Self::default()
        }
    }

    /// The compose file at `path` in the repository at `root` (named in messages as it is
    /// written from there), with the `.env` beside it and `environment` over that. Both are
    /// read bounded, and only from inside the repository (after links); a `.env` that is a
    /// folder is no `.env`, as compose has it.
    pub fn read(
        root: &Path,
        path: &Path,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Diagnostics> {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let fail = |loc: Loc, file: &str, message: String| {
            let mut out = Diagnostics::default();
            out.push(Severity::Error, file, loc, "", message);
            out
        };
        let start = Loc { line: 1, column: 1 };
        let path = crate::file::resolve_inside(&root, path, &shown)
            .map_err(|message| fail(start, &shown, message))?;
        let text = crate::read_file(&path).map_err(|e| fail(e.loc, &shown, e.message))?;
        let location = ComposeLocation { root, path };
        let dir = location.dir();
        let dotenv = dir.join(".env");
        let name = location.folder().join(".env").display().to_string();
        let mut notes = Diagnostics::default();
        let dotenv = match std::fs::metadata(&dotenv) {
            Ok(metadata) if metadata.is_file() => {
                let text = crate::file::inside(&location.root, &dir, ".env")
                    .map_err(|message| fail(start, &name, message))
                    .and_then(|real| {
                        crate::read_file(&real).map_err(|e| fail(e.loc, &name, e.message))
                    })?;
                Some((name, text))
            }
            // A folder (a Python virtualenv, say) is not read, as compose does not.
            Ok(_) => None,
            Err(error) => {
                if std::fs::symlink_metadata(&dotenv).is_ok() {
                    notes.push(
                        Severity::Warning,
                        &name,
                        start,
                        "",
                        format!(
                            "{}: no variables are read from it",
                            crate::file::unreachable(".env", &dotenv, &error)
                        ),
                    );
                }
                None
            }
        };
        let mut source = Self::from_texts(
            &shown,
            &text,
            dotenv.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
            environment,
        );
        source.notes.extend(notes);
        source.location = Some(location);
        Ok(source)
    }

    /// A compose file's text with its `.env`'s (`(name, text)`) and `environment` over that,
    /// as compose takes them; no other files.
    pub fn from_texts(
        file: &str,
        text: &str,
        dotenv: Option<(&str, &str)>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let environment: HashMap<String, String> = environment.into_iter().collect();
        let mut env = HashMap::new();
        let mut notes = Diagnostics::default();
        if let Some((name, text)) = dotenv {
            let (read, problems) = interpolate::dotenv(text, &environment);
            for (line, problem) in problems {
                notes.push(
                    Severity::Warning,
                    name,
                    Loc { line, column: 1 },
                    "",
                    format!("{problem}: this line is left out (a line is `KEY=VALUE`)"),
                );
            }
            env = read;
        }
        env.extend(environment);
        Self {
            file: file.to_owned(),
            text: text.to_owned(),
            env,
            notes,
            ..Self::default()
        }
    }
}

/// Keys of a compose service that have no place in a Release template.
const DROPPED: &[&str] = &[
    "container_name",
    "networks",
    "restart",
    "tty",
    "stdin_open",
    "profiles",
    "stop_signal",
    "stop_grace_period",
    "user",
    "hostname",
    "domainname",
    "labels",
    "logging",
    "network_mode",
    "privileged",
    "cap_add",
    "cap_drop",
    "security_opt",
    "ulimits",
    "extra_hosts",
    "dns",
    "init",
    "pid",
    "ipc",
    "platform",
    "pull_policy",
    "working_dir",
    "deploy",
    "devices",
    "env_file",
    "secrets",
    "configs",
    "links",
    "external_links",
    "sysctls",
    "tmpfs",
    "shm_size",
    "mem_limit",
    "cpus",
    "develop",
];

struct Import<'a> {
    file: &'a str,
    out: Diagnostics,
}

impl Import<'_> {
    fn warn(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.out
            .push(Severity::Warning, self.file, loc, path, message.into());
    }

    fn error(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.out
            .push(Severity::Error, self.file, loc, path, message.into());
    }
}

fn text(value: impl Into<String>) -> Option<Text> {
    Some(Text::new(value))
}

pub(super) fn scalar(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar { text, .. } if !node.is_null() => Some(text),
        _ => None,
    }
}

/// A string or a list of strings; a string is split on white space, as Release does.
fn words(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(items) => items.iter().filter_map(scalar).map(str::to_owned).collect(),
        _ => scalar(node)
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

/// "30s", "1m30s", "500ms", "2h" to whole seconds (at least 1 when not zero).
fn seconds(duration: &str) -> Option<u64> {
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = duration.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let ms = match unit.as_str() {
            "h" => value * 3_600_000.0,
            "m" => value * 60_000.0,
            "s" => value * 1000.0,
            "ms" => value,
            "us" => value / 1000.0,
            _ => return None,
        };
        total_ms = total_ms.saturating_add(ms as u64);
    }
    if !number.is_empty() {
        total_ms = total_ms.saturating_add(number.parse::<u64>().ok()?.saturating_mul(1000));
    }
    Some(total_ms.div_ceil(1000))
}

/// Imports `source`, a docker-compose file named `file`, alone: no `.env`, no environment,
/// no other files (see [`import`]). `app` names the app; `repo_name` (`org/repo`) prefixes
/// the images of built services.
pub fn import_compose(file: &str, source: &str, app: &str, repo_name: &str) -> ComposeImport {
    import(&ComposeSource::text(file, source), app, repo_name)
}

/// Imports a compose file with what it may read (see [`ComposeSource`]).
pub fn import(source: &ComposeSource, app: &str, repo_name: &str) -> ComposeImport {
    let mut import = Import {
        file: &source.file,
        out: source.notes.clone(),
    };
    let mut template = Template::default();
    let mut variables = VariablesFile::default();
    let mut root = match yaml::parse(&source.text, Limits::default()) {
        Ok((root, _)) => root,
        Err(error) => {
            import.error(error.loc, "", format!("not valid YAML: {}", error.message));
            return ComposeImport {
                template,
                variables,
                diagnostics: import.out,
            };
        }
    };
    let mut findings = Vec::new();
    let mut read = Vec::new();
    interpolate::interpolate_tree(&mut root, "", &source.env, &mut findings, &mut read);
    let Some(Value::Map(services)) = root.get("services").map(|n| &n.value) else {
        import.error(
            root.loc,
            "services",
            "a compose file needs `services:`, a mapping of service names to their settings",
        );
        return ComposeImport {
            template,
            variables,
            diagnostics: import.out,
        };
    };
    let mut services = services.clone();
    services.retain(|entry| {
        let named = !entry.key.trim().is_empty();
        if !named {
            import.error(
                entry.key_loc,
                "services",
                "a service without a name is left out: give it one",
            );
        }
        named
    });
    plain_text_secrets(&mut import, &services, &read);
    // Only a file that uses `extends` pays for looking services up by name.
    if services.iter().any(|e| e.value.get("extends").is_some()) {
        let mut extender = extends::Extender::new(source, &services);
        extender.resolve_all(&mut services);
        findings.append(&mut extender.findings);
    }
    for finding in findings {
        let severity = if finding.error {
            Severity::Error
        } else {
            Severity::Warning
        };
        import.out.push(
            severity,
            &source.file,
            finding.loc,
            &finding.path,
            finding.message,
        );
    }
    rename(&mut import, &mut services);
    // Build contexts are written from the compose file's folder; a template's are written
    // from the repository's root.
    let folder = source
        .location
        .as_ref()
        .map(ComposeLocation::folder)
        .unwrap_or_default();
    for entry in &mut services {
        extends::rebase_build(&mut entry.value, &folder);
    }
    if let Value::Map(entries) = &root.value {
        for entry in entries {
            match entry.key.as_str() {
                "services" | "volumes" | "version" | "name" => {}
                key if key.starts_with("x-") => {}
                key => import.warn(
                    entry.key_loc,
                    key,
                    format!("`{key}` has no place in a Release template: dropped"),
                ),
            }
        }
    }
    template.app = text(app);
    template.repo_name = (!repo_name.is_empty()).then(|| text(repo_name)).flatten();
    template.environment_templates = ["ephemeral", "permanent"]
        .iter()
        .map(|name| EnvironmentTemplate {
            name: text(*name),
            ..EnvironmentTemplate::default()
        })
        .collect();
    template.resources = Some(Resources {
        cpu: Some(Quantities {
            limits: text("1000m"),
            requests: text("100m"),
            ..Quantities::default()
        }),
        memory: Some(Quantities {
            limits: text("1Gi"),
            requests: text("100Mi"),
            ..Quantities::default()
        }),
        replicas: Some(1),
        ..Resources::default()
    });

    let mut service_vars = Vec::new();
    for entry in &services {
        let path = child("services", &entry.key);
        let (service, vars, hostname) =
            import_service(&mut import, &entry.key, &entry.value, &path, app, repo_name);
        if !vars.is_empty() {
            service_vars.push((text(entry.key.clone()).unwrap_or_default(), vars));
        }
        if let Some(hostname) = hostname {
            template.hostnames.push(hostname);
        }
        template.services.push(service);
    }
    variables.services = Some(ServiceVariables(service_vars));

    let levels = levels(&mut import, &services, &template.services);
    // Patch only what is built from the repository; an app of stock images has no patch.
    template.workflows = [
        workflow("setup", &levels, &template.services, |_| true),
        workflow("patch", &levels, &template.services, |s| {
            s.has_repo == Some(true)
        }),
        Some(Workflow {
            name: text("teardown"),
            parallelize: vec![Step {
                step: text("remove-environment"),
                tasks: vec![Text::new("release.remove_environment")],
                ..Step::default()
            }],
            ..Workflow::default()
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    import.out.sort();
    ComposeImport {
        template,
        variables,
        diagnostics: import.out,
    }
}

fn import_service(
    import: &mut Import<'_>,
    name: &str,
    node: &Node,
    path: &str,
    app: &str,
    repo_name: &str,
) -> (Service, Vec<EnvVar>, Option<Hostname>) {
    let mut service = Service {
        name: text(name),
        ..Service::default()
    };
    let mut vars = Vec::new();
    let mut hostname = None;
    let Value::Map(entries) = &node.value else {
        import.error(
            node.loc,
            path,
            format!(
                "expected the settings of service `{name}`, found {}",
                node.describe()
            ),
        );
        return (service, vars, hostname);
    };
    for entry in entries {
        let key_path = child(path, &entry.key);
        let value = &entry.value;
        match entry.key.as_str() {
            "image" => service.image = scalar(value).and_then(text),
            "build" => {
                let mut build = ServiceBuild::default();
                match &value.value {
                    Value::Map(_) => {
                        build.context = value.get("context").and_then(scalar).and_then(text);
                        build.dockerfile = value.get("dockerfile").and_then(scalar).and_then(text);
                        build.target = value.get("target").and_then(scalar).and_then(text);
                        build.args = match value.get("args").map(|a| &a.value) {
                            Some(Value::Map(args)) => args
                                .iter()
                                .filter_map(|a| {
                                    text(format!(
                                        "{}={}",
                                        a.key,
                                        scalar(&a.value).unwrap_or_default()
                                    ))
                                })
                                .collect(),
                            Some(Value::Seq(args)) => {
                                args.iter().filter_map(scalar).filter_map(text).collect()
                            }
                            _ => Vec::new(),
                        };
                    }
                    _ => build.context = scalar(value).and_then(text),
                }
                service.build = Some(build);
                service.has_repo = Some(true);
            }
            "command" => service.args = words(value).into_iter().filter_map(text).collect(),
            "entrypoint" => service.command = words(value).into_iter().filter_map(text).collect(),
            "ports" | "expose" => {
                let Value::Seq(items) = &value.value else {
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let item_path = index(&key_path, i);
                    match compose_port(import, item, &item_path, entry.key == "expose") {
                        Some(port) => {
                            if port
                                .kind
                                .as_ref()
                                .is_some_and(|k| k.as_str() == "node_port")
                                && hostname.is_none()
                            {
                                hostname = Some(Hostname {
                                    service: text(name).unwrap_or_default(),
                                    template: text(format!("{name}-{app}-${{env_id}}.${{domain}}"))
                                        .unwrap_or_default(),
                                    path: Default::default(),
                                });
                            }
                            service.ports.push(port);
                        }
                        None => continue,
                    }
                }
            }
            "environment" => match &value.value {
                Value::Map(pairs) => {
                    for pair in pairs {
                        vars.push(env_var(&pair.key, scalar(&pair.value).unwrap_or_default()));
                    }
                }
                Value::Seq(items) => {
                    for item in items.iter().filter_map(scalar) {
                        let (key, value) = item.split_once('=').unwrap_or((item, ""));
                        vars.push(env_var(key, value));
                    }
                }
                _ => {}
            },
            "depends_on" => {
                service.depends_on = match &value.value {
                    Value::Map(deps) => deps.iter().filter_map(|d| text(d.key.clone())).collect(),
                    _ => words(value).into_iter().filter_map(text).collect(),
                }
            }
            "healthcheck" => service.readiness_probe = healthcheck(import, value, &key_path),
            "volumes" => {
                let Value::Seq(items) = &value.value else {
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    if let Some(volume) = compose_volume(import, item, &index(&key_path, i)) {
                        service.volumes.push(volume);
                        service.storage.get_or_insert_with(|| Storage {
                            size: text("10Gi"),
                            kind: text("aws-efs"),
                            ..Storage::default()
                        });
                    }
                }
            }
            key if key.starts_with("x-") => {}
            key if DROPPED.contains(&key) => import.warn(
                entry.key_loc,
                &key_path,
                format!("`{key}` has no place in a Release template: dropped"),
            ),
            key => import.warn(
                entry.key_loc,
                &key_path,
                format!("Stagecraft does not import `{key}`: dropped"),
            ),
        }
    }
    if service.build.is_some() {
        let prefix = if repo_name.is_empty() { app } else { repo_name };
        service.image = text(format!("{prefix}/{name}"));
    } else {
        service.has_repo = Some(false);
    }
    (service, vars, hostname)
}

/// Whether a variable's name says it holds a secret: a `_`-separated word of it holds
/// `PASSWORD`, `SECRET` or `TOKEN`, is `KEY` (`API_KEY`, `APP_KEY`, not `KEYCLOAK_URL`) or a
/// compound of it (`APIKEY`, `ACCESSKEY`, `PRIVATEKEY`), or is `PASS`/`PASSWD`.
fn looks_secret(key: &str) -> bool {
    key.to_ascii_uppercase().split(['_', '-', '.']).any(|word| {
        ["PASSWORD", "SECRET", "TOKEN"]
            .iter()
            .any(|marker| word.contains(marker))
            || ["KEY", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "PASS", "PASSWD"].contains(&word)
    })
}

/// Secret-looking variables whose values came from `.env` or the environment: written into
/// the variables file in plain text, so said.
fn plain_text_secrets(import: &mut Import<'_>, services: &[Entry], read: &[(String, Vec<String>)]) {
    let read: HashMap<&str, &[String]> = read
        .iter()
        .map(|(path, names)| (path.as_str(), names.as_slice()))
        .collect();
    for entry in services {
        let path = child(&child("services", &entry.key), "environment");
        let pairs: Vec<(String, String, Loc)> =
            match entry.value.get("environment").map(|n| &n.value) {
                Some(Value::Map(pairs)) => pairs
                    .iter()
                    .map(|p| (p.key.clone(), child(&path, &p.key), p.value.loc))
                    .collect(),
                Some(Value::Seq(items)) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let key = scalar(item)?.split('=').next()?.to_owned();
                        Some((key, index(&path, i), item.loc))
                    })
                    .collect(),
                _ => Vec::new(),
            };
        for (key, at, loc) in pairs {
            if let Some(names) = read.get(at.as_str())
                && looks_secret(&key)
            {
                import.warn(
                    loc,
                    &at,
                    format!(
                        "`{key}` gets its value from {} (`.env` or the environment), and is \
                         written in plain text into the variables file (marked `secret: true`): \
                         replace the value there before you commit it",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

fn env_var(key: &str, value: &str) -> EnvVar {
    let secret = looks_secret(key);
    EnvVar {
        key: text(key),
        value: text(value),
        secret: secret.then_some(true),
        ..EnvVar::default()
    }
}

fn compose_port(import: &mut Import<'_>, node: &Node, path: &str, expose: bool) -> Option<Port> {
    let (host, container) = match &node.value {
        Value::Map(_) => (
            node.get("published").and_then(scalar).map(str::to_owned),
            node.get("target").and_then(scalar).map(str::to_owned),
        ),
        _ => {
            let raw = scalar(node).unwrap_or_default();
            let spec = raw.split('/').next().unwrap_or_default();
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            match parts.as_slice() {
                [container] => (None, Some((*container).to_owned())),
                [container, host, ..] => (Some((*host).to_owned()), Some((*container).to_owned())),
                [] => (None, None),
            }
        }
    };
    let Some(container) = container.filter(|c| !c.is_empty()) else {
        import.warn(
            node.loc,
            path,
            format!("cannot read the port {}: dropped", node.describe()),
        );
        return None;
    };
    if container.contains('-') {
        import.warn(
            node.loc,
            path,
            format!("the port range `{container}` cannot be imported: dropped"),
        );
        return None;
    }
    Some(match host.filter(|h| !h.is_empty() && !expose) {
        Some(host) => Port {
            kind: text("node_port"),
            port: text(host),
            target_port: text(container),
            loadbalancer: Some(false),
            ..Port::default()
        },
        None => Port {
            kind: text("container_port"),
            port: text(container),
            ..Port::default()
        },
    })
}

fn healthcheck(import: &mut Import<'_>, node: &Node, path: &str) -> Option<Probe> {
    if node.get("disable").and_then(scalar) == Some("true") {
        return None;
    }
    let test = node.get("test")?;
    let mut command = words(test);
    if matches!(&test.value, Value::Seq(_)) {
        match command.first().map(String::as_str) {
            Some("CMD") => {
                command.remove(0);
            }
            Some("CMD-SHELL") => {
                let shell = command[1..].join(" ");
                command = vec!["/bin/sh".into(), "-c".into(), shell];
            }
            Some("NONE") => return None,
            _ => {}
        }
    } else if let Some(shell) = scalar(test) {
        command = vec!["/bin/sh".into(), "-c".into(), shell.to_owned()];
    }
    let duration = |key: &str, import: &mut Import<'_>| -> Option<u64> {
        let value = node.get(key).and_then(scalar)?;
        let parsed = seconds(value);
        if parsed.is_none() {
            import.warn(
                node.loc,
                &child(path, key),
                format!("cannot read the duration `{value}`: left out"),
            );
        }
        parsed
    };
    Some(Probe {
        exec: Some(ExecAction {
            command: command.into_iter().filter_map(text).collect(),
            ..ExecAction::default()
        }),
        period_seconds: duration("interval", import),
        timeout_seconds: duration("timeout", import),
        failure_threshold: node
            .get("retries")
            .and_then(scalar)
            .and_then(|r| r.parse().ok()),
        initial_delay_seconds: Some(duration("start_period", import).unwrap_or(0)),
        ..Probe::default()
    })
}

fn compose_volume(import: &mut Import<'_>, node: &Node, path: &str) -> Option<Volume> {
    let (source, target) = match &node.value {
        Value::Map(_) => (
            node.get("source").and_then(scalar).map(str::to_owned),
            node.get("target").and_then(scalar).map(str::to_owned),
        ),
        _ => {
            let raw = scalar(node).unwrap_or_default();
            let mut parts = raw.splitn(3, ':');
            let first = parts.next().map(str::to_owned);
            match parts.next() {
                Some(target) => (first, Some(target.to_owned())),
                None => (None, first),
            }
        }
    };
    match (source, target) {
        (Some(source), Some(target)) if !source.starts_with(['.', '/', '~', '$']) => Some(Volume {
            name: text(source),
            kind: text("persistent"),
            mount_path: text(target),
            ..Volume::default()
        }),
        (Some(source), Some(_)) => {
            import.warn(
                node.loc,
                path,
                format!("the bind mount of `{source}` cannot be imported: an environment gets no files from your machine; build them into the image, or use a `configmap` entry"),
            );
            None
        }
        _ => {
            import.warn(
                node.loc,
                path,
                format!(
                    "the anonymous volume {} cannot be imported: dropped",
                    node.describe()
                ),
            );
            None
        }
    }
}

/// Each service's `depends_on` level: 0 without dependencies, else one more than its deepest.
/// A circle is an error at the `depends_on` of its service written first (`entries`, the
/// compose services as read, give the lines).
fn levels(
    import: &mut Import<'_>,
    entries: &[Entry],
    services: &[Service],
) -> HashMap<String, usize> {
    let graph: Vec<(&str, Vec<&str>)> = services
        .iter()
        .map(|s| {
            (
                s.name.as_ref().map_or("", |n| n.as_str()),
                s.depends_on.iter().map(|d| d.as_str()).collect(),
            )
        })
        .collect();
    let names: Vec<&str> = graph.iter().map(|(n, _)| *n).collect();
    let (edges, walk) = crate::graph::depends_on(&graph);
    if !walk.cycles.is_empty() {
        for cycle in walk.cycles {
            let first = names[cycle[0]];
            let loc = entries
                .iter()
                .find(|e| e.key == first)
                .and_then(|e| match &e.value.value {
                    Value::Map(keys) => keys.iter().find(|k| k.key == "depends_on"),
                    _ => None,
                })
                .map_or(Loc::default(), |k| k.key_loc);
            import.error(
                loc,
                &child(&child("services", first), "depends_on"),
                crate::graph::circle_message(&names, &cycle),
            );
        }
        return HashMap::new();
    }
    let mut levels = vec![0usize; services.len()];
    for node in walk.order {
        levels[node] = edges[node]
            .iter()
            .map(|d| levels[*d] + 1)
            .max()
            .unwrap_or(0);
    }
    names
        .iter()
        .zip(levels)
        .map(|(name, level)| ((*name).to_owned(), level))
        .collect()
}

/// Services whose names Kubernetes refuses renamed, with a warning each, and the old name
/// followed wherever it stood as a host: `depends_on`, and the values of `environment`,
/// `command`, `entrypoint` and `healthcheck`.
fn rename(import: &mut Import<'_>, services: &mut [Entry]) {
    let renames = names::renames(services.iter().map(|e| e.key.as_str()));
    if renames.is_empty() {
        return;
    }
    let lookup: HashMap<&str, &str> = renames
        .iter()
        .map(|(old, new)| (old.as_str(), new.as_str()))
        .collect();
    // Per old name, where it was followed as a host.
    let mut followed: HashMap<String, Vec<String>> = HashMap::new();
    for entry in services.iter_mut() {
        let owner = child("services", &entry.key);
        let Value::Map(keys) = &mut entry.value.value else {
            continue;
        };
        for key in keys.iter_mut() {
            match key.key.as_str() {
                "depends_on" => match &mut key.value.value {
                    Value::Map(deps) => {
                        for dep in deps {
                            if let Some(new) = lookup.get(dep.key.as_str()) {
                                dep.key = (*new).to_owned();
                            }
                        }
                    }
                    Value::Seq(items) => {
                        for item in items {
                            if let Value::Scalar { text, .. } = &mut item.value
                                && let Some(new) = lookup.get(text.as_str())
                            {
                                *text = (*new).to_owned();
                            }
                        }
                    }
                    _ => {}
                },
                "environment" | "command" | "entrypoint" | "healthcheck" => {
                    let mut found = Vec::new();
                    replace_hosts(&mut key.value, &lookup, &mut found);
                    found.sort_unstable();
                    found.dedup();
                    for old in found {
                        followed
                            .entry(old)
                            .or_default()
                            .push(child(&owner, &key.key));
                    }
                }
                _ => {}
            }
        }
    }
    for entry in services.iter_mut() {
        let Some(new) = lookup.get(entry.key.as_str()).map(|n| (*n).to_owned()) else {
            continue;
        };
        let also = followed
            .get(&entry.key)
            .map(|paths| {
                format!(
                    "; where it named this service as a host it is renamed too ({})",
                    paths.join(", ")
                )
            })
            .unwrap_or_default();
        import.warn(
            entry.key_loc,
            &child("services", &entry.key),
            format!(
                "`{}` is renamed `{new}`: a service's name must be a Kubernetes name (lowercase \
                 letters, digits and `-`, starting with a letter){also}",
                entry.key
            ),
        );
        entry.key = new;
    }
}

/// Every text under `node` with each renamed service standing as a whole host name replaced;
/// the old names replaced are added to `found`.
fn replace_hosts(node: &mut Node, renames: &HashMap<&str, &str>, found: &mut Vec<String>) {
    match &mut node.value {
        Value::Scalar { text, .. } => {
            if let Some(replaced) = names::replace_hosts(text, renames, found) {
                *text = replaced;
            }
        }
        Value::Seq(items) => {
            for item in items {
                replace_hosts(item, renames, found);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                replace_hosts(&mut entry.value, renames, found);
            }
        }
    }
}

/// One step per `depends_on` level with the services `keep` selects, numbered from
/// `services-0` after empty levels are left out (as the generator numbers a patch).
fn workflow(
    name: &str,
    levels: &HashMap<String, usize>,
    services: &[Service],
    keep: impl Fn(&Service) -> bool,
) -> Option<Workflow> {
    // Grouped in one pass: a long chain has as many levels as services.
    let mut by_level: std::collections::BTreeMap<usize, Vec<Text>> = Default::default();
    for service in services.iter().filter(|s| keep(s)) {
        let Some(name) = &service.name else { continue };
        let level = levels.get(name.as_str()).copied().unwrap_or(0);
        by_level
            .entry(level)
            .or_default()
            .extend(text(format!("services.{name}")));
    }
    let steps: Vec<Step> = by_level
        .into_values()
        .enumerate()
        .map(|(i, tasks)| Step {
            step: text(format!("services-{i}")),
            tasks,
            ..Step::default()
        })
        .collect();
    (!steps.is_empty()).then(|| Workflow {
        name: text(name),
        parallelize: steps,
        ..Workflow::default()
    })
}
