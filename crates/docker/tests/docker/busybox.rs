use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use stagecraft_docker::DockerEngine;

const BUSYBOX: &str = "/bin/busybox";

const DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/sh", "-c", "echo hello from $GREETER; echo to stderr >&2"]
"#;

/// A build context holding the Dockerfile and Debian's static busybox binary.
fn busybox_context() -> Vec<u8> {
    let busybox = std::fs::read(BUSYBOX)
        .expect("busybox-static must be installed (apt-get install busybox-static)");
    let mut archive = tar::Builder::new(Vec::new());
    for (name, bytes, mode) in [
        ("Dockerfile", DOCKERFILE.as_bytes(), 0o644),
        ("busybox", busybox.as_slice(), 0o755),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        archive.append_data(&mut header, name, bytes).unwrap();
    }
    archive.into_inner().unwrap()
}

#[tokio::test]
async fn a_scratch_busybox_image_builds_runs_logs_and_is_removed() {
    let engine = DockerEngine::from_env();
    let docker = engine.client().await.unwrap();
    let unique = format!("{}-{}", std::process::id(), rand_suffix());
    let tag = format!("stagecraft-test/busybox:{unique}");
    let name = format!("stagecraft-test-busybox-{unique}");

    // Labelled with its tag, so its last layer is its own: without it, the image would be the
    // engine's cached last step, the very image other tests' builds (labelled) take as their
    // parent, and removing it below would pull it from under a build running now ("unknown
    // parent image ID").
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(&tag)
        .labels(&[("dev.stagecraft.test".to_owned(), tag.clone())].into())
        .rm(true)
        .forcerm(true)
        .build();
    let mut build = docker.build_image(
        options,
        None,
        Some(bollard::body_full(busybox_context().into())),
    );
    let mut output = String::new();
    while let Some(step) = build.next().await {
        let step = step.unwrap();
        // A failed build arrives as an error in the stream, not as an Err.
        assert!(
            step.error_detail.is_none(),
            "build failed: {:?}\n{output}",
            step.error_detail
        );
        output.push_str(step.stream.as_deref().unwrap_or_default());
    }
    assert!(output.contains("Successfully tagged"), "{output}");

    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            ContainerCreateBody {
                image: Some(tag.clone()),
                env: Some(vec!["GREETER=busybox".into()]),
                labels: Some([("dev.stagecraft.test".to_owned(), "busybox".to_owned())].into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker.start_container(&name, None).await.unwrap();
    let exits: Vec<_> = docker.wait_container(&name, None).collect().await;
    let exit = exits.last().unwrap().as_ref().unwrap();
    assert_eq!(exit.status_code, 0);

    let logs: Vec<String> = docker
        .logs(
            &name,
            Some(
                LogsOptionsBuilder::default()
                    .stdout(true)
                    .stderr(true)
                    .build(),
            ),
        )
        .map(|chunk| chunk.unwrap().to_string())
        .collect()
        .await;
    let logs = logs.concat();
    assert!(logs.contains("hello from busybox"), "{logs}");
    assert!(logs.contains("to stderr"), "{logs}");

    docker
        .remove_container(
            &name,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .unwrap();
    docker
        .remove_image(
            &tag,
            // The layers under it stay: another test's build may be using them right now.
            Some(
                RemoveImageOptionsBuilder::default()
                    .force(true)
                    .noprune(true)
                    .build(),
            ),
            None,
        )
        .await
        .unwrap();
    assert!(docker.inspect_container(&name, None).await.is_err());
    assert!(docker.inspect_image(&tag).await.is_err());
}

/// Builds the busybox image as `tag` (reusing the engine's cache for its layers), labelled
/// with the tag so that its ID is its own: removing it never removes another test's image.
pub async fn build_busybox(docker: &bollard::Docker, tag: &str) {
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .labels(&[("dev.stagecraft.test".to_owned(), tag.to_owned())].into())
        .rm(true)
        .forcerm(true)
        .build();
    let mut build = docker.build_image(
        options,
        None,
        Some(bollard::body_full(busybox_context().into())),
    );
    while let Some(step) = build.next().await {
        let step = step.unwrap();
        assert!(step.error_detail.is_none(), "build failed: {step:?}");
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A name no other test run uses: `prefix`, the process id and the time.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}{:x}",
        std::process::id(),
        rand_suffix() % 0xffff_ffff
    )
}
