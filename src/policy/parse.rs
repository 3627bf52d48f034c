//! Reading a policy document: JSON tree -> checked, compiled [`Policy`], with every problem
//! reported by JSON path. Which elements each policy type accepts follows
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html and the
//! per-type pages cited beside each rule.

use std::sync::Arc;

use super::arn::{is_account_id, ArnPattern, IamEntity, ServiceCase};
use super::condition::{Condition, Operator};
use super::model::*;
use super::wildcard::Glob;
use crate::json::{
    suggest, Diagnostic, Diagnostics, JsonPath, Node, Problem, SourceText, Span, Value,
};

/// Most statements accepted in one policy. AWS's own size limits (6,144 characters for a
/// managed policy, 20 KB for a bucket policy) allow a few hundred; the limit is generous so
/// that generated policies can be studied, and exists so that memory stays bounded.
pub const MAX_STATEMENTS: usize = 100_000;

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Why a policy text was rejected: every problem, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PolicyError(pub Vec<Problem>);

/// Parses policy text (a file's contents). `name` is how reports will name the policy.
pub fn parse_policy_text(
    source: &SourceText,
    policy_type: PolicyType,
    name: &str,
) -> Result<Policy, PolicyError> {
    let node = source
        .parse(false)
        .map_err(|d| PolicyError(vec![source.locate(&d)]))?;
    let mut diags = Diagnostics::new();
    match parse_policy(
        &node,
        policy_type,
        name,
        &JsonPath::root(),
        source,
        &mut diags,
    ) {
        Some(p) if diags.is_empty() => Ok(p),
        _ => Err(PolicyError(
            diags.iter().map(|d| source.locate(d)).collect(),
        )),
    }
}

/// Parses a policy document node. The node may be the document itself, a JSON string holding
/// it (as AWS APIs return policies), or the AWS CLI's `{"PolicyVersion": {"Document": ...}}`
/// and `{"Policy": "..."}` wrappers. Problems go to `diags`; `None` when there were any.
pub fn parse_policy(
    node: &Node,
    policy_type: PolicyType,
    name: &str,
    path: &JsonPath,
    source: &SourceText,
    diags: &mut Diagnostics,
) -> Option<Policy> {
    // A document given as a JSON string: parse the string, and report inner problems at the
    // string's own position (with the inner line and column in the message).
    if let Value::String(text) = &node.value {
        // IAM's API returns documents URL-encoded (the CLI decodes them); accept both, and say
        // so when a document was encoded twice.
        let decoded;
        let text: &str = if text.trim_start().starts_with('%') {
            decoded = percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned();
            if decoded.trim_start().starts_with('%') {
                diags.push(Diagnostic::new(
                    path,
                    node.span,
                    "the policy is URL-encoded twice: decoding it once still gives URL-encoded text (%7B...), not JSON",
                ));
                return None;
            }
            &decoded
        } else {
            text
        };
        let inner = SourceText::new(format!("{} (string)", source.name), text.to_string());
        return match inner.parse(false) {
            Ok(inner_node) => {
                let mut inner_diags = Diagnostics::new();
                let mut policy = parse_policy(
                    &inner_node,
                    policy_type,
                    name,
                    path,
                    &inner,
                    &mut inner_diags,
                );
                // Positions inside the string mean nothing in the file: every element of the
                // policy is located at the string itself.
                let line = (node.span != Span::default()).then(|| source.line(node.span.offset()));
                if let Some(p) = &mut policy {
                    for s in &mut p.statements {
                        s.relocate(node.span.start, line);
                    }
                }
                for d in inner_diags {
                    let (line, col) = inner.line_col(d.span.offset());
                    diags.push(Diagnostic {
                        message: format!(
                            "{} (line {line}, column {col} of the policy string)",
                            d.message
                        ),
                        span: node.span,
                        ..d
                    });
                }
                policy
            }
            Err(d) => {
                diags.push(Diagnostic::new(
                    path,
                    node.span,
                    format!("the policy string is not JSON: {}", d.message),
                ));
                None
            }
        };
    }
    if let Some((inner, key_path)) = cli_wrapped_document(node) {
        let mut inner_path = path.clone();
        for key in key_path {
            inner_path = inner_path.key(key);
        }
        return parse_policy(inner, policy_type, name, &inner_path, source, diags);
    }
    parse_document(node, policy_type, name, path, source, diags)
}

