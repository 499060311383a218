//! A context sent through BuildKit's file-sync session builds the same image as the same
//! context sent as a tar: `.dockerignore` honoured, folders kept, a changed file seen by the
//! next build, and a Dockerfile outside the context found and kept out of the image.

use std::sync::Arc;

use stagecraft_docker::{DockerBuilder, DockerEngine};
use stagecraft_engine::{BuildProgress, BuildRequest, DeployEvent, EventSink, ImageBuilder};

use crate::busybox::unique;

/// Removes the images by tag even when the test fails half-way.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for tag in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "--force", "--no-prune", tag])
                .output();
        }
    }
}

/// What the image holds under /ctx, by running it (independent of our code).
fn files(tag: &str) -> Vec<String> {
    let output = std::process::Command::new("docker")
        .args(["run", "--rm", tag])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_through_the_session_builds_what_a_tar_builds() {
    let repo = tempfile::tempdir().unwrap();
    let ctx = repo.path().join("ctx");
    std::fs::create_dir_all(ctx.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(repo.path().join("docker")).unwrap();
    std::fs::copy("/bin/busybox", ctx.join("busybox")).unwrap();
    std::fs::write(ctx.join("keep.txt"), "one").unwrap();
    std::fs::write(ctx.join("sub/deeper/inner.txt"), "inner").unwrap();
    std::fs::write(ctx.join("sub/noise.log"), "ignored").unwrap();
    std::fs::write(ctx.join(".dockerignore"), "**/*.log\n").unwrap();
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx\n\
         CMD [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox find /ctx -type f ! -name busybox; /bin/busybox cat /ctx/keep.txt\"]\n";
    std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(repo.path().join("docker/Build.Dockerfile"), dockerfile).unwrap();
    let app = unique("ss");
    let request = |tag: &str| BuildRequest {
        service: "svc".into(),
        repo: repo.path().to_path_buf(),
        context: "ctx".into(),
        dockerfile: None,
        args: Vec::new(),
        target: None,
        tag: tag.to_owned(),
        site: None,
    };
    let tags = Images(
        ["session", "tar", "again", "outside"]
            .iter()
            .map(|t| format!("stagecraft/{app}/svc:{t}"))
            .collect(),
    );
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);
    let engine = Arc::new(DockerEngine::from_env());

    let session = DockerBuilder::new(Arc::clone(&engine));
    session
        .build(
            &request(&tags.0[0]),
            BuildProgress::new(Arc::clone(&sink), "svc"),
        )
        .await
        .unwrap();
    assert!(
        !session.sends_tars(),
        "this engine offers sessions: the context must not have gone as a tar"
    );
    let tar = DockerBuilder::new(Arc::clone(&engine)).tar_contexts();
    tar.build(
        &request(&tags.0[1]),
        BuildProgress::new(Arc::clone(&sink), "svc"),
    )
    .await
    .unwrap();

    let through_session = files(&tags.0[0]);
    assert_eq!(through_session, files(&tags.0[1]));
    assert!(
        through_session.contains(&"/ctx/keep.txt".to_owned()),
        "{through_session:?}"
    );
    assert!(through_session.contains(&"/ctx/sub/deeper/inner.txt".to_owned()));
    assert!(
        !through_session.iter().any(|f| f.ends_with(".log")),
        "{through_session:?}"
    );
    assert!(through_session.contains(&"one".to_owned()));

    // The engine keeps what it received for this folder; a changed file must still arrive.
    std::fs::write(ctx.join("keep.txt"), "two").unwrap();
    session
        .build(
            &request(&tags.0[2]),
            BuildProgress::new(Arc::clone(&sink), "svc"),
        )
        .await
        .unwrap();
    let again = files(&tags.0[2]);
    assert!(again.contains(&"two".to_owned()), "{again:?}");
    assert!(!again.contains(&"one".to_owned()), "{again:?}");

    // A Dockerfile beside the context is read from its own folder, and stays out of the
    // image.
    std::fs::remove_file(ctx.join("Dockerfile")).unwrap();
    session
        .build(
            &BuildRequest {
                dockerfile: Some("../docker/Build.Dockerfile".into()),
                ..request(&tags.0[3])
            },
            BuildProgress::new(Arc::clone(&sink), "svc"),
        )
        .await
        .unwrap();
    let outside = files(&tags.0[3]);
    let expected: Vec<String> = again
        .into_iter()
        .filter(|f| f != "/ctx/Dockerfile")
        .collect();
    assert_eq!(outside, expected);
}
