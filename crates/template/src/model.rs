//! The Release format as types: the Application Template (reference §3), the environment
//! variables file (§5) and `.release.yaml` (§2). Every key the reference names is a field;
//! keys it names without a shape (`development_environment`, `notifications`, ...) are kept as
//! [`Opaque`] values; any other key lands in `extra` and is reported.

use crate::read::{Ctx, Keys, Opaque, Read, Text, TextList, TextMap, Write, child, record};
use crate::yaml::{Node, Value};

record! {
    /// The Application Template: an app's default environment configuration. The same shape
    /// is an environment's own configuration once merged with an `environment_templates` entry.
    pub struct Template {
        app: Option<Text> = "app",
        auto_deploy: Option<bool> = "auto_deploy",
        context: Option<Text> = "context",
        domain: Option<Text> = "domain",
        execution_type: Option<Text> = "execution_type",
        git_fetch_depth: Option<u64> = "git_fetch_depth",
        mode: Option<Text> = "mode",
        parallelize_app_imports: Option<bool> = "parallelize_app_imports",
        repo_name: Option<Text> = "repo_name",
        tracking_branch: Option<Text> = "tracking_branch",
        tracking_tag: Option<Text> = "tracking_tag",
        app_imports: Vec<AppImport> = "app_imports",
        builds: Vec<ImageBuild> = "builds",
        charts: Vec<Chart> = "charts",
        cron_jobs: Vec<CronJob> = "cron_jobs",
        custom_links: Vec<Opaque> = "custom_links",
        datasets: Vec<Dataset> = "datasets",
        development_environment: Option<Opaque> = "development_environment",
        environment_templates: Vec<EnvironmentTemplate> = "environment_templates",
        hostnames: Vec<Hostname> = "hostnames",
        infrastructure: Vec<Infrastructure> = "infrastructure",
        ingress: Option<TextMap> = "ingress",
        init_containers: Vec<AttachedContainer> = "init_containers",
        jobs: Vec<Job> = "jobs",
        node_selector: Vec<NodeSelector> = "node_selector",
        notifications: Option<Opaque> = "notifications",
        parameters: Vec<Parameter> = "parameters",
        resources: Option<Resources> = "resources",
        rules: Vec<Rule> = "rules",
        s3_volumes: Vec<S3Volume> = "s3_volumes",
        service_accounts: Vec<ServiceAccount> = "service_accounts",
        services: Vec<Service> = "services",
        shared_volumes: Vec<SharedVolume> = "shared_volumes",
        sidecars: Vec<AttachedContainer> = "sidecars",
        workflows: Vec<Workflow> = "workflows",
        workspaces: Option<Opaque> = "workspaces",
    }
}

record! {
    /// Another Release app deployed with this one (§3.8).
    pub struct AppImport {
        name: Option<Text> = "name",
        branch: Option<Text> = "branch",
        exclude_services: Vec<Named> = "exclude_services",
    }
}

record! {
    /// `{name: ...}`: an entry that only names something.
    pub struct Named {
        name: Option<Text> = "name",
    }
}

record! {
    /// A standalone image build (§3.10).
    pub struct ImageBuild {
        name: Option<Text> = "name",
        context: Option<Text> = "context",
        dockerfile: Option<Text> = "dockerfile",
        args: Vec<Text> = "args",
        target: Option<Text> = "target",
    }
}

record! {
    /// A Helm chart, run from workflows as `charts.<name>`.
    pub struct Chart {
        name: Option<Text> = "name",
        add: Option<Text> = "add",
        repo_url: Option<Text> = "repo_url",
        install: Option<Text> = "install",
        version: Option<Text> = "version",
        directory: Option<Text> = "directory",
        include_crds: Option<bool> = "include_crds",
        name_template: Option<Text> = "name_template",
        values: TextList = "values",
    }
}

