//! A write into a bucket (PutObject, CreateMultipartUpload, the write half of CopyObject):
//! the checks S3 makes before authorizing, the S3 authorizations, the KMS data-key request S3
//! makes for the caller, and the object as it is stored.

use super::acl;
use super::encryption::{self, Plan};
use super::headers::Headers;
use super::{object_arn, push, s3_steps, S3Request};
use crate::engine::Caller;
use crate::services::env::Env;
use crate::services::error::{ClientError, ErrorCode};
use crate::services::kms::{self, KmsRequest, Operation};
use crate::services::outcome::{Step, StepKind};
use crate::services::request::{Call, CallRequest};
use crate::services::step::rejected;
use crate::world::acl::Acl;
use crate::world::{Bucket, Encryption, ObjectOwnership, StoredObject, World};

/// Runs a write. Returns the object to store when every step went through.
pub(super) fn write(
    world: &mut World,
    env: &mut Env<'_>,
    request: &CallRequest<'_>,
    headers: &Headers<'_>,
    caller: &Caller,
    steps: &mut Vec<Step>,
) -> Result<Option<StoredObject>, ClientError> {
    // The AWS managed key aws/s3 exists once S3 first needs it: create it before the
    // read-only part of the call.
    if let Some(b) = world.bucket(request.bucket) {
        if encryption::needs_aws_s3(b, headers) {
            let (account, region) = (b.account.clone(), b.region.clone());
            world.ensure_aws_s3_key(&account, &region);
        }
    }
    let world: &World = world;
    let Some(bucket) = world.bucket(request.bucket) else {
        return Err(ClientError::new(
            ErrorCode::NoSuchBucket,
            "The specified bucket does not exist",
        ));
    };
    let resource = object_arn(&bucket.name, request.key);
    let acl = match acl::requested(world, bucket, headers) {
        Ok(acl) => acl,
        Err(e) => {
            steps.push(rejected(
                StepKind::S3RequestCheck,
                "S3 reads the ACL the request sets".to_string(),
                "s3:PutObject",
                &resource,
                caller,
                e.clone(),
            ));
            return Err(e);
        }
    };
    if let Some(refusal) = acl::check(
        bucket,
        caller,
        headers,
        acl.as_ref(),
        "s3:PutObject",
        &resource,
    ) {
        let error = refusal.outcome.error().cloned();
        steps.push(refusal);
        return Err(error.unwrap_or_else(ClientError::access_denied));
    }
    let extra_context = headers.encryption_context()?;
    let plan = match encryption::plan(world, bucket, caller, headers, env.explain()) {
        Ok(p) => p,
        Err(e) => {
            steps.push(rejected(
                StepKind::S3RequestCheck,
                "S3 looks up the KMS key the request names".to_string(),
                "kms:DescribeKey",
                &resource,
                caller,
                e.clone(),
            ));
            return Err(e);
        }
    };
    env.note(|| match plan.kms_key() {
        None => format!("encryption: SSE-S3 ({})", plan.why),
        Some(_) => format!("encryption: {}: {}", plan.encryption.algorithm, plan.why),
    });
    let write = Write {
        call: request.call,
        caller,
        bucket,
        key: request.key,
        resource: &resource,
        headers,
        plan: &plan,
        acl: acl.as_ref(),
        extra_context: &extra_context,
    };
    if !authorize_write(world, env, &write, steps) {
        return Ok(None);
    }
    if let Some(key_arn) = plan.kms_key() {
        if let Some(e) = encryption::transport_error(env.options.context, caller) {
            steps.push(rejected(
                StepKind::S3RequestCheck,
                "S3 accepts SSE-KMS only over HTTPS with Signature Version 4".to_string(),
                "s3:PutObject",
                &resource,
                caller,
                e.clone(),
            ));
            return Err(e);
        }
        if !data_key(world, env, &write, key_arn, steps) {
            return Ok(None);
        }
    }
    if request.call == Call::CreateMultipartUpload && !authorize_parts(world, env, &write, steps) {
        return Ok(None);
    }
    Ok(Some(stored_object(env, &write)))
}

/// Everything the steps of one write read.
struct Write<'a> {
    call: Call,
    caller: &'a Caller,
    bucket: &'a Bucket,
    key: &'a str,
    resource: &'a std::sync::Arc<str>,
    headers: &'a Headers<'a>,
    plan: &'a Plan,
    /// The ACL the request sets, if any.
    acl: Option<&'a Acl>,
    /// Encryption-context pairs from `x-amz-server-side-encryption-context`.
    extra_context: &'a [(String, String)],
}

