//! The decision procedure for one request against the policies that apply to it.
//!
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html ;
//! https://docs.aws.amazon.com/kms/latest/developerguide/policy-evaluation.html ;
//! https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html

use std::sync::Arc;

use smallvec::SmallVec;

use super::caller::{Caller, CallerKind, PrincipalMatch};
use super::context::Context;
use super::decision::*;
use crate::policy::arn::{split_arn, ArnFields};
use crate::policy::model::{
    Effect, Policy, PolicyType, PrincipalElement, PrincipalEntry, Statement,
};

/// One authorization request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub caller: &'a Caller,
    /// As the service names it, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    /// The resource ARN's fields: given by callers that split it already, else split here.
    pub resource_fields: Option<ArnFields<'a>>,
    /// The account that owns the resource, when known.
    pub resource_account: Option<&'a str>,
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    pub fn new(
        caller: &'a Caller,
        action: &'a str,
        resource: &'a str,
        resource_account: Option<&'a str>,
        context: &'a Context,
    ) -> Request<'a> {
        Request {
            caller,
            action,
            resource,
            resource_fields: split_arn(resource),
            resource_account,
            context,
        }
    }
}

/// One level of an organization (root, an OU, the account) and the SCPs or RCPs attached there.
#[derive(Debug, Clone)]
pub struct OrgLevel {
    pub id: String,
    /// Empty means none were written: AWS never lets a level have none, and FullAWSAccess is
    /// attached by default, so such a level allows everything.
    pub policies: Vec<Arc<Policy>>,
}

/// A KMS grant (Part B 5.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The grant's name in reports.
    pub name: Arc<str>,
    pub index: usize,
    /// The grantee (a role covers the role's sessions, A13).
    pub grantee: PrincipalEntry,
    /// Operations without the `kms:` prefix, e.g. `Decrypt`.
    pub operations: Vec<String>,
    pub constraints: Option<GrantConstraints>,
}

/// Encryption-context constraints of a grant.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantConstraints {
    /// The request's encryption context must contain these pairs.
    Subset(Vec<(String, String)>),
    /// The request's encryption context must be exactly these pairs.
    Equals(Vec<(String, String)>),
}

/// How the resource's own policy takes part in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceRules {
    /// Same account: identity or resource policy suffices; cross-account: both.
    Standard,
    /// An S3 object or bucket. `allows_apply` is false for an object owned by another account
    /// than the bucket owner: bucket-policy Allows then do not reach it (its Denies still do).
    S3 { allows_apply: bool },
    /// The bucket side of a request through an S3 access point: the caller's own side was
    /// authorized against the access point, so across accounts the bucket's grant alone
    /// decides; within the bucket owner's account the usual rules apply. `allows_apply` as for
    /// [`ResourceRules::S3`].
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
    AccessPointBucket { allows_apply: bool },
    /// A KMS key: the key policy must allow, directly or by delegating to the account; grants.
    KmsKey,
    /// `sts:AssumeRole*` on a role: the trust policy must name the caller (or its account).
    RoleTrust,
}

/// The policies that apply to one request. The world decides which apply (it knows the
/// organization, the management account, who has a boundary); the engine decides how.
#[derive(Debug, Clone, Copy)]
pub struct PolicySet<'a> {
    pub identity: &'a [Arc<Policy>],
    pub boundary: Option<&'a Policy>,
    pub session: Option<&'a Policy>,
    pub resource: Option<&'a Policy>,
    pub rules: ResourceRules,
    /// The SCP path of the caller's account, when SCPs apply to this caller.
    pub scps: Option<&'a [OrgLevel]>,
    /// The RCP path of the resource's account, when RCPs apply to this resource.
    pub rcps: Option<&'a [OrgLevel]>,
    /// Set when the request comes through a VPC endpoint; `Some(None)` is the default
    /// endpoint policy (full access).
    pub endpoint: Option<Option<&'a Policy>>,
    pub grants: &'a [Grant],
    /// An S3 object's ACL as an Allow-only policy: another resource-side grant.
    pub acl: Option<&'a Policy>,
    /// The bucket's ACL as an Allow-only policy (listing, uploads, the bucket's ACL).
    pub bucket_acl: Option<&'a Policy>,
}

impl<'a> PolicySet<'a> {
    /// A set with identity policies only.
    pub fn identity_only(identity: &'a [Arc<Policy>]) -> PolicySet<'a> {
        PolicySet {
            identity,
            boundary: None,
            session: None,
            resource: None,
            rules: ResourceRules::Standard,
            scps: None,
            rcps: None,
            endpoint: None,
            grants: &[],
            acl: None,
            bucket_acl: None,
        }
    }
}

/// Where a matching statement sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Scp(usize),
    Rcp(usize),
    Endpoint,
    Boundary,
    Session,
    Identity,
    Resource,
    /// An object ACL (grants only).
    Acl,
}

