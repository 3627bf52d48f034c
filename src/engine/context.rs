//! The request context: condition keys and their values. Keys compare case-insensitively
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so they are stored lowercased; values are text, as policies compare them.

use std::borrow::Cow;
use std::cmp::Ordering;

use smallvec::SmallVec;

use crate::policy::variables::VariableSource;

/// Condition keys and values of one request, sorted by key (ignoring case) for lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// The key as it was first written (lookups ignore case).
    key: Cow<'static, str>,
    /// Most keys carry one value: kept inline.
    values: SmallVec<[String; 1]>,
    multi: bool,
}

/// Orders keys as AWS matches them: ignoring case. Allocation-free: this runs for every
/// condition of every statement evaluated.
fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    for (p, q) in x.iter().zip(y) {
        if *p >= 0x80 || *q >= 0x80 {
            // Non-ASCII (a tag key in another script): compare by Unicode lowercase.
            return a
                .chars()
                .flat_map(char::to_lowercase)
                .cmp(b.chars().flat_map(char::to_lowercase));
        }
        let (p, q) = (p.to_ascii_lowercase(), q.to_ascii_lowercase());
        if p != q {
            return p.cmp(&q);
        }
    }
    if x.len() != y.len() && (x.iter().chain(y).any(|c| *c >= 0x80)) {
        return a
            .chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase));
    }
    x.len().cmp(&y.len())
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| cmp_ignore_case(&e.key, key))
    }

    /// Sets a single-valued key, replacing any value it had.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        let mut values = SmallVec::new();
        values.push(value.into());
        self.put(key.into(), values, false);
    }

    /// Sets a multi-valued key (an empty list is present but empty).
    pub fn set_multi(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) {
        self.put(key.into(), SmallVec::from_vec(values), true);
    }

    fn put(&mut self, key: Cow<'static, str>, values: SmallVec<[String; 1]>, multi: bool) {
        match self.position(&key) {
            Ok(i) => {
                self.entries[i].values = values;
                self.entries[i].multi = multi;
            }
            Err(i) => self.entries.insert(i, Entry { key, values, multi }),
        }
    }

    /// Removes a key ("what if this key were absent?").
    pub fn remove(&mut self, key: &str) {
        if let Ok(i) = self.position(key) {
            self.entries.remove(i);
        }
    }

    /// The values of a key (given in lowercase, as compiled conditions hold it), or `None`
    /// when absent.
    pub fn get_lower(&self, key_lower: &str) -> Option<&[String]> {
        self.get(key_lower)
    }

    /// The values of a key in any letter case.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.position(key)
            .ok()
            .map(|i| self.entries[i].values.as_slice())
    }

    /// Every key with its values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String], bool)> {
        self.entries
            .iter()
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
            Some([one]) => Some(one),
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
        assert_eq!(c.get("AWS:sourceip"), Some(&["10.0.0.1".to_string()][..]));
        c.set("aws:sourceIP", "10.0.0.2");
        assert_eq!(c.len(), 1);
        c.remove("AWS:SOURCEIP");
        assert!(c.is_empty());
    }
}
