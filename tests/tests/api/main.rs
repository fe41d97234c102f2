//! The HTTP API end to end: the real local server on port 0, one fresh store per test.

mod bad_input;
mod export;
mod hardening;
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
