//! Buckets from `aws s3api list-buckets` and, per bucket, `get-bucket-policy`,
//! `get-bucket-encryption`, `get-public-access-block`, `get-bucket-replication`,
//! `get-bucket-versioning` and `get-bucket-ownership-controls`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::inputs::{ImportError, Inputs};
use super::{document, text, Collected};

pub(super) fn import(
    inputs: &Inputs,
    account: &str,
    region: &str,
    out: &mut Collected,
    errors: &mut Vec<ImportError>,
) {
    // The buckets: those list-buckets names, and those with outputs of their own.
    let mut names: BTreeSet<String> = BTreeSet::new();
    if let Some((list, _)) = inputs.read_with("s3api/list-buckets.json", "Buckets", errors) {
        for b in list["Buckets"].as_array().into_iter().flatten() {
            if let Some(name) = text(b, "Name") {
                names.insert(name.to_string());
            }
        }
    }
    for name in inputs.names_under("s3api/") {
        let parts: Vec<&str> = name.split('/').collect();
        if let [_, bucket, _] = parts.as_slice() {
            names.insert(bucket.to_string());
        }
    }
    for name in names {
        if let Some(bucket) = bucket(inputs, &name, account, region, out, errors) {
            out.buckets.push(bucket);
        }
    }
}

fn bucket(
    inputs: &Inputs,
    name: &str,
    account: &str,
    region: &str,
    out: &mut Collected,
    errors: &mut Vec<ImportError>,
) -> Option<Value> {
    let file = |command: &str| format!("s3api/{name}/{command}.json");
    let mut bucket = json!({ "name": name, "account": account, "region": region });
    let mut missing = Vec::new();

    match inputs.read_with(&file("get-bucket-policy"), "Policy", errors) {
        Some((v, shown)) => match document(&v["Policy"], &shown, "the bucket policy") {
            Ok(doc) => bucket["policy"] = doc,
            Err(e) => errors.push(e),
        },
        None => missing.push("bucket policy (none assumed)"),
    }

    match inputs.read_with(
        &file("get-bucket-encryption"),
        "ServerSideEncryptionConfiguration",
        errors,
    ) {
        Some((v, _)) => {
            let rule = &v["ServerSideEncryptionConfiguration"]["Rules"][0];
            let default = &rule["ApplyServerSideEncryptionByDefault"];
            let mut encryption = json!({
                "algorithm": default["SSEAlgorithm"].as_str().unwrap_or("AES256"),
            });
            if let Some(key) = text(default, "KMSMasterKeyID") {
                encryption["kms_key"] = json!(key);
            }
            if rule["BucketKeyEnabled"].as_bool() == Some(true) {
                encryption["bucket_key"] = json!(true);
            }
            bucket["default_encryption"] = encryption;
        }
        None => missing.push("default encryption (SSE-S3 assumed, S3's default)"),
    }

    match inputs.read_with(
        &file("get-public-access-block"),
        "PublicAccessBlockConfiguration",
        errors,
    ) {
        Some((v, _)) => {
            let c = &v["PublicAccessBlockConfiguration"];
            let flag = |k: &str| c[k].as_bool().unwrap_or(false);
            bucket["public_access_block"] = json!({
                "block_public_acls": flag("BlockPublicAcls"),
                "ignore_public_acls": flag("IgnorePublicAcls"),
                "block_public_policy": flag("BlockPublicPolicy"),
                "restrict_public_buckets": flag("RestrictPublicBuckets"),
            });
        }
        None => missing.push("Block Public Access (all off assumed)"),
    }

    let versioning = inputs.read(&file("get-bucket-versioning"), errors);
    match &versioning {
        Some((v, _)) => bucket["versioning"] = json!(text(v, "Status") == Some("Enabled")),
        None => missing.push("versioning (off assumed)"),
    }

    match inputs.read_with(
        &file("get-bucket-ownership-controls"),
        "OwnershipControls",
        errors,
    ) {
        Some((v, _)) => {
            if let Some(o) = text(&v["OwnershipControls"]["Rules"][0], "ObjectOwnership") {
                bucket["object_ownership"] = json!(o);
            }
        }
        None => missing.push("Object Ownership (BucketOwnerEnforced assumed, S3's default)"),
    }

    if let Some((v, _)) = inputs.read_with(
        &file("get-bucket-replication"),
        "ReplicationConfiguration",
        errors,
    ) {
        bucket["replication"] = replication(&v["ReplicationConfiguration"], out, name);
    }

    if !missing.is_empty() {
        out.gaps.push(format!(
            "bucket {name}: no output for its {}",
            missing.join(", ")
        ));
    }
    Some(bucket)
}

/// A replication configuration as the scenario writes it.
fn replication(config: &Value, out: &mut Collected, bucket: &str) -> Value {
    let rules: Vec<Value> = config["Rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| text(r, "Status") != Some("Disabled"))
        .map(|r| {
            let destination = &r["Destination"];
            let prefix = text(&r["Filter"], "Prefix")
                .or_else(|| text(r, "Prefix"))
                .unwrap_or("");
            let mut rule = json!({
                "id": text(r, "ID").unwrap_or("rule"),
                "prefix": prefix,
                "destination_bucket": text(destination, "Bucket").unwrap_or_default(),
            });
            if let Some(a) = text(destination, "Account") {
                rule["destination_account"] = json!(a);
            }
            if let Some(k) = text(&destination["EncryptionConfiguration"], "ReplicaKmsKeyID") {
                rule["replica_kms_key"] = json!(k);
            }
            let sse_kms = &r["SourceSelectionCriteria"]["SseKmsEncryptedObjects"];
            match text(sse_kms, "Status") {
                Some(status) => rule["replicate_kms_encrypted"] = json!(status == "Enabled"),
                None => out.gaps.push(format!(
                    "bucket {bucket}: replication rule {} has no SourceSelectionCriteria: SSE-KMS objects are not replicated",
                    text(r, "ID").unwrap_or("rule")
                )),
            }
            if text(&destination["AccessControlTranslation"], "Owner") == Some("Destination") {
                rule["owner_override"] = json!(true);
            }
            rule
        })
        .collect();
    json!({
        "role": text(config, "Role").unwrap_or_default(),
        "rules": rules,
    })
}
