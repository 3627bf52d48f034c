//! The study library and the quiz: every library file teaches (a description citing AWS, a note
//! on every check), a whole quiz plays through standard input, and a seed gives the same quiz
//! twice.

mod common;

use std::path::PathBuf;

use iamsim::learn::quiz::{items, run, QuizOptions};
use iamsim::scenario::{load_scenario, run_checks};

#[test]
fn the_library_is_large_and_every_lesson_cites_aws_and_explains_each_check() {
    let files = common::scenario_files();
    let mut checks = 0;
    let mut problems = Vec::new();
    for file in &files {
        let scenario = load_scenario(file).unwrap_or_else(|e| panic!("{e}"));
        let description = scenario.world.description.clone().unwrap_or_default();
        if !description.contains("https://docs.aws.amazon.com/") {
            problems.push(format!(
                "{}: the description cites no AWS page",
                file.display()
            ));
        }
        for c in &scenario.checks {
            checks += 1;
            if c.note.as_deref().is_none_or(str::is_empty) {
                problems.push(format!(
                    "{}: check {:?} has no note",
                    file.display(),
                    c.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(files.len() >= 35, "{} files", files.len());
    assert!(checks >= 200, "{checks} checks");
}

fn library_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(path)
}

#[test]
fn a_quiz_played_through_standard_input_keeps_score_and_explains() {
    let file = library_file("kms/kms-permissions-for-upload-and-download.json");
    let options = QuizOptions {
        topic: None,
        seed: 7,
        count: 6,
        color: false,
    };
    let questions = items(std::slice::from_ref(&file), &options).expect("the file loads");
    assert_eq!(
        questions.len(),
        6,
        "every check of the file has an expectation"
    );
    // The right answers, from the expectations, for half the questions; wrong ones for the rest.
    let scenario = load_scenario(&file).unwrap();
    let mut input = String::new();
    for (i, q) in questions.iter().enumerate() {
        let allowed = scenario.checks[q.check]
            .expect
            .as_ref()
            .and_then(|e| e.allowed)
            .unwrap();
        let right = i % 2 == 0;
        let say = if allowed == right { "a" } else { "d" };
        input.push_str(say);
        input.push('\n');
        if !allowed {
            // The second question: choice 1 or 2 (right or wrong depending on the shuffle);
            // the score below is checked against what the quiz says it marked.
            input.push_str("1\n");
        }
    }
    let mut output = Vec::new();
    let score =
        run(&questions, &options, &mut input.as_bytes(), &mut output).expect("the quiz runs");
    let text = String::from_utf8(output).unwrap();
    assert_eq!(score.asked, 6);
    assert_eq!(text.matches("Right.").count(), score.right, "{text}");
    assert_eq!(text.matches("Wrong.").count(), 6 - score.right, "{text}");
    // Every wrong prediction of allowed-or-denied is marked wrong.
    assert!(score.right <= 3, "{text}");
    assert!(text.contains("Question 1 of 6"));
    assert!(text.contains("Allowed or denied? [a/d]"));
    assert!(text.contains("Why: "), "the check's note is shown");
    assert!(
        text.contains("AWS records: User: "),
        "a denial's message is shown"
    );
    assert!(text.contains(&format!("Final score: {} of 6", score.right)));
    if score.right < 6 {
        assert!(text.contains("Topics missed most: kms ("), "{text}");
    }
    // The policies that take part are shown with line numbers.
    assert!(text.contains("    1 {"), "{text}");
}

#[test]
fn the_same_seed_gives_the_same_quiz() {
    let files = common::scenario_files();
    let options = |seed| QuizOptions {
        topic: Some("kms".into()),
        seed,
        count: 8,
        color: false,
    };
    let order = |seed| -> Vec<(PathBuf, usize)> {
        items(&files, &options(seed))
            .unwrap()
            .into_iter()
            .map(|i| (i.file, i.check))
            .collect()
    };
    assert_eq!(order(42), order(42));
    assert_ne!(order(42), order(43));
    assert!(order(42)
        .iter()
        .all(|(f, _)| f.to_string_lossy().contains("kms")));
}

#[test]
fn learn_mode_walks_through_the_stages_with_their_rules_and_pages() {
    let file = library_file("kms/kms-permissions-for-upload-and-download.json");
    let scenario = load_scenario(&file).unwrap();
    let index = scenario
        .checks
        .iter()
        .position(|c| c.name.starts_with("detour policy without kms:Decrypt"))
        .unwrap();
    let results = run_checks(&scenario.world, &scenario.checks[..=index], true);
    let text = iamsim::learn::walk_through(&scenario.checks[index], results.last().unwrap());
    for stage in [
        "Explicit deny",
        "Organization (SCPs and RCPs)",
        "Key policy (and grants)",
        "Permissions boundary",
        "Session policy",
        "Identity-based policy",
    ] {
        assert!(text.contains(stage), "{stage}: {text}");
    }
    assert!(text.contains("Rule: A KMS key policy must allow the request"));
    assert!(
        text.contains("https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html")
    );
    assert!(text.contains("Step 2 of 2"));
    assert!(text.contains("denied: nothing that had to allow it did"));
}
