//! S3 access control lists: the grants of a bucket's or an object's ACL beyond its owner's own
//! full control, and what each grant allows. An ACL only grants, never denies; it counts only in
//! buckets whose ACLs are enabled (not `BucketOwnerEnforced`), and `IgnorePublicAcls` makes S3
//! ignore its grants to everyone or to every AWS account.
//!
//! A grant to an account (by canonical user id) reaches that account as a resource-based grant
//! does: its root user directly, its IAM users and roles with their own account's identity
//! Allow. A grant to AllUsers reaches anyone, anonymous callers included; AuthenticatedUsers,
//! any signed request.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html (grantees,
//! canned ACLs, the mapping of ACL permissions to actions) ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html

use std::sync::Arc;

use crate::json::{JsonPath, Node, SourceText};
use crate::policy::{parse_policy, Policy, PolicyType};

/// The canned ACLs S3 accepts on objects (`x-amz-acl` of an upload or PutObjectAcl).
pub const CANNED_ACLS: [&str; 7] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

/// The canned ACLs S3 accepts on buckets.
pub const BUCKET_CANNED_ACLS: [&str; 6] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "log-delivery-write",
];

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// The service principal that writes server access logs for the LogDelivery group.
const LOG_DELIVERY_SERVICE: &str = "logging.s3.amazonaws.com";

/// Who a grant names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grantee {
    /// An account, by the account id its canonical user id stands for.
    Account(String),
    /// A canonical user id no account of the world has: it grants no one here.
    UnknownCanonicalUser(String),
    /// Anyone, anonymous requests included.
    AllUsers,
    /// Any signed request from any AWS account.
    AuthenticatedUsers,
    /// S3 server access logging.
    LogDelivery,
}

impl Grantee {
    /// A predefined group from its URI.
    pub fn group(uri: &str) -> Option<Grantee> {
        // AWS writes the URIs with http://; a request may leave the scheme out.
        let path = uri
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        match path {
            "acs.amazonaws.com/groups/global/AllUsers" => Some(Grantee::AllUsers),
            "acs.amazonaws.com/groups/global/AuthenticatedUsers" => {
                Some(Grantee::AuthenticatedUsers)
            }
            "acs.amazonaws.com/groups/s3/LogDelivery" => Some(Grantee::LogDelivery),
            _ => None,
        }
    }

    /// Whether a grant to this grantee makes the ACL public.
    pub fn is_public(&self) -> bool {
        matches!(self, Grantee::AllUsers | Grantee::AuthenticatedUsers)
    }
}

/// An ACL permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::Read,
        Permission::Write,
        Permission::ReadAcp,
        Permission::WriteAcp,
        Permission::FullControl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The grant header that gives this permission.
    pub fn header(self) -> &'static str {
        match self {
            Permission::Read => "x-amz-grant-read",
            Permission::Write => "x-amz-grant-write",
            Permission::ReadAcp => "x-amz-grant-read-acp",
            Permission::WriteAcp => "x-amz-grant-write-acp",
            Permission::FullControl => "x-amz-grant-full-control",
        }
    }

    /// The actions the permission allows on an object (WRITE means nothing on an object).
    fn object_actions(self) -> &'static [&'static str] {
        match self {
            Permission::Read => &["s3:GetObject", "s3:GetObjectVersion"],
            Permission::Write => &[],
            Permission::ReadAcp => &["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
            Permission::WriteAcp => &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
            Permission::FullControl => &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectAcl",
                "s3:GetObjectVersionAcl",
                "s3:PutObjectAcl",
                "s3:PutObjectVersionAcl",
            ],
        }
    }

    /// The actions the permission allows on a bucket: READ lists it, WRITE creates objects in
    /// it, READ_ACP and WRITE_ACP read and write the bucket's ACL.
    fn bucket_actions(self) -> (&'static [&'static str], &'static [&'static str]) {
        const READ: &[&str] = &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ];
        const WRITE: &[&str] = &["s3:PutObject"];
        match self {
            Permission::Read => (READ, &[]),
            Permission::Write => (&[], WRITE),
            Permission::ReadAcp => (&["s3:GetBucketAcl"], &[]),
            Permission::WriteAcp => (&["s3:PutBucketAcl"], &[]),
            Permission::FullControl => (
                &[
                    "s3:ListBucket",
                    "s3:ListBucketVersions",
                    "s3:ListBucketMultipartUploads",
                    "s3:GetBucketAcl",
                    "s3:PutBucketAcl",
                ],
                WRITE,
            ),
        }
    }
}

