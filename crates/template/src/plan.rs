//! A workflow as the runner executes it: steps in order, the tasks of a step together, the
//! catch-alls (`services.all`, `jobs.all`, `charts.all`) expanded (reference §4).

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use crate::model::{Template, Workflow};

/// One entry of a workflow's task list, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TaskRef {
    Service(String),
    Job(String),
    Chart(String),
    Infrastructure(String),
    All(Group),
    RemoveEnvironment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Group {
    Services,
    Jobs,
    Charts,
}

pub(crate) fn parse_task_ref(text: &str) -> Result<TaskRef, String> {
    let text = text.trim();
    let reference = match text.split_once('.') {
        Some(("release", "remove_environment")) => Some(TaskRef::RemoveEnvironment),
        Some(("services", "all")) => Some(TaskRef::All(Group::Services)),
        Some(("jobs", "all")) => Some(TaskRef::All(Group::Jobs)),
        Some(("charts", "all")) => Some(TaskRef::All(Group::Charts)),
        Some(("services", name)) if !name.is_empty() => Some(TaskRef::Service(name.to_owned())),
        Some(("jobs", name)) if !name.is_empty() => Some(TaskRef::Job(name.to_owned())),
        Some(("charts", name)) if !name.is_empty() => Some(TaskRef::Chart(name.to_owned())),
        Some(("infrastructure", name)) if !name.is_empty() => {
            Some(TaskRef::Infrastructure(name.to_owned()))
        }
        _ => None,
    };
    reference.ok_or_else(|| {
        format!(
            "`{text}` is not a task: use `services.<name>`, `jobs.<name>`, `charts.<name>`, \
             `infrastructure.<name>`, `services.all`, `jobs.all`, `charts.all` or \
             `release.remove_environment`"
        )
    })
}

/// One thing a step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Task {
    /// Deploy a service (create it, or replace it rolling) and wait until it is ready.
    Service(String),
    /// Run a job to completion.
    Job(String),
    Chart(String),
    Infrastructure(String),
    /// Remove everything the environment created.
    RemoveEnvironment,
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(name) => write!(f, "services.{name}"),
            Self::Job(name) => write!(f, "jobs.{name}"),
            Self::Chart(name) => write!(f, "charts.{name}"),
            Self::Infrastructure(name) => write!(f, "infrastructure.{name}"),
            Self::RemoveEnvironment => f.write_str("release.remove_environment"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub name: String,
    /// Run together; the step ends when all have finished.
    pub tasks: Vec<Task>,
    /// A failed task stops the stage and fails the deploy. Otherwise failures are recorded and
    /// the stage goes on (Release's default).
    pub halt_on_error: bool,
    /// `false`: start the tasks and go straight on; they are awaited before the stage ends.
    pub wait_for_finish: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowPlan {
    pub workflow: String,
    pub steps: Vec<PlannedStep>,
}

impl WorkflowPlan {
    /// A workflow with no steps: what a stage runs when the template has no workflow for it.
    pub fn empty(workflow: &str) -> Self {
        Self {
            workflow: workflow.to_owned(),
            steps: Vec::new(),
        }
    }
}

impl fmt::Display for WorkflowPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.workflow)?;
        for (i, step) in self.steps.iter().enumerate() {
            let tasks: Vec<String> = step.tasks.iter().map(Task::to_string).collect();
            let mut flags = Vec::new();
            if step.halt_on_error {
                flags.push("halt_on_error");
            }
            if !step.wait_for_finish {
                flags.push("no wait");
            }
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            };
            writeln!(f, "  {}. {}{flags}: {}", i + 1, step.name, tasks.join(", "))?;
        }
        Ok(())
    }
}

/// The workflows a stage runs by name (reference §4.1); any other is a custom workflow, run
/// on request.
pub const STAGE_WORKFLOWS: [&str; 3] = ["setup", "patch", "teardown"];

/// The template's custom workflows, planned, in the template's order.
pub fn custom_workflows(template: &Template) -> Vec<WorkflowPlan> {
    template
        .workflows
        .iter()
        .filter_map(|w| w.name.as_ref())
        .filter(|name| !STAGE_WORKFLOWS.contains(&name.as_str()))
        .filter_map(|name| plan_workflow(template, name.as_str()))
        .collect()
}

