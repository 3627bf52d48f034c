//! Scenario file -> [`Scenario`]: the world and its checks, with every problem in the file
//! reported by JSON path, line and column. Each part of the file has its own module; the world
//! is built through [`crate::world::build`], as `iamsim eval` builds its own.

mod buckets;
mod checks;
mod keys;
mod organization;
mod plain;
mod principals;

use std::path::Path;
use std::sync::Arc;

use super::format;
use super::reader::{Obj, Reader};
use super::{Check, PolicyWarning, Scenario};
use crate::engine::Caller;
use crate::json::{Diagnostic, JsonPath, Node, Problem, SourceText};
use crate::policy::arn::{is_account_id, split_arn};
use crate::policy::{parse_policy, Policy, PolicyType};
use crate::world::build::Field;
use crate::world::{Endpoint, OtherResource, RequestTime, World, WorldError};

/// Why a scenario could not be loaded: every problem, each with its file, line, column and
/// JSON path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct LoadError {
    pub file: String,
    pub problems: Vec<Problem>,
}

/// Reads and loads a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: name.clone(),
        problems: vec![Problem::whole_file(&name, format!("cannot read: {e}"))],
    })?;
    load_owned(&name, text)
}

/// Loads a scenario from text; `name` is how errors name the file.
pub fn load_scenario_text(name: &str, text: &str) -> Result<Scenario, LoadError> {
    load_owned(name, text.to_string())
}

fn load_owned(name: &str, text: String) -> Result<Scenario, LoadError> {
    let source = Arc::new(SourceText::new(name, text));
    let fail = |problems: Vec<Problem>| LoadError {
        file: name.to_string(),
        problems,
    };
    // The checks are parsed one by one as they load: a file of many checks never stands in
    // memory as one tree.
    let root = source.parse_deferring(true, "checks").map_err(|d| {
        // The deferring pass only matches brackets inside checks: the full parse names the
        // first real syntax error.
        let d = source.parse(true).err().unwrap_or(d);
        fail(vec![source.locate(&d)])
    })?;
    let mut loader = Loader::new(source.clone());
    let loaded = loader.scenario(&root);
    // Report in the order the problems stand in the file.
    loader.r.diags.sort_by_key(|d| d.span.start);
    if !loader.r.diags.is_empty() {
        return Err(fail(
            loader.r.diags.iter().map(|d| source.locate(d)).collect(),
        ));
    }
    let (world, checks) =
        loaded.ok_or_else(|| fail(vec![Problem::whole_file(name, "not a scenario")]))?;
    let warnings = policy_warnings(&source, &world, &checks);
    Ok(Scenario {
        source,
        world,
        checks,
        warnings,
    })
}

