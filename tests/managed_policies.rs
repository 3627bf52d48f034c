//! Real AWS managed policies, exactly as `aws iam get-policy-version` prints them, parse as
//! identity policies and evaluate without error; for a handful, the decision is the one that
//! follows from the policy text and AWS's documented evaluation rules.
//!
//! Fixtures: `tests/fixtures/aws-managed/` (what they are and how they were chosen: its
//! README.md). The whole published set is checked by the ignored test at the end, which reads
//! the directory named by `IAMSIM_MANAGED_POLICIES` and is skipped when that is unset.
//!
//! Every expectation cites the statement that decides it and the AWS page for the rule:
//! - EVAL: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//! - ACTION: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
//! - NOTACTION: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
//! - RESOURCE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
//! - NOTRESOURCE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
//! - VARIABLES: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
//! - OPERATORS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
//! - MULTIVALUED: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//! - CONDITION LOGIC: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
//! - GRAMMAR: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
//!
//! The engine sees only the context a test gives it (the world layer, not used here, is what
//! fills in default keys such as `aws:username`), so each check spells out its keys.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamsim::engine::{
    authorize, Caller, Context, Decision, NoTrace, Outcome, PolicySet, Request, Trace,
};
use iamsim::json::SourceText;
use iamsim::policy::{parse_policy_text, Effect, Policy, PolicyError, PolicyType};

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const ROLE: &str = "arn:aws:iam::111122223333:role/ops/builder";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// How many fixtures the README lists.
const FIXTURE_COUNT: usize = 40;

// ---------------------------------------------------------------------------------------------
// Loading and evaluating

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-managed")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/aws-managed exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn parse_file(path: &Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("read: {e}"))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy")
        .to_string();
    let source = SourceText::new(path.display().to_string(), text);
    parse_policy_text(&source, PolicyType::Identity, &name).map_err(|e: PolicyError| e.to_string())
}

/// A fixture by policy name, parsed as an identity policy.
fn fixture(name: &str) -> Arc<Policy> {
    let path = fixtures_dir().join(format!("{name}.json"));
    Arc::new(parse_file(&path).unwrap_or_else(|e| panic!("{name}: {}", e)))
}

/// Checks that the parsed policy holds exactly what the file's `PolicyVersion.Document` says,
/// statement by statement (read independently with serde_json): Effect, Sid, every
/// Action/NotAction and Resource/NotResource entry, and every condition operator, key and value.
/// A statement may be a lone object instead of an array; a string may stand for a list.
fn check_faithful(path: &Path, policy: &Policy) -> Result<(), String> {
    use serde_json::Value;
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let version = &value["PolicyVersion"];
    if !version["Document"].is_object() || !version["VersionId"].is_string() {
        return Err("not in the `aws iam get-policy-version` form".into());
    }
    let items = match &version["Document"]["Statement"] {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        other => return Err(format!("Statement is {other}")),
    };
    if items.len() != policy.statements.len() {
        return Err(format!(
            "{} statements in the document, {} parsed",
            items.len(),
            policy.statements.len()
        ));
    }
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(a) => a.iter().map(scalar).collect(),
            other => vec![scalar(other)],
        }
    };
    for (item, st) in items.iter().zip(&policy.statements) {
        let at = format!("statement {}", st.index);
        let effect = match st.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        if item["Effect"] != effect {
            return Err(format!(
                "{at}: Effect {} parsed as {effect}",
                item["Effect"]
            ));
        }
        if item.get("Sid").and_then(Value::as_str) != st.sid.as_deref() {
            return Err(format!("{at}: Sid differs"));
        }
        let (key, expected) = match (item.get("Action"), item.get("NotAction")) {
            (Some(a), None) => (false, list(a)),
            (None, Some(a)) => (true, list(a)),
            _ => return Err(format!("{at}: neither or both of Action and NotAction")),
        };
        let parsed: Vec<String> = st
            .action
            .patterns
            .iter()
            .map(|p| p.source.clone())
            .collect();
        if st.action.negated != key || parsed != expected {
            return Err(format!("{at}: actions {parsed:?} != {expected:?}"));
        }
        let (key, expected) = match (item.get("Resource"), item.get("NotResource")) {
            (Some(r), None) => (false, list(r)),
            (None, Some(r)) => (true, list(r)),
            _ => return Err(format!("{at}: neither or both of Resource and NotResource")),
        };
        let resource = st.resource.as_ref().ok_or(format!("{at}: no Resource"))?;
        let parsed: Vec<String> = resource
            .patterns
            .iter()
            .map(|p| p.as_str().to_string())
            .collect();
        if resource.negated != key || parsed != expected {
            return Err(format!("{at}: resources {parsed:?} != {expected:?}"));
        }
        let mut expected: Vec<(String, String, Vec<String>)> = Vec::new();
        if let Some(Value::Object(ops)) = item.get("Condition") {
            for (op, keys) in ops {
                for (k, v) in keys.as_object().into_iter().flatten() {
                    expected.push((op.clone(), k.clone(), list(v)));
                }
            }
        }
        let mut parsed: Vec<(String, String, Vec<String>)> = st
            .conditions
            .iter()
            .map(|c| (c.operator.to_string(), c.key.clone(), c.raw_values.clone()))
            .collect();
        expected.sort();
        parsed.sort();
        if parsed != expected {
            return Err(format!("{at}: conditions {parsed:?} != {expected:?}"));
        }
    }
    Ok(())
}

/// A JSON scalar as policy text: strings as they are, booleans and numbers as written.
fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A request context from single-valued and multivalued keys.
fn ctx(single: &[(&str, &str)], multi: &[(&str, &[&str])]) -> Context {
    let mut c = Context::new();
    for (k, v) in single {
        c.set(k.to_string(), *v);
    }
    for (k, vs) in multi {
        c.set_multi(k.to_string(), vs.iter().map(|v| v.to_string()).collect());
    }
    c
}

/// Decides one request with the named fixtures as the caller's identity policies, once without
/// and once with a trace; both must agree, and the trace must cover every statement.
fn decide_as(
    caller: &str,
    policies: &[&str],
    action: &str,
    resource: &str,
    context: &Context,
) -> Decision {
    let caller = Caller::parse(caller).expect("caller ARN");
    let policies: Vec<Arc<Policy>> = policies.iter().map(|n| fixture(n)).collect();
    let set = PolicySet::identity_only(&policies);
    let request = Request::new(&caller, action, resource, Some(ACCOUNT), context);
    let quiet = authorize(&request, &set, &mut NoTrace);
    let mut trace = Trace::default();
    let traced = authorize(&request, &set, &mut trace);
    assert_eq!(
        quiet, traced,
        "{action} on {resource}: tracing changed the decision"
    );
    let statements: usize = policies.iter().map(|p| p.statements.len()).sum();
    assert_eq!(
        trace.statements.len(),
        statements,
        "the trace covers every statement"
    );
    quiet
}

fn decide(policies: &[&str], action: &str, resource: &str, context: &Context) -> Decision {
    decide_as(USER, policies, action, resource, context)
}

/// The labels (Sid, or `policy[index]`) of the statements that decided.
fn labels(d: &Decision) -> Vec<String> {
    d.statements().iter().map(|s| s.label()).collect()
}

#[track_caller]
fn assert_allowed(d: &Decision, by: &[&str]) {
    assert_eq!(d.outcome(), Outcome::Allowed, "{d:?}");
    assert_eq!(labels(d), by, "{d:?}");
}

#[track_caller]
fn assert_explicit_deny(d: &Decision, by: &[&str]) {
    assert_eq!(d.outcome(), Outcome::ExplicitDeny, "{d:?}");
    assert_eq!(labels(d), by, "{d:?}");
    assert_eq!(d.layer(), Some(PolicyType::Identity), "{d:?}");
}

#[track_caller]
fn assert_implicit_deny(d: &Decision) {
    assert_eq!(d.outcome(), Outcome::ImplicitDeny, "{d:?}");
    assert!(d.statements().is_empty(), "{d:?}");
}

// ---------------------------------------------------------------------------------------------
// Every fixture parses and evaluates

