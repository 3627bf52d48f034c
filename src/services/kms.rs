//! What S3 asks of KMS: which key encrypts an object, and the KMS authorization S3 makes with
//! the caller's credentials.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html ;
//! https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html

use crate::engine::Caller;
use crate::scenario::run::{apply_overrides_except, authorize_step, rejection, StepInput};
use crate::scenario::{Check, ClientError, StepResult};
use crate::world::key_policies::aws_managed_s3_key_policy;
use crate::world::{Key, KeyManager, KeyState, World};

/// Keys S3's own request to KMS cannot carry: it comes from S3's network, not the client's.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
const NETWORK_KEYS: [&str; 4] = [
    "aws:SourceIp",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:VpcSourceIp",
];

/// The KMS key that will encrypt (or decrypted) an object, with why.
#[derive(Debug, Clone)]
pub struct ChosenKey {
    pub arn: String,
    pub bucket_key: bool,
    pub why: String,
}

/// The key placeholder id of an AWS managed `aws/s3` key the scenario did not declare.
pub const IMPLICIT_AWS_S3_KEY_ID: &str = "aws-s3-managed-key";

/// The ARN of the account's `aws/s3` key in `region` (declared, or created by [`aws_s3_key`]);
/// the placeholder ARN when neither happened.
pub fn aws_s3_key_arn(account: &str, region: &str, world: &World) -> String {
    world
        .keys
        .iter()
        .find(|k| {
            k.account == account
                && k.region == region
                && k.manager == KeyManager::Aws
                && k.aliases.iter().any(|a| a == "alias/aws/s3")
        })
        .map(|k| k.arn.clone())
        .unwrap_or_else(|| format!("arn:aws:kms:{region}:{account}:key/{IMPLICIT_AWS_S3_KEY_ID}"))
}

/// Returns the ARN of the account's `aws/s3` key in `region`, creating it in the working world
/// when the scenario did not declare it (AWS creates it on first use).
pub fn aws_s3_key(world: &mut World, account: &str, region: &str) -> String {
    if let Some(k) = world.keys.iter().find(|k| {
        k.account == account
            && k.region == region
            && k.manager == KeyManager::Aws
            && k.aliases.iter().any(|a| a == "alias/aws/s3")
    }) {
        return k.arn.clone();
    }
    let arn = format!("arn:aws:kms:{region}:{account}:key/{IMPLICIT_AWS_S3_KEY_ID}");
    let name = format!("key policy of {arn}");
    world.keys.push(Key {
        arn: arn.clone(),
        id: IMPLICIT_AWS_S3_KEY_ID.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        aliases: vec!["alias/aws/s3".to_string()],
        manager: KeyManager::Aws,
        state: KeyState::Enabled,
        policy: std::sync::Arc::new(aws_managed_s3_key_policy(&name, account, region)),
        default_policy: true,
        grants: Vec::new(),
    });
    arn
}

/// Resolves a key reference (id, key ARN, alias name, alias ARN) as S3 does: ids and alias
/// names in the requester's account, in the bucket's Region (Part B 5.5, decision A1).
pub fn resolve(
    world: &World,
    reference: &str,
    requester: &str,
    bucket_region: &str,
) -> Result<String, ClientError> {
    let reference = match reference {
        // The short form S3 consoles and CLIs accept for the AWS managed key.
        "aws/s3" => "alias/aws/s3",
        other => other,
    };
    if let Some([_, _, _, region, _, _]) = crate::policy::arn::split_arn(reference) {
        if !region.is_empty() && region != bucket_region {
            // Observed: S3 answers KMS.NotFoundException "Invalid arn <region>" for a key in
            // another Region than the bucket (aws/aws-cli#1517).
            return Err(ClientError {
                code: "KMS.NotFoundException".to_string(),
                message: format!("Invalid arn {region}"),
            });
        }
    }
    match world.resolve_key(reference, requester, bucket_region) {
        Some(k) => Ok(k.arn.clone()),
        None => Err(ClientError {
            code: "KMS.NotFoundException".to_string(),
            message: format!(
                "Invalid keyId {}",
                reference.strip_prefix("alias/").unwrap_or(reference)
            ),
        }),
    }
}

