//! S3 object calls as the authorizations S3 performs for them, in order.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#aws-managed-customer-managed-keys ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html

use base64::Engine;

use super::kms::{self, kms_step, KmsRequest};
use crate::engine::Caller;
use crate::report::messages::KMS_DECRYPT_DENIED;
use crate::scenario::run::{
    apply_overrides, authorize_step, failed_to_run, finish, rejection, resolved_caller,
    s3_denied_message, Notes, StepInput,
};
use crate::scenario::{
    Call, Check, CheckKind, CheckResult, ClientError, ContextOverride, StepResult,
};
use crate::world::acl::ObjectAcl;
use crate::world::{Bucket, Encryption, ObjectOwnership, StoredObject, World};

/// Request headers S3 turns into condition keys of the same name under `s3:`.
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
const HEADER_KEYS: [(&str, &str); 13] = [
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-write", "s3:x-amz-grant-write"),
    ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
    ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    (
        "x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption",
    ),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    ),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    (
        "x-amz-website-redirect-location",
        "s3:x-amz-website-redirect-location",
    ),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-server-side-encryption-customer-algorithm",
    ),
];

/// Every request header a check may carry.
pub const KNOWN_HEADERS: [&str; 22] = [
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-storage-class",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-checksum-mode",
    "x-amz-website-redirect-location",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-legal-hold",
    "x-amz-expected-bucket-owner",
    "content-type",
];

/// A call's request headers, lowercased names.
pub(super) struct Headers<'a>(pub(super) &'a [(String, String)]);

