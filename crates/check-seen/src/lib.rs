//! check-seen: validates one finding, ends resolved and ignored ones at once, and claims the
//! first alert of a new one; also serves `ReleaseClaim`, since it is the function that claims.
//!
//! Look first, then claim: most deliveries are duplicates, and a strongly consistent read costs a
//! fifth of a write, so a duplicate costs one read here and no write.

use hushhub_core::config::AlertPolicy;
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::finding::{Finding, FindingError};
use hushhub_core::metrics::{self, Metric};
use hushhub_core::ports::{
    ClaimOutcome, Clock, ImageRegistry, ReleaseOutcome, SeenStore, StoreError,
};
use hushhub_core::seen::{ClaimToken, SeenRecord, resolution};
use hushhub_core::steps::{
    CheckSeenInput, CheckSeenOutput, CheckSeenRequest, DecisionKind, ReleaseClaimInput,
    ReleaseClaimOutput, StepDecision,
};
use serde::Serialize;

/// What check-seen needs from the outside world.
pub struct Ports<S, R, C> {
    pub store: S,
    pub registry: R,
    pub clock: C,
    pub policy: AlertPolicy,
}

/// Why check-seen failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckSeenError {
    #[error(transparent)]
    InvalidFinding(#[from] FindingError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Race(String),
}

impl LambdaError for CheckSeenError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::InvalidFinding(_) => error_names::INVALID_FINDING,
            Self::Store(StoreError::Transient(_)) | Self::Race(_) => error_names::TRANSIENT,
            Self::Store(_) => error_names::STORE_FAILED,
        }
    }
}

/// The answer to either action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CheckSeenResponse {
    Checked(Box<CheckSeenOutput>),
    Released(ReleaseClaimOutput),
}

/// Runs the action the state machine asked for.
pub async fn handle<S: SeenStore, R: ImageRegistry, C: Clock>(
    ports: &Ports<S, R, C>,
    request: CheckSeenRequest<'_>,
) -> Result<CheckSeenResponse, CheckSeenError> {
    match request {
        CheckSeenRequest::CheckSeen(input) => check_seen(ports, input)
            .await
            .map(|o| CheckSeenResponse::Checked(Box::new(o))),
        CheckSeenRequest::ReleaseClaim(input) => release_claim(&ports.store, input)
            .await
            .map(CheckSeenResponse::Released),
    }
}

/// Decides new / seen / resolved / ignored for one raw finding.
pub async fn check_seen<S: SeenStore, R: ImageRegistry, C: Clock>(
    ports: &Ports<S, R, C>,
    input: CheckSeenInput<'_>,
) -> Result<CheckSeenOutput, CheckSeenError> {
    let finding = match Finding::read(
        input.finding.json(),
        input.detail_type.format(),
        &format!("detail.findings[{}]", input.index),
    ) {
        Ok(finding) => finding,
        Err(e) => {
            metrics::record(Metric::Rejected, None, None, ports.clock.now());
            return Err(e.into());
        }
    };
    let claim_token = input.claim_token();
    let delivery = Delivery {
        event_id: &input.event_id,
        claim_token: &claim_token,
        escalate_now: input.detail_type.is_escalate_now(),
    };
    let decision = decide(ports, &delivery, &finding).await?;
    let event_id = input.event_id;
    if let Some(metric) = Metric::of_decision(decision.kind) {
        metrics::record(
            metric,
            Some(finding.severity),
            Some(&finding.account_id),
            ports.clock.now(),
        );
    }
    Ok(CheckSeenOutput {
        event_id,
        claim_token,
        finding,
        decision,
    })
}

/// Which delivery of a finding this is.
struct Delivery<'a> {
    event_id: &'a str,
    claim_token: &'a ClaimToken,
    /// Someone asked for an alert now (a Security Hub custom action).
    escalate_now: bool,
}

async fn decide<S: SeenStore, R: ImageRegistry, C: Clock>(
    ports: &Ports<S, R, C>,
    delivery: &Delivery<'_>,
    finding: &Finding,
) -> Result<StepDecision, CheckSeenError> {
    let Delivery {
        event_id,
        claim_token,
        escalate_now,
    } = *delivery;
    let terminal = |kind, reason: String| StepDecision::new(event_id, finding, kind, reason, None);
    if let Some(why) = resolution(finding) {
        return resolve(ports, event_id, finding, why).await;
    }
    // A person asking for this alert outranks the filters and silences written for the flood.
    if !escalate_now {
        if let Some(why) = ports.policy.ignore_reason(finding) {
            return Ok(terminal(DecisionKind::Ignored, why));
        }
        if let Some(why) = stale_image_reason(ports, finding).await {
            return Ok(terminal(DecisionKind::Ignored, why));
        }
    }
    let now = ports.clock.now();
    let silenced = if escalate_now {
        None
    } else {
        ports.policy.silences.reason(finding, now)
    };
    let seen_now = |record, why| {
        let mut decision = seen(event_id, finding, record, why);
        decision.silenced.clone_from(&silenced);
        decision.escalate_now = escalate_now;
        decision
    };
    let first_seen = |decision: StepDecision| StepDecision {
        escalate_now,
        ..decision
    };
    if let Some(record) = ports.store.get(&finding.id).await? {
        if record.is_claimed_by(claim_token) {
            return Ok(first_seen(first_alert(event_id, finding, record, RETRIED)));
        }
        let why = if escalate_now {
            "escalate now requested"
        } else {
            "seen before"
        };
        return Ok(seen_now(record, why));
    }
    if let Some(why) = &silenced {
        // Recorded like any new finding, but not alerted: it alerts once the silence ends. No
        // claim token: there is no alert to claim, and a retry of this delivery reads the
        // record as seen, and silenced, again.
        let record = SeenRecord::first_sighting_silenced(finding, now);
        return match ports.store.claim_new(&record).await? {
            ClaimOutcome::Won => {
                let mut decision = StepDecision::new(
                    event_id,
                    finding,
                    DecisionKind::Suppressed,
                    why.clone(),
                    Some(record),
                );
                decision.silenced = silenced.clone();
                Ok(decision)
            }
            ClaimOutcome::Lost(Some(winner)) | ClaimOutcome::AlreadyHeld(winner) => {
                Ok(seen_now(winner, "another delivery recorded it first"))
            }
            ClaimOutcome::Lost(None) => Err(CheckSeenError::Race(format!(
                "finding {} was claimed and deleted concurrently",
                finding.id
            ))),
        };
    }
    let record = SeenRecord::first_sighting(finding, now).claimed_by(claim_token.clone());
    let first_time = if escalate_now {
        "escalated now on request; first time seen"
    } else {
        "first time seen"
    };
    match ports.store.claim_new(&record).await? {
        ClaimOutcome::Won => Ok(first_seen(first_alert(
            event_id, finding, record, first_time,
        ))),
        ClaimOutcome::AlreadyHeld(stored) => {
            Ok(first_seen(first_alert(event_id, finding, stored, RETRIED)))
        }
        ClaimOutcome::Lost(Some(winner)) => {
            Ok(seen_now(winner, "another delivery recorded it first"))
        }
        // The winner's record vanished between its write and ours (resolved meanwhile): retrying
        // decides afresh.
        ClaimOutcome::Lost(None) => Err(CheckSeenError::Race(format!(
            "finding {} was claimed and deleted concurrently",
            finding.id
        ))),
    }
}