impl WorkflowPlan {
    /// One step running the job `name` alone: a cron job's run.
    pub fn one_job(name: &str) -> Self {
        Self {
            workflow: format!("cron job {name}"),
            steps: vec![PlannedStep {
                name: name.to_owned(),
                tasks: vec![Task::Job(name.to_owned())],
                halt_on_error: false,
                wait_for_finish: true,
            }],
        }
    }
}

/// Plans the workflow called `name`, or `None` when the template has none. Task references
/// that do not resolve are left out: [`crate::validate`] reports them.
pub fn plan_workflow(template: &Template, name: &str) -> Option<WorkflowPlan> {
    let workflow = template
        .workflows
        .iter()
        .find(|w| w.name.as_ref().is_some_and(|n| n.as_str() == name))?;
    let explicit = explicit_refs(workflow);
    let expand = |reference: &TaskRef| -> Vec<Task> {
        match reference {
            TaskRef::Service(name) => vec![Task::Service(name.clone())],
            TaskRef::Job(name) => vec![Task::Job(name.clone())],
            TaskRef::Chart(name) => vec![Task::Chart(name.clone())],
            TaskRef::Infrastructure(name) => vec![Task::Infrastructure(name.clone())],
            TaskRef::RemoveEnvironment => vec![Task::RemoveEnvironment],
            TaskRef::All(group) => catch_all(template, *group, &explicit),
        }
    };
    let steps = if workflow.parallelize.is_empty() {
        workflow
            .order_from
            .iter()
            .filter_map(|text| parse_task_ref(text.as_str()).ok())
            .flat_map(|reference| expand(&reference))
            .map(|task| PlannedStep {
                name: task.to_string(),
                tasks: vec![task],
                halt_on_error: false,
                wait_for_finish: true,
            })
            .collect()
    } else {
        workflow
            .parallelize
            .iter()
            .enumerate()
            .map(|(i, step)| PlannedStep {
                name: step
                    .step
                    .as_ref()
                    .map_or_else(|| format!("step-{}", i + 1), |s| s.value.clone()),
                tasks: step
                    .tasks
                    .iter()
                    .filter_map(|text| parse_task_ref(text.as_str()).ok())
                    .flat_map(|reference| expand(&reference))
                    .collect(),
                halt_on_error: step.halt_on_error.unwrap_or(false),
                wait_for_finish: step.wait_for_finish.unwrap_or(true),
            })
            .collect()
    };
    Some(WorkflowPlan {
        workflow: name.to_owned(),
        steps,
    })
}

fn explicit_refs(workflow: &Workflow) -> HashSet<TaskRef> {
    workflow
        .order_from
        .iter()
        .chain(workflow.parallelize.iter().flat_map(|s| s.tasks.iter()))
        .filter_map(|t| parse_task_ref(t.as_str()).ok())
        .filter(|r| !matches!(r, TaskRef::All(_)))
        .collect()
}

/// Everything of a kind not named explicitly in the workflow, in template order.
fn catch_all(template: &Template, group: Group, explicit: &HashSet<TaskRef>) -> Vec<Task> {
    let names =
        |names: Vec<Option<&str>>, make: fn(String) -> TaskRef, task: fn(String) -> Task| {
            names
                .into_iter()
                .flatten()
                .filter(|n| !explicit.contains(&make((*n).to_owned())))
                .map(|n| task(n.to_owned()))
                .collect::<Vec<_>>()
        };
    match group {
        Group::Services => names(
            template
                .services
                .iter()
                .map(|s| s.name.as_ref().map(|n| n.as_str()))
                .collect(),
            TaskRef::Service,
            Task::Service,
        ),
        Group::Jobs => names(
            template
                .jobs
                .iter()
                .map(|j| j.name.as_ref().map(|n| n.as_str()))
                .collect(),
            TaskRef::Job,
            Task::Job,
        ),
        Group::Charts => names(
            template
                .charts
                .iter()
                .map(|c| c.name.as_ref().map(|n| n.as_str()))
                .collect(),
            TaskRef::Chart,
            Task::Chart,
        ),
    }
}
