//! The request matrix of two versions of a world, and the decisions a change between them
//! flips: every principal x every action any policy mentions (wildcards expanded into the
//! actions they cover, from AWS's service authorization reference) x every resource of the
//! world the action's resource types fit, plus every modelled S3 call on every bucket.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::engine::{authorize, Caller, Decision, NoTrace, Request};
use crate::policy::arn::split_arn;
use crate::policy::reference::reference;
use crate::services::{call_with, Call, CallOutcome, CallRequest};
use crate::world::{BaseRequest, ContextCache, World};

/// The key S3 calls of the matrix read when a bucket lists no object, and the keys its writes
/// use (never read, so that no write changes another request's answer).
const READ_KEY: &str = "iamsim-matrix/object";
const PUT_KEY: &str = "iamsim-matrix/put";
const MULTIPART_KEY: &str = "iamsim-matrix/multipart";
const COPY_KEY: &str = "iamsim-matrix/copy";

/// Objects of a bucket the matrix reads at most.
const OBJECTS_PER_BUCKET: usize = 3;

/// One request of the matrix.
#[derive(Debug, Clone)]
pub enum MatrixRequest {
    /// An authorization of `action` on `resource` by principal `principal`.
    Raw {
        principal: usize,
        action: Arc<str>,
        resource: Arc<str>,
    },
    /// A modelled S3 call.
    Call {
        principal: Option<usize>,
        call: Call,
        bucket: Arc<str>,
        key: Arc<str>,
        headers: Vec<(String, String)>,
    },
}

/// The matrix of two worlds: their principals (by ARN) and the requests.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub principals: Vec<String>,
    pub requests: Vec<MatrixRequest>,
}

/// How one side decided a request, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// `explicit` or `implicit`, or the error code of a failure that is not a policy decision.
    pub how: String,
    /// The deciding statements' labels (`Sid`, or `policy[index]`), with their policies.
    pub by: Vec<String>,
}

/// A request whose answer differs between the two worlds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    /// The principal's ARN; `s3.amazonaws.com` for a replication.
    pub principal: String,
    /// The action, or the call's name.
    pub action: String,
    pub resource: String,
    pub before: Verdict,
    pub after: Verdict,
}

/// The flips of a matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixDiff {
    /// How many requests were compared.
    pub requests: usize,
    /// Sorted by principal, action and resource.
    pub flips: Vec<Flip>,
}

impl Matrix {
    /// The matrix of both worlds: the union of their principals, actions and resources.
    pub fn of(before: &World, after: &World) -> Matrix {
        let mut principals: Vec<String> = Vec::new();
        let mut seen = FxHashSet::default();
        for w in [before, after] {
            for p in w.principals.keys() {
                if seen.insert(p.clone()) {
                    principals.push(p.clone());
                }
            }
        }
        let actions = mentioned_actions(before, after);
        let resources = resources(before, after);
        let r = reference();
        // Which resources each action applies to, decided once per action.
        let mut pairs: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        for action in &actions {
            let known = r.action(action).is_some();
            let types = r.resource_types(action);
            if !known || types.is_empty() {
                pairs.push((action.as_str().into(), "*".into()));
                continue;
            }
            for resource in &resources {
                if types.iter().any(|t| t.fits(resource)) {
                    pairs.push((action.as_str().into(), resource.as_str().into()));
                }
            }
        }
        let mut requests = Vec::with_capacity(principals.len() * pairs.len());
        for principal in 0..principals.len() {
            for (action, resource) in &pairs {
                requests.push(MatrixRequest::Raw {
                    principal,
                    action: action.clone(),
                    resource: resource.clone(),
                });
            }
        }
        requests.extend(calls(before, after, principals.len()));
        Matrix {
            principals,
            requests,
        }
    }

