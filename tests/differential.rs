//! The optimized engine (statements indexed by action, nothing traced) against a plain
//! reference evaluator written straight from the evaluation rules, over random policies and
//! requests. The reference scans every statement and decides with the textbook rules of
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//! (same account: identity or a direct resource grant; across accounts: both; boundaries cap
//! identity grants and role-ARN grants).

use std::sync::Arc;

use iamsim::engine::{
    authorize, Caller, Context, NoTrace, Outcome, PolicySet, PrincipalMatch, Request,
    ResourceRules, Trace,
};
use iamsim::json::SourceText;
use iamsim::policy::model::{Effect, Policy, Statement};
use iamsim::policy::{parse_policy_text, PolicyType};
use proptest::prelude::*;

const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "kms:Decrypt",
    "iam:CreateUser",
];
const ACTION_PATTERNS: [&str; 9] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "*",
    "kms:*",
    "s3:?etObject",
    "iam:CreateUser",
    "s3:DeleteObject",
];
const RESOURCES: [&str; 4] = [
    "arn:aws:s3:::bucket/a.txt",
    "arn:aws:s3:::bucket/dir/b.txt",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::other/a.txt",
];
const RESOURCE_PATTERNS: [&str; 6] = [
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/dir/*",
    "arn:aws:s3:::*/a.txt",
    "arn:aws:s3:::other/*",
];
const PRINCIPALS: [&str; 5] = [
    r#""*""#,
    r#"{"AWS": "111122223333"}"#,
    r#"{"AWS": "arn:aws:iam::111122223333:role/app"}"#,
    r#"{"AWS": "444455556666"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:role/app"}"#,
];
const CONDITIONS: [&str; 4] = [
    "",
    r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"false"}}"#,
    r#","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"red"}}"#,
];

#[derive(Debug, Clone)]
struct Gen {
    effect_deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    principal: usize,
    condition: usize,
}

fn statement() -> impl Strategy<Value = Gen> {
    (
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.1),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        0..PRINCIPALS.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(
            |(effect_deny, not_action, actions, resources, principal, condition)| Gen {
                effect_deny,
                not_action,
                actions,
                resources,
                principal,
                condition,
            },
        )
}

