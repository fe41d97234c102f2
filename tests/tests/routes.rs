//! Routes are declared once, by the handlers' `#[utoipa::path]` annotations, from which each
//! function's router and its part of the OpenAPI document are both made. This checks the two
//! other places that name routes against them: the checked-in document, and the SAM template's
//! HttpApi events, function by function, both ways.

use std::collections::BTreeSet;

use http_body_util::BodyExt;
use serde_json::Value;
use serde_norway::Value as Yaml;
use tower::ServiceExt;
use usher_tests::spawn_app;

const TEMPLATE: &str = include_str!("../../infra/template.yaml");
const DOCUMENT: &str = include_str!("../../openapi.json");

type Routes = BTreeSet<(String, String)>;

/// Each HTTP function's logical id in the template and its routes as the code declares them.
fn functions() -> Vec<(&'static str, Routes)> {
    vec![
        (
            "SessionsFunction",
            routes_of(&usher_sessions::api().into_openapi()),
        ),
        (
            "CreateUserFunction",
            routes_of(&usher_create_user::api().into_openapi()),
        ),
        (
            "UsersFunction",
            routes_of(&usher_users::api().into_openapi()),
        ),
        (
            "TenantsFunction",
            routes_of(&usher_tenants::api().into_openapi()),
        ),
        (
            "TeamsFunction",
            routes_of(&usher_teams::api().into_openapi()),
        ),
        (
            "WebhooksFunction",
            routes_of(&usher_webhooks::api().into_openapi()),
        ),
        ("ScimFunction", routes_of(&usher_scim::api().into_openapi())),
        (
            "PasswordResetFunction",
            routes_of(&usher_password_reset::api().into_openapi()),
        ),
        (
            "SendInvitationFunction",
            routes_of(&usher_send_invitation::api().into_openapi()),
        ),
        (
            "AcceptInvitationFunction",
            routes_of(&usher_accept_invitation::api().into_openapi()),
        ),
    ]
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// (METHOD, path) of every operation in an OpenAPI document.
fn routes_in(doc: &Value) -> Routes {
    let mut routes = Routes::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn routes_of(doc: &utoipa::openapi::OpenApi) -> Routes {
    routes_in(&serde_json::to_value(doc).unwrap())
}

/// (METHOD, path) of every HttpApi event of each function in the template, by logical id.
fn template_routes() -> Vec<(String, Routes)> {
    let template: Yaml = serde_norway::from_str(TEMPLATE).expect("the template is YAML");
    let mut functions = Vec::new();
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        let mut routes = Routes::new();
        if let Some(events) = resource["Properties"]["Events"].as_mapping() {
            for event in events.values() {
                if event["Type"].as_str() != Some("HttpApi") {
                    continue;
                }
                let properties = &event["Properties"];
                routes.insert((
                    properties["Method"]
                        .as_str()
                        .expect("Method")
                        .to_uppercase(),
                    properties["Path"].as_str().expect("Path").to_owned(),
                ));
            }
        }
        if !routes.is_empty() {
            functions.push((id.as_str().expect("a logical id").to_owned(), routes));
        }
    }
    functions
}

#[test]
fn every_route_of_each_function_is_in_the_template_under_that_function_and_nothing_else_is() {
    let template = template_routes();
    for (function, code) in functions() {
        let declared = template
            .iter()
            .find(|(id, _)| id == function)
            .map(|(_, routes)| routes.clone())
            .unwrap_or_default();
        let missing: Vec<_> = code.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{function} serves routes the template does not send it: {missing:?}"
        );
        let extra: Vec<_> = declared.difference(&code).collect();
        assert!(
            extra.is_empty(),
            "the template sends {function} routes its code does not serve: {extra:?}"
        );
    }
    let known: BTreeSet<&str> = functions().iter().map(|(id, _)| *id).collect();
    for (id, routes) in &template {
        assert!(
            known.contains(id.as_str()),
            "the template routes {routes:?} to {id}, which no code serves"
        );
    }
}

#[test]
fn every_route_is_in_the_checked_in_document_and_the_document_has_no_other() {
    let documented = routes_in(&serde_json::from_str(DOCUMENT).unwrap());
    let served: Routes = functions().into_iter().flat_map(|(_, r)| r).collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        unserved.is_empty(),
        "openapi.json names routes nothing serves: {unserved:?}"
    );
}

/// Each function's router answers each of its routes itself, not with the fallback.
#[tokio::test]
async fn each_router_serves_every_route_it_declares() {
    let app = spawn_app().await;
    let routers = [
        usher_sessions::router(app.app.clone()),
        usher_create_user::router(app.app.clone()),
        usher_users::router(app.app.clone()),
        usher_tenants::router(app.app.clone()),
        usher_teams::router(app.app.clone()),
        usher_webhooks::router(app.app.clone()),
        usher_scim::router(app.app.clone()),
        usher_password_reset::router(app.app.clone()),
        usher_send_invitation::router(app.app.clone()),
        usher_accept_invitation::router(app.app.clone()),
    ];
    for ((function, routes), router) in functions().into_iter().zip(routers) {
        for (method, path) in routes {
            let uri = path
                .replace("{tenant_id}", &app.tenant_id.to_string())
                .replace("{user_id}", &app.tenant_id.to_string())
                .replace("{invitation_id}", &app.tenant_id.to_string())
                .replace("{held_id}", &app.tenant_id.to_string())
                .replace("{team_id}", &app.tenant_id.to_string())
                .replace("{webhook_id}", &app.tenant_id.to_string())
                .replace("{scim_token_id}", &app.tenant_id.to_string())
                .replace("{group_id}", &app.tenant_id.to_string())
                .replace("{schema_id}", "unknown")
                .replace("{name}", "unknown")
                .replace("{token}", "unknown");
            let request = http::Request::builder()
                .method(method.as_str())
                .uri(&uri)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let code = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|b| b["code"].as_str().map(str::to_owned));
            assert!(
                status != 405 && !(status == 404 && code.as_deref() == Some("not_found")),
                "{function} does not serve {method} {path}: {status} {code:?}"
            );
        }
    }
}
