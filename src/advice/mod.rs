//! Beyond yes or no: what to change so that a check comes out as it should (`fix`), and who
//! can make a request at all (`who_can`). Both ask the same engine and calls as `check`; every
//! edit `fix` suggests is applied to a copy of the scenario and verified.

pub mod edits;
pub mod fix;
pub mod render;
pub mod who_can;

pub use fix::{fix, policy_document, target_of, FixError, FixReport, Goal, Suggestion};
pub use who_can::{who_can, Question, WhoAnswer, WhoCan};

/// The statements of a scenario policy, read through a copy of the document.
fn edits_statements<'d>(
    doc: &'d mut serde_json::Value,
    target: &edits::PolicyTarget,
) -> Option<&'d mut Vec<serde_json::Value>> {
    edits::statements(doc, target)
}
