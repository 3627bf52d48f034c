//! The HTML report: well-formed (parsed back as XML), self-contained (no reference outside the
//! file but links to AWS documentation), every check present; and, in headless Chromium, the
//! page as a browser builds it: the seed-003 download's failing step marked as `kms:Decrypt`,
//! the deciding Sid highlighted, filters from the address, details of a 20,000-check report
//! made on demand by the page engine, the same as a report that holds them all.
//!
//! The browser tests need Debian's `chromium` (`.ci/run` installs it); where none can be
//! installed they say so and pass without running.

use std::path::{Path, PathBuf};
use std::process::Command;

use iamsim::report::html::{Details, HtmlWriter, ENGINE};
use iamsim::report::ReportWriter;
use iamsim::scenario::{load_scenario_text, run_scenario};
use iamsim::world::RequestTime;
use scraper::{Html, Selector};

const SEED_003: &str = "scenarios/kms/kms-permissions-for-upload-and-download.json";

fn iamsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .output()
        .expect("iamsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh folder: tests run in parallel, each browser needs its own profile.
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("iamsim-html-{name}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Parses the page strictly as XML: every element closed, attributes quoted, only XML's
/// entities. Panics with the position of the first error.
fn parse_xml(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, options)
        .unwrap_or_else(|e| panic!("the report is not well-formed: {e}"))
}

/// Every reference the page makes to something outside itself, except links to AWS's
/// documentation.
fn outside_references(doc: &roxmltree::Document<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        for a in node.attributes() {
            let v = a.value().trim();
            let loads = matches!(
                a.name(),
                "src" | "srcset" | "poster" | "data" | "action" | "formaction" | "background"
            );
            let url = v.contains("://") || v.starts_with("//");
            if loads || (url && !v.starts_with("https://docs.aws.amazon.com/")) {
                found.push(format!("<{} {}=\"{v}\">", node.tag_name().name(), a.name()));
            }
        }
        if node.tag_name().name() == "link" {
            found.push("<link>".to_string());
        }
        if matches!(node.tag_name().name(), "style" | "script") {
            let text: String = node.descendants().filter_map(|n| n.text()).collect();
            for bad in [
                "url(",
                "@import",
                "fetch(",
                "XMLHttpRequest",
                "http://",
                "https://",
            ] {
                if text.contains(bad) {
                    found.push(format!("{bad} in <{}>", node.tag_name().name()));
                }
            }
        }
    }
    found
}

