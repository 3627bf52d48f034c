//! Property tests: the wildcard matcher against a regex oracle, linear-time matching on
//! pathological patterns, and the algebraic laws of AWS policy evaluation (Part B 4 of
//! `aws-semantics.md`): a Deny never grants, an Allow never refuses, statement and policy order
//! never matter, and the JSON form a policy is written in does not change what it means.
//!
//! Policies are generated as structures, printed as JSON text and read by the real parser
//! (`parse_policy_text`); requests go straight to `engine::authorize`.

use std::collections::BTreeMap;
use std::sync::Arc;

use iamsim::engine::{
    authorize, Caller, Context, Decision, NoTrace, OrgLevel, Outcome, PolicySet, Request,
    ResourceRules, Trace,
};
use iamsim::json::SourceText;
use iamsim::policy::wildcard::{Glob, Token};
use iamsim::policy::{parse_policy_text, Policy, PolicyType};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use regex::Regex;
use serde_json::{json, Map, Value};

/// A configuration that writes no regression files next to the tests.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The wildcard matcher agrees with a regex oracle.
// ---------------------------------------------------------------------------------------------

/// Pattern characters: `*` and `?` are wildcards in pattern text, literal in `Token::Char`.
const PATTERN_CHARS: &[char] = &['a', 'b', '/', ':', 'é', '*', '?'];
/// Text characters: the pattern's, one the patterns never name, and a newline (which `*` and
/// `?` match like any other character).
const TEXT_CHARS: &[char] = &['a', 'b', 'c', '/', ':', 'é', '*', '?', '\n'];

/// The oracle: `*` -> `.*`, `?` -> `.`, everything else literal; anchored, `.` matching newlines.
fn oracle(tokens: &[Token]) -> Regex {
    let mut re = String::from("(?s)^");
    for t in tokens {
        match t {
            Token::AnyRun => re.push_str(".*"),
            Token::AnyOne => re.push('.'),
            Token::Char(c) => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).expect("oracle regex")
}

/// How the oracle reads pattern text (written out here rather than taken from iamsim).
fn pattern_tokens(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::AnyRun,
            '?' => Token::AnyOne,
            c => Token::Char(c),
        })
        .collect()
}

