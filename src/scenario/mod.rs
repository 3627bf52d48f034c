//! Scenario files (format 1): a world and the checks to run against it, with expectations.
//! This layer loads files and runs checks: it turns each check into a request of the services
//! layer, and each outcome into a [`CheckResult`] with its expectation's status.

pub mod format;
mod load;
pub mod matrix;
pub mod question;
pub mod reader;
mod run;

use std::fmt;
use std::sync::Arc;

pub use load::{load_scenario, load_scenario_text, LoadError};
pub use run::{
    explain_check, run_batches, run_checks, run_mapped, run_scenario, CheckResult,
    ExpectationStatus, Replay,
};

use crate::engine::{Caller, ContextValue, Outcome};
use crate::json::SourceText;
use crate::policy::lint::{Finding, Level, Rule};
use crate::policy::{Policy, PolicyType};
use crate::services::{Call, ErrorCode, RoleParameters, StsCall};
use crate::world::World;

/// A loaded scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub source: Arc<SourceText>,
    pub world: World,
    pub checks: Vec<Check>,
    /// Policies that are valid but probably wrong.
    pub warnings: Vec<PolicyWarning>,
}

/// A lint finding located in its file: a policy AWS would refuse, or one it accepts although it
/// probably does not mean what its author meant (or a request naming an action that does not
/// exist). See [`crate::policy::lint`] for the rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyWarning {
    pub file: String,
    /// 1-based line of the element the finding is about (else of its statement), when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of that element, when known.
    pub column: Option<usize>,
    /// The rule's stable code (`A001`).
    pub code: &'static str,
    pub level: Level,
    /// How reports name the policy ("read", "bucket policy of b"), or what named the action
    /// (`check "name"`, `--action`).
    pub policy: String,
    /// The statement's 0-based index, when the finding is about one.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    pub message: String,
}

impl PolicyWarning {
    /// Locates a finding about `policy_name`, read from `source`.
    pub fn new(source: &SourceText, policy_name: &str, finding: &Finding) -> PolicyWarning {
        let (line, column) = match finding.offset {
            Some(offset) => {
                let (l, c) = source.line_col(offset as usize);
                (Some(l), Some(c))
            }
            None => (finding.line, None),
        };
        PolicyWarning {
            file: source.name.clone(),
            line,
            column,
            code: finding.rule.code(),
            level: finding.level,
            policy: policy_name.to_string(),
            statement: finding.statement,
            sid: finding.sid.as_deref().map(str::to_string),
            message: finding.message.clone(),
        }
    }

    /// Every finding of a policy read from `source`.
    pub fn of_policy(source: &SourceText, policy: &Policy) -> Vec<PolicyWarning> {
        crate::policy::lint::lint(policy)
            .iter()
            .map(|f| PolicyWarning::new(source, &policy.name, f))
            .collect()
    }

    /// The rule the finding comes under.
    pub fn rule(&self) -> Option<Rule> {
        Rule::from_code(self.code)
    }
}

