//! `diff` on the bundled scenarios: a change flips exactly the decisions its policies say it
//! should, over the named checks and over the whole request matrix; an unchanged world flips
//! nothing.

use std::path::Path;
use std::sync::atomic::AtomicUsize;

use iamsim::json::SourceText;
use iamsim::report::diff::diff;
use iamsim::scenario::matrix::{swap_policy, Matrix, MatrixDiff};
use iamsim::scenario::{load_scenario, run_scenario, Scenario};

fn bundled(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    load_scenario(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn swapped(scenario: &Scenario, target: &str, policy: &str) -> Scenario {
    let mut after = scenario.clone();
    swap_policy(
        &mut after.world,
        target,
        &SourceText::new("swap.json", policy),
    )
    .unwrap_or_else(|e| panic!("{target}: {e}"));
    after
}

fn matrix(before: &Scenario, after: &Scenario) -> MatrixDiff {
    Matrix::of(&before.world, &after.world).compare(
        &before.world,
        &after.world,
        &AtomicUsize::new(0),
    )
}

fn flipped_checks(before: &Scenario, after: &Scenario) -> Vec<String> {
    diff(&run_scenario(before, false), &run_scenario(after, false))
        .changed
        .into_iter()
        .filter(|c| c.flipped)
        .map(|c| c.name)
        .collect()
}

#[test]
fn an_unchanged_world_flips_nothing() {
    for name in [
        "s3-encryption/sse-kms-enforced-by-bucket-policy.json",
        "kms/kms-key-policy-delegation.json",
        "replication/cross-account-replication-with-sse-kms.json",
        "access-points/access-point-delegation.json",
    ] {
        let s = bundled(name);
        assert!(flipped_checks(&s, &s).is_empty(), "{name}");
        let m = matrix(&s, &s);
        assert!(m.requests > 0, "{name}: the matrix has requests");
        assert!(m.flips.is_empty(), "{name}: {:?}", m.flips.first());
    }
}

#[test]
fn tightening_the_sse_kms_bucket_policy_flips_exactly_the_kms_uploads() {
    let before = bundled("s3-encryption/sse-kms-enforced-by-bucket-policy.json");
    // The same two Deny statements, plus one that refuses every upload not made with
    // dual-layer SSE-KMS: the two uploads that succeeded (with aws:kms and the bucket's key)
    // are now refused; those already refused stay refused.
    let key = "arn:aws:kms:ap-northeast-1:111122223333:key/674f7408-d349-4d20-a487-84bfa8e207bd";
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
  {{"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
    "Condition": {{"StringNotEquals": {{"s3:x-amz-server-side-encryption": "aws:kms"}}}}}},
  {{"Sid": "DenyUseOfUnspecifiedKMSKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
    "Condition": {{"StringNotEquals": {{"s3:x-amz-server-side-encryption-aws-kms-key-id": "{key}"}}}}}},
  {{"Sid": "DenyUnlessDualLayer", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
    "Condition": {{"StringNotEquals": {{"s3:x-amz-server-side-encryption": "aws:kms:dsse"}}}}}}
]}}"#
    );
    let after = swapped(
        &before,
        "bucket:s3-encrypted-bucket-by-example-cmk",
        &policy,
    );
    let mut flipped = flipped_checks(&before, &after);
    flipped.sort();
    assert_eq!(
        flipped,
        [
            "aws s3 cp --sse aws:kms --sse-kms-key-id alias/example-cmk-aws succeeds: the alias resolves to the key ARN the policy names (A1)",
            "console upload choosing SSE-KMS with the CMK from the key list (console sends the key ARN) succeeds",
        ]
    );
    // The matrix's requests carry no encryption headers: the old policy already refused
    // every one of its uploads, so nothing there flips.
    let m = matrix(&before, &after);
    assert!(m.flips.is_empty(), "{:?}", m.flips);
}

#[test]
fn loosening_a_key_policy_to_everyone_flips_the_requests_it_now_grants() {
    let before = bundled("kms/kms-key-policy-delegation.json");
    let key = "arn:aws:kms:us-east-1:222222222222:key/9a16e587-5587-460b-9d16-b24a2734fc2e";
    let after = swapped(
        &before,
        &format!("key:{key}"),
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Everyone", "Effect": "Allow",
            "Principal": "*", "Action": "kms:*", "Resource": "*"}]}"#,
    );
    // Across accounts, "*" in the key policy is the key side; the caller's own IAM must still
    // allow: partner-app's does, partner-intern has none. In the key's own account "*" is a
    // direct grant: user u needs no IAM allow any more.
    let mut flipped = flipped_checks(&before, &after);
    flipped.sort();
    assert_eq!(flipped.len(), 2, "{flipped:?}");
    assert!(flipped[1].starts_with("Part B 10 example 1: same account"));
    assert!(flipped[0].starts_with("Part B 10 example 10: cross-account, IAM allows"));
    let m = matrix(&before, &after);
    for f in &m.flips {
        assert_eq!(f.resource, key, "{f:?}");
        assert!(!f.before.allowed && f.after.allowed, "{f:?}");
        assert!(
            f.after.by.iter().any(|b| b.starts_with("Everyone")),
            "{f:?}"
        );
        assert_ne!(
            f.principal, "arn:aws:iam::111111111111:user/partner-intern",
            "{f:?}"
        );
    }
    assert!(m.flips.iter().any(
        |f| f.principal == "arn:aws:iam::111111111111:user/partner-app"
            && f.action == "kms:GenerateDataKey"
    ));
}
