//! The `iamsim` binary: exit codes, the JSON contract, and error reports with file, path,
//! line and column.

use std::process::Command;

fn iamsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const WORLD: &str = r#"{
  "principals": [{"arn": "arn:aws:iam::111122223333:user/alice",
    "policies": [{"name": "read", "document": {"Version": "2012-10-17",
      "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}]}],
  "buckets": [{"name": "b", "account": "111122223333"}],
  "checks": [
    {"name": "read", "principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
     "resource": "arn:aws:s3:::b/k", "expect": "EXPECT"}
  ]
}"#;

#[test]
fn exit_codes_follow_the_contract() {
    let met = temp_file("met.json", &WORLD.replace("EXPECT", "allowed"));
    let unmet = temp_file("unmet.json", &WORLD.replace("EXPECT", "denied"));
    assert_eq!(iamsim(&["check", met.to_str().unwrap()]).0, 0);
    assert_eq!(iamsim(&["check", unmet.to_str().unwrap()]).0, 1);
    let bad = temp_file("bad.json", "{\"principals\": [}");
    assert_eq!(iamsim(&["check", bad.to_str().unwrap()]).0, 2);
    // 2 wins over 1 when both happen in one run.
    assert_eq!(
        iamsim(&["check", unmet.to_str().unwrap(), bad.to_str().unwrap()]).0,
        2
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let met = temp_file("shape.json", &WORLD.replace("EXPECT", "allowed"));
    let (code, out, _) = iamsim(&["check", met.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let check = &doc["results"][0]["checks"][0];
    assert_eq!(check["allowed"], true);
    assert_eq!(check["denial"], serde_json::Value::Null);
    assert_eq!(check["decided_by"][0]["sid"], "Read");
    assert_eq!(check["decided_by"][0]["policy_type"], "identity");
    assert_eq!(check["decided_by"][0]["index"], 0);
    assert_eq!(check["steps"][0]["action"], "s3:GetObject");
    assert_eq!(check["error"], serde_json::Value::Null);
    assert_eq!(check["expectation"], "met");
    assert_eq!(doc["summary"]["checks"], 1);
    assert_eq!(doc["summary"]["met"], 1);
    assert_eq!(doc["summary"]["unmet"], 0);
    assert_eq!(doc["summary"]["without_expectation"], 0);

    // A denied check: the denial, the message in AWS's words, the client's error.
    let unmet = temp_file(
        "shape-denied.json",
        &WORLD.replace("EXPECT", "allowed").replace(
            "\"action\": \"s3:GetObject\"",
            "\"action\": \"s3:PutObject\"",
        ),
    );
    let (code, out, _) = iamsim(&["check", unmet.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let check = &doc["results"][0]["checks"][0];
    assert_eq!(check["allowed"], false);
    assert_eq!(check["denial"], "implicit");
    assert_eq!(check["decided_by"], serde_json::json!([]));
    assert_eq!(
        check["message"],
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:PutObject action"
    );
    assert_eq!(check["error"]["code"], "AccessDenied");
    assert_eq!(check["steps"][0]["allowed"], false);
    assert_eq!(check["expectation"], "unmet");
    assert_eq!(doc["summary"]["unmet"], 1);
}

#[test]
fn bad_input_lists_every_problem_with_its_place() {
    let text = r#"{
  "principals": [{"arn": "arn:aws:iam::111122223333:user/alice",
    "policies": [{"name": "p", "document": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEqual": {"aws:username": "alice"}, "IpAddress": {"aws:SourceIp": "300.1.1.1"}}}]}}]}],
  "bukets": [],
  "checks": []
}"#;
    let bad = temp_file("problems.json", text);
    let (code, _, err) = iamsim(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(err.contains("problems.json:5:23: principals[0].policies[0].document.Statement[0].Condition.StringEqual: unknown condition operator \"StringEqual\" (did you mean StringEquals?)"), "{err}");
    assert!(
        err.contains("Condition.IpAddress.aws:SourceIp: expected an IPv4 or IPv6 address or CIDR"),
        "{err}"
    );
    assert!(
        err.contains("problems.json:6:3: bukets: unknown field \"bukets\""),
        "{err}"
    );
    assert!(err.contains("(did you mean buckets?)"), "{err}");
}

#[test]
fn bad_access_points_acls_and_federated_principals_are_named_with_their_place() {
    let text = r#"{
  "principals": [{"kind": "web_identity", "name": "gha", "claims": {"sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com"}}],
  "buckets": [{"name": "b", "account": "111122223333", "object_ownership": "ObjectWriter",
    "acl": {"grants": [{"grantee": {"id": "79a59df9"}, "permission": "READ"}]}}],
  "checks": [{"name": "through an access point of a bucket never declared",
    "principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
    "resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/nowhere/object/k"}]
}"#;
    let bad = temp_file("wider-world.json", text);
    let (code, out, err) = iamsim(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(
        err.contains("wider-world.json:2:18: principals[0]: missing required field \"provider\""),
        "{err}"
    );
    assert!(
        err.contains("buckets[0].acl.grants[0].grantee.id: a canonical user id is 64 hexadecimal characters, found \"79a59df9\""),
        "{err}"
    );
    assert!(
        err.contains("checks[0].resource: no access point \"arn:aws:s3:us-east-1:111122223333:accesspoint/nowhere\" is declared"),
        "{err}"
    );
}

#[test]
fn eval_answers_a_question_without_a_scenario() {
    let policy = temp_file(
        "policy.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let (code, out, _) = iamsim(&[
        "eval",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--action",
        "s3:PutObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--identity-policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:PutObject action"), "{out}");
}

#[test]
fn diff_names_the_decisions_a_change_flips() {
    let before = temp_file("before.json", &WORLD.replace("EXPECT", "allowed"));
    let after_text = WORLD
        .replace("EXPECT", "allowed")
        .replace(r#""buckets": [{"name": "b", "account": "111122223333"}]"#,
            r#""buckets": [{"name": "b", "account": "111122223333", "policy": {"Version": "2012-10-17",
              "Statement": [{"Sid": "NoReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}]"#);
    let after = temp_file("after.json", &after_text);
    let (code, out, _) = iamsim(&["diff", before.to_str().unwrap(), after.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FLIP read"), "{out}");
    assert!(
        out.contains("after:  denied (explicit) by NoReads"),
        "{out}"
    );
    let (code, _, _) = iamsim(&["diff", before.to_str().unwrap(), before.to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn diff_with_a_matrix_and_a_swapped_policy_reports_flips_in_each_format() {
    let root = env!("CARGO_MANIFEST_DIR");
    let scenario = format!("{root}/scenarios/kms/kms-key-policy-delegation.json");
    let open = temp_file(
        "everyone.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}"#,
    );
    let set = format!(
        "key:arn:aws:kms:us-east-1:222222222222:key/9a16e587-5587-460b-9d16-b24a2734fc2e={}",
        open.display()
    );
    let (code, out, _) = iamsim(&["diff", &scenario, &scenario, "--matrix"]);
    assert_eq!(code, 0, "an unchanged world flips nothing: {out}");
    let (code, out, _) = iamsim(&["diff", &scenario, "--matrix", "--set", &set]);
    assert_eq!(code, 1);
    assert!(
        out.contains("arn:aws:iam::111111111111:user/partner-app\n"),
        "{out}"
    );
    assert!(out.contains("    FLIP arn:aws:kms:us-east-1:222222222222:key/9a16e587-5587-460b-9d16-b24a2734fc2e: denied -> allowed"), "{out}");
    let (code, out, _) = iamsim(&[
        "diff", &scenario, "--matrix", "--set", &set, "--format", "json",
    ]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert!(doc["matrix"]["requests"].as_u64().unwrap() > 0);
    assert!(!doc["matrix"]["flips"].as_array().unwrap().is_empty());
    let (code, out, _) = iamsim(&[
        "diff", &scenario, "--matrix", "--set", &set, "--format", "junit",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("<failure message="), "{out}");
    let (code, _, err) = iamsim(&["diff", &scenario, "--set", "bucket:nowhere=x.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("x.json: cannot read"), "{err}");
}

#[test]
fn warnings_go_to_standard_error_and_do_not_fail_a_run() {
    // Decision A9: a single-valued operator on a multi-valued key never matches several values.
    let text = WORLD.replace("EXPECT", "allowed").replace(
        r#""Resource": "arn:aws:s3:::b/*"}]"#,
        r#""Resource": "arn:aws:s3:::b/*"},
           {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"aws:TagKeys": "secret"}}}]"#,
    );
    let file = temp_file("warn.json", &text);
    let (code, _, err) = iamsim(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: read, statement 1: aws:TagKeys is multi-valued"),
        "{err}"
    );
}