/// The document inside what an AWS CLI command prints, and the keys that lead to it:
/// `get-policy-version` (`PolicyVersion.Document`), `get-role-policy` / `get-user-policy` /
/// `get-group-policy` (`PolicyDocument`), `get-role` (`Role.AssumeRolePolicyDocument`),
/// `s3api get-bucket-policy` and `kms get-key-policy` (`Policy`, a string, beside `PolicyName`),
/// `organizations describe-policy` (`Policy.Content`). `None` for a document itself.
fn cli_wrapped_document<'n>(node: &'n Node<'n>) -> Option<(&'n Node<'n>, Vec<&'static str>)> {
    let members = node.as_object()?;
    if members
        .iter()
        .any(|m| matches!(&*m.name, "Statement" | "Version" | "Id"))
    {
        return None;
    }
    if let Some(doc) = node.get("PolicyVersion").and_then(|v| v.get("Document")) {
        return Some((doc, vec!["PolicyVersion", "Document"]));
    }
    if let Some(doc) = node.get("PolicyDocument") {
        return Some((doc, vec!["PolicyDocument"]));
    }
    if let Some(doc) = node
        .get("Role")
        .and_then(|r| r.get("AssumeRolePolicyDocument"))
    {
        return Some((doc, vec!["Role", "AssumeRolePolicyDocument"]));
    }
    match node.get("Policy") {
        Some(
            doc @ Node {
                value: Value::String(_),
                ..
            },
        ) => Some((doc, vec!["Policy"])),
        Some(p) => p.get("Content").map(|doc| (doc, vec!["Policy", "Content"])),
        None => None,
    }
}

/// A policy document proper: `Version`, `Id` and `Statement`.
fn parse_document(
    node: &Node,
    policy_type: PolicyType,
    name: &str,
    path: &JsonPath,
    source: &SourceText,
    diags: &mut Diagnostics,
) -> Option<Policy> {
    let before = diags.len();
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::new(
            path,
            node.span,
            format!(
                "expected a policy document (an object with Version and Statement), found {}",
                node.kind()
            ),
        ));
        return None;
    };
    check_duplicates(node, path, diags);
    let (version, id, statements_node) = document_members(members, path, diags);
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
    if policy_type == PolicyType::Rcp && version != Version::V2012_10_17 {
        diags.push(Diagnostic::new(
            &path.key("Version"),
            node.span,
            "a resource control policy must say \"Version\": \"2012-10-17\"",
        ));
    }
    let Some(statements_node) = statements_node else {
        diags.push(Diagnostic::new(
            &path.key("Statement"),
            node.span,
            "missing Statement: a policy needs at least one statement",
        ));
        return None;
    };
    let items = statement_items(statements_node, path, diags)?;
    let mut statements = Vec::with_capacity(items.len());
    for (index, (p, item)) in items.into_iter().enumerate() {
        if let Some(s) = parse_statement(item, index, policy_type, version, &p, source, diags) {
            statements.push(s);
        }
    }
    if diags.len() > before {
        return None;
    }
    Some(Policy::new(name, policy_type, version, id, statements))
}

