//! The two apps the benchmark runs, written as files: a Release template for Stagecraft and a
//! compose file for docker-compose that describe the same services, probes and ordering.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;

/// The serving app: ten web servers in three dependency levels. Every service of a level
/// depends on every service of the level before, so compose's `depends_on` and the Release
/// workflow's steps order them alike.
pub const SERVING: [(&str, usize); 10] = [
    ("s0", 0),
    ("s1", 0),
    ("s2", 0),
    ("s3", 0),
    ("s4", 1),
    ("s5", 1),
    ("s6", 1),
    ("s7", 2),
    ("s8", 2),
    ("s9", 2),
];

/// The service whose one file the patch scenario changes (level 1, so it has dependents and
/// dependencies, and the patch must leave the other nine alone).
pub const PATCHED: &str = "s4";

/// The build app: six services with no relation to each other.
pub const BUILT: [&str; 6] = ["b0", "b1", "b2", "b3", "b4", "b5"];

/// The probe both tools run inside the container: Stagecraft as its readiness probe, Docker as
/// the compose healthcheck.
const PROBE: [&str; 5] = ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"];

const SERVING_DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
"#;

/// A build that does what small real builds do: copies sources, then runs a step in a
/// container. The nonce changes before every measured build so neither side hits the cache.
const BUILT_DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
COPY nonce /nonce
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && sha256sum /bin/busybox /nonce > /sums"]
CMD ["sh"]
"#;

pub fn write(path: &Path, contents: &str) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::File {
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, contents).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })
}

fn copy_busybox(to: &Path) -> Result<(), Error> {
    std::fs::copy("/bin/busybox", to.join("busybox"))
        .map(|_| ())
        .map_err(|source| Error::File {
            path: PathBuf::from("/bin/busybox (install Debian's busybox-static)"),
            source,
        })
}

fn levels() -> Vec<Vec<&'static str>> {
    let deepest = SERVING.iter().map(|(_, l)| *l).max().unwrap_or(0);
    (0..=deepest)
        .map(|level| {
            SERVING
                .iter()
                .filter(|(_, l)| *l == level)
                .map(|(n, _)| *n)
                .collect()
        })
        .collect()
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the serving app's repository: a folder per service and the Release files.
pub fn serving(repo: &Path, app: &str) -> Result<(), Error> {
    let levels = levels();
    let mut template =
        format!("app: {app}\nenvironment_templates: [{{name: ephemeral}}]\nservices:\n");
    for (name, level) in SERVING {
        let dir = repo.join(name);
        write(&dir.join("Dockerfile"), SERVING_DOCKERFILE)?;
        write(&dir.join("www/index.html"), &format!("{name}\n"))?;
        copy_busybox(&dir)?;
        let _ = write!(
            template,
            "- name: {name}\n  build: {{context: {name}}}\n  ports: [{{type: container_port, port: '8080'}}]\n  \
             readiness_probe: {{exec: {{command: [{probe}]}}, period_seconds: 1, timeout_seconds: 1, failure_threshold: 60}}\n",
            probe = quoted(&PROBE)
        );
        if level > 0 {
            let _ = writeln!(template, "  depends_on: [{}]", levels[level - 1].join(", "));
        }
    }
    let steps: String = levels
        .iter()
        .enumerate()
        .map(|(i, names)| {
            let tasks: Vec<String> = names.iter().map(|n| format!("services.{n}")).collect();
            format!(
                "  - {{step: services-{i}, tasks: [{}]}}\n",
                tasks.join(", ")
            )
        })
        .collect();
    let _ = write!(
        template,
        "workflows:\n- name: setup\n  parallelize:\n{steps}- name: patch\n  parallelize:\n{steps}\
         - name: teardown\n  order_from: [release.remove_environment]\n"
    );
    write(&repo.join(".release/application_template.yaml"), &template)?;
    write(
        &repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
}

/// The compose file of the same app over already built images (`image_of` names each
/// service's image): the same probe at the same period, and `depends_on` that waits for the
/// previous level to be healthy.
pub fn compose(path: &Path, image_of: impl Fn(&str) -> String) -> Result<(), Error> {
    let levels = levels();
    let mut file = String::from("services:\n");
    for (name, level) in SERVING {
        let _ = write!(
            file,
            "  {name}:\n    image: {image}\n    healthcheck:\n      test: ['CMD', {probe}]\n      \
             interval: 1s\n      timeout: 1s\n      retries: 60\n",
            image = image_of(name),
            probe = quoted(&PROBE)
        );
        if level > 0 {
            file.push_str("    depends_on:\n");
            for dependency in &levels[level - 1] {
                let _ = write!(
                    file,
                    "      {dependency}:\n        condition: service_healthy\n"
                );
            }
        }
    }
    write(path, &file)
}

/// Writes the build app's repository: six independent services.
pub fn built(repo: &Path, app: &str) -> Result<(), Error> {
    let mut template =
        format!("app: {app}\nenvironment_templates: [{{name: ephemeral}}]\nservices:\n");
    for name in BUILT {
        let dir = repo.join(name);
        write(&dir.join("Dockerfile"), BUILT_DOCKERFILE)?;
        write(&dir.join("nonce"), "0\n")?;
        copy_busybox(&dir)?;
        let _ = writeln!(template, "- {{name: {name}, build: {{context: {name}}}}}");
    }
    template.push_str("workflows:\n- name: setup\n  order_from: [services.all]\n- name: teardown\n  order_from: [release.remove_environment]\n");
    write(&repo.join(".release/application_template.yaml"), &template)?;
    write(
        &repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
}

/// Writes the seeded app's repository: `db`, a web server over a persistent volume, and its
/// `seed` job, which writes `mib` MiB of random bytes into the volume (what a seed job makes,
/// at the speed the machine makes random bytes).
pub fn seeded(repo: &Path, app: &str, mib: u32) -> Result<(), Error> {
    let dir = repo.join("db");
    write(&dir.join("Dockerfile"), SEEDED_DOCKERFILE)?;
    copy_busybox(&dir)?;
    let template = format!(
        "app: {app}
environment_templates: [{{name: ephemeral}}]
services:
- name: db
  build: {{context: db}}
  ports: [{{type: container_port, port: '8080'}}]
  volumes: [{{name: data, type: persistent, mount_path: /data}}]
  readiness_probe: {{exec: {{command: [{probe}]}}, period_seconds: 1, timeout_seconds: 1, failure_threshold: 60}}
jobs:
- name: seed
  from_services: db
  command: [sh, -c, 'dd if=/dev/urandom of=/data/blob bs=1048576 count={mib} 2>/dev/null && echo seeded > /data/index.html']
workflows:
- {{name: setup, order_from: [jobs.seed, services.db]}}
- {{name: teardown, order_from: [release.remove_environment]}}
",
        probe = quoted(&SEEDED_PROBE)
    );
    write(&repo.join(".release/application_template.yaml"), &template)?;
    write(
        &repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
}

/// Ready once the seed is there to serve.
const SEEDED_PROBE: [&str; 5] = [
    "wget",
    "-q",
    "-O",
    "/dev/null",
    "http://127.0.0.1:8080/index.html",
];

const SEEDED_DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /data & wait"]
"#;
