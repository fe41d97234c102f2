//! What the endpoint says of itself (RFC 7644 section 4, RFC 7643 sections 5 to 7): the
//! service provider's configuration, its resource types and their schemas. The schemas list the
//! attributes Usher keeps and nothing more, so a client that reads them (the conformance tools
//! do) writes only what reads back.

use serde_json::{Value, json};
use usher_core::usecases::scim::resource::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use usher_core::usecases::scim::users::MAX_PAGE;

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `{public_url}/scim/v2/{tenant_id}`.
pub fn base(public_url: &str, tenant: &str) -> String {
    format!("{public_url}/scim/v2/{tenant}")
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A SCIM token of the tenant (usher_scim_...), made by an owner or admin",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// The resource types, each as `GET /ResourceTypes/{name}` answers.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A member of the tenant",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A team of the tenant that the identity provider manages",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// One attribute of a schema (RFC 7643 section 7).
struct Attribute {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    case_exact: bool,
    description: &'static str,
    sub: Vec<Value>,
    reference_types: &'static [&'static str],
    canonical_values: &'static [&'static str],
}

impl Attribute {
    fn new(name: &'static str, kind: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi: false,
            required: false,
            mutability: "readWrite",
            uniqueness: "none",
            case_exact: false,
            description,
            sub: Vec::new(),
            reference_types: &[],
            canonical_values: &[],
        }
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }

    fn mutability(mut self, mutability: &'static str) -> Self {
        self.mutability = mutability;
        self
    }

    fn unique(mut self) -> Self {
        self.uniqueness = "server";
        self
    }

    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    fn references(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    fn sub(mut self, sub: Vec<Attribute>) -> Self {
        self.sub = sub.into_iter().map(Attribute::json).collect();
        self
    }

    fn json(self) -> Value {
        let mut attribute = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": "default",
        });
        match self.kind {
            "string" | "reference" => {
                attribute["caseExact"] = json!(self.case_exact);
                attribute["uniqueness"] = json!(self.uniqueness);
            }
            "complex" => attribute["subAttributes"] = json!(self.sub),
            _ => {}
        }
        if !self.reference_types.is_empty() {
            attribute["referenceTypes"] = json!(self.reference_types);
        }
        if !self.canonical_values.is_empty() {
            attribute["canonicalValues"] = json!(self.canonical_values);
        }
        attribute
    }
}

fn schema(
    id: &str,
    name: &str,
    description: &str,
    attributes: Vec<Attribute>,
    base: &str,
) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.into_iter().map(Attribute::json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

fn multi_value(kind_description: &'static str) -> Attribute {
    Attribute::new("value", "string", kind_description).required()
}

/// The schemas, each as `GET /Schemas/{id}` answers.
pub fn schemas(base: &str) -> Vec<Value> {
    let user = vec![
        Attribute::new(
            "userName",
            "string",
            "The person's sign-in email, or a login name when a work email is given",
        )
        .required()
        .unique(),
        Attribute::new("name", "complex", "The person's names, both required")
            .required()
            .sub(vec![
                Attribute::new("givenName", "string", "First name").required(),
                Attribute::new("familyName", "string", "Last name").required(),
            ]),
        Attribute::new("displayName", "string", "How the person is shown; from the names when not set"),
        Attribute::new(
            "preferredLanguage",
            "string",
            "A language tag; pages and mail are in it when Usher speaks it (en, it, fr, pl)",
        ),
        Attribute::new(
            "active",
            "boolean",
            "Whether the person may sign in to this tenant; always present",
        )
        .required(),
        Attribute::new(
            "emails",
            "complex",
            "Email addresses; the primary one (or the work one) is the sign-in email when userName is not an email",
        )
        .multi()
        .required()
        .sub(vec![
            multi_value("An email address"),
            Attribute::new("type", "string", "work, home or other"),
            Attribute::new("primary", "boolean", "The sign-in email, when userName is not one"),
        ]),
        Attribute::new("phoneNumbers", "complex", "Phone numbers; the primary (or work) one is kept")
            .multi()
            .sub(vec![
                multi_value("A phone number"),
                Attribute::new("type", "string", "work, mobile, home or other"),
                Attribute::new("primary", "boolean", "The number kept"),
            ]),
    ];
    let group = vec![
        Attribute::new(
            "displayName",
            "string",
            "The team's name, unique in the tenant",
        )
        .required()
        .unique(),
        Attribute::new(
            "members",
            "complex",
            "The group's people (Users of this tenant; other values are left out)",
        )
        .multi()
        .sub(vec![
            Attribute::new("value", "string", "A User's id")
                .mutability("immutable")
                .case_exact(),
            Attribute::new("$ref", "reference", "The User's URI")
                .mutability("immutable")
                .references(&["User"]),
            Attribute::new("type", "string", "User")
                .mutability("immutable")
                .canonical(&["User"]),
        ]),
    ];
    let enterprise = vec![
        Attribute::new(
            "employeeNumber",
            "string",
            "The person's number in the organisation",
        ),
        Attribute::new("costCenter", "string", "A cost center"),
        Attribute::new("organization", "string", "An organisation"),
        Attribute::new("division", "string", "A division"),
        Attribute::new("department", "string", "A department"),
        Attribute::new("manager", "complex", "The person's manager").sub(vec![Attribute::new(
            "value",
            "string",
            "The manager's id at the identity provider",
        )]),
    ];
    vec![
        schema(USER_SCHEMA, "User", "A member of the tenant", user, base),
        schema(
            ENTERPRISE_USER_SCHEMA,
            "EnterpriseUser",
            "Where the person is in the organisation: kept as sent, shown to the provider",
            enterprise,
            base,
        ),
        schema(
            GROUP_SCHEMA,
            "Group",
            "A team of the tenant that the identity provider manages",
            group,
            base,
        ),
    ]
}
