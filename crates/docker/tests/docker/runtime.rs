//! `DockerRuntime` and `DockerBuilder` on the real engine, below the use cases: replicas rolled
//! one at a time, a replacement that fails leaves the service as it was, teardown by ledger.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use stagecraft_docker::{DockerBuilder, DockerEngine, DockerRuntime, LABEL_ENV};
use stagecraft_engine::{
    BuildProgress, BuildRequest, ConfigFile, DeployEvent, EnvVar, EnvironmentRef, EventSink,
    ImageBuilder, JobSpec, Ledger, LivenessSpec, MemoryLedger, ProbeSpec, ReadinessSpec, Runtime,
    ServiceSpec, TaskProgress,
};

use crate::busybox::unique;

const DOCKERFILE: &str = "FROM scratch
COPY busybox /bin/busybox
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]
CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do echo up $V; sleep 1; done & wait\"]
";

/// Names of the environment's running containers, by `docker ps` (independent of our code).
pub(crate) fn running(env_id: &str) -> BTreeSet<String> {
    let output = std::process::Command::new("docker")
        .args([
            "ps",
            "--filter",
            &format!("label={LABEL_ENV}={env_id}"),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A runtime on the local engine and an image built for it from the busybox Dockerfile.
struct Built {
    runtime: DockerRuntime,
    app: String,
    tag: String,
    sink: Arc<dyn EventSink>,
}

async fn built(app: &str, service: &str) -> Built {
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy("/bin/busybox", repo.path().join("busybox")).unwrap();
    std::fs::write(repo.path().join("Dockerfile"), DOCKERFILE).unwrap();
    let engine = Arc::new(DockerEngine::from_env());
    let app = unique(app);
    let tag = format!("stagecraft/{app}/{service}:1");
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);
    DockerBuilder::new(Arc::clone(&engine))
        .build(
            &BuildRequest {
                service: service.into(),
                repo: repo.path().to_path_buf(),
                context: ".".into(),
                dockerfile: None,
                args: Vec::new(),
                target: None,
                tag: tag.clone(),
                site: None,
            },
            BuildProgress::new(Arc::clone(&sink), service),
        )
        .await
        .unwrap();
    Built {
        runtime: DockerRuntime::new(engine),
        app,
        tag,
        sink,
    }
}

/// Removes the environment's containers and network and the image even when the test fails
/// half-way.
pub(crate) struct Cleanup {
    env_id: String,
    tag: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let run = |args: &[&str]| {
            std::process::Command::new("docker")
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let filter = format!("label={LABEL_ENV}={}", self.env_id);
        for id in run(&["ps", "-aq", "--filter", &filter]).lines() {
            run(&["rm", "--force", id]);
        }
        for id in run(&["network", "ls", "-q", "--filter", &filter]).lines() {
            run(&["network", "rm", id]);
        }
        for name in run(&["volume", "ls", "-q", "--filter", &filter]).lines() {
            run(&["volume", "rm", name]);
        }
        run(&["rmi", "--force", "--no-prune", &self.tag]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_roll_one_at_a_time_and_a_failed_replacement_leaves_the_old_ones() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy("/bin/busybox", repo.path().join("busybox")).unwrap();
    std::fs::write(repo.path().join("Dockerfile"), DOCKERFILE).unwrap();
    let engine = Arc::new(DockerEngine::from_env());
    let runtime = DockerRuntime::new(Arc::clone(&engine)).with_poll(Duration::from_millis(200));
    let app = unique("rt");
    let tag = format!("stagecraft/{app}/svc:1");
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);

    let request = BuildRequest {
        service: "svc".into(),
        repo: repo.path().to_path_buf(),
        context: ".".into(),
        dockerfile: None,
        args: Vec::new(),
        target: None,
        tag: tag.clone(),
        site: None,
    };
    // This engine offers BuildKit: its steps are the Dockerfile's RUN and COPY vertices.
    let builder = DockerBuilder::new(Arc::clone(&engine));
    let built = builder
        .build(&request, BuildProgress::new(Arc::clone(&sink), "svc"))
        .await
        .unwrap();
    assert!(built.image_id.starts_with("sha256:"), "{built:?}");
    let kinds = |image: &stagecraft_engine::BuiltImage| -> Vec<(String, bool)> {
        image
            .steps
            .iter()
            .map(|s| {
                (
                    s.instruction.split(' ').next().unwrap().to_owned(),
                    s.cached,
                )
            })
            .collect()
    };
    assert_eq!(
        kinds(&built)
            .into_iter()
            .map(|(kind, _)| kind)
            .collect::<Vec<_>>(),
        ["COPY", "RUN"]
    );
    let again = builder
        .build(&request, BuildProgress::new(Arc::clone(&sink), "svc"))
        .await
        .unwrap();
    assert_eq!(
        kinds(&again),
        [("COPY".to_owned(), true), ("RUN".to_owned(), true)],
        "the same inputs come from BuildKit's cache"
    );
    // The classic builder, as engines without BuildKit (Podman) build.
    let classic_tag = format!("stagecraft/{app}/svc:classic");
    let _classic_cleanup = Cleanup {
        env_id: String::new(),
        tag: classic_tag.clone(),
    };
    let classic = DockerBuilder::classic(Arc::clone(&engine))
        .build(
            &BuildRequest {
                tag: classic_tag.clone(),
                ..request.clone()
            },
            BuildProgress::new(Arc::clone(&sink), "svc"),
        )
        .await
        .unwrap();
    assert_eq!(
        kinds(&classic)
            .into_iter()
            .map(|(kind, _)| kind)
            .collect::<Vec<_>>(),
        ["FROM", "COPY", "RUN", "CMD"]
    );
    assert!(built.layers.iter().any(|l| l.instruction.contains("COPY")));

    let ledger = Arc::new(MemoryLedger::default());
    let env = EnvironmentRef {
        env_id: unique("e"),
        image_registry: None,
        share_registry_login: false,
        app: app.clone(),
        ledger: Arc::clone(&ledger) as Arc<dyn Ledger>,
    };
    let _cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: tag.clone(),
    };
    let spec = |value: &str| ServiceSpec {
        name: "svc".into(),
        image: tag.clone(),
        env: vec![EnvVar {
            key: "V".into(),
            value: value.into(),
            secret: false,
        }],
        replicas: 2,
        readiness: Some(ReadinessSpec::probe(ProbeSpec::Exec {
            command: vec!["true".into()],
        })),
        ..ServiceSpec::default()
    };
    let progress = TaskProgress::new(Arc::clone(&sink), 0, "services.svc");

    runtime.prepare(&env).await.unwrap();
    runtime
        .deploy_service(&env, &spec("1"), progress.clone())
        .await
        .unwrap();
    let first = running(&env.env_id);
    assert_eq!(first.len(), 2, "{first:?}");
    for name in &first {
        let policy = std::process::Command::new("docker")
            .args([
                "inspect",
                "--format",
                "{{.HostConfig.RestartPolicy.Name}}",
                name,
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&policy.stdout).trim(),
            "unless-stopped",
            "a ready replica is restarted by the engine"
        );
    }

    // Deploying the same spec again changes nothing.
    runtime
        .deploy_service(&env, &spec("1"), progress.clone())
        .await
        .unwrap();
    assert_eq!(running(&env.env_id), first);

    // A process killed mid-replacement leaves a replica stopped: restoring starts the last
    // container that ran for it, and leaves the running one alone.
    assert_eq!(runtime.restore(&env).await.unwrap(), Vec::<String>::new());
    let stopped = first.iter().next().unwrap().clone();
    let stop = std::process::Command::new("docker")
        .args(["stop", "--time", "1", &stopped])
        .output()
        .unwrap();
    assert!(stop.status.success());
    assert_eq!(running(&env.env_id).len(), 1);
    assert_eq!(runtime.restore(&env).await.unwrap(), [stopped]);
    assert_eq!(running(&env.env_id), first);

    runtime
        .deploy_service(&env, &spec("2"), progress.clone())
        .await
        .unwrap();
    let second = running(&env.env_id);
    assert_eq!(second.len(), 2);
    assert!(second.is_disjoint(&first), "{first:?} → {second:?}");
    while let Ok(event) = receiver.try_recv() {
        assert!(
            !matches!(event, DeployEvent::ServiceUnavailable { .. }),
            "replicas without a published port roll without a gap: {event:?}"
        );
    }

    // A replacement that dies: the error says how and shows its last lines; the service
    // keeps its running replicas.
    let broken = ServiceSpec {
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo cannot start >&2; exit 4".into(),
        ],
        readiness: Some(ReadinessSpec::probe(ProbeSpec::Exec {
            command: vec!["test".into(), "-f".into(), "/ready".into()],
        })),
        ..spec("3")
    };
    let error = runtime
        .deploy_service(&env, &broken, progress.clone())
        .await
        .unwrap_err();
    assert!(
        error.message.contains("exited with code 4") && error.message.contains("cannot start"),
        "{error}"
    );
    assert_eq!(running(&env.env_id), second);

    // A replacement that runs but never answers its probe is given up on after its
    // failure_threshold's checks, a period apart, not at the readiness limit; the service
    // keeps its running replicas.
    let unready = ServiceSpec {
        readiness: Some(ReadinessSpec {
            period: Some(std::time::Duration::from_secs(1)),
            failure_threshold: Some(3),
            ..ReadinessSpec::probe(ProbeSpec::Exec {
                command: vec!["test".into(), "-f".into(), "/never".into()],
            })
        }),
        ..spec("4")
    };
    let started = std::time::Instant::now();
    let error = runtime
        .deploy_service(&env, &unready, progress.clone())
        .await
        .unwrap_err();
    assert!(
        error.message.contains("not ready after 3 checks")
            && error.message.contains("exited with code 1"),
        "{error}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "given up after its checks, not the readiness limit: {:?}",
        started.elapsed()
    );
    assert_eq!(running(&env.env_id), second);

    let objects = runtime.objects(&env).await.unwrap();
    assert_eq!(
        objects.len(),
        3,
        "two containers and the network: {objects:?}"
    );
    runtime.remove_environment(&env).await.unwrap();
    assert!(runtime.objects(&env).await.unwrap().is_empty());
    assert!(ledger.entries().await.unwrap().is_empty());
    // Removing again is a no-op.
    runtime.remove_environment(&env).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_that_fails_its_liveness_probe_is_restarted() {
    let Built {
        runtime,
        app,
        tag,
        sink,
    } = built("live", "svc").await;
    let env = EnvironmentRef {
        env_id: unique("l"),
        image_registry: None,
        share_registry_login: false,
        app,
        ledger: Arc::new(MemoryLedger::default()),
    };
    let _cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: tag.clone(),
    };
    // Alive for two seconds after each start, then the probe fails.
    let spec = ServiceSpec {
        name: "svc".into(),
        image: tag.clone(),
        command: vec![
            "sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM; touch /tmp/alive; (sleep 2; rm -f /tmp/alive) & \
             while true; do sleep 1; done"
                .into(),
        ],
        replicas: 1,
        liveness: Some(LivenessSpec {
            probe: ProbeSpec::Exec {
                command: vec!["test".into(), "-f".into(), "/tmp/alive".into()],
            },
            initial_delay: Duration::ZERO,
            period: Duration::from_millis(500),
            failure_threshold: 2,
        }),
        ..ServiceSpec::default()
    };
    runtime
        .deploy_service(&env, &spec, TaskProgress::new(sink, 0, "services.svc"))
        .await
        .unwrap();
    let name = running(&env.env_id).into_iter().next().unwrap();
    let started_at = || {
        let output = std::process::Command::new("docker")
            .args(["inspect", "--format", "{{.State.StartedAt}}", &name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let first = started_at();

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while started_at() == first {
        assert!(
            std::time::Instant::now() < deadline,
            "the container was never restarted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    runtime.remove_environment(&env).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_files_are_in_place_before_the_container_starts() {
    let Built {
        runtime,
        app,
        tag,
        sink,
    } = built("files", "job").await;
    let env = EnvironmentRef {
        env_id: unique("f"),
        image_registry: None,
        share_registry_login: false,
        app,
        ledger: Arc::new(MemoryLedger::default()),
    };
    let _cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: tag.clone(),
    };
    // The job fails unless both files are there, in folders the image does not have.
    let spec = JobSpec {
        name: "check".into(),
        image: tag.clone(),
        built: true,
        command: vec![
            "sh".into(),
            "-c".into(),
            "test \"$(cat /etc/otel/collector.yml)\" = 'receivers: {}' && \
             test \"$(cat /srv/app/.env)\" = 'MODE=dev'"
                .into(),
        ],
        completed_timeout: Duration::from_secs(60),
        config_files: vec![
            ConfigFile {
                name: "collector-yml".into(),
                repo_path: "otel/collector.yml".into(),
                mount_path: "/etc/otel/collector.yml".into(),
                content: "receivers: {}".into(),
            },
            ConfigFile {
                name: "dot-env".into(),
                repo_path: ".env".into(),
                mount_path: "/srv/app/.env".into(),
                content: "MODE=dev".into(),
            },
        ],
        ..JobSpec::default()
    };

    let exit = runtime
        .run_job(&env, &spec, TaskProgress::new(sink, 0, "jobs.check"))
        .await
        .unwrap();

    assert_eq!(exit.code, 0, "the files were not where the job looked");
    runtime.remove_environment(&env).await.unwrap();
}

/// A `node_port` another program holds on 127.0.0.1: the service's start fails at once,
/// naming the port and the program, not Docker's bare "address already in use".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_node_port_names_the_port_and_the_program_holding_it() {
    let Built {
        runtime,
        app,
        tag,
        sink,
    } = built("port", "svc").await;
    let env = EnvironmentRef {
        env_id: unique("p"),
        image_registry: None,
        share_registry_login: false,
        app,
        ledger: Arc::new(MemoryLedger::default()),
    };
    let _cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: tag.clone(),
    };
    let port = stagecraft_engine::stable_host_port(&env.env_id, "svc", 8080);
    let holder = std::net::TcpListener::bind(("127.0.0.1", port))
        .expect("the service's port is free before the test takes it");
    let spec = ServiceSpec {
        name: "svc".into(),
        image: tag.clone(),
        built: true,
        ports: vec![stagecraft_engine::PortSpec {
            container_port: 8080,
            exposed: true,
        }],
        replicas: 1,
        ..ServiceSpec::default()
    };
    runtime.prepare(&env).await.unwrap();

    let error = runtime
        .deploy_service(&env, &spec, TaskProgress::new(sink, 0, "services.svc"))
        .await
        .unwrap_err();

    assert!(
        error.message.contains(&format!(
            "127.0.0.1:{port} is taken by another program, pid {}",
            std::process::id()
        )),
        "{error}"
    );
    drop(holder);
    runtime.remove_environment(&env).await.unwrap();
}

fn environment(app: String) -> EnvironmentRef {
    EnvironmentRef {
        env_id: unique("x"),
        image_registry: None,
        share_registry_login: false,
        app,
        ledger: Arc::new(MemoryLedger::default()),
    }
}

/// An image built for one test, an environment of its own, and their cleanup.
pub(crate) struct Scene {
    pub(crate) runtime: DockerRuntime,
    pub(crate) tag: String,
    pub(crate) sink: Arc<dyn EventSink>,
    pub(crate) env: EnvironmentRef,
    pub(crate) _cleanup: Cleanup,
}

pub(crate) async fn scene(app: &str, service: &str) -> Scene {
    let Built {
        runtime,
        app,
        tag,
        sink,
    } = built(app, service).await;
    let env = environment(app);
    let cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: tag.clone(),
    };
    Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup: cleanup,
    }
}

/// A job that passes its memory limit is said to have run out of memory, with the limit, as
/// the Kubernetes runtime says it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_killed_for_its_memory_is_said_to_have_run_out_of_it() {
    let Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup,
    } = scene("oom", "job").await;
    // busybox's `tail -c` keeps what it reads: 200 MB against a limit of 16 MiB.
    let spec = JobSpec {
        name: "greedy".into(),
        image: tag.clone(),
        built: true,
        command: vec![
            "sh".into(),
            "-c".into(),
            "head -c 200000000 /dev/zero | tail -c 200000000 > /dev/null".into(),
        ],
        completed_timeout: Duration::from_secs(60),
        limits: stagecraft_engine::Limits {
            memory_bytes: Some(16 * 1024 * 1024),
            cpu_millis: None,
        },
        ..JobSpec::default()
    };
    let exit = runtime
        .run_job(&env, &spec, TaskProgress::new(sink, 0, "jobs.greedy"))
        .await
        .unwrap();
    assert!(exit.oom_killed, "{exit:?}");
    assert_eq!(exit.code, 137);
    assert!(
        exit.explain(spec.limits.memory_bytes)
            .starts_with("ran out of memory: killed for passing its limit of 16 MiB"),
        "{}",
        exit.explain(spec.limits.memory_bytes)
    );
    runtime.remove_environment(&env).await.unwrap();
}

