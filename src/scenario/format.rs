//! The scenario format's objects and their fields, declared once: the loader reads each object
//! against its [`Shape`] (a field not declared is an error with the nearest known name), and
//! `iamsim schema` prints a JSON Schema generated from the same shapes, so that the two cannot
//! drift apart.

use serde_json::{json, Map, Value};

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    Bool,
    /// A whole number.
    Integer,
    /// A 12-digit account id.
    Account,
    /// One of these words.
    Word(&'static [&'static str]),
    /// A policy document: an object, a JSON string holding one, or an AWS CLI output that
    /// prints one.
    Policy,
    Texts,
    /// An object whose values are strings (tags, headers, encryption context).
    TextMap,
    /// An object of condition-key values: strings, numbers, booleans, `null` or arrays.
    ValueMap,
    /// An object whose values are strings or arrays of strings.
    TextListMap,
    /// An object of this shape.
    Object(&'static Shape),
    /// An array of objects of this shape.
    Array(&'static Shape),
    /// An array whose items are objects of any of these shapes.
    ArrayOfAny(&'static [&'static Shape]),
    /// One of these kinds.
    Either(&'static [Kind]),
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

/// An object of the format.
#[derive(Debug)]
pub struct Shape {
    /// Its name among the schema's definitions.
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
}

impl Shape {
    /// The names of its fields, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

const fn field(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        doc,
    }
}

pub static NAMED_POLICY: Shape = Shape {
    name: "named_policy",
    doc: "A policy with the name reports use.",
    fields: &[
        required("name", Kind::Text, "How reports name the policy."),
        required("document", Kind::Policy, "The policy document."),
    ],
};

const POLICIES: Kind = Kind::Array(&NAMED_POLICY);

pub static PRINCIPAL: Shape = Shape {
    name: "principal",
    doc: "An IAM user or role.",
    fields: &[
        field("kind", Kind::Word(&["iam"]), "\"iam\" (the default)."),
        required("arn", Kind::Text, "The user's or role's ARN."),
        field("policies", POLICIES, "Identity policies."),
        field(
            "permissions_boundary",
            Kind::Either(&[Kind::Object(&NAMED_POLICY), Kind::Policy]),
            "The permissions boundary: {\"name\", \"document\"} or a bare document.",
        ),
        field("trust_policy", Kind::Policy, "A role's trust policy."),
        field("tags", Kind::TextMap, "aws:PrincipalTag/*."),
        field(
            "unique_id",
            Kind::Text,
            "The AIDA.../AROA... id behind aws:userid.",
        ),
        field(
            "max_session_duration",
            Kind::Integer,
            "A role's maximum session duration in seconds (3600 to 43200).",
        ),
    ],
};

const SESSION_REQUEST: [Field; 3] = [
    field(
        "tags",
        Kind::TextMap,
        "Session tags the credential asks for.",
    ),
    field(
        "transitive_tag_keys",
        Kind::Texts,
        "Which of those tags pass on down a chain.",
    ),
    field(
        "source_identity",
        Kind::Text,
        "The source identity the credential sets.",
    ),
];

pub static WEB_IDENTITY: Shape = Shape {
    name: "web_identity_principal",
    doc: "Someone holding a token from an OpenID Connect provider.",
    fields: &[
        required("kind", Kind::Word(&["web_identity"]), "\"web_identity\"."),
        required(
            "name",
            Kind::Text,
            "How checks name them (not an ARN, not ending in .amazonaws.com).",
        ),
        required(
            "provider",
            Kind::Text,
            "A built-in provider's name, or an IAM OIDC provider's issuer host and path.",
        ),
        field(
            "claims",
            Kind::ValueMap,
            "The token's claims; sub and aud are required.",
        ),
        SESSION_REQUEST[0],
        SESSION_REQUEST[1],
        SESSION_REQUEST[2],
    ],
};

pub static SAML: Shape = Shape {
    name: "saml_principal",
    doc: "Someone holding an assertion from a SAML identity provider.",
    fields: &[
        required("kind", Kind::Word(&["saml"]), "\"saml\"."),
        required("name", Kind::Text, "How checks name them."),
        required("provider", Kind::Text, "The SAML provider's ARN."),
        required("sub", Kind::Text, "The NameID."),
        field(
            "sub_type",
            Kind::Text,
            "persistent (the default), transient, or a format URI.",
        ),
        field(
            "recipient",
            Kind::Text,
            "saml:aud; https://signin.aws.amazon.com/saml when absent.",
        ),
        field(
            "issuer",
            Kind::Text,
            "The issuer; the provider's when absent.",
        ),
        required("session_name", Kind::Text, "The RoleSessionName attribute."),
        field(
            "attributes",
            Kind::TextListMap,
            "Other attributes, by their condition-key names without saml:.",
        ),
        SESSION_REQUEST[0],
        SESSION_REQUEST[1],
        SESSION_REQUEST[2],
    ],
};

pub static IDENTITY_PROVIDER: Shape = Shape {
    name: "identity_provider",
    doc: "An IAM OIDC provider (with client_ids) or SAML provider (with issuer).",
    fields: &[
        required(
            "arn",
            Kind::Text,
            "arn:aws:iam::ACCOUNT:oidc-provider/HOST or :saml-provider/NAME.",
        ),
        field(
            "client_ids",
            Kind::Texts,
            "The audiences an OIDC provider accepts.",
        ),
        field(
            "issuer",
            Kind::Text,
            "The issuer a SAML provider's metadata names.",
        ),
    ],
};

pub static GROUP: Shape = Shape {
    name: "group",
    doc: "An IAM group: its policies join each member's own.",
    fields: &[
        required("name", Kind::Text, "The group's name."),
        field("account", Kind::Account, "The group's account."),
        field("members", Kind::Texts, "User ARNs."),
        field("policies", POLICIES, "The group's policies."),
    ],
};

pub static ENCRYPTION: Shape = Shape {
    name: "encryption",
    doc: "Server-side encryption.",
    fields: &[
        required(
            "algorithm",
            Kind::Word(&["AES256", "aws:kms", "aws:kms:dsse"]),
            "SSE-S3 or SSE-KMS.",
        ),
        field(
            "kms_key",
            Kind::Text,
            "The key's ARN, id or alias; aws/s3 when absent.",
        ),
        field("bucket_key", Kind::Bool, "An S3 Bucket Key."),
    ],
};

pub static PUBLIC_ACCESS_BLOCK: Shape = Shape {
    name: "public_access_block",
    doc: "The four Block Public Access settings.",
    fields: &[
        field("block_public_acls", Kind::Bool, ""),
        field("ignore_public_acls", Kind::Bool, ""),
        field("block_public_policy", Kind::Bool, ""),
        field("restrict_public_buckets", Kind::Bool, ""),
    ],
};

pub static REPLICATION_RULE: Shape = Shape {
    name: "replication_rule",
    doc: "One replication rule.",
    fields: &[
        field("id", Kind::Text, ""),
        field("prefix", Kind::Text, "The keys it replicates."),
        required(
            "destination_bucket",
            Kind::Text,
            "The destination bucket's ARN.",
        ),
        field("destination_account", Kind::Account, ""),
        field(
            "replica_kms_key",
            Kind::Text,
            "The key replicas are encrypted with.",
        ),
        field(
            "replicate_kms_encrypted",
            Kind::Bool,
            "Whether SSE-KMS objects are replicated.",
        ),
        field(
            "owner_override",
            Kind::Bool,
            "Replicas are owned by the destination's owner.",
        ),
    ],
};

pub static REPLICATION: Shape = Shape {
    name: "replication",
    doc: "A bucket's replication configuration.",
    fields: &[
        required("role", Kind::Text, "The replication role's ARN."),
        required("rules", Kind::Array(&REPLICATION_RULE), ""),
    ],
};

pub static GRANTEE: Shape = Shape {
    name: "grantee",
    doc: "Exactly one of id, account or uri.",
    fields: &[
        field(
            "id",
            Kind::Text,
            "A canonical user id (64 hexadecimal characters).",
        ),
        field(
            "account",
            Kind::Account,
            "An account, by its canonical user id.",
        ),
        field(
            "uri",
            Kind::Text,
            "A group: AllUsers, AuthenticatedUsers or LogDelivery.",
        ),
        field(
            "emailAddress",
            Kind::Text,
            "Refused: S3 no longer accepts e-mail grantees.",
        ),
    ],
};

pub static ACL_GRANT: Shape = Shape {
    name: "acl_grant",
    doc: "One grant of an ACL.",
    fields: &[
        required("grantee", Kind::Object(&GRANTEE), ""),
        required(
            "permission",
            Kind::Word(&["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"]),
            "",
        ),
    ],
};

pub static ACL: Shape = Shape {
    name: "acl",
    doc: "An ACL's grants beyond the owner's full control.",
    fields: &[required("grants", Kind::Array(&ACL_GRANT), "")],
};

const ACL_KIND: Kind = Kind::Either(&[Kind::Text, Kind::Object(&ACL)]);

pub static OBJECT: Shape = Shape {
    name: "object",
    doc: "An object stored in a bucket.",
    fields: &[
        required("key", Kind::Text, ""),
        field(
            "encryption",
            Kind::Object(&ENCRYPTION),
            "The bucket's default when absent.",
        ),
        field("owner", Kind::Account, "The bucket's account when absent."),
        field("tags", Kind::TextMap, ""),
        field("encryption_context", Kind::TextMap, "Given at upload."),
        field("acl", ACL_KIND, "A canned ACL, or {\"grants\": [...]}."),
    ],
};

pub static ACCESS_POINT: Shape = Shape {
    name: "access_point",
    doc: "An access point of the bucket.",
    fields: &[
        required("name", Kind::Text, ""),
        field(
            "account",
            Kind::Account,
            "Its owner; the bucket's account when absent.",
        ),
        field("policy", Kind::Policy, "The access point policy."),
        field(
            "network_origin",
            Kind::Word(&["Internet", "VPC"]),
            "Internet when absent.",
        ),
        field(
            "vpc",
            Kind::Text,
            "The VPC id of a VPC-origin access point.",
        ),
        field(
            "public_access_block",
            Kind::Object(&PUBLIC_ACCESS_BLOCK),
            "All on when absent.",
        ),
        field("alias", Kind::Text, "Its alias, ending in -s3alias."),
    ],
};

pub static BUCKET: Shape = Shape {
    name: "bucket",
    doc: "An S3 bucket.",
    fields: &[
        field("access_points", Kind::Array(&ACCESS_POINT), ""),
        field("acl", ACL_KIND, "A canned ACL, or {\"grants\": [...]}."),
        required("name", Kind::Text, ""),
        required("account", Kind::Account, "The bucket's owner."),
        field("region", Kind::Text, "The scenario's Region when absent."),
        field("policy", Kind::Policy, "The bucket policy."),
        field(
            "default_encryption",
            Kind::Object(&ENCRYPTION),
            "SSE-S3 when absent.",
        ),
        field(
            "public_access_block",
            Kind::Object(&PUBLIC_ACCESS_BLOCK),
            "",
        ),
        field("versioning", Kind::Bool, ""),
        field(
            "object_ownership",
            Kind::Word(&[
                "BucketOwnerEnforced",
                "BucketOwnerPreferred",
                "ObjectWriter",
            ]),
            "BucketOwnerEnforced when absent.",
        ),
        field("replication", Kind::Object(&REPLICATION), ""),
        field("objects", Kind::Array(&OBJECT), "Objects already stored."),
    ],
};

pub static GRANT_CONSTRAINTS: Shape = Shape {
    name: "grant_constraints",
    doc: "A KMS grant's encryption-context constraint.",
    fields: &[
        field("encryption_context_subset", Kind::TextMap, ""),
        field("encryption_context_equals", Kind::TextMap, ""),
    ],
};

pub static KEY_GRANT: Shape = Shape {
    name: "key_grant",
    doc: "A KMS grant.",
    fields: &[
        field("id", Kind::Text, "A name for reports."),
        required("grantee", Kind::Text, "The grantee principal."),
        required("operations", Kind::Texts, "Decrypt, GenerateDataKey, ..."),
        field("constraints", Kind::Object(&GRANT_CONSTRAINTS), ""),
    ],
};

pub static KEY: Shape = Shape {
    name: "key",
    doc: "A KMS key.",
    fields: &[
        required("arn", Kind::Text, "arn:aws:kms:REGION:ACCOUNT:key/ID."),
        field("aliases", Kind::Texts, "alias/NAME."),
        field("manager", Kind::Word(&["CUSTOMER", "AWS"]), ""),
        field(
            "state",
            Kind::Word(&["Enabled", "Disabled", "PendingDeletion"]),
            "",
        ),
        field(
            "policy",
            Kind::Policy,
            "The default key policy (or the aws/s3 one) when absent.",
        ),
        field("grants", Kind::Array(&KEY_GRANT), ""),
    ],
};

pub static RESOURCE: Shape = Shape {
    name: "resource",
    doc: "Any other resource with a resource-based policy.",
    fields: &[
        required("arn", Kind::Text, ""),
        field("account", Kind::Account, "Where the ARN carries none."),
        required("policy", Kind::Policy, ""),
    ],
};

pub static UNIT: Shape = Shape {
    name: "organization_unit",
    doc: "The root or an OU, listed after its parent.",
    fields: &[
        required("id", Kind::Text, ""),
        field(
            "parent",
            Kind::Text,
            "Its parent unit's id; none for the root.",
        ),
        field("scps", POLICIES, ""),
        field("rcps", POLICIES, ""),
    ],
};

pub static MEMBER: Shape = Shape {
    name: "organization_account",
    doc: "A member account.",
    fields: &[
        required("id", Kind::Account, ""),
        field(
            "unit",
            Kind::Text,
            "The unit it sits in; the root when absent.",
        ),
        field("scps", POLICIES, ""),
        field("rcps", POLICIES, ""),
    ],
};

pub static ORGANIZATION: Shape = Shape {
    name: "organization",
    doc: "An organization: its units (root first) and member accounts.",
    fields: &[
        field("id", Kind::Text, "o-..."),
        field("management_account", Kind::Account, ""),
        field("units", Kind::Array(&UNIT), ""),
        field("accounts", Kind::Array(&MEMBER), ""),
    ],
};

pub static ENDPOINT: Shape = Shape {
    name: "vpc_endpoint",
    doc: "A VPC endpoint.",
    fields: &[
        required("id", Kind::Text, "vpce-..."),
        field("vpc", Kind::Text, "vpc-..."),
        field(
            "policy",
            Kind::Policy,
            "The endpoint policy; full access when absent.",
        ),
    ],
};

pub static EXPECTATION: Shape = Shape {
    name: "expectation",
    doc: "What a check should come to.",
    fields: &[
        field("allowed", Kind::Bool, ""),
        field("denial", Kind::Word(&["explicit", "implicit"]), ""),
        field(
            "layer",
            Kind::Word(&super::LayerExpectation::NAMES),
            "The layer the denial names.",
        ),
        field(
            "decided_by",
            Kind::Texts,
            "Sids, or <policy name>[<index>]; compared as a set.",
        ),
        field(
            "failed_step",
            Kind::Text,
            "The action of the first authorization that failed.",
        ),
        field("error", Kind::Text, "The error code the client gets."),
        field("message", Kind::Text, "The exact AWS-style message."),
    ],
};

pub static CHECK: Shape = Shape {
    name: "check",
    doc: "A question: one authorization (action + resource), or a modelled call (call).",
    fields: &[
        required("name", Kind::Text, ""),
        field(
            "principal",
            Kind::Text,
            "The caller: an ARN, anonymous, a service principal, or a federated principal's name.",
        ),
        field(
            "call",
            Kind::Text,
            "A modelled call: s3:PutObject, sts:AssumeRole, ...",
        ),
        field("action", Kind::Text, "One authorization's action."),
        field("resource", Kind::Text, "Its resource ARN, or *."),
        field(
            "resource_account",
            Kind::Account,
            "The resource's account, where its ARN carries none.",
        ),
        field(
            "bucket",
            Kind::Text,
            "An S3 call's bucket, or an access point's ARN or alias.",
        ),
        field("key", Kind::Text, "An S3 call's object key."),
        field("headers", Kind::TextMap, "An S3 call's request headers."),
        field(
            "context",
            Kind::ValueMap,
            "Condition keys added or replaced; null removes one.",
        ),
        field(
            "version_id",
            Kind::Text,
            "The object version a read asks for.",
        ),
        field(
            "vpc_endpoint",
            Kind::Text,
            "The id of the VPC endpoint the request comes through.",
        ),
        field(
            "session_policy",
            Kind::Policy,
            "The caller's session policy.",
        ),
        field(
            "expect",
            Kind::Either(&[
                Kind::Word(&["allowed", "denied"]),
                Kind::Object(&EXPECTATION),
            ]),
            "",
        ),
        field("role", Kind::Text, "sts:AssumeRole*: the role's ARN."),
        field(
            "session_name",
            Kind::Text,
            "sts:AssumeRole*: the session's name (iamsim when absent).",
        ),
        field("tags", Kind::TextMap, "sts:AssumeRole: session tags."),
        field("transitive_tag_keys", Kind::Texts, "sts:AssumeRole."),
        field("source_identity", Kind::Text, "sts:AssumeRole."),
        field("external_id", Kind::Text, "sts:AssumeRole."),
        field("duration_seconds", Kind::Integer, "sts:AssumeRole*."),
        field(
            "policy",
            Kind::Policy,
            "sts:AssumeRole*: the session policy passed.",
        ),
        field(
            "note",
            Kind::Text,
            "Why the check comes out as it does, for a reader (shown by explain and quiz).",
        ),
    ],
};

pub static SCENARIO: Shape = Shape {
    name: "scenario",
    doc: "An iamsim scenario file (format 1): a small AWS world and the checks to run against it.",
    fields: &[
        field("description", Kind::Text, "What the scenario shows."),
        field(
            "identity_providers",
            Kind::Array(&IDENTITY_PROVIDER),
            "IAM OIDC and SAML providers.",
        ),
        field(
            "canonical_ids",
            Kind::TextMap,
            "S3 canonical user ids by account id.",
        ),
        field(
            "region",
            Kind::Text,
            "The default Region (us-east-1 when absent).",
        ),
        field("now", Kind::Text, "The moment requests are made, RFC 3339."),
        field(
            "principals",
            Kind::ArrayOfAny(&[&PRINCIPAL, &WEB_IDENTITY, &SAML]),
            "IAM users and roles, and web identity or SAML principals.",
        ),
        field("groups", Kind::Array(&GROUP), ""),
        field("buckets", Kind::Array(&BUCKET), ""),
        field("keys", Kind::Array(&KEY), ""),
        field("resources", Kind::Array(&RESOURCE), ""),
        field("organization", Kind::Object(&ORGANIZATION), ""),
        field("vpc_endpoints", Kind::Array(&ENDPOINT), ""),
        field("checks", Kind::Array(&CHECK), "The questions, in order."),
        field(
            "$schema",
            Kind::Text,
            "This schema's location, for editors.",
        ),
    ],
};

/// The JSON Schema (draft 2020-12) of a scenario file.
pub fn json_schema() -> Value {
    let mut defs = Map::new();
    let root = shape_schema(&SCENARIO, &mut defs);
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://iamsim.dev/scenario.schema.json",
        "title": "iamsim scenario",
    });
    if let (Value::Object(s), Value::Object(r)) = (&mut schema, root) {
        s.extend(r);
    }
    schema["$defs"] = Value::Object(defs);
    schema
}

