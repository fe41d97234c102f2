//! `PATCH` (RFC 7644 section 3.5.2) as the providers send it, applied to a resource's JSON.
//!
//! The operations are parsed by the `scim_v2` crate (an `op` in any of its usual cases, paths
//! with filters); they are applied here to the resource's representation, which is then read
//! back as a whole, the way a `PUT` body is. One reading for every form means a `PATCH` cannot
//! set what a `PUT` could not. The forms the providers send, each kept as a fixture in the tests:
//!
//! - pathed `replace`/`add` of a plain (`active`), dotted (`name.givenName`) or URN-qualified
//!   (`urn:...:User:userName`) attribute;
//! - path-less `replace`/`add` whose value's keys are plain, dotted or URN-qualified (Entra ID
//!   without `aadOptscim062020`), or objects under the extension's URN;
//! - a filter in the path: `emails[type eq "work"].value`, `members[value eq "..."]`;
//! - `remove` of members by filter, or by a `value` array (Entra ID), and `replace members`
//!   with `[]`;
//! - booleans as `"True"`/`"False"` strings (read where the attribute is, not here);
//! - `add` on a single-valued attribute, which replaces it.

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, PatchPath, PatchValuePath, ValFilter,
};
use scim_v2::models::others::{OperationTarget, PatchOp, PatchOperation};
use serde_json::{Map, Value};

use super::resource::ENTERPRISE_USER_SCHEMA;
use super::{ScimProtocolError, ScimType};

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations one `PATCH` may hold (a group's members come in batches of this size
/// from Entra ID; Okta sends fewer).
const MAX_OPERATIONS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// Reads a `PATCH` body.
pub fn parse(body: &Value) -> Result<PatchOp, ScimProtocolError> {
    let op: PatchOp = scim_v2::case_insensitive::from_value(body.clone()).map_err(|e| {
        ScimProtocolError::bad(ScimType::InvalidSyntax, format!("not a PATCH request: {e}"))
    })?;
    if !op
        .schemas
        .iter()
        .any(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))
    {
        return Err(ScimProtocolError::bad(
            ScimType::InvalidSyntax,
            format!("schemas must name {PATCH_SCHEMA}"),
        ));
    }
    if op.operations.len() > MAX_OPERATIONS {
        return Err(ScimProtocolError::invalid_value(format!(
            "at most {MAX_OPERATIONS} operations in one PATCH"
        )));
    }
    Ok(op)
}

/// Applies every operation of `patch` to `resource`, in order.
pub fn apply(resource: &mut Value, patch: &PatchOp) -> Result<(), ScimProtocolError> {
    let Value::Object(root) = resource else {
        return Err(ScimProtocolError::bad(
            ScimType::InvalidSyntax,
            "not an object",
        ));
    };
    for operation in &patch.operations {
        match operation {
            PatchOperation::Add(target) => apply_target(root, Kind::Add, target)?,
            PatchOperation::Replace(target) => apply_target(root, Kind::Replace, target)?,
            PatchOperation::Remove { path, value } => {
                apply_path(root, Kind::Remove, path, value.clone())?;
            }
        }
    }
    Ok(())
}

fn apply_target(
    root: &mut Map<String, Value>,
    kind: Kind,
    target: &OperationTarget,
) -> Result<(), ScimProtocolError> {
    match target {
        OperationTarget::WithPath { path, value } => {
            let value = value.clone().ok_or_else(|| {
                ScimProtocolError::bad(ScimType::InvalidValue, "add and replace need a value")
            })?;
            apply_path(root, kind, path, Some(value))
        }
        // Each key is a path of its own: plain, dotted or URN-qualified; an extension's URN
        // holds an object of its attributes.
        OperationTarget::WithoutPath { value } => {
            for (key, value) in value {
                if key.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
                    let Value::Object(attributes) = value else {
                        return Err(ScimProtocolError::bad(
                            ScimType::InvalidValue,
                            format!("{ENTERPRISE_USER_SCHEMA} must hold an object"),
                        ));
                    };
                    let extension = object_at(root, ENTERPRISE_USER_SCHEMA);
                    for (name, value) in attributes {
                        set_attribute(extension, kind, name, None, Some(value.clone()))?;
                    }
                    continue;
                }
                let path: PatchPath = key.parse().map_err(|_| {
                    ScimProtocolError::bad(
                        ScimType::InvalidPath,
                        format!("{key:?} is not an attribute path"),
                    )
                })?;
                apply_path(root, kind, &path, Some(value.clone()))?;
            }
            Ok(())
        }
    }
}

