//! The request headers of an S3 call, read the way S3 reads them.

use base64::Engine;

use crate::policy::keys::KnownKey;
use crate::services::error::{ClientError, ErrorCode};

/// Request headers S3 turns into condition keys of the same name under `s3:` (the keys hashed
/// when compiling: every S3 authorization sets those its request carries).
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
pub const HEADER_KEYS: [(&str, KnownKey); 13] = [
    ("x-amz-acl", KnownKey::new("s3:x-amz-acl")),
    ("x-amz-grant-read", KnownKey::new("s3:x-amz-grant-read")),
    ("x-amz-grant-write", KnownKey::new("s3:x-amz-grant-write")),
    (
        "x-amz-grant-read-acp",
        KnownKey::new("s3:x-amz-grant-read-acp"),
    ),
    (
        "x-amz-grant-write-acp",
        KnownKey::new("s3:x-amz-grant-write-acp"),
    ),
    (
        "x-amz-grant-full-control",
        KnownKey::new("s3:x-amz-grant-full-control"),
    ),
    (
        "x-amz-storage-class",
        KnownKey::new("s3:x-amz-storage-class"),
    ),
    (
        "x-amz-server-side-encryption",
        KnownKey::new("s3:x-amz-server-side-encryption"),
    ),
    (
        KMS_KEY_ID,
        KnownKey::new("s3:x-amz-server-side-encryption-aws-kms-key-id"),
    ),
    ("x-amz-copy-source", KnownKey::new("s3:x-amz-copy-source")),
    (
        "x-amz-metadata-directive",
        KnownKey::new("s3:x-amz-metadata-directive"),
    ),
    (
        "x-amz-website-redirect-location",
        KnownKey::new("s3:x-amz-website-redirect-location"),
    ),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        KnownKey::new("s3:x-amz-server-side-encryption-customer-algorithm"),
    ),
];

/// The header naming the KMS key of an SSE-KMS write.
pub const KMS_KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";

/// Every request header a call may carry.
pub const KNOWN_HEADERS: [&str; 23] = [
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-storage-class",
    "x-amz-server-side-encryption",
    KMS_KEY_ID,
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-checksum-mode",
    "x-amz-website-redirect-location",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-legal-hold",
    "x-amz-expected-bucket-owner",
    "x-amz-object-attributes",
    "content-type",
];

/// The slot in [`KNOWN_HEADERS`] of each header of [`HEADER_KEYS`], in the same order: every S3
/// authorization reads them all, so the names are looked up once, when compiling.
const HEADER_KEY_SLOTS: [usize; HEADER_KEYS.len()] = {
    let mut names = [""; HEADER_KEYS.len()];
    let mut i = 0;
    while i < HEADER_KEYS.len() {
        names[i] = HEADER_KEYS[i].0;
        i += 1;
    }
    known_slots(names)
};

/// The slot in [`KNOWN_HEADERS`] of each of [`GRANT_HEADERS`], in the same order.
const GRANT_HEADER_SLOTS: [usize; GRANT_HEADERS.len()] = known_slots(GRANT_HEADERS);

/// The slot of each of `names` in [`KNOWN_HEADERS`], for constants.
const fn known_slots<const N: usize>(names: [&str; N]) -> [usize; N] {
    let mut slots = [0; N];
    let mut i = 0;
    while i < N {
        slots[i] = known_slot(names[i]);
        i += 1;
    }
    slots
}

