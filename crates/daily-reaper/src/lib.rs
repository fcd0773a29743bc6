//! daily-reaper: forgets findings that Security Hub says are resolved, archived, suppressed,
//! passed or gone, so that a finding that comes back alerts as new.
//!
//! It never deletes on uncertainty: a Security Hub error keeps the whole batch, and each delete
//! is conditional on the `last_seen_at` it read, so a finding updated meanwhile is kept. The
//! records of OCSF findings (the new Security Hub) are kept too: the status source looks up
//! ASFF findings by `Id`, and would report every OCSF finding "gone", which would make it alert
//! as new the next day. Their resolved updates and the record's TTL remove them.

use std::collections::{BTreeMap, HashMap};

use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::finding::FindingId;
use hushhub_core::ports::{FindingStatusSource, SeenStore, StoreError};
use hushhub_core::seen::{SeenRecord, resolution_of};
use serde::Serialize;

/// Records read per scan page.
pub const PAGE_SIZE: u32 = 100;

/// What the reaper needs from the outside world.
pub struct Ports<S, F> {
    pub store: S,
    pub source: F,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReapReport {
    pub scanned: u64,
    pub active: u64,
    /// Deleted records per reason: `archived`, `resolved`, `suppressed`, `passed`, `gone`.
    pub deleted: BTreeMap<String, u64>,
    /// Records that changed between the scan and the delete, so were kept.
    pub kept_changed: u64,
    /// Records kept because Security Hub or the store failed for them.
    pub errors: u64,
    /// Records of OCSF findings, kept unchecked (see the module's doc).
    pub kept_ocsf: u64,
}

/// Why the run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ReapError {
    #[error("scanning the state store failed after {scanned} records: {source}")]
    Scan { scanned: u64, source: StoreError },
}

impl LambdaError for ReapError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::Scan {
                source: StoreError::Transient(_),
                ..
            } => error_names::TRANSIENT,
            Self::Scan { .. } => error_names::STORE_FAILED,
        }
    }
}

/// One full pass over the table.
pub async fn handle<S: SeenStore, F: FindingStatusSource>(
    ports: &Ports<S, F>,
) -> Result<ReapReport, ReapError> {
    let mut report = ReapReport::default();
    let mut cursor = None;
    loop {
        let page = ports
            .store
            .scan_page(cursor.take(), PAGE_SIZE)
            .await
            .map_err(|source| ReapError::Scan {
                scanned: report.scanned,
                source,
            })?;
        report.scanned += page.records.len() as u64;
        let (asff, ocsf): (Vec<SeenRecord>, Vec<SeenRecord>) = page
            .records
            .into_iter()
            .partition(|r| r.finding_format.is_asff());
        report.kept_ocsf += ocsf.len() as u64;
        for batch in asff.chunks(F::MAX_BATCH) {
            reap_batch(ports, batch, &mut report).await;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(
        scanned = report.scanned,
        active = report.active,
        deleted = ?report.deleted,
        kept_changed = report.kept_changed,
        errors = report.errors,
        kept_ocsf = report.kept_ocsf,
        "reaper finished"
    );
    Ok(report)
}

async fn reap_batch<S: SeenStore, F: FindingStatusSource>(
    ports: &Ports<S, F>,
    batch: &[SeenRecord],
    report: &mut ReapReport,
) {
    let ids: Vec<FindingId> = batch.iter().map(|r| r.finding_id.clone()).collect();
    let states = match ports.source.states(&ids).await {
        Ok(states) => states,
        Err(e) => {
            tracing::warn!(error = %e, batch = ids.len(), "Security Hub lookup failed; keeping the batch");
            report.errors += ids.len() as u64;
            return;
        }
    };
    let by_id: HashMap<&FindingId, _> = states.iter().map(|s| (&s.id, s)).collect();
    for record in batch {
        let reason = match by_id.get(&record.finding_id) {
            None => "gone",
            Some(s) => {
                match resolution_of(s.record_state, s.workflow_status, s.compliance_status) {
                    Some(reason) => reason,
                    None => {
                        report.active += 1;
                        continue;
                    }
                }
            }
        };
        match ports
            .store
            .forget_if_unchanged(&record.finding_id, record.last_seen_at)
            .await
        {
            Ok(true) => *report.deleted.entry(reason.to_owned()).or_default() += 1,
            Ok(false) => report.kept_changed += 1,
            Err(e) => {
                tracing::warn!(error = %e, finding_id = %record.finding_id, "delete failed; kept");
                report.errors += 1;
            }
        }
    }
}
