//! Lint: what AWS would reject in a policy, and what it accepts although it probably does not
//! mean what its author meant, checked against AWS's service authorization reference
//! ([`super::reference`]). Every finding has a stable [`Rule`] code, a [`Level`] and the byte
//! offset of the element it is about. Findings never change a decision.
//!
//! Only what AWS itself refuses to store is an error:
//! - IAM's policy parser refuses a Resource ARN with fewer than six fields and an empty one,
//!   an empty service, or a Region in an IAM ARN (`MalformedPolicyDocument`, as the AWS
//!   emulator moto reproduces it: getmoto/moto `moto/iam/policy_validation.py`).
//! - S3 refuses a bucket policy naming an `s3:` action that does not exist ("Policy has invalid
//!   action") or an action that applies to none of the statement's resources ("Action does not
//!   apply to any resource(s) in statement").
//! - KMS refuses a key policy that allows with `ForAllValues` on `kms:EncryptionContext:*`
//!   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
//!
//! IAM accepts unknown actions and condition keys (AWS's own managed policies hold some:
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-action),
//! so those are warnings.

use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::condition::{BaseOperator, SetQualifier};
use super::limiting::LimitingKeys;
use super::model::{Effect, Policy, PolicyType, PrincipalEntry, Statement};
use super::parse::{parse_policy_text, PolicyError};
use super::reference::{key_covers, reference, ActionInfo, ResourcePattern, ResourceType, Service};
use crate::json::{suggest, Node, SourceText, Value};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// AWS accepts the policy, but it probably does not do what its author meant.
    Warning,
    /// AWS refuses to store the policy.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// What a finding is about. Codes are stable: tools may filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A001: the service is known, the action is not.
    UnknownAction,
    /// A002: no service has the prefix.
    UnknownService,
    /// A003: a wildcard pattern that matches no action of its service.
    WildcardMatchesNothing,
    /// R001: a Resource ARN AWS refuses.
    MalformedArn,
    /// R002: a Resource entry that no action of the statement applies to.
    ResourceFitsNoAction,
    /// R003: an action that applies to none of the statement's Resource entries.
    ActionFitsNoResource,
    /// R004: no action of the statement applies to any of its Resource entries.
    StatementNeverApplies,
    /// C001: a condition key that no service defines.
    UnknownConditionKey,
    /// C002: a condition key that no action of the statement supports.
    UnsupportedConditionKey,
    /// C003: a single-valued operator on a multi-valued key (decision A9).
    SingleValuedOperatorOnMultiValuedKey,
    /// C004: `ForAllValues` with `kms:EncryptionContext:*` in an Allow.
    ForAllValuesEncryptionContext,
    /// S001: an Allow to everyone in a resource-based policy, with no condition that limits it.
    PublicAllow,
    /// S002: `NotAction` with `Allow`.
    NotActionAllow,
    /// S003: a key-policy statement without `Resource`.
    KeyPolicyWithoutResource,
}

impl Rule {
    /// Every rule, in code order.
    pub const ALL: [Rule; 14] = [
        Rule::UnknownAction,
        Rule::UnknownService,
        Rule::WildcardMatchesNothing,
        Rule::MalformedArn,
        Rule::ResourceFitsNoAction,
        Rule::ActionFitsNoResource,
        Rule::StatementNeverApplies,
        Rule::UnknownConditionKey,
        Rule::UnsupportedConditionKey,
        Rule::SingleValuedOperatorOnMultiValuedKey,
        Rule::ForAllValuesEncryptionContext,
        Rule::PublicAllow,
        Rule::NotActionAllow,
        Rule::KeyPolicyWithoutResource,
    ];

