//! The checked policy model: what a policy means once parsed and compiled. The evaluator only
//! ever sees these types, never raw JSON.

use std::fmt;
use std::sync::Arc;

use super::arn::ArnPattern;
use super::condition::Condition;
use super::wildcard::Glob;

// FxHash: the keys are short action names looked up on every evaluation; SipHash's DoS
// resistance buys nothing for keys that come from the policies themselves.
use rustc_hash::FxHashMap;

/// The kinds of policy AWS evaluates. Each accepts a different set of elements and plays a
/// different part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Attached to a user, group or role.
    Identity,
    /// A managed policy used as a permissions boundary: caps, never grants.
    PermissionsBoundary,
    /// Passed when a session is created: caps, never grants.
    Session,
    /// Service control policy (Organizations), principal side.
    Scp,
    /// Resource control policy (Organizations), resource side.
    Rcp,
    /// S3 bucket policy.
    Bucket,
    /// KMS key policy.
    Key,
    /// IAM role trust policy.
    Trust,
    /// VPC endpoint policy.
    Endpoint,
    /// Any other resource-based policy (SQS queue, SNS topic, ...).
    Resource,
}

impl PolicyType {
    /// Every type, for parsing names.
    pub const ALL: [PolicyType; 10] = [
        PolicyType::Identity,
        PolicyType::PermissionsBoundary,
        PolicyType::Session,
        PolicyType::Scp,
        PolicyType::Rcp,
        PolicyType::Bucket,
        PolicyType::Key,
        PolicyType::Trust,
        PolicyType::Endpoint,
        PolicyType::Resource,
    ];

    /// Whether statements of this type name a `Principal` (resource-based policies).
    pub fn takes_principal(self) -> bool {
        matches!(
            self,
            PolicyType::Rcp
                | PolicyType::Bucket
                | PolicyType::Key
                | PolicyType::Trust
                | PolicyType::Endpoint
                | PolicyType::Resource
        )
    }

    /// The short name used on the command line and in case files.
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::PermissionsBoundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::Bucket => "bucket",
            PolicyType::Key => "key",
            PolicyType::Trust => "trust",
            PolicyType::Endpoint => "endpoint",
            PolicyType::Resource => "resource",
        }
    }

    /// How scenario files and iamsim's JSON output name the layer a policy of this type is
    /// part of: resource-based policies of every kind are `resource`.
    pub fn layer_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::PermissionsBoundary => "permissions_boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::Endpoint => "vpc_endpoint",
            PolicyType::Bucket | PolicyType::Key | PolicyType::Trust | PolicyType::Resource => {
                "resource"
            }
        }
    }

    /// How AWS's error messages name this type ("resource-based policy", ...).
    pub fn aws_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "service control policy",
            PolicyType::Rcp => "resource control policy",
            PolicyType::Endpoint => "VPC endpoint policy",
            PolicyType::Trust => "role trust policy",
            PolicyType::Bucket | PolicyType::Key | PolicyType::Resource => "resource-based policy",
        }
    }
}

impl std::str::FromStr for PolicyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyType::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown policy type {s:?}; expected one of {}",
                    PolicyType::ALL.map(|t| t.name()).join(", ")
                )
            })
    }
}

