//! Runs every table-driven case in `tests/cases/*.json` (format in `tests/cases/README.md`).
//! Each case's expected value comes from the AWS page or decision its `source` names.

use std::path::Path;

use iamsim::json::{JsonPath, Node, SourceText};
use iamsim::policy::{parse_policy, PolicyType};
use iamsim::scenario::{load_scenario_text, run_scenario, ExpectationStatus};
use serde_json::{json, Value};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

/// The principal entry that holds a check's identity policy: the user or role itself, or the
/// role of a session.
fn holder(principal: &str) -> String {
    match principal.split_once(":assumed-role/") {
        Some((head, rest)) => {
            let account = head.rsplit(':').next().unwrap_or_default();
            let role = rest.split('/').next().unwrap_or_default();
            format!("arn:aws:iam::{account}:role/{role}")
        }
        None => principal.to_string(),
    }
}

/// Turns a case into a scenario document with its checks.
fn scenario_of(case: &Value) -> Result<Value, String> {
    if let Some(s) = case.get("scenario") {
        return Ok(s.clone());
    }
    if let Some(condition) = case.get("condition") {
        let mut document = json!({
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
        });
        match case.get("version") {
            None => document["Version"] = json!("2012-10-17"),
            Some(Value::Null) => {}
            Some(v) => document["Version"] = v.clone(),
        }
        let matches = case["matches"]
            .as_bool()
            .ok_or("a condition case needs \"matches\"")?;
        // The one policy is an identity-policy Allow in the resource's own account: when its
        // condition does not match, nothing allows the request, an implicit deny that AWS names
        // as a missing identity-based policy (same account, Part B 4.2/4.3).
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
        let denied = json!({"allowed": false, "denial": "implicit", "layer": "identity"});
        return Ok(json!({
            "principals": [{"arn": ALICE, "policies": [{"name": "condition", "document": document}]}],
            "checks": [{
                "name": case["name"],
                "principal": ALICE,
                "action": "s3:GetObject",
                "resource": "arn:aws:s3:::example-bucket/key",
                "resource_account": "111122223333",
                "context": case.get("context").cloned().unwrap_or(json!({})),
                "expect": if matches { json!("allowed") } else { denied },
            }]
        }));
    }
    if let Some(policy) = case.get("policy") {
        let request = case
            .get("request")
            .ok_or("a policy case needs \"request\"")?;
        let principal = request
            .get("principal")
            .and_then(Value::as_str)
            .unwrap_or(ALICE);
        let holder = holder(principal);
        let mut check = json!({
            "name": case["name"],
            "principal": principal,
            "action": request["action"],
            "resource": request.get("resource").cloned().unwrap_or(json!("*")),
            "expect": case.get("expect").cloned().ok_or("a policy case needs \"expect\"")?,
        });
        if let Some(c) = request.get("context") {
            check["context"] = c.clone();
        }
        let resource = check["resource"].as_str().unwrap_or("*");
        if resource.starts_with("arn:aws:s3:::") {
            let account = holder.split(':').nth(4).unwrap_or("111122223333");
            check["resource_account"] = json!(account);
        }
        let mut principals =
            vec![json!({"arn": holder, "policies": [{"name": "policy", "document": policy}]})];
        if let Some(extra) = case.get("principals").and_then(Value::as_array) {
            principals.extend(extra.iter().cloned());
        }
        return Ok(json!({ "principals": principals, "checks": [check] }));
    }
    Err("the case has none of condition, policy, scenario, invalid".to_string())
}

fn run_invalid(case: &Value) -> Result<(), String> {
    let document = &case["invalid"];
    let t: PolicyType = case
        .get("policy_type")
        .and_then(Value::as_str)
        .unwrap_or("identity")
        .parse()?;
    let want = case["error_path"]
        .as_str()
        .ok_or("an invalid case needs \"error_path\"")?;
    let text = document.to_string();
    let source = SourceText::new("case", text.clone());
    // A string case holds raw policy text (e.g. with duplicate keys, which a JSON object in the
    // case file could not keep).
    let raw_source = SourceText::new("case", document.as_str().unwrap_or_default());
    let node = match document {
        Value::String(_) => match raw_source.parse(false) {
            Ok(n) => n,
            Err(e) => return Err(format!("the case's policy text is not JSON: {}", e.message)),
        },
        other => Node::from_serde(other),
    };
    let mut diags = Vec::new();
    let parsed = parse_policy(&node, t, "case", &JsonPath::root(), &source, &mut diags);
    if parsed.is_some() && diags.is_empty() {
        return Err(format!(
            "the policy was accepted; expected an error at {want}"
        ));
    }
    if diags.iter().any(|d| d.path.as_str() == want) {
        Ok(())
    } else {
        Err(format!(
            "expected an error at {want}, got: {}",
            diags
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect::<Vec<_>>()
                .join(" | ")
        ))
    }
}

fn run_case(case: &Value) -> Result<usize, String> {
    if case.get("invalid").is_some() {
        return run_invalid(case).map(|()| 1);
    }
    let scenario = scenario_of(case)?;
    let loaded = load_scenario_text("case", &scenario.to_string())
        .map_err(|e| format!("does not load: {e}"))?;
    if loaded.checks.is_empty() {
        return Err("the case has no checks".to_string());
    }
    let mut failures = Vec::new();
    for (check, result) in loaded.checks.iter().zip(run_scenario(&loaded, false)) {
        match result.expectation {
            ExpectationStatus::Met => {}
            ExpectationStatus::Unmet(reasons) => {
                failures.push(format!("check {:?}: {}", check.name, reasons.join("; ")))
            }
            ExpectationStatus::None => {
                failures.push(format!("check {:?} has no expectation", check.name))
            }
        }
    }
    if failures.is_empty() {
        Ok(loaded.checks.len())
    } else {
        Err(failures.join("\n      "))
    }
}

#[test]
fn every_case_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let file_source = doc.get("source").and_then(Value::as_str).unwrap_or("");
        for case in doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no cases", file.display()))
        {
            cases += 1;
            let source = case
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or(file_source);
            assert!(
                !source.is_empty(),
                "{}: case {} cites no source",
                file.display(),
                case["name"]
            );
            if let Err(e) = run_case(case) {
                failures.push(format!(
                    "{} :: {}\n      {e}\n      source: {source}",
                    file.file_name().unwrap_or_default().to_string_lossy(),
                    case["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    assert!(cases >= 200, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
