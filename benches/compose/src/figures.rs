//! Pairs of measurements, their medians, ranges and pair-by-pair ratios, as a Markdown table
//! and as JSON.

use std::path::Path;

use serde::Serialize;

use crate::{Error, Ran};

/// One run of a scenario on both sides.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pair {
    pub stagecraft_s: f64,
    /// CPU time of the `stagecraft` process: the engine's own work, as opposed to waiting on
    /// Docker or on the containers.
    pub stagecraft_cpu_s: f64,
    /// How long Stagecraft had a request outstanding at the Docker engine.
    pub stagecraft_docker_s: f64,
    pub baseline_s: f64,
    pub baseline_cpu_s: f64,
}

impl Pair {
    pub(crate) fn new(ours: &Ran, theirs: &Ran) -> Pair {
        Pair {
            stagecraft_s: ours.wall.as_secs_f64(),
            stagecraft_cpu_s: ours.cpu.as_secs_f64(),
            stagecraft_docker_s: ours.docker.as_secs_f64(),
            baseline_s: theirs.wall.as_secs_f64(),
            baseline_cpu_s: theirs.cpu.as_secs_f64(),
        }
    }

    fn ratio(&self) -> f64 {
        self.stagecraft_s / self.baseline_s
    }

    /// The share of Stagecraft's time not spent waiting on Docker.
    fn overhead(&self) -> f64 {
        (self.stagecraft_s - self.stagecraft_docker_s).max(0.0) / self.stagecraft_s
    }
}

/// Median, minimum and maximum of a series.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n == 0 {
            return Spread {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Spread {
            median,
            min: values[0],
            max: values[n - 1],
        }
    }
}

#[derive(Debug, Serialize)]
struct Scenario {
    name: &'static str,
    target: Option<f64>,
    stagecraft_s: Spread,
    baseline_s: Spread,
    ratio: Spread,
    stagecraft_overhead: Spread,
    pairs: Vec<Pair>,
}

#[derive(Debug, Serialize)]
pub struct Figures {
    machine: String,
    scenarios: Vec<Scenario>,
}

/// The targets: Stagecraft's time over the baseline's, at most.
fn target(name: &str) -> Option<f64> {
    match name {
        "P1 setup" => Some(0.7),
        "P2 patch" => Some(1.1),
        "P3 build stage" => Some(0.6),
        _ => None,
    }
}

impl Figures {
    pub fn new(machine: String) -> Figures {
        Figures {
            machine,
            scenarios: Vec::new(),
        }
    }

    pub fn add(&mut self, name: &'static str, pair: Pair) {
        let index = match self.scenarios.iter().position(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.scenarios.push(Scenario {
                    name,
                    target: target(name),
                    stagecraft_s: Spread::of([]),
                    baseline_s: Spread::of([]),
                    ratio: Spread::of([]),
                    stagecraft_overhead: Spread::of([]),
                    pairs: Vec::new(),
                });
                self.scenarios.len() - 1
            }
        };
        let scenario = &mut self.scenarios[index];
        scenario.pairs.push(pair);
        let pairs = &scenario.pairs;
        scenario.stagecraft_s = Spread::of(pairs.iter().map(|p| p.stagecraft_s));
        scenario.baseline_s = Spread::of(pairs.iter().map(|p| p.baseline_s));
        scenario.ratio = Spread::of(pairs.iter().map(Pair::ratio));
        scenario.stagecraft_overhead = Spread::of(pairs.iter().map(Pair::overhead));
    }

    pub fn table(&self) -> String {
        let runs = self.scenarios.first().map_or(0, |s| s.pairs.len());
        let mut out = format!(
            "Machine: {}\nMedian (min–max) of {runs} runs; the ratio is taken pair by pair.\n\n\
             | Scenario | Stagecraft | Baseline | Ratio | Target | Met | Engine's own time |\n\
             |---|---|---|---|---|---|---|\n",
            self.machine
        );
        for s in &self.scenarios {
            let seconds = |x: &Spread| format!("{:.2} s ({:.2}–{:.2})", x.median, x.min, x.max);
            let (target, met) = match s.target {
                Some(t) => (
                    format!("≤ {t:.1}×"),
                    if s.ratio.median <= t { "yes" } else { "no" },
                ),
                None => ("–".to_owned(), "–"),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {:.2}× ({:.2}–{:.2}) | {target} | {met} | {:.1} % (max {:.1} %) |\n",
                s.name,
                seconds(&s.stagecraft_s),
                seconds(&s.baseline_s),
                s.ratio.median,
                s.ratio.min,
                s.ratio.max,
                s.stagecraft_overhead.median * 100.0,
                s.stagecraft_overhead.max * 100.0,
            ));
        }
        out
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Answer {
            what: "the figures".to_owned(),
            detail: e.to_string(),
        })?;
        crate::app::write(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_series_and_their_range() {
        assert_eq!(
            Spread::of([3.0, 1.0, 2.0]),
            Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            }
        );
        assert_eq!(Spread::of([4.0, 1.0, 2.0, 3.0]).median, 2.5);
    }

    #[test]
    fn the_ratio_is_taken_pair_by_pair_not_of_the_medians() {
        let mut figures = Figures::new(String::new());
        for (ours, theirs) in [(1.0, 2.0), (3.0, 3.0), (1.0, 10.0)] {
            figures.add(
                "P1 setup",
                Pair {
                    stagecraft_s: ours,
                    stagecraft_cpu_s: 0.0,
                    stagecraft_docker_s: ours * 0.9,
                    baseline_s: theirs,
                    baseline_cpu_s: 0.0,
                },
            );
        }
        let s = &figures.scenarios[0];
        // Ratios 0.5, 1.0, 0.1: their median is 0.5, not 1.0 / 3.0.
        assert_eq!(s.ratio.median, 0.5);
        assert_eq!((s.ratio.min, s.ratio.max), (0.1, 1.0));
        assert!(figures.table().contains("| P1 setup | 1.00 s (1.00–3.00) | 3.00 s (2.00–10.00) | 0.50× (0.10–1.00) | ≤ 0.7× | yes |"));
    }
}