/// The policy language version: policy variables exist only in `2012-10-17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008_10_17,
    V2012_10_17,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One entry of a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}` (decision A7: the same, and both match anonymous callers).
    Everyone,
    /// An account: `"111122223333"` or `arn:aws:iam::111122223333:root`. Delegates to the
    /// account's IAM policies.
    Account(String),
    /// An IAM user, by ARN.
    User { arn: String },
    /// An IAM role: matches the role's sessions (role path ignored, name case-sensitive, A15).
    Role {
        account: String,
        name: String,
        arn: String,
    },
    /// One assumed-role session, exactly.
    AssumedRole { arn: String },
    /// One federated-user session, exactly.
    FederatedUser { arn: String },
    /// An AWS service principal such as `s3.amazonaws.com`.
    Service(String),
    /// A SAML or web-identity provider (trust policies).
    Federated(String),
    /// An S3 canonical user id.
    CanonicalUser(String),
}

impl fmt::Display for PrincipalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrincipalEntry::Everyone => f.write_str("*"),
            PrincipalEntry::Account(a) => write!(f, "account {a}"),
            PrincipalEntry::User { arn }
            | PrincipalEntry::Role { arn, .. }
            | PrincipalEntry::AssumedRole { arn }
            | PrincipalEntry::FederatedUser { arn } => f.write_str(arn),
            PrincipalEntry::Service(s) => write!(f, "service {s}"),
            PrincipalEntry::Federated(p) => write!(f, "federated {p}"),
            PrincipalEntry::CanonicalUser(c) => write!(f, "canonical user {c}"),
        }
    }
}

/// A `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    pub negated: bool,
    pub entries: Vec<PrincipalEntry>,
}

/// A compiled action pattern: service prefix and action name, both lowercase.
#[derive(Debug, Clone)]
pub struct ActionPattern {
    pub source: String,
    /// `None` for `"*"`.
    pub service: Option<String>,
    pub name: Glob,
    /// Byte offset of the pattern's string in its source (see [`Statement::line`] for when it
    /// means nothing).
    pub offset: u32,
}

impl ActionPattern {
    /// Whether the pattern covers a request action, given lowercase service and name.
    pub fn matches(&self, service: &str, name: &str) -> bool {
        match &self.service {
            None => true,
            Some(s) => s == service && self.name.is_match(name),
        }
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone)]
pub struct ActionElement {
    pub negated: bool,
    pub patterns: Vec<ActionPattern>,
    /// Byte offset of the element's value in its source.
    pub offset: u32,
}

impl ActionElement {
    pub fn matches(&self, service: &str, name: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(service, name)) != self.negated
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone)]
pub struct ResourceElement {
    pub negated: bool,
    pub patterns: Vec<ArnPattern>,
    /// Byte offset of the element's value in its source.
    pub offset: u32,
    /// Byte offset of each pattern's string, in the order of `patterns`.
    pub offsets: Vec<u32>,
}

impl ResourceElement {
    /// Byte offset of pattern `i`'s string, else of the element.
    pub fn offset_of(&self, i: usize) -> u32 {
        self.offsets.get(i).copied().unwrap_or(self.offset)
    }
}

/// One statement, compiled.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the policy's statement list (0-based).
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    pub principal: Option<PrincipalElement>,
    pub action: ActionElement,
    /// `None` when the element is absent (allowed in trust policies; in a key policy such a
    /// statement applies to nothing).
    pub resource: Option<ResourceElement>,
    pub conditions: Vec<Condition>,
    /// 1-based line of the statement in its source, when known. When it is not (a policy
    /// built from a value with no source), the byte offsets below mean nothing.
    pub line: Option<usize>,
    /// Byte offset of the statement in its source. Offsets are kept instead of lines and
    /// columns, which are counted only when a position is shown ([`crate::json::SourceText`]).
    /// A policy given as a JSON string has every offset at the string's own position.
    pub offset: u32,
    /// Byte offset of the `Principal` / `NotPrincipal` value, when there is one.
    pub principal_offset: Option<u32>,
    /// Byte offset of each condition's key, in the order of `conditions`.
    pub condition_offsets: Vec<u32>,
}

impl Statement {
    /// Byte offset of condition `i`'s key, else of the statement.
    pub fn condition_offset(&self, i: usize) -> u32 {
        self.condition_offsets
            .get(i)
            .copied()
            .unwrap_or(self.offset)
    }

