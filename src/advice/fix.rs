//! `iamsim fix`: the smallest changes that make a denied check succeed (or an allowed one that
//! should be denied fail), each a concrete edit of the scenario file, each verified by applying
//! it to a copy and running the check again, and ranked by how much other access it adds.
//!
//! For a modelled call the search follows the call: once an edit gets a step through, the next
//! step that fails gets its own edit, until the call goes through, so a plan covers every step
//! that fails (an SSE-KMS upload that lacks both the bucket's grant and kms:GenerateDataKey gets
//! both edits).

use std::sync::atomic::AtomicUsize;

use serde_json::{json, Value};

use super::edits::{Edit, PolicyTarget};
use crate::engine::{Caller, CallerKind, Denial, StatementRef};
use crate::json::SourceText;
use crate::policy::PolicyType;
use crate::report::text::outcome as one_line;
use crate::scenario::matrix::Matrix;
use crate::scenario::{load_scenario_text, run_checks, Check, CheckKind, Scenario};
use crate::services::{CallOutcome, StepKind, StepOutcome};
use crate::world::World;

/// Edits in one plan at most: a cross-account SSE-KMS read may need the bucket's grant, the
/// key's and the caller's own.
const MAX_EDITS: usize = 4;
/// First edits tried for the first failing step.
const FIRST_CHOICES: usize = 8;
/// Beyond this many requests the side effects are measured on the scenario's checks only.
const MATRIX_LIMIT: usize = 300_000;
/// Side effects listed per suggestion.
const LISTED: usize = 10;

/// What the check should come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// It is denied: make it succeed.
    Allow,
    /// It is allowed but expected to be denied: make it fail.
    Deny,
}

/// A verified plan.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub edits: Vec<Edit>,
    /// The check's answer with the edits applied.
    pub answer: String,
    /// Whether the check then meets the goal.
    pub reaches_goal: bool,
    /// Other requests of the world the edits newly allow (Allow) or newly deny (Deny).
    pub side_effects: Vec<String>,
    pub side_effect_count: usize,
    /// Where the side effects were measured: "the request matrix" or "the scenario's checks".
    pub measured_on: &'static str,
}

/// The suggestions for one check.
#[derive(Debug, Clone)]
pub struct FixReport {
    pub check: String,
    pub goal: Goal,
    /// The check's answer as it stands.
    pub answer: String,
    /// Where the change belongs, in plain words.
    pub advice: Option<String>,
    pub suggestions: Vec<Suggestion>,
}

/// Why `fix` could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("{0}")]
    Invalid(String),
    #[error("no check named {0:?}")]
    NoCheck(String),
    #[error("check {0:?} is allowed and not expected to be denied: nothing to fix")]
    NothingToFix(String),
}

/// A scenario document and how its check comes out.
struct Trial {
    doc: Value,
    scenario: Scenario,
    outcome: CallOutcome,
}

/// Finds, verifies and ranks the edits for check `check` of the scenario `text`.
pub fn fix(name: &str, text: &str, check: &str) -> Result<FixReport, FixError> {
    let source = SourceText::new(name, text);
    let doc = source
        .parse(true)
        .map_err(|d| FixError::Invalid(source.render(&d)))?
        .to_serde();
    let start = trial(name, doc, check)?.ok_or_else(|| FixError::NoCheck(check.to_string()))?;
    let index = index_of(&start.scenario, check)?;
    let c = &start.scenario.checks[index];
    let expected_denied = c.expect.as_ref().and_then(|e| e.allowed) == Some(false);
    let goal = if !start.outcome.is_allowed() {
        Goal::Allow
    } else if expected_denied {
        Goal::Deny
    } else {
        return Err(FixError::NothingToFix(check.to_string()));
    };
    let advice = crate::services::messages::where_the_fix_belongs(
        &start.scenario.world,
        c.caller.as_deref(),
        &start.outcome,
    );
    let mut plans: Vec<(Vec<Edit>, Trial)> = Vec::new();
    let first = candidates(&start, index, goal);
    for edit in first.into_iter().take(FIRST_CHOICES) {
        if let Some(plan) = follow(name, &start, index, goal, vec![edit])? {
            // The same edits found in another order are the same plan.
            let key = |edits: &[Edit]| {
                let mut d: Vec<String> = edits.iter().map(Edit::describe).collect();
                d.sort();
                d
            };
            if !plans.iter().any(|(e, _)| key(e) == key(&plan.0)) {
                plans.push(plan);
            }
        }
    }
    let mut suggestions: Vec<(u32, Suggestion)> = plans
        .into_iter()
        .map(|(edits, end)| {
            let breadth = edits.iter().map(Edit::breadth).sum();
            (breadth, suggestion(&start, &end, edits, goal, index))
        })
        .collect();
    suggestions.sort_by_key(|(breadth, s)| {
        (
            !s.reaches_goal,
            s.side_effect_count,
            *breadth,
            s.edits.len(),
        )
    });
    Ok(FixReport {
        check: check.to_string(),
        goal,
        answer: one_line(&start_result(&start, index)),
        advice,
        suggestions: suggestions.into_iter().map(|(_, s)| s).collect(),
    })
}

