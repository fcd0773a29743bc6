//! The SQLite store's claims have exactly one winner, as `SeenStore` promises, even when
//! concurrent deliveries claim in the same millisecond; and a delivery retried after its claim
//! landed finds that claim its own.

use chrono::{DateTime, Utc};
use hushhub_core::finding::{Finding, Severity};
use hushhub_core::ports::{ClaimOutcome, ReleaseOutcome, SeenStore};
use hushhub_core::seen::{ClaimToken, SeenRecord};
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

fn delivery(execution: &str) -> ClaimToken {
    ClaimToken::for_delivery(
        &format!("arn:aws:states:local:000000000000:execution:hushhub:{execution}"),
        0,
    )
}

#[tokio::test]
async fn retried_delivery_finds_its_own_claims_and_another_delivery_does_not() {
    let store = SqliteSeenStore::in_memory().expect("store");
    let f = finding();
    let first_try = at("2026-10-01T09:00:00Z");
    let claimed = SeenRecord::first_sighting(&f, first_try).claimed_by(delivery("a"));
    assert_eq!(store.claim_new(&claimed).await, Ok(ClaimOutcome::Won));

    // The same delivery retried a second later: its own claim, as first written.
    let retry =
        SeenRecord::first_sighting(&f, at("2026-10-01T09:00:01Z")).claimed_by(delivery("a"));
    assert_eq!(
        store.claim_new(&retry).await,
        Ok(ClaimOutcome::AlreadyHeld(claimed.clone()))
    );
    let other = SeenRecord::first_sighting(&f, first_try).claimed_by(delivery("b"));
    assert_eq!(
        store.claim_new(&other).await,
        Ok(ClaimOutcome::Lost(Some(claimed.clone())))
    );

    // A re-alert claimed by delivery "c", then retried by it: held; by "d": lost.
    let later = at("2026-10-03T09:00:00Z");
    let realert = claimed.realerted(&f, later).claimed_by(delivery("c"));
    assert_eq!(
        store.claim_realert(claimed.last_alerted_at, &realert).await,
        Ok(ClaimOutcome::Won)
    );
    let realert_retry = claimed
        .realerted(&f, at("2026-10-03T09:00:02Z"))
        .claimed_by(delivery("c"));
    assert_eq!(
        store
            .claim_realert(claimed.last_alerted_at, &realert_retry)
            .await,
        Ok(ClaimOutcome::AlreadyHeld(realert.clone()))
    );
    let realert_other = claimed.realerted(&f, later).claimed_by(delivery("d"));
    assert_eq!(
        store
            .claim_realert(claimed.last_alerted_at, &realert_other)
            .await,
        Ok(ClaimOutcome::Lost(Some(realert.clone())))
    );

    // Only the holder's token releases: "d" claims nothing back, "c" puts the first alert back.
    assert_eq!(
        store
            .release_claim(&realert_other.claim(Some(&claimed)))
            .await,
        Ok(ReleaseOutcome::NoLongerHeld)
    );
    assert_eq!(
        store.release_claim(&realert.claim(Some(&claimed))).await,
        Ok(ReleaseOutcome::Released)
    );
    let restored = store.record(f.id.as_str()).expect("read").expect("kept");
    assert_eq!(
        (
            restored.alert_count,
            restored.last_alerted_at,
            restored.claim_token
        ),
        (1, claimed.last_alerted_at, None)
    );
}
