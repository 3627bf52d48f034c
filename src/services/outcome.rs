//! What a request came to: the ordered steps AWS performed for it (each an authorization with
//! its decision, or a refusal that is not a policy decision), and the call's answer.

use std::sync::Arc;

use super::error::ClientError;
use crate::engine::{Context, Denial, Outcome, StatementRef, Trace};

/// What kind of step a call performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// One authorization asked directly (a raw check).
    Authorization,
    /// S3 authorizes an action on a bucket or object for the caller.
    S3Authorization,
    /// S3 authorizes a request through an access point against the access point's policy.
    S3AccessPointAuthorization,
    /// A check S3 makes before authorizing: request headers, Object Ownership, Block Public
    /// Access, HTTPS for SSE-KMS, the key a request names.
    S3RequestCheck,
    /// KMS: S3 asks for a data key (`kms:GenerateDataKey`) on the caller's behalf.
    KmsDataKey,
    /// KMS: S3 decrypts a data key (`kms:Decrypt`) on the caller's behalf.
    KmsDecrypt,
    /// KMS: S3 encrypts a replica's data key (`kms:Encrypt`) for the replication role.
    KmsEncrypt,
    /// S3 assumes the bucket's replication role.
    AssumeRole,
    /// A check STS makes before authorizing: the request's parameters, the identity provider
    /// and the token's audience.
    StsRequestCheck,
    /// STS authorizes the caller's `sts:AssumeRole*` request, or `sts:TagSession` /
    /// `sts:SetSourceIdentity` on the role.
    StsAuthorization,
}

/// How one step ended. The variants cannot contradict each other: a step either passed the
/// policies, was denied by them, or failed for a reason that is not a policy decision.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The policies allowed the request.
    Allowed { by: Vec<StatementRef> },
    /// The policies denied it. `message` is AWS's record of the denial; `error` is what the
    /// caller receives when this step's refusal reaches it directly (`None` for steps S3
    /// performs for itself, such as a replication's, whose failure the call reports).
    Denied {
        denial: Denial,
        message: String,
        error: Option<ClientError>,
    },
    /// Refused before any policy was evaluated (a request S3 rejects, a key KMS does not have).
    Rejected { error: ClientError },
    /// The policies allowed it, but the resource could not serve it (a disabled key).
    Unavailable {
        allowed_by: Vec<StatementRef>,
        error: ClientError,
    },
}

impl StepOutcome {
    /// Whether the step went through.
    pub fn passed(&self) -> bool {
        matches!(self, StepOutcome::Allowed { .. })
    }

    /// The deciding statements: those that allowed, or the denying ones.
    pub fn statements(&self) -> &[StatementRef] {
        match self {
            StepOutcome::Allowed { by } => by,
            StepOutcome::Unavailable { allowed_by, .. } => allowed_by,
            StepOutcome::Denied { denial, .. } => denial.statements(),
            StepOutcome::Rejected { .. } => &[],
        }
    }

    pub fn denial(&self) -> Option<&Denial> {
        match self {
            StepOutcome::Denied { denial, .. } => Some(denial),
            _ => None,
        }
    }

    /// The AWS-style record of a failure: the denial message, or a rejection's error text.
    pub fn message(&self) -> Option<&str> {
        match self {
            StepOutcome::Denied { message, .. } => Some(message),
            StepOutcome::Rejected { error } => Some(&error.message),
            StepOutcome::Allowed { .. } | StepOutcome::Unavailable { .. } => None,
        }
    }

    /// The error the step's failure gives the caller, when it reaches the caller directly.
    pub fn error(&self) -> Option<&ClientError> {
        match self {
            StepOutcome::Denied { error, .. } => error.as_ref(),
            StepOutcome::Rejected { error } | StepOutcome::Unavailable { error, .. } => Some(error),
            StepOutcome::Allowed { .. } => None,
        }
    }
}

/// One step of a request.
#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    /// What the step is, in a few words ("S3 authorizes the upload"); empty unless explaining.
    pub title: String,
    /// The action (static for the steps of modelled calls).
    pub action: std::borrow::Cow<'static, str>,
    /// The resource ARN, shared among the steps that name it.
    pub resource: Arc<str>,
    /// The caller of this step, as AWS names it.
    pub caller: Arc<str>,
    pub outcome: StepOutcome,
    /// The assumptions and derivations this step relied on (when explaining).
    pub notes: Vec<String>,
    /// The request context the step was evaluated with (when explaining). Boxed, as the trace:
    /// steps are moved several times on their way into an outcome, mostly without either.
    pub context: Option<Box<Context>>,
    /// Every statement's evaluation (when explaining).
    pub trace: Option<Box<Trace>>,
    /// A step whose failure does not fail the call (tags that do not replicate).
    pub optional: bool,
}

