//! `ui/src/ipc/bindings.ts` is generated from the Rust types that cross IPC. This test fails
//! when the file is stale; `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop bindings`
//! rewrites it.

use std::path::PathBuf;

use stagecraft_api::{
    ActivityView, AddedAppView, AppView, BuildComparisonView, BuildView, ClusterMadeBy, CommitView,
    CommitsBetweenView, ConfigVersionView, DataDirOrigin, DatabaseReport, DeployDetailView,
    DeployEvent, DeployOutcome, DeployStatusView, DeployView, DockerStatus, EndpointSource,
    EnvironmentRowView, EnvironmentStatusView, EnvironmentView, ErrorCode, ImageView,
    KubeContextReport, KubernetesReport, LayerChangeView, LogLineView, LogPageView,
    LogResourceView, NextDeploy, RuntimeChoice, ServiceComparisonView, Stage, StageView,
    StepComparisonView, StepOutcome, StepView, SystemReport, TaskOutcome, TaskView, UrlView,
    VariableView, WorkloadVarsView,
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
        declaration::<CommitsBetweenView>(&cfg),
        declaration::<CommitView>(&cfg),
        declaration::<LogResourceView>(&cfg),
        declaration::<crate::streams::FollowMessage>(&cfg),
        declaration::<DeployEvent>(&cfg),
        declaration::<Stage>(&cfg),
        declaration::<TaskOutcome>(&cfg),
        declaration::<StepOutcome>(&cfg),
        declaration::<DeployOutcome>(&cfg),
        declaration::<EnvironmentRowView>(&cfg),
        declaration::<ActivityView>(&cfg),
        declaration::<UrlView>(&cfg),
        declaration::<RuntimeChoice>(&cfg),
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
        declaration::<StepComparisonView>(&cfg),
        declaration::<ConfigVersionView>(&cfg),
        declaration::<WorkloadVarsView>(&cfg),
        declaration::<VariableView>(&cfg),
    ];
    format!(
        "// Generated from the Rust types by `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop \
         bindings`. Do not edit.\n\n{}",
        declarations.join("\n")
    )
}

#[test]
fn bindings_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
    let expected = render();
    if std::env::var_os("STAGECRAFT_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop bindings`",
        path.display()
    );
}
