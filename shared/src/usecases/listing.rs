//! Listings: opaque positions, one page of a filtered listing, and a whole partition read a page
//! at a time.
//!
//! A cursor is the sort key of the last item looked at, base64url. It names no partition, so one
//! taken from one tenant reads nothing of another; and one listing refuses another's, by the
//! prefix its sort keys must have.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Context, InternalError};
use crate::app::App;
use crate::table::{Item, Key};

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

/// The order a listing walks its partition in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// Sort-key order (members by account id).
    Ascending,
    /// Newest first, for ULID sort keys (events, invitations, held senders).
    Descending,
}

/// With a filter a page may take more than one query; this bounds the work per request.
const MAX_QUERIES: usize = 5;

/// What a listing of `prefix` in partition `pk` reads.
pub(crate) struct Listing<'a> {
    pub pk: &'a str,
    pub prefix: &'a str,
    pub order: Order,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

/// One page: at most `limit` items that `keep` makes something of, after the cursor, in at most
/// five queries; the cursor of the last item looked at when the partition goes on.
pub(crate) async fn filtered_page<T>(
    app: &App,
    listing: Listing<'_>,
    mut keep: impl FnMut(Item) -> Result<Option<T>, InternalError>,
) -> Result<(Vec<T>, Option<Cursor>), InternalError> {
    let Listing {
        pk,
        prefix,
        order,
        cursor,
        limit,
    } = listing;
    let mut position = cursor.map(|c| Key::new(pk, c.0));
    let mut kept = Vec::new();
    for _ in 0..MAX_QUERIES {
        let wanted = limit - kept.len();
        let page = match order {
            Order::Ascending => app.table.query(pk, prefix, position.as_ref(), wanted).await,
            Order::Descending => {
                app.table
                    .query_backward(pk, prefix, position.as_ref(), wanted)
                    .await
            }
        }
        .context("listing")?;
        for item in page.items {
            position = Key::of(&item);
            if let Some(value) = keep(item)? {
                kept.push(value);
            }
        }
        if page.next.is_none() {
            return Ok((kept, None));
        }
        if kept.len() == limit {
            break;
        }
    }
    Ok((kept, position.map(|k| Cursor(k.sk))))
}

/// Hands every item of `pk` under `prefix` to `visit`, in sort-key order, read 1,000 at a time:
/// a whole partition is never held at once.
pub(crate) async fn for_each_item(
    app: &App,
    pk: &str,
    prefix: &str,
    mut visit: impl FnMut(Item) -> Result<(), InternalError>,
) -> Result<(), InternalError> {
    let mut after = None;
    loop {
        let page = app
            .table
            .query(pk, prefix, after.as_ref(), 1000)
            .await
            .context("reading a partition")?;
        for item in page.items {
            visit(item)?;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}