impl fmt::Display for PolicyWarning {
    /// `file:line:col: warning: policy, statement 2 "Sid": message [A001]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.file)?;
        if let Some(l) = self.line {
            write!(f, "{l}:")?;
            if let Some(c) = self.column {
                write!(f, "{c}:")?;
            }
        }
        write!(f, " {}: {}", self.level, self.policy)?;
        if let Some(n) = self.statement {
            write!(f, ", statement {n}")?;
            if let Some(sid) = &self.sid {
                write!(f, " {sid:?}")?;
            }
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

/// What a check asks.
#[derive(Debug, Clone)]
pub enum CheckKind {
    /// One authorization.
    Raw {
        action: String,
        resource: String,
        resource_account: Option<String>,
    },
    /// A modelled API call.
    Call {
        call: Call,
        bucket: String,
        key: String,
        headers: Vec<(String, String)>,
        version_id: Option<String>,
    },
    /// An `sts:AssumeRole*` call: a session of `role`, which later checks may name.
    AssumeRole {
        call: StsCall,
        role: String,
        /// Boxed: the parameters are larger than any other kind of check, and every check of a
        /// long list would otherwise carry their size.
        parameters: Box<RoleParameters>,
    },
}

impl CheckKind {
    /// Whether running the check may change the world (calls do; authorizations do not), so
    /// that it must run in order with the checks around it.
    pub fn changes_world(&self) -> bool {
        !matches!(self, CheckKind::Raw { .. })
    }
}

/// Which layer a denial names, as an expectation states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerExpectation {
    /// Exactly this policy type.
    Exactly(PolicyType),
    /// Any resource-based policy (bucket, key, trust or other resource policy).
    AnyResource,
}

impl LayerExpectation {
    /// The names an expectation may use.
    pub const NAMES: [&'static str; 10] = [
        "identity",
        "permissions_boundary",
        "session",
        "scp",
        "rcp",
        "vpc_endpoint",
        "resource",
        "bucket",
        "key",
        "trust",
    ];

    pub fn parse(name: &str) -> Option<LayerExpectation> {
        Some(match name {
            "identity" => LayerExpectation::Exactly(PolicyType::Identity),
            "permissions_boundary" => LayerExpectation::Exactly(PolicyType::PermissionsBoundary),
            "session" => LayerExpectation::Exactly(PolicyType::Session),
            "scp" => LayerExpectation::Exactly(PolicyType::Scp),
            "rcp" => LayerExpectation::Exactly(PolicyType::Rcp),
            "vpc_endpoint" => LayerExpectation::Exactly(PolicyType::Endpoint),
            "resource" => LayerExpectation::AnyResource,
            "bucket" => LayerExpectation::Exactly(PolicyType::Bucket),
            "key" => LayerExpectation::Exactly(PolicyType::Key),
            "trust" => LayerExpectation::Exactly(PolicyType::Trust),
            _ => return None,
        })
    }

    pub fn matches(self, layer: PolicyType) -> bool {
        match self {
            LayerExpectation::Exactly(t) => t == layer,
            LayerExpectation::AnyResource => matches!(
                layer,
                PolicyType::Bucket | PolicyType::Key | PolicyType::Trust | PolicyType::Resource
            ),
        }
    }
}

impl fmt::Display for LayerExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerExpectation::AnyResource => f.write_str("resource"),
            LayerExpectation::Exactly(PolicyType::Bucket) => f.write_str("bucket"),
            LayerExpectation::Exactly(PolicyType::Key) => f.write_str("key"),
            LayerExpectation::Exactly(PolicyType::Trust) => f.write_str("trust"),
            LayerExpectation::Exactly(t) => f.write_str(t.layer_name()),
        }
    }
}

/// What a check expects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectation {
    pub allowed: Option<bool>,
    /// `ExplicitDeny` or `ImplicitDeny`.
    pub denial: Option<Outcome>,
    /// The layer the denial names: where the deciding Deny is, or which layer allowed nothing.
    pub layer: Option<LayerExpectation>,
    /// Labels (Sids or `policy[index]`), compared as a set.
    pub decided_by: Option<Vec<String>>,
    pub failed_step: Option<String>,
    pub error: Option<ErrorCode>,
    /// The exact AWS-style message.
    pub message: Option<String>,
}

/// One check of a scenario.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    /// The caller, resolved against the world when the scenario was loaded (shared by the
    /// checks that name the same principal). `None`: a replication, which S3 itself makes.
    pub caller: Option<Arc<Caller>>,
    pub kind: CheckKind,
    pub context: Vec<(String, ContextValue)>,
    pub vpc_endpoint: Option<String>,
    pub session_policy: Option<Arc<Policy>>,
    pub expect: Option<Expectation>,
    /// 1-based line of the check in its file.
    pub line: usize,
    /// Why the check comes out as it does, in the author's words.
    pub note: Option<String>,
}
