//! `checks`: what each check asks (a raw authorization or a modelled call), with its context,
//! endpoint, session policy and expectation.

use std::sync::Arc;

use rayon::prelude::*;

use super::super::format;
use super::super::reader::Obj;
use super::super::{Check, CheckKind, Expectation, LayerExpectation};
use super::Loader;
use crate::engine::{Caller, CallerKind, ContextValue, Outcome};
use crate::json::{same_name, Diagnostic, JsonPath, Node, SourceText, Value};
use crate::policy::arn::{split_arn, IamEntity};
use crate::policy::PolicyType;
use crate::services::s3::headers::KNOWN_HEADERS;
use crate::services::{Call, ErrorCode, RoleParameters, StsCall};
use crate::world::World;

/// Fields of an `sts:AssumeRole*` check only.
const STS_FIELDS: [&str; 8] = [
    "role",
    "session_name",
    "tags",
    "transitive_tag_keys",
    "source_identity",
    "external_id",
    "duration_seconds",
    "policy",
];

/// Fields of an S3 call only.
const S3_CALL_FIELDS: [&str; 4] = ["bucket", "key", "headers", "version_id"];

/// Fewer checks than this load on one thread: starting threads would cost more.
const PARALLEL_THRESHOLD: usize = 2048;

impl Loader {
    /// Loads the checks, the elements of the array at `list`. Each check loads on its own, so a
    /// long list is shared among the machine's cores, each part with its own diagnostics,
    /// merged back in order.
    pub(super) fn checks(&mut self, list: &JsonPath, items: &[Node], world: &World) -> Vec<Check> {
        // `first` is the index in the list of the part's first check.
        let load_into =
            |part: &[Node], first: usize, loader: &mut Loader, checks: &mut Vec<Check>| {
                // One handle on the text for the whole part: cloned for each check, its count
                // would be written by every core at every check, and the line it shares with the
                // text's fields would move from core to core.
                let source = loader.source.clone();
                checks.extend(part.iter().enumerate().filter_map(|(i, node)| {
                    loader.parsed_check(&source, node, list, first + i, world)
                }));
            };
        // Sized for every check up front: grown by doubling, a long list would be copied
        // again and again and keep up to twice the memory it needs.
        let mut checks = Vec::with_capacity(items.len());
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads < 2 || items.len() < PARALLEL_THRESHOLD {
            load_into(items, 0, self, &mut checks);
            return checks;
        }
        let size = items.len().div_ceil(threads);
        let (first, rest) = items.split_at(size);
        let source = self.source.clone();
        let run = |(k, part): (usize, &[Node])| {
            let mut loader = Loader::new(source.clone());
            let mut loaded = Vec::with_capacity(part.len());
            load_into(part, size * (k + 1), &mut loader, &mut loaded);
            (loaded, loader.r.diags)
        };
        // The parts load on rayon's threads, which stay ready (a thread started for them may
        // wait a millisecond or more for a core); the first straight into the list that holds
        // them all, so that only the other parts are moved into it.
        let (_, others) = rayon::join(
            || load_into(first, 0, self, &mut checks),
            || {
                rest.par_chunks(size)
                    .enumerate()
                    .map(run)
                    .collect::<Vec<_>>()
            },
        );
        for (loaded, diags) in others {
            checks.extend(loaded);
            self.r.diags.extend(diags);
        }
        checks
    }

    /// Check `index` of the list at `list`, parsed first where the file's first pass left it for
    /// later (`source` is the text of this loader). Its path is written out only for the
    /// general reader, which may report problems under it.
    fn parsed_check(
        &mut self,
        source: &SourceText,
        node: &Node,
        list: &JsonPath,
        index: usize,
        world: &World,
    ) -> Option<Check> {
        if !matches!(node.value, Value::Deferred) {
            return self.check(node, &list.index(index), world);
        }
        let (start, end) = (node.span.start as usize, node.span.end as usize);
        if let Some(check) = self.plain_check(source, start, end, world) {
            return Some(check);
        }
        let path = list.index(index);
        match source.parse_deferred(node, true) {
            Ok(parsed) => self.check(&parsed, &path, world),
            Err(d) => {
                self.r.diags.push(Diagnostic { path, ..d });
                None
            }
        }
    }

