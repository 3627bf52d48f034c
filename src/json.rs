//! JSON with positions: every value keeps the byte range it came from, so that an error found
//! long after parsing can still name its line and column.
//!
//! `serde_json` keeps no positions once a value is built and stops at the first problem; the
//! loaders here walk a tree instead and report every problem of a file at once.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::Ordering;

/// Deepest nesting of arrays and objects accepted in any input. Real policies nest five or six
/// levels; the limit only exists so that hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Largest input accepted, in bytes. AWS's own largest policy documents (bucket policies) are
/// 20 KB; scenario files with thousands of checks stay far below this.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// A byte range in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offsets, 32 bits each: inputs are limited to [`MAX_INPUT_BYTES`], and a parse tree
    /// holds one span per value.
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The start as an offset into the text.
    pub fn offset(self) -> usize {
        self.start as usize
    }
}

/// A JSON value with the span it was read from. Strings borrow from the text they were read
/// from unless they hold escapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub value: Value<'a>,
    pub span: Span,
}

/// A JSON value. Numbers keep their source text: policy values are compared as text
/// (`10` stays `10`, never `10.0`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
    /// A value not parsed yet: an element of a long list that its reader parses one at a time
    /// ([`SourceText::parse_deferred`]), so that the whole list never stands in memory as a
    /// tree. Its span covers it exactly.
    Deferred,
}

/// One `"name": value` member of an object, in source order (duplicates kept, so that they can
/// be reported).
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub name: Cow<'a, str>,
    pub name_span: Span,
    pub value: Node<'a>,
}

impl<'a> Node<'a> {
    /// The kind of value, as an error message names it ("a string", "an object", ...).
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Deferred => "a value",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member<'a>]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member called `name`, if this is an object that has one.
    pub fn get(&self, name: &str) -> Option<&Node<'a>> {
        self.as_object()?
            .iter()
            .find(|m| same_name(&m.name, name))
            .map(|m| &m.value)
    }

    /// A scalar as the text a policy means by it: strings as they are, numbers as written,
    /// booleans as `true`/`false`. AWS accepts unquoted numbers and booleans in policies.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts into a `serde_json::Value` (for printing a policy back).
    pub fn to_serde(&self) -> serde_json::Value {
        match &self.value {
            Value::Null | Value::Deferred => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => n
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| serde_json::Value::String(n.to_string())),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Node::to_serde).collect()),
            Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .map(|m| (m.name.to_string(), m.value.to_serde()))
                    .collect(),
            ),
        }
    }

    /// Builds a node without positions from a `serde_json::Value` (for documents built in code).
    pub fn from_serde(value: &serde_json::Value) -> Node<'static> {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(Cow::Owned(n.to_string())),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s.clone())),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Node::from_serde).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Member {
                        name: Cow::Owned(k.clone()),
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

/// The first byte at or after `from` that ends a plain run of a JSON string: a quote, a
/// backslash or a control character (the text's length when there is none).
pub(crate) fn string_end(bytes: &[u8], from: usize) -> usize {
    first_special(bytes, from, true)
}

/// The first quote or backslash at or after `from` (the text's length when there is none):
/// what stepping over a string needs, [`string_end`] less its test for control characters.
/// Strings in scenarios are short: eight bytes at a time, inlined, this finds their end sooner
/// than a vector search that must first be set up.
fn quote_or_backslash(bytes: &[u8], from: usize) -> usize {
    first_special(bytes, from, false)
}

