//! S3 object calls as the authorizations S3 performs for them, in order.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#aws-managed-customer-managed-keys ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html

pub(crate) mod access_point;
mod acl;
mod copy;
pub mod encryption;
pub mod headers;
mod read;
mod write;

use headers::{Headers, KMS_KEY_ID};

use super::env::Env;
use super::error::ClientError;
use super::messages::s3_access_denied;
use super::outcome::{CallOutcome, Step, StepKind, StepOutcome};
use super::request::{Call, CallRequest};
use super::step::{authorize, AuthStep};
use crate::engine::{Caller, CallerKind};
use crate::world::{AccessPoint, BaseRequest, Bucket, World};

/// The caller of a request that carries no credentials.
static ANONYMOUS: Caller = Caller {
    kind: CallerKind::Anonymous,
    arn: None,
    account: None,
    has_boundary: false,
};

/// `arn:aws:s3:::bucket/key`, shared by the steps that name it.
pub(super) fn object_arn(bucket: &str, key: &str) -> std::sync::Arc<str> {
    let mut arn = String::with_capacity(13 + bucket.len() + 1 + key.len());
    arn.push_str("arn:aws:s3:::");
    arn.push_str(bucket);
    arn.push('/');
    arn.push_str(key);
    arn.into()
}

/// One S3 authorization of an action on a bucket or object, with the request's headers as
/// condition keys.
#[derive(Clone)]
pub(super) struct S3Request<'a> {
    pub caller: &'a Caller,
    /// Borrowed for the calls' own actions; a raw check names its own.
    pub action: std::borrow::Cow<'static, str>,
    pub bucket: &'a Bucket,
    pub resource: &'a std::sync::Arc<str>,
    pub headers: &'a Headers<'a>,
    /// The key ARN S3 resolved from the key-id header: the value the bucket policy sees
    /// (decision A1).
    pub resolved_key_id: Option<&'a std::sync::Arc<str>>,
    /// The object's stored tags (`s3:ExistingObjectTag/*`).
    pub existing_tags: &'a [(String, String)],
    /// Built only when explaining.
    pub title: &'a dyn Fn() -> String,
}

/// Authorizes an S3 action, through the request's access point when it has one: the access
/// point's authorization, then the bucket's. Pushes the steps; returns whether all passed.
pub(super) fn s3_steps(
    world: &World,
    env: &mut Env<'_>,
    r: S3Request<'_>,
    steps: &mut Vec<Step>,
) -> bool {
    let through = env
        .access_point
        .as_deref()
        .and_then(|arn| world.access_points.get(arn));
    let Some(ap) = through else {
        return push(steps, s3_step(world, env, r));
    };
    if let Some(refusal) = access_point::network_origin(world, env, &r, ap) {
        steps.push(refusal);
        return false;
    }
    push(steps, access_point::authorize(world, env, &r, ap))
        && push(steps, access_point::bucket_step(world, env, r, ap))
}

/// The condition keys of an S3 request: the base keys, the request's headers, its object tags
/// and, through an access point, the access point's keys; the request's own values over them.
fn s3_context(
    world: &World,
    env: &mut Env<'_>,
    r: &S3Request<'_>,
    resource: &str,
    resource_account: &str,
    through: Option<&AccessPoint>,
) -> crate::engine::Context {
    let endpoint = env.endpoint(world);
    let mut ctx = env.base_context(
        world,
        &BaseRequest {
            caller: r.caller,
            action: &r.action,
            resource,
            resource_account: Some(resource_account),
            endpoint,
            via_s3: None,
            region: Some(&r.bucket.region),
        },
    );
    for (name, key, value) in r.headers.condition_keys() {
        match r.resolved_key_id {
            Some(arn) if name == KMS_KEY_ID => ctx.set_known_shared(key, arn.clone()),
            _ => ctx.set_known(key, value),
        }
    }
    if r.headers.has_tags() {
        let tags = r.headers.tags();
        for (k, v) in &tags {
            ctx.set(format!("s3:RequestObjectTag/{k}"), v.as_str());
        }
        ctx.set_multi(
            "s3:RequestObjectTagKeys",
            tags.into_iter().map(|(k, _)| k).collect(),
        );
    }
    for (k, v) in r.existing_tags {
        ctx.set(format!("s3:ExistingObjectTag/{k}"), v.as_str());
    }
    if let Some(ap) = through {
        access_point::set_keys(&mut ctx, ap);
    }
    ctx.apply(env.options.context);
    ctx
}

/// Authorizes an S3 action on the bucket or object itself. A denial reaches the caller as S3's
/// `AccessDenied`.
pub(super) fn s3_step(world: &World, env: &mut Env<'_>, r: S3Request<'_>) -> Step {
    let ctx = s3_context(world, env, &r, r.resource, &r.bucket.account, None);
    let session_policy = env.options.session_policy;
    let endpoint = env.endpoint(world);
    let mut step = authorize(
        world,
        env,
        AuthStep {
            kind: StepKind::S3Authorization,
            title: r.title,
            caller: r.caller,
            action: r.action.clone(),
            resource: r.resource,
            resource_account: Some(&r.bucket.account),
            context: ctx,
            session_policy,
            endpoint,
            notes: Vec::new(),
        },
    );
    refuse_as_s3(world, &r, &r.bucket.account, &mut step);
    step
}

