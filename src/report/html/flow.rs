//! A call's steps drawn as a flow, top to bottom: one box per step, coloured and worded by its
//! outcome, the failing step marked, and beside the arrow into a KMS step the context keys S3
//! set for that request.

use std::fmt::Write as _;

use super::Esc;
use crate::services::{CallOutcome, Step, StepKind, StepOutcome};

/// Wide enough for a key and a value of 60 characters beside the arrow.
const WIDTH: usize = 900;
const BOX_WIDTH: usize = 300;
const BOX_HEIGHT: usize = 58;
const LINE: usize = 16;
const GAP: usize = 34;
const LEFT: usize = 10;

/// Who performs a step, as the box's first words say.
fn actor(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Authorization => "Authorization",
        StepKind::S3Authorization => "S3 authorizes",
        StepKind::S3AccessPointAuthorization => "S3 (access point)",
        StepKind::S3RequestCheck => "S3 checks the request",
        StepKind::KmsDataKey | StepKind::KmsDecrypt | StepKind::KmsEncrypt => "KMS, for S3",
        StepKind::AssumeRole => "S3 assumes the role",
        StepKind::StsRequestCheck => "STS checks the request",
        StepKind::StsAuthorization => "STS authorizes",
    }
}

/// A step's outcome in words, and the style that colours it.
pub(super) fn step_verdict(s: &Step) -> (&'static str, String) {
    match &s.outcome {
        StepOutcome::Allowed { .. } => ("allowed", "ALLOWED".to_string()),
        StepOutcome::Denied { denial, .. } => (
            "denied",
            format!(
                "DENIED ({})",
                denial.outcome().denial_name().unwrap_or("implicit")
            ),
        ),
        StepOutcome::Rejected { error } | StepOutcome::Unavailable { error, .. } => {
            ("failed", format!("FAILED: {}", error.code))
        }
    }
}

/// The context keys a service set for a KMS request it makes for the caller (`kms:ViaService`,
/// `kms:CallerAccount`, the encryption context): those shown beside the arrow into the step.
pub(super) fn derived_keys(s: &Step) -> Vec<(String, String)> {
    if !matches!(
        s.kind,
        StepKind::KmsDataKey | StepKind::KmsDecrypt | StepKind::KmsEncrypt
    ) {
        return Vec::new();
    }
    let Some(context) = &s.context else {
        return Vec::new();
    };
    context
        .iter()
        .filter(|(k, _, _)| k.len() > 4 && k[..4].eq_ignore_ascii_case("kms:"))
        .map(|(k, v, _)| (k.to_string(), v.join(", ")))
        .collect()
}

/// Cuts a label to `max` characters, marking the cut.
fn fit(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}\u{2026}", &text[..at]),
        None => text.to_string(),
    }
}

/// The flow of a call's steps as an inline SVG, inside a figure with a caption.
pub(super) fn render(out: &mut String, o: &CallOutcome) {
    let failing = o
        .failed_step()
        .and_then(|f| o.steps.iter().position(|s| std::ptr::eq(s, f)));
    let keys: Vec<Vec<(String, String)>> = o.steps.iter().map(derived_keys).collect();
    let gaps: Vec<usize> = keys
        .iter()
        .skip(1)
        .map(|k| GAP.max(k.len() * LINE + 12))
        .collect();
    let height = 12 + o.steps.len() * BOX_HEIGHT + gaps.iter().sum::<usize>() + 12;
    let mut summary = String::new();
    for (i, s) in o.steps.iter().enumerate() {
        let (_, verdict) = step_verdict(s);
        write!(summary, "Step {}: {} {}", i + 1, s.action, verdict).ok();
        if failing == Some(i) {
            summary.push_str(", the failing step");
        }
        summary.push_str(". ");
    }
    write!(
        out,
        "<figure class=\"flow\"><svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" \
         height=\"{height}\" role=\"img\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" \
         font-size=\"13\"><title>{}</title>",
        Esc(summary.trim_end())
    )
    .ok();
    let mut y = 12;
    for (i, s) in o.steps.iter().enumerate() {
        if i > 0 {
            let gap = gaps[i - 1];
            let x = LEFT + BOX_WIDTH / 2;
            write!(
                out,
                "<line x1=\"{x}\" y1=\"{y}\" x2=\"{x}\" y2=\"{}\" stroke=\"#57606a\" \
                 stroke-width=\"2\"/><polygon points=\"{},{} {},{} {x},{}\" fill=\"#57606a\"/>",
                y + gap - 7,
                x - 6,
                y + gap - 8,
                x + 6,
                y + gap - 8,
                y + gap
            )
            .ok();
            for (j, (k, v)) in keys[i].iter().enumerate() {
                write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1f2328\">{} = {}</text>",
                    x + 14,
                    y + 14 + j * LINE,
                    Esc(k),
                    Esc(&fit(v, 60))
                )
                .ok();
            }
            y += gap;
        }
        let (class, verdict) = step_verdict(s);
        let (stroke, fill) = match class {
            "allowed" => ("#1a7f37", "#dafbe1"),
            "denied" => ("#b42318", "#ffebe9"),
            _ => ("#8a4b00", "#fff1d6"),
        };
        let width = if failing == Some(i) { 4 } else { 2 };
        write!(
            out,
            "<g class=\"step {class}\"><rect x=\"{LEFT}\" y=\"{y}\" width=\"{BOX_WIDTH}\" \
             height=\"{BOX_HEIGHT}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" \
             stroke-width=\"{width}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#57606a\">{}. {}</text>\
             <text x=\"{}\" y=\"{}\" font-weight=\"700\" fill=\"#1f2328\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-weight=\"700\" fill=\"{stroke}\">{}{}</text></g>",
            LEFT + 10,
            y + 15,
            i + 1,
            Esc(actor(s.kind)),
            LEFT + 10,
            y + 33,
            Esc(&fit(&s.action, 36)),
            LEFT + 10,
            y + 50,
            Esc(&verdict),
            if failing == Some(i) {
                " \u{2190} failing step"
            } else if s.optional {
                " (optional)"
            } else {
                ""
            }
        )
        .ok();
        y += BOX_HEIGHT;
    }
    out.push_str("</svg><figcaption>The call's steps, in the order AWS performs them");
    if o.steps.iter().any(|s| !derived_keys(s).is_empty()) {
        out.push_str("; beside an arrow into KMS, the context keys S3 set for that request");
    }
    out.push_str(".</figcaption></figure>\n");
}
