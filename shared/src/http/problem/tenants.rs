//! Read a tenant, change its settings.

use axum::http::StatusCode;

use super::Problem;
use crate::settings::SettingsError;
use crate::usecases::get_tenant::GetTenantError;
use crate::usecases::update_settings::UpdateSettingsError;

impl From<SettingsError> for Problem {
    fn from(e: SettingsError) -> Self {
        let field = match &e {
            SettingsError::InvitationTtl => "invitation_ttl_hours",
            SettingsError::Domain { field, .. } | SettingsError::TooMany { field, .. } => field,
            SettingsError::UnknownPermission(_) => "inbound.default_permissions",
            SettingsError::DuplicatePermission(_) | SettingsError::Label => "permission_catalog",
            SettingsError::AppUrl => "app_url",
            SettingsError::InboundCap => "inbound.max_new_users_per_hour",
            SettingsError::TeamsAtCreation => "default_teams",
            SettingsError::TeamAddress(_) => "inbound.teams",
        };
        let code = if matches!(e, SettingsError::UnknownPermission(_)) {
            "unknown_permission"
        } else {
            "invalid_request"
        };
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string()).with_field(field)
    }
}

impl From<GetTenantError> for Problem {
    fn from(e: GetTenantError) -> Self {
        match e {
            GetTenantError::Auth(e) => e.into(),
        }
    }
}

impl From<UpdateSettingsError> for Problem {
    fn from(e: UpdateSettingsError) -> Self {
        let detail = e.to_string();
        match e {
            UpdateSettingsError::Auth(e) => e.into(),
            UpdateSettingsError::Forbidden => Problem::forbidden(detail),
            UpdateSettingsError::Invalid(e) => e.into(),
            UpdateSettingsError::DomainNotAllowed(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "inbound_domain_not_allowed",
                detail,
            )
            .with_field("inbound.addresses"),
            UpdateSettingsError::PermissionInUse { .. } => {
                Problem::new(StatusCode::CONFLICT, "permission_in_use", detail)
                    .with_field("permission_catalog")
            }
            UpdateSettingsError::AddressTaken => {
                Problem::new(StatusCode::CONFLICT, "inbound_address_taken", detail)
                    .with_field("inbound.addresses")
            }
            UpdateSettingsError::UnknownTeam { field, .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_team", detail)
                    .with_field(field)
            }
            UpdateSettingsError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            UpdateSettingsError::Internal(e) => e.into(),
        }
    }
}

impl From<crate::usecases::inbound::HeldError> for Problem {
    fn from(e: crate::usecases::inbound::HeldError) -> Self {
        use crate::usecases::inbound::HeldError;
        let detail = e.to_string();
        match e {
            HeldError::Auth(e) => e.into(),
            HeldError::Forbidden => Problem::forbidden(detail),
            HeldError::NotFound => Problem::not_found(),
            HeldError::InvalidCursor => {
                Problem::invalid("cursor", "is not a cursor this listing gave")
            }
            HeldError::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            HeldError::Internal(e) => e.into(),
        }
    }
}

impl From<crate::usecases::tenant_directory::TenantDirectoryError> for Problem {
    fn from(e: crate::usecases::tenant_directory::TenantDirectoryError) -> Self {
        use crate::usecases::tenant_directory::TenantDirectoryError as E;
        let detail = e.to_string();
        match e {
            E::Auth(e) => e.into(),
            E::Invalid(e) => e.into(),
            E::NotFound => Problem::not_found(),
            E::AlreadySuspended => Problem::new(StatusCode::CONFLICT, "tenant_suspended", detail),
            E::NotSuspended => Problem::new(StatusCode::CONFLICT, "tenant_not_suspended", detail),
            E::InvalidReason => Problem::invalid("reason", detail),
            E::InboundAtCreation => Problem::invalid("settings.inbound", detail),
            E::BadCursor => Problem::invalid("cursor", detail),
            E::QueryTooLong => Problem::invalid("q", detail),
            E::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            E::Internal(e) => e.into(),
        }
    }
}

impl From<crate::usecases::api_keys::ApiKeyError> for Problem {
    fn from(e: crate::usecases::api_keys::ApiKeyError) -> Self {
        use crate::usecases::api_keys::ApiKeyError as E;
        let detail = e.to_string();
        match e {
            E::Auth(e) => e.into(),
            E::SessionRequired => Problem::new(StatusCode::FORBIDDEN, "session_required", detail),
            E::Forbidden => Problem::forbidden(detail),
            E::InvalidName => Problem::invalid("name", detail),
            E::UnknownPermission(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_permission",
                detail,
            )
            .with_field("permissions"),
            E::PermissionNotHeld(_) => {
                Problem::new(StatusCode::FORBIDDEN, "permission_not_held", detail)
                    .with_field("permissions")
            }
            E::ExpiryInPast => Problem::invalid("expires_at", detail),
            E::NotFound => Problem::not_found(),
            E::AlreadyRevoked => Problem::new(StatusCode::CONFLICT, "api_key_revoked", detail),
            E::Internal(e) => e.into(),
        }
    }
}

impl From<crate::usecases::signup::SignupError> for Problem {
    fn from(e: crate::usecases::signup::SignupError) -> Self {
        use crate::usecases::signup::SignupError as E;
        let detail = e.to_string();
        match e {
            E::Off => Problem::new(StatusCode::NOT_FOUND, "self_service_off", detail),
            E::LinkUnknown => {
                Problem::new(StatusCode::NOT_FOUND, "token_invalid", detail).with_field("token")
            }
            E::LinkExpired { .. } => {
                Problem::new(StatusCode::GONE, "token_expired", detail).with_field("token")
            }
            E::LinkUsed { .. } => {
                Problem::new(StatusCode::GONE, "token_used", detail).with_field("token")
            }
            E::AccountExists { .. } => Problem::new(StatusCode::CONFLICT, "account_exists", detail),
            E::Weak { .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", detail)
                    .with_field("password")
            }
            E::Conflict { .. } => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            E::SessionConfined => Problem::new(StatusCode::FORBIDDEN, "session_confined", detail),
            E::RateLimited {
                retry_after_seconds,
            } => super::rate_limited(retry_after_seconds),
            E::Auth(e) => e.into(),
            E::Internal(e) => e.into(),
        }
    }
}
