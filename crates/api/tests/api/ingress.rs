//! The ingress's routes as the store has them, and what the System screen is told of them.

use stagecraft_api::{
    CreateEnvironment, ErrorCode, GivenIngressPorts, IngressClaim, IngressPorts, IngressStatus,
    Stagecraft,
};

use crate::environments::{Fake, ephemeral, open, repo};

#[tokio::test]
async fn a_hostname_two_environments_claim_goes_to_the_older_and_the_view_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::local()).await;
    let repo = repo(dir.path());
    // A pattern without `${env_id}`: every environment of the app claims `shop.localhost`.
    let template = std::fs::read_to_string(repo.join(".release/application_template.yaml"))
        .unwrap()
        .replace(
            "services:\n",
            "hostnames:\n- web: shop.${domain}\nservices:\n",
        );
    std::fs::write(repo.join(".release/application_template.yaml"), template).unwrap();
    stagecraft.add_app(&repo).await.unwrap();
    let first = stagecraft.create_environment(ephemeral()).await.unwrap();
    let view = stagecraft
        .ingress_view(IngressStatus::Serving, None)
        .await
        .unwrap();
    assert!(view.conflicts.is_empty(), "one environment: {view:?}");
    let second = stagecraft
        .create_environment(CreateEnvironment {
            branch: Some("feature/other".into()),
            ..ephemeral()
        })
        .await
        .unwrap();

    let routes = stagecraft.ingress_routes().await.unwrap();
    assert_eq!(
        routes.iter().filter(|r| r.host == "shop.localhost").count(),
        2,
        "{routes:?}"
    );
    let view = stagecraft
        .ingress_view(IngressStatus::Serving, None)
        .await
        .unwrap();
    assert_eq!(view.conflicts.len(), 1, "{view:?}");
    let conflict = &view.conflicts[0];
    assert_eq!(
        (conflict.host.as_str(), conflict.path.as_str()),
        ("shop.localhost", "/")
    );
    let claim = |env_id: &str| IngressClaim {
        env_id: env_id.to_owned(),
        service: "web".to_owned(),
    };
    assert_eq!(conflict.kept, claim(&first.env_id));
    assert_eq!(conflict.dropped, claim(&second.env_id));
}

/// `N` ports nothing listens on now, all different (each held until all are read).
fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap().port())
}