/// The first quote, backslash or (with `controls`) control character at or after `from`.
/// Eight bytes at a time: a word's bytes equal to a quote or a backslash, or below 0x20, are
/// found by arithmetic.
#[inline(always)]
fn first_special(bytes: &[u8], from: usize, controls: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let special = |b: u8| b == b'"' || b == b'\\' || (controls && b < 0x20);
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let mut found =
            zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if controls {
            // A byte below 0x20 (high bit clear) less 0x20 borrows into its high bit.
            found |= w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        }
        if found != 0 {
            // Each test flags its lowest matching byte exactly: a borrow, which may flag a
            // byte that does not match, only runs upwards from a byte that does. The lowest
            // flagged byte of all is thus the first special one.
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    bytes[at.min(bytes.len())..]
        .iter()
        .position(|b| special(*b))
        .map_or(bytes.len(), |i| at + i)
}

/// Whether two member names are equal. Names are short and compared often (every field a loader
/// reads looks its name up): lengths and first bytes settle most comparisons without a call.
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// The members whose name an earlier member of the same object already has, in order. Small
/// objects (every object a loader reads) compare names pairwise; larger ones use a set, so that
/// an object of any size costs time linear in its members.
pub fn repeated_members<'m, 'a>(members: &'m [Member<'a>]) -> impl Iterator<Item = &'m Member<'a>> {
    const PAIRWISE: usize = 16;
    let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let large = members.len() > PAIRWISE;
    members
        .iter()
        .enumerate()
        .filter(move |(i, m)| {
            if large {
                !seen.insert(&m.name)
            } else {
                members[..*i]
                    .iter()
                    .any(|earlier| same_name(&earlier.name, &m.name))
            }
        })
        .map(|(_, m)| m)
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
            return JsonPath(name.to_string());
        }
        let mut path = String::with_capacity(self.0.len() + 1 + name.len());
        path.push_str(&self.0);
        path.push('.');
        path.push_str(name);
        JsonPath(path)
    }

    pub fn index(&self, i: usize) -> JsonPath {
        let mut number = itoa::Buffer::new();
        let number = number.format(i);
        let mut path = String::with_capacity(self.0.len() + 2 + number.len());
        path.push_str(&self.0);
        path.push('[');
        path.push_str(number);
        path.push(']');
        JsonPath(path)
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

/// A problem located in a named input, ready to show: `file:line:col: path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line and column (in characters); `None` for a problem with the whole input.
    pub position: Option<(usize, usize)>,
    /// The JSON path; `None` with `position` for a problem with the whole input.
    pub path: Option<String>,
    pub message: String,
    /// "did you mean ...?" for a misspelt name.
    pub suggestion: Option<String>,
}

impl Problem {
    /// A problem with a whole input (it cannot be read, it is not what was expected).
    pub fn whole_file(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            position: None,
            path: None,
            message: message.into(),
            suggestion: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.position, &self.path) {
            (Some((line, col)), Some(path)) => {
                write!(f, "{}:{line}:{col}: {path}: {}", self.file, self.message)?
            }
            (Some((line, col)), None) => write!(f, "{}:{line}:{col}: {}", self.file, self.message)?,
            (None, _) => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean {s}?)")?;
        }
        Ok(())
    }
}

/// A named source text, able to turn byte offsets into line and column.
///
/// Lines come from an index of line starts built once; a column is counted only when a
/// position is shown, from the nearest checkpoint, so that no lookup costs more than a few
/// hundred bytes however long the line (a whole scenario may stand on one line).
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Characters before each [`CHECKPOINT`]-byte block, for texts that are not all ASCII
    /// (built on first use).
    checkpoints: std::sync::OnceLock<Vec<usize>>,
}

/// Bytes between two character-count checkpoints.
const CHECKPOINT: usize = 256;

impl SourceText {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceText {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceText {
            name: name.into(),
            text,
            line_starts,
            checkpoints: std::sync::OnceLock::new(),
        }
    }

    /// 1-based line of a byte offset: a binary search of the line index.
    pub fn line(&self, offset: usize) -> usize {
        self.line_index(offset) + 1
    }

    /// [`SourceText::line`] for offsets read in increasing order: `hint` (the 0-based line of
    /// the previous offset, 0 at first) is where the search starts, so that reading a file's
    /// items one after another finds each line in a step or two. An offset before the hint is
    /// searched for as usual.
    pub fn line_from(&self, offset: usize, hint: &mut usize) -> usize {
        let offset = offset.min(self.text.len());
        let mut i = *hint;
        if self.line_starts.get(i).is_none_or(|&start| start > offset) {
            i = self.line_index(offset);
        } else {
            // At most a few lines on: step; further, search the rest.
            let mut steps = 0;
            while self
                .line_starts
                .get(i + 1)
                .is_some_and(|&next| next <= offset)
            {
                i += 1;
                steps += 1;
                if steps == 8 {
                    i = self.line_index(offset);
                    break;
                }
            }
        }
        *hint = i;
        i + 1
    }

    /// Byte offset of the start of the line holding `offset`, from the line index (never a
    /// scan back, however long the line).
    pub fn line_start(&self, offset: usize) -> usize {
        self.line_starts[self.line_index(offset)]
    }

    fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let column = if self.text.is_ascii() {
            offset - start
        } else {
            self.chars_before(offset) - self.chars_before(start)
        };
        (line + 1, column + 1)
    }

    /// Characters before a byte offset (on a character boundary): the nearest checkpoint, then
    /// at most [`CHECKPOINT`] bytes counted.
    fn chars_before(&self, offset: usize) -> usize {
        let checkpoints = self.checkpoints.get_or_init(|| {
            let mut counts = Vec::with_capacity(self.text.len() / CHECKPOINT + 1);
            let mut chars = 0;
            for chunk in self.text.as_bytes().chunks(CHECKPOINT) {
                counts.push(chars);
                // Count character starts (bytes that are not UTF-8 continuation bytes).
                chars += chunk.iter().filter(|b| (**b as i8) >= -0x40).count();
            }
            counts
        });
        let block = offset / CHECKPOINT;
        let from = block * CHECKPOINT;
        let tail = &self.text.as_bytes()[from..offset];
        work::COLUMN_BYTES.fetch_add(tail.len() as u64, Ordering::Relaxed);
        checkpoints.get(block).copied().unwrap_or(0)
            + tail.iter().filter(|b| (**b as i8) >= -0x40).count()
    }

    /// Locates a diagnostic in this text.
    pub fn locate(&self, d: &Diagnostic) -> Problem {
        Problem {
            file: self.name.clone(),
            position: Some(self.line_col(d.span.offset())),
            path: Some(d.path.to_string()),
            message: d.message.clone(),
            suggestion: d.suggestion.clone(),
        }
    }

    /// Renders a diagnostic as `file:line:col: path: message (did you mean X?)`.
    pub fn render(&self, d: &Diagnostic) -> String {
        self.locate(d).to_string()
    }

    /// Parses the text as JSON. `allow_comments` admits `//` and `/* */` comments (scenario files
    /// may be annotated; policy documents may not).
    pub fn parse(&self, allow_comments: bool) -> Result<Node<'_>, Diagnostic> {
        parse(&self.text, allow_comments)
    }

    /// Parses the text as JSON, leaving each element of the array under the top-level member
    /// `deferred` as a [`Value::Deferred`] node: such elements are only checked to be
    /// well-bracketed, and parsed one by one later with [`SourceText::parse_deferred`].
    pub fn parse_deferring(
        &self,
        allow_comments: bool,
        deferred: &str,
    ) -> Result<Node<'_>, Diagnostic> {
        parse_with(&self.text, allow_comments, Some(deferred))
    }

    /// Parses a [`Value::Deferred`] node's text; positions stay those of the whole text.
    pub fn parse_deferred(
        &self,
        node: &Node<'_>,
        allow_comments: bool,
    ) -> Result<Node<'_>, Diagnostic> {
        let (start, end) = (node.span.start as usize, node.span.end as usize);
        work::PARSED_BYTES.fetch_add(end.saturating_sub(start) as u64, Ordering::Relaxed);
        let mut p = Parser {
            text: &self.text,
            bytes: &self.text.as_bytes()[..end.min(self.text.len())],
            at: start,
            allow_comments,
            deferred: None,
            scratch: Vec::new(),
        };
        // A deferred value sits one level below the document's root object.
        p.value(2).map_err(|(at, message)| {
            Diagnostic::new(
                &JsonPath::root(),
                Span::new(at, at + 1),
                format!("invalid JSON: {message}"),
            )
        })
    }
}

/// Counts of the work reading a text costs, kept so that tests can hold it linear in the text:
/// a position shown or a check parsed must never cost a scan from the start of a line or file
/// (a generated scenario may stand on one line). Process-wide totals; each count is added once
/// per parse or per position, never per byte.
pub mod work {
    use std::sync::atomic::{AtomicU64, Ordering};

    pub(super) static COLUMN_BYTES: AtomicU64 = AtomicU64::new(0);
    pub(crate) static PARSED_BYTES: AtomicU64 = AtomicU64::new(0);

    /// The totals so far.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Work {
        /// Bytes counted to turn offsets into columns.
        pub column_bytes: u64,
        /// Bytes the parser went through: a whole document once, each deferred element again.
        pub parsed_bytes: u64,
    }

    /// The work done in this process so far.
    pub fn so_far() -> Work {
        Work {
            column_bytes: COLUMN_BYTES.load(Ordering::Relaxed),
            parsed_bytes: PARSED_BYTES.load(Ordering::Relaxed),
        }
    }
}

