//! An empty body is `{}`: `curl -X POST` with no `-d` does an action with its defaults, and a
//! route with required fields names the first one missing. The OpenAPI document says which
//! bodies may be left out, and this file walks it.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use usher_tests::{assert_problem, spawn_app};

const DOCUMENT: &str = include_str!("../../../openapi.json");

/// POST bodies whose schema requires no field, yet a request needs one of several (checked by
/// the use case): the document marks them required all the same.
const ONE_OF_SEVERAL: [(&str, &str); 3] = [
    ("/v1/tenants/{tenant_id}/invitations", "email or emails"),
    (
        "/v1/tenants/{tenant_id}/webhooks/{webhook_id}/replay",
        "event_id or since",
    ),
    ("/v1/webhooks/{webhook_id}/replay", "event_id or since"),
];

/// Routes where no body at all says something `{}` does not: with a Bearer session, the
/// session's account accepts the invitation.
const EMPTY_MEANS_MORE: [&str; 1] = ["/v1/invitations/{token}/accept"];

struct JsonRoute {
    method: reqwest::Method,
    path: String,
    security: Vec<String>,
    /// Whether the route reads a form too (a page posts there).
    takes_forms: bool,
    /// `requestBody.required` in the document.
    body_required: bool,
    /// Whether the body's schema names a required field (or is one of several shapes).
    schema_requires: bool,
}

fn json_routes() -> Vec<JsonRoute> {
    let document: Value = serde_json::from_str(DOCUMENT).unwrap();
    let schemas = &document["components"]["schemas"];
    let resolve = |schema: &Value| -> Value {
        let mut schema = schema.clone();
        while let Some(name) = schema["$ref"].as_str() {
            let name = name.trim_start_matches("#/components/schemas/").to_owned();
            schema = schemas[name].clone();
        }
        schema
    };
    let mut routes = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let body = &operation["requestBody"];
            let Some(schema) = body["content"]["application/json"].get("schema") else {
                continue;
            };
            let schema = resolve(schema);
            let security = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s.as_object().unwrap().keys().cloned())
                .collect();
            routes.push(JsonRoute {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                security,
                takes_forms: body["content"]
                    .get("application/x-www-form-urlencoded")
                    .is_some(),
                body_required: body["required"] == true,
                schema_requires: schema["required"].as_array().is_some_and(|r| !r.is_empty())
                    || schema.get("oneOf").is_some(),
            });
        }
    }
    routes
}

#[test]
fn the_document_lets_a_body_be_left_out_exactly_where_it_has_no_required_field() {
    let routes = json_routes();
    assert!(routes.len() >= 30, "the walk found {} routes", routes.len());
    let mut optional = 0;
    for route in &routes {
        let several = ONE_OF_SEVERAL.iter().any(|(p, _)| *p == route.path);
        let expected = route.schema_requires || several;
        assert_eq!(
            route.body_required, expected,
            "{} {}: requestBody.required should be {expected}",
            route.method, route.path
        );
        optional += usize::from(!expected);
    }
    // The actions of the issue and the partial updates at least.
    assert!(optional >= 10, "{optional} optional bodies");
}

/// The answer to one request: its status, and its problem's code and field.
async fn answer_of(response: Response) -> (StatusCode, Option<String>, Option<String>) {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["code"].as_str().map(str::to_owned),
        body["field"].as_str().map(str::to_owned),
    )
}

