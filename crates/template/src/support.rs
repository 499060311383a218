//! What Stagecraft carries out of a template on each runtime, and a located warning for every
//! key it reads but does not carry out there, saying what happens instead. Nothing a template
//! says is dropped without a word.
//!
//! [`RULES`] names every key of the model ([`Template`](crate::Template) and
//! [`VariablesFile`](crate::VariablesFile), as `services[].ports[].type`) with what each
//! runtime does with it; a test walks the model's keys and fails on a key the table does not
//! name, so a key added to the model must be decided here. A few warnings depend on a value
//! rather than a key (an `s3` volume, a workflow other than setup, patch and teardown): those
//! are [`value_warnings`].

use crate::diagnostic::{Diagnostics, Severity};
use crate::read::{child, index};
use crate::yaml::{Limits, Node, Value};

/// Where a template is to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Docker,
    Kubernetes,
    /// Not known yet (`gitops validate`, adding an app): what either runtime leaves out.
    Either,
}

impl Target {
    /// ` on Docker`, ` on Kubernetes`, or nothing.
    fn on(self) -> &'static str {
        match self {
            Self::Docker => " on Docker",
            Self::Kubernetes => " on Kubernetes",
            Self::Either => "",
        }
    }
}

/// What one runtime does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Carried,
    /// Not carried out; what happens instead.
    Instead(&'static str),
}

use Effect::{Carried, Instead};

/// A key of the model and what each runtime does with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub path: &'static str,
    pub docker: Effect,
    pub kubernetes: Effect,
}

const fn both(path: &'static str, effect: Effect) -> Rule {
    Rule {
        path,
        docker: effect,
        kubernetes: effect,
    }
}

const fn carried(path: &'static str) -> Rule {
    both(path, Carried)
}

const fn ignored(path: &'static str, instead: &'static str) -> Rule {
    both(path, Instead(instead))
}

const fn not_on_docker(path: &'static str, instead: &'static str) -> Rule {
    Rule {
        path,
        docker: Instead(instead),
        kubernetes: Carried,
    }
}

const NOT_USED: &str = "Stagecraft does not use it";
const CHARTS: &str = "Helm charts are not run: each `charts.<name>` task is skipped";
const INFRASTRUCTURE: &str =
    "infrastructure as code is not run: each `infrastructure.<name>` task is skipped";
const ATTACHED_VOLUME: &str = "the volume is the service's of that `name`, as the service \
    declares it";
const BUILDS: &str = "standalone builds are not built: only a service's `build` makes an image";
const SERVICE_ACCOUNTS: &str =
    "no service account or cloud role is made: workloads run with the default account";
const PROBE_TIMEOUT: &str = "each check may take 5 s on Docker and 1 s on Kubernetes";
const NODE_SELECTOR: &str = "one Docker engine has no nodes to choose from";
const CPU_REQUESTS: &str = "Docker weighs every container alike: nothing is reserved ahead \
                            (the `limits` are applied)";
const SHARED_SIZE: &str = "Docker volumes have no size; on Kubernetes every claim is 1Gi";

