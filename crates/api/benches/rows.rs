//! The environments list as the window reads it on each change the change feed tells: 40
//! environments of the 27-service opentelemetry-demo template, on the Docker runtime (its URLs
//! need no engine).
//! Prints the first listing (every environment's configuration read) and the median of 21
//! after it.
//!
//! `cargo bench -p stagecraft-api --bench rows`

// A bench binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use stagecraft_api::{CreateEnvironment, DataDir, Settings, Stagecraft};

const ENVIRONMENTS: usize = 40;
const TEMPLATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/release-templates/",
    "awesome-release__opentelemetry-demo__.release__application_template.yaml"
);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let repo = dir.path().join("otel");
    std::fs::create_dir_all(repo.join(".release"))?;
    std::fs::copy(TEMPLATE, repo.join(".release/application_template.yaml"))?;
    let mut stagecraft = Stagecraft::open(Settings {
        data_dir: DataDir::explicit(dir.path().join("data")),
        docker_endpoint: Some("unix:///nonexistent/docker.sock".into()),
        kubeconfig_paths: Vec::new(),
        deploy_lease: stagecraft_api::DEFAULT_DEPLOY_LEASE,
        default_ttl: stagecraft_api::DEFAULT_TTL,
        build_parallelism: 1,
        keychain: false,
        static_sites: stagecraft_api::StaticSiteSettings::from_env(),
        ingress: stagecraft_api::GivenIngressPorts::default(),
    })
    .await?;
    stagecraft.use_docker();
    let app = stagecraft.add_app(&repo).await?.app;
    for _ in 0..ENVIRONMENTS {
        stagecraft
            .create_environment(CreateEnvironment {
                dataset: None,
                app: app.name.clone(),
                branch: None,
                environment_template: "ephemeral".into(),
                runtime: "docker".into(),
                name: None,
                ttl: None,
                working_tree: false,
                parameters: Default::default(),
            })
            .await?;
    }

    let started = Instant::now();
    let rows = stagecraft.environment_rows().await?;
    let first = started.elapsed();
    let urls: usize = rows.iter().map(|r| r.urls.len()).sum();
    let mut samples = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        stagecraft.environment_rows().await?;
        samples.push(started.elapsed());
    }
    println!(
        "{ENVIRONMENTS} environments ({urls} URLs): first listing {first:?}, then median {:?}",
        median(samples)
    );
    stagecraft.close().await;
    Ok(())
}
