//! The traits through which handlers reach the outside world, each with its error contract.
//!
//! AWS adapters (crate `hushhub-aws`) and local adapters (crate `hushhub-local`) implement the
//! same traits, so the Lambdas and the local replay run the same handler code.

use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::email::Email;
use crate::finding::{ComplianceStatus, FindingId, RecordState, WorkflowStatus};
use crate::seen::{Claim, SeenRecord};
use crate::summary_cache::CachedSummary;

/// Where "now" comes from. Domain code never reads the system clock itself.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The real wall clock, for the Lambdas.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it is told: tests and the replay (which follows each event's time).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock (forwards or backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A store failure. `Transient` is worth retrying (the definition's Retry does); the others are not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("state store is throttling or unavailable: {0}")]
    Transient(String),
    #[error("a stored record is unreadable: {0}")]
    CorruptRecord(String),
    #[error("state store failed: {0}")]
    Failed(String),
}

/// The answer of a conditional claim.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimOutcome {
    /// This caller holds the claim: it must send the alert (or release the claim).
    Won,
    /// Another delivery claimed first; its record (when it still exists) comes back from the
    /// same request.
    Lost(Option<SeenRecord>),
    /// An earlier attempt of this same delivery (same claim token) already made this claim and
    /// its answer was lost: the caller holds the claim, as the stored record here says.
    AlreadyHeld(SeenRecord),
}

/// Whether a release found its claim still in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseOutcome {
    Released,
    /// The record moved on (another claim, or it was deleted): nothing to give back.
    NoLongerHeld,
}

/// One page of a full scan, for the reaper.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPage {
    pub records: Vec<SeenRecord>,
    /// Opaque cursor of the next page; `None` after the last.
    pub next: Option<String>,
}

/// First-seen state of findings, with claims that have exactly one winner.
///
/// Every method returns `StoreError::Transient` for throttling and timeouts, and never leaves a
/// half-written record: each is one atomic request.
pub trait SeenStore: Send + Sync {
    /// The record of a finding, read strongly consistently; `None` if never seen (or forgotten).
    fn get(
        &self,
        id: &FindingId,
    ) -> impl Future<Output = Result<Option<SeenRecord>, StoreError>> + Send;

