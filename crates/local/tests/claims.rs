//! The SQLite store's claims have exactly one winner, as `SeenStore` promises, even when
//! concurrent deliveries claim in the same millisecond.

use chrono::{DateTime, Utc};
use hushhub_core::finding::{Finding, Severity};
use hushhub_core::ports::{ClaimOutcome, SeenStore};
use hushhub_core::seen::SeenRecord;
use hushhub_local::SqliteSeenStore;
use serde_json::Value;

fn finding() -> Finding {
    let path = format!(
        "{}/../../examples/events/cspm-s3-1-failed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("json");
    Finding::from_asff(&event["detail"]["findings"][0], "detail.findings[0]").expect("valid")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

/// Found by `never_two_emails_of_a_severity_within_its_window` (crates/core/tests/properties.rs):
/// a finding alerted as new, then two deliveries escalating it in the same millisecond, both
/// having read the first record. Only one may send the escalation email.
#[tokio::test]
async fn two_escalations_in_the_alerts_millisecond_have_one_winner() {
    let store = SqliteSeenStore::in_memory().expect("store");
    let mut f = finding();
    let now = at("2026-10-01T09:16:23.250Z");
    let first = SeenRecord::first_sighting(&f, now);
    assert_eq!(store.claim_new(&first).await, Ok(ClaimOutcome::Won));

    f.severity = Severity::Critical;
    let read_by_both = store.get(&f.id).await.expect("get").expect("recorded");
    let escalated = read_by_both.realerted(&f, now);
    assert_eq!(
        store
            .claim_realert(read_by_both.last_alerted_at, &escalated)
            .await,
        Ok(ClaimOutcome::Won)
    );
    let second = store
        .claim_realert(read_by_both.last_alerted_at, &escalated)
        .await
        .expect("claim");
    assert!(
        matches!(&second, ClaimOutcome::Lost(Some(r)) if r.alert_count == 2),
        "{second:?}"
    );
    assert_eq!(
        store
            .record(f.id.as_str())
            .expect("read")
            .map(|r| r.alert_count),
        Some(2)
    );
}
