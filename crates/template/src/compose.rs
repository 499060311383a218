//! A docker-compose file to an Application Template and a variables file, the way Release's
//! generator makes them (reference §6): one setup step per `depends_on` level
//! (`services-0..N`), a patch of the built services only, a teardown that removes the
//! environment. Whatever cannot carry over (bind mounts, `restart`, `networks`, ...) is
//! dropped with a warning that says so.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{
    EnvVar, EnvironmentTemplate, ExecAction, Hostname, Port, Probe, Quantities, Resources, Service,
    ServiceBuild, ServiceVariables, Step, Storage, Template, VariablesFile, Volume, Workflow,
};
use crate::read::{Text, child, index};
use crate::yaml::{self, Limits, Loc, Node, Value};

/// What an import made, and what it could not carry over.
#[derive(Debug, Clone)]
pub struct ComposeImport {
    pub template: Template,
    pub variables: VariablesFile,
    pub diagnostics: Diagnostics,
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

/// `${VAR-default}` and `${VAR:-default}` become their default; other `${VAR}` stay.
fn compose_defaults(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let Some(end) = body.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &body[..end];
        match inner
            .find(":-")
            .map(|i| (i, 2))
            .or_else(|| inner.find('-').map(|i| (i, 1)))
        {
            Some((i, width)) => out.push_str(&inner[i + width..]),
            None => {
                out.push_str("${");
                out.push_str(inner);
                out.push('}');
            }
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
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

/// Imports `source`, a docker-compose file named `file`. `app` names the app; `repo_name`
/// (`org/repo`) prefixes the images of built services.
pub fn import_compose(file: &str, source: &str, app: &str, repo_name: &str) -> ComposeImport {
    let mut import = Import {
        file,
        out: Diagnostics::default(),
    };
    let mut template = Template::default();
    let mut variables = VariablesFile::default();
    let root = match yaml::parse(source, Limits::default()) {
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
    for entry in services {
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

    let levels = levels(&mut import, &template.services);
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

fn env_var(key: &str, value: &str) -> EnvVar {
    EnvVar {
        key: text(key),
        value: text(compose_defaults(value)),
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
fn levels(import: &mut Import<'_>, services: &[Service]) -> HashMap<String, usize> {
    let by_name: HashMap<&str, &Service> = services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| (n.as_str(), s)))
        .collect();
    let mut levels: HashMap<String, usize> = HashMap::new();
    fn level<'a>(
        name: &'a str,
        by_name: &HashMap<&'a str, &'a Service>,
        levels: &mut HashMap<String, usize>,
        stack: &mut Vec<&'a str>,
    ) -> Result<usize, Vec<String>> {
        if let Some(level) = levels.get(name) {
            return Ok(*level);
        }
        if let Some(start) = stack.iter().position(|s| *s == name) {
            let mut circle: Vec<String> = stack[start..].iter().map(|s| (*s).to_owned()).collect();
            circle.push(name.to_owned());
            return Err(circle);
        }
        let Some(service) = by_name.get(name) else {
            return Ok(0);
        };
        stack.push(name);
        let mut deepest = None;
        for dependency in &service.depends_on {
            if let Some((key, _)) = by_name.get_key_value(dependency.as_str()) {
                let dependency_level = level(key, by_name, levels, stack)?;
                deepest =
                    Some(deepest.map_or(dependency_level, |d: usize| d.max(dependency_level)));
            }
        }
        stack.pop();
        let own = deepest.map_or(0, |d| d + 1);
        levels.insert(name.to_owned(), own);
        Ok(own)
    }
    for name in by_name.keys().copied().collect::<Vec<_>>() {
        if let Err(circle) = level(name, &by_name, &mut levels, &mut Vec::new()) {
            import.error(
                Loc::default(),
                &child(&child("services", name), "depends_on"),
                format!(
                    "services depend on each other in a circle: {}",
                    circle.join(" → ")
                ),
            );
            return HashMap::new();
        }
    }
    levels
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
