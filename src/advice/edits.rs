//! Edits of a scenario file, in the file's own terms: a statement added to or removed from a
//! policy, a condition removed, a request header sent, a grant added, a replication rule's
//! replica key changed. Each applies to the scenario's JSON document.

use serde_json::{json, Map, Value};

/// A policy of the scenario, by where it sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyTarget {
    /// An identity policy of a user or role, by name; `None` adds a new policy.
    Identity {
        principal: String,
        policy: Option<String>,
    },
    /// An identity policy of a group.
    GroupPolicy {
        group: String,
        policy: String,
    },
    Boundary {
        principal: String,
    },
    Trust {
        role: String,
    },
    Bucket {
        bucket: String,
    },
    AccessPoint {
        arn: String,
    },
    Key {
        key: String,
    },
    Resource {
        arn: String,
    },
    Endpoint {
        id: String,
    },
    /// An SCP or RCP attached to a unit or account of the organization, by name.
    Organization {
        kind: &'static str,
        policy: String,
    },
    /// The session policy a check gives.
    SessionPolicy {
        check: String,
    },
}

impl PolicyTarget {
    /// How the edit names the policy.
    pub fn describe(&self) -> String {
        match self {
            PolicyTarget::Identity {
                principal,
                policy: Some(p),
            } => format!("the identity policy {p:?} of {principal}"),
            PolicyTarget::Identity {
                principal,
                policy: None,
            } => format!("a new identity policy of {principal}"),
            PolicyTarget::GroupPolicy { group, policy } => {
                format!("the policy {policy:?} of group {group}")
            }
            PolicyTarget::Boundary { principal } => {
                format!("the permissions boundary of {principal}")
            }
            PolicyTarget::Trust { role } => format!("the trust policy of {role}"),
            PolicyTarget::Bucket { bucket } => format!("the bucket policy of {bucket}"),
            PolicyTarget::AccessPoint { arn } => format!("the access point policy of {arn}"),
            PolicyTarget::Key { key } => format!("the key policy of {key}"),
            PolicyTarget::Resource { arn } => format!("the resource policy of {arn}"),
            PolicyTarget::Endpoint { id } => format!("the policy of VPC endpoint {id}"),
            PolicyTarget::Organization { kind, policy } => format!("the {kind} {policy:?}"),
            PolicyTarget::SessionPolicy { check } => {
                format!("the session policy of check {check:?}")
            }
        }
    }
}

/// One change to a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    AddStatement {
        target: PolicyTarget,
        statement: Value,
    },
    RemoveStatement {
        target: PolicyTarget,
        index: usize,
        label: String,
    },
    RemoveCondition {
        target: PolicyTarget,
        index: usize,
        label: String,
        operator: String,
        key: String,
    },
    /// Send (or change) a request header on a check's call.
    SetHeader {
        check: String,
        header: String,
        value: String,
    },
    AddGrant {
        key: String,
        grant: Value,
    },
    /// Encrypt a replication rule's replicas with another key.
    SetReplicaKey {
        bucket: String,
        rule: usize,
        key: String,
    },
}

impl Edit {
    /// The edit in words.
    pub fn describe(&self) -> String {
        match self {
            Edit::AddStatement { target, statement } => format!(
                "add to {}: {}",
                target.describe(),
                serde_json::to_string(statement).unwrap_or_default()
            ),
            Edit::RemoveStatement { target, label, .. } => {
                format!("remove statement {label} from {}", target.describe())
            }
            Edit::RemoveCondition {
                target,
                label,
                operator,
                key,
                ..
            } => format!(
                "remove the condition {operator} {key} from statement {label} of {}",
                target.describe()
            ),
            Edit::SetHeader {
                check,
                header,
                value,
            } => format!("send the header {header}: {value} in check {check:?}"),
            Edit::AddGrant { key, grant } => format!(
                "add a grant to {key}: {}",
                serde_json::to_string(grant).unwrap_or_default()
            ),
            Edit::SetReplicaKey { bucket, rule, key } => format!(
                "encrypt the replicas of bucket {bucket}'s replication rule {rule} with {key}"
            ),
        }
    }

