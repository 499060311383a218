//! Cron jobs: each mistake located, with what to do.

use stagecraft_template::load_template;

fn findings(text: &str) -> Vec<String> {
    load_template("app.yaml", text)
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("app.yaml:").to_owned())
        .collect()
}

const HEAD: &str = "environment_templates: [{name: ephemeral}]
services:
- {name: web, image: busybox}
jobs:
- {name: migrate, from_services: web}
workflows:
- {name: setup, order_from: [services.all]}
- {name: teardown, order_from: [release.remove_environment]}
";

#[test]
fn a_cron_job_with_a_schedule_and_an_image_passes() {
    let text = format!(
        "{HEAD}cron_jobs:
- {{name: nightly, schedule: '0 3 * * *', from_services: web, command: [sh, -c, 'echo hi']}}
- {{name: hourly, schedule: '@hourly', image: busybox, completed_timeout: 60}}
"
    );
    assert_eq!(findings(&text), Vec::<String>::new());
}

#[test]
fn each_mistake_is_located_with_what_to_do() {
    let text = format!(
        "{HEAD}cron_jobs:
- {{name: migrate, schedule: '0 3 * * *', from_services: web}}
- {{name: bad, schedule: '0 3 * *', image: busybox}}
- {{name: last, schedule: '0 0 L * *', from_services: wbe}}
- {{name: never, image: busybox}}
- {{schedule: '@daily'}}
"
    );
    pretty_assertions::assert_eq!(
        findings(&text),
        [
            "10:10: error: cron_jobs[0].name: a second job or cron job named `migrate`: their names must be unique (each run is kept as `jobs.migrate`)",
            "11:25: error: cron_jobs[1].schedule: `0 3 * *` has 4 field(s), not 5: write five fields (minute hour day-of-month month day-of-week), as in `*/15 * * * *` or `0 3 * * mon-fri`, or @hourly, @daily, @weekly, @monthly, @yearly",
            "12:26: error: cron_jobs[2].schedule: `L` in `0 0 L * *` uses L, W or #, which a Kubernetes CronJob does not take: write five fields (minute hour day-of-month month day-of-week), as in `*/15 * * * *` or `0 3 * * mon-fri`, or @hourly, @daily, @weekly, @monthly, @yearly",
            "12:54: error: cron_jobs[2].from_services: `wbe` is not a service of this template: known: web",
            "13:3: error: cron_jobs[3]: a cron job needs `schedule: <five-field cron schedule>`, as in `0 3 * * *`",
            "14:3: error: cron_jobs[4]: this cron job has no `name`: add `name: <cron job name>`",
            "14:3: error: cron_jobs[4]: a cron job needs `from_services: <service>` or `image: <image>` to know what to run",
        ]
    );
}
