//! What the client of an AWS API receives when a call fails: the error code and message, as
//! the service words them. A denial is a value of the call's outcome, not a Rust error.

use std::fmt;

/// The error codes iamsim's modelled calls can end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// S3's (and most services') refusal of an unauthorized request.
    AccessDenied,
    /// KMS's refusal of an unauthorized request, when the caller calls KMS itself.
    AccessDeniedException,
    /// An ACL on a bucket whose ACLs are disabled (BucketOwnerEnforced).
    AccessControlListNotSupported,
    InvalidArgument,
    /// A request S3 refuses as malformed (e.g. a canned ACL together with grant headers).
    InvalidRequest,
    /// HTTP 405: a request S3 no longer supports (e-mail grantees in ACLs).
    MethodNotAllowed,
    /// STS: a web identity token or SAML assertion it does not accept.
    InvalidIdentityToken,
    /// STS: a parameter out of its bounds (a session name, a duration).
    ValidationError,
    NoSuchBucket,
    NoSuchKey,
    /// A HEAD request for a key that does not exist (no body, only the status).
    NotFound,
    /// KMS errors as S3 relays them.
    KmsNotFound,
    KmsDisabled,
    KmsInvalidState,
    // Replication failure reasons, as S3 reports them in its replication events.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html
    AssumeRoleNotPermitted,
    DstBucketNotFound,
    DstBucketUnversioned,
    DstKmsKeyInvalidState,
    DstKmsKeyNotFound,
    DstPutObjectNotPermitted,
    SrcBucketNotFound,
    SrcBucketReplicationConfigMissing,
    SrcGetObjectNotPermitted,
    SrcKmsKeyInvalidState,
    SrcVersionNotFound,
    /// Not a failure S3 reports: the object is outside replication (no replication status).
    SrcObjectNotEligible,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::AccessDenied,
        ErrorCode::AccessDeniedException,
        ErrorCode::AccessControlListNotSupported,
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidIdentityToken,
        ErrorCode::ValidationError,
        ErrorCode::NoSuchBucket,
        ErrorCode::NoSuchKey,
        ErrorCode::NotFound,
        ErrorCode::KmsNotFound,
        ErrorCode::KmsDisabled,
        ErrorCode::KmsInvalidState,
        ErrorCode::AssumeRoleNotPermitted,
        ErrorCode::DstBucketNotFound,
        ErrorCode::DstBucketUnversioned,
        ErrorCode::DstKmsKeyInvalidState,
        ErrorCode::DstKmsKeyNotFound,
        ErrorCode::DstPutObjectNotPermitted,
        ErrorCode::SrcBucketNotFound,
        ErrorCode::SrcBucketReplicationConfigMissing,
        ErrorCode::SrcGetObjectNotPermitted,
        ErrorCode::SrcKmsKeyInvalidState,
        ErrorCode::SrcVersionNotFound,
        ErrorCode::SrcObjectNotEligible,
    ];

    /// The code as AWS prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::AccessDeniedException => "AccessDeniedException",
            ErrorCode::AccessControlListNotSupported => "AccessControlListNotSupported",
            ErrorCode::InvalidArgument => "InvalidArgument",
            ErrorCode::InvalidRequest => "InvalidRequest",
            ErrorCode::MethodNotAllowed => "MethodNotAllowed",
            ErrorCode::InvalidIdentityToken => "InvalidIdentityToken",
            ErrorCode::ValidationError => "ValidationError",
            ErrorCode::NoSuchBucket => "NoSuchBucket",
            ErrorCode::NoSuchKey => "NoSuchKey",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::KmsNotFound => "KMS.NotFoundException",
            ErrorCode::KmsDisabled => "KMS.DisabledException",
            ErrorCode::KmsInvalidState => "KMS.KMSInvalidStateException",
            ErrorCode::AssumeRoleNotPermitted => "AssumeRoleNotPermitted",
            ErrorCode::DstBucketNotFound => "DstBucketNotFound",
            ErrorCode::DstBucketUnversioned => "DstBucketUnversioned",
            ErrorCode::DstKmsKeyInvalidState => "DstKmsKeyInvalidState",
            ErrorCode::DstKmsKeyNotFound => "DstKmsKeyNotFound",
            ErrorCode::DstPutObjectNotPermitted => "DstPutObjectNotPermitted",
            ErrorCode::SrcBucketNotFound => "SrcBucketNotFound",
            ErrorCode::SrcBucketReplicationConfigMissing => "SrcBucketReplicationConfigMissing",
            ErrorCode::SrcGetObjectNotPermitted => "SrcGetObjectNotPermitted",
            ErrorCode::SrcKmsKeyInvalidState => "SrcKmsKeyInvalidState",
            ErrorCode::SrcVersionNotFound => "SrcVersionNotFound",
            ErrorCode::SrcObjectNotEligible => "SrcObjectNotEligible",
        }
    }

    /// Reads a code as AWS prints it.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// Whether KMS refused because of the key's state or existence, not a policy.
    pub fn is_kms_key_problem(self) -> bool {
        matches!(
            self,
            ErrorCode::KmsNotFound | ErrorCode::KmsDisabled | ErrorCode::KmsInvalidState
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the client of the call receives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ClientError {
    pub code: ErrorCode,
    pub message: String,
}

impl ClientError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ClientError {
        ClientError {
            code,
            message: message.into(),
        }
    }

    /// S3's `AccessDenied` with its plain text, as callers outside the bucket owner's account
    /// and organization read it.
    pub fn access_denied() -> ClientError {
        ClientError::new(ErrorCode::AccessDenied, "Access Denied")
    }
}
