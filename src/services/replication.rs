//! Replicating one object version: S3 assumes the replication role, reads the source version
//! (and decrypts it), writes the replica to the destination (and encrypts it with the replica
//! key), all as the role's session.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html ;
//! decision A5.

use super::env::Env;
use super::error::{ClientError, ErrorCode};
use super::kms::{self, KmsRequest, Operation};
use super::outcome::{CallOutcome, Step, StepKind};
use super::request::CallRequest;
use super::s3::headers::{Headers, KMS_KEY_ID};
use super::s3::{object_arn, s3_step, S3Request};
use super::step::{authorize, AuthStep};
use crate::engine::Caller;
use crate::world::{
    BaseRequest, Bucket, Encryption, ObjectOwnership, ReplicationRule, SseAlgorithm, StoredObject,
    World,
};
use std::borrow::Cow;

/// A replication that did not happen: the failure reason S3 reports, and why.
fn failure(reason: ErrorCode, why: impl std::fmt::Display) -> ClientError {
    ClientError::new(
        reason,
        format!("replication status FAILED ({reason}): {why}"),
    )
}

/// An object that replication passes over: no replication status at all.
fn skipped(why: String) -> ClientError {
    ClientError::new(
        ErrorCode::SrcObjectNotEligible,
        format!("not replicated, no replication status: {why}"),
    )
}

/// Runs the replication of `request.key` in `request.bucket`. A replication that completes
/// writes its replica into the destination bucket.
pub(super) fn run(world: &mut World, env: &mut Env<'_>, request: &CallRequest<'_>) -> CallOutcome {
    let mut steps = Vec::new();
    let result = replicate(world, env, request.bucket, request.key, &mut steps);
    let error = match result {
        Err(e) => Some(e),
        Ok((destination, replica)) => {
            if let Some(b) = world.bucket_mut(&destination) {
                b.store(replica);
            }
            None
        }
    };
    CallOutcome::new(steps, error, std::mem::take(&mut env.notes))
}

/// What one replication works on, found before any step.
struct Plan {
    source: String,
    destination: String,
    role: String,
    key: String,
    object: StoredObject,
    rule: ReplicationRule,
}

impl Plan {
    fn source<'w>(&self, world: &'w World) -> Result<&'w Bucket, ClientError> {
        world.bucket(&self.source).ok_or_else(|| {
            failure(
                ErrorCode::SrcBucketNotFound,
                format!("no bucket {}", self.source),
            )
        })
    }

    fn destination<'w>(&self, world: &'w World) -> Result<&'w Bucket, ClientError> {
        world.bucket(&self.destination).ok_or_else(|| {
            failure(
                ErrorCode::DstBucketNotFound,
                format!("no bucket {}", self.destination),
            )
        })
    }

    fn source_arn(&self) -> std::sync::Arc<str> {
        object_arn(&self.source, &self.key)
    }

    fn destination_arn(&self) -> std::sync::Arc<str> {
        object_arn(&self.destination, &self.key)
    }
}

/// Performs the replication's steps; on success returns the destination bucket and the replica.
fn replicate(
    world: &mut World,
    env: &mut Env<'_>,
    bucket: &str,
    key: &str,
    steps: &mut Vec<Step>,
) -> Result<(String, StoredObject), ClientError> {
    let plan = locate(world, bucket, key)?;
    env.note(|| {
        format!(
            "rule {} replicates {bucket}/{key} to {}",
            plan.rule.id, plan.destination
        )
    });
    check_eligible(world, &plan)?;
    let role = assume_role(world, env, &plan, steps)?;
    let replicate_tags = read_source(world, env, &role, &plan, steps)?;
    let (encryption, operation) = replica_encryption(world, env, &plan)?;
    let tags_written = write_replica(world, env, &role, &plan, &encryption, replicate_tags, steps)?;
    if let Some(operation) = operation {
        encrypt_replica(world, env, &role, &plan, &encryption, operation, steps)?;
    }
    let replica = replica(world, env, &plan, encryption, tags_written)?;
    Ok((plan.destination, replica))
}

