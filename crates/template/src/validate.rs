//! What a template must satisfy beyond its shape: unique names, references that resolve,
//! sound ports and resource quantities, no dependency cycles, the workflows Release needs.
//!
//! Where Release is silent: a repeated workflow name is a warning, not an error (Stagecraft
//! runs the first and ignores the repeat), because Release's own sample configuration repeats
//! `teardown`.

mod attached;
mod cron;
mod imports;
mod parameters;
mod site;

use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{Quantities, Service, Template, Volume, Workflow};
use crate::plan::{TaskRef, parse_task_ref};
use crate::read::{Text, child, index};
use crate::yaml::Loc;

struct Check<'a> {
    file: &'a str,
    out: Diagnostics,
}

impl Check<'_> {
    fn error(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.out
            .push(Severity::Error, self.file, loc, path, message.into());
    }

    fn warn(&mut self, loc: Loc, path: &str, message: impl Into<String>) {
        self.out
            .push(Severity::Warning, self.file, loc, path, message.into());
    }

    /// The name of a named record, or an error at the record when it has none.
    fn name<'t>(
        &mut self,
        name: &'t Option<Text>,
        loc: Loc,
        path: &str,
        what: &str,
    ) -> Option<&'t Text> {
        match name {
            Some(name) if !name.value.trim().is_empty() => Some(name),
            Some(name) => {
                self.error(
                    name.loc,
                    &child(path, "name"),
                    format!("the {what}'s name is empty"),
                );
                None
            }
            None => {
                self.error(
                    loc,
                    path,
                    format!("this {what} has no `name`: add `name: <{what} name>`"),
                );
                None
            }
        }
    }

    /// Each name once; the second use is the error, pointing back at the first.
    fn unique<'t>(
        &mut self,
        names: impl IntoIterator<Item = (&'t Text, String)>,
        what: &str,
    ) -> HashSet<&'t str> {
        let mut seen: HashMap<&str, &Text> = HashMap::new();
        for (name, path) in names {
            if let Some(first) = seen.get(name.as_str()) {
                self.error(
                    name.loc,
                    &child(&path, "name"),
                    format!(
                        "a second {what} named `{name}` (the first is at line {}): {what} names must be unique",
                        first.loc.line
                    ),
                );
            } else {
                seen.insert(name.as_str(), name);
            }
        }
        seen.into_keys().collect()
    }
}

/// Validates a template read by [`crate::parse_template`]. Errors make the template unusable;
/// warnings point at what is probably a mistake.
pub fn validate(template: &Template, file: &str) -> Diagnostics {
    validate_as(template, file, Reading::AppTemplate)
}

/// What a template is read as: the rules differ in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// An app's Application Template: it must name its environment templates.
    AppTemplate,
    /// An environment's own configuration, made from the app's template with its
    /// `environment_templates` merged in and dropped (Release's environment configuration has
    /// none).
    EnvironmentConfig,
}