impl Headers<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first ACL header (`x-amz-acl` or an `x-amz-grant-*`), as `name: value`.
    fn acl_header(&self) -> Option<String> {
        const ACL_HEADERS: [&str; 6] = [
            "x-amz-acl",
            "x-amz-grant-read",
            "x-amz-grant-write",
            "x-amz-grant-read-acp",
            "x-amz-grant-write-acp",
            "x-amz-grant-full-control",
        ];
        ACL_HEADERS
            .iter()
            .find_map(|h| self.get(h).map(|v| format!("{h}: {v}")))
    }

    /// Tags from `x-amz-tagging` (`k1=v1&k2=v2`).
    fn tags(&self) -> Vec<(String, String)> {
        self.get("x-amz-tagging")
            .map(|t| {
                t.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (p.to_string(), String::new()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Pairs of `x-amz-server-side-encryption-context` (base64 of a JSON object).
    fn encryption_context(&self) -> Result<Vec<(String, String)>, ClientError> {
        let Some(raw) = self.get("x-amz-server-side-encryption-context") else {
            return Ok(Vec::new());
        };
        let invalid = || {
            ClientError {
            code: "InvalidArgument".to_string(),
            message: "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map".to_string(),
        }
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|_| invalid())?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        map.into_iter()
            .map(|(k, v)| v.as_str().map(|s| (k, s.to_string())).ok_or_else(invalid))
            .collect()
    }
}

/// Whether a write will use the AWS managed key `aws/s3` (Part B 6.6, decision A3).
fn needs_aws_s3(bucket: &Bucket, headers: &Headers<'_>) -> bool {
    match headers.get("x-amz-server-side-encryption") {
        Some("aws:kms" | "aws:kms:dsse") => headers
            .get("x-amz-server-side-encryption-aws-kms-key-id")
            .is_none(),
        Some(_) => false,
        None => bucket.default_encryption.is_kms() && bucket.default_encryption.kms_key.is_none(),
    }
}

/// What an object write will be encrypted with.
#[derive(Debug, Clone)]
enum Plan {
    SseS3 {
        why: String,
    },
    Kms {
        key: kms::ChosenKey,
        algorithm: String,
    },
}

/// Decides the encryption of a new object: request headers first, else the bucket default
/// (Part B 6.6, decisions A1-A3). Returns the key-id value the bucket policy sees, too.
fn plan_encryption(
    explain: bool,
    world: &World,
    bucket: &Bucket,
    caller: &Caller,
    headers: &Headers<'_>,
) -> Result<(Plan, bool), ClientError> {
    // The reasons serve explanations only.
    macro_rules! why {
        ($($t:tt)*) => {
            if explain { format!($($t)*) } else { String::new() }
        };
    }
    let requester = caller
        .account
        .clone()
        .unwrap_or_else(|| bucket.account.clone());
    let bucket_key = match headers.get("x-amz-server-side-encryption-bucket-key-enabled") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => bucket.default_encryption.bucket_key,
    };
    match headers.get("x-amz-server-side-encryption") {
        Some("AES256") => Ok((
            Plan::SseS3 {
                why: "the request asks for SSE-S3 (x-amz-server-side-encryption: AES256)"
                    .to_string(),
            },
            false,
        )),
        Some(alg @ ("aws:kms" | "aws:kms:dsse")) => {
            match headers.get("x-amz-server-side-encryption-aws-kms-key-id") {
                Some(reference) => {
                    let arn = kms::resolve(world, reference, &requester, &bucket.region)?;
                    let why = if arn == reference {
                        why!("the request names the key {arn}")
                    } else {
                        why!("S3 resolved {reference} in the requester's account {requester} to {arn} (decision A1) before evaluating the bucket policy")
                    };
                    Ok((
                        Plan::Kms {
                            key: kms::ChosenKey {
                                arn,
                                bucket_key,
                                why,
                            },
                            algorithm: alg.to_string(),
                        },
                        true,
                    ))
                }
                None => {
                    let arn = kms::aws_s3_key_arn(&bucket.account, &bucket.region, world);
                    let why = why!(
                    "the request says {alg} without a key id, so S3 uses the AWS managed key aws/s3 of the bucket owner {} ({arn}), not the bucket's default key (decision A3)",
                    bucket.account
                );
                    Ok((
                        Plan::Kms {
                            key: kms::ChosenKey {
                                arn,
                                bucket_key,
                                why,
                            },
                            algorithm: alg.to_string(),
                        },
                        false,
                    ))
                }
            }
        }
        Some(other) => Err(ClientError {
            code: "InvalidArgument".to_string(),
            message: format!("The encryption method specified is not supported: {other}"),
        }),
        None => {
            let default = &bucket.default_encryption;
            if !default.is_kms() {
                return Ok((
                    Plan::SseS3 {
                        why: why!(
                            "no encryption header: bucket {} encrypts by default with SSE-S3",
                            bucket.name
                        ),
                    },
                    false,
                ));
            }
            let (arn, why) = match &default.kms_key {
                Some(reference) => {
                    let arn = kms::resolve(world, reference, &requester, &bucket.region)?;
                    let why = why!("no encryption header: bucket {} encrypts by default with {arn}; the request carried no x-amz-server-side-encryption header, so the bucket policy sees none (decision A2)", bucket.name);
                    (arn, why)
                }
                None => {
                    let arn = kms::aws_s3_key_arn(&bucket.account, &bucket.region, world);
                    (arn.clone(), why!("no encryption header: bucket {} encrypts by default with SSE-KMS under aws/s3 ({arn}); the bucket policy sees no encryption header (decision A2)", bucket.name))
                }
            };
            Ok((
                Plan::Kms {
                    key: kms::ChosenKey {
                        arn,
                        bucket_key,
                        why,
                    },
                    algorithm: default.algorithm.clone(),
                },
                false,
            ))
        }
    }
}

fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The S3 step for an object action, with the request's headers as condition keys.
#[allow(clippy::too_many_arguments)]
pub(super) fn s3_step(
    world: &World,
    check: &Check,
    caller: &Caller,
    action: &str,
    bucket: &Bucket,
    resource: &str,
    headers: &Headers<'_>,
    resolved_key_id: Option<&str>,
    existing_tags: &[(String, String)],
    title: &dyn Fn() -> String,
    trace: bool,
) -> StepResult {
    let endpoint = check
        .vpc_endpoint
        .as_deref()
        .and_then(|e| world.endpoint(e));
    let mut ctx = world.cached_base_context(
        caller,
        action,
        resource,
        Some(&bucket.account),
        endpoint,
        None,
    );
    for (name, key) in HEADER_KEYS {
        if let Some(v) = headers.get(name) {
            let value = match (name, resolved_key_id) {
                ("x-amz-server-side-encryption-aws-kms-key-id", Some(arn)) => arn,
                _ => v,
            };
            ctx.set(key, value);
        }
    }
    let tags = headers.tags();
    if headers.get("x-amz-tagging").is_some() {
        for (k, v) in &tags {
            ctx.set(format!("s3:RequestObjectTag/{k}"), v.as_str());
        }
        ctx.set_multi(
            "s3:RequestObjectTagKeys",
            tags.iter().map(|(k, _)| k.clone()).collect(),
        );
    }
    for (k, v) in existing_tags {
        ctx.set(format!("s3:ExistingObjectTag/{k}"), v.as_str());
    }
    apply_overrides(&mut ctx, &check.context);
    let mut step = authorize_step(
        world,
        StepInput {
            title,
            caller,
            action,
            resource,
            resource_account: Some(&bucket.account),
            context: ctx,
            session_policy: check.session_policy.as_deref(),
            endpoint,
            notes: Vec::new(),
        },
        trace,
    );
    if !step.allowed {
        let message = step.message.clone().unwrap_or_default();
        step.error = Some(ClientError {
            code: "AccessDenied".to_string(),
            message: s3_denied_message(world, caller, Some(&bucket.account), &message),
        });
    }
    step
}

/// SSE-KMS objects are written and read only over HTTPS with Signature Version 4 (anonymous
/// requests carry no signature). Returns S3's refusal when the request does not qualify.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (x-amz-server-side-encryption-aws-kms-key-id)
fn kms_transport_error(check: &Check, caller: &Caller) -> Option<ClientError> {
    // The request's transport, as the check's context describes it (HTTPS and SigV4 unless
    // the check says otherwise).
    let value = |k: &str| {
        check
            .context
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| match v {
                ContextOverride::Single(s) => Some(s.as_str()),
                _ => None,
            })
    };
    let message = if value("aws:SecureTransport").is_some_and(|v| v.eq_ignore_ascii_case("false")) {
        "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection."
    } else if !caller.is_iam_principal()
        || value("s3:signatureversion").is_some_and(|v| v != "AWS4-HMAC-SHA256")
    {
        "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4."
    } else {
        return None;
    };
    Some(ClientError {
        code: "InvalidArgument".to_string(),
        message: message.to_string(),
    })
}

/// Whether an ACL header grants to everyone or to every AWS account.
fn public_acl(headers: &Headers<'_>) -> bool {
    let canned = matches!(
        headers.get("x-amz-acl"),
        Some("public-read" | "public-read-write" | "authenticated-read")
    );
    let grant = [
        "x-amz-grant-read",
        "x-amz-grant-write",
        "x-amz-grant-read-acp",
        "x-amz-grant-write-acp",
        "x-amz-grant-full-control",
    ]
    .iter()
    .filter_map(|h| headers.get(h))
    .any(|v| {
        v.contains("acs.amazonaws.com/groups/global/AllUsers")
            || v.contains("acs.amazonaws.com/groups/global/AuthenticatedUsers")
    });
    canned || grant
}

/// A write into a bucket: checks, S3 authorizations, KMS, and the stored object.
struct Write<'c> {
    call: Call,
    caller: &'c Caller,
    bucket: &'c str,
    key: &'c str,
    headers: &'c [(String, String)],
}

