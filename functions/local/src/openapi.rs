//! The OpenAPI document: every function's routes, from the handlers' annotations, and the
//! webhooks a SaaS app receives.

use usher_core::app::App;
use utoipa_axum::router::OpenApiRouter;

/// Every HTTP function, by its routes: one list for the document and the local router.
pub(crate) const FUNCTIONS: [fn() -> OpenApiRouter<App>; 10] = [
    usher_sessions::api,
    usher_create_user::api,
    usher_users::api,
    usher_tenants::api,
    usher_teams::api,
    usher_webhooks::api,
    usher_scim::api,
    usher_password_reset::api,
    usher_send_invitation::api,
    usher_accept_invitation::api,
];

/// The OpenAPI document of every route, generated from the handlers' annotations.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    for api in FUNCTIONS {
        doc.merge(api().into_openapi());
    }
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("Usher")
        .version("1")
        .description(Some("User onboarding for multi-tenant SaaS: sessions, users, tenants, password reset, invitations. Errors are RFC 9457 problem+json with a stable `code`."))
        .build();
    let scheme = utoipa::openapi::security::SecurityScheme::Http(
        utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .description(Some("A session token from POST /v1/sessions"))
            .build(),
    );
    let operator_key = utoipa::openapi::security::SecurityScheme::Http(
        utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .bearer_format("usher_op_...")
            .description(Some(
                "An operator key (`usher operator-key create`), for the operator's back office",
            ))
            .build(),
    );
    let tenant_key = utoipa::openapi::security::SecurityScheme::Http(
        utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .bearer_format("usher_tk_...")
            .description(Some(
                "A tenant API key (POST /v1/tenants/{tenant_id}/api-keys), for a backend acting in that tenant",
            ))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("tenant_key", tenant_key);
    components.add_security_scheme("bearer", scheme);
    components.add_security_scheme("operator_key", operator_key);
    let scim_token = utoipa::openapi::security::SecurityScheme::Http(
        utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .bearer_format("usher_scim_...")
            .description(Some(
                "A tenant's SCIM token (POST /v1/tenants/{tenant_id}/scim/tokens), for its identity provider",
            ))
            .build(),
    );
    components.add_security_scheme("scim_token", scim_token);
    doc
}

/// The document as it is checked in: pretty JSON with a final newline, with the webhooks a
/// SaaS app receives (OpenAPI 3.1 `webhooks`, which utoipa's model does not have, so they are
/// added to the JSON).
pub fn api_doc_json() -> String {
    #[derive(serde::Serialize)]
    struct WithWebhooks<'a> {
        #[serde(flatten)]
        doc: &'a utoipa::openapi::OpenApi,
        webhooks: serde_json::Value,
    }
    let doc = api_doc();
    let whole = WithWebhooks {
        doc: &doc,
        webhooks: usher_core::usecases::webhooks::catalogue::openapi_webhooks(),
    };
    let mut whole = serde_json::to_value(&whole).unwrap_or_default();
    optional_bodies_said_plainly(&mut whole);
    let mut json =
        serde_json::to_string_pretty(&whole).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// A body a route may go without (`request_body = Option<T>`: an empty body is read as `{}`)
/// is `required: false` with `T`'s schema. utoipa writes it as "`T` or JSON `null`", which no
/// route takes: leaving the body out is how a client says nothing.
fn optional_bodies_said_plainly(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths.values_mut().filter_map(|p| p.as_object_mut()) {
        for body in operation
            .values_mut()
            .filter_map(|o| o.get_mut("requestBody"))
            .filter(|b| b.get("required").is_none())
        {
            body["required"] = false.into();
            let Some(content) = body.get_mut("content").and_then(|c| c.as_object_mut()) else {
                continue;
            };
            for schema in content.values_mut().filter_map(|c| c.get_mut("schema")) {
                let not_null = schema
                    .get("oneOf")
                    .and_then(|o| o.as_array())
                    .filter(|o| o.len() == 2)
                    .and_then(|o| o.iter().find(|s| s.get("type") != Some(&"null".into())))
                    .cloned();
                if let Some(not_null) = not_null {
                    *schema = not_null;
                }
            }
        }
    }
}
