//! Decisions as values: the outcome, the statements that decided it, and (when asked for) a
//! trace of why every statement did or did not apply.

use std::sync::Arc;

use crate::policy::model::{Effect, PolicyType};

/// The three possible answers, without their reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Allowed,
    /// A matching Deny statement.
    ExplicitDeny,
    /// Nothing allowed the request (or a required layer did not).
    ImplicitDeny,
}

impl Outcome {
    /// How scenario files and reports name a denial: `"explicit"` or `"implicit"`; `None` for
    /// an allowed request.
    pub fn denial_name(self) -> Option<&'static str> {
        match self {
            Outcome::Allowed => None,
            Outcome::ExplicitDeny => Some("explicit"),
            Outcome::ImplicitDeny => Some("implicit"),
        }
    }
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
    /// Byte offset of the statement in its source; meaningful only when `line` is known.
    pub offset: u32,
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

/// The answer to one authorization request, with the statements (or the missing layer) that
/// decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The Allow statements (and KMS grants) that granted the request.
    Allowed {
        by: Vec<StatementRef>,
    },
    Denied(Denial),
}

/// Why a request was denied.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    /// Matching Deny statements: every one of them (decision A12), and the layer AWS's message
    /// names (the first in the order of A12).
    Explicit {
        by: Vec<StatementRef>,
        layer: PolicyType,
    },
    /// Nothing allowed the request, or a layer every request must pass did not: the layer AWS's
    /// message names as missing.
    Implicit { missing: PolicyType },
}

impl Denial {
    pub fn outcome(&self) -> Outcome {
        match self {
            Denial::Explicit { .. } => Outcome::ExplicitDeny,
            Denial::Implicit { .. } => Outcome::ImplicitDeny,
        }
    }

    /// The Deny statements of an explicit denial; empty for an implicit one.
    pub fn statements(&self) -> &[StatementRef] {
        match self {
            Denial::Explicit { by, .. } => by,
            Denial::Implicit { .. } => &[],
        }
    }

    /// The layer the denial names: where the deciding Deny is, or which layer allowed nothing.
    pub fn layer(&self) -> PolicyType {
        match self {
            Denial::Explicit { layer, .. } => *layer,
            Denial::Implicit { missing } => *missing,
        }
    }
}

impl Decision {
    pub fn outcome(&self) -> Outcome {
        match self {
            Decision::Allowed { .. } => Outcome::Allowed,
            Decision::Denied(d) => d.outcome(),
        }
    }

    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// The deciding statements: the granting ones, or every matching Deny.
    pub fn statements(&self) -> &[StatementRef] {
        match self {
            Decision::Allowed { by } => by,
            Decision::Denied(d) => d.statements(),
        }
    }

    /// The layer a denial names; `None` when allowed.
    pub fn layer(&self) -> Option<PolicyType> {
        match self {
            Decision::Allowed { .. } => None,
            Decision::Denied(d) => Some(d.layer()),
        }
    }

    pub fn denial(&self) -> Option<&Denial> {
        match self {
            Decision::Allowed { .. } => None,
            Decision::Denied(d) => Some(d),
        }
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