/// [`validate`], for a template read as `reading`.
pub(crate) fn validate_as(template: &Template, file: &str, reading: Reading) -> Diagnostics {
    let mut check = Check {
        file,
        out: Diagnostics::default(),
    };
    let services: Vec<(&Text, String)> = template
        .services
        .iter()
        .filter_map(|s| {
            check
                .name(&s.name, s.loc, &s.path, "service")
                .map(|n| (n, s.path.0.clone()))
        })
        .collect();
    let service_names = check.unique(services, "service");
    let jobs: Vec<(&Text, String)> = template
        .jobs
        .iter()
        .filter_map(|j| {
            check
                .name(&j.name, j.loc, &j.path, "job")
                .map(|n| (n, j.path.0.clone()))
        })
        .collect();
    let job_names = check.unique(jobs, "job");
    let chart_names = named(
        &mut check,
        template
            .charts
            .iter()
            .map(|c| (&c.name, c.loc, c.path.0.as_str())),
        "chart",
    );
    let infra_names = named(
        &mut check,
        template
            .infrastructure
            .iter()
            .map(|i| (&i.name, i.loc, i.path.0.as_str())),
        "infrastructure entry",
    );
    let shared_volumes = named(
        &mut check,
        template
            .shared_volumes
            .iter()
            .map(|v| (&v.name, v.loc, v.path.0.as_str())),
        "shared volume",
    );
    named(
        &mut check,
        template
            .builds
            .iter()
            .map(|b| (&b.name, b.loc, b.path.0.as_str())),
        "build",
    );
    named(
        &mut check,
        template
            .environment_templates
            .iter()
            .map(|e| (&e.name, e.loc, e.path.0.as_str())),
        "environment template",
    );
    let accounts = named(
        &mut check,
        template
            .service_accounts
            .iter()
            .map(|a| (&a.name, a.loc, a.path.0.as_str())),
        "service account",
    );

    if template.environment_templates.is_empty() && reading == Reading::AppTemplate {
        check.warn(
            template.loc,
            "environment_templates",
            "no `environment_templates`: Release requires them; add `- name: ephemeral` and \
             `- name: permanent`",
        );
    }

    if let Some(resources) = &template.resources {
        quantities(
            &mut check,
            &resources.cpu,
            &child(&resources.path, "cpu"),
            Kind::Cpu,
        );
        quantities(
            &mut check,
            &resources.memory,
            &child(&resources.path, "memory"),
            Kind::Memory,
        );
    }

    for service in &template.services {
        check_service(&mut check, service, &shared_volumes, &accounts);
        site::check_static(&mut check, service);
    }
    depends_on_cycles(&mut check, template);
    attached::check_attached(&mut check, template, &service_names);
    site::check_static_images(&mut check, template);
    parameters::check_parameters(&mut check, template);
    imports::check_imports(&mut check, template);
    cron::check_cron_jobs(
        &mut check,
        template,
        &service_names,
        &job_names,
        &shared_volumes,
    );

    for job in &template.jobs {
        match (&job.from_services, &job.image) {
            (Some(from), _) if !service_names.contains(from.as_str()) => check.error(
                from.loc,
                &child(&job.path, "from_services"),
                format!(
                    "`{from}` is not a service of this template: {}",
                    known(&service_names)
                ),
            ),
            (None, None) => check.error(
                job.loc,
                &job.path,
                "a job needs `from_services: <service>` or `image: <image>` to know what to run",
            ),
            _ => {}
        }
        if job.completed_timeout == Some(0) {
            check.error(
                job.loc,
                &child(&job.path, "completed_timeout"),
                "must be at least 1 second",
            );
        }
        quantities(&mut check, &job.cpu, &child(&job.path, "cpu"), Kind::Cpu);
        quantities(
            &mut check,
            &job.memory,
            &child(&job.path, "memory"),
            Kind::Memory,
        );
        volumes(&mut check, &job.volumes, &shared_volumes);
        account(&mut check, &job.service_account_name, &job.path, &accounts);
    }

    for hostname in &template.hostnames {
        let pattern = hostname.template.value.as_str();
        if crate::local_hostname(pattern, "x").is_none() {
            check.warn(
                hostname.template.loc,
                &hostname.path,
                format!(
                    "`{pattern}` gives no name under `${{domain}}` = `localhost` (another \
                     domain, a port, or a character a hostname cannot have): on this machine \
                     the service answers at `{}-<env_id>.localhost` instead",
                    hostname.service
                ),
            );
        } else if !pattern.contains("${env_id}") {
            check.warn(
                hostname.template.loc,
                &hostname.path,
                format!(
                    "`{pattern}` has no `${{env_id}}`: every environment of the app gets this \
                     one hostname, and the ingress gives it to the oldest that stands"
                ),
            );
        }
        if !service_names.contains(hostname.service.as_str()) {
            check.error(
                hostname.service.loc,
                &hostname.path,
                format!(
                    "`{}` is not a service of this template: {}",
                    hostname.service,
                    known(&service_names)
                ),
            );
        }
    }
    for rule in &template.rules {
        match &rule.service {
            Some(service) if !service_names.contains(service.as_str()) => check.error(
                service.loc,
                &child(&rule.path, "service"),
                format!(
                    "`{service}` is not a service of this template: {}",
                    known(&service_names)
                ),
            ),
            None => check.error(rule.loc, &rule.path, "a rule needs `service: <service>`"),
            Some(service) => {
                // The ingress sends a rule's requests to its service's `node_port`.
                let routable = template.services.iter().any(|s| {
                    s.name
                        .as_ref()
                        .is_some_and(|n| n.as_str() == service.as_str())
                        && (s.is_static_site()
                            || s.ports.iter().any(|p| {
                                p.kind.as_ref().is_some_and(|k| k.as_str() == "node_port")
                            }))
                });
                if !routable {
                    check.warn(
                        service.loc,
                        &child(&rule.path, "service"),
                        format!(
                            "`{service}` has no port of `type: node_port`: the ingress has \
                             nothing to send this rule's requests to, and leaves it out"
                        ),
                    );
                }
            }
        }
    }

    let names = Names {
        services: &service_names,
        jobs: &job_names,
        charts: &chart_names,
        infrastructure: &infra_names,
    };
    check_workflows(&mut check, template, &names);
    check.out.sort();
    check.out
}

