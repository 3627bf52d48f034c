//! `iamsim eval`: one question without a scenario file. The policy files and flags become a
//! one-check world, run like any scenario.

use std::path::PathBuf;
use std::sync::Arc;

use crate::json::{JsonPath, SourceText};
use crate::policy::arn::{split_arn, IamEntity};
use crate::policy::{parse_policy, Policy, PolicyType};
use crate::report::text::{explain, outcome};
use crate::scenario::{run_checks, Check, CheckKind, ContextOverride};
use crate::world::key_policies::default_key_policy;
use crate::world::*;

/// The flags of `iamsim eval`.
#[derive(Debug, Clone, Default)]
pub struct Question {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub identity_policies: Vec<PathBuf>,
    pub resource_policy: Option<PathBuf>,
    pub permissions_boundary: Option<PathBuf>,
    pub resource_account: Option<String>,
    /// `KEY=VALUE`.
    pub context: Vec<String>,
    /// Keys whose values are comma-separated lists.
    pub multi: Vec<String>,
}

fn read_policy(
    path: &PathBuf,
    t: PolicyType,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<Arc<Policy>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("{}: cannot read: {e}", path.display()));
            return None;
        }
    };
    let source = SourceText::new(path.display().to_string(), text);
    let node = match source.parse(false) {
        Ok(n) => n,
        Err(d) => {
            problems.push(source.render(&d));
            return None;
        }
    };
    let mut diags = Vec::new();
    let policy = parse_policy(&node, t, name, &JsonPath::root(), &source, &mut diags);
    problems.extend(diags.iter().map(|d| source.render(d)));
    policy.map(Arc::new)
}

