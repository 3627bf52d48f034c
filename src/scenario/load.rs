//! Scenario file -> [`Scenario`]: the world and its checks, with every problem in the file
//! reported by JSON path, line and column.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::reader::{Obj, Reader};
use super::*;
use crate::engine::{Caller, Grant, GrantConstraints, OrgLevel};
use crate::json::{Diagnostic, Diagnostics, JsonPath, Node, SourceText, Value};
use crate::policy::arn::{is_account_id, split_arn, IamEntity};
use crate::policy::{parse_policy, Policy, PolicyType};
use crate::world::acl::{ObjectAcl, CANNED_ACLS};
use crate::world::key_policies::{aws_managed_s3_key_policy, default_key_policy};
use crate::world::*;

/// Why a scenario could not be loaded: every problem, rendered `file:line:col: path: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub problems: Vec<String>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for LoadError {}

const TOP: [&str; 11] = [
    "description",
    "region",
    "principals",
    "groups",
    "buckets",
    "keys",
    "resources",
    "organization",
    "vpc_endpoints",
    "checks",
    "$schema",
];

/// Reads and loads a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: name.clone(),
        problems: vec![format!("{name}: cannot read: {e}")],
    })?;
    load_owned(&name, text)
}

/// Loads a scenario from text; `name` is how errors name the file.
pub fn load_scenario_text(name: &str, text: &str) -> Result<Scenario, LoadError> {
    load_owned(name, text.to_string())
}

fn load_owned(name: &str, text: String) -> Result<Scenario, LoadError> {
    let source = Arc::new(SourceText::new(name, text));
    let fail = |problems: Vec<String>| LoadError {
        file: name.to_string(),
        problems,
    };
    let root = source
        .parse(true)
        .map_err(|d| fail(vec![source.render(&d)]))?;
    let mut loader = Loader {
        r: Reader::default(),
        source: source.clone(),
        callers: HashMap::new(),
    };
    let loaded = loader.scenario(&root);
    // Report in the order the problems stand in the file.
    loader.r.diags.sort_by_key(|d| d.span.start);
    if !loader.r.diags.is_empty() {
        return Err(fail(
            loader.r.diags.iter().map(|d| source.render(d)).collect(),
        ));
    }
    let (world, checks) = loaded.ok_or_else(|| fail(vec![format!("{name}: not a scenario")]))?;
    let warnings = policy_warnings(&source, &world, &checks);
    Ok(Scenario {
        source,
        world,
        checks,
        warnings,
    })
}

/// The lint warnings of every policy in the world (each shared policy once).
fn policy_warnings(source: &SourceText, world: &World, checks: &[Check]) -> Vec<String> {
    let mut policies: Vec<&Arc<Policy>> = Vec::new();
    for p in &world.principals {
        policies.extend(p.identity.iter());
        policies.extend(p.boundary.iter());
        policies.extend(p.trust.iter());
    }
    policies.extend(world.buckets.iter().filter_map(|b| b.policy.as_ref()));
    policies.extend(
        world
            .keys
            .iter()
            .filter(|k| !k.default_policy)
            .map(|k| &k.policy),
    );
    policies.extend(world.resources.iter().map(|r| &r.policy));
    policies.extend(world.endpoints.iter().filter_map(|e| e.policy.as_ref()));
    if let Some(org) = &world.organization {
        for placement in org.accounts.values() {
            for level in placement.scps.iter().chain(&placement.rcps) {
                policies.extend(level.policies.iter());
            }
        }
    }
    policies.extend(checks.iter().filter_map(|c| c.session_policy.as_ref()));
    let mut seen: Vec<*const Policy> = Vec::new();
    let mut out = Vec::new();
    for p in policies {
        let id = Arc::as_ptr(p);
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        for w in crate::policy::lint::warnings(p) {
            let at = w.line.map_or(String::new(), |l| format!("{l}:"));
            out.push(format!(
                "{}:{at} warning: {}, statement {}: {}",
                source.name, p.name, w.statement, w.message
            ));
        }
    }
    out.sort();
    out
}

struct Loader {
    r: Reader,
    source: Arc<SourceText>,
    /// Principals already resolved: thousands of checks usually share a few callers.
    callers: HashMap<String, Arc<Caller>>,
}

impl Loader {
    fn policy(
        &mut self,
        node: &Node,
        path: &JsonPath,
        t: PolicyType,
        name: &str,
    ) -> Option<Arc<Policy>> {
        parse_policy(node, t, name, path, &self.source, &mut self.r.diags).map(Arc::new)
    }

    /// The policy under `key` of an object, when there is one.
    fn opt_policy(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        t: PolicyType,
        name: &str,
    ) -> Option<Arc<Policy>> {
        let node = obj.node.get(key)?;
        self.policy(node, &path.key(key), t, name)
    }

    /// `{"name": ..., "document": ...}`.
    fn named_policy(&mut self, node: &Node, path: &JsonPath, t: PolicyType) -> Option<Arc<Policy>> {
        let obj = self.r.object(node, path, &["name", "document"])?;
        let name = self.r.req_str(obj, path, "name")?;
        let doc = match obj.node.get("document") {
            Some(d) => d,
            None => {
                self.r
                    .error(path, node, "missing required field \"document\"");
                return None;
            }
        };
        self.policy(doc, &path.key("document"), t, &name)
    }

