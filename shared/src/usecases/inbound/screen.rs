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
            let dkim =
                v.dkim == Verdict::Pass && parsed.verified_dkim_domains.iter().any(|d| aligned(d));
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

/// Relaxed alignment (RFC 7489 3.1): the two domains have one organisational domain, the name
/// registered under a public suffix (Mozilla's Public Suffix List, compiled in by the `psl`
/// crate). A public suffix itself (`co.uk`, a TLD) has none, so it aligns with nothing:
/// `a.co.uk` and `b.co.uk` are two organisations.
fn aligns(a: &str, b: &str) -> bool {
    match (psl::domain_str(a), psl::domain_str(b)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
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
                (
                    "Authentication-Results",
                    "amazonses.com; spf=fail smtp.mailfrom=x@esp.example; dkim=pass header.i=@other.example; dmarc=none",
                ),
                ("From", "Jan <jan@other.example>"),
                ("DKIM-Signature", "v=1; a=rsa-sha256; d=other.example; s=x"),
            ],
            dkim,
        );
        assert_eq!(screen(&m, &parse(&m)), Ok(()));
    }

    /// SES gives one DKIM verdict for the message: a signature the sender added for the victim's
    /// domain beside a valid one of their own borrows nothing. Only what SES's own
    /// `Authentication-Results` (the topmost) says was verified aligns.
    #[test]
    fn dkim_alignment_comes_from_what_ses_verified_never_from_the_senders_headers() {
        let gray_dkim = Verdicts {
            dmarc: Verdict::Gray,
            spf: Verdict::Fail,
            dkim: Verdict::Pass,
            ..Verdicts::ALL_PASS
        };
        let held = Err((OutcomeKind::Held, "unauthenticated"));
        let forged = [
            (
                "Authentication-Results",
                "amazonses.com; spf=fail; dkim=pass header.i=@attacker.example; dmarc=none",
            ),
            ("From", "The CFO <cfo@victim.example>"),
            ("DKIM-Signature", "v=1; d=attacker.example; s=a; b=valid"),
            ("DKIM-Signature", "v=1; d=victim.example; s=a; b=forged"),
        ];
        let m = message(&forged, gray_dkim);
        assert_eq!(screen(&m, &parse(&m)), held);
        // SES's own results on top say no signature verified: a lower field, the sender's,
        // claims nothing for them.
        let m = message(
            &[
                (
                    "Authentication-Results",
                    "amazonses.com; spf=fail; dkim=none",
                ),
                ("From", "The CFO <cfo@victim.example>"),
                (
                    "Authentication-Results",
                    "amazonses.com; dkim=pass header.d=victim.example",
                ),
            ],
            gray_dkim,
        );
        assert_eq!(screen(&m, &parse(&m)), held);
        let m = message(
            &[
                (
                    "Authentication-Results",
                    "mx.victim.example; dkim=pass header.d=victim.example",
                ),
                ("From", "The CFO <cfo@victim.example>"),
            ],
            gray_dkim,
        );
        assert_eq!(screen(&m, &parse(&m)), held, "another authserv-id");
    }

    /// Relaxed alignment is by organisational domain: a public suffix aligns with nothing.
    #[test]
    fn alignment_compares_organisational_domains() {
        assert!(aligns("mail.example.co.uk", "example.co.uk"));
        assert!(aligns("a.example.pl", "b.example.pl"));
        assert!(!aligns("victim.co.uk", "attacker.co.uk"));
        assert!(!aligns("co.uk", "victim.co.uk"));
        assert!(!aligns("uk", "co.uk"));
        assert!(!aligns("example.org", "example.com"));
    }
}