/// Every key of the model, with what Docker and Kubernetes do with it.
pub(crate) const RULES: &[Rule] = &[
    // The template's top level.
    carried("app"),
    carried("auto_deploy"),
    ignored(
        "context",
        "the runtime is chosen for each environment (`--runtime`), not by the template",
    ),
    ignored(
        "domain",
        "the services' hostnames use `localhost` as `${domain}` on this machine (browsers send \
         every `*.localhost` name to it); `RELEASE_DOMAIN` keeps this value",
    ),
    ignored("execution_type", NOT_USED),
    ignored(
        "git_fetch_depth",
        "builds read the local repository: nothing is fetched",
    ),
    ignored("mode", NOT_USED),
    carried("parallelize_app_imports"),
    ignored(
        "repo_name",
        "the repository is the folder the app was added from",
    ),
    carried("tracking_branch"),
    ignored(
        "tracking_tag",
        "environments follow branches: a new tag deploys nothing",
    ),
    carried("app_imports"),
    carried("app_imports[].name"),
    carried("app_imports[].branch"),
    carried("app_imports[].exclude_services"),
    carried("app_imports[].exclude_services[].name"),
    ignored("builds", BUILDS),
    carried("builds[].name"),
    carried("builds[].context"),
    carried("builds[].dockerfile"),
    carried("builds[].args"),
    carried("builds[].target"),
    ignored("charts", CHARTS),
    carried("charts[].name"),
    carried("charts[].add"),
    carried("charts[].repo_url"),
    carried("charts[].install"),
    carried("charts[].version"),
    carried("charts[].directory"),
    carried("charts[].include_crds"),
    carried("charts[].name_template"),
    carried("charts[].values"),
    carried("cron_jobs"),
    carried("cron_jobs[].name"),
    carried("cron_jobs[].schedule"),
    carried("cron_jobs[].from_services"),
    carried("cron_jobs[].image"),
    carried("cron_jobs[].command"),
    carried("cron_jobs[].args"),
    carried("cron_jobs[].envs"),
    carried("cron_jobs[].envs[].key"),
    carried("cron_jobs[].envs[].value"),
    carried("cron_jobs[].envs[].secret"),
    carried("cron_jobs[].completed_timeout"),
    not_on_docker("cron_jobs[].node_selector", NODE_SELECTOR),
    carried("cron_jobs[].node_selector[].key"),
    carried("cron_jobs[].node_selector[].value"),
    carried("cron_jobs[].volumes"),
    carried("cron_jobs[].volumes[].name"),
    carried("cron_jobs[].volumes[].type"),
    carried("cron_jobs[].volumes[].claim"),
    carried("cron_jobs[].volumes[].mount_path"),
    carried("cron_jobs[].volumes[].size"),
    ignored("cron_jobs[].volumes[].bucket", "S3 buckets are not mounted"),
    carried("cron_jobs[].cpu"),
    carried("cron_jobs[].cpu.limits"),
    not_on_docker("cron_jobs[].cpu.requests", CPU_REQUESTS),
    carried("cron_jobs[].memory"),
    carried("cron_jobs[].memory.limits"),
    carried("cron_jobs[].memory.requests"),
    ignored("custom_links", "links are not shown"),
    ignored(
        "datasets",
        "a name that is a handle pool of the app (`stagecraft apps handles`) gives each new \
         environment one of its names as its id; one that is a dataset of the app \
         (`stagecraft datasets create`) fills a new environment's volumes from it (archives on \
         Docker, VolumeSnapshots on Kubernetes; only on the runtime it was taken on) and skips \
         the jobs it covers; any other name is not checked out: environments start with empty \
         volumes",
    ),
    carried("datasets[].name"),
    ignored("development_environment", NOT_USED),
    carried("environment_templates"),
    carried("environment_templates[].name"),
    carried("hostnames"),
    ignored("infrastructure", INFRASTRUCTURE),
    carried("infrastructure[].name"),
    carried("infrastructure[].type"),
    carried("infrastructure[].directory"),
    carried("infrastructure[].values"),
    ignored(
        "ingress",
        "the local ingress has none of these limits: bodies of any size stream through, and \
         no read or send time limit applies",
    ),
    carried("init_containers"),
    carried("init_containers[].name"),
    carried("init_containers[].service"),
    carried("init_containers[].image"),
    carried("init_containers[].from_services"),
    carried("init_containers[].command"),
    carried("init_containers[].args"),
    carried("init_containers[].envs"),
    carried("init_containers[].envs[].key"),
    carried("init_containers[].envs[].value"),
    carried("init_containers[].envs[].secret"),
    carried("init_containers[].volumes"),
    carried("init_containers[].volumes[].name"),
    carried("init_containers[].volumes[].mount_path"),
    carried("init_containers[].cpu"),
    carried("init_containers[].cpu.limits"),
    carried("init_containers[].memory"),
    carried("init_containers[].memory.limits"),
    carried("init_containers[].memory.requests"),
    not_on_docker("init_containers[].cpu.requests", CPU_REQUESTS),
    ignored("init_containers[].volumes[].type", ATTACHED_VOLUME),
    ignored("init_containers[].volumes[].claim", ATTACHED_VOLUME),
    ignored("init_containers[].volumes[].size", ATTACHED_VOLUME),
    ignored("init_containers[].volumes[].bucket", ATTACHED_VOLUME),
    carried("jobs"),
    not_on_docker("node_selector", NODE_SELECTOR),
    carried("node_selector[].key"),
    carried("node_selector[].value"),
    ignored("notifications", "notifications are not sent"),
    carried("parameters"),
    carried("parameters[].name"),
    carried("parameters[].type"),
    carried("parameters[].description"),
    carried("parameters[].default"),
    carried("parameters[].optional"),
    carried("resources"),
    carried("resources.cpu"),
    carried("resources.cpu.limits"),
    not_on_docker("resources.cpu.requests", CPU_REQUESTS),
    carried("resources.memory"),
    carried("resources.memory.limits"),
    carried("resources.memory.requests"),
    carried("resources.replicas"),
    carried("rules"),
    carried("rules[].service"),
    carried("rules[].hostnames"),
    carried("rules[].path"),
    ignored("s3_volumes", "S3 buckets are not mounted"),
    carried("s3_volumes[].bucket"),
    carried("s3_volumes[].region"),
    ignored("service_accounts", SERVICE_ACCOUNTS),
    carried("service_accounts[].name"),
    carried("service_accounts[].cloud_role"),
    carried("services"),
    carried("shared_volumes"),
    carried("shared_volumes[].name"),
    ignored("shared_volumes[].size", SHARED_SIZE),
    ignored(
        "shared_volumes[].type",
        "a Docker volume or the cluster's default storage class is used",
    ),
    carried("sidecars"),
    carried("sidecars[].name"),
    carried("sidecars[].service"),
    carried("sidecars[].image"),
    carried("sidecars[].from_services"),
    carried("sidecars[].command"),
    carried("sidecars[].args"),
    carried("sidecars[].envs"),
    carried("sidecars[].envs[].key"),
    carried("sidecars[].envs[].value"),
    carried("sidecars[].envs[].secret"),
    carried("sidecars[].volumes"),
    carried("sidecars[].volumes[].name"),
    carried("sidecars[].volumes[].mount_path"),
    carried("sidecars[].cpu"),
    carried("sidecars[].cpu.limits"),
    carried("sidecars[].memory"),
    carried("sidecars[].memory.limits"),
    carried("sidecars[].memory.requests"),
    not_on_docker("sidecars[].cpu.requests", CPU_REQUESTS),
    ignored("sidecars[].volumes[].type", ATTACHED_VOLUME),
    ignored("sidecars[].volumes[].claim", ATTACHED_VOLUME),
    ignored("sidecars[].volumes[].size", ATTACHED_VOLUME),
    ignored("sidecars[].volumes[].bucket", ATTACHED_VOLUME),
    carried("workflows"),
    ignored("workspaces", NOT_USED),
    // Jobs.
    carried("jobs[].name"),
    carried("jobs[].from_services"),
    carried("jobs[].image"),
    carried("jobs[].command"),
    carried("jobs[].args"),
    carried("jobs[].envs"),
    carried("jobs[].envs[].key"),
    carried("jobs[].envs[].value"),
    carried("jobs[].envs[].secret"),
    carried("jobs[].completed_timeout"),
    ignored("jobs[].service_account_name", SERVICE_ACCOUNTS),
    not_on_docker("jobs[].node_selector", NODE_SELECTOR),
    carried("jobs[].node_selector[].key"),
    carried("jobs[].node_selector[].value"),
    carried("jobs[].volumes"),
    carried("jobs[].volumes[].name"),
    carried("jobs[].volumes[].type"),
    carried("jobs[].volumes[].claim"),
    carried("jobs[].volumes[].mount_path"),
    carried("jobs[].volumes[].size"),
    ignored("jobs[].volumes[].bucket", "S3 buckets are not mounted"),
    carried("jobs[].cpu"),
    carried("jobs[].cpu.limits"),
    not_on_docker("jobs[].cpu.requests", CPU_REQUESTS),
    carried("jobs[].memory"),
    carried("jobs[].memory.limits"),
    carried("jobs[].memory.requests"),
    // Services.
    carried("services[].name"),
    carried("services[].image"),
    carried("services[].has_repo"),
    carried("services[].build"),
    carried("services[].build.context"),
    carried("services[].build.dockerfile"),
    carried("services[].build.args"),
    carried("services[].build.target"),
    carried("services[].command"),
    carried("services[].args"),
    carried("services[].ports"),
    carried("services[].ports[].type"),
    carried("services[].ports[].port"),
    carried("services[].ports[].target_port"),
    ignored(
        "services[].ports[].loadbalancer",
        "no load balancer is made: a `node_port` is reached on 127.0.0.1",
    ),
    ignored(
        "services[].ports[].tls_enabled",
        "no TLS: a `node_port` is reached over plain HTTP on 127.0.0.1",
    ),
    ignored(
        "services[].ports[].backend_protocol",
        "traffic reaches the port as it is sent: no protocol is set in front of it",
    ),
    // Release orders deploys by the workflows; `depends_on` is checked (names, cycles).
    carried("services[].depends_on"),
    carried("services[].envs"),
    carried("services[].envs[].key"),
    carried("services[].envs[].value"),
    carried("services[].envs[].secret"),
    carried("services[].cpu"),
    carried("services[].cpu.limits"),
    not_on_docker("services[].cpu.requests", CPU_REQUESTS),
    carried("services[].memory"),
    carried("services[].memory.limits"),
    carried("services[].memory.requests"),
    carried("services[].replicas"),
    carried("services[].readiness_probe"),
    carried("services[].readiness_probe.exec"),
    carried("services[].readiness_probe.exec.command"),
    carried("services[].readiness_probe.http_get"),
    carried("services[].readiness_probe.http_get.path"),
    carried("services[].readiness_probe.http_get.port"),
    carried("services[].readiness_probe.initial_delay_seconds"),
    carried("services[].readiness_probe.period_seconds"),
    carried("services[].readiness_probe.timeout_seconds"),
    ignored(
        "services[].readiness_probe.success_threshold",
        "one answer is enough",
    ),
    carried("services[].readiness_probe.failure_threshold"),
    carried("services[].liveness_probe"),
    carried("services[].liveness_probe.exec"),
    carried("services[].liveness_probe.exec.command"),
    carried("services[].liveness_probe.http_get"),
    carried("services[].liveness_probe.http_get.path"),
    carried("services[].liveness_probe.http_get.port"),
    carried("services[].liveness_probe.initial_delay_seconds"),
    carried("services[].liveness_probe.period_seconds"),
    ignored("services[].liveness_probe.timeout_seconds", PROBE_TIMEOUT),
    ignored(
        "services[].liveness_probe.success_threshold",
        "one answer is enough",
    ),
    carried("services[].liveness_probe.failure_threshold"),
    carried("services[].volumes"),
    carried("services[].volumes[].name"),
    carried("services[].volumes[].type"),
    carried("services[].volumes[].claim"),
    carried("services[].volumes[].mount_path"),
    carried("services[].volumes[].size"),
    ignored("services[].volumes[].bucket", "S3 buckets are not mounted"),
    ignored(
        "services[].storage",
        "persistent volumes are Docker volumes without a size, or 1Gi claims of the cluster's \
         default storage class",
    ),
    carried("services[].storage.size"),
    carried("services[].storage.type"),
    carried("services[].configmap"),
    carried("services[].configmap[].name"),
    carried("services[].configmap[].repo_path"),
    carried("services[].configmap[].mount_path"),
    not_on_docker("services[].node_selector", NODE_SELECTOR),
    carried("services[].node_selector[].key"),
    carried("services[].node_selector[].value"),
    ignored("services[].service_account_name", SERVICE_ACCOUNTS),
    ignored("services[].execution_type", NOT_USED),
    // A static service's site is built and served by Stagecraft's file server; validation
    // points at the keys it does not use, and at these on a service that is not static.
    carried("services[].static"),
    carried("services[].build_base"),
    carried("services[].build_command"),
    carried("services[].build_package_install_command"),
    carried("services[].build_output_directory"),
    // Workflows.
    carried("workflows[].name"),
    carried("workflows[].order_from"),
    carried("workflows[].parallelize"),
    carried("workflows[].parallelize[].step"),
    carried("workflows[].parallelize[].tasks"),
    carried("workflows[].parallelize[].halt_on_error"),
    carried("workflows[].parallelize[].wait_for_finish"),
    // The variables file.
    carried("gitops"),
    carried("mapping"),
    carried("defaults"),
    carried("defaults[].key"),
    carried("defaults[].value"),
    carried("defaults[].secret"),
    carried("envs"),
    carried("envs[].key"),
    carried("envs[].value"),
    carried("envs[].secret"),
    carried("services.*[].key"),
    carried("services.*[].value"),
    carried("services.*[].secret"),
];