    /// The stable code (`A001`).
    pub fn code(self) -> &'static str {
        self.describe().0
    }

    /// A short name (`unknown-action`).
    pub fn name(self) -> &'static str {
        self.describe().1
    }

    /// One line on what the rule finds.
    pub fn summary(self) -> &'static str {
        self.describe().2
    }

    /// Why it matters and what to do.
    pub fn help(self) -> &'static str {
        self.describe().3
    }

    /// The AWS documentation page behind the rule.
    pub fn help_uri(self) -> &'static str {
        self.describe().4
    }

    /// A rule by its code.
    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    fn describe(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        const ACTION: &str =
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html";
        const RESOURCE: &str =
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html";
        const REFERENCE: &str = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html";
        const KEYS: &str =
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html";
        match self {
            Rule::UnknownAction => (
                "A001",
                "unknown-action",
                "An action that its service does not have.",
                "The service exists but has no action of that name (a typo such as s3:PutObjects): the entry matches no request, so the statement never allows or denies what was meant. Use the name the Service Authorization Reference gives. In a bucket policy S3 refuses an s3: action it does not know.",
                REFERENCE,
            ),
            Rule::UnknownService => (
                "A002",
                "unknown-service",
                "An action whose service prefix no AWS service has.",
                "No AWS service has this prefix, so the entry matches no request. Use the prefix the Service Authorization Reference gives (s3, kms, iam, ...).",
                REFERENCE,
            ),
            Rule::WildcardMatchesNothing => (
                "A003",
                "wildcard-matches-nothing",
                "A wildcard action pattern that matches no action of its service.",
                "The pattern covers no action the service has today, so it matches no request.",
                ACTION,
            ),
            Rule::MalformedArn => (
                "R001",
                "malformed-arn",
                "A Resource ARN that AWS refuses.",
                "IAM refuses a Resource with fewer than six fields (arn:partition:service:region:account:resource) when one of them is empty, an ARN with an empty service, and an IAM ARN with a Region (MalformedPolicyDocument).",
                RESOURCE,
            ),
            Rule::ResourceFitsNoAction => (
                "R002",
                "resource-fits-no-action",
                "A Resource entry that fits no resource type of the statement's actions.",
                "None of the statement's actions applies to resources of this shape, so the entry never matches a request those actions make. Compare it with the ARN formats of the actions' resource types.",
                REFERENCE,
            ),
            Rule::ActionFitsNoResource => (
                "R003",
                "action-fits-no-resource",
                "An action that applies to none of the statement's Resource entries.",
                "The action's requests name resources of other types (s3:ListBucket names the bucket, not arn:aws:s3:::bucket/*), so the statement never applies to it. Add a Resource entry of the action's type, or move the action to a statement that has one. S3 refuses such a bucket policy (Action does not apply to any resource(s) in statement).",
                REFERENCE,
            ),
            Rule::StatementNeverApplies => (
                "R004",
                "statement-never-applies",
                "A statement none of whose actions applies to any of its Resource entries.",
                "No request can match both the Action and the Resource of the statement (the classic s3:GetObject on arn:aws:s3:::bucket, without /*), so the statement never applies.",
                REFERENCE,
            ),
            Rule::UnknownConditionKey => (
                "C001",
                "unknown-condition-key",
                "A condition key that no AWS service defines.",
                "No request carries the key, so the condition sees it absent: an operator without IfExists never matches, and a negated one (or IfExists) always does.",
                KEYS,
            ),
            Rule::UnsupportedConditionKey => (
                "C002",
                "unsupported-condition-key",
                "A condition key that no action of the statement supports.",
                "The statement's actions never carry this key, so the condition sees it absent for every request the statement matches. Global aws: keys are always accepted.",
                REFERENCE,
            ),
            Rule::SingleValuedOperatorOnMultiValuedKey => (
                "C003",
                "single-valued-operator-on-multi-valued-key",
                "A single-valued operator on a multi-valued condition key.",
                "A multi-valued key (aws:TagKeys, aws:CalledVia, ...) compared with an operator without ForAnyValue: or ForAllValues: never matches a request that carries several values.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
            ),
            Rule::ForAllValuesEncryptionContext => (
                "C004",
                "for-all-values-encryption-context",
                "ForAllValues with kms:EncryptionContext:* in an Allow.",
                "ForAllValues is also true when the request has no such encryption-context pair, so the Allow covers requests without it. KMS refuses such a key policy (OverlyPermissiveCondition).",
                "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html",
            ),
            Rule::PublicAllow => (
                "S001",
                "public-allow",
                "An Allow to everyone in a resource-based policy, with no condition that limits it.",
                "\"Principal\": \"*\" (or {\"AWS\": \"*\"}) without a fixed-value condition on the caller's account, organization, ARN, network or source lets anyone, anonymous callers included, make these requests.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
            ),
            Rule::NotActionAllow => (
                "S002",
                "not-action-allow",
                "NotAction with Allow.",
                "An Allow with NotAction allows every action of every service that is not listed, including actions AWS adds later. List the allowed actions instead.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
            ),
            Rule::KeyPolicyWithoutResource => (
                "S003",
                "key-policy-without-resource",
                "A key-policy statement without Resource.",
                "KMS accepts it, but the statement applies to nothing. Use \"Resource\": \"*\" (the key itself).",
                "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
            ),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One finding about a policy (or about a request's action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    /// The statement's 0-based index; `None` for a finding about a request.
    pub statement: Option<usize>,
    pub sid: Option<Arc<str>>,
    /// 1-based line of the statement, when known.
    pub line: Option<usize>,
    /// Byte offset of the element the finding is about, when the policy has positions.
    pub offset: Option<u32>,
    pub message: String,
}

/// Condition keys whose requests can carry several values.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
const MULTI_VALUED_KEYS: [&str; 11] = [
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalorgpaths",
    "aws:resourceorgpaths",
    "aws:sourceorgpaths",
    "aws:principalservicenameslist",
    "kms:encryptioncontextkeys",
    "kms:grantoperations",
    "kms:resourcealiases",
    "s3:requestobjecttagkeys",
    "aws:vpceorgpaths",
];

/// The global condition keys: every request may carry them, whatever its action.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
/// (`aws:PrincipalOrgMasterAccountId` and `aws:SourceOwner` are older keys AWS's own managed
/// and service policies still use).
const GLOBAL_KEYS: [&str; 51] = [
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgMasterAccountId",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:AssumedRoot",
    "aws:FederatedProvider",
    "aws:TokenIssueTime",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:ChatbotSourceArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:VpceAccount",
    "aws:VpceOrgPaths",
    "aws:VpceOrgID",
    "aws:VpcSourceIp",
    "aws:ResourceAccount",
    "aws:ResourceOrgPaths",
    "aws:ResourceOrgID",
    "aws:ResourceTag/${TagKey}",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:referer",
    "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:UserAgent",
    "aws:IsMcpServiceAction",
];

/// Keys of the session's credentials rather than of the action: a request made with such
/// credentials carries them whatever its action.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-ec2-source-instance-arn
const CREDENTIAL_KEYS: [&str; 7] = [
    "ec2:roledelivery",
    "ec2:sourceinstancearn",
    "glue:roleassumedby",
    "glue:credentialissuingservice",
    "lambda:sourcefunctionarn",
    "ssm:sourceinstancearn",
    "identitystore:userid",
];

/// Condition keys whose fixed values limit who an Allow to `"*"` reaches: the keys S3's Block
/// Public Access accepts as making a statement non-public
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status),
/// decision A14's `aws:PrincipalArn`, and the other keys that name the caller's account,
/// organization or source.
pub const LIMITING_KEYS: [&str; 19] = [
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgpaths",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:vpcsourceip",
    "aws:principalservicename",
    "kms:calleraccount",
];

/// The keys, and the ARN-valued ones where a wildcard after a fixed account still names one
/// account.
const LIMITING: LimitingKeys<'static> = LimitingKeys {
    keys: &LIMITING_KEYS,
    account_arns: &["s3:dataaccesspointarn", "aws:principalarn", "aws:sourcearn"],
};

