//! Start-up: telemetry and configuration from the environment, done once per cold start.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

use crate::app::{App, Config};
use crate::domain::PasswordPolicy;
use crate::mail::OutboxKey;
use crate::table::{DynamoTable, Table};

/// How log lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON lines (CloudWatch takes them as they are), with the current span's fields (request
    /// id, route, tenant, account, status) on every line.
    Json,
    /// One readable line per event, for a person at a terminal.
    Text,
}

/// Logs to stderr, so a command's stdout carries only its output. `USHER_LOG` sets the filter
/// (default `info`); `USHER_LOG_FORMAT=json|text` overrides `default_format`.
pub fn init_telemetry(default_format: LogFormat) {
    let filter = || EnvFilter::try_from_env("USHER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let format = match var("USHER_LOG_FORMAT").as_deref() {
        Some("json") => LogFormat::Json,
        Some("text") => LogFormat::Text,
        _ => default_format,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter())
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .try_init(),
        LogFormat::Text => builder
            .compact()
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// An environment variable; `None` when it is unset or blank.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn required(name: &str) -> anyhow::Result<String> {
    var(name).with_context(|| format!("the environment variable {name} must be set"))
}

/// Configuration shared by the Lambda functions and the local server: `USHER_PUBLIC_URL`
/// (required), `USHER_PASSWORD_MIN_LENGTH` / `USHER_PASSWORD_MAX_LENGTH`,
/// `USHER_INBOUND_DOMAINS` (comma-separated; `default_inbound_domains` when unset), the quotas,
/// and the access tokens' `USHER_ACCESS_TOKEN_MINUTES` (1 to 60, default 5),
/// `USHER_ACCESS_TOKEN_AUDIENCE` (default: the public URL) and
/// `USHER_SIGNING_KEY_ROTATION_DAYS` (default 30), and `USHER_SELF_SERVICE` (`on` or `off`,
/// default `off`) (optional).
pub fn config_from_env(
    default_public_url: Option<&str>,
    default_inbound_domains: &[&str],
) -> anyhow::Result<Config> {
    let public_url = match (var("USHER_PUBLIC_URL"), default_public_url) {
        (Some(url), _) => url,
        (None, Some(default)) => default.to_owned(),
        (None, None) => required("USHER_PUBLIC_URL")?,
    };
    if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
        anyhow::bail!("USHER_PUBLIC_URL must start with https:// (or http:// for local use)");
    }
    let mut config = Config::new(&public_url);
    let parse = |name: &str, default: usize| -> anyhow::Result<usize> {
        var(name).map_or(Ok(default), |v| {
            v.parse()
                .with_context(|| format!("{name} must be a number"))
        })
    };
    let defaults = PasswordPolicy::default();
    config.password_policy = PasswordPolicy::new(
        parse("USHER_PASSWORD_MIN_LENGTH", defaults.min_chars)?,
        parse("USHER_PASSWORD_MAX_LENGTH", defaults.max_chars)?,
    )
    .map_err(anyhow::Error::msg)?;
    let domains = var("USHER_INBOUND_DOMAINS").map_or_else(
        || {
            default_inbound_domains
                .iter()
                .map(|d| (*d).to_owned())
                .collect()
        },
        |list| list.split(',').map(str::to_owned).collect::<Vec<_>>(),
    );
    config.inbound_domains = domains
        .iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            crate::settings::parse_domain(d)
                .with_context(|| format!("USHER_INBOUND_DOMAINS: {d:?} is not a domain"))
        })
        .collect::<anyhow::Result<_>>()?;
    // Daily invitation quotas and the held queue's bound: a service with larger tenants raises
    // them.
    let quota = |name: &str, default: u32| -> anyhow::Result<u32> {
        var(name).map_or(Ok(default), |v| {
            v.parse()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| format!("{name} must be a number above 0"))
        })
    };
    config.invitations_per_tenant.max = quota(
        "USHER_INVITATIONS_PER_TENANT",
        config.invitations_per_tenant.max,
    )?;
    config.invitations_per_inviter.max = quota(
        "USHER_INVITATIONS_PER_INVITER",
        config.invitations_per_inviter.max,
    )?;
    config.held_senders_per_tenant = quota(
        "USHER_HELD_SENDERS_PER_TENANT",
        config.held_senders_per_tenant,
    )?;
    let ttl_minutes = quota(
        "USHER_ACCESS_TOKEN_MINUTES",
        config.access_token_ttl.num_minutes() as u32,
    )?;
    config.access_token_ttl = chrono::Duration::minutes(i64::from(ttl_minutes));
    if config.access_token_ttl > Config::MAX_ACCESS_TOKEN_TTL {
        anyhow::bail!("USHER_ACCESS_TOKEN_MINUTES must be at most 60");
    }
    if let Some(audience) = var("USHER_ACCESS_TOKEN_AUDIENCE") {
        config.access_token_audience = audience;
    }
    let rotation_days = quota(
        "USHER_SIGNING_KEY_ROTATION_DAYS",
        config.signing_key_rotation.num_days() as u32,
    )?;
    config.signing_key_rotation = chrono::Duration::days(i64::from(rotation_days));
    config.self_service = match var("USHER_SELF_SERVICE").as_deref() {
        None | Some("off") => false,
        Some("on") => true,
        Some(other) => anyhow::bail!("USHER_SELF_SERVICE must be on or off, not {other:?}"),
    };
    Ok(config)
}

pub fn outbox_key_from_env() -> anyhow::Result<OutboxKey> {
    OutboxKey::from_base64(&required("USHER_OUTBOX_KEY")?).map_err(anyhow::Error::msg)
}

/// The state of a Lambda function: DynamoDB table `USHER_TABLE`, the system clock and RNG.
pub async fn lambda_app() -> anyhow::Result<App> {
    Ok(lambda_app_builder().await?.build())
}

/// [`lambda_app`]'s builder, for a function that adds to it (the mail sender, its event bus).
pub async fn lambda_app_builder() -> anyhow::Result<crate::app::AppBuilder> {
    let table: Arc<dyn Table> = Arc::new(DynamoTable::from_env(required("USHER_TABLE")?).await);
    Ok(App::builder(
        table,
        &outbox_key_from_env()?,
        config_from_env(None, &[])?,
    ))
}
