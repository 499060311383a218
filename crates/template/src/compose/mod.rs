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
    /// The repository, and the compose file's folder in it.
    pub root: Option<PathBuf>,
    pub dir: Option<PathBuf>,
    /// What was wrong in the `.env` file.
    pub notes: Diagnostics,
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
    /// written from there), with the `.env` beside it and `environment` over that. Both files
    /// are read bounded, and only from inside the repository.
    pub fn read(
        root: &Path,
        path: &Path,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Diagnostics> {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let fail = |loc: Loc, file: &str, message: String| {
            let mut out = Diagnostics::default();
            out.push(Severity::Error, file, loc, "", message);
            out
        };
        let text = crate::read_file(path).map_err(|e| fail(e.loc, &shown, e.message))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dotenv = dir.join(".env");
        let dotenv = if std::fs::symlink_metadata(&dotenv).is_ok() {
            let name = Path::new(&shown).parent().map_or_else(
                || ".env".to_owned(),
                |d| d.join(".env").display().to_string(),
            );
            let text = crate::file::inside(root, &dir, ".env")
                .map_err(|message| fail(Loc { line: 1, column: 1 }, &name, message))
                .and_then(|real| {
                    crate::read_file(&real).map_err(|e| fail(e.loc, &name, e.message))
                })?;
            Some((name, text))
        } else {
            None
        };
        let mut source = Self::from_texts(
            &shown,
            &text,
            dotenv.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
            environment,
        );
        source.root = Some(root.to_path_buf());
        source.dir = Some(dir);
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

fn scalar(node: &Node) -> Option<&str> {
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
        total_ms += ms as u64;
    }
    if !number.is_empty() {
        total_ms += number.parse::<u64>().ok()? * 1000;
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
    interpolate::interpolate_tree(&mut root, "", &source.env, &mut findings);
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
    let mut extender = extends::Extender::new(source, &services);
    extender.resolve_all(&mut services);
    findings.append(&mut extender.findings);
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

/// Words in a variable's name that mark it a secret, as Release's generator marks them.
const SECRET_WORDS: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "KEY"];

fn env_var(key: &str, value: &str) -> EnvVar {
    let upper = key.to_ascii_uppercase();
    let secret = SECRET_WORDS.iter().any(|word| upper.contains(word));
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
    let position: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.name.as_ref().map(|n| (n.as_str(), i)))
        .collect();
    let edges: Vec<Vec<usize>> = services
        .iter()
        .map(|s| {
            s.depends_on
                .iter()
                .filter_map(|d| position.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    let walk = crate::graph::walk(&edges);
    if !walk.cycles.is_empty() {
        for cycle in walk.cycles {
            let name = |i: &usize| services[*i].name.as_ref().map_or("", |n| n.as_str());
            let first = name(&cycle[0]);
            let loc = entries
                .iter()
                .find(|e| e.key == first)
                .and_then(|e| match &e.value.value {
                    Value::Map(keys) => keys.iter().find(|k| k.key == "depends_on"),
                    _ => None,
                })
                .map_or(Loc::default(), |k| k.key_loc);
            let spelled: Vec<&str> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(name)
                .collect();
            import.error(
                loc,
                &child(&child("services", first), "depends_on"),
                format!(
                    "services depend on each other in a circle: {}; remove one of these \
                     `depends_on` entries",
                    spelled.join(" → ")
                ),
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
    services
        .iter()
        .zip(levels)
        .filter_map(|(s, level)| s.name.as_ref().map(|n| (n.value.clone(), level)))
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
    let new_name = |old: &str| {
        renames
            .iter()
            .find(|(o, _)| o == old)
            .map(|(_, n)| n.clone())
    };
    let mut rewritten: HashMap<String, Vec<String>> = HashMap::new();
    for entry in services.iter_mut() {
        let owner = entry.key.clone();
        if let Value::Map(keys) = &mut entry.value.value {
            for key in keys.iter_mut() {
                match key.key.as_str() {
                    "depends_on" => match &mut key.value.value {
                        Value::Map(deps) => {
                            for dep in deps {
                                if let Some(new) = new_name(&dep.key) {
                                    dep.key = new;
                                }
                            }
                        }
                        Value::Seq(items) => {
                            for item in items {
                                if let Value::Scalar { text, .. } = &mut item.value
                                    && let Some(new) = new_name(text)
                                {
                                    *text = new;
                                }
                            }
                        }
                        _ => {}
                    },
                    "environment" | "command" | "entrypoint" | "healthcheck" => {
                        for (old, new) in &renames {
                            if replace_hosts(&mut key.value, old, new) {
                                rewritten
                                    .entry(old.clone())
                                    .or_default()
                                    .push(child(&child("services", &owner), &key.key));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for entry in services.iter_mut() {
        let Some(new) = new_name(&entry.key) else {
            continue;
        };
        let also = rewritten
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

/// Every text under `node` with `old` as a whole host name replaced by `new`; whether any was.
fn replace_hosts(node: &mut Node, old: &str, new: &str) -> bool {
    match &mut node.value {
        Value::Scalar { text, .. } => match names::replace_host(text, old, new) {
            Some(replaced) => {
                *text = replaced;
                true
            }
            None => false,
        },
        // Every one is replaced: no stopping at the first.
        Value::Seq(items) => {
            let mut any = false;
            for item in items {
                any |= replace_hosts(item, old, new);
            }
            any
        }
        Value::Map(entries) => {
            let mut any = false;
            for entry in entries {
                any |= replace_hosts(&mut entry.value, old, new);
            }
            any
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
    let deepest = levels.values().copied().max().unwrap_or(0);
    let steps: Vec<Step> = (0..=deepest)
        .map(|level| {
            services
                .iter()
                .filter(|s| keep(s))
                .filter_map(|s| s.name.as_ref())
                .filter(|n| levels.get(n.as_str()).copied().unwrap_or(0) == level)
                .filter_map(|n| text(format!("services.{n}")))
                .collect::<Vec<Text>>()
        })
        .filter(|tasks| !tasks.is_empty())
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
