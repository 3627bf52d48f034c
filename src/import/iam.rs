//! IAM from `aws iam get-account-authorization-details`: users, groups and their members,
//! roles with their trust policies, inline and managed policies (each managed policy's default
//! version) and permissions boundaries; `get-role` adds a role's maximum session duration.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::inputs::{ImportError, Inputs};
use super::{document, text, Collected};

const DETAILS: &str = "iam/get-account-authorization-details.json";

/// The account of the IAM principals, when the details are given (their problems are
/// reported when they are imported).
pub(super) fn account(inputs: &Inputs) -> Option<String> {
    let (details, _) = inputs.read(DETAILS, &mut Vec::new())?;
    ["UserDetailList", "RoleDetailList", "GroupDetailList"]
        .iter()
        .flat_map(|list| {
            details
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|entry| text(entry, "Arn"))
        .find_map(|arn| {
            arn.split(':')
                .nth(4)
                .filter(|a| a.len() == 12)
                .map(str::to_string)
        })
}

/// Managed policies by ARN: name and default version's document.
type Managed = BTreeMap<String, (String, Value)>;

pub(super) fn import(inputs: &Inputs, out: &mut Collected, errors: &mut Vec<ImportError>) {
    let Some((details, file)) = inputs.read_with(DETAILS, "UserDetailList", errors) else {
        if inputs.any_under("iam/") {
            out.gaps.push(format!(
                "IAM: {DETAILS} was not given, so no user, group or role is imported"
            ));
        }
        return;
    };
    let before = errors.len();
    let managed = managed_policies(&details, &file, errors);
    let list = |key: &str| {
        details
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for user in list("UserDetailList") {
        let Some(arn) = text(&user, "Arn") else {
            continue;
        };
        for group in user
            .get("GroupList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(g) = group.as_str() {
                members
                    .entry(g.to_string())
                    .or_default()
                    .push(arn.to_string());
            }
        }
        let mut principal = json!({ "arn": arn });
        principal["policies"] = Value::Array(policies(
            &user,
            "UserPolicyList",
            &managed,
            &file,
            out,
            errors,
        ));
        boundary(&user, &mut principal, &managed, out);
        tags(&user, &mut principal);
        if let Some(id) = text(&user, "UserId") {
            principal["unique_id"] = json!(id);
        }
        out.principals.push(principal);
    }
    for role in list("RoleDetailList") {
        let Some(arn) = text(&role, "Arn") else {
            continue;
        };
        let mut principal = json!({ "arn": arn });
        principal["policies"] = Value::Array(policies(
            &role,
            "RolePolicyList",
            &managed,
            &file,
            out,
            errors,
        ));
        if let Some(trust) = role.get("AssumeRolePolicyDocument") {
            match document(trust, &file, &format!("the trust policy of {arn}")) {
                Ok(doc) => principal["trust_policy"] = doc,
                Err(e) => errors.push(e),
            }
        }
        boundary(&role, &mut principal, &managed, out);
        tags(&role, &mut principal);
        if let Some(id) = text(&role, "RoleId") {
            principal["unique_id"] = json!(id);
        }
        let name = text(&role, "RoleName").unwrap_or_default();
        match max_session_duration(inputs, name, errors) {
            Some(seconds) => principal["max_session_duration"] = json!(seconds),
            None => out.gaps.push(format!(
                "role {name}: its maximum session duration (iam/get-role-{name}.json): 3600 seconds is assumed"
            )),
        }
        out.principals.push(principal);
    }
    for group in list("GroupDetailList") {
        let (Some(name), Some(arn)) = (text(&group, "GroupName"), text(&group, "Arn")) else {
            continue;
        };
        let account = arn.split(':').nth(4).unwrap_or_default();
        let group_policies = policies(&group, "GroupPolicyList", &managed, &file, out, errors);
        out.groups.push(json!({
            "name": name,
            "account": account,
            "members": members.remove(name).unwrap_or_default(),
            "policies": group_policies,
        }));
    }
    if errors.len() > before {
        out.principals.clear();
        out.groups.clear();
    }
}

/// Each managed policy of the details, with its default version's document.
fn managed_policies(details: &Value, file: &str, errors: &mut Vec<ImportError>) -> Managed {
    let mut managed = Managed::new();
    for policy in details
        .get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(arn) = text(policy, "Arn") else {
            continue;
        };
        // The name, or the ARN's last element where the output leaves the name out.
        let name =
            text(policy, "PolicyName").unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        let default = text(policy, "DefaultVersionId");
        let version = policy
            .get("PolicyVersionList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|v| {
                v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true)
                    || (default.is_some() && text(v, "VersionId") == default)
            });
        if let Some(doc) = version.and_then(|v| v.get("Document")) {
            match document(doc, file, &format!("the default version of {arn}")) {
                Ok(doc) => {
                    managed.insert(arn.to_string(), (name.to_string(), doc));
                }
                Err(e) => errors.push(e),
            }
        }
    }
    managed
}

/// A principal's inline policies (under `inline_key`) and attached managed policies.
fn policies(
    entity: &Value,
    inline_key: &str,
    managed: &Managed,
    file: &str,
    out: &mut Collected,
    errors: &mut Vec<ImportError>,
) -> Vec<Value> {
    let mut policies = Vec::new();
    for inline in entity
        .get(inline_key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(inline, "PolicyName").unwrap_or("inline policy");
        if let Some(doc) = inline.get("PolicyDocument") {
            match document(doc, file, &format!("the inline policy {name}")) {
                Ok(doc) => policies.push(json!({ "name": name, "document": doc })),
                Err(e) => errors.push(e),
            }
        }
    }
    for attached in entity
        .get("AttachedManagedPolicies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(arn) = text(attached, "PolicyArn") else {
            continue;
        };
        match managed.get(arn) {
            Some((name, doc)) => policies.push(json!({ "name": name, "document": doc })),
            None => out.gaps.push(format!(
                "the managed policy {arn} is attached but its document is not in the details (an AWS managed policy?): it is left out"
            )),
        }
    }
    policies
}

fn boundary(entity: &Value, principal: &mut Value, managed: &Managed, out: &mut Collected) {
    let Some(arn) = entity
        .get("PermissionsBoundary")
        .and_then(|b| text(b, "PermissionsBoundaryArn"))
    else {
        return;
    };
    match managed.get(arn) {
        Some((name, doc)) => {
            principal["permissions_boundary"] = json!({ "name": name, "document": doc })
        }
        None => out.gaps.push(format!(
            "{}: the permissions boundary {arn} has no document in the details: it is left out",
            principal["arn"].as_str().unwrap_or_default()
        )),
    }
}

fn tags(entity: &Value, principal: &mut Value) {
    let tags: serde_json::Map<String, Value> = entity
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| Some((text(t, "Key")?.to_string(), json!(text(t, "Value")?))))
        .collect();
    if !tags.is_empty() {
        principal["tags"] = Value::Object(tags);
    }
}

/// `Role.MaxSessionDuration` from `iam/get-role-<name>.json`, when given.
fn max_session_duration(inputs: &Inputs, role: &str, errors: &mut Vec<ImportError>) -> Option<u64> {
    let (value, _) = inputs.read_with(&format!("iam/get-role-{role}.json"), "Role", errors)?;
    value.get("Role")?.get("MaxSessionDuration")?.as_u64()
}
