//! Running a scenario's checks in order: each check becomes a request of the services layer,
//! whose outcome, compared with the check's expectation, is the check's result.

use std::collections::BTreeSet;

use rayon::prelude::*;

use super::{Check, CheckKind, Expectation, Scenario};
use crate::engine::{Caller, CallerKind};
use crate::services::messages::where_the_fix_belongs;
use crate::services::{
    assume_role_with, authorize_with, call_with, AssumeRoleRequest, Authorization, CallOutcome,
    CallRequest, RequestOptions,
};
use crate::world::{ContextCache, World};

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
    pub outcome: CallOutcome,
    pub expectation: ExpectationStatus,
    /// Where the fix belongs, when AWS's wording of the denial points elsewhere.
    pub advice: Option<String>,
}

impl CheckResult {
    pub fn allowed(&self) -> bool {
        self.outcome.is_allowed()
    }
}

/// Runs every check of a scenario in order. With `explain`, each step keeps every statement's
/// evaluation.
pub fn run_scenario(scenario: &Scenario, explain: bool) -> Vec<CheckResult> {
    run_checks(&scenario.world, &scenario.checks, explain)
}

/// Runs checks against a world. Calls that succeed change a working copy of the world (an
/// upload stores its object), so later checks see their effects. Raw checks change nothing, so
/// a long run of them is shared among the machine's cores.
pub fn run_checks(world: &World, checks: &[Check], explain: bool) -> Vec<CheckResult> {
    let mut results = Vec::with_capacity(checks.len());
    run_batches(world, checks, explain, usize::MAX, |batch| {
        results.extend(batch)
    });
    results
}

/// [`run_checks`], handing the results to `sink` in order, at most `batch` at a time, so that a
/// long run never holds all its results: a report writes each batch and lets it go.
pub fn run_batches(
    world: &World,
    checks: &[Check],
    explain: bool,
    batch: usize,
    sink: impl FnMut(Vec<CheckResult>),
) {
    run_mapped(world, checks, explain, batch, |results| results, sink);
}

/// [`run_batches`], with each batch of results turned by `map` into what `sink` receives, on
/// the thread that decided them (a report's text, say). Results made and freed on one thread
/// cost less than results handed to another, and the threads share the mapping.
pub fn run_mapped<T: Send>(
    world: &World,
    checks: &[Check],
    explain: bool,
    batch: usize,
    map: impl Fn(Vec<CheckResult>) -> T + Sync,
    mut sink: impl FnMut(T),
) {
    let batch = batch.max(1);
    let mut working: Option<World> = None;
    let mut cache = ContextCache::default();
    let mut pending: Vec<CheckResult> = Vec::new();
    let mut at = 0;
    while at < checks.len() {
        if checks[at].kind.changes_world() {
            let w = working.get_or_insert_with(|| world.clone());
            pending.push(call_check(w, &checks[at], explain, &mut cache));
            if pending.len() >= batch {
                sink(map(std::mem::take(&mut pending)));
            }
            at += 1;
            continue;
        }
        let end = checks[at..]
            .iter()
            .position(|c| c.kind.changes_world())
            .map_or(checks.len(), |p| at + p);
        let now = working.as_ref().unwrap_or(world);
        for part in checks[at..end].chunks(batch) {
            // Short runs between calls join the calls' results; long ones go in parts.
            if part.len() < PARALLEL_THRESHOLD && pending.len() + part.len() <= batch {
                pending.extend(part.iter().map(|c| raw_check(now, c, explain, &mut cache)));
                continue;
            }
            if !pending.is_empty() {
                sink(map(std::mem::take(&mut pending)));
            }
            raw_checks(now, part, explain, &map, &mut sink);
        }
        at = end;
    }
    if !pending.is_empty() {
        sink(map(pending));
    }
}

/// The check at `index` of a run of `checks`, with its trace, as [`run_checks`] with `explain`
/// would decide it. `None` when there is no such check. See [`Replay`] to ask for many.
pub fn explain_check(world: &World, checks: &[Check], index: usize) -> Option<CheckResult> {
    Replay::default().explain(world, checks, index)
}

