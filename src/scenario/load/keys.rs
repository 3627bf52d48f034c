//! `keys`: KMS keys with their aliases, state, key policy and grants.

use super::super::format;
use super::Loader;
use crate::engine::{Grant, GrantConstraints};
use crate::json::{Diagnostic, JsonPath, Node};
use crate::policy::PolicyType;
use crate::world::{Key, KeyManager, KeyState};

/// Operations a KMS grant can allow.
/// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
const GRANT_OPERATIONS: [&str; 16] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "VerifyMac",
    "CreateGrant",
    "DescribeKey",
    "GetPublicKey",
    "RetireGrant",
];

impl Loader {
    pub(super) fn key(&mut self, node: &Node, path: &JsonPath) -> Option<Key> {
        let obj = self.r.object(node, path, &format::KEY)?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let manager = self
            .one_of(obj, path, "manager", &["CUSTOMER", "AWS"], |m| match m {
                "CUSTOMER" => Some(KeyManager::Customer),
                "AWS" => Some(KeyManager::Aws),
                _ => None,
            })
            .unwrap_or(KeyManager::Customer);
        let mut key = match Key::new(&arn, manager) {
            Ok(k) => k,
            Err(e) => {
                self.world_error(&e, path, node);
                return None;
            }
        };
        let aliases = self.r.opt_strings(obj, path, "aliases");
        if let Err(e) = key.add_aliases(aliases) {
            self.world_error(&e, path, node);
        }
        let states = KeyState::ALL.map(KeyState::as_str);
        key.state = self
            .one_of(obj, path, "state", &states, KeyState::parse)
            .unwrap_or(KeyState::Enabled);
        let name = format!("key policy of {arn}");
        if let Some(n) = obj.node.get("policy") {
            key.set_policy(self.policy(n, &path.key("policy"), PolicyType::Key, &name)?);
        }
        for (i, (gp, gn)) in self
            .r
            .opt_array(obj, path, "grants")
            .into_iter()
            .enumerate()
        {
            key.grants.extend(self.grant(gn, &gp, i, &arn));
        }
        Some(key)
    }

    fn grant(
        &mut self,
        node: &Node,
        path: &JsonPath,
        index: usize,
        key_arn: &str,
    ) -> Option<Grant> {
        let obj = self.r.object(node, path, &format::KEY_GRANT)?;
        let grantee = self.r.req_str(obj, path, "grantee")?;
        let grantee = match crate::policy::parse::grantee_entry(&grantee) {
            Ok(e) => e,
            Err(e) => {
                self.r.error(&path.key("grantee"), node, e.to_string());
                return None;
            }
        };
        let operations = self.r.opt_strings(obj, path, "operations");
        if operations.is_empty() {
            self.r
                .error(path, node, "a grant needs at least one operation");
        }
        for op in &operations {
            if !GRANT_OPERATIONS.contains(&op.as_str()) {
                self.r.diags.push(
                    Diagnostic::new(
                        &path.key("operations"),
                        node.span,
                        format!("{op:?} is not a grant operation"),
                    )
                    .with_suggestion(crate::json::suggest(op, GRANT_OPERATIONS)),
                );
            }
        }
        let constraints = match obj.node.get("constraints") {
            None => None,
            Some(cn) => Some(self.grant_constraints(cn, &path.key("constraints"))?),
        };
        let id = self.r.opt_str(obj, path, "id");
        Some(Grant {
            name: format!(
                "grant {} on {key_arn}",
                id.unwrap_or_else(|| index.to_string())
            )
            .into(),
            index,
            grantee,
            operations,
            constraints,
        })
    }

    fn grant_constraints(&mut self, node: &Node, path: &JsonPath) -> Option<GrantConstraints> {
        let obj = self.r.object(node, path, &format::GRANT_CONSTRAINTS)?;
        let subset = self
            .r
            .opt_string_map(obj, path, "encryption_context_subset");
        let equals = self
            .r
            .opt_string_map(obj, path, "encryption_context_equals");
        match (
            obj.node.get("encryption_context_subset"),
            obj.node.get("encryption_context_equals"),
        ) {
            (Some(_), None) => Some(GrantConstraints::Subset(subset)),
            (None, Some(_)) => Some(GrantConstraints::Equals(equals)),
            _ => {
                self.r.error(
                    path,
                    node,
                    "expected exactly one of encryption_context_subset or encryption_context_equals",
                );
                None
            }
        }
    }
}
