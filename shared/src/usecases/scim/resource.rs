//! A member as a SCIM User (RFC 7643 section 4.1), and a User's body as what Usher keeps of it.
//!
//! Usher keeps `userName` (the sign-in email), `externalId`, `name.givenName`,
//! `name.familyName`, one phone number, `preferredLanguage` (when it is one of Usher's
//! languages) and `active`. The other attributes of the schema (titles, addresses, the
//! enterprise extension, a `password`) are accepted and not kept: a provider sends whatever its
//! mapping holds, and refusing them would stop its sync.

use serde_json::{Map, Value, json};

use super::{ScimProtocolError, ScimType};
use crate::domain::{EmailAddress, Locale, PersonName, Phone, TenantId};
use crate::records::{MembershipRecord, MembershipStatus};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// What the provider sets of a person, read from a User's body.
#[derive(Clone, Debug, PartialEq)]
pub struct UserAttributes {
    /// As the provider sent it (trimmed).
    pub user_name: String,
    /// The sign-in email: `userName` when it is an email address, else the primary (or work, or
    /// first) of `emails`.
    pub email: Option<EmailAddress>,
    pub external_id: Option<String>,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub display_name: Option<String>,
    /// The primary (or work, or first) of `phoneNumbers`.
    pub phone: Option<Phone>,
    /// `preferredLanguage` as sent, and Usher's language from it; `None` leaves the language as
    /// it is (a new person gets the tenant's).
    pub preferred_language: Option<String>,
    pub locale: Option<Locale>,
    pub emails: Option<Value>,
    pub phone_numbers: Option<Value>,
    /// The enterprise extension's object, as sent.
    pub enterprise: Option<Value>,
    pub active: bool,
}

/// The most values kept of `emails` or `phoneNumbers`, and the longest text of any.
const MAX_VALUES: usize = 10;
const MAX_TEXT: usize = 256;

/// The member of `key` in `object`, its name compared without regard to case (RFC 7643 section
/// 2.1).
pub fn member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// A boolean as the providers send it: `true`, or Entra's `"True"`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn text<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ScimProtocolError> {
    match member(object, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ScimProtocolError::invalid_value(format!(
            "{key} must be a string"
        ))),
    }
}

fn name_part(raw: &str, path: &str) -> Result<PersonName, ScimProtocolError> {
    PersonName::parse(raw).map_err(|e| ScimProtocolError::invalid_value(format!("{path}: {e}")))
}

impl UserAttributes {
    /// Reads a User's body (a `POST`, a `PUT`, or the User a `PATCH` made).
    pub fn from_json(body: &Value) -> Result<Self, ScimProtocolError> {
        let Value::Object(object) = body else {
            return Err(ScimProtocolError::bad(
                ScimType::InvalidSyntax,
                "the body must be a JSON object",
            ));
        };
        let user_name = short_text(object, "userName")?
            .ok_or_else(|| ScimProtocolError::invalid_value("userName is required"))?;
        let email = match EmailAddress::parse(&user_name) {
            Ok(email) => Some(email),
            Err(_) => work_email(object)?,
        };
        let external_id = short_text(object, "externalId")?;
        let (given_name, family_name) = names(object)?;
        let active = match member(object, "active") {
            None => true,
            Some(value) => boolean(value)
                .ok_or_else(|| ScimProtocolError::invalid_value("active must be a boolean"))?,
        };
        let display_name = short_text(object, "displayName")?;
        let preferred_language = short_text(object, "preferredLanguage")?;
        let locale = preferred_language
            .as_deref()
            .and_then(|tag| tag.split(['-', '_']).next())
            .and_then(Locale::parse);
        Ok(Self {
            user_name,
            email,
            external_id,
            given_name,
            family_name,
            display_name,
            phone: phone(object)?,
            preferred_language,
            locale,
            emails: values(object, "emails")?,
            phone_numbers: values(object, "phoneNumbers")?,
            enterprise: enterprise(object)?,
            active,
        })
    }
}

