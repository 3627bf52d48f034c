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

/// A large HTML report's page engine decides an opened check again on its own, replaying the
/// calls before it: for every bundled check, asked alone, in order and out of order, that
/// answer is the run's, trace included.
#[test]
fn a_check_decided_again_alone_is_the_one_the_run_decided() {
    use iamsim::scenario::{explain_check, Replay};
    let mut compared = 0;
    for file in common::scenario_files() {
        let scenario = load_scenario(&file).unwrap_or_else(|e| panic!("{e}"));
        let run: Vec<String> = run_scenario(&scenario, true)
            .iter()
            .map(|r| format!("{r:?}"))
            .collect();
        let (world, checks) = (&scenario.world, &scenario.checks);
        let agrees = |decided: Option<iamsim::scenario::CheckResult>, index: usize, how: &str| {
            let decided = decided.expect("the check exists");
            assert_eq!(
                format!("{decided:?}"),
                run[index],
                "{}: check {index} {how}",
                file.display()
            );
        };
        let mut in_order = Replay::default();
        for index in 0..run.len() {
            agrees(explain_check(world, checks, index), index, "alone");
            agrees(in_order.explain(world, checks, index), index, "in order");
            compared += 1;
        }
        // Backwards: each question starts the replay again.
        let mut backwards = Replay::default();
        for index in (0..run.len()).rev() {
            agrees(backwards.explain(world, checks, index), index, "backwards");
        }
        assert!(explain_check(world, checks, checks.len()).is_none());
    }
    assert!(compared > 200, "only {compared} checks compared");
}
