//! age-check: a seen finding alerts again only when its `renotify_after` window has passed
//! since the last alert, or at once when its severity rose above the one last alerted.
//!
//! A due finding that a silence holds for is suppressed instead, and its record left as it is,
//! so it alerts at the first delivery after the silence ends.
//!
//! An alert someone asked for (escalate now) skips the window but not the claim, so two
//! requests for the same finding send one email.
//!
//! The re-alert is claimed with a write conditional on the `last_alerted_at` that was read, so
//! of any number of concurrent deliveries exactly one sends the email.

use chrono::{DateTime, Utc};
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::metrics::{self, Metric};
use hushhub_core::ports::{ClaimOutcome, Clock, SeenStore, StoreError};
use hushhub_core::seen::{
    self, Due, ESCALATE_NOW_QUIET_MINUTES, EscalateNow, RenotifyPolicy, SeenRecord, expires_at,
    format_duration,
};
use hushhub_core::steps::{AgeCheckInput, DecisionKind, StepDecision};

/// What age-check needs from the outside world.
pub struct Ports<S, C> {
    pub store: S,
    pub clock: C,
    pub renotify: RenotifyPolicy,
}

/// Why age-check failed.
#[derive(Debug, thiserror::Error)]
pub enum AgeCheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LambdaError for AgeCheckError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::Store(StoreError::Transient(_)) => error_names::TRANSIENT,
            Self::Store(_) => error_names::STORE_FAILED,
        }
    }
}

/// The reason an alert someone asked for starts with.
pub const ESCALATED_NOW: &str = "escalated now on request";

/// Decides `realert` (and claims it) or `suppressed`.
pub async fn handle<S: SeenStore, C: Clock>(
    ports: &Ports<S, C>,
    input: AgeCheckInput,
) -> Result<StepDecision, AgeCheckError> {
    let severity = input.finding.severity;
    let account = input.record.account_id.clone();
    let decision = decide(ports, input).await?;
    if let Some(metric) = Metric::of_decision(decision.kind) {
        metrics::record(metric, Some(severity), Some(&account), ports.clock.now());
    }
    Ok(decision)
}

async fn decide<S: SeenStore, C: Clock>(
    ports: &Ports<S, C>,
    input: AgeCheckInput,
) -> Result<StepDecision, AgeCheckError> {
    let AgeCheckInput {
        event_id,
        claim_token,
        finding,
        record,
        silenced,
        escalate_now,
    } = input;
    let now = ports.clock.now();
    let suppressed = |reason: String, record: SeenRecord| {
        StepDecision::about(
            &event_id,
            &finding.id,
            finding.severity,
            DecisionKind::Suppressed,
            reason,
            Some(record),
        )
    };
    if escalate_now && let EscalateNow::AlreadyAlerted { at } = seen::escalate_now(&record, now) {
        let reason = format!(
            "escalate now: already alerted {}, within {ESCALATE_NOW_QUIET_MINUTES} minutes, so this request sends nothing more",
            hushhub_core::timestamp::to_minute(&at)
        );
        let mut decision = suppressed(reason, record);
        decision.escalate_now = true;
        return Ok(decision);
    }
    let due = ports.renotify.is_due_at(&record, finding.severity, now);
    let why = match due {
        _ if escalate_now && record.alert_count == 0 => {
            format!("{ESCALATED_NOW}; never alerted before (it was silenced)")
        }
        _ if escalate_now => format!(
            "{ESCALATED_NOW}; last alert {}",
            hushhub_core::timestamp::to_minute(&record.last_alerted_at)
        ),
        Due::NeverAlerted => "first alert: the finding was silenced until now".to_owned(),
        Due::Escalated { from, to } => format!("severity escalated from {from} to {to}"),
        Due::WindowElapsed { window } => format!(
            "the {} renotify_after window of {} has passed since the last alert",
            format_duration(window),
            finding.severity
        ),
        Due::NotYet { next_due_at } => {
            refresh_last_seen_if_stale(&ports.store, &record, now).await?;
            let reason = match next_due_at {
                Some(at) => format!(
                    "within its renotify_after window; next alert due {}",
                    hushhub_core::timestamp::to_minute(&at)
                ),
                None => format!(
                    "no renotify_after window for {}; alerts again only if it escalates",
                    finding.severity
                ),
            };
            return Ok(suppressed(reason, record));
        }
    };
    // Check-seen passes no silence with a request to escalate now; this holds it here too.
    if let Some(silenced) = silenced.filter(|_| !escalate_now) {
        refresh_last_seen_if_stale(&ports.store, &record, now).await?;
        let mut decision = suppressed(silenced.clone(), record);
        decision.silenced = Some(silenced);
        return Ok(decision);
    }
    let updated = record
        .realerted_as(&finding.title, finding.severity, now)
        .claimed_by(claim_token);
    let held = match ports
        .store
        .claim_realert(record.last_alerted_at, &updated)
        .await?
    {
        ClaimOutcome::Won => updated,
        // An earlier attempt of this delivery claimed it and its answer was lost: go on with
        // the record it wrote, so a release restores exactly that claim.
        ClaimOutcome::AlreadyHeld(stored) => stored,
        ClaimOutcome::Lost(current) => {
            return Ok(suppressed(
                "another delivery claimed this re-alert".into(),
                current.unwrap_or(record),
            ));
        }
    };
    let claim = held.claim(Some(&record));
    let mut decision = StepDecision::about(
        &event_id,
        &finding.id,
        finding.severity,
        DecisionKind::Realert,
        why,
        Some(held),
    );
    decision.claim = Some(claim);
    decision.escalate_now = escalate_now;
    Ok(decision)
}

/// A quiet duplicate moves `last_seen_at` (and so the TTL) on, at most once a day.
async fn refresh_last_seen_if_stale<S: SeenStore>(
    store: &S,
    record: &SeenRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if record.needs_last_seen_refresh(now) {
        store
            .refresh_last_seen(&record.finding_id, now, expires_at(now))
            .await?;
    }
    Ok(())
}
