//! App imports (reference §3.8): the apps a template imports run in the same environment,
//! one network (Docker) or namespace (Kubernetes), so one template is made of them all.
//!
//! Release's rules, each kept here: one way only and not recursive (an imported app's own
//! `app_imports` are not followed); `exclude_services` leaves an imported app's services out
//! (a same-named service of the importer then stands in for it: they share one network); the
//! names of services, jobs and cron jobs are unique across the apps, else a located error.
//!
//! Where Release is silent (written in ARCHITECTURE.md): each stage's workflow runs the
//! imported apps' steps first, in the order of `app_imports` (with `parallelize_app_imports`,
//! their steps side by side: the first step of each together, then the second...), then the
//! importer's own; `release.remove_environment` runs once, last.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{AppImport, Step, Template, Workflow};
use crate::plan::{PlannedStep, STAGE_WORKFLOWS, Task, plan_workflow};
use crate::read::{Text, child};

/// An imported app's part of an environment: its configuration for that environment (its own
/// environment template merged in, its parameters applied), without the excluded services.
#[derive(Debug, Clone)]
pub struct ImportedPart {
    pub app: String,
    /// Names it in diagnostics: `backend .release/application_template.yaml at develop`.
    pub file: String,
    pub template: Template,
}

/// The names `import` leaves out with `exclude_services`.
pub fn excluded(import: &AppImport) -> Vec<String> {
    import
        .exclude_services
        .iter()
        .filter_map(|n| n.name.as_ref().map(|n| n.value.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .collect()
}

/// `template` without the services named in `exclude`: their hostnames, rules, init
/// containers, sidecars and workflow tasks go with them; its own imports are not followed.
pub fn without_services(mut template: Template, exclude: &[String]) -> Template {
    let kept = |name: &str| !exclude.iter().any(|e| e == name);
    template
        .services
        .retain(|s| s.name.as_ref().is_none_or(|n| kept(n.as_str())));
    template.hostnames.retain(|h| kept(h.service.as_str()));
    template
        .rules
        .retain(|r| r.service.as_ref().is_none_or(|s| kept(s.as_str())));
    for attached in [&mut template.init_containers, &mut template.sidecars] {
        attached.retain(|c| c.service.as_ref().is_none_or(|s| kept(s.as_str())));
    }
    let task_kept = |task: &Text| {
        task.as_str()
            .trim()
            .strip_prefix("services.")
            .is_none_or(kept)
    };
    for workflow in &mut template.workflows {
        workflow.order_from.retain(task_kept);
        for step in &mut workflow.parallelize {
            step.tasks.retain(task_kept);
        }
    }
    template.app_imports.clear();
    template.parallelize_app_imports = None;
    template
}

/// The template an environment of `importer` runs: its own with each part's services, jobs,
/// cron jobs and routing, and each stage's workflow made of every app's (see the module).
/// Names used twice across the apps are errors located in the part that brings the second.
pub fn compose(
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
) -> Result<Template, Diagnostics> {
    check_unique(importer, importer_file, parts)?;
    let mut out = importer.clone();
    for part in parts {
        let t = &part.template;
        out.services.extend(t.services.iter().cloned());
        out.jobs.extend(t.jobs.iter().cloned());
        out.cron_jobs.extend(t.cron_jobs.iter().cloned());
        out.hostnames.extend(t.hostnames.iter().cloned());
        out.rules.extend(t.rules.iter().cloned());
        out.init_containers
            .extend(t.init_containers.iter().cloned());
        out.sidecars.extend(t.sidecars.iter().cloned());
        out.shared_volumes.extend(t.shared_volumes.iter().cloned());
        out.charts.extend(t.charts.iter().cloned());
        out.infrastructure.extend(t.infrastructure.iter().cloned());
    }
    check_dependencies(&out, importer, importer_file, parts)?;
    let parallel = importer.parallelize_app_imports.unwrap_or(false);
    for name in STAGE_WORKFLOWS {
        let imported: Vec<(&str, PlannedStep)> = parts
            .iter()
            .filter_map(|p| plan_workflow(&p.template, name).map(|plan| (p, plan)))
            .flat_map(|(p, plan)| plan.steps.into_iter().map(move |s| (p.app.as_str(), s)))
            .collect();
        if imported.is_empty() {
            continue;
        }
        let own = plan_workflow(importer, name)
            .map(|p| p.steps)
            .unwrap_or_default();
        let steps = combine(imported, own, parallel);
        let workflow = Workflow {
            name: Some(Text::new(name)),
            parallelize: steps.iter().map(to_step).collect(),
            ..Workflow::default()
        };
        match out
            .workflows
            .iter_mut()
            .find(|w| w.name.as_ref().is_some_and(|n| n.as_str() == name))
        {
            Some(existing) => *existing = workflow,
            None => out.workflows.push(workflow),
        }
    }
    Ok(out)
}

/// The imported apps' steps (named for their app), then the importer's; with `parallel`, the
/// n-th step of every imported app runs as one step. One `release.remove_environment`, last.
fn combine(
    imported: Vec<(&str, PlannedStep)>,
    own: Vec<PlannedStep>,
    parallel: bool,
) -> Vec<PlannedStep> {
    let mut removes = false;
    let mut strip = |mut step: PlannedStep| {
        let before = step.tasks.len();
        step.tasks.retain(|t| *t != Task::RemoveEnvironment);
        removes |= step.tasks.len() != before;
        step
    };
    let mut steps: Vec<PlannedStep> = Vec::new();
    if parallel {
        // Each app's steps numbered in their order; the n-th of each run together.
        let mut rounds: Vec<Vec<(&str, PlannedStep)>> = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (app, step) in imported {
            let n = seen.entry(app).or_insert(0);
            if rounds.len() <= *n {
                rounds.push(Vec::new());
            }
            rounds[*n].push((app, strip(step)));
            *n += 1;
        }
        for round in rounds {
            let name = round
                .iter()
                .map(|(app, s)| format!("{app}: {}", s.name))
                .collect::<Vec<_>>()
                .join(" + ");
            steps.push(PlannedStep {
                name,
                halt_on_error: round.iter().any(|(_, s)| s.halt_on_error),
                wait_for_finish: round.iter().all(|(_, s)| s.wait_for_finish),
                tasks: round.into_iter().flat_map(|(_, s)| s.tasks).collect(),
            });
        }
    } else {
        steps.extend(imported.into_iter().map(|(app, step)| {
            let mut step = strip(step);
            step.name = format!("{app}: {}", step.name);
            step
        }));
    }
    steps.extend(own.into_iter().map(&mut strip));
    steps.retain(|s| !s.tasks.is_empty());
    if removes {
        steps.push(PlannedStep {
            name: Task::RemoveEnvironment.to_string(),
            tasks: vec![Task::RemoveEnvironment],
            halt_on_error: false,
            wait_for_finish: true,
        });
    }
    steps
}

/// A planned step written back as a `parallelize` entry naming each task.
fn to_step(step: &PlannedStep) -> Step {
    Step {
        step: Some(Text::new(step.name.clone())),
        tasks: step
            .tasks
            .iter()
            .map(|t| Text::new(t.to_string()))
            .collect(),
        halt_on_error: Some(step.halt_on_error),
        wait_for_finish: Some(step.wait_for_finish),
        ..Step::default()
    }
}

/// Each `depends_on` names a service of one of the apps: an imported app's dependency on a
/// service its import leaves out is met by another app's service of that name, or is an error.
fn check_dependencies(
    composed: &Template,
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
) -> Result<(), Diagnostics> {
    let mut names: Vec<&str> = composed
        .services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.as_str()))
        .collect();
    names.sort_unstable();
    let apps = std::iter::once((importer_file, importer))
        .chain(parts.iter().map(|p| (p.file.as_str(), &p.template)));
    let mut out = Diagnostics::default();
    for (file, template) in apps {
        for service in &template.services {
            for (i, dependency) in service.depends_on.iter().enumerate() {
                if !names.contains(&dependency.as_str()) {
                    out.push(
                        Severity::Error,
                        file,
                        dependency.loc,
                        &crate::read::index(&child(&service.path, "depends_on"), i),
                        format!(
                            "`{dependency}` is not a service of any app of the environment (an \
                             import's `exclude_services` may have left it out): known: {}",
                            names.join(", ")
                        ),
                    );
                }
            }
        }
    }
    if out.has_errors() { Err(out) } else { Ok(()) }
}

