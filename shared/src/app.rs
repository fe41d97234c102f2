//! The state every request shares, built once per cold start.

use std::sync::Arc;

use chrono::Duration;
use tokio::sync::Notify;

use crate::clock::{Clock, OsRandom, Random, SystemClock};
use crate::domain::PasswordPolicy;
use crate::hashing::PasswordHasherService;
use crate::mail::{Outbox, OutboxKey};
use crate::table::Table;

/// At most `max` events in a fixed `window` that starts with the first of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }

    /// The tenant's own hourly cap on users made by inbound mail.
    pub const fn per_hour(max: u32) -> Self {
        Self::new(max, Duration::hours(1))
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The base of every link Usher writes (never taken from a request's Host header).
    pub public_url: String,
    pub password_policy: PasswordPolicy,
    pub session_ttl: Duration,
    /// How long a generated password works if unused, and how long its session lasts.
    pub temporary_password_ttl: Duration,
    pub temporary_session_ttl: Duration,
    /// How long the first-password link of a user created with password mode `link` works.
    pub set_password_link_ttl: Duration,
    /// How long a self-service reset link works.
    pub reset_link_ttl: Duration,
    /// How long a reset link an admin asked for works.
    pub admin_reset_link_ttl: Duration,
    /// Self-service reset mails per account; past that, requests are answered the same but
    /// nothing is sent.
    pub reset_mails: Limit,
    /// Credential mails the admins of one tenant may have sent to one account, and from one
    /// tenant to anyone; past that, 429.
    pub admin_mails_per_account: Limit,
    pub admin_mails_per_tenant: Limit,
    /// Sign-in attempts per email from one client address.
    pub sign_in_per_client_and_email: Limit,
    /// Sign-in attempts per email from all addresses: high enough that strangers cannot lock a
    /// person out (NIST SP 800-63B allows at most 100).
    pub sign_in_per_email: Limit,
    /// Failed sign-ins per client address across emails: slows a client that sprays one guess
    /// over many accounts.
    pub sign_in_failures_per_client: Limit,
    /// The domains this deployment receives mail for (its SES receipt rules): a tenant may claim
    /// an inbound address only on one of these or a subdomain of one. Empty: no claims.
    pub inbound_domains: Vec<String>,
    /// Invitations one tenant may send, and one member of it; past that, 429. Resends count for
    /// the tenant, and at most `invitation_resends` per invitation.
    pub invitations_per_tenant: Limit,
    pub invitations_per_inviter: Limit,
    pub invitation_resends: Limit,
    /// How long the link that confirms a registration with another address works (never past
    /// the invitation's own expiry).
    pub registration_confirmation_ttl: Duration,
    /// The address Usher's own mail comes from: inbound mail from it is a loop, never a person.
    pub mail_from: Option<crate::domain::EmailAddress>,
    /// Senders one tenant's inbound mail may hold for an admin at once; past that, a sender who
    /// would be held is ignored (`held_queue_full`) until admins decide on some.
    pub held_senders_per_tenant: u32,
    /// How long an access token lives (at most [`Config::MAX_ACCESS_TOKEN_TTL`]) and the `aud`
    /// it carries.
    pub access_token_ttl: Duration,
    pub access_token_audience: String,
    /// How long each signing key signs before the next one takes over (at least
    /// [`crate::signing::MIN_ROTATION`]).
    pub signing_key_rotation: Duration,
    /// Whether anyone may sign up and create an organisation (`USHER_SELF_SERVICE=on`), and a
    /// signed-in person create another. Off unless the deployment turns it on.
    pub self_service: bool,
    /// How long the link that verifies a sign-up's address works.
    pub signup_link_ttl: Duration,
    /// Sign-up mails to one address; past that, requests are answered the same but nothing is
    /// sent.
    pub signup_mails: Limit,
    /// Sign-up mails for requests from one client address (an IPv6 /64), to any addresses: so
    /// nobody makes Usher mail strangers at will.
    pub signup_mails_per_client: Limit,
    /// Organisations one account may create by self-service.
    pub organisations_per_account: Limit,
    /// Where webhooks may go: public addresses over HTTPS, or (local mode) loopback only.
    pub webhook_receivers: crate::usecases::webhooks::WebhookReceivers,
}

impl Config {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            password_policy: PasswordPolicy::default(),
            session_ttl: Duration::hours(12),
            temporary_password_ttl: Duration::days(7),
            temporary_session_ttl: Duration::minutes(30),
            set_password_link_ttl: Duration::days(7),
            reset_link_ttl: Duration::minutes(60),
            admin_reset_link_ttl: Duration::hours(24),
            reset_mails: Limit::new(3, Duration::hours(1)),
            admin_mails_per_account: Limit::new(3, Duration::hours(1)),
            admin_mails_per_tenant: Limit::new(100, Duration::hours(1)),
            sign_in_per_client_and_email: Limit::new(5, Duration::minutes(15)),
            sign_in_per_email: Limit::new(100, Duration::hours(1)),
            sign_in_failures_per_client: Limit::new(20, Duration::minutes(15)),
            inbound_domains: Vec::new(),
            invitations_per_tenant: Limit::new(500, Duration::days(1)),
            invitations_per_inviter: Limit::new(50, Duration::days(1)),
            invitation_resends: Limit::new(5, Duration::days(1)),
            registration_confirmation_ttl: Duration::hours(24),
            mail_from: None,
            held_senders_per_tenant: 500,
            access_token_ttl: Duration::minutes(5),
            access_token_audience: public_url.trim_end_matches('/').to_owned(),
            signing_key_rotation: Duration::days(30),
            self_service: false,
            signup_link_ttl: Duration::hours(24),
            signup_mails: Limit::new(3, Duration::hours(1)),
            signup_mails_per_client: Limit::new(20, Duration::hours(1)),
            organisations_per_account: Limit::new(10, Duration::days(1)),
            webhook_receivers: crate::usecases::webhooks::WebhookReceivers::Public,
        }
    }

    /// The longest an access token may live: the bound on how long a token outlives the
    /// session it was minted from.
    pub const MAX_ACCESS_TOKEN_TTL: Duration = Duration::minutes(60);

    /// The `iss` of access tokens: the public URL, where the discovery document is.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// `path` under the public URL's own path, for links within pages (a form's action): the
    /// public URL may carry a prefix such as a stage name.
    pub fn path(&self, path: &str) -> String {
        let after_scheme = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, rest)| rest);
        let prefix = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
        format!("{prefix}{path}")
    }

    /// Whether a tenant may claim an inbound address on `domain`.
    pub fn receives_mail_for(&self, domain: &str) -> bool {
        self.inbound_domains.iter().any(|receiving| {
            domain == receiving
                || domain
                    .strip_suffix(receiving.as_str())
                    .is_some_and(|sub| sub.ends_with('.'))
        })
    }

    pub fn sign_in_url(&self) -> String {
        self.link("/")
    }

    /// Where a person goes after joining `tenant`: its own app, else Usher's sign-in.
    pub fn after_joining_url(&self, settings: &crate::settings::TenantSettings) -> String {
        settings
            .app_url
            .as_ref()
            .map_or_else(|| self.sign_in_url(), |url| url.as_str().to_owned())
    }
}

