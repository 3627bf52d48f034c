//! No input makes iamsim panic or run away: huge policies, deep nesting, pathological
//! wildcards, arbitrary bytes, and structured JSON near valid policies. Limits are reported as
//! errors.

use iamsim::json::SourceText;
use iamsim::policy::wildcard::Glob;
use iamsim::policy::{parse_policy_text, PolicyType};
use iamsim::scenario::{load_scenario_text, run_scenario, ExpectationStatus};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

#[test]
fn a_fifty_thousand_statement_policy_parses_and_evaluates() {
    let statements: Vec<String> = (0..50_000)
        .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i}/*"}}"#))
        .collect();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let scenario = format!(
        r#"{{"principals":[{{"arn":"arn:aws:iam::111122223333:user/alice","policies":[{{"name":"big","document":{policy}}}]}}],
            "checks":[{{"name":"last","principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject",
                        "resource":"arn:aws:s3:::bucket-49999/k","resource_account":"111122223333",
                        "expect":{{"allowed":true,"decided_by":["S49999"]}}}}]}}"#
    );
    let loaded = load_scenario_text("big.json", &scenario).unwrap();
    let results = run_scenario(&loaded, false);
    assert_eq!(results[0].expectation, ExpectationStatus::Met);
    let deciding: Vec<String> = results[0]
        .outcome
        .decided_by()
        .iter()
        .map(|s| s.label())
        .collect();
    assert_eq!(deciding, ["S49999"]);
}

#[test]
fn deep_nesting_is_an_error_with_a_position() {
    let text = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let err = load_scenario_text("deep.json", &text).unwrap_err();
    let first = err.problems[0].to_string();
    assert!(first.starts_with("deep.json:1:"), "{err}");
    assert!(first.contains("nests deeper than"), "{err}");
}

#[test]
fn pathological_wildcards_stay_linear() {
    // A backtracking matcher needs exponential time here; the automaton reads the text once.
    let pattern = format!("{}b", "*a".repeat(60));
    let text = "a".repeat(200_000);
    assert!(!Glob::new(&pattern).is_match(&text));
    let pattern = format!("{}b", "*a?".repeat(200));
    assert!(!Glob::new(&pattern).is_match(&text));
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{{"StringLike":{{"aws:userid":"{}"}}}}}}}}"#,
        pattern
    );
    assert!(parse_policy_text(&SourceText::new("p", policy), PolicyType::Identity, "p").is_ok());
}

#[test]
fn a_statement_limit_is_reported_not_hit() {
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 100_001].join(",")
    );
    let err =
        parse_policy_text(&SourceText::new("p", policy), PolicyType::Identity, "p").unwrap_err();
    assert!(err.to_string().contains("the limit is 100000"), "{err}");
}

/// One of a few values.
fn pick(values: Vec<Value>) -> impl Strategy<Value = Value> {
    proptest::sample::select(values)
}

/// Mostly one of the values real policies hold, now and then a wrong one.
fn mostly(good: Vec<Value>, bad: Vec<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![19 => pick(good), 1 => pick(bad)]
}

fn one_or_many(values: Vec<Value>) -> impl Strategy<Value = Value> {
    let single = pick(values.clone());
    let many = proptest::collection::vec(pick(values), 0..4).prop_map(Value::Array);
    prop_oneof![3 => single, 1 => many]
}

fn condition() -> impl Strategy<Value = Value> {
    let operator = mostly(
        [
            "StringEquals",
            "StringNotEquals",
            "StringLike",
            "ForAnyValue:StringEquals",
            "ForAllValues:StringLike",
            "ArnLike",
            "ArnNotEqualsIfExists",
            "Bool",
            "Null",
            "IpAddress",
            "NumericLessThan",
            "DateGreaterThan",
        ]
        .map(Value::from)
        .to_vec(),
        vec![json!("StringEqual"), json!("ForSomeValues:StringEquals")],
    );
    let key = mostly(
        [
            "aws:PrincipalArn",
            "aws:SourceIp",
            "aws:SecureTransport",
            "aws:PrincipalTag/team",
            "aws:CurrentTime",
            "s3:x-amz-server-side-encryption",
            "kms:ViaService",
            "kms:EncryptionContext:aws:s3:arn",
            "aws:TagKeys",
        ]
        .map(Value::from)
        .to_vec(),
        vec![json!("")],
    );
    // Values are checked against their operator (a CIDR for IpAddress, a date for Date*), so
    // many combinations are refused deep inside the statement.
    let value = one_or_many(vec![
        json!("arn:aws:iam::111122223333:role/*"),
        json!("10.0.0.0/8"),
        json!("true"),
        json!(true),
        json!(10),
        json!("2026-01-01T00:00:00Z"),
        json!("aws:kms"),
        json!("s3.us-east-1.amazonaws.com"),
        json!("${aws:username}"),
    ]);
    proptest::collection::btree_map(
        operator.prop_map(|v| v.as_str().unwrap_or_default().to_string()),
        proptest::collection::btree_map(
            key.prop_map(|v| v.as_str().unwrap_or_default().to_string()),
            value,
            1..3,
        ),
        0..3,
    )
    .prop_map(|m| json!(m))
}

/// A statement near a valid one: real elements with real values, now and then a misspelt
/// element, a wrong type or a malformed value.
fn statement() -> impl Strategy<Value = Value> {
    let effect = mostly(
        vec![json!("Allow"), json!("Deny")],
        vec![json!("allow"), json!(1)],
    );
    let action = prop_oneof![
        19 => one_or_many(vec![
            json!("s3:GetObject"),
            json!("s3:PutObject"),
            json!("s3:*"),
            json!("*"),
            json!("kms:Decrypt"),
            json!("kms:GenerateDataKey*"),
            json!("s3:Get*Object"),
        ]),
        1 => pick(vec![json!("s3"), json!(""), json!({"a": 1})]),
    ];
    let resource = prop_oneof![
        19 => one_or_many(vec![
            json!("*"),
            json!("arn:aws:s3:::b/*"),
            json!("arn:aws:s3:::b"),
            json!("arn:aws:s3:::b/${aws:username}/*"),
            json!("arn:aws:kms:us-east-1:111122223333:key/k"),
        ]),
        1 => pick(vec![json!("not-an-arn"), json!(null)]),
    ];
    let principal = mostly(
        vec![
            json!("*"),
            json!({"AWS": "*"}),
            json!({"AWS": "111122223333"}),
            json!({"AWS": ["arn:aws:iam::111122223333:role/r", "arn:aws:iam::444455556666:root"]}),
            json!({"Service": "s3.amazonaws.com"}),
            json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
        ],
        vec![json!({"Aws": "*"}), json!(5)],
    );
    (
        effect,
        action,
        resource,
        proptest::option::weighted(0.9, principal),
        proptest::option::of(condition()),
        any::<u8>(),
    )
        .prop_map(|(effect, action, resource, principal, condition, shape)| {
            let mut s = json!({"Effect": effect});
            let (action_key, resource_key, principal_key) = (
                if shape % 7 == 0 {
                    "NotAction"
                } else {
                    "Action"
                },
                if shape % 11 == 0 {
                    "NotResource"
                } else {
                    "Resource"
                },
                if shape % 13 == 0 {
                    "NotPrincipal"
                } else {
                    "Principal"
                },
            );
            s[action_key] = action;
            s[resource_key] = resource;
            if let Some(p) = principal {
                s[principal_key] = p;
            }
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            if shape % 5 == 0 {
                s["Sid"] = json!(format!("S{shape}"));
            }
            if shape % 61 == 0 {
                s["Actions"] = json!("s3:GetObject");
            }
            s
        })
}

/// A policy near a valid one.
fn policy() -> impl Strategy<Value = Value> {
    let version = mostly(
        vec![json!("2012-10-17"), json!("2008-10-17")],
        vec![json!("2020-01-01")],
    );
    let statements = prop_oneof![
        statement(),
        proptest::collection::vec(statement(), 1..5).prop_map(Value::Array),
    ];
    (proptest::option::of(version), statements).prop_map(|(version, statements)| {
        let mut p = json!({"Statement": statements});
        if let Some(v) = version {
            p["Version"] = v;
        }
        p
    })
}

/// A scenario whose bucket policy and identity policy are generated, with checks of every kind.
fn scenario_with(bucket_policy: &Value, identity_policy: &Value) -> String {
    json!({
        "principals": [{"arn": "arn:aws:iam::111122223333:role/r", "tags": {"team": "blue"},
            "policies": [{"name": "generated", "document": identity_policy}]}],
        "keys": [{"arn": "arn:aws:kms:us-east-1:111122223333:key/k"}],
        "buckets": [{"name": "b", "account": "111122223333", "policy": bucket_policy,
            "default_encryption": {"algorithm": "aws:kms", "kms_key": "arn:aws:kms:us-east-1:111122223333:key/k"}}],
        "checks": [
            {"name": "raw", "principal": "arn:aws:iam::111122223333:role/r", "action": "s3:GetObject",
             "resource": "arn:aws:s3:::b/k", "context": {"aws:SourceIp": "10.1.2.3"}},
            {"name": "other account", "principal": "arn:aws:iam::444455556666:user/u", "action": "s3:GetObject",
             "resource": "arn:aws:s3:::b/k"},
            {"name": "put", "principal": "arn:aws:iam::111122223333:role/r", "call": "s3:PutObject",
             "bucket": "b", "key": "k", "headers": {"x-amz-server-side-encryption": "aws:kms"}},
            {"name": "get", "principal": "arn:aws:iam::111122223333:role/r", "call": "s3:GetObject",
             "bucket": "b", "key": "k"},
            {"name": "anonymous", "principal": "anonymous", "call": "s3:GetObject", "bucket": "b", "key": "k"}
        ]
    })
    .to_string()
}

/// What a run decides, without its explanations.
fn answers(results: &[iamsim::scenario::CheckResult]) -> Vec<(bool, Vec<String>)> {
    results
        .iter()
        .map(|r| {
            let labels = r.outcome.decided_by().iter().map(|s| s.label()).collect();
            (r.allowed(), labels)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = load_scenario_text("fuzz.json", &text);
        let _ = parse_policy_text(&SourceText::new("fuzz", text), PolicyType::Bucket, "fuzz");
    }

    #[test]
    fn mangled_scenarios_never_panic(cut in 0usize..2000, insert in "[\\[\\]{}\":,a-z0-9*?$ ]{0,8}") {
        let base = include_str!("../scenarios/replication/cross-account-replication-with-sse-kms.json");
        let mut at = cut.min(base.len());
        while !base.is_char_boundary(at) { at -= 1; }
        let text = format!("{}{}{}", &base[..at], insert, &base[at..]);
        if let Ok(s) = load_scenario_text("fuzz.json", &text) {
            let _ = run_scenario(&s, true);
        }
    }

    /// Structured input near valid policies reaches the parser's element checks and, when it
    /// loads, evaluation: nothing panics, and explaining never changes an answer.
    #[test]
    fn near_valid_policies_never_panic(bucket in policy(), identity in policy()) {
        for t in [PolicyType::Identity, PolicyType::Bucket, PolicyType::Key, PolicyType::Scp] {
            let _ = parse_policy_text(&SourceText::new("fuzz", bucket.to_string()), t, "fuzz");
        }
        if let Ok(s) = load_scenario_text("fuzz.json", &scenario_with(&bucket, &identity)) {
            prop_assert_eq!(answers(&run_scenario(&s, false)), answers(&run_scenario(&s, true)));
        }
    }
}

/// The generator is not vacuous: many generated policies are valid and evaluate, many are
/// refused for a problem deep inside a statement (not for their first bytes).
#[test]
fn generated_policies_reach_past_the_first_bytes() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let (mut valid, mut inside_statements, total) = (0, 0, 400);
    let strategy = policy();
    for _ in 0..total {
        let value = strategy
            .new_tree(&mut runner)
            .expect("a policy is generated")
            .current();
        match parse_policy_text(
            &SourceText::new("g", value.to_string()),
            PolicyType::Bucket,
            "g",
        ) {
            Ok(_) => valid += 1,
            Err(e) => {
                if e.0.iter().any(|p| {
                    p.path
                        .as_deref()
                        .is_some_and(|p| p.starts_with("Statement"))
                }) {
                    inside_statements += 1;
                }
            }
        }
    }
    assert!(
        valid * 5 >= total,
        "only {valid} of {total} generated policies are valid"
    );
    assert!(
        inside_statements * 5 >= total,
        "only {inside_statements} of {total} are refused inside a statement"
    );
}
