//! Who makes a request, and how a `Principal` element matches them.
//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

use std::fmt;

use crate::policy::arn::{last_path_element, IamEntity};
use crate::policy::model::{PrincipalElement, PrincipalEntry};

/// The kind of caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// The account root user.
    Root,
    /// An IAM user; `name` without path.
    User { name: String },
    /// A session of a role. `role_arn` keeps the role's path.
    RoleSession {
        role_arn: String,
        role_name: String,
        session: String,
    },
    /// A federated-user session (GetFederationToken).
    FederatedUser { name: String },
    /// An AWS service acting as itself, e.g. `s3.amazonaws.com`.
    Service { name: String },
    /// An unsigned request.
    Anonymous,
    /// The holder of a web identity token, calling `sts:AssumeRoleWithWebIdentity`. `provider`
    /// is how trust policies name the token's provider: a built-in provider's name or the IAM
    /// OIDC provider's ARN.
    WebIdentity { name: String, provider: String },
    /// The holder of a SAML assertion, calling `sts:AssumeRoleWithSAML`; `provider` is the SAML
    /// provider's ARN.
    Saml { name: String, provider: String },
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, Eq)]
pub struct Caller {
    pub kind: CallerKind,
    /// The ARN as the caller authenticated (the session ARN for a role session): the ARN AWS
    /// names in error messages. `None` for anonymous callers and service principals.
    pub arn: Option<std::sync::Arc<str>>,
    /// The account of an IAM caller.
    pub account: Option<String>,
    /// Whether the user or role has a permissions boundary (matters for NotPrincipal, 4.6).
    pub has_boundary: bool,
}

/// Why a text does not name a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("{0:?} is not a principal: expected an IAM user, role, assumed-role session, federated-user or root ARN, \"anonymous\", a service principal such as \"s3.amazonaws.com\", or the name of a web identity or SAML principal of the scenario")]
    NotAPrincipal(String),
    #[error("{0:?} is not a principal ARN: expected arn:aws:iam::ACCOUNT:root, :user/NAME, :role/NAME, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION or :federated-user/NAME")]
    NotAPrincipalArn(String),
    #[error("{0:?} is not a role ARN")]
    NotARole(String),
}

impl PartialEq for Caller {
    /// The ARN first: callers are compared often (caches look them up) and are usually the
    /// same shared value, whose ARN is one pointer.
    fn eq(&self, other: &Caller) -> bool {
        let same_arn = match (&self.arn, &other.arn) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        same_arn
            && self.has_boundary == other.has_boundary
            && self.account == other.account
            && self.kind == other.kind
    }
}

/// The default session name for a role named as a check's principal.
pub const DEFAULT_SESSION_NAME: &str = "iamsim";

