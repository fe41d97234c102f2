//! Opaque listing positions: the sort key of the last item shown, base64url. A cursor names no
//! partition, so one taken from one tenant reads nothing of another; and one listing refuses
//! another's, by the prefix its sort keys must have.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub(crate) fn after(sk: String) -> Self {
        Self(sk)
    }

    /// A cursor given out by a listing whose sort keys start with `prefix`.
    pub(crate) fn parse(raw: &str, prefix: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let sk = String::from_utf8(bytes).ok()?;
        sk.starts_with(prefix).then_some(Self(sk))
    }

    pub(crate) fn sk(&self) -> &str {
        &self.0
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}