/// Lints a policy: every finding, in statement order.
pub fn lint(policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &policy.statements {
        StatementLint {
            policy_type: policy.policy_type,
            statement: s,
            out: &mut out,
        }
        .run();
    }
    out
}

/// Lints the action of a request (`iamsim eval --action`, a raw check): A001 when its service
/// has no such action, A002 when no service has its prefix. The finding names no statement.
pub fn lint_action(action: &str) -> Option<Finding> {
    let finding = |rule: Rule, message: String| Finding {
        rule,
        level: Level::Warning,
        statement: None,
        sid: None,
        line: None,
        offset: None,
        message,
    };
    let Some((prefix, name)) = action.split_once(':') else {
        return Some(finding(
            Rule::UnknownAction,
            format!("{action:?} is not an action: expected service:ActionName, e.g. s3:GetObject"),
        ));
    };
    let r = reference();
    match r.service(prefix) {
        None => Some(finding(
            Rule::UnknownService,
            unknown_service_message(prefix),
        )),
        Some(service) if service.action(name).is_none() => Some(finding(
            Rule::UnknownAction,
            unknown_action_message(service, action, name),
        )),
        Some(_) => None,
    }
}

fn unknown_service_message(prefix: &str) -> String {
    let hint = suggest(prefix, reference().prefixes())
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    format!("no AWS service has the prefix {prefix:?}{hint}: the action matches no request")
}

