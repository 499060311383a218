//! Cron jobs: a job's checks (a name unique among jobs and cron jobs, an image to run, sound
//! quantities and volumes) and a `schedule` a Kubernetes CronJob would take.

use std::collections::HashSet;

use super::{Check, Kind, known, quantities, volumes};
use crate::model::Template;
use crate::read::child;
use crate::schedule::Schedule;

pub(super) fn check_cron_jobs(
    check: &mut Check<'_>,
    template: &Template,
    services: &HashSet<&str>,
    jobs: &HashSet<&str>,
    shared_volumes: &HashSet<&str>,
) {
    let mut seen: HashSet<&str> = HashSet::new();
    for job in &template.cron_jobs {
        if let Some(name) = check.name(&job.name, job.loc, &job.path, "cron job")
            && (jobs.contains(name.as_str()) || !seen.insert(name.as_str()))
        {
            check.error(
                name.loc,
                &child(&job.path, "name"),
                format!(
                    "a second job or cron job named `{name}`: their names must be unique \
                     (each run is kept as `jobs.{name}`)"
                ),
            );
        }
        match &job.schedule {
            Some(schedule) => {
                if let Err(why) = Schedule::parse(schedule.as_str()) {
                    check.error(schedule.loc, &child(&job.path, "schedule"), why);
                }
            }
            None => check.error(
                job.loc,
                &job.path,
                "a cron job needs `schedule: <five-field cron schedule>`, as in `0 3 * * *`",
            ),
        }
        match (&job.from_services, &job.image) {
            (Some(from), _) if !services.contains(from.as_str()) => check.error(
                from.loc,
                &child(&job.path, "from_services"),
                format!(
                    "`{from}` is not a service of this template: {}",
                    known(services)
                ),
            ),
            (None, None) => check.error(
                job.loc,
                &job.path,
                "a cron job needs `from_services: <service>` or `image: <image>` to know what \
                 to run",
            ),
            _ => {}
        }
        if job.completed_timeout == Some(0) {
            check.error(
                job.loc,
                &child(&job.path, "completed_timeout"),
                "must be at least 1 second",
            );
        }
        quantities(check, &job.cpu, &child(&job.path, "cpu"), Kind::Cpu);
        quantities(
            check,
            &job.memory,
            &child(&job.path, "memory"),
            Kind::Memory,
        );
        volumes(check, &job.volumes, shared_volumes);
    }
}
