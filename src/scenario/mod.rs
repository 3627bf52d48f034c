//! Scenario files (format 1): a world and the checks to run against it, with expectations.

mod load;
pub mod reader;
pub(crate) mod run;

use std::sync::Arc;

pub use load::{load_scenario, load_scenario_text, LoadError};
pub use run::{run_checks, run_scenario, CheckResult, ClientError, ExpectationStatus, StepResult};

use crate::json::SourceText;
use crate::policy::Policy;
use crate::world::World;

/// A loaded scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub source: Arc<SourceText>,
    pub world: World,
    pub checks: Vec<Check>,
    /// Policies that are valid but probably wrong, as `file:line: warning: ...` lines.
    pub warnings: Vec<String>,
}

/// The API calls a check can model end to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    PutObject,
    GetObject,
    HeadObject,
    CopyObject,
    CreateMultipartUpload,
    ReplicateObject,
}

impl Call {
    pub const ALL: [Call; 6] = [
        Call::PutObject,
        Call::GetObject,
        Call::HeadObject,
        Call::CopyObject,
        Call::CreateMultipartUpload,
        Call::ReplicateObject,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Call::PutObject => "s3:PutObject",
            Call::GetObject => "s3:GetObject",
            Call::HeadObject => "s3:HeadObject",
            Call::CopyObject => "s3:CopyObject",
            Call::CreateMultipartUpload => "s3:CreateMultipartUpload",
            Call::ReplicateObject => "s3:ReplicateObject",
        }
    }
}

/// A context value given by a check.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextOverride {
    Single(String),
    Multi(Vec<String>),
    /// `null`: remove the key.
    Remove,
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
}

/// `"explicit"` or `"implicit"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Explicit,
    Implicit,
}

impl Denial {
    pub fn name(self) -> &'static str {
        match self {
            Denial::Explicit => "explicit",
            Denial::Implicit => "implicit",
        }
    }
}

/// What a check expects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectation {
    pub allowed: Option<bool>,
    pub denial: Option<Denial>,
    /// Labels (Sids or `policy[index]`), compared as a set.
    pub decided_by: Option<Vec<String>>,
    pub failed_step: Option<String>,
    pub error: Option<String>,
    /// The exact AWS-style message.
    pub message: Option<String>,
}

/// One check of a scenario.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub principal: Option<String>,
    /// The principal, resolved against the world when the scenario was loaded (shared by the
    /// checks that name the same principal).
    pub caller: Option<Arc<crate::engine::Caller>>,
    pub kind: CheckKind,
    pub context: Vec<(String, ContextOverride)>,
    pub vpc_endpoint: Option<String>,
    pub session_policy: Option<Arc<Policy>>,
    pub expect: Option<Expectation>,
    /// 1-based line of the check in its file.
    pub line: usize,
}
