//! Rules 1 and 2 of inbound mail: whether a message is dangerous, and whether it is authentic
//! enough to make a person of its sender, from the verdicts SES gave and the headers it read.

use std::sync::LazyLock;

use publicsuffix::Psl;

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

/// Mozilla's Public Suffix List as `scripts/update-public-suffix-list` last copied it, parsed
/// once per cold start. `None` if the copy would not parse (a test proves it does): then nothing
/// aligns, and mail that needs alignment is held rather than trusted.
static PUBLIC_SUFFIXES: LazyLock<Option<publicsuffix::List>> = LazyLock::new(|| {
    include_str!("../../../data/public_suffix_list.dat")
        .parse()
        .inspect_err(|e| tracing::error!(error = %e, "the public suffix list does not parse"))
        .ok()
});

/// Relaxed alignment (RFC 7489 3.1): the two domains have one organisational domain, the name
/// registered under a public suffix. A public suffix itself (`co.uk`, a TLD) has none, so it
/// aligns with nothing: `a.co.uk` and `b.co.uk` are two organisations.
fn aligns(a: &str, b: &str) -> bool {
    let Some(list) = PUBLIC_SUFFIXES.as_ref() else {
        return false;
    };
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    match (list.domain(a.as_bytes()), list.domain(b.as_bytes())) {
        (Some(a), Some(b)) => a.as_bytes() == b.as_bytes(),
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
        // Letter case does not matter; wildcard rules and their exceptions are read
        // (`*.ck` with `!www.ck`); a private suffix counts as a suffix.
        assert!(aligns("Mail.Example.CO.UK", "example.co.uk"));
        assert!(!aligns("a.b.ck", "c.b.ck"));
        assert!(aligns("x.www.ck", "www.ck"));
        assert!(!aligns("alice.github.io", "mallory.github.io"));
        assert!(aligns("docs.alice.github.io", "alice.github.io"));
    }

    /// The copied list parses, whole: both sections, thousands of rules.
    #[test]
    fn the_public_suffix_list_parses() {
        let list = PUBLIC_SUFFIXES.as_ref().expect("the list parses");
        let kind = |name: &str| list.suffix(name.as_bytes()).and_then(|s| s.typ());
        assert_eq!(kind("example.co.uk"), Some(publicsuffix::Type::Icann));
        assert_eq!(kind("alice.github.io"), Some(publicsuffix::Type::Private));
        let text = include_str!("../../../data/public_suffix_list.dat");
        assert!(text.lines().filter(|l| !l.starts_with("//")).count() > 9_000);
    }
}