/// A service that crashes once it is up is restarted by the engine; its status says it
/// restarts again and again, how it ended, and its last lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_keeps_crashing_is_said_to_restart_again_and_again() {
    let Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup,
    } = scene("loop", "web").await;
    // Ready at once (no probe), then it crashes after a second, every time it starts.
    let spec = ServiceSpec {
        name: "web".into(),
        image: tag.clone(),
        built: true,
        replicas: 1,
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo cannot reach the database; sleep 1; exit 3".into(),
        ],
        ..ServiceSpec::default()
    };
    runtime
        .deploy_service(&env, &spec, TaskProgress::new(sink, 0, "services.web"))
        .await
        .unwrap();
    let mut said = String::new();
    for _ in 0..300 {
        let statuses = runtime.status(&env).await.unwrap();
        said = statuses
            .iter()
            .find(|s| s.workload == "services.web")
            .and_then(|s| s.reason.clone())
            .unwrap_or_default();
        // Caught between two runs (not while it is up again for a second).
        if said.contains("restarts so far): it") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(said.starts_with("restarting again and again ("), "{said}");
    assert!(
        said.contains("restarts so far): it exited with code 3"),
        "{said}"
    );
    assert!(said.contains("cannot reach the database"), "{said}");
    runtime.remove_environment(&env).await.unwrap();
}

