//! Static services: a site built by its own commands and served by Stagecraft's file server.
//! Its folders stay inside the repository, it says where its build writes the site, and the
//! keys a static service does not use (or that only a static service uses) are pointed at.

use std::collections::HashSet;

use super::Check;
use crate::model::{Service, Template};
use crate::read::{Text, child};

/// What a static service runs instead of the keys it does not use.
const SERVED: &str = "a static service runs Stagecraft's file server with the site its build \
    wrote, listening on port 8080 (its URL)";

pub(super) fn check_static(check: &mut Check<'_>, service: &Service) {
    let folders = [
        ("build_base", &service.build_base, "the repository"),
        (
            "build_output_directory",
            &service.build_output_directory,
            "`build_base` (where the build runs)",
        ),
    ];
    if !service.is_static_site() {
        let own = [
            ("build_base", &service.build_base),
            ("build_command", &service.build_command),
            (
                "build_package_install_command",
                &service.build_package_install_command,
            ),
            ("build_output_directory", &service.build_output_directory),
        ];
        for (key, value) in own {
            if let Some(value) = value {
                check.warn(
                    value.loc,
                    &child(&service.path, key),
                    format!("not used: only a static service (`static: true`) reads `{key}`"),
                );
            }
        }
        return;
    }
    if service.build_output_directory.is_none() {
        check.error(
            service.loc,
            &service.path,
            "a static service needs `build_output_directory`: the folder its build writes the \
             site to, relative to `build_base` (for example `dist` or `build`)",
        );
    }
    for (key, value, within) in folders {
        if let Some(value) = value
            && let Some(problem) = outside(value)
        {
            check.error(
                value.loc,
                &child(&service.path, key),
                format!("`{value}` {problem}: name a folder inside {within}, relative to it"),
            );
        }
    }
    let unused = [
        ("image", service.image.as_ref().map(|t| t.loc)),
        ("build", service.build.as_ref().map(|b| b.loc)),
        ("command", service.command.first().map(|t| t.loc)),
        ("args", service.args.first().map(|t| t.loc)),
        ("ports", service.ports.first().map(|p| p.loc)),
        (
            "readiness_probe",
            service.readiness_probe.as_ref().map(|p| p.loc),
        ),
        (
            "liveness_probe",
            service.liveness_probe.as_ref().map(|p| p.loc),
        ),
    ];
    for (key, loc) in unused {
        if let Some(loc) = loc {
            check.warn(
                loc,
                &child(&service.path, key),
                format!("not used by a static service: {SERVED}"),
            );
        }
    }
}

/// Why `folder` is not a relative path that stays inside the repository.
fn outside(folder: &Text) -> Option<&'static str> {
    let text = folder.as_str().trim();
    if text.starts_with('/') || text.starts_with('\\') || text.get(1..2) == Some(":") {
        return Some("is an absolute path");
    }
    let mut depth: i32 = 0;
    for part in text.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some("leads outside");
                }
            }
            _ => depth += 1,
        }
    }
    None
}

/// A job, cron job, init container or sidecar that would run a static service's image (only
/// Stagecraft's file server and the site's files: no shell, no program of the app's) is an
/// error at the key that takes it.
pub(super) fn check_static_images(check: &mut Check<'_>, template: &Template) {
    let statics: HashSet<&str> = template.static_services().collect();
    if statics.is_empty() {
        return;
    }
    let refuse = |check: &mut Check<'_>, from: &Text, path: &str, what: &str| {
        check.error(
            from.loc,
            path,
            format!(
                "`{from}` is a static service: its image holds only Stagecraft's file server and \
                 the site, nothing a {what} can run; give the {what} an `image`, or name a \
                 service with a container image"
            ),
        );
    };
    let jobs = template
        .jobs
        .iter()
        .map(|j| (&j.from_services, &j.image, &j.path, "job"))
        .chain(
            template
                .cron_jobs
                .iter()
                .map(|j| (&j.from_services, &j.image, &j.path, "cron job")),
        );
    for (from, image, path, what) in jobs {
        if let (Some(from), None) = (from, image)
            && statics.contains(from.as_str())
        {
            refuse(check, from, &child(path, "from_services"), what);
        }
    }
    let attached = template
        .init_containers
        .iter()
        .map(|c| (c, "init container"))
        .chain(template.sidecars.iter().map(|c| (c, "sidecar")));
    for (container, what) in attached {
        if container.image.is_some() {
            continue;
        }
        match (&container.from_services, &container.service) {
            (Some(from), _) if statics.contains(from.as_str()) => {
                refuse(check, from, &child(&container.path, "from_services"), what);
            }
            (None, Some(service)) if statics.contains(service.as_str()) => {
                refuse(check, service, &child(&container.path, "service"), what);
            }
            _ => {}
        }
    }
}
