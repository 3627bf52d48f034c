//! Condition operators: their names, their compiled values, and how one `(operator, key)`
//! pair is decided against a request context.
//!
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html ;
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::arn::{ArnPattern, ServiceCase};
use super::variables::{Template, VariableSource};
use super::wildcard::Glob;

/// The operator without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

use BaseOperator as B;

impl BaseOperator {
    /// Every operator, in the order of the IAM documentation.
    pub const ALL: [BaseOperator; 27] = [
        B::StringEquals,
        B::StringNotEquals,
        B::StringEqualsIgnoreCase,
        B::StringNotEqualsIgnoreCase,
        B::StringLike,
        B::StringNotLike,
        B::NumericEquals,
        B::NumericNotEquals,
        B::NumericLessThan,
        B::NumericLessThanEquals,
        B::NumericGreaterThan,
        B::NumericGreaterThanEquals,
        B::DateEquals,
        B::DateNotEquals,
        B::DateLessThan,
        B::DateLessThanEquals,
        B::DateGreaterThan,
        B::DateGreaterThanEquals,
        B::Bool,
        B::BinaryEquals,
        B::IpAddress,
        B::NotIpAddress,
        B::ArnEquals,
        B::ArnLike,
        B::ArnNotEquals,
        B::ArnNotLike,
        B::Null,
    ];

    pub fn name(self) -> &'static str {
        match self {
            B::StringEquals => "StringEquals",
            B::StringNotEquals => "StringNotEquals",
            B::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            B::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            B::StringLike => "StringLike",
            B::StringNotLike => "StringNotLike",
            B::NumericEquals => "NumericEquals",
            B::NumericNotEquals => "NumericNotEquals",
            B::NumericLessThan => "NumericLessThan",
            B::NumericLessThanEquals => "NumericLessThanEquals",
            B::NumericGreaterThan => "NumericGreaterThan",
            B::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            B::DateEquals => "DateEquals",
            B::DateNotEquals => "DateNotEquals",
            B::DateLessThan => "DateLessThan",
            B::DateLessThanEquals => "DateLessThanEquals",
            B::DateGreaterThan => "DateGreaterThan",
            B::DateGreaterThanEquals => "DateGreaterThanEquals",
            B::Bool => "Bool",
            B::BinaryEquals => "BinaryEquals",
            B::IpAddress => "IpAddress",
            B::NotIpAddress => "NotIpAddress",
            B::ArnEquals => "ArnEquals",
            B::ArnLike => "ArnLike",
            B::ArnNotEquals => "ArnNotEquals",
            B::ArnNotLike => "ArnNotLike",
            B::Null => "Null",
        }
    }

    /// Negated operators match when the request value matches none of the policy values, and
    /// match when the key is missing.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            B::StringNotEquals
                | B::StringNotEqualsIgnoreCase
                | B::StringNotLike
                | B::NumericNotEquals
                | B::DateNotEquals
                | B::NotIpAddress
                | B::ArnNotEquals
                | B::ArnNotLike
        )
    }

    /// Whether values of this operator may contain policy variables (decision A10: string,
    /// ARN and Bool operators).
    pub fn takes_variables(self) -> bool {
        matches!(
            self,
            B::StringEquals
                | B::StringNotEquals
                | B::StringEqualsIgnoreCase
                | B::StringNotEqualsIgnoreCase
                | B::StringLike
                | B::StringNotLike
                | B::Bool
                | B::ArnEquals
                | B::ArnLike
                | B::ArnNotEquals
                | B::ArnNotLike
        )
    }
}

