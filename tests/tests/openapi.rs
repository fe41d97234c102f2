//! The checked-in OpenAPI document is the one the code generates, and it is what is served.

use usher_tests::spawn_app;

const CHECKED_IN: &str = include_str!("../../openapi.json");

#[test]
fn the_checked_in_document_matches_the_code() {
    let generated = usher_local::api_doc_json();
    assert!(
        generated == CHECKED_IN,
        "openapi.json is stale: run `cargo run -p usher-local -- openapi > openapi.json` and commit it"
    );
}

#[test]
fn the_document_names_every_route() {
    let doc: serde_json::Value = serde_json::from_str(CHECKED_IN).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/sessions", "post"),
        ("/v1/sessions/current", "delete"),
        ("/v1/me", "get"),
        ("/v1/me/password", "put"),
        ("/v1/tenants/{tenant_id}", "get"),
        ("/v1/tenants/{tenant_id}/settings", "patch"),
        ("/v1/tenants/{tenant_id}/users", "get"),
        ("/v1/tenants/{tenant_id}/users", "post"),
        ("/v1/tenants/{tenant_id}/users/{user_id}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing"
        );
    }
}

#[tokio::test]
async fn the_served_document_is_the_checked_in_one() {
    let app = spawn_app().await;
    let served = reqwest::get(app.url("/v1/openapi.json")).await.unwrap();
    assert_eq!(served.headers()["content-type"], "application/json");
    assert_eq!(served.text().await.unwrap(), CHECKED_IN);
}