fn random_text(max: usize) -> impl Strategy<Value = String> {
    vec(select(TEXT_CHARS), 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// A text built to match `tokens` (each `*` filled with 0-3 characters, each `?` with one),
/// then perhaps disturbed by one insertion, deletion or replacement, so that both answers are
/// common.
fn derived_text(tokens: Vec<Token>) -> impl Strategy<Value = String> {
    let n = tokens.len();
    (
        vec(vec(select(TEXT_CHARS), 0..4), n),
        vec(select(TEXT_CHARS), n),
        option::of((any::<Index>(), 0u8..3, select(TEXT_CHARS))),
    )
        .prop_map(move |(fills, ones, mutation)| {
            let mut chars: Vec<char> = Vec::new();
            for (i, t) in tokens.iter().enumerate() {
                match t {
                    Token::AnyRun => chars.extend(&fills[i]),
                    Token::AnyOne => chars.push(ones[i]),
                    Token::Char(c) => chars.push(*c),
                }
            }
            if let Some((at, kind, c)) = mutation {
                match kind {
                    0 => chars.insert(at.index(chars.len() + 1), c),
                    1 if !chars.is_empty() => {
                        chars.remove(at.index(chars.len()));
                    }
                    _ if !chars.is_empty() => {
                        let i = at.index(chars.len());
                        chars[i] = c;
                    }
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
}

fn short_pattern_and_text() -> impl Strategy<Value = (String, String)> {
    vec(select(PATTERN_CHARS), 0..12)
        .prop_map(|cs| cs.into_iter().collect::<String>())
        .prop_flat_map(|p| {
            let tokens = pattern_tokens(&p);
            (
                Just(p),
                prop_oneof![random_text(16).boxed(), derived_text(tokens).boxed()],
            )
        })
}

/// Tokens where `*` and `?` may also be literal characters.
fn token() -> impl Strategy<Value = Token> {
    prop_oneof![
        4 => select(PATTERN_CHARS).prop_map(Token::Char),
        1 => Just(Token::AnyOne),
        1 => Just(Token::AnyRun),
    ]
}

fn short_tokens_and_text() -> impl Strategy<Value = (Vec<Token>, String)> {
    vec(token(), 0..12).prop_flat_map(|tokens| {
        (
            Just(tokens.clone()),
            prop_oneof![random_text(16).boxed(), derived_text(tokens).boxed()],
        )
    })
}

/// Long patterns: a given number of non-star tokens (around one and two 64-bit words, and up
/// to four words), with stars sprinkled between them.
fn long_tokens_and_text() -> impl Strategy<Value = (Vec<Token>, String)> {
    prop_oneof![60usize..70, 124usize..134, 65usize..260]
        .prop_flat_map(|n| {
            (
                vec(
                    prop_oneof![
                        6 => select(&['a', 'b', '/', ':', 'é'][..]).prop_map(Token::Char),
                        1 => Just(Token::AnyOne),
                    ],
                    n,
                ),
                vec(prop::bool::weighted(0.1), n + 1),
            )
        })
        .prop_map(|(plain, stars)| {
            let mut tokens = Vec::new();
            for (i, t) in plain.into_iter().enumerate() {
                if stars[i] {
                    tokens.push(Token::AnyRun);
                }
                tokens.push(t);
            }
            if stars[stars.len() - 1] {
                tokens.push(Token::AnyRun);
            }
            tokens
        })
        .prop_flat_map(|tokens| {
            (
                Just(tokens.clone()),
                prop_oneof![1 => random_text(300).boxed(), 4 => derived_text(tokens).boxed()],
            )
        })
}

proptest! {
    #![proptest_config(config(1000))]

    /// `Glob::new` on pattern text agrees with the regex oracle.
    #[test]
    fn glob_text_patterns_agree_with_regex((pattern, text) in short_pattern_and_text()) {
        let expected = oracle(&pattern_tokens(&pattern)).is_match(&text);
        prop_assert_eq!(Glob::new(&pattern).is_match(&text), expected,
            "pattern {:?} text {:?}", pattern, text);
    }

    /// `Glob::from_tokens`, with literal `*` and `?` characters, agrees with the regex oracle.
    #[test]
    fn glob_token_patterns_agree_with_regex((tokens, text) in short_tokens_and_text()) {
        let expected = oracle(&tokens).is_match(&text);
        prop_assert_eq!(Glob::from_tokens(tokens.iter().copied()).is_match(&text), expected,
            "tokens {:?} text {:?}", tokens, text);
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Patterns of more than 64 non-star tokens run the multi-word automaton.
    #[test]
    fn long_glob_patterns_agree_with_regex((tokens, text) in long_tokens_and_text()) {
        let expected = oracle(&tokens).is_match(&text);
        prop_assert_eq!(Glob::from_tokens(tokens.iter().copied()).is_match(&text), expected,
            "tokens {:?} text {:?}", tokens, text);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Pathological wildcards stay linear.
// ---------------------------------------------------------------------------------------------

/// `*a*a*...*a*b` (or `*a?*a?...*b`): a backtracking matcher explores on the order of
/// `len^segments` splits of a text of `a`s before giving up.
fn pathological(segments: usize, any_one: bool) -> String {
    let mut pattern = String::new();
    for _ in 0..segments {
        pattern.push_str(if any_one { "*a?" } else { "*a" });
    }
    pattern.push_str("*b");
    pattern
}

proptest! {
    #![proptest_config(config(6))]

    /// Up to 300 segments against 100,000 characters: no answer without a linear matcher.
    /// (No timing assertion: a backtracking matcher simply never finishes.)
    #[test]
    fn pathological_globs_finish(
        segments in prop_oneof![5usize..40, 60usize..300],
        len in 50_000usize..=100_000,
        any_one in any::<bool>(),
    ) {
        let glob = Glob::new(&pathological(segments, any_one));
        let text = "a".repeat(len);
        prop_assert!(!glob.is_match(&text));
        let with_b = format!("{text}b");
        prop_assert!(glob.is_match(&with_b));
    }

    /// The same patterns in a policy's Resource and a StringLike condition.
    #[test]
    fn pathological_policy_patterns_finish(
        segments in 60usize..200,
        len in 50_000usize..=100_000,
    ) {
        let pattern = pathological(segments, false);
        let text = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::bucket/{pattern}"),
                "Condition": {"StringLike": {"s3:prefix": pattern}},
            }]
        })
        .to_string();
        let policy = Arc::new(parse(&text, PolicyType::Identity, "long").expect("parses"));
        let caller = Caller::parse(ALICE).expect("caller");
        let identity = [policy];
        let set = PolicySet::identity_only(&identity);
        for (suffix, outcome) in [("", Outcome::ImplicitDeny), ("b", Outcome::Allowed)] {
            let key = format!("{}{suffix}", "a".repeat(len));
            let mut context = Context::new();
            context.set("s3:prefix", key.clone());
            let resource = format!("arn:aws:s3:::bucket/{key}");
            let request = Request::new(&caller, "s3:GetObject", &resource, Some(OWNER), &context);
            prop_assert_eq!(authorize(&request, &set, &mut NoTrace).outcome(), outcome);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generated worlds: identity policies, an optional boundary, session policy, SCP and resource
// policy (bucket, key or generic), over a small vocabulary.
// ---------------------------------------------------------------------------------------------

const OWNER: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const DEV_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/dev/s1";
const BOB: &str = "arn:aws:iam::444455556666:user/bob";
const OPS_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/ops/s2";
/// Callers: two in the resource owner's account, two in another account, and anonymous.
const CALLERS: &[&str] = &[ALICE, DEV_SESSION, BOB, OPS_SESSION, "anonymous"];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "S3:getobject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "kms:Decrypt",
    "kms:CreateAlias",
    "iam:GetUser",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "s3:?etObject",
    "s3:GetObject",
    "S3:putobject",
    "s3:DeleteObject",
    "s3:List*",
    "kms:*",
    "kms:Decrypt",
    "iam:*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket-a/x/1.txt",
    "arn:aws:s3:::bucket-a/red/2.txt",
    "arn:aws:s3:::bucket-b/x/2.txt",
    "arn:aws:s3:::bucket-a",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-?/x/*",
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::*",
    "arn:aws:s3:::bucket-b/x/2.txt",
    "arn:aws:s3:::bucket-a/${aws:PrincipalTag/team}/*",
    "arn:aws:s3:::*/x/?.txt",
    "arn:aws:kms:*:111122223333:key/*",
];
const PRINCIPALS: &[&str] = &[
    "*",
    "111122223333",
    "arn:aws:iam::444455556666:root",
    ALICE,
    BOB,
    "arn:aws:iam::444455556666:role/ops",
    "arn:aws:iam::111122223333:role/dev",
    DEV_SESSION,
];
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "StringEqualsIgnoreCase",
    "Null",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringLike",
];
const TEAM: &str = "aws:PrincipalTag/team";
const PREFIX: &str = "s3:prefix";
const CONDITION_VALUES: &[&str] = &[
    "red",
    "blue",
    "RED",
    "r*",
    "*",
    "x",
    "${aws:PrincipalTag/team}",
];
const TEAMS: &[&str] = &["red", "blue", "Red"];
const PREFIXES: &[&str] = &["red", "x", ""];

#[derive(Debug, Clone)]
struct Cond {
    op: &'static str,
    key: &'static str,
    values: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct Stmt {
    sid: String,
    allow: bool,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
    /// `(NotPrincipal, entries)`, for resource-policy statements.
    principal: Option<(bool, Vec<&'static str>)>,
    conditions: Vec<Cond>,
}

#[derive(Debug, Clone)]
struct World {
    identity: Vec<Vec<Stmt>>,
    boundary: Option<Vec<Stmt>>,
    /// Applies to role sessions only.
    session: Option<Vec<Stmt>>,
    /// One SCP at one level, applying to every IAM caller.
    scp: Option<Vec<Stmt>>,
    resource: Option<Vec<Stmt>>,
    /// How the resource policy takes part.
    rules: Rules,
}

/// The resource kinds: which `ResourceRules` apply and what type the resource policy has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// `ResourceRules::Standard`, a generic resource-based policy.
    Standard,
    /// An S3 bucket or object with a bucket policy.
    S3,
    /// An object owned by another account than the bucket owner: bucket-policy Allows do not
    /// reach it, its Denies do.
    S3ForeignObject,
    /// A KMS key with a key policy.
    Kms,
}

impl Rules {
    fn engine(self) -> ResourceRules {
        match self {
            Rules::Standard => ResourceRules::Standard,
            Rules::S3 => ResourceRules::S3 { allows_apply: true },
            Rules::S3ForeignObject => ResourceRules::S3 {
                allows_apply: false,
            },
            Rules::Kms => ResourceRules::KmsKey,
        }
    }

    fn policy_type(self) -> PolicyType {
        match self {
            Rules::Standard => PolicyType::Resource,
            Rules::S3 | Rules::S3ForeignObject => PolicyType::Bucket,
            Rules::Kms => PolicyType::Key,
        }
    }
}

#[derive(Debug, Clone)]
struct Req {
    caller: usize,
    action: usize,
    resource: usize,
    team: Option<&'static str>,
    prefix: Option<&'static str>,
}

fn condition() -> impl Strategy<Value = Cond> {
    (
        select(OPERATORS),
        select(&[TEAM, PREFIX][..]),
        vec(select(CONDITION_VALUES), 1..3),
        vec(select(&["true", "false"][..]), 1..3),
    )
        .prop_map(|(op, key, values, nulls)| Cond {
            op,
            key,
            values: if op == "Null" { nulls } else { values },
        })
}

/// A statement; resource-policy statements (`with_principal`) name principals, and only a Deny
/// may use NotPrincipal.
fn statement(with_principal: bool) -> impl Strategy<Value = Stmt> {
    (
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.15),
        vec(select(ACTION_PATTERNS), 1..4),
        prop::bool::weighted(0.15),
        vec(select(RESOURCE_PATTERNS), 1..4),
        (
            prop::bool::weighted(0.2),
            vec(prop_oneof![1 => Just("*"), 3 => select(PRINCIPALS)], 1..4),
        ),
        (any::<Index>(), vec(condition(), 1..3)),
    )
        .prop_map(
            move |(allow, not_action, actions, not_resource, resources, principal, conds)| {
                // Most Allows are unconditional; most Denies carry a condition (as in real
                // policies), so that denials do not swamp every other outcome.
                let conditional = conds.0.index(3) < if allow { 1 } else { 2 };
                let mut conditions: Vec<Cond> = Vec::new();
                for c in conds.1.into_iter().filter(|_| conditional) {
                    // One value list per (operator, key): a JSON object cannot say it twice.
                    if !conditions.iter().any(|d| d.op == c.op && d.key == c.key) {
                        conditions.push(c);
                    }
                }
                Stmt {
                    sid: String::new(),
                    allow,
                    not_action,
                    actions,
                    not_resource,
                    resources,
                    principal: with_principal.then_some((principal.0 && !allow, principal.1)),
                    conditions,
                }
            },
        )
}

fn statements(with_principal: bool, max: usize) -> impl Strategy<Value = Vec<Stmt>> {
    vec(statement(with_principal), 1..max)
}

/// Gives every statement a Sid that names it uniquely, so that decisions can be compared by
/// Sid whatever order the statements end up in.
fn name_statements(w: &mut World) {
    for (p, policy) in w.identity.iter_mut().enumerate() {
        for (i, s) in policy.iter_mut().enumerate() {
            s.sid = format!("Id{p}s{i}");
        }
    }
    for (prefix, policy) in [
        ("Boundary", &mut w.boundary),
        ("Session", &mut w.session),
        ("Scp", &mut w.scp),
        ("Res", &mut w.resource),
    ] {
        for (i, s) in policy.iter_mut().flatten().enumerate() {
            s.sid = format!("{prefix}{i}");
        }
    }
}

/// `resource_probability` 1.0 means every world has a resource policy.
fn world(resource_probability: f64) -> impl Strategy<Value = World> {
    let resource = if resource_probability >= 1.0 {
        statements(true, 7).prop_map(Some).boxed()
    } else {
        option::weighted(resource_probability, statements(true, 7)).boxed()
    };
    (
        vec(statements(false, 5), 0..4),
        option::weighted(0.2, statements(false, 4)),
        option::weighted(0.2, statements(false, 4)),
        option::weighted(0.15, statements(false, 4)),
        resource,
        prop_oneof![
            2 => Just(Rules::Standard),
            3 => Just(Rules::S3),
            1 => Just(Rules::S3ForeignObject),
            2 => Just(Rules::Kms),
        ],
    )
        .prop_map(|(identity, boundary, session, scp, resource, rules)| {
            let mut w = World {
                identity,
                boundary,
                session,
                scp,
                resource,
                rules,
            };
            name_statements(&mut w);
            w
        })
}

fn request(callers: std::ops::Range<usize>) -> impl Strategy<Value = Req> {
    (
        callers,
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        option::of(select(TEAMS)),
        option::of(select(PREFIXES)),
    )
        .prop_map(|(caller, action, resource, team, prefix)| Req {
            caller,
            action,
            resource,
            team,
            prefix,
        })
}

/// A world and a request: any world and caller, or (half the time) a world with a resource
/// policy and a caller from another account, where both sides must allow.
fn world_and_request() -> impl Strategy<Value = (World, Req)> {
    prop_oneof![
        (world(0.6), request(0..CALLERS.len())),
        (world(1.0), request(2..4)),
    ]
}

// --- Printing policies as JSON ---------------------------------------------------------------

/// How a policy is written. Every form means the same policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Arrays everywhere, a Statement array, compact: `serde_json::to_string`.
    Canonical,
    /// Bare strings for one-element lists, `"Principal": "*"`, a single statement as an
    /// object, pretty-printed.
    Terse,
    /// The canonical document as a JSON string inside `{"Policy": ...}` (as `GetBucketPolicy`
    /// returns it).
    PolicyString,
    /// The terse document inside the AWS CLI's `{"PolicyVersion": {"Document": ...}}`.
    CliWrapper,
    /// Every object's members in reverse order (Statement before Version, Effect last), with
    /// odd whitespace.
    Reordered,
    /// Other letter case where AWS ignores it: action names and service prefixes (2.1),
    /// condition key names and the key names of policy variables (3.2, 3.7).
    Recased,
}

const STYLES: &[Style] = &[
    Style::Canonical,
    Style::Terse,
    Style::PolicyString,
    Style::CliWrapper,
    Style::Reordered,
    Style::Recased,
];

fn list(items: &[&str], terse: bool) -> Value {
    if terse && items.len() == 1 {
        json!(items[0])
    } else {
        json!(items)
    }
}

fn statement_json(s: &Stmt, terse: bool) -> Value {
    let mut m = Map::new();
    m.insert("Sid".into(), json!(s.sid));
    m.insert(
        "Effect".into(),
        json!(if s.allow { "Allow" } else { "Deny" }),
    );
    if let Some((negated, entries)) = &s.principal {
        let value = if terse && entries[..] == ["*"] {
            json!("*")
        } else {
            json!({ "AWS": list(entries, terse) })
        };
        let key = if *negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        m.insert(key.into(), value);
    }
    let key = if s.not_action { "NotAction" } else { "Action" };
    m.insert(key.into(), list(&s.actions, terse));
    let key = if s.not_resource {
        "NotResource"
    } else {
        "Resource"
    };
    m.insert(key.into(), list(&s.resources, terse));
    if !s.conditions.is_empty() {
        let mut block: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for c in &s.conditions {
            block
                .entry(c.op)
                .or_default()
                .insert(c.key.into(), list(&c.values, terse));
        }
        m.insert("Condition".into(), json!(block));
    }
    Value::Object(m)
}

fn document(stmts: &[Stmt], terse: bool) -> Value {
    let statements: Vec<Value> = stmts.iter().map(|s| statement_json(s, terse)).collect();
    let statement = if terse && statements.len() == 1 {
        statements[0].clone()
    } else {
        Value::Array(statements)
    };
    json!({"Version": "2012-10-17", "Statement": statement})
}

/// Writes JSON with every object's members in reverse order.
fn write_reversed(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push_str("{ ");
            for (i, (k, x)) in m.iter().rev().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n\t");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(" :");
                write_reversed(x, out);
            }
            out.push_str(" }");
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\r\n");
                }
                write_reversed(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `aws:PrincipalTag/team` -> `AWS:pRINCIPALtAG/TEAM`.
fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().collect::<String>()
            } else {
                c.to_uppercase().collect()
            }
        })
        .collect()
}

/// Swaps the case of the key names inside `${...}` and leaves the rest alone.
fn swap_variables(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let variable = &rest[i..];
        let end = variable.find('}').map_or(variable.len(), |e| e + 1);
        out.push_str(&swap_case(&variable[..end]));
        rest = &variable[end..];
    }
    out.push_str(rest);
    out
}

