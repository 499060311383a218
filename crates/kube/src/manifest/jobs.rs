//! A job's run as a Job, and a cron job as a CronJob whose runs are such Jobs.

use k8s_openapi::api::batch::v1::{
    CronJob, CronJobSpec as KubeCronJobSpec, Job, JobSpec as KubeJobSpec, JobTemplateSpec,
};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use stagecraft_engine::{CronJobSpec, JobSpec};

use super::{
    Owner, cron_job_name, dns_label, env, node_selector, non_empty, pull_policy, resources, volumes,
};

/// The Job for one run of `spec`; `run` tells runs apart, since a Job cannot be changed once
/// made.
pub fn job(owner: &Owner, spec: &JobSpec, run: &str) -> Job {
    let workload = format!("jobs.{}", spec.name);
    Job {
        metadata: owner.meta(&dns_label(&format!("{}-{run}", spec.name)), Some(&workload)),
        spec: Some(job_spec(owner, spec, &workload)),
        ..Job::default()
    }
}

/// A cron job as a CronJob the cluster runs: never two of its runs at once (`Forbid`, as
/// Stagecraft's clock does on Docker), each run a Job as [`job`] makes.
pub fn cron_job(owner: &Owner, spec: &CronJobSpec) -> CronJob {
    let workload = format!("cron_jobs.{}", spec.job.name);
    CronJob {
        metadata: owner.meta(&cron_job_name(&spec.job.name), Some(&workload)),
        spec: KubeCronJobSpec {
            schedule: spec.schedule.clone(),
            concurrency_policy: Some("Forbid".to_owned()),
            // Said outright: the apply after a resume takes back a pause's suspension.
            suspend: Some(false),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(owner.labels(Some(&workload))),
                    ..ObjectMeta::default()
                }),
                spec: Some(job_spec(owner, &spec.job, &workload)),
            },
            ..KubeCronJobSpec::default()
        },
        ..CronJob::default()
    }
}

/// A Job's spec for one run of `spec`, its pods labelled as `workload`'s.
fn job_spec(owner: &Owner, spec: &JobSpec, workload: &str) -> KubeJobSpec {
    let (volumes, volume_mounts) = volumes(workload, &spec.volumes, &spec.config_files);
    let container = Container {
        name: dns_label(&spec.name),
        image: Some(spec.image.clone()),
        image_pull_policy: pull_policy(spec.built),
        command: non_empty(&spec.command),
        args: non_empty(&spec.args),
        env: env(workload, &spec.env),
        resources: resources(&spec.limits, &spec.requests),
        volume_mounts,
        ..Container::default()
    };
    KubeJobSpec {
        backoff_limit: Some(0),
        active_deadline_seconds: Some(
            i64::try_from(spec.completed_timeout.as_secs())
                .unwrap_or(i64::MAX)
                .max(1),
        ),
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(owner.labels(Some(workload))),
                ..ObjectMeta::default()
            }),
            spec: Some(PodSpec {
                containers: vec![container],
                restart_policy: Some("Never".to_owned()),
                volumes,
                node_selector: node_selector(&spec.node_selector),
                image_pull_secrets: owner.image_pull_secrets(spec.built),
                ..PodSpec::default()
            }),
        },
        ..KubeJobSpec::default()
    }
}