impl Write<'_> {
    fn s3_request<'w>(
        &'w self,
        action: &'static str,
        title: &'w dyn Fn() -> String,
    ) -> S3Request<'w> {
        S3Request {
            caller: self.caller,
            action: std::borrow::Cow::Borrowed(action),
            bucket: self.bucket,
            resource: self.resource,
            headers: self.headers,
            resolved_key_id: self.plan.resolved_key_id(),
            existing_tags: &[],
            title,
        }
    }
}

/// The S3 authorizations of the write: `s3:PutObject`, and `s3:PutObjectAcl` /
/// `s3:PutObjectTagging` when the request also sets an ACL or tags.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
fn authorize_write(world: &World, env: &mut Env<'_>, w: &Write<'_>, steps: &mut Vec<Step>) -> bool {
    let verb = match w.call {
        Call::CreateMultipartUpload => "CreateMultipartUpload",
        Call::CopyObject => "CopyObject (write)",
        _ => "PutObject",
    };
    let title = || format!("S3 authorizes {verb} into {}", w.bucket.name);
    if !s3_steps(world, env, w.s3_request("s3:PutObject", &title), steps) {
        return false;
    }
    let companions = [
        (w.acl.is_some(), "an ACL header", "s3:PutObjectAcl"),
        (w.headers.has_tags(), "x-amz-tagging", "s3:PutObjectTagging"),
    ];
    for (present, header, action) in companions {
        let title = || format!("the {header} header also needs {action}");
        if present && !s3_steps(world, env, w.s3_request(action, &title), steps) {
            return false;
        }
    }
    true
}

/// The KMS requests S3 makes for the caller: a data key, and for a multipart upload the
/// decryption of that data key for each UploadPart and the CompleteMultipartUpload (decision A4).
fn data_key(
    world: &World,
    env: &mut Env<'_>,
    w: &Write<'_>,
    key_arn: &str,
    steps: &mut Vec<Step>,
) -> bool {
    // The object's ARN is shared: only a Bucket Key's context needs a text of its own.
    let bucket_arn;
    let context_arn = if w.plan.encryption.bucket_key {
        bucket_arn = w.bucket.arn().into();
        &bucket_arn
    } else {
        w.resource
    };
    let operations: &[Operation] = if w.call == Call::CreateMultipartUpload {
        &[Operation::GenerateDataKey, Operation::Decrypt]
    } else {
        &[Operation::GenerateDataKey]
    };
    let verb = match w.call {
        Call::CreateMultipartUpload => "CreateMultipartUpload",
        Call::CopyObject => "CopyObject (write)",
        _ => "PutObject",
    };
    for &operation in operations {
        let title = || match operation {
            Operation::GenerateDataKey => format!("KMS: {verb} needs a data key from {key_arn}"),
            _ => "KMS: UploadPart and CompleteMultipartUpload decrypt the upload's data key"
                .to_string(),
        };
        let step = kms::request(
            world,
            env,
            KmsRequest {
                caller: w.caller,
                operation,
                key_arn,
                region: &w.bucket.region,
                context_arn,
                extra_context: w.extra_context,
                title: &title,
            },
        );
        if !push(steps, step) {
            return false;
        }
    }
    true
}

/// A multipart upload's parts and completion are `s3:PutObject` requests too.
fn authorize_parts(world: &World, env: &mut Env<'_>, w: &Write<'_>, steps: &mut Vec<Step>) -> bool {
    let title = || {
        "S3 authorizes each UploadPart and the CompleteMultipartUpload (s3:PutObject)".to_string()
    };
    s3_steps(world, env, w.s3_request("s3:PutObject", &title), steps)
}

/// The object as S3 stores it: who owns it (Part B 6.4), its ACL, encryption and tags.
fn stored_object(env: &mut Env<'_>, w: &Write<'_>) -> StoredObject {
    let bucket = w.bucket;
    let writer = w.caller.account.as_deref().unwrap_or(&bucket.account);
    let owner = match bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => &bucket.account,
        ObjectOwnership::BucketOwnerPreferred
            if w.headers.get("x-amz-acl") == Some("bucket-owner-full-control") =>
        {
            &bucket.account
        }
        _ => writer,
    };
    env.note(|| format!("{} is stored, owned by account {owner}", w.resource));
    // An upload's ACL counts only where the bucket's ACLs are enabled.
    let acl = match bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => Acl::default(),
        _ => w.acl.cloned().unwrap_or_default(),
    };
    let encryption = match w.plan.kms_key() {
        Some(_) => w.plan.encryption.clone(),
        None => Encryption::sse_s3(),
    };
    let mut object = StoredObject::new(&bucket.name, w.key, encryption, owner.to_string(), acl);
    object.tags = w.headers.tags();
    object.encryption_context = w.extra_context.to_vec();
    object
}