    pub(super) fn check(&mut self, node: &Node, path: &JsonPath, world: &World) -> Option<Check> {
        let obj = self.r.object(node, path, &format::CHECK)?;
        let before = self.r.diags.len();
        let line = self
            .source
            .line_from(node.span.offset(), &mut self.line_hint);
        let name = self.r.req_str(obj, path, "name").unwrap_or_default();
        let principal = self.r.opt_text(obj, path, "principal");
        let caller = principal.and_then(|p| self.caller(p, world, obj, path));
        let call = self.r.opt_text(obj, path, "call");
        let action = self.r.opt_str(obj, path, "action");
        let kind = match (call, action) {
            (Some(_), Some(_)) => {
                self.r.error(
                    path,
                    node,
                    "a check has either \"call\" or \"action\" + \"resource\", not both",
                );
                return None;
            }
            (None, None) => {
                self.r.error(path, node, "a check needs \"call\" (a modelled API call) or \"action\" + \"resource\" (one authorization)");
                return None;
            }
            (None, Some(action)) => self.raw(obj, path, action, world),
            (Some(call), None) => self.call(obj, path, call, world)?,
        };
        let needs_principal = !matches!(
            kind,
            CheckKind::Call {
                call: Call::ReplicateObject,
                ..
            }
        );
        if let Some(c) = &caller {
            self.caller_fits(c, &kind, obj, path);
        }
        if principal.is_none() && needs_principal {
            self.r
                .error(path, node, "missing required field \"principal\"");
        }
        let context = self.context_map(obj, path, "context");
        let vpc_endpoint = self.r.opt_str(obj, path, "vpc_endpoint");
        if let Some(e) = &vpc_endpoint {
            if world.endpoint(e).is_none() {
                self.r.error(
                    &path.key("vpc_endpoint"),
                    node,
                    format!("no VPC endpoint {e:?} is declared in vpc_endpoints"),
                );
            }
        }
        let session_policy = match obj.node.get("session_policy") {
            Some(n) => self.policy(
                n,
                &path.key("session_policy"),
                PolicyType::Session,
                "session policy",
            ),
            None => None,
        };
        let expect = match obj.node.get("expect") {
            Some(n) => self.expectation(n, path),
            None => None,
        };
        if self.r.diags.len() > before {
            return None;
        }
        Some(Check {
            name,
            caller,
            kind,
            context,
            vpc_endpoint,
            session_policy,
            expect,
            line,
            note: self.r.opt_str(obj, path, "note"),
        })
    }

    /// A web identity or SAML principal can only present its credential to the matching STS
    /// call, and those calls take no other caller.
    fn caller_fits(&mut self, caller: &Caller, kind: &CheckKind, obj: Obj<'_>, path: &JsonPath) {
        let expected = match kind {
            CheckKind::AssumeRole { call, .. } if call.is_federated() => Some(*call),
            _ => None,
        };
        let presents = match &caller.kind {
            CallerKind::WebIdentity { .. } => Some(StsCall::AssumeRoleWithWebIdentity),
            CallerKind::Saml { .. } => Some(StsCall::AssumeRoleWithSaml),
            _ => None,
        };
        let message = match (presents, expected) {
            (Some(p), Some(e)) if p == e => return,
            (None, None) => return,
            (Some(p), _) => format!(
                "{caller} is a federated principal: it can only be the principal of a {} call",
                p.name()
            ),
            (None, Some(e)) => format!(
                "{} is called by a principal declared with \"kind\": \"{}\" (named by its \"name\"), not by {caller}",
                e.name(),
                if e == StsCall::AssumeRoleWithSaml { "saml" } else { "web_identity" }
            ),
        };
        let node = obj.node.get("principal").unwrap_or(obj.node);
        self.r.error(&path.key("principal"), node, message);
    }

    /// The check's principal, resolved against the world once per distinct principal.
    fn caller(
        &mut self,
        principal: &str,
        world: &World,
        obj: Obj<'_>,
        path: &JsonPath,
    ) -> Option<Arc<Caller>> {
        if let Some(c) = self.callers.get(principal) {
            return Some(c.clone());
        }
        match world.caller(principal) {
            Ok(c) => {
                let c = Arc::new(c);
                self.callers.insert(principal.to_string(), c.clone());
                Some(c)
            }
            Err(e) => {
                let node = obj.node.get("principal").unwrap_or(obj.node);
                self.r.error(&path.key("principal"), node, e.to_string());
                None
            }
        }
    }

