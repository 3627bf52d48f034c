//! `iamsim quiz`: one check at a time from the scenario library, its world trimmed to the
//! policies that matter; the learner predicts allowed or denied and, for a denial, what decides
//! it; then the answer and why. Reads answers line by line, so it runs in a terminal or from a
//! pipe alike.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::advice::policy_document;
use crate::engine::{Denial, StatementRef};
use crate::policy::Effect;
use crate::scenario::{load_scenario, run_checks, CheckResult, Scenario};
use crate::services::StepOutcome;

/// What the quiz asks from.
#[derive(Debug, Clone)]
pub struct QuizOptions {
    /// Only checks of files whose topic (folder) or name contains this.
    pub topic: Option<String>,
    /// The same seed gives the same questions in the same order.
    pub seed: u64,
    pub count: usize,
    /// ANSI colour (for a terminal).
    pub color: bool,
}

/// The result of a quiz.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    pub asked: usize,
    pub right: usize,
    /// Topics of the questions answered wrong, with how many.
    pub missed: BTreeMap<String, usize>,
}

/// One question: a check of a file.
#[derive(Debug, Clone)]
pub struct Item {
    pub file: PathBuf,
    pub topic: String,
    pub check: usize,
}

/// A small, fixed pseudo-random sequence (SplitMix64): the same seed gives the same quiz on
/// every machine, which a dependency's generator does not promise across versions.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The questions the files offer: every check with an expectation, in a seeded order.
pub fn items(files: &[PathBuf], options: &QuizOptions) -> Result<Vec<Item>, String> {
    let mut all = Vec::new();
    for file in files {
        let scenario = load_scenario(file).map_err(|e| e.to_string())?;
        let topic = topic_of(file);
        let wanted = options.topic.as_deref().is_none_or(|t| {
            let t = t.to_ascii_lowercase();
            topic.to_ascii_lowercase().contains(&t)
                || file.to_string_lossy().to_ascii_lowercase().contains(&t)
        });
        if !wanted {
            continue;
        }
        for (i, c) in scenario.checks.iter().enumerate() {
            if c.expect.as_ref().and_then(|e| e.allowed).is_some() {
                all.push(Item {
                    file: file.clone(),
                    topic: topic.clone(),
                    check: i,
                });
            }
        }
    }
    Sequence(options.seed).shuffle(&mut all);
    all.truncate(options.count);
    Ok(all)
}

