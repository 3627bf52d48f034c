//! Whether a condition pins a statement to fixed values of a key that limits who it reaches:
//! the rule S3's Block Public Access applies to bucket policies
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status),
//! which the lint of an Allow to `"*"` applies with more keys. Each caller brings its own keys.

use super::condition::{BaseOperator, Condition, SetQualifier, Values};

/// Which keys limit, and which of them hold ARNs whose account alone fixes them.
#[derive(Debug, Clone, Copy)]
pub struct LimitingKeys<'a> {
    /// Lowercased condition keys whose fixed values limit a statement.
    pub keys: &'a [&'a str],
    /// Of those, the ARN-valued keys where a wildcard after a fixed account (`arn:aws:s3:
    /// us-east-1:111122223333:accesspoint/*`) still names that account only.
    pub account_arns: &'a [&'a str],
}

impl LimitingKeys<'_> {
    /// Whether `c` pins its statement to fixed values of one of these keys: not `IfExists`,
    /// not `ForAllValues`, a positive operator, no wildcard or policy variable (but an
    /// `aws:userid` of `AROLEID:*` still names one role, an ARN with a fixed account one
    /// account, an organization path with a fixed `o-` id one organization); a CIDR must be /8
    /// or narrower for IPv4, /32 or narrower for IPv6.
    pub fn limit(&self, c: &Condition) -> bool {
        if c.operator.if_exists || c.operator.set == SetQualifier::ForAllValues {
            return false;
        }
        let key = c.key_lower.as_str();
        if !self.keys.contains(&key) {
            return false;
        }
        let fixed_text = |v: &str| !v.contains(['*', '?']) && !v.contains("${");
        match (c.operator.base, &c.values) {
            (BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase, _) => {
                c.raw_values.iter().all(|v| !v.contains("${"))
            }
            // ArnEquals matches wildcards just as ArnLike does.
            (BaseOperator::StringLike | BaseOperator::ArnLike | BaseOperator::ArnEquals, _) => {
                if key == "aws:userid" {
                    // `AROLEID:*` names every session of one role: still fixed.
                    c.raw_values
                        .iter()
                        .all(|v| v.strip_suffix(":*").is_some_and(fixed_text) || fixed_text(v))
                } else if self.account_arns.contains(&key) {
                    c.raw_values.iter().all(|v| {
                        fixed_text(v)
                            || v.split(':')
                                .nth(4)
                                .is_some_and(|a| a.len() == 12 && fixed_text(a))
                    })
                } else if key.ends_with("orgpaths") {
                    // `o-a1b2c3d4e5/*`: one organization.
                    c.raw_values.iter().all(|v| {
                        v.split('/')
                            .next()
                            .is_some_and(|o| o.starts_with("o-") && fixed_text(o))
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
}
