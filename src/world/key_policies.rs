//! Key policies a KMS key has without the user writing one.

use crate::json::{JsonPath, Node, SourceText};
use crate::policy::{parse_policy, Policy, PolicyType};

/// The policy KMS gives a key created through the API without one: the account may delegate
/// every KMS action to its IAM policies.
/// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
pub fn default_key_policy(name: &str, account: &str) -> Policy {
    build(
        name,
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [{
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*"
            }]
        }),
    )
}

/// The fixed policy of the AWS managed key `aws/s3` (`auto-s3-2`, as `GetKeyPolicy` returns it):
/// usable by every principal of the owning account through S3 in the key's Region, and by no
/// one else. https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
pub fn aws_managed_s3_key_policy(name: &str, account: &str, region: &str) -> Policy {
    build(
        name,
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": "auto-s3-2",
            "Statement": [
                {
                    "Sid": "Allow access through S3 for all principals in the account that are authorized to use S3",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": format!("s3.{region}.amazonaws.com")
                    }}
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                    "Resource": "*"
                }
            ]
        }),
    )
}

fn build(name: &str, document: serde_json::Value) -> Policy {
    let node = Node::from_serde(&document);
    let source = SourceText::new(name, document.to_string());
    let mut diags = Vec::new();
    match parse_policy(
        &node,
        PolicyType::Key,
        name,
        &JsonPath::root(),
        &source,
        &mut diags,
    ) {
        Some(p) => p,
        // The documents above are fixed and valid; an account id that is not 12 digits is
        // rejected before these are built.
        None => Policy::new(
            name,
            PolicyType::Key,
            crate::policy::Version::V2012_10_17,
            None,
            Vec::new(),
        ),
    }
}
