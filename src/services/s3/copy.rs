//! CopyObject: a read of the source (with its `kms:Decrypt`) and a write of the destination,
//! encrypted by the request's headers, else by the destination bucket's default, never by the
//! source object's key.
//! https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html

use super::headers::Headers;
use super::read::{read, Read, Reading};
use super::write::write;
use crate::engine::Caller;
use crate::services::env::Env;
use crate::services::error::{ClientError, ErrorCode};
use crate::services::outcome::Step;
use crate::services::request::CallRequest;
use crate::world::access_point::split_access_point_arn;
use crate::world::StoredObject;
use crate::world::World;

/// The source of a copy, from `x-amz-copy-source`: `bucket/key`, or an object through an
/// access point (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`), optionally with
/// `?versionId=`.
struct Source<'a> {
    bucket: String,
    key: &'a str,
    version_id: Option<&'a str>,
    /// The access point the source is read through.
    access_point: Option<String>,
}

fn source<'a>(world: &World, headers: &Headers<'a>) -> Result<Source<'a>, ClientError> {
    let raw = headers.get("x-amz-copy-source").unwrap_or("");
    let raw = raw.trim_start_matches('/');
    // A version id in the copy source makes the read s3:GetObjectVersion.
    let (path, version_id) = match raw.split_once("?versionId=") {
        Some((s, v)) => (s, Some(v)),
        None => (raw, None),
    };
    if path.starts_with("arn:") {
        let through = split_access_point_arn(path).and_then(|(arn, key)| {
            let ap = world.access_points.get(&arn)?;
            Some((ap, key?))
        });
        return match through {
            Some((ap, key)) => Ok(Source {
                bucket: ap.bucket.clone(),
                key,
                version_id,
                access_point: Some(ap.arn.clone()),
            }),
            None => Err(ClientError::new(
                ErrorCode::InvalidArgument,
                format!("Copy Source names no declared access point object: {path:?}"),
            )),
        };
    }
    match path.split_once('/') {
        Some((bucket, key)) => Ok(Source {
            bucket: bucket.to_string(),
            key,
            version_id,
            access_point: None,
        }),
        None => Err(ClientError::new(
            ErrorCode::InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )),
    }
}

/// Runs a copy. Returns the object to store when every step went through.
pub(super) fn copy(
    world: &mut World,
    env: &mut Env<'_>,
    request: &CallRequest<'_>,
    headers: &Headers<'_>,
    caller: &Caller,
    steps: &mut Vec<Step>,
) -> Result<Option<StoredObject>, ClientError> {
    let source = source(world, headers)?;
    // The source is read through its own access point, if any; the write goes through the
    // request's.
    let destination_route = std::mem::replace(&mut env.access_point, source.access_point.clone());
    // The source read carries none of the destination write's headers.
    let read_result = read(
        world,
        env,
        Read {
            caller,
            bucket: &source.bucket,
            key: source.key,
            reading: Reading::Object,
            headers: &Headers::new(&[]),
            version_id: source.version_id,
        },
        steps,
    );
    env.access_point = destination_route;
    read_result?;
    if !steps.iter().all(|s| s.outcome.passed()) {
        return Ok(None);
    }
    env.note(|| "the copy is encrypted by the request's headers, else by the destination bucket's default, not by the source object's key".to_string());
    write(world, env, request, headers, caller, steps)
}