impl Caller {
    /// Reads a principal as a check names it: an IAM/STS ARN, a role ARN (standing for a session
    /// named [`DEFAULT_SESSION_NAME`]), `anonymous`, or a service principal.
    pub fn parse(text: &str) -> Result<Caller, CallerError> {
        if text == "anonymous" {
            return Ok(Caller {
                kind: CallerKind::Anonymous,
                arn: None,
                account: None,
                has_boundary: false,
            });
        }
        if !text.starts_with("arn:") {
            if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
                return Ok(Caller {
                    kind: CallerKind::Service {
                        name: text.to_ascii_lowercase(),
                    },
                    arn: None,
                    account: None,
                    has_boundary: false,
                });
            }
            return Err(CallerError::NotAPrincipal(text.to_string()));
        }
        let partition = text.split(':').nth(1).unwrap_or("aws").to_string();
        let entity = IamEntity::parse(text)
            .ok_or_else(|| CallerError::NotAPrincipalArn(text.to_string()))?;
        let account = Some(entity.account().to_string());
        let (kind, arn) = match entity {
            IamEntity::Root { .. } => (CallerKind::Root, text.to_string()),
            IamEntity::User { path_and_name, .. } => (
                CallerKind::User {
                    name: last_path_element(&path_and_name).to_string(),
                },
                text.to_string(),
            ),
            IamEntity::Role {
                account,
                path_and_name,
            } => {
                let role_name = last_path_element(&path_and_name).to_string();
                let session_arn = format!(
                    "arn:{partition}:sts::{account}:assumed-role/{role_name}/{DEFAULT_SESSION_NAME}"
                );
                (
                    CallerKind::RoleSession {
                        role_arn: text.to_string(),
                        role_name,
                        session: DEFAULT_SESSION_NAME.to_string(),
                    },
                    session_arn,
                )
            }
            IamEntity::AssumedRole {
                account,
                role,
                session,
            } => (
                CallerKind::RoleSession {
                    // The session ARN carries no path; a world that declares the role fills in
                    // the full role ARN (see `World::caller`).
                    role_arn: format!("arn:{partition}:iam::{account}:role/{role}"),
                    role_name: role,
                    session,
                },
                text.to_string(),
            ),
            IamEntity::FederatedUser { name, .. } => {
                (CallerKind::FederatedUser { name }, text.to_string())
            }
        };
        Ok(Caller {
            kind,
            arn: Some(arn.into()),
            account,
            has_boundary: false,
        })
    }

    /// A session of `role_arn` with the given session name.
    pub fn role_session(role_arn: &str, session: &str) -> Result<Caller, CallerError> {
        let mut caller = Caller::parse(role_arn)?;
        if let CallerKind::RoleSession {
            role_arn,
            role_name,
            session: s,
        } = &mut caller.kind
        {
            *s = session.to_string();
            let partition = role_arn.split(':').nth(1).unwrap_or("aws").to_string();
            let account = caller.account.clone().unwrap_or_default();
            caller.arn = Some(
                format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}").into(),
            );
            Ok(caller)
        } else {
            Err(CallerError::NotARole(role_arn.to_string()))
        }
    }

    /// The value of `aws:PrincipalArn`: the role ARN for a session, the caller's own ARN
    /// otherwise, nothing for anonymous callers and services.
    pub fn principal_arn(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::RoleSession { role_arn, .. } => Some(role_arn),
            CallerKind::Anonymous
            | CallerKind::Service { .. }
            | CallerKind::WebIdentity { .. }
            | CallerKind::Saml { .. } => None,
            _ => self.arn.as_deref(),
        }
    }

    /// Whether the caller is an IAM principal of an account (subject to identity policies).
    pub fn is_iam_principal(&self) -> bool {
        !matches!(
            self.kind,
            CallerKind::Anonymous
                | CallerKind::Service { .. }
                | CallerKind::WebIdentity { .. }
                | CallerKind::Saml { .. }
        )
    }

    /// A federated identity about to become a role: web identity or SAML.
    pub fn federated(kind: CallerKind) -> Caller {
        Caller {
            kind,
            arn: None,
            account: None,
            has_boundary: false,
        }
    }

    /// Whether the caller is a service-linked role's session (SCPs do not apply to those).
    pub fn is_service_linked_role(&self) -> bool {
        match &self.kind {
            CallerKind::RoleSession { role_arn, .. } => {
                role_arn.contains(":role/aws-service-role/")
            }
            _ => false,
        }
    }

    /// The ARN named in "User: ... is not authorized" messages.
    pub fn display_arn(&self) -> std::sync::Arc<str> {
        match (&self.kind, &self.arn) {
            (CallerKind::Anonymous, _) => "anonymous".into(),
            (CallerKind::Service { name }, _)
            | (CallerKind::WebIdentity { name, .. }, _)
            | (CallerKind::Saml { name, .. }, _) => name.as_str().into(),
            (_, Some(arn)) => arn.clone(),
            (_, None) => "".into(),
        }
    }

    /// Matches one principal entry against this caller.
    pub fn match_entry(&self, entry: &PrincipalEntry) -> PrincipalMatch {
        use PrincipalMatch as M;
        match (entry, &self.kind) {
            (PrincipalEntry::Everyone, _) => M::Everyone,
            (PrincipalEntry::Account(a), _)
                if self.is_iam_principal() && self.account.as_deref() == Some(a.as_str()) =>
            {
                M::Account
            }
            (PrincipalEntry::User { arn }, CallerKind::User { .. })
                if self.arn.as_deref() == Some(arn.as_str()) =>
            {
                M::Exact
            }
            // A role ARN matches the role's sessions: same account, same role name (the path is
            // not part of the session ARN); names compare case-sensitively (decision A15).
            (
                PrincipalEntry::Role { account, name, .. },
                CallerKind::RoleSession { role_name, .. },
            ) if self.account.as_deref() == Some(account.as_str()) && role_name == name => {
                M::RoleOfSession
            }
            (PrincipalEntry::AssumedRole { arn }, CallerKind::RoleSession { .. })
            | (PrincipalEntry::FederatedUser { arn }, CallerKind::FederatedUser { .. })
                if self.arn.as_deref() == Some(arn.as_str()) =>
            {
                M::Exact
            }
            (PrincipalEntry::Service(s), CallerKind::Service { name }) if s == name => M::Service,
            // A trust policy names a provider: a built-in one by its name (compared without
            // case, as host names are), an IAM provider by its ARN.
            (
                PrincipalEntry::Federated(p),
                CallerKind::WebIdentity { provider, .. } | CallerKind::Saml { provider, .. },
            ) if p.eq_ignore_ascii_case(provider) => M::Exact,
            _ => M::None,
        }
    }

    /// Matches a whole `Principal` / `NotPrincipal` element: the best match among the entries
    /// for `Principal`; for `NotPrincipal`, `Everyone` unless the element spares the caller.
    pub fn match_element(&self, element: &PrincipalElement) -> PrincipalMatch {
        if element.negated {
            return if self.spared_by(&element.entries) {
                PrincipalMatch::None
            } else {
                PrincipalMatch::Everyone
            };
        }
        element
            .entries
            .iter()
            .map(|e| self.match_entry(e))
            .max_by_key(|m| m.rank())
            .unwrap_or(PrincipalMatch::None)
    }

    /// The identity levels a `NotPrincipal` list must name to spare this caller, in words.
    pub fn identity_levels(&self) -> String {
        let account = self.account.as_deref().unwrap_or_default();
        let account_arn = format!("arn:aws:iam::{account}:root");
        let own = self.display_arn();
        match &self.kind {
            CallerKind::Root => format!("its account {account_arn}"),
            CallerKind::User { .. } | CallerKind::FederatedUser { .. } => {
                format!("{own} and its account {account_arn}")
            }
            CallerKind::RoleSession { role_arn, .. } => {
                format!("the session {own}, its role {role_arn} and its account {account_arn}")
            }
            CallerKind::Service { name } => format!("the service {name}"),
            CallerKind::Anonymous => "anonymous callers are never excluded".to_string(),
            CallerKind::WebIdentity { name, .. } | CallerKind::Saml { name, .. } => {
                format!("the federated identity {name}")
            }
        }
    }

    /// Whether a `NotPrincipal` list spares this caller. AWS checks each identity level of the
    /// caller in turn (the account, then the user; or the account, the role, then the session),
    /// so the caller escapes only when every level is listed: the account ARN alone spares only
    /// the account's root user. A caller whose user or role has a permissions boundary is never
    /// spared. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    fn spared_by(&self, entries: &[PrincipalEntry]) -> bool {
        if self.has_boundary {
            return false;
        }
        let listed = |wanted: PrincipalMatch| entries.iter().any(|e| self.match_entry(e) == wanted);
        if entries.contains(&PrincipalEntry::Everyone) {
            return true;
        }
        match &self.kind {
            CallerKind::Root => listed(PrincipalMatch::Account),
            CallerKind::User { .. } | CallerKind::FederatedUser { .. } => {
                listed(PrincipalMatch::Account) && listed(PrincipalMatch::Exact)
            }
            CallerKind::RoleSession { .. } => {
                listed(PrincipalMatch::Account)
                    && listed(PrincipalMatch::RoleOfSession)
                    && listed(PrincipalMatch::Exact)
            }
            CallerKind::Service { .. } => listed(PrincipalMatch::Service),
            CallerKind::Anonymous | CallerKind::WebIdentity { .. } | CallerKind::Saml { .. } => {
                false
            }
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_arn())
    }
}

