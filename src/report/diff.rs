//! Which decisions a change flips: the checks of two versions of a scenario, matched by name.

use std::fmt::Write;

use rustc_hash::FxHashMap;

use super::text::outcome;
use crate::scenario::matrix::{Flip, MatrixDiff, Verdict};
use crate::scenario::CheckResult;

/// One check whose decision differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub before: String,
    pub after: String,
    /// The check went from allowed to denied or back.
    pub flipped: bool,
}

/// The differences between two runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Checks whose outcome, denial kind or deciding statements changed.
    pub changed: Vec<Change>,
    pub only_before: Vec<String>,
    pub only_after: Vec<String>,
    pub unchanged: usize,
}

impl Diff {
    /// Whether any decision went from allowed to denied or back.
    pub fn flips(&self) -> bool {
        self.changed.iter().any(|c| c.flipped)
    }
}

/// Compares two runs check by check (by name, in the order of `after`).
pub fn diff(before: &[CheckResult], after: &[CheckResult]) -> Diff {
    let mut d = Diff::default();
    let (before_names, after_names) = (by_name(before), by_name(after));
    for a in after {
        match before_names.get(a.name.as_str()).map(|&i| &before[i]) {
            None => d.only_after.push(a.name.clone()),
            Some(b) => {
                let (was, now) = (outcome(b), outcome(a));
                if was == now && b.allowed() == a.allowed() {
                    d.unchanged += 1;
                } else {
                    d.changed.push(Change {
                        name: a.name.clone(),
                        flipped: b.allowed() != a.allowed(),
                        before: was,
                        after: now,
                    });
                }
            }
        }
    }
    for b in before {
        if !after_names.contains_key(b.name.as_str()) {
            d.only_before.push(b.name.clone());
        }
    }
    d
}

/// Each name's first check (the one compared, as a search in order would find it).
fn by_name(results: &[CheckResult]) -> FxHashMap<&str, usize> {
    let mut names = FxHashMap::default();
    for (i, r) in results.iter().enumerate() {
        names.entry(r.name.as_str()).or_insert(i);
    }
    names
}

/// The diff as text: flips first, then other changes, then checks present on one side only.
pub fn render(d: &Diff) -> String {
    let mut out = String::new();
    for c in d.changed.iter().filter(|c| c.flipped) {
        writeln!(
            out,
            "FLIP {}\n       before: {}\n       after:  {}",
            c.name, c.before, c.after
        )
        .ok();
    }
    for c in d.changed.iter().filter(|c| !c.flipped) {
        writeln!(
            out,
            "     {}\n       before: {}\n       after:  {}",
            c.name, c.before, c.after
        )
        .ok();
    }
    for n in &d.only_before {
        writeln!(out, "  -  {n} (no longer checked)").ok();
    }
    for n in &d.only_after {
        writeln!(out, "  +  {n} (new check)").ok();
    }
    let flips = d.changed.iter().filter(|c| c.flipped).count();
    writeln!(
        out,
        "{flips} flipped, {} decided differently, {} unchanged, {} removed, {} added",
        d.changed.len() - flips,
        d.unchanged,
        d.only_before.len(),
        d.only_after.len()
    )
    .ok();
    out
}

pub(crate) fn verdict_text(v: &Verdict) -> String {
    let mut text = if v.allowed {
        "allowed".to_string()
    } else {
        format!("denied ({})", v.how)
    };
    if !v.by.is_empty() {
        text.push_str(" by ");
        text.push_str(&v.by.join(", "));
    }
    text
}

/// The matrix's flips as text, grouped by principal and action.
pub fn render_matrix(m: &MatrixDiff) -> String {
    let mut out = String::new();
    let mut principal = "";
    let mut action = "";
    for f in &m.flips {
        if f.principal != principal {
            principal = &f.principal;
            action = "";
            writeln!(out, "{principal}").ok();
        }
        if f.action != action {
            action = &f.action;
            writeln!(out, "  {action}").ok();
        }
        let word = |allowed: bool| if allowed { "allowed" } else { "denied" };
        writeln!(
            out,
            "    FLIP {}: {} -> {}\n         before: {}\n         after:  {}",
            f.resource,
            word(f.before.allowed),
            word(f.after.allowed),
            verdict_text(&f.before),
            verdict_text(&f.after)
        )
        .ok();
    }
    writeln!(
        out,
        "matrix: {} of {} requests flipped",
        m.flips.len(),
        m.requests
    )
    .ok();
    out
}

