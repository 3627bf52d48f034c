//! ARNs and ARN patterns (the `Resource` element and the `Arn*` condition operators).
//!
//! Decision A11: the partition, service, region and account fields match field by field; the
//! resource part (everything after the fifth colon) matches as a whole, where `*` spans `/` and
//! `:`. In a pattern with fewer than six fields, the last field spans the rest of the ARN.
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN

use super::variables::{Part, Template, VariableSource};
use super::wildcard::{Glob, Token};

/// The six fields of an ARN: `arn`, partition, service, region, account, resource.
pub type ArnFields<'a> = [&'a str; 6];

/// Splits an ARN into its six fields (the resource keeps its own colons), or `None` when the
/// text is not shaped like an ARN.
pub fn split_arn(text: &str) -> Option<ArnFields<'_>> {
    // Every request splits its resource ARN a few times: the colons of its short head are found
    // eight bytes at a time. Slicing at a colon is always on a character boundary (a colon is
    // one byte), so `get` never fails here; indexing the fields of a fixed array, rather than
    // walking an iterator over them, keeps the loop to a few instructions a field.
    if !text.starts_with("arn:") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut fields = ["arn", "", "", "", "", ""];
    let mut start = 4;
    for field in &mut fields[1..5] {
        let colon = next_colon(bytes, start)?;
        *field = text.get(start..colon)?;
        start = colon + 1;
    }
    fields[5] = text.get(start..)?;
    Some(fields)
}

/// The position of the first `:` at or after `from`: whole words at a time (a word's bytes
/// equal to `:` become zero, and the lowest zero byte is found by arithmetic).
fn next_colon(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const COLONS: u64 = 0x3a3a_3a3a_3a3a_3a3a;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ COLONS;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes
        .get(at..)?
        .iter()
        .position(|b| *b == b':')
        .map(|i| at + i)
}

