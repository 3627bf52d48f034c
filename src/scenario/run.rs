//! Running a scenario's checks in order: each check becomes one or more authorization steps,
//! whose decisions make the check's result, compared with its expectation.

use std::collections::BTreeSet;

use super::*;
use crate::engine::{
    authorize, Caller, Context, Decision, NoTrace, Outcome, Request, StatementRef, Trace,
};
use crate::policy::PolicyType;
use crate::report::messages::{denial_message, KMS_DECRYPT_DENIED};
use crate::world::World;

/// What the client of the API receives when a call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// `AccessDenied`, `KMS.DisabledException`, ...
    pub code: String,
    pub message: String,
}

/// One authorization (or one check AWS makes before authorizing) within a check.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// What the step is, in a few words ("S3 authorizes the upload").
    pub title: String,
    pub action: String,
    pub resource: String,
    /// The caller of this step, as AWS names it.
    pub caller: std::sync::Arc<str>,
    pub allowed: bool,
    pub denial: Option<Denial>,
    pub decided_by: Vec<StatementRef>,
    /// The policy type a denial names.
    pub denied_by: Option<PolicyType>,
    /// The AWS-style record of a denial (the text CloudTrail or the service would show).
    pub message: Option<String>,
    /// A failure that is not a policy decision (disabled key, ...).
    pub error: Option<ClientError>,
    /// The assumptions and derivations this step relied on.
    pub notes: Vec<String>,
    /// The request context the step was evaluated with (kept when a trace was asked for).
    pub context: Option<Context>,
    /// Every statement's evaluation, when a trace was asked for.
    pub trace: Option<Trace>,
    /// A step whose failure does not fail the call (tags that do not replicate).
    pub optional: bool,
}

/// Whether a check's expectation held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectationStatus {
    Met,
    /// The reasons, one per expectation field that did not hold.
    Unmet(Vec<String>),
    None,
}

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub name: String,
    pub line: usize,
    pub allowed: bool,
    pub denial: Option<Denial>,
    pub decided_by: Vec<StatementRef>,
    pub steps: Vec<StepResult>,
    /// The AWS-style message of the failed step.
    pub message: Option<String>,
    /// What the client gets; `None` when allowed.
    pub error: Option<ClientError>,
    /// The action of the first step that failed.
    pub failed_step: Option<String>,
    /// Notes about the whole call (which key encrypts, what was written).
    pub notes: Vec<String>,
    pub expectation: ExpectationStatus,
}

/// Runs every check of a scenario in order. With `trace`, each step keeps every statement's
/// evaluation.
pub fn run_scenario(scenario: &Scenario, trace: bool) -> Vec<CheckResult> {
    run_checks(&scenario.world, &scenario.checks, trace)
}

/// Runs checks against a world. Calls that succeed change a working copy of the world (an
/// upload stores its object), so later checks see their effects. Raw checks change nothing, so
/// a long run of them is shared among the machine's cores.
pub fn run_checks(world: &World, checks: &[Check], trace: bool) -> Vec<CheckResult> {
    let mut working: Option<World> = None;
    let mut results = Vec::with_capacity(checks.len());
    let mut at = 0;
    while at < checks.len() {
        if let CheckKind::Call { .. } = checks[at].kind {
            let w = working.get_or_insert_with(|| world.clone());
            let mut result = crate::services::run_call(w, &checks[at], trace);
            result.expectation = compare(checks[at].expect.as_ref(), &result);
            results.push(result);
            at += 1;
            continue;
        }
        let end = checks[at..]
            .iter()
            .position(|c| matches!(c.kind, CheckKind::Call { .. }))
            .map_or(checks.len(), |p| at + p);
        results.extend(raw_checks(
            working.as_ref().unwrap_or(world),
            &checks[at..end],
            trace,
        ));
        at = end;
    }
    results
}

/// Fewer raw checks than this run on one thread: starting threads would cost more.
const PARALLEL_THRESHOLD: usize = 512;

fn raw_checks(world: &World, checks: &[Check], trace: bool) -> Vec<CheckResult> {
    let run = |part: &[Check]| {
        let mut cache = crate::world::ContextCache::default();
        part.iter()
            .map(|c| {
                let mut r = raw_check(world, c, trace, &mut cache);
                r.expectation = compare(c.expect.as_ref(), &r);
                r
            })
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || checks.len() < PARALLEL_THRESHOLD {
        return run(checks);
    }
    let size = checks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = checks
            .chunks(size)
            .map(|part| (part, scope.spawn(move || run(part))))
            .collect();
        parts
            .into_iter()
            // A part whose thread failed is run again here, so no result is ever lost.
            .flat_map(|(part, handle)| handle.join().unwrap_or_else(|_| run(part)))
            .collect()
    })
}

