//! The ingress's routes as the store has them, and what the System screen is told of them.

use stagecraft_api::{CreateEnvironment, IngressClaim, IngressStatus};

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
