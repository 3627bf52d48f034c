//! A statement's JSON as its file has it, found from the offset its reference keeps.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Esc;

use crate::engine::StatementRef;
use crate::json::SourceText;

/// The longest statement quoted, in bytes; a longer one is cut and says so.
const MAX_STATEMENT_BYTES: usize = 16 * 1024;
/// The longest line quoted, in characters (a file written on one line).
const MAX_LINE_CHARS: usize = 240;

/// The texts statements come from: the scenario's file, and the files of policies that were
/// swapped in (by policy name).
#[derive(Debug, Clone)]
pub struct Sources {
    scenario: Arc<SourceText>,
    by_policy: FxHashMap<Arc<str>, Arc<SourceText>>,
}

/// A statement's lines, numbered as in their file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub first_line: usize,
    pub lines: Vec<String>,
    /// Whether the statement was longer than what is quoted.
    pub cut: bool,
}

impl Sources {
    pub fn new(scenario: Arc<SourceText>) -> Sources {
        Sources {
            scenario,
            by_policy: FxHashMap::default(),
        }
    }

    /// The scenario's own text.
    pub fn scenario(&self) -> &Arc<SourceText> {
        &self.scenario
    }

    /// The policy named `policy` was read from `source` rather than from the scenario.
    pub fn policy_from(&mut self, policy: Arc<str>, source: Arc<SourceText>) {
        self.by_policy.insert(policy, source);
    }

    fn source_of(&self, r: &StatementRef) -> &SourceText {
        self.by_policy.get(&r.policy).unwrap_or(&self.scenario)
    }

    /// The statement's JSON without the whitespace between its tokens, to compare two
    /// versions of a policy.
    pub fn canonical(&self, r: &StatementRef) -> Option<String> {
        r.line?;
        let source = self.source_of(r);
        let start = r.offset as usize;
        let end = object_end(&source.text, start)?;
        Some(without_whitespace(&source.text[start..end]))
    }
}

/// A statement's JSON as markup: its numbered lines, for a `<pre>`.
#[derive(Debug)]
pub struct QuoteMarkup {
    pub first_line: usize,
    pub last_line: usize,
    /// One `<span class="l">` a line, its number first.
    pub lines: String,
}

/// Statements quoted as markup once each: a report quotes the same statements for many checks.
/// One renderer's (a thread's) own.
pub struct Quotes<'a> {
    sources: Option<&'a Sources>,
    rendered: RefCell<FxHashMap<StatementAt, Option<Rc<QuoteMarkup>>>>,
}

/// A statement by the text it comes from and its offset there.
type StatementAt = (*const SourceText, u32);

impl<'a> Quotes<'a> {
    pub fn new(sources: Option<&'a Sources>) -> Quotes<'a> {
        Quotes {
            sources,
            rendered: RefCell::default(),
        }
    }

    /// The statement's JSON as numbered lines, when its source holds it as an object.
    pub fn markup(&self, r: &StatementRef) -> Option<Rc<QuoteMarkup>> {
        let sources = self.sources?;
        r.line?;
        let source = sources.source_of(r);
        let key = (source as *const SourceText, r.offset);
        if let Some(done) = self.rendered.borrow().get(&key) {
            return done.clone();
        }
        let markup = quote(source, r.offset as usize).map(|q| Rc::new(markup_of(&q)));
        self.rendered.borrow_mut().insert(key, markup.clone());
        markup
    }
}

fn markup_of(q: &Quote) -> QuoteMarkup {
    let mut lines = String::new();
    for (n, line) in q.lines.iter().enumerate() {
        write!(
            lines,
            "<span class=\"l\"><span class=\"n\">{}</span>{}</span>",
            q.first_line + n,
            Esc(line)
        )
        .ok();
    }
    if q.cut {
        lines.push_str("<span class=\"l muted\">\u{2026} (the statement goes on)</span>");
    }
    QuoteMarkup {
        first_line: q.first_line,
        last_line: q.first_line + q.lines.len().saturating_sub(1),
        lines,
    }
}

/// The object starting at `start` in `source`, as numbered lines.
fn quote(source: &SourceText, start: usize) -> Option<Quote> {
    let text = &source.text;
    let end = object_end(text, start)?;
    // From the start of the line when only indentation stands before the statement, so that
    // its lines keep their alignment.
    let line_start = source.line_start(start);
    let start = if text[line_start..start].trim().is_empty() {
        line_start
    } else {
        start
    };
    let (end, cut) = if end - start > MAX_STATEMENT_BYTES {
        (floor_boundary(text, start + MAX_STATEMENT_BYTES), true)
    } else {
        (end, false)
    };
    let lines = text[start..end]
        .split('\n')
        .map(|l| {
            let l = l.trim_end_matches('\r');
            match l.char_indices().nth(MAX_LINE_CHARS) {
                Some((at, _)) => format!("{}\u{2026}", &l[..at]),
                None => l.to_string(),
            }
        })
        .collect();
    Some(Quote {
        first_line: source.line(start),
        lines,
        cut,
    })
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The end (exclusive) of the JSON object that starts at `start`: brackets counted outside
/// strings and comments (scenario files may hold comments). `None` when no object starts
/// there (a policy given as a JSON string) or it does not close.
fn object_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// JSON text without the whitespace outside its strings.
fn without_whitespace(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for ch in json.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_whitespace() {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_of_an_object_past_brackets_in_strings_and_comments() {
        let text = r#"[{"Sid": "a}]", /* } */ "Action": ["s3:*"]} , {"x": 1}]"#;
        let end = object_end(text, 1).unwrap();
        assert_eq!(&text[end - 1..end], "}");
        assert!(text[1..end].ends_with(r#"["s3:*"]}"#));
    }

    #[test]
    fn no_object_no_quote() {
        assert_eq!(object_end(r#""{\"Version\": 1}""#, 0), None);
        assert_eq!(object_end("{\"open\": [", 0), None);
        assert_eq!(object_end("}", 0), None);
    }

    #[test]
    fn quotes_numbered_lines() {
        let source = SourceText::new(
            "f",
            "{\n  \"a\": [\n    {\"Sid\": \"x\",\n     \"E\": 1}\n  ]\n}\n",
        );
        let start = source.text.find("{\"Sid").unwrap();
        let q = quote(&source, start).unwrap();
        assert_eq!(q.first_line, 3);
        assert_eq!(q.lines, vec!["    {\"Sid\": \"x\",", "     \"E\": 1}"]);
        assert!(!q.cut);
    }

    #[test]
    fn whitespace_outside_strings_does_not_count() {
        assert_eq!(
            without_whitespace("{ \"a b\" : [ 1 , \"\\\" x\" ] }"),
            "{\"a b\":[1,\"\\\" x\"]}"
        );
    }
}