fn index_of(scenario: &Scenario, check: &str) -> Result<usize, FixError> {
    scenario
        .checks
        .iter()
        .position(|c| c.name == check)
        .ok_or_else(|| FixError::NoCheck(check.to_string()))
}

/// Loads a document and runs its checks up to `check`.
fn trial(name: &str, doc: Value, check: &str) -> Result<Option<Trial>, FixError> {
    let scenario =
        load_scenario_text(name, &doc.to_string()).map_err(|e| FixError::Invalid(e.to_string()))?;
    let Some(index) = scenario.checks.iter().position(|c| c.name == check) else {
        return Ok(None);
    };
    let mut results = run_checks(&scenario.world, &scenario.checks[..=index], false);
    let outcome = results
        .pop()
        .map(|r| r.outcome)
        .ok_or_else(|| FixError::NoCheck(check.to_string()))?;
    Ok(Some(Trial {
        doc,
        scenario,
        outcome,
    }))
}

fn start_result(t: &Trial, index: usize) -> crate::scenario::CheckResult {
    crate::scenario::CheckResult {
        name: t.scenario.checks[index].name.clone(),
        line: t.scenario.checks[index].line,
        outcome: t.outcome.clone(),
        expectation: crate::scenario::ExpectationStatus::None,
        advice: None,
    }
}

fn reached(outcome: &CallOutcome, goal: Goal) -> bool {
    outcome.is_allowed() == (goal == Goal::Allow)
}

/// Where and how the run failed: the failing step's position and action, and what decided it
/// (the denying statements or the layer that allowed nothing, or the refusal's code). An edit
/// that changes none of these made no progress.
fn failure(outcome: &CallOutcome) -> Option<(usize, String, String)> {
    let step = outcome.failed_step()?;
    let i = outcome.steps.iter().position(|s| std::ptr::eq(s, step))?;
    let how = match step.outcome.denial() {
        Some(Denial::Explicit { by, .. }) => by
            .iter()
            .map(StatementRef::label)
            .collect::<Vec<_>>()
            .join(","),
        Some(Denial::Implicit { missing }) => missing.name().to_string(),
        None => step
            .outcome
            .error()
            .map(|e| e.code.as_str().to_string())
            .unwrap_or_default(),
    };
    Some((i, step.action.to_string(), how))
}

/// Applies edits one after another, each time to the next step that fails, until the goal is
/// reached or the plan is as long as it may be. `None` when an edit changes nothing.
fn follow(
    name: &str,
    start: &Trial,
    index: usize,
    goal: Goal,
    mut edits: Vec<Edit>,
) -> Result<Option<(Vec<Edit>, Trial)>, FixError> {
    let check = start.scenario.checks[index].name.clone();
    let mut before = failure(&start.outcome);
    loop {
        let mut doc = start.doc.clone();
        for e in &edits {
            if e.apply(&mut doc).is_err() {
                return Ok(None);
            }
        }
        let Ok(Some(t)) = trial(name, doc, &check) else {
            return Ok(None);
        };
        if reached(&t.outcome, goal) {
            return Ok(Some((edits, t)));
        }
        let now = failure(&t.outcome);
        // An edit that leaves the same step failing in the same way did not help.
        if now == before || edits.len() >= MAX_EDITS {
            return Ok(None);
        }
        before = now;
        let next = candidates(&t, index, goal);
        let Some(edit) = next.into_iter().find(|e| !edits.contains(e)) else {
            return Ok(None);
        };
        edits.push(edit);
    }
}