/// The largest character boundary at or before `offset`.
fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Parses JSON text into a [`Node`] tree, or says where and why it is not JSON.
///
/// Written by hand because no maintained crate gives, in one pass, JSON values with their byte
/// spans, duplicate keys kept (IAM rejects them, so they must be seen), numbers as written and a
/// nesting limit that keeps hostile input from exhausting the stack.
pub fn parse(text: &str, allow_comments: bool) -> Result<Node<'_>, Diagnostic> {
    parse_with(text, allow_comments, None)
}

fn parse_with<'t>(
    text: &'t str,
    allow_comments: bool,
    deferred: Option<&str>,
) -> Result<Node<'t>, Diagnostic> {
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
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        allow_comments,
        deferred,
        scratch: Vec::new(),
    };
    let result = p.skip_space().and_then(|()| {
        if p.at >= p.bytes.len() {
            return Err(p.error("the input is empty"));
        }
        let node = p.value(0)?;
        p.skip_space()?;
        if p.at < p.bytes.len() {
            return Err(p.error("unexpected text after the JSON value"));
        }
        Ok(node)
    });
    work::PARSED_BYTES.fetch_add(p.at as u64, Ordering::Relaxed);
    result.map_err(|(at, message)| {
        Diagnostic::new(
            &root,
            Span::new(at, at + 1),
            format!("invalid JSON: {message}"),
        )
    })
}

type ParseResult<T> = Result<T, (usize, String)>;

const EXPECTED_VALUE: &str =
    "expected a JSON value (an object, array, string, number, true, false or null)";

struct Parser<'t, 'd> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    allow_comments: bool,
    /// The top-level member whose array elements are left deferred.
    deferred: Option<&'d str>,
    /// Members of the objects being read, innermost last: each object's members are moved
    /// out into a vector of exactly their number when it closes.
    scratch: Vec<Member<'t>>,
}

