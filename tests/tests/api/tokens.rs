use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_example_protected_api::{Refused, Verifier};
use usher_tests::{GOOD_PASSWORD, TestApp, assert_problem, pyjwt_verify, spawn_app};

fn decode_part(jwt: &str, index: usize) -> Value {
    let part = jwt.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    response.json().await.unwrap()
}

/// A compact JWS of `header` and `claims` with `signature` (bytes), for forging.
fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn an_access_token_says_who_where_and_what_and_verifies_with_the_published_keys() {
    let app = spawn_app().await;
    let (member_id, _, member) = app.member(app.tenant_id, "member", &["users.manage"]).await;
    app.clock_behind_real_time();
    let response = app.mint_token(&member, app.tenant_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    let jwt = body["access_token"].as_str().unwrap();

    let header = decode_part(jwt, 0);
    assert_eq!(header["alg"], "ES256");
    let claims = decode_part(jwt, 1);
    assert_eq!(claims["iss"], app.issuer());
    assert_eq!(claims["aud"], app.issuer());
    assert_eq!(claims["sub"], member_id);
    assert_eq!(claims["tid"], app.tenant_id.to_string());
    assert_eq!(claims["role"], "member");
    assert_eq!(claims["permissions"], json!(["users.manage"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let sessions: Value = app.get_json("/v1/me/sessions", &member).await;
    assert_eq!(claims["sid"], sessions["items"][0]["id"]);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() == 26));

    // The key that signed it is published, with the next one; discovery says where.
    let keys = jwks(&app).await;
    let kids: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "the current and the next key: {keys}");
    assert!(kids.contains(&header["kid"].as_str().unwrap()));
    for key in keys["keys"].as_array().unwrap() {
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "no private part is ever published");
    }
    let discovery = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.headers()["cache-control"], "public, max-age=300");
    let discovery: Value = discovery.json().await.unwrap();
    assert_eq!(discovery["issuer"], app.issuer());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.issuer())
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );

    // Two verifiers not written here agree: PyJWT, and the example service on jsonwebtoken.
    let verdicts = pyjwt_verify(&app.issuer(), &app.issuer(), &[jwt], true).await;
    assert!(verdicts[0].ok, "{verdicts:?}");
    assert_eq!(verdicts[0].claims.as_ref().unwrap()["sub"], member_id);
    let verifier = Verifier::new(&app.issuer(), &app.issuer());
    let verified = verifier.verify(jwt).await.unwrap();
    assert_eq!(verified.sub, member_id);
    assert_eq!(verified.permissions, vec!["users.manage".to_owned()]);
    println!("access token: {} bytes", jwt.len());
}

