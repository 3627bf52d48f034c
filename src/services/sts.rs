//! STS calls that create role sessions: `sts:AssumeRole` (a user, role session or root asking
//! for a role, chaining when a role session asks), `sts:AssumeRoleWithWebIdentity` (the holder
//! of an OpenID Connect token) and `sts:AssumeRoleWithSAML` (the holder of a SAML assertion).
//!
//! Each call is checked as STS checks it: the request's parameters, the identity provider and
//! token audience for the federated calls, then the authorization of the call's action on the
//! role (the trust policy, and the caller's own policies where the rules of
//! [`crate::engine::authorize`] want them), then `sts:TagSession` when the new session will carry
//! tags and `sts:SetSourceIdentity` when it will carry a source identity. A call that goes
//! through records the session in the world; later requests by the session's ARN carry its
//! tags, source identity, session policy and federated claims.
//!
//! Sources: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html ;
//! https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html ;
//! https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use sha1::Digest as _;

use super::env::Env;
use super::error::{ClientError, ErrorCode};
use super::outcome::{CallOutcome, Step, StepKind, StepOutcome};
use super::request::RequestOptions;
use super::step::{authorize, rejected, AuthStep};
use crate::engine::{Caller, CallerKind, Context, ContextValue};
use crate::policy::arn::{last_path_element, IamEntity};
use crate::policy::Policy;
use crate::world::federation::{merge_tag, BUILT_IN_WEB_IDENTITY_PROVIDERS};
use crate::world::{
    BaseRequest, FederatedCredential, FederatedPrincipal, IdentityProvider, Session, World,
};

/// The STS calls iamsim models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StsCall {
    AssumeRole,
    AssumeRoleWithWebIdentity,
    AssumeRoleWithSaml,
}

impl StsCall {
    pub const ALL: [StsCall; 3] = [
        StsCall::AssumeRole,
        StsCall::AssumeRoleWithWebIdentity,
        StsCall::AssumeRoleWithSaml,
    ];

    /// The call as scenario files and policies name it.
    pub fn name(self) -> &'static str {
        match self {
            StsCall::AssumeRole => "sts:AssumeRole",
            StsCall::AssumeRoleWithWebIdentity => "sts:AssumeRoleWithWebIdentity",
            StsCall::AssumeRoleWithSaml => "sts:AssumeRoleWithSAML",
        }
    }

    pub fn parse(name: &str) -> Option<StsCall> {
        StsCall::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the caller is a federated identity rather than an IAM principal.
    pub fn is_federated(self) -> bool {
        self != StsCall::AssumeRole
    }
}

/// The parameters of an `sts:AssumeRole*` request besides the role.
#[derive(Debug, Clone, Default)]
pub struct RoleParameters {
    /// `RoleSessionName`; `iamsim` when absent (a SAML assertion names its own).
    pub session_name: Option<String>,
    /// Session tags passed with the request (AssumeRole; the federated calls take theirs from
    /// the token or assertion).
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    /// The session policy passed (`Policy`).
    pub policy: Option<Arc<Policy>>,
}

/// One `sts:AssumeRole*` request.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRoleRequest<'a> {
    pub call: StsCall,
    /// An IAM principal or role session for AssumeRole; for the federated calls a caller of
    /// kind [`CallerKind::WebIdentity`] or [`CallerKind::Saml`] naming a federated principal of
    /// the world.
    pub caller: &'a Caller,
    /// The role's ARN.
    pub role: &'a str,
    pub parameters: &'a RoleParameters,
    pub options: RequestOptions<'a>,
}

/// The session name a request gets when it names none.
pub const DEFAULT_SESSION_NAME: &str = crate::engine::caller::DEFAULT_SESSION_NAME;

/// The shortest session STS grants, and the longest a chained session may last.
const MIN_DURATION: u32 = 900;
const CHAINED_MAX_DURATION: u32 = 3600;
const DEFAULT_DURATION: u32 = 3600;
/// STS accepts at most 50 session tags.
const MAX_SESSION_TAGS: usize = 50;

