use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pretty_assertions::assert_eq;
use stagecraft_engine::{
    BuildProgress, BuildRequest, BuildStepTiming, BuiltImage, DeployEvent, ImageBuilder,
    PreviousImage, RuntimeError, ServiceBuild, StaticBuilds, StaticSite, build_images,
    build_requests,
};
use stagecraft_template::load_template;
use tokio_util::sync::CancellationToken;

use crate::fake::lines;

/// Digests are the service name plus a version the test bumps; builds take `secs` seconds.
#[derive(Debug, Default)]
struct FakeBuilder {
    versions: Mutex<HashMap<String, u32>>,
    secs: HashMap<String, u64>,
    fails: Vec<String>,
    built: Mutex<Vec<String>>,
    /// Tags the engine no longer has.
    gone: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl ImageBuilder for FakeBuilder {
    async fn has_image(&self, tag: &str) -> Result<bool, RuntimeError> {
        Ok(!self.gone.lock().unwrap().iter().any(|t| t == tag))
    }

    async fn remove_image(&self, tag: &str) -> Result<(), RuntimeError> {
        self.gone.lock().unwrap().push(tag.to_owned());
        Ok(())
    }

    async fn inputs_digest(&self, request: &BuildRequest) -> Result<String, RuntimeError> {
        let version = self
            .versions
            .lock()
            .unwrap()
            .get(&request.service)
            .copied()
            .unwrap_or(1);
        Ok(format!(
            "{}{version:0>60}",
            &request.service[..4.min(request.service.len())]
        ))
    }

    async fn build(
        &self,
        request: &BuildRequest,
        progress: BuildProgress,
    ) -> Result<BuiltImage, RuntimeError> {
        self.built.lock().unwrap().push(request.service.clone());
        progress.step("FROM scratch", true);
        tokio::time::sleep(Duration::from_secs(
            *self.secs.get(&request.service).unwrap_or(&1),
        ))
        .await;
        if self.fails.contains(&request.service) {
            return Err(RuntimeError::new(
                "COPY failed: file not found in build context: app.py",
            ));
        }
        progress.step("COPY . /app", false);
        Ok(BuiltImage {
            image_id: format!("sha256:{}", request.service),
            size_bytes: 1_000_000,
            layers: Vec::new(),
            steps: vec![
                BuildStepTiming {
                    instruction: "FROM scratch".into(),
                    millis: 0,
                    cached: true,
                },
                BuildStepTiming {
                    instruction: "COPY . /app".into(),
                    millis: 1000,
                    cached: false,
                },
            ],
        })
    }
}

fn request(service: &str) -> BuildRequest {
    BuildRequest {
        service: service.into(),
        repo: "/src/shop".into(),
        context: service.into(),
        dockerfile: None,
        args: Vec::new(),
        target: None,
        tag: format!("stagecraft/shop/{service}:2"),
        site: None,
    }
}

async fn run(
    builder: &Arc<FakeBuilder>,
    services: &[&str],
    previous: &HashMap<String, Vec<PreviousImage>>,
    parallelism: usize,
) -> (Vec<(String, ServiceBuild)>, Vec<DeployEvent>) {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let results = build_images(
        Arc::clone(builder) as _,
        services.iter().map(|s| request(s)).collect(),
        previous,
        parallelism,
        Arc::new(sender),
        None,
        &CancellationToken::new(),
    )
    .await;
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    (results, events)
}

#[test]
fn the_services_with_a_build_and_the_static_ones_become_requests_tagged_with_the_build() {
    let template = load_template(
        "shop.yaml",
        "environment_templates: [{name: ephemeral}]
services:
- {name: db, image: postgres}
- name: web
  image: shop/web
  has_repo: true
  build: {context: web, dockerfile: Dockerfile.prod, args: [NODE=22], target: runtime}
- name: front
  static: true
  build_base: ./front/
  build_package_install_command: npm ci
  build_command: '  '
  build_output_directory: dist/
workflows: [{name: setup, order_from: [services.all]}]
",
    )
    .value
    .unwrap();
    let statics = StaticBuilds {
        build_image: "node:24",
        envs: &[],
    };
    let requests = build_requests(
        &template,
        Path::new("/src/shop"),
        "shop",
        7,
        "ab12cd34",
        Some(statics),
    );
    assert_eq!(
        requests,
        [
            BuildRequest {
                service: "web".into(),
                repo: "/src/shop".into(),
                context: "web".into(),
                dockerfile: Some("Dockerfile.prod".into()),
                args: vec!["NODE=22".into()],
                target: Some("runtime".into()),
                tag: "stagecraft/shop/web:7-ab12cd34".into(),
                site: None,
            },
            // Its context is `build_base`; a blank command is no command.
            BuildRequest {
                service: "front".into(),
                repo: "/src/shop".into(),
                context: "front".into(),
                dockerfile: None,
                args: Vec::new(),
                target: None,
                tag: "stagecraft/shop/front:7-ab12cd34".into(),
                site: Some(StaticSite {
                    build_image: "node:24".into(),
                    install_command: Some("npm ci".into()),
                    build_command: None,
                    output_directory: "dist".into(),
                }),
            }
        ]
    );
    // Outside an environment a site's variables are not known: it is not built.
    let requests = build_requests(&template, Path::new("/src/shop"), "shop", 7, "x", None);
    assert_eq!(requests.len(), 1);
}

fn previous_of(first: &[(String, ServiceBuild)]) -> HashMap<String, Vec<PreviousImage>> {
    first
        .iter()
        .map(|(service, outcome)| {
            let ServiceBuild::Built { digest, .. } = outcome else {
                panic!("{outcome:?}")
            };
            (
                service.clone(),
                vec![PreviousImage {
                    build: 1,
                    tag: format!("stagecraft/shop/{service}:1"),
                    digest: digest.clone(),
                }],
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_service_reuses_its_image_and_says_why() {
    let builder = Arc::new(FakeBuilder::default());
    let (first, _) = run(&builder, &["web", "api"], &HashMap::new(), 2).await;
    let previous = previous_of(&first);
    builder.versions.lock().unwrap().insert("api".into(), 2);
    builder.built.lock().unwrap().clear();

    let (second, events) = run(&builder, &["web", "api"], &previous, 2).await;

    assert!(matches!(&second[0].1, ServiceBuild::Reused { previous, .. } if previous.build == 1));
    assert!(matches!(&second[1].1, ServiceBuild::Built { .. }));
    assert_eq!(*builder.built.lock().unwrap(), ["api"]);
    assert_eq!(
        lines(&events),
        [
            "build_reused web: unchanged since build 1 (inputs web000000000)",
            "build_started api",
            "build_step api FROM scratch (cached)",
            "build_step api COPY . /app",
            "built api sha256:api",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_service_whose_image_is_gone_is_built_again() {
    let builder = Arc::new(FakeBuilder::default());
    let (first, _) = run(&builder, &["web"], &HashMap::new(), 1).await;
    let previous = previous_of(&first);
    builder
        .gone
        .lock()
        .unwrap()
        .push("stagecraft/shop/web:1".into());
    builder.built.lock().unwrap().clear();

    let (second, _) = run(&builder, &["web"], &previous, 1).await;

    assert!(
        matches!(&second[0].1, ServiceBuild::Built { .. }),
        "{second:?}"
    );
    assert_eq!(*builder.built.lock().unwrap(), ["web"]);
}

#[tokio::test(start_paused = true)]
async fn independent_builds_run_side_by_side_up_to_the_bound() {
    let services = ["a1", "a2", "a3", "a4", "a5", "a6"];
    let builder = Arc::new(FakeBuilder {
        secs: services.iter().map(|s| ((*s).to_owned(), 10)).collect(),
        ..FakeBuilder::default()
    });

    let started = tokio::time::Instant::now();
    let (results, _) = run(&builder, &services, &HashMap::new(), 2).await;

    assert_eq!(
        started.elapsed(),
        Duration::from_secs(30),
        "six 10 s builds, two at a time"
    );
    assert_eq!(
        results.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        services,
        "in request order"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_build_is_reported_and_the_others_go_on() {
    let builder = Arc::new(FakeBuilder {
        fails: vec!["web".into()],
        ..FakeBuilder::default()
    });

    let (results, events) = run(&builder, &["web", "api"], &HashMap::new(), 1).await;

    assert_eq!(
        results[0].1,
        ServiceBuild::Failed {
            error: "COPY failed: file not found in build context: app.py".into()
        }
    );
    assert!(matches!(results[1].1, ServiceBuild::Built { .. }));
    assert!(lines(&events).contains(
        &"build_failed web: COPY failed: file not found in build context: app.py".to_owned()
    ));
}
