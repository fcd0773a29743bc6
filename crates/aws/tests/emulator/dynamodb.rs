//! `DynamoSeenStore` against the emulator: claims with exactly one winner, releases, forgets,
//! scans, and the error contract. Each test has its own table.
//!
//! The emulator serves one request at a time (stock moto's threaded server lets conditional
//! writes race); DynamoDB TTL is stored there but items never expire, so no test waits for it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::config_bag::ConfigBag;
use chrono::Duration;
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::{DynamoSeenStore, attr, item_from_record};
use hushhub_core::finding::{FindingId, Severity};
use hushhub_core::ports::{ClaimOutcome, ReleaseOutcome, SeenStore, StoreError};
use hushhub_core::seen::{ClaimToken, SeenRecord};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::common::{TestAws, at, first_sighting, unique};

async fn all_records(store: &DynamoSeenStore) -> Vec<SeenRecord> {
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.scan_page(cursor, 100).await.expect("scan");
        records.extend(page.records);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return records,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_deliveries_of_a_new_finding_have_one_winner_and_one_item() {
    let aws = TestAws::new("race_new").await;
    let store = Arc::new(aws.store().await);
    let id = unique("finding/race-new");
    let start = at("2026-11-30T08:00:00Z");
    // Each delivery saw its own "now", so each writes a different record.
    let records: Vec<SeenRecord> = (0..100)
        .map(|i| first_sighting(&id, Severity::High, start + Duration::seconds(i)))
        .collect();
    let barrier = Arc::new(Barrier::new(records.len()));
    let mut racers = JoinSet::new();
    for (i, record) in records.iter().cloned().enumerate() {
        let (store, barrier) = (store.clone(), barrier.clone());
        racers.spawn(async move {
            barrier.wait().await;
            (i, store.claim_new(&record).await)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = racers.join_next().await {
        let (i, outcome) = joined.expect("racer");
        outcomes.push((i, outcome.expect("claim_new")));
    }

    let winners: Vec<usize> = outcomes
        .iter()
        .filter(|(_, o)| *o == ClaimOutcome::Won)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {winners:?}");
    let winner = &records[winners[0]];
    for (i, outcome) in &outcomes {
        if *i != winners[0] {
            assert_eq!(
                outcome,
                &ClaimOutcome::Lost(Some(winner.clone())),
                "racer {i} gets the winner's record from its own failed write"
            );
        }
    }
    assert_eq!(all_records(&store).await, vec![winner.clone()], "one item");
    assert_eq!(
        aws.counter.get("dynamodb:PutItem"),
        100,
        "one conditional write per delivery, no retries: {:?}",
        aws.counter.snapshot()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claim_realert_from_two_racers_has_one_winner() {
    let aws = TestAws::new("race_realert").await;
    let store = Arc::new(aws.store().await);
    let first = at("2026-11-01T08:00:00Z");
    for round in 0..10 {
        let record = first_sighting(
            &unique(&format!("finding/race-realert-{round}")),
            Severity::Critical,
            first,
        );
        assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
        // Two deliveries a day later, a few milliseconds apart, both found the window passed.
        let racers: Vec<SeenRecord> = (0..2)
            .map(|i| {
                let now = first + Duration::days(1) + Duration::milliseconds(i);
                SeenRecord {
                    last_seen_at: now,
                    last_alerted_at: now,
                    alert_count: 2,
                    ..record.clone()
                }
            })
            .collect();
        let barrier = Arc::new(Barrier::new(2));
        let mut set = JoinSet::new();
        for (i, updated) in racers.iter().cloned().enumerate() {
            let (store, barrier) = (store.clone(), barrier.clone());
            let expected = record.last_alerted_at;
            set.spawn(async move {
                barrier.wait().await;
                (i, store.claim_realert(expected, &updated).await)
            });
        }
        let mut outcomes = HashMap::new();
        while let Some(joined) = set.join_next().await {
            let (i, outcome) = joined.expect("racer");
            outcomes.insert(i, outcome.expect("claim_realert"));
        }
        let winner = match (&outcomes[&0], &outcomes[&1]) {
            (ClaimOutcome::Won, ClaimOutcome::Lost(Some(r))) => {
                assert_eq!(r, &racers[0]);
                0
            }
            (ClaimOutcome::Lost(Some(r)), ClaimOutcome::Won) => {
                assert_eq!(r, &racers[1]);
                1
            }
            other => panic!("round {round}: not one winner and one loser: {other:?}"),
        };
        assert_eq!(
            store.get(&record.finding_id).await,
            Ok(Some(racers[winner].clone()))
        );
    }
}

#[tokio::test]
async fn claim_realert_in_the_same_millisecond_still_has_one_winner() {
    // Escalations of one finding delivered together can carry the same "now": the condition on
    // last_alerted_at alone would let both through.
    let aws = TestAws::new("same_ms").await;
    let store = aws.store().await;
    let first = at("2026-11-01T08:00:00Z");
    let record = first_sighting(&unique("finding/same-ms"), Severity::Medium, first);
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let updated = SeenRecord {
        severity: Severity::Critical,
        last_seen_at: first,
        last_alerted_at: first,
        alert_count: 2,
        ..record.clone()
    };
    assert_eq!(
        store.claim_realert(first, &updated).await,
        Ok(ClaimOutcome::Won)
    );
    assert_eq!(
        store.claim_realert(first, &updated).await,
        Ok(ClaimOutcome::Lost(Some(updated.clone())))
    );
}

/// Replaces the first `PutItem` answer with a 500 after the emulator has applied the write:
/// the answer of a write that succeeded is lost, and the SDK retries the same request.
#[derive(Debug, Default)]
struct LoseFirstPutItemAnswer {
    done: AtomicBool,
}

impl Intercept for LoseFirstPutItemAnswer {
    fn name(&self) -> &'static str {
        "LoseFirstPutItemAnswer"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let is_put = cfg
            .load::<Metadata>()
            .is_some_and(|m| m.name() == "PutItem");
        if is_put && !self.done.swap(true, Ordering::SeqCst) {
            *context.response_mut().status_mut() = StatusCode::try_from(500)?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn claim_new_whose_answer_was_lost_is_held_on_retry() {
    let aws = TestAws::new("lost_answer").await;
    let table_owner = aws.store().await;
    let lossy = AwsClients::from_sdk_config(aws.clients.sdk_config().clone())
        .with_interceptor(aws.counter.clone())
        .with_interceptor(LoseFirstPutItemAnswer::default());
    let store = DynamoSeenStore::new(lossy.dynamodb(), table_owner.table());
    let record = first_sighting(
        &unique("finding/lost-answer"),
        Severity::High,
        at("2026-11-30T09:00:00Z"),
    )
    .claimed_by(ClaimToken::for_delivery(&unique("execution"), 0));

    assert_eq!(
        store.claim_new(&record).await,
        Ok(ClaimOutcome::AlreadyHeld(record.clone())),
        "the retry finds its own claim token and knows it holds the claim"
    );
    assert_eq!(
        aws.counter.get("dynamodb:PutItem"),
        2,
        "first attempt + retry"
    );
    // Another delivery of the same finding still loses.
    let other = record
        .clone()
        .claimed_by(ClaimToken::for_delivery(&unique("execution"), 0));
    assert_eq!(
        store.claim_new(&other).await,
        Ok(ClaimOutcome::Lost(Some(record.clone())))
    );
    assert_eq!(all_records(&store).await, vec![record]);
}

#[tokio::test]
async fn release_by_a_delivery_that_no_longer_holds_the_claim_changes_nothing() {
    let aws = TestAws::new("release_token").await;
    let store = aws.store().await;
    let now = at("2026-11-30T10:00:00Z");
    let mine = ClaimToken::for_delivery(&unique("execution"), 0);
    let theirs = ClaimToken::for_delivery(&unique("execution"), 0);
    let record = first_sighting(&unique("finding/release-token"), Severity::High, now);
    let held = record.clone().claimed_by(theirs);
    assert_eq!(store.claim_new(&held).await, Ok(ClaimOutcome::Won));

    // Same finding, same claim time, another delivery's token: not ours to give back.
    let stale = record.clone().claimed_by(mine).claim(None);
    assert_eq!(
        store.release_claim(&stale).await,
        Ok(ReleaseOutcome::NoLongerHeld)
    );
    assert_eq!(store.get(&record.finding_id).await, Ok(Some(held.clone())));
    assert_eq!(
        store.release_claim(&held.claim(None)).await,
        Ok(ReleaseOutcome::Released)
    );
    assert_eq!(store.get(&record.finding_id).await, Ok(None));
}

#[tokio::test]
async fn release_of_a_new_claim_deletes_the_record_only_while_the_claim_holds() {
    let aws = TestAws::new("release_new").await;
    let store = aws.store().await;
    let now = at("2026-11-30T10:00:00Z");
    let record = first_sighting(&unique("finding/release-new"), Severity::High, now);
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let claim = record.claim(None);

    assert_eq!(
        store.release_claim(&claim).await,
        Ok(ReleaseOutcome::Released)
    );
    assert_eq!(store.get(&record.finding_id).await, Ok(None));
    assert_eq!(
        store.release_claim(&claim).await,
        Ok(ReleaseOutcome::NoLongerHeld),
        "nothing left to give back"
    );

    // A later delivery claimed again: an old claim must not delete its record.
    let later = first_sighting(
        record.finding_id.as_str(),
        Severity::High,
        now + Duration::minutes(5),
    );
    assert_eq!(store.claim_new(&later).await, Ok(ClaimOutcome::Won));
    assert_eq!(
        store.release_claim(&claim).await,
        Ok(ReleaseOutcome::NoLongerHeld)
    );
    assert_eq!(store.get(&record.finding_id).await, Ok(Some(later)));
}

#[tokio::test]
async fn release_of_a_realert_claim_puts_the_previous_alert_back() {
    let aws = TestAws::new("release_realert").await;
    let store = aws.store().await;
    let first = at("2026-11-01T10:00:00Z");
    let record = first_sighting(&unique("finding/release-realert"), Severity::High, first);
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let now = first + Duration::days(6);
    let updated = SeenRecord {
        severity: Severity::Critical,
        last_seen_at: now,
        last_alerted_at: now,
        alert_count: 2,
        expires_at: hushhub_core::seen::expires_at(now),
        ..record.clone()
    };
    assert_eq!(
        store.claim_realert(first, &updated).await,
        Ok(ClaimOutcome::Won)
    );

    let claim = updated.claim(Some(&record));
    assert_eq!(
        store.release_claim(&claim).await,
        Ok(ReleaseOutcome::Released)
    );
    let restored = store
        .get(&record.finding_id)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(
        (
            restored.last_alerted_at,
            restored.severity,
            restored.alert_count
        ),
        (first, Severity::High, 1),
        "the previous alert is back, so the next delivery is due again"
    );
    assert_eq!(restored.last_seen_at, now, "the sighting itself is kept");
    assert_eq!(
        store.release_claim(&claim).await,
        Ok(ReleaseOutcome::NoLongerHeld)
    );
}

#[tokio::test]
async fn forget_reports_whether_there_was_a_record() {
    let aws = TestAws::new("forget").await;
    let store = aws.store().await;
    let record = first_sighting(
        &unique("finding/forget"),
        Severity::Low,
        at("2026-11-30T10:00:00Z"),
    );
    store.claim_new(&record).await.expect("claim");
    aws.counter.reset();
    assert_eq!(store.forget(&record.finding_id).await, Ok(true));
    assert_eq!(store.forget(&record.finding_id).await, Ok(false));
    assert_eq!(aws.counter.snapshot().get("dynamodb:DeleteItem"), Some(&2));
    assert_eq!(aws.counter.total(), 2, "one request each");
}

#[tokio::test]
async fn forget_if_unchanged_keeps_a_record_seen_meanwhile() {
    let aws = TestAws::new("forget_unchanged").await;
    let store = aws.store().await;
    let seen = at("2026-11-01T10:00:00Z");
    let record = first_sighting(&unique("finding/forget-unchanged"), Severity::High, seen);
    store.claim_new(&record).await.expect("claim");

    // The reaper read `seen`; then a delivery refreshed last_seen_at.
    let later = seen + Duration::days(2);
    store
        .refresh_last_seen(
            &record.finding_id,
            later,
            hushhub_core::seen::expires_at(later),
        )
        .await
        .expect("refresh");
    assert_eq!(
        store.forget_if_unchanged(&record.finding_id, seen).await,
        Ok(false)
    );
    let kept = store.get(&record.finding_id).await.expect("get");
    assert_eq!(kept.map(|r| r.last_seen_at), Some(later));

    assert_eq!(
        store.forget_if_unchanged(&record.finding_id, later).await,
        Ok(true)
    );
    assert_eq!(store.get(&record.finding_id).await, Ok(None));
    assert_eq!(
        store.forget_if_unchanged(&record.finding_id, later).await,
        Ok(false),
        "nothing to delete"
    );
}

#[tokio::test]
async fn refresh_last_seen_sets_the_ttl_and_never_recreates_a_deleted_record() {
    let aws = TestAws::new("refresh").await;
    let store = aws.store().await;
    let seen = at("2026-11-01T10:00:00Z");
    let record = first_sighting(&unique("finding/refresh"), Severity::High, seen);
    store.claim_new(&record).await.expect("claim");
    let later = seen + Duration::days(3);
    let expires = hushhub_core::seen::expires_at(later);
    store
        .refresh_last_seen(&record.finding_id, later, expires)
        .await
        .expect("refresh");
    let item = aws
        .clients
        .dynamodb()
        .get_item()
        .table_name(store.table())
        .key(attr::PK, AttributeValue::S(record.finding_id.to_string()))
        .send()
        .await
        .expect("raw get");
    let item = item.item().expect("item");
    assert_eq!(
        item.get(attr::EXPIRES_AT),
        Some(&AttributeValue::N(expires.timestamp().to_string())),
        "TTL needs a Number of epoch seconds"
    );
    assert_eq!(
        item.get(attr::LAST_SEEN_AT),
        Some(&AttributeValue::S("2026-11-04T10:00:00.000Z".into()))
    );

    let missing = FindingId::new(unique("finding/never-seen")).expect("id");
    assert_eq!(
        store.refresh_last_seen(&missing, later, expires).await,
        Ok(())
    );
    assert_eq!(store.get(&missing).await, Ok(None), "no fragment item");
}

#[tokio::test]
async fn scan_pages_through_every_record() {
    let aws = TestAws::new("scan").await;
    let store = aws.store().await;
    let now = at("2026-11-30T10:00:00Z");
    let mut written = BTreeSet::new();
    for i in 0..25 {
        let record = first_sighting(&unique(&format!("finding/scan-{i}")), Severity::Low, now);
        written.insert(record.finding_id.to_string());
        store.claim_new(&record).await.expect("claim");
    }
    aws.counter.reset();

    let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, None);
    loop {
        let page = store.scan_page(cursor, 7).await.expect("scan");
        pages += 1;
        assert!(page.records.len() <= 7);
        seen.extend(page.records.into_iter().map(|r| r.finding_id.to_string()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(pages >= 4, "25 records in pages of 7: {pages} pages");
    let unique_seen: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique_seen.len(), "no record twice");
    assert_eq!(unique_seen, written, "every record once");
    assert_eq!(aws.counter.get("dynamodb:Scan"), pages);
}

#[tokio::test]
async fn unparsable_item_is_a_corrupt_record_naming_the_attribute() {
    let aws = TestAws::new("corrupt").await;
    let store = aws.store().await;
    let record = first_sighting(
        &unique("finding/corrupt"),
        Severity::High,
        at("2026-11-30T10:00:00Z"),
    );
    let mut item = item_from_record(&record);
    item.insert(attr::SEVERITY.into(), AttributeValue::S("SUPER".into()));
    aws.clients
        .dynamodb()
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .expect("raw put");

    let err = store.get(&record.finding_id).await.err();
    assert!(
        matches!(&err, Some(StoreError::CorruptRecord(m)) if m.contains("`severity`") && m.contains("SUPER")),
        "{err:?}"
    );
    let err = store.scan_page(None, 10).await.err();
    assert!(
        matches!(&err, Some(StoreError::CorruptRecord(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn throttling_is_transient_and_a_missing_table_is_a_failure() {
    let aws = TestAws::new("store_errors").await;
    let store = aws.store().await;
    let id = FindingId::new(unique("finding/errors")).expect("id");
    // As many faults as the SDK makes attempts (Timeouts::LAMBDA): all of them throttled.
    aws.arm_fault(
        "dynamodb",
        "GetItem",
        "ProvisionedThroughputExceededException",
        400,
        3,
    );
    let err = store.get(&id).await.err();
    assert!(matches!(err, Some(StoreError::Transient(_))), "{err:?}");
    assert_eq!(
        aws.counter.get("dynamodb:GetItem"),
        3,
        "the SDK retried throttling before giving up"
    );
    assert_eq!(store.get(&id).await, Ok(None), "the faults are used up");

    let missing = DynamoSeenStore::new(aws.clients.dynamodb(), unique("no-such-table"));
    let err = missing.get(&id).await.err();
    assert!(
        matches!(&err, Some(StoreError::Failed(m)) if m.contains("ResourceNotFoundException")),
        "{err:?}"
    );
}
