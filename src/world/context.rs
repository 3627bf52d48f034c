//! The context keys AWS fills in for a request: who calls (the principal keys), when
//! (`aws:CurrentTime`), where (Region, resource account, organization, VPC endpoint) and the
//! service's own keys. Scenario-format.md and the README list them.

use std::sync::{Arc, OnceLock};

use super::{Endpoint, World};
use crate::engine::{Caller, CallerKind, Context};
use crate::policy::arn::{split_arn, ArnFields};

/// A request time that is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a timestamp such as \"2026-01-31T12:00:00Z\", found {text:?} ({reason})")]
pub struct TimeError {
    pub text: String,
    pub reason: String,
}

/// The moment of this process's run, read or set once.
static RUN_START: OnceLock<RequestTime> = OnceLock::new();

/// The moment a world's requests are made: `aws:CurrentTime` (ISO 8601, UTC) and
/// `aws:EpochTime` (seconds). A scenario may set it; by default it is the moment the run
/// started, as AWS would stamp a request made now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTime {
    iso: Arc<str>,
    epoch: Arc<str>,
}

impl RequestTime {
    /// The moment this process started its run (read once, shared by every world).
    pub fn run_start() -> RequestTime {
        RUN_START
            .get_or_init(|| RequestTime::at(chrono::Utc::now()))
            .clone()
    }

    /// Whether the moment of this process's run is known yet (read or set).
    pub fn run_start_known() -> bool {
        RUN_START.get().is_some()
    }

    /// Makes `self` the moment this process's run started, unless something has read that
    /// already (then `false`): a report's page engine decides at the time of the run that
    /// wrote the report, so its traces agree with the report's table.
    pub fn start_run(self) -> bool {
        RUN_START.set(self).is_ok()
    }

    /// A time given as an RFC 3339 / ISO 8601 timestamp (`2026-01-31T12:00:00Z`, any offset).
    pub fn parse(text: &str) -> Result<RequestTime, TimeError> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| RequestTime::at(t.with_timezone(&chrono::Utc)))
            .map_err(|e| TimeError {
                text: text.to_string(),
                reason: e.to_string(),
            })
    }

    fn at(time: chrono::DateTime<chrono::Utc>) -> RequestTime {
        RequestTime {
            iso: time.format("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
            epoch: time.timestamp().to_string().into(),
        }
    }

    /// `aws:CurrentTime`.
    pub fn iso(&self) -> &str {
        &self.iso
    }

    /// `aws:EpochTime`.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }
}

/// What the keys AWS fills in for a request depend on.
#[derive(Debug, Clone, Copy)]
pub struct BaseRequest<'a> {
    pub caller: &'a Caller,
    /// The action (its service decides the service's own keys).
    pub action: &'a str,
    /// The resource ARN (its Region, or its bucket's, is `aws:RequestedRegion`).
    pub resource: &'a str,
    pub resource_account: Option<&'a str>,
    pub endpoint: Option<&'a Endpoint>,
    /// The bucket Region of a KMS request S3 makes on the caller's behalf: the context then also
    /// holds the keys such a request always carries.
    pub via_s3: Option<&'a str>,
    /// `aws:RequestedRegion`, when the caller knows it (a bucket's or a key's Region); found from
    /// the resource otherwise.
    pub region: Option<&'a str>,
}

/// Base contexts already built, by what they depend on (see [`World::base_context_in`]).
#[derive(Debug, Default)]
pub struct ContextCache {
    entries: Vec<(CacheKey, Arc<Context>)>,
}

#[derive(Debug, PartialEq)]
struct CacheKey {
    caller: Caller,
    service: String,
    region: String,
    resource_account: Option<String>,
    endpoint: Option<String>,
    /// The bucket Region of a KMS request S3 makes on the caller's behalf.
    via_s3: Option<String>,
}

impl ContextCache {
    /// Most scenarios have a handful of callers and services; at this many entries the cache
    /// starts over.
    const LIMIT: usize = 64;

