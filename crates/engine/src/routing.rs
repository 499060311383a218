//! The routing table: which environment's service answers a hostname and a path.
//!
//! Routes are matched as Release's ingress (nginx, `pathType: Prefix`) matches them: by the
//! request's host (no port, any case, a trailing dot ignored), then by the longest path prefix
//! that matches whole segments (`/api` matches `/api`, `/api/` and `/api/v1`, never `/apix`).
//! The matched prefix is kept in the path the service gets. A table is made whole and
//! replaced whole: a lookup never sees half of a change.

use std::collections::HashMap;
use std::net::SocketAddr;

/// Who answers a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The environment (`ted1bc4`, `production`).
    pub env_id: String,
    pub service: String,
    /// Where the service answers on this machine (its published port).
    pub address: SocketAddr,
}

/// One hostname's path, and who answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `web-ted1bc4.localhost`.
    pub host: String,
    /// `/` for all of the host, or a prefix (`/api`).
    pub path: String,
    pub target: Target,
}

/// Two routes for one hostname and path: the first is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kept: Route,
    pub dropped: Route,
}

/// What a hostname and a path lead to.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    Target(&'a Target),
    /// The host is known, but none of its paths matches: its paths are given.
    NoPath(Vec<&'a str>),
    UnknownHost,
}

/// Hostnames to their paths, each host's longest prefix first.
#[derive(Debug, Default, Clone)]
pub struct Table {
    hosts: HashMap<String, Vec<(String, Target)>>,
}

impl Table {
    /// The table of `routes`; a second route for a hostname and path already taken is left
    /// out and given back.
    pub fn new(routes: impl IntoIterator<Item = Route>) -> (Self, Vec<Conflict>) {
        let mut hosts: HashMap<String, Vec<(String, Target)>> = HashMap::new();
        let mut conflicts = Vec::new();
        for route in routes {
            let Some(host) = host_of(&route.host) else {
                continue;
            };
            let path = prefix_of(&route.path);
            let paths = hosts.entry(host.clone()).or_default();
            if let Some((_, kept)) = paths.iter().find(|(p, _)| *p == path) {
                conflicts.push(Conflict {
                    kept: Route {
                        host: host.clone(),
                        path: path.clone(),
                        target: kept.clone(),
                    },
                    dropped: route,
                });
                continue;
            }
            paths.push((path, route.target));
        }
        for paths in hosts.values_mut() {
            // Longest first; equal lengths by name, so the order never depends on the input's.
            paths.sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
        (Self { hosts }, conflicts)
    }

    /// Who answers `path` on `host` (a `Host` header, with or without its port).
    pub fn find(&self, host: &str, path: &str) -> Found<'_> {
        let Some(paths) = host_of(host).and_then(|h| self.hosts.get(&h)) else {
            return Found::UnknownHost;
        };
        match paths.iter().find(|(prefix, _)| matches(prefix, path)) {
            Some((_, target)) => Found::Target(target),
            None => Found::NoPath(paths.iter().map(|(p, _)| p.as_str()).collect()),
        }
    }

    /// Every hostname, sorted.
    pub fn hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> = self.hosts.keys().map(String::as_str).collect();
        hosts.sort_unstable();
        hosts
    }

    /// The routes of `env_id`, by hostname and path.
    pub fn routes_of(&self, env_id: &str) -> Vec<Route> {
        let mut routes: Vec<Route> = self
            .hosts
            .iter()
            .flat_map(|(host, paths)| {
                paths
                    .iter()
                    .filter(|(_, t)| t.env_id == env_id)
                    .map(|(path, target)| Route {
                        host: host.clone(),
                        path: path.clone(),
                        target: target.clone(),
                    })
            })
            .collect();
        routes.sort_by(|a, b| (&a.host, &a.path).cmp(&(&b.host, &b.path)));
        routes
    }
}

/// A hostname as the table keeps it: lowercase, without a port or a trailing dot; none when
/// it is empty.
pub fn host_of(header: &str) -> Option<String> {
    let header = header.trim();
    // `[::1]:8080`, `host:8080`, `host`.
    let host = if let Some(rest) = header.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        header.rsplit_once(':').map_or(header, |(host, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                host
            } else {
                header
            }
        })
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// A path prefix as the table keeps it: starting with `/`, without a trailing one (but `/`).
fn prefix_of(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// Whether `prefix` matches `path` by whole segments.
fn matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(env: &str, service: &str, port: u16) -> Target {
        Target {
            env_id: env.into(),
            service: service.into(),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn route(host: &str, path: &str, t: Target) -> Route {
        Route {
            host: host.into(),
            path: path.into(),
            target: t,
        }
    }

    #[test]
    fn the_longest_prefix_by_whole_segments_wins_and_is_not_taken_off() {
        let (table, conflicts) = Table::new([
            route("shop-ted1bc4.localhost", "/", target("ted1bc4", "web", 1)),
            route(
                "shop-ted1bc4.localhost",
                "/api",
                target("ted1bc4", "api", 2),
            ),
            route(
                "shop-ted1bc4.localhost",
                "/api/admin/",
                target("ted1bc4", "admin", 3),
            ),
        ]);
        assert!(conflicts.is_empty());
        let service = |path: &str| match table.find("shop-ted1bc4.localhost", path) {
            Found::Target(t) => t.service.clone(),
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(service("/"), "web");
        assert_eq!(service("/apix"), "web");
        assert_eq!(service("/api"), "api");
        assert_eq!(service("/api/"), "api");
        assert_eq!(service("/api/v1/cart"), "api");
        assert_eq!(service("/api/admin"), "admin");
        assert_eq!(service("/api/admin/users"), "admin");
        assert_eq!(service("/api/administrators"), "api");
    }

    #[test]
    fn hosts_match_without_port_case_or_trailing_dot() {
        let (table, _) = Table::new([route("Web-A1.localhost", "/", target("a1", "web", 1))]);
        for host in [
            "web-a1.localhost",
            "WEB-A1.LOCALHOST:8470",
            "web-a1.localhost.",
            " web-a1.localhost:80 ",
        ] {
            assert!(matches!(table.find(host, "/"), Found::Target(_)), "{host}");
        }
        assert_eq!(table.find("web-a2.localhost", "/"), Found::UnknownHost);
        assert_eq!(table.find("", "/"), Found::UnknownHost);
        assert_eq!(host_of("[::1]:8470").as_deref(), Some("::1"));
    }

    #[test]
    fn a_known_host_without_a_matching_path_says_which_paths_it_has() {
        let (table, _) = Table::new([
            route("api.localhost", "/v2", target("a1", "api", 1)),
            route("api.localhost", "v1/", target("a1", "old", 2)),
        ]);
        assert_eq!(
            table.find("api.localhost", "/"),
            Found::NoPath(vec!["/v1", "/v2"])
        );
        assert!(
            matches!(table.find("api.localhost", "/v1/x"), Found::Target(t) if t.service == "old")
        );
    }

    #[test]
    fn a_second_route_for_a_taken_host_and_path_is_left_out_and_reported() {
        let (table, conflicts) = Table::new([
            route("x.localhost", "/", target("a1", "web", 1)),
            route("x.localhost", "", target("b2", "web", 2)),
        ]);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].dropped.target.env_id, "b2");
        assert!(matches!(table.find("x.localhost", "/"), Found::Target(t) if t.env_id == "a1"));
        assert_eq!(table.routes_of("a1").len(), 1);
        assert!(table.routes_of("b2").is_empty());
        assert_eq!(table.hosts(), ["x.localhost"]);
    }
}
