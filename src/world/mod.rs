//! The world a scenario describes: principals and their policies, buckets, KMS keys, other
//! resources, the organization and VPC endpoints; and, for any request in it, the policies
//! that apply ([`resource_side`]) and the context keys AWS fills in ([`context`]).
//!
//! Worlds are built through [`build`]: the scenario loader and `iamsim eval` use the same
//! constructors, defaults and checks.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Members of a world by what names them. FxHash: the keys are short names chosen by the
/// scenario's author, looked up on every request; SipHash's resistance to chosen keys buys
/// nothing here.
pub type Named<T> = indexmap::IndexMap<String, T, rustc_hash::FxBuildHasher>;

use crate::engine::{Caller, CallerError, CallerKind, Grant, OrgLevel};
use crate::policy::arn::{split_arn, IamEntity};
use crate::policy::model::Policy;

pub mod access_point;
pub mod acl;
pub mod build;
pub mod context;
pub mod federation;
pub mod key_policies;
pub mod public_access;
pub mod resource_side;

pub use access_point::{AccessPoint, NetworkOrigin};
pub use build::{WorldError, WorldErrors};
pub use context::{BaseRequest, ContextCache, RequestTime};
pub use federation::{
    FederatedCredential, FederatedPrincipal, IdentityProvider, Session, SessionRequest,
};
pub use resource_side::ResourceSide;

/// An IAM user or role.
#[derive(Debug, Clone)]
pub struct Principal {
    pub arn: String,
    pub account: String,
    pub is_role: bool,
    /// Identity policies: its own and its groups'.
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    pub trust: Option<Arc<Policy>>,
    pub tags: Vec<(String, String)>,
    /// The unique id (`AIDA...`, `AROA...`) behind `aws:userid`, when the scenario gives it.
    pub unique_id: Option<String>,
    /// A role's maximum session duration in seconds (3600 to 43200).
    pub max_session_duration: u32,
}

/// A server-side encryption algorithm, as the `x-amz-server-side-encryption` header and the
/// bucket's default encryption name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseAlgorithm {
    /// SSE-S3: `AES256`.
    Aes256,
    /// SSE-KMS: `aws:kms`.
    AwsKms,
    /// Dual-layer SSE-KMS: `aws:kms:dsse`.
    AwsKmsDsse,
}

impl SseAlgorithm {
    pub const ALL: [SseAlgorithm; 3] = [
        SseAlgorithm::Aes256,
        SseAlgorithm::AwsKms,
        SseAlgorithm::AwsKmsDsse,
    ];

    /// The name S3 uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            SseAlgorithm::Aes256 => "AES256",
            SseAlgorithm::AwsKms => "aws:kms",
            SseAlgorithm::AwsKmsDsse => "aws:kms:dsse",
        }
    }

    /// Reads S3's name for an algorithm (exact: S3 rejects other spellings).
    pub fn parse(name: &str) -> Option<SseAlgorithm> {
        SseAlgorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether objects are encrypted under a KMS key.
    pub fn is_kms(self) -> bool {
        self != SseAlgorithm::Aes256
    }
}

impl fmt::Display for SseAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How objects in a bucket are encrypted by default, or how one object was encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub algorithm: SseAlgorithm,
    /// The key as configured (ARN, id or alias); `None` with SSE-KMS means `aws/s3`. On a stored
    /// object, the key ARN it was encrypted under.
    pub kms_key: Option<Arc<str>>,
    pub bucket_key: bool,
}

impl Encryption {
    pub fn sse_s3() -> Encryption {
        Encryption {
            algorithm: SseAlgorithm::Aes256,
            kms_key: None,
            bucket_key: false,
        }
    }

    pub fn is_kms(&self) -> bool {
        self.algorithm.is_kms()
    }
}

/// S3 Block Public Access settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// S3 Object Ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectOwnership {
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

