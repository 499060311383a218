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
//! importer's own; the importer's services that stand in for excluded ones start before all
//! of them; `release.remove_environment` runs once, last. Every workflow is written out as the
//! steps it plans to, so `services.all` keeps meaning the importer's own services. An
//! imported app's app-wide `resources` and `node_selector` are written into its workloads. An
//! exclusion must name one of the imported app's services, and every `depends_on` and
//! `from_services` one of the environment's.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{AppImport, NodeSelector, Quantities, Step, Template, Workflow};
use crate::plan::{PlannedStep, STAGE_WORKFLOWS, Task, plan_workflow};
use crate::read::{Text, child};
use crate::yaml::Loc;

/// An imported app's part of an environment: its configuration for that environment (its own
/// environment template merged in, its parameters applied), without the excluded services.
#[derive(Debug, Clone)]
pub struct ImportedPart {
    pub app: String,
    /// Names it in diagnostics: `backend .release/application_template.yaml at develop`.
    pub file: String,
    pub template: Template,
    /// Its template as read, before the environment template was merged in and services
    /// left out: where its names are located, and what an exclusion must name.
    pub located: Template,
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
    own_defaults(&mut template);
    template
}

/// The app-wide `resources` and `node_selector` written into each workload that does not set
/// its own: composed with another app's template, the app-wide ones are that app's.
fn own_defaults(template: &mut Template) {
    let resources = template.resources.take();
    let selector = std::mem::take(&mut template.node_selector);
    let fill = |own: &mut Option<Quantities>, default: Option<&Quantities>| {
        if let Some(default) = default {
            let own = own.get_or_insert_with(Quantities::default);
            if own.limits.is_none() {
                own.limits.clone_from(&default.limits);
            }
            if own.requests.is_none() {
                own.requests.clone_from(&default.requests);
            }
        }
    };
    let defaults = resources.as_ref();
    let with_selector = |own: &mut Vec<NodeSelector>| {
        let mut merged = selector.clone();
        merged.append(own);
        *own = merged;
    };
    for service in &mut template.services {
        fill(&mut service.cpu, defaults.and_then(|r| r.cpu.as_ref()));
        fill(
            &mut service.memory,
            defaults.and_then(|r| r.memory.as_ref()),
        );
        if service.replicas.is_none() {
            service.replicas = defaults.and_then(|r| r.replicas);
        }
        with_selector(&mut service.node_selector);
    }
    for job in &mut template.jobs {
        fill(&mut job.cpu, defaults.and_then(|r| r.cpu.as_ref()));
        fill(&mut job.memory, defaults.and_then(|r| r.memory.as_ref()));
        with_selector(&mut job.node_selector);
    }
    for job in &mut template.cron_jobs {
        fill(&mut job.cpu, defaults.and_then(|r| r.cpu.as_ref()));
        fill(&mut job.memory, defaults.and_then(|r| r.memory.as_ref()));
        with_selector(&mut job.node_selector);
    }
}