/// The rule for a key path in pattern form (`services[].ports[].type`).
pub(crate) fn rule(pattern: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.path == pattern)
}

/// What to say about `effect` on `target`, when it is not carried out there.
fn instead(rule: &Rule, target: Target) -> Option<String> {
    match (target, rule.docker, rule.kubernetes) {
        (Target::Docker, Instead(why), _) | (Target::Kubernetes, _, Instead(why)) => {
            Some(why.to_owned())
        }
        (Target::Either, Instead(docker), Instead(kubernetes)) if docker == kubernetes => {
            Some(docker.to_owned())
        }
        (Target::Either, Instead(docker), Instead(kubernetes)) => {
            Some(format!("on Docker, {docker}; on Kubernetes, {kubernetes}"))
        }
        (Target::Either, Instead(docker), Carried) => Some(format!("on Docker, {docker}")),
        (Target::Either, Carried, Instead(kubernetes)) => {
            Some(format!("on Kubernetes, {kubernetes}"))
        }
        _ => None,
    }
}

/// A located warning for each key of the template in `text` that `target` does not carry
/// out. `text` is read again for its locations; a text that is not YAML has no warnings here
/// (reading it reports that).
pub fn unsupported(file: &str, text: &str, target: Target) -> Diagnostics {
    let mut out = Diagnostics::default();
    let Ok((root, _)) = crate::yaml::parse(text, Limits::default()) else {
        return out;
    };
    let mut walk = Walk {
        file,
        target,
        out: &mut out,
    };
    walk.node(&root, "", "");
    value_warnings(&root, file, &mut out);
    out.sort();
    out
}

