//! For learners: a check's evaluation walked through in AWS's documented order, each stage with
//! its rule in one sentence, what it found here and the AWS page that states the rule; and a
//! quiz over the scenario library.

pub mod quiz;

use std::fmt::Write as _;

use crate::engine::decision::StatementTrace;
use crate::engine::Denial;
use crate::policy::{Effect, PolicyType};
use crate::scenario::{Check, CheckResult};
use crate::services::{Step, StepKind, StepOutcome};

/// One stage of AWS's evaluation order.
struct Stage {
    title: &'static str,
    rule: &'static str,
    url: &'static str,
    /// The policy types whose statements the stage reads.
    layers: &'static [PolicyType],
}

const EXPLICIT_DENY: Stage = Stage {
    title: "Explicit deny",
    rule: "A Deny statement that applies, in any policy, overrides every Allow.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html",
    layers: &[],
};

const ORGANIZATION: Stage = Stage {
    title: "Organization (SCPs and RCPs)",
    rule: "Every level from the organization root to the account must have a service control policy that allows the action; resource control policies can only deny.",
    url: "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html",
    layers: &[PolicyType::Scp, PolicyType::Rcp],
};

const ENDPOINT: Stage = Stage {
    title: "VPC endpoint policy",
    rule: "A request through a VPC endpoint must also be allowed by the endpoint's policy.",
    url: "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
    layers: &[PolicyType::Endpoint],
};

const RESOURCE: Stage = Stage {
    title: "Resource-based policy",
    rule: "Within one account an Allow here suffices; across accounts both the resource's policy and the caller's own policies must allow.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html",
    layers: &[PolicyType::Bucket, PolicyType::Resource, PolicyType::Trust],
};

const KEY_POLICY: Stage = Stage {
    title: "Key policy (and grants)",
    rule: "A KMS key policy must allow the request, either by naming the caller or by delegating to its account, in which case an IAM policy must also allow it; a grant also allows.",
    url: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
    layers: &[PolicyType::Key],
};

const BOUNDARY: Stage = Stage {
    title: "Permissions boundary",
    rule: "A permissions boundary never grants: it caps what the identity-based policies (and grants to the role) may allow.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
    layers: &[PolicyType::PermissionsBoundary],
};

const SESSION: Stage = Stage {
    title: "Session policy",
    rule: "A session policy passed when a session is created caps the session's permissions.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
    layers: &[PolicyType::Session],
};

const IDENTITY: Stage = Stage {
    title: "Identity-based policy",
    rule: "The caller's own policies must allow the action unless a resource-based policy in the same account grants it directly.",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html",
    layers: &[PolicyType::Identity],
};

/// The stages of one step, in AWS's order: for a KMS request the key policy comes first among
/// the policies that can allow.
fn stages(step: &Step) -> [&'static Stage; 7] {
    let kms = matches!(
        step.kind,
        StepKind::KmsDataKey | StepKind::KmsDecrypt | StepKind::KmsEncrypt
    ) || step.action.starts_with("kms:");
    let resource = if kms { &KEY_POLICY } else { &RESOURCE };
    [
        &EXPLICIT_DENY,
        &ORGANIZATION,
        &ENDPOINT,
        resource,
        &BOUNDARY,
        &SESSION,
        &IDENTITY,
    ]
}

fn statement_words(t: &StatementTrace) -> String {
    let s = &t.statement;
    let which = match &s.sid {
        Some(sid) => format!("statement {sid:?}"),
        None => format!("statement {}", s.index),
    };
    let line = s.line.map_or(String::new(), |l| format!(", line {l}"));
    format!("{which} of {}{line}", s.policy)
}

/// What one stage found in a step's trace.
fn found(stage: &Stage, step: &Step) -> String {
    let Some(trace) = &step.trace else {
        return "(no trace was kept)".to_string();
    };
    if stage.layers.is_empty() {
        let denies: Vec<String> = trace
            .statements
            .iter()
            .filter(|t| t.applies && t.statement.effect == Effect::Deny)
            .map(statement_words)
            .collect();
        return if denies.is_empty() {
            "no Deny statement applies.".to_string()
        } else {
            format!("{} applies and denies the request.", denies.join("; "))
        };
    }
    let of_stage: Vec<&StatementTrace> = trace
        .statements
        .iter()
        .filter(|t| stage.layers.contains(&t.statement.policy_type))
        .collect();
    if of_stage.is_empty() {
        return "there is none for this request.".to_string();
    }
    let allows: Vec<String> = of_stage
        .iter()
        .filter(|t| t.applies && t.statement.effect == Effect::Allow)
        .map(|t| statement_words(t))
        .collect();
    if allows.is_empty() {
        "none of its statements allows the request.".to_string()
    } else {
        format!("{} allows it.", allows.join("; "))
    }
}

/// The step's result in plain words.
fn result(step: &Step) -> String {
    match &step.outcome {
        StepOutcome::Allowed { .. } => "allowed.".to_string(),
        StepOutcome::Denied {
            denial, message, ..
        } => {
            let why = match denial {
                Denial::Explicit { .. } => "an explicit deny",
                Denial::Implicit { .. } => "nothing that had to allow it did (an implicit deny)",
            };
            format!("denied: {why}. AWS records: {message}")
        }
        StepOutcome::Rejected { error } | StepOutcome::Unavailable { error, .. } => {
            format!(
                "refused before any policy: {} ({})",
                error.message, error.code
            )
        }
    }
}

/// A check's evaluation walked through stage by stage, for each step of the call. `result`
/// must come from a run that kept its traces (`explain`).
pub fn walk_through(check: &Check, result: &CheckResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Check {:?}", check.name);
    if let Some(note) = &check.note {
        let _ = writeln!(out, "In short: {note}");
    }
    let steps = &result.outcome.steps;
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(out);
        let title = if step.title.is_empty() {
            format!("{} on {}", step.action, step.resource)
        } else {
            step.title.clone()
        };
        let _ = writeln!(out, "Step {} of {}: {title}", i + 1, steps.len());
        if matches!(
            step.outcome,
            StepOutcome::Rejected { .. } | StepOutcome::Unavailable { .. }
        ) {
            let _ = writeln!(out, "  Result: {}", result_line(step));
            continue;
        }
        for (n, stage) in stages(step).iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", n + 1, stage.title);
            let _ = writeln!(out, "     Rule: {}", stage.rule);
            let _ = writeln!(out, "     Here: {}", found(stage, step));
            let _ = writeln!(out, "     Read: {}", stage.url);
        }
        let _ = writeln!(out, "  Result: {}", result_line(step));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Answer: {}",
        if result.outcome.is_allowed() {
            "allowed".to_string()
        } else {
            crate::report::text::outcome(result)
        }
    );
    out
}

fn result_line(step: &Step) -> String {
    result(step)
}
