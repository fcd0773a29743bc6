//! The summary cache on the DynamoDB item, against the emulator: `remember_summary` is one
//! conditional `UpdateItem` of two attributes, applied only while the record holds the claim;
//! claims and releases keep it; and through the real handlers with Bedrock on a Converse stub,
//! the re-alert of an unchanged finding reads the summary with the record it reads anyway and
//! asks the model nothing.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use hushhub_aws::bedrock::{BedrockSummariser, DEFAULT_BUDGET, DEFAULT_MODEL_ID};
use hushhub_aws::dynamodb::{DynamoSeenStore, attr};
use hushhub_core::finding::{Finding, FindingId, Severity};
use hushhub_core::ports::{ClaimOutcome, FixedClock, ReleaseOutcome, SeenStore, SummaryCache};
use hushhub_core::seen::{ClaimToken, RenotifyPolicy, SeenRecord};
use hushhub_core::steps::{AgeCheckInput, AssessInput, DecisionKind, StepDecision};
use hushhub_core::summary::{Summary, SummarySource};
use hushhub_core::summary_cache::{CachedSummary, SummaryInputsHash};
use serde_json::json;

use crate::common::{TestAws, asff, at, first_sighting, unique};
use crate::converse_stub::{Answer, ConverseStub};

fn cached(hash_digit: char) -> CachedSummary {
    CachedSummary {
        inputs_hash: SummaryInputsHash::parse(&hash_digit.to_string().repeat(64)).expect("hash"),
        summary: Summary {
            source: SummarySource::Ai {
                model_id: DEFAULT_MODEL_ID.into(),
            },
            headline: "A test finding needs review".into(),
            what_happened: "Security Hub reported a test finding on a bucket.".into(),
            why_it_matters: "The bucket may be exposed.".into(),
            next_steps: vec!["Review the bucket policy with its owner.".into()],
        },
    }
}

