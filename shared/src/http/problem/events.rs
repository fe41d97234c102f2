//! The audit log listings.

use super::Problem;
use crate::usecases::events::ListEventsError;

impl From<ListEventsError> for Problem {
    fn from(e: ListEventsError) -> Self {
        match e {
            ListEventsError::Auth(e) => e.into(),
            ListEventsError::Forbidden => Problem::forbidden(e.to_string()),
            ListEventsError::NotFound => Problem::not_found(),
            ListEventsError::InvalidCursor => {
                Problem::invalid("cursor", "is not a cursor this listing gave")
            }
            ListEventsError::Internal(e) => e.into(),
        }
    }
}
