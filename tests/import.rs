//! `iamsim import` on real AWS CLI outputs (tests/fixtures/aws-cli: the CLI run against a
//! small account, see its README): the world it builds loads, and checks on it give the
//! answers the documents' content states. Broken inputs get errors naming the file and what
//! it looks like.

use std::path::Path;

use iamsim::import::{import, ImportError, ImportOptions, Inputs};
use iamsim::scenario::{load_scenario_text, run_scenario};

fn fixtures(part: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws-cli")
        .join(part)
}

/// The imported account with `checks` added.
fn imported_with(checks: serde_json::Value) -> serde_json::Value {
    let inputs = Inputs::folder(&fixtures("account")).expect("the fixtures folder reads");
    let imported = import(&inputs, &ImportOptions::default()).expect("the fixtures import");
    let json = &imported.text[imported
        .text
        .find('{')
        .expect("a JSON object follows the comment")..];
    let mut world: serde_json::Value = serde_json::from_str(json).expect("the output is JSON");
    world["checks"] = checks;
    world
}

/// The app-data key's ARN, as the imported world names it.
fn app_data_key(world: &serde_json::Value) -> String {
    world["keys"]
        .as_array()
        .expect("keys are imported")
        .iter()
        .find(|k| {
            k["aliases"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "alias/app-data"))
        })
        .and_then(|k| k["arn"].as_str())
        .expect("the app-data key has its alias")
        .to_string()
}

#[test]
fn the_imported_account_loads_and_answers_from_its_documents() {
    let mut world = imported_with(serde_json::json!([]));
    let key = app_data_key(&world);
    let checks = serde_json::json!([
        // The bucket policy's PartnerRead statement names 444455556666's root.
        {"name": "the partner account reads app-data: its bucket policy allows it",
         "principal": "arn:aws:iam::444455556666:root", "action": "s3:GetObject",
         "resource": "arn:aws:s3:::app-data/report.csv",
         "expect": {"allowed": true, "decided_by": ["PartnerRead"]}},
        // The key policy names only 123456789012's root and app-role.
        {"name": "the partner account cannot decrypt: the key policy does not name it",
         "principal": "arn:aws:iam::444455556666:root", "action": "kms:Decrypt",
         "resource": key,
         "expect": {"allowed": false, "denial": "implicit", "layer": "key"}},
        // The key policy grants app-role GenerateDataKey by its ARN; its boundary (s3:* and
        // kms:Decrypt) caps that grant.
        {"name": "app-role's boundary caps the key policy's grant of GenerateDataKey",
         "principal": "arn:aws:iam::123456789012:role/app-role", "action": "kms:GenerateDataKey",
         "resource": key,
         "expect": {"allowed": false, "denial": "implicit", "layer": "permissions_boundary"}},
        {"name": "app-role decrypts: the key policy and its boundary allow it",
         "principal": "arn:aws:iam::123456789012:role/app-role", "action": "kms:Decrypt",
         "resource": key, "expect": {"allowed": true, "decided_by": ["AllowAppRoleUse"]}},
        // The grant partner-reader-decrypt gives partner-reader Decrypt.
        {"name": "partner-reader decrypts through its grant",
         "principal": "arn:aws:iam::123456789012:role/partner-reader", "action": "kms:Decrypt",
         "resource": key,
         "expect": {"allowed": true, "decided_by": [format!("grant partner-reader-decrypt on {key}[0]")]}},
        // The bucket policy denies s3:* without TLS.
        {"name": "a request over plain HTTP is denied by the bucket policy",
         "principal": "arn:aws:iam::444455556666:root", "action": "s3:GetObject",
         "resource": "arn:aws:s3:::app-data/report.csv",
         "context": {"aws:SecureTransport": "false"},
         "expect": {"allowed": false, "denial": "explicit", "decided_by": ["DenyInsecureTransport"]}},
        // developers (alice's group) may list app-data through the managed policy app-data-read.
        {"name": "alice lists app-data through her group's managed policy",
         "principal": "arn:aws:iam::123456789012:user/alice", "action": "s3:ListBucket",
         "resource": "arn:aws:s3:::app-data", "expect": {"allowed": true, "decided_by": ["ListAppData"]}},
    ]);
    world["checks"] = checks;
    let scenario = load_scenario_text("imported.json", &world.to_string())
        .unwrap_or_else(|e| panic!("the imported world loads: {e}"));
    for result in run_scenario(&scenario, false) {
        assert!(
            matches!(result.expectation, iamsim::scenario::ExpectationStatus::Met),
            "{}: {:?}",
            result.name,
            result.expectation
        );
    }
}

#[test]
fn the_output_is_stable_and_lists_what_the_inputs_did_not_cover() {
    let inputs = Inputs::folder(&fixtures("account")).unwrap();
    let first = import(&inputs, &ImportOptions::default()).unwrap();
    let second = import(&inputs, &ImportOptions::default()).unwrap();
    assert_eq!(
        first.text, second.text,
        "the same inputs give the same file"
    );
    assert!(first.text.starts_with("// Imported by iamsim import"));
    // app-replica has no bucket policy, Block Public Access or ownership outputs.
    assert!(
        first
            .gaps
            .iter()
            .any(|g| g.starts_with("bucket app-replica: no output for its bucket policy")),
        "{:?}",
        first.gaps
    );
    // moto does not return SourceSelectionCriteria (see the fixtures' README).
    assert!(first
        .gaps
        .iter()
        .any(|g| g.contains("no SourceSelectionCriteria")));
    for gap in &first.gaps {
        assert!(first.text.contains(gap.as_str()), "the comment lists {gap}");
    }
}

fn errors_of(part: &str) -> Vec<ImportError> {
    let inputs = Inputs::folder(&fixtures(part)).unwrap();
    let options = ImportOptions {
        account: Some("123456789012".into()),
        region: None,
    };
    import(&inputs, &options).expect_err("a broken input is refused")
}

#[test]
fn broken_inputs_are_named_with_what_they_look_like() {
    let truncated = errors_of("bad/truncated");
    assert_eq!(truncated.len(), 1, "{truncated:?}");
    let message = truncated[0].to_string();
    assert!(
        message.contains("get-account-authorization-details.json:"),
        "{message}"
    );
    assert!(message.contains("truncated"), "{message}");
    assert!(truncated[0].position.is_some());

    let wrong = errors_of("bad/wrong-command");
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    let message = wrong[0].to_string();
    assert!(
        message.contains("s3api/app-data/get-bucket-policy.json"),
        "{message}"
    );
    assert!(
        message.contains("expected the output of aws s3api get-bucket-policy"),
        "{message}"
    );
    assert!(
        message.contains("looks like the output of aws s3api list-buckets"),
        "{message}"
    );

    let twice = errors_of("bad/double-url-encoded");
    assert_eq!(twice.len(), 1, "{twice:?}");
    assert!(
        twice[0].to_string().contains("URL-encoded twice"),
        "{}",
        twice[0]
    );
}
