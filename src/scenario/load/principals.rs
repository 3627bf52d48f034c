//! `principals` and `groups`: IAM users and roles with their policies, and the groups whose
//! policies join their members'.

use std::sync::Arc;

use super::super::format;
use super::super::reader::Obj;
use super::Loader;
use crate::json::{JsonPath, Node};
use crate::policy::{Policy, PolicyType};
use crate::world::federation::ProviderError;
use crate::world::{
    FederatedCredential, FederatedPrincipal, IdentityProvider, Principal, SessionRequest, World,
};

/// The kinds of `principals[]` entries.
const KINDS: [&str; 3] = ["iam", "web_identity", "saml"];

/// `saml:aud` when an assertion names no recipient: AWS's sign-in endpoint.
const DEFAULT_SAML_RECIPIENT: &str = "https://signin.aws.amazon.com/saml";

impl Loader {
    /// Loads `principals`, then `groups` (whose policies join each member's own; a member not
    /// listed under principals is a user with its groups' policies).
    pub(super) fn principals(&mut self, obj: Obj<'_>, world: &mut World) {
        let p = JsonPath::root();
        for (pp, pn) in self.r.opt_array(obj, &p, "identity_providers") {
            if let Some(provider) = self.identity_provider(pn, &pp) {
                if let Err(e) = world.add_identity_provider(provider) {
                    self.world_error(&e, &pp, pn);
                }
            }
        }
        for (pp, pn) in self.r.opt_array(obj, &p, "principals") {
            match self.kind(pn, &pp).as_deref() {
                Some("web_identity") | Some("saml") => {
                    if let Some(f) = self.federated_principal(pn, &pp) {
                        if let Err(e) = world.add_federated_principal(f) {
                            self.world_error(&e, &pp, pn);
                        }
                    }
                }
                Some(_) => {
                    if let Some(principal) = self.principal(pn, &pp) {
                        if let Err(e) = world.add_principal(principal) {
                            self.world_error(&e, &pp, pn);
                        }
                    }
                }
                None => {}
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
        let obj = self.r.object(node, path, &format::GROUP)?;
        let _ = self.r.req_str(obj, path, "name");
        let _ = self.account(obj, path, "account", false);
        let members = self.r.opt_strings(obj, path, "members");
        let policies = self.policies(obj, path, "policies", PolicyType::Identity);
        Some((members, policies))
    }

    fn principal(&mut self, node: &Node, path: &JsonPath) -> Option<Principal> {
        let obj = self.r.object(node, path, &format::PRINCIPAL)?;
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
        if let Some(seconds) = self.r.opt_u32(obj, path, "max_session_duration") {
            if !principal.is_role {
                self.r.error(
                    &path.key("max_session_duration"),
                    node,
                    "only roles have a maximum session duration",
                );
            } else if let Err(e) = principal.set_max_session_duration(seconds) {
                self.world_error(&e, path, node);
            }
        }
        Some(principal)
    }

    /// A principal's `kind`: `iam` when absent. `None` (reported) for an unknown kind or a
    /// principal that is not an object.
    fn kind(&mut self, node: &Node, path: &JsonPath) -> Option<String> {
        let Some(kind) = node.get("kind") else {
            return Some("iam".to_string());
        };
        match kind.as_str() {
            Some(k) if KINDS.contains(&k) => Some(k.to_string()),
            _ => {
                self.r.diags.push(
                    crate::json::Diagnostic::new(
                        &path.key("kind"),
                        kind.span,
                        format!(
                            "expected one of {}, found {}",
                            KINDS.join(", "),
                            kind.as_str()
                                .map_or(kind.kind().to_string(), |k| format!("{k:?}"))
                        ),
                    )
                    .with_suggestion(crate::json::suggest(
                        kind.as_str().unwrap_or_default(),
                        KINDS.iter().copied(),
                    )),
                );
                None
            }
        }
    }

    /// `identity_providers[]`: an IAM OIDC provider (with its client ids) or SAML provider
    /// (with its issuer).
    fn identity_provider(&mut self, node: &Node, path: &JsonPath) -> Option<IdentityProvider> {
        let obj = self.r.object(node, path, &format::IDENTITY_PROVIDER)?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let result = if arn.contains(":oidc-provider/") {
            if obj.node.get("issuer").is_some() {
                self.r.error(
                    &path.key("issuer"),
                    node,
                    "an OIDC provider has \"client_ids\"; \"issuer\" belongs to SAML providers",
                );
            }
            IdentityProvider::oidc(&arn, self.r.opt_strings(obj, path, "client_ids"))
        } else {
            if obj.node.get("client_ids").is_some() {
                self.r.error(
                    &path.key("client_ids"),
                    node,
                    "a SAML provider has an \"issuer\"; \"client_ids\" belong to OIDC providers",
                );
            }
            let issuer = self.r.opt_str(obj, path, "issuer").unwrap_or_default();
            IdentityProvider::saml(&arn, &issuer)
        };
        match result {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e {
                    ProviderError::NotAProviderArn(_) => "arn",
                    ProviderError::NoClientIds => "client_ids",
                    ProviderError::NoIssuer => "issuer",
                };
                self.r.error(
                    &path.key(field),
                    node.get(field).unwrap_or(node),
                    e.to_string(),
                );
                None
            }
        }
    }

    /// A web identity or SAML principal: the holder of a token or assertion.
    fn federated_principal(&mut self, node: &Node, path: &JsonPath) -> Option<FederatedPrincipal> {
        let saml = node.get("kind").and_then(|k| k.as_str()) == Some("saml");
        let shape = if saml {
            &format::SAML
        } else {
            &format::WEB_IDENTITY
        };
        let obj = self.r.object(node, path, shape)?;
        let name = self.r.req_str(obj, path, "name");
        let provider = self.r.req_str(obj, path, "provider");
        let request = SessionRequest {
            tags: self.r.opt_string_map(obj, path, "tags"),
            transitive_tag_keys: self.r.opt_strings(obj, path, "transitive_tag_keys"),
            source_identity: self.r.opt_str(obj, path, "source_identity"),
        };
        let credential = if saml {
            let sub = self.r.req_str(obj, path, "sub");
            let session_name = self.r.req_str(obj, path, "session_name");
            let provider = provider?;
            if !provider.contains(":saml-provider/") {
                self.r.error(&path.key("provider"), node.get("provider").unwrap_or(node), format!("a SAML principal names its provider by ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME), found {provider:?}"));
            }
            FederatedCredential::Saml {
                provider,
                sub: sub?,
                sub_type: self
                    .r
                    .opt_str(obj, path, "sub_type")
                    .unwrap_or_else(|| "persistent".to_string()),
                recipient: self
                    .r
                    .opt_str(obj, path, "recipient")
                    .unwrap_or_else(|| DEFAULT_SAML_RECIPIENT.to_string()),
                issuer: self.r.opt_str(obj, path, "issuer"),
                session_name: session_name?,
                attributes: self.string_lists(obj, path, "attributes"),
            }
        } else {
            let provider = provider?;
            if provider.starts_with("arn:") {
                self.r.error(&path.key("provider"), node.get("provider").unwrap_or(node), format!("a web identity principal names its provider as the token's issuer (a built-in provider such as accounts.google.com, or an IAM OIDC provider's host such as token.actions.githubusercontent.com), not by ARN: found {provider:?}"));
            }
            let claims = self.context_map(obj, path, "claims");
            for required in ["sub", "aud"] {
                if !claims.iter().any(|(k, _)| k == required) {
                    self.r.error(
                        &path.key("claims"),
                        node.get("claims").unwrap_or(node),
                        format!("a web identity token needs the claim {required:?}"),
                    );
                }
            }
            FederatedCredential::WebIdentity { provider, claims }
        };
        Some(FederatedPrincipal {
            name: name?,
            credential,
            request,
        })
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