/// The principal ARN an edit names for the check's caller: the role for a session.
fn principal_arn(world: &World, caller: &Caller) -> Option<String> {
    if let Some(p) = world.principal_of(caller) {
        return Some(p.arn.clone());
    }
    caller.principal_arn().map(str::to_string)
}

fn statement(
    sid: &str,
    effect: &str,
    principal: Option<Value>,
    action: &str,
    resource: &str,
) -> Value {
    let mut s = json!({"Sid": sid, "Effect": effect});
    if let Some(p) = principal {
        s["Principal"] = p;
    }
    s["Action"] = json!(action);
    s["Resource"] = json!(resource);
    s
}

/// The edits that could get the check past the step that fails (or, for the Deny goal, stop
/// the statements that allow it), in order of preference.
fn candidates(t: &Trial, index: usize, goal: Goal) -> Vec<Edit> {
    let check = &t.scenario.checks[index];
    let world = &t.scenario.world;
    match goal {
        Goal::Deny => tighten(t, check),
        Goal::Allow => {
            let Some(step) = t.outcome.failed_step() else {
                return Vec::new();
            };
            let caller = check.caller.as_deref();
            match &step.outcome {
                StepOutcome::Denied {
                    denial: Denial::Explicit { by, .. },
                    ..
                } => explicit(t, check, by),
                StepOutcome::Denied {
                    denial: Denial::Implicit { missing },
                    ..
                } => implicit(world, check, caller, step, *missing),
                StepOutcome::Rejected { .. } | StepOutcome::Unavailable { .. } => Vec::new(),
                StepOutcome::Allowed { .. } => Vec::new(),
            }
        }
    }
}

/// The policy of the scenario a deciding statement sits in.
pub fn target_of(
    world: &World,
    check: &Check,
    r: &StatementRef,
    doc: &Value,
) -> Option<PolicyTarget> {
    let name = &*r.policy;
    let after = |prefix: &str| name.strip_prefix(prefix).map(str::to_string);
    Some(match r.policy_type {
        _ if r.grant => return None,
        PolicyType::Identity => {
            let caller = check.caller.as_deref()?;
            let arn = principal_arn(world, caller)?;
            let own = doc["principals"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["arn"] == arn.as_str())
                .is_some_and(|p| {
                    p["policies"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|x| x["name"] == name))
                });
            if own {
                PolicyTarget::Identity {
                    principal: arn,
                    policy: Some(name.to_string()),
                }
            } else {
                let group = doc["groups"].as_array().into_iter().flatten().find(|g| {
                    g["policies"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|x| x["name"] == name))
                        && g["members"]
                            .as_array()
                            .is_some_and(|m| m.iter().any(|x| x == arn.as_str()))
                })?;
                PolicyTarget::GroupPolicy {
                    group: group["name"].as_str()?.to_string(),
                    policy: name.to_string(),
                }
            }
        }
        PolicyType::PermissionsBoundary => PolicyTarget::Boundary {
            principal: principal_arn(world, check.caller.as_deref()?)?,
        },
        PolicyType::Session => PolicyTarget::SessionPolicy {
            check: check.name.clone(),
        },
        PolicyType::Bucket => PolicyTarget::Bucket {
            bucket: after("bucket policy of ")?,
        },
        PolicyType::Key => PolicyTarget::Key {
            key: after("key policy of ")?,
        },
        PolicyType::Trust => PolicyTarget::Trust {
            role: after("trust policy of ")?,
        },
        PolicyType::Endpoint => PolicyTarget::Endpoint {
            id: after("policy of ")?,
        },
        PolicyType::Scp => PolicyTarget::Organization {
            kind: "SCP",
            policy: name.to_string(),
        },
        PolicyType::Rcp => PolicyTarget::Organization {
            kind: "RCP",
            policy: name.to_string(),
        },
        PolicyType::Resource => {
            if let Some(arn) = after("access point policy of ") {
                PolicyTarget::AccessPoint { arn }
            } else {
                PolicyTarget::Resource {
                    arn: after("resource policy of ")?,
                }
            }
        }
    })
}

