//! The HTTP API end to end: the real local server on port 0, one fresh store per test.
//!
//! | behaviour | file |
//! | --- | --- |
//! | sign-in and its limits, sessions, `/v1/me`, password change and policy, bearer parsing | `sessions.rs` |
//! | creating users, listing and reading them | `users.rs` |
//! | edit, access, archive, restore, a person's history | `lifecycle.rs` |
//! | the CSV export; the CSV import | `export.rs`; `import.rs` |
//! | invitations; attacks on them (oracles, link holders, quotas) | `invitations.rs`; `invitation_attacks.rs` |
//! | forgot password, admin resets and their mail limits | `password_reset.rs` |
//! | the reset pages, and the headers of every page | `reset_pages.rs` |
//! | a tenant, its settings, its catalogue and inbound addresses | `tenants.rs` |
//! | crossing tenants on every route | `isolation.rs` |
//! | strict input on every route (bodies, fields, names, slow clients) | `bad_input.rs`, `reset_bad_input.rs` |
//! | round trips per route | `round_trips.rs` |

mod bad_input;
mod export;
mod import;
mod invitation_attacks;
mod invitations;
mod isolation;
mod lifecycle;
mod password_reset;
mod reset_bad_input;
mod reset_pages;
mod round_trips;
mod sessions;
mod tenants;
mod users;