/// `ForAllValues:` / `ForAnyValue:` or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// An operator with its qualifiers, e.g. `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub base: BaseOperator,
    pub set: SetQualifier,
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name as AWS spells it. Names are case-sensitive: S3 rejects a
    /// mis-cased operator ("Invalid Condition type"), so iamsim does too.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else {
            (SetQualifier::Single, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let base = BaseOperator::ALL
            .iter()
            .copied()
            .find(|b| b.name() == base_name)?;
        // `Null` takes no IfExists (the key's existence is what it tests).
        if base == B::Null && if_exists {
            return None;
        }
        Some(Operator {
            base,
            set,
            if_exists,
        })
    }

    /// The names a misspelt operator is compared with for a suggestion.
    pub fn known_names() -> Vec<String> {
        let mut names = Vec::new();
        for b in BaseOperator::ALL {
            names.push(b.name().to_string());
            if b != B::Null {
                names.push(format!("{}IfExists", b.name()));
            }
        }
        let plain = names.clone();
        for n in plain {
            names.push(format!("ForAllValues:{n}"));
            names.push(format!("ForAnyValue:{n}"));
        }
        names
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            SetQualifier::Single => {}
            SetQualifier::ForAllValues => f.write_str("ForAllValues:")?,
            SetQualifier::ForAnyValue => f.write_str("ForAnyValue:")?,
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// A string value that may hold policy variables.
#[derive(Debug, Clone)]
pub enum Text {
    Constant(String),
    Variable(Template),
}

impl Text {
    fn new(raw: &str, variables: bool) -> Text {
        let t = Template::parse(raw, variables);
        match t.constant() {
            Some(c) => Text::Constant(c),
            None => Text::Variable(t),
        }
    }

    fn resolve<'a>(&'a self, vars: &dyn VariableSource) -> Option<std::borrow::Cow<'a, str>> {
        match self {
            Text::Constant(c) => Some(std::borrow::Cow::Borrowed(c)),
            Text::Variable(t) => t.resolve(vars).map(std::borrow::Cow::Owned),
        }
    }
}

/// A `StringLike` value: compiled when constant.
#[derive(Debug, Clone)]
pub enum Pattern {
    Compiled(Glob),
    Variable(Template),
}

/// Compiled policy values of one `(operator, key)` pair.
#[derive(Debug, Clone)]
pub enum Values {
    Strings(Vec<Text>),
    Patterns(Vec<Pattern>),
    Numbers(Vec<f64>),
    /// Seconds since the epoch.
    Dates(Vec<f64>),
    Bools(Vec<Text>),
    Binary(Vec<String>),
    Cidrs(Vec<IpNet>),
    Arns(Vec<ArnPattern>),
    /// `true` = the key must be absent.
    Null(Vec<bool>),
}

/// One compiled `(operator, key, values)` test of a `Condition` block.
#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written in the policy.
    pub key: String,
    /// The key lowercased: context keys are case-insensitive.
    pub key_lower: String,
    /// [`super::keys::key_hash`] of the key, for lookups without hashing.
    pub key_hash: u64,
    /// The values as written (for explanations).
    pub raw_values: Vec<String>,
    pub values: Values,
}

