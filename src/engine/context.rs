//! The request context: condition keys and their values. Keys compare case-insensitively
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html),
//! so they are stored lowercased; values are text, as policies compare them.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::policy::keys::{key_hash, same_key as eq_ignore_case, KnownKey};
use crate::policy::variables::VariableSource;

/// Condition keys and values of one request. Lookups compare a case-folded hash of the key
/// first (every condition of every statement looks a key up), then the key itself.
///
/// A context may stand on a shared base (the keys AWS fills in for a caller, computed once):
/// its own entries override the base's, and a removed base key is remembered as removed.
#[derive(Debug, Clone, Default)]
pub struct Context {
    base: Option<Arc<Context>>,
    entries: Vec<Entry>,
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.iter().eq(other.iter())
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    hash: u64,
    /// The key as it was first written (lookups ignore case).
    key: Cow<'static, str>,
    /// Most keys carry one value: kept inline. Values are shared, so that copies are cheap.
    values: SmallVec<[Arc<str>; 1]>,
    multi: bool,
    /// Set on an entry that hides a key of the base.
    removed: bool,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// A context standing on a shared base: reading it costs nothing until a key is changed.
    pub fn on(base: Arc<Context>) -> Context {
        Context {
            base: Some(base),
            entries: Vec::new(),
        }
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

    /// Sets a single-valued key iamsim knows, whose hash was computed when compiling.
    pub fn set_known(&mut self, key: KnownKey, value: &str) {
        self.set_known_shared(key, Arc::from(value));
    }

    /// [`Context::set_known`] with a value the caller already shares (an ARN a request names).
    pub fn set_known_shared(&mut self, key: KnownKey, value: Arc<str>) {
        let mut values = SmallVec::new();
        values.push(value);
        self.put_hashed(key.hash, Cow::Borrowed(key.name), values, false);
    }

    /// Sets a multi-valued key (an empty list is present but empty).
    pub fn set_multi(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) {
        let values = values.iter().map(|v| Arc::from(v.as_str())).collect();
        self.put(key.into(), values, true);
    }

    fn put(&mut self, key: Cow<'static, str>, values: SmallVec<[Arc<str>; 1]>, multi: bool) {
        self.put_hashed(key_hash(&key), key, values, multi);
    }

    fn put_hashed(
        &mut self,
        hash: u64,
        key: Cow<'static, str>,
        values: SmallVec<[Arc<str>; 1]>,
        multi: bool,
    ) {
        match self.position(hash, &key) {
            Some(i) => {
                let e = &mut self.entries[i];
                e.values = values;
                e.multi = multi;
                e.removed = false;
            }
            None => self.entries.push(Entry {
                hash,
                key,
                values,
                multi,
                removed: false,
            }),
        }
    }

    /// Removes a key ("what if this key were absent?").
    pub fn remove(&mut self, key: &str) {
        let hash = key_hash(key);
        let in_base = self
            .base
            .as_ref()
            .is_some_and(|b| b.get_hashed(hash, key).is_some());
        match self.position(hash, key) {
            Some(i) if in_base => {
                let e = &mut self.entries[i];
                e.removed = true;
                e.values.clear();
            }
            Some(i) => {
                self.entries.remove(i);
            }
            None if in_base => self.entries.push(Entry {
                hash,
                key: Cow::Owned(key.to_string()),
                values: SmallVec::new(),
                multi: false,
                removed: true,
            }),
            None => {}
        }
    }

    /// The values of a key whose [`key_hash`] is known, or `None` when absent.
    pub fn get_hashed(&self, hash: u64, key: &str) -> Option<&[Arc<str>]> {
        match self.position(hash, key) {
            Some(i) if self.entries[i].removed => None,
            Some(i) => Some(self.entries[i].values.as_slice()),
            None => self.base.as_ref()?.get_hashed(hash, key),
        }
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
        let mut all = self.present();
        // In the order of the keys ignoring ASCII case, as AWS compares them; no key is
        // lowercased into a new string, since reports list every step's context.
        all.sort_unstable_by(|a, b| {
            a.key
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.key.bytes().map(|c| c.to_ascii_lowercase()))
                .then_with(|| a.key.cmp(&b.key))
        });
        all.into_iter()
            .map(|e| (&*e.key, e.values.as_slice(), e.multi))
    }

    /// The keys present: the base's under this context's own, less the removed ones.
    fn present(&self) -> Vec<&Entry> {
        let mut all: Vec<&Entry> = self.entries.iter().collect();
        if let Some(base) = &self.base {
            for (e, _) in base.visible() {
                if self.position(e.hash, &e.key).is_none() {
                    all.push(e);
                }
            }
        }
        all.retain(|e| !e.removed);
        all
    }

    /// The entries a reader sees (the base's, under this context's own).
    fn visible(&self) -> Vec<(&Entry, ())> {
        let mut all: Vec<(&Entry, ())> = self.entries.iter().map(|e| (e, ())).collect();
        if let Some(base) = &self.base {
            for (e, _) in base.visible() {
                if self.position(e.hash, &e.key).is_none() {
                    all.push((e, ()));
                }
            }
        }
        all
    }

    pub fn len(&self) -> usize {
        self.present().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A value a request gives one context key, over the keys AWS fills in.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    Single(String),
    /// A multi-valued key (an empty list is present but empty).
    Multi(Vec<String>),
    /// The key is removed ("what if this key were absent?").
    Remove,
}

impl Context {
    /// Applies a request's own values over the defaults, in order.
    pub fn apply(&mut self, overrides: &[(String, ContextValue)]) {
        self.apply_except(overrides, &[]);
    }

    /// [`Context::apply`], leaving out the keys in `skip` (keys a service's own request cannot
    /// carry).
    pub fn apply_except(&mut self, overrides: &[(String, ContextValue)], skip: &[&str]) {
        for (key, value) in overrides {
            if skip.iter().any(|s| eq_ignore_case(s, key)) {
                continue;
            }
            match value {
                ContextValue::Single(v) => self.set(key.clone(), v.as_str()),
                ContextValue::Multi(v) => self.set_multi(key.clone(), v.clone()),
                ContextValue::Remove => self.remove(key),
            }
        }
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
