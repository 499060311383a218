//! `ui/src/ipc/bindings.ts` is generated from the Rust types that cross IPC and the command
//! list, and `capabilities/main.json` from the command list. These tests fail when either is
//! stale; `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop bindings`
//! rewrites it.

use std::path::PathBuf;

use stagecraft_api::{
    ActivityView, AddedAppView, ApiOverview, ApiRequestView, AppDetailView, AppRefreshView,
    AppView, BuildComparisonView, BuildView, Change, ClusterMadeBy, CommitView, CommitsBetweenView,
    ConfigVersionView, CronJobView, CustomWorkflow, DataDirOrigin, DatabaseReport, DatasetView,
    DatasetVolumeView, DatasetsSpace, DeployDetailView, DeployEvent, DeployOutcome,
    DeployStatusView, DeployView, DockerStatus, EditableVariables, EndpointSource,
    EnvironmentRowView, EnvironmentScheduleView, EnvironmentStatusView, EnvironmentView, ErrorCode,
    FileChangeView, FileChangesView, FileRenameView, HandleView, ImageView, ImportView,
    IngressClaim, IngressConflict, IngressPorts, IngressStatus, IngressView, KubeContextReport,
    KubernetesReport, LayerChangeView, LogLineView, LogPageView, LogResourceView, NewToken,
    NextDeploy, OrphanView, ParameterView, PauseScheduleInput, PauseScheduleView, PresetOptions,
    PresetView, RemovedAppView, RuntimeChoice, RuntimeErrorKind, ScheduleChange, ScheduleSource,
    ScheduledAction, ScheduledTime, ServiceComparisonView, ServiceHealthView, ServicesReadyView,
    Stage, StageView, StepComparisonView, StepOutcome, StepView, SystemReport, TaskOutcome,
    TaskView, TokenView, UrlView, VariableView, WorkflowStep, WorkloadVarsView,
};
use ts_rs::{Config, TS};

use crate::IpcError;

