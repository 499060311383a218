//! Cron jobs. On Kubernetes each is a CronJob the cluster runs (`concurrencyPolicy: Forbid`),
//! handed over at the end of every setup and patch. On Docker the clock runs them (the app's,
//! or `stagecraft serve`'s): each round, every deployed environment's cron job whose schedule
//! came due since its last run (or since the environment's last setup) is queued as a deploy
//! of the stage `cron`, named after it. A run is a job's run with the images the environment
//! runs: its log, its exit code and its place on the timeline are a job's. Runs of one
//! environment take turns, so two runs of one cron job never overlap, and a request for a run
//! while another waits joins it. Runs missed while no clock ran (the app and `serve` closed)
//! are run once when the clock comes back, and its reason says how many were missed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use stagecraft_engine::EnvironmentStatus;
use stagecraft_store::deploy;
use stagecraft_template::Schedule;
use ts_rs::TS;

use crate::deploy::{DeployReport, DeployRequest, Wait};
use crate::views::DeployView;
use crate::{Error, Stagecraft};

/// Missed runs counted at most: enough to say "many", cheap for `* * * * *` over a year.
const MISSED_COUNTED: usize = 10_000;

/// Runs of each cron job kept with their events and logs; older ones go as new ones come.
pub const KEPT_RUNS: i64 = 50;

/// How recent a schedule time must be to run a cron job the clock never ran before: a job
/// first seen by the clock (new, or an environment set up before Stagecraft ran cron jobs)
/// starts with its next time, not with a catch-up of times before it was seen.
const FIRST_RUN_WITHIN: chrono::TimeDelta = chrono::TimeDelta::seconds(150);

/// A cron job as the window and the command line list it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CronJobView {
    pub name: String,
    pub schedule: String,
    /// When it runs next (RFC 3339, UTC); none on a runtime that schedules it itself, or while
    /// the environment is not deployed.
    pub next_run: Option<String>,
    /// Its last run, by the clock or by hand.
    pub last_run: Option<DeployView>,
}

impl Stagecraft {
    /// The cron jobs of the configuration `env_id` runs (its newest before its first setup),
    /// with their last and next runs.
    pub async fn cron_jobs(&self, env_id: &str) -> Result<Vec<CronJobView>, Error> {
        let env = self.environment(env_id).await?;
        let version = self.deployed_version(&env).await?;
        let resolved = self.resolve(&env, version).await?;
        // A next run only where Stagecraft's clock will run it: a deployed environment.
        let clock_runs = self.clock_runs_cron(&env)
            && matches!(
                env.status,
                EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
            );
        let mut out = Vec::new();
        for job in &resolved.template.cron_jobs {
            let (Some(name), Some(schedule)) = (&job.name, &job.schedule) else {
                continue;
            };
            let last_run =
                stagecraft_store::cron::last_run(self.store.pool(), env.id, name.as_str()).await?;
            let next_run = match (clock_runs, Schedule::parse(schedule.as_str())) {
                (true, Ok(schedule)) => schedule.next_after(Utc::now()).map(|t| t.to_rfc3339()),
                _ => None,
            };
            out.push(CronJobView {
                name: name.value.clone(),
                schedule: schedule.value.trim().to_owned(),
                next_run,
                last_run: last_run.map(DeployView::from),
            });
        }
        Ok(out)
    }

