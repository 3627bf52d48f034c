//! The machine-readable output of `iamsim check --format json` (the scenario contract's
//! "Machine-readable output"). Outside tools read it: fields are only ever added.
//!
//! The document is written as results arrive, file by file and check by check, from borrowed
//! views of the results: a run over tens of thousands of checks never holds the whole document.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::{RenderedChecks, Renderer, ReportWriter, Summary};
use crate::engine::{Outcome, StatementRef};
use crate::policy::model::Effect;
use crate::policy::PolicyType;
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::{CallOutcome, ClientError, DecidedBy, Step};

/// How the JSON names a policy type.
pub fn policy_type_name(t: PolicyType) -> &'static str {
    t.layer_name()
}

#[derive(Serialize)]
struct StatementOut<'a> {
    policy_type: &'static str,
    policy: &'a str,
    sid: Option<&'a str>,
    index: usize,
    effect: &'static str,
    line: Option<usize>,
}

impl<'a> From<&'a StatementRef> for StatementOut<'a> {
    fn from(r: &'a StatementRef) -> Self {
        StatementOut {
            policy_type: if r.grant {
                "grant"
            } else {
                policy_type_name(r.policy_type)
            },
            policy: &r.policy,
            sid: r.sid.as_deref(),
            index: r.index,
            effect: match r.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            },
            line: r.line,
        }
    }
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    code: &'static str,
    message: &'a str,
}

/// A list of statements, serialized straight from the results.
struct Statements<'a>(DecidedBy<'a>);

impl Serialize for Statements<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| StatementOut::from(*r)))
    }
}

/// The steps of a check, serialized straight from the results.
struct Steps<'a>(&'a [Step]);

impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(StepOut::from))
    }
}

fn error(e: Option<&ClientError>) -> Option<ErrorOut<'_>> {
    e.map(|e| ErrorOut {
        code: e.code.as_str(),
        message: &e.message,
    })
}

#[derive(Serialize)]
struct StepOut<'a> {
    action: &'a str,
    resource: &'a str,
    allowed: bool,
    denial: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<&'static str>,
    decided_by: Statements<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorOut<'a>>,
}

impl<'a> From<&'a Step> for StepOut<'a> {
    fn from(s: &'a Step) -> Self {
        let denial = s.outcome.denial();
        StepOut {
            action: &s.action,
            resource: &s.resource,
            allowed: s.outcome.passed(),
            denial: denial.and_then(|d| d.outcome().denial_name()),
            layer: denial.map(|d| d.layer().layer_name()),
            decided_by: Statements(s.outcome.statements().iter().collect()),
            message: s.outcome.message(),
            error: error(s.outcome.error()),
        }
    }
}

#[derive(Serialize)]
struct CheckOut<'a> {
    name: &'a str,
    line: usize,
    allowed: bool,
    denial: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<&'static str>,
    decided_by: Statements<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_step: Option<&'a str>,
    steps: Steps<'a>,
    message: Option<&'a str>,
    error: Option<ErrorOut<'a>>,
    expectation: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unmet: &'a [String],
}

impl<'a> From<&'a CheckResult> for CheckOut<'a> {
    fn from(c: &'a CheckResult) -> Self {
        let (expectation, unmet): (&'static str, &'a [String]) = match &c.expectation {
            ExpectationStatus::Met => ("met", &[]),
            ExpectationStatus::Unmet(r) => ("unmet", r),
            ExpectationStatus::None => ("none", &[]),
        };
        let o: &CallOutcome = &c.outcome;
        CheckOut {
            name: &c.name,
            line: c.line,
            allowed: o.is_allowed(),
            denial: o.outcome().and_then(Outcome::denial_name),
            layer: o.denial().map(|d| d.layer().layer_name()),
            decided_by: Statements(o.decided_by()),
            failed_step: o.failed_step().map(|s| &*s.action),
            steps: Steps(&o.steps),
            message: o.message(),
            error: error(o.error()),
            expectation,
            unmet,
        }
    }
}

/// Writes the JSON document incrementally: `{"results": [{"file", "checks": [...]}, ...],
/// "summary": {...}}`.
pub struct JsonWriter<W: Write> {
    out: W,
    files: usize,
    /// Checks written in the current file.
    in_file: usize,
    summary: Summary,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\"results\":[")?;
        Ok(JsonWriter {
            out,
            files: 0,
            in_file: 0,
            summary: Summary::default(),
        })
    }

    /// Writes one file's results.
    pub fn file(&mut self, file: &str, checks: &[CheckResult]) -> io::Result<()> {
        self.begin_file(file)?;
        self.checks(checks)?;
        self.end_file()
    }
}