fn run_write(
    world: &mut World,
    check: &Check,
    w: Write<'_>,
    steps: &mut Vec<StepResult>,
    notes: &mut Notes,
    trace: bool,
) -> Result<(), ClientError> {
    let headers = Headers(w.headers);
    // The AWS managed key aws/s3 exists once S3 first needs it: create it before the
    // read-only part of the call.
    if let Some(b) = world.bucket(w.bucket) {
        if needs_aws_s3(b, &headers) {
            let (account, region) = (b.account.clone(), b.region.clone());
            kms::aws_s3_key(world, &account, &region);
        }
    }
    let Some(bucket) = world.bucket(w.bucket) else {
        return Err(ClientError {
            code: "NoSuchBucket".to_string(),
            message: "The specified bucket does not exist".to_string(),
        });
    };
    let resource = object_arn(&bucket.name, w.key);
    // Request checks S3 makes before authorizing (HTTP 400/403, not policy decisions).
    if let Some(acl) = headers.acl_header() {
        // With ACLs disabled only the bucket-owner-full-control canned ACL is accepted.
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
        if bucket.object_ownership == ObjectOwnership::BucketOwnerEnforced
            && acl != "x-amz-acl: bucket-owner-full-control"
        {
            let e = ClientError {
                code: "AccessControlListNotSupported".to_string(),
                message: "The bucket does not allow ACLs".to_string(),
            };
            steps.push(rejection(
                "Object Ownership: the bucket has ACLs disabled (BucketOwnerEnforced)",
                "s3:PutObject",
                &resource,
                w.caller,
                e.clone(),
            ));
            return Err(e);
        }
    }
    if bucket.public_access_block.block_public_acls && public_acl(&headers) {
        let e = ClientError {
            code: "AccessDenied".to_string(),
            message: format!(
                "User: {} is not authorized to perform: s3:PutObject on resource: \"{resource}\" because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access",
                w.caller.display_arn()
            ),
        };
        steps.push(rejection(
            "Block Public Access (BlockPublicAcls) refuses a public ACL",
            "s3:PutObject",
            &resource,
            w.caller,
            e.clone(),
        ));
        return Err(e);
    }
    let extra_context = headers.encryption_context()?;
    let (plan, named_key) = match plan_encryption(trace, world, bucket, w.caller, &headers) {
        Ok(p) => p,
        Err(e) => {
            steps.push(rejection(
                "S3 looks up the KMS key the request names",
                "kms:DescribeKey",
                &resource,
                w.caller,
                e.clone(),
            ));
            return Err(e);
        }
    };
    // The key-id condition value is the ARN S3 resolved from the header (decision A1).
    let resolved: Option<&str> = match &plan {
        Plan::Kms { key, .. } if named_key => Some(&key.arn),
        _ => None,
    };
    match &plan {
        Plan::SseS3 { why } => notes.add(|| format!("encryption: SSE-S3 ({why})")),
        Plan::Kms { key, algorithm } => {
            notes.add(|| format!("encryption: {algorithm}: {}", key.why))
        }
    }
    let world_ref: &World = world;
    let verb = match w.call {
        Call::CreateMultipartUpload => "CreateMultipartUpload",
        Call::CopyObject => "CopyObject (write)",
        _ => "PutObject",
    };
    let s3 = s3_step(
        world_ref,
        check,
        w.caller,
        "s3:PutObject",
        bucket,
        &resource,
        &headers,
        resolved,
        &[],
        &|| format!("S3 authorizes {verb} into {}", bucket.name),
        trace,
    );
    let ok = s3.allowed;
    steps.push(s3);
    if !ok {
        return Ok(());
    }
    // Setting an ACL or tags with the upload needs those permissions too.
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
    for (header, action) in [
        ("an ACL header", "s3:PutObjectAcl"),
        ("x-amz-tagging", "s3:PutObjectTagging"),
    ] {
        let present = match header {
            "an ACL header" => headers.acl_header().is_some(),
            name => headers.get(name).is_some(),
        };
        if present {
            let step = s3_step(
                world_ref,
                check,
                w.caller,
                action,
                bucket,
                &resource,
                &headers,
                resolved,
                &[],
                &|| format!("the {header} header also needs {action}"),
                trace,
            );
            let ok = step.allowed;
            steps.push(step);
            if !ok {
                return Ok(());
            }
        }
    }
    let mut encryption = None;
    if let Plan::Kms { key, algorithm } = &plan {
        if let Some(e) = kms_transport_error(check, w.caller) {
            steps.push(rejection(
                "S3 accepts SSE-KMS only over HTTPS with Signature Version 4",
                "s3:PutObject",
                &resource,
                w.caller,
                e.clone(),
            ));
            return Err(e);
        }
        let context_arn = if key.bucket_key {
            bucket.arn()
        } else {
            resource.clone()
        };
        // A multipart upload also decrypts its data key for each UploadPart and the
        // CompleteMultipartUpload (decision A4).
        let operations: &[&str] = if w.call == Call::CreateMultipartUpload {
            &["GenerateDataKey", "Decrypt"]
        } else {
            &["GenerateDataKey"]
        };
        for &operation in operations {
            let step = kms_step(
                world_ref,
                check,
                KmsRequest {
                    caller: w.caller,
                    operation,
                    key_arn: &key.arn,
                    region: &bucket.region,
                    context_arn: &context_arn,
                    extra_context: &extra_context,
                    title: &|| {
                        match operation {
                        "GenerateDataKey" => format!("KMS: {verb} needs a data key from {}", key.arn),
                        _ => "KMS: UploadPart and CompleteMultipartUpload decrypt the upload's data key".to_string(),
                    }
                    },
                },
                trace,
            );
            let ok = step.allowed && step.error.is_none();
            steps.push(step);
            if !ok {
                return Ok(());
            }
        }
        encryption = Some(Encryption {
            algorithm: algorithm.clone(),
            kms_key: Some(key.arn.clone()),
            bucket_key: key.bucket_key,
        });
    }
    if w.call == Call::CreateMultipartUpload {
        let step = s3_step(
            world_ref,
            check,
            w.caller,
            "s3:PutObject",
            bucket,
            &resource,
            &headers,
            resolved,
            &[],
            &|| {
                "S3 authorizes each UploadPart and the CompleteMultipartUpload (s3:PutObject)"
                    .to_string()
            },
            trace,
        );
        let ok = step.allowed;
        steps.push(step);
        if !ok {
            return Ok(());
        }
    }
    // The object is written: who owns it (Part B 6.4).
    let writer = w
        .caller
        .account
        .clone()
        .unwrap_or_else(|| bucket.account.clone());
    let owner = match bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => bucket.account.clone(),
        ObjectOwnership::BucketOwnerPreferred
            if headers.get("x-amz-acl") == Some("bucket-owner-full-control") =>
        {
            bucket.account.clone()
        }
        _ => writer,
    };
    notes.add(|| format!("{resource} is stored, owned by account {owner}"));
    // An upload's ACL counts only where the bucket's ACLs are enabled.
    let acl = match bucket.object_ownership {
        ObjectOwnership::BucketOwnerEnforced => ObjectAcl::default(),
        _ => ObjectAcl::from_headers(|h| headers.get(h).map(str::to_string)),
    };
    let mut stored = StoredObject::new(
        &bucket.name,
        &bucket.account,
        w.key,
        encryption.unwrap_or_else(Encryption::sse_s3),
        owner,
        acl,
    );
    stored.tags = headers.tags();
    stored.encryption_context = extra_context.clone();
    if let Some(b) = world.buckets.iter_mut().find(|b| b.name == w.bucket) {
        b.objects.retain(|o| o.key != w.key);
        b.objects.push(stored);
    }
    Ok(())
}

