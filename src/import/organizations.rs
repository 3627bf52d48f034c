//! The organization from `aws organizations` outputs: `describe-organization`, `list-roots`,
//! `list-organizational-units-for-parent-<parent>`, `list-accounts-for-parent-<parent>`,
//! `list-policies-for-target-<target>-<type>` and `describe-policy-<policy>`.

use serde_json::{json, Value};

use super::inputs::{ImportError, Inputs};
use super::{document, text, Collected};

const POLICY_TYPES: [(&str, &str); 2] = [
    ("SERVICE_CONTROL_POLICY", "scps"),
    ("RESOURCE_CONTROL_POLICY", "rcps"),
];

pub(super) fn import(inputs: &Inputs, out: &mut Collected, errors: &mut Vec<ImportError>) {
    let Some((org, _)) = inputs.read_with(
        "organizations/describe-organization.json",
        "Organization",
        errors,
    ) else {
        if inputs.any_under("organizations/") {
            out.gaps.push(
                "organization: describe-organization was not given, so no organization is imported"
                    .to_string(),
            );
        }
        return;
    };
    let Some((roots, _)) = inputs.read_with("organizations/list-roots.json", "Roots", errors)
    else {
        out.gaps.push(
            "organization: list-roots was not given, so its tree is not imported".to_string(),
        );
        return;
    };
    let mut units = Vec::new();
    let mut accounts = Vec::new();
    let mut pending: Vec<(String, Option<String>)> = roots["Roots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((text(r, "Id")?.to_string(), None)))
        .collect();
    while let Some((id, parent)) = pending.pop() {
        let mut unit = json!({ "id": id });
        if let Some(p) = &parent {
            unit["parent"] = json!(p);
        }
        attach(inputs, &id, &mut unit, out, errors);
        units.push(unit);
        let children = format!("organizations/list-organizational-units-for-parent-{id}.json");
        if let Some((v, _)) = inputs.read_with(&children, "OrganizationalUnits", errors) {
            for child in v["OrganizationalUnits"].as_array().into_iter().flatten() {
                if let Some(child_id) = text(child, "Id") {
                    pending.push((child_id.to_string(), Some(id.clone())));
                }
            }
        }
        let members = format!("organizations/list-accounts-for-parent-{id}.json");
        match inputs.read_with(&members, "Accounts", errors) {
            Some((v, _)) => {
                for account in v["Accounts"].as_array().into_iter().flatten() {
                    if let Some(account_id) = text(account, "Id") {
                        let mut entry = json!({ "id": account_id, "unit": id });
                        attach(inputs, account_id, &mut entry, out, errors);
                        accounts.push(entry);
                    }
                }
            }
            None => out.gaps.push(format!(
                "organization: no list-accounts-for-parent-{id} output: the accounts directly under {id} are not imported"
            )),
        }
    }
    // The walk records a unit before its children, as the scenario format wants them.
    let organization = &org["Organization"];
    let mut result = json!({
        "units": units,
        "accounts": accounts,
    });
    if let Some(id) = text(organization, "Id") {
        result["id"] = json!(id);
    }
    if let Some(m) =
        text(organization, "MasterAccountId").or_else(|| text(organization, "ManagementAccountId"))
    {
        result["management_account"] = json!(m);
    }
    out.organization = Some(result);
}

/// The SCPs and RCPs attached to a root, unit or account.
fn attach(
    inputs: &Inputs,
    target: &str,
    entry: &mut Value,
    out: &mut Collected,
    errors: &mut Vec<ImportError>,
) {
    for (kind, field) in POLICY_TYPES {
        let name = format!("organizations/list-policies-for-target-{target}-{kind}.json");
        let Some((v, _)) = inputs.read_with(&name, "Policies", errors) else {
            if kind == "SERVICE_CONTROL_POLICY" {
                out.gaps.push(format!(
                    "organization: no {name}: the SCPs attached to {target} are not imported"
                ));
            }
            continue;
        };
        let mut policies = Vec::new();
        for summary in v["Policies"].as_array().into_iter().flatten() {
            let (Some(id), Some(policy_name)) = (text(summary, "Id"), text(summary, "Name")) else {
                continue;
            };
            let described = format!("organizations/describe-policy-{id}.json");
            match inputs.read_with(&described, "Policy", errors) {
                Some((p, shown)) => match document(&p["Policy"]["Content"], &shown, &format!("the policy {policy_name}")) {
                    Ok(doc) => policies.push(json!({ "name": policy_name, "document": doc })),
                    Err(e) => errors.push(e),
                },
                None => out.gaps.push(format!(
                    "organization: no {described}: the policy {policy_name} attached to {target} is left out"
                )),
            }
        }
        if !policies.is_empty() {
            entry[field] = Value::Array(policies);
        }
    }
}
