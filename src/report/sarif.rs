//! Lint findings as SARIF 2.1.0 (what GitHub code scanning reads to annotate a pull request),
//! and as plain JSON.
//!
//! SARIF: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html ; what GitHub reads
//! of it: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

use serde_json::{json, Value};

use crate::policy::lint::{Level, Rule};
use crate::scenario::PolicyWarning;

/// The findings as a SARIF 2.1.0 log with one run: every rule iamsim has (id, name, short and
/// full description, help, help URI, default level), and one result per finding with its file,
/// line and column (columns count characters, `unicodeCodePoints`).
pub fn render(findings: &[PolicyWarning]) -> String {
    let rules: Vec<Value> = Rule::ALL.iter().map(|r| rule(*r)).collect();
    let results: Vec<Value> = findings.iter().map(result).collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "iamsim",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// The findings as JSON: `{"findings": [...], "errors": N, "warnings": N}`, each finding with
/// its file, line, column, code, level, policy, statement, Sid and message.
pub fn render_json(findings: &[PolicyWarning]) -> String {
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let doc = json!({
        "findings": findings,
        "errors": errors,
        "warnings": findings.len() - errors,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Warning => "warning",
        Level::Error => "error",
    }
}

/// A `reportingDescriptor`. Rules whose level depends on the policy type (S3 and KMS refuse
/// what IAM accepts) default to `warning`; each result carries its own level.
fn rule(r: Rule) -> Value {
    let default = if r == Rule::MalformedArn {
        Level::Error
    } else {
        Level::Warning
    };
    json!({
        "id": r.code(),
        "name": pascal_case(r.name()),
        "shortDescription": {"text": r.summary()},
        "fullDescription": {"text": r.help()},
        "help": {
            "text": format!("{}\n\n{}", r.help(), r.help_uri()),
            "markdown": format!("{}\n\nSee [{}]({}).", r.help(), r.help_uri(), r.help_uri()),
        },
        "helpUri": r.help_uri(),
        "defaultConfiguration": {"level": level(default)},
        "properties": {"tags": ["iam", "policy"]},
    })
}

/// A `result`: the rule, the level, the message (with the policy and statement it is about)
/// and the physical location.
fn result(f: &PolicyWarning) -> Value {
    let mut region = serde_json::Map::new();
    // GitHub requires a line; a finding without one is shown on the file's first line.
    region.insert("startLine".into(), json!(f.line.unwrap_or(1)));
    if let Some(c) = f.column {
        region.insert("startColumn".into(), json!(c));
    }
    let mut about = f.policy.clone();
    if let Some(n) = f.statement {
        about.push_str(&format!(", statement {n}"));
        if let Some(sid) = &f.sid {
            about.push_str(&format!(" {sid:?}"));
        }
    }
    let rule_index = Rule::ALL.iter().position(|r| r.code() == f.code);
    let mut result = json!({
        "ruleId": f.code,
        "level": level(f.level),
        "message": {"text": format!("{about}: {}", f.message)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&f.file)},
                "region": region,
            },
            "logicalLocations": [{"name": about, "kind": "object"}],
        }],
    });
    if let (Some(i), Some(obj)) = (rule_index, result.as_object_mut()) {
        obj.insert("ruleIndex".into(), json!(i));
    }
    result
}

/// A file path as a URI reference: relative paths stay relative (GitHub resolves them against
/// the repository root), with `/` separators and the characters a URI may not hold
/// percent-encoded; absolute paths become `file://` URIs.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'+'
            | b'@'
            | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `unknown-action` -> `UnknownAction`.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_or_file_uris() {
        assert_eq!(uri("policies/a b.json"), "policies/a%20b.json");
        assert_eq!(uri("/tmp/x.json"), "file:///tmp/x.json");
        assert_eq!(uri("./scenarios/a.json"), "scenarios/a.json");
        assert_eq!(pascal_case("unknown-action"), "UnknownAction");
    }
}