/// The source object, the rule that covers it and the destination, with the reasons S3 gives
/// when one is missing or the object is not eligible.
fn locate(world: &World, bucket: &str, key: &str) -> Result<Plan, ClientError> {
    let Some(source) = world.bucket(bucket) else {
        return Err(failure(
            ErrorCode::SrcBucketNotFound,
            format!("no bucket {bucket}"),
        ));
    };
    let Some(config) = &source.replication else {
        return Err(failure(
            ErrorCode::SrcBucketReplicationConfigMissing,
            format!("bucket {bucket} has no replication configuration"),
        ));
    };
    let Some(object) = source.object(key) else {
        return Err(failure(ErrorCode::SrcVersionNotFound, format!("{bucket}/{key} does not exist (upload it in an earlier check or list it under objects)")));
    };
    if object.replica {
        return Err(skipped(format!(
            "{bucket}/{key} is itself a replica, and replicas are not replicated again"
        )));
    }
    let Some(rule) = config.rules.iter().find(|r| key.starts_with(&r.prefix)) else {
        return Err(skipped(format!(
            "no rule of the replication configuration matches the key {key}"
        )));
    };
    Ok(Plan {
        source: source.name.clone(),
        destination: rule.destination_bucket.clone(),
        role: config.role.clone(),
        key: key.to_string(),
        object: object.clone(),
        rule: rule.clone(),
    })
}

/// Whether the rule takes this object, and the destination can receive it.
fn check_eligible(world: &World, plan: &Plan) -> Result<(), ClientError> {
    if plan.object.encryption.is_kms() && !plan.rule.replicate_kms_encrypted {
        return Err(skipped(format!(
            "{}/{} is SSE-KMS encrypted, and rule {} does not enable SseKmsEncryptedObjects",
            plan.source, plan.key, plan.rule.id
        )));
    }
    let destination = plan.destination(world)?;
    if !destination.versioning {
        return Err(failure(
            ErrorCode::DstBucketUnversioned,
            format!("versioning is not enabled on {}", destination.name),
        ));
    }
    Ok(())
}

/// Ends the replication at the step just taken, with the failure reason S3 reports: a KMS
/// key problem keeps KMS's own words, anything else the step's record.
fn fail_at<T>(steps: &[Step], reason: ErrorCode) -> Result<T, ClientError> {
    let step = steps.last();
    if let Some(e) = step
        .and_then(|s| s.outcome.error())
        .filter(|e| e.code.is_kms_key_problem())
    {
        return Err(failure(reason, &e.message));
    }
    let why = step
        .and_then(|s| s.outcome.message())
        .unwrap_or("the step failed");
    Err(failure(reason, why))
}

/// Appends a step; ends the replication with `reason` when it failed.
fn require(steps: &mut Vec<Step>, step: Step, reason: ErrorCode) -> Result<(), ClientError> {
    let passed = step.outcome.passed();
    steps.push(step);
    if passed {
        Ok(())
    } else {
        fail_at(steps, reason)
    }
}