impl Layer {
    /// Decision A12: the order in which a denial names the denying layer.
    fn deny_rank(self) -> usize {
        match self {
            Layer::Scp(_) => 0,
            Layer::Rcp(_) => 1,
            Layer::Endpoint => 2,
            Layer::Boundary => 3,
            Layer::Session => 4,
            Layer::Identity => 5,
            Layer::Resource | Layer::Acl => 6,
        }
    }
}

/// The statements that apply to a request; a handful at most, kept inline.
type Hits<'p> = SmallVec<[Hit<'p>; 8]>;

#[derive(Debug, Clone, Copy)]
struct Hit<'p> {
    layer: Layer,
    policy: &'p Policy,
    statement: &'p Statement,
    principal: PrincipalMatch,
}

impl Hit<'_> {
    fn reference(&self) -> StatementRef {
        statement_ref(self.policy, self.statement)
    }
}

/// The reference for a statement of a policy.
pub fn statement_ref(policy: &Policy, statement: &Statement) -> StatementRef {
    StatementRef {
        policy_type: policy.policy_type,
        policy: policy.name.clone(),
        sid: statement.sid.clone(),
        index: statement.index,
        effect: statement.effect,
        line: statement.line,
        offset: statement.offset,
        grant: false,
    }
}

/// The request's action split for lookups, lowercased once per request into a buffer on the
/// caller's stack (action names are short; longer ones take a heap buffer).
/// It also holds the request's resource ARN split into its fields, once per request.
struct Action<'r> {
    full: &'r str,
    service: &'r str,
    name: &'r str,
    resource: Option<ArnFields<'r>>,
}

impl<'r> Action<'r> {
    fn new(lower: &'r str, resource: Option<ArnFields<'r>>) -> Action<'r> {
        // A byte search: `split_once` with a char pattern costs about a hundred instructions
        // on every request for the same answer.
        let service = crate::policy::arn::before(lower, b':');
        let name = crate::policy::arn::after(lower, b':').unwrap_or("");
        Action {
            full: lower,
            service,
            name,
            resource,
        }
    }
    fn full(&self) -> &str {
        self.full
    }
    fn service(&self) -> &str {
        self.service
    }
    fn name(&self) -> &str {
        self.name
    }
}

/// The actions the modelled calls request most (S3's and the KMS requests S3 makes), with their
/// lower-case forms: `known_lowercase` finds one by a `match` (a switch on the length, then a
/// comparison) rather than lowering it a byte at a time, and every call authorizes several.
macro_rules! known_actions {
    ($($name:literal => $lower:literal,)*) => {
        fn known_lowercase(action: &str) -> Option<&'static str> {
            match action {
                $($name => Some($lower),)*
                _ => None,
            }
        }

        #[cfg(test)]
        const KNOWN_ACTIONS: &[(&str, &str)] = &[$(($name, $lower),)*];
    };
}

known_actions! {
    "s3:PutObject" => "s3:putobject",
    "s3:GetObject" => "s3:getobject",
    "s3:GetObjectVersion" => "s3:getobjectversion",
    "s3:PutObjectAcl" => "s3:putobjectacl",
    "s3:PutObjectTagging" => "s3:putobjecttagging",
    "s3:ReplicateObject" => "s3:replicateobject",
    "kms:GenerateDataKey" => "kms:generatedatakey",
    "kms:Decrypt" => "kms:decrypt",
    "kms:Encrypt" => "kms:encrypt",
}

/// An action in lower case: in `buffer` when it fits (no allocation), else on the heap.
fn lowercase<'b>(action: &str, buffer: &'b mut [u8; 64], heap: &'b mut String) -> &'b str {
    if let Some(lower) = known_lowercase(action) {
        return lower;
    }
    match buffer.get_mut(..action.len()) {
        Some(part) => {
            part.copy_from_slice(action.as_bytes());
            part.make_ascii_lowercase();
            // ASCII lowercasing keeps UTF-8 valid.
            std::str::from_utf8(part).unwrap_or_default()
        }
        None => {
            *heap = action.to_ascii_lowercase();
            heap
        }
    }
}

/// Decides one request.
pub fn authorize<O: Observer>(request: &Request<'_>, set: &PolicySet<'_>, obs: &mut O) -> Decision {
    let (mut buffer, mut heap) = ([0u8; 64], String::new());
    let lower = lowercase(request.action, &mut buffer, &mut heap);
    let action = Action::new(lower, request.resource_fields);
    let mut hits: Hits<'_> = SmallVec::new();
    if let Some(levels) = set.scps {
        for (i, level) in levels.iter().enumerate() {
            for p in &level.policies {
                scan(Layer::Scp(i), p, request, &action, obs, &mut hits);
            }
        }
    }
    if let Some(levels) = set.rcps {
        for (i, level) in levels.iter().enumerate() {
            for p in &level.policies {
                scan(Layer::Rcp(i), p, request, &action, obs, &mut hits);
            }
        }
    }
    if let Some(Some(p)) = set.endpoint {
        scan(Layer::Endpoint, p, request, &action, obs, &mut hits);
    }
    if let Some(p) = set.boundary {
        scan(Layer::Boundary, p, request, &action, obs, &mut hits);
    }
    if let Some(p) = set.session {
        scan(Layer::Session, p, request, &action, obs, &mut hits);
    }
    for p in set.identity {
        scan(Layer::Identity, p, request, &action, obs, &mut hits);
    }
    if let Some(p) = set.resource {
        scan(Layer::Resource, p, request, &action, obs, &mut hits);
    }
    for p in [set.acl, set.bucket_acl].into_iter().flatten() {
        scan(Layer::Acl, p, request, &action, obs, &mut hits);
    }
    decide(request, set, &action, &hits, obs)
}

