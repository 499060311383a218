//! The final environment of each service and job (reference §5): the variables Stagecraft
//! injects, then the file's `defaults` (or an environment's `envs`), then the template's own
//! `envs` of the workload, then the file's per-service variables, then the `mapping`, the only
//! place where `${X}`, `${X:-fallback}`, `$X` and bare names are interpolated. A job made
//! `from_services` starts from that service's environment.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{EnvVar, Template, VariablesFile};
use crate::read::child;
use crate::yaml::Loc;

/// What Stagecraft knows about the environment and injects as `RELEASE_*` variables.
#[derive(Debug, Clone, Default)]
pub struct Injected {
    pub env_id: String,
    pub app: String,
    pub branch: String,
    pub commit_sha: String,
    pub build_id: String,
    pub domain: String,
    pub context: String,
    /// The environment template the environment was made from (`RELEASE_ENV`).
    pub environment: String,
    /// `(service, url, host)` of each service reachable from outside, giving
    /// `<SERVICE>_INGRESS_URL` and `<SERVICE>_INGRESS_HOST`.
    pub ingress: Vec<(String, String, String)>,
    /// Each parameter's value, read as `${parameters.<name>}` in the variables file.
    pub parameters: Vec<(String, String)>,
}

/// What `RELEASE_ACCOUNT_ID`, `RELEASE_CLOUD_PROVIDER` and `RELEASE_CLUSTER_REGION` are here.
const LOCAL: &str = "local";

impl Injected {
    fn vars(&self) -> Vec<(String, String)> {
        let short: String = self.commit_sha.chars().take(7).collect();
        let mut vars = vec![
            ("RELEASE_ENV_ID".to_owned(), self.env_id.clone()),
            ("RELEASE_APP_NAME".to_owned(), self.app.clone()),
            ("RELEASE_BRANCH_NAME".to_owned(), self.branch.clone()),
            ("RELEASE_COMMIT_SHA".to_owned(), self.commit_sha.clone()),
            ("RELEASE_COMMIT_SHORT".to_owned(), short),
            ("RELEASE_BUILD_ID".to_owned(), self.build_id.clone()),
            ("RELEASE_DOMAIN".to_owned(), self.domain.clone()),
            ("RELEASE_CONTEXT".to_owned(), self.context.clone()),
            ("RELEASE_ENV".to_owned(), self.environment.clone()),
            // No account, cloud or region here: the machine itself, said as `local` (an app that
            // branches on `aws`/`gcp` takes its other path).
            ("RELEASE_ACCOUNT_ID".to_owned(), LOCAL.to_owned()),
            ("RELEASE_CLOUD_PROVIDER".to_owned(), LOCAL.to_owned()),
            ("RELEASE_CLUSTER_REGION".to_owned(), LOCAL.to_owned()),
        ];
        for (service, url, host) in &self.ingress {
            let prefix = service.to_ascii_uppercase().replace('-', "_");
            vars.push((format!("{prefix}_INGRESS_URL"), url.clone()));
            vars.push((format!("{prefix}_INGRESS_HOST"), host.clone()));
        }
        vars
    }
}

/// Where a variable's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarSource {
    Injected,
    Defaults,
    Template,
    Service,
    Mapping,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedVar {
    pub key: String,
    pub value: String,
    /// Masked wherever it is shown: set on the variable, a `$secrets.` reference, or a mapping
    /// that reads a secret.
    pub secret: bool,
    pub source: VarSource,
}

/// The variables of one service or job. What every workload sees alike (the injected
/// variables, among them each exposed service's ingress URL and host, and the file's
/// `defaults`) is shared between the workloads of one resolution rather than copied into each:
/// an app of N exposed services would otherwise hold N × 2N variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadEnv {
    /// `services.<name>`, `jobs.<name>` or `cron_jobs.<name>`.
    pub workload: String,
    /// Sorted by key.
    shared: Arc<[ResolvedVar]>,
    /// This workload's own, sorted by key; a key here hides the shared one.
    own: Vec<ResolvedVar>,
}

