//! `buckets`: S3 buckets with their policy, default encryption, Block Public Access, Object
//! Ownership, replication and existing objects.

use super::super::format;
use super::super::reader::Obj;
use super::Loader;
use crate::json::{Diagnostic, JsonPath, Node};
use crate::policy::arn::IamEntity;
use crate::policy::PolicyType;
use crate::world::access_point::AccessPointError;
use crate::world::acl::{
    is_canonical_id, Acl, AclGrant, Grantee, Permission, BUCKET_CANNED_ACLS, CANNED_ACLS,
};
use crate::world::{
    AccessPoint, Bucket, Encryption, NetworkOrigin, ObjectOwnership, PublicAccessBlock,
    Replication, ReplicationRule, SseAlgorithm, StoredObject, World,
};

const GRANTEE_FIELDS: [&str; 4] = ["id", "account", "uri", "emailAddress"];

impl Loader {
    /// A bucket, as declared. The world checks it against S3's rules when it is added.
    pub(super) fn bucket(&mut self, node: &Node, path: &JsonPath, world: &World) -> Option<Bucket> {
        let default_region = world.region.as_str();
        let obj = self.r.object(node, path, &format::BUCKET)?;
        let name = self.r.req_str(obj, path, "name")?;
        let account = self.account(obj, path, "account", true)?;
        let region = self
            .r
            .opt_str(obj, path, "region")
            .unwrap_or_else(|| default_region.to_string());
        let mut bucket = match Bucket::new(&name, &account, &region) {
            Ok(b) => b,
            Err(e) => {
                self.world_error(&e, path, node);
                return None;
            }
        };
        bucket.policy = self.opt_policy(
            obj,
            path,
            "policy",
            PolicyType::Bucket,
            &format!("bucket policy of {name}"),
        );
        if let Some(n) = obj.node.get("default_encryption") {
            if let Some(e) = self.encryption(n, &path.key("default_encryption")) {
                bucket.default_encryption = e;
            }
        }
        if let Some(n) = obj.node.get("public_access_block") {
            bucket.public_access_block = self
                .public_access_block(n, &path.key("public_access_block"), false)
                .unwrap_or_default();
        }
        bucket.versioning = self.r.opt_bool(obj, path, "versioning").unwrap_or(false);
        let ownerships = ObjectOwnership::ALL.map(ObjectOwnership::as_str);
        if let Some(o) = self.one_of(
            obj,
            path,
            "object_ownership",
            &ownerships,
            ObjectOwnership::parse,
        ) {
            bucket.object_ownership = o;
        }
        bucket.replication = match obj.node.get("replication") {
            Some(n) => self.replication(n, &path.key("replication")),
            None => None,
        };
        if let Some(acl) = self.acl(obj, path, &bucket.account, world, &BUCKET_CANNED_ACLS) {
            bucket.set_acl(acl);
        }
        for (op, on) in self.r.opt_array(obj, path, "objects") {
            if let Some(object) = self.object(on, &op, &bucket, world) {
                if bucket.object(&object.key).is_some() {
                    self.r.error(
                        &op.key("key"),
                        on,
                        format!("object {:?} is listed twice", object.key),
                    );
                }
                bucket.store(object);
            }
        }
        Some(bucket)
    }

    /// The four Block Public Access settings; one not given is `unset` (off for a bucket, on
    /// for an access point, as S3 creates them).
    fn public_access_block(
        &mut self,
        node: &Node,
        path: &JsonPath,
        unset: bool,
    ) -> Option<PublicAccessBlock> {
        let o = self.r.object(node, path, &format::PUBLIC_ACCESS_BLOCK)?;
        let mut flag = |name: &str| self.r.opt_bool(o, path, name).unwrap_or(unset);
        Some(PublicAccessBlock {
            block_public_acls: flag("block_public_acls"),
            ignore_public_acls: flag("ignore_public_acls"),
            block_public_policy: flag("block_public_policy"),
            restrict_public_buckets: flag("restrict_public_buckets"),
        })
    }

    /// The access points a bucket lists, once the bucket is in the world.
    pub(super) fn access_points(&mut self, node: &Node, path: &JsonPath, world: &mut World) {
        let Some(obj) = node.as_object().map(|_| Obj { node }) else {
            return;
        };
        let Some(name) = node.get("name").and_then(|n| n.as_str()) else {
            return;
        };
        let Some((account, region)) = world
            .bucket(name)
            .map(|b| (b.account.clone(), b.region.clone()))
        else {
            return;
        };
        for (ap_path, ap_node) in self.r.opt_array(obj, path, "access_points") {
            if let Some(ap) = self.access_point(ap_node, &ap_path, name, &account, &region) {
                if let Err(e) = world.add_access_point(ap) {
                    self.r.error(&ap_path.key("name"), ap_node, e.to_string());
                }
            }
        }
    }

