//! How AWS words a denial: the record behind it ("User: ... is not authorized to perform ...")
//! and what each service tells its client. This is AWS behaviour, so it lives with the
//! services; reports only print it.
//!
//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html#access-denied-message-examples ;
//! decisions A6 and A12; the CloudTrail records of the KMS-permissions experiment
//! (scenarios/kms/kms-permissions-for-upload-and-download.json).

use super::error::{ClientError, ErrorCode};
use crate::engine::{Caller, Denial};
use crate::policy::PolicyType;
use crate::world::World;

/// KMS's text for a refused `Decrypt` (and for a ciphertext whose key is unknown), as S3 relays
/// it to the client.
pub const KMS_DECRYPT_DENIED: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/// `User: <caller> is not authorized to perform: <action> on resource: <arn> <why>`.
/// S3 quotes the resource ARN; KMS and IAM do not. A request without a resource (`*`) has no
/// resource clause.
pub fn denial_message(caller: &Caller, action: &str, resource: &str, denial: &Denial) -> String {
    // Every denied check carries this record: it is assembled piece by piece rather than
    // through `format!`, which costs several times as much for the same text.
    let caller_arn = caller.display_arn();
    let mut message =
        String::with_capacity(96 + caller_arn.len() + 2 * action.len() + resource.len());
    message.push_str("User: ");
    message.push_str(&caller_arn);
    message.push_str(" is not authorized to perform: ");
    message.push_str(action);
    if resource != "*" {
        let service = crate::policy::arn::before(action, b':');
        let quoted = service.eq_ignore_ascii_case("s3");
        message.push_str(" on resource: ");
        if quoted {
            message.push('"');
        }
        message.push_str(resource);
        if quoted {
            message.push('"');
        }
    }
    message.push(' ');
    match denial {
        Denial::Explicit {
            layer: PolicyType::Trust,
            ..
        } => message.push_str("with an explicit deny in the role trust policy"),
        Denial::Explicit { layer, .. } => {
            message.push_str("with an explicit deny in ");
            push_with_article(&mut message, layer.aws_name());
        }
        // An SCP level that allows nothing for the action is an implicit deny, and AWS's
        // current troubleshooting pages word it as one: "because no service control policy
        // allows the <action> action" (an older version of the IAM page said such a message
        // could read as an explicit deny; the current IAM and S3 pages give both forms).
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html ;
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html#access-denied-message-examples
        Denial::Implicit { missing } => {
            message.push_str("because no ");
            message.push_str(missing.aws_name());
            message.push_str(" allows the ");
            message.push_str(action);
            message.push_str(" action");
        }
    }
    message
}

/// Appends `name` with its indefinite article ("a service control policy", "an identity-based
/// policy").
fn push_with_article(text: &mut String, name: &str) {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    text.push_str(if vowel { "an " } else { "a " });
    text.push_str(name);
}

/// S3's `AccessDenied`: the detailed message goes only to callers in the bucket owner's
/// account or organization; everyone else reads "Access Denied".
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
pub fn s3_access_denied(
    world: &World,
    caller: &Caller,
    bucket_account: Option<&str>,
    detailed: &str,
) -> ClientError {
    let same_account = caller.account.is_some() && caller.account.as_deref() == bucket_account;
    let same_org = match (&world.organization, &caller.account, bucket_account) {
        (Some(org), Some(a), Some(b)) => {
            let member = |x: &str| org.accounts.contains_key(x);
            member(a) && member(b)
        }
        _ => false,
    };
    if caller.is_iam_principal() && (same_account || same_org) {
        ClientError::new(ErrorCode::AccessDenied, detailed)
    } else {
        ClientError::access_denied()
    }
}

/// What a client calling the action itself receives for a refused authorization.
pub fn direct_call_denied(
    world: &World,
    caller: &Caller,
    action: &str,
    resource_account: Option<&str>,
    message: &str,
) -> ClientError {
    let service = crate::policy::arn::before(action, b':');
    if service.eq_ignore_ascii_case("s3") {
        s3_access_denied(world, caller, resource_account, message)
    } else if action.eq_ignore_ascii_case("kms:Decrypt") {
        ClientError::new(ErrorCode::AccessDeniedException, KMS_DECRYPT_DENIED)
    } else if service.eq_ignore_ascii_case("kms") {
        ClientError::new(ErrorCode::AccessDeniedException, message)
    } else {
        ClientError::new(ErrorCode::AccessDenied, message)
    }
}

/// Where the fix of a denial belongs, in plain words, when AWS's wording points elsewhere: a
/// same-account KMS request that AWS words "no resource-based policy allows" (decision A6)
/// although the key policy delegates to the account, so that an IAM policy is what is missing.
pub fn where_the_fix_belongs(
    world: &World,
    caller: Option<&Caller>,
    outcome: &super::CallOutcome,
) -> Option<String> {
    let step = outcome.failed_step()?;
    let Some(Denial::Implicit {
        missing: PolicyType::Key,
    }) = step.outcome.denial()
    else {
        return None;
    };
    let key = world.key(&step.resource)?;
    if caller?.account.as_deref() != Some(key.account.as_str()) {
        return None;
    }
    // A statement that names the account, covers the action and sets no condition: with it,
    // an IAM Allow is all the request lacks.
    let name = step
        .action
        .split_once(':')
        .map_or("", |(_, n)| n)
        .to_ascii_lowercase();
    let delegates = key.policy.statements.iter().any(|s| {
        s.effect == crate::policy::Effect::Allow
            && s.conditions.is_empty()
            && s.action.matches("kms", &name)
            && s.principal.as_ref().is_some_and(|p| {
                p.entries.iter().any(|e| {
                    matches!(e, crate::policy::model::PrincipalEntry::Account(a) if *a == key.account)
                })
            })
    });
    delegates.then(|| {
        format!(
            "the key policy delegates to account {}: the fix belongs in the caller's IAM policy ({} on the key), although AWS's message names the resource-based policy",
            key.account, step.action
        )
    })
}