/// Services, jobs and cron jobs share one network and one set of names across the apps.
fn check_unique(
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
) -> Result<(), Diagnostics> {
    // name -> (app, file, line) of the first that has it.
    let mut seen: HashMap<String, (String, String, usize)> = HashMap::new();
    let mut out = Diagnostics::default();
    let own_app = importer
        .app
        .as_ref()
        .map_or_else(|| "the importing app".to_owned(), |a| a.value.clone());
    let apps = std::iter::once((own_app.as_str(), importer_file, importer)).chain(
        parts
            .iter()
            .map(|p| (p.app.as_str(), p.file.as_str(), &p.template)),
    );
    for (app, file, template) in apps {
        let named = template
            .services
            .iter()
            .map(|s| (&s.name, &s.path, "service"))
            .chain(template.jobs.iter().map(|j| (&j.name, &j.path, "job")))
            .chain(
                template
                    .cron_jobs
                    .iter()
                    .map(|j| (&j.name, &j.path, "cron job")),
            );
        for (name, path, what) in named {
            let Some(name) = name else { continue };
            let text = name.as_str().trim();
            match seen.get(text) {
                Some((first_app, first_file, line)) => out.push(
                    Severity::Error,
                    file,
                    name.loc,
                    &child(path, "name"),
                    format!(
                        "the {what} `{text}` of {app} has the name of one of {first_app} \
                         ({first_file}, line {line}): imported apps run in one network, so \
                         their services, jobs and cron jobs need names of their own. Leave it \
                         out with `exclude_services: [{{name: {text}}}]` under the import of \
                         {app}, or rename one"
                    ),
                ),
                None => {
                    seen.insert(
                        text.to_owned(),
                        (app.to_owned(), file.to_owned(), name.loc.line),
                    );
                }
            }
        }
    }
    if out.has_errors() { Err(out) } else { Ok(()) }
}