struct Walk<'a> {
    file: &'a str,
    target: Target,
    out: &'a mut Diagnostics,
}

impl Walk<'_> {
    /// `path` is where the node is (`services[2].ports`), `pattern` the same without indexes.
    fn node(&mut self, node: &Node, path: &str, pattern: &str) {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    let path = child(path, &entry.key);
                    // An environment template's keys are the template's own.
                    let pattern = if pattern == "environment_templates[]" {
                        entry.key.clone()
                    } else {
                        child(pattern, &entry.key)
                    };
                    let Some(rule) = rule(&pattern) else {
                        // The user's own keys (a hostname's service) or unknown ones, which
                        // reading reports.
                        continue;
                    };
                    if let Some(why) = instead(rule, self.target) {
                        self.out.push(
                            Severity::Warning,
                            self.file,
                            entry.key_loc,
                            &path,
                            format!("not carried out{}: {why}", self.target.on()),
                        );
                        continue;
                    }
                    self.node(&entry.value, &path, &pattern);
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.node(item, &index(path, i), &format!("{pattern}[]"));
                }
            }
            Value::Scalar { .. } => {}
        }
    }
}

/// Warnings that depend on a value: an `s3` volume, a service with `has_repo: true` but
/// nothing to build it from.
fn value_warnings(root: &Node, file: &str, out: &mut Diagnostics) {
    let workloads = items(root, "services").chain(items(root, "jobs"));
    for (path, workload) in workloads {
        for (volume_path, volume) in items(workload, "volumes") {
            if let Some((kind, loc)) = scalar(volume, "type") {
                let why = match kind.as_str() {
                    "s3" => Some("S3 buckets are not mounted: nothing is mounted at its path"),
                    "empty_dir" | "emptyDir" => Some(
                        "an empty_dir volume is kept as a persistent volume: its files outlive \
                         the container",
                    ),
                    _ => None,
                };
                if let Some(why) = why {
                    out.push(
                        Severity::Warning,
                        file,
                        loc,
                        &child(&child(&path, &volume_path), "type"),
                        format!("`type: {kind}` is not carried out: {why}"),
                    );
                }
            }
        }
    }
    for (path, service) in items(root, "services") {
        if let Some((has_repo, loc)) = scalar(service, "has_repo")
            && has_repo == "true"
            && field(service, "build").is_none()
        {
            out.push(
                Severity::Warning,
                file,
                loc,
                &child(&path, "has_repo"),
                "`has_repo: true` builds nothing here without `build:`: the service's `image` is \
                 pulled as named; add `build: {context: .}` to build it from the repository"
                    .to_owned(),
            );
        }
    }
}