    /// `action` + `resource`: one authorization.
    fn raw(&mut self, obj: Obj<'_>, path: &JsonPath, action: String, world: &World) -> CheckKind {
        let node = obj.node;
        if !is_action_name(&action) {
            self.r.error(
                &path.key("action"),
                node,
                format!("expected an action such as \"s3:GetObject\", found {action:?}"),
            );
        }
        let resource = self.r.req_str(obj, path, "resource").unwrap_or_default();
        let fields = split_arn(&resource);
        if resource != "*" && fields.is_none() {
            self.r.error(
                &path.key("resource"),
                node,
                format!("expected an ARN or \"*\", found {resource:?}"),
            );
        }
        // One pass over the check's fields for those of other kinds of checks (a repeated one
        // is reported where it first stands).
        let members = obj.node.as_object().unwrap_or_default();
        for (i, m) in members.iter().enumerate() {
            let Some(k) = S3_CALL_FIELDS
                .iter()
                .chain(&STS_FIELDS)
                .find(|k| same_name(k, &m.name))
            else {
                continue;
            };
            if !members[..i].iter().any(|e| same_name(&e.name, k)) {
                self.r.error(&path.key(k), &m.value, format!("\"{k}\" belongs to \"call\" checks; a raw check names \"action\" and \"resource\""));
            }
        }
        // Only an S3 ARN with a region and an account can name an access point.
        let access_point = fields
            .filter(|f| f[2] == "s3" && !f[3].is_empty())
            .and_then(|_| crate::world::access_point::split_access_point_arn(&resource));
        if let Some((ap, _)) = access_point {
            if !world.access_points.contains_key(&ap) {
                self.r.error(
                    &path.key("resource"),
                    node.get("resource").unwrap_or(node),
                    format!("no access point {ap:?} is declared (access points are declared under their bucket, in buckets[].access_points)"),
                );
            }
        }
        let resource_account = self.account(obj, path, "resource_account", false);
        CheckKind::Raw {
            action,
            resource,
            resource_account,
        }
    }

