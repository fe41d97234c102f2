//! Query strings and request fields more than one function takes.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{EventView, Page, Problem};
use crate::domain::{Permission, PermissionSet, PersonName, Phone};
use crate::usecases::AuditAction;
use crate::usecases::events::{EventPage, ListEvents};
use crate::usecases::lifecycle::UserPatch;

/// A body field that may be absent (leave it), `null` (clear it) or a value: use with
/// `#[serde(default, deserialize_with = "usher_core::http::present")]` on an `Option<Option<T>>`.
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A listing's `?limit=`: 1 to 200, 50 when not given.
pub fn page_limit(raw: Option<u32>) -> Result<usize, Problem> {
    let limit = raw.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid("limit", "must be between 1 and 200"));
    }
    Ok(limit as usize)
}

/// A request's `permissions`: at most 100 well-formed names (whether the tenant knows them is the
/// use case's to say).
pub fn permissions_field(raw: &[String]) -> Result<PermissionSet, Problem> {
    if raw.len() > 100 {
        return Err(Problem::invalid(
            "permissions",
            "holds more than 100 entries",
        ));
    }
    Ok(PermissionSet::new(
        raw.iter()
            .map(|p| Permission::parse(p).map_err(|e| Problem::invalid("permissions", e)))
            .collect::<Result<_, _>>()?,
    ))
}

impl From<EventPage> for Page<EventView> {
    fn from(page: EventPage) -> Self {
        Page {
            items: page.events.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }
    }
}

/// `?action=&limit=&cursor=` of the audit log listings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events with this action, e.g. `invitation.accepted`.
    action: Option<AuditAction>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

impl EventsQuery {
    /// The listing request, with `limit` checked.
    pub fn into_request(self) -> Result<ListEvents, Problem> {
        let limit = page_limit(self.limit)?;
        Ok(ListEvents {
            action: self.action,
            limit,
            cursor: self.cursor,
        })
    }
}

/// The person's own fields of a request body (names, phone, locale), parsed into a patch: `PATCH
/// /v1/me` and `PATCH .../users/{id}` take them the same way. `phone: null` clears the phone.
pub fn person_patch(
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<Option<String>>,
    locale: Option<crate::domain::Locale>,
) -> Result<UserPatch, Problem> {
    let name = |field: &str, raw: Option<String>| {
        raw.map(|n| PersonName::parse(&n).map_err(|e| Problem::invalid(field, e)))
            .transpose()
    };
    Ok(UserPatch {
        first_name: name("first_name", first_name)?,
        last_name: name("last_name", last_name)?,
        phone: phone
            .map(|p| {
                p.map(|p| Phone::parse(&p).map_err(|e| Problem::invalid("phone", e)))
                    .transpose()
            })
            .transpose()?,
        locale,
        ..UserPatch::default()
    })
}
