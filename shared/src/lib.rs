//! Usher's domain crate.
//!
//! # Layout
//! - [`domain`]: the typed model (ids, email, names, roles, passwords); raw input becomes these
//!   once, at the edge.
//! - [`usecases`]: a module per use case (or per capability, for a family of them); each takes
//!   the [`app::App`], returns its own error, and writes through one commit path.
//!   [`usecases::jobs`] holds the work that requests leave in the outbox for later.
//! - [`table`]: the `Table` port with its DynamoDB and embedded (redb) adapters; [`keys`] is the
//!   key schema and [`records`] the stored items.
//! - [`mail`]: the `Mailer` port, SES and local-file adapters, templates, the transactional outbox.
//! - [`http`]: extractors, RFC 9457 problems, views and the request span shared by every function.
//! - [`pages`]: the HTML pages behind mailed links: one layout, a module per family of pages.
//! - [`clock`], [`token`], [`hashing`], [`signing`], [`settings`], [`runtime`], [`aws`]: time
//!   and randomness, one-time secrets, the argon2id hasher, the access tokens' signing keys,
//!   tenant settings, start-up, and the AWS SDK's HTTPS client.

pub mod app;
pub mod aws;
pub mod clock;
pub mod domain;
pub mod hashing;
pub mod http;
pub mod keys;
pub mod mail;
pub mod pages;
pub mod records;
pub mod runtime;
pub mod settings;
pub mod signing;
pub mod table;
pub mod token;
pub mod usecases;
