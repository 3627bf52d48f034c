//! Reading JSON objects field by field, collecting every problem with its path: unknown fields
//! (with the nearest known name), wrong types, missing required fields.

use super::format::Shape;
use crate::json::{same_name, suggest, Diagnostic, Diagnostics, JsonPath, Node, Value};

/// Collects diagnostics while a file is read.
#[derive(Debug, Default)]
pub struct Reader {
    pub diags: Diagnostics,
}

/// An object being read, with the fields it may have.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'n> {
    pub node: &'n Node<'n>,
}

impl Reader {
    pub fn error(&mut self, path: &JsonPath, node: &Node, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(path, node.span, message));
    }

    /// Opens an object, reporting a non-object, duplicate names and fields its shape does not
    /// declare.
    pub fn object<'n>(
        &mut self,
        node: &'n Node<'n>,
        path: &JsonPath,
        shape: &Shape,
    ) -> Option<Obj<'n>> {
        let Some(members) = node.as_object() else {
            self.error(
                path,
                node,
                format!("expected an object, found {}", node.kind()),
            );
            return None;
        };
        let mut repeated = crate::json::repeated_members(members).peekable();
        for m in members {
            if repeated.next_if(|r| std::ptr::eq(*r, m)).is_some() {
                self.diags.push(Diagnostic::new(
                    &path.key(&m.name),
                    m.name_span,
                    format!("duplicate field {:?}", m.name),
                ));
            } else if !shape.names().any(|k| same_name(k, &m.name)) {
                self.diags.push(
                    Diagnostic::new(
                        &path.key(&m.name),
                        m.name_span,
                        format!(
                            "unknown field {:?}; expected one of: {}",
                            m.name,
                            shape.names().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .with_suggestion(suggest(&m.name, shape.names())),
                );
            }
        }
        Some(Obj { node })
    }

    /// A required string field.
    pub fn req_str(&mut self, obj: Obj<'_>, path: &JsonPath, key: &str) -> Option<String> {
        match obj.node.get(key) {
            None => {
                self.error(path, obj.node, format!("missing required field {key:?}"));
                None
            }
            Some(n) => self.string_value(n, path, key),
        }
    }

    /// An optional string field (`null` counts as absent).
    pub fn opt_str(&mut self, obj: Obj<'_>, path: &JsonPath, key: &str) -> Option<String> {
        let n = obj.node.get(key)?;
        self.string_value(n, path, key)
    }

    /// An optional string field, borrowed from the document (`null` counts as absent).
    pub fn opt_text<'n>(&mut self, obj: Obj<'n>, path: &JsonPath, key: &str) -> Option<&'n str> {
        let n = obj.node.get(key)?;
        self.text_value(n, path, key)
    }

    /// The string value `n` of field `key`, copied (`null` counts as absent).
    fn string_value(&mut self, n: &Node, path: &JsonPath, key: &str) -> Option<String> {
        self.text_value(n, path, key).map(str::to_string)
    }

    /// The string value `n` of field `key` (`null` counts as absent).
    fn text_value<'n>(&mut self, n: &'n Node, path: &JsonPath, key: &str) -> Option<&'n str> {
        match &n.value {
            Value::String(s) => Some(s),
            Value::Null => None,
            _ => {
                self.error(
                    &path.key(key),
                    n,
                    format!("expected a string, found {}", n.kind()),
                );
                None
            }
        }
    }

    /// An optional boolean field.
    pub fn opt_bool(&mut self, obj: Obj<'_>, path: &JsonPath, key: &str) -> Option<bool> {
        let n = obj.node.get(key)?;
        match &n.value {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => {
                self.error(
                    &path.key(key),
                    n,
                    format!("expected true or false, found {}", n.kind()),
                );
                None
            }
        }
    }

    /// An optional whole number field (seconds, counts) that fits in 32 bits.
    pub fn opt_u32(&mut self, obj: Obj<'_>, path: &JsonPath, key: &str) -> Option<u32> {
        let n = obj.node.get(key)?;
        match &n.value {
            Value::Number(text) => match text.parse::<u32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.error(
                        &path.key(key),
                        n,
                        format!(
                            "expected a whole number from 0 to {}, found {text}",
                            u32::MAX
                        ),
                    );
                    None
                }
            },
            Value::Null => None,
            _ => {
                self.error(
                    &path.key(key),
                    n,
                    format!("expected a number, found {}", n.kind()),
                );
                None
            }
        }
    }

    /// An optional array field: its elements with their paths.
    pub fn opt_array<'n>(
        &mut self,
        obj: Obj<'n>,
        path: &JsonPath,
        key: &str,
    ) -> Vec<(JsonPath, &'n Node<'n>)> {
        let Some(n) = obj.node.get(key) else {
            return Vec::new();
        };
        match &n.value {
            Value::Array(items) => {
                let p = path.key(key);
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (p.index(i), item))
                    .collect()
            }
            Value::Null => Vec::new(),
            _ => {
                self.error(
                    &path.key(key),
                    n,
                    format!("expected an array, found {}", n.kind()),
                );
                Vec::new()
            }
        }
    }

    /// An optional array field: its path and its elements (none when absent or `null`).
    pub fn opt_elements<'n>(
        &mut self,
        obj: Obj<'n>,
        path: &JsonPath,
        key: &str,
    ) -> (JsonPath, &'n [Node<'n>]) {
        let list = path.key(key);
        let elements = match obj.node.get(key).map(|n| (n, &n.value)) {
            Some((_, Value::Array(items))) => items.as_slice(),
            None | Some((_, Value::Null)) => &[],
            Some((n, _)) => {
                self.error(&list, n, format!("expected an array, found {}", n.kind()));
                &[]
            }
        };
        (list, elements)
    }

    /// An optional array of strings.
    pub fn opt_strings(&mut self, obj: Obj<'_>, path: &JsonPath, key: &str) -> Vec<String> {
        let items = self.opt_array(obj, path, key);
        let mut out = Vec::new();
        for (p, item) in items {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.error(
                    &p,
                    item,
                    format!("expected a string, found {}", item.kind()),
                ),
            }
        }
        out
    }

    /// An optional object of string values (tags, headers, encryption context).
    pub fn opt_string_map(
        &mut self,
        obj: Obj<'_>,
        path: &JsonPath,
        key: &str,
    ) -> Vec<(String, String)> {
        let Some(n) = obj.node.get(key) else {
            return Vec::new();
        };
        let p = path.key(key);
        let Some(members) = n.as_object() else {
            if !matches!(n.value, Value::Null) {
                self.error(
                    &p,
                    n,
                    format!("expected an object of strings, found {}", n.kind()),
                );
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in members {
            match m.value.scalar_text() {
                Some(v) => out.push((m.name.to_string(), v)),
                None => self.error(
                    &p.key(&m.name),
                    &m.value,
                    format!("expected a string, found {}", m.value.kind()),
                ),
            }
        }
        out
    }
}
