//! One check's details: the answer in AWS's terms, the flow of its steps, and within each step
//! the policy layers in AWS's evaluation order with every statement, its conditions and its
//! JSON.

use std::fmt::Write as _;

use super::source::Quotes;
use super::{flow, Esc};
use crate::engine::decision::{ConditionTrace, ElementTrace, StatementTrace};
use crate::engine::{Denial, StatementRef, Trace};
use crate::policy::PolicyType;
use crate::report::text::{describe_ref, missing_key_rule, outcome, statement_title};
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::Step;

/// Which statements a change touched (for a diff's two sides).
pub(super) trait Changes {
    fn changed(&self, r: &StatementRef) -> bool;
}

/// No statement changed: the reports of one scenario.
pub(super) struct NoChanges;

impl Changes for NoChanges {
    fn changed(&self, _: &StatementRef) -> bool {
        false
    }
}

/// The layers of AWS's evaluation, in the order its policy evaluation logic states them, after
/// the explicit-deny stage that covers them all.
const LAYERS: [(&str, &[PolicyType]); 7] = [
    (
        "Resource control policies (AWS Organizations)",
        &[PolicyType::Rcp],
    ),
    (
        "Service control policies (AWS Organizations)",
        &[PolicyType::Scp],
    ),
    ("VPC endpoint policies", &[PolicyType::Endpoint]),
    (
        "Resource-based policies",
        &[
            PolicyType::Bucket,
            PolicyType::Key,
            PolicyType::Trust,
            PolicyType::Resource,
        ],
    ),
    ("Identity-based policies", &[PolicyType::Identity]),
    ("Permissions boundaries", &[PolicyType::PermissionsBoundary]),
    ("Session policies", &[PolicyType::Session]),
];

/// Everything about one check, for the element `id` (anchors of its steps build on it).
pub(super) fn check_details(
    out: &mut String,
    c: &CheckResult,
    id: &str,
    quotes: &Quotes<'_>,
    changes: &dyn Changes,
) {
    let o = &c.outcome;
    let (class, word) = super::result_badge(c);
    write!(
        out,
        "<p class=\"verdict\"><span class=\"badge {class}\">{}</span> {}</p>\n<dl class=\"answer\">",
        Esc(&word),
        Esc(&outcome(c))
    )
    .ok();
    if let Some(e) = o.error() {
        write!(
            out,
            "<dt>The client sees</dt><dd><code>{}</code>: {}</dd>",
            Esc(e.code.as_str()),
            Esc(&e.message)
        )
        .ok();
    }
    if let Some(m) = o.message() {
        if o.error().is_none_or(|e| e.message != m) {
            write!(
                out,
                "<dt>AWS records</dt><dd class=\"message\">{}</dd>",
                Esc(m)
            )
            .ok();
        }
    }
    let failing = o
        .failed_step()
        .and_then(|f| o.steps.iter().position(|s| std::ptr::eq(s, f)));
    if let (Some(i), Some(step)) = (failing, o.failed_step()) {
        write!(
            out,
            "<dt>Failing step</dt><dd><a href=\"#{id}-s{}\"><code class=\"failing-action\">{}</code></a></dd>",
            i + 1,
            Esc(&step.action)
        )
        .ok();
    }
    if !o.decided_by().is_empty() {
        out.push_str("<dt>Decided by</dt><dd><ul>");
        for r in o.decided_by() {
            write!(
                out,
                "<li><mark class=\"sid\">{}</mark>: {}</li>",
                Esc(&r.label()),
                Esc(&describe_ref(r))
            )
            .ok();
        }
        out.push_str("</ul></dd>");
    }
    match &c.expectation {
        ExpectationStatus::Met => {
            out.push_str(
                "<dt>Expectation</dt><dd><span class=\"badge met\">\u{2713} met</span></dd>",
            );
        }
        ExpectationStatus::Unmet(reasons) => {
            out.push_str(
                "<dt>Expectation</dt><dd><span class=\"badge unmet\">\u{2717} UNMET</span><ul>",
            );
            for r in reasons {
                write!(out, "<li>{}</li>", Esc(r)).ok();
            }
            out.push_str("</ul></dd>");
        }
        ExpectationStatus::None => {}
    }
    if let Some(advice) = &c.advice {
        write!(
            out,
            "<dt>Where the fix belongs</dt><dd>{}</dd>",
            Esc(advice)
        )
        .ok();
    }
    out.push_str("</dl>\n");
    if !o.notes.is_empty() {
        out.push_str("<h4>How the call was modelled</h4><ul class=\"notes\">");
        for n in &o.notes {
            write!(out, "<li>{}</li>", Esc(n)).ok();
        }
        out.push_str("</ul>\n");
    }
    if !o.steps.is_empty() {
        flow::render(out, o);
    }
    // A step's message is repeated only where the answer above does not already say it.
    let said = [o.message(), o.error().map(|e| e.message.as_str())];
    out.push_str("<ol class=\"steps\">\n");
    for (i, s) in o.steps.iter().enumerate() {
        let place = Place {
            index: i,
            failing: failing == Some(i),
            check: id,
            said: &said,
        };
        step(out, s, &place, quotes, changes);
    }
    out.push_str("</ol>\n");
}