impl Step {
    /// Gives a denied step the error its caller receives.
    pub(crate) fn refuse_with(&mut self, refusal: ClientError) {
        if let StepOutcome::Denied { error, .. } = &mut self.outcome {
            *error = Some(refusal);
        }
    }

    /// Whether the step's failure fails the call.
    fn fails_call(&self) -> bool {
        !self.optional && !self.outcome.passed()
    }
}

/// The call's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Every step went through ([`CallOutcome::decided_by`] names the statements that allowed
    /// them).
    Allowed,
    /// The policies denied step `step`; the client receives `error`.
    Denied { step: usize, error: ClientError },
    /// The call failed for a reason that is not a policy decision: at step `step`, or outside
    /// any step (a bucket that does not exist, an object replication passes over).
    Failed {
        step: Option<usize>,
        error: ClientError,
    },
}

/// The statements that decided an answer, borrowed from its steps (most answers name a few).
pub type DecidedBy<'a> = smallvec::SmallVec<[&'a StatementRef; 4]>;

/// Everything a request came to.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub steps: Vec<Step>,
    pub answer: Answer,
    /// How the call was modelled (which key encrypts, what was stored); when explaining.
    pub notes: Vec<String>,
}

impl CallOutcome {
    /// Assembles the answer from the steps: the first step whose failure fails the call
    /// decides; `call_error` is what the client receives when the call itself says so (it
    /// overrides the failed step's own error).
    pub fn new(steps: Vec<Step>, call_error: Option<ClientError>, notes: Vec<String>) -> Self {
        let failed = steps.iter().position(Step::fails_call);
        let answer = match failed {
            Some(i) => {
                let step = &steps[i];
                let error = call_error.or_else(|| step.outcome.error().cloned());
                match &step.outcome {
                    StepOutcome::Denied { .. } => Answer::Denied {
                        step: i,
                        error: error.unwrap_or_else(ClientError::access_denied),
                    },
                    _ => Answer::Failed {
                        step: Some(i),
                        error: error.unwrap_or_else(ClientError::access_denied),
                    },
                }
            }
            // The deciding statements are read from the steps when asked for (`decided_by`):
            // most outcomes are never asked, or asked once.
            None => match call_error {
                Some(error) => Answer::Failed { step: None, error },
                None => Answer::Allowed,
            },
        };
        CallOutcome {
            steps,
            answer,
            notes,
        }
    }

    pub fn is_allowed(&self) -> bool {
        matches!(self.answer, Answer::Allowed)
    }

    /// The step that failed the call, when one did.
    pub fn failed_step(&self) -> Option<&Step> {
        match self.answer {
            Answer::Denied { step, .. } => self.steps.get(step),
            Answer::Failed { step, .. } => step.and_then(|s| self.steps.get(s)),
            Answer::Allowed => None,
        }
    }

    /// Allowed, explicitly denied or implicitly denied; `None` for a failure that is not a
    /// policy decision.
    pub fn outcome(&self) -> Option<Outcome> {
        match &self.answer {
            Answer::Allowed => Some(Outcome::Allowed),
            Answer::Denied { .. } => self
                .failed_step()
                .and_then(|s| s.outcome.denial())
                .map(Denial::outcome),
            Answer::Failed { .. } => None,
        }
    }

    /// The policy denial that failed the call.
    pub fn denial(&self) -> Option<&Denial> {
        match self.answer {
            Answer::Denied { .. } => self.failed_step().and_then(|s| s.outcome.denial()),
            _ => None,
        }
    }

    /// The statements that decided the answer: those of the failed step; else, those that
    /// allowed the steps, each once (for a failure outside any step, the steps before it).
    pub fn decided_by(&self) -> DecidedBy<'_> {
        match (&self.answer, self.steps.as_slice()) {
            (Answer::Allowed | Answer::Failed { step: None, .. }, [only]) => {
                only.outcome.statements().iter().collect()
            }
            (Answer::Allowed | Answer::Failed { step: None, .. }, steps) => {
                let mut by = DecidedBy::new();
                for r in steps.iter().flat_map(|s| s.outcome.statements()) {
                    if !by.contains(&r) {
                        by.push(r);
                    }
                }
                by
            }
            _ => self
                .failed_step()
                .map_or_else(DecidedBy::new, |s| s.outcome.statements().iter().collect()),
        }
    }

    /// AWS's record of the failure (of the failed step).
    pub fn message(&self) -> Option<&str> {
        self.failed_step().and_then(|s| s.outcome.message())
    }

    /// What the client receives; `None` when allowed.
    pub fn error(&self) -> Option<&ClientError> {
        match &self.answer {
            Answer::Allowed => None,
            Answer::Denied { error, .. } | Answer::Failed { error, .. } => Some(error),
        }
    }
}