/// Evaluates the statements of one policy that could match, recording those that apply.
fn scan<'p, O: Observer>(
    layer: Layer,
    policy: &'p Policy,
    request: &Request<'_>,
    action: &Action<'_>,
    obs: &mut O,
    hits: &mut Hits<'p>,
) {
    if obs.enabled() {
        for statement in &policy.statements {
            let traced = trace_statement(policy, statement, request, action);
            let applies = traced.1;
            obs.statement(traced.0);
            if let Some(principal) = applies {
                hits.push(Hit {
                    layer,
                    policy,
                    statement,
                    principal,
                });
            }
        }
        return;
    }
    for statement in policy.candidates(action.full(), action.service()) {
        if let Some(principal) = applies(policy, statement, request, action) {
            hits.push(Hit {
                layer,
                policy,
                statement,
                principal,
            });
        }
    }
}

/// Whether a statement applies to the request; with what principal match.
fn applies(
    policy: &Policy,
    s: &Statement,
    request: &Request<'_>,
    action: &Action<'_>,
) -> Option<PrincipalMatch> {
    if !s.action.matches(action.service(), action.name()) {
        return None;
    }
    if !resource_matches(policy, s, request, action.resource.as_ref()) {
        return None;
    }
    let principal = match &s.principal {
        None => PrincipalMatch::Everyone,
        Some(p) => {
            let m = request.caller.match_element(p);
            if !m.is_match() {
                return None;
            }
            m
        }
    };
    let ctx = request.context;
    s.conditions
        .iter()
        .all(|c| c.evaluate(ctx.get_hashed(c.key_hash, &c.key), ctx))
        .then_some(principal)
}

fn resource_matches(
    policy: &Policy,
    s: &Statement,
    request: &Request<'_>,
    fields: Option<&ArnFields<'_>>,
) -> bool {
    match &s.resource {
        // A trust policy's statements concern the role itself; a key-policy statement without
        // Resource applies to nothing.
        None => policy.policy_type == PolicyType::Trust,
        Some(r) => {
            let ctx = request.context;
            if r.negated {
                let mut none = true;
                for p in &r.patterns {
                    match p.try_matches_split(request.resource, fields, ctx) {
                        Some(false) => {}
                        // A matching entry, or one whose variable has no value, keeps the
                        // NotResource statement from applying.
                        Some(true) | None => none = false,
                    }
                }
                none
            } else {
                r.patterns
                    .iter()
                    .any(|p| p.try_matches_split(request.resource, fields, ctx) == Some(true))
            }
        }
    }
}

/// The full evaluation of one statement, for explanations.
fn trace_statement(
    policy: &Policy,
    s: &Statement,
    request: &Request<'_>,
    action: &Action<'_>,
) -> (StatementTrace, Option<PrincipalMatch>) {
    let action_trace = trace_action(s, request, action);
    let resource_trace = trace_resource(policy, s, request);
    let principal = s
        .principal
        .as_ref()
        .map(|p| request.caller.match_element(p));
    let principal_trace = s
        .principal
        .as_ref()
        .zip(principal)
        .map(|(p, m)| trace_principal(p, m, request.caller));
    let ctx = request.context;
    let conditions: Vec<ConditionTrace> = s
        .conditions
        .iter()
        .map(|c| {
            let values = ctx.get_hashed(c.key_hash, &c.key);
            ConditionTrace {
                operator: c.operator.to_string(),
                key: c.key.clone(),
                request: values.map(|v| v.iter().map(|x| x.to_string()).collect()),
                policy: c.raw_values.clone(),
                matched: c.evaluate(values, ctx),
            }
        })
        .collect();
    let principal_ok = principal.is_none_or(|m| m.is_match());
    let all = action_trace.matched
        && resource_trace.matched
        && principal_ok
        && conditions.iter().all(|c| c.matched);
    let trace = StatementTrace {
        statement: statement_ref(policy, s),
        principal: principal_trace,
        action: action_trace,
        resource: resource_trace,
        conditions,
        applies: all,
    };
    (
        trace,
        all.then(|| principal.unwrap_or(PrincipalMatch::Everyone)),
    )
}

