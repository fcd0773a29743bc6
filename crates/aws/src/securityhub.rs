//! Security Hub adapters: the reaper's `FindingStatusSource` (`GetFindings` by finding id) and
//! the optional notes that mark an alerted finding `NOTIFIED` (`BatchUpdateFindings`).
//!
//! Both pace their own requests to Security Hub's documented per-account rate limits, so a
//! reaper run over a large table slows down instead of being throttled.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, NoteUpdate,
    StringFilter, StringFilterComparison, WorkflowUpdate,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use hushhub_core::finding::{ComplianceStatus, FindingId, RecordState, WorkflowStatus};
use hushhub_core::ports::{FindingState, FindingStatusSource, StatusError};
use hushhub_core::seen::resolution_of;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::clients::{Fault, classify, describe};

/// `GetFindings`: 3 requests per second, bursts of 6 (Security Hub API reference, rate limits).
pub const GET_FINDINGS_RATE: Rate = Rate {
    per_second: 3.0,
    burst: 6.0,
};
/// `BatchUpdateFindings`: Security Hub's default for other operations, 10 per second, bursts
/// of 30.
pub const BATCH_UPDATE_FINDINGS_RATE: Rate = Rate {
    per_second: 10.0,
    burst: 30.0,
};
/// Findings per `GetFindings` page (the API's maximum).
pub const PAGE_SIZE: i32 = 100;
/// Pages read for one batch before giving up: 20 ids need one page; many more means a filter
/// is not applied, and the reaper must not act on that answer.
const MAX_PAGES: usize = 10;
/// `Note.UpdatedBy` on the notes hushhub writes.
pub const NOTE_AUTHOR: &str = "hushhub";
/// `Note.Text` limit of `BatchUpdateFindings`, in characters.
pub const NOTE_MAX_CHARS: usize = 512;

/// A request rate: `per_second` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// A token bucket over tokio's clock (so tests can pause time). Callers wait in turn: the
/// lock is held while sleeping, which also keeps their order.
#[derive(Debug)]
struct Pacer {
    rate: Rate,
    bucket: Mutex<Option<(f64, Instant)>>,
}

impl Pacer {
    fn new(rate: Rate) -> Self {
        Self {
            rate: Rate {
                per_second: rate.per_second.max(0.001),
                burst: rate.burst.max(1.0),
            },
            bucket: Mutex::new(None),
        }
    }

    async fn acquire(&self) {
        let mut bucket = self.bucket.lock().await;
        let now = Instant::now();
        let tokens = match *bucket {
            None => self.rate.burst,
            Some((tokens, at)) => (tokens
                + now.saturating_duration_since(at).as_secs_f64() * self.rate.per_second)
                .min(self.rate.burst),
        };
        if tokens >= 1.0 {
            *bucket = Some((tokens - 1.0, now));
            return;
        }
        let wait = Duration::from_secs_f64((1.0 - tokens) / self.rate.per_second);
        tokio::time::sleep(wait).await;
        *bucket = Some((0.0, now + wait));
    }
}

fn status_error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let kind = match classify(err) {
        Fault::Transient => "transient",
        Fault::Permanent => "permanent",
    };
    format!("{} ({kind})", describe(operation, err))
}

/// What Security Hub says of findings, for the reaper.
#[derive(Debug)]
pub struct SecurityHubStatusSource {
    client: Client,
    pacer: Pacer,
}

impl SecurityHubStatusSource {
    /// Paced at [`GET_FINDINGS_RATE`]; keep one per Lambda instance so the pace holds across
    /// calls.
    pub fn new(client: Client) -> Self {
        Self::with_rate(client, GET_FINDINGS_RATE)
    }

    /// With another pace (tests; an account with a raised limit).
    pub fn with_rate(client: Client, rate: Rate) -> Self {
        Self {
            client,
            pacer: Pacer::new(rate),
        }
    }
}

/// The three statuses of a finding. Values this build does not know are read conservatively:
/// an unknown `RecordState` is active, an unknown workflow or compliance status is no status,
/// so nothing unknown can make the reaper forget a finding.
fn finding_state(f: &AwsSecurityFinding) -> Option<FindingState> {
    let id = FindingId::new(f.id()?).ok()?;
    let record_state = match f.record_state().map(|s| s.as_str()) {
        Some("ARCHIVED") => RecordState::Archived,
        _ => RecordState::Active,
    };
    let workflow_status = match f.workflow().and_then(|w| w.status()).map(|s| s.as_str()) {
        Some("NEW") => Some(WorkflowStatus::New),
        Some("NOTIFIED") => Some(WorkflowStatus::Notified),
        Some("RESOLVED") => Some(WorkflowStatus::Resolved),
        Some("SUPPRESSED") => Some(WorkflowStatus::Suppressed),
        Some(_) => None,
        // The deprecated WorkflowState counts only when Workflow.Status is absent, as in
        // `Finding::from_asff`.
        None => match f.workflow_state().map(|s| s.as_str()) {
            Some("RESOLVED") => Some(WorkflowStatus::Resolved),
            Some("DEFERRED") => Some(WorkflowStatus::Suppressed),
            _ => None,
        },
    };
    let compliance_status = match f.compliance().and_then(|c| c.status()).map(|s| s.as_str()) {
        Some("PASSED") => Some(ComplianceStatus::Passed),
        Some("WARNING") => Some(ComplianceStatus::Warning),
        Some("FAILED") => Some(ComplianceStatus::Failed),
        Some("NOT_AVAILABLE") => Some(ComplianceStatus::NotAvailable),
        _ => None,
    };
    Some(FindingState {
        id,
        record_state,
        workflow_status,
        compliance_status,
    })
}

