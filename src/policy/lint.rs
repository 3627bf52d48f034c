//! Warnings about policies that are valid but probably do not mean what their author meant.
//! Warnings never change a decision; they are printed beside the results.

use super::condition::{BaseOperator, SetQualifier};
use super::model::{Effect, Policy, PolicyType};

/// Condition keys whose requests can carry several values.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
const MULTI_VALUED_KEYS: [&str; 11] = [
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalorgpaths",
    "aws:resourceorgpaths",
    "aws:sourceorgpaths",
    "aws:principalservicenameslist",
    "kms:encryptioncontextkeys",
    "kms:grantoperations",
    "kms:resourcealiases",
    "s3:requestobjecttagkeys",
    "aws:vpceorgpaths",
];

/// One warning about a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The statement's 0-based index.
    pub statement: usize,
    /// 1-based line of the statement, when known.
    pub line: Option<usize>,
    pub message: String,
}

/// The warnings for a policy, in statement order.
pub fn warnings(policy: &Policy) -> Vec<Warning> {
    let mut out = Vec::new();
    for s in &policy.statements {
        let mut warn = |message: String| {
            out.push(Warning {
                statement: s.index,
                line: s.line,
                message,
            })
        };
        if policy.policy_type == PolicyType::Key && s.resource.is_none() {
            // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
            warn("a key-policy statement without Resource applies to nothing (use \"Resource\": \"*\")".to_string());
        }
        for c in &s.conditions {
            let multi = MULTI_VALUED_KEYS.contains(&c.key_lower.as_str());
            if multi
                && c.operator.set == SetQualifier::Single
                && c.operator.base != BaseOperator::Null
            {
                // Decision A9.
                warn(format!(
                    "{} is multi-valued, but {} is a single-valued operator: it never matches a request that carries several values; use ForAnyValue: or ForAllValues:",
                    c.key, c.operator
                ));
            }
            if s.effect == Effect::Allow
                && c.operator.set == SetQualifier::ForAllValues
                && c.key_lower.starts_with("kms:encryptioncontext:")
            {
                // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
                warn(format!(
                    "ForAllValues with {} in an Allow also allows requests without that encryption-context pair; KMS rejects such key policies (OverlyPermissiveCondition)",
                    c.key
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::SourceText;
    use crate::policy::parse_policy_text;

    #[test]
    fn single_valued_operators_on_multi_valued_keys_are_flagged() {
        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:RequestObjectTagKeys":"team"}}},
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":"team"}}}]}"#;
        let p = parse_policy_text(&SourceText::new("p", text), PolicyType::Identity, "p").unwrap();
        let w = warnings(&p);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].statement, 0);
        assert!(w[0].message.contains("multi-valued"));
    }
}
