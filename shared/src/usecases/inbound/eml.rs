//! A raw message (`.eml`) turned into the SES receipt event it would have arrived as, for running
//! inbound mail locally (`usher inbound FILE`, `POST /_local/inbound`). SES's verdicts are given
//! by the caller (all PASS unless told otherwise); the message id is its `Message-ID` header (or
//! the SHA-256 of the message), so feeding the same file twice is the same message twice.

use aws_lambda_events::event::ses::SimpleEmailEvent;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::message::{Verdict, Verdicts};

#[derive(Debug, thiserror::Error)]
pub enum EmlError {
    #[error("the file is not a mail message (no headers could be read)")]
    NotAMessage,
    #[error("the event could not be built: {0}")]
    Event(#[from] serde_json::Error),
}

fn status(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Gray => "GRAY",
        Verdict::ProcessingFailed => "PROCESSING_FAILED",
        Verdict::Disabled => "DISABLED",
    }
}

/// The `Authentication-Results` field SES would write for `verdicts`: its DKIM result names the
/// `d=` of the message's first `DKIM-Signature`, if it has one.
fn authentication_results(headers: &[(String, String)], verdicts: Verdicts) -> (String, String) {
    let signer = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("DKIM-Signature"))
        .find_map(|(_, v)| {
            v.split(';')
                .map(str::trim)
                .find_map(|tag| tag.strip_prefix("d="))
                .map(|d| d.trim().to_owned())
        });
    let word = |v: Verdict| status(v).to_ascii_lowercase();
    let dkim = match signer {
        Some(domain) => format!("dkim={} header.i=@{domain}", word(verdicts.dkim)),
        None => "dkim=none".to_owned(),
    };
    (
        "Authentication-Results".to_owned(),
        format!(
            "amazonses.com; spf={}; {dkim}; dmarc={}",
            word(verdicts.spf),
            word(verdicts.dmarc)
        ),
    )
}

/// The SES event for `raw`, with `verdicts`.
pub fn ses_event_from_eml(raw: &[u8], verdicts: Verdicts) -> Result<SimpleEmailEvent, EmlError> {
    // An event is JSON, so text: bytes that are not UTF-8 (a header in Latin-1) become U+FFFD
    // instead of losing the header.
    let text = String::from_utf8_lossy(raw);
    let message = mail_parser::MessageParser::default()
        .parse_headers(text.as_bytes())
        .ok_or(EmlError::NotAMessage)?;
    let mut headers: Vec<(String, String)> = message
        .headers_raw()
        .map(|(name, value)| (name.to_owned(), unfold(value)))
        .collect();
    if headers.is_empty() {
        return Err(EmlError::NotAMessage);
    }
    // SES writes its results on top of what it received; here its DKIM verdict is taken to be
    // about the message's first signature.
    headers.insert(0, authentication_results(&headers, verdicts));
    let addresses = |address: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        address
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut recipients = addresses(message.to());
    recipients.extend(addresses(message.cc()));
    for header in ["Delivered-To", "X-Original-To"] {
        recipients.extend(
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(header))
                .map(|(_, v)| v.trim().trim_matches(['<', '>']).to_owned()),
        );
    }
    let from: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("From"))
        .map(|(_, v)| v.clone())
        .collect();
    let source = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Return-Path"))
        .map(|(_, v)| v.trim().trim_matches(['<', '>']).to_owned())
        .or_else(|| addresses(message.from()).into_iter().next())
        .unwrap_or_default();
    let message_id = match message.message_id() {
        Some(id) => id.to_owned(),
        None => crate::token::hex(&Sha256::digest(raw)),
    };
    let now = chrono::Utc::now().to_rfc3339();
    let event = json!({"Records": [{
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": now,
                "source": source,
                "messageId": message_id,
                "destination": recipients,
                "headersTruncated": false,
                "headers": headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
                "commonHeaders": {"from": from, "to": addresses(message.to()), "messageId": message_id},
            },
            "receipt": {
                "timestamp": now,
                "processingTimeMillis": 0,
                "recipients": recipients,
                "spamVerdict": {"status": status(verdicts.spam)},
                "virusVerdict": {"status": status(verdicts.virus)},
                "spfVerdict": {"status": status(verdicts.spf)},
                "dkimVerdict": {"status": status(verdicts.dkim)},
                "dmarcVerdict": {"status": status(verdicts.dmarc)},
                "action": {"type": "Lambda", "functionArn": "arn:aws:lambda:local:000000000000:function:inbound-email", "invocationType": "Event"},
            },
        },
    }]});
    Ok(serde_json::from_value(event)?)
}

/// A raw header value as one line: folding undone, surrounding space trimmed.
fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::inbound::InboundMessage;

    #[test]
    fn an_eml_becomes_the_event_ses_would_send() {
        let raw = b"Return-Path: <jan@example.pl>\r\nFrom: =?UTF-8?Q?Jan_Kowalski?=\r\n <jan@example.pl>\r\nTo: help@desk.example\r\nCc: Anna <anna@example.pl>\r\nMessage-ID: <abc@example.pl>\r\nSubject: Printer\r\n\r\nIt is broken.\r\n";
        let event = ses_event_from_eml(raw, Verdicts::ALL_PASS).unwrap();
        let message = InboundMessage::from_ses(&event.records[0]);
        assert_eq!(message.message_id, "abc@example.pl");
        assert_eq!(message.recipients, ["help@desk.example", "anna@example.pl"]);
        assert_eq!(message.source.as_deref(), Some("jan@example.pl"));
        assert!(
            message
                .headers
                .iter()
                .any(|(n, v)| n == "From" && v == "=?UTF-8?Q?Jan_Kowalski?= <jan@example.pl>")
        );
        assert_eq!(message.verdicts, Verdicts::ALL_PASS);
        assert!(ses_event_from_eml(b"", Verdicts::ALL_PASS).is_err());
    }
}