impl ObjectOwnership {
    pub const ALL: [ObjectOwnership; 3] = [
        ObjectOwnership::BucketOwnerEnforced,
        ObjectOwnership::BucketOwnerPreferred,
        ObjectOwnership::ObjectWriter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }

    pub fn parse(name: &str) -> Option<ObjectOwnership> {
        ObjectOwnership::ALL
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// One replication rule.
#[derive(Debug, Clone)]
pub struct ReplicationRule {
    pub id: String,
    pub prefix: String,
    pub destination_bucket: String,
    pub destination_account: Option<String>,
    pub replica_kms_key: Option<String>,
    pub replicate_kms_encrypted: bool,
    pub owner_override: bool,
}

/// A bucket's replication configuration.
#[derive(Debug, Clone)]
pub struct Replication {
    pub role: String,
    pub rules: Vec<ReplicationRule>,
}

/// An object stored in a bucket.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub key: String,
    pub encryption: Encryption,
    /// The account that owns the object.
    pub owner: String,
    pub tags: Vec<(String, String)>,
    /// Encryption-context pairs given at upload (`x-amz-server-side-encryption-context`): S3
    /// stores them and sends them to KMS again on every read.
    pub encryption_context: Vec<(String, String)>,
    /// Set on replicas: the replication status AWS reports (`REPLICA`).
    pub replica: bool,
    /// What the object's ACL grants beyond its owner's full control.
    pub acl: acl::Acl,
    /// The ACL as a policy (every grant), and without its public grants; built once.
    pub acl_policies: (Option<Arc<Policy>>, Option<Arc<Policy>>),
}

impl StoredObject {
    /// A new object in `bucket`, owned by `owner`, with the ACL its upload set.
    pub fn new(
        bucket_name: &str,
        key: &str,
        encryption: Encryption,
        owner: String,
        acl: acl::Acl,
    ) -> StoredObject {
        let mut object = StoredObject {
            key: key.to_string(),
            encryption,
            owner,
            tags: Vec::new(),
            encryption_context: Vec::new(),
            replica: false,
            acl: acl::Acl::default(),
            acl_policies: (None, None),
        };
        object.set_acl(bucket_name, acl);
        object
    }

    /// Replaces the object's ACL (an upload's, or PutObjectAcl's).
    pub fn set_acl(&mut self, bucket_name: &str, acl: acl::Acl) {
        // Most objects' ACLs grant nothing beyond the owner's own full control.
        self.acl_policies = if acl.is_empty() {
            (None, None)
        } else {
            let arn = format!("arn:aws:s3:::{bucket_name}/{}", self.key);
            acl.policies(acl::AclTarget::Object(&arn))
        };
        self.acl = acl;
    }
}

/// An S3 bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub account: String,
    pub region: String,
    pub policy: Option<Arc<Policy>>,
    pub default_encryption: Encryption,
    pub public_access_block: PublicAccessBlock,
    pub versioning: bool,
    pub object_ownership: ObjectOwnership,
    pub replication: Option<Replication>,
    /// The objects, by key, in the order they were written.
    pub objects: Named<StoredObject>,
    /// What the bucket's ACL grants beyond its owner's full control.
    pub acl: acl::Acl,
    /// The bucket ACL as a policy (every grant), and without its public grants.
    pub acl_policies: (Option<Arc<Policy>>, Option<Arc<Policy>>),
}

impl Bucket {
    /// Sets the bucket's ACL.
    pub fn set_acl(&mut self, acl: acl::Acl) {
        self.acl_policies = if acl.is_empty() {
            (None, None)
        } else {
            acl.policies(acl::AclTarget::Bucket(&self.name))
        };
        self.acl = acl;
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.name)
    }

    pub fn object(&self, key: &str) -> Option<&StoredObject> {
        self.objects.get(key)
    }

    /// Stores an object, replacing any of the same key.
    pub fn store(&mut self, object: StoredObject) {
        match self.objects.get_mut(&object.key) {
            Some(existing) => *existing = object,
            None => {
                self.objects.insert(object.key.clone(), object);
            }
        }
    }
}

