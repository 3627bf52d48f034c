//! The common raw check, read straight from its text.
//!
//! Generated scenarios hold thousands of checks of one plain shape: a name, a principal, an
//! action and a resource, perhaps a resource account, a context of strings, a note, and
//! "allowed" or "denied". Read through the JSON tree (parsed, then read field by field), each
//! such check builds and frees a tree; read here, straight from its text, it costs a fraction
//! of that. Anything else (another field or kind of value, an escape, a comment, a repeated
//! field, anything to report) is left to the general reader, which then gives the same check or
//! the problems: this reader answers only "this check" or "not mine".

use std::sync::Arc;

use super::super::{Check, CheckKind, Expectation};
use super::Loader;
use crate::engine::{CallerKind, ContextValue};
use crate::json::{string_end, SourceText};
use crate::policy::arn::{is_account_id, split_arn};
use crate::world::World;

/// The fields of a plain check, as they stand in the text.
#[derive(Default)]
struct Fields<'t> {
    name: Option<&'t str>,
    principal: Option<&'t str>,
    action: Option<&'t str>,
    resource: Option<&'t str>,
    resource_account: Option<&'t str>,
    context: Vec<(&'t str, &'t str)>,
    expect: Option<bool>,
    note: Option<&'t str>,
}

/// The fields a plain check may have.
const FIELDS: [&str; 8] = [
    "name",
    "principal",
    "action",
    "resource",
    "resource_account",
    "note",
    "context",
    "expect",
];

impl<'t> Fields<'t> {
    /// The field of text called `name` (one of [`FIELDS`] but `context` and `expect`).
    fn text(&mut self, name: &str) -> &mut Option<&'t str> {
        match name {
            "name" => &mut self.name,
            "principal" => &mut self.principal,
            "action" => &mut self.action,
            "resource" => &mut self.resource,
            "resource_account" => &mut self.resource_account,
            _ => &mut self.note,
        }
    }
}

/// A position in the text of one check.
struct Cursor<'t> {
    text: &'t str,
    at: usize,
    end: usize,
}

impl<'t> Cursor<'t> {
    /// The next byte after JSON whitespace, if the check's text has one.
    fn peek(&mut self) -> Option<u8> {
        let bytes = &self.text.as_bytes()[..self.end];
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
        bytes.get(self.at).copied()
    }

    /// Steps over `byte`, the next after whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string without escapes (one with escapes is not plain).
    fn string(&mut self) -> Option<&'t str> {
        self.expect(b'"')?;
        let start = self.at;
        let end = string_end(self.text.as_bytes(), start);
        if end >= self.end || self.text.as_bytes()[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        self.text.get(start..end)
    }

    /// After a member: `true` at a comma, `false` at the closing brace.
    fn more(&mut self) -> Option<bool> {
        let more = match self.peek()? {
            b',' => true,
            b'}' => false,
            _ => return None,
        };
        self.at += 1;
        Some(more)
    }
}

/// The fields of the check the cursor stands at, if it is plain.
fn fields<'t>(c: &mut Cursor<'t>) -> Option<Fields<'t>> {
    let mut f = Fields::default();
    c.expect(b'{')?;
    let mut seen = 0u8;
    loop {
        let name = c.string()?;
        c.expect(b':')?;
        // Each field once: a repeated one is reported by the general reader.
        let bit = 1 << FIELDS.iter().position(|k| *k == name)?;
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        match name {
            "context" => {
                c.expect(b'{')?;
                if c.peek()? == b'}' {
                    c.at += 1;
                } else {
                    loop {
                        let key = c.string()?;
                        c.expect(b':')?;
                        f.context.push((key, c.string()?));
                        if !c.more()? {
                            break;
                        }
                    }
                }
            }
            "expect" => {
                f.expect = Some(match c.string()? {
                    "allowed" => true,
                    "denied" => false,
                    _ => return None,
                })
            }
            _ => *f.text(name) = Some(c.string()?),
        }
        if !c.more()? {
            break;
        }
    }
    (c.peek().is_none()).then_some(f)
}