/// What the caller presents besides its credentials: the new session's name, the tags and
/// source identity it asks for (its own and inherited down a chain), and the condition keys
/// its token or assertion puts in the request and in the session.
struct Presented {
    caller: Caller,
    session_name: String,
    /// Tags passed with this request (`aws:RequestTag/*`).
    requested_tags: Vec<(String, String)>,
    requested_transitive: Vec<String>,
    /// Transitive tags of the calling session, which the new session inherits.
    inherited_tags: Vec<(String, String)>,
    inherited_transitive: Vec<String>,
    source_identity: Option<String>,
    /// Keys of the token or assertion, in the trust policy's evaluation.
    request_keys: Vec<(String, ContextValue)>,
    /// The ones that stay in the session.
    session_keys: Vec<(String, ContextValue)>,
    federated: bool,
}

/// Runs an `sts:AssumeRole*` call. A call that goes through records its session in the world.
pub(super) fn run(
    world: &mut World,
    env: &mut Env<'_>,
    request: &AssumeRoleRequest<'_>,
) -> CallOutcome {
    let mut steps = Vec::new();
    let presented =
        present(world, env, request).and_then(|p| check_duration(world, request, &p).map(|()| p));
    let presented = match presented {
        Ok(p) => p,
        Err(error) => {
            steps.push(refusal(request, error));
            return CallOutcome::new(steps, None, std::mem::take(&mut env.notes));
        }
    };
    if !authorize_all(world, env, request, &presented, &mut steps) {
        return CallOutcome::new(steps, None, std::mem::take(&mut env.notes));
    }
    let session = new_session(world, request, presented);
    env.note(|| describe_session(&session));
    world.add_session(session);
    // The world's sessions changed: contexts built before may describe an older session.
    env.forget_contexts();
    CallOutcome::new(steps, None, std::mem::take(&mut env.notes))
}

/// A refusal of the request itself, before any policy is read.
fn refusal(request: &AssumeRoleRequest<'_>, error: ClientError) -> Step {
    rejected(
        StepKind::StsRequestCheck,
        format!("STS checks the {} request", request.call.name()),
        request.call.name(),
        request.role,
        request.caller,
        error,
    )
}

/// A parameter out of its bounds.
fn invalid(message: impl Into<String>) -> ClientError {
    ClientError::new(ErrorCode::ValidationError, message)
}