fn map_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|x| map_strings(x, f)),
        _ => {}
    }
}

/// The document with action names, condition key names and variable names in other case.
fn recased(mut doc: Value) -> Value {
    let Some(Value::Array(statements)) = doc.get_mut("Statement") else {
        return doc;
    };
    for stmt in statements {
        for key in ["Action", "NotAction"] {
            if let Some(a) = stmt.get_mut(key) {
                map_strings(a, &|s| s.to_uppercase());
            }
        }
        for key in ["Resource", "NotResource"] {
            if let Some(r) = stmt.get_mut(key) {
                map_strings(r, &swap_variables);
            }
        }
        if let Some(Value::Object(block)) = stmt.get_mut("Condition") {
            for keys in block.values_mut() {
                if let Value::Object(keys) = keys {
                    for (name, mut values) in std::mem::take(keys) {
                        map_strings(&mut values, &swap_variables);
                        keys.insert(swap_case(&name), values);
                    }
                }
            }
        }
    }
    doc
}

fn policy_text(stmts: &[Stmt], style: Style) -> String {
    match style {
        Style::Reordered => {
            let mut out = String::new();
            write_reversed(&document(stmts, false), &mut out);
            out
        }
        Style::Recased => recased(document(stmts, false)).to_string(),
        Style::Canonical => document(stmts, false).to_string(),
        Style::Terse => serde_json::to_string_pretty(&document(stmts, true)).expect("json"),
        Style::PolicyString => json!({"Policy": document(stmts, false).to_string()}).to_string(),
        Style::CliWrapper => serde_json::to_string_pretty(&json!({
            "PolicyVersion": {"Document": document(stmts, true), "VersionId": "v1"}
        }))
        .expect("json"),
    }
}

