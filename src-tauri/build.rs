/// Each command's name, from the one list.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}
const COMMANDS: &[&str] = include!("src/command_list.rs");

// tauri.conf.json lives at the repository root (it describes the whole app, not this crate),
// so tauri-build is told where it is; the Windows icon path is resolved from this crate.
fn main() {
    println!("cargo::rerun-if-changed=src/command_list.rs");
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .windows_attributes(
            tauri_build::WindowsAttributes::new().window_icon_path("../icons/icon.ico"),
        )
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports through cargo's output; there is no caller to return to.
        println!("cargo::error=tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
