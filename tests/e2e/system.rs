use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::driver::{Driver, exclusive_window, free_ports, target_dir};

pub const WAIT: Duration = Duration::from_secs(30);

/// The window opens on Environments; the System screen is one click away.
async fn open_system(client: &Client) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=nav-system]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn text_of(client: &Client, testid: &str) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|error| panic!("no [data-testid={testid}] on screen: {error}"))
        .text()
        .await
        .unwrap()
}

/// The Ingress card gives the hostnames' shape on `port`, and says this app serves it.
async fn serves_ingress_on(client: &Client, port: u16) {
    assert_eq!(
        text_of(client, "ingress-address").await,
        format!("http://<service>-<id>.localhost:{port}")
    );
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid=ingress-status][data-status=serving]",
        ))
        .await
        .unwrap_or_else(|error| panic!("the app serves no ingress on {port}: {error}"));
}

pub async fn save_screenshot(client: &Client, name: &str) -> std::path::PathBuf {
    let png = client.screenshot().await.unwrap();
    let dir = target_dir().join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap();
    path
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn the_system_screen_shows_a_reachable_docker_engine_and_the_schema_version() {
    let _window = exclusive_window().await;
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    // The OS's opener, as the app finds it (first on the PATH): a script that writes down
    // what it was asked to open.
    let bin = tempfile::tempdir().unwrap();
    let opened = bin.path().join("opened");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The app's ingress on a port of the test's own.
    let ingress_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data_dir),
        ("PATH", &path),
        ("STAGECRAFT_INGRESS_PORT", &ingress_port),
    ]);
    let client = driver.launch_app().await;
    open_system(&client).await;

    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid=docker-status][data-state=reachable]",
        ))
        .await
        .expect("the Docker card turns reachable: is dockerd running?");
    let engine = text_of(&client, "docker-engine").await;
    assert!(engine.contains("API 1."), "{engine}");
    assert_eq!(
        text_of(&client, "schema-version").await,
        stagecraft_store::latest_known_version().to_string()
    );
    assert_eq!(text_of(&client, "data-dir").await, data_dir);
    assert!(data.path().join("stagecraft.db").is_file());

    // The app's log: a file of the day in the data folder's `logs`, opened by the OS's opener.
    let log_file = text_of(&client, "log-file").await;
    assert!(
        log_file.starts_with(&format!("{data_dir}/logs/stagecraft.")) && log_file.ends_with(".log"),
        "{log_file}"
    );
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(log.contains("Stagecraft starts"), "{log}");
    client
        .find(Locator::XPath("//button[normalize-space()='Open']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while !opened.is_file() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap_or_default().trim(),
        log_file
    );
    assert_eq!(client.title().await.unwrap(), "Stagecraft");

    // The ingress card: the hostnames' shape on the app's port, served by this app.
    serves_ingress_on(&client, ingress_port.parse().unwrap()).await;

    // The HTTP API card: its address, and a token made through the window, shown once.
    assert_eq!(
        text_of(&client, "api-address").await,
        "http://127.0.0.1:7477/api/v1/"
    );
    client
        .find(Locator::Css("[data-testid=api-token-name]"))
        .await
        .unwrap()
        .send_keys("e2e")
        .await
        .unwrap();
    client
        .find(Locator::Css("[data-testid=api-token-create]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let token = text_of(&client, "api-token-value").await;
    assert!(token.starts_with("stc_"), "{token}");
    let listed = text_of(&client, "api-token").await;
    assert!(
        listed.contains("e2e") && !listed.contains(&token),
        "{listed}"
    );

    let shot = save_screenshot(&client, "system.png").await;
    eprintln!("screenshot: {}", shot.display());
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn the_window_opens_and_explains_when_no_docker_engine_answers() {
    let _window = exclusive_window().await;
    let data = tempfile::tempdir().unwrap();
    let endpoint = "unix:///nonexistent/stagecraft-e2e/docker.sock";
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data.path().to_str().unwrap()),
        ("DOCKER_HOST", endpoint),
    ]);
    let client = driver.launch_app().await;
    open_system(&client).await;

    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-testid=docker-status][data-state=unreachable]",
        ))
        .await
        .expect("the Docker card turns unreachable");
    assert_eq!(text_of(&client, "docker-endpoint").await, endpoint);
    let error = text_of(&client, "docker-error").await;
    assert!(error.contains("does not exist"), "{error}");
    // How to get an engine, on this system (WebKitGTK here: Linux).
    let install = text_of(&client, "docker-install").await;
    assert!(install.contains("On Linux, any of:"), "{install}");
    assert!(install.contains("Podman"), "{install}");
    // The rest of the screen does not wait for Docker.
    assert_eq!(
        text_of(&client, "schema-version").await,
        stagecraft_store::latest_known_version().to_string()
    );

    save_screenshot(&client, "system-docker-unreachable.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn the_window_opens_as_large_as_it_was_left() {
    let _window = exclusive_window().await;
    let data = tempfile::tempdir().unwrap();
    let env = [("STAGECRAFT_DATA_DIR", data.path().to_str().unwrap())];
    {
        let driver = Driver::start(&env);
        let client = driver.launch_app().await;
        text_of(&client, "nav-system").await;
        client.set_window_size(900, 640).await.unwrap();
        // Give the window a moment to report its new size, then close it as a user does.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = client.close_window().await;
        let _ = client.close().await;
    }
    let saved = data.path().join("window-state.json");
    for _ in 0..50 {
        if saved.is_file() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        saved.is_file(),
        "the window's state is kept in the data folder"
    );
    let driver = Driver::start(&env);
    let client = driver.launch_app().await;
    text_of(&client, "nav-system").await;
    let (_, _, width, height) = client.get_window_rect().await.unwrap();
    assert_eq!((width, height), (900, 640));
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn the_ingress_card_saves_its_ports_for_the_ingress_s_next_start() {
    use crate::environments::click;
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The data folder's saved port, as an earlier start of the app left it: the app listens
    // there with no variable telling it to.
    let [first, second] = free_ports();
    {
        std::fs::create_dir_all(&data).unwrap();
        let store = stagecraft_store::Store::open(&data.join(stagecraft_store::DATABASE_FILE))
            .await
            .unwrap();
        stagecraft_store::ingress_setting::set(
            store.pool(),
            stagecraft_store::ingress_setting::IngressSetting {
                port: first,
                https_port: None,
            },
        )
        .await
        .unwrap();
        store.close().await;
    }
    let env = [("STAGECRAFT_DATA_DIR", data.to_str().unwrap())];
    {
        let driver = Driver::start(&env);
        let client = driver.launch_app().await;
        open_system(&client).await;
        serves_ingress_on(&client, first).await;

        // Another port saved: this app's ingress stays where it is until it starts again.
        let field = client
            .find(Locator::Css("[data-testid=ingress-port-input]"))
            .await
            .unwrap();
        field.clear().await.unwrap();
        field.send_keys(&second.to_string()).await.unwrap();
        click(&client, "[data-testid=ingress-ports-save]").await;
        let later = text_of(&client, "ingress-later").await;
        assert!(
            later.contains(&format!("Saved: port {second}, HTTPS off"))
                && later.contains(&format!("stays on port {first}")),
            "{later}"
        );
        save_screenshot(&client, "system-ingress-ports.png").await;
        let _ = client.close_window().await;
        let _ = client.close().await;
    }
    // The app is gone once its ingress's port is free (it serves it until it ends).
    let deadline = std::time::Instant::now() + WAIT;
    while std::net::TcpListener::bind(("127.0.0.1", first)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first app did not end"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The next start listens on the saved port.
    let driver = Driver::start(&env);
    let client = driver.launch_app().await;
    open_system(&client).await;
    serves_ingress_on(&client, second).await;
    assert!(std::net::TcpStream::connect(("127.0.0.1", second)).is_ok());
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/test.sh"]
async fn the_ingress_card_lists_a_hostname_two_environments_claim() {
    use crate::environments::{Cleanup, add_app, app_repo, click, wait_for};
    let _window = exclusive_window().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let [ingress_port] = free_ports();
    let ingress_port = ingress_port.to_string();
    let driver = Driver::start(&[
        ("STAGECRAFT_DATA_DIR", data.to_str().unwrap()),
        ("STAGECRAFT_INGRESS_PORT", &ingress_port),
    ]);
    let client = driver.launch_app().await;

    // Two environments of an app whose `hostnames` has no `${env_id}`: both claim
    // shop.localhost. (Neither is deployed; the cleanup is for a test stopped midway.)
    let app = format!("hc{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let repo = app_repo(dir.path(), &app);
    let template = repo.join(".release/application_template.yaml");
    let text = std::fs::read_to_string(&template).unwrap().replacen(
        "services:\n",
        "hostnames:\n- web: shop.${domain}\nservices:\n",
        1,
    );
    std::fs::write(&template, text).unwrap();
    wait_for(&client, "[data-testid=no-environments]", WAIT).await;
    add_app(&client, &repo).await;
    click(&client, "[data-testid=create-environment]").await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;
    click(&client, "[data-testid=nav-environments]").await;
    click(&client, "[data-testid=new-environment]").await;
    wait_for(
        &client,
        &format!("[data-testid=env-app] option[value={app}]"),
        WAIT,
    )
    .await;
    click(&client, "[data-testid=create-environment]").await;
    wait_for(&client, "[data-testid=deploy][data-stage=setup]", WAIT).await;

    open_system(&client).await;
    let conflict = text_of(&client, "ingress-conflict").await;
    assert!(
        conflict.starts_with("shop.localhost:") && conflict.contains("(web) gets it"),
        "{conflict}"
    );
    assert!(
        text_of(&client, "ingress-conflicts")
            .await
            .contains("${env_id}"),
        "the card says what to write instead"
    );
    // The variable's port, said as such beside the form.
    let note = text_of(&client, "ingress-set-by-env").await;
    assert!(
        note.contains("STAGECRAFT_INGRESS_PORT sets this app's port"),
        "{note}"
    );
    let card = client
        .find(Locator::Css("[data-testid=ingress-conflicts]"))
        .await
        .unwrap();
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![serde_json::to_value(&card).unwrap()],
        )
        .await
        .unwrap();
    save_screenshot(&client, "system-ingress-conflict.png").await;
    client.close().await.unwrap();
}