record! {
    /// A job run on a schedule (five-field cron syntax, or `@hourly`, `@daily`, ...). Release
    /// lists the key without its fields; Stagecraft reads a job's fields and `schedule`
    /// (ARCHITECTURE.md, "Cron jobs").
    pub struct CronJob {
        name: Option<Text> = "name",
        schedule: Option<Text> = "schedule",
        from_services: Option<Text> = "from_services",
        image: Option<Text> = "image",
        command: Vec<Text> = "command",
        args: Vec<Text> = "args",
        envs: Vec<EnvVar> = "envs",
        completed_timeout: Option<u64> = "completed_timeout",
        node_selector: Vec<NodeSelector> = "node_selector",
        volumes: Vec<Volume> = "volumes",
        cpu: Option<Quantities> = "cpu",
        memory: Option<Quantities> = "memory",
    }
}

record! {
    /// An init container or a sidecar: a container of a service's replicas beside the
    /// service's own. Release lists the keys `init_containers` and `sidecars` without their
    /// fields; these are Stagecraft's (ARCHITECTURE.md, "Init containers and sidecars"):
    /// `service` names the service it belongs to; it runs `image`, or the image of
    /// `from_services`, or else its service's; it has its service's variables and its own
    /// `envs`, and mounts the service's volumes it names (`{name, mount_path}`).
    pub struct AttachedContainer {
        name: Option<Text> = "name",
        service: Option<Text> = "service",
        image: Option<Text> = "image",
        from_services: Option<Text> = "from_services",
        command: Vec<Text> = "command",
        args: Vec<Text> = "args",
        envs: Vec<EnvVar> = "envs",
        volumes: Vec<Volume> = "volumes",
        cpu: Option<Quantities> = "cpu",
        memory: Option<Quantities> = "memory",
    }
}

record! {
    /// An Instant Dataset or environment handle pool checked out at creation.
    pub struct Dataset {
        name: Option<Text> = "name",
    }
}

/// One `environment_templates` entry: a name, and top-level keys that override the template
/// for environments made from it. The overrides stay a tree until `merge` applies them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvironmentTemplate {
    pub name: Option<Text>,
    pub overrides: Vec<(String, Node)>,
    pub loc: crate::yaml::Loc,
    pub path: crate::yaml::KeyPath,
}

impl Read for EnvironmentTemplate {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        let mut fields = ctx.fields(node, path)?;
        let name = fields.read(ctx, "name");
        let Value::Map(entries) = &node.value else {
            return Some(Self {
                name,
                overrides: Vec::new(),
                loc: node.loc,
                path: crate::yaml::KeyPath(path.to_owned()),
            });
        };
        let overrides = entries
            .iter()
            .filter(|e| e.key != "name")
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect();
        Some(Self {
            name,
            overrides,
            loc: node.loc,
            path: crate::yaml::KeyPath(path.to_owned()),
        })
    }
}

/// Its overrides are the template's own keys, checked where the template's are.
impl Keys for EnvironmentTemplate {
    fn keys(prefix: &str, out: &mut Vec<String>) {
        out.push(child(prefix, "name"));
    }
}

impl Write for EnvironmentTemplate {
    fn write(&self) -> Node {
        let mut entries = Vec::new();
        crate::read::FieldValue::write_into(&self.name, "name", &mut entries);
        entries.extend(self.overrides.iter().cloned());
        Node::map(entries)
    }
}

/// `- <service>: <hostname template>` (§3.7).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hostname {
    pub service: Text,
    pub template: Text,
    pub path: crate::yaml::KeyPath,
}

impl Read for Hostname {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        match &node.value {
            Value::Map(entries) if entries.len() == 1 => {
                let entry = &entries[0];
                let template = Text::read(ctx, &entry.value, &child(path, &entry.key))?;
                Some(Self {
                    service: Text {
                        value: entry.key.clone(),
                        loc: entry.key_loc,
                        plain: true,
                    },
                    template,
                    path: crate::yaml::KeyPath(path.to_owned()),
                })
            }
            _ => {
                ctx.error(
                    node.loc,
                    path,
                    format!(
                        "expected one `<service>: <hostname>` pair, like `- frontend: \
                         frontend-${{env_id}}.${{domain}}`, found {}",
                        node.describe()
                    ),
                );
                None
            }
        }
    }
}