fn parse(text: &str, policy_type: PolicyType, name: &str) -> Result<Policy, String> {
    parse_policy_text(&SourceText::new(name, text), policy_type, name)
        .map_err(|e| format!("{text}\n{}", e))
}

// --- Evaluation -------------------------------------------------------------------------------

/// A world's policies, parsed.
struct Parsed {
    identity: Vec<Arc<Policy>>,
    boundary: Option<Policy>,
    session: Option<Policy>,
    scp: Option<Vec<OrgLevel>>,
    resource: Option<Policy>,
    rules: Rules,
}

fn parse_world(w: &World, style: Style) -> Result<Parsed, String> {
    let one = |stmts: &Option<Vec<Stmt>>, t: PolicyType, name: &str| {
        stmts
            .as_ref()
            .map(|s| parse(&policy_text(s, style), t, name))
            .transpose()
    };
    Ok(Parsed {
        identity: w
            .identity
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse(
                    &policy_text(s, style),
                    PolicyType::Identity,
                    &format!("id{i}"),
                )
                .map(Arc::new)
            })
            .collect::<Result<_, _>>()?,
        boundary: one(&w.boundary, PolicyType::PermissionsBoundary, "boundary")?,
        session: one(&w.session, PolicyType::Session, "session")?,
        scp: one(&w.scp, PolicyType::Scp, "scp")?.map(|p| {
            vec![OrgLevel {
                id: "ou-1".into(),
                policies: vec![Arc::new(p)],
            }]
        }),
        resource: one(&w.resource, w.rules.policy_type(), "resource policy")?,
        rules: w.rules,
    })
}

