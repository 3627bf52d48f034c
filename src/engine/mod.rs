//! The authorization engine: who is calling, with what context, against which policies, and
//! the decision with its reasons. It knows nothing of S3, scenario files or output formats.

pub mod authorize;
pub mod caller;
pub mod context;
pub mod decision;

pub use authorize::{
    authorize, Grant, GrantConstraints, OrgLevel, PolicySet, Request, ResourceRules,
};
pub use caller::{Caller, CallerError, CallerKind, PrincipalMatch};
pub use context::{Context, ContextValue};
pub use decision::{Decision, Denial, NoTrace, Observer, Outcome, StatementRef, Trace};
