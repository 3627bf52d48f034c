//! Human-readable reports: one line per check with a summary (`check`), the full trace of a
//! check read from top to bottom (`explain`), and JUnit XML for CI systems.

use std::fmt::Write;
use std::io;

use super::{ReportWriter, Summary};

use crate::engine::decision::{ConditionTrace, StatementTrace};
use crate::engine::StatementRef;
use crate::policy::PolicyType;
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::{Answer, Step, StepOutcome};

/// A check's outcome in a few words: "allowed", "denied (explicit) by X".
pub fn outcome(c: &CheckResult) -> String {
    let o = &c.outcome;
    let mut s = match &o.answer {
        Answer::Allowed => return "allowed".to_string(),
        Answer::Failed { error, .. } => format!("failed: {}", error.code),
        Answer::Denied { .. } => match o.outcome().and_then(|x| x.denial_name()) {
            Some(kind) => format!("denied ({kind})"),
            None => "denied".to_string(),
        },
    };
    if let Some(step) = o.failed_step() {
        if o.steps.len() > 1 {
            write!(s, " at {}", step.action).ok();
        }
    }
    if !o.decided_by().is_empty() {
        let labels: Vec<String> = o.decided_by().iter().map(|r| r.label()).collect();
        write!(s, " by {}", labels.join(", ")).ok();
    } else if let Some(d) = o.denial() {
        write!(s, ": {}", denial_summary(d)).ok();
    }
    if let Some(advice) = &c.advice {
        write!(s, "; {advice}").ok();
    }
    s
}

/// Why an implicit denial happened, in the words of AWS's message ("because no service control
/// policy allows the ... action").
fn denial_summary(d: &crate::engine::Denial) -> String {
    format!("no {} allows it", d.layer().aws_name())
}

/// The `check` report for one file.
pub fn check_report(file: &str, results: &[CheckResult]) -> String {
    let mut out = format!("{file}\n");
    results.iter().for_each(|c| check_line(&mut out, c));
    out
}

/// One check's line (and its unmet reasons) in the `check` report.
fn check_line(out: &mut String, c: &CheckResult) {
    let mark = match &c.expectation {
        ExpectationStatus::Met => "ok  ",
        ExpectationStatus::Unmet(_) => "FAIL",
        ExpectationStatus::None => "  - ",
    };
    writeln!(out, "  {mark} {}: {}", c.name, outcome(c)).ok();
    if let ExpectationStatus::Unmet(reasons) = &c.expectation {
        for r in reasons {
            writeln!(out, "         {r}").ok();
        }
    }
}

/// The `check` report, written as results arrive.
pub struct TextWriter<W: std::io::Write> {
    out: W,
    summary: Summary,
}

impl<W: std::io::Write> TextWriter<W> {
    pub fn new(out: W) -> Self {
        TextWriter {
            out,
            summary: Summary::default(),
        }
    }
}

impl<W: std::io::Write> ReportWriter for TextWriter<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        writeln!(self.out, "{file}")
    }

    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        let mut text = String::new();
        for c in batch {
            self.summary.add(c);
            check_line(&mut text, c);
        }
        self.out.write_all(text.as_bytes())
    }

    fn end_file(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<Summary> {
        let s = self.summary;
        writeln!(
            self.out,
            "{}",
            summary_line(s.met, s.unmet, s.without_expectation)
        )?;
        self.out.flush()?;
        Ok(s)
    }
}

/// `N checks: N met, N unmet, N without expectation`.
pub fn summary_line(met: usize, unmet: usize, none: usize) -> String {
    format!(
        "{} checks: {met} met, {unmet} unmet, {none} without expectation",
        met + unmet + none
    )
}

pub(crate) fn statement_title(r: &StatementRef) -> String {
    let mut s = format!("statement {}", r.index);
    if let Some(sid) = &r.sid {
        write!(s, " \"{sid}\"").ok();
    }
    write!(s, " ({})", r.effect).ok();
    if let Some(line) = r.line {
        write!(s, ", line {line}").ok();
    }
    s
}

pub(crate) fn describe_ref(r: &StatementRef) -> String {
    if r.grant {
        format!("{} (KMS grant)", r.policy)
    } else {
        format!("{}, {}", r.policy, statement_title(r))
    }
}

/// Why a condition on a key the request does not have decides as it does (Part B 3.4,
/// decision A8); empty for `Null`, whose whole point is the key's absence.
pub(crate) fn missing_key_rule(operator: &str) -> &'static str {
    if operator.starts_with("Null") {
        ""
    } else if operator.ends_with("IfExists") {
        "...IfExists matches a missing key"
    } else if operator.starts_with("ForAllValues:") {
        "ForAllValues matches a missing key"
    } else if operator.starts_with("ForAnyValue:") {
        "ForAnyValue does not match a missing key"
    } else if operator.contains("Not") {
        "a negated operator matches a missing key"
    } else {
        "a positive operator does not match a missing key"
    }
}

