//! An inbound message as SES hands it over (headers and verdicts, no body), and what its headers
//! say, parsed once with a kept MIME parser (`mail-parser`) and bounded: at most 1,000 headers of
//! at most 16 KiB each are read, whatever arrives.

use aws_lambda_events::event::ses::SimpleEmailRecord;
use serde::{Deserialize, Serialize};

use super::names::{Names, names_for};
use crate::domain::EmailAddress;

/// What SES concluded about the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Pass,
    Fail,
    Gray,
    ProcessingFailed,
    Disabled,
}

impl Verdict {
    /// SES's status text; anything else (or nothing) counts as a check that could not be made.
    pub fn parse(status: Option<&str>) -> Self {
        match status
            .map(str::trim)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("PASS") => Verdict::Pass,
            Some("FAIL") => Verdict::Fail,
            Some("GRAY") => Verdict::Gray,
            Some("DISABLED") => Verdict::Disabled,
            _ => Verdict::ProcessingFailed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdicts {
    pub spam: Verdict,
    pub virus: Verdict,
    pub spf: Verdict,
    pub dkim: Verdict,
    pub dmarc: Verdict,
}

impl Verdicts {
    pub const ALL_PASS: Verdicts = Verdicts {
        spam: Verdict::Pass,
        virus: Verdict::Pass,
        spf: Verdict::Pass,
        dkim: Verdict::Pass,
        dmarc: Verdict::Pass,
    };
}

/// One message as received: SES's id for it, the envelope, the headers and the verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundMessage {
    pub message_id: String,
    /// The envelope recipients (SES's `receipt.recipients`).
    pub recipients: Vec<String>,
    /// The envelope sender (`MAIL FROM`, SES's `mail.source`); empty for a bounce.
    pub source: Option<String>,
    pub headers: Vec<(String, String)>,
    /// SES left headers out (the message had too many).
    pub headers_truncated: bool,
    pub verdicts: Verdicts,
}

impl InboundMessage {
    pub fn from_ses(record: &SimpleEmailRecord) -> Self {
        let mail = &record.ses.mail;
        let receipt = &record.ses.receipt;
        let mut headers: Vec<(String, String)> = mail
            .headers
            .iter()
            .filter_map(|h| Some((h.name.clone()?, h.value.clone().unwrap_or_default())))
            .collect();
        // An event with its headers left out still has SES's digest of the senders.
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("from")) {
            for from in &mail.common_headers.from {
                headers.push(("From".into(), from.clone()));
            }
        }
        Self {
            message_id: mail.message_id.clone().unwrap_or_default(),
            recipients: receipt.recipients.clone(),
            source: mail.source.clone(),
            headers,
            headers_truncated: mail.headers_truncated,
            verdicts: Verdicts {
                spam: Verdict::parse(receipt.spam_verdict.status.as_deref()),
                virus: Verdict::parse(receipt.virus_verdict.status.as_deref()),
                spf: Verdict::parse(receipt.spf_verdict.status.as_deref()),
                dkim: Verdict::parse(receipt.dkim_verdict.status.as_deref()),
                dmarc: Verdict::parse(receipt.dmarc_verdict.status.as_deref()),
            },
        }
    }

    /// The values of header `name` (any letter case), in order.
    pub(crate) fn header<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .take(MAX_HEADERS)
            .filter(move |(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| bounded(v))
    }
}

const MAX_HEADERS: usize = 1000;
const MAX_VALUE_BYTES: usize = 16 * 1024;

/// `value` cut to at most 16 KiB, on a character boundary.
fn bounded(value: &str) -> &str {
    if value.len() <= MAX_VALUE_BYTES {
        return value;
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// A mailbox of `From` or `Cc`: its address when it is one Usher accepts, and the names it gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub address: Option<EmailAddress>,
    pub display: Option<String>,
}

impl Mailbox {
    pub fn names(&self) -> Option<Names> {
        self.address
            .as_ref()
            .map(|a| names_for(self.display.as_deref(), a))
    }
}

/// What the headers say.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub from: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// How many `From` fields the message has: more than one is a forgery's shape (RFC 5322
    /// allows one), and a parser would read only one of them.
    pub from_fields: usize,
    /// Why the message is automated mail, if it is: the header that says so.
    pub automated: Option<&'static str>,
    /// The domains whose DKIM signature the receiving side verified: from the topmost
    /// `Authentication-Results` field, when SES (`amazonses.com`) wrote it. Never from the
    /// sender's own `DKIM-Signature` fields: SES gives one DKIM verdict for the whole message, so
    /// a forged second signature would borrow a valid one's pass.
    pub verified_dkim_domains: Vec<String>,
}

/// SES's name in the `Authentication-Results` fields it writes (RFC 8601's authserv-id).
const SES_AUTHSERV_ID: &str = "amazonses.com";

/// The domains of the `dkim=pass` results of the topmost `Authentication-Results` field, when
/// SES wrote it (`header.d=`, else the domain of `header.i=`). A field further down is the
/// sender's, whatever name it claims.
fn verified_dkim_domains(message: &InboundMessage) -> Vec<String> {
    let Some(results) = message.header("Authentication-Results").next() else {
        return Vec::new();
    };
    let mut parts = results.split(';');
    let authserv = parts.next().unwrap_or("").split_whitespace().next();
    if !authserv.is_some_and(|id| id.eq_ignore_ascii_case(SES_AUTHSERV_ID)) {
        return Vec::new();
    }
    parts
        .filter_map(|result| {
            let mut words = result.split_whitespace();
            if !words.next()?.eq_ignore_ascii_case("dkim=pass") {
                return None;
            }
            let properties: Vec<&str> = words.collect();
            let property = |name: &str| {
                properties.iter().find_map(|p| {
                    let (key, value) = p.split_once('=')?;
                    key.eq_ignore_ascii_case(name).then_some(value)
                })
            };
            let domain = property("header.d").or_else(|| {
                property("header.i").and_then(|i| i.rsplit_once('@').map(|(_, d)| d))
            })?;
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            (!domain.is_empty()).then_some(domain)
        })
        .collect()
}

