//! `instances exec` and `instances terminal` against a deployed environment on the real engine:
//! exit codes, standard input piped, standard output and error apart, and an interactive shell
//! driven through a pseudo-terminal (its size followed, Ctrl-C reaching the shell, the local
//! terminal restored, nothing left running in the container).

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::docker::{stagecraft, stdout};

fn exec(data: &Path, id: &str, command: &[&str]) -> std::process::Output {
    let mut args = vec!["instances", "exec", "--environment", id, "worker", "--"];
    args.extend(command);
    stagecraft(data, &args)
}

/// The processes of the environment's worker container, by `docker top`.
fn processes(id: &str) -> String {
    let name = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=dev.stagecraft.env={id}"),
            "--filter",
            "label=dev.stagecraft.workload=services.worker",
        ])
        .output()
        .unwrap();
    let name = String::from_utf8_lossy(&name.stdout).trim().to_owned();
    let top = Command::new("docker")
        .args(["top", &name, "-o", "pid,args"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&top.stdout).into_owned()
}

pub(crate) fn exec_and_terminal(data: &Path, id: &str) {
    // Exit codes as the command's own, as `docker exec` gives them.
    assert_eq!(exec(data, id, &["true"]).status.code(), Some(0));
    let three = exec(data, id, &["sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert_eq!(three.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&three.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&three.stderr), "err\n");
    assert_eq!(
        exec(data, id, &["sh", "-c", "no-such-program"])
            .status
            .code(),
        Some(127)
    );

    // Standard input piped through to its end.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["instances", "exec", "--environment", id, "worker", "--"])
        .args(["sh", "-c", "read name; echo hello $name; wc -c"])
        .env("STAGECRAFT_DATA_DIR", data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"stagecraft\n0123456789")
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_eq!(
        stdout(&piped).lines().map(str::trim).collect::<Vec<_>>(),
        ["hello stagecraft", "10"]
    );

    // A replica that does not run is named.
    let absent = stagecraft(
        data,
        &[
            "instances",
            "exec",
            "--environment",
            id,
            "worker",
            "--replica",
            "3",
            "--",
            "true",
        ],
    );
    assert_eq!(absent.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&absent.stderr).contains("no running replica 3"),
        "{}",
        String::from_utf8_lossy(&absent.stderr)
    );

    interrupted(data, id);
    terminal(data, id);
}

/// Ctrl-C on a command without a terminal stops it in the container too, and the command
/// exits as a shell reports an interrupt (130).
fn interrupted(data: &Path, id: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["instances", "exec", "--environment", id, "worker", "--"])
        .args(["sleep", "4322"])
        .env("STAGECRAFT_DATA_DIR", data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !processes(id).contains("sleep 4322") {
        assert!(Instant::now() < deadline, "sleep never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the command never ended");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let left = processes(id);
    assert!(!left.contains("sleep 4322"), "{left}");
}

/// What a pseudo-terminal's program wrote, read on a thread as it comes.
struct Screen(Arc<Mutex<String>>);

impl Screen {
    fn read_from(mut reader: Box<dyn std::io::Read + Send>) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let writer = Arc::clone(&text);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                writer
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Self(text)
    }

    /// Waits up to 20 s for `wanted` after the first `from` bytes; gives where it ends.
    fn wait_for(&self, from: usize, wanted: &str) -> usize {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.0.lock().unwrap().clone();
            if let Some(at) = text.get(from..).and_then(|rest| rest.find(wanted)) {
                return from + at + wanted.len();
            }
            assert!(
                Instant::now() < deadline,
                "{wanted:?} never showed; the screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn terminal(data: &Path, id: &str) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_stagecraft"));
    command.args(["instances", "terminal", "--environment", id, "worker"]);
    command.env("STAGECRAFT_DATA_DIR", data);
    command.env("STAGECRAFT_KEYCHAIN", "0");
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let screen = Screen::read_from(pty.master.try_clone_reader().unwrap());
    let mut keys = pty.master.take_writer().unwrap();
    let mut type_keys = |text: &str| {
        keys.write_all(text.as_bytes()).unwrap();
        keys.flush().unwrap();
    };

    // busybox has no bash: the terminal falls back to sh, and the shell sees 24×80.
    let mut at = screen.wait_for(0, "# ");
    type_keys("stty size\r");
    at = screen.wait_for(at, "24 80");

    // The local terminal resized: the shell follows.
    pty.master
        .resize(PtySize {
            rows: 37,
            cols: 111,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    // The resize travels as a signal, then a request: ask until the new size shows.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        type_keys("stty size\r");
        std::thread::sleep(Duration::from_millis(200));
        if screen.0.lock().unwrap()[at..].contains("37 111") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the terminal's new size never reached the shell"
        );
    }
    at = screen.wait_for(at, "37 111");

    // Ctrl-C reaches the shell's foreground program, not this command.
    type_keys("sleep 4321\r");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes(id).contains("sleep 4321") {
        assert!(Instant::now() < deadline, "sleep never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    type_keys("\x03");
    type_keys("echo still $((6*7))\r");
    at = screen.wait_for(at, "still 42");
    assert!(!processes(id).contains("sleep 4321"));
    let _ = at;

    // `exit 7` ends the shell; the command exits with its code and leaves the local terminal
    // as it found it (raw mode off: canonical input again).
    type_keys("exit 7\r");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the command never ended");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.exit_code(), 7, "{}", screen.0.lock().unwrap());
    #[cfg(unix)]
    {
        let termios = pty.master.get_termios().unwrap();
        // nix's flags, named through their Debug (portable-pty does not re-export nix).
        let flags = format!("{:?}", termios.local_flags);
        assert!(
            flags.contains("ICANON"),
            "the local terminal was left raw: {flags}"
        );
    }
    let left = processes(id);
    assert!(
        !left.lines().any(|l| l.trim_end().ends_with(" sh")),
        "{left}"
    );
}

/// Keys typed one at a time for the round-trip measurement.
const KEYS: usize = 300;

/// A measurement, not a test (`scripts/test.sh` skips it): a key written to
/// `stagecraft instances terminal` through a pseudo-terminal until its echo comes back, p50
/// and p99, and `cat` of a 50 MB file through it. Run it with
///
/// ```sh
/// cargo test -p stagecraft-cli --test cli -- --ignored --exact \
///   instances::terminal_keystrokes_and_a_large_output_from_the_command --nocapture
/// ```
#[test]
#[ignore = "a measurement: run it on its own (see its documentation)"]
fn terminal_keystrokes_and_a_large_output_from_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("clibench{}", std::process::id());
    let _cleanup = crate::docker::Cleanup(name.clone());
    let repo = crate::docker::app(dir.path(), &name);
    stdout(&stagecraft(&data, &["apps", "add", repo.to_str().unwrap()]));
    let created = crate::docker::json(
        &data,
        &["environments", "create", "--app", &name, "-o", "json"],
    );
    let id = created["environment"]["id"].as_str().unwrap().to_owned();
    let made = exec(
        &data,
        &id,
        &[
            "sh",
            "-c",
            "yes 'INFO GET /api/orders/12345 200 in 12 ms status=ok' | head -c 50000000 > /big",
        ],
    );
    assert_eq!(made.status.code(), Some(0));

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_stagecraft"));
    command.args(["instances", "terminal", "--environment", &id, "worker"]);
    command.env("STAGECRAFT_DATA_DIR", &data);
    command.env("STAGECRAFT_KEYCHAIN", "0");
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    // The reader gives each chunk as it comes, with when it came.
    let (chunks_tx, chunks) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    let mut reader = pty.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0
                || chunks_tx
                    .send((Instant::now(), buffer[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    });
    let mut keys = pty.master.take_writer().unwrap();
    let mut seen = Vec::new();
    let wait_for = |seen: &mut Vec<u8>, wanted: &[u8], within: Duration| -> Instant {
        let deadline = Instant::now() + within;
        loop {
            let (at, chunk) = chunks
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("{:?} never came", String::from_utf8_lossy(wanted)));
            seen.extend(chunk);
            if let Some(i) = seen.windows(wanted.len()).position(|w| w == wanted) {
                seen.drain(..i + wanted.len());
                return at;
            }
            // Only a tail that could start `wanted` is kept: 50 MB are not searched again.
            let keep = seen.len().min(wanted.len() - 1);
            seen.drain(..seen.len() - keep);
        }
    };
    wait_for(&mut seen, b"# ", Duration::from_secs(20));

    let mut rtt = Vec::new();
    for i in 0..KEYS {
        // A line of keys, then erased (Ctrl-U), so the prompt's line never wraps.
        if i % 40 == 39 {
            keys.write_all(b"\x15").unwrap();
            keys.flush().unwrap();
            std::thread::sleep(Duration::from_millis(50));
            while chunks.try_recv().is_ok() {}
            seen.clear();
            continue;
        }
        let sent = Instant::now();
        keys.write_all(b"x").unwrap();
        keys.flush().unwrap();
        let back = wait_for(&mut seen, b"x", Duration::from_secs(5));
        rtt.push(back.duration_since(sent).as_secs_f64() * 1000.0);
    }
    rtt.sort_by(f64::total_cmp);
    let at = |p: f64| rtt[((rtt.len() as f64 - 1.0) * p).round() as usize];
    eprintln!(
        "command keystroke round trip over {} keys: p50 {:.2} ms, p99 {:.2} ms, longest {:.2} ms",
        rtt.len(),
        at(0.5),
        at(0.99),
        rtt[rtt.len() - 1]
    );

    keys.write_all(b"\x15cat /big; echo END-$((6*7))\r")
        .unwrap();
    keys.flush().unwrap();
    let started = Instant::now();
    wait_for(&mut seen, b"END-42", Duration::from_secs(300));
    let took = started.elapsed();
    eprintln!(
        "50 MB through the command's terminal in {:.2} s ({:.1} MB/s)",
        took.as_secs_f64(),
        50.0 / took.as_secs_f64()
    );
    keys.write_all(b"exit\r").unwrap();
    keys.flush().unwrap();
    child.wait().unwrap();
    stdout(&stagecraft(&data, &["environments", "delete", &id]));
}