/// Why the statement's Action or NotAction does or does not cover the request.
fn trace_action(s: &Statement, request: &Request<'_>, action: &Action<'_>) -> ElementTrace {
    let matched = s.action.matches(action.service(), action.name());
    let listed = s
        .action
        .patterns
        .iter()
        .map(|p| p.source.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let detail = match (s.action.negated, matched) {
        (false, true) => format!("{} matches Action [{listed}]", request.action),
        (false, false) => format!("{} is not in Action [{listed}]", request.action),
        (true, true) => format!("{} is not in NotAction [{listed}]", request.action),
        (true, false) => format!("{} is excluded by NotAction [{listed}]", request.action),
    };
    ElementTrace { matched, detail }
}

/// Why the statement's Resource or NotResource does or does not apply to the request.
fn trace_resource(policy: &Policy, s: &Statement, request: &Request<'_>) -> ElementTrace {
    let matched = resource_matches(policy, s, request, split_arn(request.resource).as_ref());
    let detail = match &s.resource {
        None if policy.policy_type == PolicyType::Trust => {
            "no Resource element: the statement concerns the role itself".to_string()
        }
        None => "no Resource element: a key-policy statement without Resource applies to nothing"
            .to_string(),
        Some(r) => {
            let listed = r
                .patterns
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let element = if r.negated { "NotResource" } else { "Resource" };
            let verb = if matched { "applies" } else { "does not apply" };
            format!("{element} [{listed}] {verb} to {}", request.resource)
        }
    };
    ElementTrace { matched, detail }
}

/// Why the statement's Principal or NotPrincipal does or does not name the caller.
fn trace_principal(p: &PrincipalElement, m: PrincipalMatch, caller: &Caller) -> ElementTrace {
    let listed = p
        .entries
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let element = if p.negated {
        "NotPrincipal"
    } else {
        "Principal"
    };
    let detail = if !p.negated {
        format!("{element} [{listed}] {}", m.describe())
    } else if m.is_match() && caller.has_boundary {
        format!("{element} [{listed}]: a caller with a permissions boundary is never excluded by NotPrincipal")
    } else if m.is_match() {
        format!(
            "{element} [{listed}] does not list every level of {caller} ({}), so the Deny applies to it",
            caller.identity_levels()
        )
    } else {
        format!("{element} [{listed}] excludes {caller}")
    };
    ElementTrace {
        matched: m.is_match(),
        detail,
    }
}

/// Whether a grant covers the request: grantee, operation and constraints.
fn grant_matches(
    grant: &Grant,
    request: &Request<'_>,
    action: &Action<'_>,
) -> Option<PrincipalMatch> {
    if action.service() != "kms"
        || !grant
            .operations
            .iter()
            .any(|o| o.eq_ignore_ascii_case(action.name()))
    {
        return None;
    }
    let caller = request.caller;
    let m = caller.match_entry(&grant.grantee);
    if !m.is_match() {
        return None;
    }
    // Constraints do not apply to DescribeKey and RetireGrant.
    let constrained = !matches!(action.name(), "describekey" | "retiregrant");
    if constrained {
        if let Some(c) = &grant.constraints {
            let (pairs, exact) = match c {
                GrantConstraints::Subset(p) => (p, false),
                GrantConstraints::Equals(p) => (p, true),
            };
            let ctx = request.context;
            for (k, v) in pairs {
                let key = format!("kms:encryptioncontext:{}", k.to_lowercase());
                match ctx.get_lower(&key) {
                    Some([value]) if **value == **v => {}
                    _ => return None,
                }
            }
            if exact {
                let count = ctx
                    .iter()
                    .filter(|(k, _, _)| k.to_lowercase().starts_with("kms:encryptioncontext:"))
                    .count();
                if count != pairs.len() {
                    return None;
                }
            }
        }
    }
    Some(m)
}

fn grant_ref(grant: &Grant) -> StatementRef {
    StatementRef {
        policy_type: PolicyType::Key,
        policy: grant.name.clone(),
        sid: None,
        index: grant.index,
        effect: Effect::Allow,
        line: None,
        offset: 0,
        grant: true,
    }
}

fn decide<'p, O: Observer>(
    request: &Request<'_>,
    set: &PolicySet<'p>,
    action: &Action<'_>,
    hits: &Hits<'p>,
    obs: &mut O,
) -> Decision {
    let mut notes = Notes { obs };
    // 1. An explicit Deny anywhere wins.
    if let Some(decision) = explicit_deny(hits, &mut notes) {
        return decision;
    }
    // 2. SCPs: every level from the root to the account must allow.
    if let Some(missing) = scp_gate(request, set, hits, &mut notes) {
        return implicit(missing);
    }
    // 3. RCPs: RCPFullAWSAccess is attached at every level and cannot be detached, so only
    //    their Deny statements (handled above) can refuse a request.
    // 4. VPC endpoint policy.
    if set.endpoint.is_some_and(|p| p.is_some()) && allows(hits, Layer::Endpoint).next().is_none() {
        notes.add(|| "the VPC endpoint policy does not allow the request".to_string());
        return implicit(PolicyType::Endpoint);
    }
    // 5. Grants.
    let grants = Grants::gather(request, set, action, hits);
    if !request.caller.is_iam_principal() {
        return resource_only(set, &grants, &mut notes);
    }
    match set.rules {
        ResourceRules::KmsKey => kms_key(request, action, &grants, &mut notes),
        ResourceRules::AccessPointBucket { .. } if !grants.same_account => {
            bucket_behind_access_point(set, &grants, &mut notes)
        }
        // Within the bucket owner's account the bucket's side is allowed as any request is;
        // when nothing allows it, what is missing is the bucket's grant (the caller's own
        // side was allowed for the access point).
        ResourceRules::AccessPointBucket { .. } => {
            match same_account(set, &grants, request.caller, &mut notes) {
                Decision::Denied(Denial::Implicit {
                    missing: PolicyType::Identity,
                }) => implicit(resource_type(set)),
                decision => decision,
            }
        }
        ResourceRules::RoleTrust | ResourceRules::Standard | ResourceRules::S3 { .. } => {
            if grants.same_account {
                same_account(set, &grants, request.caller, &mut notes)
            } else {
                cross_account(set, &grants, &mut notes)
            }
        }
    }
}