fn unknown_action_message(service: &Service, written: &str, name: &str) -> String {
    let hint = suggest(name, service.actions.iter().map(|a| a.name))
        .map(|s| format!(" (did you mean {}:{s}?)", service.prefix))
        .unwrap_or_default();
    format!(
        "{written} is not an action of {}{hint}: it matches no request",
        service.prefix
    )
}

/// The actions an `Action` element covers, as far as the reference knows them.
struct Covered<'r> {
    /// For each pattern: the actions it covers (empty when unknown).
    per_pattern: Vec<Vec<(&'r Service, &'r ActionInfo)>>,
    /// Whether every pattern is known (no A00x finding).
    all_known: bool,
    /// `*`, or a wildcard in a service prefix: every action (or an unknown set of them).
    everything: bool,
}

struct StatementLint<'a> {
    policy_type: PolicyType,
    statement: &'a Statement,
    out: &'a mut Vec<Finding>,
}

impl StatementLint<'_> {
    fn push(&mut self, rule: Rule, level: Level, offset: u32, message: String) {
        let s = self.statement;
        self.out.push(Finding {
            rule,
            level,
            statement: Some(s.index),
            sid: s.sid.clone(),
            line: s.line,
            offset: s.line.map(|_| offset),
            message,
        });
    }

    /// S3 checks the `s3:` actions of a bucket policy when it is stored.
    fn s3_checks(&self, service: &str) -> Level {
        if self.policy_type == PolicyType::Bucket && service.eq_ignore_ascii_case("s3") {
            Level::Error
        } else {
            Level::Warning
        }
    }

    fn run(mut self) {
        let s = self.statement;
        if self.policy_type == PolicyType::Key && s.resource.is_none() {
            // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
            self.push(
                Rule::KeyPolicyWithoutResource,
                Level::Warning,
                s.offset,
                "a key-policy statement without Resource applies to nothing (use \"Resource\": \"*\")"
                    .to_string(),
            );
        }
        if s.action.negated && s.effect == Effect::Allow {
            self.push(
                Rule::NotActionAllow,
                Level::Warning,
                s.action.offset,
                "an Allow with NotAction allows every action of every service that is not listed, including actions AWS adds later".to_string(),
            );
        }
        self.public_allow();
        self.resources_malformed();
        let covered = self.actions();
        self.resources_fit(&covered);
        self.conditions(&covered);
    }

    /// S001.
    fn public_allow(&mut self) {
        let s = self.statement;
        let resource_based = matches!(
            self.policy_type,
            PolicyType::Bucket | PolicyType::Key | PolicyType::Trust | PolicyType::Resource
        );
        let everyone = s
            .principal
            .as_ref()
            .is_some_and(|p| !p.negated && p.entries.contains(&PrincipalEntry::Everyone));
        if resource_based
            && everyone
            && s.effect == Effect::Allow
            && !s.conditions.iter().any(|c| LIMITING.limit(c))
        {
            self.push(
                Rule::PublicAllow,
                Level::Warning,
                s.principal_offset.unwrap_or(s.offset),
                "Allow to \"*\" with no condition that limits who (aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn, aws:SourceIp, ...): anyone, anonymous callers included, gets these actions".to_string(),
            );
        }
    }

    /// R001: what IAM's parser refuses in a Resource or NotResource entry.
    fn resources_malformed(&mut self) {
        let s = self.statement;
        let Some(r) = &s.resource else { return };
        for (i, p) in r.patterns.iter().enumerate() {
            if let Some(why) = malformed_arn(p.as_str()) {
                self.push(
                    Rule::MalformedArn,
                    Level::Error,
                    r.offset_of(i),
                    format!("{:?} {why}", p.as_str()),
                );
            }
        }
    }

    /// A001, A002, A003; the actions each pattern covers.
    fn actions(&mut self) -> Covered<'static> {
        let r = reference();
        let s = self.statement;
        let mut covered = Covered {
            per_pattern: Vec::with_capacity(s.action.patterns.len()),
            all_known: true,
            everything: false,
        };
        for p in &s.action.patterns {
            let Some(prefix) = &p.service else {
                covered.everything = true;
                covered.per_pattern.push(Vec::new());
                continue;
            };
            if prefix.contains(['*', '?']) {
                covered.everything = true;
                covered.per_pattern.push(Vec::new());
                continue;
            }
            let name = p.source.split_once(':').map_or("", |(_, n)| n);
            let Some(service) = r.service(prefix) else {
                covered.all_known = false;
                covered.per_pattern.push(Vec::new());
                self.push(
                    Rule::UnknownService,
                    Level::Warning,
                    p.offset,
                    unknown_service_message(prefix),
                );
                continue;
            };
            let actions: Vec<(&Service, &ActionInfo)> = match p.name.as_literal() {
                Some(literal) => service
                    .action(literal)
                    .map(|a| (service, a))
                    .into_iter()
                    .collect(),
                None => service.matching(&p.name).map(|a| (service, a)).collect(),
            };
            if actions.is_empty() {
                covered.all_known = false;
                let level = self.s3_checks(prefix);
                if p.name.as_literal().is_some() {
                    self.push(
                        Rule::UnknownAction,
                        level,
                        p.offset,
                        unknown_action_message(service, &p.source, name),
                    );
                } else {
                    self.push(
                        Rule::WildcardMatchesNothing,
                        level,
                        p.offset,
                        format!(
                            "{} matches no action of {}: it matches no request",
                            p.source, service.prefix
                        ),
                    );
                }
            }
            covered.per_pattern.push(actions);
        }
        covered
    }

    /// R002, R003, R004: which actions apply to which Resource entries.
    fn resources_fit(&mut self, covered: &Covered) {
        let s = self.statement;
        let Some(resource) = &s.resource else { return };
        if resource.negated || s.action.negated || covered.everything {
            return;
        }
        if resource.patterns.iter().any(|p| p.is_any()) {
            return;
        }
        // Entries AWS refuses (R001) are left to that finding.
        let entries: Vec<(usize, ResourcePattern)> = resource
            .patterns
            .iter()
            .enumerate()
            .filter(|(_, p)| malformed_arn(p.as_str()).is_none())
            .map(|(i, p)| (i, ResourcePattern::new(p.as_str())))
            .collect();
        if entries.is_empty() {
            return;
        }
        // Which entries each resource type overlaps, decided once per type.
        let mut by_type: FxHashMap<*const ResourceType, Vec<bool>> = FxHashMap::default();
        let star: Vec<bool> = entries.iter().map(|(_, e)| e.covers_star()).collect();
        let mut entry_fits = vec![false; entries.len()];
        let mut pattern_fits = vec![false; covered.per_pattern.len()];
        for (pi, actions) in covered.per_pattern.iter().enumerate() {
            for (service, action) in actions {
                let mut fits = vec![false; entries.len()];
                let mut any_type = false;
                for t in service.types_of(action) {
                    any_type = true;
                    let row = by_type
                        .entry(t as *const ResourceType)
                        .or_insert_with(|| entries.iter().map(|(_, e)| t.overlaps(e)).collect());
                    for (f, r) in fits.iter_mut().zip(row.iter()) {
                        *f |= *r;
                    }
                }
                if !any_type {
                    fits.clone_from(&star);
                }
                for (e, f) in entry_fits.iter_mut().zip(&fits) {
                    *e |= *f;
                }
                pattern_fits[pi] |= fits.iter().any(|f| *f);
            }
        }
        let known: Vec<usize> = (0..covered.per_pattern.len())
            .filter(|i| !covered.per_pattern[*i].is_empty())
            .collect();
        if known.is_empty() {
            return;
        }
        if !entry_fits.iter().any(|f| *f) {
            if covered.all_known {
                // S3 refuses the bucket policy when one of its actions applies to nothing.
                let level = if known.iter().any(|i| {
                    self.s3_checks(service_of(&s.action.patterns[*i].source)) == Level::Error
                }) {
                    Level::Error
                } else {
                    Level::Warning
                };
                let hint = expected_formats(covered);
                self.push(
                    Rule::StatementNeverApplies,
                    level,
                    resource.offset_of(entries[0].0),
                    format!(
                        "no action of the statement applies to any of its Resource entries: the statement never applies{hint}"
                    ),
                );
            }
            return;
        }
        for i in known {
            if !pattern_fits[i] {
                let p = &s.action.patterns[i];
                let level = self.s3_checks(service_of(&p.source));
                let types = formats_of(&covered.per_pattern[i]);
                self.push(
                    Rule::ActionFitsNoResource,
                    level,
                    p.offset,
                    format!(
                        "{} applies to {types}, and no Resource entry is one: the statement never applies to it",
                        p.source
                    ),
                );
            }
        }
        if covered.all_known {
            for ((i, _), fits) in entries.iter().zip(&entry_fits) {
                if !fits {
                    let p = &resource.patterns[*i];
                    self.push(
                        Rule::ResourceFitsNoAction,
                        Level::Warning,
                        resource.offset_of(*i),
                        format!(
                            "{} fits no resource type of the statement's actions: it never matches a request they make",
                            p.as_str()
                        ),
                    );
                }
            }
        }
    }

    /// C001, C002, C003, C004.
    fn conditions(&mut self, covered: &Covered) {
        let s = self.statement;
        let r = reference();
        for (i, c) in s.conditions.iter().enumerate() {
            let at = s.condition_offset(i);
            let multi = MULTI_VALUED_KEYS.contains(&c.key_lower.as_str()) || is_array_key(&c.key);
            if multi
                && c.operator.set == SetQualifier::Single
                && c.operator.base != BaseOperator::Null
            {
                // Decision A9.
                self.push(
                    Rule::SingleValuedOperatorOnMultiValuedKey,
                    Level::Warning,
                    at,
                    format!(
                        "{} is multi-valued, but {} is a single-valued operator: it never matches a request that carries several values; use ForAnyValue: or ForAllValues:",
                        c.key, c.operator
                    ),
                );
            }
            if s.effect == Effect::Allow
                && c.operator.set == SetQualifier::ForAllValues
                && c.key_lower.starts_with("kms:encryptioncontext:")
            {
                // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
                let level = if self.policy_type == PolicyType::Key {
                    Level::Error
                } else {
                    Level::Warning
                };
                self.push(
                    Rule::ForAllValuesEncryptionContext,
                    level,
                    at,
                    format!(
                        "ForAllValues with {} in an Allow also allows requests without that encryption-context pair; KMS rejects such key policies (OverlyPermissiveCondition)",
                        c.key
                    ),
                );
            }
            let Some((prefix, _)) = c.key.split_once(':') else {
                self.push(
                    Rule::UnknownConditionKey,
                    Level::Warning,
                    at,
                    format!(
                        "{:?} is not a condition key: expected service:name, e.g. aws:SourceIp",
                        c.key
                    ),
                );
                continue;
            };
            if prefix.eq_ignore_ascii_case("aws") {
                if !GLOBAL_KEYS.iter().any(|k| key_covers(k, &c.key)) && !r.key_exists(&c.key) {
                    let hint = suggest(&c.key, GLOBAL_KEYS)
                        .map(|k| format!(" (did you mean {k}?)"))
                        .unwrap_or_default();
                    self.push(
                        Rule::UnknownConditionKey,
                        Level::Warning,
                        at,
                        format!(
                            "{} is not a global condition key{hint}: no request carries it",
                            c.key
                        ),
                    );
                }
                continue;
            }
            // An identity provider's keys (`token.actions.githubusercontent.com:sub`) are its
            // own; only a few built-in providers are in the reference.
            if prefix.contains(['.', '/']) {
                continue;
            }
            if !r.key_exists(&c.key) {
                let same_prefix = r.condition_keys().filter(|k| {
                    k.split_once(':')
                        .is_some_and(|(p, _)| p.eq_ignore_ascii_case(prefix))
                });
                let hint = suggest(&c.key, same_prefix)
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                self.push(
                    Rule::UnknownConditionKey,
                    Level::Warning,
                    at,
                    format!(
                        "no AWS service defines the condition key {}{hint}: no request carries it",
                        c.key
                    ),
                );
                continue;
            }
            if s.action.negated
                || covered.everything
                || CREDENTIAL_KEYS.contains(&c.key_lower.as_str())
            {
                continue;
            }
            let mut any_known = false;
            let supported = covered
                .per_pattern
                .iter()
                .flatten()
                .any(|(service, action)| {
                    any_known = true;
                    service.supports_key(action, &c.key)
                });
            if any_known && !supported {
                self.push(
                    Rule::UnsupportedConditionKey,
                    Level::Warning,
                    at,
                    format!(
                        "no action of the statement supports the condition key {}: requests for them never carry it",
                        c.key
                    ),
                );
            }
        }
    }
}

