//! The JSON Schema of scenario files: generated from the loader's own shapes, shipped as
//! docs/scenario.schema.json (kept equal to what `iamsim schema` prints), accepting every
//! bundled scenario and refusing a misspelt field as the loader does.

mod common;

use std::path::Path;

use iamsim::json::SourceText;
use iamsim::scenario::format::json_schema;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario file as plain JSON (scenario files may carry comments; the schema sees the
/// document).
fn document(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("readable");
    let source = SourceText::new(path.display().to_string(), text);
    source
        .parse(true)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
        .to_serde()
}

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let shipped = std::fs::read_to_string(root().join("docs/scenario.schema.json"))
        .expect("docs/scenario.schema.json exists");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&json_schema()).expect("the schema serializes")
    );
    assert!(
        shipped == generated,
        "docs/scenario.schema.json is stale: regenerate it with `iamsim schema > docs/scenario.schema.json`"
    );
}

#[test]
fn every_bundled_scenario_is_valid_and_a_misspelt_field_is_not() {
    let schema = json_schema();
    let validator =
        jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema");
    let files = common::scenario_files();
    assert!(files.len() >= 10);
    for file in &files {
        let doc = document(file);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
    // The scenarios inside the table-driven cases too.
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("tests/cases")).expect("tests/cases/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc = document(&path);
        for case in doc["cases"].as_array().into_iter().flatten() {
            if let Some(scenario) = case.get("scenario") {
                cases += 1;
                let errors: Vec<String> = validator
                    .iter_errors(scenario)
                    .map(|e| format!("{} at {}", e, e.instance_path))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{} {:?}: {errors:?}",
                    path.display(),
                    case["name"]
                );
            }
        }
    }
    assert!(cases > 300, "{cases} case scenarios");
    let mut misspelt =
        document(&root().join("scenarios/cross-account/cross-account-bucket-access.json"));
    let bucket = misspelt["buckets"][0].as_object_mut().expect("a bucket");
    let policy = bucket.remove("policy").expect("the bucket has a policy");
    bucket.insert("polcy".to_string(), policy);
    assert!(
        !validator.is_valid(&misspelt),
        "a misspelt bucket field is refused"
    );
    let mut misspelt_check =
        document(&root().join("scenarios/cross-account/cross-account-bucket-access.json"));
    misspelt_check["checks"][0]["expectt"] = serde_json::json!("allowed");
    assert!(!validator.is_valid(&misspelt_check));
}