    fn access_point(
        &mut self,
        node: &Node,
        path: &JsonPath,
        bucket: &str,
        bucket_account: &str,
        region: &str,
    ) -> Option<AccessPoint> {
        let obj = self.r.object(node, path, &format::ACCESS_POINT)?;
        let name = self.r.req_str(obj, path, "name")?;
        let account = self
            .account(obj, path, "account", false)
            .unwrap_or_else(|| bucket_account.to_string());
        let mut ap = match AccessPoint::new(&name, &account, bucket, region) {
            Ok(ap) => ap,
            Err(e) => {
                self.r.error(
                    &path.key("name"),
                    node.get("name").unwrap_or(node),
                    e.to_string(),
                );
                return None;
            }
        };
        ap.policy = self.opt_policy(
            obj,
            path,
            "policy",
            PolicyType::Resource,
            &format!("access point policy of {}", ap.arn),
        );
        let origins = ["Internet", "VPC"];
        let origin = self.one_of(obj, path, "network_origin", &origins, |o| {
            origins.contains(&o).then(|| o.to_string())
        });
        let vpc = self.r.opt_str(obj, path, "vpc");
        ap.network_origin = match (origin.as_deref(), vpc) {
            (Some("VPC"), Some(vpc)) => NetworkOrigin::Vpc(vpc),
            (Some("VPC"), None) => {
                self.r
                    .error(path, node, AccessPointError::VpcWithoutId.to_string());
                return None;
            }
            (_, Some(_)) => {
                self.r.error(
                    &path.key("vpc"),
                    node.get("vpc").unwrap_or(node),
                    "\"vpc\" belongs to an access point whose network_origin is \"VPC\"",
                );
                return None;
            }
            _ => NetworkOrigin::Internet,
        };
        if let Some(n) = obj.node.get("public_access_block") {
            if let Some(pab) = self.public_access_block(n, &path.key("public_access_block"), true) {
                ap.public_access_block = pab;
            }
        }
        if let Some(alias) = self.r.opt_str(obj, path, "alias") {
            if let Err(e) = ap.set_alias(&alias) {
                self.r.error(
                    &path.key("alias"),
                    node.get("alias").unwrap_or(node),
                    e.to_string(),
                );
            }
        }
        Some(ap)
    }

    fn encryption(&mut self, node: &Node, path: &JsonPath) -> Option<Encryption> {
        let obj = self.r.object(node, path, &format::ENCRYPTION)?;
        let names = SseAlgorithm::ALL.map(SseAlgorithm::as_str);
        if obj.node.get("algorithm").is_none() {
            self.r
                .error(path, node, "missing required field \"algorithm\"");
        }
        let algorithm = self.one_of(obj, path, "algorithm", &names, SseAlgorithm::parse)?;
        let kms_key = self.r.opt_str(obj, path, "kms_key");
        if kms_key.is_some() && !algorithm.is_kms() {
            self.r.error(
                &path.key("kms_key"),
                node,
                "kms_key goes with \"aws:kms\", not \"AES256\"",
            );
        }
        let bucket_key = self.r.opt_bool(obj, path, "bucket_key").unwrap_or(false);
        Some(Encryption {
            algorithm,
            kms_key: kms_key.map(Into::into),
            bucket_key,
        })
    }

    /// An object listed in a bucket: its encryption defaults to the bucket's, its owner to the
    /// bucket's account.
    fn object(
        &mut self,
        node: &Node,
        path: &JsonPath,
        bucket: &Bucket,
        world: &World,
    ) -> Option<StoredObject> {
        let obj = self.r.object(node, path, &format::OBJECT)?;
        let key = self.r.req_str(obj, path, "key")?;
        let encryption = match obj.node.get("encryption") {
            Some(n) => self
                .encryption(n, &path.key("encryption"))
                .unwrap_or_else(Encryption::sse_s3),
            None => bucket.default_encryption.clone(),
        };
        let owner = self
            .account(obj, path, "owner", false)
            .unwrap_or_else(|| bucket.account.clone());
        let acl = self
            .acl(obj, path, &bucket.account, world, &CANNED_ACLS)
            .unwrap_or_default();
        let mut object = StoredObject::new(&bucket.name, &key, encryption, owner, acl);
        object.tags = self.r.opt_string_map(obj, path, "tags");
        object.encryption_context = self.r.opt_string_map(obj, path, "encryption_context");
        Some(object)
    }

    /// An `acl`: a canned ACL's name (one of `canned`), or `{"grants": [...]}`.
    fn acl(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        bucket_owner: &str,
        world: &World,
        canned: &[&str],
    ) -> Option<Acl> {
        let node = obj.node.get("acl")?;
        let path = path.key("acl");
        if let Some(name) = node.as_str() {
            let acl = canned
                .contains(&name)
                .then(|| Acl::canned(name, bucket_owner))
                .flatten();
            if acl.is_none() {
                self.r.diags.push(
                    Diagnostic::new(
                        &path,
                        node.span,
                        format!(
                            "unknown canned ACL {name:?}; expected one of {}",
                            canned.join(", ")
                        ),
                    )
                    .with_suggestion(crate::json::suggest(name, canned.iter().copied())),
                );
            }
            return acl;
        }
        let acl_obj = self.r.object(node, &path, &format::ACL)?;
        let mut grants = Vec::new();
        for (gp, gn) in self.r.opt_array(acl_obj, &path, "grants") {
            if let Some(grant) = self.acl_grant(gn, &gp, world) {
                grants.push(grant);
            }
        }
        Some(Acl { grants })
    }