/// `<service>: <template>`: the key is the user's.
impl Keys for Hostname {}

impl Write for Hostname {
    fn write(&self) -> Node {
        Node::map(vec![(self.service.value.clone(), self.template.write())])
    }
}

record! {
    /// Infrastructure as code run from workflows as `infrastructure.<name>` (§3.10).
    pub struct Infrastructure {
        name: Option<Text> = "name",
        kind: Option<Text> = "type",
        directory: Option<Text> = "directory",
        values: Option<Text> = "values",
    }
}

record! {
    /// A container that runs to completion (§3.5).
    pub struct Job {
        name: Option<Text> = "name",
        from_services: Option<Text> = "from_services",
        image: Option<Text> = "image",
        command: Vec<Text> = "command",
        args: Vec<Text> = "args",
        envs: Vec<EnvVar> = "envs",
        completed_timeout: Option<u64> = "completed_timeout",
        service_account_name: Option<Text> = "service_account_name",
        node_selector: Vec<NodeSelector> = "node_selector",
        volumes: Vec<Volume> = "volumes",
        cpu: Option<Quantities> = "cpu",
        memory: Option<Quantities> = "memory",
    }
}

record! {
    /// `{key, value}`: a Kubernetes node label a workload must run on.
    pub struct NodeSelector {
        key: Option<Text> = "key",
        value: Option<Text> = "value",
    }
}

record! {
    /// An input of the template, used as `${parameters.<name>}`.
    pub struct Parameter {
        name: Option<Text> = "name",
        kind: Option<Text> = "type",
        description: Option<Text> = "description",
        default: Option<Text> = "default",
        optional: Option<bool> = "optional",
    }
}

record! {
    /// App-wide defaults for every service (§3.3).
    pub struct Resources {
        cpu: Option<Quantities> = "cpu",
        memory: Option<Quantities> = "memory",
        replicas: Option<u64> = "replicas",
    }
}

record! {
    /// `{limits, requests}` of CPU (`1000m`, `2`) or memory (`1Gi`, `100Mi`).
    pub struct Quantities {
        limits: Option<Text> = "limits",
        requests: Option<Text> = "requests",
    }
}

record! {
    /// Path- or host-based routing to a service (§3.7).
    pub struct Rule {
        service: Option<Text> = "service",
        hostnames: Vec<Text> = "hostnames",
        url_path: Option<Text> = "path",
    }
}

record! {
    /// An S3 bucket services and jobs may mount.
    pub struct S3Volume {
        bucket: Option<Text> = "bucket",
        region: Option<Text> = "region",
    }
}

record! {
    /// A cloud role bound to workloads with `service_account_name`.
    pub struct ServiceAccount {
        name: Option<Text> = "name",
        cloud_role: Option<Text> = "cloud_role",
    }
}

record! {
    /// A long-running container (§3.4).
    pub struct Service {
        name: Option<Text> = "name",
        image: Option<Text> = "image",
        has_repo: Option<bool> = "has_repo",
        build: Option<ServiceBuild> = "build",
        command: Vec<Text> = "command",
        args: Vec<Text> = "args",
        ports: Vec<Port> = "ports",
        depends_on: Vec<Text> = "depends_on",
        envs: Vec<EnvVar> = "envs",
        cpu: Option<Quantities> = "cpu",
        memory: Option<Quantities> = "memory",
        replicas: Option<u64> = "replicas",
        readiness_probe: Option<Probe> = "readiness_probe",
        liveness_probe: Option<Probe> = "liveness_probe",
        volumes: Vec<Volume> = "volumes",
        storage: Option<Storage> = "storage",
        configmap: Vec<ConfigMapFile> = "configmap",
        node_selector: Vec<NodeSelector> = "node_selector",
        service_account_name: Option<Text> = "service_account_name",
        execution_type: Option<Text> = "execution_type",
        is_static: Option<bool> = "static",
        build_base: Option<Text> = "build_base",
        build_command: Option<Text> = "build_command",
        build_package_install_command: Option<Text> = "build_package_install_command",
        build_output_directory: Option<Text> = "build_output_directory",
    }
}

