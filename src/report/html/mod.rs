//! A self-contained HTML report: one file with its own style and script, nothing fetched, that
//! opens from disk and can be attached to a CI run.
//!
//! It holds a summary table of the checks (filterable by text and status) and, for each check,
//! the call's steps drawn as a flow, then within each step the policy layers in AWS's
//! evaluation order with every statement, its conditions and its JSON. A large report keeps
//! each check's details as text until they are opened, so the page stays light.
//!
//! The markup is well-formed XML as well as HTML (every element closed, attributes quoted,
//! only XML's own entities), so a test parses it back strictly.

mod diff;
mod flow;
mod source;
mod trace;

use std::fmt::{self, Write as _};
use std::io;
use std::sync::Arc;

pub use diff::{render_diff, Side};
pub use source::Sources;

use super::{ReportWriter, Summary};
use crate::json::SourceText;
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::Answer;

/// Above this many checks in one report, each check's details stay text until opened.
pub const LAZY_ABOVE: usize = 2_000;

/// The page's style sheet and script, built into the binary.
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("report.js");

/// The page on AWS's documentation that states the evaluation order the traces follow.
pub(crate) const EVALUATION_LOGIC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";

/// Text made safe for HTML and XML: markup characters become entities and control characters
/// that XML forbids become U+FFFD.
pub(crate) struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, b) in s.bytes().enumerate() {
            let replacement = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                b'\t' | b'\n' | b'\r' => continue,
                0..=0x1f => "\u{fffd}",
                _ => continue,
            };
            f.write_str(&s[last..i])?;
            f.write_str(replacement)?;
            last = i + 1;
        }
        f.write_str(&s[last..])
    }
}

/// The document's head and the opening of its body.
pub(crate) fn page_start(out: &mut String, title: &str) {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"iamsim {}\"/>\n<title>{}</title>\n\
         <style>/*<![CDATA[*/\n{STYLE}/*]]>*/</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        Esc(title)
    )
    .ok();
}

/// The script and the end of the document.
pub(crate) fn page_end(out: &mut String) {
    write!(
        out,
        "</main>\n<script>//<![CDATA[\n{SCRIPT}//]]></script>\n</body>\n</html>\n"
    )
    .ok();
}

/// The filter controls above the summary tables.
fn filters(out: &mut String) {
    out.push_str(
        "<section class=\"filters\" aria-label=\"Filter the checks\">\n\
         <label>Find <input type=\"search\" id=\"find\" placeholder=\"name, action, Sid...\"/></label>\n\
         <label>Status <select id=\"status\">\
         <option value=\"\">all checks</option>\
         <option value=\"unmet\">expectation unmet</option>\
         <option value=\"met\">expectation met</option>\
         <option value=\"none\">without expectation</option>\
         <option value=\"allowed\">allowed</option>\
         <option value=\"denied\">denied</option>\
         <option value=\"failed\">failed</option>\
         </select></label>\n<span id=\"shown\" role=\"status\"></span>\n</section>\n",
    );
}

/// The word and style of a check's expectation status.
fn expectation_badge(e: &ExpectationStatus) -> (&'static str, &'static str) {
    match e {
        ExpectationStatus::Met => ("met", "\u{2713} met"),
        ExpectationStatus::Unmet(_) => ("unmet", "\u{2717} UNMET"),
        ExpectationStatus::None => ("none", "no expectation"),
    }
}

/// The word and style of a check's answer.
fn result_badge(c: &CheckResult) -> (&'static str, String) {
    match &c.outcome.answer {
        Answer::Allowed { .. } => ("allowed", "ALLOWED".to_string()),
        Answer::Denied { .. } => (
            "denied",
            match c.outcome.outcome().and_then(|o| o.denial_name()) {
                Some(kind) => format!("DENIED ({kind})"),
                None => "DENIED".to_string(),
            },
        ),
        Answer::Failed { error, .. } => ("failed", format!("FAILED: {}", error.code)),
    }
}

/// How a report lays out each check's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
    /// In the page, closed until clicked (a report of many checks).
    Closed,
    /// In the page and open (`explain`).
    Open,
    /// Kept as text and made part of the page when opened (a very large report).
    OnDemand,
}

/// The `check` and `explain` report as HTML, written as results arrive: each file's summary
/// table, each check a table body of its summary row and its details.
pub struct HtmlWriter<W: io::Write> {
    out: W,
    details: Details,
    title: String,
    sources: Option<Sources>,
    file: String,
    file_index: usize,
    summary: Summary,
    started: bool,
}

impl<W: io::Write> HtmlWriter<W> {
    /// A report of `checks` checks in all (which decides whether details wait to be opened);
    /// `open` shows every check's details at once, as `explain` does.
    pub fn new(out: W, checks: usize, open: bool, title: impl Into<String>) -> Self {
        let details = if open {
            Details::Open
        } else if checks > LAZY_ABOVE {
            Details::OnDemand
        } else {
            Details::Closed
        };
        HtmlWriter {
            out,
            details,
            title: title.into(),
            sources: None,
            file: String::new(),
            file_index: 0,
            summary: Summary::default(),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            let mut head = String::new();
            page_start(&mut head, &self.title);
            writeln!(head, "<h1>{}</h1>", Esc(&self.title)).ok();
            filters(&mut head);
            self.out.write_all(head.as_bytes())?;
        }
        Ok(())
    }
}

