//! The services that turn one API call into the authorizations AWS performs for it: S3 object
//! calls, the KMS requests S3 makes on the caller's behalf, and replication.

pub mod kms;
mod replication;
pub mod s3;

use crate::scenario::{Check, CheckResult};
use crate::world::World;

/// Runs a modelled call. A call that succeeds changes `world` the way AWS would (an upload
/// stores its object, a replication its replica).
pub fn run_call(world: &mut World, check: &Check, trace: bool) -> CheckResult {
    s3::run_object_call(world, check, trace)
}
