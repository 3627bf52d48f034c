//! The library's layers import only downward: json < policy < engine < world < services <
//! scenario < report < import < advice < learn. A module that reached up (the services reading scenario checks, the
//! policy language calling its evaluator) would tie a lower idea to a higher one; this test
//! fails on the first such import, naming the file and line.

use std::path::{Path, PathBuf};

/// The layers, lowest first. A layer may use any layer before it.
const LAYERS: [&str; 10] = [
    "json", "policy", "engine", "world", "services", "scenario", "report", "import", "advice",
    "learn",
];

/// The source files of a layer: `src/<layer>.rs` or everything under `src/<layer>/`.
fn files(layer: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let single = src.join(format!("{layer}.rs"));
    if single.is_file() {
        return vec![single];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src.join(layer)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The layers a line of Rust names through `crate::`, including grouped imports
/// (`use crate::{world::World, services::Call}`).
fn layers_named(line: &str) -> Vec<&'static str> {
    let mut named = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split(['}', ','])
                .map(|item| item.trim().split("::").next().unwrap_or(""))
                .collect(),
            None => vec![rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("")],
        };
        for name in names {
            if let Some(layer) = LAYERS.iter().find(|l| **l == name) {
                named.push(*layer);
            }
        }
    }
    named
}

/// Every import of a higher layer, as `file:line: text`.
fn back_imports() -> Vec<String> {
    let mut found = Vec::new();
    for (rank, layer) in LAYERS.iter().enumerate() {
        let above = &LAYERS[rank + 1..];
        for file in files(layer) {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for (i, line) in text.lines().enumerate() {
                for named in layers_named(line) {
                    if above.contains(&named) {
                        found.push(format!(
                            "{}:{}: {layer} imports {named}: {}",
                            file.display(),
                            i + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn layers_import_only_downward() {
    let found = back_imports();
    assert!(
        found.is_empty(),
        "imports of a higher layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_sees_plain_and_grouped_imports() {
    assert_eq!(layers_named("use crate::scenario::Check;"), ["scenario"]);
    assert_eq!(
        layers_named("use crate::{world::World, report::text};"),
        ["world", "report"]
    );
    assert_eq!(
        layers_named("let x = crate::services::s3::headers::KNOWN_HEADERS;"),
        ["services"]
    );
    assert!(layers_named("use super::env::Env;").is_empty());
    // Every layer has source files where the test looks.
    for layer in LAYERS {
        assert!(!files(layer).is_empty(), "no source for layer {layer}");
    }
}