    /// `call` + `bucket` + `key`: a modelled API call.
    fn call(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        name: &str,
        world: &World,
    ) -> Option<CheckKind> {
        let node = obj.node;
        if let Some(sts) = StsCall::parse(name) {
            return self.assume_role(obj, path, sts);
        }
        let Some(call) = Call::parse(name) else {
            let names: Vec<&str> = Call::ALL
                .map(|c| c.name())
                .into_iter()
                .chain(StsCall::ALL.map(|c| c.name()))
                .collect();
            self.r.diags.push(
                Diagnostic::new(
                    &path.key("call"),
                    node.get("call").unwrap_or(node).span,
                    format!(
                        "unknown call {name:?}; expected one of {}",
                        names.join(", ")
                    ),
                )
                .with_suggestion(crate::json::suggest(name, names.iter().copied())),
            );
            return None;
        };
        for k in STS_FIELDS {
            if let Some(n) = node.get(k) {
                self.r.error(
                    &path.key(k),
                    n,
                    format!("\"{k}\" belongs to sts:AssumeRole* calls"),
                );
            }
        }
        let bucket = self.r.req_str(obj, path, "bucket").unwrap_or_default();
        if !bucket.is_empty()
            && world.bucket(&bucket).is_none()
            && world.access_point(&bucket).is_none()
        {
            let message = if bucket.starts_with("arn:") || bucket.ends_with("-s3alias") {
                format!("no access point {bucket:?} is declared (access points are declared under their bucket, in buckets[].access_points)")
            } else {
                format!("no bucket named {bucket:?} is declared")
            };
            self.r.error(&path.key("bucket"), node, message);
        }
        let key = self.r.req_str(obj, path, "key").unwrap_or_default();
        for k in ["resource", "resource_account"] {
            if let Some(n) = node.get(k) {
                self.r.error(
                    &path.key(k),
                    n,
                    format!(
                        "\"{k}\" belongs to raw checks; a call check names \"bucket\" and \"key\""
                    ),
                );
            }
        }
        let headers = self.headers(obj, path);
        if call == Call::CopyObject
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-amz-copy-source"))
        {
            self.r.error(&path.key("headers"), node, "s3:CopyObject reads its source from headers[\"x-amz-copy-source\"] (\"bucket/key\")");
        }
        let sets_acl = headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("x-amz-acl")
                || k.to_ascii_lowercase().starts_with("x-amz-grant-")
        });
        if call == Call::PutObjectAcl && !sets_acl {
            self.r.error(&path.key("headers"), node, "s3:PutObjectAcl sets the ACL of headers[\"x-amz-acl\"] or the x-amz-grant-* headers; give one");
        }
        Some(CheckKind::Call {
            call,
            bucket,
            key,
            headers,
            version_id: self.r.opt_str(obj, path, "version_id"),
        })
    }

    /// `sts:AssumeRole*`: the role and the request's parameters.
    fn assume_role(&mut self, obj: Obj<'_>, path: &JsonPath, call: StsCall) -> Option<CheckKind> {
        let node = obj.node;
        for k in S3_CALL_FIELDS
            .iter()
            .chain(&["resource", "resource_account"])
        {
            if let Some(n) = node.get(k) {
                self.r.error(
                    &path.key(k),
                    n,
                    format!("\"{k}\" does not belong to {} calls", call.name()),
                );
            }
        }
        let role = self.r.req_str(obj, path, "role")?;
        if !matches!(IamEntity::parse(&role), Some(IamEntity::Role { .. })) {
            self.r.error(
                &path.key("role"),
                node.get("role").unwrap_or(node),
                format!("expected a role ARN (arn:aws:iam::ACCOUNT:role/NAME), found {role:?}"),
            );
        }
        if call.is_federated() {
            // The token or assertion carries these.
            for k in [
                "tags",
                "transitive_tag_keys",
                "source_identity",
                "external_id",
            ] {
                if let Some(n) = node.get(k) {
                    self.r.error(&path.key(k), n, format!("{} takes \"{k}\" from the principal's token or assertion (give it on the principal)", call.name()));
                }
            }
        }
        if call == StsCall::AssumeRoleWithSaml {
            if let Some(n) = node.get("session_name") {
                self.r.error(&path.key("session_name"), n, "sts:AssumeRoleWithSAML takes the session name from the assertion (the SAML principal's \"session_name\")");
            }
        }
        let policy = match node.get("policy") {
            Some(n) => self.policy(
                n,
                &path.key("policy"),
                PolicyType::Session,
                "session policy",
            ),
            None => None,
        };
        let parameters = RoleParameters {
            session_name: self.r.opt_str(obj, path, "session_name"),
            tags: self.r.opt_string_map(obj, path, "tags"),
            transitive_tag_keys: self.r.opt_strings(obj, path, "transitive_tag_keys"),
            source_identity: self.r.opt_str(obj, path, "source_identity"),
            external_id: self.r.opt_str(obj, path, "external_id"),
            duration_seconds: self.r.opt_u32(obj, path, "duration_seconds"),
            policy,
        };
        Some(CheckKind::AssumeRole {
            call,
            role,
            parameters: Box::new(parameters),
        })
    }

    /// Request headers: only those iamsim models, so that a misspelt one is not ignored.
    fn headers(&mut self, obj: Obj<'_>, path: &JsonPath) -> Vec<(String, String)> {
        let headers = self.r.opt_string_map(obj, path, "headers");
        for (name, _) in &headers {
            if !KNOWN_HEADERS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                let hp = path.key("headers").key(name);
                self.r.diags.push(
                    Diagnostic::new(
                        &hp,
                        obj.node.get("headers").unwrap_or(obj.node).span,
                        format!(
                            "unknown request header {name:?}; iamsim models: {}",
                            KNOWN_HEADERS.join(", ")
                        ),
                    )
                    .with_suggestion(crate::json::suggest(name, KNOWN_HEADERS)),
                );
            }
        }
        headers
    }

    /// `context`: values over AWS's defaults; `null` removes a key.
    /// An object of condition-key values (a check's `context`, a token's `claims`): strings,
    /// booleans and numbers as text, arrays as multi-valued keys, `null` as absent.
    pub(super) fn context_map(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
    ) -> Vec<(String, ContextValue)> {
        let mut context = Vec::new();
        let Some(cn) = obj.node.get(key) else {
            return context;
        };
        let cp = path.key(key);
        let Some(members) = cn.as_object() else {
            self.r.error(
                &cp,
                cn,
                format!("expected an object of keys and values, found {}", cn.kind()),
            );
            return context;
        };
        for m in members {
            let v = match &m.value.value {
                Value::Null => Some(ContextValue::Remove),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.scalar_text())
                    .collect::<Option<Vec<_>>>()
                    .map(ContextValue::Multi),
                _ => m.value.scalar_text().map(ContextValue::Single),
            };
            match v {
                Some(v) => context.push((m.name.to_string(), v)),
                None => self.r.error(
                    &cp.key(&m.name),
                    &m.value,
                    "expected a string, boolean, number, null, or an array of those",
                ),
            }
        }
        context
    }

    /// An object whose values are strings or arrays of strings (SAML attributes).
    pub(super) fn string_lists(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
    ) -> Vec<(String, Vec<String>)> {
        self.context_map(obj, path, key)
            .into_iter()
            .filter_map(|(k, v)| match v {
                ContextValue::Single(s) => Some((k, vec![s])),
                ContextValue::Multi(m) => Some((k, m)),
                ContextValue::Remove => None,
            })
            .collect()
    }

    /// A check's `expect` (`node`), under the check at `check`.
    fn expectation(&mut self, node: &Node, check: &JsonPath) -> Option<Expectation> {
        match node.as_str() {
            Some("allowed") => {
                return Some(Expectation {
                    allowed: Some(true),
                    ..Expectation::default()
                })
            }
            Some("denied") => {
                return Some(Expectation {
                    allowed: Some(false),
                    ..Expectation::default()
                })
            }
            Some(other) => {
                self.r.diags.push(
                    Diagnostic::new(
                        &check.key("expect"),
                        node.span,
                        format!("expected \"allowed\", \"denied\" or an object, found {other:?}"),
                    )
                    .with_suggestion(crate::json::suggest(other, ["allowed", "denied"])),
                );
                return None;
            }
            None => {}
        }
        let path = &check.key("expect");
        let obj = self.r.object(node, path, &format::EXPECTATION)?;
        let denial = self.one_of(
            obj,
            path,
            "denial",
            &["explicit", "implicit"],
            |d| match d {
                "explicit" => Some(Outcome::ExplicitDeny),
                "implicit" => Some(Outcome::ImplicitDeny),
                _ => None,
            },
        );
        let layer = self.one_of(
            obj,
            path,
            "layer",
            &LayerExpectation::NAMES,
            LayerExpectation::parse,
        );
        let codes = ErrorCode::ALL.map(ErrorCode::as_str);
        let error = self.one_of(obj, path, "error", &codes, ErrorCode::parse);
        let decided_by = obj
            .node
            .get("decided_by")
            .map(|_| self.r.opt_strings(obj, path, "decided_by"));
        Some(Expectation {
            allowed: self.r.opt_bool(obj, path, "allowed"),
            denial,
            layer,
            decided_by,
            failed_step: self.r.opt_str(obj, path, "failed_step"),
            error,
            message: self.r.opt_str(obj, path, "message"),
        })
    }
}