fn named<'t>(
    check: &mut Check<'_>,
    items: impl Iterator<Item = (&'t Option<Text>, Loc, &'t str)>,
    what: &str,
) -> HashSet<&'t str> {
    let names: Vec<(&Text, String)> = items
        .filter_map(|(name, loc, path)| {
            check
                .name(name, loc, path, what)
                .map(|n| (n, path.to_owned()))
        })
        .collect();
    check.unique(names, what)
}

fn known(names: &HashSet<&str>) -> String {
    if names.is_empty() {
        return "the template defines none".to_owned();
    }
    let mut names: Vec<&str> = names.iter().copied().collect();
    names.sort_unstable();
    // A message stays readable (and small) however many names there are.
    const SHOWN: usize = 20;
    if names.len() > SHOWN {
        return format!(
            "known: {}, and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        );
    }
    format!("known: {}", names.join(", "))
}

fn check_service(
    check: &mut Check<'_>,
    service: &Service,
    shared_volumes: &HashSet<&str>,
    accounts: &HashSet<&str>,
) {
    let is_static = service.is_static_site();
    if service.image.is_none() && service.build.is_none() && !is_static && service.name.is_some() {
        check.error(
            service.loc,
            &service.path,
            "a service needs `image:` (a public image, or `<org>/<repo>/<service>` with \
             `has_repo: true`), `build:`, or `static: true`",
        );
    }
    for (i, port) in service.ports.iter().enumerate() {
        let path = index(&child(&service.path, "ports"), i);
        let kind = port.kind.as_ref().map(Text::as_str);
        match kind {
            Some("container_port") | Some("node_port") => {}
            Some(other) => check.error(
                port.kind.as_ref().map_or(port.loc, |k| k.loc),
                &child(&path, "type"),
                format!("`{other}` is not a port type: use `container_port` (inside the environment) or `node_port` (reachable from outside)"),
            ),
            None => check.error(port.loc, &path, "a port needs `type: container_port` or `type: node_port`"),
        }
        match &port.port {
            Some(number) => port_number(check, number, &child(&path, "port")),
            None => check.error(port.loc, &path, "a port needs `port: <number>`"),
        }
        if let Some(target) = &port.target_port {
            port_number(check, target, &child(&path, "target_port"));
        }
        if let Some(protocol) = &port.backend_protocol
            && !matches!(protocol.as_str(), "tcp" | "tls" | "http" | "https" | "grpc")
        {
            check.error(
                protocol.loc,
                &child(&path, "backend_protocol"),
                format!("`{protocol}` is not a protocol: use `tcp` or `tls`"),
            );
        }
    }
    quantities(check, &service.cpu, &child(&service.path, "cpu"), Kind::Cpu);
    quantities(
        check,
        &service.memory,
        &child(&service.path, "memory"),
        Kind::Memory,
    );
    for probe in [&service.readiness_probe, &service.liveness_probe]
        .into_iter()
        .flatten()
    {
        if probe.exec.is_none() && probe.http_get.is_none() {
            check.error(
                probe.loc,
                &probe.path,
                "a probe needs `exec: {command: [...]}` or `http_get: {path, port}`",
            );
        }
        if let Some(http) = &probe.http_get {
            match &http.port {
                Some(port) => port_number(check, port, &child(&http.path, "port")),
                None => check.error(http.loc, &http.path, "`http_get` needs `port: <number>`"),
            }
        }
        if let Some(exec) = &probe.exec
            && exec.command.is_empty()
        {
            check.error(
                exec.loc,
                &exec.path,
                "`exec` needs `command: [<program>, <args>...]`",
            );
        }
    }
    volumes(check, &service.volumes, shared_volumes);
    config_files(check, &service.configmap);
    account(
        check,
        &service.service_account_name,
        &service.path,
        accounts,
    );
    for (i, var) in service.envs.iter().enumerate() {
        if var.key.is_none() {
            check.error(
                var.loc,
                &index(&child(&service.path, "envs"), i),
                "a variable needs `key: <NAME>`",
            );
        }
    }
}

fn account(check: &mut Check<'_>, account: &Option<Text>, path: &str, accounts: &HashSet<&str>) {
    if let Some(name) = account
        && !accounts.contains(name.as_str())
    {
        check.error(
            name.loc,
            &child(path, "service_account_name"),
            format!("`{name}` is not in `service_accounts`: {}", known(accounts)),
        );
    }
}

/// `configmap` entries: a name Kubernetes takes as a ConfigMap key, a file inside the
/// repository, and a full path in the container; names and paths once each.
fn config_files(check: &mut Check<'_>, files: &[crate::ConfigMapFile]) {
    let mut names = HashSet::new();
    let mut mounts = HashSet::new();
    for file in files {
        match &file.name {
            Some(name)
                if !name.value.is_empty()
                    && name.value.len() <= 253
                    && name
                        .value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
            {
                if !names.insert(name.value.as_str()) {
                    check.error(
                        name.loc,
                        &child(&file.path, "name"),
                        format!("`{name}` names two configmap entries: give each its own"),
                    );
                }
            }
            Some(name) => check.error(
                name.loc,
                &child(&file.path, "name"),
                format!(
                    "`{name}` cannot name a configmap entry: use letters, digits, `-`, `_` and `.`"
                ),
            ),
            None => check.error(
                file.loc,
                &file.path,
                "a configmap entry needs `name: <key>`",
            ),
        }
        match &file.repo_path {
            Some(repo)
                if repo.value.starts_with('/') || repo.value.split('/').any(|p| p == "..") =>
            {
                check.error(
                    repo.loc,
                    &child(&file.path, "repo_path"),
                    format!("`{repo}` is outside the repository: give a path relative to its root"),
                );
            }
            Some(_) => {}
            None => check.error(
                file.loc,
                &file.path,
                "a configmap entry needs `repo_path: <file in the repository>`",
            ),
        }
        match &file.mount_path {
            Some(mount) if !mount.value.starts_with('/') => check.error(
                mount.loc,
                &child(&file.path, "mount_path"),
                format!(
                    "`{mount}` is not a full path: give the file's path in the container, from `/`"
                ),
            ),
            Some(mount) if !mounts.insert(mount.value.as_str()) => check.error(
                mount.loc,
                &child(&file.path, "mount_path"),
                format!("`{mount}` receives two configmap entries"),
            ),
            Some(_) => {}
            None => check.error(
                file.loc,
                &file.path,
                "a configmap entry needs `mount_path: <file's path in the container>`",
            ),
        }
    }
}

fn volumes(check: &mut Check<'_>, volumes: &[Volume], shared: &HashSet<&str>) {
    for volume in volumes {
        if volume.mount_path.is_none() {
            check.error(
                volume.loc,
                &volume.path,
                "a volume needs `mount_path: <path in the container>`",
            );
        }
        if let Some(claim) = &volume.claim {
            if !shared.contains(claim.as_str()) {
                check.error(
                    claim.loc,
                    &child(&volume.path, "claim"),
                    format!("`{claim}` is not in `shared_volumes`: {}", known(shared)),
                );
            }
            continue;
        }
        match volume.kind.as_ref().map(Text::as_str) {
            Some("persistent" | "shmem" | "s3" | "empty_dir" | "emptyDir") => {}
            Some(other) => check.error(
                volume.kind.as_ref().map_or(volume.loc, |k| k.loc),
                &child(&volume.path, "type"),
                format!("`{other}` is not a volume type: use `persistent`, `shmem` or `s3`, or `claim: <shared volume>`"),
            ),
            None => check.error(volume.loc, &volume.path, "a volume needs `type: persistent|shmem|s3` or `claim: <shared volume>`"),
        }
        if volume.kind.as_ref().is_some_and(|k| k.as_str() == "shmem")
            && let Some(size) = &volume.size
        {
            quantity(check, size, &child(&volume.path, "size"), Kind::Memory);
        }
    }
}

fn port_number(check: &mut Check<'_>, text: &Text, path: &str) {
    match text.as_str().trim().parse::<u32>() {
        Ok(1..=65535) => {}
        _ => check.error(
            text.loc,
            path,
            format!("`{text}` is not a port: use a number from 1 to 65535"),
        ),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Cpu,
    Memory,
}

fn quantities(check: &mut Check<'_>, quantities: &Option<Quantities>, path: &str, kind: Kind) {
    let Some(q) = quantities else { return };
    for (value, key) in [(&q.limits, "limits"), (&q.requests, "requests")] {
        if let Some(value) = value {
            quantity(check, value, &child(path, key), kind);
        }
    }
}

fn quantity(check: &mut Check<'_>, text: &Text, path: &str, kind: Kind) {
    let value = text.as_str().trim();
    let (number, suffix) = value.split_at(
        value
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(value.len()),
    );
    let number_ok = !number.is_empty() && number.parse::<f64>().is_ok_and(|n| n > 0.0);
    let suffix_ok = match kind {
        Kind::Cpu => matches!(suffix, "" | "m"),
        Kind::Memory => matches!(
            suffix,
            "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E"
        ),
    };
    if !(number_ok && suffix_ok) {
        let hint = match kind {
            Kind::Cpu => "a CPU quantity, like `500m` (half a core) or `2`",
            Kind::Memory => "a memory quantity, like `512Mi` or `2Gi`",
        };
        check.error(text.loc, path, format!("`{text}` is not {hint}"));
    }
}

/// `depends_on` must name services (the template's, or with `app_imports` maybe an imported
/// app's) and must not go round in a circle.
fn depends_on_cycles(check: &mut Check<'_>, template: &Template) {
    let by_name: HashMap<&str, &Service> = template
        .services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| (n.as_str(), s)))
        .collect();
    let names: HashSet<&str> = by_name.keys().copied().collect();
    // With imports, a dependency may be an imported app's service: checked once the
    // environment's template is made of them all.
    let imports = !template.app_imports.is_empty();
    for service in &template.services {
        for (i, dependency) in service.depends_on.iter().enumerate() {
            if !imports && !by_name.contains_key(dependency.as_str()) {
                check.error(
                    dependency.loc,
                    &index(&child(&service.path, "depends_on"), i),
                    format!(
                        "`{dependency}` is not a service of this template: {}",
                        known(&names)
                    ),
                );
            }
        }
    }
    // A cycle is reported once, at the service of the cycle written first.
    let named: Vec<&Service> = template
        .services
        .iter()
        .filter(|s| s.name.is_some())
        .collect();
    let services: Vec<(&str, Vec<&str>)> = named
        .iter()
        .filter_map(|s| {
            let name = s.name.as_ref()?.as_str();
            Some((name, s.depends_on.iter().map(|d| d.as_str()).collect()))
        })
        .collect();
    let names: Vec<&str> = services.iter().map(|(n, _)| *n).collect();
    for cycle in crate::graph::depends_on(&services).1.cycles {
        let at = named[cycle[0]];
        check.error(
            at.loc,
            &child(&at.path, "depends_on"),
            crate::graph::circle_message(&names, &cycle),
        );
    }
}

