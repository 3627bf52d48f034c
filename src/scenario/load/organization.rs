//! `organization`: the tree of organizational units, the member accounts and where each sits,
//! with the SCPs and RCPs attached at every level.

use std::collections::HashMap;
use std::sync::Arc;

use super::super::format;
use super::Loader;
use crate::engine::OrgLevel;
use crate::json::{JsonPath, Node};
use crate::policy::{Policy, PolicyType};
use crate::world::{AccountPlacement, Organization};

/// One organizational unit (the root included), as declared.
struct Unit {
    id: String,
    parent: Option<String>,
    scps: Vec<Arc<Policy>>,
    rcps: Vec<Arc<Policy>>,
}

/// The units declared so far, in order and by id.
#[derive(Default)]
struct Units {
    list: Vec<Unit>,
    by_id: rustc_hash::FxHashMap<String, usize>,
}

impl Units {
    fn get(&self, id: &str) -> Option<&Unit> {
        self.by_id.get(id).map(|&i| &self.list[i])
    }
}

impl Loader {
    pub(super) fn organization(&mut self, node: &Node, path: &JsonPath) -> Option<Organization> {
        let obj = self.r.object(node, path, &format::ORGANIZATION)?;
        let id = self.r.opt_str(obj, path, "id");
        let management_account = self.account(obj, path, "management_account", false);
        let mut units = Units::default();
        for (up, un) in self.r.opt_array(obj, path, "units") {
            if let Some(unit) = self.unit(un, &up, &units) {
                units
                    .by_id
                    .entry(unit.id.clone())
                    .or_insert(units.list.len());
                units.list.push(unit);
            }
        }
        let mut accounts = HashMap::new();
        for (ap, an) in self.r.opt_array(obj, path, "accounts") {
            if let Some((account, placement)) = self.member(an, &ap, &units, id.as_deref()) {
                accounts.insert(account, placement);
            }
        }
        // The management account belongs to the organization (for aws:PrincipalOrgID), but no
        // SCP or RCP applies to it.
        if let Some(m) = &management_account {
            accounts
                .entry(m.clone())
                .or_insert_with(|| AccountPlacement {
                    org_path: match (&id, units.list.first()) {
                        (Some(i), Some(root)) => format!("{i}/{}/", root.id),
                        _ => String::new(),
                    },
                    ..AccountPlacement::default()
                });
        }
        Some(Organization {
            id,
            management_account,
            accounts,
        })
    }

    /// A unit: its parent must be listed before it (units are listed root first).
    fn unit(&mut self, node: &Node, path: &JsonPath, earlier: &Units) -> Option<Unit> {
        let obj = self.r.object(node, path, &format::UNIT)?;
        let id = self.r.req_str(obj, path, "id")?;
        let parent = self.r.opt_str(obj, path, "parent");
        if let Some(parent) = &parent {
            if earlier.get(parent).is_none() {
                self.r.error(
                    &path.key("parent"),
                    node,
                    format!("unknown parent unit {parent:?} (units are listed root first)"),
                );
            }
        }
        Some(Unit {
            id,
            parent,
            scps: self.policies(obj, path, "scps", PolicyType::Scp),
            rcps: self.policies(obj, path, "rcps", PolicyType::Rcp),
        })
    }

    /// A member account and its place: the levels from the root down to the account, each with
    /// its SCPs and RCPs (an account without `unit` sits under the root).
    fn member(
        &mut self,
        node: &Node,
        path: &JsonPath,
        units: &Units,
        org_id: Option<&str>,
    ) -> Option<(String, AccountPlacement)> {
        let obj = self.r.object(node, path, &format::MEMBER)?;
        let account = self.account(obj, path, "id", true)?;
        let unit = self.r.opt_str(obj, path, "unit");
        let scps = self.policies(obj, path, "scps", PolicyType::Scp);
        let rcps = self.policies(obj, path, "rcps", PolicyType::Rcp);
        let mut chain: Vec<&Unit> = Vec::new();
        let mut at = unit.or_else(|| units.list.first().map(|u| u.id.clone()));
        while let Some(u) = at {
            if chain.iter().any(|c| c.id == u) {
                break;
            }
            match units.get(&u) {
                Some(found) => {
                    chain.push(found);
                    at = found.parent.clone();
                }
                None => {
                    self.r
                        .error(&path.key("unit"), node, format!("unknown unit {u:?}"));
                    break;
                }
            }
        }
        chain.reverse();
        let mut placement = AccountPlacement {
            org_path: org_id.map(|i| format!("{i}/")).unwrap_or_default(),
            ..AccountPlacement::default()
        };
        for unit in chain {
            placement.org_path.push_str(&format!("{}/", unit.id));
            placement.scps.push(OrgLevel {
                id: unit.id.clone(),
                policies: unit.scps.clone(),
            });
            placement.rcps.push(OrgLevel {
                id: unit.id.clone(),
                policies: unit.rcps.clone(),
            });
        }
        placement.scps.push(OrgLevel {
            id: account.clone(),
            policies: scps,
        });
        placement.rcps.push(OrgLevel {
            id: account.clone(),
            policies: rcps,
        });
        Some((account, placement))
    }
}