/// The item as the emulator holds it.
async fn item(
    store: &DynamoSeenStore,
    id: &FindingId,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .key(attr::PK, AttributeValue::S(id.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
}

fn string<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

#[tokio::test]
async fn remember_summary_writes_the_two_attributes_with_one_conditional_update() {
    let aws = TestAws::new("summary_write").await;
    let store = aws.store().await;
    let record = first_sighting(
        &unique("finding/summary-write"),
        Severity::High,
        at("2026-11-30T10:00:00Z"),
    );
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    aws.counter.reset();

    let remembered = store
        .remember_summary(&record.claim(None), &cached('a'))
        .await;

    assert_eq!(remembered, Ok(true));
    assert_eq!(
        aws.counter.take().into_iter().collect::<Vec<_>>(),
        vec![("dynamodb:UpdateItem".to_owned(), 1)]
    );
    let held = item(&store, &record.finding_id).await.expect("item");
    assert_eq!(
        string(&held, attr::SUMMARY_INPUTS_HASH),
        Some("a".repeat(64).as_str())
    );
    let summary: serde_json::Value =
        serde_json::from_str(string(&held, attr::SUMMARY).expect("summary")).expect("JSON");
    assert_eq!(summary["headline"], "A test finding needs review");
    assert_eq!(
        summary["source"],
        json!({ "kind": "ai", "model_id": DEFAULT_MODEL_ID })
    );
    assert_eq!(
        store.get(&record.finding_id).await,
        Ok(Some(SeenRecord {
            summary_cache: Some(Box::new(cached('a'))),
            ..record
        })),
        "read back with the record"
    );
}

#[tokio::test]
async fn a_summary_is_not_kept_once_the_record_moved_on_and_never_recreates_a_record() {
    let aws = TestAws::new("summary_stale").await;
    let store = aws.store().await;
    let record = first_sighting(
        &unique("finding/summary-stale"),
        Severity::Critical,
        at("2026-11-01T10:00:00Z"),
    );
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let later = at("2026-11-02T10:00:00Z");
    let realerted = SeenRecord {
        last_seen_at: later,
        last_alerted_at: later,
        alert_count: 2,
        ..record.clone()
    };
    assert_eq!(
        store
            .claim_realert(record.last_alerted_at, &realerted)
            .await,
        Ok(ClaimOutcome::Won)
    );

    assert_eq!(
        store
            .remember_summary(&record.claim(None), &cached('a'))
            .await,
        Ok(false),
        "the first alert's claim no longer holds"
    );
    let held = item(&store, &record.finding_id).await.expect("item");
    assert!(!held.contains_key(attr::SUMMARY), "{held:?}");

    assert_eq!(store.forget(&record.finding_id).await, Ok(true));
    assert_eq!(
        store
            .remember_summary(&realerted.claim(Some(&record)), &cached('a'))
            .await,
        Ok(false)
    );
    assert_eq!(
        item(&store, &record.finding_id).await,
        None,
        "no fragment re-created"
    );
}

#[tokio::test]
async fn realert_claims_and_releases_keep_the_cached_summary() {
    let aws = TestAws::new("summary_kept").await;
    let store = aws.store().await;
    let record = first_sighting(
        &unique("finding/summary-kept"),
        Severity::Critical,
        at("2026-11-01T10:00:00Z"),
    );
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    store
        .remember_summary(&record.claim(None), &cached('b'))
        .await
        .expect("remember");
    let stored = store
        .get(&record.finding_id)
        .await
        .expect("get")
        .expect("record");
    let later = at("2026-11-02T10:00:00Z");
    let realerted = SeenRecord {
        last_seen_at: later,
        last_alerted_at: later,
        alert_count: 2,
        ..stored.clone()
    };
    assert_eq!(
        store
            .claim_realert(stored.last_alerted_at, &realerted)
            .await,
        Ok(ClaimOutcome::Won)
    );
    assert_eq!(
        store.release_claim(&realerted.claim(Some(&stored))).await,
        Ok(ReleaseOutcome::Released)
    );

    let read = store.get(&record.finding_id).await.expect("get");
    assert_eq!(
        read.and_then(|r| r.summary_cache),
        Some(Box::new(cached('b')))
    );
}

/// A reply that passes the fact check for any finding: it names no id at all.
fn reply() -> String {
    json!({
        "headline": "A critical test finding needs review",
        "what_happened": "Security Hub reported a critical finding on a bucket.",
        "why_it_matters": "The bucket may be exposed.",
        "next_steps": ["Review the bucket policy with its owner."],
    })
    .to_string()
}

/// The Bedrock summariser on the stub, with the test's credentials and Region.
fn bedrock(aws: &TestAws, stub: &ConverseStub) -> BedrockSummariser {
    let config = aws_sdk_bedrockruntime::config::Builder::from(aws.clients.sdk_config())
        .endpoint_url(&stub.url)
        .build();
    BedrockSummariser::new(
        aws_sdk_bedrockruntime::Client::from_conf(config),
        DEFAULT_MODEL_ID,
        DEFAULT_BUDGET,
    )
}

#[tokio::test]
async fn realert_of_an_unchanged_finding_reads_its_summary_from_the_table_and_asks_the_model_nothing()
 {
    let aws = TestAws::new("summary_pipeline").await;
    let store = Arc::new(aws.store().await);
    let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
    let stub = ConverseStub::start(Answer::Text(reply()));
    let assess = score_and_summarise::Ports {
        summariser: bedrock(&aws, &stub),
        summary_cache: store.clone(),
        model_id: DEFAULT_MODEL_ID.into(),
    };
    let age_check = age_check::Ports {
        store: store.clone(),
        clock: clock.clone(),
        renotify: RenotifyPolicy::default(),
    };
    let raw = asff(
        &unique("finding/summary-pipeline"),
        "CRITICAL",
        None,
        "ACTIVE",
        None,
    );
    let finding = Finding::from_asff(&raw, "detail.findings[0]").expect("finding");

    // First sighting, claimed as check-seen claims it; the model writes the summary.
    let record = SeenRecord::first_sighting(&finding, at("2026-11-30T10:00:00Z"));
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let mut new = StepDecision::new(
        "event-1",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record.clone()),
    );
    new.claim = Some(record.claim(None));
    let first = score_and_summarise::handle(
        &assess,
        AssessInput {
            event_id: "event-1".into(),
            finding: finding.clone(),
            decision: new,
        },
    )
    .await
    .expect("assessed");
    assert!(first.summary.is_ai(), "{:?}", first.summary);
    assert_eq!(stub.calls(), 1);
    let held = item(&store, &finding.id).await.expect("item");
    assert!(string(&held, attr::SUMMARY).is_some(), "{held:?}");

    // A day later (CRITICAL re-alerts after 1 day): check-seen's read, age-check's claim, and
    // score-and-summarise with the record as it was read.
    clock.set(at("2026-12-01T10:00:00Z"));
    let seen = store.get(&finding.id).await.expect("get").expect("record");
    let cached = seen.summary_cache.clone();
    assert_eq!(
        cached.as_ref().map(|c| &c.inputs_hash),
        Some(&SummaryInputsHash::of(
            &hushhub_core::summary::build_prompt(&finding, &first.score),
            DEFAULT_MODEL_ID
        ))
    );
    let realert = age_check::handle(
        &age_check,
        AgeCheckInput {
            event_id: "event-2".into(),
            claim_token: ClaimToken::for_delivery(&unique("execution"), 0),
            finding: (&finding).into(),
            record: seen,
            silenced: None,
            escalate_now: false,
        },
    )
    .await
    .expect("age-check");
    assert_eq!(realert.kind, DecisionKind::Realert, "{}", realert.reason);
    aws.counter.reset();

    let second = score_and_summarise::handle(
        &assess,
        AssessInput {
            event_id: "event-2".into(),
            finding: finding.clone(),
            decision: realert,
        },
    )
    .await
    .expect("assessed");

    assert_eq!(stub.calls(), 1, "zero Converse calls for the re-alert");
    assert_eq!(second.summary, first.summary);
    assert!(
        aws.counter.take().is_empty(),
        "and no DynamoDB request either: the summary came with the record"
    );
}

#[tokio::test]
async fn a_table_that_refuses_the_summary_never_costs_the_alert() {
    let aws = TestAws::new("summary_throttled").await;
    let store = Arc::new(aws.store().await);
    let stub = ConverseStub::start(Answer::Text(reply()));
    let assess = score_and_summarise::Ports {
        summariser: bedrock(&aws, &stub),
        summary_cache: store.clone(),
        model_id: DEFAULT_MODEL_ID.into(),
    };
    let finding = Finding::from_asff(
        &asff(
            &unique("finding/summary-throttled"),
            "HIGH",
            None,
            "ACTIVE",
            None,
        ),
        "detail.findings[0]",
    )
    .expect("finding");
    let record = SeenRecord::first_sighting(&finding, at("2026-11-30T10:00:00Z"));
    assert_eq!(store.claim_new(&record).await, Ok(ClaimOutcome::Won));
    let mut new = StepDecision::new(
        "event-1",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record.clone()),
    );
    new.claim = Some(record.claim(None));
    // Every attempt the SDK makes (Timeouts::LAMBDA: 3) is throttled.
    aws.arm_fault(
        "dynamodb",
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        400,
        3,
    );

    let assessment = score_and_summarise::handle(
        &assess,
        AssessInput {
            event_id: "event-1".into(),
            finding: finding.clone(),
            decision: new,
        },
    )
    .await
    .expect("the alert is assessed");

    assert!(assessment.summary.is_ai(), "the model's summary is sent");
    let held = item(&store, &finding.id).await.expect("item");
    assert!(!held.contains_key(attr::SUMMARY), "{held:?}");
}
