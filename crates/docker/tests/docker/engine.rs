use stagecraft_docker::{DockerEngine, DockerError, EndpointSource};

#[tokio::test]
async fn the_local_engine_answers_with_its_version() {
    let engine = DockerEngine::from_env();

    let info = engine
        .info()
        .await
        .expect("a Docker engine must run for these tests: scripts/test.sh starts one");

    assert_eq!(info.endpoint, engine.endpoint());
    assert!(!info.version.is_empty());
    assert!(info.api_version.starts_with("1."), "{}", info.api_version);
    assert!(!info.os.is_empty() && !info.arch.is_empty());
}

#[tokio::test]
async fn a_missing_socket_is_unreachable_with_the_endpoint_and_what_to_do() {
    let engine = DockerEngine::new("unix:///nonexistent/stagecraft/docker.sock");
    assert_eq!(engine.endpoint_source(), EndpointSource::Explicit);

    let error = engine.info().await.unwrap_err();

    assert!(
        matches!(error, DockerError::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("unix:///nonexistent/stagecraft/docker.sock"),
        "{message}"
    );
    assert!(message.contains("DOCKER_HOST"), "{message}");
}

#[tokio::test]
async fn nothing_listening_on_a_tcp_endpoint_is_unreachable() {
    // Bind then drop a listener so the port is known to be closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let engine = DockerEngine::new(endpoint.clone());

    let error = engine.info().await.unwrap_err();

    assert!(
        matches!(error, DockerError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&endpoint));
}

#[cfg(unix)]
#[tokio::test]
async fn a_failed_connection_is_retried_on_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let engine = DockerEngine::new(format!("unix://{}", socket.display()));
    assert!(engine.info().await.is_err());

    // An engine appears at the endpoint after the first failure: the next call must find it
    // rather than return a cached failure. A proxy to the real engine stands in for it.
    let real = DockerEngine::from_env();
    let real_socket = real
        .endpoint()
        .strip_prefix("unix://")
        .expect("these tests run against a unix socket engine")
        .to_owned();
    std::os::unix::fs::symlink(&real_socket, &socket).unwrap();

    let info = engine.info().await.unwrap();
    assert!(!info.version.is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn the_first_candidate_that_answers_is_used_and_named() {
    use stagecraft_docker::Candidate;
    let dir = tempfile::tempdir().unwrap();
    let real = DockerEngine::from_env();
    let real_socket = real.endpoint().strip_prefix("unix://").unwrap().to_owned();
    let podman = dir.path().join("podman.sock");
    std::os::unix::fs::symlink(&real_socket, &podman).unwrap();
    let engine = DockerEngine::with_candidates(vec![
        Candidate {
            endpoint: format!("unix://{}", dir.path().join("missing.sock").display()),
            source: EndpointSource::PlatformDefault,
        },
        Candidate {
            endpoint: format!("unix://{}", podman.display()),
            source: EndpointSource::Podman,
        },
    ]);

    let info = engine.info().await.unwrap();

    assert_eq!(info.endpoint, format!("unix://{}", podman.display()));
    assert_eq!(engine.endpoint_source(), EndpointSource::Podman);
}

#[tokio::test]
async fn when_no_candidate_answers_the_error_lists_each_one_tried() {
    use stagecraft_docker::Candidate;
    let engine = DockerEngine::with_candidates(vec![
        Candidate {
            endpoint: "unix:///nonexistent/a.sock".into(),
            source: EndpointSource::PlatformDefault,
        },
        Candidate {
            endpoint: "unix:///nonexistent/b.sock".into(),
            source: EndpointSource::Podman,
        },
    ]);

    let error = engine.info().await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "no Docker engine answered; tried unix:///nonexistent/a.sock: the socket /nonexistent/a.sock does not exist; \
         unix:///nonexistent/b.sock: the socket /nonexistent/b.sock does not exist. Start a Docker engine (Docker \
         Desktop; `sudo systemctl start docker`; `colima start`; `podman machine start`), or point DOCKER_HOST at one"
    );
}
