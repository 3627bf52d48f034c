//! The messages AWS prints for a denial, in AWS's own words.
//!
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html#access-denied-message-examples ;
//! decisions A6 and A12; the CloudTrail records of the KMS-permissions experiment
//! (scenarios/kms-permissions-for-upload-and-download.json).

use crate::engine::{Caller, Decision, Outcome};
use crate::policy::PolicyType;

/// KMS's text for a refused `Decrypt` (and for a ciphertext whose key is unknown), as S3 relays
/// it to the client.
pub const KMS_DECRYPT_DENIED: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/// `User: <caller> is not authorized to perform: <action> on resource: <arn> <why>`.
/// S3 quotes the resource ARN; KMS and IAM do not. A request without a resource (`*`) has no
/// resource clause.
pub fn denial_message(
    caller: &Caller,
    action: &str,
    resource: &str,
    decision: &Decision,
) -> Option<String> {
    let why = match (decision.outcome, decision.denied_by) {
        (Outcome::Allowed, _) => return None,
        (Outcome::ExplicitDeny, Some(PolicyType::Trust)) => {
            "with an explicit deny in the role trust policy".to_string()
        }
        (Outcome::ExplicitDeny, t) => format!(
            "with an explicit deny in {}",
            with_article(t.unwrap_or(PolicyType::Resource).aws_name())
        ),
        // AWS words an SCP allow-list failure as an explicit SCP deny.
        (Outcome::ImplicitDeny, Some(PolicyType::Scp)) => {
            "with an explicit deny in a service control policy".to_string()
        }
        (Outcome::ImplicitDeny, t) => format!(
            "because no {} allows the {action} action",
            t.unwrap_or(PolicyType::Identity).aws_name()
        ),
    };
    let service = action.split(':').next().unwrap_or("");
    let on = if resource == "*" {
        String::new()
    } else if service.eq_ignore_ascii_case("s3") {
        format!(" on resource: \"{resource}\"")
    } else {
        format!(" on resource: {resource}")
    };
    Some(format!(
        "User: {} is not authorized to perform: {action}{on} {why}",
        caller.display_arn()
    ))
}

fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}
