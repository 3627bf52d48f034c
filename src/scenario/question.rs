//! One question without a scenario file (`iamsim eval`): policy files and flags become a
//! one-check scenario, built through the same world builder a scenario file goes through, and
//! run like any other.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Check, CheckKind, Scenario};
use crate::engine::ContextValue;
use crate::json::{JsonPath, Problem, SourceText};
use crate::policy::arn::{split_arn, IamEntity};
use crate::policy::{parse_policy, Policy, PolicyType};
use crate::world::{Bucket, Key, KeyManager, OtherResource, Principal, World, WorldError};

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

/// A problem with a question's input.
#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{0}")]
    Policy(Problem),
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
    #[error("{0}")]
    World(#[from] WorldError),
}

/// Reads, parses and checks a policy file; its problems go to `problems`.
fn read_policy(
    path: &PathBuf,
    t: PolicyType,
    name: &str,
    problems: &mut Vec<QuestionError>,
) -> Option<Arc<Policy>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(error) => {
            problems.push(QuestionError::Read {
                path: path.display().to_string(),
                error,
            });
            return None;
        }
    };
    let source = SourceText::new(path.display().to_string(), text);
    let node = match source.parse(false) {
        Ok(n) => n,
        Err(d) => {
            problems.push(QuestionError::Policy(source.locate(&d)));
            return None;
        }
    };
    let mut diags = Vec::new();
    let policy = parse_policy(&node, t, name, &JsonPath::root(), &source, &mut diags);
    problems.extend(
        diags
            .iter()
            .map(|d| QuestionError::Policy(source.locate(d))),
    );
    policy.map(Arc::new)
}