/// Where a step stands in its check's details.
struct Place<'a> {
    index: usize,
    failing: bool,
    /// The check's element id, which the step's own builds on.
    check: &'a str,
    /// The messages the check's answer already shows.
    said: &'a [Option<&'a str>],
}

fn step(out: &mut String, s: &Step, place: &Place<'_>, quotes: &Quotes<'_>, changes: &dyn Changes) {
    let Place {
        index: i,
        failing,
        check: id,
        said,
    } = *place;
    let (class, verdict) = flow::step_verdict(s);
    write!(
        out,
        "<li class=\"step {class}-step{}\" id=\"{id}-s{}\" data-action=\"{}\">\n<h4>Step {}: {} \
         <span class=\"badge {class}\">{}</span>",
        if failing { " failing-step" } else { "" },
        i + 1,
        Esc(&s.action),
        i + 1,
        Esc(if s.title.is_empty() {
            &s.action
        } else {
            &s.title
        }),
        Esc(&verdict)
    )
    .ok();
    if failing {
        out.push_str(" <span class=\"badge failing\">\u{2717} failing step</span>");
    }
    if s.optional {
        out.push_str(" <span class=\"badge none\">optional</span>");
    }
    write!(
        out,
        "</h4>\n<p><code>{}</code> on <code>{}</code> as <code>{}</code></p>\n",
        Esc(&s.action),
        Esc(&s.resource),
        Esc(&s.caller)
    )
    .ok();
    if !s.notes.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for n in &s.notes {
            write!(out, "<li>{}</li>", Esc(n)).ok();
        }
        out.push_str("</ul>\n");
    }
    let derived = flow::derived_keys(s);
    if !derived.is_empty() {
        out.push_str("<p>Context keys S3 set for this KMS request:</p><ul class=\"derived\">");
        for (k, v) in &derived {
            write!(
                out,
                "<li><code>{}</code> = <code>{}</code></li>",
                Esc(k),
                Esc(v)
            )
            .ok();
        }
        out.push_str("</ul>\n");
    }
    if let Some(context) = s.context.as_ref().filter(|c| !c.is_empty()) {
        write!(
            out,
            "<details class=\"context\"><summary>Request context: {} keys</summary>\
             <table class=\"context\"><thead><tr><th scope=\"col\">Key</th>\
             <th scope=\"col\">Value</th></tr></thead><tbody>",
            context.len()
        )
        .ok();
        for (k, v, multi) in context.iter() {
            let value = if multi {
                format!("{v:?}")
            } else {
                v.first().map(|x| x.to_string()).unwrap_or_default()
            };
            write!(out, "<tr><td>{}</td><td>{}</td></tr>", Esc(k), Esc(&value)).ok();
        }
        out.push_str("</tbody></table></details>\n");
    }
    if let Some(trace) = &s.trace {
        layers(out, s, trace, quotes, changes);
    }
    if let Some(m) = s.outcome.message().filter(|m| !said.contains(&Some(*m))) {
        writeln!(
            out,
            "<p><strong>AWS records:</strong> <span class=\"message\">{}</span></p>",
            Esc(m)
        )
        .ok();
    }
    if let Some(e) = s
        .outcome
        .error()
        .filter(|e| !said.contains(&Some(e.message.as_str())))
    {
        writeln!(
            out,
            "<p><strong>The caller receives:</strong> <code>{}</code>: {}</p>",
            Esc(e.code.as_str()),
            Esc(&e.message)
        )
        .ok();
    }
    out.push_str("</li>\n");
}

