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

#[tokio::test]
async fn the_served_document_is_the_checked_in_one() {
    let app = spawn_app().await;
    let served = reqwest::get(app.url("/v1/openapi.json")).await.unwrap();
    assert_eq!(served.headers()["content-type"], "application/json");
    assert_eq!(served.text().await.unwrap(), CHECKED_IN);
}
