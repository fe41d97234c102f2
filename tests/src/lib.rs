//! Test harness: the real local server on port 0 over either table adapter, with an injected
//! clock, a round-trip counter and helpers named after what the API does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

use aws_sdk_dynamodb::config::{Credentials, Region};
use chrono::Utc;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use usher_core::app::{App, Config};
use usher_core::clock::ManualClock;
use usher_core::domain::{EmailAddress, PersonName, TenantId, TenantName};
use usher_core::mail::{
    FileMailer, MailError, Mailer, OutboxDispatcher, OutboxKey, OutgoingMail, StoredMail,
};
use usher_core::table::{
    CountingTable, DynamoTable, EmbeddedTable, Item, Key, Op, Page, Table, TableError,
    TransactError,
};
use usher_core::usecases::bootstrap_tenant::{
    BootstrapTenant, FirstPassword, TenantOptions, bootstrap_tenant,
};
use usher_core::usecases::dispatch;
use usher_core::usecases::jobs::Job;

mod aws;
mod doubles;
mod imports;
mod invitations;
mod mail;
mod requests;
mod resets;
mod scim;
mod sessions;
mod signups;
mod spawn;
mod teams;
mod tokens;
mod users;
mod webhooks;
pub use scim::{ScimConformance, ScimEndpoint, run_scim_conformance, scim_patch, with_filter};
pub use webhooks::{
    BadReceiver, Misbehaviour, Received, Receiver, ScriptedNames, WebhookVerdict, verify_webhooks,
    verify_webhooks_at,
};

pub use aws::*;
pub use doubles::*;
pub use spawn::*;
pub use tokens::*;

/// A password every test account can use: long and not guessable.
pub const GOOD_PASSWORD: &str = "violet harbour kettle 42 mosaic";

/// The password a person chooses for themselves when joining another tenant replaces one an
/// admin set (see `TestApp::join_through_invitation`).
pub const OWN_PASSWORD: &str = "juniper lantern 58 orbit chalk";

/// The sample event `events/{name}` (the files `sam local invoke` takes), with each
/// `{{PLACEHOLDER}}` filled from `values`. A placeholder left unfilled fails the test.
pub fn fixture(name: &str, values: &[(&str, &str)]) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (placeholder, value) in values {
        text = text.replace(&format!("{{{{{placeholder}}}}}"), value);
    }
    if let Some(start) = text.find("{{") {
        let rest = &text[start..];
        panic!(
            "{name}: {} is not filled",
            &rest[..rest.find("}}").map_or(rest.len(), |end| end + 2)]
        );
    }
    text
}

/// Reads `eml` as a mail client would and checks it says what `mail` says: one valid From mailbox
/// (Usher's), one To mailbox, the subject, and `Auto-Submitted: auto-generated` so that
/// auto-responders do not answer it.
pub fn assert_well_formed(eml: &[u8], mail: &StoredMail) {
    let message = mail_parser::MessageParser::default()
        .parse(eml)
        .expect("a parseable message");
    let mailbox = |address: Option<&mail_parser::Address>| -> (Option<String>, String) {
        let list = address.and_then(|a| a.as_list()).expect("an address list");
        assert_eq!(list.len(), 1, "one mailbox");
        (
            list[0].name.as_deref().map(str::to_owned),
            list[0].address.as_deref().expect("an address").to_owned(),
        )
    };
    let (from_name, from) = mailbox(message.from());
    assert_eq!(from, "no-reply@usher.localhost");
    assert_eq!(from_name.as_deref(), Some("Usher"));
    assert_eq!(mailbox(message.to()).1, mail.mail.to.as_str());
    assert_eq!(message.subject(), Some(mail.mail.subject.as_str()));
    assert_eq!(
        message.header("Auto-Submitted").and_then(|v| v.as_text()),
        Some("auto-generated")
    );
}

/// The token of a link `{base}/reset/{token}`.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Asserts an RFC 9457 answer with this status and code; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], format!("urn:usher:problem:{code}"));
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The actions of audit-log entries, in order.
pub fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// The strings of a JSON list, sorted: for lists whose order a test does not care about.
pub fn sorted_strings(value: &Value) -> Vec<String> {
    let mut all: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect();
    all.sort();
    all
}
