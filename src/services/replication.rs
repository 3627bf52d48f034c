//! Replicating one object version: S3 assumes the replication role, reads the source version
//! (and decrypts it), writes the replica to the destination (and encrypts it with the replica
//! key), all as the role's session.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html ;
//! decision A5.

use super::kms::{self, kms_step, KmsRequest};
use super::s3::{s3_step, Headers};
use crate::engine::Caller;
use crate::scenario::run::{
    apply_overrides, authorize_step, failed_to_run, finish, Notes, StepInput,
};
use crate::scenario::{Check, CheckKind, CheckResult, ClientError, StepResult};
use crate::world::{Encryption, ObjectOwnership, StoredObject, World};

/// A replication that did not happen: the failure reason S3 reports, and why.
fn failure(reason: &str, why: String) -> ClientError {
    ClientError {
        code: reason.to_string(),
        message: format!("replication status FAILED ({reason}): {why}"),
    }
}

/// An object that replication passes over: no replication status at all.
fn skipped(why: String) -> ClientError {
    ClientError {
        code: "SrcObjectNotEligible".to_string(),
        message: format!("not replicated, no replication status: {why}"),
    }
}

/// Runs a `s3:ReplicateObject` check.
pub fn run(world: &mut World, check: &Check, trace: bool) -> CheckResult {
    let CheckKind::Call { bucket, key, .. } = &check.kind else {
        return failed_to_run(check, "not a call check".to_string());
    };
    let mut steps = Vec::new();
    let mut notes = Notes::new(trace);
    let result = replicate(world, check, bucket, key, &mut steps, &mut notes, trace);
    let error = match result {
        Err(e) => Some(e),
        Ok((destination, replica)) => {
            if let Some(b) = world.buckets.iter_mut().find(|b| b.name == destination) {
                b.objects.retain(|o| o.key != replica.key);
                b.objects.push(replica);
            }
            None
        }
    };
    finish(check, steps, error, notes.items)
}

/// The step that fails a replication, with its failure reason.
fn fail_with<T>(steps: &mut [StepResult], reason: &str) -> Result<T, ClientError> {
    let step = steps.last_mut();
    let why = step
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_else(|| "the step failed".to_string());
    let e = step
        .as_ref()
        .and_then(|s| s.error.clone())
        .filter(|e| e.code.starts_with("KMS."))
        .map(|e| failure(reason, e.message))
        .unwrap_or_else(|| failure(reason, why));
    Err(e)
}

fn step_failed(step: &StepResult) -> bool {
    !step.allowed || step.error.is_some()
}