#[tokio::test]
async fn the_example_service_lets_a_token_in_and_keeps_everything_else_out() {
    let app = spawn_app().await;
    app.clock_behind_real_time();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service = format!("http://{}", listener.local_addr().unwrap());
    let router = usher_example_protected_api::router(Verifier::new(&app.issuer(), &app.issuer()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let jwt = app.access_token(&app.owner_token, app.tenant_id).await;
    let whoami = |token: Option<String>| {
        let mut request = app.http.get(format!("{service}/whoami"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let response = whoami(Some(jwt.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let claims: Value = response.json().await.unwrap();
    assert_eq!(claims["tid"], app.tenant_id.to_string());
    assert_eq!(claims["role"], "owner");
    for refused in [None, Some(app.owner_token.clone()), Some(format!("{jwt}x"))] {
        assert_eq!(
            whoami(refused).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn forged_and_altered_tokens_are_refused_by_both_verifiers() {
    let app = spawn_app().await;
    app.clock_behind_real_time();
    let jwt = app.access_token(&app.owner_token, app.tenant_id).await;
    let header = decode_part(&jwt, 0);
    let claims = decode_part(&jwt, 1);
    let signature = URL_SAFE_NO_PAD
        .decode(jwt.rsplit('.').next().unwrap())
        .unwrap();
    let keys = jwks(&app).await;
    let public_jwk = keys["keys"][0].to_string();

    // `alg: none`, unsigned.
    let none = forge(
        &json!({"alg": "none", "typ": "JWT", "kid": header["kid"]}),
        &claims,
        b"",
    );
    // HS256, keyed with the published public key (the classic confusion attack).
    let hs_header = json!({"alg": "HS256", "typ": "JWT", "kid": header["kid"]});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(hs_header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public_jwk.as_bytes()),
        signing_input.as_bytes(),
    );
    let hs256 = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()));
    // A key id nobody publishes, with a real signature.
    let unknown_kid = forge(
        &json!({"alg": "ES256", "typ": "JWT", "kid": "01NOTAKEY0000000000000000"}),
        &claims,
        &signature,
    );
    // The claims changed (another tenant, the owner role), the signature kept.
    let mut elevated = claims.clone();
    elevated["tid"] = json!("01KAAAAAAAAAAAAAAAAAAAAAAA");
    let altered = forge(&header, &elevated, &signature);
    // One character of the signature changed.
    let mut flipped = jwt.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });

    let forged = [&none, &hs256, &unknown_kid, &altered, &flipped];
    let verdicts = pyjwt_verify(
        &app.issuer(),
        &app.issuer(),
        &forged.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        true,
    )
    .await;
    for (token, verdict) in forged.iter().zip(&verdicts) {
        assert!(!verdict.ok, "PyJWT took {token}: {verdict:?}");
    }
    let verifier = Verifier::new(&app.issuer(), &app.issuer());
    for token in forged {
        assert!(
            verifier.verify(token).await.is_err(),
            "the example took {token}"
        );
    }

    // A real token checked for another audience or issuer is refused too.
    let wrong_audience = pyjwt_verify(&app.issuer(), "https://other.example", &[&jwt], true).await;
    assert_eq!(
        wrong_audience[0].error.as_deref(),
        Some("InvalidAudienceError")
    );
    assert!(matches!(
        Verifier::new(&app.issuer(), "https://other.example")
            .verify(&jwt)
            .await,
        Err(Refused::Invalid(_))
    ));
}

#[tokio::test]
async fn an_expired_token_is_refused_and_no_token_is_minted_from_an_ended_session() {
    let app = spawn_app().await;
    // Minted two hours ago: long expired.
    app.clock.advance(-Duration::hours(2));
    let token = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let old = app.access_token(&token, app.tenant_id).await;
    app.clock.advance(Duration::hours(2));
    let verdicts = pyjwt_verify(&app.issuer(), &app.issuer(), &[&old], true).await;
    assert_eq!(verdicts[0].error.as_deref(), Some("ExpiredSignatureError"));
    assert!(
        Verifier::new(&app.issuer(), &app.issuer())
            .verify(&old)
            .await
            .is_err()
    );

    // Signing out ends the minting.
    let response = app
        .request(
            reqwest::Method::DELETE,
            "/v1/sessions/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.mint_token(&token, app.tenant_id).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn tokens_are_only_for_a_tenant_the_session_may_act_in() {
    let app = spawn_app().await;
    let (other, _, other_owner) = app.new_tenant("Elsewhere").await;
    // Not a member there: the same answer as a tenant that does not exist.
    assert_problem(
        app.mint_token(&app.owner_token, other).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.mint_token(&other_owner, app.tenant_id).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Archived: refused.
    let (mia_id, _, mia) = app.member(app.tenant_id, "member", &[]).await;
    app.archive(&mia_id).await;
    assert_problem(
        app.mint_token(&mia, app.tenant_id).await,
        StatusCode::FORBIDDEN,
        "membership_inactive",
    )
    .await;
    // A temporary password's session may only change it.
    let email = "temp-token@example.org";
    let temporary = app.user_with_generated_password(email).await;
    let temp_session = app.sign_in_token(email, &temporary).await;
    assert_problem(
        app.mint_token(&temp_session, app.tenant_id).await,
        StatusCode::FORBIDDEN,
        "password_change_required",
    )
    .await;
    // An admin ended the member's sessions here: no more tokens from them.
    let (bo_id, _, bo) = app.member(app.tenant_id, "member", &[]).await;
    app.clock.advance(Duration::seconds(1));
    let response = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/tenants/{}/users/{bo_id}/sessions", app.tenant_id),
            Some(&app.owner_token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.mint_token(&bo, app.tenant_id).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // Bad bodies.
    let response = app
        .post(
            "/v1/sessions/current/token",
            Some(&app.owner_token),
            json!({"tenant_id": "not-an-id"}),
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let response = app
        .post(
            "/v1/sessions/current/token",
            Some(&app.owner_token),
            json!({}),
        )
        .await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn keys_rotate_with_overlap_and_verifiers_follow() {
    let app = spawn_app().await;
    // The first key starts signing a rotation period (30 days) and a minute ago...
    app.clock
        .advance(-(Duration::days(30) + Duration::minutes(1)));
    let session = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let first = app.access_token(&session, app.tenant_id).await;
    let ring_then = jwks(&app).await;
    // ...so now the next one signs.
    app.clock.advance(Duration::days(30) + Duration::minutes(1));
    app.clock_behind_real_time();
    let session = app.sign_in_token(&app.owner_email, GOOD_PASSWORD).await;
    let second = app.access_token(&session, app.tenant_id).await;
    let (first_kid, second_kid) = (
        decode_part(&first, 0)["kid"].clone(),
        decode_part(&second, 0)["kid"].clone(),
    );
    assert_ne!(first_kid, second_kid);
    // The key now signing was published a whole period before it signed.
    assert!(
        ring_then["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == second_kid)
    );
    // The ring now holds the previous, the current and a new next key.
    let ring_now = jwks(&app).await;
    let kids: Vec<&Value> = ring_now["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert_eq!(kids.len(), 3);
    assert!(kids.contains(&&first_kid) && kids.contains(&&second_kid));

    // PyJWT takes the new token; the old one is refused only for its age: its signature still
    // checks out with the previous key.
    let verdicts = pyjwt_verify(&app.issuer(), &app.issuer(), &[&second, &first], true).await;
    assert!(verdicts[0].ok, "{verdicts:?}");
    assert_eq!(
        verdicts[0].kid.as_ref(),
        second_kid.as_str().map(str::to_owned).as_ref()
    );
    assert_eq!(verdicts[1].error.as_deref(), Some("ExpiredSignatureError"));
    let unexpired = pyjwt_verify(&app.issuer(), &app.issuer(), &[&first], false).await;
    assert!(unexpired[0].ok, "{unexpired:?}");
}

#[tokio::test]
async fn many_first_tokens_at_once_make_one_keyring() {
    let app = spawn_app().await;
    let mints = (0..12).map(|_| app.access_token(&app.owner_token, app.tenant_id));
    let tokens = futures::future::join_all(mints).await;
    let kids: std::collections::HashSet<String> = tokens
        .iter()
        .map(|t| decode_part(t, 0)["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 1, "one current key");
    assert_eq!(jwks(&app).await["keys"].as_array().unwrap().len(), 2);
}
