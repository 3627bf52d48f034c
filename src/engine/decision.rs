//! Decisions as values: the outcome, the statements that decided it, and (when asked for) a
//! trace of why every statement did or did not apply.

use std::sync::Arc;

use crate::policy::model::{Effect, PolicyType};

/// The three possible answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    /// A matching Deny statement.
    ExplicitDeny,
    /// Nothing allowed the request (or a required layer did not).
    ImplicitDeny,
}

/// A statement, as a decision or a report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub policy_type: PolicyType,
    /// The policy's name ("bucket policy of example-bucket", an identity policy's name, ...).
    pub policy: Arc<str>,
    pub sid: Option<Arc<str>>,
    /// 0-based position in the policy.
    pub index: usize,
    pub effect: Effect,
    /// 1-based line in the source file, when known.
    pub line: Option<usize>,
    /// For KMS grants: set when this reference is a grant rather than a statement.
    pub grant: bool,
}

impl StatementRef {
    /// The label scenario expectations use: the Sid, or `policy[index]`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => sid.to_string(),
            None => format!("{}[{}]", self.policy, self.index),
        }
    }
}

/// The answer to one authorization request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    /// Allowed: the Allow statements (and grants) that granted. Explicit deny: every matching
    /// Deny (decision A12). Implicit deny: empty.
    pub decided_by: Vec<StatementRef>,
    /// For a denial, the policy type AWS's message names ("... in a resource-based policy").
    pub denied_by: Option<PolicyType>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }
}

/// Why one condition test did or did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionTrace {
    pub operator: String,
    pub key: String,
    /// The request's values, `None` when the key was missing.
    pub request: Option<Vec<String>>,
    pub policy: Vec<String>,
    pub matched: bool,
}

/// Why one element of a statement did or did not match.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementTrace {
    pub matched: bool,
    pub detail: String,
}

/// Everything about one statement's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementTrace {
    pub statement: StatementRef,
    /// Resource-based policies only.
    pub principal: Option<ElementTrace>,
    pub action: ElementTrace,
    pub resource: ElementTrace,
    pub conditions: Vec<ConditionTrace>,
    pub applies: bool,
}

/// Receives the details of an evaluation. [`NoTrace`] costs nothing; [`Trace`] keeps
/// everything, for `explain`.
pub trait Observer {
    /// Whether details are wanted (statements that cannot match are then evaluated too).
    fn enabled(&self) -> bool;
    fn statement(&mut self, trace: StatementTrace);
    fn note(&mut self, text: String);
}

/// The observer that keeps nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl Observer for NoTrace {
    fn enabled(&self) -> bool {
        false
    }
    fn statement(&mut self, _: StatementTrace) {}
    fn note(&mut self, _: String) {}
}

/// The observer that keeps every statement's evaluation and the reasoning notes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Trace {
    pub statements: Vec<StatementTrace>,
    /// The decision procedure's reasoning, in order ("same account: an identity-policy Allow
    /// suffices", ...).
    pub notes: Vec<String>,
}

impl Observer for Trace {
    fn enabled(&self) -> bool {
        true
    }
    fn statement(&mut self, trace: StatementTrace) {
        self.statements.push(trace);
    }
    fn note(&mut self, text: String) {
        self.notes.push(text);
    }
}