/// Whether `action` names one action, `service:ActionName` (no wildcards).
pub(super) fn is_action_name(action: &str) -> bool {
    // Whitespace outside ASCII is rejected too: any byte of a multi-byte character is above
    // 0x7f and passes the byte test, so those are checked as characters.
    let plain = action
        .bytes()
        .all(|b| !matches!(b, b'*' | b'?') && !b.is_ascii_whitespace() && b != 0x0b)
        && (action.is_ascii() || !action.chars().any(char::is_whitespace));
    match action.split_once(':') {
        Some((service, name)) => plain && !service.is_empty() && !name.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_action_name;

    #[test]
    fn an_action_name_has_a_service_a_name_and_no_wildcard_or_space() {
        for good in ["s3:GetObject", "kms:Decrypt", "s3:Get-Object_é"] {
            assert!(is_action_name(good), "{good:?}");
        }
        // Whitespace of every kind Rust knows, ASCII or not, is refused.
        let spaces = [
            ' ', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{85}', '\u{a0}', '\u{2028}',
        ];
        for bad in spaces
            .map(|c| format!("s3:Get{c}Object"))
            .into_iter()
            .chain(["s3:*", "s3:Get?", ":GetObject", "s3:", "s3GetObject", ""].map(String::from))
        {
            assert!(!is_action_name(&bad), "{bad:?}");
        }
    }
}
