//! JSON with positions: every value keeps the byte range it came from, so that an error found
//! long after parsing can still name its line and column.
//!
//! `serde_json` keeps no positions once a value is built and stops at the first problem; the
//! loaders here walk a tree instead and report every problem of a file at once. The tree comes
//! from `jsonc-parser`'s AST; this module converts it into an owned form and guards the limits
//! that a recursive parser cannot guard itself (nesting depth).

use std::fmt;

/// Deepest nesting of arrays and objects accepted in any input. Real policies nest five or six
/// levels; the limit only exists so that hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Largest input accepted, in bytes. AWS's own largest policy documents (bucket policies) are
/// 20 KB; scenario files with thousands of checks stay far below this.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// A byte range in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A JSON value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A JSON value. Numbers keep their source text: policy values are compared as text
/// (`10` stays `10`, never `10.0`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

/// One `"name": value` member of an object, in source order (duplicates kept, so that they can
/// be reported).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub name_span: Span,
    pub value: Node,
}

impl Node {
    /// The kind of value, as an error message names it ("a string", "an object", ...).
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member called `name`, if this is an object that has one.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .find(|m| m.name == name)
            .map(|m| &m.value)
    }

    /// A scalar as the text a policy means by it: strings as they are, numbers as written,
    /// booleans as `true`/`false`. AWS accepts unquoted numbers and booleans in policies.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts into a `serde_json::Value` (for printing a policy back).
    pub fn to_serde(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => n
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| serde_json::Value::String(n.clone())),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Node::to_serde).collect()),
            Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .map(|m| (m.name.clone(), m.value.to_serde()))
                    .collect(),
            ),
        }
    }

    /// Builds a node without positions from a `serde_json::Value` (for documents built in code).
    pub fn from_serde(value: &serde_json::Value) -> Node {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.to_string()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Node::from_serde).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Member {
                        name: k.clone(),
                        name_span: Span::default(),
                        value: Node::from_serde(v),
                    })
                    .collect(),
            ),
        };
        Node {
            value,
            span: Span::default(),
        }
    }
}

/// A path into a JSON document, printed the way people write it: `Statement[2].Condition`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(String);

impl JsonPath {
    pub fn root() -> JsonPath {
        JsonPath(String::new())
    }

    /// A path that starts somewhere else (a policy inside a scenario file).
    pub fn from_prefix(prefix: &str) -> JsonPath {
        JsonPath(prefix.to_string())
    }

    pub fn key(&self, name: &str) -> JsonPath {
        if self.0.is_empty() {
            JsonPath(name.to_string())
        } else {
            JsonPath(format!("{}.{}", self.0, name))
        }
    }

    pub fn index(&self, i: usize) -> JsonPath {
        JsonPath(format!("{}[{}]", self.0, i))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(document)")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// One problem found in an input, located by JSON path and span.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub path: JsonPath,
    pub span: Span,
    pub message: String,
    /// "did you mean ...?" for a misspelt name.
    pub suggestion: Option<String>,
}

impl Diagnostic {
    pub fn new(path: &JsonPath, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.clone(),
            span,
            message: message.into(),
            suggestion: None,
        }
    }

    pub fn with_suggestion(mut self, suggestion: Option<String>) -> Diagnostic {
        self.suggestion = suggestion;
        self
    }
}

/// The problems found in one input, in the order found.
pub type Diagnostics = Vec<Diagnostic>;

/// A named source text, able to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceText {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// Renders a diagnostic as `file:line:col: path: message (did you mean X?)`.
    pub fn render(&self, d: &Diagnostic) -> String {
        let (line, col) = self.line_col(d.span.start);
        let mut out = format!("{}:{}:{}: {}: {}", self.name, line, col, d.path, d.message);
        if let Some(s) = &d.suggestion {
            out.push_str(&format!(" (did you mean {s}?)"));
        }
        out
    }

    /// Parses the text as JSON. `allow_comments` admits `//` and `/* */` comments (scenario files
    /// may be annotated; policy documents may not).
    pub fn parse(&self, allow_comments: bool) -> Result<Node, Diagnostic> {
        parse(&self.text, allow_comments)
    }
}