fn field<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
        _ => None,
    }
}

fn scalar(node: &Node, key: &str) -> Option<(String, crate::yaml::Loc)> {
    let value = field(node, key)?;
    match &value.value {
        Value::Scalar { text, .. } => Some((text.clone(), value.loc)),
        _ => None,
    }
}

/// The items of the list at `key`, with their paths.
fn items<'n>(node: &'n Node, key: &str) -> impl Iterator<Item = (String, &'n Node)> {
    let list = match field(node, key).map(|n| &n.value) {
        Some(Value::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    let key = key.to_owned();
    list.iter()
        .enumerate()
        .map(move |(i, item)| (index(&key, i), item))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Keys;

    #[test]
    fn every_key_of_the_model_is_carried_out_or_warned_about() {
        let mut keys = Vec::new();
        crate::Template::keys("", &mut keys);
        crate::VariablesFile::keys("", &mut keys);
        let missing: Vec<&String> = keys.iter().filter(|k| rule(k).is_none()).collect();
        assert!(
            missing.is_empty(),
            "decide in support::RULES what each runtime does with: {missing:?}"
        );
        let stale: Vec<&str> = RULES
            .iter()
            .map(|r| r.path)
            .filter(|p| !keys.iter().any(|k| k == p))
            .collect();
        assert!(
            stale.is_empty(),
            "RULES names keys the model has not: {stale:?}"
        );
    }
}