/// Step 1: S3 (`s3.amazonaws.com`) assumes the replication role. A service acting for a resource
/// carries that resource in `aws:SourceArn` and its account in `aws:SourceAccount` (the
/// confused-deputy conditions trust policies test).
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
fn assume_role(
    world: &World,
    env: &mut Env<'_>,
    plan: &Plan,
    steps: &mut Vec<Step>,
) -> Result<Caller, ClientError> {
    let s3 = Caller::parse("s3.amazonaws.com")
        .map_err(|e| failure(ErrorCode::AssumeRoleNotPermitted, e))?;
    let source = plan.source(world)?;
    let role_account = World::account_of(&plan.role);
    let mut context = world.base_context(&BaseRequest {
        caller: &s3,
        action: "sts:AssumeRole",
        resource: &plan.role,
        resource_account: role_account.as_deref(),
        endpoint: None,
        via_s3: None,
        region: None,
    });
    context.set("aws:SourceArn", source.arn());
    context.set("aws:SourceAccount", source.account.as_str());
    context.apply(env.options.context);
    let title = || {
        format!(
            "S3 (s3.amazonaws.com) assumes the replication role {}",
            plan.role
        )
    };
    let step = authorize(
        world,
        env,
        AuthStep {
            kind: StepKind::AssumeRole,
            title: &title,
            caller: &s3,
            action: "sts:AssumeRole".into(),
            resource: &plan.role.as_str().into(),
            resource_account: None,
            context,
            session_policy: None,
            endpoint: None,
            notes: Vec::new(),
        },
    );
    require(steps, step, ErrorCode::AssumeRoleNotPermitted)?;
    world
        .caller(&plan.role)
        .map_err(|e| failure(ErrorCode::AssumeRoleNotPermitted, e))
}

/// Step 2: The role reads the source version, its tags when it has some (a failure there only drops
/// the tags), and decrypts it when it is SSE-KMS. Returns whether the tags replicate.
fn read_source(
    world: &World,
    env: &mut Env<'_>,
    role: &Caller,
    plan: &Plan,
    steps: &mut Vec<Step>,
) -> Result<bool, ClientError> {
    let source = plan.source(world)?;
    let source_arn = plan.source_arn();
    let object = &plan.object;
    let no_headers = Headers::new(&[]);
    let title = || "the replication role reads the source version".to_string();
    let read = S3Request {
        caller: role,
        action: Cow::Borrowed("s3:GetObjectVersionForReplication"),
        bucket: source,
        resource: &source_arn,
        headers: &no_headers,
        resolved_key_id: None,
        existing_tags: &object.tags,
        title: &title,
    };
    let step = s3_step(world, env, read.clone());
    require(steps, step, ErrorCode::SrcGetObjectNotPermitted)?;
    let mut replicate_tags = !object.tags.is_empty();
    if replicate_tags {
        let title = || "the replication role reads the source version's tags".to_string();
        let tagging = S3Request {
            action: Cow::Borrowed("s3:GetObjectVersionTagging"),
            title: &title,
            ..read
        };
        let mut tags = s3_step(world, env, tagging);
        tags.optional = true;
        if !tags.outcome.passed() {
            replicate_tags = false;
            env.note(|| {
                "the role may not read the tags: the object replicates without them".to_string()
            });
        }
        steps.push(tags);
    }
    if object.encryption.is_kms() {
        let key_arn = object.encryption.kms_key.as_deref().unwrap_or_default();
        let context_arn: std::sync::Arc<str> = if object.encryption.bucket_key {
            source.arn().into()
        } else {
            source_arn.clone()
        };
        let title = || format!("KMS: the role decrypts the source version with {key_arn}");
        let step = kms::request(
            world,
            env,
            KmsRequest {
                caller: role,
                operation: Operation::Decrypt,
                key_arn,
                region: &source.region,
                context_arn: &context_arn,
                extra_context: &object.encryption_context,
                title: &title,
            },
        );
        let key_state = step
            .outcome
            .error()
            .is_some_and(|e| e.code.is_kms_key_problem());
        let reason = if key_state {
            ErrorCode::SrcKmsKeyInvalidState
        } else {
            ErrorCode::SrcGetObjectNotPermitted
        };
        require(steps, step, reason)?;
    }
    Ok(replicate_tags)
}