impl WorkloadEnv {
    pub fn get(&self, key: &str) -> Option<&ResolvedVar> {
        fn find<'a>(vars: &'a [ResolvedVar], key: &str) -> Option<&'a ResolvedVar> {
            vars.binary_search_by(|v| v.key.as_str().cmp(key))
                .ok()
                .map(|i| &vars[i])
        }
        find(&self.own, key).or_else(|| find(&self.shared, key))
    }

    /// Every variable, sorted by key.
    pub fn vars(&self) -> impl Iterator<Item = &ResolvedVar> {
        let mut shared = self.shared.iter().peekable();
        let mut own = self.own.iter().peekable();
        std::iter::from_fn(move || match (shared.peek(), own.peek()) {
            (Some(s), Some(o)) => match s.key.cmp(&o.key) {
                std::cmp::Ordering::Less => shared.next(),
                std::cmp::Ordering::Equal => {
                    shared.next();
                    own.next()
                }
                std::cmp::Ordering::Greater => own.next(),
            },
            (Some(_), None) => shared.next(),
            (None, _) => own.next(),
        })
    }
}

impl Serialize for WorkloadEnv {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Vars<'a>(&'a WorkloadEnv);
        impl Serialize for Vars<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.vars())
            }
        }
        let mut out = serializer.serialize_struct("WorkloadEnv", 2)?;
        out.serialize_field("workload", &self.workload)?;
        out.serialize_field("vars", &Vars(self))?;
        out.end()
    }
}

type Env = HashMap<String, ResolvedVar>;

/// A workload's variables while they are resolved: its own over the shared ones.
struct Layered<'a> {
    shared: &'a Env,
    own: &'a Env,
}

impl Layered<'_> {
    fn get(&self, key: &str) -> Option<&ResolvedVar> {
        self.own.get(key).or_else(|| self.shared.get(key))
    }
}

fn sorted(env: Env) -> Vec<ResolvedVar> {
    let mut vars: Vec<ResolvedVar> = env.into_values().collect();
    vars.sort_by(|a, b| a.key.cmp(&b.key));
    vars
}

/// What is wrong in a variables file against its template, before anything is resolved:
/// variables without a key, keys set twice in one list (the last wins), and per-service
/// variables for a service or job the template does not have.
pub fn check_variables(template: &Template, variables: &VariablesFile, file: &str) -> Diagnostics {
    let mut out = Diagnostics::default();
    let mut lists: Vec<(String, &[EnvVar])> = vec![
        ("defaults".to_owned(), &variables.defaults),
        ("envs".to_owned(), &variables.envs),
    ];
    if let Some(services) = &variables.services {
        let workloads: Vec<&str> = template
            .services
            .iter()
            .filter_map(|s| s.name.as_ref())
            .chain(template.jobs.iter().filter_map(|j| j.name.as_ref()))
            .chain(template.cron_jobs.iter().filter_map(|j| j.name.as_ref()))
            .map(|n| n.as_str())
            .collect();
        for (name, vars) in &services.0 {
            if !workloads.contains(&name.as_str()) {
                out.push(
                    Severity::Warning,
                    file,
                    name.loc,
                    &child("services", name.as_str()),
                    format!(
                        "`{name}` is not a service or job of the template: these variables reach \
                         nothing. Check the name"
                    ),
                );
            }
            lists.push((child("services", name.as_str()), vars));
        }
    }
    for (path, vars) in lists {
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        for (i, var) in vars.iter().enumerate() {
            let item = format!("{path}[{i}]");
            let Some(key) = &var.key else {
                out.push(
                    Severity::Error,
                    file,
                    var.loc,
                    &item,
                    "a variable needs `key: <NAME>`".to_owned(),
                );
                continue;
            };
            if let Some(first) = seen.insert(key.as_str(), key.loc) {
                out.push(
                    Severity::Warning,
                    file,
                    key.loc,
                    &child(&item, "key"),
                    format!(
                        "`{key}` is set twice in this list (first at line {}): the last value wins",
                        first.line
                    ),
                );
            }
            if var.value.is_none() && var.secret != Some(true) {
                out.push(
                    Severity::Error,
                    file,
                    var.loc,
                    &item,
                    format!("`{key}` has no `value`: give one (only a secret may leave it out)"),
                );
            }
        }
    }
    out.sort();
    out
}

