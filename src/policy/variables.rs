//! Policy variables: `${aws:username}`, `${key, 'default'}` and the escapes `${*}`, `${?}`,
//! `${$}`, split at load time into literal text and variable references.
//!
//! Variables are recognised only under `Version: 2012-10-17`; under `2008-10-17` (or with no
//! Version) the same text is literal (decision A10).
//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

use super::wildcard::{tokenize, Token};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Policy text; in a pattern its `*` and `?` are wildcards.
    Text(String),
    /// A character written as `${*}`, `${?}` or `${$}`: always literal.
    Escaped(char),
    /// A reference to a context key (stored lowercased: keys are case-insensitive).
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// Text that may contain policy variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// Something that can give the value of a single-valued context key.
pub trait VariableSource {
    /// The key's value, when the key is present with exactly one value. `key` is lowercase.
    fn single_value(&self, key: &str) -> Option<&str>;
}

impl Template {
    /// Splits `text` into parts. With `variables` false (Version 2008-10-17) the whole text is
    /// one literal part.
    pub fn parse(text: &str, variables: bool) -> Template {
        if !variables || !text.contains("${") {
            return Template {
                parts: vec![Part::Text(text.to_string())],
            };
        }
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else {
                break;
            };
            literal.push_str(&rest[..start]);
            let inner = &rest[start + 2..start + 2 + len];
            match inner {
                "*" | "?" | "$" => {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Escaped(inner.chars().next().unwrap_or('$')));
                }
                _ => {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(parse_variable(inner));
                }
            }
            rest = &rest[start + 2 + len + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Template { parts }
    }

    /// Whether any part must be looked up at evaluation time.
    pub fn has_variables(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Variable { .. }))
    }

    /// The text when the template is constant (escapes resolved).
    pub fn constant(&self) -> Option<String> {
        if self.has_variables() {
            return None;
        }
        Some(self.parts.iter().fold(String::new(), |mut s, p| {
            match p {
                Part::Text(t) => s.push_str(t),
                Part::Escaped(c) => s.push(*c),
                Part::Variable { .. } => {}
            }
            s
        }))
    }

    /// The template as pattern tokens, when constant: text wildcards stay wildcards, escaped
    /// characters are literal.
    pub fn constant_tokens(&self) -> Option<Vec<Token>> {
        if self.has_variables() {
            return None;
        }
        let mut tokens = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => tokens.extend(tokenize(t)),
                Part::Escaped(c) => tokens.push(Token::Char(*c)),
                Part::Variable { .. } => {}
            }
        }
        Some(tokens)
    }

    /// Substitutes variables into plain text. `None` when a variable has no value and no default.
    pub fn resolve(&self, source: &dyn VariableSource) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Variable { key, default } => {
                    out.push_str(source.single_value(key).or(default.as_deref())?)
                }
            }
        }
        Some(out)
    }

    /// Substitutes variables into pattern tokens: substituted values are literal text (a `*` in a
    /// tag value is not a wildcard). `None` when a variable cannot be resolved.
    pub fn resolve_tokens(&self, source: &dyn VariableSource) -> Option<Vec<Token>> {
        let mut tokens = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => tokens.extend(tokenize(t)),
                Part::Escaped(c) => tokens.push(Token::Char(*c)),
                Part::Variable { key, default } => {
                    let value = source.single_value(key).or(default.as_deref())?;
                    tokens.extend(value.chars().map(Token::Char));
                }
            }
        }
        Some(tokens)
    }
}

/// `key` or `key, 'default'` (the default quoted with single quotes).
fn parse_variable(inner: &str) -> Part {
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        let default = default
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
            .unwrap_or(default);
        Part::Variable {
            key: key.trim().to_lowercase(),
            default: Some(default.to_string()),
        }
    } else {
        Part::Variable {
            key: inner.trim().to_lowercase(),
            default: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;
    impl VariableSource for Ctx {
        fn single_value(&self, key: &str) -> Option<&str> {
            (key == "aws:username").then_some("alice")
        }
    }

    #[test]
    fn substitution_and_defaults() {
        let t = Template::parse("home/${aws:username}/*", true);
        assert_eq!(t.resolve(&Ctx).as_deref(), Some("home/alice/*"));
        let t = Template::parse("${aws:PrincipalTag/team, 'none'}", true);
        assert_eq!(t.resolve(&Ctx).as_deref(), Some("none"));
        let t = Template::parse("${aws:userid}", true);
        assert_eq!(t.resolve(&Ctx), None);
    }

    #[test]
    fn escapes_are_literal_and_2008_is_plain_text() {
        let t = Template::parse("a${*}b", true);
        assert_eq!(
            t.constant_tokens().unwrap(),
            vec![Token::Char('a'), Token::Char('*'), Token::Char('b')]
        );
        let t = Template::parse("home/${aws:username}", false);
        assert_eq!(t.constant().as_deref(), Some("home/${aws:username}"));
    }
}
