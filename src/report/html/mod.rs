//! A self-contained HTML report: one file with its own style and script, nothing fetched, that
//! opens from disk and can be attached to a CI run.
//!
//! It holds a summary table of the checks (filterable by text and status) and, for each check,
//! the call's steps drawn as a flow, then within each step the policy layers in AWS's
//! evaluation order with every statement, its conditions and its JSON. A large report leaves
//! each check's details out: it carries its scenarios' text and the page engine (this library
//! as a WebAssembly module, see [`ENGINE`]), which builds a check's details, with the same code,
//! when it is opened. So the page stays light, and writing it costs little more than deciding.
//!
//! The markup is well-formed XML as well as HTML (every element closed, attributes quoted,
//! only XML's own entities), so a test parses it back strictly.

mod diff;
#[cfg(all(page_engine_exports, target_arch = "wasm32"))]
mod engine;
mod flow;
mod source;
mod trace;

use std::fmt::{self, Write as _};
use std::io;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
pub use diff::{render_diff, Side};
use rayon::prelude::*;
use source::Quotes;
pub use source::Sources;

use super::{ReportWriter, Summary};
use crate::json::SourceText;
use crate::scenario::{CheckResult, ExpectationStatus};
use crate::services::Answer;
use crate::world::RequestTime;

/// Above this many checks in one report, each check's details are built when it is opened.
pub const LAZY_ABOVE: usize = 2_000;

/// The page engine built with this binary: the library as a WebAssembly module (`build.rs`),
/// which a large report carries to build a check's details in the browser. `None` where the
/// build could not make it; a large report then holds every check's details as text.
#[cfg(page_engine)]
pub const ENGINE: Option<&[u8]> = Some(include_bytes!(env!("IAMSIM_PAGE_ENGINE")));
/// The page engine built with this binary: none (`build.rs` could not make it).
#[cfg(not(page_engine))]
pub const ENGINE: Option<&[u8]> = None;

/// A file's checks are written as tables of this many rows (the same columns, so they read as
/// one). A browser lays out only the segments in view, and on-demand details are held in one
/// text block per segment: opening a check parses little, and the page holds few elements.
const SEGMENT: usize = 256;

/// The start of one segment of a file's summary table.
const TABLE_START: &str = "<table class=\"checks\">\n<colgroup><col class=\"n\"/>\
    <col class=\"name\"/><col class=\"expect\"/><col class=\"result\"/><col class=\"step\"/>\
    <col class=\"by\"/></colgroup>\n<thead><tr><th scope=\"col\">#</th>\
    <th scope=\"col\">Check</th><th scope=\"col\">Expectation</th>\
    <th scope=\"col\">Result</th><th scope=\"col\">Failing step</th>\
    <th scope=\"col\">Decided by</th></tr></thead>\n";

/// Fewer checks than this in a batch are rendered on one thread.
const PARALLEL_ABOVE: usize = 256;

/// The page's style sheet and script, built into the binary.
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("report.js");

/// The page on AWS's documentation that states the evaluation order the traces follow.
pub(crate) const EVALUATION_LOGIC: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";

/// Text made safe for HTML and XML: markup characters become entities, and the characters XML
/// forbids (control characters other than tab and line breaks, U+FFFE, U+FFFF) become U+FFFD.
pub(crate) struct Esc<'a>(pub &'a str);

/// What each byte becomes in markup: 0 where it stands for itself.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = 6;
        b += 1;
    }
    table[b'\t' as usize] = 0;
    table[b'\n' as usize] = 0;
    table[b'\r' as usize] = 0;
    table[b'&' as usize] = 1;
    table[b'<' as usize] = 2;
    table[b'>' as usize] = 3;
    table[b'"' as usize] = 4;
    table[b'\'' as usize] = 5;
    // The lead byte of U+FFFE and U+FFFF, which XML forbids (checked with what follows).
    table[0xEF] = 7;
    table
};

