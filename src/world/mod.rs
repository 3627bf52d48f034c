//! The world a scenario describes: principals and their policies, buckets, KMS keys, other
//! resources, the organization and VPC endpoints; and, for any request in it, the policies
//! that apply and the context keys AWS fills in.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::{Caller, CallerKind, Context, Grant, OrgLevel, PolicySet, ResourceRules};
use crate::policy::arn::{split_arn, IamEntity};
use crate::policy::model::Policy;

pub mod acl;
pub mod key_policies;
pub mod public_access;

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
}

/// How objects in a bucket are encrypted by default, or how one object was encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    /// `AES256` or `aws:kms` (or `aws:kms:dsse`).
    pub algorithm: String,
    /// The key as configured (ARN, id or alias); `None` with `aws:kms` means `aws/s3`.
    pub kms_key: Option<String>,
    pub bucket_key: bool,
}

impl Encryption {
    pub fn sse_s3() -> Encryption {
        Encryption {
            algorithm: "AES256".to_string(),
            kms_key: None,
            bucket_key: false,
        }
    }

    pub fn is_kms(&self) -> bool {
        self.algorithm.starts_with("aws:kms")
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
    pub acl: acl::ObjectAcl,
    /// The ACL as a policy (every grant), and without its public grants; built once.
    pub acl_policies: (Option<Arc<Policy>>, Option<Arc<Policy>>),
}

impl StoredObject {
    /// A new object in `bucket`, owned by `owner`, with the ACL its upload set.
    pub fn new(
        bucket_name: &str,
        bucket_account: &str,
        key: &str,
        encryption: Encryption,
        owner: String,
        acl: acl::ObjectAcl,
    ) -> StoredObject {
        // Most objects' ACLs grant nothing beyond the owner's own full control.
        let acl_policies = if acl == acl::ObjectAcl::default() {
            (None, None)
        } else {
            acl.policies(bucket_account, &format!("arn:aws:s3:::{bucket_name}/{key}"))
        };
        StoredObject {
            key: key.to_string(),
            encryption,
            owner,
            tags: Vec::new(),
            encryption_context: Vec::new(),
            replica: false,
            acl,
            acl_policies,
        }
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
    pub objects: Vec<StoredObject>,
}

impl Bucket {
    pub fn arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.name)
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

/// A KMS key.
#[derive(Debug, Clone)]
pub struct Key {
    pub arn: String,
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
    /// Member account -> (SCP levels, RCP levels, OU path ids from the root).
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

/// The time of the requests iamsim simulates: the moment the process started, as AWS would
/// stamp a request made now. Formatted once; every request of a run shares it.
pub struct RequestClock {
    /// `aws:CurrentTime`, ISO 8601 in UTC.
    pub iso: String,
    /// `aws:EpochTime`, seconds.
    pub epoch: String,
}

/// The process-wide request clock.
pub fn request_clock() -> &'static RequestClock {
    static CLOCK: std::sync::OnceLock<RequestClock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(|| {
        let now = chrono::Utc::now();
        RequestClock {
            iso: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            epoch: now.timestamp().to_string(),
        }
    })
}

/// Base contexts already built, by what they depend on (see [`World::base_context_in`]).
#[derive(Debug, Default)]
pub struct ContextCache {
    entries: Vec<(CacheKey, std::sync::Arc<Context>)>,
}

#[derive(Debug, PartialEq)]
struct CacheKey {
    caller: Caller,
    service: String,
    region: String,
    resource_account: Option<String>,
    endpoint: Option<String>,
    /// The bucket Region of a KMS request S3 makes on the caller's behalf.
    via_s3: Option<String>,
}

impl ContextCache {
    /// Most scenarios have a handful of callers and services; beyond this many entries the
    /// cache stops growing and contexts are built afresh.
    const LIMIT: usize = 64;