impl<W: io::Write> ReportWriter for HtmlWriter<W> {
    fn source(&mut self, source: &Arc<SourceText>) {
        self.sources = Some(Sources::new(source.clone()));
    }

    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.start()?;
        self.file_index += 1;
        self.file = file.to_string();
        let mut head = String::new();
        write!(
            head,
            "<section class=\"file\" aria-labelledby=\"f{n}\">\n<h2 id=\"f{n}\">{}</h2>\n\
             <table class=\"checks\">\n<colgroup><col class=\"n\"/><col class=\"name\"/>\
             <col class=\"expect\"/><col class=\"result\"/><col class=\"step\"/>\
             <col class=\"by\"/></colgroup>\n<thead><tr><th scope=\"col\">#</th>\
             <th scope=\"col\">Check</th><th scope=\"col\">Expectation</th>\
             <th scope=\"col\">Result</th><th scope=\"col\">Failing step</th>\
             <th scope=\"col\">Decided by</th></tr></thead>\n",
            Esc(file),
            n = self.file_index
        )
        .ok();
        self.out.write_all(head.as_bytes())
    }

    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        let mut text = String::new();
        for c in batch {
            self.summary.add(c);
            let id = format!("f{}-c{}", self.file_index, self.summary.checks);
            check_body(
                &mut text,
                c,
                &id,
                self.summary.checks,
                self.details,
                self.sources.as_ref(),
            );
        }
        self.out.write_all(text.as_bytes())
    }

    fn end_file(&mut self) -> io::Result<()> {
        self.out.write_all(b"</table>\n</section>\n")
    }

    fn finish(&mut self) -> io::Result<Summary> {
        self.start()?;
        let s = self.summary;
        let mut tail = String::new();
        write!(
            tail,
            "<section id=\"totals\" aria-label=\"Totals\">\n<p><strong>{} checks</strong>: \
             <span class=\"badge met\">{} met</span> \
             <span class=\"badge unmet\">{} unmet</span> \
             <span class=\"badge none\">{} without expectation</span></p>\n\
             <p class=\"muted\">Traces follow the order of \
             <a href=\"{EVALUATION_LOGIC}\">AWS's policy evaluation logic</a>.</p>\n</section>\n",
            s.checks, s.met, s.unmet, s.without_expectation
        )
        .ok();
        page_end(&mut tail);
        self.out.write_all(tail.as_bytes())?;
        self.out.flush()?;
        Ok(s)
    }
}

/// One check: its summary row and its details row, grouped in a table body that the filters
/// show or hide as one.
fn check_body(
    out: &mut String,
    c: &CheckResult,
    id: &str,
    number: usize,
    details: Details,
    sources: Option<&Sources>,
) {
    let (expect_class, expect_word) = expectation_badge(&c.expectation);
    let (result_class, result_word) = result_badge(c);
    write!(
        out,
        "<tbody class=\"check\" id=\"{id}\" data-expect=\"{expect_class}\" \
         data-result=\"{result_class}\">\n<tr>\
         <td data-label=\"#\">{number}</td>\
         <th scope=\"row\" data-label=\"Check\"><a href=\"#{id}\">{}</a></th>\
         <td data-label=\"Expectation\"><span class=\"badge {expect_class}\">{expect_word}</span></td>\
         <td data-label=\"Result\"><span class=\"badge {result_class}\">{}</span></td>\
         <td data-label=\"Failing step\">",
        Esc(&c.name),
        Esc(&result_word)
    )
    .ok();
    if let Some(step) = c.outcome.failed_step() {
        write!(out, "<code>{}</code>", Esc(&step.action)).ok();
    }
    out.push_str("</td><td data-label=\"Decided by\">");
    for (i, r) in c.outcome.decided_by().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write!(out, "<mark class=\"sid\">{}</mark>", Esc(&r.label())).ok();
    }
    if c.outcome.decided_by().is_empty() {
        if let Some(d) = c.outcome.denial() {
            write!(
                out,
                "<span class=\"muted\">no {} allows it</span>",
                d.layer().aws_name()
            )
            .ok();
        }
    }
    out.push_str("</td></tr>\n<tr class=\"detail\"><td colspan=\"6\">");
    let open = if details == Details::Open { " open=\"open\"" } else { "" };
    write!(
        out,
        "<details class=\"trace\"{open}><summary class=\"toggle\">Trace of this check</summary>\n"
    )
    .ok();
    let mut body = String::new();
    trace::check_details(&mut body, c, id, sources, &trace::NoChanges);
    if details == Details::OnDemand {
        // Kept as text until opened: the browser does not build elements for it. Text in the
        // details is escaped, so it cannot close this element early.
        out.push_str("<script type=\"text/html\">");
        out.push_str(&body);
        out.push_str("</script>");
    } else {
        out.push_str(&body);
    }
    out.push_str("</details></td></tr>\n</tbody>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_controls() {
        let s = Esc("a<b>&\"c'\u{1}\td").to_string();
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&#39;\u{fffd}\td");
    }
}
