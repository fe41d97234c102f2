//! Rules 1 and 2 of inbound mail: whether a message is dangerous, and whether it is authentic
//! enough to make a person of its sender, from the verdicts SES gave and the headers it read.

use super::{InboundMessage, OutcomeKind, Parsed, Verdict};
use crate::domain::EmailAddress;

/// Whether the message is authentic enough to make a person of its sender (rule 2), and not
/// dangerous (rule 1): `Err(("ignored" or "held", reason))` when not.
pub(super) fn screen(
    message: &InboundMessage,
    parsed: &Parsed,
) -> Result<(), (OutcomeKind, &'static str)> {
    let v = message.verdicts;
    if v.virus != Verdict::Pass {
        return Err((OutcomeKind::Ignored, "virus"));
    }
    if v.spam == Verdict::Fail {
        return Err((OutcomeKind::Ignored, "spam"));
    }
    match v.dmarc {
        Verdict::Fail => return Err((OutcomeKind::Ignored, "dmarc_fail")),
        Verdict::Pass => {}
        Verdict::ProcessingFailed => return Err((OutcomeKind::Held, "verdict_unavailable")),
        Verdict::Gray | Verdict::Disabled => {
            let from_domain = parsed
                .from
                .first()
                .and_then(|m| m.address.as_ref())
                .map(EmailAddress::domain);
            let aligned = |domain: &str| from_domain.as_deref().is_some_and(|f| aligns(f, domain));
            let spf = v.spf == Verdict::Pass
                && message
                    .source
                    .as_deref()
                    .and_then(|s| s.rsplit_once('@'))
                    .is_some_and(|(_, d)| aligned(&d.trim_end_matches('>').to_ascii_lowercase()));
            let dkim = v.dkim == Verdict::Pass && parsed.dkim_domains.iter().any(|d| aligned(d));
            if !spf && !dkim {
                return Err((OutcomeKind::Held, "unauthenticated"));
            }
        }
    }
    match v.spam {
        Verdict::Gray => return Err((OutcomeKind::Held, "spam_gray")),
        Verdict::ProcessingFailed => return Err((OutcomeKind::Held, "verdict_unavailable")),
        _ => {}
    }
    if message.headers_truncated {
        // The headers that would show automated mail may be among those left out.
        return Err((OutcomeKind::Held, "headers_truncated"));
    }
    Ok(())
}

/// Relaxed alignment (RFC 7489 3.1): one domain is the other or a subdomain of it.
fn aligns(a: &str, b: &str) -> bool {
    a == b
        || a.strip_suffix(b).is_some_and(|s| s.ends_with('.'))
        || b.strip_suffix(a).is_some_and(|s| s.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::inbound::test_message as message;
    use crate::usecases::inbound::{Verdicts, parse};

    #[test]
    fn dmarc_gray_trusts_only_an_aligned_spf_or_dkim_pass() {
        let gray = Verdicts {
            dmarc: Verdict::Gray,
            spf: Verdict::Fail,
            dkim: Verdict::Fail,
            ..Verdicts::ALL_PASS
        };
        let m = message(&[("From", "Jan <jan@example.pl>")], gray);
        assert_eq!(
            screen(&m, &parse(&m)),
            Err((OutcomeKind::Held, "unauthenticated"))
        );
        let spf = Verdicts {
            spf: Verdict::Pass,
            ..gray
        };
        let m = message(&[("From", "Jan <jan@example.pl>")], spf);
        assert_eq!(
            screen(&m, &parse(&m)),
            Ok(()),
            "mail.example.pl aligns with example.pl"
        );
        let m = message(&[("From", "Jan <jan@other.example>")], spf);
        assert_eq!(
            screen(&m, &parse(&m)),
            Err((OutcomeKind::Held, "unauthenticated"))
        );
        let dkim = Verdicts {
            dkim: Verdict::Pass,
            ..gray
        };
        let m = message(
            &[
                ("From", "Jan <jan@other.example>"),
                ("DKIM-Signature", "v=1; a=rsa-sha256; d=other.example; s=x"),
            ],
            dkim,
        );
        assert_eq!(screen(&m, &parse(&m)), Ok(()));
    }
}