/// Requests every policy is evaluated against: (action, resource).
const REQUESTS: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::b/k"),
    ("s3:PutObject", "arn:aws:s3:::b/k"),
    ("s3:ListBucket", "arn:aws:s3:::b"),
    ("iam:CreateUser", "*"),
    ("iam:PassRole", ROLE),
    ("iam:CreateServiceLinkedRole", "*"),
    ("ec2:DescribeInstances", "*"),
    (
        "ec2:RunInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/*",
    ),
    ("kms:Decrypt", KEY),
    ("kms:CreateGrant", KEY),
    ("sts:AssumeRole", "arn:aws:iam::111122223333:role/other"),
    (
        "logs:PutLogEvents",
        "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:*",
    ),
    ("organizations:DescribeOrganization", "*"),
    ("cloudwatch:PutMetricData", "*"),
    (
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/t",
    ),
];

/// An empty context, and one carrying the keys managed policies test most (so that condition
/// operators, variables and multivalued keys all get exercised).
fn contexts() -> Vec<Context> {
    vec![
        Context::new(),
        ctx(
            &[
                ("aws:PrincipalArn", USER),
                ("aws:PrincipalAccount", ACCOUNT),
                ("aws:ResourceAccount", ACCOUNT),
                ("aws:username", "alice"),
                ("aws:userid", "AIDAEXAMPLEALICE"),
                ("aws:SecureTransport", "true"),
                ("aws:ViaAWSService", "true"),
                ("aws:CalledViaFirst", "cloudformation.amazonaws.com"),
                ("aws:RequestedRegion", "us-east-1"),
                ("aws:SourceIp", "203.0.113.7"),
                ("aws:CurrentTime", "2026-01-01T00:00:00Z"),
                ("aws:PrincipalTag/AmazonDataZoneProject", "p1"),
                ("aws:ResourceTag/AmazonDataZoneProject", "p1"),
                ("iam:PassedToService", "ec2.amazonaws.com"),
                ("iam:AWSServiceName", "autoscaling.amazonaws.com"),
                ("kms:ViaService", "s3.us-east-1.amazonaws.com"),
                ("s3:TlsVersion", "1.3"),
            ],
            &[
                ("aws:TagKeys", &["Name", "AmazonDataZoneProject"]),
                ("aws:CalledVia", &["cloudformation.amazonaws.com"]),
            ],
        ),
    ]
}

fn callers() -> Vec<Caller> {
    vec![
        Caller::parse(USER).expect("user ARN"),
        Caller::role_session(ROLE, "session-1").expect("role ARN"),
        Caller::parse(ROOT).expect("root ARN"),
    ]
}

/// Evaluates every request, caller and context against the policy, with and without a trace.
/// Returns the number of decisions made; a panic fails the calling test.
fn evaluate_all(policy: Policy) -> usize {
    let statements = policy.statements.len();
    let name = policy.name.clone();
    let policies = [Arc::new(policy)];
    let set = PolicySet::identity_only(&policies);
    let mut n = 0;
    for caller in &callers() {
        for context in &contexts() {
            for (action, resource) in REQUESTS {
                let request = Request::new(caller, action, resource, Some(ACCOUNT), context);
                let quiet = authorize(&request, &set, &mut NoTrace);
                let mut trace = Trace::default();
                let traced = authorize(&request, &set, &mut trace);
                assert_eq!(
                    quiet, traced,
                    "{name}: {action} on {resource}: tracing changed the decision"
                );
                assert_eq!(
                    trace.statements.len(),
                    statements,
                    "{name}: the trace covers every statement"
                );
                n += 1;
            }
        }
    }
    n
}