/// The error KMS gives for a key that cannot be used in its state.
pub fn state_error(key: &Key) -> Option<ClientError> {
    match key.state {
        KeyState::Enabled => None,
        KeyState::Disabled => Some(ClientError {
            code: "KMS.DisabledException".to_string(),
            message: format!("{} is disabled.", key.arn),
        }),
        KeyState::PendingDeletion => Some(ClientError {
            code: "KMS.KMSInvalidStateException".to_string(),
            message: format!("{} is pending deletion.", key.arn),
        }),
    }
}

/// One KMS request S3 makes for a caller.
pub struct KmsRequest<'a> {
    pub caller: &'a Caller,
    /// `GenerateDataKey`, `Decrypt` or `Encrypt`.
    pub operation: &'a str,
    pub key_arn: &'a str,
    /// The bucket's Region: `kms:ViaService` is `s3.<region>.amazonaws.com`.
    pub region: &'a str,
    /// `aws:s3:arn` of the encryption context: the object ARN, or the bucket ARN with a Bucket Key.
    pub context_arn: &'a str,
    /// Further encryption-context pairs from `x-amz-server-side-encryption-context`.
    pub extra_context: &'a [(String, String)],
    /// Built only when explaining.
    pub title: &'a dyn Fn() -> String,
}

/// Authorizes one KMS request made by S3 on the caller's behalf. The check's own context values
/// apply too, except the network keys, which S3's request does not carry.
pub fn kms_step(world: &World, check: &Check, request: KmsRequest<'_>, trace: bool) -> StepResult {
    let action = match request.operation {
        "GenerateDataKey" => "kms:GenerateDataKey".into(),
        "Decrypt" => "kms:Decrypt".into(),
        "Encrypt" => "kms:Encrypt".into(),
        other => std::borrow::Cow::Owned(format!("kms:{other}")),
    };
    let Some(key) = world.key(request.key_arn) else {
        // KMS's own answers for a key it does not have: Decrypt keeps its generic text.
        let error = if request.operation == "Decrypt" {
            ClientError {
                code: "AccessDenied".to_string(),
                message: crate::report::messages::KMS_DECRYPT_DENIED.to_string(),
            }
        } else {
            ClientError {
                code: "KMS.NotFoundException".to_string(),
                message: format!("Key '{}' does not exist", request.key_arn),
            }
        };
        let title = if trace {
            (request.title)()
        } else {
            String::new()
        };
        return rejection(&title, &action, request.key_arn, request.caller, error);
    };
    let key_account = Some(key.account.as_str());
    let mut ctx = world.cached_base_context(
        request.caller,
        &action,
        request.key_arn,
        key_account,
        None,
        Some(request.region),
    );
    ctx.set("kms:EncryptionContext:aws:s3:arn", request.context_arn);
    if !request.extra_context.is_empty() {
        let mut keys = vec!["aws:s3:arn".to_string()];
        for (k, v) in request.extra_context {
            ctx.set(format!("kms:EncryptionContext:{k}"), v.as_str());
            keys.push(k.clone());
        }
        ctx.set_multi("kms:EncryptionContextKeys", keys);
    }
    // The network keys are never set here: S3's own request to KMS carries none, so the
    // check's values for them do not apply.
    apply_overrides_except(&mut ctx, &check.context, &NETWORK_KEYS);
    let notes = if !trace {
        Vec::new()
    } else {
        vec![format!(
        "S3 calls KMS with the caller's credentials: kms:ViaService = s3.{}.amazonaws.com, kms:CallerAccount = {}, encryption context aws:s3:arn = {}",
        request.region,
        request.caller.account.as_deref().unwrap_or("-"),
        request.context_arn
    )]
    };
    let mut step = authorize_step(
        world,
        StepInput {
            title: request.title,
            caller: request.caller,
            action: &action,
            resource: request.key_arn,
            resource_account: key_account,
            context: ctx,
            session_policy: check.session_policy.as_deref(),
            endpoint: None,
            notes,
        },
        trace,
    );
    if step.allowed {
        step.error = state_error(key);
    }
    step
}
