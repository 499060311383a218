//! `Runtime::exec` on the real engine: exit codes, standard input piped, standard output and
//! error apart, a terminal resized, and a session closed early leaving nothing running.

use std::time::Duration;

use stagecraft_engine::{
    ExecInput, ExecOutput, ExecRequest, ExecSession, Runtime, ServiceSpec, TaskProgress,
    TerminalSize,
};

use crate::runtime::{Scene, scene};

/// A service that stays up, deployed in the scene's environment.
async fn deployed(app: &str) -> Scene {
    let scene = scene(app, "web").await;
    let spec = ServiceSpec {
        name: "web".into(),
        image: scene.tag.clone(),
        built: true,
        replicas: 1,
        command: vec!["sleep".into(), "100000".into()],
        ..ServiceSpec::default()
    };
    scene
        .runtime
        .deploy_service(
            &scene.env,
            &spec,
            TaskProgress::new(scene.sink.clone(), 0, "services.web"),
        )
        .await
        .unwrap();
    scene
}

fn request(command: &[&str]) -> ExecRequest {
    ExecRequest {
        workload: "services.web".into(),
        replica: None,
        command: command.iter().map(|&c| c.to_owned()).collect(),
        tty: None,
        stdin: false,
    }
}

/// Everything a session wrote, standard output and error apart, and its exit code.
async fn finish(mut session: ExecSession) -> (String, String, Option<i64>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(chunk) = session.output.recv().await {
        match chunk {
            ExecOutput::Stdout(bytes) => out.extend(bytes),
            ExecOutput::Stderr(bytes) => err.extend(bytes),
        }
    }
    let code = session.exit.await.unwrap().unwrap();
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
        code,
    )
}