/// Notes on how a call was modelled (which key encrypts, what was stored). They serve
/// explanations only, so they are built only when one is wanted.
pub(crate) struct Notes {
    enabled: bool,
    pub items: Vec<String>,
}

impl Notes {
    pub fn new(enabled: bool) -> Notes {
        Notes {
            enabled,
            items: Vec::new(),
        }
    }

    pub fn add(&mut self, note: impl FnOnce() -> String) {
        if self.enabled {
            self.items.push(note());
        }
    }
}

/// The check's caller: resolved at load time, or now for checks built in code.
pub(crate) fn resolved_caller<'c>(
    world: &World,
    check: &'c Check,
) -> Result<std::borrow::Cow<'c, Caller>, String> {
    match &check.caller {
        Some(c) => Ok(std::borrow::Cow::Borrowed(c)),
        None => world
            .caller(check.principal.as_deref().unwrap_or("anonymous"))
            .map(std::borrow::Cow::Owned),
    }
}

/// Applies a check's context values over the defaults.
pub(crate) fn apply_overrides(ctx: &mut Context, overrides: &[(String, ContextOverride)]) {
    for (k, v) in overrides {
        match v {
            ContextOverride::Single(s) => ctx.set(k.clone(), s.as_str()),
            ContextOverride::Multi(m) => ctx.set_multi(k.clone(), m.clone()),
            ContextOverride::Remove => ctx.remove(k),
        }
    }
}

/// Applies a check's context values, leaving out `skip` (keys a service's own request cannot
/// carry).
pub(crate) fn apply_overrides_except(
    ctx: &mut Context,
    overrides: &[(String, ContextOverride)],
    skip: &[&str],
) {
    for (k, v) in overrides {
        if skip.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            continue;
        }
        match v {
            ContextOverride::Single(s) => ctx.set(k.clone(), s.as_str()),
            ContextOverride::Multi(m) => ctx.set_multi(k.clone(), m.clone()),
            ContextOverride::Remove => ctx.remove(k),
        }
    }
}

/// `kms:GrantIsForAWSResource` is true when an AWS service asks for the grant operation on the
/// caller's behalf, which a request shows by carrying `kms:ViaService`; a check may still set it.
/// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
fn grant_for_aws_resource(
    ctx: &mut Context,
    action: &str,
    overrides: &[(String, ContextOverride)],
) {
    let grant_operation = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action));
    let given = overrides
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("kms:GrantIsForAWSResource"));
    if grant_operation && !given {
        let via_service = ctx.get("kms:ViaService").is_some();
        ctx.set(
            "kms:GrantIsForAWSResource",
            if via_service { "true" } else { "false" },
        );
    }
}

/// Everything one authorization step needs.
pub(crate) struct StepInput<'a> {
    /// The step's title, built only when explaining.
    pub title: &'a dyn Fn() -> String,
    pub caller: &'a Caller,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_account: Option<&'a str>,
    pub context: Context,
    pub session_policy: Option<&'a crate::policy::Policy>,
    pub endpoint: Option<&'a crate::world::Endpoint>,
    pub notes: Vec<String>,
}

/// A step that is a refusal rather than a policy decision (a 400, a key KMS does not have):
/// it carries the error the client gets.
pub(crate) fn rejection(
    title: &str,
    action: &str,
    resource: &str,
    caller: &Caller,
    error: ClientError,
) -> StepResult {
    StepResult {
        title: title.to_string(),
        action: action.to_string(),
        resource: resource.to_string(),
        caller: caller.display_arn(),
        allowed: true,
        denial: None,
        decided_by: Vec::new(),
        denied_by: None,
        message: Some(error.message.clone()),
        error: Some(error),
        notes: Vec::new(),
        context: None,
        trace: None,
        optional: false,
    }
}

