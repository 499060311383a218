//! Two builds compared, in a history of 1,000 builds of 27 services (10 layers and 12 steps
//! each; every build rebuilds three services and reuses the rest). Prints the median of 21.
//!
//! `cargo bench -p stagecraft-api --bench compare`

// A bench binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use stagecraft_api::{DataDir, Settings, Stagecraft};
use stagecraft_engine::{BuildStepTiming, BuiltImage, Layer, PreviousImage, ServiceBuild};
use stagecraft_store::app::NewApp;
use stagecraft_store::{Store, app, build};

const BUILDS: i64 = 1_000;
const SERVICES: usize = 27;
const REBUILT_PER_BUILD: usize = 3;

fn image(service: usize, build: i64) -> ServiceBuild {
    let layers = (0..10)
        .map(|l| Layer {
            instruction: if l == 9 {
                format!("COPY src/{service} /app # build {build}")
            } else {
                format!("RUN step {l}")
            },
            size_bytes: 1_000_000 + (l as u64) * 10_000 + (build as u64 % 7) * 1_000,
        })
        .collect();
    let steps = (0..12)
        .map(|s| BuildStepTiming {
            instruction: format!("step {s}"),
            millis: 100 + s * 10,
            cached: s < 8,
        })
        .collect();
    ServiceBuild::Built {
        image: BuiltImage {
            image_id: format!("sha256:{service}-{build}"),
            size_bytes: 12_000_000,
            layers,
            steps,
        },
        digest: format!("{service}-{build}"),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let store = Store::open(&data.join("stagecraft.db")).await?;
    let pool = store.pool();
    let app_id = app::create(
        pool,
        &NewApp {
            name: "bench",
            repo_path: "/src/bench",
            tracking_branch: "main",
            auto_deploy: false,
            gitops: false,
        },
        "t.yaml",
        "app: bench\n",
        None,
        "defaults: []\n",
    )
    .await?;
    let mut last_built: Vec<i64> = vec![0; SERVICES];
    let mut ids = Vec::new();
    for b in 0..BUILDS {
        let id = build::start(pool, app_id, None, "bench", "bench").await?;
        let images: Vec<(String, String, ServiceBuild)> = (0..SERVICES)
            .map(|s| {
                let rebuilt =
                    b == 0 || (s + b as usize).is_multiple_of(SERVICES / REBUILT_PER_BUILD);
                let outcome = if rebuilt {
                    last_built[s] = id;
                    image(s, b)
                } else {
                    ServiceBuild::Reused {
                        previous: PreviousImage {
                            build: last_built[s],
                            tag: format!("t:{}", last_built[s]),
                            digest: format!("{s}"),
                        },
                        reason: "unchanged".into(),
                    }
                };
                (
                    format!("service-{s:02}"),
                    format!("stagecraft/bench/service-{s:02}:{id}"),
                    outcome,
                )
            })
            .collect();
        build::finish(pool, id, &images).await?;
        ids.push(id);
    }
    store.close().await;

    let stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(&data),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: stagecraft_api::default_build_parallelism(),
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    })
    .await?;
    for (label, a, b) in [
        ("first with last", ids[0], ids[ids.len() - 1]),
        ("last two", ids[ids.len() - 2], ids[ids.len() - 1]),
    ] {
        let mut samples = Vec::new();
        for _ in 0..21 {
            let started = Instant::now();
            let comparison = stagecraft.compare_builds(a, b).await?;
            samples.push(started.elapsed());
            assert_eq!(comparison.services.len(), SERVICES);
        }
        println!(
            "compare two builds ({label}; {SERVICES} services, {BUILDS} builds kept): median {:?}",
            median(samples)
        );
    }
    Ok(())
}