impl Question {
    /// The question as a scenario with one check, or every problem with the input.
    pub fn scenario(&self) -> Result<Scenario, Vec<QuestionError>> {
        let mut problems = Vec::new();
        let mut world = World::new("us-east-1");
        self.add_principal(&mut world, &mut problems);
        self.add_resource(&mut world, &mut problems);
        let context = self.context_values(&mut problems);
        let caller = match world.caller(&self.principal) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                problems.push(flag("--principal", e.to_string()));
                None
            }
        };
        if self.resource != "*" && split_arn(&self.resource).is_none() {
            problems.push(flag(
                "--resource",
                format!("{:?}: expected an ARN or \"*\"", self.resource),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let check = Check {
            name: format!("{} {} on {}", self.principal, self.action, self.resource),
            caller,
            kind: CheckKind::Raw {
                action: self.action.clone(),
                resource: self.resource.clone(),
                resource_account: self.resource_account.clone(),
            },
            context,
            vpc_endpoint: None,
            session_policy: None,
            expect: None,
            line: 0,
            note: None,
        };
        Ok(Scenario {
            source: Arc::new(SourceText::new("eval", "")),
            world,
            checks: vec![check],
            warnings: Vec::new(),
        })
    }

    /// The principal's identity policies and boundary: a session's role, or the user or role
    /// itself, holds them.
    fn add_principal(&self, world: &mut World, problems: &mut Vec<QuestionError>) {
        let mut identity = Vec::new();
        for (i, path) in self.identity_policies.iter().enumerate() {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| format!("identity policy {i}"));
            identity.extend(read_policy(path, PolicyType::Identity, &name, problems));
        }
        let boundary = self.permissions_boundary.as_ref().and_then(|p| {
            read_policy(
                p,
                PolicyType::PermissionsBoundary,
                "permissions boundary",
                problems,
            )
        });
        let holder = match IamEntity::parse(&self.principal) {
            Some(IamEntity::AssumedRole { account, role, .. }) => {
                Some(format!("arn:aws:iam::{account}:role/{role}"))
            }
            Some(IamEntity::User { .. } | IamEntity::Role { .. }) => Some(self.principal.clone()),
            _ => None,
        };
        let Some(holder) = holder else {
            if !identity.is_empty() {
                problems.push(flag(
                    "--identity-policy",
                    format!(
                        "{}: only IAM users and roles have identity policies",
                        self.principal
                    ),
                ));
            }
            return;
        };
        match Principal::new(&holder) {
            Ok(mut p) => {
                p.identity = identity;
                p.boundary = boundary;
                if let Err(e) = world.add_principal(p) {
                    problems.push(e.into());
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }

    /// The resource and its policy: a bucket, a KMS key (with the default key policy when none
    /// is given), a role's trust policy, or any other resource.
    fn add_resource(&self, world: &mut World, problems: &mut Vec<QuestionError>) {
        let principal_account = IamEntity::parse(&self.principal).map(|e| e.account().to_string());
        let resource_account = self
            .resource_account
            .clone()
            .or_else(|| {
                split_arn(&self.resource)
                    .map(|f| f[4].to_string())
                    .filter(|a| !a.is_empty())
            })
            .or(principal_account);
        let policy = |t: PolicyType, name: String, problems: &mut Vec<QuestionError>| {
            self.resource_policy
                .as_ref()
                .and_then(|p| read_policy(p, t, &name, problems))
        };
        let added: Result<(), WorldError> = match split_arn(&self.resource) {
            Some([_, _, "s3", _, _, rest]) => {
                let name = rest.split('/').next().unwrap_or(rest);
                let Some(account) = resource_account else {
                    problems.push(flag(
                        "--resource-account",
                        "an S3 ARN names no account: give the bucket's account".to_string(),
                    ));
                    return;
                };
                Bucket::new(name, &account, &world.region.clone()).and_then(|mut b| {
                    b.policy = policy(
                        PolicyType::Bucket,
                        format!("bucket policy of {name}"),
                        problems,
                    );
                    world.add_bucket(b).map_err(|mut e| e.0.remove(0))
                })
            }
            Some([_, _, "kms", _, _, resource]) if resource.starts_with("key/") => {
                Key::new(&self.resource, KeyManager::Customer).and_then(|mut k| {
                    let name = format!("key policy of {}", self.resource);
                    if let Some(p) = policy(PolicyType::Key, name, problems) {
                        k.set_policy(p);
                    }
                    world.add_key(k)
                })
            }
            Some([_, _, "iam", _, _, resource]) if resource.starts_with("role/") => {
                let name = format!("trust policy of {}", self.resource);
                let trust = policy(PolicyType::Trust, name, problems);
                match world.principals.get_mut(&self.resource) {
                    Some(existing) => {
                        existing.trust = trust;
                        Ok(())
                    }
                    None => Principal::new(&self.resource).and_then(|mut p| {
                        p.trust = trust;
                        world.add_principal(p)
                    }),
                }
            }
            _ => {
                let name = format!("resource policy of {}", self.resource);
                match policy(PolicyType::Resource, name, problems) {
                    Some(policy) => world.add_resource(OtherResource {
                        arn: self.resource.clone(),
                        account: resource_account,
                        policy,
                    }),
                    None => Ok(()),
                }
            }
        };
        if let Err(e) = added {
            problems.push(e.into());
        }
    }

    /// `--context KEY=VALUE` (split at commas for keys given to `--multi`).
    fn context_values(&self, problems: &mut Vec<QuestionError>) -> Vec<(String, ContextValue)> {
        let mut context = Vec::new();
        for kv in &self.context {
            match kv.split_once('=') {
                Some((k, v)) if self.multi.iter().any(|m| m.eq_ignore_ascii_case(k)) => context
                    .push((
                        k.to_string(),
                        ContextValue::Multi(
                            v.split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect(),
                        ),
                    )),
                Some((k, v)) => context.push((k.to_string(), ContextValue::Single(v.to_string()))),
                None => problems.push(flag("--context", format!("{kv:?}: expected KEY=VALUE"))),
            }
        }
        context
    }
}

fn flag(flag: &str, message: String) -> QuestionError {
    QuestionError::Flag {
        flag: flag.to_string(),
        message,
    }
}