/// A `${parameters.<name>}` no parameter answers: where, and the name.
struct UnknownParameter {
    loc: Loc,
    path: String,
    name: String,
}

fn put(
    env: &mut Env,
    vars: &[EnvVar],
    source: VarSource,
    parameters: &[(String, String)],
    unknown: &mut Vec<UnknownParameter>,
) {
    for var in vars {
        let Some(key) = &var.key else { continue };
        let value = match var.value.as_ref() {
            Some(text) => match crate::parameters::substitute(&text.value, parameters) {
                Ok(value) => value.into_owned(),
                Err(name) => {
                    unknown.push(UnknownParameter {
                        loc: text.loc,
                        path: child(&var.path.0, "value"),
                        name,
                    });
                    text.value.clone()
                }
            },
            None => String::new(),
        };
        let secret = var.secret == Some(true) || value.starts_with("$secrets.");
        env.insert(
            key.value.clone(),
            ResolvedVar {
                key: key.value.clone(),
                value,
                secret,
                source,
            },
        );
    }
}

/// Resolves every service's and job's environment. `file` names the variables file in
/// messages. Errors: a mapping that reads a variable nobody defines, or mappings that read
/// each other in a circle.
pub fn resolve_variables(
    template: &Template,
    variables: &VariablesFile,
    injected: &Injected,
    file: &str,
) -> Result<Vec<WorkloadEnv>, Diagnostics> {
    let mut base: Env = HashMap::new();
    for (key, value) in injected.vars() {
        base.insert(
            key.clone(),
            ResolvedVar {
                key,
                value,
                secret: false,
                source: VarSource::Injected,
            },
        );
    }
    let parameters = &injected.parameters;
    let mut unknown = Vec::new();
    put(
        &mut base,
        &variables.defaults,
        VarSource::Defaults,
        parameters,
        &mut unknown,
    );
    put(
        &mut base,
        &variables.envs,
        VarSource::Defaults,
        parameters,
        &mut unknown,
    );
    let per_service = |name: &str| -> &[EnvVar] {
        variables
            .services
            .as_ref()
            .and_then(|s| s.0.iter().find(|(n, _)| n.as_str() == name))
            .map_or(&[], |(_, vars)| vars.as_slice())
    };

    let mut out = Vec::new();
    let mut diagnostics = Diagnostics::default();
    let mut service_envs: HashMap<&str, Env> = HashMap::new();
    for service in &template.services {
        let Some(name) = &service.name else { continue };
        let mut env = Env::new();
        put(
            &mut env,
            &service.envs,
            VarSource::Template,
            parameters,
            &mut unknown,
        );
        put(
            &mut env,
            per_service(name.as_str()),
            VarSource::Service,
            parameters,
            &mut unknown,
        );
        service_envs.insert(name.as_str(), env.clone());
        out.push((format!("services.{name}"), env));
    }
    // Jobs and cron jobs alike: their `from_services` service's variables, then their own.
    let jobs = template
        .jobs
        .iter()
        .map(|j| ("jobs", &j.name, &j.from_services, &j.envs))
        .chain(
            template
                .cron_jobs
                .iter()
                .map(|j| ("cron_jobs", &j.name, &j.from_services, &j.envs)),
        );
    for (kind, name, from_services, envs) in jobs {
        let Some(name) = name else { continue };
        let mut env = from_services
            .as_ref()
            .and_then(|from| service_envs.get(from.as_str()).cloned())
            .unwrap_or_default();
        put(
            &mut env,
            envs,
            VarSource::Template,
            parameters,
            &mut unknown,
        );
        put(
            &mut env,
            per_service(name.as_str()),
            VarSource::Service,
            parameters,
            &mut unknown,
        );
        out.push((format!("{kind}.{name}"), env));
    }

    let mut resolved = Vec::new();
    let mut failures: Vec<Failure> = Vec::new();
    for (workload, mut env) in out {
        if let Some(mapping) = &variables.mapping {
            let mut resolver = Resolver {
                mapping: &mapping.0,
                env: Layered {
                    shared: &base,
                    own: &env,
                },
                parameters,
                done: HashMap::new(),
                stack: Vec::new(),
            };
            let mut mapped = Vec::new();
            for (key, text) in &mapping.0 {
                match resolver.resolve(key) {
                    Ok((value, secret)) => mapped.push(ResolvedVar {
                        key: key.clone(),
                        value,
                        secret,
                        source: VarSource::Mapping,
                    }),
                    Err(message) => match failures.iter_mut().find(|f| f.message == message) {
                        Some(failure) => failure.workloads.push(workload.clone()),
                        None => failures.push(Failure {
                            key: key.clone(),
                            loc: text.loc,
                            message,
                            workloads: vec![workload.clone()],
                        }),
                    },
                }
            }
            for var in mapped {
                env.insert(var.key.clone(), var);
            }
        }
        resolved.push((workload, sorted(env)));
    }
    let shared: Arc<[ResolvedVar]> = sorted(base).into();
    let resolved = resolved
        .into_iter()
        .map(|(workload, own)| WorkloadEnv {
            workload,
            shared: Arc::clone(&shared),
            own,
        })
        .collect();
    for failure in unknown {
        diagnostics.push(
            Severity::Error,
            file,
            failure.loc,
            &failure.path,
            undeclared(&failure.name, parameters),
        );
    }
    for failure in failures {
        // A reference that fails for every workload fails the same way: say it once.
        let message = format!("{} (for {})", failure.message, failure.workloads.join(", "));
        diagnostics.push(
            Severity::Error,
            file,
            failure.loc,
            &child("mapping", &failure.key),
            message,
        );
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(resolved)
}

struct Failure {
    key: String,
    loc: Loc,
    message: String,
    workloads: Vec<String>,
}

struct Resolver<'a> {
    mapping: &'a [(String, crate::read::Text)],
    env: Layered<'a>,
    /// What `${parameters.<name>}` reads.
    parameters: &'a [(String, String)],
    done: HashMap<String, (String, bool)>,
    stack: Vec<String>,
}