/// Compiles a condition's values for its operator: patterns, numbers, dates, CIDRs, ARN
/// patterns, booleans. Each value's error is reported with its position.
fn compile_values(
    base: BaseOperator,
    raw_values: &[String],
    vars: bool,
) -> Result<Values, Vec<(usize, ValueError)>> {
    let mut errors = Vec::new();
    let values = match base {
        B::StringEquals
        | B::StringNotEquals
        | B::StringEqualsIgnoreCase
        | B::StringNotEqualsIgnoreCase => {
            let lower = matches!(
                base,
                B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase
            );
            Values::Strings(
                raw_values
                    .iter()
                    .map(|v| match Text::new(v, vars) {
                        Text::Constant(c) if lower => Text::Constant(c.to_lowercase()),
                        t => t,
                    })
                    .collect(),
            )
        }
        B::StringLike | B::StringNotLike => Values::Patterns(
            raw_values
                .iter()
                .map(|v| {
                    let t = Template::parse(v, vars);
                    match t.constant_tokens() {
                        Some(tokens) => Pattern::Compiled(Glob::from_tokens(tokens)),
                        None => Pattern::Variable(t),
                    }
                })
                .collect(),
        ),
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => Values::Numbers(collect(raw_values, &mut errors, |v| {
            parse_number(v).ok_or_else(|| format!("expected a number, found {v:?}"))
        })),
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => Values::Dates(collect(raw_values, &mut errors, |v| {
            parse_date(v).ok_or_else(|| {
                format!(
                    "expected an ISO 8601 date (2020-01-01T00:00:00Z) or epoch seconds, \
                     found {v:?}"
                )
            })
        })),
        B::Bool => Values::Bools(collect(raw_values, &mut errors, |v| {
            let t = Text::new(v, vars);
            match &t {
                Text::Constant(c) if parse_bool(c).is_none() => {
                    Err(format!("expected true or false, found {v:?}"))
                }
                _ => Ok(t),
            }
        })),
        B::BinaryEquals => Values::Binary(raw_values.to_vec()),
        B::IpAddress | B::NotIpAddress => Values::Cidrs(collect(raw_values, &mut errors, |v| {
            parse_cidr(v).ok_or_else(|| {
                format!("expected an IPv4 or IPv6 address or CIDR (203.0.113.0/24), found {v:?}")
            })
        })),
        B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => Values::Arns(
            raw_values
                .iter()
                .map(|v| ArnPattern::new(v, vars, ServiceCase::Sensitive))
                .collect(),
        ),
        B::Null => Values::Null(collect(raw_values, &mut errors, |v| {
            parse_bool(v).ok_or_else(|| format!("expected true or false, found {v:?}"))
        })),
    };
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Why a policy value could not be compiled.
pub type ValueError = String;

impl Condition {
    /// Compiles the values of one condition test. Each value's error is reported with its
    /// position in `raw_values`.
    pub fn compile(
        operator: Operator,
        key: &str,
        raw_values: Vec<String>,
        variables: bool,
    ) -> Result<Condition, Vec<(usize, ValueError)>> {
        let vars = variables && operator.base.takes_variables();
        let values = compile_values(operator.base, &raw_values, vars)?;
        Ok(Condition {
            operator,
            key: key.to_string(),
            key_lower: key.to_lowercase(),
            key_hash: super::keys::key_hash(key),
            raw_values,
            values,
        })
    }

    /// Decides this test against the request's values for the key (`None`: key missing).
    pub fn evaluate(
        &self,
        request: Option<&[std::sync::Arc<str>]>,
        vars: &dyn VariableSource,
    ) -> bool {
        let op = self.operator;
        if let Values::Null(expect_absent) = &self.values {
            let absent = request.is_none_or(|v| v.is_empty());
            return expect_absent.contains(&absent);
        }
        let values = match request {
            Some(v) if !v.is_empty() => v,
            _ => return self.when_missing(),
        };
        match op.set {
            SetQualifier::Single => {
                // Decision A9: a single-valued operator on a key carrying several values does not
                // match, whether the operator is positive or negated.
                if values.len() > 1 {
                    return false;
                }
                self.test_one(&values[0], vars)
            }
            SetQualifier::ForAllValues => {
                // An empty value is an empty set: vacuously true.
                if values.len() == 1 && values[0].is_empty() {
                    return true;
                }
                values.iter().all(|v| self.test_one(v, vars))
            }
            SetQualifier::ForAnyValue => {
                if values.len() == 1 && values[0].is_empty() {
                    return false;
                }
                values.iter().any(|v| self.test_one(v, vars))
            }
        }
    }

    /// Decision A8 and the IAM table of missing-key results.
    fn when_missing(&self) -> bool {
        let op = self.operator;
        if op.if_exists {
            return true;
        }
        match op.set {
            SetQualifier::ForAllValues => true,
            SetQualifier::ForAnyValue => false,
            SetQualifier::Single => op.base.is_negated(),
        }
    }

    /// One request value against the policy values: positive operators need one policy value
    /// to match, negated ones need none to. A request value that cannot be read as the
    /// operator's type (a number, a date, an address, a boolean) fails either way.
    fn test_one(&self, value: &str, vars: &dyn VariableSource) -> bool {
        let negated = self.operator.base.is_negated();
        match self.any_matches(value, vars) {
            Some(any) => any != negated,
            None => false,
        }
    }

    /// Whether any policy value matches `value`; `None` when `value` is not of the type.
    fn any_matches(&self, value: &str, vars: &dyn VariableSource) -> Option<bool> {
        let base = self.operator.base;
        Some(match &self.values {
            Values::Strings(texts) => {
                let ignore_case = matches!(
                    base,
                    B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase
                );
                texts.iter().any(|t| match t.resolve(vars) {
                    Some(p) if ignore_case => eq_ignore_case(&p, value),
                    Some(p) => *p == *value,
                    // A variable without a value matches nothing.
                    None => false,
                })
            }
            Values::Patterns(patterns) => patterns.iter().any(|p| match p {
                Pattern::Compiled(g) => g.is_match(value),
                Pattern::Variable(t) => t
                    .resolve_tokens(vars)
                    .is_some_and(|tokens| Glob::from_tokens(tokens).is_match(value)),
            }),
            Values::Numbers(numbers) => {
                let v = parse_number(value)?;
                numbers.iter().any(|n| compare(base, v, *n))
            }
            Values::Dates(dates) => {
                let v = parse_date(value)?;
                dates.iter().any(|d| compare(base, v, *d))
            }
            Values::Bools(texts) => {
                let v = parse_bool(value)?;
                texts.iter().any(|t| {
                    t.resolve(vars)
                        .and_then(|p| parse_bool(&p))
                        .is_some_and(|p| p == v)
                })
            }
            Values::Binary(values) => values.iter().any(|b| b == value),
            Values::Cidrs(nets) => {
                let ip: IpAddr = value.trim().parse().ok()?;
                nets.iter().any(|n| n.contains(&ip))
            }
            Values::Arns(patterns) => patterns.iter().any(|p| p.matches_arn(value, vars)),
            Values::Null(_) => false,
        })
    }
}

fn collect<T>(
    raw: &[String],
    errors: &mut Vec<(usize, ValueError)>,
    f: impl Fn(&str) -> Result<T, ValueError>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        match f(v) {
            Ok(x) => out.push(x),
            Err(e) => errors.push((i, e)),
        }
    }
    out
}