fn class_has(node: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

/// The names of a JSON report's checks, in order.
fn json_check_names(args: &[&str]) -> Vec<String> {
    let (_, json, _) = iamsim(args);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .flat_map(|f| f["checks"].as_array().expect("checks").iter())
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn the_bundled_scenarios_report_is_well_formed_complete_and_self_contained() {
    let (code, html, err) = iamsim(&["check", "scenarios/", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    let doc = parse_xml(&html);
    assert_eq!(outside_references(&doc), Vec::<String>::new());
    let names: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "tbody" && class_has(n, "check"))
        .map(|body| {
            let th = body
                .descendants()
                .find(|n| n.tag_name().name() == "th")
                .expect("a name cell");
            th.descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect()
        })
        .collect();
    let expected = json_check_names(&["check", "scenarios/", "--format", "json"]);
    assert!(expected.len() > 250, "the library has its checks");
    assert_eq!(names, expected);
    // Links to AWS's pages are there, and the only links out.
    assert!(html.contains(
        "href=\"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html\""
    ));
    // Every colour has a word: each status badge says what it means.
    for word in [
        "\u{2713} met",
        "ALLOWED",
        "DENIED (explicit)",
        "DENIED (implicit)",
    ] {
        assert!(html.contains(word), "{word}");
    }
}

#[test]
fn a_denied_download_shows_its_failing_step_message_and_context_keys() {
    let (_, html, _) = iamsim(&["check", SEED_003, "--format", "html"]);
    parse_xml(&html);
    let page = Html::parse_document(&html);
    let detour = one(&page, "#f1-c3");
    let failing = select(&detour, "li.step.failing-step");
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].value().attr("data-action"), Some("kms:Decrypt"));
    let text = detour.text().collect::<String>();
    // The client's view and AWS's record of the denial.
    assert!(text.contains("AccessDenied: Access Denied"), "{text}");
    assert!(text.contains(
        "is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:ap-northeast-1:123456789012:key/15dfcb2a-6625-4f70-b9a6-edcec05d6f03 because no resource-based policy allows the kms:Decrypt action"
    ));
    // The keys S3 set for the KMS request, beside the arrow into the KMS step.
    let svg = select(&detour, "figure.flow svg text")
        .iter()
        .map(|t| t.text().collect::<String>())
        .collect::<Vec<_>>();
    assert!(svg
        .iter()
        .any(|t| t.starts_with("kms:ViaService = s3.ap-northeast-1.amazonaws.com")));
    assert!(svg
        .iter()
        .any(|t| t.starts_with("kms:CallerAccount = 123456789012")));
    // The implicit denial's missing layer is marked where AWS's order reaches it.
    assert!(!select(&failing[0], "p.missing").is_empty());
}

#[test]
fn explain_as_html_opens_the_chosen_check() {
    let (code, html, err) = iamsim(&["explain", SEED_003, "--check", "detour", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    parse_xml(&html);
    let page = Html::parse_document(&html);
    assert_eq!(select_doc(&page, "tbody.check").len(), 1);
    assert_eq!(select_doc(&page, "details.trace[open]").len(), 1);
    assert_eq!(
        select_doc(&page, "li.failing-step")[0]
            .value()
            .attr("data-action"),
        Some("kms:Decrypt")
    );
    // The check keeps the id and number it has in its file: a link into `check`'s report of
    // the file names the same check here.
    let (_, report, _) = iamsim(&["check", SEED_003, "--format", "html"]);
    let report = Html::parse_document(&report);
    let id_of = |page: &Html| -> Vec<(String, String)> {
        select_doc(page, "tbody.check")
            .iter()
            .filter(|b| b.text().any(|t| t.contains("detour")))
            .map(|b| {
                let number = b.text().find(|t| !t.trim().is_empty()).unwrap_or("");
                (
                    b.value().attr("id").unwrap_or("").to_string(),
                    number.trim().to_string(),
                )
            })
            .collect()
    };
    let in_report = id_of(&report);
    assert_eq!(in_report.len(), 1, "one detour check in the file");
    assert_ne!(
        in_report[0].0, "f1-c1",
        "the detour check is not the file's first"
    );
    assert_eq!(id_of(&page), in_report);
    let (code, _, err) = iamsim(&["explain", SEED_003, "--learn", "--format", "html"]);
    assert_eq!(code, 2);
    assert!(err.contains("--learn"), "{err}");
}

#[test]
fn a_diff_shows_both_sides_and_marks_the_changed_statements() {
    let dir = temp_dir("diff");
    // The bucket policy of the enforcement experiment without its key-id Deny.
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
   "Action": "s3:PutObject", "Resource": "arn:aws:s3:::s3-encrypted-bucket-by-example-cmk/*",
   "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}
]}"#,
    )
    .unwrap();
    let scenario = "scenarios/s3-encryption/sse-kms-enforced-by-bucket-policy.json";
    let set = format!(
        "bucket:s3-encrypted-bucket-by-example-cmk={}",
        policy.display()
    );
    let (code, html, err) = iamsim(&["diff", scenario, "--set", &set, "--format", "html"]);
    assert_eq!(code, 1, "a decision flips: {err}");
    let doc = parse_xml(&html);
    assert_eq!(outside_references(&doc), Vec::<String>::new());
    let page = Html::parse_document(&html);
    let changes = select_doc(&page, "section.change");
    assert!(!changes.is_empty());
    let first = &changes[0];
    assert!(first.text().collect::<String>().contains("FLIPPED"));
    assert_eq!(select(first, "section.side").len(), 2);
    // The removed Deny is marked on the before side; the kept one is unchanged on both.
    let before_changed = select(first, "section.side.before article.statement.changed");
    assert!(before_changed
        .iter()
        .any(|a| a.value().attr("data-sid") == Some("DenyUseOfUnspecifiedKMSKey")));
    for side in ["before", "after"] {
        let kept = select(
            first,
            &format!(
                "section.side.{side} article.statement[data-sid=\"DenyUnEncryptedObjectUploads\"]"
            ),
        );
        assert!(!kept.is_empty(), "{side}");
        assert!(kept
            .iter()
            .all(|a| !a.value().classes().any(|c| c == "changed")));
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A scenario of `count` raw checks on one small world.
fn many_checks(count: usize) -> String {
    let checks: Vec<String> = (0..count)
        .map(|i| {
            let action = if i % 2 == 0 { "s3:GetObject" } else { "s3:DeleteObject" };
            format!(
                r#"{{"name": "check {i}", "principal": "arn:aws:iam::111122223333:user/reader", "action": "{action}", "resource": "arn:aws:s3:::bucket/object-{i}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"principals": [{{"arn": "arn:aws:iam::111122223333:user/reader", "policies": [{{"name": "read", "document": {{"Version": "2012-10-17", "Statement": [{{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}}]}}}}]}}],
"buckets": [{{"name": "bucket", "account": "111122223333"}}],
"checks": [
{}
]}}"#,
        checks.join(",\n")
    )
}

/// The report of a scenario written in this process with every check's details held as text
/// in the page, as a binary without the page engine writes a large report.
fn held_report(name: &str, text: &str) -> String {
    let scenario = load_scenario_text(name, text).expect("the scenario loads");
    let results = run_scenario(&scenario, true);
    let mut out = Vec::new();
    let mut writer =
        HtmlWriter::with_details(&mut out, Details::Held, format!("iamsim check: {name}"));
    writer.source(&scenario.source);
    writer.begin_file(name).unwrap();
    writer.checks(&results).unwrap();
    writer.end_file().unwrap();
    writer.finish().unwrap();
    drop(writer);
    String::from_utf8(out).expect("UTF-8 report")
}

/// The bytes a block of the page carries in base64.
fn block_bytes(node: &roxmltree::Node<'_, '_>) -> Vec<u8> {
    use base64::Engine as _;
    let text: String = node.children().filter_map(|n| n.text()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("the block is base64")
}

#[test]
fn a_large_report_without_the_page_engine_holds_each_checks_details_as_text() {
    let html = held_report("large.json", &many_checks(2_500));
    let doc = parse_xml(&html);
    assert!(outside_references(&doc).is_empty());
    let bodies: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "tbody" && class_has(n, "check"))
        .collect();
    assert_eq!(bodies.len(), 2_500);
    // No check has its details in the page yet: each names the block that holds them.
    assert!(bodies
        .iter()
        .all(|b| b.descendants().all(|n| n.tag_name().name() != "details")));
    let blocks: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "script" && n.attribute("type") == Some("text/html"))
        .collect();
    // Blocks of 256 checks: ten for 2,500.
    assert_eq!(blocks.len(), 10);
    // The blocks hold every check's details once, under its id, in the block it names.
    let mut held: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for block in &blocks {
        for part in block.children().filter(|n| n.is_element()) {
            assert!(part
                .descendants()
                .any(|n| n.tag_name().name() == "li" && class_has(&n, "step")));
            let key = (
                block.attribute("id").unwrap(),
                part.attribute("data-for").unwrap(),
            );
            *held.entry(key).or_default() += 1;
        }
    }
    assert_eq!(held.len(), 2_500);
    for body in &bodies {
        let key = (
            body.attribute("data-held").unwrap(),
            body.attribute("id").unwrap(),
        );
        assert_eq!(held.get(&key), Some(&1), "{key:?}");
    }
}

/// The page engine this build carries. CI (`.ci/run` sets `IAMSIM_REQUIRE_PAGE_ENGINE`) fails
/// without it; elsewhere a build without Rust's WebAssembly target says so and goes on.
fn page_engine() -> Option<&'static [u8]> {
    if ENGINE.is_none() {
        assert!(
            std::env::var_os("IAMSIM_REQUIRE_PAGE_ENGINE").is_none(),
            "the build made no page engine: `rustup target add wasm32-unknown-unknown`"
        );
        eprintln!("NO PAGE ENGINE in this build: large reports hold their details as text");
    }
    ENGINE
}