/// `[\w+=,.@-]{2,64}`: session names and source identities.
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
fn is_session_name(text: &str) -> bool {
    (2..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// Reads what the request presents, checking what STS checks before any policy.
fn present(
    world: &World,
    env: &mut Env<'_>,
    request: &AssumeRoleRequest<'_>,
) -> Result<Presented, ClientError> {
    let role_account = match IamEntity::parse(request.role) {
        Some(IamEntity::Role { account, .. }) => account,
        _ => {
            return Err(invalid(format!(
                "RoleArn must be an IAM role ARN, found {:?}",
                request.role
            )))
        }
    };
    let parameters = request.parameters;
    let mut presented = match request.call {
        StsCall::AssumeRole => from_caller(world, request)?,
        StsCall::AssumeRoleWithWebIdentity | StsCall::AssumeRoleWithSaml => {
            from_credential(world, env, request, &role_account)?
        }
    };
    if !is_session_name(&presented.session_name) {
        let (code, message) = match request.call {
            StsCall::AssumeRoleWithSaml => (
                ErrorCode::InvalidIdentityToken,
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}".to_string(),
            ),
            _ => (
                ErrorCode::ValidationError,
                format!(
                    "1 validation error detected: Value '{}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
                    presented.session_name
                ),
            ),
        };
        return Err(ClientError::new(code, message));
    }
    if let Some(identity) = &presented.source_identity {
        if !is_session_name(identity) || identity.starts_with("aws:") {
            return Err(ClientError::new(
                if request.call.is_federated() {
                    ErrorCode::InvalidIdentityToken
                } else {
                    ErrorCode::ValidationError
                },
                "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
            ));
        }
    }
    if presented.requested_tags.len() + presented.inherited_tags.len() > MAX_SESSION_TAGS {
        return Err(invalid("a session carries at most 50 session tags"));
    }
    // A chained request may not pass a tag whose key the calling session passes on as
    // transitive. AWS documents that the request fails, not its error code.
    if let Some((key, _)) = presented.requested_tags.iter().find(|(k, _)| {
        presented
            .inherited_transitive
            .iter()
            .any(|t| t.eq_ignore_ascii_case(k))
    }) {
        return Err(invalid(format!("the session tag {key:?} is a transitive tag of the calling session and cannot be set again (AWS documents that the request fails; iamsim reports it as ValidationError)"),
        ));
    }
    presented.requested_transitive = parameters.transitive_tag_keys.clone();
    Ok(presented)
}

/// AssumeRole: the caller's own session, if an earlier call created it, passes on its
/// transitive tags and source identity.
fn from_caller(world: &World, request: &AssumeRoleRequest<'_>) -> Result<Presented, ClientError> {
    let caller = request.caller;
    if !caller.is_iam_principal() {
        return Err(ClientError::new(
            ErrorCode::AccessDenied,
            "sts:AssumeRole needs the credentials of an IAM user or role session",
        ));
    }
    // Observed answer to a root user's AssumeRole.
    if caller.kind == CallerKind::Root {
        return Err(ClientError::new(
            ErrorCode::AccessDenied,
            "Roles may not be assumed by root accounts.",
        ));
    }
    let parameters = request.parameters;
    let calling = caller.arn.as_deref().and_then(|a| world.sessions.get(a));
    let inherited_transitive = calling.map_or(Vec::new(), |s| s.transitive_tag_keys.clone());
    let inherited_tags = calling.map_or(Vec::new(), |s| {
        s.tags
            .iter()
            .filter(|(k, _)| {
                inherited_transitive
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(k))
            })
            .cloned()
            .collect()
    });
    let inherited_identity = calling.and_then(|s| s.source_identity.clone());
    // A source identity, once set, stays for the whole chain and cannot change.
    let source_identity = match (&inherited_identity, &parameters.source_identity) {
        (Some(had), Some(asked)) if had != asked => {
            return Err(ClientError::new(
                    ErrorCode::AccessDenied,
                    format!("the calling session's source identity is {had:?}; a chained session keeps it and cannot set {asked:?}"),
                ),
            )
        }
        (Some(had), _) => Some(had.clone()),
        (None, asked) => asked.clone(),
    };
    Ok(Presented {
        caller: caller.clone(),
        session_name: parameters
            .session_name
            .clone()
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
        requested_tags: parameters.tags.clone(),
        requested_transitive: Vec::new(),
        inherited_tags,
        inherited_transitive,
        source_identity,
        request_keys: Vec::new(),
        session_keys: Vec::new(),
        federated: false,
    })
}