/// The object that holds the attributes of `path`'s schema: the resource itself, or the
/// extension's object under its URN.
fn container<'a>(
    root: &'a mut Map<String, Value>,
    path: &AttrPath,
) -> Result<&'a mut Map<String, Value>, ScimProtocolError> {
    match path.uri.as_deref() {
        None => Ok(root),
        Some(uri) if uri.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) => {
            Ok(object_at(root, ENTERPRISE_USER_SCHEMA))
        }
        Some(uri) if uri.starts_with("urn:ietf:params:scim:schemas:core:2.0:") => Ok(root),
        Some(uri) => Err(ScimProtocolError::bad(
            ScimType::InvalidPath,
            format!("{uri} is not a schema of this resource"),
        )),
    }
}

fn apply_path(
    root: &mut Map<String, Value>,
    kind: Kind,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimProtocolError> {
    match path {
        // The extension as a whole: its URN reads as a URI with the last part for a name.
        PatchPath::Attr(attr)
            if attr.uri.as_ref().is_some_and(|uri| {
                format!("{uri}:{}", attr.name).eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)
            }) =>
        {
            set_attribute(
                root,
                kind,
                ENTERPRISE_USER_SCHEMA,
                attr.sub_attr.as_deref(),
                value,
            )
        }
        PatchPath::Attr(attr) => {
            let holder = container(root, attr)?;
            set_attribute(holder, kind, &attr.name, attr.sub_attr.as_deref(), value)
        }
        PatchPath::Value(value_path) => {
            let holder = container(root, &value_path.attr)?;
            apply_value_path(holder, kind, value_path, value)
        }
    }
}

/// The key `name` has in `object` (names compare without regard to case), or `name` itself.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// The object at `name`, made when it is absent or not an object.
fn object_at<'a>(object: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let key = key_of(object, name);
    let slot = object
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("made an object just above"),
    }
}

