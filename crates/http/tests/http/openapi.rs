//! The OpenAPI document checked in (`crates/http/openapi.json`) is the one the handlers make:
//! a change to the API shows in review as a change to that file. `STAGECRAFT_BLESS=1` writes it.

use std::path::PathBuf;

#[test]
fn the_checked_in_openapi_document_is_the_one_the_code_makes() {
    let made = stagecraft_http::openapi().to_pretty_json().unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("STAGECRAFT_BLESS").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == made,
        "{} differs from what the handlers declare: run `STAGECRAFT_BLESS=1 cargo test -p \
         stagecraft-http --test http openapi` and review the change",
        path.display()
    );
    let document: serde_json::Value = serde_json::from_str(&made).unwrap();
    for path in [
        "/api/v1/environments",
        "/api/v1/environments/{id}",
        "/api/v1/environments/{id}/setup",
        "/api/v1/environments/{id}/patch",
        "/api/v1/apps/{app}/environments",
        "/api/v1/deploys/{id}",
    ] {
        assert!(
            document["paths"].get(path).is_some(),
            "{path} is not documented"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["token"]["name"],
        "X-User-Token"
    );
}