/// Whether the reference gives a key a multi-valued type (`ArrayOfString`, ...).
fn is_array_key(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once(':') else {
        return false;
    };
    reference().service(prefix).is_some_and(|s| {
        s.condition_keys
            .iter()
            .any(|(k, kind)| kind.starts_with("ArrayOf") && key_covers(k, key))
    })
}

fn service_of(action: &str) -> &str {
    action.split_once(':').map_or("", |(s, _)| s)
}

/// The resource types some actions apply to, as their ARN formats (the three shortest).
fn formats_of(actions: &[(&Service, &ActionInfo)]) -> String {
    let mut formats: Vec<&str> = Vec::new();
    let mut none = false;
    for (service, action) in actions {
        let mut any = false;
        for t in service.types_of(action) {
            any = true;
            for f in t.formats() {
                if !formats.contains(&f) {
                    formats.push(f);
                }
            }
        }
        none |= !any;
    }
    // The plainest formats first (`arn:${Partition}:s3:::${BucketName}` before access points).
    formats.sort_by_key(|f| f.len());
    let mut parts: Vec<String> = formats.iter().take(3).map(|f| f.to_string()).collect();
    if formats.len() > 3 {
        parts.push(format!("{} more", formats.len() - 3));
    }
    if none {
        parts.push("\"*\" (no resource-level permissions)".to_string());
    }
    parts.join(", ")
}