    /// The base context of a request, built once per distinct key. `via_s3` is set for a KMS
    /// request that S3 makes on the caller's behalf for a bucket in that Region: the context
    /// then also holds the keys such a request always carries.
    #[allow(clippy::too_many_arguments)]
    pub fn context(
        &mut self,
        world: &World,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        endpoint: Option<&Endpoint>,
        via_s3: Option<&str>,
    ) -> Context {
        let service = action.split(':').next().unwrap_or("");
        let region = world.requested_region(resource);
        let endpoint_id = endpoint.map(|e| e.id.as_str());
        let found = self.entries.iter().find(|(k, _)| {
            k.service.eq_ignore_ascii_case(service)
                && k.region == region
                && k.resource_account.as_deref() == resource_account
                && k.endpoint.as_deref() == endpoint_id
                && k.via_s3.as_deref() == via_s3
                && k.caller == *caller
        });
        if let Some((_, ctx)) = found {
            return Context::on(ctx.clone());
        }
        let mut base = world.base_context_in(caller, action, region, resource_account, endpoint);
        if let Some(bucket_region) = via_s3 {
            // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
            base.set(
                "kms:ViaService",
                format!("s3.{bucket_region}.amazonaws.com"),
            );
            base.set("aws:ViaAWSService", "true");
            base.set_multi("kms:EncryptionContextKeys", vec!["aws:s3:arn".to_string()]);
        }
        let ctx = std::sync::Arc::new(base);
        if self.entries.len() < Self::LIMIT {
            self.entries.push((
                CacheKey {
                    caller: caller.clone(),
                    service: service.to_string(),
                    region: region.to_string(),
                    resource_account: resource_account.map(str::to_string),
                    endpoint: endpoint_id.map(str::to_string),
                    via_s3: via_s3.map(str::to_string),
                },
                ctx.clone(),
            ));
        }
        Context::on(ctx)
    }
}

/// A [`ContextCache`] a world keeps for the calls made in it. Copies of a world start with an
/// empty cache.
#[derive(Debug, Default)]
pub struct SharedContextCache(std::sync::Mutex<ContextCache>);

impl Clone for SharedContextCache {
    fn clone(&self) -> Self {
        SharedContextCache::default()
    }
}

/// The world of one scenario.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub description: Option<String>,
    pub region: String,
    pub principals: Vec<Principal>,
    pub buckets: Vec<Bucket>,
    pub keys: Vec<Key>,
    pub resources: Vec<OtherResource>,
    pub organization: Option<Organization>,
    pub endpoints: Vec<Endpoint>,
    /// Base contexts built for calls in this world (see [`World::cached_base_context`]).
    pub contexts: SharedContextCache,
}

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
    /// What the world decided about the resource side, for explanations.
    pub notes: Vec<String>,
}

