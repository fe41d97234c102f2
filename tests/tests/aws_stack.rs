//! The whole slice on the AWS adapters: the API on DynamoDB Local, mail from the table's outbox
//! through the SES adapter to the local SES server.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use usher_core::mail::{Mailer, Sender, SesMailer};
use usher_tests::{
    Backend, GOOD_PASSWORD, assert_problem, ses_client, ses_endpoint, spawn_app_on, spawn_app_with,
};

#[tokio::test]
async fn users_are_created_on_dynamodb_and_their_mail_goes_out_through_ses() {
    let ses: Arc<dyn Mailer> = Arc::new(SesMailer::new(
        ses_client(),
        Sender::parse("no-reply@usher.example").unwrap(),
        None,
    ));
    let app = spawn_app_with(Backend::Dynamo, Some(ses)).await;
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let mut emails = Vec::new();
    for mode in [
        json!({"mode": "generate"}),
        json!({"mode": "set", "value": GOOD_PASSWORD}),
        json!({"mode": "link"}),
    ] {
        let email = format!("{}-{suffix}@example.org", mode["mode"].as_str().unwrap());
        let response = app
            .create_user(
                app.tenant_id,
                &app.owner_token,
                json!({"email": email, "first_name": "Ada", "last_name": "Lovelace",
                "role": "member", "password": mode, "send_credentials": true}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        emails.push(email);
    }
    assert_eq!(
        app.sign_in(&emails[1], GOOD_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let again = app
        .create_user(
            app.tenant_id,
            &app.owner_token,
            json!({"email": emails[0], "first_name": "A", "last_name": "B",
            "role": "member", "password": {"mode": "generate"}}),
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "already_member").await;

    // The three mails, and the webhook events of the changes.
    app.dispatch_all_pending().await;
    let store: Value = reqwest::get(format!("{}/store", ses_endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let via_ses = store["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["destination"]["to"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| emails.iter().any(|m| t == m.as_str()))
        })
        .count();
    assert_eq!(via_ses, 3, "each of the three mails went out through SES");
    assert!(
        app.mailer.list().await.is_empty(),
        "nothing went to the local files"
    );
    assert!(app.outbox_items().await.is_empty());
}

#[tokio::test]
async fn concurrent_creations_on_dynamodb_make_one_account() {
    let app = spawn_app_on(Backend::Dynamo).await;
    let body = json!({"email": "race@example.org", "first_name": "R", "last_name": "C", "role": "member", "password": {"mode": "link"}});
    let attempts = (0..8).map(|_| app.create_user(app.tenant_id, &app.owner_token, body.clone()));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

/// The round-trip pins count calls to the `Table` port; on DynamoDB each call must be exactly one
/// HTTP request (no hidden paging, no unprocessed-key loops), so the pins are DynamoDB's cost.
#[tokio::test]
async fn each_table_call_is_one_request_to_dynamodb() {
    // No outbox mail in these calls, so the worker sends nothing; but its five-second tick makes
    // an idle query on the same client, which a measurement may catch (it is then taken again).
    let app = spawn_app_on(Backend::Dynamo).await;
    let tenant = app.tenant_id;
    let token = app.owner_token.clone();
    let mut checked = 0;
    for (name, path) in [
        ("GET /v1/me", "/v1/me".to_owned()),
        ("GET tenant", format!("/v1/tenants/{tenant}")),
        ("GET users", format!("/v1/tenants/{tenant}/users")),
    ] {
        // Retry the measurement if the outbox worker's 5-second tick landed inside it.
        for _ in 0..5 {
            app.counter.take();
            app.sdk_requests.take();
            let response = app.get(&path, &token).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let (port, sdk) = (app.counter.take(), app.sdk_requests.take());
            if sdk == port {
                checked += 1;
                break;
            }
            assert!(sdk > port, "{name}: {sdk} requests for {port} table calls");
        }
    }
    app.counter.take();
    app.sdk_requests.take();
    let response = app.sign_in(&app.owner_email, GOOD_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (port, sdk) = (app.counter.take(), app.sdk_requests.take());
    assert!(
        sdk == port || sdk == port + 1,
        "sign-in: {sdk} requests for {port} table calls"
    );
    assert_eq!(checked, 3);
}

/// An invitation's life on DynamoDB Local: sent, listed newest first, accepted once by many at
/// once, and two sends for one address at once make one invitation.
#[tokio::test]
async fn invitations_work_once_on_dynamodb() {
    let app = spawn_app_on(Backend::Dynamo).await;
    let (a, b) = tokio::join!(
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "dyn-invitee@example.org"})
        ),
        app.invite(
            app.tenant_id,
            &app.owner_token,
            json!({"email": "DYN-invitee@example.org"})
        ),
    );
    let mut statuses = [a.status(), b.status()];
    // The mail goes to the address as the winner typed it.
    let invited = if a.status() == StatusCode::CREATED {
        "dyn-invitee@example.org"
    } else {
        "DYN-invitee@example.org"
    };
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let token = app.invitation_token_for(invited).await;
    let listed: Value = app
        .get_json(
            &format!("/v1/tenants/{}/invitations?status=pending", app.tenant_id),
            &app.owner_token,
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let attempts = (0..20).map(|_| app.accept_as_new(&token));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::GONE, StatusCode::CONFLICT].contains(s)),
        "{statuses:?}"
    );
    let members = app
        .partition(&usher_core::keys::tenant_pk(app.tenant_id))
        .await
        .iter()
        .filter(|i| {
            i["sk"]
                .as_str()
                .unwrap()
                .starts_with(usher_core::keys::MEMBER_PREFIX)
        })
        .count();
    assert_eq!(members, 2, "the owner and the one invitee");
    assert_eq!(
        app.sign_in("dyn-invitee@example.org", GOOD_PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
}

/// The SDK's HTTPS client (rustls on ring, the one every Lambda uses) on the wire: DynamoDB Local
/// behind a TLS endpoint with a certificate for `localhost` from the suite's own CA. Trusting that
/// CA, the adapter creates a table, writes and reads through TLS; with the system's roots alone,
/// the same endpoint is refused, so the certificate is checked.
#[tokio::test]
async fn the_aws_clients_speak_tls_through_rustls_on_ring() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use usher_core::table::{DynamoTable, Key, Op, Table};

    let ca_pem = include_bytes!("../tls/ca-cert.pem");
    let cert_pem = include_bytes!("../tls/localhost-cert.pem");
    let key_pem = include_bytes!("../tls/localhost-key.pem");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_pem).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let upstream = usher_tests::dynamodb_endpoint()
        .trim_start_matches("http://")
        .to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, upstream, counted) =
                (acceptor.clone(), upstream.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut plain = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });

    let client = |http| {
        let config = aws_sdk_dynamodb::Config::builder()
            .http_client(http)
            .behavior_version_latest()
            .endpoint_url(format!("https://localhost:{port}"))
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "tls-test",
            ))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    };
    let name = format!("usher-tls-{}", ulid::Ulid::new());
    let trusting = usher_core::aws::https_client_trusting(ca_pem).unwrap();
    let table = DynamoTable::new(client(trusting), &name);
    table.create_table().await.unwrap();
    let mut item = serde_json::Map::new();
    item.insert("pk".into(), json!("TLS"));
    item.insert("sk".into(), json!("1"));
    item.insert("note".into(), json!("over TLS"));
    table.transact(vec![Op::put(item)]).await.unwrap();
    let read = table.get(&Key::new("TLS", "1")).await.unwrap().unwrap();
    assert_eq!(read["note"], "over TLS");
    assert!(handshakes.load(std::sync::atomic::Ordering::SeqCst) >= 1);

    let untrusting = DynamoTable::new(client(usher_core::aws::https_client()), &name);
    let refused = untrusting
        .get(&Key::new("TLS", "1"))
        .await
        .expect_err("a certificate of an unknown CA is not trusted");
    let chain = format!("{refused:?}");
    assert!(chain.contains("invalid peer certificate"), "{chain}");
}