/// The members of a document: its version (2008-10-17 when absent), id and statement list.
fn document_members<'n>(
    members: &'n [crate::json::Member<'n>],
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> (Version, Option<String>, Option<&'n Node<'n>>) {
    let mut version = Version::V2008_10_17;
    let mut id = None;
    let mut statements_node = None;
    for m in members {
        let p = path.key(&m.name);
        match &*m.name {
            "Version" => match m.value.as_str() {
                Some("2012-10-17") => version = Version::V2012_10_17,
                Some("2008-10-17") => version = Version::V2008_10_17,
                _ => diags.push(Diagnostic::new(
                    &p,
                    m.value.span,
                    format!(
                        "expected \"2012-10-17\" or \"2008-10-17\", found {}",
                        describe(&m.value)
                    ),
                )),
            },
            "Id" => match m.value.as_str() {
                Some(s) => id = Some(s.to_string()),
                None => diags.push(Diagnostic::new(
                    &p,
                    m.value.span,
                    format!("expected a string, found {}", m.value.kind()),
                )),
            },
            "Statement" => statements_node = Some(&m.value),
            other => diags.push(
                Diagnostic::new(
                    &p,
                    m.name_span,
                    format!("unknown policy element {other:?}; expected Version, Id or Statement"),
                )
                .with_suggestion(suggest(other, ["Version", "Id", "Statement"])),
            ),
        }
    }
    (version, id, statements_node)
}

/// The statements of `Statement`: one object or an array of them, at most [`MAX_STATEMENTS`].
fn statement_items<'n>(
    statements_node: &'n Node<'n>,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<Vec<(JsonPath, &'n Node<'n>)>> {
    let statement_path = path.key("Statement");
    let items: Vec<(JsonPath, &Node)> = match &statements_node.value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| (statement_path.index(i), n))
            .collect(),
        Value::Object(_) => vec![(statement_path.clone(), statements_node)],
        _ => {
            diags.push(Diagnostic::new(
                &statement_path,
                statements_node.span,
                format!(
                    "expected a statement object or an array of them, found {}",
                    statements_node.kind()
                ),
            ));
            return None;
        }
    };
    if items.len() > MAX_STATEMENTS {
        diags.push(Diagnostic::new(
            &statement_path,
            statements_node.span,
            format!("{} statements; the limit is {MAX_STATEMENTS}", items.len()),
        ));
        return None;
    }
    Some(items)
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::String(s) => format!("{s:?}"),
        _ => node.kind().to_string(),
    }
}

/// Reports keys that appear twice in one object (IAM rejects such policies).
fn check_duplicates(node: &Node, path: &JsonPath, diags: &mut Diagnostics) {
    if let Some(members) = node.as_object() {
        for m in crate::json::repeated_members(members) {
            diags.push(Diagnostic::new(
                &path.key(&m.name),
                m.name_span,
                format!("duplicate key {:?} in one object", m.name),
            ));
        }
    }
}

/// A string or an array of strings (AWS accepts a bare string wherever a list goes), each
/// with its path and span.
fn string_list(
    node: &Node,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Vec<(String, JsonPath, Span)> {
    match &node.value {
        Value::String(s) => vec![(s.to_string(), path.clone(), node.span)],
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) => out.push((s.to_string(), path.index(i), item.span)),
                    None => diags.push(Diagnostic::new(
                        &path.index(i),
                        item.span,
                        format!("expected a string, found {}", item.kind()),
                    )),
                }
            }
            out
        }
        _ => {
            diags.push(Diagnostic::new(
                path,
                node.span,
                format!(
                    "expected a string or an array of strings, found {}",
                    node.kind()
                ),
            ));
            Vec::new()
        }
    }
}