/// Evaluates one authorization step against the world.
pub(crate) fn authorize_step(world: &World, input: StepInput<'_>, trace: bool) -> StepResult {
    let side = world.resource_side(
        input.caller,
        input.action,
        input.resource,
        input.resource_account,
    );
    let set = world.policy_set(
        input.caller,
        input.action,
        &side,
        input.session_policy,
        input.endpoint,
    );
    let request = Request {
        caller: input.caller,
        action: input.action,
        resource: input.resource,
        resource_account: side.account,
        context: &input.context,
    };
    let (decision, kept) = if trace {
        let mut t = Trace::default();
        let d = authorize(&request, &set, &mut t);
        (d, Some(t))
    } else {
        (authorize(&request, &set, &mut NoTrace), None)
    };
    let mut notes = input.notes;
    notes.extend(side.notes.iter().cloned());
    if set.scps.is_none() && input.caller.is_iam_principal() && trace {
        if let Some(account) = &input.caller.account {
            if world
                .organization
                .as_ref()
                .is_some_and(|o| o.management_account.as_deref() == Some(account))
            {
                notes.push(format!(
                    "SCPs do not apply: {account} is the organization's management account"
                ));
            }
        }
    }
    step_from_decision(
        if trace {
            (input.title)()
        } else {
            String::new()
        },
        input.caller,
        input.action,
        input.resource,
        decision,
        input.context,
        notes,
        kept,
    )
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn step_from_decision(
    title: String,
    caller: &Caller,
    action: &str,
    resource: &str,
    decision: Decision,
    context: Context,
    notes: Vec<String>,
    trace: Option<Trace>,
) -> StepResult {
    let message = denial_message(caller, action, resource, &decision);
    let denial = match decision.outcome {
        Outcome::Allowed => None,
        Outcome::ExplicitDeny => Some(Denial::Explicit),
        Outcome::ImplicitDeny => Some(Denial::Implicit),
    };
    StepResult {
        title,
        action: action.to_string(),
        resource: resource.to_string(),
        caller: caller.display_arn(),
        allowed: decision.is_allowed(),
        denial,
        decided_by: decision.decided_by,
        denied_by: decision.denied_by,
        message,
        error: None,
        notes,
        context: trace.is_some().then_some(context),
        trace,
        optional: false,
    }
}

fn raw_check(
    world: &World,
    check: &Check,
    trace: bool,
    cache: &mut crate::world::ContextCache,
) -> CheckResult {
    let CheckKind::Raw {
        action,
        resource,
        resource_account,
    } = &check.kind
    else {
        unreachable!("raw_check is only called for raw checks")
    };
    // The loader has verified the principal.
    let caller = match resolved_caller(world, check) {
        Ok(c) => c,
        Err(e) => return failed_to_run(check, e),
    };
    let endpoint = check
        .vpc_endpoint
        .as_deref()
        .and_then(|e| world.endpoint(e));
    let side = world.resource_side(&caller, action, resource, resource_account.as_deref());
    let mut context = cache.context(
        world,
        &caller,
        action,
        resource,
        side.account,
        endpoint,
        None,
    );
    apply_overrides(&mut context, &check.context);
    grant_for_aws_resource(&mut context, action, &check.context);
    let step = authorize_step(
        world,
        StepInput {
            title: &|| format!("{action} on {resource}"),
            caller: &caller,
            action,
            resource,
            resource_account: resource_account.as_deref(),
            context,
            session_policy: check.session_policy.as_deref(),
            endpoint,
            notes: Vec::new(),
        },
        trace,
    );
    let error = (!step.allowed).then(|| client_error_for(world, &caller, &step, side.account));
    finish(check, vec![step], error, Vec::new())
}

/// What a client receives for a refused step of a raw check.
fn client_error_for(
    world: &World,
    caller: &Caller,
    step: &StepResult,
    resource_account: Option<&str>,
) -> ClientError {
    let service = step
        .action
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let message = step.message.clone().unwrap_or_default();
    match service.as_str() {
        "s3" => ClientError {
            code: "AccessDenied".to_string(),
            message: s3_denied_message(world, caller, resource_account, &message),
        },
        "kms" if step.action.eq_ignore_ascii_case("kms:Decrypt") => ClientError {
            code: "AccessDeniedException".to_string(),
            message: KMS_DECRYPT_DENIED.to_string(),
        },
        "kms" => ClientError {
            code: "AccessDeniedException".to_string(),
            message,
        },
        _ => ClientError {
            code: "AccessDenied".to_string(),
            message,
        },
    }
}

/// S3 returns the detailed message only to callers in the bucket owner's account or
/// organization; everyone else reads "Access Denied".
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
pub(crate) fn s3_denied_message(
    world: &World,
    caller: &Caller,
    bucket_account: Option<&str>,
    detailed: &str,
) -> String {
    let same_account = caller.account.is_some() && caller.account.as_deref() == bucket_account;
    let same_org = match (&world.organization, &caller.account, bucket_account) {
        (Some(org), Some(a), Some(b)) => {
            let member = |x: &str| org.accounts.contains_key(x);
            member(a) && member(b)
        }
        _ => false,
    };
    if caller.is_iam_principal() && (same_account || same_org) {
        detailed.to_string()
    } else {
        "Access Denied".to_string()
    }
}

/// Assembles a check's result from its steps: allowed when every step allowed; otherwise the
/// first failed step decides.
pub(crate) fn finish(
    check: &Check,
    steps: Vec<StepResult>,
    error: Option<ClientError>,
    notes: Vec<String>,
) -> CheckResult {
    let failed = steps
        .iter()
        .find(|s| !s.optional && (!s.allowed || s.error.is_some()));
    let allowed = failed.is_none() && error.is_none();
    let failed_error = failed.and_then(|s| s.error.clone());
    let (denial, decided_by, message, failed_step) = match failed {
        Some(s) => (
            s.denial,
            s.decided_by.clone(),
            s.message.clone(),
            Some(s.action.clone()),
        ),
        None => {
            let mut by: Vec<StatementRef> = Vec::new();
            for s in &steps {
                for r in &s.decided_by {
                    if !by.contains(r) {
                        by.push(r.clone());
                    }
                }
            }
            (None, by, None, None)
        }
    };
    CheckResult {
        name: check.name.clone(),
        line: check.line,
        allowed,
        denial,
        decided_by,
        steps,
        message,
        error: if allowed {
            None
        } else {
            error.or(failed_error)
        },
        failed_step,
        notes,
        expectation: ExpectationStatus::None,
    }
}

/// A check that could not be evaluated at all (a principal the world cannot resolve).
pub(crate) fn failed_to_run(check: &Check, why: String) -> CheckResult {
    CheckResult {
        name: check.name.clone(),
        line: check.line,
        allowed: false,
        denial: None,
        decided_by: Vec::new(),
        steps: Vec::new(),
        message: Some(why.clone()),
        error: Some(ClientError {
            code: "InvalidCheck".to_string(),
            message: why,
        }),
        failed_step: None,
        notes: Vec::new(),
        expectation: ExpectationStatus::None,
    }
}

fn compare(expect: Option<&Expectation>, r: &CheckResult) -> ExpectationStatus {
    let Some(e) = expect else {
        return ExpectationStatus::None;
    };
    let mut unmet = Vec::new();
    let word = |b: bool| if b { "allowed" } else { "denied" };
    if let Some(a) = e.allowed {
        if a != r.allowed {
            unmet.push(format!("expected {}, got {}", word(a), word(r.allowed)));
        }
    }
    if let Some(d) = e.denial {
        if r.denial != Some(d) {
            unmet.push(format!(
                "expected an {} denial, got {}",
                d.name(),
                r.denial.map_or("no denial".to_string(), |x| format!(
                    "an {} denial",
                    x.name()
                ))
            ));
        }
    }
    if let Some(want) = &e.decided_by {
        let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        let got_labels: Vec<String> = r.decided_by.iter().map(StatementRef::label).collect();
        let got: BTreeSet<&str> = got_labels.iter().map(String::as_str).collect();
        if want != got {
            unmet.push(format!("expected decided_by {want:?}, got {got:?}"));
        }
    }
    if let Some(step) = &e.failed_step {
        if r.failed_step.as_deref() != Some(step.as_str()) {
            unmet.push(format!(
                "expected the failed step {step}, got {}",
                r.failed_step.as_deref().unwrap_or("none")
            ));
        }
    }
    if let Some(code) = &e.error {
        let got = r.error.as_ref().map(|e| e.code.as_str());
        if got != Some(code.as_str()) {
            unmet.push(format!(
                "expected error {code}, got {}",
                got.unwrap_or("none")
            ));
        }
    }
    if let Some(m) = &e.message {
        if r.message.as_deref() != Some(m.as_str()) {
            unmet.push(format!(
                "expected message {m:?}, got {}",
                r.message
                    .as_ref()
                    .map_or("none".to_string(), |x| format!("{x:?}"))
            ));
        }
    }
    if unmet.is_empty() {
        ExpectationStatus::Met
    } else {
        ExpectationStatus::Unmet(unmet)
    }
}
