//! Static services (`static: true`): a site built from the repository by its own commands and
//! served by Stagecraft's file server, on every runtime alike.
//!
//! The build is an image build like any other (its inputs digested, reused when unchanged):
//! the site's commands run in the static build image (a setting, `node:24` by default) on the
//! files of `build_base`, and the folder `build_output_directory` is copied into an image
//! holding only Stagecraft's file server, [`STATIC_SERVER`]. That image runs as the service:
//! it listens on [`STATIC_SITE_PORT`], which is published like a `node_port` (the service's
//! URL), and is ready when the server answers.

use serde::Serialize;
use stagecraft_template::{Service, Text, WorkloadEnv};

use crate::runtime::{PortSpec, ProbeSpec, ReadinessSpec};
use crate::workload::PER_DEPLOY_VARIABLES;

/// The port a static service's file server listens on in its container.
pub const STATIC_SITE_PORT: u16 = 8080;

/// Where the file server is in a static service's image; `--check` is its readiness probe.
pub const STATIC_SERVER: &str = "/stagecraft-static-server";

/// How a static service's site is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaticSite {
    /// The image the commands run in.
    pub build_image: String,
    /// `build_package_install_command`, run first (`npm install`).
    pub install_command: Option<String>,
    /// `build_command` (`npm run build`).
    pub build_command: Option<String>,
    /// Where the build writes the site, relative to the context, `/`-separated, without a
    /// trailing `/` (`.` for the context itself).
    pub output_directory: String,
}

/// What static builds take from outside the template: the image their commands run in, and
/// the variables of the environment they are built for (none outside a deploy).
#[derive(Debug, Clone, Copy)]
pub struct StaticBuilds<'a> {
    pub build_image: &'a str,
    pub envs: &'a [WorkloadEnv],
}

/// A relative folder as the template gives it (`dist/`, `./app`, ``), `/`-separated and
/// without `./` or a trailing `/`; `.` for the folder itself.
fn folder(text: Option<&str>) -> String {
    let parts: Vec<&str> = text
        .map(str::trim)
        .unwrap_or_default()
        .split(['/', '\\'])
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

fn command(text: Option<&Text>) -> Option<String> {
    text.map(|t| t.as_str().trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// The build of the static service `service` named `name`: its context is `build_base`, and
/// the variables its environment gives it (secrets and the per-deploy ones left out: a secret
/// would stay readable in the site and the image's history, and a per-deploy value would make
/// every build new) are its build arguments.
pub(crate) fn static_request(
    service: &Service,
    name: &str,
    statics: StaticBuilds<'_>,
) -> (String, Vec<String>, StaticSite) {
    let workload = format!("services.{name}");
    let args = statics
        .envs
        .iter()
        .find(|env| env.workload == workload)
        .map(|env| {
            env.vars()
                .filter(|v| !v.secret && !PER_DEPLOY_VARIABLES.contains(&v.key.as_str()))
                .map(|v| format!("{}={}", v.key, v.value))
                .collect()
        })
        .unwrap_or_default();
    let site = StaticSite {
        build_image: statics.build_image.to_owned(),
        install_command: command(service.build_package_install_command.as_ref()),
        build_command: command(service.build_command.as_ref()),
        output_directory: folder(service.build_output_directory.as_ref().map(Text::as_str)),
    };
    (
        folder(service.build_base.as_ref().map(Text::as_str)),
        args,
        site,
    )
}

/// A static service's port: the file server's, published like a `node_port`.
pub(crate) fn static_ports() -> Vec<PortSpec> {
    vec![PortSpec {
        container_port: STATIC_SITE_PORT,
        exposed: true,
    }]
}

/// Ready when the file server answers.
pub(crate) fn static_readiness() -> ReadinessSpec {
    ReadinessSpec {
        probe: ProbeSpec::Exec {
            command: vec![STATIC_SERVER.to_owned(), "--check".to_owned()],
        },
        initial_delay: std::time::Duration::ZERO,
        period: None,
        timeout: None,
        failure_threshold: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_read_as_relative_paths() {
        assert_eq!(folder(None), ".");
        assert_eq!(folder(Some("dist/")), "dist");
        assert_eq!(folder(Some("./front-end//build/")), "front-end/build");
        assert_eq!(folder(Some(".")), ".");
    }
}