/// A string attribute of at most [`MAX_TEXT`] characters, without control characters.
pub(crate) fn short_text(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ScimProtocolError> {
    let Some(value) = text(object, key)?.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(ScimProtocolError::invalid_value(format!(
            "{key} is at most {MAX_TEXT} characters, without control characters"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// The enterprise extension's object as sent, checked: at most 20 attributes, each a short
/// string or an object of short strings (`manager`).
fn enterprise(object: &Map<String, Value>) -> Result<Option<Value>, ScimProtocolError> {
    let Some(value) = member(object, ENTERPRISE_USER_SCHEMA) else {
        return Ok(None);
    };
    let bad = || {
        ScimProtocolError::invalid_value(format!(
            "{ENTERPRISE_USER_SCHEMA} holds at most 20 short strings and objects of them"
        ))
    };
    let Value::Object(fields) = value else {
        return Err(bad());
    };
    // A client's model of the extension may name its schema inside it: not an attribute.
    let mut fields = fields.clone();
    fields.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
    let short = |v: &Value| match v {
        Value::String(s) => s.chars().count() <= MAX_TEXT,
        Value::Null => true,
        _ => false,
    };
    let fine = fields.len() <= 20
        && fields.values().all(|v| match v {
            Value::Object(inner) => inner.len() <= 8 && inner.values().all(short),
            other => short(other),
        });
    if !fine {
        return Err(bad());
    }
    Ok((!fields.is_empty()).then_some(Value::Object(fields)))
}

/// A multi-valued attribute as sent, checked: at most [`MAX_VALUES`] objects of short strings
/// and booleans.
fn values(object: &Map<String, Value>, key: &str) -> Result<Option<Value>, ScimProtocolError> {
    let Some(value) = member(object, key) else {
        return Ok(None);
    };
    let bad = || {
        ScimProtocolError::invalid_value(format!(
            "{key} holds at most {MAX_VALUES} objects of short strings and booleans"
        ))
    };
    let Value::Array(items) = value else {
        return Err(bad());
    };
    if items.len() > MAX_VALUES {
        return Err(bad());
    }
    for item in items {
        let Value::Object(fields) = item else {
            return Err(bad());
        };
        let fine = fields.values().all(|v| match v {
            Value::String(s) => s.chars().count() <= MAX_TEXT,
            Value::Bool(_) | Value::Null => true,
            _ => false,
        });
        if !fine || fields.len() > 8 {
            return Err(bad());
        }
    }
    Ok((!items.is_empty()).then(|| value.clone()))
}

/// `name.givenName` and `name.familyName`; failing those, `displayName` split at its last space.
fn names(object: &Map<String, Value>) -> Result<(PersonName, PersonName), ScimProtocolError> {
    let name = match member(object, "name") {
        None => None,
        Some(Value::Object(name)) => Some(name),
        Some(_) => return Err(ScimProtocolError::invalid_value("name must be an object")),
    };
    let given = name.map(|n| text(n, "givenName")).transpose()?.flatten();
    let family = name.map(|n| text(n, "familyName")).transpose()?.flatten();
    let display = text(object, "displayName")?.map(str::trim);
    let split = display.and_then(|d| d.rsplit_once(' '));
    let given = given
        .filter(|g| !g.trim().is_empty())
        .or(split.map(|(first, _)| first))
        .ok_or_else(|| ScimProtocolError::invalid_value("name.givenName is required"))?;
    let family = family
        .filter(|f| !f.trim().is_empty())
        .or(split.map(|(_, last)| last))
        .ok_or_else(|| ScimProtocolError::invalid_value("name.familyName is required"))?;
    Ok((
        name_part(given, "name.givenName")?,
        name_part(family, "name.familyName")?,
    ))
}

/// The values of a multi-valued attribute, and the one Usher keeps: the primary, else the one
/// of type `work`, else the first.
fn chosen<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, ScimProtocolError> {
    let values = match member(object, name) {
        None => return Ok(None),
        Some(Value::Array(values)) => values,
        Some(_) => {
            return Err(ScimProtocolError::invalid_value(format!(
                "{name} must be an array"
            )));
        }
    };
    let values: Vec<&Map<String, Value>> = values.iter().filter_map(Value::as_object).collect();
    Ok(values
        .iter()
        .find(|v| member(v, "primary").and_then(boolean) == Some(true))
        .or_else(|| {
            values.iter().find(|v| {
                member(v, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or(values.first())
        .copied())
}

/// The sign-in email from `emails`, when `userName` is not one.
fn work_email(object: &Map<String, Value>) -> Result<Option<EmailAddress>, ScimProtocolError> {
    let Some(raw) = chosen(object, "emails")?
        .map(|e| text(e, "value"))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    EmailAddress::parse(raw.trim())
        .map(Some)
        .map_err(|e| ScimProtocolError::invalid_value(format!("emails.value: {e}")))
}

/// The one phone number kept.
fn phone(object: &Map<String, Value>) -> Result<Option<Phone>, ScimProtocolError> {
    let Some(raw) = chosen(object, "phoneNumbers")?
        .map(|n| text(n, "value"))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    Phone::parse(raw)
        .map(Some)
        .map_err(|e| ScimProtocolError::invalid_value(format!("phoneNumbers.value: {e}")))
}

/// A member as the provider sees it.
pub struct ScimUser<'a> {
    pub member: &'a MembershipRecord,
}

impl ScimUser<'_> {
    /// `active`: archived is inactive; a person recorded until they accept is as the provider
    /// asked; anyone else as their access is.
    pub fn active(&self) -> bool {
        let m = self.member;
        m.status == MembershipStatus::Active
            && if m.needs_consent {
                m.scim.as_ref().is_some_and(|s| s.active)
            } else {
                m.access
            }
    }

    /// The provider's `userName`: the sign-in email unless it named another.
    pub fn user_name(&self) -> &str {
        self.member
            .scim
            .as_ref()
            .and_then(|s| s.user_name.as_deref())
            .unwrap_or(self.member.email.as_str())
    }

    pub fn external_id(&self) -> Option<&str> {
        self.member
            .scim
            .as_ref()
            .and_then(|s| s.external_id.as_deref())
    }

    /// What a `PATCH` applies its operations to: what the provider sent, as it sent it, and
    /// Usher's own fields that a `PUT` of it must not clear (names, phone, active). Values
    /// Usher works out for display (`displayName`, `emails` of a member the provider never
    /// wrote) are left out, so they keep following the person.
    pub fn patchable(&self) -> Value {
        let m = self.member;
        let link = m.scim.clone().unwrap_or_default();
        let mut user = json!({
            "schemas": [USER_SCHEMA],
            "id": m.account_id.to_string(),
            "userName": self.user_name(),
            "name": {"givenName": m.first_name, "familyName": m.last_name},
            "active": self.active(),
        });
        let fields = [
            ("externalId", link.external_id.map(Value::String)),
            ("displayName", link.display_name.map(Value::String)),
            (
                "preferredLanguage",
                link.preferred_language.map(Value::String),
            ),
            ("emails", link.emails),
            (ENTERPRISE_USER_SCHEMA, link.enterprise),
            (
                "phoneNumbers",
                link.phone_numbers.or_else(|| {
                    m.phone
                        .as_ref()
                        .map(|p| json!([{"value": p.as_str(), "type": "work", "primary": true}]))
                }),
            ),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                user[name] = value;
            }
        }
        if user.get(ENTERPRISE_USER_SCHEMA).is_some() {
            user["schemas"] = json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        }
        user
    }

    /// The User's representation, without `meta` (see [`ScimUser::to_json`]). A member the
    /// provider wrote reads back as it wrote them (what it removed stays removed); one it never
    /// wrote shows Usher's own fields.
    pub fn attributes(&self) -> Value {
        let m = self.member;
        let mut user = self.patchable();
        let mut defaults = vec![(
            "emails",
            json!([{"value": m.email.as_str(), "type": "work", "primary": true}]),
        )];
        if m.scim.is_none() {
            defaults.push((
                "displayName",
                json!(format!("{} {}", m.first_name, m.last_name)),
            ));
            defaults.push(("preferredLanguage", json!(m.locale.as_str())));
        }
        for (name, value) in defaults {
            if user.get(name).is_none() {
                user[name] = value;
            }
        }
        user
    }

    /// The User as the endpoint answers with it.
    pub fn to_json(&self, public_url: &str, tenant: TenantId) -> Value {
        let m = self.member;
        let mut user = self.attributes();
        user["meta"] = json!({
            "resourceType": "User",
            "created": m.created_at,
            "lastModified": m.updated_at,
            "location": format!("{public_url}/scim/v2/{tenant}/Users/{}", m.account_id),
            "version": format!("W/\"{}\"", m.version),
        });
        user
    }
}