/// A file's topic: its folder's name.
fn topic_of(file: &Path) -> String {
    file.parent().and_then(Path::file_name).map_or_else(
        || "scenarios".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

struct Paint(bool);

impl Paint {
    fn green(&self, text: &str) -> String {
        if self.0 {
            format!("\x1b[32m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn red(&self, text: &str) -> String {
        if self.0 {
            format!("\x1b[31m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        if self.0 {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Reads one answer line; `None` at the end of input.
fn read(input: &mut dyn BufRead) -> Option<String> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_ascii_lowercase()),
    }
}

/// Runs the quiz over `items`, reading answers from `input`, writing to `output`.
pub fn run(
    items: &[Item],
    options: &QuizOptions,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> std::io::Result<Score> {
    let paint = Paint(options.color);
    let mut score = Score::default();
    let mut seq = Sequence(options.seed ^ 0x5EED);
    for (n, item) in items.iter().enumerate() {
        let Ok(scenario) = load_scenario(&item.file) else {
            continue;
        };
        let results = run_checks(&scenario.world, &scenario.checks[..=item.check], true);
        let Some(result) = results.last() else {
            continue;
        };
        let check = &scenario.checks[item.check];
        let truth = check
            .expect
            .as_ref()
            .and_then(|e| e.allowed)
            .unwrap_or(result.outcome.is_allowed());
        writeln!(
            output,
            "\n{} (topic: {}, {})",
            paint.bold(&format!("Question {} of {}", n + 1, items.len())),
            item.topic,
            item.file.file_name().unwrap_or_default().to_string_lossy()
        )?;
        show_world(&scenario, item.check, result, output)?;
        writeln!(output, "Allowed or denied? [a/d]")?;
        let Some(answer) = read(input) else {
            break;
        };
        let said_allowed = answer.starts_with('a');
        let mut right =
            said_allowed == truth && (answer.starts_with('a') || answer.starts_with('d'));
        if !truth {
            let (choices, correct) = choices(result, &mut seq);
            if !choices.is_empty() {
                writeln!(output, "What decides it?")?;
                for (i, c) in choices.iter().enumerate() {
                    writeln!(output, "  {}) {c}", i + 1)?;
                }
                let Some(pick) = read(input) else {
                    break;
                };
                let picked = pick.parse::<usize>().ok().and_then(|p| p.checked_sub(1));
                if picked != Some(correct) {
                    right = false;
                    writeln!(
                        output,
                        "The deciding one is {}) {}",
                        correct + 1,
                        choices[correct]
                    )?;
                }
            }
        }
        score.asked += 1;
        if right {
            score.right += 1;
            writeln!(output, "{}", paint.green("Right."))?;
        } else {
            *score.missed.entry(item.topic.clone()).or_default() += 1;
            writeln!(
                output,
                "{} It is {}.",
                paint.red("Wrong."),
                if truth { "allowed" } else { "denied" }
            )?;
        }
        explain(check, result, &item.file, output)?;
        writeln!(output, "Score: {} of {}", score.right, score.asked)?;
    }
    writeln!(
        output,
        "\n{}",
        paint.bold(&format!("Final score: {} of {}", score.right, score.asked))
    )?;
    if !score.missed.is_empty() {
        let mut missed: Vec<(&String, &usize)> = score.missed.iter().collect();
        missed.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = missed.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        writeln!(output, "Topics missed most: {}", list.join(", "))?;
    }
    Ok(score)
}

/// The caller, the request, and the policies that take part, with line numbers.
fn show_world(
    scenario: &Scenario,
    index: usize,
    result: &CheckResult,
    output: &mut dyn Write,
) -> std::io::Result<()> {
    let check = &scenario.checks[index];
    let doc = scenario
        .source
        .parse(true)
        .map(|n| n.to_serde())
        .unwrap_or(Value::Null);
    let caller = check
        .caller
        .as_deref()
        .map_or("S3 itself (replication)".to_string(), |c| c.to_string());
    writeln!(output, "Caller:  {caller}")?;
    match &check.kind {
        crate::scenario::CheckKind::Raw {
            action, resource, ..
        } => writeln!(output, "Request: {action} on {resource}")?,
        crate::scenario::CheckKind::Call {
            call,
            bucket,
            key,
            headers,
            ..
        } => {
            writeln!(
                output,
                "Request: {} of {bucket}/{key} (the whole call, KMS included)",
                call.name()
            )?;
            for (h, v) in headers {
                writeln!(output, "         {h}: {v}")?;
            }
        }
        crate::scenario::CheckKind::AssumeRole { call, role, .. } => {
            writeln!(output, "Request: {} of {role}", call.name())?
        }
    }
    if !check.context.is_empty() {
        let keys: Vec<String> = check
            .context
            .iter()
            .map(|(k, v)| format!("{k} = {v:?}"))
            .collect();
        writeln!(output, "Context: {}", keys.join(", "))?;
    }
    // Each policy that a step read, once.
    let mut shown: Vec<String> = Vec::new();
    for step in &result.outcome.steps {
        let Some(trace) = &step.trace else { continue };
        for t in &trace.statements {
            let r = &t.statement;
            if shown.iter().any(|s| *s == *r.policy) {
                continue;
            }
            shown.push(r.policy.to_string());
            writeln!(output, "\n{}:", r.policy)?;
            match policy_document(&scenario.world, check, r, &doc) {
                Some(document) => {
                    let text = serde_json::to_string_pretty(&document).unwrap_or_default();
                    for (i, line) in text.lines().enumerate() {
                        writeln!(output, "  {:>3} {line}", i + 1)?;
                    }
                }
                None => writeln!(output, "  (as iamsim builds it: {})", describe_built(r))?,
            }
        }
    }
    Ok(())
}

fn describe_built(r: &StatementRef) -> String {
    if r.grant {
        "a KMS grant".to_string()
    } else if r.policy.starts_with("key policy of") {
        "the default key policy: the account's root may use the key, delegating to IAM".to_string()
    } else {
        "a policy the scenario does not spell out".to_string()
    }
}

/// The choices for "what decides it", and which one is right.
fn choices(result: &CheckResult, seq: &mut Sequence) -> (Vec<String>, usize) {
    let outcome = &result.outcome;
    let statement = |r: &StatementRef| {
        let which = r
            .sid
            .as_deref()
            .map_or(format!("statement {}", r.index), |s| {
                format!("statement {s:?}")
            });
        format!(
            "{which} of {} ({})",
            r.policy,
            if r.effect == Effect::Deny {
                "Deny"
            } else {
                "Allow"
            }
        )
    };
    let step_fails = |action: &str| format!("the {action} step: nothing that must allow it does");
    let correct = match outcome.failed_step().map(|s| &s.outcome) {
        Some(StepOutcome::Denied {
            denial: Denial::Explicit { by, .. },
            ..
        }) => by.first().map(statement),
        Some(StepOutcome::Denied {
            denial: Denial::Implicit { .. },
            ..
        }) => outcome.failed_step().map(|s| step_fails(&s.action)),
        Some(StepOutcome::Rejected { error } | StepOutcome::Unavailable { error, .. }) => {
            Some(format!("a refusal before any policy ({})", error.code))
        }
        _ => None,
    };
    let Some(correct) = correct else {
        return (Vec::new(), 0);
    };
    let mut options: Vec<String> = vec![correct.clone()];
    for step in &outcome.steps {
        let option = step_fails(&step.action);
        if !options.contains(&option) {
            options.push(option);
        }
        if let Some(trace) = &step.trace {
            for t in &trace.statements {
                if t.statement.effect == Effect::Deny {
                    let option = statement(&t.statement);
                    if !options.contains(&option) {
                        options.push(option);
                    }
                }
            }
        }
    }
    // At most five choices, the right one among them.
    let mut others: Vec<String> = options.split_off(1);
    seq.shuffle(&mut others);
    others.truncate(4);
    options.extend(others);
    seq.shuffle(&mut options);
    let at = options.iter().position(|o| *o == correct).unwrap_or(0);
    (options, at)
}

/// Why: the check's note, the answer in a line and AWS's record of a denial.
fn explain(
    check: &crate::scenario::Check,
    result: &CheckResult,
    file: &Path,
    output: &mut dyn Write,
) -> std::io::Result<()> {
    if let Some(note) = &check.note {
        writeln!(output, "Why: {note}")?;
    }
    writeln!(output, "iamsim: {}", crate::report::text::outcome(result))?;
    if let Some(message) = result.outcome.message() {
        writeln!(output, "AWS records: {message}")?;
    }
    writeln!(
        output,
        "(iamsim explain {} --check {:?} --learn walks through every stage)",
        file.display(),
        check.name
    )?;
    Ok(())
}
