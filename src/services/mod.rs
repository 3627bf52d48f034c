//! The services: what a request to AWS is and what it comes to. A raw authorization is one
//! step; a modelled call (an S3 upload, download, copy, multipart upload or replication) is the
//! sequence of authorizations and checks the real services perform for it, including the KMS
//! requests S3 makes on the caller's behalf.
//!
//! In: an [`Authorization`] or a [`CallRequest`]. Out: a [`CallOutcome`], the ordered steps
//! (each with its request, decision and client-visible error) and the answer. This layer knows
//! nothing of scenario files or reports.
//!
//! ```
//! use std::sync::Arc;
//! use iamsim::json::SourceText;
//! use iamsim::policy::{parse_policy_text, PolicyType};
//! use iamsim::services::{Call, CallRequest};
//! use iamsim::world::{Bucket, Principal, World};
//!
//! let mut world = World::new("us-east-1");
//! let mut alice = Principal::new("arn:aws:iam::111122223333:user/alice")?;
//! let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]}"#;
//! let source = SourceText::new("read-write", text);
//! alice.identity.push(Arc::new(parse_policy_text(&source, PolicyType::Identity, "read-write")?));
//! world.add_principal(alice)?;
//! world.add_bucket(Bucket::new("b", "111122223333", "us-east-1")?)?;
//!
//! let caller = world.caller("arn:aws:iam::111122223333:user/alice")?;
//! let put = world.call(&CallRequest::new(Call::PutObject, &caller, "b", "notes.txt"));
//! assert!(put.is_allowed());
//! let get = world.call(&CallRequest::new(Call::GetObject, &caller, "b", "notes.txt"));
//! assert!(get.is_allowed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod env;
pub mod error;
mod kms;
pub mod messages;
pub mod outcome;
mod replication;
pub mod request;
pub mod s3;
mod step;
pub mod sts;

pub use error::{ClientError, ErrorCode};
pub use outcome::{Answer, CallOutcome, DecidedBy, Step, StepKind, StepOutcome};
pub use request::{Authorization, Call, CallRequest, RequestOptions};
pub use sts::{AssumeRoleRequest, RoleParameters, StsCall};

use env::Env;

use crate::world::{ContextCache, World};

/// Decides one authorization, with a cache of base contexts the caller keeps between requests
/// on the same world (see [`ContextCache`]).
pub fn authorize_with(
    world: &World,
    request: &Authorization<'_>,
    cache: &mut ContextCache,
) -> CallOutcome {
    let mut env = Env::new(request.options, cache);
    step::authorize_request(world, &mut env, request)
}

/// Runs a modelled call, with a cache of base contexts the caller keeps between requests on the
/// same world. A call that goes through changes the world the way AWS would: an upload stores
/// its object, a replication its replica.
pub fn call_with(
    world: &mut World,
    request: &CallRequest<'_>,
    cache: &mut ContextCache,
) -> CallOutcome {
    let mut env = Env::new(request.options, cache);
    s3::run(world, &mut env, request)
}

/// Runs an `sts:AssumeRole*` call, with a cache of base contexts the caller keeps between
/// requests on the same world. A call that goes through records its session in the world.
pub fn assume_role_with(
    world: &mut World,
    request: &AssumeRoleRequest<'_>,
    cache: &mut ContextCache,
) -> CallOutcome {
    let mut env = Env::new(request.options, cache);
    sts::run(world, &mut env, request)
}

impl World {
    /// Runs an `sts:AssumeRole*` call and records the session it creates (see
    /// [`assume_role_with`]).
    pub fn assume_role(&mut self, request: &AssumeRoleRequest<'_>) -> CallOutcome {
        assume_role_with(self, request, &mut ContextCache::default())
    }

    /// Decides one authorization: may this caller perform this action on this resource?
    pub fn authorize(&self, request: &Authorization<'_>) -> CallOutcome {
        authorize_with(self, request, &mut ContextCache::default())
    }

    /// Runs a modelled call and applies what it changes (see [`call_with`]).
    pub fn call(&mut self, request: &CallRequest<'_>) -> CallOutcome {
        call_with(self, request, &mut ContextCache::default())
    }
}