/// The text before the first `separator` byte (all of it when there is none): an action's
/// service, a bucket ARN's bucket name. Cheaper than `split` for the short texts of a request.
pub fn before(text: &str, separator: u8) -> &str {
    match text.bytes().position(|b| b == separator) {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The text after the first `separator` byte, when there is one.
pub fn after(text: &str, separator: u8) -> Option<&str> {
    text.bytes()
        .position(|b| b == separator)
        .map(|at| &text[at + 1..])
}

/// A parsed ARN that names a known kind of IAM or STS entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamEntity {
    Root {
        account: String,
    },
    User {
        account: String,
        path_and_name: String,
    },
    Role {
        account: String,
        path_and_name: String,
    },
    AssumedRole {
        account: String,
        role: String,
        session: String,
    },
    FederatedUser {
        account: String,
        name: String,
    },
}

impl IamEntity {
    /// The account field of an IAM or STS ARN, when it holds an account id.
    pub fn account_of(arn: &str) -> Option<&str> {
        let [_, _, service, _, account, _] = split_arn(arn)?;
        (matches!(service, "iam" | "sts") && is_account_id(account)).then_some(account)
    }

    /// Reads an IAM/STS principal ARN. `None` for any other text.
    pub fn parse(arn: &str) -> Option<IamEntity> {
        let [_, _, service, _, account, resource] = split_arn(arn)?;
        if !is_account_id(account) {
            return None;
        }
        let account = account.to_string();
        match service {
            "iam" => {
                if resource == "root" {
                    return Some(IamEntity::Root { account });
                }
                let (kind, rest) = resource.split_once('/')?;
                if rest.is_empty() || rest.ends_with('/') {
                    return None;
                }
                let path_and_name = rest.to_string();
                match kind {
                    "user" => Some(IamEntity::User {
                        account,
                        path_and_name,
                    }),
                    "role" => Some(IamEntity::Role {
                        account,
                        path_and_name,
                    }),
                    _ => None,
                }
            }
            "sts" => {
                let (kind, rest) = resource.split_once('/')?;
                match kind {
                    "assumed-role" => {
                        let (role, session) = rest.split_once('/')?;
                        (!role.is_empty() && !session.is_empty() && !session.contains('/')).then(
                            || IamEntity::AssumedRole {
                                account,
                                role: role.to_string(),
                                session: session.to_string(),
                            },
                        )
                    }
                    "federated-user" => (!rest.is_empty()).then(|| IamEntity::FederatedUser {
                        account,
                        name: rest.to_string(),
                    }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub fn account(&self) -> &str {
        match self {
            IamEntity::Root { account }
            | IamEntity::User { account, .. }
            | IamEntity::Role { account, .. }
            | IamEntity::AssumedRole { account, .. }
            | IamEntity::FederatedUser { account, .. } => account,
        }
    }
}

/// The last element of a `path/name`.
pub fn last_path_element(path_and_name: &str) -> &str {
    path_and_name.rsplit('/').next().unwrap_or(path_and_name)
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// One field of an ARN pattern, compiled.
#[derive(Debug, Clone)]
enum FieldPattern {
    Compiled(Glob),
    WithVariables(Template),
}

impl FieldPattern {
    fn new(template: Template, lowercase: bool) -> FieldPattern {
        let template = if lowercase {
            Template {
                parts: template
                    .parts
                    .into_iter()
                    .map(|p| match p {
                        Part::Text(t) => Part::Text(t.to_lowercase()),
                        other => other,
                    })
                    .collect(),
            }
        } else {
            template
        };
        match template.constant_tokens() {
            Some(tokens) => FieldPattern::Compiled(Glob::from_tokens(tokens)),
            None => FieldPattern::WithVariables(template),
        }
    }

    /// `None` when a variable in the pattern has no value.
    fn matches(&self, text: &str, vars: &dyn VariableSource) -> Option<bool> {
        match self {
            FieldPattern::Compiled(g) => Some(g.is_match(text)),
            FieldPattern::WithVariables(t) => t
                .resolve_tokens(vars)
                .map(|tokens| Glob::from_tokens(tokens).is_match(text)),
        }
    }
}

/// A compiled ARN pattern: a `Resource` entry or an `ArnLike` value.
#[derive(Debug, Clone)]
pub struct ArnPattern {
    source: String,
    shape: PatternShape,
    /// When the first five fields are plain text (`arn:aws:s3:::`), they are compared as one
    /// prefix and only the resource part is matched as a pattern.
    literal_head: Option<(Box<str>, FieldPattern)>,
    service_case: ServiceCase,
}

#[derive(Debug, Clone)]
enum PatternShape {
    /// `*`: every resource.
    Any,
    /// Fields split at the first five colons (at most six); the last spans the rest when there
    /// are fewer than six.
    Fields(Vec<FieldPattern>),
    /// Text that is not shaped like an ARN, matched as a whole.
    Whole(FieldPattern),
}

/// How an ARN pattern compares the service field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceCase {
    /// `Resource` elements: service prefixes compare case-insensitively.
    Insensitive,
    /// `Arn*` condition operators: everything is case-sensitive.
    Sensitive,
}

impl ArnPattern {
    /// Compiles `text`; `variables` is whether the policy's Version enables policy variables.
    pub fn new(text: &str, variables: bool, service_case: ServiceCase) -> ArnPattern {
        let template = Template::parse(text, variables);
        let shape = if text == "*" {
            PatternShape::Any
        } else if text.starts_with("arn:") {
            let insensitive = service_case == ServiceCase::Insensitive;
            PatternShape::Fields(
                split_template_fields(template)
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| FieldPattern::new(f, insensitive && i == 2))
                    .collect(),
            )
        } else {
            PatternShape::Whole(FieldPattern::new(template, false))
        };
        let literal_head = match &shape {
            PatternShape::Fields(fields) if fields.len() == 6 => {
                let literals: Option<Vec<&str>> = fields[..5]
                    .iter()
                    .map(|f| match f {
                        FieldPattern::Compiled(g) => g.as_literal(),
                        FieldPattern::WithVariables(_) => None,
                    })
                    .collect();
                literals.map(|l| (format!("{}:", l.join(":")).into(), fields[5].clone()))
            }
            _ => None,
        };
        ArnPattern {
            source: text.to_string(),
            shape,
            literal_head,
            service_case,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern is `*`.
    pub fn is_any(&self) -> bool {
        matches!(self.shape, PatternShape::Any)
    }

    /// Whether `arn` matches. For `Resource` (`ServiceCase::Insensitive`) a text that is not an
    /// ARN is compared as a whole; `Arn*` operators call [`ArnPattern::matches_arn`].
    pub fn matches(&self, arn: &str, vars: &dyn VariableSource) -> bool {
        self.try_matches(arn, vars).unwrap_or(false)
    }

    /// Like [`ArnPattern::matches`], but `None` when a policy variable in the pattern has no
    /// value (such a pattern matches no resource; a `NotResource` holding one does not apply).
    pub fn try_matches(&self, arn: &str, vars: &dyn VariableSource) -> Option<bool> {
        self.try_matches_split(arn, split_arn(arn).as_ref(), vars)
    }

    /// [`ArnPattern::try_matches`] with the request's ARN already split (a request is split
    /// once, not once per pattern).
    pub fn try_matches_split(
        &self,
        arn: &str,
        fields: Option<&ArnFields<'_>>,
        vars: &dyn VariableSource,
    ) -> Option<bool> {
        if let (Some((head, tail)), Some(request)) = (&self.literal_head, fields) {
            if let Some(rest) = arn.strip_prefix(&**head) {
                return tail.matches(rest, vars);
            }
            // Only a service prefix in other letter case can still match, field by field, and
            // only where service prefixes compare without case.
            if self.service_case == ServiceCase::Sensitive
                || !request[2].bytes().any(|b| b.is_ascii_uppercase())
            {
                return Some(false);
            }
        }
        match &self.shape {
            PatternShape::Any => Some(true),
            PatternShape::Whole(p) => p.matches(arn, vars),
            PatternShape::Fields(patterns) => match fields {
                Some(request) => fields_match(patterns, request, arn, vars, self.service_case),
                None => Some(false),
            },
        }
    }

    /// `ArnLike`/`ArnEquals`: a request value that is not a six-field ARN never matches.
    pub fn matches_arn(&self, arn: &str, vars: &dyn VariableSource) -> bool {
        match split_arn(arn) {
            None => false,
            Some(request) => match &self.shape {
                PatternShape::Any => true,
                PatternShape::Whole(p) => p.matches(arn, vars).unwrap_or(false),
                PatternShape::Fields(fields) => {
                    fields_match(fields, &request, arn, vars, self.service_case).unwrap_or(false)
                }
            },
        }
    }
}

fn fields_match(
    fields: &[FieldPattern],
    request: &ArnFields<'_>,
    whole: &str,
    vars: &dyn VariableSource,
    service_case: ServiceCase,
) -> Option<bool> {
    let last = fields.len() - 1;
    for (i, field) in fields.iter().enumerate() {
        let text: std::borrow::Cow<'_, str> = if i == last && i < 5 {
            // The last field of a short pattern spans the rest of the ARN.
            let offset: usize = request[..i].iter().map(|f| f.len() + 1).sum();
            std::borrow::Cow::Borrowed(&whole[offset..])
        } else if i == 2
            && service_case == ServiceCase::Insensitive
            && request[2].bytes().any(|b| b.is_ascii_uppercase())
        {
            std::borrow::Cow::Owned(request[2].to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(request[i])
        };
        if !field.matches(&text, vars)? {
            return Some(false);
        }
    }
    Some(true)
}

/// Splits a template at the first five colons that stand in its literal text (a colon inside
/// `${aws:username}` does not split).
fn split_template_fields(template: Template) -> Vec<Template> {
    let mut fields = vec![Template { parts: vec![] }];
    for part in template.parts {
        match part {
            Part::Text(text) => {
                let mut rest = text.as_str();
                while fields.len() < 6 {
                    match rest.split_once(':') {
                        Some((head, tail)) => {
                            if !head.is_empty() {
                                push_text(fields.last_mut(), head);
                            }
                            fields.push(Template { parts: vec![] });
                            rest = tail;
                        }
                        None => break,
                    }
                }
                if !rest.is_empty() {
                    push_text(fields.last_mut(), rest);
                }
            }
            other => {
                if let Some(f) = fields.last_mut() {
                    f.parts.push(other)
                }
            }
        }
    }
    fields
}

fn push_text(field: Option<&mut Template>, text: &str) {
    if let Some(f) = field {
        f.parts.push(Part::Text(text.to_string()));
    }
}

/// Tokens of a literal text (used where a value must match itself exactly).
pub fn literal_tokens(text: &str) -> Vec<Token> {
    text.chars().map(Token::Char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoVars;
    impl VariableSource for NoVars {
        fn single_value(&self, _: &str) -> Option<&str> {
            None
        }
    }

    fn res(p: &str, arn: &str) -> bool {
        ArnPattern::new(p, true, ServiceCase::Insensitive).matches(arn, &NoVars)
    }

    #[test]
    fn resource_patterns() {
        assert!(res("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(res("arn:aws:s3:*", "arn:aws:s3:::bucket/a"));
        assert!(!res("arn:aws:s3:*", "arn:aws:sqs:us-east-1:1:q"));
        assert!(res("arn:aws:S3:::b", "arn:aws:s3:::b"));
        assert!(!res("arn:aws:s3:::B", "arn:aws:s3:::b"));
        assert!(res(
            "arn:aws:kms:*:111122223333:key/*",
            "arn:aws:kms:us-east-1:111122223333:key/abc"
        ));
        assert!(!res(
            "arn:aws:kms:*:111122223333:key/*",
            "arn:aws:kms:us-east-1:444455556666:key/abc"
        ));
    }

    #[test]
    fn arn_like_is_field_by_field() {
        // The documented example: StringLike matches, ArnLike does not.
        let p = ArnPattern::new(
            "arn:aws:someservice:*:111122223333:finance/*",
            true,
            ServiceCase::Sensitive,
        );
        assert!(!p.matches_arn(
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            &NoVars
        ));
    }

    #[test]
    fn arns_split_at_their_first_five_colons() {
        for arn in [
            "arn:aws:s3:::b/k:with:colons",
            "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:a:b:c:d:e",
            "arn:aws-us-gov:iam::123456789012:role/a:b",
        ] {
            let mut expected: Vec<&str> = arn.splitn(6, ':').collect();
            expected.resize(6, "");
            assert_eq!(split_arn(arn).map(|f| f.to_vec()), Some(expected), "{arn}");
        }
        assert_eq!(split_arn("arn:aws:s3"), None);
        assert_eq!(split_arn("not:an:arn:at:all:x"), None);
    }

    #[test]
    fn entities() {
        assert_eq!(
            IamEntity::parse("arn:aws:sts::111122223333:assumed-role/app/i-1"),
            Some(IamEntity::AssumedRole {
                account: "111122223333".into(),
                role: "app".into(),
                session: "i-1".into()
            })
        );
        assert!(IamEntity::parse("arn:aws:iam::1111:root").is_none());
    }
}
