//! Init containers and sidecars: each names a service of the template, has a name of its own
//! unique among its service's containers, runs an image it can find, and mounts only volumes
//! its service has.

use std::collections::{HashMap, HashSet};

use super::{Check, Kind, known, quantities};
use crate::model::{AttachedContainer, Template};
use crate::read::{Text, child};

pub(super) fn check_attached(check: &mut Check<'_>, template: &Template, services: &HashSet<&str>) {
    // Container names per service: its own container is the service's name.
    let mut names: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    let lists = [
        (&template.init_containers, "init container"),
        (&template.sidecars, "sidecar"),
    ];
    for (list, what) in lists {
        for container in list {
            check_one(check, template, services, container, what, &mut names);
        }
    }
}

fn check_one<'t>(
    check: &mut Check<'_>,
    template: &'t Template,
    services: &HashSet<&str>,
    container: &'t AttachedContainer,
    what: &str,
    names: &mut HashMap<&'t str, HashMap<&'t str, usize>>,
) {
    let name = check.name(&container.name, container.loc, &container.path, what);
    let Some(service) = &container.service else {
        check.error(
            container.loc,
            &container.path,
            format!("this {what} names no service: add `service: <the service it belongs to>`"),
        );
        return;
    };
    if !services.contains(service.as_str()) {
        check.error(
            service.loc,
            &child(&container.path, "service"),
            format!(
                "`{service}` is not a service of this template: {}",
                known(services)
            ),
        );
        return;
    }
    if let Some(name) = name {
        let taken = names.entry(service.as_str()).or_default();
        if name.as_str() == service.as_str() || taken.contains_key(name.as_str()) {
            let first = taken.get(name.as_str()).map_or_else(String::new, |line| {
                format!(" (the first is at line {line})")
            });
            check.error(
                name.loc,
                &child(&container.path, "name"),
                format!(
                    "`{service}` has a second container named `{name}`{first}: the names of a \
                     service's containers (its own is `{service}`) must be unique"
                ),
            );
        } else {
            taken.insert(name.as_str(), name.loc.line);
        }
    }
    if let Some(from) = &container.from_services
        && !services.contains(from.as_str())
    {
        check.error(
            from.loc,
            &child(&container.path, "from_services"),
            format!(
                "`{from}` is not a service of this template: {}",
                known(services)
            ),
        );
    }
    let owner = template.services.iter().find(|s| {
        s.name
            .as_ref()
            .is_some_and(|n| n.as_str() == service.as_str())
    });
    let volumes: HashSet<&str> = owner
        .map(|s| {
            s.volumes
                .iter()
                .filter_map(|v| v.name.as_ref().or(v.claim.as_ref()).map(Text::as_str))
                .collect()
        })
        .unwrap_or_default();
    for volume in &container.volumes {
        match &volume.name {
            Some(name) if !volumes.contains(name.as_str()) => check.error(
                name.loc,
                &child(&volume.path, "name"),
                format!(
                    "`{name}` is not a volume of `{service}`: {} {what} mounts its service's \
                     volumes by name ({})",
                    if what.starts_with('i') { "an" } else { "a" },
                    if volumes.is_empty() {
                        "it has none".to_owned()
                    } else {
                        let mut names: Vec<&str> = volumes.iter().copied().collect();
                        names.sort_unstable();
                        names.join(", ")
                    }
                ),
            ),
            Some(_) => {}
            None => check.error(
                volume.loc,
                &volume.path,
                format!("name the volume of `{service}` to mount: `name: <volume name>`"),
            ),
        }
        if volume.mount_path.is_none() {
            check.error(
                volume.loc,
                &volume.path,
                "a volume needs `mount_path: <path in the container>`",
            );
        }
    }
    quantities(
        check,
        &container.cpu,
        &child(&container.path, "cpu"),
        Kind::Cpu,
    );
    quantities(
        check,
        &container.memory,
        &child(&container.path, "memory"),
        Kind::Memory,
    );
}
