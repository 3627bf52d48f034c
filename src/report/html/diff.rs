//! The diff as HTML: each check whose decision changed, before and after side by side, with the
//! statements the change touched marked on both sides; then the request matrix's flips.

use std::fmt::Write as _;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::source::{Quotes, Sources};
use super::trace::{check_details, Changes};
use super::{page_end, page_start, Esc};
use crate::engine::StatementRef;
use crate::report::diff::{verdict_text, Diff};
use crate::scenario::matrix::MatrixDiff;
use crate::scenario::CheckResult;

/// One side of a diff and its sources: the results of a run with traces.
pub struct Side<'a> {
    pub label: &'a str,
    pub results: &'a [CheckResult],
    pub sources: &'a Sources,
}

/// Each statement a check's traces show, by policy and position, as its JSON without
/// whitespace (`None` where the source does not hold it).
type Statements = FxHashMap<(Arc<str>, usize, bool), Option<String>>;

fn statements_of(c: &CheckResult, sources: &Sources) -> Statements {
    let mut out = Statements::default();
    for t in c
        .outcome
        .steps
        .iter()
        .filter_map(|s| s.trace.as_ref())
        .flat_map(|t| &t.statements)
    {
        let r = &t.statement;
        out.entry((r.policy.clone(), r.index, r.grant))
            .or_insert_with(|| sources.canonical(r));
    }
    out
}

/// A statement changed when the other side has no statement at its place, or a different one.
struct SideChanges<'a> {
    own: &'a Statements,
    other: &'a Statements,
}

impl Changes for SideChanges<'_> {
    fn changed(&self, r: &StatementRef) -> bool {
        let key = (r.policy.clone(), r.index, r.grant);
        self.own.get(&key) != self.other.get(&key)
    }
}

/// The whole diff page.
pub fn render_diff(
    d: &Diff,
    before: &Side<'_>,
    after: &Side<'_>,
    m: Option<&MatrixDiff>,
) -> String {
    let mut out = String::new();
    let title = format!("iamsim diff: {} \u{2192} {}", before.label, after.label);
    page_start(&mut out, &title, false);
    writeln!(out, "<h1>{}</h1>", Esc(&title)).ok();
    let flips = d.changed.iter().filter(|c| c.flipped).count();
    writeln!(
        out,
        "<p><span class=\"badge denied\">{flips} flipped</span> \
         <span class=\"badge failed\">{} decided differently</span> \
         <span class=\"badge none\">{} unchanged</span> \
         <span class=\"badge none\">{} removed</span> \
         <span class=\"badge none\">{} added</span></p>",
        d.changed.len() - flips,
        d.unchanged,
        d.only_before.len(),
        d.only_after.len()
    )
    .ok();
    let index = |results: &[CheckResult]| -> FxHashMap<String, usize> {
        let mut names = FxHashMap::default();
        for (i, r) in results.iter().enumerate() {
            names.entry(r.name.clone()).or_insert(i);
        }
        names
    };
    let (before_names, after_names) = (index(before.results), index(after.results));
    // Flips first, then other changes, as the text form orders them.
    let ordered = d
        .changed
        .iter()
        .filter(|c| c.flipped)
        .chain(d.changed.iter().filter(|c| !c.flipped));
    for (n, change) in ordered.enumerate() {
        let (Some(&b), Some(&a)) = (
            before_names.get(&change.name),
            after_names.get(&change.name),
        ) else {
            continue;
        };
        let (b, a) = (&before.results[b], &after.results[a]);
        let (b_statements, a_statements) = (
            statements_of(b, before.sources),
            statements_of(a, after.sources),
        );
        let word = if change.flipped {
            "<span class=\"badge failing\">FLIPPED</span>"
        } else {
            "<span class=\"badge failed\">decided differently</span>"
        };
        write!(
            out,
            "<section class=\"change\" id=\"change-{}\"><h2>{word} {}</h2>\n\
             <p>Before: {}<br/>After: {}</p>\n<div class=\"diff-sides\">",
            n + 1,
            Esc(&change.name),
            Esc(&change.before),
            Esc(&change.after)
        )
        .ok();
        for (side, c, own, other, tag) in [
            (before, b, &b_statements, &a_statements, "before"),
            (after, a, &a_statements, &b_statements, "after"),
        ] {
            writeln!(
                out,
                "<section class=\"side {tag}\"><h3>{}</h3>",
                Esc(side.label)
            )
            .ok();
            check_details(
                &mut out,
                c,
                &format!("change-{}-{tag}", n + 1),
                &Quotes::new(Some(side.sources)),
                &SideChanges { own, other },
            );
            out.push_str("</section>\n");
        }
        out.push_str("</div></section>\n");
    }
    if !d.only_before.is_empty() || !d.only_after.is_empty() {
        out.push_str("<section><h2>Checks on one side only</h2><ul>");
        for name in &d.only_before {
            write!(out, "<li>\u{2212} {} (no longer checked)</li>", Esc(name)).ok();
        }
        for name in &d.only_after {
            write!(out, "<li>+ {} (new check)</li>", Esc(name)).ok();
        }
        out.push_str("</ul></section>\n");
    }
    if let Some(m) = m {
        matrix(&mut out, m);
    }
    page_end(&mut out);
    out
}

fn matrix(out: &mut String, m: &MatrixDiff) {
    writeln!(
        out,
        "<section class=\"matrix\"><h2>Request matrix: {} of {} requests flipped</h2>",
        m.flips.len(),
        m.requests
    )
    .ok();
    if m.flips.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    out.push_str(
        "<table><thead><tr><th scope=\"col\">Principal</th><th scope=\"col\">Action</th>\
         <th scope=\"col\">Resource</th><th scope=\"col\">Before</th><th scope=\"col\">After</th>\
         </tr></thead><tbody>\n",
    );
    let badge = |allowed: bool| {
        if allowed {
            "<span class=\"badge allowed\">allowed</span>"
        } else {
            "<span class=\"badge denied\">denied</span>"
        }
    };
    for f in &m.flips {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td>\
             <td>{} {}</td><td>{} {}</td></tr>",
            Esc(&f.principal),
            Esc(&f.action),
            Esc(&f.resource),
            badge(f.before.allowed),
            Esc(&verdict_text(&f.before)),
            badge(f.after.allowed),
            Esc(&verdict_text(&f.after))
        )
        .ok();
    }
    out.push_str("</tbody></table></section>\n");
}