    /// Compares every request's answer in the two worlds, on all cores. `progress` counts the
    /// requests done.
    pub fn compare(&self, before: &World, after: &World, progress: &AtomicUsize) -> MatrixDiff {
        let callers = |w: &World| -> Vec<Option<Arc<Caller>>> {
            self.principals
                .iter()
                .map(|p| w.caller(p).ok().map(Arc::new))
                .collect()
        };
        let (before_callers, after_callers) = (callers(before), callers(after));
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let size = self.requests.len().div_ceil(threads).max(1);
        let run = |part: &[MatrixRequest]| {
            let mut sides = [
                Side::new(before, &before_callers),
                Side::new(after, &after_callers),
            ];
            let mut flips = Vec::new();
            for (i, request) in part.iter().enumerate() {
                let [b, a] = &mut sides;
                if let Some(flip) = compare_one(request, b, a, &self.principals) {
                    flips.push(flip);
                }
                if i % 1024 == 1023 {
                    progress.fetch_add(1024, Ordering::Relaxed);
                }
            }
            progress.fetch_add(part.len() % 1024, Ordering::Relaxed);
            flips
        };
        let mut flips: Vec<Flip> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .requests
                .chunks(size)
                .map(|part| (part, scope.spawn(move || run(part))))
                .collect();
            handles
                .into_iter()
                .flat_map(|(part, h)| h.join().unwrap_or_else(|_| run(part)))
                .collect()
        });
        flips.sort_by(|x, y| {
            (&x.principal, &x.action, &x.resource).cmp(&(&y.principal, &y.action, &y.resource))
        });
        MatrixDiff {
            requests: self.requests.len(),
            flips,
        }
    }
}

/// One world as a thread evaluates it: its callers, a cache of base contexts, and a copy of
/// the world for calls (which store what they write).
struct Side<'w> {
    world: &'w World,
    callers: &'w [Option<Arc<Caller>>],
    cache: ContextCache,
    working: Option<World>,
}

impl<'w> Side<'w> {
    fn new(world: &'w World, callers: &'w [Option<Arc<Caller>>]) -> Self {
        Side {
            world,
            callers,
            cache: ContextCache::default(),
            working: None,
        }
    }

    /// The decision on a raw request; `None` when the principal is not in this world.
    fn decide(&mut self, principal: usize, action: &str, resource: &str) -> Option<Decision> {
        let caller = self.callers.get(principal)?.as_deref()?;
        let world = self.world;
        let fields = split_arn(resource);
        let side = world.resource_side_of(caller, action, resource, fields, None);
        let set = world.policy_set(caller, action, &side, None, None);
        let context = self.cache.context(
            world,
            &BaseRequest {
                caller,
                action,
                resource,
                resource_account: side.account,
                endpoint: None,
                via_s3: None,
                region: None,
            },
        );
        let mut request = Request::new(caller, action, resource, side.account, &context);
        request.resource_fields = fields;
        Some(authorize(&request, &set, &mut NoTrace))
    }

    /// The outcome of a call, on this thread's copy of the world.
    fn call(&mut self, principal: Option<usize>, request: &CallRequest<'_>) -> Option<CallOutcome> {
        let caller = match principal {
            Some(p) => Some(self.callers.get(p)?.as_deref()?),
            None => None,
        };
        if self.working.is_none() {
            self.working = Some(self.world.clone());
        }
        let working = self.working.as_mut()?;
        let request = CallRequest { caller, ..*request };
        Some(call_with(working, &request, &mut self.cache))
    }
}

fn verdict_of_decision(d: Option<&Decision>) -> Verdict {
    match d {
        None => Verdict {
            allowed: false,
            how: "no such principal".to_string(),
            by: Vec::new(),
        },
        Some(d) => Verdict {
            allowed: d.is_allowed(),
            how: match d {
                Decision::Allowed { .. } => "allowed".to_string(),
                Decision::Denied(denial) => denial
                    .outcome()
                    .denial_name()
                    .unwrap_or("denied")
                    .to_string(),
            },
            by: labels(d.statements()),
        },
    }
}

fn verdict_of_call(o: Option<&CallOutcome>) -> Verdict {
    match o {
        None => Verdict {
            allowed: false,
            how: "no such principal".to_string(),
            by: Vec::new(),
        },
        Some(o) => Verdict {
            allowed: o.is_allowed(),
            how: match (o.is_allowed(), o.outcome(), o.error()) {
                (true, _, _) => "allowed".to_string(),
                (false, Some(outcome), _) => outcome.denial_name().unwrap_or("denied").to_string(),
                (false, None, Some(e)) => e.code.as_str().to_string(),
                (false, None, None) => "failed".to_string(),
            },
            by: labels(o.decided_by()),
        },
    }
}

fn labels<'r>(refs: impl IntoIterator<Item = &'r crate::engine::StatementRef>) -> Vec<String> {
    refs.into_iter()
        .map(|r| format!("{} ({})", r.label(), r.policy))
        .collect()
}