/// The template an environment of `importer` runs: its own with each part's services, jobs,
/// cron jobs and routing, and each stage's workflow made of every app's (see the module).
/// Names used twice across the apps are errors located in the part that brings the second.
pub fn compose(
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
) -> Result<Template, Diagnostics> {
    let mut problems = Diagnostics::default();
    check_exclusions(importer, importer_file, parts, &mut problems);
    check_unique(importer, importer_file, parts, &mut problems);
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
    check_references(&out, importer, importer_file, parts, &mut problems);
    if problems.has_errors() {
        return Err(problems);
    }
    // The importer's services that stand in for a service an import leaves out start first:
    // the imported services that need them start before the importer's own steps.
    let stand_ins: Vec<String> = parts
        .iter()
        .flat_map(|p| excluded_of(importer, &p.app))
        .filter(|name| {
            importer
                .services
                .iter()
                .any(|s| s.name.as_ref().is_some_and(|n| n.as_str() == name))
        })
        .collect();
    let parallel = importer.parallelize_app_imports.unwrap_or(false);
    // Every workflow is written as the steps it plans to, so `services.all` and `jobs.all`
    // keep meaning the importer's own, whatever the imported apps bring.
    let mut names: Vec<String> = importer
        .workflows
        .iter()
        .filter_map(|w| w.name.as_ref().map(|n| n.value.clone()))
        .collect();
    for name in STAGE_WORKFLOWS {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    let mut workflows = Vec::new();
    for name in &names {
        let stage = STAGE_WORKFLOWS.contains(&name.as_str());
        let imported: Vec<(&str, PlannedStep)> = if stage {
            parts
                .iter()
                .filter_map(|p| plan_workflow(&p.template, name).map(|plan| (p, plan)))
                .flat_map(|(p, plan)| plan.steps.into_iter().map(move |s| (p.app.as_str(), s)))
                .collect()
        } else {
            Vec::new()
        };
        let own = plan_workflow(importer, name);
        if own.is_none() && imported.is_empty() {
            continue;
        }
        let steps = combine(
            imported,
            own.map(|p| p.steps).unwrap_or_default(),
            parallel,
            &stand_ins,
        );
        workflows.push(Workflow {
            name: Some(Text::new(name.clone())),
            parallelize: steps.iter().map(to_step).collect(),
            ..Workflow::default()
        });
    }
    out.workflows = workflows;
    Ok(out)
}

/// What the importer's import of `app` leaves out.
fn excluded_of(importer: &Template, app: &str) -> Vec<String> {
    importer
        .app_imports
        .iter()
        .filter(|i| i.name.as_ref().is_some_and(|n| n.as_str().trim() == app))
        .flat_map(excluded)
        .collect()
}

/// Each service an import leaves out is one of the imported app's: a misspelt name would
/// leave out nothing.
fn check_exclusions(
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
    problems: &mut Diagnostics,
) {
    for import in &importer.app_imports {
        let Some(part) = parts.iter().find(|p| {
            import
                .name
                .as_ref()
                .is_some_and(|n| n.as_str().trim() == p.app)
        }) else {
            continue;
        };
        let theirs: Vec<&str> = part
            .located
            .services
            .iter()
            .filter_map(|s| s.name.as_ref().map(|n| n.as_str()))
            .collect();
        for (i, named) in import.exclude_services.iter().enumerate() {
            let Some(name) = &named.name else { continue };
            if !theirs.contains(&name.as_str().trim()) {
                problems.push(
                    Severity::Error,
                    importer_file,
                    name.loc,
                    &child(
                        &crate::read::index(&child(&import.path, "exclude_services"), i),
                        "name",
                    ),
                    format!(
                        "`{name}` is not a service of {}: it has {}",
                        part.app,
                        theirs.join(", ")
                    ),
                );
            }
        }
    }
}

/// The imported apps' steps (named for their app), then the importer's; with `parallel`, the
/// n-th step of every imported app runs as one step. One `release.remove_environment`, last.
fn combine(
    imported: Vec<(&str, PlannedStep)>,
    own: Vec<PlannedStep>,
    parallel: bool,
    stand_ins: &[String],
) -> Vec<PlannedStep> {
    let mut removes = false;
    let mut strip = |mut step: PlannedStep| {
        let before = step.tasks.len();
        step.tasks.retain(|t| *t != Task::RemoveEnvironment);
        removes |= step.tasks.len() != before;
        step
    };
    let mut steps: Vec<PlannedStep> = Vec::new();
    let mut own = own;
    if !imported.is_empty() {
        let first: Vec<Task> =
            own.iter_mut()
                .flat_map(|step| {
                    let (moved, kept): (Vec<Task>, Vec<Task>) = step.tasks.drain(..).partition(
                        |t| matches!(t, Task::Service(name) if stand_ins.contains(name)),
                    );
                    step.tasks = kept;
                    moved
                })
                .collect();
        if !first.is_empty() {
            steps.push(PlannedStep {
                name: format!(
                    "stand-ins: {}",
                    first
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                tasks: first,
                halt_on_error: false,
                wait_for_finish: true,
            });
        }
    }
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

/// The names of one kind of a template, each with its key path.
type Names<'t> = fn(&'t Template) -> Vec<(&'t Option<Text>, &'t str)>;

/// Where `name` of the kind `list` picks is written in the imported app's template as read.
fn located<'t>(template: &'t Template, name: &str, list: Names<'t>) -> Option<&'t Text> {
    list(template)
        .into_iter()
        .find_map(|(n, _)| n.as_ref().filter(|n| n.as_str().trim() == name))
}

/// Each `depends_on` and `from_services` names a service of one of the apps: an imported
/// app's reference to a service its import leaves out is met by another app's service of
/// that name (it stands in for it), or is an error where it is written.
fn check_references(
    composed: &Template,
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
    problems: &mut Diagnostics,
) {
    let mut names: Vec<&str> = composed
        .services
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.as_str()))
        .collect();
    names.sort_unstable();
    let apps = std::iter::once((importer_file, importer, importer)).chain(
        parts
            .iter()
            .map(|p| (p.file.as_str(), &p.template, &p.located)),
    );
    for (file, template, as_read) in apps {
        // (the reference, where it is in the template as read, its key path)
        let mut references: Vec<(&Text, Loc, String)> = Vec::new();
        for service in &template.services {
            let owner = service.name.as_ref().map_or("", |n| n.as_str());
            let read = as_read
                .services
                .iter()
                .find(|s| s.name.as_ref().is_some_and(|n| n.as_str() == owner));
            for (i, dependency) in service.depends_on.iter().enumerate() {
                let loc = read
                    .and_then(|r| r.depends_on.iter().find(|d| d.value == dependency.value))
                    .map_or(dependency.loc, |d| d.loc);
                references.push((
                    dependency,
                    loc,
                    crate::read::index(&child(&service.path, "depends_on"), i),
                ));
            }
        }
        let from = template
            .jobs
            .iter()
            .map(|j| (&j.from_services, &j.path))
            .chain(
                template
                    .cron_jobs
                    .iter()
                    .map(|j| (&j.from_services, &j.path)),
            )
            .chain(
                template
                    .init_containers
                    .iter()
                    .map(|c| (&c.from_services, &c.path)),
            )
            .chain(
                template
                    .sidecars
                    .iter()
                    .map(|c| (&c.from_services, &c.path)),
            );
        for (reference, path) in from {
            if let Some(reference) = reference {
                references.push((reference, reference.loc, child(path, "from_services")));
            }
        }
        for (reference, loc, path) in references {
            if !names.contains(&reference.as_str().trim()) {
                problems.push(
                    Severity::Error,
                    file,
                    loc,
                    &path,
                    format!(
                        "`{reference}` is not a service of any app of the environment (an \
                         import's `exclude_services` may have left it out): known: {}",
                        names.join(", ")
                    ),
                );
            }
        }
    }
}

