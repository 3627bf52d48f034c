//! Which key encrypts a new object, and what S3 requires of requests for SSE-KMS objects.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html ; Part B 6.6 and
//! decisions A1-A3.

use std::sync::Arc;

use super::headers::{Headers, KMS_KEY_ID};
use crate::engine::{Caller, ContextValue};
use crate::services::error::{ClientError, ErrorCode};
use crate::services::kms;
use crate::world::{Bucket, Encryption, SseAlgorithm, World};

/// How a new object will be encrypted.
#[derive(Debug, Clone)]
pub struct Plan {
    pub encryption: Encryption,
    /// Why, for explanations (empty unless explaining).
    pub why: String,
    /// Set when the request named the key: the key-id condition value is then the ARN S3
    /// resolved from the header (decision A1).
    pub named_key: bool,
}

impl Plan {
    /// The key ARN of an SSE-KMS plan.
    pub fn kms_key(&self) -> Option<&str> {
        self.kms_key_arn().map(|arn| &**arn)
    }

    /// [`Plan::kms_key`], shared.
    pub fn kms_key_arn(&self) -> Option<&Arc<str>> {
        self.encryption
            .kms_key
            .as_ref()
            .filter(|_| self.encryption.is_kms())
    }

    /// The key-id value the bucket policy sees (decision A1), when the request named a key.
    pub fn resolved_key_id(&self) -> Option<&Arc<str>> {
        self.kms_key_arn().filter(|_| self.named_key)
    }
}

/// The algorithm the request's `x-amz-server-side-encryption` header asks for, if any.
fn requested_algorithm(headers: &Headers<'_>) -> Result<Option<SseAlgorithm>, ClientError> {
    match headers.get("x-amz-server-side-encryption") {
        None => Ok(None),
        Some(name) => SseAlgorithm::parse(name).map(Some).ok_or_else(|| {
            ClientError::new(
                ErrorCode::InvalidArgument,
                format!("The encryption method specified is not supported: {name}"),
            )
        }),
    }
}

/// Whether a write will use the AWS managed key `aws/s3` (Part B 6.6, decision A3), which AWS
/// creates when S3 first needs it.
pub fn needs_aws_s3(bucket: &Bucket, headers: &Headers<'_>) -> bool {
    match requested_algorithm(headers) {
        Ok(Some(a)) if a.is_kms() => headers.get(KMS_KEY_ID).is_none(),
        Ok(Some(_)) | Err(_) => false,
        Ok(None) => {
            bucket.default_encryption.is_kms() && bucket.default_encryption.kms_key.is_none()
        }
    }
}

/// Decides the encryption of a new object: request headers first, else the bucket default
/// (Part B 6.6, decisions A1-A3). `explain` builds the reasons.
pub fn plan(
    world: &World,
    bucket: &Bucket,
    caller: &Caller,
    headers: &Headers<'_>,
    explain: bool,
) -> Result<Plan, ClientError> {
    let why = |text: &dyn Fn() -> String| if explain { text() } else { String::new() };
    let requester = caller.account.as_deref().unwrap_or(&bucket.account);
    let bucket_key = match headers.get("x-amz-server-side-encryption-bucket-key-enabled") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => bucket.default_encryption.bucket_key,
    };
    let kms = |algorithm: SseAlgorithm, arn: Arc<str>, named_key: bool, why: String| Plan {
        encryption: Encryption {
            algorithm,
            kms_key: Some(arn),
            bucket_key,
        },
        why,
        named_key,
    };
    match requested_algorithm(headers)? {
        Some(SseAlgorithm::Aes256) => Ok(Plan {
            encryption: Encryption::sse_s3(),
            why: "the request asks for SSE-S3 (x-amz-server-side-encryption: AES256)".to_string(),
            named_key: false,
        }),
        Some(algorithm) => match headers.get(KMS_KEY_ID) {
            Some(reference) => {
                let arn = kms::resolve(world, reference, requester, &bucket.region)?;
                let why = why(&|| {
                    if *arn == *reference {
                        format!("the request names the key {arn}")
                    } else {
                        format!("S3 resolved {reference} in the requester's account {requester} to {arn} (decision A1) before evaluating the bucket policy")
                    }
                });
                Ok(kms(algorithm, arn, true, why))
            }
            None => {
                let arn = world.aws_s3_key_arn(&bucket.account, &bucket.region);
                let why = why(&|| {
                    format!(
                    "the request says {algorithm} without a key id, so S3 uses the AWS managed key aws/s3 of the bucket owner {} ({arn}), not the bucket's default key (decision A3)",
                    bucket.account
                )
                });
                Ok(kms(algorithm, arn, false, why))
            }
        },
        None => {
            let default = &bucket.default_encryption;
            if !default.is_kms() {
                return Ok(Plan {
                    encryption: Encryption::sse_s3(),
                    why: why(&|| {
                        format!(
                            "no encryption header: bucket {} encrypts by default with SSE-S3",
                            bucket.name
                        )
                    }),
                    named_key: false,
                });
            }
            let (arn, why) = match &default.kms_key {
                Some(reference) => {
                    let arn = kms::resolve(world, reference, requester, &bucket.region)?;
                    let why = why(&|| {
                        format!("no encryption header: bucket {} encrypts by default with {arn}; the request carried no x-amz-server-side-encryption header, so the bucket policy sees none (decision A2)", bucket.name)
                    });
                    (arn, why)
                }
                None => {
                    let arn = world.aws_s3_key_arn(&bucket.account, &bucket.region);
                    let why = why(&|| {
                        format!("no encryption header: bucket {} encrypts by default with SSE-KMS under aws/s3 ({arn}); the bucket policy sees no encryption header (decision A2)", bucket.name)
                    });
                    (arn, why)
                }
            };
            Ok(kms(default.algorithm, arn, false, why))
        }
    }
}

/// SSE-KMS objects are written and read only over HTTPS with Signature Version 4 (anonymous
/// requests carry no signature). Returns S3's refusal when the request does not qualify.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (x-amz-server-side-encryption-aws-kms-key-id)
pub fn transport_error(
    overrides: &[(String, ContextValue)],
    caller: &Caller,
) -> Option<ClientError> {
    // The request's transport, as the request's own context values describe it (HTTPS and
    // SigV4 unless they say otherwise).
    let value = |k: &str| {
        overrides
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| match v {
                ContextValue::Single(s) => Some(s.as_str()),
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
    Some(ClientError::new(ErrorCode::InvalidArgument, message))
}