/// Performs the replication's steps; on success returns the destination bucket and the replica.
fn replicate(
    world: &mut World,
    check: &Check,
    bucket_name: &str,
    key: &str,
    steps: &mut Vec<StepResult>,
    notes: &mut Notes,
    trace: bool,
) -> Result<(String, StoredObject), ClientError> {
    let Some(source) = world.bucket(bucket_name).cloned() else {
        return Err(failure(
            "SrcBucketNotFound",
            format!("no bucket {bucket_name}"),
        ));
    };
    let Some(config) = source.replication.clone() else {
        return Err(failure(
            "SrcBucketReplicationConfigMissing",
            format!("bucket {bucket_name} has no replication configuration"),
        ));
    };
    let Some(object) = source.objects.iter().find(|o| o.key == key).cloned() else {
        return Err(failure("SrcVersionNotFound", format!("{bucket_name}/{key} does not exist (upload it in an earlier check or list it under objects)")));
    };
    if object.replica {
        return Err(skipped(format!(
            "{bucket_name}/{key} is itself a replica, and replicas are not replicated again"
        )));
    }
    let Some(rule) = config
        .rules
        .iter()
        .find(|r| key.starts_with(&r.prefix))
        .cloned()
    else {
        return Err(skipped(format!(
            "no rule of the replication configuration matches the key {key}"
        )));
    };
    notes.add(|| {
        format!(
            "rule {} replicates {bucket_name}/{key} to {}",
            rule.id, rule.destination_bucket
        )
    });
    let source_kms = object.encryption.is_kms();
    if source_kms && !rule.replicate_kms_encrypted {
        return Err(skipped(format!(
            "{bucket_name}/{key} is SSE-KMS encrypted, and rule {} does not enable SseKmsEncryptedObjects",
            rule.id
        )));
    }
    let Some(dest) = world.bucket(&rule.destination_bucket).cloned() else {
        return Err(failure(
            "DstBucketNotFound",
            format!("no bucket {}", rule.destination_bucket),
        ));
    };
    if !dest.versioning {
        return Err(failure(
            "DstBucketUnversioned",
            format!("versioning is not enabled on {}", dest.name),
        ));
    }

    // 1. S3 assumes the replication role.
    let s3_service =
        Caller::parse("s3.amazonaws.com").map_err(|e| failure("AssumeRoleNotPermitted", e))?;
    // A service acting for a resource carries that resource in aws:SourceArn and its account in
    // aws:SourceAccount (the confused-deputy conditions trust policies test).
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
    let mut assume_ctx = world.base_context(
        &s3_service,
        "sts:AssumeRole",
        &config.role,
        World::account_of(&config.role).as_deref(),
        None,
    );
    assume_ctx.set("aws:SourceArn", source.arn());
    assume_ctx.set("aws:SourceAccount", source.account.as_str());
    apply_overrides(&mut assume_ctx, &check.context);
    let assume = authorize_step(
        world,
        StepInput {
            title: &|| {
                format!(
                    "S3 (s3.amazonaws.com) assumes the replication role {}",
                    config.role
                )
            },
            caller: &s3_service,
            action: "sts:AssumeRole",
            resource: &config.role,
            resource_account: None,
            context: assume_ctx,
            session_policy: None,
            endpoint: None,
            notes: Vec::new(),
        },
        trace,
    );
    let failed = step_failed(&assume);
    steps.push(assume);
    if failed {
        return fail_with(steps, "AssumeRoleNotPermitted");
    }
    let role = world
        .caller(&config.role)
        .map_err(|e| failure("AssumeRoleNotPermitted", e))?;
    let src_arn = format!("arn:aws:s3:::{bucket_name}/{key}");
    let dst_arn = format!("arn:aws:s3:::{}/{key}", dest.name);

    // 2. The role reads the source version.
    let no_headers = Headers(&[]);
    let read = s3_step(
        world,
        check,
        &role,
        "s3:GetObjectVersionForReplication",
        &source,
        &src_arn,
        &no_headers,
        None,
        &object.tags,
        &|| "the replication role reads the source version".to_string(),
        trace,
    );
    let failed = step_failed(&read);
    steps.push(read);
    if failed {
        return fail_with(steps, "SrcGetObjectNotPermitted");
    }
    let mut replicate_tags = !object.tags.is_empty();
    if replicate_tags {
        let mut tags = s3_step(
            world,
            check,
            &role,
            "s3:GetObjectVersionTagging",
            &source,
            &src_arn,
            &no_headers,
            None,
            &object.tags,
            &|| "the replication role reads the source version's tags".to_string(),
            trace,
        );
        tags.optional = true;
        if step_failed(&tags) {
            replicate_tags = false;
            notes.add(|| {
                "the role may not read the tags: the object replicates without them".to_string()
            });
        }
        steps.push(tags);
    }
    if source_kms {
        let key_arn = object.encryption.kms_key.clone().unwrap_or_default();
        let context_arn = if object.encryption.bucket_key {
            source.arn()
        } else {
            src_arn.clone()
        };
        let step = kms_step(
            world,
            check,
            KmsRequest {
                caller: &role,
                operation: "Decrypt",
                key_arn: &key_arn,
                region: &source.region,
                context_arn: &context_arn,
                extra_context: &object.encryption_context,
                title: &|| format!("KMS: the role decrypts the source version with {key_arn}"),
            },
            trace,
        );
        let state = step
            .error
            .as_ref()
            .is_some_and(|e| e.code.starts_with("KMS."));
        let failed = step_failed(&step);
        steps.push(step);
        if failed {
            return fail_with(
                steps,
                if state {
                    "SrcKmsKeyInvalidState"
                } else {
                    "SrcGetObjectNotPermitted"
                },
            );
        }
    }

    // 3. Which key encrypts the replica.
    let (replica_encryption, replica_operation) = if source_kms {
        let Some(reference) = rule.replica_kms_key.clone() else {
            return Err(failure(
                "DstKmsKeyNotFound",
                format!(
                    "rule {} replicates SSE-KMS objects but names no ReplicaKmsKeyID",
                    rule.id
                ),
            ));
        };
        let arn = match kms::resolve(world, &reference, &dest.account, &dest.region) {
            Ok(a) => a,
            Err(e) => {
                return Err(failure(
                    "DstKmsKeyNotFound",
                    format!("the replica key {reference}: {}", e.message),
                ))
            }
        };
        if let Some(k) = world.key(&arn) {
            if let Some(e) = kms::state_error(k) {
                return Err(failure("DstKmsKeyInvalidState", e.message));
            }
            if k.account != dest.account {
                notes.add(|| format!(
                    "the replica key {arn} belongs to account {}, not to the destination's owner {}: the destination account can read the replicas only if that key's policy lets it decrypt",
                    k.account, dest.account
                ));
            }
        }
        (
            Encryption {
                algorithm: "aws:kms".to_string(),
                kms_key: Some(arn),
                bucket_key: dest.default_encryption.bucket_key,
            },
            Some("Encrypt"),
        )
    } else if dest.default_encryption.is_kms() {
        let arn = match &dest.default_encryption.kms_key {
            Some(reference) => kms::resolve(world, reference, &dest.account, &dest.region)
                .map_err(|e| failure("DstKmsKeyNotFound", e.message))?,
            None => kms::aws_s3_key(world, &dest.account, &dest.region),
        };
        (
            Encryption {
                algorithm: "aws:kms".to_string(),
                kms_key: Some(arn),
                bucket_key: dest.default_encryption.bucket_key,
            },
            Some("GenerateDataKey"),
        )
    } else {
        (object.encryption.clone(), None)
    };
    let world: &World = world;

    // 4. The role writes the replica into the destination bucket.
    let header_pairs: Vec<(String, String)> = match &replica_encryption.kms_key {
        Some(arn) => vec![
            (
                "x-amz-server-side-encryption".to_string(),
                "aws:kms".to_string(),
            ),
            (
                "x-amz-server-side-encryption-aws-kms-key-id".to_string(),
                arn.clone(),
            ),
        ],
        None => vec![(
            "x-amz-server-side-encryption".to_string(),
            replica_encryption.algorithm.clone(),
        )],
    };
    let replica_headers = Headers(&header_pairs);
    let write = s3_step(
        world,
        check,
        &role,
        "s3:ReplicateObject",
        &dest,
        &dst_arn,
        &replica_headers,
        replica_encryption.kms_key.as_deref(),
        &[],
        &|| format!("the replication role writes the replica into {}", dest.name),
        trace,
    );
    let failed = step_failed(&write);
    steps.push(write);
    if failed {
        return fail_with(steps, "DstPutObjectNotPermitted");
    }
    let enforced = dest.object_ownership == ObjectOwnership::BucketOwnerEnforced;
    if rule.owner_override && !enforced {
        let step = s3_step(
            world,
            check,
            &role,
            "s3:ObjectOwnerOverrideToBucketOwner",
            &dest,
            &dst_arn,
            &replica_headers,
            None,
            &[],
            &|| "owner override: the replica is to belong to the destination's owner".to_string(),
            trace,
        );
        let failed = step_failed(&step);
        steps.push(step);
        if failed {
            return fail_with(steps, "DstPutObjectNotPermitted");
        }
    } else if rule.owner_override {
        notes.add(|| format!("{} is BucketOwnerEnforced: its owner owns the replica anyway, so s3:ObjectOwnerOverrideToBucketOwner is not checked", dest.name));
    }
    if replicate_tags {
        let mut step = s3_step(
            world,
            check,
            &role,
            "s3:ReplicateTags",
            &dest,
            &dst_arn,
            &replica_headers,
            None,
            &[],
            &|| "the replication role writes the replica's tags".to_string(),
            trace,
        );
        step.optional = true;
        if step_failed(&step) {
            replicate_tags = false;
            notes.add(|| "s3:ReplicateTags is not allowed: the replica is written without tags (DstPutTaggingNotPermitted)".to_string());
        }
        steps.push(step);
    }
    if let (Some(op), Some(arn)) = (replica_operation, replica_encryption.kms_key.as_deref()) {
        let context_arn = if replica_encryption.bucket_key {
            dest.arn()
        } else {
            dst_arn.clone()
        };
        let mut ops = vec![op];
        if replica_encryption.bucket_key {
            // With an S3 Bucket Key at the destination S3 also decrypts the bucket-level key.
            ops.push("Decrypt");
        }
        for op in ops {
            let step = kms_step(
                world,
                check,
                KmsRequest {
                    caller: &role,
                    operation: op,
                    key_arn: arn,
                    region: &dest.region,
                    context_arn: &context_arn,
                    extra_context: &object.encryption_context,
                    title: &|| format!("KMS: the role encrypts the replica with {arn} (kms:{op})"),
                },
                trace,
            );
            let state = step
                .error
                .as_ref()
                .is_some_and(|e| e.code.starts_with("KMS."));
            let failed = step_failed(&step);
            steps.push(step);
            if failed {
                return fail_with(
                    steps,
                    if state {
                        "DstKmsKeyInvalidState"
                    } else {
                        "DstPutObjectNotPermitted"
                    },
                );
            }
        }
    }

    // 5. The replica exists.
    let owner = if enforced || rule.owner_override {
        dest.account.clone()
    } else {
        object.owner.clone()
    };
    notes.add(|| format!(
        "replication status: COMPLETED on the source, REPLICA on {dst_arn} (owned by {owner}, encrypted with {})",
        replica_encryption.kms_key.as_deref().unwrap_or(&replica_encryption.algorithm)
    ));
    // Without owner override the replica keeps the source's ACL; with it, S3 drops the ACL
    // and the destination owner has full control.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html
    let acl = if rule.owner_override {
        Default::default()
    } else {
        object.acl.clone()
    };
    let mut replica = StoredObject::new(
        &dest.name,
        &dest.account,
        key,
        replica_encryption,
        owner,
        acl,
    );
    if replicate_tags {
        replica.tags = object.tags.clone();
    }
    replica.encryption_context = object.encryption_context.clone();
    replica.replica = true;
    Ok((dest.name.clone(), replica))
}
