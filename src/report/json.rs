//! The machine-readable output of `iamsim check --format json` (the scenario contract's
//! "Machine-readable output"). Outside tools read it: fields are only ever added.
//!
//! The document is written as results arrive, file by file and check by check, from borrowed
//! views of the results: a run over tens of thousands of checks never holds the whole document.

use std::io::{self, Write};

use serde::Serialize;

use crate::engine::{Outcome, StatementRef};
use crate::policy::model::Effect;
use crate::policy::PolicyType;
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::{CallOutcome, ClientError, Step};

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
struct Statements<'a>(&'a [StatementRef]);

impl Serialize for Statements<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(StatementOut::from))
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
            decided_by: Statements(s.outcome.statements()),
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
            failed_step: o.failed_step().map(|s| s.action.as_str()),
            steps: Steps(&o.steps),
            message: o.message(),
            error: error(o.error()),
            expectation,
            unmet,
        }
    }
}

/// Counts of checks by expectation status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub checks: usize,
    pub met: usize,
    pub unmet: usize,
    pub without_expectation: usize,
}

impl Summary {
    pub fn add(&mut self, c: &CheckResult) {
        self.checks += 1;
        match c.expectation {
            ExpectationStatus::Met => self.met += 1,
            ExpectationStatus::Unmet(_) => self.unmet += 1,
            ExpectationStatus::None => self.without_expectation += 1,
        }
    }
}

/// Writes the JSON document incrementally: `{"results": [{"file", "checks": [...]}, ...],
/// "summary": {...}}`.
pub struct JsonWriter<W: Write> {
    out: W,
    files: usize,
    summary: Summary,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\"results\":[")?;
        Ok(JsonWriter {
            out,
            files: 0,
            summary: Summary::default(),
        })
    }

    /// Writes one file's results. Many checks are serialized on several threads, each into its
    /// own buffer, and written in order.
    pub fn file(&mut self, file: &str, checks: &[CheckResult]) -> io::Result<()> {
        if self.files > 0 {
            self.out.write_all(b",")?;
        }
        self.files += 1;
        self.out.write_all(b"{\"file\":")?;
        serde_json::to_writer(&mut self.out, file)?;
        self.out.write_all(b",\"checks\":[")?;
        checks.iter().for_each(|c| self.summary.add(c));
        let serialize = |part: &[CheckResult]| -> io::Result<Vec<u8>> {
            let mut buffer = Vec::with_capacity(part.len() * 1024);
            for (i, c) in part.iter().enumerate() {
                if i > 0 {
                    buffer.push(b',');
                }
                serde_json::to_writer(&mut buffer, &CheckOut::from(c))?;
            }
            Ok(buffer)
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        // Blocks bound the memory held in buffers; within a block, threads share the work.
        const BLOCK: usize = 4096;
        for (b, block) in checks.chunks(BLOCK).enumerate() {
            if b > 0 {
                self.out.write_all(b",")?;
            }
            let buffers: Vec<io::Result<Vec<u8>>> = if threads < 2 || block.len() < 1024 {
                vec![serialize(block)]
            } else {
                let size = block.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    let parts: Vec<_> = block
                        .chunks(size)
                        .map(|part| (part, scope.spawn(move || serialize(part))))
                        .collect();
                    parts
                        .into_iter()
                        .map(|(part, handle)| handle.join().unwrap_or_else(|_| serialize(part)))
                        .collect()
                })
            };
            for (i, buffer) in buffers.into_iter().enumerate() {
                if i > 0 {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(&buffer?)?;
            }
        }
        self.out.write_all(b"]}")
    }

    /// Closes the document with its summary.
    pub fn finish(mut self) -> io::Result<Summary> {
        self.out.write_all(b"],\"summary\":")?;
        serde_json::to_writer(&mut self.out, &self.summary)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(self.summary)
    }
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
