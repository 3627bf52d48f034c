//! The request context: condition keys and their values. Keys compare case-insensitively
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so they are stored lowercased; values are text, as policies compare them.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::policy::variables::VariableSource;

/// Condition keys and values of one request. Lookups compare a case-folded hash of the key
/// first (every condition of every statement looks a key up), then the key itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    hash: u64,
    /// The key as it was first written (lookups ignore case).
    key: Cow<'static, str>,
    /// Most keys carry one value: kept inline. Values are shared, so that a context built
    /// once can be copied cheaply for many requests.
    values: SmallVec<[Arc<str>; 1]>,
    multi: bool,
}

/// A hash of a key that ignores letter case, as AWS matches keys. Compiled conditions keep the
/// hash of their key, so a lookup needs no hashing at all.
pub fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    if key.is_ascii() {
        // Fold into a stack buffer and hash whole words at a time.
        let folded: SmallVec<[u8; 96]> = key.bytes().map(|b| b.to_ascii_lowercase()).collect();
        h.write(&folded);
    } else {
        let folded: String = key.chars().flat_map(char::to_lowercase).collect();
        h.write(folded.as_bytes());
    }
    h.finish()
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    fn position(&self, hash: u64, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.hash == hash && eq_ignore_case(&e.key, key))
    }

    /// Sets a single-valued key, replacing any value it had.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl AsRef<str>) {
        let mut values = SmallVec::new();
        values.push(Arc::from(value.as_ref()));
        self.put(key.into(), values, false);
    }

    /// Sets a multi-valued key (an empty list is present but empty).
    pub fn set_multi(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) {
        let values = values.iter().map(|v| Arc::from(v.as_str())).collect();
        self.put(key.into(), values, true);
    }

    /// Sets a multi-valued key from values already shared.
    pub fn set_multi_shared(&mut self, key: impl Into<Cow<'static, str>>, values: &[Arc<str>]) {
        self.put(key.into(), values.iter().cloned().collect(), true);
    }

    fn put(&mut self, key: Cow<'static, str>, values: SmallVec<[Arc<str>; 1]>, multi: bool) {
        let hash = key_hash(&key);
        match self.position(hash, &key) {
            Some(i) => {
                self.entries[i].values = values;
                self.entries[i].multi = multi;
            }
            None => self.entries.push(Entry {
                hash,
                key,
                values,
                multi,
            }),
        }
    }

    /// Removes a key ("what if this key were absent?").
    pub fn remove(&mut self, key: &str) {
        if let Some(i) = self.position(key_hash(key), key) {
            self.entries.remove(i);
        }
    }

    /// The values of a key whose [`key_hash`] is known, or `None` when absent.
    pub fn get_hashed(&self, hash: u64, key: &str) -> Option<&[Arc<str>]> {
        self.position(hash, key)
            .map(|i| self.entries[i].values.as_slice())
    }

    /// The values of a key (in any letter case), or `None` when absent.
    pub fn get_lower(&self, key: &str) -> Option<&[Arc<str>]> {
        self.get(key)
    }

    /// The values of a key in any letter case.
    pub fn get(&self, key: &str) -> Option<&[Arc<str>]> {
        self.get_hashed(key_hash(key), key)
    }

    /// Every key with its values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Arc<str>], bool)> {
        let mut sorted: Vec<&Entry> = self.entries.iter().collect();
        sorted.sort_by_cached_key(|e| e.key.to_lowercase());
        sorted
            .into_iter()
            .map(|e| (&*e.key, e.values.as_slice(), e.multi))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl VariableSource for Context {
    fn single_value(&self, key: &str) -> Option<&str> {
        match self.get_lower(key) {
            Some([one]) => Some(&**one),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut c = Context::new();
        c.set("aws:SourceIp", "10.0.0.1");
        assert_eq!(c.get("AWS:sourceip").map(|v| &*v[0]), Some("10.0.0.1"));
        c.set("aws:sourceIP", "10.0.0.2");
        assert_eq!(c.len(), 1);
        c.remove("AWS:SOURCEIP");
        assert!(c.is_empty());
    }
}