/// ` (expected: FORMATS)` for a statement's actions.
fn expected_formats(covered: &Covered) -> String {
    let all: Vec<(&Service, &ActionInfo)> = covered.per_pattern.iter().flatten().copied().collect();
    let formats = formats_of(&all);
    if formats.is_empty() {
        String::new()
    } else {
        format!(" (its actions apply to {formats})")
    }
}

/// Why IAM refuses a Resource entry, if it does: `MalformedPolicyDocument` as AWS returns it
/// and the emulator moto reproduces it (getmoto/moto `moto/iam/policy_validation.py`:
/// `_validate_resource_format`, `_legacy_parse_resource_like`).
pub fn malformed_arn(text: &str) -> Option<String> {
    if text == "*" || !text.starts_with("arn:") {
        return None;
    }
    let fields: Vec<&str> = text.splitn(6, ':').collect();
    if fields.len() < 3 {
        return Some(
            "names no service: IAM refuses it (\"Resource vendor must be fully qualified\")"
                .to_string(),
        );
    }
    if fields[2].is_empty() {
        return Some(
            "has an empty service field: IAM refuses it (\"The policy failed legacy parsing\")"
                .to_string(),
        );
    }
    if fields.len() < 6 && text.contains("::") {
        return Some(
            "has fewer than six fields (arn:partition:service:region:account:resource) and an empty one: IAM refuses it (\"The policy failed legacy parsing\")".to_string(),
        );
    }
    if fields[2] == "iam" && fields.get(3).is_some_and(|r| !r.is_empty()) {
        return Some(
            "has a Region, which IAM ARNs never have: IAM refuses it (\"IAM resource ... cannot contain region information\")".to_string(),
        );
    }
    None
}

