//! `--pause`: the serving app set up, paused and resumed through the `stagecraft` command, with
//! what a running and a paused environment hold of the machine (BENCHMARKS.md, "Pause and
//! resume"): the memory and CPU its containers use (`docker stats`), and the host's available
//! memory before and after the pause.

use std::time::Duration;

use serde_json::Value;

use crate::{Bench, Error, app, expect, run};

/// One run: the three commands' wall times, and the environment's footprint running and paused.
pub struct PauseRun {
    pub setup: Duration,
    pub pause: Duration,
    pub resume: Duration,
    /// Bytes of memory its containers use, summed (`docker stats`).
    pub running_memory: u64,
    pub paused_memory: u64,
    /// Its containers' CPU, in percent of one core, summed.
    pub running_cpu: f64,
    pub paused_cpu: f64,
    /// How much more memory the host has available once it is paused (`MemAvailable`).
    pub freed: i64,
}

impl Bench {
    pub fn pause_run(&self) -> Result<PauseRun, Error> {
        let (setup, created) =
            self.succeeded(&["environments", "create", "--app", &self.serving_app])?;
        let id = created["environment"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let settle = || std::thread::sleep(Duration::from_secs(3));

        settle();
        let (running_memory, running_cpu, count) = self.footprint(&id)?;
        expect(
            "the running environment",
            count == app::SERVING.len(),
            &Value::from(count),
        )?;
        let before = mem_available();
        let (pause, _) = self.succeeded(&["environments", "pause", &id])?;
        settle();
        let freed = mem_available() - before;
        let (paused_memory, paused_cpu, count) = self.footprint(&id)?;
        expect("the paused environment", count == 0, &Value::from(count))?;

        let (resume, _) = self.succeeded(&["environments", "resume", &id])?;
        let (_, _, count) = self.footprint(&id)?;
        expect(
            "the resumed environment",
            count == app::SERVING.len(),
            &Value::from(count),
        )?;
        self.succeeded(&["environments", "delete", &id])?;
        Ok(PauseRun {
            setup: setup.wall,
            pause: pause.wall,
            resume: resume.wall,
            running_memory,
            paused_memory,
            running_cpu,
            paused_cpu,
            freed,
        })
    }

    /// The memory (bytes) and CPU (percent of a core) the environment's running containers
    /// use, summed, and how many run.
    fn footprint(&self, env_id: &str) -> Result<(u64, f64, usize), Error> {
        let label = format!("label=dev.stagecraft.env={env_id}");
        let ids: Vec<String> = run(&self.client, &["ps", "-q", "--filter", &label], &[])?
            .stdout
            .lines()
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Ok((0, 0.0, 0));
        }
        let mut args = vec![
            "stats",
            "--no-stream",
            "--format",
            "{{.MemUsage}}|{{.CPUPerc}}",
        ];
        args.extend(ids.iter().map(String::as_str));
        let stats = run(&self.client, &args, &[])?.stdout;
        let (mut memory, mut cpu) = (0, 0.0);
        for line in stats.lines() {
            let (used, percent) = line.split_once('|').unwrap_or((line, "0%"));
            memory += bytes(used.split('/').next().unwrap_or_default().trim());
            cpu += percent
                .trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .unwrap_or(0.0);
        }
        Ok((memory, cpu, ids.len()))
    }
}

/// `docker stats`' sizes: `1.5MiB`, `812KiB`, `0B`.
fn bytes(text: &str) -> u64 {
    let units = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1_000),
        ("B", 1),
    ];
    for (unit, scale) in units {
        if let Some(number) = text.strip_suffix(unit) {
            return (number.trim().parse::<f64>().unwrap_or(0.0) * scale as f64) as u64;
        }
    }
    0
}

/// The host's `MemAvailable`, in bytes.
fn mem_available() -> i64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<i64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// The median of `values`.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The table `--pause` prints: the median of each figure over the runs.
pub fn table(runs: &[PauseRun]) -> String {
    let of = |f: &dyn Fn(&PauseRun) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    let mib = |b: f64| b / f64::from(1u32 << 20);
    let setup = of(&|r| r.setup.as_secs_f64());
    let resume = of(&|r| r.resume.as_secs_f64());
    format!(
        "| Figure (median of {n}) | Running | Paused |\n|---|---|---|\n\
         | memory of its containers | {:.1} MiB | {:.1} MiB |\n\
         | CPU of its containers | {:.2} % | {:.2} % |\n\
         | host memory freed by the pause | | {:.1} MiB |\n\n\
         | Command (median of {n}) | Time |\n|---|---|\n\
         | setup (`environments create`) | {setup:.2} s |\n\
         | pause | {:.2} s |\n\
         | resume | {resume:.2} s |\n\
         | setup ÷ resume | {:.1}× (target ≥ 3×) |\n",
        mib(of(&|r| r.running_memory as f64)),
        mib(of(&|r| r.paused_memory as f64)),
        of(&|r| r.running_cpu),
        of(&|r| r.paused_cpu),
        mib(of(&|r| r.freed as f64)),
        of(&|r| r.pause.as_secs_f64()),
        setup / resume,
        n = runs.len(),
    )
}