/// An image no registry can give: the registry that could not be reached is named (the test
/// sends nothing beyond 127.0.0.1: port 1 refuses at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_from_a_registry_nobody_answers_names_that_registry() {
    let runtime = DockerRuntime::new(Arc::new(DockerEngine::from_env()));
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);
    let env = environment(unique("pull"));
    let _cleanup = Cleanup {
        env_id: env.env_id.clone(),
        tag: "127.0.0.1:1/stagecraft-test/none:1".into(),
    };
    let spec = ServiceSpec {
        name: "web".into(),
        image: "127.0.0.1:1/stagecraft-test/none:1".into(),
        built: false,
        replicas: 1,
        ..ServiceSpec::default()
    };
    let error = runtime
        .deploy_service(&env, &spec, TaskProgress::new(sink, 0, "services.web"))
        .await
        .unwrap_err();
    assert!(
        error
            .message
            .contains("cannot pull 127.0.0.1:1/stagecraft-test/none:1: no registry could be reached at 127.0.0.1:1"),
        "{error}"
    );
    runtime.remove_environment(&env).await.unwrap();
}

/// A command the image does not have: the engine refuses to start it, said in the words of
/// exit code 127, at once (no attempts again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_image_lacks_is_said_to_be_missing() {
    let Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup,
    } = scene("nocmd", "job").await;
    let spec = JobSpec {
        name: "missing".into(),
        image: tag.clone(),
        built: true,
        command: vec!["/usr/bin/no-such-program".into()],
        completed_timeout: Duration::from_secs(60),
        ..JobSpec::default()
    };
    let error = runtime
        .run_job(&env, &spec, TaskProgress::new(sink, 0, "jobs.missing"))
        .await
        .unwrap_err();
    assert!(
        error
            .message
            .contains("could not start: its command was not found in the image"),
        "{error}"
    );
    runtime.remove_environment(&env).await.unwrap();
}

/// A memory request reaches the engine as a reservation, and the limit leaves no swap beyond
/// it (as on a cluster), read back by `docker inspect`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_request_is_a_reservation_and_the_limit_allows_no_swap() {
    let Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup,
    } = scene("requests", "web").await;
    let spec = ServiceSpec {
        name: "web".into(),
        image: tag.clone(),
        built: true,
        replicas: 1,
        limits: stagecraft_engine::Limits {
            memory_bytes: Some(64 << 20),
            cpu_millis: Some(1000),
        },
        requests: stagecraft_engine::Limits {
            memory_bytes: Some(32 << 20),
            cpu_millis: Some(250),
        },
        ..ServiceSpec::default()
    };
    runtime
        .deploy_service(&env, &spec, TaskProgress::new(sink, 0, "services.web"))
        .await
        .unwrap();
    let name = running(&env.env_id).into_iter().next().unwrap();
    let output = std::process::Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{.HostConfig.MemoryReservation}} {{.HostConfig.CpuShares}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
            &name,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        // No CPU share (Docker weighs containers alike), no swap beyond the limit.
        format!("{} 0 {} {}", 32u64 << 20, 64u64 << 20, 64u64 << 20)
    );
    runtime.remove_environment(&env).await.unwrap();
}