fn evaluate(p: &Parsed, r: &Req, trace: bool) -> Decision {
    let mut caller = Caller::parse(CALLERS[r.caller]).expect("caller");
    let iam = caller.is_iam_principal();
    let is_session = CALLERS[r.caller].contains(":assumed-role/");
    caller.has_boundary = iam && p.boundary.is_some();
    let mut context = Context::new();
    if let Some(t) = r.team {
        context.set(TEAM, t);
    }
    if let Some(v) = r.prefix {
        context.set(PREFIX, v);
    }
    let set = PolicySet {
        identity: if iam { &p.identity } else { &[] },
        boundary: p.boundary.as_ref().filter(|_| iam),
        session: p.session.as_ref().filter(|_| is_session),
        resource: p.resource.as_ref(),
        rules: p.rules.engine(),
        scps: p.scp.as_deref().filter(|_| iam),
        rcps: None,
        endpoint: None,
        grants: &[],
        acl: None,
        bucket_acl: None,
    };
    let request = Request::new(
        &caller,
        ACTIONS[r.action],
        RESOURCES[r.resource],
        Some(OWNER),
        &context,
    );
    if trace {
        authorize(&request, &set, &mut Trace::default())
    } else {
        authorize(&request, &set, &mut NoTrace)
    }
}