#[test]
fn the_page_engine_is_a_webassembly_module_that_imports_nothing() {
    let Some(engine) = page_engine() else { return };
    // The magic number and version 1, then sections: an id byte and a LEB128 length. With no
    // import section (id 2), the module can reach nothing but the memory the page gives it.
    assert_eq!(&engine[..8], b"\0asm\x01\0\0\0");
    let mut at = 8;
    let mut sections = Vec::new();
    while at < engine.len() {
        let id = engine[at];
        at += 1;
        let (mut length, mut shift) = (0usize, 0);
        loop {
            let byte = engine[at];
            at += 1;
            length |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        sections.push(id);
        at += length;
    }
    assert_eq!(at, engine.len(), "the sections fill the module");
    assert!(!sections.contains(&2), "an import section: {sections:?}");
    // Code (10) and exports (7) are there.
    assert!(sections.contains(&10) && sections.contains(&7));
    // Chromium compiles a module on the page's own thread only up to 8 MB ("WebAssembly.Compile
    // is disallowed on the main thread, if the buffer size is larger than 8MB", as reported in
    // https://github.com/napi-rs/napi-rs/issues/2513); the page starts a smaller one at once.
    assert!(engine.len() < 8 << 20, "{} bytes", engine.len());
}

#[test]
fn a_large_report_carries_its_scenario_and_the_page_engine_instead_of_details() {
    let dir = temp_dir("large");
    let file = dir.join("large.json");
    let text = many_checks(2_500);
    std::fs::write(&file, &text).unwrap();
    let path = file.to_str().unwrap();
    let (code, html, err) = iamsim(&["check", path, "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    let doc = parse_xml(&html);
    assert!(outside_references(&doc).is_empty());
    let bodies = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "tbody" && class_has(n, "check"));
    assert_eq!(bodies.clone().count(), 2_500);
    assert!(bodies
        .clone()
        .all(|b| b.descendants().all(|n| n.tag_name().name() != "details")));
    let Some(engine) = page_engine() else {
        // Without an engine, each check names the block of text that holds its details.
        assert!(bodies.clone().all(|b| b.attribute("data-held").is_some()));
        return;
    };
    assert!(bodies.clone().all(|b| b.attribute("data-held").is_none()));
    let blocks: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "script" && n.attribute("type").is_some())
        .collect();
    assert_eq!(blocks.len(), 2, "the scenario and the engine, nothing else");
    // The file's exact text, named as it was loaded, in the file's section.
    let scenario = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("scenario-f1"))
        .unwrap();
    assert_eq!(scenario.attribute("type"), Some("application/octet-stream"));
    assert_eq!(scenario.attribute("data-name"), Some(path));
    assert_eq!(block_bytes(&scenario), text.as_bytes());
    assert_eq!(
        scenario.parent().unwrap().attribute("aria-labelledby"),
        Some("f1")
    );
    // The engine this binary was built with, and the time the run decided at.
    let carried = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("engine"))
        .unwrap();
    assert_eq!(carried.attribute("type"), Some("application/wasm"));
    assert_eq!(block_bytes(&carried), engine);
    let time = carried.attribute("data-time").unwrap();
    assert!(RequestTime::parse(time).is_ok(), "{time}");
    // A page of summary rows, the scenario and the engine: far smaller than every check's
    // details (about 3 KB each here).
    assert!(
        html.len() < 2_500 * 800 + text.len() * 4 / 3 + engine.len() * 4 / 3,
        "{}",
        html.len()
    );
    std::fs::remove_dir_all(dir).ok();
}