/// A denial reaches the caller as S3's `AccessDenied`: detailed for callers of the resource
/// owner's account or organization, plain for the others.
fn refuse_as_s3(world: &World, r: &S3Request<'_>, owner: &str, step: &mut Step) {
    if let Some(message) = step.outcome.message().filter(|_| !step.outcome.passed()) {
        let refusal = s3_access_denied(world, r.caller, Some(owner), message);
        step.refuse_with(refusal);
    }
}

/// `x-amz-expected-bucket-owner`: a request that names another account than the bucket's owner
/// fails with 403 before anything else.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
fn expected_owner(
    world: &World,
    request: &CallRequest<'_>,
    headers: &Headers<'_>,
    caller: &Caller,
) -> Option<Step> {
    let expected = headers.get("x-amz-expected-bucket-owner")?;
    let bucket = world.bucket(request.bucket)?;
    (expected != bucket.account).then(|| {
        super::step::rejected(
            StepKind::S3RequestCheck,
            format!(
                "x-amz-expected-bucket-owner says {expected}, but {} belongs to {}",
                bucket.name, bucket.account
            ),
            request.call.name(),
            &object_arn(&bucket.name, request.key),
            caller,
            ClientError::access_denied(),
        )
    })
}

/// Appends a step; returns whether it went through.
pub(super) fn push(steps: &mut Vec<Step>, step: Step) -> bool {
    let passed = step.outcome.passed();
    steps.push(step);
    passed
}

/// Runs an S3 call. A call that goes through changes the world the way S3 would: a write
/// stores its object, a replication its replica.
pub(super) fn run(world: &mut World, env: &mut Env<'_>, request: &CallRequest<'_>) -> CallOutcome {
    // A call may name an access point (by ARN or alias) where it names a bucket: the requests
    // go through it to its bucket.
    let through = world
        .access_point(request.bucket)
        .map(|ap| (ap.arn.clone(), ap.bucket.clone()));
    let routed;
    let request = match &through {
        Some((arn, bucket)) => {
            env.note(|| format!("the request goes through access point {arn} to bucket {bucket}"));
            env.access_point = Some(arn.clone());
            routed = CallRequest { bucket, ..*request };
            &routed
        }
        None => request,
    };
    let caller = request.caller.unwrap_or(&ANONYMOUS);
    let headers = Headers::new(request.headers);
    // Most calls are two to four steps: one allocation for them.
    let mut steps = Vec::with_capacity(4);
    if let Some(refusal) = expected_owner(world, request, &headers, caller) {
        return CallOutcome::new(vec![refusal], None, std::mem::take(&mut env.notes));
    }
    let result = match request.call {
        Call::PutObject | Call::CreateMultipartUpload => {
            write::write(world, env, request, &headers, caller, &mut steps)
        }
        Call::GetObject | Call::HeadObject | Call::GetObjectAttributes => read::read(
            world,
            env,
            read::Read {
                caller,
                bucket: request.bucket,
                key: request.key,
                reading: match request.call {
                    Call::HeadObject => read::Reading::Head,
                    Call::GetObjectAttributes => read::Reading::Attributes,
                    _ => read::Reading::Object,
                },
                headers: &headers,
                version_id: request.version_id,
            },
            &mut steps,
        )
        .map(|()| None),
        Call::CopyObject => copy::copy(world, env, request, &headers, caller, &mut steps),
        Call::PutObjectAcl => {
            acl::put_object_acl(world, env, request, &headers, caller, &mut steps)
        }
        Call::ReplicateObject => return super::replication::run(world, env, request),
    };
    // A refused KMS request reaches an S3 client as a plain Access Denied (A6), unless the
    // step already says what the client reads (a refused Decrypt, set by the read).
    for step in &mut steps {
        let kms = matches!(
            step.kind,
            StepKind::KmsDataKey | StepKind::KmsDecrypt | StepKind::KmsEncrypt
        );
        if kms && matches!(step.outcome, StepOutcome::Denied { error: None, .. }) {
            step.refuse_with(ClientError::access_denied());
        }
    }
    let (stored, error) = match result {
        Ok(stored) => (stored, None),
        Err(e) => (None, Some(e)),
    };
    let outcome = CallOutcome::new(steps, error, std::mem::take(&mut env.notes));
    // A write stores into the bucket the request names (after any access point).
    if let Some(object) = stored.filter(|_| outcome.is_allowed()) {
        if let Some(b) = world.bucket_mut(request.bucket) {
            b.store(object);
        }
    }
    outcome
}