    /// Forgets every context: the world changed what they describe.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The base context of a request, built once per distinct key. `via_s3` is set for a KMS
    /// request that S3 makes on the caller's behalf for a bucket in that Region: the context
    /// then also holds the keys such a request always carries.
    pub fn context(&mut self, world: &World, request: &BaseRequest<'_>) -> Context {
        let BaseRequest {
            caller,
            action,
            resource,
            resource_account,
            endpoint,
            via_s3,
            ..
        } = *request;
        let service = crate::policy::arn::before(action, b':');
        let region = match request.region {
            Some(r) => r,
            None => world.requested_region(resource),
        };
        let endpoint_id = endpoint.map(|e| e.id.as_str());
        let found = self.entries.iter().find(|(k, _)| {
            k.service.eq_ignore_ascii_case(service)
                && k.region == region
                && k.resource_account.as_deref() == resource_account
                && k.endpoint.as_deref() == endpoint_id
                && k.via_s3.as_deref() == via_s3
                && k.caller == *caller
        });
        if let Some((_, ctx)) = found {
            return Context::on(ctx.clone());
        }
        let base = world.base_context_in(request, region);
        let ctx = Arc::new(base);
        // Full: start over, so that the callers of the requests now being made are the ones
        // kept (runs usually go caller by caller).
        if self.entries.len() >= Self::LIMIT {
            self.entries.clear();
        }
        {
            self.entries.push((
                CacheKey {
                    caller: caller.clone(),
                    service: service.to_string(),
                    region: region.to_string(),
                    resource_account: resource_account.map(str::to_string),
                    endpoint: endpoint_id.map(str::to_string),
                    via_s3: via_s3.map(str::to_string),
                },
                ctx.clone(),
            ));
        }
        Context::on(ctx)
    }
}

impl World {
    /// The context keys AWS sets itself for a request (scenario-format.md; README lists them).
    pub fn base_context(&self, request: &BaseRequest<'_>) -> Context {
        let region = match request.region {
            Some(r) => r,
            None => self.requested_region(request.resource),
        };
        self.base_context_in(request, region)
    }

    /// `aws:RequestedRegion` of a request on `resource`: the ARN's Region, else the bucket's
    /// (S3 ARNs carry none), else the scenario's.
    pub fn requested_region<'a>(&'a self, resource: &'a str) -> &'a str {
        self.requested_region_of(split_arn(resource))
    }

    /// [`World::requested_region`] of a resource ARN already split (`None`: not an ARN).
    pub fn requested_region_of<'a>(&'a self, fields: Option<ArnFields<'a>>) -> &'a str {
        if let Some(r) = fields.map(|f| f[3]).filter(|r| !r.is_empty()) {
            return r;
        }
        fields
            .filter(|f| f[2] == "s3")
            .and_then(|f| self.bucket(crate::policy::arn::before(f[5], b'/')))
            .map_or(self.region.as_str(), |b| b.region.as_str())
    }

    /// [`World::base_context`] for a request whose `aws:RequestedRegion` is known: everything in
    /// it depends only on the caller, the action's service, the Region, the resource's account,
    /// the endpoint and the bucket Region of S3's KMS requests, so one context serves every
    /// request that shares those.
    pub fn base_context_in(&self, request: &BaseRequest<'_>, region: &str) -> Context {
        let BaseRequest {
            caller,
            action,
            resource_account,
            endpoint,
            via_s3,
            ..
        } = *request;
        let mut ctx = Context::new();
        self.principal_keys(&mut ctx, caller);
        ctx.set("aws:SecureTransport", "true");
        ctx.set("aws:ViaAWSService", "false");
        let clock = &self.now;
        // Temporary credentials (role and federated sessions) carry these two keys.
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime
        if matches!(
            caller.kind,
            CallerKind::RoleSession { .. } | CallerKind::FederatedUser { .. }
        ) {
            ctx.set("aws:TokenIssueTime", clock.iso());
            // Identities federated through OIDC or SAML carry no MFA keys.
            // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
            let federated = caller
                .arn
                .as_deref()
                .and_then(|a| self.sessions.get(a))
                .is_some_and(|s| s.federated);
            if !federated {
                ctx.set("aws:MultiFactorAuthPresent", "false");
            }
        }
        ctx.set("aws:CurrentTime", clock.iso());
        ctx.set("aws:EpochTime", clock.epoch());
        ctx.set("aws:RequestedRegion", region);
        if let Some(account) = resource_account {
            ctx.set("aws:ResourceAccount", account);
            if let (Some(org), Some(path)) = (&self.organization, self.org_member(account)) {
                if let Some(id) = &org.id {
                    ctx.set("aws:ResourceOrgID", id.as_str());
                    ctx.set_multi("aws:ResourceOrgPaths", vec![path.to_string()]);
                }
            }
        }
        let service = crate::policy::arn::before(action, b':');
        match service {
            s3 if s3.eq_ignore_ascii_case("s3") => {
                if let Some(account) = resource_account {
                    ctx.set("s3:ResourceAccount", account);
                }
                ctx.set("s3:authType", "REST-HEADER");
                ctx.set("s3:signatureversion", "AWS4-HMAC-SHA256");
            }
            kms if kms.eq_ignore_ascii_case("kms") && caller.is_iam_principal() => {
                if let Some(a) = &caller.account {
                    ctx.set("kms:CallerAccount", a.as_str());
                }
            }
            _ => {}
        }
        if let Some(e) = endpoint {
            ctx.set("aws:SourceVpce", e.id.as_str());
            if let Some(vpc) = &e.vpc {
                ctx.set("aws:SourceVpc", vpc.as_str());
            }
        }
        if let Some(bucket_region) = via_s3 {
            // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
            ctx.set(
                "kms:ViaService",
                format!("s3.{bucket_region}.amazonaws.com"),
            );
            ctx.set("aws:ViaAWSService", "true");
            ctx.set_multi("kms:EncryptionContextKeys", vec!["aws:s3:arn".to_string()]);
        }
        ctx
    }