/// Checks of one run decided again one at a time, each with its trace, as [`run_checks`] with
/// `explain` would decide it: the calls before a check run first (without traces), so that it
/// meets the world they left, and the raw checks before it, which change nothing, are passed
/// over. The world the calls leave is kept between questions, so that asking for the checks in
/// order replays each call once; asking for an earlier one starts again. Ask with the same
/// world and checks each time.
#[derive(Default)]
pub struct Replay {
    /// The world the calls before `next` left; `None` while it is the scenario's own.
    working: Option<World>,
    /// The first check whose call has not been replayed.
    next: usize,
    cache: ContextCache,
}

impl Replay {
    /// Check `index` of `checks` over `world`, with its trace.
    pub fn explain(
        &mut self,
        world: &World,
        checks: &[Check],
        index: usize,
    ) -> Option<CheckResult> {
        let check = checks.get(index)?;
        if index < self.next {
            *self = Replay::default();
        }
        for earlier in checks[self.next..index]
            .iter()
            .filter(|c| c.kind.changes_world())
        {
            let w = self.working.get_or_insert_with(|| world.clone());
            call_check(w, earlier, false, &mut self.cache);
        }
        self.next = index;
        Some(if check.kind.changes_world() {
            self.next = index + 1;
            let w = self.working.get_or_insert_with(|| world.clone());
            call_check(w, check, true, &mut self.cache)
        } else {
            raw_check(
                self.working.as_ref().unwrap_or(world),
                check,
                true,
                &mut self.cache,
            )
        })
    }
}

/// Fewer raw checks than this run on one thread: starting threads would cost more.
const PARALLEL_THRESHOLD: usize = 512;

/// Decides raw checks, shared among the machine's cores, and hands each part's mapped results
/// to `sink` in order.
fn raw_checks<T: Send>(
    world: &World,
    checks: &[Check],
    explain: bool,
    map: &(impl Fn(Vec<CheckResult>) -> T + Sync),
    sink: &mut impl FnMut(T),
) {
    let run = |part: &[Check]| {
        let mut cache = ContextCache::default();
        let results = part
            .iter()
            .map(|c| raw_check(world, c, explain, &mut cache))
            .collect::<Vec<_>>();
        map(results)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || checks.len() < PARALLEL_THRESHOLD {
        sink(run(checks));
        return;
    }
    // The parts run on rayon's threads, which stay ready between batches: a thread started
    // for each batch may wait a millisecond or more for a core to take it.
    let parts: Vec<T> = checks
        .par_chunks(checks.len().div_ceil(threads))
        .map(run)
        .collect();
    parts.into_iter().for_each(sink);
}

/// The caller of a request that names no principal.
static ANONYMOUS: Caller = Caller {
    kind: CallerKind::Anonymous,
    arn: None,
    account: None,
    has_boundary: false,
};

fn options(check: &Check, explain: bool) -> RequestOptions<'_> {
    RequestOptions {
        context: &check.context,
        vpc_endpoint: check.vpc_endpoint.as_deref(),
        session_policy: check.session_policy.as_deref(),
        explain,
    }
}

fn raw_check(world: &World, check: &Check, explain: bool, cache: &mut ContextCache) -> CheckResult {
    let CheckKind::Raw {
        action,
        resource,
        resource_account,
    } = &check.kind
    else {
        // The runner hands calls the working world in order; a call met here still runs, on a
        // copy whose changes no later check sees.
        return call_check(&mut world.clone(), check, explain, cache);
    };
    let request = Authorization {
        caller: check.caller.as_deref().unwrap_or(&ANONYMOUS),
        action,
        resource,
        resource_account: resource_account.as_deref(),
        options: options(check, explain),
    };
    result(world, check, authorize_with(world, &request, cache))
}