/// Reasoning notes for explanations, built only when a trace is kept.
struct Notes<'o, O: Observer> {
    obs: &'o mut O,
}

impl<O: Observer> Notes<'_, O> {
    fn add(&mut self, note: impl FnOnce() -> String) {
        if self.obs.enabled() {
            self.obs.note(note());
        }
    }
}

fn implicit(missing: PolicyType) -> Decision {
    Decision::Denied(Denial::Implicit { missing })
}

fn allowed(by: Vec<StatementRef>) -> Decision {
    Decision::Allowed { by }
}

/// The Allow statements of one layer that apply.
fn allows<'h, 'p>(hits: &'h Hits<'p>, layer: Layer) -> impl Iterator<Item = &'h Hit<'p>> + 'h {
    hits.iter()
        .filter(move |h| h.layer == layer && h.statement.effect == Effect::Allow)
}

fn refs(hits: &[&Hit<'_>]) -> Vec<StatementRef> {
    hits.iter().map(|h| h.reference()).collect()
}

/// The references of several groups of hits, in order, gathered in one allocation (every
/// allowed request that needs two sides names both).
fn refs_of(groups: &[&[&Hit<'_>]]) -> Vec<StatementRef> {
    let mut by = Vec::with_capacity(groups.iter().map(|g| g.len()).sum());
    for group in groups {
        by.extend(group.iter().map(|h| h.reference()));
    }
    by
}

/// Step 1: every matching Deny, the message naming the first denying layer (decision A12).
fn explicit_deny<O: Observer>(hits: &Hits<'_>, notes: &mut Notes<'_, O>) -> Option<Decision> {
    let mut denies: SmallVec<[&Hit<'_>; 4]> = hits
        .iter()
        .filter(|h| h.statement.effect == Effect::Deny)
        .collect();
    let first = denies
        .iter()
        .min_by_key(|h| (h.layer.deny_rank(), h.statement.index))?;
    let layer = first.policy.policy_type;
    denies.sort_by_key(|h| (h.layer.deny_rank(), h.statement.index));
    let count = denies.len();
    notes.add(|| {
        format!(
            "explicit deny: {count} matching Deny statement(s); an explicit deny overrides every allow"
        )
    });
    Some(Decision::Denied(Denial::Explicit {
        by: refs(&denies),
        layer,
    }))
}

/// Step 2: the first organization level whose SCPs allow nothing for the action.
fn scp_gate<O: Observer>(
    request: &Request<'_>,
    set: &PolicySet<'_>,
    hits: &Hits<'_>,
    notes: &mut Notes<'_, O>,
) -> Option<PolicyType> {
    let levels = set.scps?;
    for (i, level) in levels.iter().enumerate() {
        if !level.policies.is_empty() && allows(hits, Layer::Scp(i)).next().is_none() {
            notes.add(|| format!("no SCP attached at {} allows {}", level.id, request.action));
            return Some(PolicyType::Scp);
        }
    }
    notes.add(|| "SCPs: every level of the organization allows the action".to_string());
    None
}

/// What each side of the request allows, gathered once after the gates.
struct Grants<'h, 'p> {
    identity: SmallVec<[&'h Hit<'p>; 4]>,
    /// The root user has no identity policies and may do anything its account may.
    identity_ok: bool,
    boundary_ok: bool,
    session_ok: bool,
    /// Identity policies, boundary and session policy all allow, for an IAM principal.
    principal_side: bool,
    /// Resource-policy and ACL Allows that reach the caller.
    resource: SmallVec<[&'h Hit<'p>; 4]>,
    /// KMS grants that cover the request, with how their grantee matched.
    kms_grants: SmallVec<[(&'p Grant, PrincipalMatch); 2]>,
    same_account: bool,
}

impl<'h, 'p> Grants<'h, 'p> {
    fn gather(
        request: &Request<'_>,
        set: &PolicySet<'p>,
        action: &Action<'_>,
        hits: &'h Hits<'p>,
    ) -> Self {
        let caller = request.caller;
        // An object's ACL grants whatever the bucket policy's reach (an ACL never denies).
        let resource_allows_apply = !matches!(
            set.rules,
            ResourceRules::S3 {
                allows_apply: false
            } | ResourceRules::AccessPointBucket {
                allows_apply: false
            }
        );
        // One pass over the Allows that apply. Hits stand in the order the layers were scanned
        // (the resource policy before the ACLs), which the resource-side list keeps.
        let mut identity: SmallVec<[&Hit<'_>; 4]> = SmallVec::new();
        let mut resource: SmallVec<[&Hit<'_>; 4]> = SmallVec::new();
        let (mut boundary_allows, mut session_allows) = (false, false);
        for h in hits.iter().filter(|h| h.statement.effect == Effect::Allow) {
            match h.layer {
                Layer::Identity => identity.push(h),
                Layer::Boundary => boundary_allows = true,
                Layer::Session => session_allows = true,
                Layer::Resource if resource_allows_apply => resource.push(h),
                Layer::Acl => resource.push(h),
                _ => {}
            }
        }
        let identity_ok = caller.kind == CallerKind::Root || !identity.is_empty();
        let boundary_ok = set.boundary.is_none() || boundary_allows;
        let session_ok = match set.session {
            Some(_) => session_allows,
            // A federated-user session always carries a session policy; without one nothing
            // passes.
            None => !matches!(caller.kind, CallerKind::FederatedUser { .. }),
        };
        let kms_grants = match set.rules {
            ResourceRules::KmsKey => set
                .grants
                .iter()
                .filter_map(|g| grant_matches(g, request, action).map(|m| (g, m)))
                .collect(),
            _ => SmallVec::new(),
        };
        Grants {
            identity_ok,
            boundary_ok,
            session_ok,
            principal_side: caller.is_iam_principal() && identity_ok && boundary_ok && session_ok,
            identity,
            resource,
            kms_grants,
            same_account: caller.is_iam_principal()
                && caller.account.is_some()
                && caller.account.as_deref() == request.resource_account,
        }
    }

    /// Boundary and session policy both allow: they cap every grant to a role session.
    fn caps_ok(&self) -> bool {
        self.boundary_ok && self.session_ok
    }

    /// A resource-side grant that stands on its own in the same account (Part B 4.3).
    fn is_direct(&self, hit: &Hit<'_>) -> bool {
        match hit.principal {
            PrincipalMatch::Everyone | PrincipalMatch::Exact | PrincipalMatch::Service => true,
            PrincipalMatch::RoleOfSession => self.caps_ok(),
            PrincipalMatch::Account | PrincipalMatch::None => false,
        }
    }

    fn resource_where(&self, keep: impl Fn(&Hit<'_>) -> bool) -> SmallVec<[&'h Hit<'p>; 4]> {
        self.resource.iter().copied().filter(|h| keep(h)).collect()
    }

    /// The first principal-side layer that refused, in the order of Part B 4.10: identity
    /// policies, then the permissions boundary, then the session policy.
    fn principal_side_gap(&self) -> PolicyType {
        if !self.identity_ok {
            PolicyType::Identity
        } else if !self.boundary_ok {
            PolicyType::PermissionsBoundary
        } else {
            PolicyType::Session
        }
    }
}

/// Anonymous callers and services have no identity side: only a resource-policy statement
/// naming them (or everyone) can allow.
fn resource_only<O: Observer>(
    set: &PolicySet<'_>,
    grants: &Grants<'_, '_>,
    notes: &mut Notes<'_, O>,
) -> Decision {
    if !grants.resource.is_empty() {
        notes.add(|| "the resource policy allows this caller".to_string());
        return allowed(refs(&grants.resource));
    }
    notes.add(|| {
        "anonymous callers and service principals can only be allowed by a resource policy that names them".to_string()
    });
    implicit(resource_type(set))
}

/// A KMS key: the key policy must allow, directly or by delegating to an account whose IAM
/// policies allow; or a grant (Part B 5.3, decision A13).
fn kms_key<O: Observer>(
    request: &Request<'_>,
    action: &Action<'_>,
    grants: &Grants<'_, '_>,
    notes: &mut Notes<'_, O>,
) -> Decision {
    let same_account = grants.same_account;
    if !same_account && !cross_account_kms_action(action.name()) {
        notes.add(|| {
            format!(
                "cross-account: KMS honours only cryptographic operations and {} when they are granted to another account; {} is not one of them",
                "CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant, RevokeGrant",
                request.action
            )
        });
        return implicit(PolicyType::Key);
    }
    let direct = grants.resource_where(|h| {
        if same_account {
            grants.is_direct(h)
        } else {
            h.principal != PrincipalMatch::Account
        }
    });
    let delegated = grants.resource_where(|h| h.principal == PrincipalMatch::Account);
    let grant_refs = |account: bool| -> Vec<StatementRef> {
        grants
            .kms_grants
            .iter()
            .filter(|(_, m)| (*m == PrincipalMatch::Account) == account)
            .map(|(g, _)| grant_ref(g))
            .collect()
    };
    let to_caller = grant_refs(false);
    if !to_caller.is_empty() && grants.caps_ok() {
        notes.add(|| "a KMS grant allows the operation for this caller".to_string());
        return allowed(to_caller);
    }
    // A grant to an account lets that account's IAM policies delegate the operations, as an
    // account principal in the key policy does.
    // https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grantee-principal
    let to_account = grant_refs(true);
    if !to_account.is_empty() && grants.principal_side {
        notes.add(|| {
            "a KMS grant to the caller's account, and the caller's IAM policies allow".to_string()
        });
        let mut by = to_account;
        by.extend(grants.identity.iter().map(|h| h.reference()));
        return allowed(by);
    }
    if same_account && !direct.is_empty() {
        notes.add(|| {
            "the key policy names the caller directly: that alone allows (same account)".to_string()
        });
        return allowed(refs(&direct));
    }
    if same_account && !delegated.is_empty() && grants.principal_side {
        notes.add(|| {
            "the key policy delegates to the account, and the caller's IAM policies allow"
                .to_string()
        });
        return allowed(refs_of(&[&delegated[..], &grants.identity[..]]));
    }
    if !same_account && (!direct.is_empty() || !delegated.is_empty()) && grants.principal_side {
        notes.add(|| {
            "cross-account: the key policy allows the caller (or its account) and the caller's IAM policies allow".to_string()
        });
        return allowed(refs_of(&[
            &direct[..],
            &delegated[..],
            &grants.identity[..],
        ]));
    }
    let key_allows = !direct.is_empty() || !delegated.is_empty() || !to_account.is_empty();
    kms_key_denial(request, grants, key_allows, notes)
}

/// Which layer a refused KMS request names. Decision A6: in the key's own account KMS names the
/// key policy ("no resource-based policy allows") even when the policy delegates and IAM lacks
/// the action; across accounts it names the side that is missing.
fn kms_key_denial<O: Observer>(
    request: &Request<'_>,
    grants: &Grants<'_, '_>,
    key_allows: bool,
    notes: &mut Notes<'_, O>,
) -> Decision {
    let same_account = grants.same_account;
    let key_side = key_allows || !grants.kms_grants.is_empty();
    // A key-policy statement naming the caller's role is a direct grant that the boundary and
    // the session policy cap (Part B 4.3): when one of them lacks the action, that is the
    // missing layer, before any delegation to the account.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    let role_grant = grants
        .resource
        .iter()
        .any(|h| h.principal == PrincipalMatch::RoleOfSession);
    let missing = if !key_side {
        PolicyType::Key
    } else if role_grant && !grants.boundary_ok {
        PolicyType::PermissionsBoundary
    } else if role_grant && !grants.session_ok {
        PolicyType::Session
    } else if key_allows && !grants.identity_ok {
        if same_account {
            PolicyType::Key
        } else {
            PolicyType::Identity
        }
    } else if !grants.boundary_ok {
        PolicyType::PermissionsBoundary
    } else if !grants.session_ok {
        PolicyType::Session
    } else if same_account {
        PolicyType::Key
    } else {
        PolicyType::Identity
    };
    let delegated_without_iam = key_allows && !grants.identity_ok && !role_grant;
    notes.add(|| {
        if delegated_without_iam {
            let (scope, wording) = if same_account {
                (
                    "same account",
                    "; KMS words this as \"no resource-based policy allows\" (decision A6)",
                )
            } else {
                ("cross-account", "")
            };
            format!(
                "{scope}: the key policy allows the caller's account (or the caller), but none of the caller's IAM policies allows {}{wording}",
                request.action
            )
        } else {
            explain_missing(missing, same_account)
        }
    });
    implicit(missing)
}

/// Same account: an identity-policy Allow or a direct resource-policy grant suffices (Part B
/// 4.3); a trust policy must name the caller or its account.
fn same_account<O: Observer>(
    set: &PolicySet<'_>,
    grants: &Grants<'_, '_>,
    caller: &Caller,
    notes: &mut Notes<'_, O>,
) -> Decision {
    let trust = set.rules == ResourceRules::RoleTrust;
    let direct = grants.resource_where(|h| grants.is_direct(h));
    let account = grants.resource_where(|h| h.principal == PrincipalMatch::Account);
    let identity_grants = grants.principal_side && (!trust || !account.is_empty());
    let by = if identity_grants {
        refs_of(&[&grants.identity[..], &account[..], &direct[..]])
    } else {
        refs(&direct)
    };
    if !by.is_empty() || (identity_grants && caller.kind == CallerKind::Root) {
        notes.add(|| {
            if trust {
                "the trust policy allows this caller".to_string()
            } else {
                "same account: an Allow in the identity policies or a direct grant in the resource policy suffices".to_string()
            }
        });
        return allowed(by);
    }
    // Which layer is missing, in the order of Part B 4.10.
    let role_grant = grants
        .resource
        .iter()
        .any(|h| h.principal == PrincipalMatch::RoleOfSession);
    // A grant to the session's role would have sufficed but for the caps on it: name the cap.
    let missing = if trust && grants.resource.is_empty() {
        PolicyType::Trust
    } else if role_grant && !grants.boundary_ok {
        PolicyType::PermissionsBoundary
    } else if role_grant && !grants.session_ok {
        PolicyType::Session
    } else if trust && !grants.identity_ok {
        PolicyType::Identity
    } else {
        grants.principal_side_gap()
    };
    notes.add(|| explain_missing(missing, true));
    implicit(missing)
}

/// Across accounts both sides must allow: the resource policy, and the caller's own account.
fn cross_account<O: Observer>(
    set: &PolicySet<'_>,
    grants: &Grants<'_, '_>,
    notes: &mut Notes<'_, O>,
) -> Decision {
    if !grants.resource.is_empty() && grants.principal_side {
        notes.add(|| {
            "cross-account: the resource policy and the caller's own account both allow".to_string()
        });
        return allowed(refs_of(&[&grants.resource[..], &grants.identity[..]]));
    }
    let missing = if grants.resource.is_empty() {
        resource_type(set)
    } else {
        grants.principal_side_gap()
    };
    notes.add(|| explain_missing(missing, false));
    implicit(missing)
}

/// The bucket of another account behind an access point: the caller's side was allowed for
/// the access point; the bucket's own grant must allow it too.
fn bucket_behind_access_point<O: Observer>(
    set: &PolicySet<'_>,
    grants: &Grants<'_, '_>,
    notes: &mut Notes<'_, O>,
) -> Decision {
    if !grants.resource.is_empty() {
        notes.add(|| {
            "through an access point: the bucket's policy allows the request for the bucket owner"
                .to_string()
        });
        return allowed(refs(&grants.resource));
    }
    let missing = resource_type(set);
    notes.add(|| {
        "through an access point: the bucket owner's policy must allow the request too, and it does not".to_string()
    });
    implicit(missing)
}

/// KMS operations that take effect when a key policy or grant gives them to another account.
/// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
fn cross_account_kms_action(name: &str) -> bool {
    const OTHERS: [&str; 7] = [
        "creategrant",
        "describekey",
        "getkeyrotationstatus",
        "getpublickey",
        "listgrants",
        "retiregrant",
        "revokegrant",
    ];
    const CRYPTOGRAPHIC: [&str; 11] = [
        "encrypt",
        "decrypt",
        "reencryptfrom",
        "reencryptto",
        "sign",
        "verify",
        "generatemac",
        "verifymac",
        "derivesharedsecret",
        "generaterandom",
        "reencrypt",
    ];
    name.starts_with("generatedatakey") || OTHERS.contains(&name) || CRYPTOGRAPHIC.contains(&name)
}

fn resource_type(set: &PolicySet<'_>) -> PolicyType {
    match set.rules {
        ResourceRules::RoleTrust => PolicyType::Trust,
        ResourceRules::KmsKey => PolicyType::Key,
        _ => set.resource.map_or(PolicyType::Resource, |p| p.policy_type),
    }
}

fn explain_missing(missing: PolicyType, same_account: bool) -> String {
    let scope = if same_account {
        "same account"
    } else {
        "cross-account"
    };
    match missing {
        PolicyType::Identity => format!("{scope}: no identity-based policy allows the action"),
        PolicyType::PermissionsBoundary => {
            format!("{scope}: the permissions boundary does not allow the action, and it caps this grant")
        }
        PolicyType::Session => {
            format!("{scope}: the session policy does not allow the action, and it caps this grant")
        }
        PolicyType::Trust => format!("{scope}: the role's trust policy does not allow this caller"),
        PolicyType::Key => format!(
            "{scope}: the key policy neither allows the caller nor delegates this action to an account whose IAM policies allow it"
        ),
        _ => format!("{scope}: no resource-based policy allows the caller"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_actions_lower_as_any_action_does() {
        for (action, lower) in KNOWN_ACTIONS {
            assert_eq!(*lower, action.to_ascii_lowercase(), "{action}");
            assert_eq!(known_lowercase(action), Some(*lower), "{action}");
        }
        // Other spellings are lowered byte by byte.
        assert_eq!(known_lowercase("S3:PUTOBJECT"), None);
        let (mut buffer, mut heap) = ([0u8; 64], String::new());
        assert_eq!(
            lowercase("S3:PUTOBJECT", &mut buffer, &mut heap),
            "s3:putobject"
        );
    }
}
