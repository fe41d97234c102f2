//! A list's `filter` (RFC 7644 section 3.4.2.2), in the forms the providers use to find a
//! resource before they create it: `eq` terms joined by `and`. Each term names one resource
//! at most, so the first is answered by point reads and the others are checked against what
//! it found; any other filter is refused with `invalidFilter` rather than answered by reading
//! the whole tenant.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use super::{ScimProtocolError, ScimType};

/// One `attribute eq "value"` term of a Users filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserTerm {
    Id(String),
    /// Compared without regard to case (RFC 7643 section 4.1.1).
    UserName(String),
    /// `emails.value`, `emails[type eq "work"].value`, `emails[value eq ...]`: the sign-in
    /// email, compared without regard to case.
    Email(String),
    /// Compared exactly (`caseExact`, RFC 7643 section 3.1).
    ExternalId(String),
}

/// One term of a Groups filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupTerm {
    Id(String),
    DisplayName(String),
    ExternalId(String),
}

/// `emails[type eq "work"].value eq "x"` as Entra ID and the issue's providers write it; the
/// filter grammar has no `valuePath.subAttr`, so it is read as the value path it means.
fn rewrite_work_email(raw: &str) -> String {
    let trimmed = raw.trim();
    let prefix = r#"emails[type eq "work"].value eq "#;
    match trimmed.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => {
            format!(
                r#"emails[type eq "work" and value eq {}]"#,
                &trimmed[prefix.len()..]
            )
        }
        _ => trimmed.to_owned(),
    }
}

fn invalid(detail: impl Into<String>) -> ScimProtocolError {
    ScimProtocolError::bad(ScimType::InvalidFilter, detail)
}

/// The `eq` terms of a filter joined by `and`, each as (path, string value).
fn eq_terms(
    filter: &Filter,
) -> Result<Vec<(AttrPath, Option<AttrPath>, String)>, ScimProtocolError> {
    match filter {
        Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(value))) => {
            Ok(vec![(path.clone(), None, value.clone())])
        }
        Filter::And(all) => {
            let mut terms = Vec::new();
            for part in all.as_slice() {
                terms.extend(eq_terms(part)?);
            }
            Ok(terms)
        }
        // `emails[value eq "x"]`, with `type eq "work"` or `primary eq true` beside it.
        Filter::ValuePath(value_path) => {
            let mut value = None;
            value_path_terms(&value_path.filter, &mut value)?;
            let value =
                value.ok_or_else(|| invalid("a value path names its value with value eq"))?;
            Ok(vec![(
                value_path.attr.clone(),
                Some(AttrPath::with_name("value")),
                value,
            )])
        }
        _ => Err(invalid(
            "only eq terms joined by and are supported (userName, externalId, id, emails; displayName for groups)",
        )),
    }
}

fn value_path_terms(
    filter: &ValFilter,
    value: &mut Option<String>,
) -> Result<(), ScimProtocolError> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(v)))
            if path.name.eq_ignore_ascii_case("value") =>
        {
            *value = Some(v.clone());
            Ok(())
        }
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(v)))
            if path.name.eq_ignore_ascii_case("type") && v.eq_ignore_ascii_case("work") =>
        {
            Ok(())
        }
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::True))
            if path.name.eq_ignore_ascii_case("primary") =>
        {
            Ok(())
        }
        ValFilter::And(all) => all
            .as_slice()
            .iter()
            .try_for_each(|f| value_path_terms(f, value)),
        _ => Err(invalid(
            "a value path of emails takes value, type \"work\" and primary",
        )),
    }
}

fn parse(raw: &str) -> Result<Vec<(AttrPath, Option<AttrPath>, String)>, ScimProtocolError> {
    let filter: Filter = rewrite_work_email(raw)
        .parse()
        .map_err(|e| invalid(format!("the filter does not parse: {e}")))?;
    eq_terms(&filter)
}

/// The core schema's URN, or none: the other schemas hold no attribute a filter may name.
fn core(path: &AttrPath) -> bool {
    path.uri
        .as_deref()
        .is_none_or(|uri| uri.starts_with("urn:ietf:params:scim:schemas:core:2.0:"))
}

/// A Users filter.
pub fn user_terms(raw: &str) -> Result<Vec<UserTerm>, ScimProtocolError> {
    parse(raw)?
        .into_iter()
        .map(|(path, value_sub, value)| {
            let sub = value_sub
                .as_ref()
                .map(|s| s.name.as_str())
                .or(path.sub_attr.as_deref());
            let name = path.name.as_str();
            if !core(&path) {
                return Err(invalid(format!(
                    "{path} is not an attribute a filter may name"
                )));
            }
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            match sub {
                None if is("userName") => Ok(UserTerm::UserName(value)),
                None if is("externalId") => Ok(UserTerm::ExternalId(value)),
                None if is("id") => Ok(UserTerm::Id(value)),
                Some(sub) if is("emails") && sub.eq_ignore_ascii_case("value") => {
                    Ok(UserTerm::Email(value))
                }
                _ => Err(invalid(format!(
                    "{path} is not filterable: use userName, externalId, id or emails"
                ))),
            }
        })
        .collect()
}

/// A Groups filter.
pub fn group_terms(raw: &str) -> Result<Vec<GroupTerm>, ScimProtocolError> {
    parse(raw)?
        .into_iter()
        .map(|(path, value_sub, value)| {
            let name = path.name.as_str();
            if !core(&path) || value_sub.is_some() || path.sub_attr.is_some() {
                return Err(invalid(format!("{path} is not filterable on groups")));
            }
            let is = |n: &str| name.eq_ignore_ascii_case(n);
            if is("displayName") {
                Ok(GroupTerm::DisplayName(value))
            } else if is("externalId") {
                Ok(GroupTerm::ExternalId(value))
            } else if is("id") {
                Ok(GroupTerm::Id(value))
            } else {
                Err(invalid(format!(
                    "{path} is not filterable: use displayName, externalId or id"
                )))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_the_providers_send_read_as_point_lookups() {
        assert_eq!(
            user_terms(r#"userName eq "Bjensen@example.org""#).unwrap(),
            vec![UserTerm::UserName("Bjensen@example.org".into())]
        );
        assert_eq!(
            user_terms(r#"emails[type eq "work"].value eq "b@example.org""#).unwrap(),
            vec![UserTerm::Email("b@example.org".into())]
        );
        assert_eq!(
            user_terms(r#"emails[value eq "b@example.org" and primary eq true]"#).unwrap(),
            vec![UserTerm::Email("b@example.org".into())]
        );
        assert_eq!(
            user_terms(
                r#"urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "x" and id eq "y""#
            )
            .unwrap(),
            vec![UserTerm::ExternalId("x".into()), UserTerm::Id("y".into())]
        );
        assert_eq!(
            group_terms(r#"displayName eq "Sales""#).unwrap(),
            vec![GroupTerm::DisplayName("Sales".into())]
        );
    }

    #[test]
    fn anything_that_would_read_the_tenant_is_an_invalid_filter() {
        for raw in [
            r#"userName sw "b""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"not (userName eq "a")"#,
            r#"title eq "x""#,
            r#"emails[type eq "home"].value eq "x""#,
            r#"urn:example:ext:userName eq "x""#,
            "active eq true",
            "userName eq",
            "",
        ] {
            let refused = user_terms(raw).unwrap_err();
            assert!(
                matches!(
                    refused,
                    ScimProtocolError::BadRequest {
                        scim_type: ScimType::InvalidFilter,
                        ..
                    }
                ),
                "{raw}: {refused:?}"
            );
        }
        assert!(group_terms(r#"members.value eq "x""#).is_err());
    }
}
