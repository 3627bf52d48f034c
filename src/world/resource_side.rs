//! The resource side of a request as the world knows it (the resource's account, its policy,
//! the rules it follows, grants and ACLs), and the whole set of policies that apply.

use super::{
    public_access, AccessPoint, CallerKind, Endpoint, Key, KeyManager, ObjectOwnership, World,
};
use crate::engine::{Caller, Grant, PolicySet, ResourceRules};
use crate::policy::arn::{split_arn, ArnFields};
use crate::policy::model::Policy;

/// Services whose resources resource control policies govern.
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
const RCP_SERVICES: [&str; 10] = [
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "cognito-identity",
    "logs",
    "dynamodb",
    "aoss",
];

/// Whether a role's trust policy governs the action: the `sts:AssumeRole*` calls and the
/// permissions a session's creation also needs on the role.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required ;
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
fn is_trust_action(action: &str) -> bool {
    action
        .get(..14)
        .is_some_and(|p| p.eq_ignore_ascii_case("sts:assumerole"))
        || action.eq_ignore_ascii_case("sts:TagSession")
        || action.eq_ignore_ascii_case("sts:SetSourceIdentity")
}

/// The resource side of a request, as the world knows it.
#[derive(Debug, Clone)]
pub struct ResourceSide<'w> {
    pub account: Option<&'w str>,
    pub policy: Option<&'w Policy>,
    pub rules: ResourceRules,
    pub grants: &'w [Grant],
    /// An AWS managed KMS key (RCPs do not apply to those).
    pub aws_managed_key: bool,
    /// The grants of the object's ACL, in a bucket whose ACLs are enabled.
    pub acl: Option<&'w Policy>,
    /// The grants of the bucket's ACL, in a bucket whose ACLs are enabled.
    pub bucket_acl: Option<&'w Policy>,
    /// What the world decided about the resource side, for explanations.
    pub notes: Vec<String>,
}

