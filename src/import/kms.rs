//! KMS keys from `aws kms describe-key`, `get-key-policy` and `list-grants` (one folder per key,
//! named by its alias without `alias/`) and `list-aliases`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::inputs::{ImportError, Inputs};
use super::{document, text, Collected};

pub(super) fn import(inputs: &Inputs, out: &mut Collected, errors: &mut Vec<ImportError>) {
    // Aliases by target key id.
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some((list, _)) = inputs.read_with("kms/list-aliases.json", "Aliases", errors) {
        for a in list["Aliases"].as_array().into_iter().flatten() {
            if let (Some(name), Some(target)) = (text(a, "AliasName"), text(a, "TargetKeyId")) {
                aliases
                    .entry(target.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    let folders: Vec<String> = inputs
        .names_under("kms/")
        .filter_map(|n| {
            let parts: Vec<&str> = n.split('/').collect();
            match parts.as_slice() {
                [_, folder, _] => Some(folder.to_string()),
                _ => None,
            }
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for folder in folders {
        if let Some(key) = key(inputs, &folder, &aliases, out, errors) {
            out.keys.push(key);
        }
    }
}

fn key(
    inputs: &Inputs,
    folder: &str,
    aliases: &BTreeMap<String, Vec<String>>,
    out: &mut Collected,
    errors: &mut Vec<ImportError>,
) -> Option<Value> {
    let file = |command: &str| format!("kms/{folder}/{command}.json");
    let Some((described, _)) = inputs.read_with(&file("describe-key"), "KeyMetadata", errors)
    else {
        out.gaps.push(format!(
            "key folder kms/{folder}: no describe-key output, so the key is left out"
        ));
        return None;
    };
    let meta = &described["KeyMetadata"];
    let arn = text(meta, "Arn")?;
    let id = text(meta, "KeyId").unwrap_or_default();
    let mut key = json!({ "arn": arn });
    if let Some(names) = aliases.get(id) {
        key["aliases"] = json!(names);
    }
    if text(meta, "KeyManager") == Some("AWS") {
        key["manager"] = json!("AWS");
    }
    if let Some(state) = text(meta, "KeyState") {
        if state != "Enabled" {
            key["state"] = json!(state);
        }
    }
    match inputs.read_with(&file("get-key-policy"), "Policy", errors) {
        Some((v, shown)) => match document(&v["Policy"], &shown, "the key policy") {
            Ok(doc) => key["policy"] = doc,
            Err(e) => errors.push(e),
        },
        None => out.gaps.push(format!(
            "key {arn}: no get-key-policy output, so KMS's default key policy is assumed"
        )),
    }
    if let Some((v, _)) = inputs.read_with(&file("list-grants"), "Grants", errors) {
        let grants: Vec<Value> = v["Grants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| {
                let mut grant = json!({
                    "grantee": text(g, "GranteePrincipal")?,
                    "operations": g["Operations"].clone(),
                });
                if let Some(name) = text(g, "Name").or_else(|| text(g, "GrantId")) {
                    grant["id"] = json!(name);
                }
                let c = &g["Constraints"];
                if let Some(subset) = c.get("EncryptionContextSubset") {
                    grant["constraints"] = json!({ "encryption_context_subset": subset });
                } else if let Some(equals) = c.get("EncryptionContextEquals") {
                    grant["constraints"] = json!({ "encryption_context_equals": equals });
                }
                Some(grant)
            })
            .collect();
        if !grants.is_empty() {
            key["grants"] = Value::Array(grants);
        }
    } else {
        out.gaps.push(format!(
            "key {arn}: no list-grants output, so no grant is imported"
        ));
    }
    Some(key)
}