/// How a resource-policy statement's principal matched the caller. The kind decides whether
/// boundaries and session policies still cap the grant in the same account (Part B 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalMatch {
    None,
    /// `"*"`: a direct grant to everyone.
    Everyone,
    /// The caller's account: delegation to the account's identity policies.
    Account,
    /// The caller's user ARN, or its exact session ARN: a direct grant.
    Exact,
    /// The role of the caller's session: capped by boundary and session policy.
    RoleOfSession,
    /// A service principal naming the calling service.
    Service,
}

impl PrincipalMatch {
    /// Preference among several matching entries: the most specific grant wins.
    fn rank(self) -> u8 {
        match self {
            PrincipalMatch::None => 0,
            PrincipalMatch::Account => 1,
            PrincipalMatch::RoleOfSession => 2,
            PrincipalMatch::Everyone => 3,
            PrincipalMatch::Service => 4,
            PrincipalMatch::Exact => 5,
        }
    }

    pub fn is_match(self) -> bool {
        self != PrincipalMatch::None
    }

    /// Words for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            PrincipalMatch::None => "does not name the caller",
            PrincipalMatch::Everyone => "names everyone (\"*\")",
            PrincipalMatch::Account => {
                "names the caller's account (delegation to its IAM policies)"
            }
            PrincipalMatch::Exact => "names the caller exactly",
            PrincipalMatch::RoleOfSession => "names the role of the caller's session",
            PrincipalMatch::Service => "names the calling service",
        }
    }
}
