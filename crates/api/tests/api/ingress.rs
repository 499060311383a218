//! The ingress's routes as the store has them, and what the System screen is told of them.

use stagecraft_api::{
    CreateEnvironment, ErrorCode, GivenIngressPorts, IngressClaim, IngressPorts, IngressStatus,
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
    let view = stagecraft.ingress_view(IngressStatus::Serving, None).await;
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
    let view = stagecraft.ingress_view(IngressStatus::Serving, None).await;
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

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn saved_ports_are_the_data_folder_s_from_the_next_start_and_the_environment_s_win() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::local()).await;
    let defaults = IngressPorts {
        port: stagecraft_api::DEFAULT_INGRESS_PORT,
        https_port: None,
    };
    assert_eq!(stagecraft.ingress_ports(), defaults);
    let view = stagecraft.ingress_view(IngressStatus::Serving, None).await;
    assert_eq!(
        (view.port, view.https_port, view.saved),
        (7480, None, defaults)
    );
    assert!(view.set_by_env.is_empty(), "{view:?}");

    let (port, https) = (free_port(), free_port());
    let chosen = IngressPorts {
        port,
        https_port: Some(https),
    };
    assert_eq!(stagecraft.set_ingress_ports(chosen).await.unwrap(), chosen);
    // This process keeps its ports (its ingress listens there, its URLs name them).
    assert_eq!(stagecraft.ingress_ports(), defaults);
    let view = stagecraft.ingress_view(IngressStatus::Serving, None).await;
    assert_eq!((view.port, view.saved), (7480, chosen));

    // The next start has them, and the environments' URLs name the new port.
    let repo = repo(dir.path());
    let next = open(dir.path(), Fake::local()).await;
    assert_eq!(next.ingress_ports(), chosen);
    next.add_app(&repo).await.unwrap();
    let env = next.create_environment(ephemeral()).await.unwrap();
    let hostnames = next.hostnames(&env.env_id).await.unwrap();
    assert!(
        hostnames
            .iter()
            .all(|h| h.url.ends_with(&format!(".localhost:{port}"))),
        "{hostnames:?}"
    );

    // A port a process's surroundings give wins over the saved one, and the view says which.
    let given = stagecraft_api::Stagecraft::open(stagecraft_api::Settings {
        ingress: GivenIngressPorts {
            port: Some(7999),
            https_port: None,
        },
        ..next.settings().clone()
    })
    .await
    .unwrap();
    assert_eq!(
        given.ingress_ports(),
        IngressPorts {
            port: 7999,
            https_port: Some(https)
        }
    );
    let view = given.ingress_view(IngressStatus::Serving, None).await;
    assert_eq!(view.set_by_env, ["STAGECRAFT_INGRESS_PORT"]);
    assert_eq!(view.saved, chosen);
}

#[tokio::test]
async fn a_port_another_program_holds_or_one_port_for_both_is_refused_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let stagecraft = open(dir.path(), Fake::local()).await;
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port();

    let refused = |ports| {
        let stagecraft = stagecraft.clone();
        async move { stagecraft.set_ingress_ports(ports).await.unwrap_err() }
    };
    let error = refused(IngressPorts {
        port: held,
        https_port: None,
    })
    .await;
    assert_eq!(error.code(), ErrorCode::InvalidRequest);
    assert!(
        error
            .to_string()
            .starts_with("port: another program listens"),
        "{error}"
    );
    let free = free_port();
    let error = refused(IngressPorts {
        port: free,
        https_port: Some(free),
    })
    .await;
    assert!(error.to_string().starts_with("httpsPort: "), "{error}");
    let error = refused(IngressPorts {
        port: free,
        https_port: Some(held),
    })
    .await;
    assert!(
        error.to_string().starts_with("httpsPort: another"),
        "{error}"
    );
    assert_eq!(
        stagecraft.saved_ingress_ports().await.unwrap(),
        IngressPorts::default(),
        "nothing was saved"
    );
    // A process's own port is taken as it is: its ingress is what holds it.
    let own = stagecraft_api::Stagecraft::open(stagecraft_api::Settings {
        ingress: GivenIngressPorts {
            port: Some(held),
            https_port: None,
        },
        ..stagecraft.settings().clone()
    })
    .await
    .unwrap();
    let ports = IngressPorts {
        port: held,
        https_port: None,
    };
    assert_eq!(own.set_ingress_ports(ports).await.unwrap(), ports);
    assert_eq!(stagecraft.saved_ingress_ports().await.unwrap(), ports);
    drop(holder);
}