/// Whether a JSON value is a policy (a document with `Statement`, a JSON string holding one,
/// or an AWS CLI output that prints one) rather than a scenario.
pub fn is_policy_document(node: &Node) -> bool {
    match &node.value {
        Value::String(_) => true,
        Value::Object(members) => members.iter().any(|m| {
            matches!(
                &*m.name,
                "Statement" | "PolicyVersion" | "PolicyDocument" | "Policy" | "Role"
            )
        }),
        _ => false,
    }
}

/// The policy type a policy file most likely holds, from the AWS CLI command that printed it
/// (`get-role` prints a trust policy, `kms get-key-policy` a key policy, `s3api
/// get-bucket-policy` a bucket policy, `organizations describe-policy` an SCP or RCP) or, for a
/// bare document, from its statements: none names a principal (identity), or every action is
/// `sts:AssumeRole*` (trust), `kms:` (key), `s3:` (bucket), or anything else (another
/// resource-based policy).
pub fn guess_policy_type(node: &Node) -> PolicyType {
    if let Some(members) = node.as_object() {
        if !members.iter().any(|m| m.name == "Statement") {
            if node.get("PolicyVersion").is_some() || node.get("PolicyDocument").is_some() {
                return PolicyType::Identity;
            }
            if node.get("Role").is_some() {
                return PolicyType::Trust;
            }
            match node.get("Policy") {
                Some(p) if p.as_str().is_some() => {
                    return if node.get("PolicyName").is_some() {
                        PolicyType::Key
                    } else {
                        PolicyType::Bucket
                    };
                }
                Some(p) => {
                    let rcp = p
                        .get("PolicySummary")
                        .and_then(|s| s.get("Type"))
                        .and_then(Node::as_str)
                        == Some("RESOURCE_CONTROL_POLICY");
                    return if rcp {
                        PolicyType::Rcp
                    } else {
                        PolicyType::Scp
                    };
                }
                None => {}
            }
        }
    }
    let document = match &node.value {
        Value::String(text) => {
            let text = if text.trim_start().starts_with('%') {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8_lossy()
                    .into_owned()
            } else {
                text.to_string()
            };
            return match crate::json::parse(&text, false) {
                Ok(inner) => guess_policy_type(&inner),
                Err(_) => PolicyType::Identity,
            };
        }
        _ => node,
    };
    let statements: Vec<&Node> = match document.get("Statement").map(|s| &s.value) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(_)) => document.get("Statement").into_iter().collect(),
        _ => Vec::new(),
    };
    let names_principal = statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some());
    if !names_principal {
        return PolicyType::Identity;
    }
    let mut actions: Vec<String> = Vec::new();
    for s in &statements {
        match s
            .get("Action")
            .or_else(|| s.get("NotAction"))
            .map(|a| &a.value)
        {
            Some(Value::String(a)) => actions.push(a.to_ascii_lowercase()),
            Some(Value::Array(items)) => actions.extend(
                items
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_ascii_lowercase),
            ),
            _ => {}
        }
    }
    let all = |f: &dyn Fn(&str) -> bool| !actions.is_empty() && actions.iter().all(|a| f(a));
    if all(&|a| {
        a.starts_with("sts:assumerole") || a == "sts:tagsession" || a == "sts:setsourceidentity"
    }) {
        PolicyType::Trust
    } else if all(&|a| a.starts_with("kms:")) {
        PolicyType::Key
    } else if all(&|a| a.starts_with("s3:")) {
        PolicyType::Bucket
    } else {
        PolicyType::Resource
    }
}

