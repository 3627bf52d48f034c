//! Whether a bucket policy is "public" in Block Public Access's sense.
//!
//! S3 starts from "public" and calls a policy non-public only if every Allow statement grants
//! access to fixed values of a principal or of one of a documented list of condition keys
//! (decision A14 adds a fixed `aws:PrincipalArn`). A single public statement makes the whole
//! policy public. https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status

use crate::policy::condition::{BaseOperator, Condition, SetQualifier, Values};
use crate::policy::model::{Effect, Policy, PrincipalEntry, Statement};

/// Condition keys whose fixed values make a statement non-public.
const LIMITING_KEYS: [&str; 12] = [
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "aws:principalorgid",
    // Decision A14.
    "aws:principalarn",
];

/// The first statement that makes the policy public, if any.
pub fn public_statement(policy: &Policy) -> Option<&Statement> {
    policy
        .statements
        .iter()
        .find(|s| s.effect == Effect::Allow && is_public(s))
}

fn is_public(s: &Statement) -> bool {
    let fixed_principal = s
        .principal
        .as_ref()
        .is_some_and(|p| !p.negated && p.entries.iter().all(|e| *e != PrincipalEntry::Everyone));
    if fixed_principal {
        return false;
    }
    !s.conditions.iter().any(limits)
}

/// Whether one condition pins the statement to fixed values of a limiting key.
fn limits(c: &Condition) -> bool {
    if c.operator.if_exists || c.operator.set == SetQualifier::ForAllValues {
        return false;
    }
    if !LIMITING_KEYS.contains(&c.key_lower.as_str()) {
        return false;
    }
    let fixed_text = |v: &str| !v.contains(['*', '?']) && !v.contains("${");
    match (c.operator.base, &c.values) {
        (BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase, _) => {
            c.raw_values.iter().all(|v| !v.contains("${"))
        }
        // ArnEquals matches wildcards just as ArnLike does.
        (BaseOperator::StringLike | BaseOperator::ArnLike | BaseOperator::ArnEquals, _) => {
            if c.key_lower == "aws:userid" {
                // `AROLEID:*` names every session of one role: still fixed.
                c.raw_values
                    .iter()
                    .all(|v| v.strip_suffix(":*").is_some_and(fixed_text) || fixed_text(v))
            } else if c.key_lower == "s3:dataaccesspointarn" {
                // A wildcard for the access point name is tolerated when the account is fixed.
                c.raw_values.iter().all(|v| {
                    v.split(':')
                        .nth(4)
                        .is_some_and(|a| a.len() == 12 && fixed_text(a))
                })
            } else {
                c.raw_values.iter().all(|v| fixed_text(v))
            }
        }
        (BaseOperator::IpAddress, Values::Cidrs(nets)) => nets.iter().all(|n| match n {
            // Ranges broader than /8 (IPv4) or /32 (IPv6) count as public.
            ipnet::IpNet::V4(n) => n.prefix_len() >= 8,
            ipnet::IpNet::V6(n) => n.prefix_len() >= 32,
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::SourceText;
    use crate::policy::{parse_policy_text, PolicyType};

    fn policy(statements: &str) -> Policy {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        parse_policy_text(&SourceText::new("p", text), PolicyType::Bucket, "p").unwrap()
    }

    #[test]
    fn everyone_without_conditions_is_public() {
        let p = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        assert!(public_statement(&p).is_some());
    }

    #[test]
    fn fixed_principal_arn_condition_is_not_public() {
        // The cross-account replication bucket policy, accepted with BlockPublicPolicy on (A14).
        let p = policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/replication"}}}"#,
        );
        assert!(public_statement(&p).is_none());
        let p = policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/replication"}}}"#,
        );
        assert!(public_statement(&p).is_some());
    }

    #[test]
    fn broad_source_ip_is_public_and_denies_never_are() {
        let p = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}}"#,
        );
        assert!(public_statement(&p).is_some());
        let p = policy(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
        );
        assert!(public_statement(&p).is_none());
    }
}