/// The explicit-deny stage, then each layer that has statements (or that a denial names as
/// missing), each policy with its statements.
fn layers(out: &mut String, s: &Step, trace: &Trace, quotes: &Quotes<'_>, changes: &dyn Changes) {
    let deciding = s.outcome.statements();
    let missing = match s.outcome.denial() {
        Some(Denial::Implicit { missing }) => Some(*missing),
        _ => None,
    };
    write!(
        out,
        "<section class=\"layer\"><h5>Explicit deny: every policy's Deny statements</h5>"
    )
    .ok();
    let denies: Vec<&StatementTrace> = trace
        .statements
        .iter()
        .filter(|t| t.applies && t.statement.effect == crate::policy::Effect::Deny)
        .collect();
    if denies.is_empty() {
        out.push_str("<p>No Deny statement applies: the evaluation goes on.</p>");
    } else {
        out.push_str("<ul>");
        for t in denies {
            write!(
                out,
                "<li><span class=\"badge denied\">\u{2717} denies</span> {}</li>",
                Esc(&describe_ref(&t.statement))
            )
            .ok();
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
    for (title, types) in LAYERS {
        let statements: Vec<&StatementTrace> = trace
            .statements
            .iter()
            .filter(|t| types.contains(&t.statement.policy_type))
            .collect();
        let names_missing = missing.is_some_and(|m| types.contains(&m));
        if statements.is_empty() && !names_missing {
            continue;
        }
        write!(out, "<section class=\"layer\"><h5>{}</h5>", Esc(title)).ok();
        if let Some(m) = missing.filter(|_| names_missing) {
            write!(
                out,
                "<p class=\"missing\"><span class=\"badge denied\">\u{2717} missing</span> \
                 No statement here allows <code>{}</code>: AWS's message names the {}.</p>",
                Esc(&s.action),
                m.aws_name()
            )
            .ok();
        }
        let mut policy: Option<&str> = None;
        for t in statements {
            if policy != Some(&*t.statement.policy) {
                policy = Some(&*t.statement.policy);
                write!(out, "<h6>{}</h6>", Esc(&t.statement.policy)).ok();
            }
            statement(out, t, deciding.contains(&t.statement), quotes, changes);
        }
        out.push_str("</section>\n");
    }
    if !trace.notes.is_empty() {
        out.push_str("<h5>Reasoning</h5><ul class=\"notes\">");
        for n in &trace.notes {
            write!(out, "<li>{}</li>", Esc(n)).ok();
        }
        out.push_str("</ul>\n");
    }
}

fn element(out: &mut String, name: &str, e: &ElementTrace) {
    let (class, mark) = if e.matched {
        ("yes", "\u{2713} yes")
    } else {
        ("no", "\u{2717} no")
    };
    write!(
        out,
        "<li class=\"{class}\"><strong>{mark}</strong> {name}: {}</li>",
        Esc(&e.detail)
    )
    .ok();
}

fn statement(
    out: &mut String,
    t: &StatementTrace,
    deciding: bool,
    quotes: &Quotes<'_>,
    changes: &dyn Changes,
) {
    let r = &t.statement;
    let changed = changes.changed(r);
    write!(
        out,
        "<article class=\"statement{}{}{}\" data-sid=\"{}\"><p class=\"head\"><strong>{}</strong> ",
        if t.applies { " applies" } else { "" },
        if deciding { " deciding" } else { "" },
        if changed { " changed" } else { "" },
        Esc(r.sid.as_deref().unwrap_or("")),
        Esc(&if r.grant {
            format!("{} (KMS grant)", r.policy)
        } else {
            statement_title(r)
        })
    )
    .ok();
    if t.applies {
        out.push_str("<span class=\"badge yes\">\u{2713} applies</span>");
    } else {
        out.push_str("<span class=\"badge none\">does not apply</span>");
    }
    if deciding {
        out.push_str(" <span class=\"badge deciding-badge\">\u{2605} deciding</span>");
    }
    if changed {
        out.push_str(" <span class=\"badge changed-badge\">\u{270e} changed</span>");
    }
    out.push_str("</p><ul class=\"elements\">");
    if let Some(p) = &t.principal {
        element(out, "principal", p);
    }
    element(out, "action", &t.action);
    element(out, "resource", &t.resource);
    out.push_str("</ul>");
    if !t.conditions.is_empty() {
        out.push_str(
            "<table class=\"conditions\"><thead><tr><th scope=\"col\">Operator</th>\
             <th scope=\"col\">Key</th><th scope=\"col\">The request's value</th>\
             <th scope=\"col\">The policy's values</th><th scope=\"col\">Holds</th></tr></thead><tbody>",
        );
        for c in &t.conditions {
            condition(out, c);
        }
        out.push_str("</tbody></table>");
    }
    if let Some(q) = quotes.markup(r) {
        write!(
            out,
            "<pre class=\"source{}\" aria-label=\"the statement's JSON, lines {} to {}\"><code>",
            if deciding { " deciding" } else { "" },
            q.first_line,
            q.last_line
        )
        .ok();
        out.push_str(&q.lines);
        out.push_str("</code></pre>");
    }
    out.push_str("</article>\n");
}

fn condition(out: &mut String, c: &ConditionTrace) {
    let request = match &c.request {
        None => match missing_key_rule(&c.operator) {
            "" => "(missing)".to_string(),
            rule => format!("(missing: {rule})"),
        },
        Some(v) if v.len() == 1 => v[0].clone(),
        Some(v) => format!("{v:?}"),
    };
    let (class, mark) = if c.matched {
        ("yes", "\u{2713} true")
    } else {
        ("no", "\u{2717} false")
    };
    write!(
        out,
        "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td>\
         <td><code>{}</code></td><td class=\"{class}\"><strong>{mark}</strong></td></tr>",
        Esc(&c.operator),
        Esc(&c.key),
        Esc(&request),
        Esc(&format!("{:?}", c.policy)),
    )
    .ok();
}
