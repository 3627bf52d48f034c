//! Building a world: the constructors, defaults and consistency rules every world goes
//! through, whether a scenario file or `iamsim eval` describes it. The scenario loader reads
//! JSON into these; the rules that come from AWS (a replicating bucket is versioned, a
//! `BucketOwnerEnforced` bucket owns every object, an object's key exists) live here.

use std::sync::Arc;

use super::key_policies::{aws_managed_s3_key_policy, default_key_policy};
use super::{
    AccessPoint, Bucket, Encryption, Endpoint, FederatedPrincipal, IdentityProvider, Key,
    KeyManager, KeyState, Named, ObjectOwnership, OtherResource, Principal, PublicAccessBlock,
    RequestTime, Session, World, AWS_S3_ALIAS,
};
use crate::policy::arn::{is_account_id, split_arn, IamEntity};
use crate::policy::model::Policy;

/// Which part of a declaration a [`WorldError`] is about, so that a loader can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Arn,
    Name,
    MaxSessionDuration,
    Account,
    Aliases,
    Members,
    TrustPolicy,
    Replication,
    /// The `owner` of the bucket's object at this index.
    ObjectOwner(usize),
    /// The `encryption` of the bucket's object at this index.
    ObjectEncryption(usize),
}

/// A declaration that breaks one of AWS's rules, or names something the world does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("expected an IAM user or role ARN (arn:aws:iam::111122223333:user/NAME or :role/NAME), found {0:?}")]
    NotAUserOrRole(String),
    #[error("group members are IAM user ARNs; {0:?} is not one")]
    NotAUser(String),
    #[error("{0} is declared twice")]
    Duplicate(String),
    #[error("only roles have a trust policy")]
    TrustPolicyOnUser,
    #[error("expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), found {0:?}")]
    NotAKeyArn(String),
    #[error("the key ARN needs a region and a 12-digit account: {0:?}")]
    IncompleteKeyArn(String),
    #[error("aliases start with \"alias/\": {0:?}")]
    NotAnAlias(String),
    #[error("expected a 12-digit account id, found {0:?}")]
    NotAnAccount(String),
    #[error("{0:?} cannot name a web identity or SAML principal: a name is not an ARN, \"anonymous\" or a service principal (ending in .amazonaws.com)")]
    NotAFederatedName(String),
    #[error("no bucket named {0:?} is declared")]
    UnknownBucket(String),
    #[error(transparent)]
    AccessPoint(#[from] super::access_point::AccessPointError),
    #[error("a canonical user id is 64 hexadecimal characters, found {0:?}")]
    NotACanonicalId(String),
    #[error("a role's max_session_duration is 3600 to 43200 seconds, found {0}")]
    MaxSessionDuration(u32),
    #[error(transparent)]
    Provider(#[from] super::federation::ProviderError),
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
    #[error("bucket {0} replicates, so its versioning must be on (\"versioning\": true)")]
    ReplicationNeedsVersioning(String),
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
    #[error("bucket {bucket} is BucketOwnerEnforced: its owner {account} owns every object in it (set object_ownership to ObjectWriter or BucketOwnerPreferred for objects of other accounts)")]
    ForeignObjectOwner {
        bucket: String,
        account: String,
        object: usize,
    },
    #[error("the object's KMS key {reference:?} is not declared in keys (in {region}, account {account})")]
    UnknownObjectKey {
        object: usize,
        reference: String,
        region: String,
        account: String,
    },
}

/// Every problem with one declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct WorldErrors(pub Vec<WorldError>);

impl WorldError {
    /// The part of the declaration the problem is about.
    pub fn field(&self) -> Field {
        match self {
            WorldError::NotAUser(_) => Field::Members,
            WorldError::TrustPolicyOnUser => Field::TrustPolicy,
            WorldError::NotAnAlias(_) => Field::Aliases,
            WorldError::NotAnAccount(_) => Field::Account,
            WorldError::NotAFederatedName(_) => Field::Name,
            WorldError::NotACanonicalId(_) => Field::Arn,
            WorldError::UnknownBucket(_) | WorldError::AccessPoint(_) => Field::Name,
            WorldError::MaxSessionDuration(_) => Field::MaxSessionDuration,
            WorldError::ReplicationNeedsVersioning(_) => Field::Replication,
            WorldError::ForeignObjectOwner { object, .. } => Field::ObjectOwner(*object),
            WorldError::UnknownObjectKey { object, .. } => Field::ObjectEncryption(*object),
            WorldError::NotAUserOrRole(_)
            | WorldError::Duplicate(_)
            | WorldError::NotAKeyArn(_)
            | WorldError::IncompleteKeyArn(_)
            | WorldError::Provider(_) => Field::Arn,
        }
    }
}

impl World {
    /// An empty world whose resources are in `region` unless they say otherwise, its requests
    /// made at the moment the run started.
    pub fn new(region: impl Into<String>) -> World {
        World {
            description: None,
            region: region.into(),
            now: RequestTime::run_start(),
            principals: Named::default(),
            buckets: Named::default(),
            keys: Named::default(),
            resources: Named::default(),
            organization: None,
            endpoints: Named::default(),
            identity_providers: Named::default(),
            federated: Named::default(),
            sessions: Named::default(),
            access_points: Named::default(),
            canonical_ids: rustc_hash::FxHashMap::default(),
            names: super::NameIndex::default(),
        }
    }

    /// Adds an IAM user or role.
    pub fn add_principal(&mut self, principal: Principal) -> Result<(), WorldError> {
        if self.principal(&principal.arn).is_some() {
            return Err(WorldError::Duplicate(principal.arn));
        }
        self.names.add_principal(&principal);
        self.principals.insert(principal.arn.clone(), principal);
        Ok(())
    }

    /// Adds an IAM group: its policies join each member's own. A member the world does not
    /// declare is a user with the group's policies alone.
    pub fn add_group(
        &mut self,
        members: &[String],
        policies: &[Arc<Policy>],
    ) -> Result<(), WorldError> {
        for member in members {
            if !matches!(IamEntity::parse(member), Some(IamEntity::User { .. })) {
                return Err(WorldError::NotAUser(member.clone()));
            }
        }
        for member in members {
            match self.principals.get_mut(member) {
                Some(p) => p.identity.extend(policies.iter().cloned()),
                None => {
                    let mut user = Principal::new(member)?;
                    user.identity = policies.to_vec();
                    self.principals.insert(member.clone(), user);
                }
            }
        }
        Ok(())
    }

    /// Adds an IAM OIDC or SAML identity provider.
    pub fn add_identity_provider(&mut self, provider: IdentityProvider) -> Result<(), WorldError> {
        if self.identity_providers.contains_key(provider.arn()) {
            return Err(WorldError::Duplicate(provider.arn().to_string()));
        }
        self.identity_providers
            .insert(provider.arn().to_string(), provider);
        Ok(())
    }

    /// Adds the holder of a web identity token or SAML assertion, named as checks name them.
    pub fn add_federated_principal(
        &mut self,
        principal: FederatedPrincipal,
    ) -> Result<(), WorldError> {
        let name = principal.name.as_str();
        if name.is_empty()
            || name.starts_with("arn:")
            || name == "anonymous"
            || name.ends_with(".amazonaws.com")
            || name.ends_with(".amazonaws.com.cn")
        {
            return Err(WorldError::NotAFederatedName(name.to_string()));
        }
        if self.federated.contains_key(name) {
            return Err(WorldError::Duplicate(name.to_string()));
        }
        self.federated.insert(name.to_string(), principal);
        Ok(())
    }

    /// Declares an account's S3 canonical user id.
    pub fn set_canonical_id(&mut self, account: &str, id: &str) -> Result<(), WorldError> {
        if !is_account_id(account) {
            return Err(WorldError::NotAnAccount(account.to_string()));
        }
        if !super::acl::is_canonical_id(id) {
            return Err(WorldError::NotACanonicalId(id.to_string()));
        }
        self.canonical_ids
            .insert(account.to_string(), id.to_ascii_lowercase());
        Ok(())
    }

    /// Adds an access point of a declared bucket.
    pub fn add_access_point(&mut self, access_point: AccessPoint) -> Result<(), WorldError> {
        if self.bucket(&access_point.bucket).is_none() {
            return Err(WorldError::UnknownBucket(access_point.bucket.clone()));
        }
        if self.access_points.contains_key(&access_point.arn) {
            return Err(WorldError::Duplicate(access_point.arn.clone()));
        }
        if let Some(alias) = &access_point.alias {
            if self.access_point(alias).is_some() || self.bucket(alias).is_some() {
                return Err(WorldError::Duplicate(format!("alias {alias}")));
            }
            self.names.add_access_point_alias(alias, &access_point.arn);
        }
        self.access_points
            .insert(access_point.arn.clone(), access_point);
        Ok(())
    }

    /// Records a role session a call created, replacing an earlier one of the same ARN.
    pub fn add_session(&mut self, session: Session) {
        self.sessions.insert(session.arn.clone(), session);
    }

    /// Adds a KMS key.
    pub fn add_key(&mut self, key: Key) -> Result<(), WorldError> {
        if self.key(&key.arn).is_some() {
            return Err(WorldError::Duplicate(key.arn.to_string()));
        }
        self.names.add_key(&key);
        self.keys.insert(key.arn.to_string(), key);
        Ok(())
    }

    /// Adds a bucket after checking it against S3's rules. Each object's KMS key reference
    /// becomes the key's ARN: ids and aliases resolve in the object owner's account, no key
    /// means the bucket owner's `aws/s3` (decision A3), created when the world lacks it.
    pub fn add_bucket(&mut self, mut bucket: Bucket) -> Result<(), WorldErrors> {
        let mut errors = Vec::new();
        if self.bucket(&bucket.name).is_some() {
            errors.push(WorldError::Duplicate(format!("bucket {}", bucket.name)));
        }
        if bucket.replication.is_some() && !bucket.versioning {
            errors.push(WorldError::ReplicationNeedsVersioning(bucket.name.clone()));
        }
        for (i, object) in bucket.objects.values_mut().enumerate() {
            if bucket.object_ownership == ObjectOwnership::BucketOwnerEnforced
                && object.owner != bucket.account
            {
                errors.push(WorldError::ForeignObjectOwner {
                    bucket: bucket.name.clone(),
                    account: bucket.account.clone(),
                    object: i,
                });
            }
            if !object.encryption.is_kms() {
                continue;
            }
            object.encryption.kms_key = match object.encryption.kms_key.take() {
                None => Some(self.ensure_aws_s3_key(&bucket.account, &bucket.region)),
                Some(reference) => {
                    match self.resolve_key(&reference, &object.owner, &bucket.region) {
                        Some(k) => Some(k.arn.clone()),
                        None => {
                            errors.push(WorldError::UnknownObjectKey {
                                object: i,
                                reference: reference.to_string(),
                                region: bucket.region.clone(),
                                account: object.owner.clone(),
                            });
                            None
                        }
                    }
                }
            };
        }
        if !errors.is_empty() {
            return Err(WorldErrors(errors));
        }
        self.buckets.insert(bucket.name.clone(), bucket);
        Ok(())
    }

    /// Adds a VPC endpoint.
    pub fn add_endpoint(&mut self, endpoint: Endpoint) -> Result<(), WorldError> {
        if self.endpoint(&endpoint.id).is_some() {
            return Err(WorldError::Duplicate(endpoint.id));
        }
        self.endpoints.insert(endpoint.id.clone(), endpoint);
        Ok(())
    }

    /// Adds another resource with a resource-based policy.
    pub fn add_resource(&mut self, resource: OtherResource) -> Result<(), WorldError> {
        if self.other_resource(&resource.arn).is_some() {
            return Err(WorldError::Duplicate(resource.arn));
        }
        self.resources.insert(resource.arn.clone(), resource);
        Ok(())
    }
}

/// A role's maximum session duration unless it says otherwise, and the range IAM accepts.
/// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;
pub const MAX_SESSION_DURATION_RANGE: std::ops::RangeInclusive<u32> = 3600..=43200;

impl Principal {
    /// A user or role with no policies yet.
    pub fn new(arn: &str) -> Result<Principal, WorldError> {
        let (account, is_role) = match IamEntity::parse(arn) {
            Some(IamEntity::User { account, .. }) => (account, false),
            Some(IamEntity::Role { account, .. }) => (account, true),
            _ => return Err(WorldError::NotAUserOrRole(arn.to_string())),
        };
        Ok(Principal {
            arn: arn.into(),
            account,
            is_role,
            identity: Vec::new(),
            boundary: None,
            trust: None,
            tags: Vec::new(),
            unique_id: None,
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
        })
    }

    /// Sets a role's maximum session duration.
    pub fn set_max_session_duration(&mut self, seconds: u32) -> Result<(), WorldError> {
        if !MAX_SESSION_DURATION_RANGE.contains(&seconds) {
            return Err(WorldError::MaxSessionDuration(seconds));
        }
        self.max_session_duration = seconds;
        Ok(())
    }

    /// Gives a role its trust policy.
    pub fn set_trust(&mut self, policy: Arc<Policy>) -> Result<(), WorldError> {
        if !self.is_role {
            return Err(WorldError::TrustPolicyOnUser);
        }
        self.trust = Some(policy);
        Ok(())
    }
}

impl Key {
    /// A key from its ARN, with the policy a key gets when none is given: KMS's default key
    /// policy for a customer managed key, the fixed `aws/s3` policy for an AWS managed one.
    pub fn new(arn: &str, manager: KeyManager) -> Result<Key, WorldError> {
        let Some([_, _, "kms", region, account, resource]) = split_arn(arn) else {
            return Err(WorldError::NotAKeyArn(arn.to_string()));
        };
        let Some(id) = resource.strip_prefix("key/").filter(|id| !id.is_empty()) else {
            return Err(WorldError::NotAKeyArn(arn.to_string()));
        };
        if !is_account_id(account) || region.is_empty() {
            return Err(WorldError::IncompleteKeyArn(arn.to_string()));
        }
        let name = format!("key policy of {arn}");
        let policy = match manager {
            KeyManager::Customer => default_key_policy(&name, account),
            KeyManager::Aws => aws_managed_s3_key_policy(&name, account, region),
        };
        Ok(Key {
            arn: arn.into(),
            id: id.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            aliases: Vec::new(),
            manager,
            state: KeyState::Enabled,
            policy: Arc::new(policy),
            default_policy: true,
            grants: Vec::new(),
        })
    }

    /// The AWS managed key `aws/s3` of an account in a Region, under `arn`.
    pub(super) fn aws_s3(arn: &str, account: &str, region: &str) -> Key {
        let name = format!("key policy of {arn}");
        Key {
            arn: arn.into(),
            id: arn.rsplit('/').next().unwrap_or_default().to_string(),
            account: account.to_string(),
            region: region.to_string(),
            aliases: vec![AWS_S3_ALIAS.to_string()],
            manager: KeyManager::Aws,
            state: KeyState::Enabled,
            policy: Arc::new(aws_managed_s3_key_policy(&name, account, region)),
            default_policy: true,
            grants: Vec::new(),
        }
    }

    /// Replaces the key policy with one the scenario gives.
    pub fn set_policy(&mut self, policy: Arc<Policy>) {
        self.policy = policy;
        self.default_policy = false;
    }

    /// Adds aliases (`alias/NAME`).
    pub fn add_aliases(&mut self, aliases: Vec<String>) -> Result<(), WorldError> {
        if let Some(bad) = aliases.iter().find(|a| !a.starts_with("alias/")) {
            return Err(WorldError::NotAnAlias(bad.clone()));
        }
        self.aliases.extend(aliases);
        Ok(())
    }
}

impl Bucket {
    /// A bucket as S3 creates it today: SSE-S3 default encryption, Block Public Access off
    /// until set, ACLs disabled (`BucketOwnerEnforced`), versioning off, no policy.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html ;
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
    pub fn new(name: &str, account: &str, region: &str) -> Result<Bucket, WorldError> {
        if !is_account_id(account) {
            return Err(WorldError::NotAnAccount(account.to_string()));
        }
        Ok(Bucket {
            name: name.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            policy: None,
            default_encryption: Encryption::sse_s3(),
            public_access_block: PublicAccessBlock::default(),
            versioning: false,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            replication: None,
            objects: Named::default(),
            acl: super::acl::Acl::default(),
            acl_policies: (None, None),
        })
    }
}
