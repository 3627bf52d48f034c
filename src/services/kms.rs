//! What S3 asks of KMS: which key a reference names, and the KMS authorization S3 makes with
//! the caller's credentials.
//!
//! Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html ;
//! https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service ;
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html

use super::env::Env;
use super::error::{ClientError, ErrorCode};
use super::messages::KMS_DECRYPT_DENIED;
use super::outcome::{Step, StepKind, StepOutcome};
use super::step::{authorize_on, rejected, AuthStep};
use crate::engine::Caller;
use crate::policy::arn::split_arn;
use crate::policy::keys::KnownKey;
use crate::world::{BaseRequest, Key, KeyState, ResourceSide, World};

/// Keys S3's own request to KMS cannot carry: it comes from S3's network, not the client's.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
const NETWORK_KEYS: [&str; 4] = [
    "aws:SourceIp",
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:VpcSourceIp",
];

/// Resolves a key reference (id, key ARN, alias name, alias ARN) as S3 does: ids and alias
/// names in the requester's account, in the bucket's Region (Part B 5.5, decision A1).
pub fn resolve(
    world: &World,
    reference: &str,
    requester: &str,
    bucket_region: &str,
) -> Result<std::sync::Arc<str>, ClientError> {
    let reference = match reference {
        // The short form S3 consoles and CLIs accept for the AWS managed key.
        "aws/s3" => "alias/aws/s3",
        other => other,
    };
    if let Some([_, _, _, region, _, _]) = crate::policy::arn::split_arn(reference) {
        if !region.is_empty() && region != bucket_region {
            // Observed: S3 answers KMS.NotFoundException "Invalid arn <region>" for a key in
            // another Region than the bucket (aws/aws-cli#1517).
            return Err(ClientError::new(
                ErrorCode::KmsNotFound,
                format!("Invalid arn {region}"),
            ));
        }
    }
    match world.resolve_key(reference, requester, bucket_region) {
        Some(k) => Ok(k.arn.clone()),
        None => Err(ClientError::new(
            ErrorCode::KmsNotFound,
            format!(
                "Invalid keyId {}",
                reference.strip_prefix("alias/").unwrap_or(reference)
            ),
        )),
    }
}

/// The error KMS gives for a key that cannot be used in its state.
pub fn state_error(key: &Key) -> Option<ClientError> {
    match key.state {
        KeyState::Enabled => None,
        KeyState::Disabled => Some(ClientError::new(
            ErrorCode::KmsDisabled,
            format!("{} is disabled.", key.arn),
        )),
        KeyState::PendingDeletion => Some(ClientError::new(
            ErrorCode::KmsInvalidState,
            format!("{} is pending deletion.", key.arn),
        )),
    }
}

/// The KMS operations S3 performs for a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GenerateDataKey,
    Decrypt,
    Encrypt,
}

impl Operation {
    pub fn action(self) -> &'static str {
        match self {
            Operation::GenerateDataKey => "kms:GenerateDataKey",
            Operation::Decrypt => "kms:Decrypt",
            Operation::Encrypt => "kms:Encrypt",
        }
    }

    fn step_kind(self) -> StepKind {
        match self {
            Operation::GenerateDataKey => StepKind::KmsDataKey,
            Operation::Decrypt => StepKind::KmsDecrypt,
            Operation::Encrypt => StepKind::KmsEncrypt,
        }
    }
}

/// One KMS request S3 makes for a caller.
pub struct KmsRequest<'a> {
    pub caller: &'a Caller,
    pub operation: Operation,
    pub key_arn: &'a str,
    /// The bucket's Region: `kms:ViaService` is `s3.<region>.amazonaws.com`.
    pub region: &'a str,
    /// `aws:s3:arn` of the encryption context: the object ARN, or the bucket ARN with a Bucket Key.
    pub context_arn: &'a std::sync::Arc<str>,
    /// Further encryption-context pairs from `x-amz-server-side-encryption-context`.
    pub extra_context: &'a [(String, String)],
    /// Built only when explaining.
    pub title: &'a dyn Fn() -> String,
}

/// Authorizes one KMS request made by S3 on the caller's behalf. The request's own context
/// values apply too, except the network keys, which S3's request does not carry. A key KMS
/// does not have is refused before any policy is read; a key in the wrong state after.
pub fn request(world: &World, env: &mut Env<'_>, request: KmsRequest<'_>) -> Step {
    let action = request.operation.action();
    let Some(key) = world.key(request.key_arn) else {
        // KMS's own answers for a key it does not have: Decrypt keeps its generic text.
        let error = if request.operation == Operation::Decrypt {
            ClientError::new(ErrorCode::AccessDenied, KMS_DECRYPT_DENIED)
        } else {
            ClientError::new(
                ErrorCode::KmsNotFound,
                format!("Key '{}' does not exist", request.key_arn),
            )
        };
        let title = env.text(request.title);
        return rejected(
            request.operation.step_kind(),
            title,
            action,
            request.key_arn,
            request.caller,
            error,
        );
    };
    let key_account = Some(key.account.as_str());
    let mut ctx = env.base_context(
        world,
        &BaseRequest {
            caller: request.caller,
            action,
            resource: request.key_arn,
            resource_account: key_account,
            endpoint: None,
            via_s3: Some(request.region),
            region: Some(&key.region),
        },
    );
    const OBJECT_ARN: KnownKey = KnownKey::new("kms:EncryptionContext:aws:s3:arn");
    ctx.set_known_shared(OBJECT_ARN, request.context_arn.clone());
    if !request.extra_context.is_empty() {
        let mut keys = vec!["aws:s3:arn".to_string()];
        for (k, v) in request.extra_context {
            ctx.set(format!("kms:EncryptionContext:{k}"), v.as_str());
            keys.push(k.clone());
        }
        ctx.set_multi("kms:EncryptionContextKeys", keys);
    }
    // The network keys are never set here: S3's own request to KMS carries none, so the
    // request's values for them do not apply.
    ctx.apply_except(env.options.context, &NETWORK_KEYS);
    let notes = env.list(|| {
        format!(
            "S3 calls KMS with the caller's credentials: kms:ViaService = s3.{}.amazonaws.com, kms:CallerAccount = {}, encryption context aws:s3:arn = {}",
            request.region,
            request.caller.account.as_deref().unwrap_or("-"),
            request.context_arn
        )
    });
    let session_policy = env.options.session_policy;
    // The key is found already: its resource side is its own, without a second lookup.
    let mut step = authorize_on(
        world,
        env,
        AuthStep {
            kind: request.operation.step_kind(),
            title: request.title,
            caller: request.caller,
            action: action.into(),
            // The key's own ARN, shared: the world keys its keys by it.
            resource: &key.arn,
            resource_account: key_account,
            context: ctx,
            session_policy,
            endpoint: None,
            notes,
        },
        ResourceSide::of_key(key),
        split_arn(&key.arn),
    );
    if let (StepOutcome::Allowed { by }, Some(error)) = (&step.outcome, state_error(key)) {
        step.outcome = StepOutcome::Unavailable {
            allowed_by: by.clone(),
            error,
        };
    }
    step
}
