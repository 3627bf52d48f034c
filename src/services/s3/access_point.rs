//! S3 requests through an access point: the access point's network origin, then two
//! authorizations, both of which must allow: the access point's (the caller's policies and the
//! access point policy, against the access point's ARN, its owner the resource owner) and the
//! bucket's (the bucket policy, against the bucket's ARN). Both carry
//! `s3:DataAccessPointArn`, `s3:DataAccessPointAccount` and `s3:AccessPointNetworkOrigin`.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
//! ("permissions granted in an access point policy are only effective if the underlying bucket
//! also allows the same access"; the delegation pattern; cross-account access points) ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-vpc.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-bpa-settings.html

use std::borrow::Cow;
use std::sync::Arc;

use super::{refuse_as_s3, s3_context, s3_steps, S3Request};
use crate::engine::{Context, ResourceRules};
use crate::policy::arn::split_arn;
use crate::services::env::Env;
use crate::services::error::ClientError;
use crate::services::outcome::{CallOutcome, Step, StepKind};
use crate::services::request::Authorization;
use crate::services::step::{self, authorize_on, rejected, AuthStep};
use crate::world::access_point::split_access_point_arn;
use crate::world::{AccessPoint, NetworkOrigin, World};

/// The condition keys every request through the access point carries.
pub(super) fn set_keys(ctx: &mut Context, ap: &AccessPoint) {
    ctx.set("s3:DataAccessPointArn", ap.arn.as_str());
    ctx.set("s3:DataAccessPointAccount", ap.account.as_str());
    ctx.set("s3:AccessPointNetworkOrigin", ap.network_origin.as_str());
}

/// A VPC-origin access point refuses requests that do not come from its VPC, before any
/// policy. AWS documents the refusal, not its message; iamsim answers S3's plain 403.
pub(super) fn network_origin(
    world: &World,
    env: &Env<'_>,
    r: &S3Request<'_>,
    ap: &AccessPoint,
) -> Option<Step> {
    let NetworkOrigin::Vpc(vpc) = &ap.network_origin else {
        return None;
    };
    let from = env.endpoint(world).and_then(|e| e.vpc.as_deref());
    if from == Some(vpc.as_str()) {
        return None;
    }
    let title = match from {
        Some(other) => format!(
            "access point {} accepts requests only from {vpc}; this one comes from {other}",
            ap.name
        ),
        None => format!(
            "access point {} accepts requests only from {vpc}; this one does not come through a VPC endpoint",
            ap.name
        ),
    };
    Some(rejected(
        StepKind::S3RequestCheck,
        title,
        "s3:GetObject",
        &ap.resource(object_key(r.resource)),
        r.caller,
        ClientError::access_denied(),
    ))
}

/// The key of an object ARN (`arn:aws:s3:::bucket/key`); `None` for a bucket ARN.
fn object_key(resource: &str) -> Option<&str> {
    let [_, _, _, _, _, rest] = split_arn(resource)?;
    crate::policy::arn::after(rest, b'/')
}

/// The access point's authorization: the request against the access point's ARN (or its
/// object's), the access point's owner as the resource owner.
pub(super) fn authorize(
    world: &World,
    env: &mut Env<'_>,
    r: &S3Request<'_>,
    ap: &AccessPoint,
) -> Step {
    let resource: Arc<str> = ap.resource(object_key(r.resource)).into();
    let ctx = s3_context(world, env, r, &resource, &ap.account, Some(ap));
    let title = || {
        format!(
            "S3 authorizes {} through access point {}",
            r.action, ap.name
        )
    };
    let session_policy = env.options.session_policy;
    let endpoint = env.endpoint(world);
    let mut step = step::authorize(
        world,
        env,
        AuthStep {
            kind: StepKind::S3AccessPointAuthorization,
            title: &title,
            caller: r.caller,
            action: r.action.clone(),
            resource: &resource,
            resource_account: Some(&ap.account),
            context: ctx,
            session_policy,
            endpoint,
            notes: Vec::new(),
        },
    );
    refuse_as_s3(world, r, &ap.account, &mut step);
    step
}

/// The bucket's authorization of a request through an access point: the bucket policy must
/// allow it too; the caller's own side was authorized for the access point.
pub(super) fn bucket_step(
    world: &World,
    env: &mut Env<'_>,
    r: S3Request<'_>,
    ap: &AccessPoint,
) -> Step {
    let ctx = s3_context(world, env, &r, r.resource, &r.bucket.account, Some(ap));
    let fields = split_arn(r.resource);
    let mut side = world.resource_side_of(
        r.caller,
        &r.action,
        r.resource,
        fields,
        Some(&r.bucket.account),
    );
    if let ResourceRules::S3 { allows_apply } = side.rules {
        side.rules = ResourceRules::AccessPointBucket { allows_apply };
    }
    let title = || {
        format!(
            "the bucket {} must allow {} through access point {} too",
            r.bucket.name, r.action, ap.name
        )
    };
    let session_policy = env.options.session_policy;
    let endpoint = env.endpoint(world);
    let mut step = authorize_on(
        world,
        env,
        AuthStep {
            kind: StepKind::S3Authorization,
            title: &title,
            caller: r.caller,
            action: r.action.clone(),
            resource: r.resource,
            resource_account: Some(&r.bucket.account),
            context: ctx,
            session_policy,
            endpoint,
            notes: Vec::new(),
        },
        side,
        fields,
    );
    refuse_as_s3(world, &r, &r.bucket.account, &mut step);
    step
}

/// One authorization asked directly on an access point ARN (a raw check): the same steps as
/// an S3 request through the access point.
pub(crate) fn authorize_request(
    world: &World,
    env: &mut Env<'_>,
    request: &Authorization<'_>,
) -> Option<CallOutcome> {
    if world.access_points.is_empty() {
        return None;
    }
    let service = split_arn(request.resource).map(|f| f[2]);
    if service != Some("s3") {
        return None;
    }
    let (arn, key) = split_access_point_arn(request.resource)?;
    let ap = world.access_points.get(&arn)?;
    let bucket = world.bucket(&ap.bucket)?;
    let resource: Arc<str> = match key {
        Some(k) => super::object_arn(&bucket.name, k),
        None => bucket.arn().into(),
    };
    let existing_tags = key
        .and_then(|k| bucket.object(k))
        .map_or(&[][..], |o| o.tags.as_slice());
    let headers = super::headers::Headers::new(&[]);
    let title = || format!("{} on {}", request.action, request.resource);
    let r = S3Request {
        caller: request.caller,
        action: Cow::Owned(request.action.to_string()),
        bucket,
        resource: &resource,
        headers: &headers,
        resolved_key_id: None,
        existing_tags,
        title: &title,
    };
    env.access_point = Some(ap.arn.clone());
    let mut steps = Vec::new();
    s3_steps(world, env, r, &mut steps);
    env.access_point = None;
    Some(CallOutcome::new(
        steps,
        None,
        std::mem::take(&mut env.notes),
    ))
}
