//! Whether a bucket policy is "public" in Block Public Access's sense.
//!
//! S3 starts from "public" and calls a policy non-public only if every Allow statement grants
//! access to fixed values of a principal or of one of a documented list of condition keys
//! (decision A14 adds a fixed `aws:PrincipalArn`). A single public statement makes the whole
//! policy public. https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status

use crate::policy::limiting::LimitingKeys;
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

/// The keys, and the one whose value may hold a wildcard after a fixed account (the access
/// point's name).
const BPA_KEYS: LimitingKeys<'static> = LimitingKeys {
    keys: &LIMITING_KEYS,
    account_arns: &["s3:dataaccesspointarn"],
};

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
    !s.conditions.iter().any(|c| BPA_KEYS.limit(c))
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

    #[test]
    fn only_the_access_point_arn_keeps_a_wildcard_after_a_fixed_account() {
        // Fixed values contain no wildcard; the access point's name is the one exception
        // this model keeps (the lint of an Allow to "*" accepts more, see policy::lint).
        let p = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:*"}}}"#,
        );
        assert!(public_statement(&p).is_some());
        let p = policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
            "Condition":{"ArnLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/*"}}}"#,
        );
        assert!(public_statement(&p).is_none());
    }
}
