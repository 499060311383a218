//! Stagecraft against docker-compose 1.29, side by side on one Docker engine with the same
//! images (BENCHMARKS.md):
//!
//! - P1: setup of a 10-service app in three dependency levels, from nothing to every service
//!   ready, versus `docker-compose up -d` plus waiting until every container is healthy;
//! - P2: a patch after a one-file change in one service, versus `docker build` of that service
//!   and `docker-compose up -d --no-deps` of it, until it is healthy;
//! - P3: the build stage of 6 independent services, versus `docker build` of each in turn;
//! - teardown versus `docker-compose down -v`;
//! - with `--pause`, Stagecraft alone: setup, pause and resume of the serving app, and what
//!   its containers use running and paused (`pause.rs`).
//! - with `--datasets`, Stagecraft alone: a new environment's setup from a dataset against one
//!   that runs its seed job, at 10 and 500 MiB (`datasets.rs`).
//!
//! Every scenario runs as pairs (Stagecraft, then the baseline, or the other way round on odd
//! runs, so neither always goes first); the ratio is taken pair by pair. Stagecraft runs as
//! its `stagecraft` command, the way a user runs it, against its own SQLite file.
#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports on standard output"
)]

mod app;
mod datasets;
mod figures;
mod pause;
mod proxy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use clap::Parser;
use serde_json::Value;

use figures::{Figures, Pair};

#[derive(Debug, Parser)]
#[command(about = "Stagecraft against docker-compose on the same engine and images")]
struct Args {
    /// Measured pairs of each scenario (after one warm-up pair that is not counted); the
    /// build scenario varies by ±15 % from run to run on two cores, so nine by default
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// The `stagecraft` command [default: the one built beside this program]
    #[arg(long)]
    stagecraft: Option<PathBuf>,
    /// The Docker client for the baseline's builds, which must build with BuildKit as
    /// Stagecraft does [default: `docker` when it has buildx or is older than 23 (BuildKit
    /// built in), else Debian's /usr/bin/docker]
    #[arg(long)]
    docker: Option<PathBuf>,
    /// The docker-compose command (Debian's docker-compose 1.29)
    #[arg(long, default_value = "docker-compose")]
    compose: PathBuf,
    /// Print, for every Stagecraft command, where its own time went: the longest stretches
    /// with no request at Docker, and the request that ended each
    #[arg(long)]
    trace: bool,
    /// Where the figures are written as JSON
    #[arg(long, default_value = "target/bench/compose.json")]
    json: PathBuf,
    /// Measure pause and resume instead: the serving app set up, paused and resumed by
    /// Stagecraft alone, with its containers' memory and CPU running and paused
    #[arg(long)]
    pause: bool,
    /// Measure instant datasets instead: a new environment's setup from a dataset against one
    /// that runs its seed job, for volumes of 10 and 500 MiB
    #[arg(long, conflicts_with = "pause")]
    datasets: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} failed ({status}): {stderr}")]
    Command {
        what: String,
        status: String,
        stderr: String,
    },
    #[error("could not run {program}: {source} ({hint})")]
    Spawn {
        program: String,
        source: std::io::Error,
        hint: &'static str,
    },
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what}: unexpected answer: {detail}")]
    Answer { what: String, detail: String },
    #[error("the Docker engine: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error("{0} did not become healthy within {1:?}")]
    Timeout(String, Duration),
}

/// One finished command: its wall time, the CPU time it and its children used, how long it
/// waited on Docker (measured for Stagecraft only), its output.
struct Ran {
    wall: Duration,
    cpu: Duration,
    docker: Duration,
    stdout: String,
}

/// CPU time (user + system) of this process's waited-for children, from /proc: the
/// benchmark runs one command at a time, so the difference across a command is its own.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3 (`state`);
    // cutime and cstime are fields 16 and 17, in clock ticks of 1/100 s on Linux.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(12).copied().unwrap_or(0) + fields.get(13).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Ran, Error> {
    let what = format!("{} {}", program.display(), args.join(" "));
    let cpu = children_cpu();
    let start = Instant::now();
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(|source| Error::Spawn {
            program: program.display().to_string(),
            source,
            hint: "is it installed? benches/compose.sh installs what the benchmark needs",
        })?;
    let wall = start.elapsed();
    if !output.status.success() {
        return Err(Error::Command {
            what,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(Ran {
        wall,
        cpu: children_cpu().saturating_sub(cpu),
        docker: Duration::ZERO,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    })
}

fn json(ran: &Ran, what: &str) -> Result<Value, Error> {
    serde_json::from_str(&ran.stdout).map_err(|e| Error::Answer {
        what: what.to_owned(),
        detail: format!("{e}: {}", ran.stdout),
    })
}

fn expect(what: &str, ok: bool, answer: &Value) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::Answer {
            what: what.to_owned(),
            detail: answer.to_string(),
        })
    }
}

