//! The machine-readable output of `iamsim check --format json` (scenario-format.md, "Machine-
//! readable output"). Outside tools read it: fields are only ever added.

use serde_json::{json, Value};

use crate::engine::StatementRef;
use crate::policy::PolicyType;
use crate::scenario::{CheckResult, ClientError, ExpectationStatus, StepResult};

/// The results of one file.
pub struct FileResults<'a> {
    pub file: &'a str,
    pub checks: &'a [CheckResult],
}

/// The whole document for a run over several files.
pub fn document(files: &[FileResults<'_>]) -> Value {
    let mut met = 0;
    let mut unmet = 0;
    let mut none = 0;
    for f in files {
        for c in f.checks {
            match c.expectation {
                ExpectationStatus::Met => met += 1,
                ExpectationStatus::Unmet(_) => unmet += 1,
                ExpectationStatus::None => none += 1,
            }
        }
    }
    json!({
        "results": files.iter().map(|f| json!({
            "file": f.file,
            "checks": f.checks.iter().map(check).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "summary": {
            "checks": met + unmet + none,
            "met": met,
            "unmet": unmet,
            "without_expectation": none,
        }
    })
}

/// How the JSON names a policy type.
pub fn policy_type_name(t: PolicyType) -> &'static str {
    match t {
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

fn statement(r: &StatementRef) -> Value {
    json!({
        "policy_type": if r.grant { "grant" } else { policy_type_name(r.policy_type) },
        "policy": &*r.policy,
        "sid": r.sid.as_deref(),
        "index": r.index,
        "effect": r.effect.to_string(),
        "line": r.line,
        "label": r.label(),
    })
}

fn error(e: &Option<ClientError>) -> Value {
    match e {
        Some(e) => json!({"code": e.code, "message": e.message}),
        None => Value::Null,
    }
}

fn step(s: &StepResult) -> Value {
    json!({
        "title": s.title,
        "action": s.action,
        "resource": s.resource,
        "principal": s.caller,
        "allowed": s.allowed && s.error.is_none(),
        "denial": s.denial.map(|d| d.name()),
        "decided_by": s.decided_by.iter().map(statement).collect::<Vec<_>>(),
        "message": s.message,
        "error": error(&s.error),
        "optional": s.optional,
    })
}

/// One check's result.
pub fn check(c: &CheckResult) -> Value {
    let (status, reasons) = match &c.expectation {
        ExpectationStatus::Met => ("met", Vec::new()),
        ExpectationStatus::Unmet(r) => ("unmet", r.clone()),
        ExpectationStatus::None => ("none", Vec::new()),
    };
    json!({
        "name": c.name,
        "line": c.line,
        "allowed": c.allowed,
        "denial": c.denial.map(|d| d.name()),
        "decided_by": c.decided_by.iter().map(statement).collect::<Vec<_>>(),
        "failed_step": c.failed_step,
        "steps": c.steps.iter().map(step).collect::<Vec<_>>(),
        "message": c.message,
        "error": error(&c.error),
        "expectation": status,
        "unmet": reasons,
    })
}