fn compare(base: BaseOperator, request: f64, policy: f64) -> bool {
    match base {
        B::NumericEquals | B::DateEquals | B::NumericNotEquals | B::DateNotEquals => {
            request == policy
        }
        B::NumericLessThan | B::DateLessThan => request < policy,
        B::NumericLessThanEquals | B::DateLessThanEquals => request <= policy,
        B::NumericGreaterThan | B::DateGreaterThan => request > policy,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}

fn eq_ignore_case(policy_lower: &str, value: &str) -> bool {
    if value.is_ascii() && policy_lower.is_ascii() {
        policy_lower.eq_ignore_ascii_case(value)
    } else {
        policy_lower == value.to_lowercase()
    }
}

/// Reads `true`/`false` in any letter case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Reads an integer or decimal number.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let valid = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if !valid {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Reads a date as AWS accepts it in `Date*` operators: the W3C profile of ISO 8601
/// (`2020-01-01`, `2020-01-01T12:00Z`, `2020-01-01T12:00:00.5+09:00`, ...) or epoch seconds.
/// Returns seconds since the epoch.
pub fn parse_date(text: &str) -> Option<f64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let t = text.trim();
    // Epoch seconds ("1700000000"); ISO dates never parse as a number.
    if let Some(n) = parse_number(t) {
        return Some(n);
    }
    let seconds = |dt: DateTime<chrono::FixedOffset>| {
        dt.timestamp() as f64 + f64::from(dt.timestamp_subsec_nanos()) / 1e9
    };
    let naive = |dt: NaiveDateTime| {
        let utc = dt.and_utc();
        utc.timestamp() as f64 + f64::from(utc.timestamp_subsec_nanos()) / 1e9
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(seconds(dt));
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, format) {
            return Some(seconds(dt));
        }
    }
    if let Some(utc) = t.strip_suffix('Z') {
        if let Ok(dt) = NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M") {
            return Some(naive(dt));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
            return Some(naive(dt));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(naive);
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(naive);
    }
    None
}

/// Reads an address (a host: /32 or /128) or a CIDR block.
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net);
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.base, B::StringLike);
        assert_eq!(op.set, SetQualifier::ForAnyValue);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("NullIfExists").is_none());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:10Z"), Some(10.0));
        assert_eq!(parse_date("1970-01-02"), Some(86400.0));
        assert_eq!(parse_date("1970-01-01T01:00+01:00"), Some(0.0));
        assert_eq!(parse_date("1700000000"), Some(1.7e9));
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(0.5));
        assert_eq!(parse_date("yesterday"), None);
    }
}