fn render(statements: &[Gen], with_principal: bool) -> String {
    let rendered: Vec<String> = statements
        .iter()
        .map(|s| {
            let actions: Vec<String> = s
                .actions
                .iter()
                .map(|i| format!("\"{}\"", ACTION_PATTERNS[*i]))
                .collect();
            let resources: Vec<String> = s
                .resources
                .iter()
                .map(|i| format!("\"{}\"", RESOURCE_PATTERNS[*i]))
                .collect();
            let principal = if with_principal {
                format!(r#","Principal":{}"#, PRINCIPALS[s.principal])
            } else {
                String::new()
            };
            format!(
                r#"{{"Effect":"{}"{principal},"{}":[{}],"Resource":[{}]{}}}"#,
                if s.effect_deny { "Deny" } else { "Allow" },
                if s.not_action { "NotAction" } else { "Action" },
                actions.join(","),
                resources.join(","),
                CONDITIONS[s.condition]
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        rendered.join(",")
    )
}

fn parse(text: &str, t: PolicyType) -> Arc<Policy> {
    Arc::new(
        parse_policy_text(&SourceText::new("p", text.to_string()), t, "p")
            .expect("generated policies are valid"),
    )
}

/// Whether a statement applies, checking every element directly (no index).
fn applies(
    s: &Statement,
    caller: &Caller,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Option<PrincipalMatch> {
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let (service, name) = (service.to_lowercase(), name.to_lowercase());
    if !s.action.matches(&service, &name) {
        return None;
    }
    let r = s.resource.as_ref()?;
    let any = r.patterns.iter().any(|p| p.matches(resource, ctx));
    if any == r.negated {
        return None;
    }
    if !s
        .conditions
        .iter()
        .all(|c| c.evaluate(ctx.get(&c.key_lower), ctx))
    {
        return None;
    }
    match &s.principal {
        None => Some(PrincipalMatch::Everyone),
        Some(p) => Some(caller.match_element(p)).filter(|m| m.is_match()),
    }
}

/// The policies the reference evaluator sees.
struct Policies<'a> {
    identity: &'a [Arc<Policy>],
    boundary: Option<&'a Policy>,
    bucket: Option<&'a Policy>,
}

/// The reference decision.
fn reference(policies: &Policies<'_>, request: &Request<'_>) -> Outcome {
    let (caller, action, resource, ctx) = (
        request.caller,
        request.action,
        request.resource,
        request.context,
    );
    let resource_account = request.resource_account.unwrap_or_default();
    let (identity, boundary, bucket) = (policies.identity, policies.boundary, policies.bucket);
    let hits = |p: &Policy| -> Vec<(Effect, PrincipalMatch)> {
        p.statements
            .iter()
            .filter_map(|s| applies(s, caller, action, resource, ctx).map(|m| (s.effect, m)))
            .collect()
    };
    let id: Vec<_> = identity.iter().flat_map(|p| hits(p)).collect();
    let bd: Vec<_> = boundary.map(hits).unwrap_or_default();
    let rs: Vec<_> = bucket.map(hits).unwrap_or_default();
    if id
        .iter()
        .chain(&bd)
        .chain(&rs)
        .any(|(e, _)| *e == Effect::Deny)
    {
        return Outcome::ExplicitDeny;
    }
    let identity_allows = id.iter().any(|(e, _)| *e == Effect::Allow);
    let boundary_allows = boundary.is_none() || bd.iter().any(|(e, _)| *e == Effect::Allow);
    let resource_allows: Vec<PrincipalMatch> = rs
        .iter()
        .filter(|(e, _)| *e == Effect::Allow)
        .map(|(_, m)| *m)
        .collect();
    let same_account = caller.account.as_deref() == Some(resource_account);
    let allowed = if same_account {
        let direct = resource_allows.iter().any(|m| match m {
            PrincipalMatch::Everyone | PrincipalMatch::Exact => true,
            PrincipalMatch::RoleOfSession => boundary_allows,
            _ => false,
        });
        (identity_allows && boundary_allows) || direct
    } else {
        !resource_allows.is_empty() && identity_allows && boundary_allows
    };
    if allowed {
        Outcome::Allowed
    } else {
        Outcome::ImplicitDeny
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn indexed_engine_agrees_with_the_reference(
        identity in prop::collection::vec(statement(), 1..6),
        boundary in prop::option::of(prop::collection::vec(statement(), 1..3)),
        bucket in prop::option::of(prop::collection::vec(statement(), 1..5)),
        action in 0..ACTIONS.len(),
        resource in 0..RESOURCES.len(),
        cross_account in any::<bool>(),
        session in any::<bool>(),
        tag in prop::option::of(prop::sample::select(vec!["blue", "red"])),
        secure in any::<bool>(),
    ) {
        let identity = vec![parse(&render(&identity, false), PolicyType::Identity)];
        let boundary = boundary.map(|b| parse(&render(&b, false), PolicyType::PermissionsBoundary));
        let bucket = bucket.map(|b| parse(&render(&b, true), PolicyType::Bucket));
        let account = if cross_account { "444455556666" } else { "111122223333" };
        let principal = if session { format!("arn:aws:iam::{account}:role/app") } else { format!("arn:aws:iam::{account}:user/alice") };
        let mut caller = Caller::parse(&principal).unwrap();
        caller.has_boundary = boundary.is_some();
        let mut ctx = Context::new();
        if let Some(t) = tag {
            ctx.set("aws:PrincipalTag/team", t);
        }
        ctx.set("aws:SecureTransport", if secure { "true" } else { "false" });
        let set = PolicySet {
            boundary: boundary.as_deref(),
            resource: bucket.as_deref(),
            rules: ResourceRules::S3 { allows_apply: true },
            ..PolicySet::identity_only(&identity)
        };
        let request = Request::new(&caller, ACTIONS[action], RESOURCES[resource], Some("111122223333"), &ctx);
        let fast = authorize(&request, &set, &mut NoTrace);
        let mut trace = Trace::default();
        let traced = authorize(&request, &set, &mut trace);
        let expected = reference(&Policies { identity: &identity, boundary: boundary.as_deref(), bucket: bucket.as_deref() }, &request);
        prop_assert_eq!(fast.outcome(), expected, "engine {:?} vs reference", fast);
        prop_assert_eq!(&fast, &traced, "the traced path decided differently");
    }
}
