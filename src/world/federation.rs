//! Who can become a role: identity providers, the people holding their tokens and assertions,
//! and the role sessions that `sts:AssumeRole*` calls create, with everything a session carries
//! into the requests it makes (session tags, transitive tag keys, source identity, session
//! policy, federated claims).
//!
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_saml.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html

use std::sync::Arc;

use crate::engine::ContextValue;
use crate::policy::arn::split_arn;
use crate::policy::model::Policy;

/// The web identity providers STS knows without an IAM OIDC provider.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
pub const BUILT_IN_WEB_IDENTITY_PROVIDERS: [&str; 4] = [
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// An IAM identity provider of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityProvider {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`, trusted for tokens whose audience is
    /// one of its client ids.
    Oidc {
        arn: String,
        account: String,
        /// The issuer without `https://`: the prefix of its condition keys.
        url: String,
        client_ids: Vec<String>,
    },
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    Saml {
        arn: String,
        account: String,
        name: String,
        /// The issuer its metadata names.
        issuer: String,
    },
}

/// Why an identity provider's ARN is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("expected an identity provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/HOST or arn:aws:iam::ACCOUNT:saml-provider/NAME), found {0:?}")]
    NotAProviderArn(String),
    #[error("an OIDC provider needs at least one client id (the audiences it accepts)")]
    NoClientIds,
    #[error("a SAML provider needs the issuer its metadata names")]
    NoIssuer,
}

impl IdentityProvider {
    /// An OIDC provider from its ARN and client ids.
    pub fn oidc(arn: &str, client_ids: Vec<String>) -> Result<IdentityProvider, ProviderError> {
        let (account, url) = provider_arn(arn, "oidc-provider/")?;
        if client_ids.is_empty() {
            return Err(ProviderError::NoClientIds);
        }
        Ok(IdentityProvider::Oidc {
            arn: arn.to_string(),
            account,
            url,
            client_ids,
        })
    }

    /// A SAML provider from its ARN and issuer.
    pub fn saml(arn: &str, issuer: &str) -> Result<IdentityProvider, ProviderError> {
        let (account, name) = provider_arn(arn, "saml-provider/")?;
        if issuer.is_empty() {
            return Err(ProviderError::NoIssuer);
        }
        Ok(IdentityProvider::Saml {
            arn: arn.to_string(),
            account,
            name,
            issuer: issuer.to_string(),
        })
    }

    pub fn arn(&self) -> &str {
        match self {
            IdentityProvider::Oidc { arn, .. } | IdentityProvider::Saml { arn, .. } => arn,
        }
    }
}

/// The account and the name after `kind` of an IAM provider ARN.
fn provider_arn(arn: &str, kind: &str) -> Result<(String, String), ProviderError> {
    let bad = || ProviderError::NotAProviderArn(arn.to_string());
    let [_, _, service, region, account, resource] = split_arn(arn).ok_or_else(bad)?;
    let name = resource.strip_prefix(kind).filter(|n| !n.is_empty());
    match name {
        Some(name)
            if service == "iam"
                && region.is_empty()
                && crate::policy::arn::is_account_id(account) =>
        {
            Ok((account.to_string(), name.to_string()))
        }
        _ => Err(bad()),
    }
}

/// What a token or assertion asks of AWS besides the role: session tags, which of them are
/// transitive, and a source identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRequest {
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// Someone outside IAM who can become a role: the holder of a web identity token or of a SAML
/// assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedPrincipal {
    /// How checks name them.
    pub name: String,
    pub credential: FederatedCredential,
    pub request: SessionRequest,
}

/// The credential a federated principal presents to STS.
#[derive(Debug, Clone, PartialEq)]
pub enum FederatedCredential {
    /// An OpenID Connect token.
    WebIdentity {
        /// A built-in provider's name, or an IAM OIDC provider's issuer host and path.
        provider: String,
        /// The token's claims, in order.
        claims: Vec<(String, ContextValue)>,
    },
    /// A SAML assertion.
    Saml {
        /// The SAML provider's ARN.
        provider: String,
        /// `NameID`.
        sub: String,
        /// `persistent`, `transient`, or a full format URI.
        sub_type: String,
        /// The `Recipient` of its subject confirmation: `saml:aud`.
        recipient: String,
        /// The `Issuer`; the provider's when `None`.
        issuer: Option<String>,
        /// The `RoleSessionName` attribute.
        session_name: String,
        /// Other attributes, by the condition-key name after `saml:`.
        attributes: Vec<(String, Vec<String>)>,
    },
}

impl FederatedPrincipal {
    /// The call that presents this credential.
    pub fn call_name(&self) -> &'static str {
        match self.credential {
            FederatedCredential::WebIdentity { .. } => "sts:AssumeRoleWithWebIdentity",
            FederatedCredential::Saml { .. } => "sts:AssumeRoleWithSAML",
        }
    }
}

/// A role session an `sts:AssumeRole*` call created: what it carries into every request it
/// makes.
#[derive(Debug, Clone)]
pub struct Session {
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    pub role_arn: String,
    pub name: String,
    /// `aws:PrincipalTag/*`: the role's tags, overridden by inherited transitive tags and then
    /// by the session tags passed (keys compared without case).
    pub tags: Vec<(String, String)>,
    /// Tag keys that pass to the sessions this one creates.
    pub transitive_tag_keys: Vec<String>,
    /// `aws:SourceIdentity`, once set never changed down a chain.
    pub source_identity: Option<String>,
    /// The session policy passed to the call.
    pub policy: Option<Arc<Policy>>,
    /// Federated claims that stay in the session (`token.actions.githubusercontent.com:sub`,
    /// `saml:sub`, `aws:FederatedProvider`, ...).
    pub federated_keys: Vec<(String, ContextValue)>,
    /// The credential's lifetime in seconds.
    pub duration_seconds: u32,
    /// Created from a web identity token or SAML assertion (no MFA keys in its requests).
    pub federated: bool,
}

/// Sets a tag the way STS merges tags: a key that matches an existing one without regard to
/// case replaces it (keeping the new key's spelling).
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (Tags)
pub fn merge_tag(tags: &mut Vec<(String, String)>, key: &str, value: &str) {
    tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    tags.push((key.to_string(), value.to_string()));
}