impl Resolver<'_> {
    /// The value of a mapping key: its expression with every reference replaced.
    fn resolve(&mut self, key: &str) -> Result<(String, bool), String> {
        if let Some(done) = self.done.get(key) {
            return Ok(done.clone());
        }
        if let Some(start) = self.stack.iter().position(|k| k == key) {
            let mut circle: Vec<String> = self.stack[start..].to_vec();
            circle.push(key.to_owned());
            return Err(format!(
                "mapping entries read each other in a circle: {}",
                circle.join(" → ")
            ));
        }
        let Some((_, text)) = self.mapping.iter().find(|(k, _)| k == key) else {
            return Err(format!("`{key}` is not a mapping entry"));
        };
        self.stack.push(key.to_owned());
        let result = self.expression(key, text.as_str(), text.loc);
        self.stack.pop();
        let value = result?;
        self.done.insert(key.to_owned(), value.clone());
        Ok(value)
    }

    /// A variable's value for a reference: another mapping entry, or the environment.
    fn lookup(&mut self, name: &str) -> Result<Option<(String, bool)>, String> {
        if let Some(parameter) = name.strip_prefix("parameters.") {
            let parameter = parameter.trim();
            return match self.parameters.iter().find(|(n, _)| n == parameter) {
                Some((_, value)) => Ok(Some((value.clone(), false))),
                None => Err(undeclared(parameter, self.parameters)),
            };
        }
        // A mapping entry naming itself (`PORT: ${PORT:-80}`) reads the environment's value.
        let own = self.stack.last().is_some_and(|k| k == name);
        if !own && self.mapping.iter().any(|(k, _)| k == name) {
            return self.resolve(name).map(Some);
        }
        Ok(self.env.get(name).map(|v| (v.value.clone(), v.secret)))
    }

    fn expression(&mut self, key: &str, text: &str, _loc: Loc) -> Result<(String, bool), String> {
        let trimmed = text.trim();
        if is_name(trimmed) && trimmed.chars().any(|c| c.is_ascii_uppercase()) {
            return match self.lookup(trimmed)? {
                Some(found) => Ok(found),
                None => Err(missing(key, trimmed)),
            };
        }
        let mut out = String::new();
        let mut secret = text.starts_with("$secrets.");
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            out.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            if let Some(body) = after.strip_prefix('{') {
                let Some(close) = body.find('}') else {
                    return Err(format!("`{text}` opens `${{` without closing it"));
                };
                let inner = &body[..close];
                let (name, fallback) = match inner.split_once(":-") {
                    Some((name, fallback)) => (name, Some(fallback)),
                    None => (inner, None),
                };
                match (self.lookup(name)?, fallback) {
                    (Some((value, is_secret)), _) => {
                        secret |= is_secret;
                        out.push_str(&value);
                    }
                    (None, Some(fallback)) => out.push_str(fallback),
                    (None, None) => return Err(missing(key, name)),
                }
                rest = &body[close + 1..];
            } else {
                let length = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let name = &after[..length];
                if name.is_empty() || name == "secrets" {
                    // A lone `$`, or a `$secrets.` vault reference kept for the runtime.
                    out.push('$');
                    rest = after;
                    continue;
                }
                match self.lookup(name)? {
                    Some((value, is_secret)) => {
                        secret |= is_secret;
                        out.push_str(&value);
                    }
                    None => return Err(missing(key, name)),
                }
                rest = &after[length..];
            }
        }
        out.push_str(rest);
        Ok((out, secret))
    }
}