/// The processes running in the environment's web container, by `docker top` (independent of
/// our code).
fn processes(scene: &Scene) -> String {
    let name = crate::runtime::running(&scene.env.env_id)
        .into_iter()
        .next()
        .unwrap();
    let output = std::process::Command::new("docker")
        .args(["top", &name, "-o", "pid,args"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_give_their_exit_codes_their_output_apart_and_read_piped_input() {
    let scene = deployed("exec").await;
    let runtime = &scene.runtime;

    let session = runtime.exec(&scene.env, &request(&["true"])).await.unwrap();
    assert_eq!(
        finish(session).await,
        (String::new(), String::new(), Some(0))
    );

    let script = ["sh", "-c", "echo out; echo err >&2; exit 3"];
    let session = runtime.exec(&scene.env, &request(&script)).await.unwrap();
    assert_eq!(
        finish(session).await,
        ("out\n".into(), "err\n".into(), Some(3))
    );

    // A shell's "not found" is 127; a program the image lacks, run without a shell, is the
    // engine's 126 (as `docker exec` says), with the engine's reason.
    let session = runtime
        .exec(&scene.env, &request(&["sh", "-c", "no-such-program"]))
        .await
        .unwrap();
    let (_, err, code) = finish(session).await;
    assert_eq!(code, Some(127), "{err}");
    assert!(err.contains("no-such-program: not found"), "{err}");
    let session = runtime
        .exec(&scene.env, &request(&["no-such-program"]))
        .await
        .unwrap();
    let (out, err, code) = finish(session).await;
    assert_eq!(code, Some(126));
    assert!(
        format!("{out}{err}").contains("\"no-such-program\": executable file not found"),
        "{out}{err}"
    );

    // Standard input through to its end: `wc -c` counts what was sent once it ends.
    let mut piped = request(&["sh", "-c", "wc -c; echo done >&2"]);
    piped.stdin = true;
    let session = runtime.exec(&scene.env, &piped).await.unwrap();
    let sent = vec![b'x'; 200_000];
    for chunk in sent.chunks(30_000) {
        session
            .input
            .send(ExecInput::Data(chunk.to_vec()))
            .await
            .unwrap();
    }
    session.input.send(ExecInput::Eof).await.unwrap();
    let (out, err, code) = finish(session).await;
    assert_eq!(
        (out.trim(), err.as_str(), code),
        ("200000", "done\n", Some(0))
    );

    // Input and output at once, more than any pipe holds: `cat` writes back what it reads,
    // and the runtime reads its output while a write of input waits.
    let mut echo = request(&["cat"]);
    echo.stdin = true;
    let session = runtime.exec(&scene.env, &echo).await.unwrap();
    let input = session.input.clone();
    let feeder = tokio::spawn(async move {
        // Chunks larger than every buffer between here and `cat`, so a write of one waits for
        // `cat`, which waits for its output to be read.
        for _ in 0..2 {
            input
                .send(ExecInput::Data(vec![b'y'; 4 * 1024 * 1024]))
                .await
                .unwrap();
        }
        input.send(ExecInput::Eof).await.unwrap();
    });
    let (out, _, code) = tokio::time::timeout(Duration::from_secs(30), finish(session))
        .await
        .expect("8 MiB through cat");
    feeder.await.unwrap();
    assert_eq!((out.len(), code), (8 * 1024 * 1024, Some(0)));

    // The session's variable is set; the workload's own are there too.
    let session = runtime
        .exec(&scene.env, &request(&["sh", "-c", "echo $STAGECRAFT_EXEC"]))
        .await
        .unwrap();
    assert_eq!(finish(session).await.0.trim().len(), 32);

    // Another environment's workload, or no such replica, is not reached.
    let mut absent = request(&["true"]);
    absent.replica = Some(1);
    let error = runtime.exec(&scene.env, &absent).await.unwrap_err();
    assert!(
        error.to_string().contains("no running replica 1"),
        "{error}"
    );
    let mut other = scene.env.clone();
    other.env_id = crate::busybox::unique("other");
    let error = runtime.exec(&other, &request(&["true"])).await.unwrap_err();
    assert!(error.to_string().contains("no container"), "{error}");
    scene.runtime.remove_environment(&scene.env).await.unwrap();
}

/// Reads a terminal's output until `wanted` shows, for at most 10 s.
async fn read_until(session: &mut ExecSession, screen: &mut String, wanted: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !screen.contains(wanted) {
        let chunk = tokio::time::timeout_at(deadline, session.output.recv())
            .await
            .unwrap_or_else(|_| panic!("{wanted:?} never showed; the screen:\n{screen}"));
        match chunk {
            Some(ExecOutput::Stdout(bytes) | ExecOutput::Stderr(bytes)) => {
                screen.push_str(&String::from_utf8_lossy(&bytes));
            }
            None => panic!("the session ended before {wanted:?}; the screen:\n{screen}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_follows_its_size_and_closing_it_leaves_no_shell_behind() {
    let scene = deployed("tty").await;
    let mut shell = request(&["sh"]);
    shell.stdin = true;
    shell.tty = Some(TerminalSize { rows: 24, cols: 80 });
    let mut session = scene.runtime.exec(&scene.env, &shell).await.unwrap();
    let mut screen = String::new();

    let send = |text: &str| ExecInput::Data(text.as_bytes().to_vec());
    session.input.send(send("stty size\r")).await.unwrap();
    read_until(&mut session, &mut screen, "24 80").await;
    session
        .input
        .send(ExecInput::Resize(TerminalSize {
            rows: 40,
            cols: 132,
        }))
        .await
        .unwrap();
    session.input.send(send("stty size\r")).await.unwrap();
    read_until(&mut session, &mut screen, "40 132").await;

    // A job the shell started, still running when the terminal closes.
    // `st''arted`: the terminal's echo of the typed line does not hold the word it prints.
    session
        .input
        .send(send("sleep 4321 & echo st''arted\r"))
        .await
        .unwrap();
    read_until(&mut session, &mut screen, "started\r\n").await;
    assert!(processes(&scene).contains("sleep 4321"));

    let ExecSession {
        input,
        mut output,
        exit,
        ..
    } = session;
    drop(input);
    // The output ends once the shell and its job are gone.
    tokio::time::timeout(Duration::from_secs(10), async {
        while output.recv().await.is_some() {}
    })
    .await
    .unwrap();
    exit.await.unwrap().unwrap();
    let left = processes(&scene);
    assert!(!left.contains("sleep 4321"), "{left}");
    assert!(
        !left.lines().any(|l| l.trim_end().ends_with(" sh")),
        "{left}"
    );
    scene.runtime.remove_environment(&scene.env).await.unwrap();
}