/// A Stagecraft of the same data folder as `stagecraft`, with `given` ports.
async fn given(stagecraft: &Stagecraft, given: GivenIngressPorts) -> Stagecraft {
    Stagecraft::open(stagecraft_api::Settings {
        ingress: given,
        ..stagecraft.settings().clone()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn saved_ports_are_the_ingress_s_from_its_next_start_and_a_variable_wins() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::local()).await;
    let defaults = IngressPorts {
        port: stagecraft_api::DEFAULT_INGRESS_PORT,
        https_port: None,
    };
    assert_eq!(stagecraft.ingress_ports(), defaults);
    let view = stagecraft
        .ingress_view(IngressStatus::Serving, None)
        .await
        .unwrap();
    assert_eq!(
        (view.port, view.https_port, view.saved),
        (7480, None, defaults)
    );
    assert!(view.set_by_env.is_empty(), "{view:?}");

    // This process serves the ingress at the defaults; another port is saved.
    stagecraft
        .ingress_in_use(stagecraft.ingress_ports(), true)
        .await
        .unwrap();
    let [port, https] = free_ports();
    let chosen = IngressPorts {
        port,
        https_port: Some(https),
    };
    assert_eq!(stagecraft.set_ingress_ports(chosen).await.unwrap(), chosen);
    assert_eq!(stagecraft.ingress_ports(), defaults);
    let view = stagecraft
        .ingress_view(IngressStatus::Serving, None)
        .await
        .unwrap();
    assert_eq!((view.port, view.saved), (7480, chosen));
    // A process that opens the folder while the ingress is served names the served ports
    // (a command run now gives its services the URLs that answer).
    let meanwhile = open(dir.path(), Fake::local()).await;
    assert_eq!(meanwhile.ingress_ports(), defaults);

    // Once it stops, the next start has the saved ports, and the environments' URLs name them.
    stagecraft.ingress_stopped().await.unwrap();
    let repo = repo(dir.path());
    let next = open(dir.path(), Fake::local()).await;
    assert_eq!(next.ingress_ports(), chosen);
    next.add_app(&repo).await.unwrap();
    let env = next.create_environment(ephemeral()).await.unwrap();
    let hostnames = next.hostnames(&env.env_id).await.unwrap();
    assert!(
        !hostnames.is_empty()
            && hostnames
                .iter()
                .all(|h| h.url.ends_with(&format!(".localhost:{port}"))),
        "{hostnames:?}"
    );

    // A port a process's surroundings give wins over the folder's, and the view says which.
    let by_env = given(
        &next,
        GivenIngressPorts {
            port: Some(7999),
            https_port: None,
        },
    )
    .await;
    assert_eq!(
        by_env.ingress_ports(),
        IngressPorts {
            port: 7999,
            https_port: Some(https)
        }
    );
    let view = by_env
        .ingress_view(IngressStatus::Serving, None)
        .await
        .unwrap();
    assert_eq!(view.set_by_env, ["STAGECRAFT_INGRESS_PORT"]);
    assert_eq!(view.saved, chosen);
}

#[tokio::test]
async fn a_port_another_program_holds_or_one_port_for_both_is_refused_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::local()).await;
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port();
    let [free] = free_ports();

    let refused = |stagecraft: Stagecraft, ports| async move {
        stagecraft.set_ingress_ports(ports).await.unwrap_err()
    };
    let error = refused(
        stagecraft.clone(),
        IngressPorts {
            port: held,
            https_port: None,
        },
    )
    .await;
    assert_eq!(error.code(), ErrorCode::InvalidRequest);
    assert!(
        error
            .to_string()
            .starts_with("port: another program listens"),
        "{error}"
    );
    let error = refused(
        stagecraft.clone(),
        IngressPorts {
            port: free,
            https_port: Some(free),
        },
    )
    .await;
    assert!(error.to_string().starts_with("httpsPort: "), "{error}");
    // (7480 is the saved port, taken as it is: only the HTTPS port is looked at.)
    let error = refused(
        stagecraft.clone(),
        IngressPorts {
            port: 7480,
            https_port: Some(held),
        },
    )
    .await;
    assert!(
        error.to_string().starts_with("httpsPort: another"),
        "{error}"
    );
    // A variable naming the port does not make it this folder's: its ingress does not hold it.
    let by_env = given(
        &stagecraft,
        GivenIngressPorts {
            port: Some(held),
            https_port: None,
        },
    )
    .await;
    refused(
        by_env.clone(),
        IngressPorts {
            port: held,
            https_port: None,
        },
    )
    .await;
    assert_eq!(
        stagecraft.saved_ingress_ports().await.unwrap(),
        IngressPorts::default(),
        "nothing was saved"
    );

    // The port the folder's ingress serves is taken as it is, by any process of the folder.
    by_env
        .ingress_in_use(by_env.ingress_ports(), true)
        .await
        .unwrap();
    let ports = IngressPorts {
        port: held,
        https_port: None,
    };
    assert_eq!(stagecraft.set_ingress_ports(ports).await.unwrap(), ports);
    assert_eq!(stagecraft.saved_ingress_ports().await.unwrap(), ports);
    drop(holder);
}

#[tokio::test]
async fn a_process_opening_the_folder_takes_the_ports_its_ingress_is_used_at_while_one_lives() {
    let dir = tempfile::tempdir().unwrap();
    let serving = open(dir.path(), Fake::local()).await;
    let [saved] = free_ports();
    let saved = IngressPorts {
        port: saved,
        https_port: None,
    };
    serving.set_ingress_ports(saved).await.unwrap();
    let opened = || async { open(dir.path(), Fake::local()).await.ingress_ports().port };

    // A process that found the ingress served on 9001 and stands by to take it over.
    let standby = given(
        &serving,
        GivenIngressPorts {
            port: Some(9001),
            https_port: None,
        },
    )
    .await;
    standby
        .ingress_in_use(standby.ingress_ports(), false)
        .await
        .unwrap();
    assert_eq!(opened().await, 9001);
    // The one serving it is named first, whoever recorded first.
    serving
        .ingress_in_use(serving.ingress_ports(), true)
        .await
        .unwrap();
    assert_eq!(opened().await, 7480);
    // Closing forgets a process's use; the one standing by still lives.
    serving.close().await;
    assert_eq!(opened().await, 9001);
    standby.ingress_stopped().await.unwrap();
    assert_eq!(opened().await, saved.port);

    // The record of a process that is gone is not believed, and is forgotten.
    let store = stagecraft_store::Store::open(&dir.path().join("data").join("stagecraft.db"))
        .await
        .unwrap();
    stagecraft_store::ingress_setting::record_user(
        store.pool(),
        "a-process-gone",
        stagecraft_store::ingress_setting::IngressSetting {
            port: 9002,
            https_port: None,
        },
        true,
    )
    .await
    .unwrap();
    assert_eq!(opened().await, saved.port);
    assert!(
        stagecraft_store::ingress_setting::users(store.pool())
            .await
            .unwrap()
            .is_empty()
    );
}