/// The federated calls: the principal's token or assertion, checked against the identity
/// provider of the role's account.
fn from_credential(
    world: &World,
    env: &mut Env<'_>,
    request: &AssumeRoleRequest<'_>,
    role_account: &str,
) -> Result<Presented, ClientError> {
    let name = match &request.caller.kind {
        CallerKind::WebIdentity { name, .. } | CallerKind::Saml { name, .. } => name.as_str(),
        _ => "",
    };
    let Some(principal) = world.federated.get(name) else {
        return Err(ClientError::new(
            ErrorCode::AccessDenied,
            format!("{name:?} is not a web identity or SAML principal of the scenario"),
        ));
    };
    let (caller, session_name, request_keys, session_keys) =
        match (&principal.credential, request.call) {
            (
                FederatedCredential::WebIdentity { provider, claims },
                StsCall::AssumeRoleWithWebIdentity,
            ) => {
                let token = web_identity(world, role_account, provider, claims)?;
                env.note(|| format!("the token's provider is {}", token.provider_id));
                let caller = Caller::federated(CallerKind::WebIdentity {
                    name: name.to_string(),
                    provider: token.provider_id,
                });
                let session_name = request
                    .parameters
                    .session_name
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string());
                (caller, session_name, token.request_keys, token.session_keys)
            }
            (FederatedCredential::Saml { .. }, StsCall::AssumeRoleWithSaml) => {
                let assertion = saml(world, role_account, principal)?;
                let caller = Caller::federated(CallerKind::Saml {
                    name: name.to_string(),
                    provider: assertion.provider_arn,
                });
                (
                    caller,
                    assertion.session_name,
                    assertion.request_keys,
                    assertion.session_keys,
                )
            }
            _ => {
                return Err(ClientError::new(
                    ErrorCode::AccessDenied,
                    format!(
                        "{name} presents its credential with {}, not {}",
                        principal.call_name(),
                        request.call.name()
                    ),
                ))
            }
        };
    Ok(Presented {
        caller,
        session_name,
        requested_tags: principal.request.tags.clone(),
        requested_transitive: Vec::new(),
        inherited_tags: Vec::new(),
        inherited_transitive: Vec::new(),
        source_identity: principal.request.source_identity.clone(),
        request_keys,
        session_keys,
        federated: true,
    })
}

/// A web identity token, read against its provider.
struct Token {
    /// How trust policies name the provider (`aws:FederatedProvider`).
    provider_id: String,
    request_keys: Vec<(String, ContextValue)>,
    session_keys: Vec<(String, ContextValue)>,
}

/// Claims whose keys stay in the session ("Available in session" in AWS's table); `oaud` and
/// `email` are for the trust policy only.
const SESSION_CLAIMS: [&str; 6] = ["sub", "aud", "amr", "app_id", "user_id", "id"];

fn web_identity(
    world: &World,
    role_account: &str,
    provider: &str,
    claims: &[(String, ContextValue)],
) -> Result<Token, ClientError> {
    let host = provider.strip_prefix("https://").unwrap_or(provider);
    let claim = |name: &str| {
        claims
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, ContextValue::Remove))
    };
    let built_in = BUILT_IN_WEB_IDENTITY_PROVIDERS
        .iter()
        .find(|b| b.eq_ignore_ascii_case(host));
    let provider_id = match built_in {
        Some(b) => b.to_string(),
        None => {
            // An IAM OIDC provider must exist in the role's account.
            // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
            let arn = format!("arn:aws:iam::{role_account}:oidc-provider/{host}");
            let Some(IdentityProvider::Oidc { client_ids, .. }) =
                world.identity_providers.get(&arn)
            else {
                return Err(ClientError::new(
                    ErrorCode::InvalidIdentityToken,
                    format!("No OpenIDConnect provider found in your account for https://{host}"),
                ));
            };
            // The audience is `azp` when the token has one, else `aud`.
            let audience = claim("azp").or_else(|| claim("aud"));
            let accepted = audience.is_some_and(|a| match a {
                ContextValue::Single(v) => client_ids.contains(v),
                ContextValue::Multi(vs) => vs.iter().any(|v| client_ids.contains(v)),
                ContextValue::Remove => false,
            });
            if !accepted {
                return Err(ClientError::new(
                    ErrorCode::InvalidIdentityToken,
                    "Incorrect token audience",
                ));
            }
            arn
        }
    };
    // Keys are the provider name, `:`, and the claim; `aud` takes `azp` when the token has
    // one and `oaud` the token's own `aud`.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
    let prefix = built_in.map_or(host, |b| b);
    let mut request_keys: Vec<(String, ContextValue)> = Vec::new();
    for (name, value) in claims {
        if matches!(value, ContextValue::Remove) || name == "azp" {
            continue;
        }
        if name == "aud" {
            request_keys.push((format!("{prefix}:oaud"), value.clone()));
            let aud = claim("azp").unwrap_or(value);
            request_keys.push((format!("{prefix}:aud"), aud.clone()));
        } else {
            request_keys.push((format!("{prefix}:{name}"), value.clone()));
        }
    }
    request_keys.push((
        "aws:FederatedProvider".to_string(),
        ContextValue::Single(provider_id.clone()),
    ));
    let session_keys = request_keys
        .iter()
        .filter(|(k, _)| {
            k == "aws:FederatedProvider"
                || k.rsplit_once(':')
                    .is_some_and(|(_, claim)| SESSION_CLAIMS.contains(&claim))
        })
        .cloned()
        .collect();
    Ok(Token {
        provider_id,
        request_keys,
        session_keys,
    })
}

