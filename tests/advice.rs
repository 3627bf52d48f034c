//! `fix` and `who-can` on the experiments' scenarios and on worlds whose answers the documents
//! state: every suggestion is verified by iamsim itself, and the first is the one the seed
//! experiments applied.

use std::path::Path;

use iamsim::advice::edits::{Edit, PolicyTarget};
use iamsim::advice::{fix, who_can, Goal, Question};
use iamsim::scenario::load_scenario_text;
use iamsim::services::Call;

fn bundled(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .expect("a bundled scenario")
}

fn check_named(text: &str, prefix: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).expect("JSON");
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .find(|n| n.starts_with(prefix))
        .unwrap_or_else(|| panic!("no check starting {prefix:?}"))
        .to_string()
}

#[test]
fn a_download_without_kms_decrypt_is_fixed_in_the_roles_policy_first() {
    // The KMS-permissions experiment: the role's policy lacks kms:Decrypt; the key policy is the
    // default one, which delegates to the account.
    let text = bundled("kms/kms-permissions-for-upload-and-download.json");
    let check = check_named(&text, "detour policy without kms:Decrypt");
    let report = fix("kms.json", &text, &check).expect("fix runs");
    assert_eq!(report.goal, Goal::Allow);
    let advice = report.advice.expect("the misleading wording is explained");
    assert!(
        advice.contains("belongs in the caller's IAM policy"),
        "{advice}"
    );
    let first = &report.suggestions[0];
    assert!(first.reaches_goal);
    assert_eq!(first.answer, "allowed");
    match first.edits.as_slice() {
        [Edit::AddStatement {
            target: PolicyTarget::Identity { principal, .. },
            statement,
        }] => {
            assert!(principal.ends_with(":role/dev-sample-ec2-role1-no-decrypt"));
            assert_eq!(statement["Action"], "kms:Decrypt");
            assert!(statement["Resource"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:kms:"));
        }
        other => panic!("{other:?}"),
    }
    // Every suggestion was verified.
    assert!(report.suggestions.iter().all(|s| s.reaches_goal));
}

#[test]
fn an_upload_without_a_key_id_is_fixed_by_sending_one() {
    // The SSE-KMS enforcement experiment: `--sse aws:kms` alone is refused by the statement that
    // requires the bucket's key.
    let text = bundled("s3-encryption/sse-kms-enforced-by-bucket-policy.json");
    let check = check_named(&text, "aws s3 cp --sse aws:kms only");
    let report = fix("sse.json", &text, &check).expect("fix runs");
    let headers: Vec<(String, String)> = report
        .suggestions
        .iter()
        .take(2)
        .map(|s| match s.edits.as_slice() {
            [Edit::SetHeader { header, value, .. }] => (header.clone(), value.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        headers,
        [
            (
                "x-amz-server-side-encryption-aws-kms-key-id".to_string(),
                "arn:aws:kms:ap-northeast-1:111122223333:key/674f7408-d349-4d20-a487-84bfa8e207bd"
                    .to_string()
            ),
            (
                "x-amz-server-side-encryption-aws-kms-key-id".to_string(),
                "alias/example-cmk-aws".to_string()
            ),
        ]
    );
    assert!(report.suggestions[..2]
        .iter()
        .all(|s| s.reaches_goal && s.side_effect_count == 0));
}

#[test]
fn a_replica_under_the_wrong_key_gets_a_key_policy_edit_or_the_right_key() {
    let text = bundled("replication/cross-account-replication-with-sse-kms.json");
    let check = check_named(&text, "trap pair: the destination cannot download");
    let report = fix("replication.json", &text, &check).expect("fix runs");
    assert!(!report.suggestions.is_empty());
    assert!(report.suggestions.iter().all(|s| s.reaches_goal));
    assert!(report
        .suggestions
        .iter()
        .any(|s| s.edits.iter().any(|e| matches!(
            e,
            Edit::AddStatement {
                target: PolicyTarget::Key { .. },
                ..
            } | Edit::SetReplicaKey { .. }
        ))));
}

/// A caller of another account uploads into an SSE-KMS bucket that grants it nothing, with a
/// key whose policy does not name its account.
const CROSS_ACCOUNT_UPLOAD: &str = r#"{
  "principals": [{"arn": "arn:aws:iam::444455556666:role/writer", "policies": [{"name": "write",
    "document": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared-uploads/*"},
      {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}}]}],
  "keys": [{"arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],
  "buckets": [{"name": "shared-uploads", "account": "111122223333", "region": "us-east-1",
    "default_encryption": {"algorithm": "aws:kms", "kms_key": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}],
  "checks": [{"name": "upload", "principal": "arn:aws:iam::444455556666:role/writer",
    "call": "s3:PutObject", "bucket": "shared-uploads", "key": "report.csv", "expect": "denied"}]
}"#;

#[test]
fn a_call_failing_at_two_steps_gets_both_edits() {
    let report = fix("upload.json", CROSS_ACCOUNT_UPLOAD, "upload").expect("fix runs");
    let first = &report.suggestions[0];
    assert!(first.reaches_goal, "{first:?}");
    let bucket = first.edits.iter().any(|e| {
        matches!(
            e,
            Edit::AddStatement {
                target: PolicyTarget::Bucket { .. },
                ..
            }
        )
    });
    let key = first.edits.iter().any(|e| {
        matches!(
            e,
            Edit::AddStatement {
                target: PolicyTarget::Key { .. },
                ..
            } | Edit::AddGrant { .. }
        )
    });
    assert!(bucket && key, "{:?}", first.edits);
}

#[test]
fn an_allowed_check_expected_denied_gets_verified_tightenings() {
    let text = r#"{
      "principals": [{"arn": "arn:aws:iam::111122223333:user/intern", "policies": []}],
      "buckets": [{"name": "reports", "account": "111122223333", "policy": {"Version": "2012-10-17",
        "Statement": [{"Sid": "EveryoneReads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}}],
      "checks": [{"name": "the intern should not read", "principal": "arn:aws:iam::111122223333:user/intern",
        "action": "s3:GetObject", "resource": "arn:aws:s3:::reports/q1.csv", "expect": "denied"}]
    }"#;
    let report = fix("tighten.json", text, "the intern should not read").expect("fix runs");
    assert_eq!(report.goal, Goal::Deny);
    assert!(!report.suggestions.is_empty());
    assert!(report.suggestions.iter().all(|s| s.reaches_goal));
    // A Deny for the one principal comes before removing the statement every reader uses.
    assert!(matches!(
        report.suggestions[0].edits.as_slice(),
        [Edit::AddStatement { statement, .. }] if statement["Effect"] == "Deny"
    ));
}

#[test]
fn who_can_read_a_cross_account_bucket_under_a_key_that_omits_the_other_account() {
    let text = r#"{
      "principals": [
        {"arn": "arn:aws:iam::444455556666:role/partner", "policies": [{"name": "read", "document": {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}]},
        {"arn": "arn:aws:iam::111122223333:user/owner", "policies": [{"name": "read", "document": {"Version": "2012-10-17",
          "Statement": [{"Sid": "OwnerReads", "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}]}],
      "keys": [{"arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],
      "buckets": [{"name": "shared", "account": "111122223333", "region": "us-east-1",
        "default_encryption": {"algorithm": "aws:kms", "kms_key": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        "policy": {"Version": "2012-10-17", "Statement": [{"Sid": "PartnerReads", "Effect": "Allow",
          "Principal": {"AWS": "arn:aws:iam::444455556666:role/partner"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]},
        "objects": [{"key": "data.csv"}]}],
      "checks": []
    }"#;
    let scenario = load_scenario_text("who.json", text).expect("loads");
    let answers = who_can(
        &scenario.world,
        &Question::Call {
            call: Call::GetObject,
            bucket: "shared".into(),
            key: "data.csv".into(),
            headers: Vec::new(),
        },
    );
    let owner = &answers.can[0];
    assert_eq!(owner.principal, "arn:aws:iam::111122223333:user/owner");
    let partner = answers
        .cannot
        .iter()
        .find(|a| a.principal == "arn:aws:iam::444455556666:role/partner")
        .expect("the partner is refused");
    // The bucket policy lets it through S3's step; the default key policy names only the
    // key's own account, so KMS refuses the decryption S3 asks for on its behalf.
    assert_eq!(partner.failed_step.as_deref(), Some("kms:Decrypt"));
    assert!(
        answers.others.iter().all(|a| !a.allowed),
        "{:?}",
        answers.others
    );
    assert!(answers
        .others
        .iter()
        .any(|a| a.principal.starts_with("anonymous")));
}