/// Parses JSON text into a [`Node`] tree, or says where and why it is not JSON.
pub fn parse(text: &str, allow_comments: bool) -> Result<Node, Diagnostic> {
    let root = JsonPath::root();
    if text.len() > MAX_INPUT_BYTES {
        return Err(Diagnostic::new(
            &root,
            Span::default(),
            format!(
                "input is {} bytes; the limit is {MAX_INPUT_BYTES} bytes",
                text.len()
            ),
        ));
    }
    if let Some(offset) = too_deep(text) {
        return Err(Diagnostic::new(
            &root,
            Span {
                start: offset,
                end: offset + 1,
            },
            format!("JSON nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let options = jsonc_parser::ParseOptions {
        allow_comments,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &options).map_err(|e| {
        let range = e.range();
        Diagnostic::new(
            &root,
            Span {
                start: range.start,
                end: range.end,
            },
            format!("invalid JSON: {}", e.kind()),
        )
    })?;
    match parsed.value {
        Some(value) => Ok(convert(value)),
        None => Err(Diagnostic::new(
            &root,
            Span::default(),
            "invalid JSON: the input is empty",
        )),
    }
}

/// Finds the offset where nesting first exceeds [`MAX_DEPTH`], scanning outside strings.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn span(range: jsonc_parser::common::Range) -> Span {
    Span {
        start: range.start,
        end: range.end,
    }
}

fn convert(value: jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value as A};
    match value {
        A::StringLit(s) => Node {
            span: span(s.range),
            value: Value::String(s.value.into_owned()),
        },
        A::NumberLit(n) => Node {
            span: span(n.range),
            value: Value::Number(n.value.to_string()),
        },
        A::BooleanLit(b) => Node {
            span: span(b.range),
            value: Value::Bool(b.value),
        },
        A::NullKeyword(n) => Node {
            span: span(n.range),
            value: Value::Null,
        },
        A::Array(a) => Node {
            span: span(a.range),
            value: Value::Array(a.elements.into_iter().map(convert).collect()),
        },
        A::Object(o) => Node {
            span: span(o.range),
            value: Value::Object(
                o.properties
                    .into_iter()
                    .map(|p| {
                        let (name, name_span) = match p.name {
                            ObjectPropName::String(s) => (s.value.into_owned(), span(s.range)),
                            ObjectPropName::Word(w) => (w.value.to_string(), span(w.range)),
                        };
                        Member {
                            name,
                            name_span,
                            value: convert(p.value),
                        }
                    })
                    .collect(),
            ),
        },
    }
}

/// The closest of `candidates` to a misspelt `name`, if one is close enough to suggest.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_survive_parsing() {
        let src = SourceText::new("f.json", "{\n  \"a\": [1, \"x\"]\n}");
        let node = src.parse(false).unwrap();
        let a = node.get("a").unwrap().as_array().unwrap();
        assert_eq!(src.line_col(a[1].span.start), (2, 12));
        assert_eq!(a[0].scalar_text().as_deref(), Some("1"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let err = parse(&text, false).unwrap_err();
        assert!(err.message.contains("nests deeper"));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let src = SourceText::new("f.json", "{\"a\": 1,\n \"b\": }");
        let err = src.parse(false).unwrap_err();
        assert!(
            src.render(&err).starts_with("f.json:2:"),
            "{}",
            src.render(&err)
        );
    }

    #[test]
    fn suggestions_find_near_names() {
        assert_eq!(
            suggest("StringNotEqual", ["StringNotEquals", "StringEquals"]).as_deref(),
            Some("StringNotEquals")
        );
        assert_eq!(suggest("Zebra", ["StringEquals"]), None);
    }
}
