//! No input makes iamsim panic or run away: huge policies, deep nesting, pathological
//! wildcards, arbitrary bytes. Limits are reported as errors.

use iamsim::json::SourceText;
use iamsim::policy::wildcard::Glob;
use iamsim::policy::{parse_policy_text, PolicyType};
use iamsim::scenario::{load_scenario_text, run_scenario};
use proptest::prelude::*;

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
    assert!(results[0].allowed);
}

#[test]
fn deep_nesting_is_an_error_with_a_position() {
    let text = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let err = load_scenario_text("deep.json", &text).unwrap_err();
    assert!(err.problems[0].starts_with("deep.json:1:"), "{err}");
    assert!(err.problems[0].contains("nests deeper than"), "{err}");
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
    assert!(err[0].contains("the limit is 100000"), "{err:?}");
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
        let base = include_str!("../scenarios/cross-account-replication-with-sse-kms.json");
        let mut at = cut.min(base.len());
        while !base.is_char_boundary(at) { at -= 1; }
        let text = format!("{}{}{}", &base[..at], insert, &base[at..]);
        if let Ok(s) = load_scenario_text("fuzz.json", &text) {
            let _ = run_scenario(&s, true);
        }
    }
}