    /// How much access the edit's own text reaches: 0 for a request change, more for each
    /// wildcard in an added statement's principal, action or resource, and for removing a
    /// statement or condition (it may reach anything the statement names).
    pub fn breadth(&self) -> u32 {
        let wild = |v: &Value| -> u32 {
            let text = v.to_string();
            text.matches('*').count() as u32
        };
        match self {
            Edit::SetHeader { .. } | Edit::SetReplicaKey { .. } => 0,
            Edit::AddGrant { .. } => 1,
            Edit::AddStatement { statement, .. } => {
                1 + wild(&statement["Action"])
                    + wild(&statement["Resource"])
                    + wild(&statement["Principal"])
            }
            Edit::RemoveCondition { .. } => 8,
            Edit::RemoveStatement { .. } => 16,
        }
    }

    /// Applies the edit to a scenario document.
    pub fn apply(&self, doc: &mut Value) -> Result<(), String> {
        match self {
            Edit::AddStatement { target, statement } => {
                let statements = statements_of(doc, target, true)?;
                statements.push(statement.clone());
                Ok(())
            }
            Edit::RemoveStatement { target, index, .. } => {
                let statements = statements_of(doc, target, false)?;
                if *index >= statements.len() {
                    return Err(format!("{} has no statement {index}", target.describe()));
                }
                statements.remove(*index);
                Ok(())
            }
            Edit::RemoveCondition {
                target,
                index,
                operator,
                key,
                ..
            } => {
                let statements = statements_of(doc, target, false)?;
                let statement = statements
                    .get_mut(*index)
                    .ok_or_else(|| format!("{} has no statement {index}", target.describe()))?;
                let condition = statement
                    .get_mut("Condition")
                    .and_then(Value::as_object_mut)
                    .ok_or("the statement has no Condition")?;
                let block = condition
                    .iter_mut()
                    .find(|(op, _)| op.eq_ignore_ascii_case(operator))
                    .map(|(_, v)| v)
                    .and_then(Value::as_object_mut)
                    .ok_or("the statement has no such operator")?;
                let found = block.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
                block.remove(&found.ok_or("the operator tests no such key")?);
                if block.is_empty() {
                    let op = condition
                        .keys()
                        .find(|o| o.eq_ignore_ascii_case(operator))
                        .cloned();
                    if let Some(op) = op {
                        condition.remove(&op);
                    }
                }
                if condition.is_empty() {
                    if let Some(s) = statement.as_object_mut() {
                        s.remove("Condition");
                    }
                }
                Ok(())
            }
            Edit::SetHeader {
                check,
                header,
                value,
            } => {
                let c = find_mut(doc, "checks", "name", check)?;
                let headers = c
                    .as_object_mut()
                    .ok_or("a check is an object")?
                    .entry("headers")
                    .or_insert_with(|| json!({}));
                headers[header.as_str()] = json!(value);
                Ok(())
            }
            Edit::AddGrant { key, grant } => {
                let k = find_mut(doc, "keys", "arn", key)?;
                let grants = k
                    .as_object_mut()
                    .ok_or("a key is an object")?
                    .entry("grants")
                    .or_insert_with(|| json!([]));
                grants
                    .as_array_mut()
                    .ok_or("grants is an array")?
                    .push(grant.clone());
                Ok(())
            }
            Edit::SetReplicaKey { bucket, rule, key } => {
                let b = find_mut(doc, "buckets", "name", bucket)?;
                let r = b
                    .pointer_mut(&format!("/replication/rules/{rule}"))
                    .ok_or("no such replication rule")?;
                r["replica_kms_key"] = json!(key);
                Ok(())
            }
        }
    }
}

/// The statements of a target's policy (normalized), when it has one.
pub(super) fn statements<'d>(
    doc: &'d mut Value,
    target: &PolicyTarget,
) -> Option<&'d mut Vec<Value>> {
    statements_of(doc, target, false).ok()
}

