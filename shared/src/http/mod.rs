//! What every HTTP function shares: strict extractors, RFC 9457 problems (the one place where a
//! use-case error becomes a status and a code), response views, and the request span.

mod extract;
mod problem;
mod queries;
pub mod scim;
mod trace;
mod views;

pub use extract::{
    ApiJson, ApiPath, ApiQuery, Bearer, ClientAddress, CsvBody, JsonOrForm, KeyBearer,
    MAX_BODY_BYTES, MaybeBearer, PreferredLocale, TenantBearer, UserAgent, with_body_read,
};
pub use problem::{BearerErrors, JsonBodyErrors, Problem, ProblemDoc};
pub use queries::{EventsQuery, page_limit, permissions_field, person_patch, present};
pub use trace::{finish_router, mount, request_span};
pub use views::{
    AccountView, ActorView, EventView, InvitationView, MembershipView, Page, SuspensionView,
    TeamNodeView, TeamView, TenantView, UserInvitedResponse, UserView, csv_attachment,
};