/// One grant of an ACL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclGrant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// What an ACL grants beyond its owner's full control.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    pub grants: Vec<AclGrant>,
}

/// What an ACL belongs to, which decides what its permissions allow.
#[derive(Debug, Clone, Copy)]
pub enum AclTarget<'a> {
    /// `arn:aws:s3:::bucket/key`.
    Object(&'a str),
    /// The bucket's name.
    Bucket(&'a str),
}

impl Acl {
    /// The ACL of a canned name for an object in a bucket of `bucket_owner`; `None` for a name
    /// S3 does not know.
    pub fn canned(name: &str, bucket_owner: &str) -> Option<Acl> {
        let grant = |grantee: Grantee, permission| AclGrant {
            grantee,
            permission,
        };
        let grants = match name {
            "private" => vec![],
            // The EC2 grantee of aws-exec-read is not documented; it reaches no caller here.
            "aws-exec-read" => vec![],
            "public-read" => vec![grant(Grantee::AllUsers, Permission::Read)],
            "public-read-write" => vec![
                grant(Grantee::AllUsers, Permission::Read),
                grant(Grantee::AllUsers, Permission::Write),
            ],
            "authenticated-read" => vec![grant(Grantee::AuthenticatedUsers, Permission::Read)],
            "bucket-owner-read" => vec![grant(
                Grantee::Account(bucket_owner.to_string()),
                Permission::Read,
            )],
            "bucket-owner-full-control" => vec![grant(
                Grantee::Account(bucket_owner.to_string()),
                Permission::FullControl,
            )],
            "log-delivery-write" => vec![
                grant(Grantee::LogDelivery, Permission::Write),
                grant(Grantee::LogDelivery, Permission::ReadAcp),
            ],
            _ => return None,
        };
        Some(Acl { grants })
    }

    /// Whether any grant goes to everyone or to every AWS account.
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee.is_public())
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The ACL as policies that allow what it grants: one with every grant, one without the
    /// public grants (used when `IgnorePublicAcls` is on). `None` where nothing is granted.
    pub fn policies(&self, target: AclTarget<'_>) -> (Option<Arc<Policy>>, Option<Arc<Policy>>) {
        let (name, statements) = match target {
            AclTarget::Object(arn) => (format!("object ACL of {arn}"), self.statements(target)),
            AclTarget::Bucket(bucket) => {
                (format!("bucket ACL of {bucket}"), self.statements(target))
            }
        };
        let build = |keep: &dyn Fn(&AclGrant) -> bool| {
            let chosen: Vec<serde_json::Value> = statements
                .iter()
                .filter(|(g, _)| keep(g))
                .map(|(_, s)| s.clone())
                .collect();
            policy(&name, chosen)
        };
        (build(&|_| true), build(&|g| !g.grantee.is_public()))
    }

    /// One Allow statement per grant that reaches anyone, with the grant it comes from.
    fn statements(&self, target: AclTarget<'_>) -> Vec<(&AclGrant, serde_json::Value)> {
        let mut out = Vec::new();
        for (i, g) in self.grants.iter().enumerate() {
            let principal = match &g.grantee {
                Grantee::Account(a) => serde_json::json!({ "AWS": a }),
                Grantee::AllUsers | Grantee::AuthenticatedUsers => serde_json::json!("*"),
                Grantee::LogDelivery => serde_json::json!({ "Service": LOG_DELIVERY_SERVICE }),
                Grantee::UnknownCanonicalUser(_) => continue,
            };
            let (actions, resources): (Vec<&str>, Vec<String>) = match target {
                AclTarget::Object(arn) => (
                    g.permission.object_actions().to_vec(),
                    vec![arn.to_string()],
                ),
                AclTarget::Bucket(bucket) => {
                    let (on_bucket, on_objects) = g.permission.bucket_actions();
                    let mut actions = on_bucket.to_vec();
                    actions.extend(on_objects);
                    (
                        actions,
                        vec![
                            format!("arn:aws:s3:::{bucket}"),
                            format!("arn:aws:s3:::{bucket}/*"),
                        ],
                    )
                }
            };
            if actions.is_empty() {
                continue;
            }
            let grantee = match &g.grantee {
                Grantee::Account(a) => format!("account {a}"),
                Grantee::AllUsers => "AllUsers".to_string(),
                Grantee::AuthenticatedUsers => "AuthenticatedUsers".to_string(),
                Grantee::LogDelivery => "LogDelivery".to_string(),
                Grantee::UnknownCanonicalUser(id) => id.clone(),
            };
            let mut statement = serde_json::json!({
                "Sid": format!("Grant{i}{}To{}", g.permission.as_str(), grantee.replace(' ', "")),
                "Effect": "Allow",
                "Principal": principal,
                "Action": actions,
                "Resource": resources,
            });
            if g.grantee == Grantee::AuthenticatedUsers {
                statement["Condition"] =
                    serde_json::json!({"StringNotEquals": {"aws:PrincipalType": "Anonymous"}});
            }
            out.push((g, statement));
        }
        out
    }
}