fn verdict_json(v: &Verdict) -> serde_json::Value {
    serde_json::json!({"allowed": v.allowed, "how": v.how, "decided_by": v.by})
}

fn flip_json(f: &Flip) -> serde_json::Value {
    serde_json::json!({
        "principal": f.principal,
        "action": f.action,
        "resource": f.resource,
        "before": verdict_json(&f.before),
        "after": verdict_json(&f.after),
    })
}

/// The whole diff as JSON: the named checks' changes and, when compared, the matrix's flips.
pub fn render_json(d: &Diff, m: Option<&MatrixDiff>) -> String {
    let changes: Vec<serde_json::Value> = d
        .changed
        .iter()
        .map(|c| {
            serde_json::json!({"name": c.name, "flipped": c.flipped, "before": c.before, "after": c.after})
        })
        .collect();
    let mut doc = serde_json::json!({
        "checks": {
            "changed": changes,
            "only_before": d.only_before,
            "only_after": d.only_after,
            "unchanged": d.unchanged,
        },
        "flips": d.changed.iter().filter(|c| c.flipped).count() + m.map_or(0, |m| m.flips.len()),
    });
    if let Some(m) = m {
        doc["matrix"] = serde_json::json!({
            "requests": m.requests,
            "flips": m.flips.iter().map(flip_json).collect::<Vec<_>>(),
        });
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The diff as JUnit XML: a failing test case per flipped check and per flipped request, and
/// one passing case when nothing flips.
pub fn render_junit(d: &Diff, m: Option<&MatrixDiff>) -> String {
    let mut cases = Vec::new();
    for c in d.changed.iter().filter(|c| c.flipped) {
        cases.push((
            format!("check {}", c.name),
            format!("before: {}; after: {}", c.before, c.after),
        ));
    }
    for f in m.map_or(&[][..], |m| m.flips.as_slice()) {
        cases.push((
            format!("{} {} on {}", f.principal, f.action, f.resource),
            format!(
                "before: {}; after: {}",
                verdict_text(&f.before),
                verdict_text(&f.after)
            ),
        ));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = cases.len().max(1);
    writeln!(
        out,
        "<testsuites><testsuite name=\"iamsim diff\" tests=\"{total}\" failures=\"{}\">",
        cases.len()
    )
    .ok();
    if cases.is_empty() {
        out.push_str("  <testcase classname=\"diff\" name=\"no decision flips\"/>\n");
    }
    for (name, message) in &cases {
        writeln!(
            out,
            "  <testcase classname=\"diff\" name=\"{}\"><failure message=\"{}\"/></testcase>",
            xml(name),
            xml(message)
        )
        .ok();
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_scenario_text, run_scenario};

    fn run(bucket_policy_effect: &str) -> Vec<CheckResult> {
        let text = format!(
            r#"{{"principals":[{{"arn":"arn:aws:iam::111122223333:user/a","policies":[{{"name":"p","document":{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}}}]}}],
               "buckets":[{{"name":"b","account":"111122223333","policy":{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"{bucket_policy_effect}","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}}]}}}}],
               "checks":[{{"name":"delete","principal":"arn:aws:iam::111122223333:user/a","action":"s3:DeleteObject","resource":"arn:aws:s3:::b/k"}},
                         {{"name":"read","principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}}]}}"#
        );
        run_scenario(&load_scenario_text("s", &text).unwrap(), false)
    }

    #[test]
    fn a_new_deny_flips_one_decision() {
        let d = diff(&run("Allow"), &run("Deny"));
        assert!(d.flips());
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].name, "delete");
        assert_eq!(d.unchanged, 1);
    }
}
