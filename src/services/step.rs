//! One authorization step: the policies that apply to it, the engine's decision, and the step
//! as a call reports it. Also the one-step request (a raw authorization).

use std::borrow::Cow;
use std::sync::Arc;

use super::env::Env;
use super::error::ClientError;
use super::messages::{denial_message, direct_call_denied};
use super::outcome::{CallOutcome, Step, StepKind, StepOutcome};
use super::request::Authorization;
use crate::engine::{authorize as decide, Caller, Context, Decision, NoTrace, Request, Trace};
use crate::policy::arn::{split_arn, ArnFields};
use crate::policy::Policy;
use crate::world::{BaseRequest, Endpoint, ResourceSide, World};

/// Everything one authorization step needs.
pub struct AuthStep<'a> {
    pub kind: StepKind,
    /// The step's title, built only when explaining.
    pub title: &'a dyn Fn() -> String,
    pub caller: &'a Caller,
    pub action: Cow<'static, str>,
    pub resource: &'a Arc<str>,
    /// The resource's account, where its ARN carries none.
    pub resource_account: Option<&'a str>,
    pub context: Context,
    pub session_policy: Option<&'a Policy>,
    pub endpoint: Option<&'a Endpoint>,
    pub notes: Vec<String>,
}

/// Evaluates one authorization step against the world.
pub fn authorize(world: &World, env: &Env<'_>, step: AuthStep<'_>) -> Step {
    let fields = split_arn(step.resource);
    let side = world.resource_side_of(
        step.caller,
        &step.action,
        step.resource,
        fields,
        step.resource_account,
    );
    authorize_on(world, env, step, side, fields)
}

/// [`authorize`] with the resource side already found.
pub(super) fn authorize_on<'w>(
    world: &'w World,
    env: &Env<'_>,
    step: AuthStep<'w>,
    side: ResourceSide<'w>,
    fields: Option<ArnFields<'w>>,
) -> Step {
    let explain = env.explain();
    let set = world.policy_set(
        step.caller,
        &step.action,
        &side,
        step.session_policy,
        step.endpoint,
    );
    let request = Request {
        caller: step.caller,
        action: &step.action,
        resource: step.resource,
        resource_fields: fields,
        resource_account: side.account,
        context: &step.context,
    };
    let (decision, trace) = if explain {
        let mut t = Trace::default();
        let d = decide(&request, &set, &mut t);
        (d, Some(Box::new(t)))
    } else {
        (decide(&request, &set, &mut NoTrace), None)
    };
    let mut notes = step.notes;
    if explain {
        notes.extend(side.notes.iter().cloned());
        if let Some(account) = step.caller.account.as_deref() {
            if set.scps.is_none()
                && step.caller.is_iam_principal()
                && world.is_management_account(account)
            {
                notes.push(format!(
                    "SCPs do not apply: {account} is the organization's management account"
                ));
            }
        }
    }
    let outcome = match decision {
        Decision::Allowed { by } => StepOutcome::Allowed { by },
        Decision::Denied(denial) => StepOutcome::Denied {
            message: denial_message(step.caller, &step.action, step.resource, &denial),
            denial,
            error: None,
        },
    };
    Step {
        kind: step.kind,
        title: env.text(step.title),
        action: step.action,
        resource: step.resource.clone(),
        caller: step.caller.display_arn(),
        outcome,
        notes,
        context: explain.then(|| Box::new(step.context)),
        trace,
        optional: false,
    }
}

/// A step that is a refusal rather than a policy decision (a 400, a key KMS does not have).
pub fn rejected(
    kind: StepKind,
    title: String,
    action: &'static str,
    resource: &str,
    caller: &Caller,
    error: ClientError,
) -> Step {
    Step {
        kind,
        title,
        action: Cow::Borrowed(action),
        resource: resource.into(),
        caller: caller.display_arn(),
        outcome: StepOutcome::Rejected { error },
        notes: Vec::new(),
        context: None,
        trace: None,
        optional: false,
    }
}

/// `kms:GrantIsForAWSResource` is true when an AWS service asks for the grant operation on the
/// caller's behalf, which a request shows by carrying `kms:ViaService`; a request may still set it.
/// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
fn grant_for_aws_resource(ctx: &mut Context, action: &str, given: bool) {
    let grant_operation = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action));
    if grant_operation && !given {
        let via_service = ctx.get("kms:ViaService").is_some();
        ctx.set(
            "kms:GrantIsForAWSResource",
            if via_service { "true" } else { "false" },
        );
    }
}

/// One authorization asked directly: the request's context is AWS's defaults with the
/// request's own values over them.
pub fn authorize_request(
    world: &World,
    env: &mut Env<'_>,
    request: &Authorization<'_>,
) -> CallOutcome {
    if let Some(outcome) = super::s3::access_point::authorize_request(world, env, request) {
        return outcome;
    }
    let Authorization {
        caller,
        action,
        resource,
        resource_account,
        options,
    } = *request;
    let endpoint = env.endpoint(world);
    let fields = split_arn(resource);
    let side = world.resource_side_of(caller, action, resource, fields, resource_account);
    let side_account = side.account;
    let mut context = env.base_context(
        world,
        &BaseRequest {
            caller,
            action,
            resource,
            resource_account: side_account,
            endpoint,
            via_s3: None,
            // From the ARN split above, rather than splitting it again.
            region: Some(world.requested_region_of(fields)),
        },
    );
    context.apply(options.context);
    let given = options
        .context
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("kms:GrantIsForAWSResource"));
    grant_for_aws_resource(&mut context, action, given);
    let resource_arn: Arc<str> = resource.into();
    let step = authorize_on(
        world,
        env,
        AuthStep {
            kind: StepKind::Authorization,
            title: &|| format!("{action} on {resource}"),
            caller,
            action: Cow::Owned(action.to_string()),
            resource: &resource_arn,
            resource_account,
            context,
            session_policy: options.session_policy,
            endpoint,
            notes: Vec::new(),
        },
        side,
        fields,
    );
    let error = step
        .outcome
        .message()
        .filter(|_| !step.outcome.passed())
        .map(|m| direct_call_denied(world, caller, action, side_account, m));
    CallOutcome::new(vec![step], error, Vec::new())
}