fn parse_statement(
    node: &Node,
    index: usize,
    policy_type: PolicyType,
    version: Version,
    path: &JsonPath,
    source: &SourceText,
    diags: &mut Diagnostics,
) -> Option<Statement> {
    let before = diags.len();
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::new(
            path,
            node.span,
            format!("expected a statement object, found {}", node.kind()),
        ));
        return None;
    };
    check_statement_keys(node, members, path, diags);
    let variables = version == Version::V2012_10_17;

    let sid = parse_sid(node, path, diags);
    let effect = parse_effect(node, path, diags);

    let principal = parse_principal_element(node, policy_type, effect, path, diags);
    let action = parse_action_element(node, path, diags);
    let resource = parse_resource_element(node, policy_type, variables, path, diags);
    let (conditions, condition_offsets): (Vec<Condition>, Vec<u32>) = match node.get("Condition") {
        None => (Vec::new(), Vec::new()),
        Some(n) => parse_conditions(n, variables, &path.key("Condition"), diags)
            .into_iter()
            .unzip(),
    };

    if policy_type == PolicyType::Rcp && effect == Some(Effect::Allow) {
        check_rcp_allow(
            node,
            action.as_ref(),
            resource.as_ref(),
            &conditions,
            path,
            diags,
        );
    }

    if diags.len() > before {
        return None;
    }
    let line = source.line(node.span.offset());
    let principal_offset = node
        .get("Principal")
        .or_else(|| node.get("NotPrincipal"))
        .map(|n| n.span.start);
    Some(Statement {
        index,
        sid,
        effect: effect?,
        principal,
        action: action?,
        resource,
        conditions,
        line: (node.span != Default::default()).then_some(line),
        offset: node.span.start,
        principal_offset,
        condition_offsets,
    })
}

/// Reports duplicated and unknown statement elements.
fn check_statement_keys(
    node: &Node,
    members: &[crate::json::Member],
    path: &JsonPath,
    diags: &mut Diagnostics,
) {
    check_duplicates(node, path, diags);
    for m in members {
        if !STATEMENT_KEYS.contains(&&*m.name) {
            diags.push(
                Diagnostic::new(
                    &path.key(&m.name),
                    m.name_span,
                    format!(
                        "unknown statement element {:?}; expected one of {}",
                        m.name,
                        STATEMENT_KEYS.join(", ")
                    ),
                )
                .with_suggestion(suggest(&m.name, STATEMENT_KEYS)),
            );
        }
    }
}

/// `Sid`: any string (the rules on its characters differ by policy type and are not checked).
fn parse_sid(node: &Node, path: &JsonPath, diags: &mut Diagnostics) -> Option<Arc<str>> {
    match node.get("Sid") {
        None => None,
        Some(n) => match n.as_str() {
            Some(s) => Some(Arc::<str>::from(s)),
            None => {
                diags.push(Diagnostic::new(
                    &path.key("Sid"),
                    n.span,
                    format!("expected a string, found {}", n.kind()),
                ));
                None
            }
        },
    }
}

/// `Effect`: `Allow` or `Deny`, case-sensitive.
fn parse_effect(node: &Node, path: &JsonPath, diags: &mut Diagnostics) -> Option<Effect> {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html
    match node.get("Effect") {
        None => {
            diags.push(Diagnostic::new(
                &path.key("Effect"),
                node.span,
                "missing Effect: expected \"Allow\" or \"Deny\"",
            ));
            None
        }
        Some(n) => match n.as_str() {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            _ => {
                diags.push(
                    Diagnostic::new(
                        &path.key("Effect"),
                        n.span,
                        format!(
                            "expected \"Allow\" or \"Deny\" (case-sensitive), found {}",
                            describe(n)
                        ),
                    )
                    .with_suggestion(n.as_str().and_then(|s| suggest(s, ["Allow", "Deny"]))),
                );
                None
            }
        },
    }
}

/// An RCP may allow only as `RCPFullAWSAccess` does: Action `*`, Resource `*`, no Condition.
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
fn check_rcp_allow(
    node: &Node,
    action: Option<&ActionElement>,
    resource: Option<&ResourceElement>,
    conditions: &[Condition],
    path: &JsonPath,
    diags: &mut Diagnostics,
) {
    let full_access = action
        .is_some_and(|a| !a.negated && a.patterns.iter().any(|p| p.service.is_none()))
        && resource.is_some_and(|r| !r.negated && r.patterns.iter().any(|p| p.is_any()))
        && conditions.is_empty();
    if !full_access {
        diags.push(Diagnostic::new(
            &path.key("Effect"),
            node.span,
            "a resource control policy may only Deny (the one Allow is the AWS-managed \
         RCPFullAWSAccess: Action \"*\", Resource \"*\", no Condition)",
        ));
    }
}

