//! A read of an object (GetObject, HeadObject, GetObjectAttributes, the read half of
//! CopyObject): the S3 authorizations, what S3 answers for a missing key, and the `kms:Decrypt`
//! S3 makes for the caller when it reads an SSE-KMS object's data.

use super::encryption;
use super::headers::Headers;
use super::{object_arn, s3_steps, S3Request};
use crate::engine::Caller;
use crate::services::env::Env;
use crate::services::error::{ClientError, ErrorCode};
use crate::services::kms::{self, KmsRequest, Operation};
use crate::services::messages::KMS_DECRYPT_DENIED;
use crate::services::outcome::{Step, StepKind};
use crate::services::step::rejected;
use crate::world::{Bucket, StoredObject, World};

/// What a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// GetObject: the object's data.
    Object,
    /// HeadObject: its metadata.
    Head,
    /// GetObjectAttributes: its metadata and attributes, which need a permission of their own.
    Attributes,
}

impl Reading {
    fn verb(self) -> &'static str {
        match self {
            Reading::Object => "GetObject",
            Reading::Head => "HeadObject",
            Reading::Attributes => "GetObjectAttributes",
        }
    }
}

/// What an object read asks for.
pub(super) struct Read<'a> {
    pub caller: &'a Caller,
    pub bucket: &'a str,
    pub key: &'a str,
    pub reading: Reading,
    pub headers: &'a Headers<'a>,
    pub version_id: Option<&'a str>,
}