fn call_check(
    world: &mut World,
    check: &Check,
    explain: bool,
    cache: &mut ContextCache,
) -> CheckResult {
    let options = options(check, explain);
    let outcome = match &check.kind {
        CheckKind::Call {
            call,
            bucket,
            key,
            headers,
            version_id,
        } => {
            let request = CallRequest {
                call: *call,
                caller: check.caller.as_deref(),
                bucket,
                key,
                headers,
                version_id: version_id.as_deref(),
                options,
            };
            call_with(world, &request, cache)
        }
        CheckKind::AssumeRole {
            call,
            role,
            parameters,
        } => {
            let request = AssumeRoleRequest {
                call: *call,
                caller: check.caller.as_deref().unwrap_or(&ANONYMOUS),
                role,
                parameters,
                options,
            };
            assume_role_with(world, &request, cache)
        }
        // A raw check changes nothing, so it may run on the working world too.
        CheckKind::Raw { .. } => return raw_check(world, check, explain, cache),
    };
    result(world, check, outcome)
}

fn result(world: &World, check: &Check, outcome: CallOutcome) -> CheckResult {
    let expectation = match &check.expect {
        Some(e) => compare(e, &outcome),
        None => ExpectationStatus::None,
    };
    let advice = if outcome.is_allowed() {
        None
    } else {
        where_the_fix_belongs(world, check.caller.as_deref(), &outcome)
    };
    CheckResult {
        name: check.name.clone(),
        line: check.line,
        outcome,
        expectation,
        advice,
    }
}

/// Compares an outcome with an expectation, field by field.
fn compare(e: &Expectation, r: &CallOutcome) -> ExpectationStatus {
    let mut unmet = Vec::new();
    let word = |b: bool| if b { "allowed" } else { "denied" };
    let allowed = r.is_allowed();
    if let Some(a) = e.allowed {
        if a != allowed {
            unmet.push(format!("expected {}, got {}", word(a), word(allowed)));
        }
    }
    let denial = r.denial();
    if let Some(d) = e.denial {
        if denial.map(|x| x.outcome()) != Some(d) {
            let name = |o: crate::engine::Outcome| o.denial_name().unwrap_or("no");
            unmet.push(format!(
                "expected an {} denial, got {}",
                name(d),
                denial.map_or("no denial".to_string(), |x| format!(
                    "an {} denial",
                    name(x.outcome())
                ))
            ));
        }
    }
    if let Some(layer) = e.layer {
        let got = denial.map(|d| d.layer());
        if !got.is_some_and(|l| layer.matches(l)) {
            unmet.push(format!(
                "expected a denial in the {layer} layer, got {}",
                got.map_or("no denial".to_string(), |l| format!(
                    "the {} layer ({})",
                    l.layer_name(),
                    l.aws_name()
                ))
            ));
        }
    }
    if let Some(want) = &e.decided_by {
        let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        let got_labels: Vec<String> = r.decided_by().iter().map(|r| r.label()).collect();
        let got: BTreeSet<&str> = got_labels.iter().map(String::as_str).collect();
        if want != got {
            unmet.push(format!("expected decided_by {want:?}, got {got:?}"));
        }
    }
    if let Some(step) = &e.failed_step {
        let got = r.failed_step().map(|s| &*s.action);
        if got != Some(step.as_str()) {
            unmet.push(format!(
                "expected the failed step {step}, got {}",
                got.unwrap_or("none")
            ));
        }
    }
    if let Some(code) = e.error {
        let got = r.error().map(|e| e.code);
        if got != Some(code) {
            unmet.push(format!(
                "expected error {code}, got {}",
                got.map_or("none", |c| c.as_str())
            ));
        }
    }
    if let Some(m) = &e.message {
        if r.message() != Some(m.as_str()) {
            unmet.push(format!(
                "expected message {m:?}, got {}",
                r.message().map_or("none".to_string(), |x| format!("{x:?}"))
            ));
        }
    }
    if unmet.is_empty() {
        ExpectationStatus::Met
    } else {
        ExpectationStatus::Unmet(unmet)
    }
}
