//! The request context: condition keys and their values. Keys compare case-insensitively
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so they are stored lowercased; values are text, as policies compare them.

use crate::policy::variables::VariableSource;

/// Condition keys and values of one request, sorted by lowercase key for lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key_lower: Box<str>,
    /// The key as it was first written (for reports).
    key: Box<str>,
    values: Vec<String>,
    multi: bool,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    fn position(&self, key_lower: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| (*e.key_lower).cmp(key_lower))
    }

    /// Sets a single-valued key, replacing any value it had.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.put(key, vec![value.into()], false);
    }

    /// Sets a multi-valued key (an empty list is present but empty).
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) {
        self.put(key, values, true);
    }

    fn put(&mut self, key: &str, values: Vec<String>, multi: bool) {
        let key_lower = key.to_lowercase();
        match self.position(&key_lower) {
            Ok(i) => {
                self.entries[i].values = values;
                self.entries[i].multi = multi;
            }
            Err(i) => self.entries.insert(
                i,
                Entry {
                    key_lower: key_lower.into(),
                    key: key.into(),
                    values,
                    multi,
                },
            ),
        }
    }

    /// Removes a key ("what if this key were absent?").
    pub fn remove(&mut self, key: &str) {
        if let Ok(i) = self.position(&key.to_lowercase()) {
            self.entries.remove(i);
        }
    }

    /// The values of a key given in lowercase, or `None` when absent.
    pub fn get_lower(&self, key_lower: &str) -> Option<&[String]> {
        self.position(key_lower)
            .ok()
            .map(|i| self.entries[i].values.as_slice())
    }

    /// The values of a key in any letter case.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lower(&key.to_lowercase())
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