/// Renders checks as the report writes them, comma-separated, with their counts.
fn render(checks: &[CheckResult], mut text: Vec<u8>) -> RenderedChecks {
    text.clear();
    text.reserve(checks.len() * 768);
    let mut part = RenderedChecks {
        text,
        summary: Summary::default(),
    };
    let mut statements = StatementCache::default();
    for (i, c) in checks.iter().enumerate() {
        if i > 0 {
            part.text.push(b',');
        }
        emit_check(&mut part.text, c, &mut statements);
        part.summary.add(c);
    }
    part
}

/// Serializes checks, comma-separated. Many checks are shared among the machine's cores, each
/// part into its own buffer, written in order.
fn serialize(checks: &[CheckResult]) -> Vec<io::Result<Vec<u8>>> {
    let one = |part: &[CheckResult]| -> io::Result<Vec<u8>> {
        let mut buffer = Vec::with_capacity(part.len() * 768);
        let mut statements = StatementCache::default();
        for (i, c) in part.iter().enumerate() {
            if i > 0 {
                buffer.push(b',');
            }
            emit_check(&mut buffer, c, &mut statements);
        }
        Ok(buffer)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || checks.len() < 1024 {
        return vec![one(checks)];
    }
    checks
        .par_chunks(checks.len().div_ceil(threads))
        .map(one)
        .collect()
}

impl<W: Write> ReportWriter for JsonWriter<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        if self.files > 0 {
            self.out.write_all(b",")?;
        }
        self.files += 1;
        self.in_file = 0;
        self.out.write_all(b"{\"file\":")?;
        serde_json::to_writer(&mut self.out, file)?;
        self.out.write_all(b",\"checks\":[")
    }

    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        batch.iter().for_each(|c| self.summary.add(c));
        for buffer in serialize(batch) {
            let buffer = buffer?;
            if buffer.is_empty() {
                continue;
            }
            if self.in_file > 0 {
                self.out.write_all(b",")?;
            }
            self.in_file += 1;
            self.out.write_all(&buffer)?;
        }
        Ok(())
    }

    fn renderer(&self) -> Option<Renderer> {
        Some(render)
    }

    fn write_rendered(&mut self, part: &RenderedChecks) -> io::Result<()> {
        self.summary.merge(part.summary);
        if part.text.is_empty() {
            return Ok(());
        }
        if self.in_file > 0 {
            self.out.write_all(b",")?;
        }
        self.in_file += 1;
        self.out.write_all(&part.text)
    }

    fn end_file(&mut self) -> io::Result<()> {
        self.out.write_all(b"]}")
    }

    /// Closes the document with its summary.
    fn finish(&mut self) -> io::Result<Summary> {
        self.out.write_all(b"],\"summary\":")?;
        serde_json::to_writer(&mut self.out, &self.summary)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(self.summary)
    }
}

// The report is written by hand rather than through serde: it is most of the time of a large
// run, and most of its text repeats (the same statements decide thousands of checks), which a
// cache of serialized statements turns into copies. `check` (serde) gives the same document;
// a test compares the two.

/// Serialized statements of the results being written, by the policy's name (its `Arc`, shared
/// by every reference to that policy) and the statement's index. Valid while the policies
/// live: one cache serves one part of one file.
#[derive(Default)]
struct StatementCache {
    entries: rustc_hash::FxHashMap<(usize, usize, bool), Vec<u8>>,
}

impl StatementCache {
    fn emit(&mut self, out: &mut Vec<u8>, r: &StatementRef) {
        let key = (
            std::sync::Arc::as_ptr(&r.policy) as *const u8 as usize,
            r.index,
            r.grant,
        );
        let text = self.entries.entry(key).or_insert_with(|| {
            let mut text = Vec::with_capacity(128);
            emit_statement(&mut text, r);
            text
        });
        out.extend_from_slice(text);
    }
}

/// A JSON string, escaped as serde_json escapes: `"` and `\\`, the short forms `\\b \\f \\n
/// \\r \\t`, other control characters as `\\u00XX`; everything else as it is. One pass finds
/// each byte to escape, eight bytes at a time, and the text between them is copied at once.
fn emit_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    loop {
        let at = crate::json::string_end(bytes, copied);
        out.extend_from_slice(&bytes[copied..at]);
        let Some(byte) = bytes.get(at..=at) else {
            break;
        };
        emit_escaped_bytes(out, byte);
        copied = at + 1;
    }
    out.push(b'"');
}

/// The escaped form of every byte of a string, one by one.
fn emit_escaped_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &byte in bytes {
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => 0,
            _ => {
                out.push(byte);
                continue;
            }
        };
        if short == 0 {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(short);
        }
    }
}

fn emit_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => emit_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn emit_number(out: &mut Vec<u8>, n: usize) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(n).as_bytes());
}