    /// Writes `record` only if no record of its finding exists (`attribute_not_exists(pk)`).
    /// Of any number of concurrent callers exactly one gets `Won`; the others get `Lost` with the
    /// winner's record, or `AlreadyHeld` when the winner carries `record`'s own claim token.
    fn claim_new(
        &self,
        record: &SeenRecord,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;

    /// Replaces the record with `updated` only if its `last_alerted_at` is still
    /// `expected_last_alerted_at` and its `alert_count` is not already `updated.alert_count`
    /// (optimistic concurrency; the count tells apart two claims made in the same millisecond):
    /// one winner per re-alert. As with `claim_new`, a record already carrying `updated`'s claim
    /// token comes back as `AlreadyHeld`.
    fn claim_realert(
        &self,
        expected_last_alerted_at: DateTime<Utc>,
        updated: &SeenRecord,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;

    /// Gives a claim back: deletes the record of a new finding, or restores the previous alert of
    /// a re-alert, only while `last_alerted_at` still equals `claim.claimed_at` and the record
    /// still carries `claim.token`.
    fn release_claim(
        &self,
        claim: &Claim,
    ) -> impl Future<Output = Result<ReleaseOutcome, StoreError>> + Send;

    /// Sets `last_seen_at` and `expires_at` of an existing record; a missing record is not an error.
    fn refresh_last_seen(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the record; `true` if there was one.
    fn forget(&self, id: &FindingId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes the record only if its `last_seen_at` is still the one the caller read, so a
    /// finding updated meanwhile is kept. `true` if deleted.
    fn forget_if_unchanged(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// One page of every record; pass the previous page's `next` to continue.
    fn scan_page(
        &self,
        cursor: Option<String>,
        limit: u32,
    ) -> impl Future<Output = Result<ScanPage, StoreError>> + Send;
}

impl<T: SeenStore + ?Sized> SeenStore for std::sync::Arc<T> {
    fn get(
        &self,
        id: &FindingId,
    ) -> impl Future<Output = Result<Option<SeenRecord>, StoreError>> + Send {
        (**self).get(id)
    }
    fn claim_new(
        &self,
        record: &SeenRecord,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send {
        (**self).claim_new(record)
    }
    fn claim_realert(
        &self,
        expected_last_alerted_at: DateTime<Utc>,
        updated: &SeenRecord,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send {
        (**self).claim_realert(expected_last_alerted_at, updated)
    }
    fn release_claim(
        &self,
        claim: &Claim,
    ) -> impl Future<Output = Result<ReleaseOutcome, StoreError>> + Send {
        (**self).release_claim(claim)
    }
    fn refresh_last_seen(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).refresh_last_seen(id, last_seen_at, expires_at)
    }
    fn forget(&self, id: &FindingId) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).forget(id)
    }
    fn forget_if_unchanged(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).forget_if_unchanged(id, last_seen_at)
    }
    fn scan_page(
        &self,
        cursor: Option<String>,
        limit: u32,
    ) -> impl Future<Output = Result<ScanPage, StoreError>> + Send {
        (**self).scan_page(cursor, limit)
    }
}

/// Keeps a finding's model-written summary on its record (read back with the record, through
/// [`SeenStore::get`]). score-and-summarise needs only this write, so it gets only this port.
pub trait SummaryCache: Send + Sync {
    /// Stores `cached` on the record of `claim.finding_id`, replacing any summary there, only
    /// while the record still holds this claim (`last_alerted_at == claim.claimed_at`): `true`
    /// if stored, `false` when the record moved on or is gone. One atomic request; throttling
    /// and timeouts are `StoreError::Transient`. Callers treat every failure as "not cached":
    /// the alert never depends on it.
    fn remember_summary(
        &self,
        claim: &Claim,
        cached: &CachedSummary,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

impl<T: SummaryCache + ?Sized> SummaryCache for std::sync::Arc<T> {
    fn remember_summary(
        &self,
        claim: &Claim,
        cached: &CachedSummary,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).remember_summary(claim, cached)
    }
}

/// A send failure. `Transient` (throttling, timeouts) is retried; `Rejected` is permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("mail service is throttling or unavailable: {0}")]
    Transient(String),
    #[error("mail service rejected the message: {0}")]
    Rejected(String),
}

/// Proof that a message was accepted for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    /// The service's message id (SES), or the file name (local outbox).
    pub message_id: String,
}

/// Sends one rendered email, whole or not at all.
pub trait Mailer: Send + Sync {
    fn send(&self, email: &Email) -> impl Future<Output = Result<SentEmail, SendError>> + Send;
}

/// Why no model reply could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummariserError {
    #[error("the model is not used here: {0}")]
    Offline(String),
    #[error("access to the model was denied: {0}")]
    AccessDenied(String),
    #[error("the model is throttling: {0}")]
    Throttled(String),
    #[error("the model did not answer in time")]
    Timeout,
    #[error("the model is not available: {0}")]
    Unavailable(String),
}

/// A language model that answers a prompt with text; everything about what to ask and whether
/// to believe the answer lives in [`crate::summary`].
pub trait Summariser: Send + Sync {
    fn complete(
        &self,
        prompt: &crate::summary::Prompt,
    ) -> impl Future<Output = Result<String, SummariserError>> + Send;
}

/// The image that a repository's newest tag points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedImage {
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: DateTime<Utc>,
}

/// A registry lookup failure; the caller alerts rather than ignore on uncertainty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("image registry lookup failed: {0}")]
pub struct RegistryError(pub String);

/// Container image registry (ECR).
pub trait ImageRegistry: Send + Sync {
    /// The most recently pushed tagged image of `repository`; `None` if it has no tagged image.
    fn latest_tagged(
        &self,
        registry_id: Option<&str>,
        repository: &str,
    ) -> impl Future<Output = Result<Option<TaggedImage>, RegistryError>> + Send;
}

/// What Security Hub currently says of a finding, for the reaper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingState {
    pub id: FindingId,
    pub record_state: RecordState,
    pub workflow_status: Option<WorkflowStatus>,
    pub compliance_status: Option<ComplianceStatus>,
}

/// A status lookup failure; the reaper keeps every record of the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("finding status lookup failed: {0}")]
pub struct StatusError(pub String);

/// Security Hub's view of findings.
pub trait FindingStatusSource: Send + Sync {
    /// The largest batch [`FindingStatusSource::states`] accepts (Security Hub: 20 filter values).
    const MAX_BATCH: usize = 20;

    /// The current state of each finding Security Hub still has; ids it does not return are gone.
    fn states(
        &self,
        ids: &[FindingId],
    ) -> impl Future<Output = Result<Vec<FindingState>, StatusError>> + Send;
}