/// The position of `name` in [`KNOWN_HEADERS`], for constants: a name that is not there stops
/// the build.
const fn known_slot(name: &str) -> usize {
    let mut i = 0;
    while i < KNOWN_HEADERS.len() {
        if same_bytes(KNOWN_HEADERS[i].as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("a header named in a table of this module is missing from KNOWN_HEADERS")
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The position of a known header in [`KNOWN_HEADERS`] (a `match` compiles to a comparison
/// of lengths, then of a few bytes). Inlined, so that a lookup of a constant name is folded
/// to its slot.
#[inline(always)]
fn slot(name: &str) -> Option<usize> {
    Some(match name {
        "x-amz-acl" => 0,
        "x-amz-grant-read" => 1,
        "x-amz-grant-write" => 2,
        "x-amz-grant-read-acp" => 3,
        "x-amz-grant-write-acp" => 4,
        "x-amz-grant-full-control" => 5,
        "x-amz-storage-class" => 6,
        "x-amz-server-side-encryption" => 7,
        "x-amz-server-side-encryption-aws-kms-key-id" => 8,
        "x-amz-server-side-encryption-context" => 9,
        "x-amz-server-side-encryption-bucket-key-enabled" => 10,
        "x-amz-server-side-encryption-customer-algorithm" => 11,
        "x-amz-copy-source" => 12,
        "x-amz-metadata-directive" => 13,
        "x-amz-tagging" => 14,
        "x-amz-tagging-directive" => 15,
        "x-amz-checksum-mode" => 16,
        "x-amz-website-redirect-location" => 17,
        "x-amz-object-lock-mode" => 18,
        "x-amz-object-lock-legal-hold" => 19,
        "x-amz-expected-bucket-owner" => 20,
        "x-amz-object-attributes" => 21,
        "content-type" => 22,
        _ => return None,
    })
}

/// The headers that set an object's ACL with the upload.
pub const GRANT_HEADERS: [&str; 5] = [
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
];

/// A call's request headers, read once into a slot per header iamsim knows (names compare
/// without regard to case, as HTTP's do). Headers it does not know are not read; the scenario
/// loader refuses them.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    slots: [Option<&'a str>; KNOWN_HEADERS.len()],
}

impl<'a> Headers<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Headers<'a> {
        let mut slots = [None; KNOWN_HEADERS.len()];
        let mut lower = [0u8; 64];
        for (name, value) in pairs {
            // Names are usually written in lower case already: only a name that is not found
            // as written is copied, lowered and looked up again.
            let found = slot(name).or_else(|| {
                let buffer = lower.get_mut(..name.len())?;
                buffer.copy_from_slice(name.as_bytes());
                buffer.make_ascii_lowercase();
                slot(std::str::from_utf8(buffer).ok()?)
            });
            if let Some(i) = found {
                slots[i].get_or_insert(value.as_str());
            }
        }
        Headers { slots }
    }

    /// A header's value; `name` is one of [`KNOWN_HEADERS`], in lower case.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.at(slot(name)?)
    }

    /// The value of the header in slot `slot` of [`KNOWN_HEADERS`].
    fn at(&self, slot: usize) -> Option<&'a str> {
        self.slots.get(slot).copied().flatten()
    }

    /// The headers S3 turns into condition keys, in the order of [`HEADER_KEYS`]: each
    /// header's name, its condition key and its value.
    pub fn condition_keys(&self) -> impl Iterator<Item = (&'static str, KnownKey, &'a str)> + '_ {
        HEADER_KEYS
            .iter()
            .zip(HEADER_KEY_SLOTS)
            .filter_map(|(&(name, key), slot)| Some((name, key, self.at(slot)?)))
    }

    /// The grant headers the request carries, in the order of [`GRANT_HEADERS`]: each header's
    /// name and value.
    pub fn grants(&self) -> impl Iterator<Item = (&'static str, &'a str)> + '_ {
        GRANT_HEADERS
            .iter()
            .zip(GRANT_HEADER_SLOTS)
            .filter_map(|(&name, slot)| Some((name, self.at(slot)?)))
    }

    /// Whether the request sets tags (`x-amz-tagging`).
    pub fn has_tags(&self) -> bool {
        self.get("x-amz-tagging").is_some()
    }

    /// Tags from `x-amz-tagging` (`k1=v1&k2=v2`).
    pub fn tags(&self) -> Vec<(String, String)> {
        self.get("x-amz-tagging")
            .map(|t| {
                t.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (p.to_string(), String::new()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Pairs of `x-amz-server-side-encryption-context` (base64 of a JSON object of strings).
    pub fn encryption_context(&self) -> Result<Vec<(String, String)>, ClientError> {
        let Some(raw) = self.get("x-amz-server-side-encryption-context") else {
            return Ok(Vec::new());
        };
        let invalid = || {
            ClientError::new(
                ErrorCode::InvalidArgument,
                "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
            )
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|_| invalid())?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        map.into_iter()
            .map(|(k, v)| v.as_str().map(|s| (k, s.to_string())).ok_or_else(invalid))
            .collect()
    }

    /// Whether the request asks S3 to read the stored checksum (`x-amz-checksum-mode: ENABLED`).
    pub fn checksum_mode(&self) -> bool {
        self.get("x-amz-checksum-mode")
            .is_some_and(|v| v.eq_ignore_ascii_case("ENABLED"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_header_has_its_slot() {
        for (i, name) in KNOWN_HEADERS.iter().enumerate() {
            assert_eq!(slot(name), Some(i), "{name}");
        }
        assert_eq!(slot("x-amz-unknown"), None);
    }

    #[test]
    fn names_compare_without_case() {
        let pairs = vec![("X-Amz-Acl".to_string(), "private".to_string())];
        assert_eq!(Headers::new(&pairs).get("x-amz-acl"), Some("private"));
    }
}