/// Who manages a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyManager {
    Customer,
    /// An AWS managed key such as `aws/s3`: fixed key policy, no RCPs.
    Aws,
}

/// A KMS key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub const ALL: [KeyState; 3] = [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }

    pub fn parse(name: &str) -> Option<KeyState> {
        KeyState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A KMS key.
#[derive(Debug, Clone)]
pub struct Key {
    pub arn: Arc<str>,
    pub id: String,
    pub account: String,
    pub region: String,
    pub aliases: Vec<String>,
    pub manager: KeyManager,
    pub state: KeyState,
    pub policy: Arc<Policy>,
    /// Whether the policy is the default one iamsim supplied (for explanations).
    pub default_policy: bool,
    pub grants: Vec<Grant>,
}

/// Any other resource with a resource-based policy.
#[derive(Debug, Clone)]
pub struct OtherResource {
    pub arn: String,
    pub account: Option<String>,
    pub policy: Arc<Policy>,
}

/// An organization: its id, management account, and each member account's path of levels.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    pub id: Option<String>,
    pub management_account: Option<String>,
    /// Member account -> where it sits.
    pub accounts: HashMap<String, AccountPlacement>,
}

/// Where an account sits in the organization, with the policies of each level on its path.
#[derive(Debug, Clone, Default)]
pub struct AccountPlacement {
    pub scps: Vec<OrgLevel>,
    pub rcps: Vec<OrgLevel>,
    /// `o-id/r-root/ou-.../` as `aws:PrincipalOrgPaths` shows it.
    pub org_path: String,
}

/// A VPC endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub vpc: Option<String>,
    /// `None`: the default policy, which allows everything.
    pub policy: Option<Arc<Policy>>,
}

/// The world of one scenario. Build one with [`World::new`] and the `add_*` methods of
/// [`build`], or load a scenario file. Each collection is keyed by what names its members (a
/// principal's ARN, a bucket's name, a key's ARN, an endpoint's id), so that every lookup a
/// request makes is a hash lookup, however large the world. Principals and keys are added with
/// [`World::add_principal`] and [`World::add_key`], which also index them by their other names.
#[derive(Debug, Clone)]
pub struct World {
    pub description: Option<String>,
    pub region: String,
    /// The moment requests are made at (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: RequestTime,
    pub principals: Named<Principal>,
    pub buckets: Named<Bucket>,
    pub keys: Named<Key>,
    pub resources: Named<OtherResource>,
    pub organization: Option<Organization>,
    pub endpoints: Named<Endpoint>,
    /// IAM OIDC and SAML providers, by ARN.
    pub identity_providers: Named<IdentityProvider>,
    /// Holders of web identity tokens and SAML assertions, by name.
    pub federated: Named<FederatedPrincipal>,
    /// Role sessions created by `sts:AssumeRole*` calls, by session ARN.
    pub sessions: Named<Session>,
    /// S3 access points, by ARN.
    pub access_points: Named<AccessPoint>,
    /// S3 canonical user ids the scenario declares, by account.
    pub canonical_ids: rustc_hash::FxHashMap<String, String>,
    /// Roles by account and name, keys by account, Region and id or alias.
    pub(crate) names: NameIndex,
}

/// The other names principals and keys are looked up by, each mapped to the ARN the world's
/// collections are keyed by, so that a session's role or a key id resolves with a hash lookup.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    /// `account/role-name` -> role ARN.
    roles: rustc_hash::FxHashMap<String, String>,
    /// (account, Region, `key/ID` or `alias/NAME`) -> key ARN.
    keys: indexmap::IndexMap<KeyName, String, rustc_hash::FxBuildHasher>,
    /// Access point alias -> access point ARN.
    access_point_aliases: rustc_hash::FxHashMap<String, String>,
}

impl NameIndex {
    fn role_name(account: &str, name: &str) -> String {
        [account, "/", name].concat()
    }

