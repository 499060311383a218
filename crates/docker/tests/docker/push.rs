//! Pushing built images to a real registry: Distribution's `registry` (Debian's
//! docker-registry, unpacked by `scripts/setup.sh --for-tests`) started on 127.0.0.1 by each
//! test. The engine may push to 127.0.0.0/8 over plain HTTP without being told to.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stagecraft_docker::{DockerEngine, DockerPusher};
use stagecraft_engine::{DeployEvent, ImagePusher as _, TaskProgress};

use crate::busybox::{build_busybox, unique};

/// A bcrypt hash of `push-secret`, as `htpasswd -B` writes it.
const HTPASSWD: &str = "pusher:$2b$05$MoVg4uXb4jAN3deKhCexqu/MucBjK8r/LI7CKLYbHfOwahmgnFMNi\n";
const BASIC_AUTH: &str = "cHVzaGVyOnB1c2gtc2VjcmV0"; // base64("pusher:push-secret")

fn registry_binary() -> PathBuf {
    let binary = std::env::var_os("STAGECRAFT_TEST_REGISTRY").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/tools/registry/usr/bin/docker-registry")
        },
        PathBuf::from,
    );
    assert!(
        binary.exists(),
        "no registry binary at {}: run scripts/setup.sh --for-tests (or set STAGECRAFT_TEST_REGISTRY)",
        binary.display()
    );
    binary
}

/// A registry of its own on 127.0.0.1, gone when dropped.
struct Registry {
    port: u16,
    process: std::process::Child,
    dir: tempfile::TempDir,
}

impl Registry {
    async fn start(with_password: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if with_password {
            std::fs::write(dir.path().join("htpasswd"), HTPASSWD).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: stagecraft-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let process = std::process::Command::new(registry_binary())
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let registry = Self { port, process, dir };
        let started = Instant::now();
        while registry.get("/v2/", true).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the registry did not answer within 20 s: {}",
                registry.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        registry
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `GET path` as the registry's HTTP API answers it: (status, body).
    fn get(&self, path: &str, authorised: bool) -> std::io::Result<(u16, String)> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let auth = if authorised {
            format!("Authorization: Basic {BASIC_AUTH}\r\n")
        } else {
            String::new()
        };
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\
             Accept: application/vnd.docker.distribution.manifest.v2+json\r\n{auth}\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not HTTP: {response}")))?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn progress() -> (
    TaskProgress,
    tokio::sync::mpsc::UnboundedReceiver<DeployEvent>,
) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    (TaskProgress::new(Arc::new(sender), 1, "web"), receiver)
}

fn reasons(receiver: &mut tokio::sync::mpsc::UnboundedReceiver<DeployEvent>) -> Vec<String> {
    let mut reasons = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        if let DeployEvent::TaskWaiting { reason, .. } = event {
            reasons.push(reason);
        }
    }
    reasons
}

/// Removes the test's image, but not the layers under it: a build of another test running
/// now may be using them from the cache.
async fn remove(docker: &bollard::Docker, image: &str) {
    let options = bollard::query_parameters::RemoveImageOptions {
        noprune: true,
        ..Default::default()
    };
    docker
        .remove_image(image, Some(options), None)
        .await
        .unwrap();
}

async fn image_id(docker: &bollard::Docker, image: &str) -> String {
    docker.inspect_image(image).await.unwrap().id.unwrap()
}

#[tokio::test]
async fn a_built_image_is_pushed_under_a_tag_made_from_its_content() {
    let registry = Registry::start(false).await;
    let engine = Arc::new(DockerEngine::from_env());
    let docker = engine.client().await.unwrap().clone();
    let image = format!("stagecraft/{}/web:1", unique("push"));
    build_busybox(&docker, &image).await;
    let pusher = DockerPusher::new(Arc::clone(&engine))
        .with_config(registry.dir.path().join("no-docker-config.json"));
    let repository = format!("{}/team/shop-web", registry.host());
    let (progress, mut events) = progress();

    let reference = pusher.push(&image, &repository, &progress).await.unwrap();

    let id = image_id(&docker, &image).await;
    let tag = &id.trim_start_matches("sha256:")[..12];
    assert_eq!(reference, format!("{repository}:{tag}"));
    let (status, tags) = registry.get("/v2/team/shop-web/tags/list", false).unwrap();
    assert_eq!(status, 200, "{tags}");
    assert!(tags.contains(&format!("\"{tag}\"")), "{tags}");
    let (status, manifest) = registry
        .get(&format!("/v2/team/shop-web/manifests/{tag}"), false)
        .unwrap();
    assert_eq!(status, 200, "{manifest}");
    let said = reasons(&mut events);
    assert_eq!(said.first(), Some(&format!("pushing {reference}")));
    assert!(
        said.last().is_some_and(|r| r.ends_with("2 of 2 layers")),
        "{said:?}"
    );
    // The name it was pushed under is not left on this machine's engine.
    assert!(docker.inspect_image(&reference).await.is_err());
    assert!(docker.inspect_image(&image).await.is_ok());

    // Pushing it again changes nothing and gives the same reference.
    let again = pusher.push(&image, &repository, &progress).await.unwrap();
    assert_eq!(again, reference);
    assert!(
        reasons(&mut events)
            .iter()
            .any(|r| r.ends_with("2 of 2 layers")),
        "layers the registry has count as pushed"
    );

    remove(&docker, &image).await;
}