    /// `{"grantee": {"id" | "account" | "uri": ...}, "permission": ...}`.
    fn acl_grant(&mut self, node: &Node, path: &JsonPath, world: &World) -> Option<AclGrant> {
        let obj = self.r.object(node, path, &format::ACL_GRANT)?;
        let names = Permission::ALL.map(Permission::as_str);
        let permission = self.one_of(obj, path, "permission", &names, Permission::parse);
        if obj.node.get("permission").is_none() {
            self.r
                .error(path, node, "missing required field \"permission\"");
        }
        let Some(gn) = obj.node.get("grantee") else {
            self.r
                .error(path, node, "missing required field \"grantee\"");
            return None;
        };
        let gp = path.key("grantee");
        let go = self.r.object(gn, &gp, &format::GRANTEE)?;
        let given: Vec<&str> = GRANTEE_FIELDS
            .into_iter()
            .filter(|f| go.node.get(f).is_some())
            .collect();
        let grantee = match given.as_slice() {
            ["id"] => {
                let id = self.r.req_str(go, &gp, "id")?;
                if !is_canonical_id(&id) {
                    self.r.error(
                        &gp.key("id"),
                        gn.get("id").unwrap_or(gn),
                        format!("a canonical user id is 64 hexadecimal characters, found {id:?}"),
                    );
                    return None;
                }
                match world.account_of_canonical_id(&id) {
                    Some(account) => Grantee::Account(account),
                    None => Grantee::UnknownCanonicalUser(id.to_ascii_lowercase()),
                }
            }
            ["account"] => Grantee::Account(self.account(go, &gp, "account", true)?),
            ["uri"] => {
                let uri = self.r.req_str(go, &gp, "uri")?;
                match Grantee::group(&uri) {
                    Some(g) => g,
                    None => {
                        self.r.error(&gp.key("uri"), gn.get("uri").unwrap_or(gn), format!("unknown group {uri:?}; expected http://acs.amazonaws.com/groups/global/AllUsers, http://acs.amazonaws.com/groups/global/AuthenticatedUsers or http://acs.amazonaws.com/groups/s3/LogDelivery"));
                        return None;
                    }
                }
            }
            ["emailAddress"] => {
                self.r.error(&gp.key("emailAddress"), gn.get("emailAddress").unwrap_or(gn), "S3 no longer accepts e-mail grantees (since 1 October 2025): name the account by \"id\" (its canonical user id) or \"account\"");
                return None;
            }
            _ => {
                self.r.error(
                    &gp,
                    gn,
                    "a grantee has exactly one of \"id\" (a canonical user id), \"account\" or \"uri\" (a group)",
                );
                return None;
            }
        };
        Some(AclGrant {
            grantee,
            permission: permission?,
        })
    }

    fn replication(&mut self, node: &Node, path: &JsonPath) -> Option<Replication> {
        let obj = self.r.object(node, path, &format::REPLICATION)?;
        let role = self.r.req_str(obj, path, "role")?;
        if !matches!(IamEntity::parse(&role), Some(IamEntity::Role { .. })) {
            self.r.error(
                &path.key("role"),
                node,
                format!("expected a role ARN, found {role:?}"),
            );
        }
        let mut rules = Vec::new();
        for (rp, rn) in self.r.opt_array(obj, path, "rules") {
            let id = format!("rule {}", rules.len());
            rules.extend(self.replication_rule(rn, &rp, id));
        }
        Some(Replication { role, rules })
    }

    fn replication_rule(
        &mut self,
        node: &Node,
        path: &JsonPath,
        default_id: String,
    ) -> Option<ReplicationRule> {
        let obj = self.r.object(node, path, &format::REPLICATION_RULE)?;
        let id = self.r.opt_str(obj, path, "id").unwrap_or(default_id);
        let prefix = self.r.opt_str(obj, path, "prefix").unwrap_or_default();
        let destination = self.r.req_str(obj, path, "destination_bucket")?;
        let Some(destination_bucket) = destination.strip_prefix("arn:aws:s3:::") else {
            self.r.error(
                &path.key("destination_bucket"),
                node,
                format!("expected a bucket ARN (arn:aws:s3:::NAME), found {destination:?}"),
            );
            return None;
        };
        let destination_account = self.account(obj, path, "destination_account", false);
        let owner_override = self
            .r
            .opt_bool(obj, path, "owner_override")
            .unwrap_or(false);
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html
        if owner_override && destination_account.is_none() {
            self.r.error(
                &path.key("owner_override"),
                node,
                "owner override (AccessControlTranslation Owner=Destination) needs the destination's account: give destination_account",
            );
        }
        Some(ReplicationRule {
            id,
            prefix,
            destination_bucket: destination_bucket.to_string(),
            destination_account,
            replica_kms_key: self.r.opt_str(obj, path, "replica_kms_key"),
            replicate_kms_encrypted: self
                .r
                .opt_bool(obj, path, "replicate_kms_encrypted")
                .unwrap_or(false),
            owner_override,
        })
    }
}
