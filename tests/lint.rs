//! The policy lint: AWS's managed policies get no error-level finding (AWS accepts them all),
//! deliberately wrong policies each get their code, findings point at the element they are
//! about, and the commands print them (`lint` as text, JSON and SARIF; `check`, `eval` and
//! `explain` on standard error, failing the run with `--deny-warnings`).
//!
//! Which findings are errors follows what AWS refuses to store:
//! - IAM: a Resource with fewer than six fields and an empty one, an empty service, a Region in
//!   an IAM ARN (MalformedPolicyDocument, as getmoto/moto `moto/iam/policy_validation.py`
//!   reproduces it);
//! - S3 PutBucketPolicy: "Policy has invalid action", "Action does not apply to any
//!   resource(s) in statement";
//! - KMS PutKeyPolicy: ForAllValues with kms:EncryptionContext:* in an Allow
//!   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
//!
//! IAM accepts unknown actions: AWS lists managed policies that hold some
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-action).

use std::path::{Path, PathBuf};
use std::process::Command;

use iamsim::json::SourceText;
use iamsim::policy::lint::{lint, lint_policy_text, Finding, Level, Rule};
use iamsim::policy::{parse_policy_text, PolicyType};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-managed")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn lint_file(path: &Path) -> Vec<Finding> {
    let text = std::fs::read_to_string(path).expect("readable");
    let source = SourceText::new(path.display().to_string(), text);
    let (_, findings) = lint_policy_text(&source, Some(PolicyType::Identity), "p")
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    findings
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = findings.iter().map(|f| f.rule.code()).collect();
    c.sort();
    c
}

// ---------------------------------------------------------------------------------------------
// AWS's own policies

/// Every managed policy of the fixtures parses and lints without an error-level finding: AWS
/// accepted each of them.
#[test]
fn aws_managed_policies_get_no_error() {
    let mut files = json_files(&fixtures_dir());
    files.extend(json_files(&fixtures_dir().join("lint")));
    assert_eq!(files.len(), 44);
    let mut total = 0;
    for path in &files {
        let findings = lint_file(path);
        total += findings.len();
        for f in &findings {
            assert_eq!(f.level, Level::Warning, "{}: {f:?}", path.display());
            assert!(f.offset.is_some() && f.line.is_some(), "{f:?}");
        }
    }
    assert!(total > 0, "the fixtures hold known warnings");
}