/// With the template's `EventBus` on, every event also goes onto the bus through the SDK
/// adapter: the same body a webhook carries, as the entry's detail, its type as the detail-type.
/// An entry the service refuses is put again, alone; one it keeps refusing fails the fan-out,
/// which runs again, so nothing is lost (at least once, told apart by the `id`).
#[tokio::test]
async fn every_event_goes_onto_the_event_bus_and_a_refused_entry_is_put_again() {
    let fake = usher_tests::FakeEventBridge::start().await;
    let bus = usher_core::usecases::webhooks::bus::EventBridgeBus::new(
        fake.client(),
        "usher-test-events".into(),
    );
    let setup = usher_tests::Setup {
        event_bus: Some(Arc::new(bus)),
        ..usher_tests::Setup::default()
    };
    let app = usher_tests::spawn(setup, |_| {}).await;
    app.dispatch_all_pending().await;
    let before = fake.taken().len();
    let (member, _, _) = app.member(app.tenant_id, "member", &[]).await;
    // The service refuses the second entry of the next call: it is put again on its own.
    fake.refuse_once(&[1]);
    app.dispatch_all_pending().await;
    let calls = fake.calls();
    let entries = fake.taken()[before..].to_vec();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["DetailType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{entries:#?}");
    assert!(kinds.contains(&"user.created") && kinds.contains(&"membership.created"));
    for entry in &entries {
        assert_eq!(entry["Source"], "usher");
        assert_eq!(entry["EventBusName"], "usher-test-events");
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["type"], entry["DetailType"]);
        assert_eq!(detail["tenant_id"], app.tenant_id.to_string());
        assert_eq!(detail["data"]["user_id"], member.as_str());
        assert!(detail["id"].as_str().unwrap().starts_with("evt_"));
    }

    // Refused every time: the fan-out fails and stays in the outbox, to run again.
    let before = fake.taken().len();
    fake.refuse_all(true);
    app.archive(&member).await;
    app.dispatch_all_pending().await;
    fake.refuse_all(false);
    assert!(fake.calls() > calls);
    let waiting = app.outbox_items().await.len();
    assert!(waiting >= 1, "the fan-out waits to run again");
    // Once the service takes them, both events arrive.
    app.clock.advance(chrono::Duration::minutes(20));
    app.dispatch_all_pending().await;
    let kinds: Vec<String> = fake.taken()[before..]
        .iter()
        .map(|e| e["DetailType"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"user.archived".to_owned()), "{kinds:?}");
    assert!(
        kinds.contains(&"membership.removed".to_owned()),
        "{kinds:?}"
    );
}
