//! `principals` and `groups`: IAM users and roles with their policies, and the groups whose
//! policies join their members'.

use std::sync::Arc;

use super::super::reader::Obj;
use super::Loader;
use crate::json::{JsonPath, Node};
use crate::policy::{Policy, PolicyType};
use crate::world::{Principal, World};

const PRINCIPAL_FIELDS: [&str; 6] = [
    "arn",
    "policies",
    "permissions_boundary",
    "trust_policy",
    "tags",
    "unique_id",
];

const GROUP_FIELDS: [&str; 4] = ["name", "account", "members", "policies"];

impl Loader {
    /// Loads `principals`, then `groups` (whose policies join each member's own; a member not
    /// listed under principals is a user with its groups' policies).
    pub(super) fn principals(&mut self, obj: Obj<'_>, world: &mut World) {
        let p = JsonPath::root();
        for (pp, pn) in self.r.opt_array(obj, &p, "principals") {
            if let Some(principal) = self.principal(pn, &pp) {
                if let Err(e) = world.add_principal(principal) {
                    self.world_error(&e, &pp, pn);
                }
            }
        }
        for (gp, gn) in self.r.opt_array(obj, &p, "groups") {
            if let Some((members, policies)) = self.group(gn, &gp) {
                if let Err(e) = world.add_group(&members, &policies) {
                    self.world_error(&e, &gp, gn);
                }
            }
        }
    }

    fn group(&mut self, node: &Node, path: &JsonPath) -> Option<(Vec<String>, Vec<Arc<Policy>>)> {
        let obj = self.r.object(node, path, &GROUP_FIELDS)?;
        let _ = self.r.req_str(obj, path, "name");
        let _ = self.account(obj, path, "account", false);
        let members = self.r.opt_strings(obj, path, "members");
        let policies = self.policies(obj, path, "policies", PolicyType::Identity);
        Some((members, policies))
    }

    fn principal(&mut self, node: &Node, path: &JsonPath) -> Option<Principal> {
        let obj = self.r.object(node, path, &PRINCIPAL_FIELDS)?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let mut principal = match Principal::new(&arn) {
            Ok(p) => p,
            Err(e) => {
                self.world_error(&e, path, node);
                return None;
            }
        };
        principal.identity = self.policies(obj, path, "policies", PolicyType::Identity);
        principal.boundary = match obj.node.get("permissions_boundary") {
            Some(n) => self.boundary(n, &path.key("permissions_boundary")),
            None => None,
        };
        if let Some(n) = obj.node.get("trust_policy") {
            let name = format!("trust policy of {arn}");
            if let Some(trust) = self.policy(n, &path.key("trust_policy"), PolicyType::Trust, &name)
            {
                if let Err(e) = principal.set_trust(trust) {
                    self.world_error(&e, path, node);
                }
            }
        }
        principal.tags = self.r.opt_string_map(obj, path, "tags");
        principal.unique_id = self.r.opt_str(obj, path, "unique_id");
        Some(principal)
    }

    /// A boundary: `{"name", "document"}`, or a bare document (named "permissions boundary").
    fn boundary(&mut self, node: &Node, path: &JsonPath) -> Option<Arc<Policy>> {
        if node.get("document").is_some() {
            self.named_policy(node, path, PolicyType::PermissionsBoundary)
        } else {
            self.policy(
                node,
                path,
                PolicyType::PermissionsBoundary,
                "permissions boundary",
            )
        }
    }
}