/// The warnings of the managed policies picked for them, and of a few of the forty.
#[test]
fn aws_managed_policies_get_their_warnings() {
    let expect: [(&str, &[&str]); 8] = [
        ("lint/CloudTrailEventContext", &["C003"]),
        ("lint/ROSAManageSubscription", &["C002"]),
        ("lint/AWSCodeBuildReadOnlyAccess", &["R002"]),
        ("lint/AmazonEC2RoleforAWSCodeDeployLimited", &["R003"]),
        // NotAction with Allow.
        ("PowerUserAccess", &["S002"]),
        // `deepracer` is no longer a service of the reference; one of its condition keys.
        ("AWSDeepRacerAccountAdminAccess", &["A002", "C001"]),
        // Clean.
        ("AmazonS3ReadOnlyAccess", &[]),
        ("AdministratorAccess", &[]),
    ];
    for (name, codes_expected) in expect {
        let path = fixtures_dir().join(format!("{name}.json"));
        let found = lint_file(&path);
        assert_eq!(codes(&found), codes_expected, "{name}: {found:#?}");
    }
    let s3 = lint_file(&fixtures_dir().join("lint/AmazonEC2RoleforAWSCodeDeployLimited.json"));
    assert!(
        s3[0].message.starts_with("s3:ListBucket applies to"),
        "{s3:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Deliberately wrong policies

struct Wrong {
    what: &'static str,
    policy_type: PolicyType,
    statement: &'static str,
    code: &'static str,
    level: Level,
    /// A part of the message.
    says: &'static str,
}

const P: &str = r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "#;

fn wrong_policies() -> Vec<Wrong> {
    use Level::{Error, Warning};
    use PolicyType::{Bucket, Identity, Key, Resource, Trust};
    let w = |what, policy_type, statement, code, level, says| Wrong {
        what,
        policy_type,
        statement,
        code,
        level,
        says,
    };
    vec![
        w(
            "a misspelt action",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:PutObjects", "Resource": "arn:aws:s3:::b/*"}"#,
            "A001",
            Warning,
            "did you mean s3:PutObject?",
        ),
        w(
            "a misspelt s3 action in a bucket policy (S3: Policy has invalid action)",
            Bucket,
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}"#,
            "A001",
            Error,
            "did you mean s3:GetObject?",
        ),
        w(
            "a misspelt service",
            Identity,
            r#"{"Effect": "Allow", "Action": "s4:GetObject", "Resource": "*"}"#,
            "A002",
            Warning,
            "did you mean s3?",
        ),
        w(
            "a wildcard that matches nothing",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:Gett*", "Resource": "*"}"#,
            "A003",
            Warning,
            "s3:Gett* matches no action of s3",
        ),
        w(
            "an ARN with too few fields",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3::b/*"}"#,
            "R001",
            Error,
            "fewer than six fields",
        ),
        w(
            "an ARN with an empty service",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws::us-east-1:111122223333:b"}"#,
            "R001",
            Error,
            "empty service",
        ),
        w(
            "an IAM ARN with a Region",
            Identity,
            r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam:us-east-1:111122223333:role/r"}"#,
            "R001",
            Error,
            "Region",
        ),
        w(
            "a resource no action of the statement applies to",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:sqs:us-east-1:111122223333:q"]}"#,
            "R002",
            Warning,
            "arn:aws:sqs:us-east-1:111122223333:q fits no resource type",
        ),
        w(
            "s3:ListBucket with object ARNs only",
            Identity,
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b/*"}"#,
            "R003",
            Warning,
            "s3:ListBucket applies to",
        ),
        w(
            "s3:ListBucket with object ARNs only, in a bucket policy (S3 refuses it)",
            Bucket,
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b/*"}"#,
            "R003",
            Error,
            "s3:ListBucket applies to",
        ),
        w(
            "s3:GetObject on the bucket, without /*",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}"#,
            "R004",
            Warning,
            "the statement never applies",
        ),
        w(
            "s3:GetObject on the bucket in a bucket policy (S3 refuses it)",
            Bucket,
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}"#,
            "R004",
            Error,
            "the statement never applies",
        ),
        w(
            "a misspelt service condition key",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"s3:x-amz-acll": "private"}}}"#,
            "C001",
            Warning,
            "did you mean s3:x-amz-acl?",
        ),
        w(
            "a misspelt global condition key",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SoruceIp": "10.0.0.0/8"}}}"#,
            "C001",
            Warning,
            "did you mean aws:SourceIp?",
        ),
        w(
            "a condition key the statement's actions never carry",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}"#,
            "C002",
            Warning,
            "kms:ViaService",
        ),
        w(
            "a single-valued operator on aws:TagKeys (A9)",
            Identity,
            r#"{"Effect": "Allow", "Action": "s3:PutObjectTagging", "Resource": "*", "Condition": {"StringEquals": {"aws:TagKeys": "team"}}}"#,
            "C003",
            Warning,
            "multi-valued",
        ),
        w(
            "ForAllValues on the encryption context in an identity policy",
            Identity,
            r#"{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContext:app": "x"}}}"#,
            "C004",
            Warning,
            "OverlyPermissiveCondition",
        ),
        w(
            "ForAllValues on the encryption context in a key policy (KMS refuses it)",
            Key,
            r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContext:app": "x"}}}"#,
            "C004",
            Error,
            "OverlyPermissiveCondition",
        ),
        w(
            "a public read without a condition",
            Bucket,
            r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
            "S001",
            Warning,
            "anyone",
        ),
        w(
            "a trust policy anyone may assume",
            Trust,
            r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}"#,
            "S001",
            Warning,
            "anyone",
        ),
        w(
            "a queue anyone may write to",
            Resource,
            r#"{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:q", "Condition": {"StringLike": {"aws:SourceArn": "*"}}}"#,
            "S001",
            Warning,
            "anyone",
        ),
        w(
            "NotAction with Allow",
            Identity,
            r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#,
            "S002",
            Warning,
            "NotAction",
        ),
        w(
            "a key-policy statement without Resource",
            Key,
            r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*"}"#,
            "S003",
            Warning,
            "Resource",
        ),
    ]
}

fn lint_statement(policy_type: PolicyType, statement: &str) -> Vec<Finding> {
    let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#);
    let policy = parse_policy_text(&SourceText::new("p.json", text), policy_type, "p")
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    lint(&policy)
}

/// Each wrong policy gets exactly its code, at its level, and says why.
#[test]
fn deliberately_wrong_policies_get_their_code() {
    for w in wrong_policies() {
        let found = lint_statement(w.policy_type, w.statement);
        assert_eq!(codes(&found), [w.code], "{}: {found:#?}", w.what);
        assert_eq!(found[0].level, w.level, "{}: {found:#?}", w.what);
        assert!(
            found[0].message.contains(w.says),
            "{}: {:?} does not say {:?}",
            w.what,
            found[0].message,
            w.says
        );
    }
    // Every rule is exercised.
    let covered: Vec<&str> = wrong_policies().iter().map(|w| w.code).collect();
    for r in Rule::ALL {
        assert!(
            covered.contains(&r.code()),
            "{} has no wrong policy",
            r.code()
        );
    }
}

/// What the wrong policies get wrong, done right, draws nothing.
#[test]
fn the_same_policies_done_right_get_nothing() {
    let right: [(PolicyType, &str); 8] = [
        (
            PolicyType::Identity,
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}"#,
        ),
        (
            PolicyType::Bucket,
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}"#,
        ),
        (
            PolicyType::Bucket,
            r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}"#,
        ),
        (
            PolicyType::Bucket,
            r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#,
        ),
        (
            PolicyType::Identity,
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/${aws:username}/*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}, "ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}}"#,
        ),
        (
            PolicyType::Identity,
            r#"{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/k"}}}"#,
        ),
        (
            PolicyType::Trust,
            r#"{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}"#,
        ),
        (
            PolicyType::Identity,
            r#"{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "s3:ListAllMyBuckets"], "Resource": "*"}"#,
        ),
    ];
    for (t, statement) in right {
        let found = lint_statement(t, statement);
        assert!(found.is_empty(), "{statement}: {found:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Positions

/// The line and column of the element a finding is about: the action's string, the resource's
/// string, the condition key.
#[test]
fn findings_point_at_the_element() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObjects"],
      "Resource": ["arn:aws:s3:::b/*",
                   "arn:aws:s3::c/*"],
      "Condition": {"StringEquals": {"s3:x-amz-acll": "private"}}
    }
  ]
}"#;
    let source = SourceText::new("p.json", text);
    let (_, findings) = lint_policy_text(&source, Some(PolicyType::Identity), "p").unwrap();
    let at: Vec<(&str, (usize, usize))> = findings
        .iter()
        .map(|f| {
            (
                f.rule.code(),
                source.line_col(f.offset.expect("positions") as usize),
            )
        })
        .collect();
    let find = |code: &str| at.iter().find(|(c, _)| *c == code).map(|(_, p)| *p);
    // Columns are those of the opening quote.
    assert_eq!(find("A001"), Some((7, 34)), "{at:?}");
    assert_eq!(find("R001"), Some((9, 20)), "{at:?}");
    assert_eq!(find("C001"), Some((10, 38)), "{at:?}");
    assert!(findings.iter().all(|f| f.sid.as_deref() == Some("Read")));
}

/// A policy given as a JSON string (as `aws s3api get-bucket-policy` prints it) is located at
/// the string: positions inside it mean nothing in the file.
#[test]
fn a_policy_in_a_json_string_points_at_the_string() {
    let text = "{\n  \"Policy\": \"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":\\\"s3:GetObject\\\",\\\"Resource\\\":\\\"arn:aws:s3:::b\\\"}]}\"\n}";
    let source = SourceText::new("get-bucket-policy.json", text);
    let (policy, findings) = lint_policy_text(&source, None, "p").unwrap();
    assert_eq!(policy.policy_type, PolicyType::Bucket);
    assert_eq!(codes(&findings), ["R004", "S001"]);
    for f in &findings {
        assert_eq!(
            source.line_col(f.offset.unwrap() as usize),
            (2, 13),
            "{f:?}"
        );
        assert_eq!(f.line, Some(2));
    }
}

/// The type of a policy file comes from the AWS CLI command that printed it, else from its
/// statements.
#[test]
fn policy_types_are_read_from_the_file() {
    let guess = |text: &str| {
        let node = iamsim::json::parse(text, false).unwrap();
        iamsim::policy::lint::guess_policy_type(&node)
    };
    let doc = |principal: &str, action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{principal}"Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    assert_eq!(guess(&doc("", "s3:GetObject")), PolicyType::Identity);
    assert_eq!(guess(&doc(P, "s3:GetObject")), PolicyType::Bucket);
    assert_eq!(guess(&doc(P, "kms:Decrypt")), PolicyType::Key);
    assert_eq!(guess(&doc(P, "sts:AssumeRole")), PolicyType::Trust);
    assert_eq!(guess(&doc(P, "sqs:SendMessage")), PolicyType::Resource);
    assert_eq!(
        guess(r#"{"Policy": "{}", "PolicyName": "default"}"#),
        PolicyType::Key
    );
    assert_eq!(
        guess(r#"{"Role": {"AssumeRolePolicyDocument": {}}}"#),
        PolicyType::Trust
    );
    assert_eq!(
        guess(r#"{"PolicyVersion": {"Document": {}}}"#),
        PolicyType::Identity
    );
}

// ---------------------------------------------------------------------------------------------
// The commands

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

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamsim-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn policy_file(name: &str, statement: &str) -> String {
    let text = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {statement}\n  ]\n}}\n"
    );
    temp_file(name, &text).display().to_string()
}

const CLEAN: &str =
    r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#;
const TYPO: &str =
    r#"{"Effect": "Allow", "Action": "s3:PutObjects", "Resource": "arn:aws:s3:::b/*"}"#;
const REFUSED: &str =
    r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3::b/*"}"#;

#[test]
fn lint_exit_codes() {
    let clean = policy_file("clean.json", CLEAN);
    let typo = policy_file("typo.json", TYPO);
    let refused = policy_file("refused.json", REFUSED);
    let (code, out, _) = iamsim(&["lint", &clean]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 findings"), "{out}");
    // Warnings only: 0, unless denied.
    let (code, out, _) = iamsim(&["lint", &typo]);
    assert_eq!(code, 0);
    assert!(
        out.contains(":4:35: warning: typo, statement 0: s3:PutObjects is not an action of s3 (did you mean s3:PutObject?)"),
        "{out}"
    );
    assert!(out.contains("[A001]"), "{out}");
    assert_eq!(iamsim(&["lint", "--deny-warnings", &typo]).0, 1);
    // An error-level finding (AWS refuses the policy): 2.
    let (code, out, _) = iamsim(&["lint", &refused]);
    assert_eq!(code, 2);
    assert!(out.contains(": error: refused, statement 0:"), "{out}");
    // Invalid input: 2, the other files still linted.
    let broken = temp_file("broken.json", "{\"Statement\": [}");
    let (code, out, err) = iamsim(&["lint", &typo, broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        out.contains("[A001]") && err.contains("broken.json:1:"),
        "{out}{err}"
    );
    // A scenario: every policy in it, and raw checks naming no action.
    let scenario = temp_file(
        "world.json",
        r#"{
  "principals": [{"arn": "arn:aws:iam::111122223333:user/alice",
    "policies": [{"name": "read", "document": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}}]}],
  "checks": [{"name": "typo", "principal": "arn:aws:iam::111122223333:user/alice",
    "action": "s3:GetObjects", "resource": "arn:aws:s3:::b/k", "expect": "denied"}]
}"#,
    );
    let (code, out, _) = iamsim(&["lint", scenario.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(":4:79: warning: read, statement 0: no action"),
        "{out}"
    );
    assert!(out.contains("[R004]"), "{out}");
    assert!(
        out.contains(":6:15: warning: check \"typo\": s3:GetObjects is not an action of s3"),
        "{out}"
    );
}

#[test]
fn lint_json_and_sarif() {
    let typo = policy_file("typo-sarif.json", TYPO);
    let refused = policy_file("refused-sarif.json", REFUSED);
    let (_, out, _) = iamsim(&["lint", "--format", "json", &typo, &refused]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["warnings"], 1);
    let first = &doc["findings"][0];
    assert_eq!(first["code"], "A001");
    assert_eq!(first["level"], "warning");
    assert_eq!(first["line"], 4);
    assert_eq!(first["column"], 35);
    assert_eq!(first["statement"], 0);

    let (code, out, _) = iamsim(&["lint", "--format", "sarif", &typo, &refused]);
    assert_eq!(code, 2);
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "iamsim");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Rule::ALL.len());
    for r in rules {
        assert!(r["id"].is_string() && r["helpUri"].is_string(), "{r}");
        assert!(r["shortDescription"]["text"].is_string(), "{r}");
        assert!(r["help"]["text"].is_string(), "{r}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let a001 = &results[0];
    assert_eq!(a001["ruleId"], "A001");
    assert_eq!(a001["level"], "warning");
    assert_eq!(
        rules[a001["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "A001"
    );
    let location = &a001["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("typo-sarif.json"));
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 35);
    assert_eq!(results[1]["ruleId"], "R001");
    assert_eq!(results[1]["level"], "error");
}

#[test]
fn check_explain_and_eval_print_findings_and_deny_warnings() {
    let scenario = temp_file(
        "deny.json",
        r#"{
  "principals": [{"arn": "arn:aws:iam::111122223333:user/alice",
    "policies": [{"name": "read", "document": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectz"], "Resource": "arn:aws:s3:::b/*"}]}}]}],
  "buckets": [{"name": "b", "account": "111122223333"}],
  "checks": [{"name": "read", "principal": "arn:aws:iam::111122223333:user/alice",
    "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "expect": "allowed"}]
}"#,
    );
    let file = scenario.to_str().unwrap();
    let (code, _, err) = iamsim(&["check", file]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "deny.json:4:68: warning: read, statement 0: s3:GetObjectz is not an action of s3"
        ),
        "{err}"
    );
    assert_eq!(iamsim(&["check", "--deny-warnings", file]).0, 1);
    let (code, _, err) = iamsim(&["explain", file]);
    assert_eq!(code, 0);
    assert!(err.contains("[A001]"), "{err}");
    assert_eq!(iamsim(&["explain", "--deny-warnings", file]).0, 1);

    // eval: the action itself, and the policy files.
    let policy = policy_file("eval-policy.json", TYPO);
    let args = [
        "eval",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--action",
        "s3:PutObjects",
        "--resource",
        "arn:aws:s3:::b/k",
        "--resource-account",
        "111122223333",
        "--identity-policy",
        &policy,
    ];
    // The same misspelling on both sides matches: allowed, for an action AWS does not have.
    let (code, out, err) = iamsim(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("eval: warning: --action: s3:PutObjects is not an action of s3 (did you mean s3:PutObject?)"),
        "{err}"
    );
    assert!(err.contains("eval-policy.json:4:35: warning:"), "{err}");
    let mut denied = args.to_vec();
    denied.push("--deny-warnings");
    assert_eq!(iamsim(&denied).0, 2);
}