/// The address lists of `From` and `Cc`, decoded (RFC 2047 words, quotes) by `mail-parser`.
pub fn parse(message: &InboundMessage) -> Parsed {
    let mut block = Vec::new();
    for name in ["From", "Cc"] {
        for value in message.header(name) {
            // A value's line breaks would start a header of its own.
            let value: String = value
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                .collect();
            block.extend_from_slice(name.as_bytes());
            block.extend_from_slice(b": ");
            block.extend_from_slice(value.as_bytes());
            block.extend_from_slice(b"\r\n");
        }
    }
    block.extend_from_slice(b"\r\n");
    let parsed = mail_parser::MessageParser::default().parse_headers(&block);
    let mailboxes = |address: Option<&mail_parser::Address<'_>>| -> Vec<Mailbox> {
        address
            .map(|a| {
                a.iter()
                    .map(|addr| Mailbox {
                        address: addr.address().and_then(|a| EmailAddress::parse(a).ok()),
                        display: addr.name().map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (from, cc) = match &parsed {
        Some(headers) => (mailboxes(headers.from()), mailboxes(headers.cc())),
        None => (Vec::new(), Vec::new()),
    };
    Parsed {
        from,
        cc,
        from_fields: message.header("From").count(),
        automated: automated(message),
        verified_dkim_domains: verified_dkim_domains(message),
    }
}

/// Whether the message was sent by a machine (RFC 3834 and the headers lists and bulk senders
/// set), so that a person is not made of it and no auto-reply loop starts.
fn automated(message: &InboundMessage) -> Option<&'static str> {
    let first_word = |v: &str| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    if message
        .header("Auto-Submitted")
        .any(|v| first_word(v) != "no")
    {
        return Some("auto_submitted");
    }
    if message.header("Precedence").any(|v| {
        matches!(
            first_word(v).as_str(),
            "bulk" | "junk" | "list" | "auto_reply"
        )
    }) {
        return Some("precedence");
    }
    for (header, reason) in [
        ("List-Id", "list_id"),
        ("List-Unsubscribe", "list_unsubscribe"),
        ("X-Auto-Response-Suppress", "auto_response_suppress"),
        ("X-Loop", "x_loop"),
        ("X-Autoreply", "x_autoreply"),
        ("X-Autorespond", "x_autorespond"),
    ] {
        if message.header(header).next().is_some() {
            return Some(reason);
        }
    }
    if message
        .header("Content-Type")
        .any(|v| first_word(v) == "multipart/report")
    {
        return Some("delivery_report");
    }
    let return_paths: Vec<String> = message
        .source
        .iter()
        .map(String::as_str)
        .chain(message.header("Return-Path"))
        .map(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let null_or_daemon = |path: &str| {
        let local = path.split('@').next().unwrap_or("");
        path.is_empty() || local == "mailer-daemon" || local == "postmaster"
    };
    if message.source.is_none() && message.header("Return-Path").next().is_none()
        || return_paths.iter().any(|p| null_or_daemon(p))
    {
        return Some("null_return_path");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::inbound::test_message as message;

    #[test]
    fn automated_mail_is_told_by_its_headers() {
        let pass = Verdicts::ALL_PASS;
        for (name, value, reason) in [
            ("Auto-Submitted", "auto-replied", "auto_submitted"),
            ("Precedence", "bulk", "precedence"),
            ("Precedence", "auto_reply", "precedence"),
            ("List-Id", "<x.lists.example>", "list_id"),
            ("List-Unsubscribe", "<mailto:x@y>", "list_unsubscribe"),
            ("X-Auto-Response-Suppress", "All", "auto_response_suppress"),
            ("X-Loop", "help@desk.example", "x_loop"),
            (
                "Content-Type",
                "multipart/report; report-type=delivery-status",
                "delivery_report",
            ),
        ] {
            let m = message(&[("From", "Jan <jan@example.pl>"), (name, value)], pass);
            assert_eq!(parse(&m).automated, Some(reason), "{name}: {value}");
        }
        let m = message(
            &[("From", "Jan <jan@example.pl>"), ("Auto-Submitted", "no")],
            pass,
        );
        assert_eq!(parse(&m).automated, None);
        let mut bounce = message(&[("From", "Jan <jan@example.pl>")], pass);
        bounce.source = Some("MAILER-DAEMON@mx.example".into());
        assert_eq!(parse(&bounce).automated, Some("null_return_path"));
        bounce.source = Some("<>".into());
        assert_eq!(parse(&bounce).automated, Some("null_return_path"));
    }

    #[test]
    fn encoded_and_quoted_display_names_are_decoded() {
        let m = message(
            &[(
                "From",
                "=?UTF-8?Q?Kowalski=2C_Jan_=C5=81ukasz?= <jan@example.pl>",
            )],
            Verdicts::ALL_PASS,
        );
        let parsed = parse(&m);
        assert_eq!(parsed.from.len(), 1);
        let names = parsed.from[0].names().unwrap();
        assert_eq!(
            (names.first.as_str(), names.last.as_str()),
            ("Jan Łukasz", "Kowalski")
        );
    }
}