/// A SAML assertion, read against its provider.
struct Assertion {
    provider_arn: String,
    session_name: String,
    request_keys: Vec<(String, ContextValue)>,
    session_keys: Vec<(String, ContextValue)>,
}

/// The SAML keys that stay in the session; every other SAML key is for the trust policy only.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#cross-condition-keys-saml
const SAML_SESSION_KEYS: [&str; 3] = ["saml:sub", "saml:sub_type", "saml:namequalifier"];

/// The format prefix STS removes from `saml:sub_type`.
const NAME_ID_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

fn saml(
    world: &World,
    role_account: &str,
    principal: &FederatedPrincipal,
) -> Result<Assertion, ClientError> {
    let FederatedCredential::Saml {
        provider,
        sub,
        sub_type,
        recipient,
        issuer,
        session_name,
        attributes,
    } = &principal.credential
    else {
        unreachable!("the caller matched a SAML credential");
    };
    // The SAML provider must exist in the role's account. AWS documents the message, not the
    // error code; iamsim reports InvalidIdentityToken, STS's code for a refused assertion.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
    let found = world
        .identity_providers
        .get(provider)
        .filter(|_| IamEntity::account_of(provider) == Some(role_account));
    let Some(IdentityProvider::Saml {
        account,
        name,
        issuer: provider_issuer,
        ..
    }) = found
    else {
        return Err(ClientError::new(
            ErrorCode::InvalidIdentityToken,
            "Specified provider doesn't exist.",
        ));
    };
    let issuer = issuer.as_deref().unwrap_or(provider_issuer);
    if issuer != provider_issuer {
        return Err(ClientError::new(
            ErrorCode::InvalidIdentityToken,
            "Failed to assume role: Issuer not present in specified provider",
        ));
    }
    // saml:namequalifier = Base64(SHA1(issuer + account id + "/" + provider name)).
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html
    let digest = sha1::Sha1::digest(format!("{issuer}{account}/{name}").as_bytes());
    let qualifier = base64::engine::general_purpose::STANDARD.encode(digest);
    let sub_type = sub_type.strip_prefix(NAME_ID_FORMAT).unwrap_or(sub_type);
    let single = |v: &str| ContextValue::Single(v.to_string());
    let mut request_keys = vec![
        ("saml:aud".to_string(), single(recipient)),
        ("saml:iss".to_string(), single(issuer)),
        ("saml:sub".to_string(), single(sub)),
        ("saml:sub_type".to_string(), single(sub_type)),
        ("saml:doc".to_string(), single(&format!("{account}/{name}"))),
        ("saml:namequalifier".to_string(), single(&qualifier)),
    ];
    for (attribute, values) in attributes {
        let value = match values.as_slice() {
            [one] => single(one),
            many => ContextValue::Multi(many.to_vec()),
        };
        request_keys.push((format!("saml:{attribute}"), value));
    }
    let session_keys = request_keys
        .iter()
        .filter(|(k, _)| SAML_SESSION_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    Ok(Assertion {
        provider_arn: provider.clone(),
        session_name: session_name.clone(),
        request_keys,
        session_keys,
    })
}

/// `DurationSeconds`: 900 seconds up to the role's maximum, and at most an hour for a session
/// that a role session asks for (role chaining).
fn check_duration(
    world: &World,
    request: &AssumeRoleRequest<'_>,
    presented: &Presented,
) -> Result<(), ClientError> {
    let Some(asked) = request.parameters.duration_seconds else {
        return Ok(());
    };
    let maximum = world
        .principal(request.role)
        .filter(|p| p.is_role)
        .map_or(DEFAULT_DURATION, |r| r.max_session_duration);
    let chained = matches!(presented.caller.kind, CallerKind::RoleSession { .. });
    if asked < MIN_DURATION {
        return Err(invalid(format!("1 validation error detected: Value '{asked}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
        ));
    }
    if chained && asked > CHAINED_MAX_DURATION {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html#iam-term-role-chaining
        return Err(invalid("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if asked > maximum {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
        return Err(invalid(
            "Requested DurationSeconds exceeds MaxSessionDuration set for this role.",
        ));
    }
    Ok(())
}

/// The authorizations of the call: its own action on the role, then `sts:TagSession` when the
/// session will carry tags, then `sts:SetSourceIdentity` when it will carry a source identity.
/// Returns whether all passed.
fn authorize_all(
    world: &World,
    env: &mut Env<'_>,
    request: &AssumeRoleRequest<'_>,
    presented: &Presented,
    steps: &mut Vec<Step>,
) -> bool {
    let mut actions = vec![request.call.name()];
    if !presented.requested_tags.is_empty() || !presented.inherited_tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if presented.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    let role_arn: Arc<str> = request.role.into();
    for action in actions {
        let context = request_context(world, env, request, presented, action);
        let title = || match action {
            "sts:TagSession" => format!(
                "the new session carries tags: {} needs sts:TagSession on {}",
                presented.caller, request.role
            ),
            "sts:SetSourceIdentity" => format!(
                "the new session carries a source identity: sts:SetSourceIdentity on {}",
                request.role
            ),
            _ => format!("STS authorizes {action} on {}", request.role),
        };
        let mut step = authorize(
            world,
            env,
            AuthStep {
                kind: StepKind::StsAuthorization,
                title: &title,
                caller: &presented.caller,
                action: Cow::Borrowed(action),
                resource: &role_arn,
                resource_account: None,
                context,
                session_policy: request.options.session_policy,
                endpoint: env.endpoint(world),
                notes: Vec::new(),
            },
        );
        refuse(request, &mut step);
        let passed = step.outcome.passed();
        steps.push(step);
        if !passed {
            return false;
        }
    }
    true
}

/// What the client reads when an authorization fails. The federated calls answer every
/// refusal with the same short text, naming neither the caller nor the reason.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
fn refuse(request: &AssumeRoleRequest<'_>, step: &mut Step) {
    let StepOutcome::Denied { message, error, .. } = &mut step.outcome else {
        return;
    };
    if request.call.is_federated() {
        *message = format!("Not authorized to perform {}", request.call.name());
    }
    *error = Some(ClientError::new(ErrorCode::AccessDenied, message.clone()));
}

/// The request context of one authorization: the caller's keys, the request's parameters as
/// STS keys, the tags asked for, the role's tags as resource tags, the credential's claims,
/// and the request's own values over them.
fn request_context(
    world: &World,
    env: &mut Env<'_>,
    request: &AssumeRoleRequest<'_>,
    presented: &Presented,
    action: &str,
) -> Context {
    let endpoint = env.endpoint(world);
    let mut ctx = env.base_context(
        world,
        &BaseRequest {
            caller: &presented.caller,
            action,
            resource: request.role,
            resource_account: IamEntity::account_of(request.role),
            endpoint,
            via_s3: None,
            region: None,
        },
    );
    ctx.apply(&presented.request_keys);
    ctx.set("sts:RoleSessionName", presented.session_name.as_str());
    if let Some(id) = &request.parameters.external_id {
        ctx.set("sts:ExternalId", id.as_str());
    }
    if !presented.requested_tags.is_empty() {
        for (k, v) in &presented.requested_tags {
            ctx.set(format!("aws:RequestTag/{k}"), v.as_str());
        }
        ctx.set_multi(
            "aws:TagKeys",
            presented
                .requested_tags
                .iter()
                .map(|(k, _)| k.clone())
                .collect(),
        );
    }
    let transitive = transitive_requested(request, presented);
    if !transitive.is_empty() {
        ctx.set_multi("sts:TransitiveTagKeys", transitive);
    }
    if let Some(identity) = &presented.source_identity {
        ctx.set("sts:SourceIdentity", identity.as_str());
    }
    if let Some(role) = world.principal(request.role) {
        for (k, v) in &role.tags {
            ctx.set(format!("aws:ResourceTag/{k}"), v.as_str());
            ctx.set(format!("iam:ResourceTag/{k}"), v.as_str());
        }
    }
    ctx.apply(env.options.context);
    ctx
}

/// The transitive tag keys this request names (AssumeRole) or its token or assertion does.
fn transitive_requested(request: &AssumeRoleRequest<'_>, presented: &Presented) -> Vec<String> {
    if presented.federated {
        presented.requested_transitive.clone()
    } else {
        request.parameters.transitive_tag_keys.clone()
    }
}

/// The session a successful call creates.
fn new_session(world: &World, request: &AssumeRoleRequest<'_>, presented: Presented) -> Session {
    let role = world.principal(request.role).filter(|p| p.is_role);
    let account = IamEntity::account_of(request.role).unwrap_or_default();
    let partition = request.role.split(':').nth(1).unwrap_or("aws");
    let role_name = last_path_element(request.role.rsplit_once(":role/").map_or("", |(_, r)| r));
    let arn = format!(
        "arn:{partition}:sts::{account}:assumed-role/{role_name}/{}",
        presented.session_name
    );
    // The role's tags, then the inherited transitive tags, then the tags passed: each overrides
    // a key of the ones before it, without regard to case.
    let mut tags = role.map_or(Vec::new(), |r| r.tags.clone());
    for (k, v) in presented
        .inherited_tags
        .iter()
        .chain(&presented.requested_tags)
    {
        merge_tag(&mut tags, k, v);
    }
    let mut transitive = presented.inherited_transitive.clone();
    for key in transitive_requested(request, &presented) {
        if !transitive.iter().any(|t| t.eq_ignore_ascii_case(&key)) {
            transitive.push(key);
        }
    }
    Session {
        arn,
        role_arn: role.map_or_else(|| request.role.to_string(), |r| r.arn.clone()),
        name: presented.session_name,
        tags,
        transitive_tag_keys: transitive,
        source_identity: presented.source_identity,
        policy: request.parameters.policy.clone(),
        federated_keys: presented.session_keys,
        duration_seconds: request
            .parameters
            .duration_seconds
            .unwrap_or(DEFAULT_DURATION),
        federated: presented.federated,
    }
}

fn describe_session(session: &Session) -> String {
    let mut text = format!("STS created the session {}", session.arn);
    if !session.tags.is_empty() {
        let tags: Vec<String> = session
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        text.push_str(&format!(", tags {}", tags.join(", ")));
    }
    if !session.transitive_tag_keys.is_empty() {
        text.push_str(&format!(
            ", transitive {}",
            session.transitive_tag_keys.join(", ")
        ));
    }
    if let Some(s) = &session.source_identity {
        text.push_str(&format!(", source identity {s}"));
    }
    if session.policy.is_some() {
        text.push_str(", with a session policy");
    }
    text
}