struct Bench {
    args: Args,
    /// The Docker client the baseline builds with.
    client: PathBuf,
    stagecraft: PathBuf,
    data: PathBuf,
    /// Stagecraft reaches Docker through the measuring proxy at this socket.
    proxy: String,
    meter: proxy::Meter,
    docker: Docker,
    serving_repo: PathBuf,
    built_repo: PathBuf,
    serving_app: String,
    built_app: String,
    /// compose's project name; also the repository of the baseline's images
    project: String,
    compose_file: PathBuf,
}

impl Bench {
    fn stagecraft(&self, args: &[&str]) -> Result<Ran, Error> {
        let data = self.data.to_string_lossy();
        let docker = self.meter.total();
        let since = Instant::now();
        let mut ran = run(
            &self.stagecraft,
            args,
            &[
                ("STAGECRAFT_DATA_DIR", &data),
                ("STAGECRAFT_KEYCHAIN", "0"),
                ("STAGECRAFT_LOG", "warn"),
                ("DOCKER_HOST", &self.proxy),
            ],
        )?;
        ran.docker = self.meter.total().saturating_sub(docker);
        if self.args.trace {
            self.trace(args, since, &ran);
        }
        Ok(ran)
    }

    /// Prints the five longest stretches of a command's time during which it had no request
    /// at Docker: its own work, or its sleeps.
    fn trace(&self, args: &[&str], since: Instant, ran: &Ran) {
        let periods = self.meter.periods(since);
        let end = since + ran.wall;
        let mut gaps: Vec<(Duration, String)> = Vec::new();
        let mut idle_from = since;
        let mut before = "the start".to_owned();
        for period in &periods {
            gaps.push((
                period.start.saturating_duration_since(idle_from),
                format!("after {before}, before {}", period.first),
            ));
            idle_from = period.end;
            before = period.first.clone();
        }
        gaps.push((
            end.saturating_duration_since(idle_from),
            format!("after {before}, until the command exited"),
        ));
        gaps.sort_by_key(|g| std::cmp::Reverse(g.0));
        println!(
            "stagecraft {}: {:.0} ms, {:.0} ms waiting on Docker, {} requests' periods",
            args.join(" "),
            ran.wall.as_secs_f64() * 1000.0,
            ran.docker.as_secs_f64() * 1000.0,
            periods.len()
        );
        for (gap, at) in gaps.iter().take(5) {
            println!("  {:>6.1} ms idle {at}", gap.as_secs_f64() * 1000.0);
        }
    }

    fn compose(&self, args: &[&str]) -> Result<Ran, Error> {
        let file = self.compose_file.to_string_lossy();
        let mut all = vec!["-p", &self.project, "-f", &file];
        all.extend_from_slice(args);
        run(&self.args.compose, &all, &[])
    }

    fn docker_build(&self, tag: &str, context: &Path) -> Result<Ran, Error> {
        run(
            &self.client,
            &["build", "-q", "-t", tag, &context.to_string_lossy()],
            &[("DOCKER_BUILDKIT", "1")],
        )
    }

    fn baseline_image(&self, service: &str) -> String {
        format!("{}/{service}:latest", self.project)
    }

