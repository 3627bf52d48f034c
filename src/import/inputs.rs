//! The CLI outputs an import reads: found by their conventional names in a folder, or given
//! one by one; each read as JSON, with errors that name the file, the position and what the
//! file looks like when it is not the output its name promises.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Why an input could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: Option<String>,
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl ImportError {
    pub(super) fn general(message: impl Into<String>) -> ImportError {
        ImportError {
            file: None,
            position: None,
            message: message.into(),
        }
    }

    pub(super) fn in_file(file: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            file: Some(file.to_string()),
            position: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.position) {
            (Some(file), Some((line, col))) => write!(f, "{file}:{line}:{col}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            (None, _) => write!(f, "import: {}", self.message),
        }
    }
}

/// The outputs to import, by conventional name (`s3api/app-data/get-bucket-policy.json`).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    files: BTreeMap<String, PathBuf>,
}

/// The top-level fields that tell one command's output from another's, for saying what a
/// misnamed file looks like.
const SIGNATURES: [(&[&str], &str); 22] = [
    (
        &["UserDetailList"],
        "aws iam get-account-authorization-details",
    ),
    (&["Buckets", "Owner"], "aws s3api list-buckets"),
    (&["Buckets"], "aws s3api list-buckets"),
    (
        &["ServerSideEncryptionConfiguration"],
        "aws s3api get-bucket-encryption",
    ),
    (
        &["PublicAccessBlockConfiguration"],
        "aws s3api get-public-access-block",
    ),
    (
        &["ReplicationConfiguration"],
        "aws s3api get-bucket-replication",
    ),
    (
        &["OwnershipControls"],
        "aws s3api get-bucket-ownership-controls",
    ),
    (&["KeyMetadata"], "aws kms describe-key"),
    (&["Aliases"], "aws kms list-aliases"),
    (&["Grants"], "aws kms list-grants"),
    (&["Keys"], "aws kms list-keys"),
    (&["Organization"], "aws organizations describe-organization"),
    (&["Roots"], "aws organizations list-roots"),
    (
        &["OrganizationalUnits"],
        "aws organizations list-organizational-units-for-parent",
    ),
    (
        &["OrganizationalUnit"],
        "aws organizations describe-organizational-unit",
    ),
    (
        &["Accounts"],
        "aws organizations list-accounts(-for-parent)",
    ),
    (
        &["Policies"],
        "a list of policies (iam list-policies or organizations list-policies)",
    ),
    (&["PolicyVersion"], "aws iam get-policy-version"),
    (
        &["PolicyDocument"],
        "an inline policy (iam get-role-policy, get-user-policy or get-group-policy)",
    ),
    (&["Role"], "aws iam get-role"),
    (
        &["Policy"],
        "a policy (s3api get-bucket-policy, kms get-key-policy or organizations describe-policy)",
    ),
    (&["Status"], "aws s3api get-bucket-versioning"),
];

/// What a parsed output looks like, by its top-level fields.
pub(super) fn looks_like(value: &Value) -> String {
    let Some(object) = value.as_object() else {
        return format!("{} rather than a CLI output object", kind(value));
    };
    for (keys, command) in SIGNATURES {
        if keys.iter().all(|k| object.contains_key(*k)) {
            return format!("the output of {command}");
        }
    }
    let fields: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
    format!("an object with the fields {}", fields.join(", "))
}

/// How a JSON value is named in messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Inputs {
    /// Every `.json` file under `folder`, by its path relative to the folder.
    pub fn folder(folder: &Path) -> Result<Inputs, ImportError> {
        let mut inputs = Inputs::default();
        let mut dirs = vec![folder.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                ImportError::in_file(&dir.display().to_string(), format!("cannot read: {e}"))
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    if let Ok(rel) = path.strip_prefix(folder) {
                        let name = rel
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/");
                        inputs.files.insert(name, path);
                    }
                }
            }
        }
        Ok(inputs)
    }

    /// Adds (or replaces) one output under its conventional name.
    pub fn add(&mut self, name: &str, file: PathBuf) {
        self.files
            .insert(name.trim_start_matches('/').to_string(), file);
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub(super) fn any_under(&self, prefix: &str) -> bool {
        self.files.keys().any(|k| k.starts_with(prefix))
    }

    /// The conventional names under a folder (`s3api/`), in order.
    pub(super) fn names_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.files
            .keys()
            .filter(move |k| k.starts_with(prefix))
            .map(String::as_str)
    }

    /// Reads one output, if given: its parsed JSON and the name errors use.
    pub(super) fn read(
        &self,
        name: &str,
        errors: &mut Vec<ImportError>,
    ) -> Option<(Value, String)> {
        let path = self.files.get(name)?;
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(ImportError::in_file(&shown, format!("cannot read: {e}")));
                return None;
            }
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => Some((v, shown)),
            Err(e) => {
                let what = if e.is_eof() {
                    "the file ends in the middle of the JSON: a truncated CLI output?"
                } else {
                    "not JSON"
                };
                errors.push(ImportError {
                    file: Some(shown),
                    position: Some((e.line(), e.column())),
                    message: format!("{what} ({e}); expected the output of {}", command_of(name)),
                });
                None
            }
        }
    }

    /// Reads an output that must have `field` at its top; a file without it is reported with
    /// what it looks like.
    pub(super) fn read_with(
        &self,
        name: &str,
        field: &str,
        errors: &mut Vec<ImportError>,
    ) -> Option<(Value, String)> {
        let (value, shown) = self.read(name, errors)?;
        if value.get(field).is_none() {
            errors.push(ImportError::in_file(
                &shown,
                format!(
                    "expected the output of {} (with {field:?}), but this looks like {}",
                    command_of(name),
                    looks_like(&value)
                ),
            ));
            return None;
        }
        Some((value, shown))
    }
}

/// The CLI command a conventional name stands for.
fn command_of(name: &str) -> String {
    let parts: Vec<&str> = name.trim_end_matches(".json").split('/').collect();
    match parts.as_slice() {
        [service, .., command] => format!("aws {service} {command}"),
        _ => name.to_string(),
    }
}
