//! Where a local environment's services are reached by name: every service with a
//! `node_port` (and every static service) at a hostname of `*.localhost`, through
//! Stagecraft's ingress on one port of this machine, which passes each request on to the port
//! the runtime publishes the service on (127.0.0.1, [`crate::stable_host_port`]).
//!
//! A service's hostname is its `hostnames` entry with `${env_id}` and `${domain}` (always
//! `localhost` here: browsers and most resolvers send every `*.localhost` name to the
//! loopback address), or `<service>-<env_id>.localhost`. Each of the template's `rules` adds
//! its hostnames and path, routed to its service; the longest path wins (the ingress's).

use stagecraft_template::{LOCAL_DOMAIN, Template, local_hostname};

use crate::workload::exposed_ports;

/// A hostname and path of an environment, and the service behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRoute {
    /// `web-ted1bc4.localhost`.
    pub host: String,
    /// `/`, or a rule's prefix.
    pub path: String,
    pub service: String,
    /// The service's port in the template (its `node_port`'s).
    pub port: u16,
}

/// A service's own hostname: `<service>-<env_id>.localhost`.
fn default_hostname(service: &str, env_id: &str) -> String {
    format!("{service}-{env_id}.{LOCAL_DOMAIN}").to_ascii_lowercase()
}

/// Each exposed service of `template` in environment `env_id`, with its hostname and port,
/// in the template's order.
pub fn local_hostnames(template: &Template, env_id: &str) -> Vec<LocalRoute> {
    exposed_ports(template)
        .into_iter()
        .map(|(service, port)| {
            // A pattern that gives no local name falls back to the service's own (the
            // template's check warns about it at its place).
            let host = template
                .hostnames
                .iter()
                .find(|h| h.service.as_str() == service)
                .and_then(|h| local_hostname(&h.template.value, env_id))
                .unwrap_or_else(|| default_hostname(&service, env_id));
            LocalRoute {
                host,
                path: "/".to_owned(),
                service,
                port,
            }
        })
        .collect()
}

/// Every route of environment `env_id`: each rule's hostnames and path (a rule without
/// hostnames takes its service's), then each exposed service's hostname at `/` where no rule
/// took it. A rule whose service has no `node_port` has nothing to route to: it is left out
/// and said in the second list, as is a rule's hostname that is no local name.
pub fn local_routes(template: &Template, env_id: &str) -> (Vec<LocalRoute>, Vec<String>) {
    let services = local_hostnames(template, env_id);
    let mut routes: Vec<LocalRoute> = Vec::new();
    let mut left_out = Vec::new();
    for (index, rule) in template.rules.iter().enumerate() {
        let Some(service) = &rule.service else {
            continue;
        };
        let Some(own) = services.iter().find(|s| s.service == service.as_str()) else {
            left_out.push(format!(
                "rules[{index}]: `{service}` has no `node_port`, so the ingress has nothing to \
                 send its requests to; give it a port of `type: node_port`"
            ));
            continue;
        };
        let path = rule
            .url_path
            .as_ref()
            .map_or_else(|| "/".to_owned(), |p| p.value.clone());
        let hosts: Vec<String> = if rule.hostnames.is_empty() {
            vec![own.host.clone()]
        } else {
            rule.hostnames
                .iter()
                .filter_map(|h| {
                    let host = local_hostname(&h.value, env_id);
                    if host.is_none() {
                        left_out.push(format!(
                            "rules[{index}]: `{h}` gives no name under `localhost`: the \
                             ingress cannot route it"
                        ));
                    }
                    host
                })
                .collect()
        };
        for host in hosts {
            let route = LocalRoute {
                host,
                path: path.clone(),
                service: own.service.clone(),
                port: own.port,
            };
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
    }
    // A service's own hostname at `/`, unless a rule says who answers there.
    for service in services {
        if !routes
            .iter()
            .any(|r| r.host == service.host && r.path == service.path)
        {
            routes.push(service);
        }
    }
    (routes, left_out)
}

/// The URL of `host` through the ingress listening on `port` (no port when it is 80).
pub fn local_url(host: &str, port: u16) -> String {
    if port == 80 {
        format!("http://{host}")
    } else {
        format!("http://{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(yaml: &str) -> Template {
        stagecraft_template::parse_template("t.yaml", yaml)
            .value
            .expect("the template reads")
    }

    #[test]
    fn a_service_gets_its_hostnames_entry_or_a_name_of_its_own_and_rules_add_paths() {
        let t = template(
            "app: shop
services:
- {name: web, ports: [{type: node_port, port: '80'}]}
- {name: api, ports: [{type: node_port, port: '8080'}]}
- {name: db, ports: [{type: container_port, port: '5432'}]}
hostnames:
- api: API-${env_id}.${domain}
rules:
- {service: api, hostnames: ['web-${env_id}.${domain}'], path: /api}
- {service: web, path: /}
- {service: db, path: /db}
",
        );
        let (routes, left_out) = local_routes(&t, "ted1bc4");
        let seen: Vec<(&str, &str, &str, u16)> = routes
            .iter()
            .map(|r| (r.host.as_str(), r.path.as_str(), r.service.as_str(), r.port))
            .collect();
        assert_eq!(
            seen,
            [
                ("web-ted1bc4.localhost", "/api", "api", 8080),
                ("web-ted1bc4.localhost", "/", "web", 80),
                ("api-ted1bc4.localhost", "/", "api", 8080),
            ]
        );
        assert_eq!(left_out.len(), 1);
        assert!(
            left_out[0].starts_with("rules[2]: `db` has no `node_port`"),
            "{left_out:?}"
        );
        assert_eq!(
            local_url("web-ted1bc4.localhost", 7480),
            "http://web-ted1bc4.localhost:7480"
        );
        assert_eq!(
            local_url("web-ted1bc4.localhost", 80),
            "http://web-ted1bc4.localhost"
        );
        // What would not reach this machine falls back to the service's own name.
        for pattern in [
            "web.corp.dev",
            "web-${env_id}.${domain}:8080",
            "${nope}.${domain}",
            "a b.localhost",
        ] {
            assert_eq!(local_hostname(pattern, "ted1bc4"), None, "{pattern}");
        }
        assert_eq!(
            local_hostname("Shop-${env_id}.${domain}", "ted1bc4").as_deref(),
            Some("shop-ted1bc4.localhost")
        );
    }
}
