//! Identifiers: ULIDs behind newtypes, so a tenant id can never be passed where an account id goes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Ulid);

        impl $name {
            pub fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }

            pub fn as_ulid(&self) -> Ulid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = ulid::DecodeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

ulid_id!(
    /// An organisation: a municipality, a client company, a help-desk customer site.
    TenantId
);
ulid_id!(
    /// One person, global across tenants.
    AccountId
);
ulid_id!(
    /// An audit event.
    EventId
);
ulid_id!(
    /// A mail waiting in the transactional outbox.
    OutboxId
);
ulid_id!(
    /// An invitation to join a tenant.
    InvitationId
);
ulid_id!(
    /// A sender held for an admin's decision.
    HeldId
);
ulid_id!(
    /// A CSV import of users into a tenant.
    ImportId
);
ulid_id!(
    /// A tenant's webhook endpoint.
    WebhookId
);
ulid_id!(
    /// A key of the operator's (the company running Usher) for its back office.
    OperatorKeyId
);
ulid_id!(
    /// A tenant's API key, for the SaaS backend acting in that tenant.
    ApiKeyId
);
ulid_id!(
    /// A tenant's SCIM token, for its identity provider (Entra ID, Okta).
    ScimTokenId
);
ulid_id!(
    /// A session, as its person sees it in their list (never its secret).
    SessionId
);
ulid_id!(
    /// A team of a tenant's people.
    TeamId
);