impl FindingStatusSource for SecurityHubStatusSource {
    /// `GetFindings` with `Filters.Id` = one `EQUALS` per id (at most [`Self::MAX_BATCH`]),
    /// `MaxResults` 100, following `NextToken`. Any error fails the whole batch: the reaper
    /// then keeps every record of it.
    async fn states(&self, ids: &[FindingId]) -> Result<Vec<FindingState>, StatusError> {
        if ids.len() > Self::MAX_BATCH {
            return Err(StatusError(format!(
                "GetFindings: {} ids asked at once, at most {} fit one filter",
                ids.len(),
                Self::MAX_BATCH
            )));
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let filters = AwsSecurityFindingFilters::builder()
            .set_id(Some(
                ids.iter()
                    .map(|id| {
                        StringFilter::builder()
                            .value(id.as_str())
                            .comparison(StringFilterComparison::Equals)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        // One finding id can exist under several products; it stays while any of them is open.
        let mut by_id: HashMap<FindingId, FindingState> = HashMap::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            self.pacer.acquire().await;
            let out = self
                .client
                .get_findings()
                .filters(filters.clone())
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| StatusError(status_error("GetFindings", &e)))?;
            for state in out.findings().iter().filter_map(finding_state) {
                // Only what was asked: an answer that ignored the filter must not count.
                if !ids.contains(&state.id) {
                    continue;
                }
                let open = |s: &FindingState| {
                    resolution_of(s.record_state, s.workflow_status, s.compliance_status).is_none()
                };
                match by_id.get(&state.id) {
                    Some(kept) if open(kept) => {}
                    _ => {
                        by_id.insert(state.id.clone(), state);
                    }
                }
            }
            match out.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(by_id.into_values().collect()),
            }
        }
        Err(StatusError(format!(
            "GetFindings: more than {MAX_PAGES} pages for {} ids; not trusting the answer",
            ids.len()
        )))
    }
}

/// Why a note was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Throttling, timeouts, 5xx: worth trying again later.
    #[error("Security Hub is throttling or unavailable: {0}")]
    Transient(String),
    /// Validation, access denied: trying again will not help.
    #[error("Security Hub refused the update: {0}")]
    Failed(String),
    /// The request went through but this finding was not updated (`FindingNotFound`, ...).
    #[error("finding {finding_id} was not updated: {code}: {message}")]
    Unprocessed {
        finding_id: String,
        code: String,
        message: String,
    },
}

/// Writes hushhub's note and `Workflow.Status=NOTIFIED` on an alerted finding. Off by default
/// (`HUSHHUB_SECURITYHUB_NOTES_ENABLED`): the update re-emits an Imported event, which the
/// dedup absorbs as a quiet duplicate.
#[derive(Debug)]
pub struct SecurityHubNotes {
    client: Client,
    pacer: Pacer,
}

impl SecurityHubNotes {
    /// Paced at [`BATCH_UPDATE_FINDINGS_RATE`].
    pub fn new(client: Client) -> Self {
        Self {
            client,
            pacer: Pacer::new(BATCH_UPDATE_FINDINGS_RATE),
        }
    }

    /// One `BatchUpdateFindings` of one finding: `Workflow.Status=NOTIFIED` and
    /// `Note{Text, UpdatedBy: "hushhub"}`, the text cut to [`NOTE_MAX_CHARS`]. Call it only
    /// right after alerting on an active finding: NOTIFIED on a finding resolved meanwhile
    /// would reopen it.
    pub async fn mark_notified(
        &self,
        finding_id: &FindingId,
        product_arn: &str,
        note_text: &str,
    ) -> Result<(), NoteError> {
        let text: String = note_text.chars().take(NOTE_MAX_CHARS).collect();
        self.pacer.acquire().await;
        let out = self
            .client
            .batch_update_findings()
            .finding_identifiers(
                AwsSecurityFindingIdentifier::builder()
                    .id(finding_id.as_str())
                    .product_arn(product_arn)
                    .build(),
            )
            .workflow(
                WorkflowUpdate::builder()
                    .status(aws_sdk_securityhub::types::WorkflowStatus::Notified)
                    .build(),
            )
            .note(
                NoteUpdate::builder()
                    .text(text)
                    .updated_by(NOTE_AUTHOR)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                let message = describe("BatchUpdateFindings", &e);
                match classify(&e) {
                    Fault::Transient => NoteError::Transient(message),
                    Fault::Permanent => NoteError::Failed(message),
                }
            })?;
        match out.unprocessed_findings().first() {
            None => Ok(()),
            Some(u) => Err(NoteError::Unprocessed {
                finding_id: finding_id.to_string(),
                code: u.error_code().unwrap_or("Unknown").to_owned(),
                message: u.error_message().unwrap_or_default().to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_allows_the_burst_then_the_rate() {
        let pacer = Pacer::new(GET_FINDINGS_RATE);
        let start = Instant::now();
        for _ in 0..6 {
            pacer.acquire().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the burst of 6 goes at once"
        );
        for _ in 0..3 {
            pacer.acquire().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!(
            (elapsed - 1.0).abs() < 0.01,
            "3 more take a second: {elapsed}"
        );
    }
}