/// A target's policy document, once [`statements`] has normalized it in `doc`.
pub(super) fn document(doc: &Value, target: &PolicyTarget) -> Option<Value> {
    let mut copy = doc.clone();
    policy_of(&mut copy, target, false).ok().cloned()
}

/// The entry of a top-level list whose `field` is `value`.
fn find_mut<'d>(
    doc: &'d mut Value,
    list: &str,
    field: &str,
    value: &str,
) -> Result<&'d mut Value, String> {
    doc.get_mut(list)
        .and_then(Value::as_array_mut)
        .and_then(|items| items.iter_mut().find(|i| i[field] == value))
        .ok_or_else(|| format!("no {list} entry with {field} {value:?}"))
}

/// A named policy in a `{"name", "document"}` list.
fn named<'d>(list: &'d mut Value, name: &str) -> Option<&'d mut Value> {
    list.as_array_mut()?
        .iter_mut()
        .find(|p| p["name"] == name)
        .map(|p| &mut p["document"])
}

/// The statements array of a target's policy, the document normalized to an object with a
/// `Statement` array (a JSON string or an AWS CLI wrapper is replaced by the document it holds).
/// With `create`, a missing policy is created empty.
fn statements_of<'d>(
    doc: &'d mut Value,
    target: &PolicyTarget,
    create: bool,
) -> Result<&'d mut Vec<Value>, String> {
    policy_of(doc, target, create)?["Statement"]
        .as_array_mut()
        .ok_or_else(|| "the policy has no Statement array".to_string())
}

/// A target's policy document in `doc`, normalized (see [`statements_of`]).
fn policy_of<'d>(
    doc: &'d mut Value,
    target: &PolicyTarget,
    create: bool,
) -> Result<&'d mut Value, String> {
    let slot: &mut Value = match target {
        PolicyTarget::Identity { principal, policy } => {
            let p = principal_entry(doc, principal, create)?;
            let policies = p
                .as_object_mut()
                .ok_or("a principal is an object")?
                .entry("policies")
                .or_insert_with(|| json!([]));
            let name = policy.clone().unwrap_or_else(|| "iamsim-fix".to_string());
            if named(policies, &name).is_none() {
                if !create {
                    return Err(format!("{principal} has no policy {name:?}"));
                }
                policies.as_array_mut().ok_or("policies is an array")?.push(
                    json!({"name": name, "document": {"Version": "2012-10-17", "Statement": []}}),
                );
            }
            named(policies, &name).ok_or("the policy was just added")?
        }
        PolicyTarget::GroupPolicy { group, policy } => {
            let g = find_mut(doc, "groups", "name", group)?;
            named(&mut g["policies"], policy)
                .ok_or_else(|| format!("group {group} has no policy {policy:?}"))?
        }
        PolicyTarget::Boundary { principal } => {
            let p = principal_entry(doc, principal, false)?;
            let b = p
                .get_mut("permissions_boundary")
                .ok_or_else(|| format!("{principal} has no permissions boundary"))?;
            if b.get("document").is_some() {
                &mut b["document"]
            } else {
                b
            }
        }
        PolicyTarget::Trust { role } => {
            let p = principal_entry(doc, role, false)?;
            policy_slot(p, "trust_policy", create)?
        }
        PolicyTarget::Bucket { bucket } => {
            let b = find_mut(doc, "buckets", "name", bucket)?;
            policy_slot(b, "policy", create)?
        }
        PolicyTarget::AccessPoint { arn } => {
            let name = arn.rsplit('/').next().unwrap_or_default().to_string();
            let ap = doc
                .get_mut("buckets")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .flat_map(|b| {
                    b.get_mut("access_points")
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                })
                .find(|a| a["name"] == name.as_str())
                .ok_or_else(|| format!("no access point {arn}"))?;
            policy_slot(ap, "policy", create)?
        }
        PolicyTarget::Key { key } => {
            let k = find_mut(doc, "keys", "arn", key)?;
            if k.get("policy").is_none() {
                // The default key policy, written out, so that a statement can join it.
                let account = key.split(':').nth(4).unwrap_or_default();
                k["policy"] = json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "Enable IAM User Permissions", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                    "Action": "kms:*", "Resource": "*"}]});
            }
            &mut k["policy"]
        }
        PolicyTarget::Resource { arn } => {
            let r = find_mut(doc, "resources", "arn", arn)?;
            &mut r["policy"]
        }
        PolicyTarget::Endpoint { id } => {
            let e = find_mut(doc, "vpc_endpoints", "id", id)?;
            policy_slot(e, "policy", create)?
        }
        PolicyTarget::Organization { kind, policy } => {
            let field = if *kind == "SCP" { "scps" } else { "rcps" };
            let org = doc.get_mut("organization").ok_or("no organization")?;
            // Where the policy is attached: the first unit or account that lists it.
            let mut place = None;
            for list in ["units", "accounts"] {
                let items = org.get(list).and_then(Value::as_array);
                if let Some(i) = items.and_then(|items| {
                    items.iter().position(|item| {
                        item[field]
                            .as_array()
                            .is_some_and(|ps| ps.iter().any(|p| p["name"] == policy.as_str()))
                    })
                }) {
                    place = Some((list, i));
                    break;
                }
            }
            let (list, i) = place.ok_or_else(|| format!("no {kind} {policy:?}"))?;
            named(&mut org[list][i][field], policy).ok_or("the policy was just found")?
        }
        PolicyTarget::SessionPolicy { check } => {
            let c = find_mut(doc, "checks", "name", check)?;
            policy_slot(c, "session_policy", create)?
        }
    };
    normalize(slot)?;
    Ok(slot)
}