    /// The keys that describe the caller: `aws:PrincipalArn`, `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:userid`, `aws:username`, tags and organization.
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    fn principal_keys(&self, ctx: &mut Context, caller: &Caller) {
        if let Some(arn) = caller.principal_arn() {
            ctx.set("aws:PrincipalArn", arn);
        }
        let account = match &caller.kind {
            CallerKind::Anonymous => {
                ctx.set("aws:PrincipalAccount", "anonymous");
                ctx.set("aws:PrincipalType", "Anonymous");
                ctx.set("aws:userid", "anonymous");
                return;
            }
            CallerKind::Service { name } => {
                ctx.set("aws:PrincipalIsAWSService", "true");
                ctx.set("aws:PrincipalServiceName", name.as_str());
                return;
            }
            // Someone outside IAM presenting a token or assertion: their keys come from the
            // credential (set by the STS call), none describe an IAM principal.
            CallerKind::WebIdentity { .. } | CallerKind::Saml { .. } => return,
            _ => caller.account.clone().unwrap_or_default(),
        };
        let principal = self.principal_of(caller);
        ctx.set("aws:PrincipalAccount", account.as_str());
        ctx.set("aws:PrincipalIsAWSService", "false");
        let unique = principal.and_then(|p| p.unique_id.as_deref());
        match &caller.kind {
            CallerKind::Root => {
                ctx.set("aws:PrincipalType", "Account");
                ctx.set("aws:userid", account.as_str());
            }
            CallerKind::User { name } => {
                ctx.set("aws:PrincipalType", "User");
                ctx.set("aws:username", name.as_str());
                if let Some(u) = unique {
                    ctx.set("aws:userid", u);
                }
            }
            CallerKind::RoleSession { session, .. } => {
                ctx.set("aws:PrincipalType", "AssumedRole");
                if let Some(u) = unique {
                    ctx.set("aws:userid", format!("{u}:{session}"));
                }
            }
            CallerKind::FederatedUser { name } => {
                ctx.set("aws:PrincipalType", "FederatedUser");
                ctx.set("aws:userid", format!("{account}:{name}"));
            }
            CallerKind::Anonymous
            | CallerKind::Service { .. }
            | CallerKind::WebIdentity { .. }
            | CallerKind::Saml { .. } => {}
        }
        // A session an STS call created carries its own tags (the role's, overridden by the
        // session tags), its source identity and the federated claims that stay in a session.
        let session = match &caller.kind {
            CallerKind::RoleSession { .. } => {
                caller.arn.as_deref().and_then(|a| self.sessions.get(a))
            }
            _ => None,
        };
        let tags = match (session, principal) {
            (Some(s), _) => s.tags.as_slice(),
            (None, Some(p)) => p.tags.as_slice(),
            (None, None) => &[],
        };
        for (k, v) in tags {
            ctx.set(format!("aws:PrincipalTag/{k}"), v.as_str());
        }
        if let Some(s) = session {
            if let Some(identity) = &s.source_identity {
                ctx.set("aws:SourceIdentity", identity.as_str());
            }
            ctx.apply(&s.federated_keys);
        }
        if let (Some(org), Some(placement)) = (&self.organization, self.org_member(&account)) {
            if let Some(id) = &org.id {
                ctx.set("aws:PrincipalOrgID", id.as_str());
                ctx.set_multi("aws:PrincipalOrgPaths", vec![placement.to_string()]);
            }
        }
    }

    /// The organization path of a member account (the management account is a member too, for
    /// `aws:PrincipalOrgID`).
    fn org_member(&self, account: &str) -> Option<&str> {
        let org = self.organization.as_ref()?;
        org.accounts
            .get(account)
            .map(|p| p.org_path.as_str())
            .or_else(|| (org.management_account.as_deref() == Some(account)).then_some(""))
    }
}
