//! The local ingress of a real `stagecraft serve` in front of real containers (busybox
//! `httpd`): two environments of one app at their own hostnames, a path rule to another
//! service, the ingress's page for a host it does not know, and an environment's hostname
//! gone once it is torn down, a WebSocket-style upgrade echoed through a container; and a
//! patch under a steady loop of requests through the ingress
//! without one failed (the new container started beside the old, the ingress switched to it).

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::docker::{Cleanup, git, stagecraft_with, stdout};

/// A `stagecraft serve` process, stopped (and waited for) when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An app of two busybox `httpd` services: `web` says `web <env id> <version>` (no readiness
/// probe: a patch waits until it answers), `api` says `api <env id> <version>` under `/api/`,
/// and a rule sends `/api` of web's hostname to `api`. The version is `site/version`'s.
fn two_service_app(dir: &Path, name: &str) -> std::path::PathBuf {
    let repo = dir.join(name);
    std::fs::create_dir_all(repo.join(".release")).unwrap();
    std::fs::create_dir_all(repo.join("site")).unwrap();
    std::fs::copy("/bin/busybox", repo.join("site/busybox"))
        .expect("busybox-static must be installed (apt-get install busybox-static)");
    std::fs::write(
        repo.join("site/Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCOPY version /version\nCOPY echo.sh /echo.sh\n",
    )
    .unwrap();
    std::fs::write(repo.join("site/version"), "v1\n").unwrap();
    // An upgrade echo (what a WebSocket server does after its handshake): the request's head
    // read, 101 answered, then every byte sent back.
    std::fs::write(
        repo.join("site/echo.sh"),
        "while read -r line; do [ \"${#line}\" -le 1 ] && break; done\n\
         printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n'\n\
         exec cat\n",
    )
    .unwrap();
    let serve = |who: &str, folder: &str| {
        format!(
            "[sh, -c, 'mkdir -p /www{folder} && echo \"{who} $RELEASE_ENV_ID $(cat /version)\" > /www{folder}/index.html && exec httpd -f -p 8080 -h /www']"
        )
    };
    std::fs::write(
        repo.join(".release/application_template.yaml"),
        format!(
            "app: {name}
environment_templates: [{{name: ephemeral}}]
services:
- {{name: web, build: {{context: site}}, command: {web}, ports: [{{type: node_port, port: '80', target_port: '8080'}}]}}
- {{name: ws, build: {{context: site}}, command: [nc, -ll, -p, '8080', -e, sh, /echo.sh], ports: [{{type: node_port, port: '82', target_port: '8080'}}]}}
- {{name: api, build: {{context: site}}, command: {api}, ports: [{{type: node_port, port: '81', target_port: '8080'}}], readiness_probe: {{exec: {{command: [wget, -qO-, 'http://127.0.0.1:8080/api/']}}, period_seconds: 1}}}}
rules:
- {{service: api, hostnames: ['web-${{env_id}}.${{domain}}'], path: /api}}
workflows:
- {{name: setup, order_from: [services.web, services.ws, services.api]}}
- {{name: patch, order_from: [services.web, services.ws, services.api]}}
- {{name: teardown, order_from: [release.remove_environment]}}
",
            web = serve("web", ""),
            api = serve("api", "/api"),
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join(".release/environment_variables.yaml"),
        "defaults: []\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    repo
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` ports free now on 127.0.0.1, all different (each held until all are read).
fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap().port())
}

/// `GET path` with `Host: host` on 127.0.0.1:`port`: the status, whether the ingress
/// answered itself, and the body.
fn get(port: u16, host: &str, path: &str) -> (u16, bool, String) {
    try_get(port, host, path).unwrap()
}

/// [`get`], a connection that fails said.
fn try_get(port: u16, host: &str, path: &str) -> std::io::Result<(u16, bool, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // The ingress's own pages say so (with its data folder's id).
    let ours = head
        .to_ascii_lowercase()
        .contains("\r\nx-stagecraft-ingress: ");
    Ok((status, ours, body.trim().to_owned()))
}

#[test]
fn environments_answer_at_their_hostnames_through_the_ingress_of_serve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let name = format!("ingress{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let repo = two_service_app(dir.path(), &name);
    // A port of this test's own, for every command: the URLs they give name it.
    let port = free_port().to_string();
    let env = [("STAGECRAFT_INGRESS_PORT", port.as_str())];
    let run = |args: &[&str]| stdout(&stagecraft_with(&data, args, &env));
    let json = |args: &[&str]| -> serde_json::Value { serde_json::from_str(&run(args)).unwrap() };
    run(&["apps", "add", repo.to_str().unwrap()]);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = json(&["environments", "create", "--app", &name, "-o", "json"]);
        assert_eq!(created["deploy"]["status"], "succeeded", "{created}");
        let id = created["environment"]["id"].as_str().unwrap().to_owned();
        let urls: Vec<&str> = created["environment"]["hostnames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                format!("http://web-{id}.localhost:{port}"),
                format!("http://ws-{id}.localhost:{port}"),
                format!("http://api-{id}.localhost:{port}")
            ],
            "{created}"
        );
        ids.push(id);
    }

    let https = free_port();
    let mut serve = Served(
        Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(["serve", "--every", "60", "--no-api"])
            .env("STAGECRAFT_DATA_DIR", &data)
            .env("STAGECRAFT_KEYCHAIN", "0")
            .env("STAGECRAFT_INGRESS_PORT", &port)
            .env("STAGECRAFT_INGRESS_HTTPS_PORT", https.to_string())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = std::io::BufReader::new(serve.0.stderr.take().unwrap());
    let mut lines = stderr.lines();
    let said = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("the ingress answers on") || l.starts_with("error"))
        .expect("serve said nothing of its ingress");
    assert!(said.contains(&format!("127.0.0.1:{port}")), "{said}");
    std::thread::spawn(move || for _ in lines {});
    let port: u16 = port.parse().unwrap();
    // web has no readiness probe: up once it answers.
    for id in &ids {
        let deadline = Instant::now() + Duration::from_secs(30);
        while try_get(port, &format!("web-{id}.localhost"), "/")
            .map(|a| a.0)
            .ok()
            != Some(200)
        {
            assert!(Instant::now() < deadline, "web of {id} never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    for id in &ids {
        assert_eq!(
            get(port, &format!("web-{id}.localhost"), "/"),
            (200, false, format!("web {id} v1"))
        );
        // The rule: web's hostname, /api to the api service, the prefix kept.
        assert_eq!(
            get(port, &format!("web-{id}.localhost:{port}"), "/api/"),
            (200, false, format!("api {id} v1"))
        );
        assert_eq!(
            get(port, &format!("api-{id}.localhost"), "/api/"),
            (200, false, format!("api {id} v1"))
        );
    }
    // A WebSocket-style upgrade through the ingress to a real container, echoed both ways.
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        socket,
        "GET /chat HTTP/1.1\r\nHost: ws-{}.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        ids[0]
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 4096 {
        socket.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    for message in ["hello through the ingress\n", "and back again\n"] {
        socket.write_all(message.as_bytes()).unwrap();
        let mut echoed = vec![0u8; message.len()];
        socket.read_exact(&mut echoed).unwrap();
        assert_eq!(String::from_utf8_lossy(&echoed), message);
    }
    drop(socket);

    // HTTPS, with a certificate of the data folder's authority (made, and the port bound,
    // as serve starts: asked until it answers).
    let authority = data.join("ingress-ca/stagecraft-ca.pem");
    let host = format!("web-{}.localhost", ids[0]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let curl = Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&authority)
            .args([
                "--resolve",
                &format!("{host}:{https}:127.0.0.1"),
                &format!("https://{host}:{https}/"),
            ])
            .output()
            .unwrap();
        let answer = String::from_utf8_lossy(&curl.stdout).trim().to_owned();
        if answer == format!("web {} v1", ids[0]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer over HTTPS: {answer} {}",
            String::from_utf8_lossy(&curl.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let (status, ours, body) = get(port, "nobody.localhost", "/");
    assert_eq!((status, ours), (404, true), "{body}");
    assert!(
        body.contains(&format!("web-{}.localhost", ids[0])),
        "{body}"
    );

    // Torn down: its hostname is no longer routed (the table is made again every 2 s).
    let deleted = json(&["environments", "delete", &ids[0], "-o", "json"]);
    assert_eq!(deleted["deploy"]["status"], "succeeded", "{deleted}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, ours, _) = get(port, &format!("web-{}.localhost", ids[0]), "/");
        if (status, ours) == (404, true) {
            break;
        }
        assert!(Instant::now() < deadline, "still routed: {status}");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        get(port, &format!("web-{}.localhost", ids[1]), "/"),
        (200, false, format!("web {} v1", ids[1]))
    );

    // Patches (a new commit: new images) while requests go on through the ingress: none
    // fails, and once the new version answers the old one never does again. Each moves web
    // to its other port: the second, the stable one, the second again.
    let id = ids[1].clone();
    let direct = |id: &str| -> String {
        let got = json(&["environments", "get", id, "-o", "json"]);
        got["hostnames"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["service"] == "web")
            .and_then(|h| h["direct"].as_str())
            .unwrap_or_else(|| panic!("no direct URL for web: {got}"))
            .to_owned()
    };
    // A new version committed, then the environment patched to it (waited for).
    let patch_to = |version: &str| -> serde_json::Value {
        std::fs::write(repo.join("site/version"), format!("{version}\n")).unwrap();
        git(&repo, &["commit", "-q", "-am", version]);
        json(&[
            "deploys",
            "create",
            "--environment",
            &id,
            "--wait",
            "-o",
            "json",
        ])
    };
    let stable = direct(&id);
    for (old, new) in [("v1", "v2"), ("v2", "v3"), ("v3", "v4")] {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let requests = std::thread::spawn({
            let stop = std::sync::Arc::clone(&stop);
            let host = format!("web-{id}.localhost");
            let (old, new) = (format!("web {id} {old}"), format!("web {id} {new}"));
            move || {
                // Bounded by the patch (stop) and by two minutes whatever happens.
                let until = Instant::now() + Duration::from_secs(120);
                let (mut answered, mut failed, mut seen_new) = (0u32, Vec::new(), false);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < until {
                    match try_get(port, &host, "/") {
                        Ok((200, false, body)) if body == new || (body == old && !seen_new) => {
                            seen_new |= body == new;
                            answered += 1;
                        }
                        other => failed.push(format!("{other:?} (the new one seen: {seen_new})")),
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                (answered, failed, seen_new)
            }
        });
        let patched = patch_to(new);
        // A few requests more, on the new container only.
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (answered, failed, seen_new) = requests.join().unwrap();
        assert_eq!(
            (
                patched["deploy"]["stage"].as_str(),
                patched["deploy"]["status"].as_str()
            ),
            (Some("patch"), Some("succeeded")),
            "{patched}"
        );
        assert!(
            failed.is_empty(),
            "{} of {} failed: {failed:?}",
            failed.len(),
            answered as usize + failed.len()
        );
        assert!(
            answered > 10 && seen_new,
            "{answered} answered, the new version seen: {seen_new}"
        );
        // The new container took the service's other port, given as its direct URL; the old
        // one is gone (the command waited for its stop before it ended).
        let now = direct(&id);
        if new == "v3" {
            assert_eq!(now, stable, "back on the stable port");
        } else {
            assert_ne!(now, stable, "the direct URL names the new container's port");
        }
        let (code, _, body) = get(
            now.trim_start_matches("http://127.0.0.1:").parse().unwrap(),
            "127.0.0.1",
            "/",
        );
        assert_eq!((code, body), (200, format!("web {id} {new}")));
        let web = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=dev.stagecraft.env={id}"),
                "--filter",
                "label=dev.stagecraft.workload=services.web",
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&web.stdout).lines().count(),
            1,
            "one web container left"
        );
    }
    // Without an ingress (serve stopped), a patch stops the old container first and the
    // new one takes the port web is on now (its second one).
    let moved = direct(&id);
    drop(serve);
    let patched = patch_to("v5");
    assert_eq!(patched["deploy"]["status"], "succeeded", "{patched}");
    assert_eq!(direct(&id), moved);
    let (code, _, body) = get(
        moved
            .trim_start_matches("http://127.0.0.1:")
            .parse()
            .unwrap(),
        "127.0.0.1",
        "/",
    );
    assert_eq!((code, body), (200, format!("web {id} v5")));
    run(&["environments", "delete", &id]);
}

/// `stagecraft -o json ingress ports ARGS` on `data`, as a user without the ingress's
/// variables runs it, with `env` added.
fn ingress_ports(data: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["-o", "json", "ingress", "ports"])
        .args(args)
        .env("STAGECRAFT_DATA_DIR", data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .env_remove("STAGECRAFT_INGRESS_PORT")
        .env_remove("STAGECRAFT_INGRESS_HTTPS_PORT")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn a_saved_port_waits_until_the_ingress_serve_holds_has_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let now = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&stdout(&ingress_ports(data, &[], args))).unwrap()
    };
    let [first, second] = free_ports();
    now(&["--port", &first.to_string()]);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["serve", "--every", "60", "--no-api"])
        .env("STAGECRAFT_DATA_DIR", data)
        .env("STAGECRAFT_KEYCHAIN", "0")
        .env_remove("STAGECRAFT_INGRESS_PORT")
        .env_remove("STAGECRAFT_INGRESS_HTTPS_PORT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `serve` says the ingress answers once it does, its ports recorded for other processes.
    let stderr = serve.stderr.take().unwrap();
    let mut serve = Served(serve);
    let mut lines = std::io::BufReader::new(stderr).lines();
    let said = format!("the ingress answers on http://127.0.0.1:{first}/");
    loop {
        let line = lines
            .next()
            .expect("serve ended before its ingress answered")
            .unwrap();
        if line.contains(&said) {
            break;
        }
    }
    // The rest of what it says is read (and dropped), so it never waits on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));

    // Saved while serve's ingress listens on the first: commands keep naming that one.
    let shown = now(&["--port", &second.to_string()]);
    assert_eq!(shown["saved"]["port"], second);
    assert_eq!(now(&[])["now"]["port"], first, "{shown}");

    // Once serve has stopped (as Ctrl+C stops it), the saved port is everyone's.
    let stopped = Command::new("kill")
        .args(["-INT", &serve.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let ended = serve.0.wait().unwrap();
    assert!(ended.success(), "serve ended with {ended}");
    assert_eq!(now(&[])["now"]["port"], second);
}

#[test]
fn ingress_ports_are_saved_for_the_data_folder_and_a_variable_wins_for_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let run = |env: &[(&str, &str)], args: &[&str]| ingress_ports(data, env, args);
    let ports = |env: &[(&str, &str)], args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&stdout(&run(env, args))).unwrap()
    };
    let shown = ports(&[], &[]);
    assert_eq!(
        shown["saved"],
        serde_json::json!({"port": 7480, "httpsPort": null})
    );
    assert_eq!(shown["now"], shown["saved"]);

    let [port, https] = free_ports();
    let (port_text, https_text) = (port.to_string(), https.to_string());
    let saved = ports(&[], &["--port", &port_text, "--https-port", &https_text]);
    assert_eq!(
        saved["saved"],
        serde_json::json!({"port": port, "httpsPort": https})
    );
    // The next command reads them; a variable sets one command's port over the saved one.
    assert_eq!(ports(&[], &[])["now"], saved["saved"]);
    let given = ports(&[("STAGECRAFT_INGRESS_PORT", "7999")], &[]);
    assert_eq!(
        given["now"],
        serde_json::json!({"port": 7999, "httpsPort": https})
    );
    assert_eq!(
        given["setByEnv"],
        serde_json::json!(["STAGECRAFT_INGRESS_PORT"])
    );
    // HTTPS off, the port kept.
    let off = ports(&[], &["--no-https"]);
    assert_eq!(
        off["saved"],
        serde_json::json!({"port": port, "httpsPort": null})
    );

    // A port another program holds is refused with its field, and nothing is saved.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port().to_string();
    let refused = run(&[], &["--port", &held]);
    assert!(!refused.status.success());
    let error: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&refused.stderr).trim()).unwrap();
    assert_eq!(error["error"]["code"], "INVALID_REQUEST");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("--port: another program listens"),
        "{error}"
    );
    assert_eq!(ports(&[], &[])["saved"], off["saved"]);
}
