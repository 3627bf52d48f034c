//! Every scenario in `scenarios/` loads, and every check meets its expectation.

mod common;

use std::path::Path;

use iamsim::scenario::{load_scenario, run_scenario, ExpectationStatus};

#[test]
fn bundled_scenarios_meet_their_expectations() {
    let files = common::scenario_files();
    assert!(
        files.len() >= 10,
        "expected the bundled scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let scenario = load_scenario(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scenario.checks.is_empty(), "{}: no checks", file.display());
        for result in run_scenario(&scenario, false) {
            match result.expectation {
                ExpectationStatus::Met => {}
                ExpectationStatus::Unmet(r) => failures.push(format!(
                    "{}: {}: {}",
                    file.display(),
                    result.name,
                    r.join("; ")
                )),
                ExpectationStatus::None => failures.push(format!(
                    "{}: {}: no expectation",
                    file.display(),
                    result.name
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explain_traces_every_statement_of_a_bundled_scenario() {
    // The SSE-KMS enforcement experiment: the upload without --sse is denied by both statements.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/s3-encryption/sse-kms-enforced-by-bucket-policy.json");
    let scenario = load_scenario(&path).unwrap();
    let results = run_scenario(&scenario, true);
    let denied = results
        .iter()
        .find(|r| !r.allowed())
        .expect("a denied upload");
    let text = iamsim::report::text::explain("f", denied);
    assert!(text.contains("DenyUnEncryptedObjectUploads"), "{text}");
    assert!(
        text.contains("the key is missing from the request"),
        "{text}"
    );
    assert!(text.contains("explicit deny"), "{text}");
}