/// What an object read asks for.
struct Read<'a> {
    caller: &'a Caller,
    bucket: &'a str,
    key: &'a str,
    head: bool,
    headers: &'a Headers<'a>,
    version_id: Option<&'a str>,
}

/// A read of an object: S3 authorization, a missing object, and `kms:Decrypt` when the stored
/// object is SSE-KMS.
fn run_read(
    world: &World,
    check: &Check,
    read: Read<'_>,
    steps: &mut Vec<StepResult>,
    notes: &mut Notes,
    trace: bool,
) -> Result<(), ClientError> {
    let Read {
        caller,
        bucket: bucket_name,
        key,
        head,
        headers,
        version_id,
    } = read;
    let Some(bucket) = world.bucket(bucket_name) else {
        return Err(ClientError {
            code: "NoSuchBucket".to_string(),
            message: "The specified bucket does not exist".to_string(),
        });
    };
    let object = bucket.objects.iter().find(|o| o.key == key);
    let action = if version_id.is_some() {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    let verb = if head { "HeadObject" } else { "GetObject" };
    let object_resource = object_arn(bucket_name, key);
    let tags = object.map(|o| o.tags.clone()).unwrap_or_default();
    let step = s3_step(
        world,
        check,
        caller,
        action,
        bucket,
        &object_resource,
        headers,
        None,
        &tags,
        &|| format!("S3 authorizes {verb} on {bucket_name}/{key}"),
        trace,
    );
    let ok = step.allowed;
    steps.push(step);
    if !ok {
        return Ok(());
    }
    let Some(object) = object else {
        // A missing key: 404 to callers who may list the bucket, 403 to the others.
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
        let list = s3_step(
            world,
            check,
            caller,
            "s3:ListBucket",
            bucket,
            &bucket.arn(),
            headers,
            None,
            &[],
            &|| {
                "the object does not exist: S3 says so only to callers allowed s3:ListBucket"
                    .to_string()
            },
            trace,
        );
        let may_list = list.allowed;
        steps.push(list);
        // A HEAD response has no body: the client reads only the status, 404 Not Found.
        let e = if may_list && head {
            ClientError {
                code: "NotFound".to_string(),
                message: "Not Found".to_string(),
            }
        } else if may_list {
            ClientError {
                code: "NoSuchKey".to_string(),
                message: "The specified key does not exist.".to_string(),
            }
        } else {
            ClientError {
                code: "AccessDenied".to_string(),
                message: "Access Denied".to_string(),
            }
        };
        return Err(e);
    };
    notes.add(|| match &object.encryption.kms_key {
        Some(k) => format!(
            "the object is stored with {} under {k}{}",
            object.encryption.algorithm,
            if object.encryption.bucket_key {
                " with an S3 Bucket Key"
            } else {
                ""
            }
        ),
        None => format!("the object is stored with {}", object.encryption.algorithm),
    });
    // HeadObject reads metadata only, unless checksum mode asks S3 to read the stored checksum
    // (decision A4; S3 stores a checksum with every new object since 2025).
    let needs_decrypt = object.encryption.is_kms()
        && (!head
            || headers
                .get("x-amz-checksum-mode")
                .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED")));
    if head && object.encryption.is_kms() && !needs_decrypt {
        notes.add(|| "HeadObject returns metadata only: no KMS permission is needed".to_string());
    }
    if needs_decrypt {
        if let Some(e) = kms_transport_error(check, caller) {
            let resource = object_arn(bucket_name, key);
            steps.push(rejection(
                "S3 serves SSE-KMS objects only over HTTPS with Signature Version 4",
                "s3:GetObject",
                &resource,
                caller,
                e.clone(),
            ));
            return Err(e);
        }
        let key_arn = object.encryption.kms_key.clone().unwrap_or_default();
        let context_arn = if object.encryption.bucket_key {
            bucket.arn()
        } else {
            object_arn(bucket_name, key)
        };
        let mut step = kms_step(
            world,
            check,
            KmsRequest {
                caller,
                operation: "Decrypt",
                key_arn: &key_arn,
                region: &bucket.region,
                context_arn: &context_arn,
                extra_context: &object.encryption_context,
                title: &|| format!("KMS: S3 decrypts the object's data key with {key_arn}"),
            },
            trace,
        );
        if !step.allowed {
            // Two observations: a caller of the key's own account read plain "Access Denied"
            // (the KMS-permissions experiment, decision A6); a caller of another account read
            // KMS's generic Decrypt text (the cross-account replication experiment).
            let same_account = caller.account.is_some()
                && world.key(&key_arn).map(|k| &k.account) == caller.account.as_ref();
            let message = if same_account {
                "Access Denied"
            } else {
                KMS_DECRYPT_DENIED
            };
            step.error = Some(ClientError {
                code: "AccessDenied".to_string(),
                message: message.to_string(),
            });
        }
        steps.push(step);
    }
    Ok(())
}

/// Runs an S3 call check (everything but replication).
pub fn run_object_call(world: &mut World, check: &Check, trace: bool) -> CheckResult {
    let CheckKind::Call {
        call,
        bucket,
        key,
        headers,
        version_id,
    } = &check.kind
    else {
        return failed_to_run(check, "not a call check".to_string());
    };
    let caller = match resolved_caller(world, check) {
        Ok(c) => c,
        Err(e) => return failed_to_run(check, e),
    };
    let mut steps = Vec::new();
    let mut notes = Notes::new(trace);
    let h = Headers(headers);
    let write = || Write {
        call: *call,
        caller: &caller,
        bucket,
        key,
        headers,
    };
    let outcome = match call {
        Call::PutObject | Call::CreateMultipartUpload => {
            run_write(world, check, write(), &mut steps, &mut notes, trace)
        }
        Call::GetObject | Call::HeadObject => run_read(
            world,
            check,
            Read {
                caller: &caller,
                bucket,
                key,
                head: *call == Call::HeadObject,
                headers: &h,
                version_id: version_id.as_deref(),
            },
            &mut steps,
            &mut notes,
            trace,
        ),
        Call::CopyObject => {
            let source = h.get("x-amz-copy-source").unwrap_or("");
            let source = source.trim_start_matches('/');
            // A version id in the copy source makes the read s3:GetObjectVersion.
            let (source, source_version) = match source.split_once("?versionId=") {
                Some((s, v)) => (s, Some(v)),
                None => (source, None),
            };
            match source.split_once('/') {
                None => Err(ClientError {
                    code: "InvalidArgument".to_string(),
                    message:
                        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
                            .to_string(),
                }),
                Some((src_bucket, src_key)) => {
                    // The source read carries no copy headers of the destination write.
                    let read = run_read(
                        world,
                        check,
                        Read {
                            caller: &caller,
                            bucket: src_bucket,
                            key: src_key,
                            head: false,
                            headers: &Headers(&[]),
                            version_id: source_version,
                        },
                        &mut steps,
                        &mut notes,
                        trace,
                    );
                    let read_ok =
                        read.is_ok() && steps.iter().all(|s| s.allowed && s.error.is_none());
                    match read {
                        Err(e) => Err(e),
                        Ok(()) if !read_ok => Ok(()),
                        Ok(()) => {
                            notes.add(|| "the copy is encrypted by the request's headers, else by the destination bucket's default, not by the source object's key".to_string());
                            run_write(world, check, write(), &mut steps, &mut notes, trace)
                        }
                    }
                }
            }
        }
        Call::ReplicateObject => return super::replication::run(world, check, trace),
    };
    // A refused KMS data-key request reaches an S3 client as a plain Access Denied (A6);
    // a refused Decrypt carries KMS's text (set in `run_read`).
    for step in steps.iter_mut().filter(|s| s.action.starts_with("kms:")) {
        kms_denied_for_s3(step);
    }
    let error = match outcome {
        Err(e) => Some(e),
        Ok(()) => steps
            .iter()
            .find(|s| !s.optional && (!s.allowed || s.error.is_some()))
            .and_then(|s| s.error.clone()),
    };
    finish(check, steps, error, notes.items)
}

/// Fills in the client error of refused KMS steps for S3 calls.
pub fn kms_denied_for_s3(step: &mut StepResult) {
    if !step.allowed && step.error.is_none() {
        step.error = Some(ClientError {
            code: "AccessDenied".to_string(),
            message: "Access Denied".to_string(),
        });
    }
}
