//! `iamsim who-can`: every principal of the world asked the same question, by the same engine
//! and calls as `check`: who can, who cannot (and at which step), and whether a principal of
//! another account, or anyone at all, could.

use rustc_hash::FxHashSet;

use crate::engine::Caller;
use crate::policy::model::PrincipalEntry;
use crate::services::{authorize_with, call_with, Authorization, Call, CallOutcome, CallRequest};
use crate::world::{ContextCache, World};

/// The question.
#[derive(Debug, Clone)]
pub enum Question {
    /// One authorization.
    Action { action: String, resource: String },
    /// A modelled S3 call.
    Call {
        call: Call,
        bucket: String,
        key: String,
        headers: Vec<(String, String)>,
    },
}

/// One caller's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoAnswer {
    /// The principal as checks name it; for the other kinds of caller, what it stands for.
    pub principal: String,
    pub allowed: bool,
    /// The action of the step that failed.
    pub failed_step: Option<String>,
    /// `explicit`, `implicit`, or the error code of a refusal that is not a policy decision.
    pub how: Option<String>,
    /// The deciding statements (`Sid (policy)`).
    pub decided_by: Vec<String>,
    /// What AWS would have recorded.
    pub message: Option<String>,
}

/// The answers: the world's principals, then the callers its policies speak of.
#[derive(Debug, Clone, Default)]
pub struct WhoCan {
    pub can: Vec<WhoAnswer>,
    pub cannot: Vec<WhoAnswer>,
    /// The root user of each account the policies name but the world declares no principal
    /// of, a principal of an account no policy names, and an anonymous caller.
    pub others: Vec<WhoAnswer>,
}

/// An account number no scenario uses for anything else: stands for "any other account".
const UNNAMED_ACCOUNT: &str = "999999999999";

/// Asks the question of every principal of the world.
pub fn who_can(world: &World, question: &Question) -> WhoCan {
    let mut cache = ContextCache::default();
    let mut working = world.clone();
    let mut ask = |caller: Option<&Caller>, cache: &mut ContextCache| -> CallOutcome {
        match question {
            Question::Action { action, resource } => {
                let anonymous = Caller::parse("anonymous").expect("anonymous is a caller");
                let caller = caller.unwrap_or(&anonymous);
                authorize_with(world, &Authorization::new(caller, action, resource), cache)
            }
            Question::Call {
                call,
                bucket,
                key,
                headers,
            } => {
                let request = CallRequest {
                    call: *call,
                    caller,
                    bucket,
                    key,
                    headers,
                    version_id: None,
                    options: Default::default(),
                };
                call_with(&mut working, &request, cache)
            }
        }
    };
    let mut result = WhoCan::default();
    let mut declared_accounts = FxHashSet::default();
    for arn in world.principals.keys() {
        let Ok(caller) = world.caller(arn) else {
            continue;
        };
        if let Some(a) = &caller.account {
            declared_accounts.insert(a.clone());
        }
        let answer = answer(arn.clone(), &ask(Some(&caller), &mut cache));
        if answer.allowed {
            result.can.push(answer);
        } else {
            result.cannot.push(answer);
        }
    }
    let mut named: Vec<String> = named_accounts(world)
        .into_iter()
        .filter(|a| !declared_accounts.contains(a))
        .collect();
    named.sort();
    for account in named {
        let root = format!("arn:aws:iam::{account}:root");
        if let Ok(caller) = Caller::parse(&root) {
            let mut a = answer(
                format!("{root} (any principal of account {account} its own policies allow)"),
                &ask(Some(&caller), &mut cache),
            );
            a.principal =
                format!("account {account}: its root user, or any principal its IAM allows");
            result.others.push(a);
        }
    }
    if !declared_accounts.contains(UNNAMED_ACCOUNT) {
        if let Ok(caller) = Caller::parse(&format!("arn:aws:iam::{UNNAMED_ACCOUNT}:root")) {
            let mut a = answer(String::new(), &ask(Some(&caller), &mut cache));
            a.principal = "a principal of an account no policy names".to_string();
            result.others.push(a);
        }
    }
    let mut a = answer(String::new(), &ask(None, &mut cache));
    a.principal = "anonymous (anyone, unsigned)".to_string();
    result.others.push(a);
    result
}

fn answer(principal: String, outcome: &CallOutcome) -> WhoAnswer {
    WhoAnswer {
        principal,
        allowed: outcome.is_allowed(),
        failed_step: outcome.failed_step().map(|s| s.action.to_string()),
        how: if outcome.is_allowed() {
            None
        } else {
            outcome
                .outcome()
                .and_then(|o| o.denial_name())
                .map(str::to_string)
                .or_else(|| outcome.error().map(|e| e.code.as_str().to_string()))
        },
        decided_by: outcome
            .decided_by()
            .iter()
            .map(|r| format!("{} ({})", r.label(), r.policy))
            .collect(),
        message: outcome.message().map(str::to_string),
    }
}

/// The accounts the world's policies name as principals.
fn named_accounts(world: &World) -> FxHashSet<String> {
    let mut accounts = FxHashSet::default();
    for policy in world.policies() {
        for s in &policy.statements {
            for entry in s.principal.iter().flat_map(|p| &p.entries) {
                let account = match entry {
                    PrincipalEntry::Account(a) => Some(a.clone()),
                    PrincipalEntry::User { arn }
                    | PrincipalEntry::AssumedRole { arn }
                    | PrincipalEntry::FederatedUser { arn } => {
                        arn.split(':').nth(4).map(str::to_string)
                    }
                    PrincipalEntry::Role { account, .. } => Some(account.clone()),
                    _ => None,
                };
                if let Some(a) = account.filter(|a| a.len() == 12) {
                    accounts.insert(a);
                }
            }
        }
    }
    accounts
}