/// What a decision says, independent of statement positions and source lines: the outcome,
/// the policy type a denial names, and the Sids of the deciding statements.
fn summary(d: &Decision) -> (Outcome, Option<PolicyType>, Vec<String>) {
    let mut labels: Vec<String> = d.statements().iter().map(|r| r.label()).collect();
    labels.sort();
    (d.outcome(), d.layer(), labels)
}

fn decide(w: &World, r: &Req) -> Result<Decision, String> {
    Ok(evaluate(&parse_world(w, Style::Canonical)?, r, false))
}

// --- Adding statements ------------------------------------------------------------------------

/// Where an added statement goes. A target the world lacks (no boundary, ...) becomes a new
/// identity policy: adding a policy that holds only the new statement.
#[derive(Debug, Clone, Copy)]
enum Target {
    Identity(Index),
    NewIdentity,
    Boundary,
    Session,
    Scp,
    Resource,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        4 => any::<Index>().prop_map(Target::Identity),
        1 => Just(Target::NewIdentity),
        1 => Just(Target::Boundary),
        1 => Just(Target::Session),
        1 => Just(Target::Scp),
        3 => Just(Target::Resource),
    ]
}

/// `w` with `extra` (its effect forced to `allow`) added at `target`; `extra_resource` is used
/// when the target is the resource policy, which needs a Principal.
fn with_statement(
    w: &World,
    target: Target,
    extra: &Stmt,
    extra_resource: &Stmt,
    allow: bool,
) -> World {
    let mut w = w.clone();
    let mut s = extra.clone();
    s.sid = "Added".into();
    s.allow = allow;
    let existing = match target {
        Target::Identity(i) if !w.identity.is_empty() => {
            let n = w.identity.len();
            Some(&mut w.identity[i.index(n)])
        }
        Target::Boundary => w.boundary.as_mut(),
        Target::Session => w.session.as_mut(),
        Target::Scp => w.scp.as_mut(),
        Target::Resource => {
            if w.resource.is_some() {
                s = extra_resource.clone();
                s.sid = "Added".into();
                s.allow = allow;
                if let Some((negated, _)) = &mut s.principal {
                    *negated &= !allow;
                }
            }
            w.resource.as_mut()
        }
        _ => None,
    };
    match existing {
        Some(policy) => policy.push(s),
        None => w.identity.push(vec![s]),
    }
    w
}