    /// Checks that `name` is a cron job `env` can run now: one of its configuration's, on an
    /// environment that was set up.
    pub(crate) async fn check_cron_job(
        &self,
        env: &stagecraft_engine::Environment,
        name: &str,
    ) -> Result<(), Error> {
        let known = self.cron_jobs(&env.env_id).await?;
        if !known.iter().any(|c| c.name == name) {
            let names: Vec<&str> = known.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::InvalidRequest {
                field: "cron job",
                message: format!(
                    "the configuration of {} has no cron job `{name}`; {}",
                    env.env_id,
                    if names.is_empty() {
                        "it has none".to_owned()
                    } else {
                        format!("its cron jobs: {}", names.join(", "))
                    }
                ),
            });
        }
        if deploy::last_setup_version(self.store.pool(), env.id)
            .await?
            .is_none()
        {
            return Err(Error::Conflict {
                message: format!(
                    "{} was never set up, so a cron job has nothing to run with: deploy it \
                     first (stagecraft deploys create --environment {})",
                    env.env_id, env.env_id
                ),
            });
        }
        Ok(())
    }

    /// Queues a run of every cron job that came due by `now` on a deployed environment whose
    /// runtime has no scheduler of its own: the clock's part, given its time so a test can
    /// move it. The runs go on in the background.
    pub async fn run_cron_due(&self, now: DateTime<Utc>) -> Result<Vec<DeployReport>, Error> {
        let pool = self.store.pool();
        let mut queued = Vec::new();
        for env in self.environments().await? {
            let deployed = matches!(
                env.status,
                EnvironmentStatus::Deployed | EnvironmentStatus::Degraded
            );
            if !deployed || !self.clock_runs_cron(&env) {
                continue;
            }
            let version = self.deployed_version(&env).await?;
            let template = match self.resolve(&env, version).await {
                Ok(resolved) => resolved.template,
                Err(error) => {
                    tracing::warn!(env = %env.env_id, %error, "cron jobs not looked at");
                    continue;
                }
            };
            let Some(set_up) = deploy::last_setup_finished(pool, env.id)
                .await?
                .as_deref()
                .and_then(parse_time)
            else {
                continue;
            };
            for job in &template.cron_jobs {
                let (Some(name), Some(schedule)) = (&job.name, &job.schedule) else {
                    continue;
                };
                let Ok(schedule) = Schedule::parse(schedule.as_str()) else {
                    continue;
                };
                let last = stagecraft_store::cron::last_slot(pool, env.id, name.as_str())
                    .await?
                    .as_deref()
                    .and_then(parse_time);
                let Some((due, reason)) = due_run(&schedule, name.as_str(), last, set_up, now)
                else {
                    continue;
                };
                let request = DeployRequest::Cron {
                    name: name.value.clone(),
                    reason: Some(reason),
                };
                match self.submit(&env.env_id, request, Wait::Background).await {
                    Ok(submitted) => {
                        let slot = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                        stagecraft_store::cron::mark_slot(pool, submitted.deploy.id, &slot).await?;
                        stagecraft_store::cron::prune(
                            pool,
                            env.id,
                            &env.env_id,
                            name.as_str(),
                            KEPT_RUNS,
                        )
                        .await?;
                        queued.push(submitted.report());
                    }
                    Err(error) => {
                        tracing::warn!(env = %env.env_id, cron_job = %name, %error, "a cron job's run was not queued");
                    }
                }
            }
        }
        Ok(queued)
    }

    /// Whether Stagecraft's clock runs `env`'s cron jobs: its runtime has no scheduler.
    fn clock_runs_cron(&self, env: &stagecraft_engine::Environment) -> bool {
        self.runtime_of(env)
            .is_ok_and(|runtime| !runtime.schedules_cron_jobs())
    }
}

/// Whether the cron job is due at `now`, and why: the schedule time it runs for and the
/// reason. After the clock's last run for it (`last`), every time that came due is caught up
/// by one run that says how many there were; for a job the clock never ran, only a time that
/// came due in the last rounds (since the environment's setup).
fn due_run(
    schedule: &Schedule,
    name: &str,
    last: Option<DateTime<Utc>>,
    set_up: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, String)> {
    let since = last.map_or(set_up, |last| last.max(set_up));
    let (missed, due) = schedule.due_between(since, now, MISSED_COUNTED);
    let due = due?;
    if last.is_none() && now - due > FIRST_RUN_WITHIN {
        return None;
    }
    let at = due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Only times after the clock's last run are caught up.
    let reason = if missed > 1 && last.is_some() {
        let many = if missed >= MISSED_COUNTED {
            format!("{MISSED_COUNTED} or more")
        } else {
            missed.to_string()
        };
        format!(
            "cron job `{name}` ({}): {many} runs came due since its last (no clock ran, or \
             the environment was not deployed), counted to {at}; run once now",
            schedule.as_str()
        )
    } else {
        format!("cron job `{name}` ({}): due at {at}", schedule.as_str())
    };
    Some((due, reason))
}

/// A time as the store writes it (RFC 3339, UTC).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, h, m, 0).unwrap()
    }

    #[test]
    fn a_job_the_clock_never_ran_starts_with_its_next_time_not_a_catch_up() {
        let daily = Schedule::parse("0 3 * * *").unwrap();
        // Set up weeks ago (by a Stagecraft that did not run cron jobs): nothing at 09:00.
        assert_eq!(due_run(&daily, "d", None, at(1, 10, 0), at(4, 9, 0)), None);
        // Its next time, seen by the clock's round a minute later: it runs.
        let (due, reason) = due_run(&daily, "d", None, at(1, 10, 0), at(5, 3, 1)).unwrap();
        assert_eq!(due, at(5, 3, 0));
        assert_eq!(
            reason,
            "cron job `d` (0 3 * * *): due at 2026-12-05T03:00:00Z"
        );
    }

    #[test]
    fn times_missed_after_the_clocks_last_run_are_run_once_saying_how_many() {
        let daily = Schedule::parse("0 3 * * *").unwrap();
        let (due, reason) =
            due_run(&daily, "d", Some(at(1, 3, 0)), at(1, 0, 0), at(4, 9, 0)).unwrap();
        assert_eq!(due, at(4, 3, 0));
        assert!(
            reason.contains("3 runs came due since its last") && reason.contains("run once now"),
            "{reason}"
        );
        // Nothing more until the next time.
        assert_eq!(
            due_run(&daily, "d", Some(at(4, 3, 0)), at(1, 0, 0), at(4, 9, 0)),
            None
        );
    }
}