    fn account(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        required: bool,
    ) -> Option<String> {
        let value = if required {
            self.r.req_str(obj, path, key)?
        } else {
            self.r.opt_str(obj, path, key)?
        };
        if !is_account_id(&value) {
            let n = obj.node.get(key).unwrap_or(obj.node);
            self.r.error(
                &path.key(key),
                n,
                format!("expected a 12-digit account id, found {value:?}"),
            );
            return None;
        }
        Some(value)
    }

    fn scenario(&mut self, root: &Node) -> Option<(World, Vec<Check>)> {
        let p = JsonPath::root();
        let obj = self.r.object(root, &p, &TOP)?;
        let description = self.r.opt_str(obj, &p, "description");
        let region = self
            .r
            .opt_str(obj, &p, "region")
            .unwrap_or_else(|| "us-east-1".to_string());
        let mut world = World {
            description,
            region: region.clone(),
            ..World::default()
        };
        // Groups first: their policies join their members'.
        let mut group_policies: HashMap<String, Vec<Arc<Policy>>> = HashMap::new();
        for (gp, g) in self.r.opt_array(obj, &p, "groups") {
            let Some(go) = self
                .r
                .object(g, &gp, &["name", "account", "members", "policies"])
            else {
                continue;
            };
            let _ = self.r.req_str(go, &gp, "name");
            let _ = self.account(go, &gp, "account", false);
            let members = self.r.opt_strings(go, &gp, "members");
            let mut policies = Vec::new();
            for (pp, pn) in self.r.opt_array(go, &gp, "policies") {
                if let Some(policy) = self.named_policy(pn, &pp, PolicyType::Identity) {
                    policies.push(policy);
                }
            }
            for m in members {
                if !matches!(IamEntity::parse(&m), Some(IamEntity::User { .. })) {
                    self.r.error(
                        &gp.key("members"),
                        g,
                        format!("group members are IAM user ARNs; {m:?} is not one"),
                    );
                }
                group_policies
                    .entry(m)
                    .or_default()
                    .extend(policies.iter().cloned());
            }
        }
        for (pp, pn) in self.r.opt_array(obj, &p, "principals") {
            if let Some(principal) = self.principal(pn, &pp, &group_policies) {
                if world.principal(&principal.arn).is_some() {
                    self.r.error(
                        &pp.key("arn"),
                        pn,
                        format!("{} is declared twice", principal.arn),
                    );
                }
                world.principals.push(principal);
            }
        }
        // A group member the scenario does not list under principals is still a user, with
        // the policies of its groups.
        let mut members: Vec<(&String, &Vec<Arc<Policy>>)> = group_policies.iter().collect();
        members.sort_by(|a, b| a.0.cmp(b.0));
        for (arn, policies) in members {
            if world.principal(arn).is_none() {
                if let Some(IamEntity::User { account, .. }) = IamEntity::parse(arn) {
                    world.principals.push(Principal {
                        arn: arn.clone(),
                        account,
                        is_role: false,
                        identity: policies.clone(),
                        boundary: None,
                        trust: None,
                        tags: Vec::new(),
                        unique_id: None,
                    });
                }
            }
        }
        for (kp, kn) in self.r.opt_array(obj, &p, "keys") {
            if let Some(key) = self.key(kn, &kp) {
                world.keys.push(key);
            }
        }
        for (bp, bn) in self.r.opt_array(obj, &p, "buckets") {
            if let Some(bucket) = self.bucket(bn, &bp, &region, &mut world) {
                world.buckets.push(bucket);
            }
        }
        for (rp, rn) in self.r.opt_array(obj, &p, "resources") {
            let Some(ro) = self.r.object(rn, &rp, &["arn", "account", "policy"]) else {
                continue;
            };
            let Some(arn) = self.r.req_str(ro, &rp, "arn") else {
                continue;
            };
            let account = self.account(ro, &rp, "account", false);
            if split_arn(&arn).is_none() {
                self.r.error(
                    &rp.key("arn"),
                    rn,
                    format!("expected an ARN, found {arn:?}"),
                );
            }
            let Some(doc) = ro.node.get("policy") else {
                self.r.error(&rp, rn, "missing required field \"policy\"");
                continue;
            };
            if let Some(policy) = self.policy(
                doc,
                &rp.key("policy"),
                PolicyType::Resource,
                &format!("resource policy of {arn}"),
            ) {
                world.resources.push(OtherResource {
                    arn,
                    account,
                    policy,
                });
            }
        }
        if let Some(on) = obj.node.get("organization") {
            world.organization = self.organization(on, &p.key("organization"));
        }
        for (ep, en) in self.r.opt_array(obj, &p, "vpc_endpoints") {
            let Some(eo) = self.r.object(en, &ep, &["id", "vpc", "policy"]) else {
                continue;
            };
            let Some(id) = self.r.req_str(eo, &ep, "id") else {
                continue;
            };
            let vpc = self.r.opt_str(eo, &ep, "vpc");
            let policy = self.opt_policy(
                eo,
                &ep,
                "policy",
                PolicyType::Endpoint,
                &format!("policy of {id}"),
            );
            world.endpoints.push(Endpoint { id, vpc, policy });
        }
        let items = self.r.opt_array(obj, &p, "checks");
        let checks = self.checks(&items, &world);
        Some((world, checks))
    }

