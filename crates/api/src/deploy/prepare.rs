//! What a stage needs before it runs: its runtime, its plan, its workloads resolved (images
//! built or chosen, variables final, configmap files read), or why it cannot run.
//!
//! `configmap` files: a deploy reads each entry's file from the tree its images were built from
//! (the branch's commit, or the working tree when asked; a rollback reads its build's commit),
//! refusing one that leads outside the repository; the content is part of the workload's spec,
//! so a changed file replaces the service. A teardown and a pause read the working tree, and a
//! file they cannot read does not stop them. On Kubernetes the files become a ConfigMap per workload, each
//! file mounted alone at its path (`subPath`); on Docker they are unpacked into the container
//! at their paths after it is created and before it starts (`PUT /archive`).

use std::path::Path;
use std::sync::Arc;

use stagecraft_engine::{Deploy, Environment, EnvironmentRef, EventSink, Runtime, Stage};
use stagecraft_template::{Injected, WorkflowPlan};
use tokio_util::sync::CancellationToken;

use crate::{Error, Stagecraft};

impl Stagecraft {
    /// What a stage needs to run: its runtime, its plan and its workloads, or why it cannot.
    pub(crate) async fn prepare_stage(
        &self,
        env: &Environment,
        queued: &Deploy,
        sink: &Arc<dyn EventSink>,
        cancel: &CancellationToken,
    ) -> Result<
        (
            Arc<dyn Runtime>,
            WorkflowPlan,
            Arc<stagecraft_engine::Workloads>,
            EnvironmentRef,
        ),
        Error,
    > {
        let Some(runtime) = self.runtimes.get(&env.runtime).cloned() else {
            return Err(Error::Conflict {
                message: format!(
                    "the runtime `{}` is not available in this Stagecraft; known: {}",
                    env.runtime,
                    self.runtimes.names().join(", ")
                ),
            });
        };
        // A custom workflow and a cron run run what the environment runs when they start (a
        // setup queued ahead of them may have moved it): its configuration version here, its
        // build below.
        // A resume starts what the environment ran when it was paused.
        let mut version = queued.config_version;
        if matches!(queued.stage, Stage::Workflow | Stage::Cron | Stage::Resume)
            && let Some(deployed) = self.deployed_version(env).await?
        {
            stagecraft_store::deploy::set_config_version(self.store.pool(), queued.id, deployed)
                .await?;
            version = Some(deployed);
        }
        // The build it runs again, when it builds nothing: its imported apps' files are read
        // as that build read them.
        let again = match queued.stage {
            Stage::Setup | Stage::Patch => queued.build_id,
            Stage::Workflow | Stage::Cron | Stage::Resume => self.live_build(env).await?,
            Stage::Build | Stage::Teardown | Stage::Pause => None,
        };
        // A teardown and a pause stop what runs whatever the configuration now says.
        let lenient = matches!(queued.stage, Stage::Teardown | Stage::Pause);
        let resolved = self.resolve_at(env, version, !lenient, again).await?;
        if !lenient && !resolved.missing_parameters.is_empty() {
            return Err(crate::parameters::missing_error(
                env,
                &resolved.missing_parameters,
            ));
        }
        if queued.stage == Stage::Setup {
            self.record_setup_imports(queued.id, &resolved.imports)
                .await?;
        }
        let template = &resolved.template;
        let mut injected = resolved.injected.clone();
        let resolve = |injected: &Injected| resolved.envs_with(injected);
        // Checked before building: a mistake in the variables should not cost a build.
        let mut envs = resolve(&injected)?;
        let mut built = None;
        let mut source = None;
        // What static sites are built with: the variables as the deploy's containers get them.
        let envs_for = |commit: Option<&str>, build_id: i64| {
            let mut injected = injected.clone();
            injected.build_id = build_id.to_string();
            if let Some(commit) = commit {
                injected.commit_sha = commit.to_owned();
            }
            resolve(&injected)
        };
        let build = match queued.stage {
            Stage::Setup | Stage::Patch => Some(
                self.build_stage(env, queued, &resolved, &envs_for, sink, cancel)
                    .await?,
            ),
            // A custom workflow, a cron job's run and a resume run what the environment runs,
            // building nothing.
            Stage::Workflow | Stage::Cron | Stage::Resume => match again {
                Some(id) => {
                    stagecraft_store::deploy::set_build(self.store.pool(), queued.id, id).await?;
                    Some(self.built_earlier(env, id).await?)
                }
                None => None,
            },
            Stage::Build | Stage::Teardown | Stage::Pause => None,
        };
        if let Some(build) = build {
            // RELEASE_BUILD_ID and RELEASE_COMMIT_SHA name what is deployed.
            if let Some(id) = build.build_id {
                injected.build_id = id.to_string();
            }
            if let Some(commit) = &build.commit {
                injected.commit_sha.clone_from(commit);
            }
            envs = resolve(&injected)?;
            source = build.source;
            built = Some(build.images);
        }
        let mut workloads = stagecraft_engine::workloads(template, &envs);
        if let Some(images) = built {
            use_built_images(&mut workloads, template, &images);
        }
        // A cron job's run is a job's: the only one this deploy runs.
        if queued.stage == Stage::Cron {
            let name = queued.target.as_deref().unwrap_or_default();
            let Some(cron) = workloads.cron_jobs.get(name) else {
                return Err(Error::Conflict {
                    message: format!(
                        "the configuration of {} no longer has the cron job `{name}`",
                        env.env_id
                    ),
                });
            };
            workloads.jobs = std::collections::HashMap::from([(name.to_owned(), cron.job.clone())]);
        }
        // The configmap files come from the tree the images were built from; a teardown reads
        // the working tree, and a file it cannot read does not stop the teardown.
        let source = match source {
            Some(source) => source,
            None => self.app_repo(env).await?,
        };
        let files = read_config_files(&mut workloads, |name| resolved.tree_of(name, &source));
        if let Err(error) = files {
            if lenient {
                tracing::warn!(%error, "a configmap file was not read for the teardown");
            } else {
                return Err(error);
            }
        }
        if queued.stage == Stage::Setup {
            self.seed_from_dataset(env, &mut workloads).await?;
        }
        let workloads = Arc::new(workloads);
        let plan = match (queued.stage, &queued.target) {
            (Stage::Cron, Some(name)) => WorkflowPlan::one_job(name),
            (Stage::Workflow, Some(name)) => stagecraft_template::plan_workflow(template, name)
                .ok_or_else(|| Error::Conflict {
                    message: format!(
                        "the configuration {} deploys has no workflow `{name}` any more",
                        env.env_id
                    ),
                })?,
            _ => {
                let name = queued.workflow_name();
                name.and_then(|name| stagecraft_template::plan_workflow(template, name))
                    .unwrap_or_else(|| WorkflowPlan::empty(name.unwrap_or(queued.stage.as_str())))
            }
        };
        let target = self.environment_ref(env).await?;
        Ok((runtime, plan, workloads, target))
    }
}