/// Ports, clock, randomness and configuration: what a use case is given.
#[derive(Clone)]
pub struct App {
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasherService,
    pub outbox: Outbox,
    /// Seals and uses the access tokens' signing keys.
    pub signer: crate::signing::TokenSigner,
    pub config: Config,
    /// Woken after a commit that filed mail, so a local worker sends it at once. In AWS the table
    /// stream does this job.
    pub mail_waker: Option<Arc<Notify>>,
    /// Keeps a webhook receiver that hangs or is down from holding up the others (per process).
    pub webhook_gate: Arc<crate::usecases::webhooks::gate::WebhookGate>,
    /// Where every event goes besides the endpoints (an EventBridge bus on AWS), when set.
    pub event_bus: Option<Arc<dyn crate::usecases::webhooks::bus::EventBus>>,
    /// Resolves webhook receivers' names (checked after every lookup: see `webhooks::guard`).
    pub resolver: Arc<dyn crate::usecases::webhooks::guard::HostResolver>,
}

impl App {
    /// The one way to build an `App`: a table, the outbox key and the configuration; the system
    /// clock, the OS RNG and OWASP argon2id unless the builder is told otherwise.
    pub fn builder(table: Arc<dyn Table>, outbox_key: &OutboxKey, config: Config) -> AppBuilder {
        AppBuilder {
            table,
            outbox: Outbox::new(outbox_key),
            signer: crate::signing::TokenSigner::new(outbox_key),
            config,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: None,
            mail_waker: None,
            event_bus: None,
            resolver: Arc::new(crate::usecases::webhooks::guard::SystemResolver),
        }
    }

    pub(crate) fn mail_committed(&self) {
        if let Some(waker) = &self.mail_waker {
            waker.notify_one();
        }
    }
}

/// Builds an [`App`]; see [`App::builder`]. Clone it to build two apps that differ in one part
/// (the test harness gives its outbox worker the table without the round-trip counter).
#[derive(Clone)]
pub struct AppBuilder {
    table: Arc<dyn Table>,
    outbox: Outbox,
    signer: crate::signing::TokenSigner,
    config: Config,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    hasher: Option<PasswordHasherService>,
    mail_waker: Option<Arc<Notify>>,
    event_bus: Option<Arc<dyn crate::usecases::webhooks::bus::EventBus>>,
    resolver: Arc<dyn crate::usecases::webhooks::guard::HostResolver>,
}

impl AppBuilder {
    pub fn table(mut self, table: Arc<dyn Table>) -> Self {
        self.table = table;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn random(mut self, random: Arc<dyn Random>) -> Self {
        self.random = random;
        self
    }

    pub fn hasher(mut self, hasher: PasswordHasherService) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// Commits that file mail wake `waker`, so an in-process worker sends at once.
    pub fn mail_waker(mut self, waker: Arc<Notify>) -> Self {
        self.mail_waker = Some(waker);
        self
    }

    /// Every event goes onto `bus` too, put by the fan-out.
    pub fn event_bus(mut self, bus: Arc<dyn crate::usecases::webhooks::bus::EventBus>) -> Self {
        self.event_bus = Some(bus);
        self
    }

    /// Webhook receivers' names are resolved by `resolver` instead of the system's.
    pub fn resolver(
        mut self,
        resolver: Arc<dyn crate::usecases::webhooks::guard::HostResolver>,
    ) -> Self {
        self.resolver = resolver;
        self
    }

    pub fn build(self) -> App {
        App {
            table: self.table,
            clock: self.clock,
            random: self.random,
            hasher: self.hasher.unwrap_or_else(PasswordHasherService::owasp),
            outbox: self.outbox,
            signer: self.signer,
            config: self.config,
            mail_waker: self.mail_waker,
            webhook_gate: Arc::default(),
            event_bus: self.event_bus,
            resolver: self.resolver,
        }
    }
}
