//! Reports: the text, JSON, JUnit, HTML and explanation forms of results, and lint findings as
//! SARIF.
//! What AWS's messages say comes from the services layer; reports only print it.

pub mod diff;
pub mod html;
pub mod json;
pub mod sarif;
pub mod text;

use std::io;

use crate::scenario::{CheckResult, ExpectationStatus};

/// Counts of checks by expectation status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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

    /// Adds the counts of another part of the same run.
    pub fn merge(&mut self, other: Summary) {
        self.checks += other.checks;
        self.met += other.met;
        self.unmet += other.unmet;
        self.without_expectation += other.without_expectation;
    }
}

/// The text of some consecutive checks, rendered away from the report that writes it (see
/// [`ReportWriter::renderer`]), with what they count.
#[derive(Debug, Default)]
pub struct RenderedChecks {
    pub text: Vec<u8>,
    pub summary: Summary,
}

/// Renders checks as a report writes them, into the buffer it is given (emptied first, its
/// room reused); any thread may call it.
pub type Renderer = fn(&[CheckResult], Vec<u8>) -> RenderedChecks;

/// A report written as results arrive, file by file and batch by batch, so that a run over
/// hundreds of thousands of checks never holds them all.
pub trait ReportWriter {
    /// Whether the results should carry every statement's evaluation (a report that shows
    /// traces); deciding without them is much cheaper.
    fn wants_traces(&self) -> bool {
        false
    }
    /// The text of the scenario whose results come next, for reports that quote its policies
    /// (the others ignore it).
    fn source(&mut self, _source: &std::sync::Arc<crate::json::SourceText>) {}
    fn begin_file(&mut self, file: &str) -> io::Result<()>;
    /// The next results of the current file, in order.
    fn checks(&mut self, batch: &[CheckResult]) -> io::Result<()>;
    /// For a report whose text for a check depends on that check alone: how to render checks
    /// on any thread. A run then renders each check on the thread that decided it and hands
    /// the text to [`ReportWriter::write_rendered`]. `None` (the default): the report takes
    /// results through [`ReportWriter::checks`].
    fn renderer(&self) -> Option<Renderer> {
        None
    }
    /// The next checks of the current file, rendered by [`ReportWriter::renderer`].
    fn write_rendered(&mut self, _part: &RenderedChecks) -> io::Result<()> {
        Err(io::Error::other(
            "this report renders its checks itself: give it results",
        ))
    }
    fn end_file(&mut self) -> io::Result<()>;
    /// Closes the report and returns what it counted.
    fn finish(&mut self) -> io::Result<Summary>;
}