    /// Loads the checks. Each check loads on its own, so a long list is shared among the
    /// machine's cores, each part with its own diagnostics, merged back in order.
    fn checks(&mut self, items: &[(JsonPath, &Node)], world: &World) -> Vec<Check> {
        let load_part = |part: &[(JsonPath, &Node)], loader: &mut Loader| -> Vec<Check> {
            part.iter()
                .filter_map(|(cp, cn)| loader.check(cn, cp, world))
                .collect()
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads < 2 || items.len() < 2048 {
            return load_part(items, self);
        }
        let size = items.len().div_ceil(threads);
        let source = &self.source;
        let parts: Vec<(Vec<Check>, Diagnostics)> = std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(size)
                .map(|part| {
                    scope.spawn(move || {
                        let mut loader = Loader {
                            r: Reader::default(),
                            source: source.clone(),
                            callers: HashMap::new(),
                        };
                        let checks = load_part(part, &mut loader);
                        (checks, loader.r.diags)
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(items.chunks(size))
                .map(|(h, part)| {
                    h.join().unwrap_or_else(|_| {
                        // A part whose thread failed loads again here.
                        let mut loader = Loader {
                            r: Reader::default(),
                            source: source.clone(),
                            callers: HashMap::new(),
                        };
                        let checks = load_part(part, &mut loader);
                        (checks, loader.r.diags)
                    })
                })
                .collect()
        });
        let mut checks = Vec::with_capacity(items.len());
        for (part, diags) in parts {
            checks.extend(part);
            self.r.diags.extend(diags);
        }
        checks
    }

    fn principal(
        &mut self,
        node: &Node,
        path: &JsonPath,
        groups: &HashMap<String, Vec<Arc<Policy>>>,
    ) -> Option<Principal> {
        let obj = self.r.object(
            node,
            path,
            &[
                "arn",
                "policies",
                "permissions_boundary",
                "trust_policy",
                "tags",
                "unique_id",
            ],
        )?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let (account, is_role) = match IamEntity::parse(&arn) {
            Some(IamEntity::User { account, .. }) => (account, false),
            Some(IamEntity::Role { account, .. }) => (account, true),
            _ => {
                self.r.error(
                    &path.key("arn"),
                    obj.node.get("arn").unwrap_or(node),
                    format!("expected an IAM user or role ARN (arn:aws:iam::111122223333:user/NAME or :role/NAME), found {arn:?}"),
                );
                return None;
            }
        };
        let mut identity = Vec::new();
        for (pp, pn) in self.r.opt_array(obj, path, "policies") {
            if let Some(policy) = self.named_policy(pn, &pp, PolicyType::Identity) {
                identity.push(policy);
            }
        }
        if let Some(g) = groups.get(&arn) {
            identity.extend(g.iter().cloned());
        }
        let boundary = match obj.node.get("permissions_boundary") {
            Some(n) => self.boundary(n, &path.key("permissions_boundary")),
            None => None,
        };
        let trust = match obj.node.get("trust_policy") {
            Some(n) if !is_role => {
                self.r.error(
                    &path.key("trust_policy"),
                    n,
                    "only roles have a trust policy",
                );
                None
            }
            Some(n) => self.policy(
                n,
                &path.key("trust_policy"),
                PolicyType::Trust,
                &format!("trust policy of {arn}"),
            ),
            None => None,
        };
        let tags = self.r.opt_string_map(obj, path, "tags");
        let unique_id = self.r.opt_str(obj, path, "unique_id");
        Some(Principal {
            arn,
            account,
            is_role,
            identity,
            boundary,
            trust,
            tags,
            unique_id,
        })
    }

    /// A boundary: `{"name", "document"}`, or a bare document (named "permissions boundary").
    fn boundary(&mut self, node: &Node, path: &JsonPath) -> Option<Arc<Policy>> {
        if node.get("document").is_some() {
            self.named_policy(node, path, PolicyType::PermissionsBoundary)
        } else {
            self.policy(
                node,
                path,
                PolicyType::PermissionsBoundary,
                "permissions boundary",
            )
        }
    }

    fn key(&mut self, node: &Node, path: &JsonPath) -> Option<Key> {
        let obj = self.r.object(
            node,
            path,
            &["arn", "aliases", "manager", "state", "policy", "grants"],
        )?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let Some([_, _, "kms", region, account, resource]) = split_arn(&arn) else {
            self.r.error(
                &path.key("arn"),
                node,
                format!(
                    "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), found {arn:?}"
                ),
            );
            return None;
        };
        let Some(id) = resource.strip_prefix("key/").filter(|id| !id.is_empty()) else {
            self.r.error(
                &path.key("arn"),
                node,
                format!("expected a KMS key ARN ending in key/ID, found {arn:?}"),
            );
            return None;
        };
        if !is_account_id(account) || region.is_empty() {
            self.r.error(
                &path.key("arn"),
                node,
                format!("the key ARN needs a region and a 12-digit account: {arn:?}"),
            );
            return None;
        }
        let aliases = self.r.opt_strings(obj, path, "aliases");
        for a in &aliases {
            if !a.starts_with("alias/") {
                self.r.error(
                    &path.key("aliases"),
                    node,
                    format!("aliases start with \"alias/\": {a:?}"),
                );
            }
        }
        let manager = match self.r.opt_str(obj, path, "manager").as_deref() {
            None | Some("CUSTOMER") => KeyManager::Customer,
            Some("AWS") => KeyManager::Aws,
            Some(other) => {
                self.r.error(
                    &path.key("manager"),
                    node,
                    format!("expected \"CUSTOMER\" or \"AWS\", found {other:?}"),
                );
                KeyManager::Customer
            }
        };
        let state = match self.r.opt_str(obj, path, "state").as_deref() {
            None | Some("Enabled") => KeyState::Enabled,
            Some("Disabled") => KeyState::Disabled,
            Some("PendingDeletion") => KeyState::PendingDeletion,
            Some(other) => {
                self.r.error(&path.key("state"), node, format!("expected \"Enabled\", \"Disabled\" or \"PendingDeletion\", found {other:?}"));
                KeyState::Enabled
            }
        };
        let name = format!("key policy of {arn}");
        let (policy, default_policy) = match obj.node.get("policy") {
            Some(n) => (
                self.policy(n, &path.key("policy"), PolicyType::Key, &name)?,
                false,
            ),
            None if manager == KeyManager::Aws => (
                Arc::new(aws_managed_s3_key_policy(&name, account, region)),
                true,
            ),
            None => (Arc::new(default_key_policy(&name, account)), true),
        };
        let mut grants = Vec::new();
        for (i, (gp, gn)) in self
            .r
            .opt_array(obj, path, "grants")
            .into_iter()
            .enumerate()
        {
            let Some(go) = self
                .r
                .object(gn, &gp, &["id", "grantee", "operations", "constraints"])
            else {
                continue;
            };
            let Some(grantee) = self.r.req_str(go, &gp, "grantee") else {
                continue;
            };
            let grantee_entry = match crate::policy::parse::grantee_entry(&grantee) {
                Ok(e) => e,
                Err(e) => {
                    self.r.error(&gp.key("grantee"), gn, e);
                    continue;
                }
            };
            let operations = self.r.opt_strings(go, &gp, "operations");
            if operations.is_empty() {
                self.r
                    .error(&gp, gn, "a grant needs at least one operation");
            }
            for op in &operations {
                if !GRANT_OPERATIONS.contains(&op.as_str()) {
                    self.r.diags.push(
                        Diagnostic::new(
                            &gp.key("operations"),
                            gn.span,
                            format!("{op:?} is not a grant operation"),
                        )
                        .with_suggestion(crate::json::suggest(op, GRANT_OPERATIONS)),
                    );
                }
            }
            let constraints = match go.node.get("constraints") {
                None => None,
                Some(cn) => {
                    let cp = gp.key("constraints");
                    let Some(co) = self.r.object(
                        cn,
                        &cp,
                        &["encryption_context_subset", "encryption_context_equals"],
                    ) else {
                        continue;
                    };
                    let subset = self.r.opt_string_map(co, &cp, "encryption_context_subset");
                    let equals = self.r.opt_string_map(co, &cp, "encryption_context_equals");
                    match (
                        co.node.get("encryption_context_subset"),
                        co.node.get("encryption_context_equals"),
                    ) {
                        (Some(_), None) => Some(GrantConstraints::Subset(subset)),
                        (None, Some(_)) => Some(GrantConstraints::Equals(equals)),
                        _ => {
                            self.r.error(&cp, cn, "expected exactly one of encryption_context_subset or encryption_context_equals");
                            None
                        }
                    }
                }
            };
            let id = self.r.opt_str(go, &gp, "id");
            grants.push(Grant {
                name: format!("grant {} on {arn}", id.unwrap_or_else(|| i.to_string())).into(),
                index: i,
                grantee: grantee_entry,
                operations,
                constraints,
            });
        }
        Some(Key {
            id: id.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            arn,
            aliases,
            manager,
            state,
            policy,
            default_policy,
            grants,
        })
    }

    fn encryption(&mut self, node: &Node, path: &JsonPath) -> Option<Encryption> {
        let obj = self
            .r
            .object(node, path, &["algorithm", "kms_key", "bucket_key"])?;
        let algorithm = self.r.req_str(obj, path, "algorithm")?;
        if !matches!(algorithm.as_str(), "AES256" | "aws:kms" | "aws:kms:dsse") {
            self.r.error(
                &path.key("algorithm"),
                node,
                format!(
                    "expected \"AES256\", \"aws:kms\" or \"aws:kms:dsse\", found {algorithm:?}"
                ),
            );
        }
        let kms_key = self.r.opt_str(obj, path, "kms_key");
        if kms_key.is_some() && algorithm == "AES256" {
            self.r.error(
                &path.key("kms_key"),
                node,
                "kms_key goes with \"aws:kms\", not \"AES256\"",
            );
        }
        let bucket_key = self.r.opt_bool(obj, path, "bucket_key").unwrap_or(false);
        Some(Encryption {
            algorithm,
            kms_key,
            bucket_key,
        })
    }

    fn bucket(
        &mut self,
        node: &Node,
        path: &JsonPath,
        default_region: &str,
        world: &mut World,
    ) -> Option<Bucket> {
        let obj = self.r.object(
            node,
            path,
            &[
                "name",
                "account",
                "region",
                "policy",
                "default_encryption",
                "public_access_block",
                "versioning",
                "object_ownership",
                "replication",
                "objects",
            ],
        )?;
        let name = self.r.req_str(obj, path, "name")?;
        let account = self.account(obj, path, "account", true)?;
        let region = self
            .r
            .opt_str(obj, path, "region")
            .unwrap_or_else(|| default_region.to_string());
        let policy = self.opt_policy(
            obj,
            path,
            "policy",
            PolicyType::Bucket,
            &format!("bucket policy of {name}"),
        );
        let default_encryption = match obj.node.get("default_encryption") {
            Some(n) => self
                .encryption(n, &path.key("default_encryption"))
                .unwrap_or_else(Encryption::sse_s3),
            None => Encryption::sse_s3(),
        };
        let mut public_access_block = PublicAccessBlock::default();
        if let Some(n) = obj.node.get("public_access_block") {
            let bp = path.key("public_access_block");
            if let Some(o) = self.r.object(
                n,
                &bp,
                &[
                    "block_public_acls",
                    "ignore_public_acls",
                    "block_public_policy",
                    "restrict_public_buckets",
                ],
            ) {
                let mut flag = |name: &str| self.r.opt_bool(o, &bp, name).unwrap_or(false);
                public_access_block = PublicAccessBlock {
                    block_public_acls: flag("block_public_acls"),
                    ignore_public_acls: flag("ignore_public_acls"),
                    block_public_policy: flag("block_public_policy"),
                    restrict_public_buckets: flag("restrict_public_buckets"),
                };
            }
        }
        let versioning = self.r.opt_bool(obj, path, "versioning").unwrap_or(false);
        let object_ownership = match self.r.opt_str(obj, path, "object_ownership").as_deref() {
            None | Some("BucketOwnerEnforced") => ObjectOwnership::BucketOwnerEnforced,
            Some("BucketOwnerPreferred") => ObjectOwnership::BucketOwnerPreferred,
            Some("ObjectWriter") => ObjectOwnership::ObjectWriter,
            Some(other) => {
                self.r.diags.push(
                    Diagnostic::new(
                        &path.key("object_ownership"),
                        node.span,
                        format!("unknown object ownership {other:?}"),
                    )
                    .with_suggestion(crate::json::suggest(
                        other,
                        [
                            "BucketOwnerEnforced",
                            "BucketOwnerPreferred",
                            "ObjectWriter",
                        ],
                    )),
                );
                ObjectOwnership::BucketOwnerEnforced
            }
        };
        let replication = match obj.node.get("replication") {
            Some(n) => self.replication(n, &path.key("replication")),
            None => None,
        };
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
        if replication.is_some() && !versioning {
            self.r.error(
                &path.key("replication"),
                node,
                format!(
                    "bucket {name} replicates, so its versioning must be on (\"versioning\": true)"
                ),
            );
        }
        let mut objects = Vec::new();
        for (op, on) in self.r.opt_array(obj, path, "objects") {
            let Some(oo) = self.r.object(
                on,
                &op,
                &[
                    "key",
                    "encryption",
                    "owner",
                    "tags",
                    "encryption_context",
                    "acl",
                ],
            ) else {
                continue;
            };
            let Some(key) = self.r.req_str(oo, &op, "key") else {
                continue;
            };
            let mut encryption = match oo.node.get("encryption") {
                Some(n) => self
                    .encryption(n, &op.key("encryption"))
                    .unwrap_or_else(Encryption::sse_s3),
                None => default_encryption.clone(),
            };
            let owner = self
                .account(oo, &op, "owner", false)
                .unwrap_or_else(|| account.clone());
            // With ACLs disabled the bucket owner owns every object.
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
            if object_ownership == ObjectOwnership::BucketOwnerEnforced && owner != account {
                self.r.error(
                    &op.key("owner"),
                    on,
                    format!("bucket {name} is BucketOwnerEnforced: its owner {account} owns every object in it (set object_ownership to ObjectWriter or BucketOwnerPreferred for objects of other accounts)"),
                );
            }
            // The key the object is stored under, as an ARN: ids and aliases resolve in the
            // writer's account, no key id means the bucket owner's aws/s3 (decision A3).
            if encryption.is_kms() {
                let arn = match encryption.kms_key.clone() {
                    None => Some(crate::services::kms::aws_s3_key(world, &account, &region)),
                    Some(reference) => {
                        let resolved = world
                            .resolve_key(&reference, &owner, &region)
                            .map(|k| k.arn.clone());
                        if resolved.is_none() {
                            self.r.error(
                                &op.key("encryption"),
                                on,
                                format!("the object's KMS key {reference:?} is not declared in keys (in {region}, account {owner})"),
                            );
                        }
                        resolved
                    }
                };
                encryption.kms_key = arn;
            }
            let acl = match self.r.opt_str(oo, &op, "acl") {
                None => ObjectAcl::default(),
                Some(canned) => match ObjectAcl::canned(&canned) {
                    Some(acl) => acl,
                    None => {
                        self.r.diags.push(
                            Diagnostic::new(
                                &op.key("acl"),
                                on.span,
                                format!(
                                    "unknown canned ACL {canned:?}; expected one of {}",
                                    CANNED_ACLS.join(", ")
                                ),
                            )
                            .with_suggestion(crate::json::suggest(&canned, CANNED_ACLS)),
                        );
                        ObjectAcl::default()
                    }
                },
            };
            let tags = self.r.opt_string_map(oo, &op, "tags");
            let encryption_context = self.r.opt_string_map(oo, &op, "encryption_context");
            let mut object = StoredObject::new(&name, &account, &key, encryption, owner, acl);
            object.tags = tags;
            object.encryption_context = encryption_context;
            objects.push(object);
        }
        Some(Bucket {
            name,
            account,
            region,
            policy,
            default_encryption,
            public_access_block,
            versioning,
            object_ownership,
            replication,
            objects,
        })
    }

    fn replication(&mut self, node: &Node, path: &JsonPath) -> Option<Replication> {
        let obj = self.r.object(node, path, &["role", "rules"])?;
        let role = self.r.req_str(obj, path, "role")?;
        if !matches!(IamEntity::parse(&role), Some(IamEntity::Role { .. })) {
            self.r.error(
                &path.key("role"),
                node,
                format!("expected a role ARN, found {role:?}"),
            );
        }
        let mut rules = Vec::new();
        for (rp, rn) in self.r.opt_array(obj, path, "rules") {
            let Some(ro) = self.r.object(
                rn,
                &rp,
                &[
                    "id",
                    "prefix",
                    "destination_bucket",
                    "destination_account",
                    "replica_kms_key",
                    "replicate_kms_encrypted",
                    "owner_override",
                ],
            ) else {
                continue;
            };
            let id = self
                .r
                .opt_str(ro, &rp, "id")
                .unwrap_or_else(|| format!("rule {}", rules.len()));
            let prefix = self.r.opt_str(ro, &rp, "prefix").unwrap_or_default();
            let Some(destination) = self.r.req_str(ro, &rp, "destination_bucket") else {
                continue;
            };
            let destination_bucket = match destination.strip_prefix("arn:aws:s3:::") {
                Some(name) => name.to_string(),
                None => {
                    self.r.error(
                        &rp.key("destination_bucket"),
                        rn,
                        format!("expected a bucket ARN (arn:aws:s3:::NAME), found {destination:?}"),
                    );
                    continue;
                }
            };
            let destination_account = self.account(ro, &rp, "destination_account", false);
            let owner_override = self.r.opt_bool(ro, &rp, "owner_override").unwrap_or(false);
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html
            if owner_override && destination_account.is_none() {
                self.r.error(
                    &rp.key("owner_override"),
                    rn,
                    "owner override (AccessControlTranslation Owner=Destination) needs the destination's account: give destination_account",
                );
            }
            rules.push(ReplicationRule {
                id,
                prefix,
                destination_bucket,
                destination_account,
                replica_kms_key: self.r.opt_str(ro, &rp, "replica_kms_key"),
                replicate_kms_encrypted: self
                    .r
                    .opt_bool(ro, &rp, "replicate_kms_encrypted")
                    .unwrap_or(false),
                owner_override,
            });
        }
        Some(Replication { role, rules })
    }

    fn organization(&mut self, node: &Node, path: &JsonPath) -> Option<Organization> {
        let obj = self.r.object(
            node,
            path,
            &["id", "management_account", "units", "accounts"],
        )?;
        let id = self.r.opt_str(obj, path, "id");
        let management_account = self.account(obj, path, "management_account", false);
        struct Unit {
            parent: Option<String>,
            scps: Vec<Arc<Policy>>,
            rcps: Vec<Arc<Policy>>,
        }
        let mut units: Vec<(String, Unit)> = Vec::new();
        for (up, un) in self.r.opt_array(obj, path, "units") {
            let Some(uo) = self.r.object(un, &up, &["id", "parent", "scps", "rcps"]) else {
                continue;
            };
            let Some(uid) = self.r.req_str(uo, &up, "id") else {
                continue;
            };
            let parent = self.r.opt_str(uo, &up, "parent");
            if let Some(parent) = &parent {
                if !units.iter().any(|(u, _)| u == parent) {
                    self.r.error(
                        &up.key("parent"),
                        un,
                        format!("unknown parent unit {parent:?} (units are listed root first)"),
                    );
                }
            }
            let scps = self.policies(uo, &up, "scps", PolicyType::Scp);
            let rcps = self.policies(uo, &up, "rcps", PolicyType::Rcp);
            units.push((uid, Unit { parent, scps, rcps }));
        }
        let mut accounts = HashMap::new();
        for (ap, an) in self.r.opt_array(obj, path, "accounts") {
            let Some(ao) = self.r.object(an, &ap, &["id", "unit", "scps", "rcps"]) else {
                continue;
            };
            let Some(account) = self.account(ao, &ap, "id", true) else {
                continue;
            };
            let unit = self.r.opt_str(ao, &ap, "unit");
            let scps = self.policies(ao, &ap, "scps", PolicyType::Scp);
            let rcps = self.policies(ao, &ap, "rcps", PolicyType::Rcp);
            // The path from the root down to the account.
            let mut chain = Vec::new();
            let mut at = unit
                .clone()
                .or_else(|| units.first().map(|(u, _)| u.clone()));
            while let Some(u) = at {
                if chain.iter().any(|(c, _): &(String, &Unit)| *c == u) {
                    break;
                }
                match units.iter().find(|(id, _)| *id == u) {
                    Some((id, unit)) => {
                        chain.push((id.clone(), unit));
                        at = unit.parent.clone();
                    }
                    None => {
                        self.r
                            .error(&ap.key("unit"), an, format!("unknown unit {u:?}"));
                        break;
                    }
                }
            }
            chain.reverse();
            let mut placement = AccountPlacement::default();
            let mut org_path = id.clone().map(|i| format!("{i}/")).unwrap_or_default();
            for (uid, unit) in &chain {
                org_path.push_str(&format!("{uid}/"));
                placement.scps.push(OrgLevel {
                    id: uid.clone(),
                    policies: unit.scps.clone(),
                });
                placement.rcps.push(OrgLevel {
                    id: uid.clone(),
                    policies: unit.rcps.clone(),
                });
            }
            placement.scps.push(OrgLevel {
                id: account.clone(),
                policies: scps,
            });
            placement.rcps.push(OrgLevel {
                id: account.clone(),
                policies: rcps,
            });
            placement.org_path = org_path;
            accounts.insert(account, placement);
        }
        if let Some(m) = &management_account {
            accounts
                .entry(m.clone())
                .or_insert_with(|| AccountPlacement {
                    org_path: match (&id, units.first()) {
                        (Some(i), Some((root, _))) => format!("{i}/{root}/"),
                        _ => String::new(),
                    },
                    ..AccountPlacement::default()
                });
        }
        Some(Organization {
            id,
            management_account,
            accounts,
        })
    }

    fn policies(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        t: PolicyType,
    ) -> Vec<Arc<Policy>> {
        let mut out = Vec::new();
        for (pp, pn) in self.r.opt_array(obj, path, key) {
            if let Some(p) = self.named_policy(pn, &pp, t) {
                out.push(p);
            }
        }
        out
    }

    fn check(&mut self, node: &Node, path: &JsonPath, world: &World) -> Option<Check> {
        let obj = self.r.object(
            node,
            path,
            &[
                "name",
                "principal",
                "call",
                "action",
                "resource",
                "resource_account",
                "bucket",
                "key",
                "headers",
                "context",
                "version_id",
                "vpc_endpoint",
                "session_policy",
                "expect",
            ],
        )?;
        let before = self.r.diags.len();
        let (line, _) = self.source.line_col(node.span.offset());
        let name = self.r.req_str(obj, path, "name").unwrap_or_default();
        let principal = self.r.opt_str(obj, path, "principal");
        let caller = match &principal {
            Some(p) => match self
                .callers
                .get(p)
                .cloned()
                .map_or_else(|| world.caller(p).map(Arc::new), Ok)
            {
                Ok(c) => {
                    if !self.callers.contains_key(p) {
                        self.callers.insert(p.clone(), c.clone());
                    }
                    Some(c)
                }
                Err(e) => {
                    self.r.error(
                        &path.key("principal"),
                        obj.node.get("principal").unwrap_or(node),
                        e,
                    );
                    None
                }
            },
            None => None,
        };
        let call = self.r.opt_str(obj, path, "call");
        let action = self.r.opt_str(obj, path, "action");
        let kind = match (call, action) {
            (Some(_), Some(_)) => {
                self.r.error(
                    path,
                    node,
                    "a check has either \"call\" or \"action\" + \"resource\", not both",
                );
                return None;
            }
            (None, None) => {
                self.r.error(path, node, "a check needs \"call\" (a modelled API call) or \"action\" + \"resource\" (one authorization)");
                return None;
            }
            (None, Some(action)) => {
                if !is_action_name(&action) {
                    self.r.error(
                        &path.key("action"),
                        node,
                        format!("expected an action such as \"s3:GetObject\", found {action:?}"),
                    );
                }
                let resource = self.r.req_str(obj, path, "resource").unwrap_or_default();
                if resource != "*" && split_arn(&resource).is_none() {
                    self.r.error(
                        &path.key("resource"),
                        node,
                        format!("expected an ARN or \"*\", found {resource:?}"),
                    );
                }
                for k in ["bucket", "key", "headers", "version_id"] {
                    if let Some(n) = obj.node.get(k) {
                        self.r.error(&path.key(k), n, format!("\"{k}\" belongs to \"call\" checks; a raw check names \"action\" and \"resource\""));
                    }
                }
                if principal.is_none() {
                    self.r
                        .error(path, node, "missing required field \"principal\"");
                }
                let resource_account = self.account(obj, path, "resource_account", false);
                CheckKind::Raw {
                    action,
                    resource,
                    resource_account,
                }
            }
            (Some(call_name), None) => {
                let Some(call) = Call::ALL.iter().copied().find(|c| c.name() == call_name) else {
                    self.r.diags.push(
                        Diagnostic::new(
                            &path.key("call"),
                            node.span,
                            format!(
                                "unknown call {call_name:?}; expected one of {}",
                                Call::ALL.map(|c| c.name()).join(", ")
                            ),
                        )
                        .with_suggestion(crate::json::suggest(
                            &call_name,
                            Call::ALL.map(|c| c.name()),
                        )),
                    );
                    return None;
                };
                let bucket = self.r.req_str(obj, path, "bucket").unwrap_or_default();
                if !bucket.is_empty() && world.bucket(&bucket).is_none() {
                    self.r.error(
                        &path.key("bucket"),
                        node,
                        format!("no bucket named {bucket:?} is declared"),
                    );
                }
                let key = self.r.req_str(obj, path, "key").unwrap_or_default();
                for k in ["resource", "resource_account"] {
                    if let Some(n) = obj.node.get(k) {
                        self.r.error(&path.key(k), n, format!("\"{k}\" belongs to raw checks; a call check names \"bucket\" and \"key\""));
                    }
                }
                if principal.is_none() && call != Call::ReplicateObject {
                    self.r
                        .error(path, node, "missing required field \"principal\"");
                }
                let headers = self.r.opt_string_map(obj, path, "headers");
                for (name, _) in &headers {
                    let known = crate::services::s3::KNOWN_HEADERS;
                    if !known.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                        let hp = path.key("headers").key(name);
                        self.r.diags.push(
                            Diagnostic::new(
                                &hp,
                                node.span,
                                format!(
                                    "unknown request header {name:?}; iamsim models: {}",
                                    known.join(", ")
                                ),
                            )
                            .with_suggestion(crate::json::suggest(name, known)),
                        );
                    }
                }
                if call == Call::CopyObject
                    && !headers
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("x-amz-copy-source"))
                {
                    self.r.error(&path.key("headers"), node, "s3:CopyObject reads its source from headers[\"x-amz-copy-source\"] (\"bucket/key\")");
                }
                let version_id = self.r.opt_str(obj, path, "version_id");
                CheckKind::Call {
                    call,
                    bucket,
                    key,
                    headers,
                    version_id,
                }
            }
        };
        let mut context = Vec::new();
        if let Some(cn) = obj.node.get("context") {
            let cp = path.key("context");
            match cn.as_object() {
                Some(members) => {
                    for m in members {
                        let v = match &m.value.value {
                            Value::Null => Some(ContextOverride::Remove),
                            Value::Array(items) => items
                                .iter()
                                .map(|i| i.scalar_text())
                                .collect::<Option<Vec<_>>>()
                                .map(ContextOverride::Multi),
                            _ => m.value.scalar_text().map(ContextOverride::Single),
                        };
                        match v {
                            Some(v) => context.push((m.name.clone(), v)),
                            None => self.r.error(
                                &cp.key(&m.name),
                                &m.value,
                                "expected a string, boolean, number, null, or an array of those",
                            ),
                        }
                    }
                }
                None => self.r.error(
                    &cp,
                    cn,
                    format!("expected an object of context keys, found {}", cn.kind()),
                ),
            }
        }
        let vpc_endpoint = self.r.opt_str(obj, path, "vpc_endpoint");
        if let Some(e) = &vpc_endpoint {
            if world.endpoint(e).is_none() {
                self.r.error(
                    &path.key("vpc_endpoint"),
                    node,
                    format!("no VPC endpoint {e:?} is declared in vpc_endpoints"),
                );
            }
        }
        let session_policy = match obj.node.get("session_policy") {
            Some(n) => self.policy(
                n,
                &path.key("session_policy"),
                PolicyType::Session,
                "session policy",
            ),
            None => None,
        };
        let expect = match obj.node.get("expect") {
            Some(n) => self.expectation(n, &path.key("expect")),
            None => None,
        };
        if self.r.diags.len() > before {
            return None;
        }
        Some(Check {
            name,
            principal,
            caller,
            kind,
            context,
            vpc_endpoint,
            session_policy,
            expect,
            line,
        })
    }

    fn expectation(&mut self, node: &Node, path: &JsonPath) -> Option<Expectation> {
        match node.as_str() {
            Some("allowed") => {
                return Some(Expectation {
                    allowed: Some(true),
                    ..Expectation::default()
                })
            }
            Some("denied") => {
                return Some(Expectation {
                    allowed: Some(false),
                    ..Expectation::default()
                })
            }
            Some(other) => {
                self.r.diags.push(
                    Diagnostic::new(
                        path,
                        node.span,
                        format!("expected \"allowed\", \"denied\" or an object, found {other:?}"),
                    )
                    .with_suggestion(crate::json::suggest(other, ["allowed", "denied"])),
                );
                return None;
            }
            None => {}
        }
        let obj = self.r.object(
            node,
            path,
            &[
                "allowed",
                "denial",
                "decided_by",
                "failed_step",
                "error",
                "message",
            ],
        )?;
        let denial = match self.r.opt_str(obj, path, "denial").as_deref() {
            None => None,
            Some("explicit") => Some(Denial::Explicit),
            Some("implicit") => Some(Denial::Implicit),
            Some(other) => {
                self.r.error(
                    &path.key("denial"),
                    node,
                    format!("expected \"explicit\" or \"implicit\", found {other:?}"),
                );
                None
            }
        };
        let decided_by = obj
            .node
            .get("decided_by")
            .map(|_| self.r.opt_strings(obj, path, "decided_by"));
        Some(Expectation {
            allowed: self.r.opt_bool(obj, path, "allowed"),
            denial,
            decided_by,
            failed_step: self.r.opt_str(obj, path, "failed_step"),
            error: self.r.opt_str(obj, path, "error"),
            message: self.r.opt_str(obj, path, "message"),
        })
    }
}

/// Whether `action` names one action, `service:ActionName` (no wildcards).
fn is_action_name(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && !name.is_empty()
                && !action.contains(['*', '?'])
                && !action.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Operations a KMS grant can allow.
/// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
const GRANT_OPERATIONS: [&str; 16] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "VerifyMac",
    "CreateGrant",
    "DescribeKey",
    "GetPublicKey",
    "RetireGrant",
];

#[allow(dead_code)]
fn caller_is_valid(text: &str) -> bool {
    Caller::parse(text).is_ok()
}