/// What is wrong with `${parameters.<name>}` when `parameters` lacks it.
fn undeclared(name: &str, parameters: &[(String, String)]) -> String {
    let known: Vec<&str> = parameters.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "`${{parameters.{name}}}` reads a parameter the template does not declare: {}",
        if known.is_empty() {
            "it declares none (add it under `parameters:`)".to_owned()
        } else {
            format!("it declares {}", known.join(", "))
        }
    )
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn missing(key: &str, name: &str) -> String {
    format!(
        "`{key}` reads `{name}`, which no variable defines: define it in `defaults` or the \
         service's variables, or give a fallback: `${{{name}:-value}}`"
    )
}

impl Injected {
    /// Values that look like a real environment's, for checking a template without one.
    /// Every service with a `node_port` gets an ingress host from `hostnames`, or the
    /// generator's `<service>-<app>-<env_id>.<domain>`.
    pub fn sample(template: &Template) -> Self {
        let app = template
            .app
            .as_ref()
            .map_or("app", |a| a.as_str())
            .to_owned();
        Self::for_environment(template, "sample", &app, "main")
    }

    /// The values of environment `env_id` of `app` on `branch`: ingress hosts from the
    /// template's `hostnames` (or the generator's default) with this `env_id`.
    pub fn for_environment(template: &Template, env_id: &str, app: &str, branch: &str) -> Self {
        let app = app.to_owned();
        let domain = template
            .domain
            .as_ref()
            .map_or("localhost", |d| d.as_str())
            .to_owned();
        let env_id = env_id.to_owned();
        let mut injected = Self {
            env_id: env_id.clone(),
            app: app.clone(),
            branch: branch.to_owned(),
            commit_sha: "0000000000000000000000000000000000000000".into(),
            build_id: "0".into(),
            domain: domain.clone(),
            context: "local".into(),
            environment: template
                .environment_templates
                .first()
                .and_then(|t| t.name.as_ref())
                .map_or_else(|| "ephemeral".to_owned(), |n| n.value.clone()),
            ingress: Vec::new(),
            // What an environment made without giving any would run with.
            parameters: crate::parameters::declared(template)
                .into_iter()
                .map(|p| (p.name, p.default.unwrap_or_default()))
                .collect(),
        };
        for service in &template.services {
            let Some(name) = &service.name else { continue };
            // A static service is reached like a `node_port` (its file server's port).
            let exposed = service.is_static_site()
                || service
                    .ports
                    .iter()
                    .any(|p| p.kind.as_ref().is_some_and(|k| k.as_str() == "node_port"));
            let named = template
                .hostnames
                .iter()
                .find(|h| h.service.as_str() == name.as_str());
            if !exposed && named.is_none() {
                continue;
            }
            let pattern = named.map_or_else(
                || format!("{name}-{app}-${{env_id}}.${{domain}}"),
                |h| h.template.value.clone(),
            );
            let host = pattern
                .replace("${env_id}", &env_id)
                .replace("${domain}", &domain);
            injected
                .ingress
                .push((name.value.clone(), format!("https://{host}"), host));
        }
        injected
    }
}