/// A scenario whose check names try to break out of the page, `count` checks in all.
fn hostile_names(count: usize) -> String {
    let names = [
        "</script><script>alert(1)</script>",
        "]]><x>",
        // JSON escapes, as the file holds them.
        r#"quote \" and ' and <!-- and -->"#,
        r"control \u0001 and \ufffe and \uffff",
    ];
    let checks: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"{{"name": "{} {i}", "principal": "arn:aws:iam::111122223333:user/reader", "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/k"}}"#,
                names[i % names.len()]
            )
        })
        .collect();
    format!(
        r#"{{"principals": [{{"arn": "arn:aws:iam::111122223333:user/reader"}}],
"buckets": [{{"name": "bucket", "account": "111122223333"}}],
"checks": [{}]}}"#,
        checks.join(",\n")
    )
}

#[test]
fn hostile_check_names_stay_text_in_small_and_large_reports() {
    let dir = temp_dir("hostile");
    for count in [4, 2_001] {
        let file = dir.join(format!("hostile-{count}.json"));
        std::fs::write(&file, hostile_names(count)).unwrap();
        let (code, html, err) = iamsim(&["check", file.to_str().unwrap(), "--format", "html"]);
        assert_eq!(code, 0, "{err}");
        // Well-formed XML (XML forbids U+0001, U+FFFE and U+FFFF: they became U+FFFD), and the
        // only script the page runs is its own (the other elements named script are blocks of
        // data: the scenario, the engine, or held details).
        let doc = parse_xml(&html);
        assert!(!html.contains('\u{ffff}') && !html.contains('\u{fffe}'));
        let scripts = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "script")
            .filter(|n| n.attribute("type").is_none())
            .count();
        assert_eq!(scripts, 1, "{count} checks");
        assert!(doc.descendants().all(|n| n.tag_name().name() != "x"));
        let names: Vec<String> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "tbody" && class_has(n, "check"))
            .map(|b| {
                b.descendants()
                    .find(|n| n.tag_name().name() == "a")
                    .unwrap()
                    .text()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(names[0], "</script><script>alert(1)</script> 0");
        assert_eq!(names[3], "control \u{fffd} and \u{fffd} and \u{fffd} 3");
        assert_eq!(names.len(), count);
    }
    std::fs::remove_dir_all(dir).ok();
}