/// A resolved finding: its record is deleted, so a later active update alerts as new. With
/// resolved notices on, the delivery whose delete removed the record of a finding that was
/// alerted on owes its one notice: the delete has exactly one winner, as a claim does.
async fn resolve<S: SeenStore, R, C>(
    ports: &Ports<S, R, C>,
    event_id: &str,
    finding: &Finding,
    why: &str,
) -> Result<StepDecision, CheckSeenError> {
    // Read before deleting: a resolved update of a finding never alerted is common, and a read
    // is cheaper than a delete of nothing.
    let Some(record) = ports.store.get(&finding.id).await? else {
        let reason = format!("{why}: nothing recorded");
        return Ok(StepDecision::new(
            event_id,
            finding,
            DecisionKind::Resolved,
            reason,
            None,
        ));
    };
    let deleted = ports.store.forget(&finding.id).await?;
    let reason = format!("{why}: record deleted, a later active update alerts as new");
    if deleted && ports.policy.resolved_notices && record.alert_count > 0 {
        let reason = format!("{reason}; resolved notice sent");
        return Ok(StepDecision::new(
            event_id,
            finding,
            DecisionKind::ResolvedNotice,
            reason,
            Some(record),
        ));
    }
    Ok(StepDecision::new(
        event_id,
        finding,
        DecisionKind::Resolved,
        reason,
        None,
    ))
}

/// Why a retried delivery alerts although the record exists: it made the record itself.
const RETRIED: &str =
    "first time seen (claimed by an earlier attempt of this delivery, whose answer was lost)";

/// A new finding's alert, on the claim `record` holds.
fn first_alert(event_id: &str, finding: &Finding, record: SeenRecord, why: &str) -> StepDecision {
    let claim = record.claim(None);
    let mut decision = StepDecision::new(
        event_id,
        finding,
        DecisionKind::New,
        why.into(),
        Some(record),
    );
    decision.claim = Some(claim);
    decision
}

fn seen(event_id: &str, finding: &Finding, record: SeenRecord, why: &str) -> StepDecision {
    let reason = format!(
        "{why}; first seen {}",
        hushhub_core::timestamp::to_minute(&record.first_seen_at)
    );
    StepDecision::new(event_id, finding, DecisionKind::Seen, reason, Some(record))
}

/// Why an ECR image finding is ignored: its image is not the latest tagged image of its
/// repository. On a registry error it alerts: uncertainty never silences a finding.
async fn stale_image_reason<S, R: ImageRegistry, C>(
    ports: &Ports<S, R, C>,
    finding: &Finding,
) -> Option<String> {
    if !ports.policy.ecr_latest_only {
        return None;
    }
    let image = finding.ecr_image()?;
    match ports
        .registry
        .latest_tagged(image.registry_id.as_deref(), &image.repository)
        .await
    {
        Ok(Some(latest)) if latest.digest != image.digest => Some(format!(
            "image {} is not the latest tagged image of {} (latest is {} {})",
            short_digest(&image.digest),
            image.repository,
            short_digest(&latest.digest),
            latest.tags.join(","),
        )),
        Ok(Some(_)) => None,
        Ok(None) => Some(format!(
            "repository {} has no tagged image",
            image.repository
        )),
        Err(e) => {
            tracing::warn!(error = %e, repository = %image.repository, "cannot tell the latest image; alerting");
            None
        }
    }
}

fn short_digest(digest: &str) -> &str {
    let end = digest
        .char_indices()
        .nth(19)
        .map_or(digest.len(), |(i, _)| i);
    &digest[..end]
}

/// Gives a claim back after a failed send, so the next delivery alerts.
pub async fn release_claim<S: SeenStore>(
    store: &S,
    input: ReleaseClaimInput,
) -> Result<ReleaseClaimOutput, CheckSeenError> {
    let released = store.release_claim(&input.claim).await? == ReleaseOutcome::Released;
    tracing::info!(finding_id = %input.claim.finding_id, released, "release_claim");
    Ok(ReleaseClaimOutput { released })
}