impl World {
    pub fn principal(&self, arn: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| p.arn == arn)
    }

    /// The declared role a session belongs to.
    pub fn role_by_name(&self, account: &str, name: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| {
            p.is_role
                && p.account == account
                && crate::policy::arn::last_path_element(&p.arn) == name
        })
    }

    pub fn bucket(&self, name: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.name == name)
    }

    pub fn key(&self, arn: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.arn == arn)
    }

    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// The declared user or role behind a caller.
    pub fn principal_of(&self, caller: &Caller) -> Option<&Principal> {
        match &caller.kind {
            CallerKind::User { .. } => caller.arn.as_deref().and_then(|a| self.principal(a)),
            CallerKind::RoleSession { role_name, .. } => {
                self.role_by_name(caller.account.as_deref()?, role_name)
            }
            _ => None,
        }
    }

    /// Reads a check's principal: a role named by ARN stands for one of its sessions; a session
    /// of a declared role gets the role's full ARN (with path) as `aws:PrincipalArn`.
    pub fn caller(&self, text: &str) -> Result<Caller, String> {
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
            if let Some(alias) = resource.strip_prefix("alias/") {
                let alias = format!("alias/{alias}");
                return self.keys.iter().find(|k| {
                    k.account == key_account && k.region == key_region && k.aliases.contains(&alias)
                });
            }
            return self.key(reference);
        }
        if reference.starts_with("alias/") {
            return self.keys.iter().find(|k| {
                k.account == account
                    && k.region == region
                    && k.aliases.iter().any(|a| a == reference)
            });
        }
        self.keys
            .iter()
            .find(|k| k.id == reference && k.account == account && k.region == region)
    }

    /// The resource side of a request on `resource` for `action`.
    pub fn resource_side<'a>(
        &'a self,
        caller: &'a Caller,
        action: &str,
        resource: &'a str,
        resource_account: Option<&'a str>,
    ) -> ResourceSide<'a> {
        let mut side = ResourceSide {
            account: resource_account,
            policy: None,
            rules: ResourceRules::Standard,
            grants: &[],
            aws_managed_key: false,
            acl: None,
            notes: Vec::new(),
        };
        let Some([_, _, service, _, account, rest]) = split_arn(resource) else {
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
            "s3" => {
                let bucket_name = rest.split('/').next().unwrap_or(rest);
                if let Some(b) = self.bucket(bucket_name) {
                    side.account = Some(&b.account);
                    side.policy = b.policy.as_deref();
                    let object = rest
                        .split_once('/')
                        .and_then(|(_, key)| b.objects.iter().find(|o| o.key == key));
                    let owner = object.map(|o| o.owner.as_str());
                    if b.object_ownership != ObjectOwnership::BucketOwnerEnforced {
                        side.acl = object.and_then(|o| {
                            if b.public_access_block.ignore_public_acls {
                                if o.acl.is_public() {
                                    side.notes.push("Block Public Access (IgnorePublicAcls): the object's public ACL grants are ignored".to_string());
                                }
                                o.acl_policies.1.as_deref()
                            } else {
                                o.acl_policies.0.as_deref()
                            }
                        });
                    }
                    // An object owned by another account than the bucket owner is judged in
                    // the object's context: the bucket owner can only deny it (bucket-policy
                    // Allows do not reach it), and the object's ACL, which gives its owner full
                    // control and no one else anything, grants. Writes stay in the bucket
                    // context. https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html
                    let object_read = {
                        let a = action.to_ascii_lowercase();
                        a.starts_with("s3:getobject") || a == "s3:putobjectacl"
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
                } else {
                    side.rules = ResourceRules::S3 { allows_apply: true };
                }
            }
            "kms" => {
                side.rules = ResourceRules::KmsKey;
                if let Some(k) = self.key(resource) {
                    side.policy = Some(&k.policy);
                    side.grants = &k.grants;
                    side.aws_managed_key = k.manager == KeyManager::Aws;
                }
            }
            "iam" if action.to_ascii_lowercase().starts_with("sts:assumerole") => {
                side.rules = ResourceRules::RoleTrust;
                side.policy = self
                    .principal(resource)
                    .filter(|p| p.is_role)
                    .and_then(|p| p.trust.as_deref());
            }
            _ => {
                side.policy = self
                    .resources
                    .iter()
                    .find(|r| r.arn == resource)
                    .map(|r| &*r.policy);
                if let Some(r) = self.resources.iter().find(|r| r.arn == resource) {
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

    /// The organization placement of a member account (not the management account).
    pub fn placement(&self, account: &str) -> Option<&AccountPlacement> {
        let org = self.organization.as_ref()?;
        if org.management_account.as_deref() == Some(account) {
            return None;
        }
        org.accounts.get(account)
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
        let service = action.split(':').next().unwrap_or("");
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
        }
    }

    /// The context keys AWS sets itself for a request (scenario-format.md; README lists them).
    pub fn base_context(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        endpoint: Option<&Endpoint>,
    ) -> Context {
        let region = self.requested_region(resource);
        self.base_context_in(caller, action, region, resource_account, endpoint)
    }

    /// [`World::base_context`], built once per caller, service, Region, resource account and
    /// endpoint, then shared (a request adds its own keys on top). `via_s3` is the bucket Region
    /// of a KMS request that S3 makes on the caller's behalf: the context then also holds the keys
    /// such a request always carries.
    pub fn cached_base_context(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        endpoint: Option<&Endpoint>,
        via_s3: Option<&str>,
    ) -> Context {
        // A cache poisoned by a panic elsewhere is bypassed, not trusted.
        let mut poisoned = None;
        let mut guard = self.contexts.0.lock();
        let cache = match &mut guard {
            Ok(cache) => &mut **cache,
            Err(_) => poisoned.insert(ContextCache::default()),
        };
        cache.context(
            self,
            caller,
            action,
            resource,
            resource_account,
            endpoint,
            via_s3,
        )
    }

    /// `aws:RequestedRegion` of a request on `resource`: the ARN's Region, else the bucket's
    /// (S3 ARNs carry none), else the scenario's.
    pub fn requested_region<'a>(&'a self, resource: &'a str) -> &'a str {
        let fields = split_arn(resource);
        if let Some(r) = fields.map(|f| f[3]).filter(|r| !r.is_empty()) {
            return r;
        }
        fields
            .filter(|f| f[2] == "s3")
            .and_then(|f| self.bucket(f[5].split('/').next().unwrap_or("")))
            .map_or(self.region.as_str(), |b| b.region.as_str())
    }

    /// [`World::base_context`] for a request whose `aws:RequestedRegion` is known: everything in
    /// it depends only on the caller, the action's service, the Region, the resource's account
    /// and the endpoint, so one context serves every request that shares those.
    pub fn base_context_in(
        &self,
        caller: &Caller,
        action: &str,
        region: &str,
        resource_account: Option<&str>,
        endpoint: Option<&Endpoint>,
    ) -> Context {
        let mut ctx = Context::new();
        let principal = self.principal_of(caller);
        if let Some(arn) = caller.principal_arn() {
            ctx.set("aws:PrincipalArn", arn);
        }
        match &caller.kind {
            CallerKind::Anonymous => {
                ctx.set("aws:PrincipalAccount", "anonymous");
                ctx.set("aws:PrincipalType", "Anonymous");
                ctx.set("aws:userid", "anonymous");
            }
            CallerKind::Service { name } => {
                ctx.set("aws:PrincipalIsAWSService", "true");
                ctx.set("aws:PrincipalServiceName", name.as_str());
            }
            kind => {
                let account = caller.account.clone().unwrap_or_default();
                ctx.set("aws:PrincipalAccount", account.as_str());
                ctx.set("aws:PrincipalIsAWSService", "false");
                let unique = principal.and_then(|p| p.unique_id.clone());
                match kind {
                    CallerKind::Root => {
                        ctx.set("aws:PrincipalType", "Account");
                        ctx.set("aws:userid", account.as_str());
                    }
                    CallerKind::User { name } => {
                        ctx.set("aws:PrincipalType", "User");
                        ctx.set("aws:username", name.as_str());
                        if let Some(u) = unique {
                            ctx.set("aws:userid", u);
                        }
                    }
                    CallerKind::RoleSession { session, .. } => {
                        ctx.set("aws:PrincipalType", "AssumedRole");
                        if let Some(u) = unique {
                            ctx.set("aws:userid", format!("{u}:{session}"));
                        }
                    }
                    CallerKind::FederatedUser { name } => {
                        ctx.set("aws:PrincipalType", "FederatedUser");
                        ctx.set("aws:userid", format!("{account}:{name}"));
                    }
                    _ => {}
                }
                if let Some(p) = principal {
                    for (k, v) in &p.tags {
                        ctx.set(format!("aws:PrincipalTag/{k}"), v.as_str());
                    }
                }
                if let (Some(org), Some(placement)) =
                    (&self.organization, self.org_member(&account))
                {
                    if let Some(id) = &org.id {
                        ctx.set("aws:PrincipalOrgID", id.as_str());
                        ctx.set_multi("aws:PrincipalOrgPaths", vec![placement.to_string()]);
                    }
                }
            }
        }
        ctx.set("aws:SecureTransport", "true");
        ctx.set("aws:ViaAWSService", "false");
        let clock = request_clock();
        // Temporary credentials (role and federated sessions) carry these two keys.
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime
        if matches!(
            caller.kind,
            CallerKind::RoleSession { .. } | CallerKind::FederatedUser { .. }
        ) {
            ctx.set("aws:TokenIssueTime", clock.iso.as_str());
            ctx.set("aws:MultiFactorAuthPresent", "false");
        }
        ctx.set("aws:CurrentTime", clock.iso.as_str());
        ctx.set("aws:EpochTime", clock.epoch.as_str());
        ctx.set("aws:RequestedRegion", region);
        if let Some(account) = resource_account {
            ctx.set("aws:ResourceAccount", account);
            if let (Some(org), Some(path)) = (&self.organization, self.org_member(account)) {
                if let Some(id) = &org.id {
                    ctx.set("aws:ResourceOrgID", id.as_str());
                    ctx.set_multi("aws:ResourceOrgPaths", vec![path.to_string()]);
                }
            }
        }
        let service = action.split(':').next().unwrap_or("").to_ascii_lowercase();
        match service.as_str() {
            "s3" => {
                if let Some(account) = resource_account {
                    ctx.set("s3:ResourceAccount", account);
                }
                ctx.set("s3:authType", "REST-HEADER");
                ctx.set("s3:signatureversion", "AWS4-HMAC-SHA256");
            }
            "kms" if caller.is_iam_principal() => {
                if let Some(a) = &caller.account {
                    ctx.set("kms:CallerAccount", a.as_str());
                }
            }
            _ => {}
        }
        if let Some(e) = endpoint {
            ctx.set("aws:SourceVpce", e.id.as_str());
            if let Some(vpc) = &e.vpc {
                ctx.set("aws:SourceVpc", vpc.as_str());
            }
        }
        ctx
    }

    /// The organization path of a member account (the management account is a member too, for
    /// `aws:PrincipalOrgID`).
    fn org_member(&self, account: &str) -> Option<&str> {
        let org = self.organization.as_ref()?;
        org.accounts
            .get(account)
            .map(|p| p.org_path.as_str())
            .or_else(|| (org.management_account.as_deref() == Some(account)).then_some(""))
    }

    /// The account of a principal ARN, for messages and checks.
    pub fn account_of(arn: &str) -> Option<String> {
        IamEntity::parse(arn).map(|e| e.account().to_string())
    }
}