    /// Waits until all of compose's containers of the project are running and healthy.
    async fn compose_healthy(&self) -> Result<(), Error> {
        let started = Instant::now();
        let limit = Duration::from_secs(120);
        let filters = HashMap::from([(
            "label".to_owned(),
            vec![format!("com.docker.compose.project={}", self.project)],
        )]);
        loop {
            let containers = self
                .docker
                .list_containers(Some(
                    ListContainersOptionsBuilder::default()
                        .filters(&filters)
                        .build(),
                ))
                .await?;
            let healthy = containers
                .iter()
                .filter(|c| c.status.as_deref().is_some_and(|s| s.contains("(healthy)")))
                .count();
            if healthy == app::SERVING.len() && containers.len() == healthy {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(Error::Timeout(
                    format!("compose project {}", self.project),
                    limit,
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn change_one_file(&self) -> Result<(), Error> {
        app::write(
            &self.serving_repo.join(app::PATCHED).join("www/index.html"),
            &format!("{} {:?}\n", app::PATCHED, Instant::now()),
        )
    }

    /// A new nonce in each of the six services, different per service, so no build reuses
    /// another's layers.
    fn change_every_build(&self) -> Result<(), Error> {
        let now = Instant::now();
        for name in app::BUILT {
            app::write(
                &self.built_repo.join(name).join("nonce"),
                &format!("{name} {now:?}\n"),
            )?;
        }
        Ok(())
    }

    /// A `stagecraft` command (`-o json` added) whose deploy must succeed: its run and answer.
    fn succeeded(&self, args: &[&str]) -> Result<(Ran, Value), Error> {
        let what = args[..2.min(args.len())].join(" ");
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let ran = self.stagecraft(&all)?;
        let answer = json(&ran, &what)?;
        expect(&what, answer["deploy"]["status"] == "succeeded", &answer)?;
        Ok((ran, answer))
    }

    /// P1, P2 and teardown through Stagecraft: (setup, patch, teardown).
    fn stagecraft_lifecycle(&self) -> Result<[Ran; 3], Error> {
        let (setup, created) =
            self.succeeded(&["environments", "create", "--app", &self.serving_app])?;
        let id = created["environment"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        self.change_one_file()?;
        let patch = self.stagecraft(&[
            "deploys",
            "create",
            "--environment",
            &id,
            "--wait",
            "-o",
            "json",
        ])?;
        let patched = json(&patch, "deploys create")?;
        expect(
            "deploys create",
            patched["deploy"]["stage"] == "patch" && patched["deploy"]["status"] == "succeeded",
            &patched,
        )?;
        // Unchanged services cost no build: one image built, the nine others reused.
        let builds = json(
            &self.stagecraft(&["builds", "list", "--app", &self.serving_app, "-o", "json"])?,
            "builds list",
        )?;
        let newest = builds
            .as_array()
            .and_then(|b| {
                b.iter()
                    .find(|b| b["id"] == patched["deploy"]["build_id"])
                    .cloned()
            })
            .unwrap_or_default();
        let built: Vec<&str> = newest["images"]
            .as_array()
            .map(|images| {
                images
                    .iter()
                    .filter(|i| i["outcome"] == "built")
                    .filter_map(|i| i["service"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        expect("the patch's build", built == [app::PATCHED], &newest)?;

        let (teardown, _) = self.succeeded(&["environments", "delete", &id])?;
        Ok([setup, patch, teardown])
    }

    /// The same through docker-compose: (up + healthy, build + up --no-deps + healthy, down).
    async fn compose_lifecycle(&self) -> Result<[Ran; 3], Error> {
        let cpu = children_cpu();
        let start = Instant::now();
        self.compose(&["up", "-d", "--quiet-pull"])?;
        self.compose_healthy().await?;
        let setup = Ran {
            wall: start.elapsed(),
            cpu: children_cpu().saturating_sub(cpu),
            docker: Duration::ZERO,
            stdout: String::new(),
        };

        self.change_one_file()?;
        let cpu = children_cpu();
        let start = Instant::now();
        self.docker_build(
            &self.baseline_image(app::PATCHED),
            &self.serving_repo.join(app::PATCHED),
        )?;
        self.compose(&["up", "-d", "--no-deps", app::PATCHED])?;
        self.compose_healthy().await?;
        let patch = Ran {
            wall: start.elapsed(),
            cpu: children_cpu().saturating_sub(cpu),
            docker: Duration::ZERO,
            stdout: String::new(),
        };

        let teardown = self.compose(&["down", "-v"])?;
        Ok([setup, patch, teardown])
    }

    /// P3 through Stagecraft: one build stage of the six services.
    fn stagecraft_builds(&self) -> Result<Ran, Error> {
        self.change_every_build()?;
        let ran = self.stagecraft(&["builds", "create", "--app", &self.built_app, "-o", "json"])?;
        let build = json(&ran, "builds create")?;
        let built = build["images"]
            .as_array()
            .map(|images| images.iter().filter(|i| i["outcome"] == "built").count())
            .unwrap_or(0);
        expect(
            "builds create",
            build["status"] == "succeeded" && built == app::BUILT.len(),
            &build,
        )?;
        Ok(ran)
    }

    /// P3's baseline: `docker build` of each service, one after another.
    fn sequential_builds(&self) -> Result<Ran, Error> {
        self.change_every_build()?;
        let cpu = children_cpu();
        let start = Instant::now();
        for name in app::BUILT {
            self.docker_build(&self.baseline_image(name), &self.built_repo.join(name))?;
        }
        Ok(Ran {
            wall: start.elapsed(),
            cpu: children_cpu().saturating_sub(cpu),
            docker: Duration::ZERO,
            stdout: String::new(),
        })
    }
}

/// Removes whatever the benchmark made, even when it stops half-way: compose's project,
/// Stagecraft's environments' containers, networks and volumes, and every image either side
/// built (by repository, never by id: other images may share an id).
struct Cleanup<'a>(&'a Bench);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let bench = self.0;
        let _ = bench.compose(&["down", "-v"]);
        let docker = &bench.client;
        let lines = |args: &[&str]| {
            run(docker, args, &[])
                .map(|r| r.stdout.lines().map(str::to_owned).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let mut apps = vec![bench.serving_app.clone(), bench.built_app.clone()];
        apps.extend(
            datasets::SIZES
                .iter()
                .map(|mib| format!("{}d{mib}", bench.serving_app)),
        );
        for app in &apps {
            let label = format!("label=dev.stagecraft.app={app}");
            for id in lines(&["ps", "-aq", "--filter", &label]) {
                let _ = run(docker, &["rm", "-f", &id], &[]);
            }
            for id in lines(&["network", "ls", "-q", "--filter", &label]) {
                let _ = run(docker, &["network", "rm", &id], &[]);
            }
            for id in lines(&["volume", "ls", "-q", "--filter", &label]) {
                let _ = run(docker, &["volume", "rm", &id], &[]);
            }
        }
        let mut references: Vec<String> = apps
            .iter()
            .map(|app| format!("stagecraft/{app}/*"))
            .collect();
        references.push(format!("{}/*", bench.project));
        for reference in references {
            for image in lines(&[
                "images",
                "--filter",
                &format!("reference={reference}"),
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ]) {
                let _ = run(docker, &["rmi", "-f", &image], &[]);
            }
        }
    }
}

fn machine(docker_version: &str, compose_version: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {memory_gib} GiB, Linux {}, Docker Engine {docker_version}, docker-compose {compose_version}",
        kernel.trim()
    )
}

/// A Docker client that builds with BuildKit under `DOCKER_BUILDKIT=1`: one with the buildx
/// plugin, or one older than 23, where BuildKit is built in. Newer clients without buildx
/// refuse, and the legacy builder would not be a fair baseline.
fn buildkit_client(chosen: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(chosen) = chosen {
        return Ok(chosen.to_owned());
    }
    for candidate in ["docker", "/usr/bin/docker"] {
        let program = Path::new(candidate);
        if run(program, &["buildx", "version"], &[]).is_ok() {
            return Ok(program.to_owned());
        }
        let version = run(
            program,
            &["version", "--format", "{{.Client.Version}}"],
            &[],
        )
        .map(|r| r.stdout)
        .unwrap_or_default();
        let major: Option<u32> = version
            .trim()
            .split('.')
            .next()
            .and_then(|m| m.parse().ok());
        if major.is_some_and(|m| m < 23) {
            return Ok(program.to_owned());
        }
    }
    Err(Error::Answer {
        what: "a Docker client that builds with BuildKit".to_owned(),
        detail: "neither `docker` nor /usr/bin/docker has buildx or is older than 23: install \
                 the buildx plugin, or Debian's docker.io, or name one with --docker"
            .to_owned(),
    })
}

async fn bench(args: Args) -> Result<(), Error> {
    let client = buildkit_client(args.docker.as_deref())?;
    let stagecraft = match &args.stagecraft {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|source| Error::File {
                path: PathBuf::from("the benchmark's own program"),
                source,
            })?
            .with_file_name("stagecraft"),
    };
    let docker = Docker::connect_with_local_defaults()?;
    let docker_version = docker.version().await?.version.unwrap_or_default();
    let compose_version = run(&args.compose, &["version", "--short"], &[])?
        .stdout
        .trim()
        .to_owned();
    let work = tempfile::tempdir().map_err(|source| Error::File {
        path: std::env::temp_dir(),
        source,
    })?;
    let tag = format!("bench{}", std::process::id());
    let upstream = match std::env::var("DOCKER_HOST") {
        Ok(host) => match host.strip_prefix("unix://") {
            Some(path) => PathBuf::from(path),
            None => {
                return Err(Error::Answer {
                    what: "DOCKER_HOST".to_owned(),
                    detail: format!("{host}: the benchmark measures Docker through a unix socket"),
                });
            }
        },
        Err(_) => PathBuf::from("/var/run/docker.sock"),
    };
    let socket = work.path().join("docker.sock");
    let meter = proxy::start(&socket, &upstream)?;
    let bench = Bench {
        client,
        stagecraft,
        data: work.path().join("data"),
        proxy: format!("unix://{}", socket.display()),
        meter,
        docker,
        serving_repo: work.path().join("serving"),
        built_repo: work.path().join("built"),
        serving_app: format!("{tag}s"),
        built_app: format!("{tag}b"),
        project: format!("{tag}compose"),
        compose_file: work.path().join("docker-compose.yml"),
        args,
    };
    let _cleanup = Cleanup(&bench);
    app::serving(&bench.serving_repo, &bench.serving_app)?;
    app::built(&bench.built_repo, &bench.built_app)?;
    for repo in [&bench.serving_repo, &bench.built_repo] {
        bench.stagecraft(&["apps", "add", &repo.to_string_lossy()])?;
    }

    if bench.args.datasets {
        let mut runs = Vec::new();
        for mib in datasets::SIZES {
            let app = format!("{}d{mib}", bench.serving_app);
            let repo = work.path().join(&app);
            app::seeded(&repo, &app, mib)?;
            bench.stagecraft(&["apps", "add", &repo.to_string_lossy()])?;
            for run in 0..=bench.args.runs {
                println!(
                    "{mib} MiB: {} {run}/{}…",
                    if run > 0 { "run" } else { "warm-up" },
                    bench.args.runs
                );
                let measured = bench.dataset_run(&app, mib)?;
                if run > 0 {
                    runs.push(measured);
                }
            }
        }
        println!("\n{}", datasets::table(&runs));
        println!("{}", machine(&docker_version, &compose_version));
        return Ok(());
    }

    if bench.args.pause {
        let mut runs = Vec::new();
        for run in 0..=bench.args.runs {
            println!(
                "{} {run}/{}…",
                if run > 0 { "Run" } else { "Warm-up" },
                bench.args.runs
            );
            let measured = bench.pause_run()?;
            if run > 0 {
                runs.push(measured);
            }
        }
        println!("\n{}", pause::table(&runs));
        println!("{}", machine(&docker_version, &compose_version));
        return Ok(());
    }

    // The same images for both: Stagecraft builds the serving app once, and compose's
    // project gets the very same images under its own names.
    println!("Building the serving app's images once…");
    let build = json(
        &bench.stagecraft(&[
            "builds",
            "create",
            "--app",
            &bench.serving_app,
            "-o",
            "json",
        ])?,
        "builds create",
    )?;
    for image in build["images"].as_array().into_iter().flatten() {
        let (Some(service), Some(tag)) = (image["service"].as_str(), image["tag"].as_str()) else {
            continue;
        };
        run(
            &bench.client,
            &["tag", tag, &bench.baseline_image(service)],
            &[],
        )?;
    }
    app::compose(&bench.compose_file, |s| bench.baseline_image(s))?;

    let mut figures = Figures::new(machine(&docker_version, &compose_version));
    let runs = bench.args.runs;
    // Run 0 warms the engine, the page cache and BuildKit's cache of the base layers.
    for run in 0..=runs {
        let counted = run > 0;
        println!("{} {run}/{runs}…", if counted { "Run" } else { "Warm-up" });
        let (ours, theirs) = if run % 2 == 0 {
            let ours = bench.stagecraft_lifecycle()?;
            (ours, bench.compose_lifecycle().await?)
        } else {
            let theirs = bench.compose_lifecycle().await?;
            (bench.stagecraft_lifecycle()?, theirs)
        };
        let (our_builds, their_builds) = if run % 2 == 0 {
            let ours = bench.stagecraft_builds()?;
            (ours, bench.sequential_builds()?)
        } else {
            let theirs = bench.sequential_builds()?;
            (bench.stagecraft_builds()?, theirs)
        };
        if !counted {
            continue;
        }
        let [setup, patch, teardown] = ours;
        let [up, rebuild, down] = theirs;
        figures.add("P1 setup", Pair::new(&setup, &up));
        figures.add("P2 patch", Pair::new(&patch, &rebuild));
        figures.add("P3 build stage", Pair::new(&our_builds, &their_builds));
        figures.add("teardown", Pair::new(&teardown, &down));
    }
    println!("\n{}", figures.table());
    figures.save(&bench.args.json)?;
    println!("Figures: {}", bench.args.json.display());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match bench(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