/// Answers a question: the report text and whether the request is allowed; or every problem
/// with the input.
pub fn evaluate(q: &Question, with_trace: bool) -> Result<(String, bool), Vec<String>> {
    let mut problems = Vec::new();
    let mut world = World {
        region: "us-east-1".to_string(),
        ..World::default()
    };
    let principal_arn = q.principal.clone();
    let principal_account = IamEntity::parse(&principal_arn).map(|e| e.account().to_string());
    let mut identity = Vec::new();
    for (i, path) in q.identity_policies.iter().enumerate() {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| format!("identity policy {i}"));
        if let Some(p) = read_policy(path, PolicyType::Identity, &name, &mut problems) {
            identity.push(p);
        }
    }
    let boundary = q.permissions_boundary.as_ref().and_then(|p| {
        read_policy(
            p,
            PolicyType::PermissionsBoundary,
            "permissions boundary",
            &mut problems,
        )
    });
    // A session ARN's role, or the user or role itself, holds the policies.
    let holder = match IamEntity::parse(&principal_arn) {
        Some(IamEntity::AssumedRole { account, role, .. }) => {
            Some((format!("arn:aws:iam::{account}:role/{role}"), account, true))
        }
        Some(IamEntity::User { account, .. }) => Some((principal_arn.clone(), account, false)),
        Some(IamEntity::Role { account, .. }) => Some((principal_arn.clone(), account, true)),
        _ => None,
    };
    if let Some((arn, account, is_role)) = holder {
        world.principals.push(Principal {
            arn,
            account,
            is_role,
            identity,
            boundary,
            trust: None,
            tags: Vec::new(),
            unique_id: None,
        });
    } else if !identity.is_empty() {
        problems.push(format!(
            "{principal_arn}: only IAM users and roles have identity policies"
        ));
    }
    let resource_account = q
        .resource_account
        .clone()
        .or_else(|| {
            split_arn(&q.resource)
                .map(|f| f[4].to_string())
                .filter(|a| !a.is_empty())
        })
        .or(principal_account);
    let fields = split_arn(&q.resource);
    match fields {
        Some([_, _, "s3", _, _, rest]) => {
            let name = rest.split('/').next().unwrap_or(rest).to_string();
            let policy = q.resource_policy.as_ref().and_then(|p| {
                read_policy(
                    p,
                    PolicyType::Bucket,
                    &format!("bucket policy of {name}"),
                    &mut problems,
                )
            });
            world.buckets.push(Bucket {
                name,
                account: resource_account.clone().unwrap_or_default(),
                region: world.region.clone(),
                policy,
                default_encryption: Encryption::sse_s3(),
                public_access_block: PublicAccessBlock::default(),
                versioning: false,
                object_ownership: ObjectOwnership::BucketOwnerEnforced,
                replication: None,
                objects: Vec::new(),
            });
        }
        Some([_, _, "kms", region, account, resource]) if resource.starts_with("key/") => {
            let name = format!("key policy of {}", q.resource);
            let (policy, default_policy) = match &q.resource_policy {
                Some(p) => match read_policy(p, PolicyType::Key, &name, &mut problems) {
                    Some(p) => (p, false),
                    None => return Err(problems),
                },
                None => (Arc::new(default_key_policy(&name, account)), true),
            };
            world.keys.push(Key {
                arn: q.resource.clone(),
                id: resource.trim_start_matches("key/").to_string(),
                account: account.to_string(),
                region: region.to_string(),
                aliases: Vec::new(),
                manager: KeyManager::Customer,
                state: KeyState::Enabled,
                policy,
                default_policy,
                grants: Vec::new(),
            });
        }
        Some([_, _, "iam", _, account, resource]) if resource.starts_with("role/") => {
            let trust = q.resource_policy.as_ref().and_then(|p| {
                read_policy(
                    p,
                    PolicyType::Trust,
                    &format!("trust policy of {}", q.resource),
                    &mut problems,
                )
            });
            if let Some(existing) = world.principals.iter_mut().find(|p| p.arn == q.resource) {
                existing.trust = trust;
            } else {
                world.principals.push(Principal {
                    arn: q.resource.clone(),
                    account: account.to_string(),
                    is_role: true,
                    identity: Vec::new(),
                    boundary: None,
                    trust,
                    tags: Vec::new(),
                    unique_id: None,
                });
            }
        }
        _ => {
            if let Some(path) = &q.resource_policy {
                if let Some(policy) = read_policy(
                    path,
                    PolicyType::Resource,
                    &format!("resource policy of {}", q.resource),
                    &mut problems,
                ) {
                    world.resources.push(OtherResource {
                        arn: q.resource.clone(),
                        account: resource_account.clone(),
                        policy,
                    });
                }
            }
        }
    }
    let mut context = Vec::new();
    for kv in &q.context {
        match kv.split_once('=') {
            Some((k, v)) if q.multi.iter().any(|m| m.eq_ignore_ascii_case(k)) => context.push((
                k.to_string(),
                ContextOverride::Multi(
                    v.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                ),
            )),
            Some((k, v)) => context.push((k.to_string(), ContextOverride::Single(v.to_string()))),
            None => problems.push(format!("--context {kv:?}: expected KEY=VALUE")),
        }
    }
    if let Err(e) = world.caller(&q.principal) {
        problems.push(format!("--principal: {e}"));
    }
    if q.resource != "*" && fields.is_none() {
        problems.push(format!(
            "--resource {:?}: expected an ARN or \"*\"",
            q.resource
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let check = Check {
        name: format!("{} {} on {}", q.principal, q.action, q.resource),
        principal: Some(q.principal.clone()),
        caller: world.caller(&q.principal).ok().map(Arc::new),
        kind: CheckKind::Raw {
            action: q.action.clone(),
            resource: q.resource.clone(),
            resource_account: q.resource_account.clone(),
        },
        context,
        vpc_endpoint: None,
        session_policy: None,
        expect: None,
        line: 0,
    };
    let results = run_checks(&world, std::slice::from_ref(&check), with_trace);
    let result = &results[0];
    let mut text = if with_trace {
        explain("eval", result)
    } else {
        let mut t = format!("{}\n", outcome(result));
        if let Some(m) = &result.message {
            t.push_str(&format!("{m}\n"));
        }
        t
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, result.allowed))
}
