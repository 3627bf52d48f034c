//! Which decisions a change flips: the checks of two versions of a scenario, matched by name.

use std::fmt::Write;

use rustc_hash::FxHashMap;

use super::text::outcome;
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