fn set_attribute(
    object: &mut Map<String, Value>,
    kind: Kind,
    name: &str,
    sub: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimProtocolError> {
    let key = key_of(object, name);
    if let Some(sub) = sub {
        return set_sub_attribute(object, kind, &key, sub, value);
    }
    match (kind, value) {
        (Kind::Remove, None) => {
            object.remove(&key);
        }
        // Entra ID removes members by a `value` array: `{"op": "remove", "path": "members",
        // "value": [{"value": "id"}]}`.
        (Kind::Remove, Some(listed)) => {
            let gone: Vec<Value> = as_list(listed).iter().filter_map(value_of).collect();
            if let Some(Value::Array(items)) = object.get_mut(&key) {
                items.retain(|item| {
                    !value_of(item).is_some_and(|v| gone.iter().any(|g| same(g, &v)))
                });
            }
        }
        (Kind::Add, Some(value)) => match (object.get_mut(&key), value) {
            (Some(Value::Array(items)), added) => {
                for item in as_list(added) {
                    let known = value_of(&item).is_some_and(|v| {
                        items
                            .iter()
                            .any(|i| value_of(i).is_some_and(|w| same(&v, &w)))
                    });
                    if !known {
                        items.push(item);
                    }
                }
            }
            (Some(Value::Object(existing)), Value::Object(added)) => merge(existing, added),
            (_, value) => {
                object.insert(key, value);
            }
        },
        (Kind::Replace, Some(value)) => match (object.get_mut(&key), value) {
            // A complex attribute's sub-attributes not named are left as they are (RFC 7644
            // section 3.5.2.3).
            (Some(Value::Object(existing)), Value::Object(added)) => merge(existing, added),
            (_, value) => {
                object.insert(key, value);
            }
        },
        (Kind::Add | Kind::Replace, None) => unreachable!("checked by apply_target"),
    }
    Ok(())
}

/// `name.sub`: a sub-attribute of a complex attribute, or of the primary (else the first) value
/// of a multi-valued one (`emails.value`).
fn set_sub_attribute(
    object: &mut Map<String, Value>,
    kind: Kind,
    key: &str,
    sub: &str,
    value: Option<Value>,
) -> Result<(), ScimProtocolError> {
    let slot = object
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    let target = match slot {
        Value::Object(map) => map,
        Value::Array(items) => {
            if items.is_empty() {
                if kind == Kind::Remove {
                    return Ok(());
                }
                items.push(Value::Object(Map::new()));
            }
            let at = items
                .iter()
                .position(|i| i.get("primary").and_then(super::resource::boolean) == Some(true))
                .unwrap_or(0);
            match &mut items[at] {
                Value::Object(map) => map,
                _ => {
                    return Err(ScimProtocolError::bad(
                        ScimType::InvalidPath,
                        format!("{key}.{sub}"),
                    ));
                }
            }
        }
        _ => {
            return Err(ScimProtocolError::bad(
                ScimType::InvalidPath,
                format!("{key} has no sub-attributes"),
            ));
        }
    };
    let sub_key = key_of(target, sub);
    match value {
        Some(value) if kind != Kind::Remove => {
            target.insert(sub_key, value);
        }
        _ => {
            target.remove(&sub_key);
        }
    }
    Ok(())
}

/// `attr[filter]` and `attr[filter].sub`: the values of a multi-valued attribute the filter
/// matches. An `add` or `replace` that matches none adds a value made of the filter's `eq`
/// terms and the value given (Entra ID sets `phoneNumbers[type eq "mobile"].value` on a person
/// without one); a `remove` that matches none changes nothing.
fn apply_value_path(
    object: &mut Map<String, Value>,
    kind: Kind,
    path: &PatchValuePath,
    value: Option<Value>,
) -> Result<(), ScimProtocolError> {
    let key = key_of(object, &path.attr.name);
    let slot = object
        .entry(key.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else {
        return Err(ScimProtocolError::bad(
            ScimType::InvalidPath,
            format!("{key} is not multi-valued"),
        ));
    };
    let matched: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| matches(&path.filter, item))
        .map(|(at, _)| at)
        .collect();
    if kind == Kind::Remove {
        match &path.sub_attr {
            None => {
                let mut at = 0;
                items.retain(|_| {
                    let keep = !matched.contains(&at);
                    at += 1;
                    keep
                });
            }
            Some(sub) => {
                for at in matched {
                    if let Value::Object(item) = &mut items[at] {
                        let sub_key = key_of(item, sub);
                        item.remove(&sub_key);
                    }
                }
            }
        }
        return Ok(());
    }
    let value = value.unwrap_or(Value::Null);
    if matched.is_empty() {
        let mut made = Map::new();
        equalities(&path.filter, &mut made);
        match (&path.sub_attr, value) {
            (Some(sub), value) => {
                made.insert(sub.clone(), value);
            }
            (None, Value::Object(fields)) => merge(&mut made, fields),
            (None, _) => {
                return Err(ScimProtocolError::bad(
                    ScimType::InvalidValue,
                    format!("a value of {key} is an object"),
                ));
            }
        }
        items.push(Value::Object(made));
        return Ok(());
    }
    for at in matched {
        let Value::Object(item) = &mut items[at] else {
            continue;
        };
        match (&path.sub_attr, &value) {
            (Some(sub), value) => {
                let sub_key = key_of(item, sub);
                item.insert(sub_key, value.clone());
            }
            (None, Value::Object(fields)) => merge(item, fields.clone()),
            (None, _) => {
                return Err(ScimProtocolError::bad(
                    ScimType::InvalidValue,
                    format!("a value of {key} is an object"),
                ));
            }
        }
    }
    Ok(())
}

/// Whether a value of a multi-valued attribute passes a filter. Strings compare without regard
/// to case: `type`, `value` of emails and the ids of members all do.
fn matches(filter: &ValFilter, item: &Value) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Present(path)) => field(item, path).is_some(),
        ValFilter::Attr(AttrExp::Comparison(path, op, expected)) => {
            let Some(actual) = field(item, path) else {
                return false;
            };
            let equal = compare(actual, expected);
            match op {
                CompareOp::Eq => equal,
                CompareOp::Ne => !equal,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                    let (Some(actual), CompValue::Str(expected)) = (actual.as_str(), expected)
                    else {
                        return false;
                    };
                    let (actual, expected) = (actual.to_lowercase(), expected.to_lowercase());
                    match op {
                        CompareOp::Co => actual.contains(&expected),
                        CompareOp::Sw => actual.starts_with(&expected),
                        _ => actual.ends_with(&expected),
                    }
                }
                CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le => false,
            }
        }
        ValFilter::Not(inner) => !matches(inner, item),
        ValFilter::And(all) => all.as_slice().iter().all(|f| matches(f, item)),
        ValFilter::Or(any) => any.as_slice().iter().any(|f| matches(f, item)),
    }
}