/// A shape's schema; the shapes it uses go to `defs` once each.
fn shape_schema(shape: &Shape, defs: &mut Map<String, Value>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in shape.fields {
        let mut s = kind_schema(f.kind, defs);
        if !f.doc.is_empty() {
            s["description"] = json!(f.doc);
        }
        properties.insert(f.name.to_string(), s);
        if f.required {
            required.push(f.name);
        }
    }
    let mut s = json!({
        "type": "object",
        "description": shape.doc,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

fn reference(shape: &Shape, defs: &mut Map<String, Value>) -> Value {
    if !defs.contains_key(shape.name) {
        // Claim the name first: shapes do not refer to themselves, but keep it safe.
        defs.insert(shape.name.to_string(), Value::Null);
        let s = shape_schema(shape, defs);
        defs.insert(shape.name.to_string(), s);
    }
    json!({ "$ref": format!("#/$defs/{}", shape.name) })
}

fn kind_schema(kind: Kind, defs: &mut Map<String, Value>) -> Value {
    let scalar = json!({"type": ["string", "number", "boolean", "null"]});
    match kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Integer => json!({"type": "integer", "minimum": 0}),
        Kind::Account => json!({"type": "string", "pattern": "^[0-9]{12}$"}),
        Kind::Word(words) => json!({"type": "string", "enum": words}),
        Kind::Policy => json!({"type": ["object", "string"]}),
        Kind::Texts => json!({"type": "array", "items": {"type": "string"}}),
        Kind::TextMap => {
            json!({"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}})
        }
        Kind::ValueMap => json!({"type": "object", "additionalProperties": {
            "anyOf": [scalar, {"type": "array", "items": {"type": ["string", "number", "boolean"]}}]
        }}),
        Kind::TextListMap => json!({"type": "object", "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        }}),
        Kind::Object(shape) => reference(shape, defs),
        Kind::Array(shape) => json!({"type": "array", "items": reference(shape, defs)}),
        Kind::ArrayOfAny(shapes) => {
            let options: Vec<Value> = shapes.iter().map(|s| reference(s, defs)).collect();
            json!({"type": "array", "items": {"anyOf": options}})
        }
        Kind::Either(kinds) => {
            let options: Vec<Value> = kinds.iter().map(|k| kind_schema(*k, defs)).collect();
            json!({ "anyOf": options })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::acl::Permission;
    use crate::world::{KeyState, ObjectOwnership, SseAlgorithm};

    fn words(shape: &Shape, name: &str) -> Vec<&'static str> {
        match shape.fields.iter().find(|f| f.name == name).map(|f| f.kind) {
            Some(Kind::Word(w)) => w.to_vec(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn enumerated_words_are_the_ones_the_world_reads() {
        assert_eq!(
            words(&BUCKET, "object_ownership"),
            ObjectOwnership::ALL.map(ObjectOwnership::as_str)
        );
        assert_eq!(
            words(&ENCRYPTION, "algorithm"),
            SseAlgorithm::ALL.map(SseAlgorithm::as_str)
        );
        assert_eq!(words(&KEY, "state"), KeyState::ALL.map(KeyState::as_str));
        assert_eq!(
            words(&ACL_GRANT, "permission"),
            Permission::ALL.map(Permission::as_str)
        );
    }

    #[test]
    fn the_schema_names_every_shape_it_uses() {
        let schema = json_schema();
        let defs = schema["$defs"].as_object().unwrap();
        for name in [
            "bucket",
            "check",
            "principal",
            "saml_principal",
            "access_point",
            "acl_grant",
        ] {
            assert!(defs.contains_key(name), "{name}");
        }
        assert_eq!(schema["additionalProperties"], false);
    }
}