pub(crate) struct Names<'a> {
    pub services: &'a HashSet<&'a str>,
    pub jobs: &'a HashSet<&'a str>,
    pub charts: &'a HashSet<&'a str>,
    pub infrastructure: &'a HashSet<&'a str>,
}

fn check_workflows(check: &mut Check<'_>, template: &Template, names: &Names<'_>) {
    let workflow_names: Vec<(&Text, String)> = template
        .workflows
        .iter()
        .filter_map(|w| {
            check
                .name(&w.name, w.loc, &w.path, "workflow")
                .map(|n| (n, w.path.0.clone()))
        })
        .collect();
    // Release's own sample configuration repeats `teardown`, so a repeat is a warning here.
    let mut workflow_seen: HashMap<&str, &Text> = HashMap::new();
    for (name, path) in &workflow_names {
        match workflow_seen.get(name.as_str()) {
            Some(first) => check.warn(
                name.loc,
                &child(path, "name"),
                format!(
                    "a second workflow named `{name}` (the first is at line {}): Stagecraft runs \
                     the first and ignores this one",
                    first.loc.line
                ),
            ),
            None => {
                workflow_seen.insert(name.as_str(), name);
            }
        }
    }
    let workflow_names: HashSet<&str> = workflow_seen.into_keys().collect();
    // Point at the workflows when there are some, else at the top of the file.
    let workflows_loc = template.workflows.first().map_or(template.loc, |w| w.loc);
    if !workflow_names.contains("setup") {
        check.error(
            workflows_loc,
            "workflows",
            "no `setup` workflow: Release runs it to create every environment; add `- name: setup` \
             with its tasks (for example `order_from: [services.all]`)",
        );
    }
    for workflow in &template.workflows {
        check_workflow(check, workflow, names);
    }
    match template
        .workflows
        .iter()
        .find(|w| w.name.as_ref().is_some_and(|n| n.as_str() == "teardown"))
    {
        None => check.warn(
            workflows_loc,
            "workflows",
            "no `teardown` workflow: Stagecraft removes the environment all the same; add `- name: \
             teardown` with `order_from: [release.remove_environment]` to say so",
        ),
        Some(teardown) => {
            let last = teardown
                .order_from
                .last()
                .or_else(|| teardown.parallelize.last().and_then(|s| s.tasks.last()));
            if last.is_none_or(|t| t.as_str() != "release.remove_environment") {
                check.warn(
                    last.map_or(teardown.loc, |t| t.loc),
                    &teardown.path,
                    "teardown should end with `release.remove_environment`, as Release requires; \
                     Stagecraft removes the environment after the last task all the same",
                );
            }
        }
    }
}