/// Step 3: Which key encrypts the replica: the rule's ReplicaKmsKeyID for an SSE-KMS source, the
/// destination's default otherwise (its `aws/s3` is created when needed). Returns the KMS
/// operation writing the replica needs, if any.
fn replica_encryption(
    world: &mut World,
    env: &mut Env<'_>,
    plan: &Plan,
) -> Result<(Encryption, Option<Operation>), ClientError> {
    let destination = plan.destination(world)?;
    let (account, region) = (destination.account.clone(), destination.region.clone());
    let default = destination.default_encryption.clone();
    let kms = |arn: std::sync::Arc<str>| Encryption {
        algorithm: SseAlgorithm::AwsKms,
        kms_key: Some(arn),
        bucket_key: default.bucket_key,
    };
    if plan.object.encryption.is_kms() {
        let Some(reference) = &plan.rule.replica_kms_key else {
            return Err(failure(
                ErrorCode::DstKmsKeyNotFound,
                format!(
                    "rule {} replicates SSE-KMS objects but names no ReplicaKmsKeyID",
                    plan.rule.id
                ),
            ));
        };
        let arn = kms::resolve(world, reference, &account, &region).map_err(|e| {
            failure(
                ErrorCode::DstKmsKeyNotFound,
                format!("the replica key {reference}: {}", e.message),
            )
        })?;
        if let Some(k) = world.key(&arn) {
            if let Some(e) = kms::state_error(k) {
                return Err(failure(ErrorCode::DstKmsKeyInvalidState, e.message));
            }
            if k.account != account {
                env.note(|| format!(
                    "the replica key {arn} belongs to account {}, not to the destination's owner {account}: the destination account can read the replicas only if that key's policy lets it decrypt",
                    k.account
                ));
            }
        }
        return Ok((kms(arn), Some(Operation::Encrypt)));
    }
    if !default.is_kms() {
        return Ok((plan.object.encryption.clone(), None));
    }
    let arn = match &default.kms_key {
        Some(reference) => kms::resolve(world, reference, &account, &region)
            .map_err(|e| failure(ErrorCode::DstKmsKeyNotFound, e.message))?,
        None => world.ensure_aws_s3_key(&account, &region),
    };
    Ok((kms(arn), Some(Operation::GenerateDataKey)))
}

/// The headers of the write S3 makes for a replica: its encryption, as S3 chose it.
fn replica_headers(encryption: &Encryption) -> Vec<(String, String)> {
    let mut headers = vec![(
        "x-amz-server-side-encryption".to_string(),
        encryption.algorithm.as_str().to_string(),
    )];
    if let Some(arn) = &encryption.kms_key {
        headers[0].1 = SseAlgorithm::AwsKms.as_str().to_string();
        headers.push((KMS_KEY_ID.to_string(), arn.to_string()));
    }
    headers
}

/// Step 4: The role writes the replica into the destination bucket: `s3:ReplicateObject`, the owner
/// override when the rule asks for it, and the tags (whose refusal only drops them). Returns
/// whether the tags were written.
fn write_replica(
    world: &World,
    env: &mut Env<'_>,
    role: &Caller,
    plan: &Plan,
    encryption: &Encryption,
    replicate_tags: bool,
    steps: &mut Vec<Step>,
) -> Result<bool, ClientError> {
    let destination = plan.destination(world)?;
    let destination_arn = plan.destination_arn();
    let header_pairs = replica_headers(encryption);
    let headers = Headers::new(&header_pairs);
    let title = || {
        format!(
            "the replication role writes the replica into {}",
            plan.destination
        )
    };
    let write = S3Request {
        caller: role,
        action: Cow::Borrowed("s3:ReplicateObject"),
        bucket: destination,
        resource: &destination_arn,
        headers: &headers,
        resolved_key_id: encryption.kms_key.as_ref(),
        existing_tags: &[],
        title: &title,
    };
    let step = s3_step(world, env, write.clone());
    require(steps, step, ErrorCode::DstPutObjectNotPermitted)?;
    let enforced = destination.object_ownership == ObjectOwnership::BucketOwnerEnforced;
    if plan.rule.owner_override && !enforced {
        let title =
            || "owner override: the replica is to belong to the destination's owner".to_string();
        let override_owner = S3Request {
            action: Cow::Borrowed("s3:ObjectOwnerOverrideToBucketOwner"),
            resolved_key_id: None,
            title: &title,
            ..write
        };
        let step = s3_step(world, env, override_owner);
        require(steps, step, ErrorCode::DstPutObjectNotPermitted)?;
    } else if plan.rule.owner_override {
        env.note(|| format!("{} is BucketOwnerEnforced: its owner owns the replica anyway, so s3:ObjectOwnerOverrideToBucketOwner is not checked", plan.destination));
    }
    if !replicate_tags {
        return Ok(false);
    }
    let title = || "the replication role writes the replica's tags".to_string();
    let tagging = S3Request {
        action: Cow::Borrowed("s3:ReplicateTags"),
        resolved_key_id: None,
        title: &title,
        ..write
    };
    let mut step = s3_step(world, env, tagging);
    step.optional = true;
    let written = step.outcome.passed();
    if !written {
        env.note(|| "s3:ReplicateTags is not allowed: the replica is written without tags (DstPutTaggingNotPermitted)".to_string());
    }
    steps.push(step);
    Ok(written)
}

