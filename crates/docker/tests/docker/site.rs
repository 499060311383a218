//! A static site built by `DockerBuilder` through each way an engine takes a context that
//! the Dockerfile lies outside of (the classic builder's tar, BuildKit with a tar): its
//! output copied into the file server's image, its variables read by its build, and a build
//! that writes no output folder said as such.

use std::sync::Arc;

use stagecraft_docker::{DockerBuilder, DockerEngine, StaticSites};
use stagecraft_engine::{
    BuildProgress, BuildRequest, DeployEvent, EventSink, ImageBuilder, StaticSite,
};

use crate::busybox::unique;

fn docker(args: &[&str]) -> String {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Removes the images by tag, leaving their layers to others.
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

/// The file `path` of the image `tag`, read through a container made and removed.
fn file_of(tag: &str, path: &str) -> String {
    let container = docker(&["create", tag]);
    let copy = tempfile::tempdir().unwrap();
    let target = copy.path().join("file");
    let copied = std::process::Command::new("docker")
        .args([
            "cp",
            &format!("{container}:{path}"),
            target.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    docker(&["rm", &container]);
    assert!(copied.status.success(), "{copied:?}");
    std::fs::read_to_string(target).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_builds_into_the_file_servers_image_on_each_builder() {
    let Some(server) = std::env::var_os("STAGECRAFT_STATIC_SERVER") else {
        panic!(
            "build the file server first: export STAGECRAFT_STATIC_SERVER=$(scripts/static-server.sh)"
        );
    };
    // Told from a program built for this machine, as Stagecraft tells them apart beside it.
    assert!(stagecraft_docker::is_static_program(std::path::Path::new(
        &server
    )));
    assert!(!stagecraft_docker::is_static_program(
        &std::env::current_exe().unwrap()
    ));
    let app = unique("site");
    let base = format!("stagecraft/{app}/base:1");
    let mut images = Images(vec![base.clone()]);
    let context = tempfile::tempdir().unwrap();
    std::fs::copy("/bin/busybox", context.path().join("busybox")).unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    docker(&[
        "build",
        "-q",
        "--label",
        &format!("dev.stagecraft.test={app}"),
        "-t",
        &base,
        context.path().to_str().unwrap(),
    ]);
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("web/src")).unwrap();
    std::fs::write(repo.path().join("web/src/page.html"), "page\n").unwrap();
    let work = tempfile::tempdir().unwrap();
    let sites = StaticSites {
        server: Some(server.into()),
        folder: work.path().to_path_buf(),
    };
    let engine = Arc::new(DockerEngine::from_env());
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let sink: Arc<dyn EventSink> = Arc::new(sender);
    let request = |tag: &str, build: &str| BuildRequest {
        service: "web".into(),
        repo: repo.path().to_path_buf(),
        context: "web".into(),
        dockerfile: None,
        args: vec!["GREETING=hi there".into()],
        target: None,
        tag: tag.to_owned(),
        site: Some(StaticSite {
            build_image: base.clone(),
            install_command: Some("mkdir -p out/docs".into()),
            build_command: Some(build.to_owned()),
            output_directory: "out".into(),
        }),
    };
    let builders = [
        ("classic", DockerBuilder::classic(Arc::clone(&engine))),
        (
            "buildkit",
            DockerBuilder::new(Arc::clone(&engine)).tar_contexts(),
        ),
    ];
    for (kind, builder) in builders {
        let builder = builder.with_static_sites(sites.clone());
        let tag = format!("stagecraft/{app}/web:{kind}");
        images.0.push(tag.clone());
        let build = "cp src/page.html out/docs/ && echo \"$GREETING\" > out/index.html";
        builder
            .build(
                &request(&tag, build),
                BuildProgress::new(Arc::clone(&sink), "web"),
            )
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(file_of(&tag, "/site/index.html"), "hi there\n", "{kind}");
        assert_eq!(file_of(&tag, "/site/docs/page.html"), "page\n", "{kind}");
        // Only the site and the server: not the sources, not the build image's files.
        let files = builder.layer_files(&tag).await.unwrap();
        let paths: Vec<&str> = files
            .iter()
            .flat_map(|layer| layer.files.iter().map(|f| f.path.as_str()))
            .filter(|p| !p.ends_with('/'))
            .collect();
        assert!(
            paths
                .iter()
                .all(|p| p.starts_with("site/") || *p == "stagecraft-static-server"),
            "{kind}: {paths:?}"
        );

        let failing = format!("stagecraft/{app}/web:{kind}-failing");
        images.0.push(failing.clone());
        let error = builder
            .build(
                &BuildRequest {
                    site: request(&failing, "true").site.map(|site| StaticSite {
                        install_command: None,
                        ..site
                    }),
                    ..request(&failing, "true")
                },
                BuildProgress::new(Arc::clone(&sink), "web"),
            )
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the build wrote no folder out (build_output_directory)"),
            "{kind}: {error}"
        );
    }
}