fn emit_statement(out: &mut Vec<u8>, r: &StatementRef) {
    let s = StatementOut::from(r);
    out.extend_from_slice(b"{\"policy_type\":");
    emit_str(out, s.policy_type);
    out.extend_from_slice(b",\"policy\":");
    emit_str(out, s.policy);
    out.extend_from_slice(b",\"sid\":");
    emit_opt_str(out, s.sid);
    out.extend_from_slice(b",\"index\":");
    emit_number(out, s.index);
    out.extend_from_slice(b",\"effect\":");
    emit_str(out, s.effect);
    out.extend_from_slice(b",\"line\":");
    match s.line {
        Some(l) => emit_number(out, l),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

fn emit_statements(out: &mut Vec<u8>, list: &[&StatementRef], cache: &mut StatementCache) {
    out.push(b'[');
    for (i, r) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        cache.emit(out, r);
    }
    out.push(b']');
}

fn emit_error(out: &mut Vec<u8>, e: Option<&ClientError>) {
    match e {
        None => out.extend_from_slice(b"null"),
        Some(e) => {
            out.extend_from_slice(b"{\"code\":");
            emit_str(out, e.code.as_str());
            out.extend_from_slice(b",\"message\":");
            emit_str(out, &e.message);
            out.push(b'}');
        }
    }
}

fn emit_step(out: &mut Vec<u8>, step: &Step, cache: &mut StatementCache) {
    let s = StepOut::from(step);
    out.extend_from_slice(b"{\"action\":");
    emit_str(out, s.action);
    out.extend_from_slice(b",\"resource\":");
    emit_str(out, s.resource);
    out.extend_from_slice(if s.allowed {
        b",\"allowed\":true,\"denial\":"
    } else {
        b",\"allowed\":false,\"denial\":"
    });
    emit_opt_str(out, s.denial);
    if let Some(layer) = s.layer {
        out.extend_from_slice(b",\"layer\":");
        emit_str(out, layer);
    }
    out.extend_from_slice(b",\"decided_by\":");
    emit_statements(out, &s.decided_by.0, cache);
    if let Some(m) = s.message {
        out.extend_from_slice(b",\"message\":");
        emit_str(out, m);
    }
    if s.error.is_some() {
        out.extend_from_slice(b",\"error\":");
        emit_error(out, step.outcome.error());
    }
    out.push(b'}');
}

/// One check, as [`check`] serializes it.
fn emit_check(out: &mut Vec<u8>, c: &CheckResult, cache: &mut StatementCache) {
    let o = CheckOut::from(c);
    out.extend_from_slice(b"{\"name\":");
    emit_str(out, o.name);
    out.extend_from_slice(b",\"line\":");
    emit_number(out, o.line);
    out.extend_from_slice(if o.allowed {
        b",\"allowed\":true,\"denial\":"
    } else {
        b",\"allowed\":false,\"denial\":"
    });
    emit_opt_str(out, o.denial);
    if let Some(layer) = o.layer {
        out.extend_from_slice(b",\"layer\":");
        emit_str(out, layer);
    }
    out.extend_from_slice(b",\"decided_by\":");
    emit_statements(out, &o.decided_by.0, cache);
    if let Some(step) = o.failed_step {
        out.extend_from_slice(b",\"failed_step\":");
        emit_str(out, step);
    }
    out.extend_from_slice(b",\"steps\":[");
    for (i, step) in o.steps.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        emit_step(out, step, cache);
    }
    out.extend_from_slice(b"],\"message\":");
    emit_opt_str(out, o.message);
    out.extend_from_slice(b",\"error\":");
    emit_error(out, c.outcome.error());
    out.extend_from_slice(b",\"expectation\":");
    emit_str(out, o.expectation);
    if !o.unmet.is_empty() {
        out.extend_from_slice(b",\"unmet\":[");
        for (i, reason) in o.unmet.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            emit_str(out, reason);
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// The whole document for results already in memory.
pub fn document(files: &[(String, Vec<CheckResult>)]) -> String {
    let mut buffer = Vec::new();
    let written = JsonWriter::new(&mut buffer).and_then(|mut w| {
        for (file, checks) in files {
            w.file(file, checks)?;
        }
        w.finish()
    });
    match written {
        Ok(_) => String::from_utf8_lossy(&buffer).into_owned(),
        Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
    }
}

/// One check's result as a JSON value.
pub fn check(c: &CheckResult) -> serde_json::Value {
    serde_json::to_value(CheckOut::from(c)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_scenario_text, run_scenario};

    /// The hand-written report and serde's give the same document, strings that need escaping
    /// included.
    #[test]
    fn the_fast_writer_writes_what_serde_writes() {
        let text = r#"{
          "principals": [{"arn": "arn:aws:iam::111122223333:user/alice", "policies": [
            {"name": "quote \" and \\ and \u0001 and é", "document": {"Version": "2012-10-17",
              "Statement": [{"Sid": "Tab\there", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}]}],
          "buckets": [{"name": "b", "account": "111122223333"}],
          "checks": [
            {"name": "read \"quoted\"", "principal": "arn:aws:iam::111122223333:user/alice",
             "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k\u00e9", "expect": "allowed"},
            {"name": "delete", "principal": "arn:aws:iam::111122223333:user/alice",
             "action": "s3:DeleteObject", "resource": "arn:aws:s3:::b/k", "expect": "allowed"},
            {"name": "upload", "principal": "arn:aws:iam::111122223333:user/alice",
             "call": "s3:PutObject", "bucket": "b", "key": "k", "expect": "denied"},
            {"name": "missing", "principal": "arn:aws:iam::111122223333:user/alice",
             "call": "s3:GetObject", "bucket": "b", "key": "nothing", "expect": {"error": "NoSuchKey"}}
          ]
        }"#;
        let scenario = load_scenario_text("fast.json", text).expect("the scenario loads");
        let results = run_scenario(&scenario, false);
        let mut cache = StatementCache::default();
        for r in &results {
            let mut fast = Vec::new();
            emit_check(&mut fast, r, &mut cache);
            let serde = serde_json::to_vec(&CheckOut::from(r)).expect("serde serializes");
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&serde),
                "{}",
                r.name
            );
        }
        // The cache served the repeated statements.
        assert!(!cache.entries.is_empty());
    }

    /// Checks rendered where they were decided (`run_mapped` with the writer's renderer) make
    /// the same document as results handed to the writer, whatever the batches: long runs of
    /// raw checks, split among threads, between calls that change the world.
    #[test]
    fn rendered_checks_make_the_same_document_as_results() {
        let user = "arn:aws:iam::111122223333:user/alice";
        let call = |name: &str, call: &str, key: &str| {
            format!(
                r#"{{"name": "{name}", "principal": "{user}", "call": "{call}", "bucket": "b", "key": "{key}"}}"#
            )
        };
        let raw = |i: usize| {
            let action = if i.is_multiple_of(3) {
                "s3:DeleteObject"
            } else {
                "s3:GetObject"
            };
            format!(
                r#"{{"name": "raw {i}", "principal": "{user}", "action": "{action}", "resource": "arn:aws:s3:::b/k{i}", "expect": "allowed"}}"#
            )
        };
        let mut checks = vec![call("put", "s3:PutObject", "k1")];
        checks.extend((0..700).map(raw));
        checks.push(call("get", "s3:GetObject", "k1"));
        checks.push(call("get missing", "s3:GetObject", "k2"));
        checks.extend((700..1300).map(raw));
        checks.push(call("put again", "s3:PutObject", "k2"));
        checks.push(call("get it", "s3:GetObject", "k2"));
        let text = format!(
            r#"{{"principals": [{{"arn": "{user}", "policies": [{{"name": "rw", "document": {{"Version": "2012-10-17",
              "Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}}]}}}}]}}],
              "buckets": [{{"name": "b", "account": "111122223333"}}],
              "checks": [{}]}}"#,
            checks.join(",")
        );
        let scenario = load_scenario_text("mixed.json", &text).expect("the scenario loads");
        let expected = document(&[("mixed.json".to_string(), run_scenario(&scenario, false))]);
        for batch in [1, 7, 512, 4096, usize::MAX] {
            let mut buffer = Vec::new();
            let mut writer = JsonWriter::new(&mut buffer).expect("writes to memory");
            let render = writer.renderer().expect("the JSON report renders checks");
            writer.begin_file("mixed.json").expect("writes");
            crate::scenario::run_mapped(
                &scenario.world,
                &scenario.checks,
                false,
                batch,
                |results| render(&results, Vec::new()),
                |part| writer.write_rendered(&part).expect("writes"),
            );
            writer.end_file().expect("writes");
            let summary = writer.finish().expect("writes");
            assert_eq!(summary.checks, checks.len());
            assert_eq!(
                String::from_utf8_lossy(&buffer),
                expected,
                "batches of {batch}"
            );
        }
    }

    /// Every ASCII character and a few wider ones, at every place in an eight-byte word and
    /// next to each other, are written as serde writes them.
    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        let characters = (0u8..0x80).map(char::from).chain(['é', '\u{2028}', '😀']);
        for c in characters {
            for pad in 0..10 {
                let s = format!("{}{c}{}{c}{c}", "a".repeat(pad), "b".repeat(pad % 3));
                let mut fast = Vec::new();
                emit_str(&mut fast, &s);
                let serde = serde_json::to_string(&s).expect("serde serializes");
                assert_eq!(String::from_utf8_lossy(&fast), serde, "{s:?}");
            }
        }
    }
}