fn check_workflow(check: &mut Check<'_>, workflow: &Workflow, names: &Names<'_>) {
    if !workflow.order_from.is_empty() && !workflow.parallelize.is_empty() {
        check.error(
            workflow.loc,
            &workflow.path,
            "a workflow has `order_from` or `parallelize`, not both",
        );
    }
    if workflow.order_from.is_empty() && workflow.parallelize.is_empty() && workflow.name.is_some()
    {
        check.warn(
            workflow.loc,
            &workflow.path,
            "this workflow has no tasks: it does nothing",
        );
    }
    let mut refs: Vec<(&Text, String)> = workflow
        .order_from
        .iter()
        .enumerate()
        .map(|(i, t)| (t, index(&child(&workflow.path, "order_from"), i)))
        .collect();
    for step in &workflow.parallelize {
        if step.tasks.is_empty() {
            check.warn(step.loc, &step.path, "this step has no tasks");
        }
        refs.extend(
            step.tasks
                .iter()
                .enumerate()
                .map(|(i, t)| (t, index(&child(&step.path, "tasks"), i))),
        );
    }
    let mut seen: HashMap<&str, Loc> = HashMap::new();
    for (task, path) in refs {
        match parse_task_ref(task.as_str()) {
            Err(message) => check.error(task.loc, &path, message),
            Ok(reference) => {
                let (set, what, name) = match &reference {
                    TaskRef::Service(name) => (names.services, "service", name.as_str()),
                    TaskRef::Job(name) => (names.jobs, "job", name.as_str()),
                    TaskRef::Chart(name) => (names.charts, "chart", name.as_str()),
                    TaskRef::Infrastructure(name) => {
                        (names.infrastructure, "infrastructure entry", name.as_str())
                    }
                    TaskRef::All(_) | TaskRef::RemoveEnvironment => continue,
                };
                if !set.contains(name) {
                    check.error(
                        task.loc,
                        &path,
                        format!("`{task}` names no {what} of this template: {}", known(set)),
                    );
                }
                if let Some(first) = seen.insert(task.as_str(), task.loc) {
                    check.warn(
                        task.loc,
                        &path,
                        format!(
                            "`{task}` is already a task of this workflow (line {}): it runs twice",
                            first.line
                        ),
                    );
                }
            }
        }
    }
}
