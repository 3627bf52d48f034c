//! The ACL a request sets (`x-amz-acl`, or the `x-amz-grant-*` headers), the checks S3 makes
//! on it before authorizing (Object Ownership, Block Public Access, malformed grants), and
//! `PutObjectAcl`.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html

use super::headers::Headers;
use super::{object_arn, s3_steps, S3Request};
use crate::engine::Caller;
use crate::services::env::Env;
use crate::services::error::{ClientError, ErrorCode};
use crate::services::outcome::{Step, StepKind};
use crate::services::request::CallRequest;
use crate::services::step::rejected;
use crate::world::acl::{
    is_canonical_id, parse_grant_header, Acl, AclGrant, Grantee, HeaderGrantee, Permission,
    CANNED_ACLS,
};
use crate::world::{Bucket, ObjectOwnership, StoredObject, World};

/// The ACL a request sets, if any; an error for one S3 refuses before authorizing.
pub(super) fn requested(
    world: &World,
    bucket: &Bucket,
    headers: &Headers<'_>,
) -> Result<Option<Acl>, ClientError> {
    let canned = headers.get("x-amz-acl");
    let granted: Vec<(&str, &str)> = headers.grants().collect();
    if canned.is_some() && !granted.is_empty() {
        // AWS documents that a request uses one or the other, not the error code.
        return Err(ClientError::new(
            ErrorCode::InvalidRequest,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        ));
    }
    if let Some(name) = canned {
        return match CANNED_ACLS.contains(&name) {
            true => Ok(Acl::canned(name, &bucket.account)),
            false => Err(ClientError::new(
                ErrorCode::InvalidArgument,
                format!("{name:?} is not a canned ACL S3 accepts on objects"),
            )),
        };
    }
    if granted.is_empty() {
        return Ok(None);
    }
    let mut acl = Acl::default();
    for (header, value) in granted {
        let permission = Permission::ALL
            .into_iter()
            .find(|p| p.header() == header)
            .unwrap_or(Permission::Read);
        let grantees = parse_grant_header(value)
            .map_err(|e| ClientError::new(ErrorCode::InvalidArgument, e.to_string()))?;
        for grantee in grantees {
            let grantee = match grantee {
                HeaderGrantee::Id(id) if is_canonical_id(&id) => {
                    match world.account_of_canonical_id(&id) {
                        Some(account) => Grantee::Account(account),
                        None => Grantee::UnknownCanonicalUser(id.to_ascii_lowercase()),
                    }
                }
                HeaderGrantee::Id(id) => {
                    return Err(ClientError::new(
                        ErrorCode::InvalidArgument,
                        format!(
                        "Invalid id: {id:?} is not a canonical user id (64 hexadecimal characters)"
                    ),
                    ))
                }
                HeaderGrantee::Uri(uri) => Grantee::group(&uri).ok_or_else(|| {
                    ClientError::new(
                        ErrorCode::InvalidArgument,
                        format!("Invalid group uri {uri:?}"),
                    )
                })?,
                // Since 1 October 2025 S3 answers e-mail grantees with HTTP 405; AWS does
                // not document the error code.
                HeaderGrantee::Email(_) => return Err(ClientError::new(
                    ErrorCode::MethodNotAllowed,
                    "S3 no longer supports ACL grants to e-mail addresses (405 Method Not Allowed)",
                )),
            };
            acl.grants.push(AclGrant {
                grantee,
                permission,
            });
        }
    }
    Ok(Some(acl))
}

/// The checks S3 makes on a request that sets an ACL, before authorizing it: ACLs disabled
/// (BucketOwnerEnforced) accept only the bucket-owner-full-control canned ACL on uploads and
/// nothing on PutObjectAcl; BlockPublicAcls refuses a public one.
pub(super) fn check(
    bucket: &Bucket,
    caller: &Caller,
    headers: &Headers<'_>,
    acl: Option<&Acl>,
    action: &'static str,
    resource: &str,
) -> Option<Step> {
    let acl = acl?;
    let refuse = |title: &str, error: ClientError| {
        Some(rejected(
            StepKind::S3RequestCheck,
            title.to_string(),
            action,
            resource,
            caller,
            error,
        ))
    };
    let owner_full_control = headers.get("x-amz-acl") == Some("bucket-owner-full-control");
    let upload = action == "s3:PutObject";
    if bucket.object_ownership == ObjectOwnership::BucketOwnerEnforced
        && !(upload && owner_full_control)
    {
        return refuse(
            "Object Ownership: the bucket has ACLs disabled (BucketOwnerEnforced)",
            ClientError::new(
                ErrorCode::AccessControlListNotSupported,
                "The bucket does not allow ACLs",
            ),
        );
    }
    if bucket.public_access_block.block_public_acls && acl.is_public() {
        return refuse(
            "Block Public Access (BlockPublicAcls) refuses a public ACL",
            ClientError::new(
                ErrorCode::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: {action} on resource: \"{resource}\" because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access",
                    caller.display_arn()
                ),
            ),
        );
    }
    None
}

/// Runs PutObjectAcl: the ACL checks, `s3:PutObjectAcl` (or `s3:PutObjectVersionAcl`) on the
/// object, then the object must exist. The object keeps its owner; its ACL is replaced.
pub(super) fn put_object_acl(
    world: &World,
    env: &mut Env<'_>,
    request: &CallRequest<'_>,
    headers: &Headers<'_>,
    caller: &Caller,
    steps: &mut Vec<Step>,
) -> Result<Option<StoredObject>, ClientError> {
    let Some(bucket) = world.bucket(request.bucket) else {
        return Err(ClientError::new(
            ErrorCode::NoSuchBucket,
            "The specified bucket does not exist",
        ));
    };
    let resource = object_arn(&bucket.name, request.key);
    let action = if request.version_id.is_some() {
        "s3:PutObjectVersionAcl"
    } else {
        "s3:PutObjectAcl"
    };
    let acl = match requested(world, bucket, headers) {
        Ok(Some(acl)) => acl,
        Ok(None) => Acl::default(),
        Err(e) => {
            steps.push(rejected(
                StepKind::S3RequestCheck,
                "S3 reads the ACL the request sets".to_string(),
                action,
                &resource,
                caller,
                e.clone(),
            ));
            return Err(e);
        }
    };
    if let Some(refusal) = check(bucket, caller, headers, Some(&acl), action, &resource) {
        let error = refusal.outcome.error().cloned();
        steps.push(refusal);
        return Err(error.unwrap_or_else(ClientError::access_denied));
    }
    let object = bucket.object(request.key);
    let title = || {
        format!(
            "S3 authorizes PutObjectAcl on {}/{}",
            bucket.name, request.key
        )
    };
    if !s3_steps(
        world,
        env,
        S3Request {
            caller,
            action: std::borrow::Cow::Borrowed(action),
            bucket,
            resource: &resource,
            headers,
            resolved_key_id: None,
            existing_tags: object.map_or(&[], |o| o.tags.as_slice()),
            title: &title,
        },
        steps,
    ) {
        return Ok(None);
    }
    let Some(object) = object else {
        return Err(ClientError::new(
            ErrorCode::NoSuchKey,
            "The specified key does not exist.",
        ));
    };
    let mut object = object.clone();
    env.note(|| {
        format!(
            "the ACL of {resource} is replaced; the object stays owned by account {}",
            object.owner
        )
    });
    object.set_acl(&bucket.name, acl);
    Ok(Some(object))
}