fn declaration<T: TS>(cfg: &Config) -> String {
    let docs = T::docs().unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

fn render() -> String {
    let cfg = Config::new();
    let declarations = [
        declaration::<IpcError>(&cfg),
        declaration::<ErrorCode>(&cfg),
        declaration::<SystemReport>(&cfg),
        declaration::<DataDirOrigin>(&cfg),
        declaration::<DatabaseReport>(&cfg),
        declaration::<KubernetesReport>(&cfg),
        declaration::<KubeContextReport>(&cfg),
        declaration::<ClusterMadeBy>(&cfg),
        declaration::<DockerStatus>(&cfg),
        declaration::<EndpointSource>(&cfg),
        declaration::<AppView>(&cfg),
        declaration::<AddedAppView>(&cfg),
        declaration::<AppDetailView>(&cfg),
        declaration::<AppRefreshView>(&cfg),
        declaration::<RemovedAppView>(&cfg),
        declaration::<ServiceHealthView>(&cfg),
        declaration::<OrphanView>(&cfg),
        declaration::<CommitsBetweenView>(&cfg),
        declaration::<CommitView>(&cfg),
        declaration::<LogResourceView>(&cfg),
        declaration::<crate::streams::FollowMessage>(&cfg),
        declaration::<crate::streams::ChangeMessage>(&cfg),
        declaration::<crate::terminals::TerminalMessage>(&cfg),
        declaration::<Change>(&cfg),
        declaration::<DeployEvent>(&cfg),
        declaration::<Stage>(&cfg),
        declaration::<CustomWorkflow>(&cfg),
        declaration::<WorkflowStep>(&cfg),
        declaration::<CronJobView>(&cfg),
        declaration::<ApiOverview>(&cfg),
        declaration::<IngressClaim>(&cfg),
        declaration::<IngressConflict>(&cfg),
        declaration::<IngressView>(&cfg),
        declaration::<IngressPorts>(&cfg),
        declaration::<IngressStatus>(&cfg),
        declaration::<ApiRequestView>(&cfg),
        declaration::<TokenView>(&cfg),
        declaration::<NewToken>(&cfg),
        declaration::<DatasetsSpace>(&cfg),
        declaration::<DatasetView>(&cfg),
        declaration::<DatasetVolumeView>(&cfg),
        declaration::<EnvironmentScheduleView>(&cfg),
        declaration::<PauseScheduleView>(&cfg),
        declaration::<PauseScheduleInput>(&cfg),
        declaration::<ScheduleChange>(&cfg),
        declaration::<ScheduleSource>(&cfg),
        declaration::<ScheduledAction>(&cfg),
        declaration::<ScheduledTime>(&cfg),
        declaration::<RuntimeErrorKind>(&cfg),
        declaration::<EditableVariables>(&cfg),
        declaration::<TaskOutcome>(&cfg),
        declaration::<StepOutcome>(&cfg),
        declaration::<DeployOutcome>(&cfg),
        declaration::<EnvironmentRowView>(&cfg),
        declaration::<ActivityView>(&cfg),
        declaration::<UrlView>(&cfg),
        declaration::<ServicesReadyView>(&cfg),
        declaration::<RuntimeChoice>(&cfg),
        declaration::<ParameterView>(&cfg),
        declaration::<ImportView>(&cfg),
        declaration::<HandleView>(&cfg),
        declaration::<PresetOptions>(&cfg),
        declaration::<PresetView>(&cfg),
        declaration::<EnvironmentView>(&cfg),
        declaration::<EnvironmentStatusView>(&cfg),
        declaration::<NextDeploy>(&cfg),
        declaration::<StageView>(&cfg),
        declaration::<DeployView>(&cfg),
        declaration::<DeployStatusView>(&cfg),
        declaration::<DeployDetailView>(&cfg),
        declaration::<StepView>(&cfg),
        declaration::<TaskView>(&cfg),
        declaration::<LogPageView>(&cfg),
        declaration::<LogLineView>(&cfg),
        declaration::<BuildView>(&cfg),
        declaration::<ImageView>(&cfg),
        declaration::<BuildComparisonView>(&cfg),
        declaration::<ServiceComparisonView>(&cfg),
        declaration::<LayerChangeView>(&cfg),
        declaration::<FileChangesView>(&cfg),
        declaration::<FileChangeView>(&cfg),
        declaration::<FileRenameView>(&cfg),
        declaration::<StepComparisonView>(&cfg),
        declaration::<ConfigVersionView>(&cfg),
        declaration::<WorkloadVarsView>(&cfg),
        declaration::<VariableView>(&cfg),
    ];
    let names: Vec<String> = COMMANDS.iter().map(|c| format!("\"{c}\"")).collect();
    let commands = format!(
        "/** The commands the window may call (`src-tauri/src/command_list.rs`). */\nexport type \
         CommandName = {};\n",
        names.join(" | ")
    );
    format!(
        "// Generated from the Rust types by `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop \
         bindings`. Do not edit.\n\n{}",
        [commands]
            .into_iter()
            .chain(declarations)
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Each command's name, from the one list.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}
const COMMANDS: &[&str] = include!("command_list.rs");

/// The main window's capability: every command of the list, nothing else.
fn capability() -> String {
    let permissions: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    let capability = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "main",
        "description": "The main window may call Stagecraft's own commands and nothing else.",
        "windows": ["main"],
        "permissions": permissions,
    });
    // serde_json keeps the keys in alphabetical order; "$schema" comes first either way.
    format!(
        "{}\n",
        serde_json::to_string_pretty(&capability).unwrap_or_default()
    )
}

/// Compares `path` with `expected`, or writes it when blessing.
fn check(path: &std::path::Path, expected: &str) {
    if std::env::var_os("STAGECRAFT_BLESS").is_some() {
        std::fs::write(path, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop bindings`",
        path.display()
    );
}

#[test]
fn bindings_capabilities_allow_every_command_of_the_list_and_no_other() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("capabilities/main.json");
    check(&path, &capability());
}

#[test]
fn bindings_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
    check(&path, &render());
}