fn parse_principal_element(
    node: &Node,
    policy_type: PolicyType,
    effect: Option<Effect>,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<PrincipalElement> {
    let principal = node.get("Principal");
    let not_principal = node.get("NotPrincipal");
    if !policy_type.takes_principal() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
        for (key, n) in [("Principal", principal), ("NotPrincipal", not_principal)] {
            if let Some(n) = n {
                diags.push(Diagnostic::new(
                    &path.key(key),
                    n.span,
                    format!(
                        "{key} is not allowed in {} {}: only resource-based policies name principals",
                        article(policy_type),
                        type_label(policy_type)
                    ),
                ));
            }
        }
        return None;
    }
    let (key, n, negated) = match (principal, not_principal) {
        (Some(_), Some(n)) => {
            diags.push(Diagnostic::new(
                &path.key("NotPrincipal"),
                n.span,
                "a statement may have Principal or NotPrincipal, not both",
            ));
            return None;
        }
        (Some(n), None) => ("Principal", n, false),
        (None, Some(n)) => ("NotPrincipal", n, true),
        (None, None) => {
            // A VPC endpoint policy without a Principal applies to everyone.
            if policy_type == PolicyType::Endpoint {
                return Some(PrincipalElement {
                    negated: false,
                    entries: vec![PrincipalEntry::Everyone],
                });
            }
            diags.push(Diagnostic::new(
                &path.key("Principal"),
                node.span,
                format!(
                    "missing Principal: every statement of {} {} names who it applies to",
                    article(policy_type),
                    type_label(policy_type)
                ),
            ));
            return None;
        }
    };
    let p = path.key(key);
    if negated {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
        if effect == Some(Effect::Allow) {
            diags.push(Diagnostic::new(
                &p,
                n.span,
                "NotPrincipal is only supported with \"Effect\": \"Deny\"",
            ));
        }
        if policy_type == PolicyType::Trust {
            diags.push(Diagnostic::new(
                &p,
                n.span,
                "a role trust policy may not use NotPrincipal",
            ));
        }
    }
    let entries = parse_principal_value(n, &p, diags);
    if policy_type == PolicyType::Rcp && entries != [PrincipalEntry::Everyone] {
        diags.push(Diagnostic::new(
            &p,
            n.span,
            "a resource control policy's Principal must be \"*\"",
        ));
    }
    Some(PrincipalElement { negated, entries })
}

fn article(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity | PolicyType::Scp | PolicyType::Rcp => "an",
        _ => "a",
    }
}

fn type_label(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity => "identity-based policy",
        PolicyType::PermissionsBoundary => "permissions boundary",
        PolicyType::Session => "session policy",
        PolicyType::Scp => "SCP",
        PolicyType::Rcp => "RCP",
        PolicyType::Bucket => "bucket policy",
        PolicyType::Key => "key policy",
        PolicyType::Trust => "role trust policy",
        PolicyType::Endpoint => "VPC endpoint policy",
        PolicyType::Resource => "resource-based policy",
    }
}