/// Runs a read.
pub(super) fn read(
    world: &World,
    env: &mut Env<'_>,
    read: Read<'_>,
    steps: &mut Vec<Step>,
) -> Result<(), ClientError> {
    let Some(bucket) = world.bucket(read.bucket) else {
        return Err(ClientError::new(
            ErrorCode::NoSuchBucket,
            "The specified bucket does not exist",
        ));
    };
    let object = bucket.object(read.key);
    let action = if read.version_id.is_some() {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    let verb = read.reading.verb();
    let resource = object_arn(read.bucket, read.key);
    let title = || format!("S3 authorizes {verb} on {}/{}", read.bucket, read.key);
    if !s3_steps(
        world,
        env,
        S3Request {
            caller: read.caller,
            action: std::borrow::Cow::Borrowed(action),
            bucket,
            resource: &resource,
            headers: read.headers,
            resolved_key_id: None,
            existing_tags: object.map_or(&[], |o| o.tags.as_slice()),
            title: &title,
        },
        steps,
    ) {
        return Ok(());
    }
    if read.reading == Reading::Attributes
        && !authorize_attributes(world, env, &read, bucket, &resource, object, steps)
    {
        return Ok(());
    }
    let Some(object) = object else {
        return Err(missing_object(world, env, &read, bucket, steps));
    };
    describe_stored(env, object);
    if !needs_decrypt(env, &read, object)? {
        return Ok(());
    }
    if let Some(e) = encryption::transport_error(env.options.context, read.caller) {
        steps.push(rejected(
            StepKind::S3RequestCheck,
            "S3 serves SSE-KMS objects only over HTTPS with Signature Version 4".to_string(),
            "s3:GetObject",
            &resource,
            read.caller,
            e.clone(),
        ));
        return Err(e);
    }
    steps.push(decrypt(world, env, read.caller, bucket, object, &resource));
    Ok(())
}

/// GetObjectAttributes needs `s3:GetObjectAttributes` (with a version id
/// `s3:GetObjectVersionAttributes`) besides the read permission.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
fn authorize_attributes(
    world: &World,
    env: &mut Env<'_>,
    read: &Read<'_>,
    bucket: &Bucket,
    resource: &std::sync::Arc<str>,
    object: Option<&StoredObject>,
    steps: &mut Vec<Step>,
) -> bool {
    let action = if read.version_id.is_some() {
        "s3:GetObjectVersionAttributes"
    } else {
        "s3:GetObjectAttributes"
    };
    let title = || format!("GetObjectAttributes also needs {action}");
    s3_steps(
        world,
        env,
        S3Request {
            caller: read.caller,
            action: std::borrow::Cow::Borrowed(action),
            bucket,
            resource,
            headers: read.headers,
            resolved_key_id: None,
            existing_tags: object.map_or(&[], |o| o.tags.as_slice()),
            title: &title,
        },
        steps,
    )
}

/// Whether the read needs `kms:Decrypt`: GetObject of an SSE-KMS object does. HeadObject reads
/// metadata only, unless checksum mode asks S3 to read the stored checksum (decision A4; S3
/// stores a checksum with every new object since 2025). GetObjectAttributes documents KMS
/// permissions for directory buckets only; on a general purpose bucket it returns metadata, as
/// HeadObject does, and needs none (an assumption, noted in the explanation). It refuses the
/// SSE request headers for an object S3 encrypted itself.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
fn needs_decrypt(
    env: &mut Env<'_>,
    read: &Read<'_>,
    object: &StoredObject,
) -> Result<bool, ClientError> {
    let kms = object.encryption.is_kms();
    match read.reading {
        Reading::Object => Ok(kms),
        Reading::Head => {
            let decrypt = kms && read.headers.checksum_mode();
            if kms && !decrypt {
                env.note(|| {
                    "HeadObject returns metadata only: no KMS permission is needed".to_string()
                });
            }
            Ok(decrypt)
        }
        Reading::Attributes => {
            if read.headers.get("x-amz-server-side-encryption").is_some() {
                return Err(ClientError::new(
                    ErrorCode::InvalidArgument,
                    "GetObjectAttributes takes no x-amz-server-side-encryption header for an object encrypted with SSE-S3 or SSE-KMS (400 Bad Request; AWS names no error code, iamsim uses InvalidArgument)",
                ));
            }
            if kms {
                env.note(|| "GetObjectAttributes returns metadata: on a general purpose bucket AWS documents no KMS permission for it, so none is checked (an assumption; AWS documents kms:Decrypt for directory buckets only)".to_string());
            }
            Ok(false)
        }
    }
}

/// A key that does not exist: 404 to callers who may list the bucket, 403 to the others.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
fn missing_object(
    world: &World,
    env: &mut Env<'_>,
    read: &Read<'_>,
    bucket: &Bucket,
    steps: &mut Vec<Step>,
) -> ClientError {
    let title = || {
        "the object does not exist: S3 says so only to callers allowed s3:ListBucket".to_string()
    };
    let bucket_arn: std::sync::Arc<str> = bucket.arn().into();
    let may_list = s3_steps(
        world,
        env,
        S3Request {
            caller: read.caller,
            action: std::borrow::Cow::Borrowed("s3:ListBucket"),
            bucket,
            resource: &bucket_arn,
            headers: read.headers,
            resolved_key_id: None,
            existing_tags: &[],
            title: &title,
        },
        steps,
    );
    // A HEAD response has no body: the client reads only the status, 404 Not Found.
    if may_list && read.reading == Reading::Head {
        ClientError::new(ErrorCode::NotFound, "Not Found")
    } else if may_list {
        ClientError::new(ErrorCode::NoSuchKey, "The specified key does not exist.")
    } else {
        ClientError::access_denied()
    }
}

/// Notes how the object is stored.
fn describe_stored(env: &mut Env<'_>, object: &StoredObject) {
    env.note(|| match &object.encryption.kms_key {
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
}

/// S3 decrypts the object's data key with the caller's credentials, with the encryption
/// context recorded at write time.
fn decrypt(
    world: &World,
    env: &mut Env<'_>,
    caller: &Caller,
    bucket: &Bucket,
    object: &StoredObject,
    resource: &std::sync::Arc<str>,
) -> Step {
    let key_arn = object.encryption.kms_key.as_deref().unwrap_or_default();
    let context_arn: std::sync::Arc<str> = if object.encryption.bucket_key {
        bucket.arn().into()
    } else {
        resource.clone()
    };
    let title = || format!("KMS: S3 decrypts the object's data key with {key_arn}");
    let mut step = kms::request(
        world,
        env,
        KmsRequest {
            caller,
            operation: Operation::Decrypt,
            key_arn,
            region: &bucket.region,
            context_arn: &context_arn,
            extra_context: &object.encryption_context,
            title: &title,
        },
    );
    // Two observations: a caller of the key's own account read plain "Access Denied" (the
    // KMS-permissions experiment, decision A6); a caller of another account read KMS's generic
    // Decrypt text (the cross-account replication experiment).
    let same_account = caller.account.is_some()
        && world.key(key_arn).map(|k| &k.account) == caller.account.as_ref();
    let message = if same_account {
        "Access Denied"
    } else {
        KMS_DECRYPT_DENIED
    };
    step.refuse_with(ClientError::new(ErrorCode::AccessDenied, message));
    step
}