/// Compares one request; a flip when the two worlds answer it differently.
fn compare_one(
    request: &MatrixRequest,
    before: &mut Side<'_>,
    after: &mut Side<'_>,
    principals: &[String],
) -> Option<Flip> {
    match request {
        MatrixRequest::Raw {
            principal,
            action,
            resource,
        } => {
            let b = before.decide(*principal, action, resource);
            let a = after.decide(*principal, action, resource);
            let allowed = |d: &Option<Decision>| d.as_ref().is_some_and(Decision::is_allowed);
            if allowed(&b) == allowed(&a) {
                return None;
            }
            Some(Flip {
                principal: principals[*principal].clone(),
                action: action.to_string(),
                resource: resource.to_string(),
                before: verdict_of_decision(b.as_ref()),
                after: verdict_of_decision(a.as_ref()),
            })
        }
        MatrixRequest::Call {
            principal,
            call,
            bucket,
            key,
            headers,
        } => {
            let request = CallRequest {
                call: *call,
                caller: None,
                bucket,
                key,
                headers,
                version_id: None,
                options: Default::default(),
            };
            let b = before.call(*principal, &request);
            let a = after.call(*principal, &request);
            let allowed = |o: &Option<CallOutcome>| o.as_ref().is_some_and(CallOutcome::is_allowed);
            if allowed(&b) == allowed(&a) {
                return None;
            }
            Some(Flip {
                principal: principal
                    .map_or("s3.amazonaws.com".to_string(), |p| principals[p].clone()),
                action: call.name().to_string(),
                resource: format!("arn:aws:s3:::{bucket}/{key}"),
                before: verdict_of_call(b.as_ref()),
                after: verdict_of_call(a.as_ref()),
            })
        }
    }
}

/// Every action the policies of either world mention in `Action` or `NotAction`, wildcards
/// expanded into the actions they cover; names the reference does not know are kept as
/// written (without wildcards).
fn mentioned_actions(before: &World, after: &World) -> Vec<String> {
    let r = reference();
    let mut patterns: Vec<String> = Vec::new();
    let mut seen = FxHashSet::default();
    for w in [before, after] {
        for policy in w.policies() {
            for s in &policy.statements {
                for p in &s.action.patterns {
                    if seen.insert(p.source.to_ascii_lowercase()) {
                        patterns.push(p.source.clone());
                    }
                }
            }
        }
    }
    let mut actions: Vec<String> = Vec::new();
    let mut have = FxHashSet::default();
    for pattern in patterns {
        let expanded = if pattern.contains(['*', '?']) {
            r.expand(&pattern)
        } else {
            // The reference's spelling where it knows the action.
            match r.action(&pattern) {
                Some((service, a)) => vec![format!("{}:{}", service.prefix, a.name)],
                None => vec![pattern.clone()],
            }
        };
        for a in expanded {
            if have.insert(a.to_ascii_lowercase()) {
                actions.push(a);
            }
        }
    }
    actions.sort();
    actions
}

/// Every resource either world has: buckets and a few of their objects (or a representative
/// key), access points, keys, users and roles, other resources.
fn resources(before: &World, after: &World) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = FxHashSet::default();
    let mut add = |arn: String| {
        if seen.insert(arn.clone()) {
            out.push(arn);
        }
    };
    for w in [before, after] {
        for b in w.buckets.values() {
            add(b.arn());
            let mut keys: Vec<&str> = b
                .objects
                .keys()
                .take(OBJECTS_PER_BUCKET)
                .map(String::as_str)
                .collect();
            if keys.is_empty() {
                keys.push(READ_KEY);
            }
            for k in keys {
                add(format!("{}/{k}", b.arn()));
            }
        }
        for ap in w.access_points.values() {
            add(ap.arn.clone());
            add(ap.resource(Some(READ_KEY)));
        }
        for k in w.keys.values() {
            add(k.arn.to_string());
        }
        for p in w.principals.values() {
            add(p.arn.clone());
        }
        for r in w.resources.values() {
            add(r.arn.clone());
        }
    }
    out
}