impl<'t> Parser<'t, '_> {
    fn error(&self, message: impl Into<String>) -> (usize, String) {
        (self.at, message.into())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.at)
    }

    /// Steps over whitespace and comments. Most calls meet neither (compact JSON has no space
    /// between tokens): that case is settled inline with one comparison.
    #[inline]
    fn skip_space(&mut self) -> ParseResult<()> {
        match self.peek() {
            Some(b) if b > b' ' && b != b'/' => Ok(()),
            _ => self.skip_space_slow(),
        }
    }

    #[inline(never)]
    fn skip_space_slow(&mut self) -> ParseResult<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.at += 1,
                Some(b'/') if self.allow_comments => match self.bytes.get(self.at + 1) {
                    Some(b'/') => {
                        while !matches!(self.peek(), None | Some(b'\n')) {
                            self.at += 1;
                        }
                    }
                    Some(b'*') => match self.text[self.at + 2..].find("*/") {
                        Some(end) => self.at += 2 + end + 2,
                        None => return Err(self.error("a /* comment is never closed")),
                    },
                    _ => return Err(self.error("expected a comment after '/'")),
                },
                _ => return Ok(()),
            }
        }
    }

    fn word(&mut self, word: &str, value: Value<'t>) -> ParseResult<Node<'t>> {
        let start = self.at;
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(Node {
                value,
                span: self.span_from(start),
            })
        } else {
            Err(self.error(EXPECTED_VALUE))
        }
    }

    fn value(&mut self, depth: usize) -> ParseResult<Node<'t>> {
        if depth >= MAX_DEPTH {
            return Err(self.error(format!("JSON nests deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let start = self.at;
                let s = self.string()?;
                Ok(Node {
                    value: Value::String(s),
                    span: self.span_from(start),
                })
            }
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error(EXPECTED_VALUE)),
            None => Err(self.error("the input ends where a value was expected")),
        }
    }

    fn object(&mut self, depth: usize) -> ParseResult<Node<'t>> {
        let start = self.at;
        self.at += 1;
        let first = self.scratch.len();
        let result = self.members(depth);
        let members: Vec<Member> = self.scratch.drain(first..).collect();
        result.map(|()| Node {
            value: Value::Object(members),
            span: self.span_from(start),
        })
    }

    /// The members of an object, onto the scratch stack, through the closing brace.
    fn members(&mut self, depth: usize) -> ParseResult<()> {
        self.skip_space()?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.skip_space()?;
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name in double quotes"));
            }
            let name_start = self.at;
            let name = self.string()?;
            let name_span = self.span_from(name_start);
            self.skip_space()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the member name"));
            }
            self.at += 1;
            self.skip_space()?;
            let value = if depth == 0 && self.deferred == Some(&*name) {
                self.deferred_array(depth + 1)?
            } else {
                self.value(depth + 1)?
            };
            self.scratch.push(Member {
                name,
                name_span,
                value,
            });
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or '}' after an object member")),
            }
        }
    }

    /// An array whose elements are recorded by their spans only (see [`Value::Deferred`]);
    /// any other value is read as usual.
    fn deferred_array(&mut self, depth: usize) -> ParseResult<Node<'t>> {
        if self.peek() != Some(b'[') {
            return self.value(depth);
        }
        self.elements(|p| {
            let item_start = p.at;
            p.skip_value()?;
            Ok(Node {
                value: Value::Deferred,
                span: p.span_from(item_start),
            })
        })
    }

    /// Steps over one value without building it: scalars are read, and objects and arrays are
    /// matched bracket by bracket (strings and comments respected). What is inside is checked
    /// when the value is parsed.
    fn skip_value(&mut self) -> ParseResult<()> {
        let open = match self.peek() {
            Some(b'{' | b'[') => self.at,
            Some(_) => return self.value(MAX_DEPTH - 1).map(|_| ()),
            None => return Err(self.error("the input ends where a value was expected")),
        };
        let mut depth = 0usize;
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return Ok(());
                    }
                }
                b'"' => {
                    self.skip_string()?;
                    continue;
                }
                b'/' if self.allow_comments => {
                    self.skip_space()?;
                    continue;
                }
                _ => {}
            }
            self.at += 1;
        }
        Err((open, "this value is never closed".to_string()))
    }

    fn array(&mut self, depth: usize) -> ParseResult<Node<'t>> {
        self.elements(|p| p.value(depth + 1))
    }

    /// The array at `[`: its brackets and commas walked here, each element read by `element`
    /// (parsed, or stepped over and kept for later).
    fn elements(
        &mut self,
        mut element: impl FnMut(&mut Self) -> ParseResult<Node<'t>>,
    ) -> ParseResult<Node<'t>> {
        let start = self.at;
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space()?;
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Node {
                value: Value::Array(items),
                span: self.span_from(start),
            });
        }
        loop {
            self.skip_space()?;
            items.push(element(self)?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Node {
                        value: Value::Array(items),
                        span: self.span_from(start),
                    });
                }
                _ => return Err(self.error("expected ',' or ']' after an array element")),
            }
        }
    }

    fn string(&mut self) -> ParseResult<Cow<'t, str>> {
        self.at += 1;
        // Most strings hold no escape: find the closing quote, and borrow the text.
        let end = string_end(self.bytes, self.at);
        if self.bytes.get(end) == Some(&b'"') {
            let text: &'t str = &self.text[self.at..end];
            self.at = end + 1;
            return Ok(Cow::Borrowed(text));
        }
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let rest = &self.bytes[self.at..];
            let run = rest
                .iter()
                .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(&self.text[self.at..self.at + run]);
            self.at += run;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    self.at += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in a string (escape it)")),
                None => return Err(self.error("a string is never closed")),
            }
        }
    }

    /// Steps over a string without building it (its escapes are checked when it is parsed).
    fn skip_string(&mut self) -> ParseResult<()> {
        let open = self.at;
        self.at += 1;
        loop {
            let end = quote_or_backslash(self.bytes, self.at);
            match self.bytes.get(end) {
                Some(b'"') => {
                    self.at = end + 1;
                    return Ok(());
                }
                Some(_) => self.at = end + 2,
                None => return Err((open, "a string is never closed".to_string())),
            }
        }
    }

    fn hex4(&mut self) -> ParseResult<u32> {
        let code = self
            .text
            .get(self.at..self.at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        self.at += 4;
        Ok(code)
    }

    /// `\uXXXX`, combining a surrogate pair into one character.
    fn unicode_escape(&mut self) -> ParseResult<char> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return Err(self.error("a high surrogate must be followed by a low surrogate"));
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("a high surrogate must be followed by a low surrogate"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code)
            .ok_or_else(|| self.error("\\u escape names no character (a lone surrogate)"))
    }

    fn number(&mut self) -> ParseResult<Node<'t>> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let n = p.bytes[p.at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            p.at += n;
            n
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(Node {
            value: Value::Number(Cow::Borrowed(&self.text[start..self.at])),
            span: self.span_from(start),
        })
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
    fn repeated_members_are_found_in_small_and_large_objects() {
        for size in [3, 40] {
            // Members a0..a{size}, then a1 and a2 again.
            let mut text: Vec<String> = (0..size).map(|i| format!("\"a{i}\": {i}")).collect();
            text.push("\"a1\": 0".into());
            text.push("\"a2\": 0".into());
            let text = format!("{{{}}}", text.join(", "));
            let node = parse(&text, false).unwrap();
            let members = node.as_object().unwrap();
            let repeated: Vec<(&str, usize)> = repeated_members(members)
                .map(|m| (&*m.name, m.name_span.offset()))
                .collect();
            let names: Vec<&str> = repeated.iter().map(|r| r.0).collect();
            assert_eq!(names, ["a1", "a2"], "{size} members");
            // The later member is the one reported.
            assert!(repeated[0].1 > text.find("\"a2\"").unwrap());
        }
    }

    #[test]
    fn positions_survive_parsing() {
        let src = SourceText::new("f.json", "{\n  \"a\": [1, \"x\"]\n}");
        let node = src.parse(false).unwrap();
        let a = node.get("a").unwrap().as_array().unwrap();
        assert_eq!(src.line_col(a[1].span.offset()), (2, 12));
        assert_eq!(a[0].scalar_text().as_deref(), Some("1"));
    }

    #[test]
    fn string_ends_are_found_in_any_word_position() {
        for text in [
            "abc\"",
            "abcdefgh\"",
            "abcdefghijklmno\\n\"",
            "tab\there\"",
            "é and ü\"",
            "no end",
            "",
        ] {
            let expected = text
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(text.len());
            assert_eq!(string_end(text.as_bytes(), 0), expected, "{text:?}");
        }
    }

    /// Borrows in the word arithmetic only run upwards from a byte that ends the run: with two
    /// bytes of the edge values anywhere in two words, the first end found is the first end.
    #[test]
    fn string_ends_are_exact_beside_any_other_byte() {
        let edges = [
            0x00, 0x01, 0x1f, 0x20, 0x21, b'"', 0x23, b'\\', 0x7f, 0x80, 0xc3, 0xff,
        ];
        for &a in &edges {
            for &b in &edges {
                for i in 0..16 {
                    for j in i + 1..16 {
                        let mut bytes = [b'x'; 16];
                        bytes[i] = a;
                        bytes[j] = b;
                        let expected = bytes
                            .iter()
                            .position(|c| *c == b'"' || *c == b'\\' || *c < 0x20)
                            .unwrap_or(16);
                        assert_eq!(string_end(&bytes, 0), expected, "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn lines_found_from_a_hint_are_the_lines_searched_for() {
        let text: String = (0..200).map(|i| "x".repeat(i % 7) + "\n").collect();
        let src = SourceText::new("f", text.clone());
        let mut hint = 0;
        // In order (near and far steps), then backwards, then past the end.
        let offsets =
            (0..text.len())
                .step_by(3)
                .chain([text.len() - 1, 0, 500, 10, text.len() + 5]);
        for offset in offsets {
            assert_eq!(
                src.line_from(offset, &mut hint),
                src.line(offset),
                "at {offset}"
            );
        }
    }

    /// The first pass steps over each deferred element whole: brackets, quotes and backslashes
    /// inside its strings (escaped ones included, at every place in a word) do not end it.
    #[test]
    fn deferred_elements_are_stepped_over_whole() {
        for pad in 0..9 {
            let pad = "p".repeat(pad);
            let first = format!(r#"{{"name": "{pad}a\"]}}\\", "x": [1, {{"y": "}}"}}]}}"#);
            let text = format!(r#"{{"checks": [{first}, {{"name": "b"}}], "after": 1}}"#);
            let src = SourceText::new("f.json", text.clone());
            let root = src.parse_deferring(false, "checks").expect("parses");
            let items = root
                .get("checks")
                .and_then(Node::as_array)
                .expect("an array");
            assert_eq!(items.len(), 2, "{text}");
            let span = items[0].span;
            assert_eq!(&text[span.start as usize..span.end as usize], first);
            let parsed = src.parse_deferred(&items[0], false).expect("parses");
            assert_eq!(
                parsed.get("name").and_then(Node::as_str),
                Some(format!("{pad}a\"]}}\\").as_str())
            );
            assert!(root.get("after").is_some());
        }
        let open = SourceText::new("f.json", r#"{"checks": [{"name": "never closed\"}]}"#);
        assert!(open.parse_deferring(false, "checks").is_err());
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