fn condition_line(c: &ConditionTrace) -> String {
    let request = match &c.request {
        None => match missing_key_rule(&c.operator) {
            "" => "the key is missing from the request".to_string(),
            rule => format!("the key is missing from the request ({rule})"),
        },
        Some(v) if v.len() == 1 => format!("the request has {:?}", v[0]),
        Some(v) => format!("the request has {v:?}"),
    };
    format!(
        "{} {}: {request}; the policy says {:?} -> {}",
        c.operator,
        c.key,
        c.policy,
        if c.matched { "true" } else { "false" }
    )
}

fn policy_heading(t: PolicyType, name: &str) -> String {
    match t {
        PolicyType::Identity => format!("identity policy \"{name}\""),
        PolicyType::PermissionsBoundary => format!("permissions boundary \"{name}\""),
        PolicyType::Scp => format!("SCP \"{name}\""),
        PolicyType::Rcp => format!("RCP \"{name}\""),
        _ => name.to_string(),
    }
}

fn explain_statements(out: &mut String, traces: &[StatementTrace]) {
    let mut current: Option<(PolicyType, &str)> = None;
    for t in traces {
        let policy = (t.statement.policy_type, &*t.statement.policy);
        if current != Some(policy) {
            writeln!(out, "    {}", policy_heading(policy.0, policy.1)).ok();
            current = Some(policy);
        }
        let verdict = if t.applies {
            "APPLIES"
        } else {
            "does not apply"
        };
        writeln!(out, "      {}: {verdict}", statement_title(&t.statement)).ok();
        let mark = |m: bool| if m { "yes" } else { "no " };
        if let Some(p) = &t.principal {
            writeln!(out, "        {} principal: {}", mark(p.matched), p.detail).ok();
        }
        writeln!(
            out,
            "        {} action:    {}",
            mark(t.action.matched),
            t.action.detail
        )
        .ok();
        writeln!(
            out,
            "        {} resource:  {}",
            mark(t.resource.matched),
            t.resource.detail
        )
        .ok();
        for c in &t.conditions {
            writeln!(
                out,
                "        {} condition: {}",
                mark(c.matched),
                condition_line(c)
            )
            .ok();
        }
    }
}

fn explain_step(out: &mut String, i: usize, s: &Step) {
    let verdict = match &s.outcome {
        StepOutcome::Allowed { .. } => "ALLOWED".to_string(),
        StepOutcome::Denied { denial, .. } => format!(
            "DENIED ({} deny)",
            denial.outcome().denial_name().unwrap_or("implicit")
        ),
        StepOutcome::Rejected { error } | StepOutcome::Unavailable { error, .. } => {
            format!("FAILED with {}", error.code)
        }
    };
    let optional = if s.optional { " (optional)" } else { "" };
    writeln!(out, "\nStep {}: {}{optional} -> {verdict}", i + 1, s.title).ok();
    writeln!(out, "  {} on {}", s.action, s.resource).ok();
    writeln!(out, "  as {}", s.caller).ok();
    for n in &s.notes {
        writeln!(out, "  note: {n}").ok();
    }
    if let Some(context) = s.context.as_ref().filter(|c| !c.is_empty()) {
        writeln!(out, "  request context:").ok();
        for (k, v, multi) in context.iter() {
            if multi {
                writeln!(out, "    {k} = {v:?}").ok();
            } else {
                writeln!(out, "    {k} = {}", v.first().map(|x| &**x).unwrap_or("")).ok();
            }
        }
    }
    if let Some(trace) = &s.trace {
        if trace.statements.is_empty() {
            writeln!(out, "  no policy applies to this request").ok();
        } else {
            writeln!(out, "  statements:").ok();
            explain_statements(out, &trace.statements);
        }
        if !trace.notes.is_empty() {
            writeln!(out, "  reasoning:").ok();
            for n in &trace.notes {
                writeln!(out, "    - {n}").ok();
            }
        }
    }
    if !s.outcome.statements().is_empty() {
        writeln!(out, "  decided by:").ok();
        for r in s.outcome.statements() {
            writeln!(out, "    - {}", describe_ref(r)).ok();
        }
    }
    if let Some(m) = s.outcome.message() {
        writeln!(out, "  AWS records: {m}").ok();
    }
}

