//! Object ACLs, in the part that decides access: what an object's ACL grants beyond its owner's
//! own full control. An ACL only grants, never denies; it counts only in buckets whose ACLs are
//! enabled (not `BucketOwnerEnforced`), and `IgnorePublicAcls` makes S3 ignore its public grants.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html

use std::sync::Arc;

use crate::json::{JsonPath, Node, SourceText};
use crate::policy::{parse_policy, Policy, PolicyType};

/// The canned ACLs S3 accepts.
pub const CANNED_ACLS: [&str; 7] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

const ALL_USERS: &str = "acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The grants of an object's ACL that decide access, beyond the owner's full control.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAcl {
    /// The bucket owner may read the object (`bucket-owner-read`).
    pub bucket_owner_read: bool,
    /// The bucket owner has full control (`bucket-owner-full-control`).
    pub bucket_owner_full_control: bool,
    /// Everyone, anonymous callers included, may read (`public-read`, AllUsers).
    pub all_users_read: bool,
    /// Every signed AWS caller may read (`authenticated-read`, AuthenticatedUsers).
    pub authenticated_users_read: bool,
}

impl ObjectAcl {
    /// The ACL of a canned name; `None` for a name S3 does not know.
    pub fn canned(name: &str) -> Option<ObjectAcl> {
        let mut acl = ObjectAcl::default();
        match name {
            "private" | "aws-exec-read" => {}
            "public-read" | "public-read-write" => acl.all_users_read = true,
            "authenticated-read" => acl.authenticated_users_read = true,
            "bucket-owner-read" => acl.bucket_owner_read = true,
            "bucket-owner-full-control" => acl.bucket_owner_full_control = true,
            _ => return None,
        }
        Some(acl)
    }

    /// The ACL an upload's headers set: `x-amz-acl`, or the group grants of `x-amz-grant-*`
    /// (grants to canonical user ids are not modelled).
    pub fn from_headers(get: impl Fn(&str) -> Option<String>) -> ObjectAcl {
        let mut acl = get("x-amz-acl")
            .and_then(|c| ObjectAcl::canned(&c))
            .unwrap_or_default();
        for header in ["x-amz-grant-read", "x-amz-grant-full-control"] {
            if let Some(v) = get(header) {
                acl.all_users_read |= v.contains(ALL_USERS);
                acl.authenticated_users_read |= v.contains(AUTHENTICATED_USERS);
            }
        }
        acl
    }

    /// Whether any grant goes to everyone or to every AWS account.
    pub fn is_public(&self) -> bool {
        self.all_users_read || self.authenticated_users_read
    }

    /// The ACL as policies that grant what it grants: one with every grant, one without the
    /// public grants (used when `IgnorePublicAcls` is on). `None` when it grants nothing.
    pub fn policies(
        &self,
        bucket_account: &str,
        object_arn: &str,
    ) -> (Option<Arc<Policy>>, Option<Arc<Policy>>) {
        const READ: [&str; 2] = ["s3:GetObject", "s3:GetObjectVersion"];
        const FULL_CONTROL: [&str; 4] = [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObjectAcl",
            "s3:PutObjectVersionAcl",
        ];
        let mut private = Vec::new();
        if self.bucket_owner_full_control || self.bucket_owner_read {
            let actions: &[&str] = if self.bucket_owner_full_control {
                &FULL_CONTROL
            } else {
                &READ
            };
            private.push(serde_json::json!({
                "Sid": if self.bucket_owner_full_control { "BucketOwnerFullControl" } else { "BucketOwnerRead" },
                "Effect": "Allow",
                "Principal": {"AWS": bucket_account},
                "Action": actions,
                "Resource": object_arn
            }));
        }
        let mut all = private.clone();
        if self.all_users_read {
            all.push(serde_json::json!({
                "Sid": "AllUsersRead", "Effect": "Allow", "Principal": "*", "Action": READ, "Resource": object_arn
            }));
        }
        if self.authenticated_users_read {
            all.push(serde_json::json!({
                "Sid": "AuthenticatedUsersRead", "Effect": "Allow", "Principal": "*", "Action": READ,
                "Resource": object_arn,
                "Condition": {"StringNotEquals": {"aws:PrincipalType": "Anonymous"}}
            }));
        }
        let name = format!("object ACL of {object_arn}");
        let build = |statements: Vec<serde_json::Value>| {
            (!statements.is_empty())
                .then(|| {
                    let document =
                        serde_json::json!({"Version": "2012-10-17", "Statement": statements});
                    let source = SourceText::new(name.clone(), document.to_string());
                    let mut diags = Vec::new();
                    parse_policy(
                        &Node::from_serde(&document),
                        PolicyType::Resource,
                        &name,
                        &JsonPath::root(),
                        &source,
                        &mut diags,
                    )
                    .map(Arc::new)
                })
                .flatten()
        };
        (build(all), build(private))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_and_their_policies() {
        let acl = ObjectAcl::canned("bucket-owner-full-control").unwrap();
        let (all, private) = acl.policies("111122223333", "arn:aws:s3:::b/k");
        assert_eq!(all.unwrap().statements.len(), 1);
        assert!(private.is_some());
        let acl = ObjectAcl::canned("public-read").unwrap();
        assert!(acl.is_public());
        let (all, private) = acl.policies("111122223333", "arn:aws:s3:::b/k");
        assert!(all.is_some());
        assert!(private.is_none());
        assert!(ObjectAcl::canned("public").is_none());
        let (all, private) = ObjectAcl::canned("private")
            .unwrap()
            .policies("1", "arn:aws:s3:::b/k");
        assert!(all.is_none() && private.is_none());
    }
}