/// The policy document a deciding statement sits in, as the scenario writes it (a JSON string
/// or an AWS CLI wrapper read into the document it holds).
pub fn policy_document(
    world: &World,
    check: &Check,
    r: &StatementRef,
    doc: &Value,
) -> Option<Value> {
    let target = target_of(world, check, r, doc)?;
    let mut copy = doc.clone();
    super::edits_statements(&mut copy, &target)?;
    super::edits::document(&copy, &target)
}

/// The statement a reference points at, as the document writes it.
fn statement_json(doc: &Value, target: &PolicyTarget, index: usize) -> Option<Value> {
    // Read through a copy: the edit machinery normalizes the document it reaches.
    let mut copy = doc.clone();
    let statements = super::edits_statements(&mut copy, target)?;
    statements.get(index).cloned()
}

/// An explicit deny: send what its conditions ask for, drop a condition, drop the statement.
fn explicit(t: &Trial, check: &Check, by: &[StatementRef]) -> Vec<Edit> {
    let world = &t.scenario.world;
    let mut out = Vec::new();
    let mut later = Vec::new();
    for r in by {
        let Some(target) = target_of(world, check, r, &t.doc) else {
            continue;
        };
        let Some(s) = statement_json(&t.doc, &target, r.index) else {
            continue;
        };
        let label = r.label();
        if let (CheckKind::Call { .. }, Some(conditions)) =
            (&check.kind, s["Condition"].as_object())
        {
            for (operator, block) in conditions {
                let negated = operator.contains("Not") || operator.starts_with("Null");
                for (key, values) in block.as_object().into_iter().flatten() {
                    let header = key.strip_prefix("s3:").filter(|h| h.starts_with("x-amz-"));
                    if let (true, Some(header), Some(value)) = (negated, header, first_text(values))
                    {
                        if operator.starts_with("Null") {
                            continue;
                        }
                        out.push(Edit::SetHeader {
                            check: check.name.clone(),
                            header: header.to_string(),
                            value: value.clone(),
                        });
                        // A key named by ARN may be sent by its alias too (S3 resolves it).
                        if header == "x-amz-server-side-encryption-aws-kms-key-id" {
                            if let Some(k) = world.key(&value) {
                                for alias in &k.aliases {
                                    out.push(Edit::SetHeader {
                                        check: check.name.clone(),
                                        header: header.to_string(),
                                        value: alias.clone(),
                                    });
                                }
                            }
                        }
                    }
                    later.push(Edit::RemoveCondition {
                        target: target.clone(),
                        index: r.index,
                        label: label.clone(),
                        operator: operator.clone(),
                        key: key.clone(),
                    });
                }
            }
        } else if let Some(conditions) = s["Condition"].as_object() {
            for (operator, block) in conditions {
                for key in block.as_object().into_iter().flatten().map(|(k, _)| k) {
                    later.push(Edit::RemoveCondition {
                        target: target.clone(),
                        index: r.index,
                        label: label.clone(),
                        operator: operator.clone(),
                        key: key.clone(),
                    });
                }
            }
        }
        later.push(Edit::RemoveStatement {
            target,
            index: r.index,
            label,
        });
    }
    out.extend(later);
    out
}