// --- In the browser ---------------------------------------------------------------------

/// The browser `IAMSIM_CHROMIUM` names, or Chromium on the `PATH` (Debian's package installs
/// `chromium`; others name it `chromium-browser`).
fn chromium() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("IAMSIM_CHROMIUM") {
        return Some(PathBuf::from(named));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        eprintln!(
            "SKIPPED: no chromium on the PATH (install Debian's chromium package, as .ci/run \
             does, or set IAMSIM_CHROMIUM)"
        );
    }
    found
}

/// The page as Chromium has built it once its script has run.
fn dump_dom(browser: &Path, file: &Path, suffix: &str) -> Html {
    Html::parse_document(&dumped_page(browser, file, suffix))
}

/// The page's markup as Chromium serializes it once its script has run.
fn dumped_page(browser: &Path, file: &Path, suffix: &str) -> String {
    let profile = temp_dir("chromium-profile");
    let url = format!("file://{}{suffix}", file.canonicalize().unwrap().display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium runs");
    std::fs::remove_dir_all(profile).ok();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium printed no page: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// The page without the text blocks that hold details (they are text to a browser, and most
/// of a large page), and how many there were.
fn without_held_blocks(page: &str) -> (String, usize) {
    const OPEN: &str = "<script type=\"text/html\" class=\"held\"";
    let mut kept = String::with_capacity(page.len() / 4);
    let mut blocks = 0;
    let mut rest = page;
    while let Some(at) = rest.find(OPEN) {
        kept.push_str(&rest[..at]);
        let end = rest[at..].find("</script>").expect("a closed block") + at;
        rest = &rest[end + "</script>".len()..];
        blocks += 1;
    }
    kept.push_str(rest);
    (kept, blocks)
}

fn select_doc<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    page.select(&Selector::parse(css).unwrap()).collect()
}

fn select<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&Selector::parse(css).unwrap()).collect()
}

