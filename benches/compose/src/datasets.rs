//! `--datasets`: a new environment's time to a seeded database from a dataset, against
//! running its seed job (BENCHMARKS.md, "Instant datasets"), for a volume of 10 MiB and of
//! 500 MiB written by the job. Each run: an environment set up with its seed job (timed), paused
//! and taken as a dataset (timed), then a second environment created from the dataset
//! (timed), its volume checked to hold the seed's bytes.

use std::time::Duration;

use serde_json::Value;

use crate::{Bench, Error, expect, run};

/// The volume sizes measured, in MiB.
pub const SIZES: [u32; 2] = [10, 500];

/// One run at one size.
pub struct DatasetRun {
    pub mib: u32,
    /// Setup of an environment that runs its seed job.
    pub seeds_itself: Duration,
    /// Taking the dataset from it (paused).
    pub take: Duration,
    /// Setup of an environment made from the dataset.
    pub from_dataset: Duration,
}

impl Bench {
    pub fn dataset_run(&self, app: &str, mib: u32) -> Result<DatasetRun, Error> {
        let id = |answer: &Value| {
            answer["environment"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        let (seeds_itself, created) = self.succeeded(&["environments", "create", "--app", app])?;
        let source = id(&created);
        self.succeeded(&["environments", "pause", &source])?;
        let name = format!("{app}-data");
        let take = self.stagecraft(&[
            "datasets",
            "create",
            &name,
            "--environment",
            &source,
            "--volume",
            "db:data",
        ])?;
        let (from_dataset, made) =
            self.succeeded(&["environments", "create", "--app", app, "--dataset", &name])?;
        let seeded = id(&made);
        let size = self.blob_size(&seeded)?;
        expect(
            "the seeded environment's volume",
            size == u64::from(mib) << 20,
            &Value::from(size),
        )?;
        for env in [&source, &seeded] {
            self.succeeded(&["environments", "delete", env])?;
        }
        self.stagecraft(&["datasets", "delete", &name])?;
        Ok(DatasetRun {
            mib,
            seeds_itself: seeds_itself.wall,
            take: take.wall,
            from_dataset: from_dataset.wall,
        })
    }

    /// The size of `/data/blob` in the environment's `db` container.
    fn blob_size(&self, env_id: &str) -> Result<u64, Error> {
        let label = format!("label=dev.stagecraft.env={env_id}");
        let ps = run(&self.client, &["ps", "-q", "--filter", &label], &[])?.stdout;
        let container = ps.lines().next().unwrap_or_default().to_owned();
        let stat = run(
            &self.client,
            &["exec", &container, "stat", "-c", "%s", "/data/blob"],
            &[],
        )?;
        Ok(stat.stdout.trim().parse().unwrap_or(0))
    }
}

/// The median of `values`.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The table `--datasets` prints: the median of each figure, per size.
pub fn table(runs: &[DatasetRun]) -> String {
    let mut out = String::from(
        "| Volume | Setup running its seed job | Taking the dataset | Setup from the dataset | \
         From the dataset ÷ seeding itself |\n|---|---|---|---|---|\n",
    );
    for mib in SIZES {
        let of = |f: &dyn Fn(&DatasetRun) -> f64| {
            median(
                &mut runs
                    .iter()
                    .filter(|r| r.mib == mib)
                    .map(f)
                    .collect::<Vec<_>>(),
            )
        };
        let itself = of(&|r| r.seeds_itself.as_secs_f64());
        let dataset = of(&|r| r.from_dataset.as_secs_f64());
        out.push_str(&format!(
            "| {mib} MiB (median of {n}) | {itself:.2} s | {:.2} s | {dataset:.2} s | {:.2} |\n",
            of(&|r| r.take.as_secs_f64()),
            dataset / itself,
            n = runs.iter().filter(|r| r.mib == mib).count(),
        ));
    }
    out
}
