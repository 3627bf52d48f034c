//! The work of reading a scenario grows with the file and never faster, whatever its layout.
//! A generated scenario stands on one line; a position worked out by counting from the start of
//! the line, or a check parsed by going through the checks before it, would make such a file
//! cost the square of its size. The loader's work is counted (`iamsim::json::work`), not timed,
//! so this holds on any machine.
//!
//! One test in this file: the counters are process-wide, and tests in one file run in parallel.

use iamsim::json::work;
use iamsim::scenario::load_scenario_text;

/// Bytes a column lookup may count: it starts at the nearest checkpoint, 256 bytes apart.
const COLUMN_BYTES_PER_LOOKUP: u64 = 256;

/// A scenario on one line, with text that is not all ASCII (so columns are counted in
/// characters, not taken from byte offsets). With `misspelled`, each check has an unknown
/// field, and loading reports one positioned problem per check.
fn one_line_scenario(checks: usize, misspelled: bool) -> String {
    let extra = if misspelled {
        r#","expekt":"denied""#
    } else {
        ""
    };
    let checks: Vec<String> = (0..checks)
        .map(|i| {
            format!(
                r#"{{"name":"確認 {i}","principal":"arn:aws:iam::111122223333:user/アップロード","action":"s3:GetObject","resource":"arn:aws:s3:::example-bucket/オブジェクト-{i}","expect":"denied"{extra}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"description":"一行のシナリオ","region":"ap-northeast-1","principals":[{{"arn":"arn:aws:iam::111122223333:user/アップロード"}}],"buckets":[{{"name":"example-bucket","account":"111122223333"}}],"checks":[{}]}}"#,
        checks.join(",")
    );
    assert!(!text.contains('\n') && !text.is_ascii());
    text
}

/// The counted work of loading `text`, and the number of problems found.
fn load(text: &str) -> (work::Work, usize) {
    let before = work::so_far();
    let problems = match load_scenario_text("one-line.json", text) {
        Ok(scenario) => {
            assert!(!scenario.checks.is_empty());
            0
        }
        Err(e) => {
            for p in &e.problems {
                let (line, column) = p.position.expect("each problem has a position");
                assert_eq!(line, 1);
                assert!(column > 1);
            }
            e.problems.len()
        }
    };
    let after = work::so_far();
    let spent = work::Work {
        column_bytes: after.column_bytes - before.column_bytes,
        parsed_bytes: after.parsed_bytes - before.parsed_bytes,
    };
    (spent, problems)
}

#[test]
fn reading_a_one_line_scenario_costs_work_linear_in_its_size() {
    for checks in [1_000, 4_000] {
        let valid = one_line_scenario(checks, false);
        let (spent, problems) = load(&valid);
        assert_eq!(problems, 0);
        // The document once (deferred checks skipped over) and each check once more.
        assert!(
            spent.parsed_bytes <= 2 * valid.len() as u64,
            "{checks} checks: {} bytes parsed for a {}-byte file",
            spent.parsed_bytes,
            valid.len()
        );

        let invalid = one_line_scenario(checks, true);
        let (spent, problems) = load(&invalid);
        assert_eq!(problems, checks, "one unknown field per check");
        assert!(
            spent.column_bytes <= COLUMN_BYTES_PER_LOOKUP * problems as u64,
            "{checks} problems on one line: {} bytes counted for their columns",
            spent.column_bytes
        );
        // Every problem is located once more than the deferred parse, but each check is still
        // parsed once (a second full parse names a syntax error only when there is one), after
        // the plain-check reader went through it at most once before leaving it.
        assert!(
            spent.parsed_bytes <= 3 * invalid.len() as u64,
            "{checks} checks: {} bytes parsed for a {}-byte file",
            spent.parsed_bytes,
            invalid.len()
        );
    }
}
