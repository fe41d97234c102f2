//! The HTTP API end to end: the real local server on port 0, one fresh store per test.
//!
//! | behaviour | file |
//! | --- | --- |
//! | sign-in and its limits, sessions, `/v1/me`, password change and policy, bearer parsing | `sessions.rs` |
//! | creating users, listing and reading them | `users.rs` |
//! | edit, access, archive, restore, a person's history | `lifecycle.rs` |
//! | the CSV export; the CSV import, its files; who may import what | `export.rs`; `import.rs`; `import_rules.rs` |
//! | invitations: sending and accepting; expiry, revocation, resends, quotas, listings; attacks on them | `invitations.rs`; `invitation_lifecycle.rs`; `invitation_attacks.rs` |
//! | forgot password and its links; admin resets and their mail limits | `password_reset.rs`; `admin_reset.rs` |
//! | the reset pages, and the headers of every page | `reset_pages.rs` |
//! | a tenant, its settings, its catalogue and inbound addresses | `tenants.rs` |
//! | the operator's keys and tenants: create, list, suspend, resume | `operator.rs` |
//! | tenant API keys: acting with them, their bounds, revocation, expiry | `api_keys.rs` |
//! | crossing tenants on every route | `isolation.rs` |
//! | an address one tenant's admin created, brought into another tenant every way | `takeover.rs` |
//! | strict input on every route (bodies, fields, names, slow clients) | `bad_input.rs`, `reset_bad_input.rs` |
//! | an empty body read as `{}` on every JSON route, and the document saying which bodies are optional | `empty_bodies.rs` |
//! | access tokens, the JWKS and discovery, verified by PyJWT and the example service | `tokens.rs` |
//! | self-service sign-up, its links and its races; a person creating another organisation | `signup.rs` |
//! | teams: names, depth, moves (concurrent ones too), archive, restore, delete, who may | `teams.rs` |
//! | round trips per route | `round_trips.rs` |
//! | webhooks: endpoints, signatures, retries, replays; the object each event carries | `webhooks.rs`; `webhook_objects.rs` |
//! | SCIM: tokens, bad tokens, Users and who may reach them; Groups and the conformance tools; the providers' PATCH shapes; Okta's spec test and Entra ID's samples | `scim.rs`; `scim_groups.rs`; `scim_patch.rs`; `scim_replays.rs` |

mod admin_reset;
mod api_keys;
mod bad_input;
mod empty_bodies;
mod export;
mod import;
mod import_rules;
mod import_teams;
mod invitation_attacks;
mod invitation_lifecycle;
mod invitations;
mod isolation;
mod lifecycle;
mod newcomer_teams;
mod operator;
mod password_reset;
mod reset_bad_input;
mod reset_pages;
mod round_trips;
mod scim;
mod scim_groups;
mod scim_patch;
mod scim_replays;
mod sessions;
mod signup;
mod takeover;
mod team_grants;
mod teams;
mod tenants;
mod tokens;
mod users;
mod webhook_objects;
mod webhooks;
