//! CopyObject: a read of the source (with its `kms:Decrypt`) and a write of the destination,
//! encrypted by the request's headers, else by the destination bucket's default, never by the
//! source object's key.
//! https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html

use super::headers::Headers;
use super::read::{read, Read, Reading};
use super::write::write;
use super::Stored;
use crate::engine::Caller;
use crate::services::env::Env;
use crate::services::error::{ClientError, ErrorCode};
use crate::services::outcome::Step;
use crate::services::request::CallRequest;
use crate::world::World;

/// The source of a copy, from `x-amz-copy-source` (`bucket/key`, optionally `?versionId=`).
struct Source<'a> {
    bucket: &'a str,
    key: &'a str,
    version_id: Option<&'a str>,
}

fn source<'a>(headers: &Headers<'a>) -> Result<Source<'a>, ClientError> {
    let raw = headers.get("x-amz-copy-source").unwrap_or("");
    let raw = raw.trim_start_matches('/');
    // A version id in the copy source makes the read s3:GetObjectVersion.
    let (path, version_id) = match raw.split_once("?versionId=") {
        Some((s, v)) => (s, Some(v)),
        None => (raw, None),
    };
    match path.split_once('/') {
        Some((bucket, key)) => Ok(Source {
            bucket,
            key,
            version_id,
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
) -> Result<Option<Stored>, ClientError> {
    let source = source(headers)?;
    // The source read carries none of the destination write's headers.
    read(
        world,
        env,
        Read {
            caller,
            bucket: source.bucket,
            key: source.key,
            reading: Reading::Object,
            headers: &Headers::new(&[]),
            version_id: source.version_id,
        },
        steps,
    )?;
    if !steps.iter().all(|s| s.outcome.passed()) {
        return Ok(None);
    }
    env.note(|| "the copy is encrypted by the request's headers, else by the destination bucket's default, not by the source object's key".to_string());
    write(world, env, request, headers, caller, steps)
}