    /// Moves every position to one place: a policy read from a JSON string is located at the
    /// string.
    pub(crate) fn relocate(&mut self, offset: u32, line: Option<usize>) {
        self.line = line;
        self.offset = offset;
        if let Some(p) = &mut self.principal_offset {
            *p = offset;
        }
        self.action.offset = offset;
        for p in &mut self.action.patterns {
            p.offset = offset;
        }
        if let Some(r) = &mut self.resource {
            r.offset = offset;
            r.offsets.iter_mut().for_each(|o| *o = offset);
        }
        self.condition_offsets.iter_mut().for_each(|o| *o = offset);
    }
}

/// A parsed, checked and compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How reports name the policy: its name, or "bucket policy of example-bucket".
    pub name: Arc<str>,
    pub policy_type: PolicyType,
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    index: ActionIndex,
}

impl Policy {
    /// Assembles a policy and indexes its statements by action.
    pub fn new(
        name: &str,
        policy_type: PolicyType,
        version: Version,
        id: Option<String>,
        statements: Vec<Statement>,
    ) -> Policy {
        let index = ActionIndex::build(&statements);
        Policy {
            name: name.into(),
            policy_type,
            version,
            id,
            statements,
            index,
        }
    }

    /// The same policy under another name (a managed policy attached in several places).
    pub fn renamed(&self, name: &str) -> Policy {
        Policy {
            name: name.into(),
            ..self.clone()
        }
    }

    /// The statements whose Action/NotAction can cover `service:name` (lowercase), in order.
    /// Statements that cannot are skipped without being looked at.
    pub fn candidates<'a>(
        &'a self,
        full_action: &str,
        service: &str,
    ) -> impl Iterator<Item = &'a Statement> + 'a {
        let exact = self.index.by_action.get(full_action).map_or(&[][..], |v| v);
        let by_service = self.index.by_service.get(service).map_or(&[][..], |v| v);
        MergeSorted::new([exact, by_service, &self.index.everywhere])
            .map(move |i| &self.statements[i as usize])
    }
}

/// Statement numbers by the actions they name, so that evaluation meets only the statements
/// that could cover the request's action.
#[derive(Debug, Clone, Default)]
struct ActionIndex {
    /// `service:action` (no wildcard) -> statements.
    by_action: FxHashMap<Box<str>, Vec<u32>>,
    /// service prefix -> statements with a wildcard in the action name.
    by_service: FxHashMap<Box<str>, Vec<u32>>,
    /// `*`, NotAction, or a wildcard in the service prefix.
    everywhere: Vec<u32>,
}

impl ActionIndex {
    fn build(statements: &[Statement]) -> ActionIndex {
        let mut index = ActionIndex::default();
        for (i, s) in statements.iter().enumerate() {
            let i = i as u32;
            if s.action.negated {
                index.everywhere.push(i);
                continue;
            }
            for p in &s.action.patterns {
                let list = match (&p.service, p.name.as_literal()) {
                    (None, _) => &mut index.everywhere,
                    (Some(svc), _) if svc.contains(['*', '?']) => &mut index.everywhere,
                    (Some(svc), Some(name)) => index
                        .by_action
                        .entry(format!("{svc}:{name}").into())
                        .or_default(),
                    (Some(svc), None) => index.by_service.entry(svc.as_str().into()).or_default(),
                };
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        index
    }
}

/// Merges up to three ascending lists of statement numbers, dropping repeats.
struct MergeSorted<'a> {
    lists: [&'a [u32]; 3],
    last: Option<u32>,
}

impl<'a> MergeSorted<'a> {
    fn new(lists: [&'a [u32]; 3]) -> Self {
        MergeSorted { lists, last: None }
    }
}

impl Iterator for MergeSorted<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        loop {
            let (which, value) = self
                .lists
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.first().map(|v| (i, *v)))
                .min_by_key(|(_, v)| *v)?;
            self.lists[which] = &self.lists[which][1..];
            if self.last != Some(value) {
                self.last = Some(value);
                return Some(value);
            }
        }
    }
}
