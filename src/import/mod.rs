//! `iamsim import`: a scenario world built from what the AWS CLI prints, so that a real
//! account can be snapshotted with a few read-only commands and checked.
//!
//! The inputs are CLI outputs (`--output json`) named by the convention of
//! `tests/fixtures/aws-cli/README.md`: `iam/get-account-authorization-details.json`,
//! `s3api/list-buckets.json`, `s3api/<bucket>/<command>.json`, `kms/list-aliases.json`,
//! `kms/<alias>/<command>.json`, `organizations/...`. A folder laid out that way is read
//! whole; single files can be given with their conventional name. What the inputs do not cover
//! is listed in the output's leading comment, never guessed.

mod iam;
mod inputs;
mod kms;
mod organizations;
mod s3;

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

pub use inputs::{ImportError, Inputs};

/// How to fill in what CLI outputs do not say.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The account the buckets belong to (S3's outputs name none); the account of the IAM
    /// principals when absent.
    pub account: Option<String>,
    /// The Region of the buckets (`get-bucket-location` is not read); `us-east-1` when absent.
    pub region: Option<String>,
}

/// A scenario built from CLI outputs.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The scenario file's text: a leading comment, then pretty-printed JSON.
    pub text: String,
    /// What the inputs did not cover (also in the comment).
    pub gaps: Vec<String>,
}

/// What an importer collects: the world's parts and what was missing.
#[derive(Debug, Default)]
struct Collected {
    principals: Vec<Value>,
    groups: Vec<Value>,
    buckets: Vec<Value>,
    keys: Vec<Value>,
    organization: Option<Value>,
    gaps: Vec<String>,
}

/// Builds a scenario from the inputs. Every unreadable or unexpected input is reported, all
/// at once.
pub fn import(inputs: &Inputs, options: &ImportOptions) -> Result<Imported, Vec<ImportError>> {
    let mut errors = Vec::new();
    let mut out = Collected::default();
    let account = options.account.clone().or_else(|| iam::account(inputs));
    iam::import(inputs, &mut out, &mut errors);
    kms::import(inputs, &mut out, &mut errors);
    match &account {
        Some(account) => s3::import(
            inputs,
            account,
            options.region.as_deref().unwrap_or("us-east-1"),
            &mut out,
            &mut errors,
        ),
        None if inputs.any_under("s3api/") => errors.push(ImportError::general(
            "the buckets' account is unknown: give --account, or the IAM details of the account (iam/get-account-authorization-details.json)",
        )),
        None => {}
    }
    organizations::import(inputs, &mut out, &mut errors);
    if inputs.is_empty() {
        errors.push(ImportError::general(
            "no AWS CLI outputs found (see the naming convention in the README's import section)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if options.region.is_none() && !out.buckets.is_empty() {
        out.gaps.push(
            "the buckets' Region (get-bucket-location is not read): us-east-1 is assumed; give --region"
                .to_string(),
        );
    }
    Ok(render(out, options))
}

/// The scenario text: the gaps as a leading comment, then the world with an empty `checks`.
fn render(out: Collected, options: &ImportOptions) -> Imported {
    let mut world = Map::new();
    world.insert(
        "description".into(),
        json!("Imported from AWS CLI outputs by iamsim import. Add checks to ask questions of this world."),
    );
    world.insert(
        "region".into(),
        json!(options.region.clone().unwrap_or_else(|| "us-east-1".into())),
    );
    let mut put = |name: &str, items: Vec<Value>| {
        if !items.is_empty() {
            world.insert(name.into(), Value::Array(items));
        }
    };
    put("principals", out.principals);
    put("groups", out.groups);
    put("keys", out.keys);
    put("buckets", out.buckets);
    if let Some(org) = out.organization {
        world.insert("organization".into(), org);
    }
    world.insert("checks".into(), json!([]));
    let mut text = String::new();
    text.push_str("// Imported by iamsim import from AWS CLI outputs.\n");
    if out.gaps.is_empty() {
        text.push_str("// The inputs covered every part of the world that was read.\n");
    } else {
        text.push_str("// Not covered by the inputs (nothing was guessed for these):\n");
        for gap in &out.gaps {
            let _ = writeln!(text, "//   - {gap}");
        }
    }
    text.push_str(&serde_json::to_string_pretty(&Value::Object(world)).unwrap_or_default());
    text.push('\n');
    Imported {
        text,
        gaps: out.gaps,
    }
}

/// A policy document as the CLI printed it: an object, or a string (URL-encoded by IAM's raw
/// API, plain from S3, KMS and Organizations), checked to be JSON.
fn document(value: &Value, file: &str, what: &str) -> Result<Value, ImportError> {
    match value {
        Value::Object(_) => Ok(value.clone()),
        Value::String(text) => {
            let decoded;
            let text = if text.trim_start().starts_with('%') {
                decoded = percent_encoding::percent_decode_str(text)
                    .decode_utf8_lossy()
                    .into_owned();
                if decoded.trim_start().starts_with('%') {
                    return Err(ImportError::in_file(
                        file,
                        format!("{what} is URL-encoded twice: decoding it once still gives URL-encoded text ({}...), not a JSON document", &decoded.chars().take(12).collect::<String>()),
                    ));
                }
                decoded.as_str()
            } else {
                text.as_str()
            };
            serde_json::from_str::<Value>(text)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    ImportError::in_file(
                        file,
                        format!(
                            "{what} is not a JSON policy document: it starts {:?}",
                            text.chars().take(24).collect::<String>()
                        ),
                    )
                })
        }
        other => Err(ImportError::in_file(
            file,
            format!(
                "{what} should be a policy document (an object or a JSON string), found {}",
                inputs::kind(other)
            ),
        )),
    }
}

/// A text field of a CLI output object.
fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}