impl Service {
    /// A static site (`static: true`): built by its own commands, served by Stagecraft's file
    /// server.
    pub fn is_static_site(&self) -> bool {
        self.is_static == Some(true)
    }
}

impl Template {
    /// The names of its static services, in the template's order.
    pub fn static_services(&self) -> impl Iterator<Item = &str> {
        self.services
            .iter()
            .filter(|s| s.is_static_site())
            .filter_map(|s| s.name.as_ref().map(Text::as_str))
    }
}

record! {
    /// How a service's image is built from the repository.
    pub struct ServiceBuild {
        context: Option<Text> = "context",
        dockerfile: Option<Text> = "dockerfile",
        args: Vec<Text> = "args",
        target: Option<Text> = "target",
    }
}

record! {
    /// A port of a service: `container_port` stays inside the environment, `node_port` is
    /// reachable from outside.
    pub struct Port {
        kind: Option<Text> = "type",
        port: Option<Text> = "port",
        target_port: Option<Text> = "target_port",
        loadbalancer: Option<bool> = "loadbalancer",
        tls_enabled: Option<bool> = "tls_enabled",
        backend_protocol: Option<Text> = "backend_protocol",
    }
}

/// `{key, value, secret}`: one environment variable. Written by hand rather than with
/// `record!` for one reason: `value: null` (seen in real variables files) is an empty value
/// with a warning, not a missing one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvVar {
    pub key: Option<Text>,
    pub value: Option<Text>,
    pub secret: Option<bool>,
    /// Keys Stagecraft does not know, kept as written.
    pub extra: crate::read::Extra,
    pub loc: crate::yaml::Loc,
    /// The path of keys to this record, like `defaults[2]`.
    pub path: crate::yaml::KeyPath,
}

impl Read for EnvVar {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        let mut fields = ctx.fields(node, path)?;
        let key: Option<Text> = fields.read(ctx, "key");
        let value = match fields.take("value") {
            Some((value, value_path)) if value.is_null() => {
                ctx.warn(
                    value.loc,
                    &value_path,
                    format!(
                        "`{}` has `value: null`: it is taken as an empty value; write `value: \"\"` \
                         to say so",
                        key.as_ref().map_or("this variable", |k| k.as_str())
                    ),
                );
                Some(Text {
                    value: String::new(),
                    loc: value.loc,
                    plain: false,
                })
            }
            Some((value, value_path)) => Text::read(ctx, value, &value_path),
            None => None,
        };
        let secret = fields.read(ctx, "secret");
        let extra = fields.finish(ctx);
        Some(Self {
            key,
            value,
            secret,
            extra,
            loc: node.loc,
            path: crate::yaml::KeyPath(path.to_owned()),
        })
    }
}

impl Write for EnvVar {
    fn write(&self) -> Node {
        use crate::read::FieldValue;
        let mut entries = Vec::new();
        self.key.write_into("key", &mut entries);
        self.value.write_into("value", &mut entries);
        self.secret.write_into("secret", &mut entries);
        entries.extend(self.extra.0.iter().cloned());
        Node::map(entries)
    }
}

impl Keys for EnvVar {
    fn keys(prefix: &str, out: &mut Vec<String>) {
        for key in ["key", "value", "secret"] {
            out.push(child(prefix, key));
        }
    }
}

record! {
    /// A readiness or liveness check, Kubernetes-style in snake_case.
    pub struct Probe {
        exec: Option<ExecAction> = "exec",
        http_get: Option<HttpGetAction> = "http_get",
        initial_delay_seconds: Option<u64> = "initial_delay_seconds",
        period_seconds: Option<u64> = "period_seconds",
        timeout_seconds: Option<u64> = "timeout_seconds",
        success_threshold: Option<u64> = "success_threshold",
        failure_threshold: Option<u64> = "failure_threshold",
    }
}

