//! The files inside an image's layers, read from the engine's export: two builds of one
//! Dockerfile told apart file by file (a same-size edit, a rename, an addition), which their
//! layers' sizes alone cannot do.

use std::sync::Arc;

use stagecraft_docker::{DockerBuilder, DockerEngine};
use stagecraft_engine::{
    BuildProgress, BuildRequest, DeployEvent, EventSink, FileChanges, ImageBuilder,
};

use crate::busybox::unique;

/// `FROM scratch` and files only: no parent layer shared with another test's images, so
/// removing these never races another build.
const DOCKERFILE: &str = "FROM scratch\nCOPY www /www\nCOPY stamp /stamp\n";

#[tokio::test]
async fn two_builds_are_compared_file_by_file_inside_their_layers() {
    let repo = tempfile::tempdir().unwrap();
    let www = repo.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(repo.path().join("Dockerfile"), DOCKERFILE).unwrap();
    // Contents of this run alone: layers no other image has.
    let app = unique("layers");
    std::fs::write(repo.path().join("stamp"), &app).unwrap();
    std::fs::write(www.join("index.html"), "hello v1\n").unwrap();
    std::fs::write(www.join("old-name.css"), format!("body {{}} /* {app} */\n")).unwrap();
    std::fs::write(www.join("gone.txt"), "bye\n").unwrap();

    let engine = Arc::new(DockerEngine::from_env());
    let builder = DockerBuilder::new(Arc::clone(&engine));
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);
    let request = |tag: &str| BuildRequest {
        service: "web".into(),
        repo: repo.path().to_path_buf(),
        context: ".".into(),
        dockerfile: None,
        args: Vec::new(),
        target: None,
        tag: tag.to_owned(),
        site: None,
    };
    let (first, second) = (
        format!("stagecraft/{app}/web:1"),
        format!("stagecraft/{app}/web:2"),
    );
    builder
        .build(
            &request(&first),
            BuildProgress::new(Arc::clone(&sink), "web"),
        )
        .await
        .unwrap();
    // v2: one byte changed in place (same size), a file renamed, one removed, one added.
    std::fs::write(www.join("index.html"), "hello v2\n").unwrap();
    std::fs::rename(www.join("old-name.css"), www.join("new-name.css")).unwrap();
    std::fs::remove_file(www.join("gone.txt")).unwrap();
    std::fs::write(www.join("new.txt"), "new\n").unwrap();
    builder
        .build(
            &request(&second),
            BuildProgress::new(Arc::clone(&sink), "web"),
        )
        .await
        .unwrap();

    let before = builder.layer_files(&first).await;
    let after = builder.layer_files(&second).await;
    for tag in [&first, &second] {
        builder.remove_image(tag).await.unwrap();
    }
    let (before, after) = (before.unwrap(), after.unwrap());
    let copy = |layers: &[stagecraft_engine::LayerFiles]| {
        layers
            .iter()
            .find(|l| l.instruction.contains("COPY www"))
            .unwrap_or_else(|| panic!("no COPY www layer: {layers:?}"))
            .files
            .clone()
    };
    let changes = FileChanges::between(&copy(&before), &copy(&after));
    assert_eq!(
        changes
            .changed
            .iter()
            .map(|c| (c.path.as_str(), c.before_size, c.after_size))
            .collect::<Vec<_>>(),
        [("www/index.html", 9, 9)]
    );
    assert_eq!(changes.renamed.len(), 1, "{changes:?}");
    assert_eq!(
        (
            changes.renamed[0].from.as_str(),
            changes.renamed[0].to.as_str()
        ),
        ("www/old-name.css", "www/new-name.css")
    );
    assert_eq!(changes.added, ["www/new.txt"]);
    assert_eq!(changes.removed, ["www/gone.txt"]);
    let stamp = |layers: &[stagecraft_engine::LayerFiles]| {
        layers
            .iter()
            .find(|l| l.instruction.contains("COPY stamp"))
            .map(|l| l.files.clone())
            .unwrap()
    };
    assert!(FileChanges::between(&stamp(&before), &stamp(&after)).is_empty());

    let gone = builder.layer_files(&first).await.unwrap_err();
    assert!(gone.message.contains(&first), "{gone:?}");
}