/// The principal entry of an ARN; with `create`, a new user or role when it is not declared.
fn principal_entry<'d>(
    doc: &'d mut Value,
    arn: &str,
    create: bool,
) -> Result<&'d mut Value, String> {
    let exists = doc
        .get("principals")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["arn"] == arn));
    if !exists {
        if !create {
            return Err(format!("{arn} is not declared in principals"));
        }
        let object = doc.as_object_mut().ok_or("a scenario is an object")?;
        object
            .entry("principals")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or("principals is an array")?
            .push(json!({"arn": arn, "policies": []}));
    }
    find_mut(doc, "principals", "arn", arn)
}

/// A policy field of an object, created empty when `create` and absent.
fn policy_slot<'d>(
    object: &'d mut Value,
    field: &str,
    create: bool,
) -> Result<&'d mut Value, String> {
    if object.get(field).is_none() {
        if !create {
            return Err(format!("no {field}"));
        }
        object[field] = json!({"Version": "2012-10-17", "Statement": []});
    }
    Ok(&mut object[field])
}

/// Turns a policy value into a document object with a `Statement` array.
fn normalize(slot: &mut Value) -> Result<(), String> {
    if let Value::String(text) = slot {
        let parsed: Value = serde_json::from_str(text)
            .map_err(|e| format!("the policy string is not JSON: {e}"))?;
        *slot = parsed;
    }
    // The AWS CLI's wrappers.
    for path in [
        "/PolicyVersion/Document",
        "/PolicyDocument",
        "/Policy/Content",
    ] {
        if let Some(inner) = slot.pointer(path).cloned() {
            *slot = inner;
            return normalize(slot);
        }
    }
    if let Some(Value::String(_)) = slot.get("Policy") {
        let inner = slot["Policy"].clone();
        *slot = inner;
        return normalize(slot);
    }
    let object = slot.as_object_mut().ok_or("a policy is an object")?;
    match object.get("Statement") {
        Some(Value::Array(_)) => {}
        Some(single) => {
            let single = single.clone();
            object.insert("Statement".to_string(), json!([single]));
        }
        None => {
            object.insert("Statement".to_string(), json!([]));
        }
    }
    if !object.contains_key("Version") {
        let mut ordered = Map::new();
        ordered.insert("Version".to_string(), json!("2012-10-17"));
        ordered.extend(std::mem::take(object));
        *object = ordered;
    }
    Ok(())
}