/// The replacements `ESCAPES` numbers.
const REPLACEMENTS: [&str; 7] = ["", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "\u{fffd}"];

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Most text needs no escape: it is written in runs between the bytes that do.
        let s = self.0;
        let bytes = s.as_bytes();
        let (mut last, mut from) = (0, 0);
        while let Some(at) = bytes[from..].iter().position(|&b| ESCAPES[b as usize] != 0) {
            let i = from + at;
            let (replacement, width) = match ESCAPES[bytes[i] as usize] {
                7 if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
                    (REPLACEMENTS[6], 3)
                }
                // Any other character that starts with 0xEF stands for itself.
                7 => {
                    from = i + 1;
                    continue;
                }
                code => (REPLACEMENTS[code as usize], 1),
            };
            f.write_str(&s[last..i])?;
            f.write_str(replacement)?;
            last = i + width;
            from = last;
        }
        f.write_str(&s[last..])
    }
}

/// The document's head and the opening of its body; a `large` page lays out only the part of
/// its tables in view.
pub(crate) fn page_start(out: &mut String, title: &str, large: bool) {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"iamsim {}\"/>\n<title>{}</title>\n\
         <style>/*<![CDATA[*/\n{STYLE}/*]]>*/</style>\n</head>\n<body>\n<main{}>\n",
        env!("CARGO_PKG_VERSION"),
        Esc(title),
        if large { " class=\"large\"" } else { "" }
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
         </select></label>\n<span id=\"shown\" role=\"status\"></span>\n\
         <a href=\"#totals\">Totals</a>\n</section>\n",
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
        Answer::Allowed => ("allowed", "ALLOWED".to_string()),
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
    /// Kept as text, in blocks beside the table, and made part of the page when the check is
    /// opened (a very large report, where this binary has no page engine).
    Held,
    /// Left out: the page's engine builds them from the scenario's text when the check is
    /// opened (a very large report).
    Engine,
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
    /// Checks in the table segment being written, and segments written so far.
    segment_checks: usize,
    segments: usize,
    file_checks: usize,
    /// The open segment's details, held apart (on-demand details).
    held: Vec<String>,
}

impl<W: io::Write> HtmlWriter<W> {
    /// A report of `checks` checks in all (which decides whether details wait to be opened);
    /// `open` shows every check's details at once, as `explain` does.
    pub fn new(out: W, checks: usize, open: bool, title: impl Into<String>) -> Self {
        let details = if open {
            Details::Open
        } else if checks <= LAZY_ABOVE {
            Details::Closed
        } else if ENGINE.is_some() {
            Details::Engine
        } else {
            Details::Held
        };
        Self::with_details(out, details, title)
    }

    /// A report whose details are laid out as `details` says, whatever its size.
    pub fn with_details(out: W, details: Details, title: impl Into<String>) -> Self {
        HtmlWriter {
            out,
            details,
            title: title.into(),
            sources: None,
            file: String::new(),
            file_index: 0,
            summary: Summary::default(),
            started: false,
            segment_checks: 0,
            segments: 0,
            file_checks: 0,
            held: Vec::new(),
        }
    }

    /// Numbers the file's next check `number` rather than 1: `explain --check` shows its one
    /// check under the number and id it has in its file, as `check`'s report of the file does.
    /// Call after `begin_file`.
    pub fn number_from(&mut self, number: usize) {
        self.file_checks = number.saturating_sub(1);
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            let mut head = String::new();
            page_start(&mut head, &self.title, self.lazy());
            writeln!(head, "<h1>{}</h1>", Esc(&self.title)).ok();
            filters(&mut head);
            if self.lazy() {
                head.push_str(
                    "<p class=\"muted\">A report this large builds a check's trace when you \
                     select the check's name (the page's script does it; nothing is fetched).</p>\n",
                );
            }
            self.out.write_all(head.as_bytes())?;
        }
        Ok(())
    }

    /// Closes the table segment being written and writes the details it holds apart as one
    /// text block after it, under the id its checks' `data-held` names.
    fn end_segment(&mut self) -> io::Result<()> {
        if self.segment_checks == 0 {
            return Ok(());
        }
        self.out.write_all(b"</table>\n")?;
        if self.details == Details::Held {
            // The details' text is escaped, so nothing in it can close this element early.
            write!(
                self.out,
                "<script type=\"text/html\" class=\"held\" id=\"held-{}\">",
                self.segments
            )?;
            for details in self.held.drain(..) {
                self.out.write_all(details.as_bytes())?;
            }
            self.out.write_all(b"</script>\n")?;
        }
        self.segment_checks = 0;
        self.segments += 1;
        Ok(())
    }

    /// Whether checks' details are built only when opened.
    fn lazy(&self) -> bool {
        matches!(self.details, Details::Held | Details::Engine)
    }

    /// The file's scenario as the page engine reads it: its text in base64 (nothing in it can
    /// then end the element early, and the page stays well-formed XML), named as it was loaded.
    fn scenario_block(&mut self) -> io::Result<()> {
        let Some(source) = self.sources.as_ref().map(Sources::scenario) else {
            return Ok(());
        };
        write!(
            self.out,
            "<script type=\"application/octet-stream\" class=\"scenario\" id=\"scenario-f{}\" \
             data-name=\"{}\">",
            self.file_index,
            Esc(&source.name)
        )?;
        let encoded = BASE64.encode(source.text.as_bytes());
        self.out.write_all(encoded.as_bytes())?;
        self.out.write_all(b"</script>\n")
    }
}