fn first_text(values: &Value) -> Option<String> {
    match values {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| v.as_str().map(str::to_string)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The KMS operation of a `kms:` action, as grants name it.
fn grant_operation(action: &str) -> &str {
    action.strip_prefix("kms:").unwrap_or(action)
}

/// An implicit deny: an Allow in the layer that allowed nothing.
fn implicit(
    world: &World,
    check: &Check,
    caller: Option<&Caller>,
    step: &crate::services::Step,
    missing: PolicyType,
) -> Vec<Edit> {
    let action = &*step.action;
    let resource = &*step.resource;
    let mut out = Vec::new();
    let principal = caller.and_then(|c| principal_arn(world, c));
    let identity = |principal: &str| Edit::AddStatement {
        target: PolicyTarget::Identity {
            principal: principal.to_string(),
            policy: None,
        },
        statement: statement("IamsimFix", "Allow", None, action, resource),
    };
    let who = principal
        .as_deref()
        .map(|p| json!({"AWS": p}))
        .unwrap_or_else(|| json!("*"));
    let account = resource.split(':').nth(4).unwrap_or_default();
    match missing {
        PolicyType::Identity => {
            if let Some(p) = &principal {
                out.push(identity(p));
            }
        }
        PolicyType::PermissionsBoundary => {
            if let Some(p) = &principal {
                out.push(Edit::AddStatement {
                    target: PolicyTarget::Boundary {
                        principal: p.clone(),
                    },
                    statement: statement("IamsimFix", "Allow", None, action, resource),
                });
            }
        }
        PolicyType::Session => {
            if check.session_policy.is_some() {
                out.push(Edit::AddStatement {
                    target: PolicyTarget::SessionPolicy {
                        check: check.name.clone(),
                    },
                    statement: statement("IamsimFix", "Allow", None, action, resource),
                });
            }
        }
        PolicyType::Key => {
            let key = world.key(resource);
            let same_account = caller.and_then(|c| c.account.as_deref()) == Some(account);
            let delegates = key.is_some_and(|k| {
                k.policy.statements.iter().any(|s| {
                    s.effect == crate::policy::Effect::Allow
                        && s.principal.as_ref().is_some_and(|p| {
                            p.entries.iter().any(|e| {
                                matches!(e, crate::policy::model::PrincipalEntry::Account(a) if a == account)
                            })
                        })
                })
            });
            // AWS words a same-account KMS denial "no resource-based policy allows" even when
            // the key policy delegates to the account and an IAM policy is what is missing.
            if same_account && delegates {
                if let Some(p) = &principal {
                    out.push(identity(p));
                }
            }
            out.push(Edit::AddStatement {
                target: PolicyTarget::Key {
                    key: resource.to_string(),
                },
                statement: statement("IamsimFix", "Allow", Some(who.clone()), action, "*"),
            });
            if let Some(p) = &principal {
                out.push(Edit::AddGrant {
                    key: resource.to_string(),
                    grant: json!({"id": "iamsim-fix", "grantee": p, "operations": [grant_operation(action)]}),
                });
            }
            out.extend(replica_keys(world, step));
        }
        PolicyType::Trust => {
            let principal = match caller.map(|c| &c.kind) {
                Some(
                    CallerKind::WebIdentity { provider, .. } | CallerKind::Saml { provider, .. },
                ) => {
                    json!({"Federated": provider})
                }
                _ => who.clone(),
            };
            out.push(Edit::AddStatement {
                target: PolicyTarget::Trust {
                    role: resource.to_string(),
                },
                statement: json!({"Sid": "IamsimFix", "Effect": "Allow", "Principal": principal, "Action": action}),
            });
        }
        PolicyType::Scp => {
            // An Allow in every SCP the caller's account path holds: the level that allows
            // nothing gets one; the others already allow.
            if let Some(placement) = caller
                .and_then(|c| c.account.as_deref())
                .and_then(|a| world.placement(a))
            {
                for level in &placement.scps {
                    if let Some(p) = level.policies.first() {
                        out.push(Edit::AddStatement {
                            target: PolicyTarget::Organization {
                                kind: "SCP",
                                policy: p.name.to_string(),
                            },
                            statement: statement("IamsimFix", "Allow", None, action, "*"),
                        });
                    }
                }
            }
        }
        PolicyType::Endpoint => {
            if let Some(e) = &check.vpc_endpoint {
                out.push(Edit::AddStatement {
                    target: PolicyTarget::Endpoint { id: e.clone() },
                    statement: statement("IamsimFix", "Allow", Some(json!("*")), action, resource),
                });
            }
        }
        PolicyType::Bucket | PolicyType::Resource | PolicyType::Rcp => {
            let target = if resource.contains(":accesspoint/") {
                let ap = resource.split("/object/").next().unwrap_or(resource);
                PolicyTarget::AccessPoint {
                    arn: ap.to_string(),
                }
            } else if let Some(path) = resource.strip_prefix("arn:aws:s3:::") {
                let bucket = path.split('/').next().unwrap_or_default();
                PolicyTarget::Bucket {
                    bucket: bucket.to_string(),
                }
            } else {
                PolicyTarget::Resource {
                    arn: resource.to_string(),
                }
            };
            out.push(Edit::AddStatement {
                target,
                statement: statement("IamsimFix", "Allow", Some(who), action, resource),
            });
            // Across accounts the caller's own side may be missing too: the search adds it
            // once the resource's side allows.
        }
    }
    out
}

/// For a replica's key refused by KMS: the replication rule that chose the key could choose a
/// key of the destination's own account.
fn replica_keys(world: &World, step: &crate::services::Step) -> Vec<Edit> {
    if step.kind != StepKind::KmsDecrypt {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, bucket) in &world.buckets {
        let Some(replication) = &bucket.replication else {
            continue;
        };
        for (i, rule) in replication.rules.iter().enumerate() {
            if rule.replica_kms_key.as_deref() != Some(&*step.resource) {
                continue;
            }
            let destination = rule
                .destination_bucket
                .trim_start_matches("arn:aws:s3:::")
                .to_string();
            let Some(dest) = world.bucket(&destination) else {
                continue;
            };
            for key in world.keys.values().filter(|k| {
                k.account == dest.account
                    && k.region == dest.region
                    && k.manager == crate::world::KeyManager::Customer
                    && *k.arn != *step.resource
            }) {
                out.push(Edit::SetReplicaKey {
                    bucket: name.clone(),
                    rule: i,
                    key: key.arn.to_string(),
                });
            }
        }
    }
    out
}

/// An allowed check that should be denied: deny it in the policy that allowed it, or drop the
/// allowing statement.
fn tighten(t: &Trial, check: &Check) -> Vec<Edit> {
    let world = &t.scenario.world;
    let mut out = Vec::new();
    let mut later = Vec::new();
    let step = t
        .outcome
        .steps
        .iter()
        .find(|s| !s.outcome.statements().is_empty());
    for r in t.outcome.decided_by() {
        let Some(target) = target_of(world, check, r, &t.doc) else {
            continue;
        };
        if let Some(step) = step {
            let principal = check
                .caller
                .as_deref()
                .and_then(|c| principal_arn(world, c))
                .map(|p| json!({"AWS": p}));
            let takes_principal = r.policy_type.takes_principal();
            out.push(Edit::AddStatement {
                target: target.clone(),
                statement: statement(
                    "IamsimDeny",
                    "Deny",
                    if takes_principal { principal } else { None },
                    &step.action,
                    &step.resource,
                ),
            });
        }
        later.push(Edit::RemoveStatement {
            target,
            index: r.index,
            label: r.label(),
        });
    }
    out.extend(later);
    out
}

/// A verified plan with its side effects on the other requests of the world.
fn suggestion(
    start: &Trial,
    end: &Trial,
    edits: Vec<Edit>,
    goal: Goal,
    index: usize,
) -> Suggestion {
    let answer = one_line(&start_result(end, index));
    let reaches_goal = reached(&end.outcome, goal);
    let (before, after) = (&start.scenario.world, &end.scenario.world);
    let matrix = Matrix::of(before, after);
    let (effects, measured_on): (Vec<String>, &'static str) = if matrix.requests.len()
        <= MATRIX_LIMIT
    {
        let diff = matrix.compare(before, after, &AtomicUsize::new(0));
        let effects = diff
            .flips
            .iter()
            .filter(|f| f.after.allowed == (goal == Goal::Allow))
            .map(|f| format!("{} {} on {}", f.principal, f.action, f.resource))
            .collect();
        (effects, "the request matrix")
    } else {
        let b = run_checks(before, &start.scenario.checks, false);
        let a = run_checks(after, &end.scenario.checks, false);
        let effects = b
            .iter()
            .zip(&a)
            .enumerate()
            .filter(|(i, (x, y))| {
                *i != index && x.allowed() != y.allowed() && y.allowed() == (goal == Goal::Allow)
            })
            .map(|(_, (_, y))| format!("check {:?}", y.name))
            .collect();
        (effects, "the scenario's checks")
    };
    Suggestion {
        edits,
        answer,
        reaches_goal,
        side_effect_count: effects.len(),
        side_effects: effects.into_iter().take(LISTED).collect(),
        measured_on,
    }
}