#[test]
fn every_fixture_parses_completely() {
    let files = fixture_files();
    assert_eq!(
        files.len(),
        FIXTURE_COUNT,
        "fixtures in {:?}",
        fixtures_dir()
    );
    let mut failures = Vec::new();
    for path in &files {
        match parse_file(path) {
            Ok(policy) => {
                assert_eq!(policy.policy_type, PolicyType::Identity);
                if let Err(e) = check_faithful(path, &policy) {
                    failures.push(format!("{}: {e}", path.display()));
                }
            }
            Err(errors) => failures.push(format!("{}:\n  {errors}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_evaluates_without_panic() {
    let mut decisions = 0;
    for path in fixture_files() {
        let policy = parse_file(&path).unwrap_or_else(|e| panic!("{}", e));
        decisions += evaluate_all(policy);
    }
    assert_eq!(
        decisions,
        FIXTURE_COUNT * callers().len() * contexts().len() * REQUESTS.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Expectations for well-known policies

/// AdministratorAccess: `{"Action": "*", "Resource": "*", "Effect": "Allow"}` allows every action
/// on every resource (ACTION: `*` covers all actions; EVAL: an identity-policy Allow suffices in
/// the same account).
#[test]
fn administrator_access_allows_everything() {
    let c = Context::new();
    for (action, resource) in [
        ("iam:CreateUser", "*"),
        ("s3:PutObject", "arn:aws:s3:::b/k"),
        ("kms:Decrypt", KEY),
        ("ec2:DescribeInstances", "*"),
    ] {
        let d = decide(&["AdministratorAccess"], action, resource, &c);
        assert_allowed(&d, &["AdministratorAccess[0]"]);
    }
}

/// AWSDenyAll: `{"Action": ["*"], "Resource": "*", "Effect": "Deny", "Sid": "DenyAll"}`. With
/// AdministratorAccess also attached the explicit Deny wins (EVAL: "an explicit deny in any
/// policy overrides any allows").
#[test]
fn deny_all_overrides_administrator_access() {
    let c = Context::new();
    let d = decide(
        &["AdministratorAccess", "AWSDenyAll"],
        "iam:CreateUser",
        "*",
        &c,
    );
    assert_explicit_deny(&d, &["DenyAll"]);
    // Alone it allows nothing (EVAL: a Deny never grants; without an Allow the answer is an
    // implicit deny, but a matching Deny is reported as explicit).
    let d = decide(&["AWSDenyAll"], "s3:GetObject", "arn:aws:s3:::b/k", &c);
    assert_explicit_deny(&d, &["DenyAll"]);
}

/// ReadOnlyAccess (the 83 KB job-function policy, two Allow statements on `"*"` with 2,677
/// action patterns between them) lists `"ec2:Describe*"` in `ReadOnlyActionsGroup1`,
/// `"s3:Get*"` and `"s3:List*"` in `ReadOnlyActionsGroup2`, and no S3 write, IAM create or KMS
/// decrypt action. So s3:GetObject and ec2:DescribeInstances are allowed, s3:PutObject and
/// iam:CreateUser are implicitly denied (ACTION: wildcards in action names; EVAL: "by default,
/// all requests are implicitly denied").
#[test]
fn read_only_access_reads_but_does_not_write() {
    let c = Context::new();
    let d = decide(&["ReadOnlyAccess"], "s3:GetObject", "arn:aws:s3:::b/k", &c);
    assert_allowed(&d, &["ReadOnlyActionsGroup2"]);
    let d = decide(&["ReadOnlyAccess"], "ec2:DescribeInstances", "*", &c);
    assert_allowed(&d, &["ReadOnlyActionsGroup1"]);
    let d = decide(&["ReadOnlyAccess"], "s3:PutObject", "arn:aws:s3:::b/k", &c);
    assert_implicit_deny(&d);
    let d = decide(&["ReadOnlyAccess"], "iam:CreateUser", "*", &c);
    assert_implicit_deny(&d);
    let d = decide(&["ReadOnlyAccess"], "kms:Decrypt", KEY, &c);
    assert_implicit_deny(&d);
}

/// AmazonS3ReadOnlyAccess: Allow `["s3:Get*", "s3:List*", "s3:Describe*",
/// "s3-object-lambda:Get*", "s3-object-lambda:List*"]` on `"*"`. s3:GetObject and
/// s3:ListBucket match, s3:PutObject does not (ACTION, EVAL). AmazonS3FullAccess (`"s3:*"`)
/// allows the write.
#[test]
fn s3_read_only_and_full_access() {
    let c = Context::new();
    let ro = "AmazonS3ReadOnlyAccess";
    assert_allowed(
        &decide(&[ro], "s3:GetObject", "arn:aws:s3:::b/k", &c),
        &["AmazonS3ReadOnlyAccess[0]"],
    );
    assert_allowed(
        &decide(&[ro], "s3:ListBucket", "arn:aws:s3:::b", &c),
        &["AmazonS3ReadOnlyAccess[0]"],
    );
    assert_allowed(
        &decide(&[ro], "s3-object-lambda:GetObject", "*", &c),
        &["AmazonS3ReadOnlyAccess[0]"],
    );
    assert_implicit_deny(&decide(&[ro], "s3:PutObject", "arn:aws:s3:::b/k", &c));
    // "s3:Get*" is a prefix of the action name, not of the service: s3-object-lambda:GetObject
    // is matched by its own entry above, and nothing matches s3-outposts:GetObject.
    assert_implicit_deny(&decide(&[ro], "s3-outposts:GetObject", "*", &c));

    let full = "AmazonS3FullAccess";
    assert_allowed(
        &decide(&[full], "s3:PutObject", "arn:aws:s3:::b/k", &c),
        &["AmazonS3FullAccess[0]"],
    );
    assert_implicit_deny(&decide(&[full], "iam:CreateUser", "*", &c));
}

/// PowerUserAccess: Allow `"NotAction": ["iam:*", "organizations:*", "account:*"]` on `"*"`, and
/// a second Allow for nine listed IAM/Organizations/Account actions. NOTACTION: "Allow with
/// NotAction ... allows all actions except the ones listed", so ec2:RunInstances is allowed by
/// the first, iam:CreateServiceLinkedRole only by the second, iam:CreateUser by neither.
#[test]
fn power_user_access_uses_not_action() {
    let c = Context::new();
    let p = "PowerUserAccess";
    assert_allowed(
        &decide(
            &[p],
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/*",
            &c,
        ),
        &["PowerUserAccess[0]"],
    );
    assert_allowed(
        &decide(&[p], "iam:CreateServiceLinkedRole", "*", &c),
        &["PowerUserAccess[1]"],
    );
    assert_allowed(
        &decide(&[p], "organizations:DescribeOrganization", "*", &c),
        &["PowerUserAccess[1]"],
    );
    assert_implicit_deny(&decide(&[p], "iam:CreateUser", "*", &c));
    assert_implicit_deny(&decide(&[p], "organizations:CreateAccount", "*", &c));
    // ACTION: action names are case-insensitive, so IAM:CREATEUSER is still excluded.
    assert_implicit_deny(&decide(&[p], "IAM:CREATEUSER", "*", &c));
}

/// IAMReadOnlyAccess: Allow `["iam:GenerateCredentialReport", ..., "iam:Get*", "iam:List*",
/// ...]` on `"*"`: iam:GetUser yes, iam:CreateUser no (ACTION, EVAL).
#[test]
fn iam_read_only_access() {
    let c = Context::new();
    assert_allowed(
        &decide(&["IAMReadOnlyAccess"], "iam:GetUser", "*", &c),
        &["IAMReadOnlyAccess[0]"],
    );
    assert_implicit_deny(&decide(&["IAMReadOnlyAccess"], "iam:CreateUser", "*", &c));
}

/// AWSSupportServiceRolePolicy (the largest managed policy, 135 KB) writes action names in
/// camelCase: `"ec2:describeInstances"`, `"iam:getUser"`. ACTION: "action names are case
/// insensitive", so ec2:DescribeInstances is allowed; it grants no S3 object read.
#[test]
fn support_service_role_policy_matches_camel_case_actions() {
    let c = Context::new();
    let p = "AWSSupportServiceRolePolicy";
    let d = decide(&[p], "ec2:DescribeInstances", "*", &c);
    assert_eq!(d.outcome(), Outcome::Allowed);
    let d = decide(&[p], "iam:GetUser", "*", &c);
    assert_eq!(d.outcome(), Outcome::Allowed);
    assert_implicit_deny(&decide(&[p], "s3:GetObject", "arn:aws:s3:::b/k", &c));
}

/// AmazonDetectiveFullAccess has `"securityHub:GetFindings"` (capital H) and
/// AmazonAugmentedAIHumanLoopFullAccess has `"sagemaker:*HumanLoop"` and
/// `"sagemaker:*HumanLoops"` (a wildcard at the start of the action name). ACTION: the
/// service prefix and action name are case-insensitive, and `*` may appear anywhere in the
/// action name.
#[test]
fn odd_action_spellings() {
    let c = Context::new();
    assert_allowed(
        &decide(
            &["AmazonDetectiveFullAccess"],
            "securityhub:GetFindings",
            "*",
            &c,
        ),
        &["AmazonDetectiveFullAccess[3]"],
    );
    let p = "AmazonAugmentedAIHumanLoopFullAccess";
    for action in [
        "sagemaker:StartHumanLoop",
        "sagemaker:DescribeHumanLoop",
        "sagemaker:ListHumanLoops",
    ] {
        assert_allowed(
            &decide(&[p], action, "*", &c),
            &["AmazonAugmentedAIHumanLoopFullAccess[0]"],
        );
    }
    // `*HumanLoop` must end the name: DescribeHumanLoopActivity is not covered.
    assert_implicit_deny(&decide(
        &[p],
        "sagemaker:DescribeHumanLoopActivity",
        "*",
        &c,
    ));
    assert_implicit_deny(&decide(&[p], "sagemaker:CreateTrainingJob", "*", &c));
}

/// AWSElementalMediaLiveFullAccess: `"Statement": {"Action": "medialive:*", ...}` — a lone
/// statement object instead of an array, which GRAMMAR allows (`"Statement": <statement> |
/// [<statement>, ...]`).
#[test]
fn statement_as_a_single_object() {
    let c = Context::new();
    let p = "AWSElementalMediaLiveFullAccess";
    assert_eq!(fixture(p).statements.len(), 1);
    assert_allowed(
        &decide(&[p], "medialive:CreateChannel", "*", &c),
        &["AWSElementalMediaLiveFullAccess[0]"],
    );
    assert_implicit_deny(&decide(&[p], "mediapackage:CreateChannel", "*", &c));
}

/// AWSCompromisedKeyQuarantineV2: one Deny statement listing, among ~90 actions,
/// `"iam:CreateUser"`, `"s3:GetObject"` and `"ec2:RunInstances"`, on `"*"`. Attached beside
/// AdministratorAccess the listed actions are explicitly denied and others still allowed
/// (EVAL: explicit deny overrides allow).
#[test]
fn compromised_key_quarantine_denies_listed_actions() {
    let c = Context::new();
    let ps = ["AdministratorAccess", "AWSCompromisedKeyQuarantineV2"];
    for (action, resource) in [
        ("iam:CreateUser", "*"),
        ("s3:GetObject", "arn:aws:s3:::b/k"),
        (
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/*",
        ),
    ] {
        assert_explicit_deny(
            &decide(&ps, action, resource, &c),
            &["AWSCompromisedKeyQuarantineV2[0]"],
        );
    }
    assert_allowed(
        &decide(&ps, "ec2:DescribeInstances", "*", &c),
        &["AdministratorAccess[0]"],
    );
}

/// IAMUserChangePassword: Allow iam:ChangePassword on `"arn:aws:iam::*:user/${aws:username}"`
/// and `"arn:aws:iam::*:user/*/${aws:username}"`. VARIABLES: `${aws:username}` is replaced by
/// the request's value, so alice may change her own password (also under a path) and not
/// bob's; without an aws:username value (a role session has none) the Resource matches nothing.
#[test]
fn change_password_is_limited_to_the_callers_own_user() {
    let p = "IAMUserChangePassword";
    let alice = ctx(&[("aws:username", "alice")], &[]);
    assert_allowed(
        &decide(
            &[p],
            "iam:ChangePassword",
            "arn:aws:iam::111122223333:user/alice",
            &alice,
        ),
        &["IAMUserChangePassword[0]"],
    );
    let at_path = ctx(&[("aws:username", "alice")], &[]);
    assert_allowed(
        &decide_as(
            "arn:aws:iam::111122223333:user/division/alice",
            &[p],
            "iam:ChangePassword",
            "arn:aws:iam::111122223333:user/division/alice",
            &at_path,
        ),
        &["IAMUserChangePassword[0]"],
    );
    assert_implicit_deny(&decide(
        &[p],
        "iam:ChangePassword",
        "arn:aws:iam::111122223333:user/bob",
        &alice,
    ));
    assert_implicit_deny(&decide(
        &[p],
        "iam:ChangePassword",
        "arn:aws:iam::111122223333:user/alice",
        &Context::new(),
    ));
    assert_allowed(
        &decide(&[p], "iam:GetAccountPasswordPolicy", "*", &Context::new()),
        &["IAMUserChangePassword[1]"],
    );
}

/// S3UnlockBucketPolicy (a task policy for root sessions):
/// 1. `DenyAllOtherActionsOnAnyResource`: Deny with `"NotAction": ["s3:DeleteBucketPolicy",
///    "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets"]` on `"*"`;
/// 2. `DenyManagingBucketPolicyForNonRootCallers`: Deny those four actions when
///    `"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}`.
///
/// NOTACTION: Deny with NotAction denies everything not listed. OPERATORS: StringNotLike holds
/// when the value matches none of the patterns. So for alice (with AdministratorAccess) both
/// s3:GetObject and s3:PutBucketPolicy are explicitly denied; for the root caller only the
/// unlisted action is.
#[test]
fn s3_unlock_bucket_policy_is_for_root_only() {
    let ps = ["AdministratorAccess", "S3UnlockBucketPolicy"];
    let alice = ctx(&[("aws:PrincipalArn", USER)], &[]);
    assert_explicit_deny(
        &decide(&ps, "s3:GetObject", "arn:aws:s3:::b/k", &alice),
        &["DenyAllOtherActionsOnAnyResource"],
    );
    assert_explicit_deny(
        &decide(&ps, "s3:PutBucketPolicy", "arn:aws:s3:::b", &alice),
        &["DenyManagingBucketPolicyForNonRootCallers"],
    );
    let root = ctx(&[("aws:PrincipalArn", ROOT)], &[]);
    let d = decide_as(ROOT, &ps, "s3:DeleteBucketPolicy", "arn:aws:s3:::b", &root);
    assert_eq!(d.outcome(), Outcome::Allowed, "{d:?}");
    assert_explicit_deny(
        &decide_as(ROOT, &ps, "s3:GetObject", "arn:aws:s3:::b/k", &root),
        &["DenyAllOtherActionsOnAnyResource"],
    );
}

/// SQSUnlockQueuePolicy, statement `DenyGettingQueueAttributesOnNonOwnQueue`: Deny
/// sqs:GetQueueAttributes on `"arn:aws:sqs:*:*:*"` when `"StringNotEqualsIfExists":
/// {"aws:ResourceAccount": ["${aws:PrincipalAccount}"]}`. OPERATORS (#Conditions_IfExists): if
/// the key is absent the condition is true; VARIABLES: the value is the caller's account. So the
/// root caller may read its own queue's attributes but not another account's.
#[test]
fn sqs_unlock_queue_policy_string_not_equals_if_exists() {
    let p = ["SQSUnlockQueuePolicy"];
    let queue = "arn:aws:sqs:us-east-1:111122223333:q";
    let own = ctx(
        &[
            ("aws:PrincipalArn", ROOT),
            ("aws:PrincipalAccount", ACCOUNT),
            ("aws:ResourceAccount", ACCOUNT),
        ],
        &[],
    );
    let d = decide_as(ROOT, &p, "sqs:GetQueueAttributes", queue, &own);
    assert_eq!(d.outcome(), Outcome::Allowed, "{d:?}");
    let foreign = ctx(
        &[
            ("aws:PrincipalArn", ROOT),
            ("aws:PrincipalAccount", ACCOUNT),
            ("aws:ResourceAccount", OTHER_ACCOUNT),
        ],
        &[],
    );
    assert_explicit_deny(
        &decide_as(ROOT, &p, "sqs:GetQueueAttributes", queue, &foreign),
        &["DenyGettingQueueAttributesOnNonOwnQueue"],
    );
    let absent = ctx(
        &[
            ("aws:PrincipalArn", ROOT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    assert_explicit_deny(
        &decide_as(ROOT, &p, "sqs:GetQueueAttributes", queue, &absent),
        &["DenyGettingQueueAttributesOnNonOwnQueue"],
    );
}

/// IAMDeleteRootUserCredentials:
/// 1. `DenyAllOtherActionsOnAnyResource`: Deny with NotAction (eleven IAM credential actions);
/// 2. `DenyDeletingRootUserCredentialsOnNonRootUserResource`: Deny those actions with
///    `"NotResource": "arn:aws:iam::*:root"`.
///
/// NOTRESOURCE: the Deny applies to every resource except the one listed. With
/// AdministratorAccess, iam:DeleteAccessKey on the root user is allowed, on a user denied.
#[test]
fn delete_root_credentials_uses_not_resource() {
    let ps = ["AdministratorAccess", "IAMDeleteRootUserCredentials"];
    let c = Context::new();
    assert_allowed(
        &decide(&ps, "iam:DeleteAccessKey", ROOT, &c),
        &["AdministratorAccess[0]"],
    );
    assert_explicit_deny(
        &decide(&ps, "iam:DeleteAccessKey", USER, &c),
        &["DenyDeletingRootUserCredentialsOnNonRootUserResource"],
    );
    assert_explicit_deny(
        &decide(&ps, "s3:GetObject", "arn:aws:s3:::b/k", &c),
        &["DenyAllOtherActionsOnAnyResource"],
    );
}

/// AmazonSecurityLakePermissionsBoundary: Allow 15 S3/KMS/SQS actions on `"*"`; Deny everything
/// else (NotAction); Deny the S3 actions with `"NotResource": ["arn:aws:s3:::aws-security-data-lake*"]`;
/// Deny kms:Decrypt when `"StringNotLike": {"kms:ViaService": ["s3.*.amazonaws.com",
/// "sqs.*.amazonaws.com"]}`; Deny kms:Decrypt when `"Null": {"kms:EncryptionContext:aws:s3:arn":
/// "false"}` and `"StringNotLikeIfExists"` that key is not a Security Lake bucket.
///
/// OPERATORS: a negated operator on a missing key is true (so no kms:ViaService denies); Null
/// false means "the key is present". NOTACTION, NOTRESOURCE as above.
#[test]
fn security_lake_boundary() {
    let p = ["AmazonSecurityLakePermissionsBoundary"];
    let c = Context::new();
    assert_allowed(
        &decide(
            &p,
            "s3:GetObject",
            "arn:aws:s3:::aws-security-data-lake-us-east-1-abc/k",
            &c,
        ),
        &["AllowActionsForSecurityLake"],
    );
    assert_explicit_deny(
        &decide(&p, "s3:GetObject", "arn:aws:s3:::b/k", &c),
        &["DenyActionsNotOnSecurityLakeBucket"],
    );
    assert_explicit_deny(
        &decide(&p, "ec2:DescribeInstances", "*", &c),
        &["DenyActionsForSecurityLake"],
    );
    let lake = ctx(
        &[
            ("kms:ViaService", "s3.us-east-1.amazonaws.com"),
            (
                "kms:EncryptionContext:aws:s3:arn",
                "arn:aws:s3:::aws-security-data-lake-us-east-1-abc/k",
            ),
        ],
        &[],
    );
    assert_allowed(
        &decide(&p, "kms:Decrypt", KEY, &lake),
        &["AllowActionsForSecurityLake"],
    );
    let other_bucket = ctx(
        &[
            ("kms:ViaService", "s3.us-east-1.amazonaws.com"),
            ("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::b/k"),
        ],
        &[],
    );
    assert_explicit_deny(
        &decide(&p, "kms:Decrypt", KEY, &other_bucket),
        &["DenyActionsNotOnSecurityLakeKMSForS3"],
    );
    assert_explicit_deny(
        &decide(&p, "kms:Decrypt", KEY, &c),
        &["DenyActionsNotOnSecurityLakeKMSS3SQS"],
    );
}

/// AWSDeepRacerAccountAdminAccess: Allow `deepracer:*` when `"Null": {"deepracer:UserToken":
/// "true"}`. OPERATORS (#Conditions_Null): `true` means the key must be absent. So the request
/// without a user token is allowed, with one it is not.
#[test]
fn null_true_requires_the_key_to_be_absent() {
    let p = ["AWSDeepRacerAccountAdminAccess"];
    assert_allowed(
        &decide(&p, "deepracer:ListModels", "*", &Context::new()),
        &["DeepRacerAdminAccessStatement"],
    );
    let with_token = ctx(&[("deepracer:UserToken", "tok")], &[]);
    assert_implicit_deny(&decide(&p, "deepracer:ListModels", "*", &with_token));
}

/// AWSDeepRacerDefaultMultiUserAccess: Allow `deepracer:Create*` (and others) when `"Null":
/// {"deepracer:UserToken": "false"}` and `"Bool": {"deepracer:MultiUser": "true"}`; Allow four
/// actions unconditionally; Deny `deepracer:Admin*`. CONDITION LOGIC: operators are ANDed;
/// OPERATORS: Null false = present, Bool compares true/false; EVAL: explicit deny.
#[test]
fn null_false_and_bool_together() {
    let p = ["AWSDeepRacerDefaultMultiUserAccess"];
    let both = ctx(
        &[
            ("deepracer:UserToken", "tok"),
            ("deepracer:MultiUser", "true"),
        ],
        &[],
    );
    assert_allowed(
        &decide(&p, "deepracer:CreateModel", "*", &both),
        &["AWSDeepRacerDefaultMultiUserAccess[0]"],
    );
    let single_user = ctx(
        &[
            ("deepracer:UserToken", "tok"),
            ("deepracer:MultiUser", "false"),
        ],
        &[],
    );
    assert_implicit_deny(&decide(&p, "deepracer:CreateModel", "*", &single_user));
    let no_token = ctx(&[("deepracer:MultiUser", "true")], &[]);
    assert_implicit_deny(&decide(&p, "deepracer:CreateModel", "*", &no_token));
    assert_allowed(
        &decide(&p, "deepracer:GetTrack", "*", &Context::new()),
        &["AWSDeepRacerDefaultMultiUserAccess[1]"],
    );
    assert_explicit_deny(
        &decide(&p, "deepracer:AdminListAssociatedUsers", "*", &both),
        &["AWSDeepRacerDefaultMultiUserAccess[2]"],
    );
}

/// AmazonRDSReadOnlyAccess, third statement: Allow devops-guru:SearchInsights when `"Null":
/// {"devops-guru:ServiceNames": "false"}` and `"ForAllValues:StringEquals":
/// {"devops-guru:ServiceNames": ["RDS"]}`. MULTIVALUED: ForAllValues holds when every request
/// value is in the list — and also when the key is missing, which is why the policy adds the
/// Null check.
#[test]
fn null_guards_for_all_values() {
    let p = ["AmazonRDSReadOnlyAccess"];
    let rds = ctx(&[], &[("devops-guru:ServiceNames", &["RDS"])]);
    assert_allowed(
        &decide(&p, "devops-guru:SearchInsights", "*", &rds),
        &["AmazonRDSReadOnlyAccess[2]"],
    );
    let mixed = ctx(&[], &[("devops-guru:ServiceNames", &["RDS", "EC2"])]);
    assert_implicit_deny(&decide(&p, "devops-guru:SearchInsights", "*", &mixed));
    assert_implicit_deny(&decide(
        &p,
        "devops-guru:SearchInsights",
        "*",
        &Context::new(),
    ));
}

/// AWSServiceRoleForEC2ScheduledInstances: Allow ec2:CreateTags on
/// `"arn:aws:ec2:*:*:instance/*"` when `"ForAllValues:StringEquals": {"aws:TagKeys":
/// ["aws:ec2sri:scheduledInstanceId"]}`. MULTIVALUED: true when every tag key is listed, and
/// (no Null guard here) when aws:TagKeys is missing.
#[test]
fn for_all_values_tag_keys() {
    let p = ["AWSServiceRoleForEC2ScheduledInstances"];
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";
    let listed = ctx(&[], &[("aws:TagKeys", &["aws:ec2sri:scheduledInstanceId"])]);
    assert_allowed(
        &decide(&p, "ec2:CreateTags", instance, &listed),
        &["AWSServiceRoleForEC2ScheduledInstances[0]"],
    );
    let other = ctx(
        &[],
        &[("aws:TagKeys", &["aws:ec2sri:scheduledInstanceId", "Name"])],
    );
    assert_implicit_deny(&decide(&p, "ec2:CreateTags", instance, &other));
    assert_allowed(
        &decide(&p, "ec2:CreateTags", instance, &Context::new()),
        &["AWSServiceRoleForEC2ScheduledInstances[0]"],
    );
}

/// ServerMigrationServiceRole, first statement: Allow cloudformation:CreateStack on
/// `"arn:aws:cloudformation:*:*:stack/sms-app-*/*"` when `"ForAllValues:StringLikeIfExists":
/// {"cloudformation:ResourceTypes": ["AWS::EC2::*"]}`. MULTIVALUED + OPERATORS
/// (#Conditions_IfExists): every resource type must be an EC2 type; a missing key passes.
#[test]
fn for_all_values_string_like_if_exists() {
    let p = ["ServerMigrationServiceRole"];
    let stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/sms-app-web/1a2b3c";
    let ec2 = ctx(
        &[],
        &[(
            "cloudformation:ResourceTypes",
            &["AWS::EC2::Instance", "AWS::EC2::Volume"],
        )],
    );
    assert_allowed(
        &decide(&p, "cloudformation:CreateStack", stack, &ec2),
        &["ServerMigrationServiceRole[0]"],
    );
    let with_iam = ctx(
        &[],
        &[(
            "cloudformation:ResourceTypes",
            &["AWS::EC2::Instance", "AWS::IAM::Role"],
        )],
    );
    assert_implicit_deny(&decide(&p, "cloudformation:CreateStack", stack, &with_iam));
    assert_allowed(
        &decide(&p, "cloudformation:CreateStack", stack, &Context::new()),
        &["ServerMigrationServiceRole[0]"],
    );
    let other_stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/web/1a2b3c";
    assert_implicit_deny(&decide(&p, "cloudformation:CreateStack", other_stack, &ec2));
}

/// AWSTransformApplicationDeploymentPolicy, for ec2:CreateTags on instances:
/// a Deny when `"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["Name", "CreatedBy", ...]}`
/// and an Allow when `"ForAnyValue:StringEquals": {"aws:CalledVia":
/// "cloudformation.amazonaws.com"}` and `"StringEquals": {"aws:ResourceAccount":
/// "${aws:PrincipalAccount}"}`. MULTIVALUED: ForAnyValue:StringNotEquals holds when at least
/// one tag key is outside the list; EVAL: the Deny then wins.
#[test]
fn for_any_value_string_not_equals_deny() {
    let p = ["AWSTransformApplicationDeploymentPolicy"];
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";
    let base = [
        ("aws:ResourceAccount", ACCOUNT),
        ("aws:PrincipalAccount", ACCOUNT),
    ];
    let allowed_keys = ctx(
        &base,
        &[
            ("aws:CalledVia", &["cloudformation.amazonaws.com"]),
            ("aws:TagKeys", &["Name", "CreatedBy"]),
        ],
    );
    assert_allowed(
        &decide(&p, "ec2:CreateTags", instance, &allowed_keys),
        &["AWSTransformApplicationDeploymentPolicy[6]"],
    );
    let extra_key = ctx(
        &base,
        &[
            ("aws:CalledVia", &["cloudformation.amazonaws.com"]),
            ("aws:TagKeys", &["Name", "Owner"]),
        ],
    );
    assert_explicit_deny(
        &decide(&p, "ec2:CreateTags", instance, &extra_key),
        &["AWSTransformApplicationDeploymentPolicy[5]"],
    );
    let not_via_cfn = ctx(&base, &[("aws:TagKeys", &["Name"])]);
    assert_implicit_deny(&decide(&p, "ec2:CreateTags", instance, &not_via_cfn));
}

/// AmazonMacieHandshakeRole: Allow iam:CreateServiceLinkedRole when
/// `"ForAnyValue:StringEquals": {"iam:AWSServiceName": "macie.amazonaws.com"}` (a set operator
/// on a single-valued key). MULTIVALUED: ForAnyValue holds when at least one request value
/// matches; a missing key makes it false.
#[test]
fn for_any_value_on_a_single_valued_key() {
    let p = ["AmazonMacieHandshakeRole"];
    let macie = ctx(&[("iam:AWSServiceName", "macie.amazonaws.com")], &[]);
    assert_allowed(
        &decide(&p, "iam:CreateServiceLinkedRole", "*", &macie),
        &["AmazonMacieHandshakeRole[0]"],
    );
    let other = ctx(&[("iam:AWSServiceName", "guardduty.amazonaws.com")], &[]);
    assert_implicit_deny(&decide(&p, "iam:CreateServiceLinkedRole", "*", &other));
    assert_implicit_deny(&decide(
        &p,
        "iam:CreateServiceLinkedRole",
        "*",
        &Context::new(),
    ));
}

/// AWSManagedServices_ContactsServiceRolePolicy: Allow s3:GetBucketTagging when
/// `"NumericGreaterThanEquals": {"s3:TlsVersion": "1.2"}` and `"StringEquals":
/// {"s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256"}`. OPERATORS
/// (#Conditions_Numeric) compares numbers, here with a decimal point; CONDITION LOGIC ANDs the
/// keys.
#[test]
fn numeric_greater_than_equals_with_decimals() {
    let p = ["AWSManagedServices_ContactsServiceRolePolicy"];
    let with_tls = |v: &'static str| {
        ctx(
            &[
                ("s3:TlsVersion", v),
                ("s3:authType", "REST-HEADER"),
                ("s3:signatureversion", "AWS4-HMAC-SHA256"),
            ],
            &[],
        )
    };
    for tls in ["1.2", "1.3"] {
        assert_allowed(
            &decide(&p, "s3:GetBucketTagging", "arn:aws:s3:::b", &with_tls(tls)),
            &["AWSManagedServices_ContactsServiceRolePolicy[1]"],
        );
    }
    assert_implicit_deny(&decide(
        &p,
        "s3:GetBucketTagging",
        "arn:aws:s3:::b",
        &with_tls("1.1"),
    ));
    let query_auth = ctx(
        &[
            ("s3:TlsVersion", "1.3"),
            ("s3:authType", "REST-QUERY-STRING"),
            ("s3:signatureversion", "AWS4-HMAC-SHA256"),
        ],
        &[],
    );
    assert_implicit_deny(&decide(
        &p,
        "s3:GetBucketTagging",
        "arn:aws:s3:::b",
        &query_auth,
    ));
}

/// AWSAppFabricServiceRolePolicy:
/// - `FirehosePutRecord`: Allow firehose:PutRecordBatch when `"StringEqualsIgnoreCase":
///   {"aws:ResourceTag/AWSAppFabricManaged": "true"}` (OPERATORS: exact match ignoring case);
/// - `S3PutObject`: Allow s3:PutObject on `"arn:aws:s3:::*/AWSAppFabric/*"` (a wildcard for the
///   bucket name, RESOURCE) when `"StringEquals": {"s3:ResourceAccount":
///   "${aws:PrincipalAccount}"}` (VARIABLES).
#[test]
fn string_equals_ignore_case_and_bucket_wildcard() {
    let p = ["AWSAppFabricServiceRolePolicy"];
    let stream = "arn:aws:firehose:us-east-1:111122223333:deliverystream/s";
    let upper = ctx(&[("aws:ResourceTag/AWSAppFabricManaged", "TRUE")], &[]);
    assert_allowed(
        &decide(&p, "firehose:PutRecordBatch", stream, &upper),
        &["FirehosePutRecord"],
    );
    let no = ctx(&[("aws:ResourceTag/AWSAppFabricManaged", "yes")], &[]);
    assert_implicit_deny(&decide(&p, "firehose:PutRecordBatch", stream, &no));

    let own = ctx(
        &[
            ("s3:ResourceAccount", ACCOUNT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    let object = "arn:aws:s3:::any-bucket/AWSAppFabric/logs/1.json";
    assert_allowed(&decide(&p, "s3:PutObject", object, &own), &["S3PutObject"]);
    let foreign = ctx(
        &[
            ("s3:ResourceAccount", OTHER_ACCOUNT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    assert_implicit_deny(&decide(&p, "s3:PutObject", object, &foreign));
    assert_implicit_deny(&decide(
        &p,
        "s3:PutObject",
        "arn:aws:s3:::any-bucket/logs/AWSAppFabric",
        &own,
    ));
}

/// AmazonSageMakerPartnerServiceCatalogProductsLambdaServiceRolePolicy: Allow
/// secretsmanager:GetSecretValue when `"Null": {"aws:ResourceTag/sagemaker:partner": false}`
/// — a JSON boolean, not a string — and `"StringEquals": {"aws:ResourceAccount":
/// "${aws:PrincipalAccount}"}`. OPERATORS (#Conditions_Null): false = the key is present.
#[test]
fn null_with_a_json_boolean() {
    let p = ["AmazonSageMakerPartnerServiceCatalogProductsLambdaServiceRolePolicy"];
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:partner-AbCdEf";
    let tagged = ctx(
        &[
            ("aws:ResourceTag/sagemaker:partner", "x"),
            ("aws:ResourceAccount", ACCOUNT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    assert_allowed(
        &decide(&p, "secretsmanager:GetSecretValue", secret, &tagged),
        &["AmazonSageMakerPartnerServiceCatalogProductsLambdaServiceRolePolicy[0]"],
    );
    let untagged = ctx(
        &[
            ("aws:ResourceAccount", ACCOUNT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    assert_implicit_deny(&decide(
        &p,
        "secretsmanager:GetSecretValue",
        secret,
        &untagged,
    ));
}

/// AWSSecretsManagerClientReadOnlyAccess, `KMSDecryptKey`: Allow kms:Decrypt on
/// `"arn:aws:kms:*:*:key/*"` when `"StringLike": {"kms:EncryptionContext:SecretARN":
/// "arn:aws:secretsmanager:*:*:secret:*", "kms:ViaService": "secretsmanager.*.amazonaws.com"}`.
/// OPERATORS (#Conditions_String): `*` matches within the value; CONDITION LOGIC: both keys.
#[test]
fn kms_decrypt_via_secrets_manager_only() {
    let p = ["AWSSecretsManagerClientReadOnlyAccess"];
    let via_sm = ctx(
        &[
            ("kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"),
            (
                "kms:EncryptionContext:SecretARN",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            ),
        ],
        &[],
    );
    assert_allowed(&decide(&p, "kms:Decrypt", KEY, &via_sm), &["KMSDecryptKey"]);
    let via_s3 = ctx(
        &[
            ("kms:ViaService", "s3.us-east-1.amazonaws.com"),
            (
                "kms:EncryptionContext:SecretARN",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            ),
        ],
        &[],
    );
    assert_implicit_deny(&decide(&p, "kms:Decrypt", KEY, &via_s3));
    assert_implicit_deny(&decide(&p, "kms:Decrypt", KEY, &Context::new()));
}

/// AmazonForecastFullAccess: Allow iam:PassRole on `"*"` when `"StringEquals":
/// {"iam:PassedToService": "forecast.amazonaws.com"}` (OPERATORS: exact, case-sensitive).
#[test]
fn pass_role_only_to_the_named_service() {
    let p = ["AmazonForecastFullAccess"];
    let to_forecast = ctx(&[("iam:PassedToService", "forecast.amazonaws.com")], &[]);
    assert_allowed(
        &decide(&p, "iam:PassRole", ROLE, &to_forecast),
        &["AmazonForecastFullAccess[1]"],
    );
    let to_ec2 = ctx(&[("iam:PassedToService", "ec2.amazonaws.com")], &[]);
    assert_implicit_deny(&decide(&p, "iam:PassRole", ROLE, &to_ec2));
}

/// AWSElementalMediaStoreFullAccess: Allow `mediastore:*` when `"Bool": {"aws:SecureTransport":
/// "true"}`. OPERATORS (#Conditions_Boolean); a missing key does not match.
#[test]
fn bool_secure_transport() {
    let p = ["AWSElementalMediaStoreFullAccess"];
    let tls = ctx(&[("aws:SecureTransport", "true")], &[]);
    assert_allowed(
        &decide(&p, "mediastore:PutObject", "*", &tls),
        &["AWSElementalMediaStoreFullAccess[0]"],
    );
    let plain = ctx(&[("aws:SecureTransport", "false")], &[]);
    assert_implicit_deny(&decide(&p, "mediastore:PutObject", "*", &plain));
    assert_implicit_deny(&decide(&p, "mediastore:PutObject", "*", &Context::new()));
}

/// AmazonRedshiftQueryEditor, `DataAPIIAMSessionPermissionsRestriction`: Allow
/// redshift-data:GetStatementResult when `"StringEquals":
/// {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}` (VARIABLES: the variable takes
/// the request's aws:userid).
#[test]
fn variable_in_a_condition_value() {
    let p = ["AmazonRedshiftQueryEditor"];
    let own = ctx(
        &[
            ("aws:userid", "AIDAEXAMPLEALICE"),
            (
                "redshift-data:statement-owner-iam-userid",
                "AIDAEXAMPLEALICE",
            ),
        ],
        &[],
    );
    assert_allowed(
        &decide(&p, "redshift-data:GetStatementResult", "*", &own),
        &["DataAPIIAMSessionPermissionsRestriction"],
    );
    let someone_elses = ctx(
        &[
            ("aws:userid", "AIDAEXAMPLEALICE"),
            ("redshift-data:statement-owner-iam-userid", "AIDAEXAMPLEBOB"),
        ],
        &[],
    );
    assert_implicit_deny(&decide(
        &p,
        "redshift-data:GetStatementResult",
        "*",
        &someone_elses,
    ));
}

/// AWSPrivateCAUser: Allow acm-pca:IssueCertificate when `"ArnLike": {"acm-pca:TemplateArn":
/// ["arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*"]}`, Deny it when `"ArnNotLike"` the
/// same. OPERATORS (#Conditions_ARN): each colon-delimited part is matched separately, so `*`
/// matches the empty region and account of AWS's template ARNs; a negated operator on a missing
/// key is true, so a request without a template is explicitly denied.
#[test]
fn arn_like_and_arn_not_like_on_templates() {
    let p = ["AWSPrivateCAUser"];
    let ca = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555";
    let end_entity = ctx(
        &[(
            "acm-pca:TemplateArn",
            "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
        )],
        &[],
    );
    assert_allowed(
        &decide(&p, "acm-pca:IssueCertificate", ca, &end_entity),
        &["AWSPrivateCAUser[0]"],
    );
    let sub_ca = ctx(
        &[(
            "acm-pca:TemplateArn",
            "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
        )],
        &[],
    );
    assert_explicit_deny(
        &decide(&p, "acm-pca:IssueCertificate", ca, &sub_ca),
        &["AWSPrivateCAUser[1]"],
    );
    assert_explicit_deny(
        &decide(&p, "acm-pca:IssueCertificate", ca, &Context::new()),
        &["AWSPrivateCAUser[1]"],
    );
}

/// AWSEC2CapacityManagerServiceRolePolicy: Allow organizations:ListDelegatedAdministrators when
/// `"StringLikeIfExists": {"organizations:ServicePrincipal":
/// ["ec2.capacitymanager.amazonaws.com"]}`. OPERATORS (#Conditions_IfExists): checked when the
/// key is present, true when it is absent.
#[test]
fn string_like_if_exists() {
    let p = ["AWSEC2CapacityManagerServiceRolePolicy"];
    let sid = "AllowOrganizationsListDelegatedAdministratorsAction";
    assert_allowed(
        &decide(
            &p,
            "organizations:ListDelegatedAdministrators",
            "*",
            &Context::new(),
        ),
        &[sid],
    );
    let named = ctx(
        &[(
            "organizations:ServicePrincipal",
            "ec2.capacitymanager.amazonaws.com",
        )],
        &[],
    );
    assert_allowed(
        &decide(&p, "organizations:ListDelegatedAdministrators", "*", &named),
        &[sid],
    );
    let other = ctx(
        &[("organizations:ServicePrincipal", "config.amazonaws.com")],
        &[],
    );
    assert_implicit_deny(&decide(
        &p,
        "organizations:ListDelegatedAdministrators",
        "*",
        &other,
    ));
}

/// ROSAImageRegistryOperatorPolicy, `AllowSpecificObjectActions`: Allow s3:PutObject on
/// `"arn:aws:s3:::*-image-registry-${aws:RequestedRegion}-*/*"`,
/// `"...-${aws:RequestedRegion}?/*"` and `"...-${aws:RequestedRegion}/*"`. VARIABLES fill in
/// the region; RESOURCE: `?` matches exactly one character.
#[test]
fn variable_and_single_character_wildcard_in_resource() {
    let p = ["ROSAImageRegistryOperatorPolicy"];
    let east = ctx(&[("aws:RequestedRegion", "us-east-1")], &[]);
    for object in [
        "arn:aws:s3:::c1-image-registry-us-east-1-abcd/k",
        "arn:aws:s3:::c1-image-registry-us-east-1a/k",
        "arn:aws:s3:::c1-image-registry-us-east-1/k",
    ] {
        assert_allowed(
            &decide(&p, "s3:PutObject", object, &east),
            &["AllowSpecificObjectActions"],
        );
    }
    // Two characters after the region, with no dash: neither `?` nor `-*` matches.
    assert_implicit_deny(&decide(
        &p,
        "s3:PutObject",
        "arn:aws:s3:::c1-image-registry-us-east-1ab/k",
        &east,
    ));
    let west = ctx(&[("aws:RequestedRegion", "eu-west-1")], &[]);
    assert_implicit_deny(&decide(
        &p,
        "s3:PutObject",
        "arn:aws:s3:::c1-image-registry-us-east-1/k",
        &west,
    ));
}

/// AmazonDevOpsGuruServiceRolePolicy, `AllowAPIGatewayGetIntegrations`: Allow apigateway:GET on
/// `"arn:aws:apigateway:*::/restapis/??????????"` (ten `?`: an API id is ten characters).
/// RESOURCE: each `?` matches exactly one character.
#[test]
fn ten_question_marks_match_ten_characters() {
    let p = ["AmazonDevOpsGuruServiceRolePolicy"];
    let c = Context::new();
    assert_allowed(
        &decide(
            &p,
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5",
            &c,
        ),
        &["AllowAPIGatewayGetIntegrations"],
    );
    for wrong in [
        "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e",
        "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5f",
        "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages",
    ] {
        assert_implicit_deny(&decide(&p, "apigateway:GET", wrong, &c));
    }
}

/// AmazonRDSCustomServiceRolePolicy:
/// - `eccSnapshotCopySource`: Allow ec2:CopySnapshot on `"arn:aws:ec2:*::snapshot/snap-*"`;
/// - `eccSnapshotCopyDestination`: Allow ec2:CopySnapshot on `"arn:aws:ec2:*::snapshot/${*}"`
///   when `"StringEquals": {"aws:RequestTag/AWSRDSCustom": [...]}`.
///
/// VARIABLES (#policy-vars-specialchars): `${*}` stands for a literal `*`, so the second
/// statement covers exactly the resource `snapshot/*` (the not-yet-created copy), not every
/// snapshot.
#[test]
fn escaped_asterisk_is_literal() {
    let p = ["AmazonRDSCustomServiceRolePolicy"];
    let tagged = ctx(&[("aws:RequestTag/AWSRDSCustom", "custom-oracle")], &[]);
    assert_allowed(
        &decide(
            &p,
            "ec2:CopySnapshot",
            "arn:aws:ec2:us-east-1::snapshot/*",
            &tagged,
        ),
        &["eccSnapshotCopyDestination"],
    );
    assert_implicit_deny(&decide(
        &p,
        "ec2:CopySnapshot",
        "arn:aws:ec2:us-east-1::snapshot/*",
        &Context::new(),
    ));
    assert_allowed(
        &decide(
            &p,
            "ec2:CopySnapshot",
            "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
            &Context::new(),
        ),
        &["eccSnapshotCopySource"],
    );
    assert_implicit_deny(&decide(
        &p,
        "ec2:CopySnapshot",
        "arn:aws:ec2:us-east-1::snapshot/other-0123",
        &tagged,
    ));
}

/// SageMakerStudioProjectUserRolePolicy (160 statements), `AccessDomainS3BucketPermissions`:
/// Allow s3:PutObject on `"arn:aws:s3:::${aws:PrincipalTag/DomainBucketName}/
/// ${aws:PrincipalTag/AmazonDataZoneDomain}/${aws:PrincipalTag/AmazonDataZoneProject}/*"` when
/// `"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}` and `"StringNotEquals"`
/// each of those tags `""`. VARIABLES (#policy-vars-tags): principal tags fill the ARN; a
/// missing tag leaves the Resource unresolved, matching nothing.
#[test]
fn principal_tag_variables_in_resource() {
    let p = ["SageMakerStudioProjectUserRolePolicy"];
    let tags = [
        ("aws:PrincipalTag/DomainBucketName", "domain-bucket"),
        ("aws:PrincipalTag/AmazonDataZoneDomain", "dzd_1"),
        ("aws:PrincipalTag/AmazonDataZoneProject", "proj1"),
        ("aws:ResourceAccount", ACCOUNT),
        ("aws:PrincipalAccount", ACCOUNT),
    ];
    let tagged = ctx(&tags, &[]);
    assert_allowed(
        &decide(
            &p,
            "s3:PutObject",
            "arn:aws:s3:::domain-bucket/dzd_1/proj1/data.csv",
            &tagged,
        ),
        &["AccessDomainS3BucketPermissions"],
    );
    assert_implicit_deny(&decide(
        &p,
        "s3:PutObject",
        "arn:aws:s3:::domain-bucket/dzd_1/proj2/data.csv",
        &tagged,
    ));
    let untagged = ctx(
        &[
            ("aws:ResourceAccount", ACCOUNT),
            ("aws:PrincipalAccount", ACCOUNT),
        ],
        &[],
    );
    assert_implicit_deny(&decide(
        &p,
        "s3:PutObject",
        "arn:aws:s3:::domain-bucket/dzd_1/proj1/data.csv",
        &untagged,
    ));
}

/// AWSObservabilityAdminTelemetryEnablementServiceRolePolicy,
/// `IAMOperationsForConfigServiceLinkedRecorder`: Allow iam:CreateServiceLinkedRole on
/// `"arn:aws:iam::*:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"` when
/// `"BoolIfExists": {"aws:ViaAWSService": "true"}` and `"StringEquals": {"iam:AWSServiceName":
/// ["config.amazonaws.com"], "aws:ResourceAccount": "${aws:PrincipalAccount}"}`. OPERATORS
/// (#Conditions_IfExists): an absent aws:ViaAWSService passes, `false` does not.
#[test]
fn bool_if_exists() {
    let p = ["AWSObservabilityAdminTelemetryEnablementServiceRolePolicy"];
    let slr = "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";
    let base = [
        ("iam:AWSServiceName", "config.amazonaws.com"),
        ("aws:ResourceAccount", ACCOUNT),
        ("aws:PrincipalAccount", ACCOUNT),
    ];
    let sid = "IAMOperationsForConfigServiceLinkedRecorder";
    assert_allowed(
        &decide(&p, "iam:CreateServiceLinkedRole", slr, &ctx(&base, &[])),
        &[sid],
    );
    let mut via = base.to_vec();
    via.push(("aws:ViaAWSService", "true"));
    assert_allowed(
        &decide(&p, "iam:CreateServiceLinkedRole", slr, &ctx(&via, &[])),
        &[sid],
    );
    let mut direct = base.to_vec();
    direct.push(("aws:ViaAWSService", "false"));
    assert_implicit_deny(&decide(
        &p,
        "iam:CreateServiceLinkedRole",
        slr,
        &ctx(&direct, &[]),
    ));
}

/// AmazonDataZoneGlueManageAccessRolePolicy, `GlueTagDatabase`: Allow glue:TagResource when
/// `"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "DataZoneDiscoverable_*"}` and
/// `"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}`. MULTIVALUED: at least
/// one tag key must match; OPERATORS (#Conditions_IfExists): an absent aws:TagKeys passes.
#[test]
fn for_any_value_string_like_if_exists() {
    let p = ["AmazonDataZoneGlueManageAccessRolePolicy"];
    let table = "arn:aws:glue:us-east-1:111122223333:table/db/t";
    let base = [
        ("aws:ResourceAccount", ACCOUNT),
        ("aws:PrincipalAccount", ACCOUNT),
    ];
    let one_matches = ctx(
        &base,
        &[("aws:TagKeys", &["Owner", "DataZoneDiscoverable_x"])],
    );
    assert_allowed(
        &decide(&p, "glue:TagResource", table, &one_matches),
        &["GlueTagDatabase"],
    );
    let none_match = ctx(&base, &[("aws:TagKeys", &["Owner"])]);
    assert_implicit_deny(&decide(&p, "glue:TagResource", table, &none_match));
    assert_allowed(
        &decide(&p, "glue:TagResource", table, &ctx(&base, &[])),
        &["GlueTagDatabase"],
    );
}

// ---------------------------------------------------------------------------------------------
// The whole published set (not vendored)

/// Parses every file of the directory named by IAMSIM_MANAGED_POLICIES (e.g. a directory of
/// `aws iam get-policy-version` outputs) and evaluates each against the requests above. Run with
/// `IAMSIM_MANAGED_POLICIES=/path/to/dir cargo test --test managed_policies -- --ignored
/// --nocapture`; it prints the counts and every failure.
#[test]
#[ignore = "needs IAMSIM_MANAGED_POLICIES: a directory of `aws iam get-policy-version` outputs"]
fn full_managed_policy_set() {
    let Some(dir) = std::env::var_os("IAMSIM_MANAGED_POLICIES") else {
        eprintln!("IAMSIM_MANAGED_POLICIES is not set; skipping");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("IAMSIM_MANAGED_POLICIES is a readable directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut unfaithful = Vec::new();
    let mut decisions = 0;
    let mut statements = 0;
    for path in &files {
        match parse_file(path) {
            Ok(policy) => {
                if let Err(e) = check_faithful(path, &policy) {
                    unfaithful.push(format!("{}: {e}", path.display()));
                }
                statements += policy.statements.len();
                decisions += evaluate_all(policy);
            }
            Err(errors) => failures.push((path.clone(), errors)),
        }
    }
    eprintln!(
        "{} files: {} parsed ({statements} statements), {} failed; {decisions} decisions made",
        files.len(),
        files.len() - failures.len(),
        failures.len(),
    );
    for (path, errors) in &failures {
        eprintln!("FAILED {}:", path.display());
        for e in errors.lines() {
            eprintln!("    {e}");
        }
    }
    for e in &unfaithful {
        eprintln!("PARSED DIFFERENTLY {e}");
    }
    assert!(
        failures.is_empty() && unfaithful.is_empty(),
        "{} policies failed to parse, {} parsed differently from their text",
        failures.len(),
        unfaithful.len()
    );
}
