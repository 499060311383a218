//! A desktop notification server of our own, on a D-Bus session bus of our own: what the app
//! shows through the desktop's notifications (the freedesktop `org.freedesktop.Notifications`
//! interface, which GNOME, KDE and every notification daemon serve) is recorded here, so the
//! e2e checks it rather than assuming it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One notification as the app sent it.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    pub(crate) summary: String,
    pub(crate) body: String,
}

struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown { summary, body });
        u32::try_from(shown.len()).unwrap()
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "stagecraft-e2e".to_owned(),
            "stagecraft".to_owned(),
            "1".to_owned(),
            "1.2".to_owned(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A process killed when dropped: a bus started is stopped however the test ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A session bus (`dbus-daemon`) and the notification server on it; both stop on drop.
pub(crate) struct Notifications {
    _bus: Killed,
    /// What to give the app as `DBUS_SESSION_BUS_ADDRESS`.
    pub(crate) address: String,
    shown: Arc<Mutex<Vec<Shown>>>,
    _connection: zbus::blocking::Connection,
}

impl Notifications {
    pub(crate) fn start() -> Self {
        let mut bus = Killed(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon must be installed (scripts/setup.sh installs it)"),
        );
        let mut address = String::new();
        BufReader::new(bus.0.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::address(address.as_str())
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at(
                "/org/freedesktop/Notifications",
                Server {
                    shown: Arc::clone(&shown),
                },
            )
            .unwrap()
            .build()
            .expect("the notification server starts on the session bus");
        Self {
            _bus: bus,
            address,
            shown,
            _connection: connection,
        }
    }

    /// Waits up to `within` for a notification whose summary is `summary`.
    pub(crate) async fn wait_for(&self, summary: &str, within: Duration) -> Shown {
        let deadline = Instant::now() + within;
        loop {
            if let Some(shown) = self
                .shown
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.summary == summary)
            {
                return shown.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no notification {summary:?} within {within:?}; shown: {:?}",
                self.shown.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