/// Step 5: KMS encrypts the replica's data key for the role (`kms:Encrypt` with a ReplicaKmsKeyID,
/// decision A5; `kms:GenerateDataKey` under the destination's default key); with an S3 Bucket
/// Key at the destination S3 also decrypts the bucket-level key.
fn encrypt_replica(
    world: &World,
    env: &mut Env<'_>,
    role: &Caller,
    plan: &Plan,
    encryption: &Encryption,
    operation: Operation,
    steps: &mut Vec<Step>,
) -> Result<(), ClientError> {
    let destination = plan.destination(world)?;
    let Some(arn) = encryption.kms_key.as_deref() else {
        return Ok(());
    };
    let context_arn: std::sync::Arc<str> = if encryption.bucket_key {
        destination.arn().into()
    } else {
        plan.destination_arn()
    };
    let mut operations = vec![operation];
    if encryption.bucket_key {
        operations.push(Operation::Decrypt);
    }
    for op in operations {
        let title = || {
            format!(
                "KMS: the role encrypts the replica with {arn} ({})",
                op.action()
            )
        };
        let step = kms::request(
            world,
            env,
            KmsRequest {
                caller: role,
                operation: op,
                key_arn: arn,
                region: &destination.region,
                context_arn: &context_arn,
                extra_context: &plan.object.encryption_context,
                title: &title,
            },
        );
        let key_state = step
            .outcome
            .error()
            .is_some_and(|e| e.code.is_kms_key_problem());
        let reason = if key_state {
            ErrorCode::DstKmsKeyInvalidState
        } else {
            ErrorCode::DstPutObjectNotPermitted
        };
        require(steps, step, reason)?;
    }
    Ok(())
}

/// Step 6: The replica as it now exists in the destination. Without owner override it keeps the
/// source's owner and ACL; with it, S3 drops the ACL and the destination owner owns it.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html
fn replica(
    world: &World,
    env: &mut Env<'_>,
    plan: &Plan,
    encryption: Encryption,
    tags_written: bool,
) -> Result<StoredObject, ClientError> {
    let destination = plan.destination(world)?;
    let enforced = destination.object_ownership == ObjectOwnership::BucketOwnerEnforced;
    let owner = if enforced || plan.rule.owner_override {
        destination.account.clone()
    } else {
        plan.object.owner.clone()
    };
    env.note(|| format!(
        "replication status: COMPLETED on the source, REPLICA on {} (owned by {owner}, encrypted with {})",
        plan.destination_arn(),
        encryption.kms_key.as_deref().unwrap_or(encryption.algorithm.as_str())
    ));
    let acl = if plan.rule.owner_override {
        Default::default()
    } else {
        plan.object.acl.clone()
    };
    let mut replica = StoredObject::new(&destination.name, &plan.key, encryption, owner, acl);
    if tags_written {
        replica.tags = plan.object.tags.clone();
    }
    replica.encryption_context = plan.object.encryption_context.clone();
    replica.replica = true;
    Ok(replica)
}
