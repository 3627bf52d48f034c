//! What a service is asked: one authorization, or a modelled API call, with the options every
//! request shares (the caller's own context values, a VPC endpoint, a session policy).

use crate::engine::{Caller, ContextValue};
use crate::policy::Policy;

/// The API calls iamsim models end to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    PutObject,
    GetObject,
    HeadObject,
    CopyObject,
    CreateMultipartUpload,
    ReplicateObject,
    GetObjectAttributes,
    PutObjectAcl,
}

impl Call {
    pub const ALL: [Call; 8] = [
        Call::PutObject,
        Call::GetObject,
        Call::HeadObject,
        Call::CopyObject,
        Call::CreateMultipartUpload,
        Call::ReplicateObject,
        Call::GetObjectAttributes,
        Call::PutObjectAcl,
    ];

    /// The call as scenario files name it (`s3:PutObject`).
    pub fn name(self) -> &'static str {
        match self {
            Call::PutObject => "s3:PutObject",
            Call::GetObject => "s3:GetObject",
            Call::HeadObject => "s3:HeadObject",
            Call::CopyObject => "s3:CopyObject",
            Call::CreateMultipartUpload => "s3:CreateMultipartUpload",
            Call::ReplicateObject => "s3:ReplicateObject",
            Call::GetObjectAttributes => "s3:GetObjectAttributes",
            Call::PutObjectAcl => "s3:PutObjectAcl",
        }
    }

    pub fn parse(name: &str) -> Option<Call> {
        Call::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What every request may carry besides its subject.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestOptions<'a> {
    /// Context values given over the defaults, in order (`Remove` deletes a default).
    pub context: &'a [(String, ContextValue)],
    /// The id of the VPC endpoint the request comes through.
    pub vpc_endpoint: Option<&'a str>,
    /// The session policy of the caller's session.
    pub session_policy: Option<&'a Policy>,
    /// Keep every statement's evaluation, the request contexts and the notes, for explaining.
    pub explain: bool,
}

/// One authorization: may this caller perform this action on this resource?
#[derive(Debug, Clone, Copy)]
pub struct Authorization<'a> {
    pub caller: &'a Caller,
    /// As the service names it, e.g. `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN, or `*`.
    pub resource: &'a str,
    /// The resource's account, where its ARN carries none (S3).
    pub resource_account: Option<&'a str>,
    pub options: RequestOptions<'a>,
}

impl<'a> Authorization<'a> {
    pub fn new(caller: &'a Caller, action: &'a str, resource: &'a str) -> Authorization<'a> {
        Authorization {
            caller,
            action,
            resource,
            resource_account: None,
            options: RequestOptions::default(),
        }
    }
}

/// A modelled API call on an object.
#[derive(Debug, Clone, Copy)]
pub struct CallRequest<'a> {
    pub call: Call,
    /// Who calls. `None` is an anonymous request; a replication is always made by S3 itself,
    /// through the bucket's replication role.
    pub caller: Option<&'a Caller>,
    /// The bucket (the source bucket of a replication, the destination of a copy).
    pub bucket: &'a str,
    pub key: &'a str,
    /// Request headers as S3 names them (lowercase or not).
    pub headers: &'a [(String, String)],
    /// The object version a read asks for.
    pub version_id: Option<&'a str>,
    pub options: RequestOptions<'a>,
}

impl<'a> CallRequest<'a> {
    pub fn new(call: Call, caller: &'a Caller, bucket: &'a str, key: &'a str) -> CallRequest<'a> {
        CallRequest {
            call,
            caller: Some(caller),
            bucket,
            key,
            headers: &[],
            version_id: None,
            options: RequestOptions::default(),
        }
    }

    /// The replication of one object of `bucket` by its replication configuration.
    pub fn replication(bucket: &'a str, key: &'a str) -> CallRequest<'a> {
        CallRequest {
            call: Call::ReplicateObject,
            caller: None,
            bucket,
            key,
            headers: &[],
            version_id: None,
            options: RequestOptions::default(),
        }
    }

    pub fn with_headers(self, headers: &'a [(String, String)]) -> CallRequest<'a> {
        CallRequest { headers, ..self }
    }
}