/// The lint findings of every policy in the world (each shared policy once), and of every raw
/// check that names an action AWS does not have, in the order they stand in the file.
fn policy_warnings(source: &SourceText, world: &World, checks: &[Check]) -> Vec<PolicyWarning> {
    let mut policies: Vec<&Arc<Policy>> = Vec::new();
    for p in world.principals.values() {
        policies.extend(p.identity.iter());
        policies.extend(p.boundary.iter());
        policies.extend(p.trust.iter());
    }
    policies.extend(world.buckets.values().filter_map(|b| b.policy.as_ref()));
    policies.extend(
        world
            .keys
            .values()
            .filter(|k| !k.default_policy)
            .map(|k| &k.policy),
    );
    policies.extend(world.resources.values().map(|r| &r.policy));
    policies.extend(world.endpoints.values().filter_map(|e| e.policy.as_ref()));
    if let Some(org) = &world.organization {
        for placement in org.accounts.values() {
            for level in placement.scps.iter().chain(&placement.rcps) {
                policies.extend(level.policies.iter());
            }
        }
    }
    policies.extend(checks.iter().filter_map(|c| c.session_policy.as_ref()));
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for p in policies {
        if seen.insert(Arc::as_ptr(p)) {
            out.extend(PolicyWarning::of_policy(source, p));
        }
    }
    // A raw check naming an action that does not exist is denied for the wrong reason.
    let mut actions_seen = std::collections::HashSet::new();
    let mut located = 0;
    for c in checks {
        if let super::CheckKind::Raw { action, .. } = &c.kind {
            if !actions_seen.insert(action.as_str()) {
                continue;
            }
            if let Some(mut f) = crate::policy::lint::lint_action(action) {
                // Each search reads the file: a file of thousands of misspelt actions gets
                // the columns of the first ones only.
                if located < MAX_LOCATED_ACTIONS {
                    located += 1;
                    f.offset = action_offset(source, action, c.line);
                }
                f.line = Some(c.line);
                out.push(PolicyWarning::new(
                    source,
                    &format!("check {:?}", c.name),
                    &f,
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
    });
    out
}

/// How many findings about checks' actions get a column.
const MAX_LOCATED_ACTIONS: usize = 100;

/// Where a check's action stands: the first time the action's string is written at or after
/// the check's line (checks keep their line only; the search runs once per action that draws a
/// finding).
fn action_offset(source: &SourceText, action: &str, line: usize) -> Option<u32> {
    let quoted = format!("{action:?}");
    memchr::memmem::find_iter(source.text.as_bytes(), quoted.as_bytes())
        .find(|&at| source.line(at) >= line)
        .and_then(|at| u32::try_from(at).ok())
}

/// Reads one scenario file, collecting its problems.
pub(super) struct Loader {
    r: Reader,
    source: Arc<SourceText>,
    /// Principals already resolved: thousands of checks usually share a few callers.
    callers: rustc_hash::FxHashMap<String, Arc<Caller>>,
    /// The 0-based line of the last check read: checks are read in order, so the next one's
    /// line is found from there.
    line_hint: usize,
}

impl Loader {
    fn new(source: Arc<SourceText>) -> Loader {
        Loader {
            r: Reader::default(),
            source,
            callers: rustc_hash::FxHashMap::default(),
            line_hint: 0,
        }
    }

    fn policy(
        &mut self,
        node: &Node,
        path: &JsonPath,
        t: PolicyType,
        name: &str,
    ) -> Option<Arc<Policy>> {
        parse_policy(node, t, name, path, &self.source, &mut self.r.diags).map(Arc::new)
    }

    /// The policy under `key` of an object, when there is one.
    fn opt_policy(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        t: PolicyType,
        name: &str,
    ) -> Option<Arc<Policy>> {
        let node = obj.node.get(key)?;
        self.policy(node, &path.key(key), t, name)
    }

    /// `{"name": ..., "document": ...}`.
    fn named_policy(&mut self, node: &Node, path: &JsonPath, t: PolicyType) -> Option<Arc<Policy>> {
        let obj = self.r.object(node, path, &format::NAMED_POLICY)?;
        let name = self.r.req_str(obj, path, "name")?;
        let Some(doc) = obj.node.get("document") else {
            self.r
                .error(path, node, "missing required field \"document\"");
            return None;
        };
        self.policy(doc, &path.key("document"), t, &name)
    }

    /// A list of named policies under `key`.
    fn policies(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        t: PolicyType,
    ) -> Vec<Arc<Policy>> {
        let mut out = Vec::new();
        for (pp, pn) in self.r.opt_array(obj, path, key) {
            out.extend(self.named_policy(pn, &pp, t));
        }
        out
    }

    fn account(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        required: bool,
    ) -> Option<String> {
        let value = if required {
            self.r.req_str(obj, path, key)?
        } else {
            self.r.opt_str(obj, path, key)?
        };
        if !is_account_id(&value) {
            let n = obj.node.get(key).unwrap_or(obj.node);
            self.r.error(
                &path.key(key),
                n,
                format!("expected a 12-digit account id, found {value:?}"),
            );
            return None;
        }
        Some(value)
    }

    /// A name that must be one of `names` (with the nearest one suggested).
    fn one_of<T>(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let value = self.r.opt_str(obj, path, key)?;
        let found = parse(&value);
        if found.is_none() {
            let n = obj.node.get(key).unwrap_or(obj.node);
            let expected = names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.r.diags.push(
                Diagnostic::new(
                    &path.key(key),
                    n.span,
                    format!("expected one of {expected}, found {value:?}"),
                )
                .with_suggestion(crate::json::suggest(&value, names.iter().copied())),
            );
        }
        found
    }

    /// `canonical_ids`: account id -> S3 canonical user id.
    fn canonical_ids(&mut self, obj: Obj<'_>, world: &mut World) {
        let p = JsonPath::root();
        let Some(node) = obj.node.get("canonical_ids") else {
            return;
        };
        let path = p.key("canonical_ids");
        let ids = self.r.opt_string_map(obj, &p, "canonical_ids");
        for (account, id) in ids {
            if let Err(e) = world.set_canonical_id(&account, &id) {
                let at = node
                    .as_object()
                    .and_then(|m| m.iter().find(|m| m.name == account))
                    .map_or(node, |m| &m.value);
                self.r.error(&path.key(&account), at, e.to_string());
            }
        }
    }

    /// Reports a world-building problem at the part of the declaration it is about.
    fn world_error(&mut self, error: &WorldError, path: &JsonPath, node: &Node) {
        let named = |key: &str| (path.key(key), node.get(key).unwrap_or(node));
        let (path, node) = match error.field() {
            Field::Arn => named("arn"),
            Field::Name => named("name"),
            Field::Account => named("account"),
            Field::Aliases => named("aliases"),
            Field::Members => named("members"),
            Field::TrustPolicy => named("trust_policy"),
            Field::Replication => named("replication"),
            Field::MaxSessionDuration => named("max_session_duration"),
            Field::ObjectOwner(i) | Field::ObjectEncryption(i) => {
                let field = match error.field() {
                    Field::ObjectOwner(_) => "owner",
                    _ => "encryption",
                };
                let object = node
                    .get("objects")
                    .and_then(|o| o.as_array())
                    .and_then(|o| o.get(i));
                (
                    path.key("objects").index(i).key(field),
                    object.and_then(|o| o.get(field)).or(object).unwrap_or(node),
                )
            }
        };
        self.r.error(&path, node, error.to_string());
    }

    fn scenario(&mut self, root: &Node) -> Option<(World, Vec<Check>)> {
        let p = JsonPath::root();
        let obj = self.r.object(root, &p, &format::SCENARIO)?;
        let region = self
            .r
            .opt_str(obj, &p, "region")
            .unwrap_or_else(|| "us-east-1".to_string());
        let mut world = World::new(region);
        world.description = self.r.opt_str(obj, &p, "description");
        if let Some(now) = self.r.opt_str(obj, &p, "now") {
            match RequestTime::parse(&now) {
                Ok(t) => world.now = t,
                Err(e) => self.r.error(
                    &p.key("now"),
                    root.get("now").unwrap_or(root),
                    e.to_string(),
                ),
            }
        }
        self.canonical_ids(obj, &mut world);
        self.principals(obj, &mut world);
        for (kp, kn) in self.r.opt_array(obj, &p, "keys") {
            if let Some(key) = self.key(kn, &kp) {
                if let Err(e) = world.add_key(key) {
                    self.world_error(&e, &kp, kn);
                }
            }
        }
        for (bp, bn) in self.r.opt_array(obj, &p, "buckets") {
            if let Some(bucket) = self.bucket(bn, &bp, &world) {
                match world.add_bucket(bucket) {
                    Ok(()) => self.access_points(bn, &bp, &mut world),
                    Err(errors) => {
                        for e in &errors.0 {
                            self.world_error(e, &bp, bn);
                        }
                    }
                }
            }
        }
        for (rp, rn) in self.r.opt_array(obj, &p, "resources") {
            if let Some(resource) = self.resource(rn, &rp) {
                if let Err(e) = world.add_resource(resource) {
                    self.world_error(&e, &rp, rn);
                }
            }
        }
        if let Some(on) = obj.node.get("organization") {
            world.organization = self.organization(on, &p.key("organization"));
        }
        for (ep, en) in self.r.opt_array(obj, &p, "vpc_endpoints") {
            if let Some(endpoint) = self.endpoint(en, &ep) {
                if let Err(e) = world.add_endpoint(endpoint) {
                    self.r.error(&ep.key("id"), en, e.to_string());
                }
            }
        }
        let (list, items) = self.r.opt_elements(obj, &p, "checks");
        let checks = self.checks(&list, items, &world);
        Some((world, checks))
    }

    fn resource(&mut self, node: &Node, path: &JsonPath) -> Option<OtherResource> {
        let obj = self.r.object(node, path, &format::RESOURCE)?;
        let arn = self.r.req_str(obj, path, "arn")?;
        let account = self.account(obj, path, "account", false);
        if split_arn(&arn).is_none() {
            self.r.error(
                &path.key("arn"),
                node,
                format!("expected an ARN, found {arn:?}"),
            );
        }
        let Some(doc) = obj.node.get("policy") else {
            self.r
                .error(path, node, "missing required field \"policy\"");
            return None;
        };
        let policy = self.policy(
            doc,
            &path.key("policy"),
            PolicyType::Resource,
            &format!("resource policy of {arn}"),
        )?;
        Some(OtherResource {
            arn,
            account,
            policy,
        })
    }

    fn endpoint(&mut self, node: &Node, path: &JsonPath) -> Option<Endpoint> {
        let obj = self.r.object(node, path, &format::ENDPOINT)?;
        let id = self.r.req_str(obj, path, "id")?;
        let vpc = self.r.opt_str(obj, path, "vpc");
        let policy = self.opt_policy(
            obj,
            path,
            "policy",
            PolicyType::Endpoint,
            &format!("policy of {id}"),
        );
        Some(Endpoint { id, vpc, policy })
    }
}
