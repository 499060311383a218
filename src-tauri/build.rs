// tauri.conf.json lives at the repository root (it describes the whole app, not this crate),
// so tauri-build is told where it is; the Windows icon path is resolved from this crate.
fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .windows_attributes(
            tauri_build::WindowsAttributes::new().window_icon_path("../icons/icon.ico"),
        )
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "system_report",
            "docker_status",
            "apps_list",
            "app_add",
            "app_set_registry",
            "folder_pick",
            "environments_list",
            "environment_create",
            "runtime_choices",
            "environment_get",
            "next_deploy",
            "deploy_start",
            "teardown_start",
            "setup_start",
            "deploy_cancel",
            "environment_extend",
            "timeline",
            "deploy_follow",
            "stream_stop",
            "log_follow",
            "deploy_detail",
            "log_resources",
            "builds_list",
            "builds_compare",
            "deploy_build_start",
            "config_history",
            "config_set",
            "variables_get",
        ]));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports through cargo's output; there is no caller to return to.
        println!("cargo::error=tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