/// Reads a `Principal` value: `"*"` or an object keyed by AWS / Service / Federated /
/// CanonicalUser.
pub fn parse_principal_value(
    node: &Node,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Vec<PrincipalEntry> {
    const KINDS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];
    if let Some(s) = node.as_str() {
        if s == "*" {
            return vec![PrincipalEntry::Everyone];
        }
        diags.push(Diagnostic::new(
            path,
            node.span,
            format!(
                "expected \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::111122223333:root\"}}, found {s:?}"
            ),
        ));
        return Vec::new();
    }
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::new(
            path,
            node.span,
            format!(
                "expected \"*\" or an object of principals, found {}",
                node.kind()
            ),
        ));
        return Vec::new();
    };
    check_duplicates(node, path, diags);
    let mut entries = Vec::new();
    for m in members {
        let p = path.key(&m.name);
        let values = string_list(&m.value, &p, diags);
        match &*m.name {
            "AWS" => {
                for (v, vp, _) in values {
                    match aws_principal(&v) {
                        Ok(e) => entries.push(e),
                        Err(e) => diags.push(Diagnostic::new(&vp, m.value.span, e.to_string())),
                    }
                }
            }
            "Service" => {
                for (v, vp, _) in values {
                    if v.contains(['*', '?']) || v.is_empty() {
                        diags.push(Diagnostic::new(
                            &vp,
                            m.value.span,
                            format!("expected a service principal such as \"s3.amazonaws.com\", found {v:?}"),
                        ));
                    } else {
                        entries.push(PrincipalEntry::Service(v.to_ascii_lowercase()));
                    }
                }
            }
            "Federated" => entries.extend(values.into_iter().map(|(v, _, _)| PrincipalEntry::Federated(v))),
            "CanonicalUser" => entries.extend(
                values
                    .into_iter()
                    .map(|(v, _, _)| PrincipalEntry::CanonicalUser(v)),
            ),
            other => diags.push(
                Diagnostic::new(
                    &p,
                    m.name_span,
                    format!(
                        "unknown principal type {other:?}; expected AWS, Service, Federated or CanonicalUser"
                    ),
                )
                .with_suggestion(suggest(other, KINDS)),
            ),
        }
    }
    entries
}

/// Reads a KMS grantee: an account, user, role, assumed-role or federated-user ARN (never `*`).
pub fn grantee_entry(arn: &str) -> Result<PrincipalEntry, PrincipalError> {
    match aws_principal(arn)? {
        PrincipalEntry::Everyone => Err(PrincipalError::EveryoneGrantee),
        e => Ok(e),
    }
}

/// Why a text does not name an AWS principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("{0:?}: a principal cannot contain wildcards other than the whole value \"*\" (use Principal \"*\" with an ArnLike aws:PrincipalArn condition)")]
    Wildcard(String),
    #[error("{0:?} is not an AWS principal: expected \"*\", a 12-digit account id, or the ARN of an account root, IAM user, IAM role, assumed-role session or federated user")]
    NotAPrincipal(String),
    #[error("a grant's grantee cannot be \"*\"")]
    EveryoneGrantee,
}

/// One value of `{"AWS": ...}`.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
fn aws_principal(v: &str) -> Result<PrincipalEntry, PrincipalError> {
    if v == "*" {
        return Ok(PrincipalEntry::Everyone);
    }
    if is_account_id(v) {
        return Ok(PrincipalEntry::Account(v.to_string()));
    }
    if v.contains(['*', '?']) {
        return Err(PrincipalError::Wildcard(v.to_string()));
    }
    match IamEntity::parse(v) {
        Some(IamEntity::Root { account }) => Ok(PrincipalEntry::Account(account)),
        Some(IamEntity::User { .. }) => Ok(PrincipalEntry::User { arn: v.to_string() }),
        Some(IamEntity::Role {
            account,
            path_and_name,
        }) => Ok(PrincipalEntry::Role {
            account,
            name: super::arn::last_path_element(&path_and_name).to_string(),
            arn: v.to_string(),
        }),
        Some(IamEntity::AssumedRole { .. }) => {
            Ok(PrincipalEntry::AssumedRole { arn: v.to_string() })
        }
        Some(IamEntity::FederatedUser { .. }) => {
            Ok(PrincipalEntry::FederatedUser { arn: v.to_string() })
        }
        None => Err(PrincipalError::NotAPrincipal(v.to_string())),
    }
}