impl<'w> ResourceSide<'w> {
    /// The resource side of a request on a KMS key the world has: its key policy and grants.
    pub fn of_key(key: &'w Key) -> ResourceSide<'w> {
        ResourceSide {
            account: Some(&key.account),
            policy: Some(&key.policy),
            rules: ResourceRules::KmsKey,
            grants: &key.grants,
            aws_managed_key: key.manager == KeyManager::Aws,
            acl: None,
            bucket_acl: None,
            notes: Vec::new(),
        }
    }
}

impl World {
    /// The resource side of a request on `resource` for `action`.
    pub fn resource_side<'a>(
        &'a self,
        caller: &'a Caller,
        action: &str,
        resource: &'a str,
        resource_account: Option<&'a str>,
    ) -> ResourceSide<'a> {
        self.resource_side_of(
            caller,
            action,
            resource,
            split_arn(resource),
            resource_account,
        )
    }

    /// [`World::resource_side`] of a resource whose ARN is already split.
    pub fn resource_side_of<'a>(
        &'a self,
        caller: &'a Caller,
        action: &str,
        resource: &'a str,
        fields: Option<ArnFields<'a>>,
        resource_account: Option<&'a str>,
    ) -> ResourceSide<'a> {
        let mut side = ResourceSide {
            account: resource_account,
            policy: None,
            rules: ResourceRules::Standard,
            grants: &[],
            aws_managed_key: false,
            acl: None,
            bucket_acl: None,
            notes: Vec::new(),
        };
        let Some([_, _, service, _, account, rest]) = fields else {
            // No resource ARN (`*`): the request concerns the caller's own account.
            if side.account.is_none() {
                side.account = caller.account.as_deref();
            }
            return side;
        };
        if side.account.is_none() && !account.is_empty() {
            side.account = Some(account);
        }
        match service {
            "s3" if rest.starts_with("accesspoint/") => match self.access_point(resource) {
                Some(ap) => self.access_point_side(&mut side, ap, caller),
                None => side.rules = ResourceRules::S3 { allows_apply: true },
            },
            "s3" => {
                let bucket_name = crate::policy::arn::before(rest, b'/');
                match self.bucket(bucket_name) {
                    Some(b) => self.s3_side(&mut side, b, caller, action, rest),
                    None => side.rules = ResourceRules::S3 { allows_apply: true },
                }
            }
            "kms" => match self.key(resource) {
                // The key's account is its ARN's.
                Some(k) => side = ResourceSide::of_key(k),
                None => side.rules = ResourceRules::KmsKey,
            },
            "iam" if is_trust_action(action) => {
                side.rules = ResourceRules::RoleTrust;
                side.policy = self
                    .principal(resource)
                    .filter(|p| p.is_role)
                    .and_then(|p| p.trust.as_deref());
            }
            _ => {
                if let Some(r) = self.other_resource(resource) {
                    side.policy = Some(&r.policy);
                    if let Some(a) = &r.account {
                        side.account = Some(a);
                    }
                }
            }
        }
        if side.account.is_none() {
            // An ARN without an account (an S3 bucket the scenario does not declare, a global
            // resource): without `resource_account` on the check, it is taken to be the caller's.
            side.account = caller.account.as_deref();
            if let Some(a) = &caller.account {
                side.notes.push(format!(
                    "the resource's account is not known (give \"resource_account\" on the check); taken to be the caller's account {a}"
                ));
            }
        }
        side
    }

    /// The resource side of a request on a declared bucket or one of its objects: the bucket
    /// policy, the object's ACL, the object owner's context, Block Public Access.
    fn s3_side<'a>(
        &'a self,
        side: &mut ResourceSide<'a>,
        b: &'a super::Bucket,
        caller: &Caller,
        action: &str,
        rest: &str,
    ) {
        side.account = Some(&b.account);
        side.policy = b.policy.as_deref();
        let object = crate::policy::arn::after(rest, b'/').and_then(|key| b.object(key));
        let owner = object.map(|o| o.owner.as_str());
        if b.object_ownership != ObjectOwnership::BucketOwnerEnforced {
            let ignore_public = b.public_access_block.ignore_public_acls;
            let mut pick = |acl: &crate::world::acl::Acl,
                            policies: &'a (
                Option<std::sync::Arc<Policy>>,
                Option<std::sync::Arc<Policy>>,
            ),
                            what: &str| {
                if ignore_public {
                    if acl.is_public() {
                        side.notes.push(format!("Block Public Access (IgnorePublicAcls): the {what}'s public ACL grants are ignored"));
                    }
                    policies.1.as_deref()
                } else {
                    policies.0.as_deref()
                }
            };
            side.acl = object.and_then(|o| pick(&o.acl, &o.acl_policies, "object"));
            side.bucket_acl = pick(&b.acl, &b.acl_policies, "bucket");
        }
        // An object owned by another account than the bucket owner is judged in
        // the object's context: the bucket owner can only deny it (bucket-policy
        // Allows do not reach it), and the object's ACL, which gives its owner full
        // control and no one else anything, grants. Writes stay in the bucket
        // context. https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html
        let object_read = {
            let prefix = action.get(..12);
            prefix.is_some_and(|p| p.eq_ignore_ascii_case("s3:getobject"))
                || action.eq_ignore_ascii_case("s3:putobjectacl")
        };
        let mut allows_apply = true;
        if let Some(owner) = owner.filter(|o| *o != b.account && object_read) {
            allows_apply = false;
            side.account = Some(owner);
            side.notes.push(format!(
                    "the object is owned by account {owner}, not by the bucket owner {}: the bucket policy can only deny it, and the object's ACL grants its owner's account alone",
                    b.account
                ));
        }
        // RestrictPublicBuckets: a public policy's grants reach only AWS service
        // principals and principals of the bucket owner's account.
        if b.public_access_block.restrict_public_buckets {
            if let Some(public) = b
                .policy
                .as_deref()
                .and_then(public_access::public_statement)
            {
                let outsider = match &caller.kind {
                    CallerKind::Service { .. } => false,
                    _ => caller.account.as_deref() != Some(b.account.as_str()),
                };
                if outsider && allows_apply {
                    allows_apply = false;
                    side.notes.push(format!(
                            "Block Public Access (RestrictPublicBuckets): the bucket policy is public because of statement {} ({}), so its Allow statements do not reach callers outside account {}",
                            public.index,
                            public.sid.as_deref().map_or("no Sid".to_string(), |s| format!("Sid {s}")),
                            b.account
                        ));
                }
            }
        }
        side.rules = ResourceRules::S3 { allows_apply };
    }

    /// The resource side of a request through an access point, against the access point: its
    /// owner, its policy, and Block Public Access. With RestrictPublicBuckets on the access
    /// point or its bucket, a public access point policy reaches only AWS services and callers
    /// of the bucket owner's and the access point owner's accounts.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-bpa-settings.html
    fn access_point_side<'a>(
        &'a self,
        side: &mut ResourceSide<'a>,
        ap: &'a AccessPoint,
        caller: &Caller,
    ) {
        side.account = Some(&ap.account);
        side.policy = ap.policy.as_deref();
        let bucket = self.bucket(&ap.bucket);
        let restrict = ap.public_access_block.restrict_public_buckets
            || bucket.is_some_and(|b| b.public_access_block.restrict_public_buckets);
        let mut allows_apply = true;
        if restrict {
            if let Some(public) = ap
                .policy
                .as_deref()
                .and_then(public_access::public_statement)
            {
                let insider = match &caller.kind {
                    CallerKind::Service { .. } => true,
                    _ => caller
                        .account
                        .as_deref()
                        .is_some_and(|a| a == ap.account || bucket.is_some_and(|b| b.account == a)),
                };
                if !insider {
                    allows_apply = false;
                    side.notes.push(format!(
                        "Block Public Access (RestrictPublicBuckets): the access point policy is public because of statement {} ({}), so its Allow statements reach only the bucket owner's and the access point owner's accounts",
                        public.index,
                        public.sid.as_deref().map_or("no Sid".to_string(), |s| format!("Sid {s}"))
                    ));
                }
            }
        }
        side.rules = ResourceRules::S3 { allows_apply };
    }

    /// The policies that apply to a request.
    pub fn policy_set<'w>(
        &'w self,
        caller: &Caller,
        action: &str,
        side: &ResourceSide<'w>,
        session_policy: Option<&'w Policy>,
        endpoint: Option<&'w Endpoint>,
    ) -> PolicySet<'w> {
        let principal = self.principal_of(caller);
        let service = crate::policy::arn::before(action, b':');
        let scps = if caller.is_iam_principal() && !caller.is_service_linked_role() {
            caller
                .account
                .as_deref()
                .and_then(|a| self.placement(a))
                .map(|p| p.scps.as_slice())
        } else {
            None
        };
        let rcps = if RCP_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
            && !side.aws_managed_key
        {
            side.account
                .and_then(|a| self.placement(a))
                .map(|p| p.rcps.as_slice())
        } else {
            None
        };
        // A session an STS call created keeps the session policy it was given, unless the
        // request names one itself.
        let session_policy = session_policy.or_else(|| {
            let arn = caller.arn.as_deref()?;
            matches!(caller.kind, CallerKind::RoleSession { .. })
                .then(|| self.sessions.get(arn))
                .flatten()
                .and_then(|s| s.policy.as_deref())
        });
        PolicySet {
            identity: principal.map_or(&[][..], |p| p.identity.as_slice()),
            boundary: principal.and_then(|p| p.boundary.as_deref()),
            session: session_policy,
            resource: side.policy,
            rules: side.rules,
            scps,
            rcps,
            endpoint: endpoint.map(|e| e.policy.as_deref()),
            grants: side.grants,
            acl: side.acl,
            bucket_acl: side.bucket_acl,
        }
    }
}
