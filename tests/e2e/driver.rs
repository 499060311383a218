use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// The workspace's `target/` folder, where the app binary and the screenshots live.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn app_binary() -> PathBuf {
    let path = std::env::var_os("STAGECRAFT_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join("stagecraft-desktop"));
    assert!(
        path.is_file(),
        "no app binary at {}: build it first (scripts/test.sh does), or set STAGECRAFT_APP",
        path.display()
    );
    path
}

/// One app window at a time: WebKitGTK stops painting a window that another covers, so a test
/// running beside another would screenshot a stale frame.
static ONE_WINDOW_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Holds the window slot for one test; take it before starting a driver.
pub async fn exclusive_window() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_WINDOW_AT_A_TIME.lock().await
}

/// One tauri-driver on its own pair of ports, so tests can run side by side. Stopped with
/// SIGTERM on drop: SIGKILL would orphan WebKitWebDriver and the app.
pub struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
}

/// `N` ports nothing listens on now, all different (each held until all are read), chosen by
/// the system (never a fixed number another test or program on the machine may hold).
pub(crate) fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("a bound address").port())
}

impl Driver {
    pub fn start(env: &[(&str, &str)]) -> Self {
        let [port, native_port] = free_ports();
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run these tests under xvfb-run (scripts/test.sh does)"
        );
        let mut command = Command::new("tauri-driver");
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .stdin(Stdio::null())
            // Inherited pipes would keep the test runner waiting for the grandchildren.
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Test data folders come and go: their keys stay out of the developer's keychain.
        command.env("STAGECRAFT_KEYCHAIN", "0");
        // The ingress's ports are the test's, or its data folder's: never the runner's.
        command
            .env_remove("STAGECRAFT_INGRESS_PORT")
            .env_remove("STAGECRAFT_INGRESS_HTTPS_PORT");
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .expect("tauri-driver must be on PATH: cargo install tauri-driver --locked");
        let driver = Self {
            child,
            port,
            native_port,
        };
        driver.wait_until_listening();
        driver
    }

    /// Waits for tauri-driver and for the WebKitWebDriver it starts behind it: tauri-driver
    /// listens first, and a session asked for before the native driver listens is dropped
    /// half-way (`IncompleteMessage`), which a cold first start on a fresh machine shows.
    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for (port, what) in [
            (self.port, "tauri-driver"),
            (self.native_port, "WebKitWebDriver"),
        ] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "{what} did not listen on {port}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Launches the app and returns a WebDriver session on its main window.
    pub async fn launch_app(&self) -> Client {
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app_binary() },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session on the app")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