fn parse_action_element(
    node: &Node,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<ActionElement> {
    let (key, n, negated) = match (node.get("Action"), node.get("NotAction")) {
        (Some(_), Some(n)) => {
            diags.push(Diagnostic::new(
                &path.key("NotAction"),
                n.span,
                "a statement may have Action or NotAction, not both",
            ));
            return None;
        }
        (Some(n), None) => ("Action", n, false),
        (None, Some(n)) => ("NotAction", n, true),
        (None, None) => {
            diags.push(Diagnostic::new(
                &path.key("Action"),
                node.span,
                "missing Action: a statement needs Action or NotAction",
            ));
            return None;
        }
    };
    let p = path.key(key);
    let values = string_list(n, &p, diags);
    if values.is_empty() && matches!(n.value, Value::Array(_)) {
        diags.push(Diagnostic::new(&p, n.span, "expected at least one action"));
    }
    let mut patterns = Vec::new();
    for (v, vp, span) in values {
        match action_pattern(&v) {
            Some(a) => patterns.push(ActionPattern {
                offset: span.start,
                ..a
            }),
            None => diags.push(Diagnostic::new(
                &vp,
                span,
                format!(
                    "expected \"*\" or \"service:ActionName\" (e.g. \"s3:GetObject\"), found {v:?}"
                ),
            )),
        }
    }
    Some(ActionElement {
        negated,
        patterns,
        offset: n.span.start,
    })
}

/// Compiles one action pattern; both parts compare case-insensitively, so both are lowercased.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
pub fn action_pattern(v: &str) -> Option<ActionPattern> {
    if v == "*" {
        return Some(ActionPattern {
            source: v.to_string(),
            service: None,
            name: Glob::new("*"),
            offset: 0,
        });
    }
    let (service, name) = v.split_once(':')?;
    let service = service.trim();
    if service.is_empty() || name.is_empty() || v.trim().contains(char::is_whitespace) {
        return None;
    }
    Some(ActionPattern {
        source: v.to_string(),
        service: Some(service.to_ascii_lowercase()),
        name: Glob::new(&name.to_ascii_lowercase()),
        offset: 0,
    })
}

fn parse_resource_element(
    node: &Node,
    policy_type: PolicyType,
    variables: bool,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<ResourceElement> {
    let (key, n, negated) = match (node.get("Resource"), node.get("NotResource")) {
        (Some(_), Some(n)) => {
            diags.push(Diagnostic::new(
                &path.key("NotResource"),
                n.span,
                "a statement may have Resource or NotResource, not both",
            ));
            return None;
        }
        (Some(n), None) => ("Resource", n, false),
        (None, Some(n)) => ("NotResource", n, true),
        (None, None) => {
            // Trust policies name no resource (the role is the resource). A key-policy
            // statement without Resource is accepted by KMS but applies to nothing.
            // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
            if !matches!(policy_type, PolicyType::Trust | PolicyType::Key) {
                diags.push(Diagnostic::new(
                    &path.key("Resource"),
                    node.span,
                    "missing Resource: a statement needs Resource or NotResource",
                ));
            }
            return None;
        }
    };
    let p = path.key(key);
    let values = string_list(n, &p, diags);
    if values.is_empty() && matches!(n.value, Value::Array(_)) {
        diags.push(Diagnostic::new(
            &p,
            n.span,
            "expected at least one resource",
        ));
    }
    let mut patterns = Vec::with_capacity(values.len());
    let mut offsets = Vec::with_capacity(values.len());
    for (v, vp, span) in values {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
        if v != "*" && !v.starts_with("arn:") {
            diags.push(Diagnostic::new(
                &vp,
                span,
                format!("expected an ARN (arn:partition:service:region:account:resource) or \"*\", found {v:?}"),
            ));
            continue;
        }
        patterns.push(ArnPattern::new(&v, variables, ServiceCase::Insensitive));
        offsets.push(span.start);
    }
    Some(ResourceElement {
        negated,
        patterns,
        offset: n.span.start,
        offsets,
    })
}

/// The conditions of a `Condition` element, each with the byte offset of its key.
fn parse_conditions(
    node: &Node,
    variables: bool,
    path: &JsonPath,
    diags: &mut Diagnostics,
) -> Vec<(Condition, u32)> {
    let Some(members) = node.as_object() else {
        diags.push(Diagnostic::new(
            path,
            node.span,
            format!(
                "expected an object of condition operators, found {}",
                node.kind()
            ),
        ));
        return Vec::new();
    };
    check_duplicates(node, path, diags);
    let mut out = Vec::new();
    for m in members {
        let op_path = path.key(&m.name);
        let Some(operator) = Operator::parse(&m.name) else {
            let names = Operator::known_names();
            diags.push(
                Diagnostic::new(
                    &op_path,
                    m.name_span,
                    format!("unknown condition operator {:?}", m.name),
                )
                .with_suggestion(suggest(&m.name, names.iter().map(String::as_str))),
            );
            continue;
        };
        let Some(keys) = m.value.as_object() else {
            diags.push(Diagnostic::new(
                &op_path,
                m.value.span,
                format!(
                    "expected an object mapping condition keys to values, found {}",
                    m.value.kind()
                ),
            ));
            continue;
        };
        check_duplicates(&m.value, &op_path, diags);
        for k in keys {
            out.extend(
                parse_condition(operator, k, variables, &op_path.key(&k.name), diags)
                    .map(|c| (c, k.name_span.start)),
            );
        }
    }
    out
}

/// One key of one operator: its values, compiled for the operator.
fn parse_condition(
    operator: Operator,
    k: &crate::json::Member,
    variables: bool,
    key_path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    let raw = condition_values(k, key_path, diags)?;
    if k.name.is_empty() {
        diags.push(Diagnostic::new(
            key_path,
            k.name_span,
            "empty condition key",
        ));
        return None;
    }
    let is_array = matches!(k.value.value, Value::Array(_));
    let spans: Vec<_> = raw.iter().map(|(_, s)| *s).collect();
    match Condition::compile(
        operator,
        &k.name,
        raw.into_iter().map(|(t, _)| t).collect(),
        variables,
    ) {
        Ok(c) => Some(c),
        Err(errors) => {
            for (i, e) in errors {
                let vp = if is_array {
                    key_path.index(i)
                } else {
                    key_path.clone()
                };
                diags.push(Diagnostic::new(&vp, spans[i], e));
            }
            None
        }
    }
}

/// A condition key's values: one scalar or an array of them, each with its position.
fn condition_values(
    k: &crate::json::Member,
    key_path: &JsonPath,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, crate::json::Span)>> {
    let values: Vec<(String, crate::json::Span)> = match &k.value.value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item.scalar_text() {
                Some(t) => Some((t, item.span)),
                None => {
                    diags.push(Diagnostic::new(
                        &key_path.index(i),
                        item.span,
                        format!(
                            "expected a string, number or boolean, found {}",
                            item.kind()
                        ),
                    ));
                    None
                }
            })
            .collect(),
        _ => match k.value.scalar_text() {
            Some(t) => vec![(t, k.value.span)],
            None => {
                diags.push(Diagnostic::new(
                    key_path,
                    k.value.span,
                    format!(
                        "expected a value or an array of values, found {}",
                        k.value.kind()
                    ),
                ));
                return None;
            }
        },
    };
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, t: PolicyType) -> Result<Policy, Vec<String>> {
        parse_policy_text(&SourceText::new("p.json", text), t, "p")
            .map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn accepts_single_statement_and_bare_strings() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
                "Condition":{"NumericLessThan":{"s3:max-keys":10}}}}"#,
            PolicyType::Identity,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].conditions[0].raw_values, vec!["10"]);
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let errors = parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
                {"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"a":"b"}}}]}"#,
            PolicyType::Identity,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].contains("Statement[0].Effect"));
        assert!(errors[1].contains("Statement[0].Principal"));
        assert!(errors[2].contains("did you mean StringEquals?"));
        assert!(errors[2].starts_with("p.json:3:"));
    }

    #[test]
    fn reads_the_cli_wrapper_and_policy_strings() {
        let p = parse(
            r#"{"PolicyVersion":{"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},"VersionId":"v1"}}"#,
            PolicyType::Identity,
        );
        assert!(p.is_ok());
        let p = parse(
            r#"{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"}"#,
            PolicyType::Bucket,
        );
        assert!(p.is_ok(), "{p:?}");
    }
}