/// The full explanation of one check, top to bottom: what was asked, the answer, then every
/// step with its context, every statement and why it did or did not apply.
pub fn explain(file: &str, c: &CheckResult) -> String {
    let mut out = String::new();
    writeln!(out, "Check \"{}\" ({file}:{})", c.name, c.line).ok();
    let o = &c.outcome;
    let verdict = if o.is_allowed() {
        "ALLOWED".to_string()
    } else {
        outcome(c).to_uppercase_first()
    };
    writeln!(out, "Answer: {verdict}").ok();
    if let Some(e) = o.error() {
        writeln!(out, "The client sees: {}: {}", e.code, e.message).ok();
    }
    if let Some(m) = o.message() {
        if o.error().is_none_or(|e| e.message != m) {
            writeln!(out, "Behind it (as CloudTrail records it): {m}").ok();
        }
    }
    if let Some(step) = o.failed_step() {
        writeln!(out, "Failed step: {}", step.action).ok();
    }
    if !o.decided_by().is_empty() {
        writeln!(out, "Decided by:").ok();
        for r in o.decided_by() {
            writeln!(out, "  - {}", describe_ref(r)).ok();
        }
    }
    match &c.expectation {
        ExpectationStatus::Met => {
            writeln!(out, "Expectation: met").ok();
        }
        ExpectationStatus::Unmet(reasons) => {
            writeln!(out, "Expectation: UNMET").ok();
            for r in reasons {
                writeln!(out, "  - {r}").ok();
            }
        }
        ExpectationStatus::None => {}
    }
    if !o.notes.is_empty() {
        writeln!(out, "How the call was modelled:").ok();
        for n in &o.notes {
            writeln!(out, "  - {n}").ok();
        }
    }
    for (i, s) in o.steps.iter().enumerate() {
        explain_step(&mut out, i, s);
    }
    out
}

trait UpperFirst {
    fn to_uppercase_first(&self) -> String;
}

impl UpperFirst for String {
    fn to_uppercase_first(&self) -> String {
        let mut chars = self.chars();
        match chars.next() {
            Some(f) => f.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test suite per file, one test case per check; unmet expectations are failures.
pub fn junit(files: &[(String, Vec<CheckResult>)]) -> String {
    let mut buffer = Vec::new();
    let mut writer = JunitWriter::new(&mut buffer);
    for (file, checks) in files {
        let written = writer
            .begin_file(file)
            .and_then(|()| writer.checks(checks))
            .and_then(|()| writer.end_file());
        if written.is_err() {
            break;
        }
    }
    let _ = writer.finish();
    String::from_utf8_lossy(&buffer).into_owned()
}

/// JUnit XML, written as results arrive. A suite's counts head it, so each file's test cases
/// are kept as text until the file ends.
pub struct JunitWriter<W: std::io::Write> {
    out: W,
    file: String,
    cases: String,
    tests: usize,
    failures: usize,
    summary: Summary,
    started: bool,
}

impl<W: std::io::Write> JunitWriter<W> {
    pub fn new(out: W) -> Self {
        JunitWriter {
            out,
            file: String::new(),
            cases: String::new(),
            tests: 0,
            failures: 0,
            summary: Summary::default(),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.write_all(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"iamsim\">\n",
            )?;
        }
        Ok(())
    }
}

impl<W: std::io::Write> ReportWriter for JunitWriter<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.start()?;
        self.file = file.to_string();
        self.cases.clear();
        self.tests = 0;
        self.failures = 0;
        Ok(())
    }

    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        let file = xml_escape(&self.file);
        for c in batch {
            self.summary.add(c);
            self.tests += 1;
            write!(
                self.cases,
                "    <testcase classname=\"{file}\" name=\"{}\"",
                xml_escape(&c.name)
            )
            .ok();
            match &c.expectation {
                ExpectationStatus::Unmet(reasons) => {
                    self.failures += 1;
                    writeln!(
                        self.cases,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml_escape(&reasons.join("; ")),
                        xml_escape(&outcome(c))
                    )
                    .ok();
                }
                _ => {
                    writeln!(self.cases, "/>").ok();
                }
            }
        }
        Ok(())
    }

    fn end_file(&mut self) -> io::Result<()> {
        writeln!(
            self.out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">",
            xml_escape(&self.file),
            self.tests,
            self.failures
        )?;
        self.out.write_all(self.cases.as_bytes())?;
        self.cases.clear();
        writeln!(self.out, "  </testsuite>")
    }

    fn finish(&mut self) -> io::Result<Summary> {
        self.start()?;
        self.out.write_all(b"</testsuites>\n")?;
        self.out.flush()?;
        Ok(self.summary)
    }
}