impl Loader {
    /// The check whose text is `source.text[start..end]`, when it is a plain raw check that
    /// loads without a problem; `None` leaves it to the general reader. `source` is this
    /// loader's text, held by the caller for many checks (see [`Loader::checks`]).
    pub(super) fn plain_check(
        &mut self,
        source: &SourceText,
        start: usize,
        end: usize,
        world: &World,
    ) -> Option<Check> {
        let mut cursor = Cursor {
            text: &source.text,
            at: start,
            end: end.min(source.text.len()),
        };
        let f = fields(&mut cursor);
        // What was read is counted as parsed, as the general reader counts its parses, so that
        // the work of reading a file stays measurably linear.
        crate::json::work::PARSED_BYTES.fetch_add(
            cursor.at.saturating_sub(start) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let f = f?;
        let (name, principal, action, resource) = (f.name?, f.principal?, f.action?, f.resource?);
        if !super::checks::is_action_name(action) {
            return None;
        }
        let arn = split_arn(resource);
        match arn {
            // An S3 ARN with a Region may name an access point, which must be declared.
            Some(fields) if fields[2] == "s3" && !fields[3].is_empty() => return None,
            Some(_) => {}
            None if resource == "*" => {}
            None => return None,
        }
        if f.resource_account.is_some_and(|a| !is_account_id(a)) {
            return None;
        }
        let caller = match self.callers.get(principal) {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(world.caller(principal).ok()?);
                self.callers.insert(principal.to_string(), c.clone());
                c
            }
        };
        // A federated principal can only be the principal of its STS call.
        if matches!(
            caller.kind,
            CallerKind::WebIdentity { .. } | CallerKind::Saml { .. }
        ) {
            return None;
        }
        Some(Check {
            name: name.to_string(),
            caller: Some(caller),
            kind: CheckKind::Raw {
                action: action.to_string(),
                resource: resource.to_string(),
                resource_account: f.resource_account.map(str::to_string),
            },
            context: f
                .context
                .into_iter()
                .map(|(k, v)| (k.to_string(), ContextValue::Single(v.to_string())))
                .collect(),
            vpc_endpoint: None,
            session_policy: None,
            expect: f.expect.map(|allowed| Expectation {
                allowed: Some(allowed),
                ..Expectation::default()
            }),
            line: source.line_from(start, &mut self.line_hint),
            note: f.note.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::JsonPath;
    use proptest::prelude::*;

    /// A world with a user, a web identity principal and a bucket with an access point.
    fn world() -> World {
        let text = r#"{"region": "us-east-1",
          "identity_providers": [{"arn": "arn:aws:iam::111122223333:oidc-provider/idp.example.com", "client_ids": ["sts.amazonaws.com"]}],
          "principals": [
            {"arn": "arn:aws:iam::111122223333:user/alice"},
            {"kind": "web_identity", "name": "job", "provider": "idp.example.com", "claims": {"sub": "x", "aud": "sts.amazonaws.com"}}],
          "buckets": [{"name": "b", "account": "111122223333", "access_points": [{"name": "ap1"}]}],
          "checks": []}"#;
        crate::scenario::load_scenario_text("world.json", text)
            .expect("the world loads")
            .world
    }

    /// The check a text loads to through each reader: the plain one, and the general one with
    /// the problems it reports.
    fn both(world: &World, text: &str) -> (Option<Check>, Option<Check>, usize) {
        let source = Arc::new(SourceText::new("check.json", text));
        let plain = Loader::new(source.clone()).plain_check(&source, 0, text.len(), world);
        let mut general = Loader::new(source.clone());
        let check = match source.parse(true) {
            Ok(node) => general.check(&node, &JsonPath::root(), world),
            Err(_) => None,
        };
        (plain, check, general.r.diags.len())
    }

    #[test]
    fn plain_checks_are_read_here() {
        let world = world();
        for text in [
            r#"{"name": "n", "principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}"#,
            r#"{"expect":"denied","context":{"aws:SourceIp":"10.0.0.1","s3:prefix":""},"resource":"*","action":"kms:Decrypt","principal":"arn:aws:iam::111122223333:user/alice","name":"é","resource_account":"111122223333","note":"why"}"#,
            "{\n \"name\" : \"n\" ,\r\n\t\"principal\":\"arn:aws:iam::111122223333:user/alice\",\"action\":\"s3:PutObject\",\"resource\":\"arn:aws:s3:::b/k\",\"context\":{}}",
        ] {
            let (plain, general, problems) = both(&world, text);
            assert_eq!(problems, 0, "{text}");
            assert!(plain.is_some(), "{text}");
            assert_eq!(format!("{plain:?}"), format!("{general:?}"), "{text}");
        }
    }

    fn pick(items: &[&str]) -> impl Strategy<Value = String> {
        prop::sample::select(items.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    /// The members of a check: the four a raw check needs (mostly valid) and a few others, in
    /// any order.
    fn members() -> impl Strategy<Value = Vec<String>> {
        let needed = (
            pick(&[
                r#""name": "n""#,
                r#""name": "n""#,
                r#""name": "a \"quote\"""#,
                r#""name": 3"#,
            ]),
            pick(&[
                r#""principal": "arn:aws:iam::111122223333:user/alice""#,
                r#""principal": "arn:aws:iam::111122223333:user/alice""#,
                r#""principal": "arn:aws:iam::111122223333:user/nobody""#,
                r#""principal": "job""#,
            ]),
            pick(&[
                r#""action": "s3:GetObject""#,
                r#""action": "kms:Decrypt""#,
                r#""action": "s3:Get*""#,
                r#""action": "s3 :Get""#,
            ]),
            pick(&[
                r#""resource": "arn:aws:s3:::b/k""#,
                r#""resource": "*""#,
                r#""resource": "arn:aws:kms:us-east-1:111122223333:key/k1""#,
                r#""resource": "bucket/key""#,
                r#""resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/k""#,
                r#""resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/other""#,
            ]),
        );
        let others = prop::sample::subsequence(
            vec![
                r#""resource_account": "111122223333""#,
                r#""resource_account": "12""#,
                r#""resource_account": null"#,
                r#""context": {}"#,
                r#""context": {"aws:SourceIp": "10.0.0.1", "k": "v"}"#,
                r#""context": {"k": ["a", "b"]}"#,
                r#""context": {"k": null}"#,
                r#""context": {"k": 1}"#,
                r#""context": []"#,
                r#""expect": "allowed""#,
                r#""expect": "denied""#,
                r#""expect": "maybe""#,
                r#""expect": {"allowed": true}"#,
                r#""note": "why""#,
                r#""note": null"#,
                r#""name": "again""#,
                r#""bucket": "b""#,
                r#""call": "s3:GetObject""#,
                r#""unknown": 1"#,
                r#""session_policy": {}"#,
            ],
            0..4,
        );
        (needed, others, prop::bool::weighted(0.8)).prop_flat_map(
            |((n, p, a, r), others, complete)| {
                let mut all = vec![n, p, a, r];
                if !complete {
                    all.pop();
                }
                all.extend(others.into_iter().map(String::from));
                Just(all).prop_shuffle()
            },
        )
    }

    proptest! {
        // About one generated check in forty is plain: enough cases that a hundred are.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the check, the plain reader gives what the general reader gives, or leaves
        /// it to it: never a check the general reader would refuse or read otherwise.
        #[test]
        fn the_plain_reader_agrees_with_the_general_one(
            members in members(),
            space in prop::sample::select(vec!["", " ", "\n  ", "/* note */ "]),
        ) {
            let text = format!("{{{space}{}{space}}}", members.join(&format!(",{space}")));
            let world = world();
            let (plain, general, problems) = both(&world, &text);
            if plain.is_some() {
                prop_assert_eq!(problems, 0, "{}", text);
                prop_assert_eq!(format!("{plain:?}"), format!("{general:?}"), "{}", text);
            }
        }
    }
}