fn policy(name: &str, statements: Vec<serde_json::Value>) -> Option<Arc<Policy>> {
    if statements.is_empty() {
        return None;
    }
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let source = SourceText::new(name.to_string(), document.to_string());
    let mut diags = Vec::new();
    parse_policy(
        &Node::from_serde(&document),
        PolicyType::Resource,
        name,
        &JsonPath::root(),
        &source,
        &mut diags,
    )
    .map(Arc::new)
}

/// One grantee of a grant header (`id="..."`, `uri="..."`, `emailAddress="..."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderGrantee {
    Id(String),
    Uri(String),
    Email(String),
}

/// Why a grant header cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the grantee {0:?}: expected id=\"CANONICAL-ID\", uri=\"GROUP-URI\" or emailAddress=\"ADDRESS\"")]
pub struct GrantHeaderError(pub String);

/// Reads the comma-separated grantees of an `x-amz-grant-*` header. Values may be quoted, as
/// AWS's examples write them, or not, as its SDK examples do.
pub fn parse_grant_header(value: &str) -> Result<Vec<HeaderGrantee>, GrantHeaderError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (kind, v) = part
                .split_once('=')
                .ok_or_else(|| GrantHeaderError(part.to_string()))?;
            let v = v.trim().trim_matches('"').to_string();
            match kind.trim().to_ascii_lowercase().as_str() {
                "id" => Ok(HeaderGrantee::Id(v)),
                "uri" => Ok(HeaderGrantee::Uri(v)),
                "emailaddress" => Ok(HeaderGrantee::Email(v)),
                _ => Err(GrantHeaderError(part.to_string())),
            }
        })
        .collect()
}

/// Whether a text is a canonical user id: 64 hexadecimal characters, as every id AWS shows.
pub fn is_canonical_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_and_their_policies() {
        let acl = Acl::canned("bucket-owner-full-control", "111122223333").unwrap();
        let (all, private) = acl.policies(AclTarget::Object("arn:aws:s3:::b/k"));
        let all = all.unwrap();
        assert_eq!(all.statements.len(), 1);
        assert!(private.is_some());
        let acl = Acl::canned("public-read", "111122223333").unwrap();
        assert!(acl.is_public());
        let (all, private) = acl.policies(AclTarget::Object("arn:aws:s3:::b/k"));
        assert!(all.is_some());
        assert!(private.is_none());
        assert!(Acl::canned("public", "1").is_none());
        let (all, private) = Acl::canned("private", "1")
            .unwrap()
            .policies(AclTarget::Object("arn:aws:s3:::b/k"));
        assert!(all.is_none() && private.is_none());
    }

    #[test]
    fn grant_headers_read_quoted_and_bare_values() {
        let parsed = parse_grant_header(
            "id=\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\", uri=http://acs.amazonaws.com/groups/global/AllUsers",
        )
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                HeaderGrantee::Id(
                    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be".into()
                ),
                HeaderGrantee::Uri(ALL_USERS.into()),
            ]
        );
        assert!(parse_grant_header("nobody").is_err());
        assert_eq!(
            Grantee::group("acs.amazonaws.com/groups/global/AllUsers"),
            Some(Grantee::AllUsers)
        );
    }
}