/// Reads a policy file and lints it: the policy type is `policy_type`, else what
/// [`guess_policy_type`] makes of the file. Positions in the findings are offsets in `source`.
pub fn lint_policy_text(
    source: &SourceText,
    policy_type: Option<PolicyType>,
    name: &str,
) -> Result<(Policy, Vec<Finding>), PolicyError> {
    let policy_type = match policy_type {
        Some(t) => t,
        None => match source.parse(false) {
            Ok(node) => guess_policy_type(&node),
            Err(_) => PolicyType::Identity,
        },
    };
    let policy = parse_policy_text(source, policy_type, name)?;
    let findings = lint(&policy);
    Ok((policy, findings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::SourceText;
    use crate::policy::parse_policy_text;

    fn codes(t: PolicyType, statements: &str) -> Vec<(&'static str, Level)> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        let p = parse_policy_text(&SourceText::new("p", text), t, "p").unwrap();
        lint(&p).iter().map(|f| (f.rule.code(), f.level)).collect()
    }

    #[test]
    fn single_valued_operators_on_multi_valued_keys_are_flagged() {
        let text = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:RequestObjectTagKeys":"team"}}},
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":"team"}}}]}"#;
        let p = parse_policy_text(&SourceText::new("p", text), PolicyType::Identity, "p").unwrap();
        let w = lint(&p);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].statement, Some(0));
        assert_eq!(w[0].rule, Rule::SingleValuedOperatorOnMultiValuedKey);
        assert!(w[0].message.contains("multi-valued"));
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_code(r.code()), Some(r));
            assert_eq!(Rule::ALL.iter().filter(|o| o.name() == r.name()).count(), 1);
        }
    }

    #[test]
    fn bucket_policies_are_checked_as_s3_checks_them() {
        let list_on_objects = r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"}"#;
        assert_eq!(
            codes(PolicyType::Bucket, list_on_objects),
            [("R003", Level::Error)]
        );
        let list = list_on_objects.replace("\"Principal\":{\"AWS\":\"111122223333\"},", "");
        assert_eq!(
            codes(PolicyType::Identity, &list),
            [("R003", Level::Warning)]
        );
    }

    #[test]
    fn malformed_arns_are_those_iam_refuses() {
        assert!(malformed_arn("arn:aws:s3::b/*").is_some());
        assert!(malformed_arn("arn:aws").is_some());
        assert!(malformed_arn("arn:aws::us-east-1:1:x").is_some());
        assert!(malformed_arn("arn:aws:iam:us-east-1:111122223333:role/r").is_some());
        assert!(malformed_arn("arn:aws:s3:::b/*").is_none());
        assert!(malformed_arn("arn:aws:ec2:*").is_none());
        assert!(malformed_arn("*").is_none());
    }
}