/// One check rendered: its table body, and its details when they are held apart.
struct Rendered {
    body: String,
    details: String,
}

impl<W: io::Write> ReportWriter for HtmlWriter<W> {
    fn wants_traces(&self) -> bool {
        self.details != Details::Engine
    }

    fn source(&mut self, source: &Arc<SourceText>) {
        self.sources = Some(Sources::new(source.clone()));
    }

    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.start()?;
        self.file_index += 1;
        self.file = file.to_string();
        self.file_checks = 0;
        write!(
            self.out,
            "<section class=\"file\" aria-labelledby=\"f{n}\">\n<h2 id=\"f{n}\">{}</h2>\n",
            Esc(file),
            n = self.file_index
        )
    }

    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()> {
        // Checks are numbered within their file, so that a link to one survives other files.
        let first = self.file_checks + 1;
        // Where the batch starts: the open segment (whose block holds its checks' details held
        // apart) and how full it is.
        let (segment, in_segment) = (self.segments, self.segment_checks);
        for c in batch {
            self.summary.add(c);
        }
        let render = |part: &[CheckResult], part_first: usize| -> Vec<Rendered> {
            let quotes = Quotes::new(self.sources.as_ref());
            part.iter()
                .enumerate()
                .map(|(i, c)| {
                    let number = part_first + i;
                    let id = format!("f{}-c{number}", self.file_index);
                    let held = segment + (in_segment + number - first) / SEGMENT;
                    render_check(c, &id, number, held, self.details, &quotes)
                })
                .collect()
        };
        // Rendering a check's details costs more than deciding it: large batches are rendered
        // on every core, then written in order.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let rendered: Vec<Rendered> = if threads < 2 || batch.len() < PARALLEL_ABOVE {
            render(batch, first)
        } else {
            let size = batch.len().div_ceil(threads);
            let parts: Vec<Vec<Rendered>> = batch
                .par_chunks(size)
                .enumerate()
                .map(|(k, part)| render(part, first + k * size))
                .collect();
            parts.into_iter().flatten().collect()
        };
        for r in rendered {
            if self.segment_checks == 0 {
                self.out.write_all(TABLE_START.as_bytes())?;
            }
            self.out.write_all(r.body.as_bytes())?;
            if self.details == Details::Held {
                self.held.push(r.details);
            }
            self.segment_checks += 1;
            self.file_checks += 1;
            if self.segment_checks == SEGMENT {
                self.end_segment()?;
            }
        }
        Ok(())
    }

    fn end_file(&mut self) -> io::Result<()> {
        if self.file_checks == 0 {
            self.out
                .write_all(b"<p class=\"muted\">This file has no checks.</p>\n")?;
        }
        self.end_segment()?;
        if self.details == Details::Engine {
            self.scenario_block()?;
        }
        self.out.write_all(b"</section>\n")
    }

    fn finish(&mut self) -> io::Result<Summary> {
        self.start()?;
        let s = self.summary;
        let mut tail = String::new();
        write!(
            tail,
            "<section id=\"totals\" aria-label=\"Totals\">\n<p><strong>{} check{}</strong>: \
             <span class=\"badge met\">{} met</span> \
             <span class=\"badge unmet\">{} unmet</span> \
             <span class=\"badge none\">{} without expectation</span></p>\n\
             <p class=\"muted\">Traces follow the order of \
             <a href=\"{EVALUATION_LOGIC}\">AWS's policy evaluation logic</a>.</p>\n</section>\n",
            s.checks,
            if s.checks == 1 { "" } else { "s" },
            s.met,
            s.unmet,
            s.without_expectation
        )
        .ok();
        self.out.write_all(tail.as_bytes())?;
        if let (Details::Engine, Some(engine)) = (self.details, ENGINE) {
            // The engine decides at the time this run did, so its traces match the table.
            writeln!(
                self.out,
                "<script type=\"application/wasm\" id=\"engine\" data-time=\"{}\">{}</script>",
                Esc(RequestTime::run_start().iso()),
                BASE64.encode(engine)
            )?;
        }
        let mut tail = String::new();
        page_end(&mut tail);
        self.out.write_all(tail.as_bytes())?;
        self.out.flush()?;
        Ok(s)
    }
}