fn field<'a>(item: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let object = item.as_object()?;
    super::resource::member(object, &path.name)
}

fn compare(actual: &Value, expected: &CompValue) -> bool {
    match (actual, expected) {
        (Value::String(a), CompValue::Str(e)) => a.eq_ignore_ascii_case(e),
        (actual, CompValue::True) => super::resource::boolean(actual) == Some(true),
        (actual, CompValue::False) => super::resource::boolean(actual) == Some(false),
        (Value::Null, CompValue::Null) => true,
        (Value::Number(a), CompValue::Number(e)) => a == e,
        _ => false,
    }
}

/// The `attr eq value` terms of a filter joined by `and`: what a value the filter names has.
fn equalities(filter: &ValFilter, into: &mut Map<String, Value>) {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) => {
            let value = match value {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::True => Value::Bool(true),
                CompValue::False => Value::Bool(false),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return,
            };
            into.insert(path.name.clone(), value);
        }
        ValFilter::And(all) => all.as_slice().iter().for_each(|f| equalities(f, into)),
        _ => {}
    }
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (name, value) in from {
        let key = key_of(into, &name);
        into.insert(key, value);
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// A multi-valued attribute's value by its `value` sub-attribute, or a bare value.
fn value_of(item: &Value) -> Option<Value> {
    match item {
        Value::Object(map) => super::resource::member(map, "value").cloned(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(resource: Value, operations: Value) -> Result<Value, ScimProtocolError> {
        let op = parse(&json!({"schemas": [PATCH_SCHEMA], "Operations": operations}))?;
        let mut resource = resource;
        apply(&mut resource, &op)?;
        Ok(resource)
    }

    #[test]
    fn attribute_names_and_ops_are_read_in_any_case() {
        let user = json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"}});
        let out = patched(
            user,
            json!([{"op": "Replace", "path": "NAME.GIVENNAME", "value": "Ada"},
                   {"op": "ADD", "value": {"DisplayName": "Ada B"}}]),
        )
        .unwrap();
        assert_eq!(out["name"], json!({"givenName": "Ada", "familyName": "B"}));
        assert_eq!(
            out["displayName"], "Ada B",
            "a new attribute takes the name sent"
        );
    }

    #[test]
    fn a_filter_that_matches_none_adds_a_value_and_a_remove_of_none_changes_nothing() {
        let user = json!({"phoneNumbers": [{"type": "work", "value": "1"}]});
        let out = patched(
            user.clone(),
            json!([{"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "2"}]),
        )
        .unwrap();
        assert_eq!(
            out["phoneNumbers"],
            json!([{"type": "work", "value": "1"}, {"type": "mobile", "value": "2"}])
        );
        let out = patched(
            user.clone(),
            json!([{"op": "remove", "path": "phoneNumbers[type eq \"home\"]"}]),
        )
        .unwrap();
        assert_eq!(out, user);
    }

    #[test]
    fn bodies_that_are_not_patches_are_refused() {
        for body in [
            json!({"Operations": []}),
            json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "move", "path": "a"}]}),
            json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "value": "not a map"}]}),
            json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "a[", "value": 1}]}),
        ] {
            assert!(parse(&body).is_err(), "{body}");
        }
        let too_many: Vec<Value> = (0..=MAX_OPERATIONS)
            .map(|_| json!({"op": "remove", "path": "title"}))
            .collect();
        assert!(parse(&json!({"schemas": [PATCH_SCHEMA], "Operations": too_many})).is_err());
    }

    #[test]
    fn a_path_in_another_schema_is_an_invalid_path() {
        let refused = patched(
            json!({"userName": "a"}),
            json!([{"op": "add", "path": "urn:example:other:2.0:User:x", "value": 1}]),
        )
        .unwrap_err();
        assert!(matches!(
            refused,
            ScimProtocolError::BadRequest {
                scim_type: ScimType::InvalidPath,
                ..
            }
        ));
    }
}