// ---------------------------------------------------------------------------------------------
// 3. - 4. Monotonicity.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// 4.2 step 1: an explicit Deny can only add a refusal. Adding a Deny statement leaves the
    /// decision as it was, or makes it an explicit deny naming the new statement.
    #[test]
    fn adding_a_deny_never_grants(
        (w, r) in world_and_request(),
        target in target(),
        extra in statement(false),
        extra_resource in statement(true),
    ) {
        let before = decide(&w, &r).map_err(TestCaseError::fail)?;
        let changed = with_statement(&w, target, &extra, &extra_resource, false);
        let after = decide(&changed, &r).map_err(TestCaseError::fail)?;
        if after.outcome() != before.outcome() {
            prop_assert_eq!(after.outcome(), Outcome::ExplicitDeny,
                "a Deny turned {:?} into {:?}\nbefore: {:#?}\nafter: {:#?}",
                before.outcome(), after.outcome(), w, changed);
            prop_assert!(after.statements().iter().any(|s| s.label() == "Added"));
        }
        prop_assert!(before.is_allowed() || !after.is_allowed());
    }

    /// Allow statements only ever widen access: an allowed request stays allowed, and an
    /// explicit deny stays the same explicit deny.
    #[test]
    fn adding_an_allow_never_refuses(
        (w, r) in world_and_request(),
        target in target(),
        extra in statement(false),
        extra_resource in statement(true),
    ) {
        let before = decide(&w, &r).map_err(TestCaseError::fail)?;
        let changed = with_statement(&w, target, &extra, &extra_resource, true);
        let after = decide(&changed, &r).map_err(TestCaseError::fail)?;
        match before.outcome() {
            Outcome::Allowed => prop_assert_eq!(after.outcome(), Outcome::Allowed,
                "an Allow turned an allow into {:?}\nbefore: {:#?}\nafter: {:#?}",
                after.outcome(), w, changed),
            Outcome::ExplicitDeny => prop_assert_eq!(summary(&after), summary(&before)),
            Outcome::ImplicitDeny => prop_assert_ne!(after.outcome(), Outcome::ExplicitDeny),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Order independence.
// ---------------------------------------------------------------------------------------------

/// A small deterministic generator (splitmix64) for shuffles driven by a generated seed.
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }

    fn statements(&mut self, stmts: &mut [Stmt]) {
        self.shuffle(stmts);
        for s in stmts {
            self.shuffle(&mut s.actions);
            self.shuffle(&mut s.resources);
            self.shuffle(&mut s.conditions);
            for c in &mut s.conditions {
                self.shuffle(&mut c.values);
            }
            if let Some((_, entries)) = &mut s.principal {
                self.shuffle(entries);
            }
        }
    }
}