#[tokio::test]
async fn every_json_route_reads_an_empty_body_as_an_empty_object() {
    let app = spawn_app().await;
    let (_, operator) = app
        .operator_key(&[
            "tenants.create",
            "tenants.read",
            "tenants.suspend",
            "tenants.admin",
            "webhooks.manage",
        ])
        .await;
    let routes = json_routes();
    for route in &routes {
        // A person's routes in the test's own tenant; the operator's on a tenant that does not
        // exist, so that no answer changes what the next one sees.
        let operator_route = route.security.iter().all(|s| s == "operator_key");
        let tenant = if operator_route {
            ulid::Ulid::new().to_string()
        } else {
            app.tenant_id.to_string()
        };
        let path = route
            .path
            .split('/')
            .map(|segment| match segment {
                "{tenant_id}" => tenant.clone(),
                s if s.starts_with('{') => ulid::Ulid::new().to_string(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let credential = if route.security.is_empty() || route.security == ["".to_owned()] {
            None
        } else if operator_route {
            Some(operator.as_str())
        } else {
            Some(app.owner_token.as_str())
        };
        let send = |content_type: Option<&'static str>, body: &'static str| {
            let mut request = app
                .http
                .request(route.method.clone(), app.url(&path))
                .body(body);
            if let Some(credential) = credential {
                request = request.bearer_auth(credential);
            }
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            async move { answer_of(request.send().await.unwrap()).await }
        };
        let object = send(Some("application/json"), "{}").await;
        let label = format!("{} {}", route.method, route.path);
        assert!(
            object.0 != StatusCode::UNSUPPORTED_MEDIA_TYPE && object.0 != StatusCode::BAD_REQUEST,
            "{label}: {{}} answers {object:?}"
        );
        if route.schema_requires {
            assert_eq!(
                object.0,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{label}: {object:?}"
            );
        }
        let mut variants = vec![
            ("no body, no type", send(None, "").await),
            ("no body, JSON", send(Some("application/json"), "").await),
        ];
        if !route.takes_forms {
            // What `curl -d ''` sends.
            variants.push((
                "no body, form",
                send(Some("application/x-www-form-urlencoded"), "").await,
            ));
        }
        let empty_means_more = EMPTY_MEANS_MORE.contains(&route.path.as_str());
        let expected = if empty_means_more {
            variants[0].1.clone()
        } else {
            object
        };
        for (variant, answer) in variants {
            assert!(
                answer.0 != StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{label} ({variant}): {answer:?}"
            );
            assert_eq!(answer, expected, "{label} ({variant}) answers as {{}} does");
        }
    }
}

#[tokio::test]
async fn an_empty_post_suspends_a_tenant_without_a_reason_and_archives_a_team() {
    let app = spawn_app().await;
    let (_, operator) = app.operator_key(&["tenants.suspend"]).await;
    let (tenant, _, owner) = app.new_tenant("Quiet Harbour").await;
    // As `curl -X POST` sends it: no body, no content type.
    let suspended = app
        .http
        .post(app.url(&format!("/v1/tenants/{tenant}/suspend")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    let suspended: Value = suspended.json().await.unwrap();
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["suspension"]["reason"], Value::Null);
    // Its owner reads that it is suspended, and that no reason was given.
    let seen = app.get_json(&format!("/v1/tenants/{tenant}"), &owner).await;
    assert_eq!(seen["status"], "suspended");
    assert_eq!(seen["suspension"]["reason"], Value::Null);
    // A reason given is still checked.
    let resumed = app
        .http
        .post(app.url(&format!("/v1/tenants/{tenant}/resume")))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::OK);
    let blank = app
        .post(
            &format!("/v1/tenants/{tenant}/suspend"),
            Some(&operator),
            json!({"reason": "  "}),
        )
        .await;
    assert_problem(blank, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;

    let team = app.make_team("Night shift", None, &[]).await;
    let archived = app
        .http
        .post(app.url(&format!(
            "/v1/tenants/{}/teams/{team}/archive",
            app.tenant_id
        )))
        .bearer_auth(&app.owner_token)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), StatusCode::OK);
    let archived: Value = archived.json().await.unwrap();
    assert_eq!(archived["status"], "archived");
}

#[tokio::test]
async fn a_body_that_is_not_empty_still_needs_its_media_type() {
    let app = spawn_app().await;
    let (_, operator) = app.operator_key(&["tenants.suspend"]).await;
    let (tenant, _, owner) = app.new_tenant("Typed Harbour").await;
    let untyped = app
        .http
        .post(app.url(&format!("/v1/tenants/{tenant}/suspend")))
        .bearer_auth(&operator)
        .body(r#"{"reason": "Contract ended"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(
        untyped,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let whitespace = app
        .http
        .post(app.url(&format!("/v1/tenants/{tenant}/suspend")))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body("  ")
        .send()
        .await
        .unwrap();
    assert_problem(whitespace, StatusCode::BAD_REQUEST, "invalid_request").await;
    let tenant_view = app.get_json(&format!("/v1/tenants/{tenant}"), &owner).await;
    assert_eq!(tenant_view["status"], "active", "nothing was suspended");
}