/// The modelled S3 calls of every principal on every bucket, and the replication of each
/// replicating bucket's objects.
fn calls(before: &World, after: &World, principals: usize) -> Vec<MatrixRequest> {
    let mut buckets: Vec<(Arc<str>, Vec<String>, bool)> = Vec::new();
    let mut seen = FxHashSet::default();
    for w in [before, after] {
        for b in w.buckets.values() {
            if seen.insert(b.name.clone()) {
                let objects: Vec<String> =
                    b.objects.keys().take(OBJECTS_PER_BUCKET).cloned().collect();
                buckets.push((b.name.as_str().into(), objects, b.replication.is_some()));
            }
        }
    }
    let mut out = Vec::new();
    for (bucket, objects, replicates) in &buckets {
        let read_key: Arc<str> = objects.first().map_or(READ_KEY, String::as_str).into();
        for principal in 0..principals {
            let mut add = |call: Call, key: &Arc<str>, headers: Vec<(String, String)>| {
                out.push(MatrixRequest::Call {
                    principal: Some(principal),
                    call,
                    bucket: bucket.clone(),
                    key: key.clone(),
                    headers,
                });
            };
            add(Call::PutObject, &PUT_KEY.into(), Vec::new());
            add(
                Call::CreateMultipartUpload,
                &MULTIPART_KEY.into(),
                Vec::new(),
            );
            add(Call::GetObject, &read_key, Vec::new());
            add(Call::HeadObject, &read_key, Vec::new());
            add(Call::GetObjectAttributes, &read_key, Vec::new());
            if let Some(source) = objects.first() {
                add(
                    Call::CopyObject,
                    &COPY_KEY.into(),
                    vec![(
                        "x-amz-copy-source".to_string(),
                        format!("{bucket}/{source}"),
                    )],
                );
            }
        }
        if *replicates {
            for key in objects {
                out.push(MatrixRequest::Call {
                    principal: None,
                    call: Call::ReplicateObject,
                    bucket: bucket.clone(),
                    key: key.as_str().into(),
                    headers: Vec::new(),
                });
            }
        }
    }
    out
}

/// Why a `--set` swap cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    #[error("expected bucket:NAME, key:ARN or principal:ARN/POLICY_NAME, found {0:?}")]
    Target(String),
    #[error("no bucket named {0:?} in the world")]
    NoBucket(String),
    #[error("no key {0:?} in the world")]
    NoKey(String),
    #[error("no principal {0:?} in the world")]
    NoPrincipal(String),
    #[error("{0}")]
    Policy(String),
}

/// Swaps one policy document of a world: a bucket's policy (`bucket:NAME`), a key's policy
/// (`key:ARN`), or a principal's identity policy (`principal:ARN/POLICY_NAME`, added when the
/// principal has none of that name). `source` holds the new document. Returns the name reports
/// give the policy, whose statements now point into `source`.
pub fn swap_policy(
    world: &mut World,
    target: &str,
    source: &crate::json::SourceText,
) -> Result<Arc<str>, SwapError> {
    use crate::policy::{parse_policy_text, PolicyType};
    let parse = |t: PolicyType, name: &str| {
        parse_policy_text(source, t, name)
            .map(Arc::new)
            .map_err(|e| {
                SwapError::Policy(
                    e.0.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })
    };
    let (kind, rest) = target
        .split_once(':')
        .ok_or_else(|| SwapError::Target(target.to_string()))?;
    match kind {
        "bucket" => {
            let policy = parse(PolicyType::Bucket, &format!("bucket policy of {rest}"))?;
            let bucket = world
                .bucket_mut(rest)
                .ok_or_else(|| SwapError::NoBucket(rest.to_string()))?;
            let name = policy.name.clone();
            bucket.policy = Some(policy);
            Ok(name)
        }
        "key" => {
            let policy = parse(PolicyType::Key, &format!("key policy of {rest}"))?;
            let key = world
                .keys
                .get_mut(rest)
                .ok_or_else(|| SwapError::NoKey(rest.to_string()))?;
            let name = policy.name.clone();
            key.policy = policy;
            key.default_policy = false;
            Ok(name)
        }
        "principal" => {
            let (arn, name) = rest
                .rsplit_once('/')
                .filter(|(arn, name)| {
                    (arn.contains(":user/") || arn.contains(":role/")) && !name.is_empty()
                })
                .ok_or_else(|| SwapError::Target(target.to_string()))?;
            let policy = parse(PolicyType::Identity, name)?;
            let principal = world
                .principals
                .get_mut(arn)
                .ok_or_else(|| SwapError::NoPrincipal(arn.to_string()))?;
            let set = policy.name.clone();
            match principal.identity.iter_mut().find(|p| &*p.name == name) {
                Some(existing) => *existing = policy,
                None => principal.identity.push(policy),
            }
            Ok(set)
        }
        _ => Err(SwapError::Target(target.to_string())),
    }
}