    pub(crate) fn add_principal(&mut self, principal: &Principal) {
        if principal.is_role {
            let name = crate::policy::arn::last_path_element(&principal.arn);
            // The first declared role of a name wins, as a search in declaration order would.
            self.roles
                .entry(Self::role_name(&principal.account, name))
                .or_insert_with(|| principal.arn.clone());
        }
    }

    pub(crate) fn add_key(&mut self, key: &Key) {
        let names =
            std::iter::once(["key/", key.id.as_str()].concat()).chain(key.aliases.iter().cloned());
        for name in names {
            let name = KeyName {
                account: key.account.clone(),
                region: key.region.clone(),
                name,
            };
            self.keys.entry(name).or_insert_with(|| key.arn.to_string());
        }
    }

    pub(crate) fn add_access_point_alias(&mut self, alias: &str, arn: &str) {
        self.access_point_aliases
            .insert(alias.to_string(), arn.to_string());
    }

    fn role(&self, account: &str, name: &str) -> Option<&str> {
        self.roles
            .get(&Self::role_name(account, name))
            .map(String::as_str)
    }

    /// `name` is `key/ID` or `alias/NAME`.
    fn key(&self, account: &str, region: &str, name: &str) -> Option<&str> {
        self.keys
            .get(&KeyNameRef {
                account,
                region,
                name,
            })
            .map(String::as_str)
    }
}

/// A key's name in its account and Region, as [`NameIndex`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct KeyName {
    account: String,
    region: String,
    name: String,
}

/// A [`KeyName`] borrowed from a request, so that a lookup builds no string. Its derived hash
/// is the owned name's: a `&str` hashes as the `String` it is equal to, field by field.
#[derive(Hash)]
struct KeyNameRef<'a> {
    account: &'a str,
    region: &'a str,
    name: &'a str,
}

impl indexmap::Equivalent<KeyName> for KeyNameRef<'_> {
    fn equivalent(&self, key: &KeyName) -> bool {
        self.account == key.account && self.region == key.region && self.name == key.name
    }
}

impl Default for World {
    fn default() -> World {
        World::new("us-east-1")
    }
}