impl VariablesFile {
    /// The keys a GitOps sync must not overwrite (`gitops: {immutable_keys: [KEY, ...]}`, seen
    /// in real variables files; Release documents no more of it): an environment keeps the
    /// value it has for each.
    pub fn immutable_keys(&self) -> Vec<String> {
        use crate::yaml::Value;
        let Some(gitops) = &self.gitops else {
            return Vec::new();
        };
        let Value::Map(entries) = &gitops.0.value else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|entry| entry.key == "immutable_keys")
            .flat_map(|entry| match &entry.value.value {
                Value::Seq(items) => items.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .filter_map(|item| match &item.value {
                Value::Scalar { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod immutable_keys_tests {
    #[test]
    fn the_keys_a_sync_keeps_are_read_from_the_gitops_entry() {
        let file = crate::parse_variables(
            "vars.yaml",
            "gitops:\n  immutable_keys: [CUSTOMER_NAME, REGION]\ndefaults:\n- {key: A, value: b}\n",
        );
        let variables = file.value.unwrap();
        assert_eq!(variables.immutable_keys(), ["CUSTOMER_NAME", "REGION"]);
        let none = crate::parse_variables("vars.yaml", "defaults: []\n")
            .value
            .unwrap();
        assert!(none.immutable_keys().is_empty());
    }
}

#[cfg(test)]
mod sharing_tests {
    use std::sync::Arc;

    #[test]
    fn what_every_workload_sees_is_held_once() {
        let mut text = String::from("app: many\nservices:\n");
        for i in 0..50 {
            text.push_str(&format!(
                "- name: s{i}\n  image: busybox\n  ports:\n  - {{type: node_port, port: '80', target_port: '80'}}\n"
            ));
        }
        let template = crate::parse_template("t.yaml", &text).value.unwrap();
        let variables = crate::parse_variables("v.yaml", "defaults:\n- {key: A, value: b}\n")
            .value
            .unwrap();
        let injected = super::Injected::sample(&template);
        let envs = super::resolve_variables(&template, &variables, &injected, "v.yaml").unwrap();
        assert_eq!(envs.len(), 50);
        assert!(envs.iter().all(|e| Arc::ptr_eq(&e.shared, &envs[0].shared)));
        assert!(
            envs.iter().all(|e| e.own.is_empty()),
            "no copies per workload"
        );
        assert_eq!(envs[7].vars().count(), 12 + 2 * 50 + 1);
        assert_eq!(
            envs[7].get("S42_INGRESS_HOST").unwrap().value,
            "s42-many-sample.localhost"
        );
    }
}