fn one<'a>(page: &'a Html, css: &str) -> scraper::ElementRef<'a> {
    let found = select_doc(page, css);
    assert_eq!(found.len(), 1, "{css}");
    found[0]
}

#[test]
fn in_chromium_the_seed_003_report_marks_the_failing_step_and_the_deciding_sid() {
    let Some(browser) = chromium() else { return };
    let dir = temp_dir("seed-003");
    let file = dir.join("report.html");
    let (_, html, _) = iamsim(&["check", SEED_003, "--format", "html"]);
    std::fs::write(&file, html).unwrap();
    let page = dump_dom(&browser, &file, "#f1-c3");
    // Every check is there.
    assert_eq!(select_doc(&page, "tbody.check").len(), 6);
    // The address opened the detour download, whose KMS step failed.
    let detour = one(&page, "#f1-c3");
    assert_eq!(select(&detour, "details.trace[open]").len(), 1);
    let failing = select(&detour, "li.step.failing-step");
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].value().attr("data-action"), Some("kms:Decrypt"));
    assert!(failing[0]
        .text()
        .collect::<String>()
        .contains("failing step"));
    // The working download: the role's "SamplePolicy" decides its KMS step, highlighted with
    // its JSON.
    let download = one(&page, "#f1-c2");
    let deciding = select(
        &download,
        "article.statement.deciding[data-sid=\"SamplePolicy\"]",
    );
    assert!(!deciding.is_empty());
    assert!(deciding[0].text().collect::<String>().contains("deciding"));
    assert_eq!(select(&deciding[0], "pre.source.deciding").len(), 1);
    assert!(select(&download, "tr mark.sid")
        .iter()
        .any(|m| m.text().collect::<String>() == "SamplePolicy"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn in_chromium_the_bundled_scenarios_report_has_every_check_with_its_trace() {
    let Some(browser) = chromium() else { return };
    let dir = temp_dir("bundled");
    let file = dir.join("report.html");
    let (code, html, err) = iamsim(&["check", "scenarios/", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&file, html).unwrap();
    let page = dump_dom(&browser, &file, "");
    let expected = json_check_names(&["check", "scenarios/", "--format", "json"]);
    let bodies = select_doc(&page, "tbody.check");
    let names: Vec<String> = bodies
        .iter()
        .map(|b| select(b, "th a")[0].text().collect::<String>())
        .collect();
    assert_eq!(names, expected);
    // Each check has its trace, with at least one step, and nothing is hidden by the filter.
    for body in &bodies {
        assert_eq!(select(body, "details.trace").len(), 1);
        assert!(!select(body, "li.step").is_empty());
        assert_eq!(body.value().attr("hidden"), None);
    }
    assert!(one(&page, "#shown")
        .text()
        .collect::<String>()
        .contains(&format!("{n} of {n} checks shown", n = expected.len())));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn in_chromium_the_address_filters_the_checks() {
    let Some(browser) = chromium() else { return };
    let dir = temp_dir("filter");
    let file = dir.join("report.html");
    let (_, html, _) = iamsim(&["check", SEED_003, "--format", "html"]);
    std::fs::write(&file, html).unwrap();
    let page = dump_dom(&browser, &file, "?status=denied&find=GenerateDataKey");
    let shown: Vec<String> = select_doc(&page, "tbody.check:not([hidden])")
        .iter()
        .map(|b| b.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(shown, vec!["f1-c4"]);
    assert!(one(&page, "#shown")
        .text()
        .collect::<String>()
        .contains("1 of 6 checks shown"));
    // A check the address names is shown and opened even where the filter would hide it; a
    // malformed address is left alone.
    let page = dump_dom(&browser, &file, "?status=unmet#f1-c3");
    let shown: Vec<&str> = select_doc(&page, "tbody.check:not([hidden])")
        .iter()
        .map(|b| b.value().attr("id").unwrap())
        .collect();
    assert_eq!(shown, vec!["f1-c3"]);
    assert_eq!(
        select(&one(&page, "#f1-c3"), "details.trace[open]").len(),
        1
    );
    let page = dump_dom(&browser, &file, "#%E0%A4%A");
    assert!(one(&page, "#shown")
        .text()
        .collect::<String>()
        .contains("6 of 6 checks shown"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn in_chromium_a_20000_check_report_opens_and_makes_details_on_demand() {
    let Some(browser) = chromium() else { return };
    let dir = temp_dir("20k");
    let scenario = dir.join("large.json");
    std::fs::write(&scenario, many_checks(20_000)).unwrap();
    let (_, html, _) = iamsim(&["check", scenario.to_str().unwrap(), "--format", "html"]);
    let file = dir.join("report.html");
    std::fs::write(&file, html).unwrap();
    // The address names the check's first step: the check is built to find it.
    let (page, blocks) = without_held_blocks(&dumped_page(&browser, &file, "#f1-c20000-s1"));
    let page = Html::parse_document(&page);
    assert_eq!(select_doc(&page, "tbody.check").len(), 20_000);
    // Only the opened check's details became elements: its details row, open, with its
    // step (the check is a DeleteObject the reader may not do).
    assert_eq!(select_doc(&page, "tr.detail").len(), 1);
    assert_eq!(select_doc(&page, "li.step").len(), 1);
    let opened = one(&page, "#f1-c20000");
    assert_eq!(select(&opened, "details.trace[open]").len(), 1);
    let step = select(&opened, "li.step.failing-step");
    assert_eq!(step.len(), 1);
    assert_eq!(step[0].value().attr("data-action"), Some("s3:DeleteObject"));
    assert_eq!(
        select(&opened, "h3.check-name")[0].inner_html(),
        "check 19999"
    );
    if page_engine().is_some() {
        // The engine built them, deciding at the time of the run.
        assert_eq!(blocks, 0);
        let time = one(&page, "#engine")
            .value()
            .attr("data-time")
            .unwrap()
            .to_string();
        let context: Vec<String> = select(&opened, "table.context td")
            .iter()
            .map(|td| td.inner_html())
            .collect();
        let at = context.iter().position(|c| c == "aws:CurrentTime").unwrap();
        assert_eq!(context[at + 1], time);
    } else {
        // The rest stays text, in blocks of 256 checks.
        assert_eq!(blocks, 79);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn in_chromium_the_page_engine_builds_the_details_a_report_of_them_all_holds() {
    let Some(browser) = chromium() else { return };
    if page_engine().is_none() {
        return;
    }
    let dir = temp_dir("same-details");
    // A fixed time, so both reports decide at the same moment.
    let text = many_checks(2_500).replacen('{', r#"{"now": "2026-01-31T12:00:00Z", "#, 1);
    let scenario = dir.join("large.json");
    std::fs::write(&scenario, &text).unwrap();
    let name = scenario.to_str().unwrap();
    let (code, engine_report, err) = iamsim(&["check", name, "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    let held_file = dir.join("held.html");
    std::fs::write(&held_file, held_report(name, &text)).unwrap();
    let engine_file = dir.join("engine.html");
    std::fs::write(&engine_file, engine_report).unwrap();
    // An allowed read and a denied delete, at both ends of the file.
    for id in ["f1-c1", "f1-c2500"] {
        let address = format!("#{id}");
        let built = |file: &Path| {
            let (page, _) = without_held_blocks(&dumped_page(&browser, file, &address));
            let page = Html::parse_document(&page);
            let details = one(&page, &format!("div[data-for=\"{id}\"]"));
            assert!(!select(&details, "li.step").is_empty());
            details.html()
        };
        assert_eq!(built(&engine_file), built(&held_file), "{id}");
    }
    std::fs::remove_dir_all(dir).ok();
}