/// Fills each `configmap` entry of the workloads with its file's content, read from the tree
/// of the workload's app (`source_of`; a file outside it, through a link, is refused).
fn read_config_files<'a>(
    workloads: &mut stagecraft_engine::Workloads,
    source_of: impl Fn(&str) -> &'a Path,
) -> Result<(), Error> {
    let read = |workload: &str, file: &mut stagecraft_engine::ConfigFile| -> Result<(), Error> {
        let source = source_of(workload);
        let root = source
            .canonicalize()
            .map_err(|source_error| Error::ReadFile {
                path: source.to_path_buf(),
                source: source_error,
            })?;
        let relative = file.repo_path.trim_start_matches("./");
        // Inside the repository once links are followed; missing, a loop of links and a link
        // out each said as such.
        let real = stagecraft_template::inside(&root, &root, relative).map_err(|message| {
            Error::ConfigFile {
                entry: file.name.clone(),
                message: format!("{message} (`repo_path`; a file must be committed to be read)"),
            }
        })?;
        // Bounded before it is read: a regular file of at most the parser's size, UTF-8.
        file.content = stagecraft_template::read_file(&real).map_err(|e| Error::ConfigFile {
            entry: file.name.clone(),
            message: format!(
                "{} (line {}, column {}) {}",
                real.display(),
                e.loc.line,
                e.loc.column,
                e.message
            ),
        })?;
        Ok(())
    };
    for (name, service) in &mut workloads.services {
        for file in &mut service.config_files {
            read(name, file)?;
        }
    }
    for (name, job) in &mut workloads.jobs {
        for file in &mut job.config_files {
            read(name, file)?;
        }
    }
    Ok(())
}

/// Services built from the repository run the image just built (or reused); so do the jobs
/// made `from_services` them that name no image of their own.
fn use_built_images(
    workloads: &mut stagecraft_engine::Workloads,
    template: &stagecraft_template::Template,
    built: &[(String, String)],
) {
    for (service, tag) in built {
        if let Some(spec) = workloads.services.get_mut(service) {
            spec.image = tag.clone();
            spec.built = true;
        }
        // Init containers and sidecars that run a built service's image.
        for spec in workloads.services.values_mut() {
            let attached = spec.init_containers.iter_mut().chain(&mut spec.sidecars);
            for container in attached.filter(|c| c.from_service.as_deref() == Some(service)) {
                container.image = tag.clone();
                container.built = true;
            }
        }
        let inherits = |image: &Option<stagecraft_template::Text>,
                        from: &Option<stagecraft_template::Text>| {
            image.is_none() && from.as_ref().is_some_and(|f| f.as_str() == service)
        };
        for job in &template.jobs {
            if let (true, Some(name)) = (inherits(&job.image, &job.from_services), &job.name)
                && let Some(spec) = workloads.jobs.get_mut(name.as_str())
            {
                spec.image = tag.clone();
                spec.built = true;
            }
        }
        for job in &template.cron_jobs {
            if let (true, Some(name)) = (inherits(&job.image, &job.from_services), &job.name)
                && let Some(cron) = workloads.cron_jobs.get_mut(name.as_str())
            {
                cron.job.image = tag.clone();
                cron.job.built = true;
            }
        }
    }
}
