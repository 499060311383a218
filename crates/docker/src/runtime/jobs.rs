//! A job's run: its container made anew (the previous run's kept until then, for its logs),
//! waited for until it exits, and killed when it runs out of time or is cancelled.

use bollard::query_parameters::KillContainerOptionsBuilder;
use stagecraft_engine::{EnvironmentRef, JobExit, JobSpec, RuntimeError, TaskProgress};

use super::containers::ContainerPlan;
use super::errors::{failed, is_status};
use super::names::{config_digest, job_container};
use super::{DockerRuntime, LABEL_CONFIG, owned_by};

impl DockerRuntime {
    /// Runs the job to completion and says how it ended.
    pub(super) async fn run_job_to_exit(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
        progress: TaskProgress,
    ) -> Result<JobExit, RuntimeError> {
        let docker = self.client().await?;
        self.ensure_network(&docker, env).await?;
        self.ensure_image(&docker, &job.image, job.built, &progress)
            .await?;
        self.ensure_volumes(&docker, env, &job.volumes).await?;
        let name = job_container(&env.env_id, &job.name);
        match docker
            .inspect_container(
                &name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            // The previous run's container: its logs are kept until the job runs again.
            Ok(found) if owned_by(found.config.as_ref().and_then(|c| c.labels.as_ref()), env) => {
                self.remove_container(&docker, env, &name).await?;
            }
            Ok(_) => {
                return Err(RuntimeError::new(format!(
                    "a container named {name} exists and is not environment {}'s: remove it \
                     (`docker rm -f {name}`) if nothing needs it",
                    env.env_id
                )));
            }
            Err(error) if is_status(&error, 404) => {}
            Err(error) => return Err(failed(format!("inspecting container {name}"), error)),
        }
        let workload = format!("jobs.{}", job.name);
        let plan = ContainerPlan {
            name: &name,
            workload: &workload,
            image: &job.image,
            command: &job.command,
            args: &job.args,
            env: &job.env,
            volumes: &job.volumes,
            limits: job.limits,
            requests: job.requests,
            ports: Vec::new(),
            alias: None,
            extra_labels: vec![(LABEL_CONFIG, config_digest(job)?)],
            runs_once: true,
            files: &job.config_files,
            joins: None,
        };
        self.create_container(&docker, env, plan).await?;
        progress.waiting("running; waiting for it to exit");
        // The job runs: another attempt would be a second run.
        let code = super::inspection::exit_code(&docker, &name).await?;
        // Whether the kernel killed it for its memory is in its state, not its exit code.
        let oom_killed = super::inspection::oom_killed(&docker, &name, code).await;
        Ok(JobExit::new(code, oom_killed))
    }

    /// Kills the job's container; one already gone or stopped is left as is.
    pub(super) async fn kill_job(
        &self,
        env: &EnvironmentRef,
        job: &JobSpec,
    ) -> Result<(), RuntimeError> {
        let docker = self.client().await?;
        let name = job_container(&env.env_id, &job.name);
        match docker
            .kill_container(&name, Some(KillContainerOptionsBuilder::default().build()))
            .await
        {
            Ok(()) => Ok(()),
            // Gone, or no longer running.
            Err(error) if is_status(&error, 404) || is_status(&error, 409) => Ok(()),
            Err(error) => Err(failed(format!("stopping container {name}"), error)),
        }
    }
}
