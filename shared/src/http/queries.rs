//! Query strings more than one function takes.

use serde::Deserialize;
use utoipa::ToSchema;

use super::Problem;
use crate::usecases::events::ListEvents;

/// `?action=&limit=&cursor=` of the audit log listings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events with this action, e.g. `invitation.accepted`.
    #[schema(max_length = 64)]
    action: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

impl EventsQuery {
    /// The listing request, with `limit` checked.
    pub fn into_request(self) -> Result<ListEvents, Problem> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(Problem::invalid("limit", "must be between 1 and 200"));
        }
        Ok(ListEvents {
            action: self.action,
            limit: limit as usize,
            cursor: self.cursor,
        })
    }
}