/// One check: its summary row and its details row, grouped in a table body that the filters
/// show or hide as one. Details held apart (a very large report) are returned on their own,
/// wrapped for the block `held` that will carry them; the table body then has no details row
/// until the check is opened.
fn render_check(
    c: &CheckResult,
    id: &str,
    number: usize,
    held: usize,
    details: Details,
    quotes: &Quotes<'_>,
) -> Rendered {
    let mut out = String::with_capacity(1024);
    let (expect_class, expect_word) = expectation_badge(&c.expectation);
    let (result_class, result_word) = result_badge(c);
    write!(
        out,
        "<tbody class=\"check\" id=\"{id}\" data-expect=\"{expect_class}\" \
         data-result=\"{result_class}\""
    )
    .ok();
    // The actions of the call's steps, which the Find box searches beside the summary row.
    out.push_str(" data-actions=\"");
    for (i, step) in c.outcome.steps.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write!(out, "{}", Esc(&step.action)).ok();
    }
    out.push('"');
    if details == Details::Held {
        write!(out, " data-held=\"held-{held}\"").ok();
    }
    write!(
        out,
        ">\n<tr><td data-label=\"#\">{number}</td>\
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
    out.push_str("</td></tr>\n");
    let mut held_details = String::new();
    match details {
        Details::Held => details_block(&mut held_details, c, id, quotes),
        // The page's engine builds them when the check is opened.
        Details::Engine => {}
        Details::Closed | Details::Open => {
            let open = if details == Details::Open {
                " open=\"open\""
            } else {
                ""
            };
            writeln!(
                out,
                "<tr class=\"detail\"><td colspan=\"6\"><details class=\"trace\"{open}>\
                 <summary class=\"toggle\">Trace of this check</summary>"
            )
            .ok();
            check_heading(&mut out, c);
            trace::check_details(&mut out, c, id, quotes, &trace::NoChanges);
            out.push_str("</details></td></tr>\n");
        }
    }
    out.push_str("</tbody>\n");
    Rendered {
        body: out,
        details: held_details,
    }
}

/// A check's details on their own, as a block that names the check (`data-for`): the form in
/// which a large report holds them or its page engine builds them.
fn details_block(out: &mut String, c: &CheckResult, id: &str, quotes: &Quotes<'_>) {
    // Most checks' details run to a few kilobytes: grown once or not at all.
    out.reserve(8192);
    write!(out, "<div data-for=\"{id}\">").ok();
    check_heading(out, c);
    trace::check_details(out, c, id, quotes, &trace::NoChanges);
    out.push_str("</div>\n");
}

/// The check's name as the heading of its trace, between its file's heading and its steps'.
fn check_heading(out: &mut String, c: &CheckResult) {
    writeln!(out, "<h3 class=\"check-name\">{}</h3>", Esc(&c.name)).ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_controls() {
        let s = Esc("a<b>&\"c'\u{1}\td").to_string();
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&#39;\u{fffd}\td");
        // XML's forbidden non-characters, beside characters of the same lead byte that stay.
        let s = Esc("x\u{fffe}\u{ffff}\u{fffd}\u{f000}\u{ffef}y").to_string();
        assert_eq!(s, "x\u{fffd}\u{fffd}\u{fffd}\u{f000}\u{ffef}y");
    }
}
