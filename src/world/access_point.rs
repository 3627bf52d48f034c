//! S3 access points: named network endpoints of a bucket, each with its own policy, network
//! origin and Block Public Access settings. A request through an access point must be allowed
//! both for the access point (its policy, against the access point's ARN) and for the bucket
//! (its policy, against the bucket's ARN).
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-vpc.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-bpa-settings.html

use std::sync::Arc;

use super::PublicAccessBlock;
use crate::policy::arn::split_arn;
use crate::policy::model::Policy;

/// Where an access point accepts requests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkOrigin {
    Internet,
    /// Only requests from this VPC (through one of its endpoints).
    Vpc(String),
}

impl NetworkOrigin {
    /// The value of `s3:AccessPointNetworkOrigin`.
    pub fn as_str(&self) -> &'static str {
        match self {
            NetworkOrigin::Internet => "Internet",
            NetworkOrigin::Vpc(_) => "VPC",
        }
    }
}

/// An access point of a bucket.
#[derive(Debug, Clone)]
pub struct AccessPoint {
    pub name: String,
    /// The access point's owner: the bucket's account, or another for a cross-account access
    /// point.
    pub account: String,
    /// The bucket's Region.
    pub region: String,
    pub bucket: String,
    pub policy: Option<Arc<Policy>>,
    pub network_origin: NetworkOrigin,
    /// Set at creation and never changed; all on unless the creator turned some off.
    pub public_access_block: PublicAccessBlock,
    /// The bucket-style name S3 gave the access point (`...-s3alias`), when the scenario names
    /// it.
    pub alias: Option<String>,
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`.
    pub arn: String,
}

/// Why an access point cannot be declared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessPointError {
    #[error("an access point name is 3 to 50 lowercase letters, digits and hyphens, starting with a letter or digit and not ending with a hyphen; found {0:?}")]
    BadName(String),
    #[error("an access point alias ends with \"-s3alias\"; found {0:?}")]
    BadAlias(String),
    #[error("a VPC network origin needs the VPC's id (\"vpc\")")]
    VpcWithoutId,
}

/// The S3 Block Public Access settings of a new access point: all on.
pub const ACCESS_POINT_DEFAULT_BLOCK: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

impl AccessPoint {
    /// An access point named `name` on `bucket` (in `region`), owned by `account`, reachable
    /// from the internet, with every Block Public Access setting on and no policy.
    pub fn new(
        name: &str,
        account: &str,
        bucket: &str,
        region: &str,
    ) -> Result<AccessPoint, AccessPointError> {
        if !valid_name(name) {
            return Err(AccessPointError::BadName(name.to_string()));
        }
        Ok(AccessPoint {
            name: name.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            bucket: bucket.to_string(),
            policy: None,
            network_origin: NetworkOrigin::Internet,
            public_access_block: ACCESS_POINT_DEFAULT_BLOCK,
            alias: None,
            arn: format!("arn:aws:s3:{region}:{account}:accesspoint/{name}"),
        })
    }

    /// Sets the alias S3 generated for the access point.
    pub fn set_alias(&mut self, alias: &str) -> Result<(), AccessPointError> {
        if !alias.ends_with("-s3alias") || alias.len() <= "-s3alias".len() {
            return Err(AccessPointError::BadAlias(alias.to_string()));
        }
        self.alias = Some(alias.to_string());
        Ok(())
    }

    /// The resource a request through the access point names: the access point itself for
    /// bucket-level actions, `.../accesspoint/NAME/object/KEY` for an object.
    pub fn resource(&self, key: Option<&str>) -> String {
        match key {
            Some(k) => format!("{}/object/{k}", self.arn),
            None => self.arn.clone(),
        }
    }
}

/// Access point naming rules.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-restrictions-limitations-naming-rules.html
fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=50).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// An access point ARN, or an access point object ARN, split: the access point's ARN and the
/// object key, if any. `None` for any other text.
pub fn split_access_point_arn(arn: &str) -> Option<(String, Option<&str>)> {
    let [_, partition, "s3", region, account, rest] = split_arn(arn)? else {
        return None;
    };
    let name_and_more = rest.strip_prefix("accesspoint/")?;
    let (name, key) = match name_and_more.split_once('/') {
        Some((name, more)) => (name, Some(more.strip_prefix("object/")?)),
        None => (name_and_more, None),
    };
    if name.is_empty() || region.is_empty() || account.is_empty() {
        return None;
    }
    Some((
        format!("arn:{partition}:s3:{region}:{account}:accesspoint/{name}"),
        key,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_point_arns_split_into_the_access_point_and_the_key() {
        let ap = "arn:aws:s3:us-west-2:111122223333:accesspoint/ap";
        assert_eq!(split_access_point_arn(ap), Some((ap.to_string(), None)));
        assert_eq!(
            split_access_point_arn(&format!("{ap}/object/Jane/x.txt")),
            Some((ap.to_string(), Some("Jane/x.txt")))
        );
        assert_eq!(split_access_point_arn("arn:aws:s3:::bucket/key"), None);
        assert_eq!(split_access_point_arn(&format!("{ap}/other/x")), None);
        assert!(AccessPoint::new("Bad_Name", "111122223333", "b", "us-west-2").is_err());
        assert!(AccessPoint::new("ok-name", "111122223333", "b", "us-west-2").is_ok());
    }
}