record! {
    pub struct ExecAction {
        command: Vec<Text> = "command",
    }
}

record! {
    pub struct HttpGetAction {
        url_path: Option<Text> = "path",
        port: Option<Text> = "port",
    }
}

record! {
    /// A volume mounted into a service or job (§3.4): `persistent`, `shmem`, `s3`, or a
    /// `claim` on a shared volume.
    pub struct Volume {
        name: Option<Text> = "name",
        kind: Option<Text> = "type",
        claim: Option<Text> = "claim",
        mount_path: Option<Text> = "mount_path",
        size: Option<Text> = "size",
        bucket: Option<Text> = "bucket",
    }
}

record! {
    pub struct Storage {
        size: Option<Text> = "size",
        kind: Option<Text> = "type",
    }
}

record! {
    /// A file from the repository mounted into the container.
    pub struct ConfigMapFile {
        name: Option<Text> = "name",
        repo_path: Option<Text> = "repo_path",
        mount_path: Option<Text> = "mount_path",
    }
}

record! {
    /// A volume shared by several workloads, mounted with `claim:`.
    pub struct SharedVolume {
        name: Option<Text> = "name",
        size: Option<Text> = "size",
        kind: Option<Text> = "type",
    }
}

record! {
    /// A stage's tasks (§4): `order_from` (one task per step) or `parallelize` (steps).
    pub struct Workflow {
        name: Option<Text> = "name",
        order_from: Vec<Text> = "order_from",
        parallelize: Vec<Step> = "parallelize",
    }
}

record! {
    pub struct Step {
        step: Option<Text> = "step",
        tasks: Vec<Text> = "tasks",
        halt_on_error: Option<bool> = "halt_on_error",
        wait_for_finish: Option<bool> = "wait_for_finish",
    }
}

record! {
    /// The environment variables file (§5): `defaults` (or `envs` in an environment's own
    /// copy), per-service variables, and the mapping.
    pub struct VariablesFile {
        gitops: Option<Opaque> = "gitops",
        mapping: Option<TextMap> = "mapping",
        defaults: Vec<EnvVar> = "defaults",
        envs: Vec<EnvVar> = "envs",
        services: Option<ServiceVariables> = "services",
    }
}

/// `services: {<service>: [vars]}` in the variables file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceVariables(pub Vec<(Text, Vec<EnvVar>)>);

impl Read for ServiceVariables {
    fn read(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Option<Self> {
        let Value::Map(entries) = &node.value else {
            ctx.error(
                node.loc,
                path,
                format!(
                    "expected a mapping of service names to lists of variables, found {}",
                    node.describe()
                ),
            );
            return None;
        };
        Some(Self(
            entries
                .iter()
                .map(|e| {
                    let path = child(path, &e.key);
                    let vars =
                        <Vec<EnvVar> as crate::read::FieldValue>::from_node(ctx, &e.value, &path);
                    let name = Text {
                        value: e.key.clone(),
                        loc: e.key_loc,
                        plain: true,
                    };
                    (name, vars)
                })
                .collect(),
        ))
    }
}

/// `<service>: [vars]`: the keys are the user's, the variables the model's.
impl Keys for ServiceVariables {
    fn keys(prefix: &str, out: &mut Vec<String>) {
        <Vec<EnvVar> as Keys>::keys(&child(prefix, "*"), out);
    }
}

impl Write for ServiceVariables {
    fn write(&self) -> Node {
        Node::map(
            self.0
                .iter()
                .map(|(name, vars)| {
                    (
                        name.value.clone(),
                        Node::seq(vars.iter().map(Write::write).collect()),
                    )
                })
                .collect(),
        )
    }
}

record! {
    /// `.release.yaml` at the repository root (§2.1).
    pub struct ReleaseFile {
        application_template: Option<Text> = "application_template",
        environment_variables: Option<Text> = "environment_variables",
        compose: Option<Text> = "compose",
    }
}