#[tokio::test]
async fn a_registry_that_wants_a_password_gets_the_one_docker_login_stored() {
    let registry = Registry::start(true).await;
    let engine = Arc::new(DockerEngine::from_env());
    let docker = engine.client().await.unwrap().clone();
    let image = format!("stagecraft/{}/api:1", unique("push"));
    build_busybox(&docker, &image).await;
    let repository = format!("{}/shop-api", registry.host());
    let (progress, _events) = progress();

    // Nobody logged in: the error says who refused and what to do.
    let config = registry.dir.path().join("config.json");
    std::fs::write(&config, "{\"auths\": {}}").unwrap();
    let pusher = DockerPusher::new(Arc::clone(&engine)).with_config(config.clone());
    let error = pusher
        .push(&image, &repository, &progress)
        .await
        .unwrap_err();
    assert!(
        error
            .message
            .contains(&format!("docker login {}", registry.host())),
        "{error}"
    );
    assert!(!error.transient, "{error}");
    assert_eq!(
        registry.get("/v2/shop-api/tags/list", true).unwrap().0,
        404,
        "nothing was pushed"
    );

    // As `docker login 127.0.0.1:<port>` leaves it.
    std::fs::write(
        &config,
        format!(
            "{{\"auths\": {{\"{}\": {{\"auth\": \"{BASIC_AUTH}\"}}}}}}",
            registry.host()
        ),
    )
    .unwrap();
    let reference = pusher.push(&image, &repository, &progress).await.unwrap();
    let tag = reference.rsplit(':').next().unwrap();
    let (status, tags) = registry.get("/v2/shop-api/tags/list", true).unwrap();
    assert_eq!(status, 200, "{tags}");
    assert!(tags.contains(tag), "{tags}");
    assert_eq!(
        registry.get("/v2/shop-api/tags/list", false).unwrap().0,
        401,
        "the registry does check passwords"
    );

    remove(&docker, &image).await;
}

#[tokio::test]
async fn a_registry_nobody_listens_on_is_worth_another_attempt() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let engine = Arc::new(DockerEngine::from_env());
    let docker = engine.client().await.unwrap().clone();
    let image = format!("stagecraft/{}/worker:1", unique("push"));
    build_busybox(&docker, &image).await;
    let dir = tempfile::tempdir().unwrap();
    let pusher = DockerPusher::new(Arc::clone(&engine)).with_config(dir.path().join("config.json"));
    let (progress, _events) = progress();
    let error = pusher
        .push(&image, &format!("127.0.0.1:{port}/worker"), &progress)
        .await
        .unwrap_err();
    assert!(error.message.contains("connection refused"), "{error}");
    assert!(error.transient, "{error}");
    remove(&docker, &image).await;
}

#[tokio::test]
async fn two_pushes_of_one_image_at_once_both_succeed_and_leave_no_tag_behind() {
    let registry = Registry::start(false).await;
    let engine = Arc::new(DockerEngine::from_env());
    let docker = engine.client().await.unwrap().clone();
    let image = format!("stagecraft/{}/web:2", unique("push"));
    build_busybox(&docker, &image).await;
    let pusher =
        DockerPusher::new(Arc::clone(&engine)).with_config(registry.dir.path().join("none.json"));
    let repository = format!("{}/shop-web", registry.host());
    let (progress, _events) = progress();

    // Two environments of the app deployed at once push the same image.
    let (first, second) = tokio::join!(
        pusher.push(&image, &repository, &progress),
        pusher.push(&image, &repository, &progress)
    );

    assert_eq!(first.unwrap(), second.unwrap());
    let (status, tags) = registry.get("/v2/shop-web/tags/list", false).unwrap();
    assert_eq!(status, 200, "{tags}");
    let listed = docker
        .list_images(None::<bollard::query_parameters::ListImagesOptions>)
        .await
        .unwrap();
    assert!(
        !listed
            .iter()
            .flat_map(|i| &i.repo_tags)
            .any(|t| t.starts_with(&repository)),
        "the pushed name is left on the engine"
    );
    remove(&docker, &image).await;
}

#[tokio::test]
async fn the_login_a_cluster_pulls_with_holds_only_the_registrys_entry() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        format!(
            "{{\"auths\": {{\"127.0.0.1:5999\": {{\"auth\": \"{BASIC_AUTH}\"}}, \
             \"other.example.com\": {{\"auth\": \"b3RoZXI6c2VjcmV0\"}}, \
             \"tokens.example.com\": {{\"identitytoken\": \"opaque\"}}}}}}"
        ),
    )
    .unwrap();
    let pusher = DockerPusher::new(Arc::new(DockerEngine::from_env())).with_config(config);

    let login = pusher
        .pull_login("127.0.0.1:5999/team/shop-web")
        .await
        .unwrap()
        .expect("a login");
    let login: serde_json::Value = serde_json::from_str(&login).unwrap();
    assert_eq!(
        login,
        serde_json::json!({"auths": {"127.0.0.1:5999": {
            "username": "pusher", "password": "push-secret", "auth": BASIC_AUTH}}})
    );
    assert_eq!(
        pusher.pull_login("nobody.example.com/x").await.unwrap(),
        None
    );
    let token = pusher
        .pull_login("tokens.example.com/team")
        .await
        .unwrap_err();
    assert!(token.message.contains("identity token"), "{token}");
}