/// The canonical user id iamsim gives an account the scenario gives none.
fn derived_canonical_id(account: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(account.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The alias of the AWS managed key S3 uses.
pub const AWS_S3_ALIAS: &str = "alias/aws/s3";

/// The key placeholder id of an AWS managed `aws/s3` key the scenario did not declare.
pub const IMPLICIT_AWS_S3_KEY_ID: &str = "aws-s3-managed-key";

impl World {
    pub fn principal(&self, arn: &str) -> Option<&Principal> {
        self.principals.get(arn)
    }

    /// The declared role a session belongs to, by its account and name (a session's ARN
    /// carries no role path).
    pub fn role_by_name(&self, account: &str, name: &str) -> Option<&Principal> {
        self.names
            .role(account, name)
            .and_then(|arn| self.principal(arn))
    }

    pub fn bucket(&self, name: &str) -> Option<&Bucket> {
        self.buckets.get(name)
    }

    pub fn bucket_mut(&mut self, name: &str) -> Option<&mut Bucket> {
        self.buckets.get_mut(name)
    }

    pub fn key(&self, arn: &str) -> Option<&Key> {
        self.keys.get(arn)
    }

    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.get(id)
    }

    pub fn other_resource(&self, arn: &str) -> Option<&OtherResource> {
        self.resources.get(arn)
    }

    /// The declared user or role behind a caller. A caller resolved by [`World::caller`] names
    /// its role by the role's full ARN; others are found by the role's name.
    pub fn principal_of(&self, caller: &Caller) -> Option<&Principal> {
        match &caller.kind {
            CallerKind::User { .. } => caller.arn.as_deref().and_then(|a| self.principal(a)),
            CallerKind::RoleSession {
                role_arn,
                role_name,
                ..
            } => self
                .principal(role_arn)
                .filter(|p| p.is_role)
                .or_else(|| self.role_by_name(caller.account.as_deref()?, role_name)),
            _ => None,
        }
    }

    /// Reads a principal as a check names it: a role named by ARN stands for one of its sessions;
    /// a session of a declared role gets the role's full ARN (with path) as `aws:PrincipalArn`.
    pub fn caller(&self, text: &str) -> Result<Caller, CallerError> {
        if let Some(f) = self.federated.get(text) {
            // The provider is known once the call names its role (an IAM provider is the role
            // account's); until then the caller is the credential's holder.
            let name = f.name.clone();
            let kind = match &f.credential {
                FederatedCredential::WebIdentity { provider, .. } => CallerKind::WebIdentity {
                    name,
                    provider: provider.clone(),
                },
                FederatedCredential::Saml { provider, .. } => CallerKind::Saml {
                    name,
                    provider: provider.clone(),
                },
            };
            return Ok(Caller::federated(kind));
        }
        let mut caller = Caller::parse(text)?;
        if let Some(p) = self.principal_of(&caller) {
            let p_arn = p.arn.clone();
            caller.has_boundary = p.boundary.is_some();
            if let CallerKind::RoleSession { role_arn, .. } = &mut caller.kind {
                *role_arn = p_arn;
            }
        }
        Ok(caller)
    }

    /// Finds a KMS key from an id, key ARN, alias name or alias ARN, resolving ids and alias
    /// names in `account` and `region` (the requester's, Part B 5.5).
    pub fn resolve_key(&self, reference: &str, account: &str, region: &str) -> Option<&Key> {
        if reference.starts_with("arn:") {
            let [_, _, service, key_region, key_account, resource] = split_arn(reference)?;
            if service != "kms" {
                return None;
            }
            if resource.starts_with("alias/") {
                return self.indexed_key(key_account, key_region, resource);
            }
            return self.key(reference);
        }
        if reference.starts_with("alias/") {
            return self.indexed_key(account, region, reference);
        }
        self.indexed_key(account, region, &["key/", reference].concat())
    }

    fn indexed_key(&self, account: &str, region: &str, name: &str) -> Option<&Key> {
        self.names
            .key(account, region, name)
            .and_then(|arn| self.key(arn))
    }

    /// The account's AWS managed `aws/s3` key in `region`, when it exists.
    fn declared_aws_s3_key(&self, account: &str, region: &str) -> Option<&Key> {
        self.indexed_key(account, region, AWS_S3_ALIAS)
            .filter(|k| k.manager == KeyManager::Aws)
    }

    /// The ARN of the account's `aws/s3` key in `region`: the declared key, or the placeholder
    /// ARN [`World::ensure_aws_s3_key`] creates it under.
    pub fn aws_s3_key_arn(&self, account: &str, region: &str) -> Arc<str> {
        self.declared_aws_s3_key(account, region)
            .map(|k| k.arn.clone())
            .unwrap_or_else(|| {
                format!("arn:aws:kms:{region}:{account}:key/{IMPLICIT_AWS_S3_KEY_ID}").into()
            })
    }

    /// Returns the ARN of the account's `aws/s3` key in `region`, creating the key with its
    /// fixed AWS policy when the world does not have it: AWS creates it when S3 first needs it.
    pub fn ensure_aws_s3_key(&mut self, account: &str, region: &str) -> Arc<str> {
        if let Some(k) = self.declared_aws_s3_key(account, region) {
            return k.arn.clone();
        }
        let arn = format!("arn:aws:kms:{region}:{account}:key/{IMPLICIT_AWS_S3_KEY_ID}");
        let key = Key::aws_s3(&arn, account, region);
        let shared = key.arn.clone();
        self.names.add_key(&key);
        self.keys.insert(arn, key);
        shared
    }

    /// An access point by its ARN or alias.
    pub fn access_point(&self, reference: &str) -> Option<&AccessPoint> {
        if reference.starts_with("arn:") {
            let (arn, _) = access_point::split_access_point_arn(reference)?;
            return self.access_points.get(&arn);
        }
        let arn = self.names.access_point_aliases.get(reference)?;
        self.access_points.get(arn)
    }

    /// Every policy of the world, each shared policy once, in the world's order: identity
    /// policies, boundaries and trust policies, bucket and access point policies, key policies
    /// (defaults included), other resources', endpoints', the organization's SCPs and RCPs, and
    /// the session policies of recorded sessions.
    pub fn policies(&self) -> Vec<&Arc<Policy>> {
        let mut all: Vec<&Arc<Policy>> = Vec::new();
        for p in self.principals.values() {
            all.extend(p.identity.iter());
            all.extend(p.boundary.iter());
            all.extend(p.trust.iter());
        }
        all.extend(self.buckets.values().filter_map(|b| b.policy.as_ref()));
        all.extend(
            self.access_points
                .values()
                .filter_map(|a| a.policy.as_ref()),
        );
        all.extend(self.keys.values().map(|k| &k.policy));
        all.extend(self.resources.values().map(|r| &r.policy));
        all.extend(self.endpoints.values().filter_map(|e| e.policy.as_ref()));
        if let Some(org) = &self.organization {
            for placement in org.accounts.values() {
                for level in placement.scps.iter().chain(&placement.rcps) {
                    all.extend(level.policies.iter());
                }
            }
        }
        all.extend(self.sessions.values().filter_map(|s| s.policy.as_ref()));
        let mut seen = rustc_hash::FxHashSet::default();
        all.retain(|p| seen.insert(Arc::as_ptr(p)));
        all
    }

    /// The S3 canonical user id of an account: the declared one, else one derived from the
    /// account id (the hex SHA-256 of its 12 digits; AWS's own ids are opaque).
    pub fn canonical_id(&self, account: &str) -> String {
        match self.canonical_ids.get(account) {
            Some(id) => id.clone(),
            None => derived_canonical_id(account),
        }
    }

    /// The account a canonical user id stands for: a declared id, or the derived id of an
    /// account the world knows.
    pub fn account_of_canonical_id(&self, id: &str) -> Option<String> {
        let id = id.to_ascii_lowercase();
        if let Some((account, _)) = self.canonical_ids.iter().find(|(_, c)| **c == id) {
            return Some(account.clone());
        }
        self.known_accounts()
            .into_iter()
            .find(|a| !self.canonical_ids.contains_key(*a) && derived_canonical_id(a) == id)
            .map(str::to_string)
    }

    /// Every account the world names: principals', buckets', keys', and the organization's.
    fn known_accounts(&self) -> Vec<&str> {
        let mut accounts: Vec<&str> = self
            .principals
            .values()
            .map(|p| p.account.as_str())
            .chain(self.buckets.values().map(|b| b.account.as_str()))
            .chain(
                self.buckets
                    .values()
                    .flat_map(|b| b.objects.values().map(|o| o.owner.as_str())),
            )
            .chain(self.keys.values().map(|k| k.account.as_str()))
            .chain(
                self.organization
                    .iter()
                    .flat_map(|o| o.accounts.keys().map(String::as_str)),
            )
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts
    }

    /// The organization placement of a member account (not the management account).
    pub fn placement(&self, account: &str) -> Option<&AccountPlacement> {
        let org = self.organization.as_ref()?;
        if org.management_account.as_deref() == Some(account) {
            return None;
        }
        org.accounts.get(account)
    }

    /// Whether `account` is the organization's management account.
    pub fn is_management_account(&self, account: &str) -> bool {
        self.organization
            .as_ref()
            .is_some_and(|o| o.management_account.as_deref() == Some(account))
    }

    /// The account of a principal ARN, for messages and checks.
    pub fn account_of(arn: &str) -> Option<String> {
        IamEntity::parse(arn).map(|e| e.account().to_string())
    }
}
