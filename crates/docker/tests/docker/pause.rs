//! Pause and resume on the real engine: the environment's containers stopped and kept (same
//! ids), its volume's contents kept, then started again, each replica waited for.

use std::collections::BTreeSet;
use std::time::Duration;

use stagecraft_docker::LABEL_ENV;
use stagecraft_engine::{
    ProbeSpec, ReadinessSpec, Runtime, ServiceSpec, TaskProgress, VolumeMount, VolumeSource,
};

use crate::runtime::{Scene, running, scene};

/// Ids of every container of the environment, running or not, by `docker ps -a`.
fn all_ids(env_id: &str) -> BTreeSet<String> {
    let output = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--no-trunc",
            "--filter",
            &format!("label={LABEL_ENV}={env_id}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_service_keeps_its_containers_and_volume_and_starts_again_as_it_was() {
    let Scene {
        runtime,
        tag,
        sink,
        env,
        _cleanup,
    } = scene("pause", "web").await;
    // Each start of a replica adds a line to the shared volume; ready once it has (its own
    // mark in /tmp, which a FROM scratch image lacks at first).
    let spec = ServiceSpec {
        name: "web".into(),
        image: tag.clone(),
        built: true,
        command: vec![
            "sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM; echo started >> /data/starts; mkdir -p /tmp; touch /tmp/ready; \
             while true; do sleep 1; done & wait"
                .into(),
        ],
        replicas: 2,
        volumes: vec![VolumeMount {
            source: VolumeSource::Persistent {
                name: "data".into(),
            },
            mount_path: "/data".into(),
        }],
        readiness: Some(ReadinessSpec {
            period: Some(Duration::from_millis(200)),
            ..ReadinessSpec::probe(ProbeSpec::Exec {
                command: vec!["test".into(), "-f".into(), "/tmp/ready".into()],
            })
        }),
        ..ServiceSpec::default()
    };
    let progress = || TaskProgress::new(sink.clone(), 0, "services.web");
    runtime
        .deploy_service(&env, &spec, progress())
        .await
        .unwrap();
    let ids = all_ids(&env.env_id);
    let names = running(&env.env_id);
    assert_eq!(names.len(), 2, "{names:?}");

    runtime.pause_environment(&env).await.unwrap();
    assert_eq!(running(&env.env_id), BTreeSet::new(), "nothing runs");
    assert_eq!(all_ids(&env.env_id), ids, "the containers are kept");
    let statuses = runtime.status(&env).await.unwrap();
    assert!(
        statuses.iter().all(|s| s.ready_replicas == 0),
        "{statuses:?}"
    );
    // A second pause (after one cut short) is no error.
    runtime.pause_environment(&env).await.unwrap();

    runtime.wake_service(&env, &spec, progress()).await.unwrap();
    assert_eq!(running(&env.env_id), names, "the same replicas run again");
    assert_eq!(all_ids(&env.env_id), ids, "as the same containers");
    let statuses = runtime.status(&env).await.unwrap();
    assert!(
        statuses.iter().all(|s| s.ready_replicas == 2),
        "{statuses:?}"
    );
    // The volume kept what the first starts wrote: two starts, then two more.
    let name = names.iter().next().unwrap();
    let output = std::process::Command::new("docker")
        .args(["exec", name, "cat", "/data/starts"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().count(),
        4,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    runtime.remove_environment(&env).await.unwrap();
}