/// The world with the identity policies in another order and every statement list (and every
/// list inside a statement) shuffled.
fn shuffled(w: &World, seed: u64) -> World {
    let mut w = w.clone();
    let mut rng = Shuffler(seed);
    rng.shuffle(&mut w.identity);
    for p in &mut w.identity {
        rng.statements(p);
    }
    for p in [&mut w.boundary, &mut w.session, &mut w.scp, &mut w.resource]
        .into_iter()
        .flatten()
    {
        rng.statements(p);
    }
    w
}

proptest! {
    #![proptest_config(config(512))]

    /// 4.1: statements are not ordered. Same outcome, same denying policy type, same deciding
    /// statements.
    #[test]
    fn order_never_matters(
        (w, r) in world_and_request(),
        seed in any::<u64>(),
    ) {
        let before = decide(&w, &r).map_err(TestCaseError::fail)?;
        let other = shuffled(&w, seed);
        let after = decide(&other, &r).map_err(TestCaseError::fail)?;
        prop_assert_eq!(summary(&after), summary(&before),
            "\noriginal: {:#?}\nshuffled: {:#?}", w, other);
    }

    /// The same across accounts: a resource policy always present, callers from the other
    /// account (or anonymous), so both the resource side and the principal side decide.
    #[test]
    fn order_never_matters_across_accounts(
        w in world(1.0),
        r in request(2..CALLERS.len()),
        seed in any::<u64>(),
    ) {
        let before = decide(&w, &r).map_err(TestCaseError::fail)?;
        let other = shuffled(&w, seed);
        let after = decide(&other, &r).map_err(TestCaseError::fail)?;
        prop_assert_eq!(summary(&after), summary(&before),
            "\noriginal: {:#?}\nshuffled: {:#?}", w, other);
    }
}

// ---------------------------------------------------------------------------------------------
// 6. The written form does not change the meaning; 7. the statement index does not either.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(128))]

    /// A policy printed by serde_json from the generated structure, in any of the forms AWS
    /// accepts, parses to a policy that decides every request the same way.
    #[test]
    fn printed_forms_decide_alike(
        w in world(0.6),
        style in select(STYLES),
        requests in vec(request(0..CALLERS.len()), 16),
    ) {
        let canonical = parse_world(&w, Style::Canonical).map_err(TestCaseError::fail)?;
        let other = parse_world(&w, style).map_err(TestCaseError::fail)?;
        let count = |p: &Parsed| p.identity.iter().map(|p| p.statements.len()).collect::<Vec<_>>();
        prop_assert_eq!(count(&canonical), count(&other));
        for r in &requests {
            prop_assert_eq!(
                summary(&evaluate(&other, r, false)),
                summary(&evaluate(&canonical, r, false)),
                "{:?} differs for {:?}", style, r
            );
        }
    }

    /// Evaluation without a trace skips statements by an action index; with a trace it looks
    /// at every statement. Both give the very same decision.
    #[test]
    fn action_index_agrees_with_full_scan(
        w in world(0.6),
        requests in vec(request(0..CALLERS.len()), 16),
    ) {
        let parsed = parse_world(&w, Style::Canonical).map_err(TestCaseError::fail)?;
        for r in &requests {
            prop_assert_eq!(evaluate(&parsed, r, false), evaluate(&parsed, r, true), "{:?}", r);
        }
    }
}

/// The generators are not vacuous: every outcome is common for callers of the bucket owner's
/// account, of another account, and for anonymous callers.
#[test]
fn generated_requests_reach_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = world_and_request();
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..1500 {
        let (w, r) = strategy.new_tree(&mut runner).expect("sample").current();
        let d = decide(&w, &r).expect("parses");
        let group = match r.caller {
            0 | 1 => "same account",
            2 | 3 => "other account",
            _ => "anonymous",
        };
        *counts
            .entry((group, format!("{:?}", d.outcome())))
            .or_default() += 1;
        *totals.entry(group).or_default() += 1;
    }
    for (group, total) in &totals {
        for outcome in [
            Outcome::Allowed,
            Outcome::ExplicitDeny,
            Outcome::ImplicitDeny,
        ] {
            let n = counts
                .get(&(*group, format!("{outcome:?}")))
                .copied()
                .unwrap_or(0);
            assert!(
                n * 40 >= *total,
                "{group}: {outcome:?} {n} of {total}: {counts:?}"
            );
        }
    }
}