/// The services of one app, then its jobs and cron jobs (one kind: they share names), then
/// its shared volumes: each kind's names are one network's, so two apps may not use one.
/// (Within one app, validation has said it already.)
fn check_unique(
    importer: &Template,
    importer_file: &str,
    parts: &[ImportedPart],
    problems: &mut Diagnostics,
) {
    let kinds: [(&str, Names<'_>); 3] = [
        ("service", |t| {
            t.services
                .iter()
                .map(|s| (&s.name, s.path.0.as_str()))
                .collect()
        }),
        ("job", |t| {
            t.jobs
                .iter()
                .map(|j| (&j.name, j.path.0.as_str()))
                .chain(t.cron_jobs.iter().map(|j| (&j.name, j.path.0.as_str())))
                .collect()
        }),
        ("shared volume", |t| {
            t.shared_volumes
                .iter()
                .map(|v| (&v.name, v.path.0.as_str()))
                .collect()
        }),
    ];
    let own_app = importer
        .app
        .as_ref()
        .map_or_else(|| "the importing app".to_owned(), |a| a.value.clone());
    for (what, list) in kinds {
        // name -> (app, file, line) of the first that has it.
        let mut seen: HashMap<String, (String, String, usize)> = HashMap::new();
        let apps = std::iter::once((own_app.as_str(), importer_file, importer, importer)).chain(
            parts
                .iter()
                .map(|p| (p.app.as_str(), p.file.as_str(), &p.template, &p.located)),
        );
        for (app, file, template, as_read) in apps {
            for (name, path) in list(template) {
                let Some(name) = name else { continue };
                let text = name.as_str().trim();
                let at = located(as_read, text, list).map_or(name.loc, |n| n.loc);
                match seen.get(text) {
                    Some((first_app, first_file, line)) if first_app != app => {
                        let advice = if what == "service" {
                            format!(
                                "leave it out with `exclude_services: [{{name: {text}}}]` under \
                                 the import of {app}, or rename one"
                            )
                        } else {
                            "rename one".to_owned()
                        };
                        problems.push(
                            Severity::Error,
                            file,
                            at,
                            &child(path, "name"),
                            format!(
                                "the {what} `{text}` of {app} has the name of one of \
                                 {first_app} ({first_file}, line {line}): imported apps run \
                                 in one network, so their names must differ: {advice}"
                            ),
                        );
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(text.to_owned(), (app.to_owned(), file.to_owned(), at.line));
                    }
                }
            }
        }
    }
}
