//! No lost alert under faults: the emulator fails chosen requests of this test (its
//! `/hushhub/faults` endpoint, scoped to the test's access key; AWS's error shape), the Bedrock
//! stub answers errors, or a source lets a finding change under the reaper. The code under test
//! is the real handlers on the real adapters (`alert_path.rs`); every scenario ends with what the
//! emulator holds: sent mail and items.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::securityhub::SecurityHubStatusSource;
use hushhub_core::error_names;
use hushhub_core::finding::{FindingId, Severity};
use hushhub_core::ports::{FindingState, FindingStatusSource, SeenStore, StatusError};
use hushhub_core::seen::expires_at;
use hushhub_core::steps::DecisionKind;
use hushhub_core::summary::SummarySource;

use crate::alert_path::{AlertPath, Delivery, Ended, model_reply, retry_policy};
use crate::common::{TestAws, asff, at, first_sighting, on_big_stack, unique};
use crate::converse_stub::Answer;

/// SDK attempts per call (`Timeouts::LAMBDA`).
const SDK_ATTEMPTS: u32 = 3;

fn finding(prefix: &str, severity: &str) -> serde_json::Value {
    asff(&unique(prefix), severity, Some("NEW"), "ACTIVE", None)
}

async fn path(test: &str) -> AlertPath {
    AlertPath::new(test, Answer::Text(model_reply())).await
}

#[tokio::test]
async fn ses_throttling_within_the_retries_sends_one_email() {
    let p = path("ses_throttle_brief").await;
    let raw = finding("finding/ses-throttle-brief", "HIGH");
    // Every SDK attempt of the first call and the first of the next: the definition's Retry of
    // RenderAndSendEmail runs the function again, and that second call gets through.
    p.aws.arm_fault(
        "sesv2",
        "SendEmail",
        "TooManyRequestsException",
        429,
        SDK_ATTEMPTS + 1,
    );

    let ended = p.deliver(&raw).await;

    assert_eq!(ended.kind(), Some(DecisionKind::New), "{ended:?}");
    assert_eq!(p.outbox().len(), 1);
    assert_eq!(
        p.aws.counter.get("sesv2:SendEmail"),
        SDK_ATTEMPTS as u64 + 2
    );
    assert_eq!(p.records().await[0].alert_count, 1, "the claim stands");
}

#[tokio::test]
async fn ses_throttling_past_every_retry_releases_the_claim_and_the_next_delivery_alerts() {
    let p = path("ses_throttle_long").await;
    let raw = finding("finding/ses-throttle-long", "HIGH");
    let (retried, max_attempts) = retry_policy("RenderAndSendEmail");
    assert!(retried.iter().any(|r| r == error_names::TRANSIENT));
    // Every attempt of every try the definition makes.
    p.aws.arm_fault(
        "sesv2",
        "SendEmail",
        "TooManyRequestsException",
        429,
        SDK_ATTEMPTS * (1 + max_attempts),
    );

    let ended = p.deliver(&raw).await;

    assert!(
        matches!(
            ended,
            Ended::SendFailed {
                error: error_names::TRANSIENT,
                released: true
            }
        ),
        "{ended:?}"
    );
    assert!(p.outbox().is_empty());
    assert!(p.records().await.is_empty(), "the claim was given back");

    // SES has recovered: the next delivery alerts, as new.
    p.advance(Duration::minutes(10));
    let next = p.deliver(&raw).await;
    assert_eq!(next.kind(), Some(DecisionKind::New), "{next:?}");
    assert_eq!(p.outbox().len(), 1, "one email in total");
    assert_eq!(p.records().await[0].alert_count, 1);
}

#[tokio::test]
async fn ses_rejecting_for_good_releases_the_claim_and_fails_the_execution_by_name() {
    let p = path("ses_reject").await;
    let raw = finding("finding/ses-reject", "CRITICAL");
    let (retried, _) = retry_policy("RenderAndSendEmail");
    assert!(!retried.iter().any(|r| r == error_names::SEND_REJECTED));
    p.aws
        .arm_fault("sesv2", "SendEmail", "MessageRejected", 400, 1);

    let ended = p.deliver(&raw).await;

    // The Catch runs ReleaseClaim, and the execution fails with Hushhub.SendFailed: the
    // failed-executions alarm sees it.
    assert!(
        matches!(
            ended,
            Ended::SendFailed {
                error: error_names::SEND_REJECTED,
                released: true
            }
        ),
        "{ended:?}"
    );
    assert_eq!(
        p.aws.counter.get("sesv2:SendEmail"),
        1,
        "a rejection is not retried"
    );
    assert!(p.outbox().is_empty());
    assert!(p.records().await.is_empty(), "back to never alerted");

    // Nothing is silently dropped: the next delivery alerts as new.
    let next = p.deliver(&raw).await;
    assert_eq!(next.kind(), Some(DecisionKind::New), "{next:?}");
    assert_eq!(p.outbox().len(), 1);
}

#[tokio::test]
async fn ses_rejecting_a_realert_puts_the_previous_alert_back() {
    let p = path("ses_reject_realert").await;
    let raw = finding("finding/ses-reject-realert", "CRITICAL");
    assert_eq!(p.deliver(&raw).await.kind(), Some(DecisionKind::New));
    let before = p.records().await.remove(0);

    p.advance(Duration::days(2));
    p.aws
        .arm_fault("sesv2", "SendEmail", "MessageRejected", 400, 1);
    let ended = p.deliver(&raw).await;
    assert!(
        matches!(
            ended,
            Ended::SendFailed {
                error: error_names::SEND_REJECTED,
                released: true
            }
        ),
        "{ended:?}"
    );
    let after = p.records().await.remove(0);
    assert_eq!(after.last_alerted_at, before.last_alerted_at);
    assert_eq!(after.alert_count, 1);

    // Still due: the next delivery re-alerts.
    let next = p.deliver(&raw).await;
    assert_eq!(next.kind(), Some(DecisionKind::Realert), "{next:?}");
    assert_eq!(p.outbox().len(), 2, "the first alert and the re-alert");
}

#[tokio::test]
async fn dynamodb_throttling_is_a_transient_error_the_definition_retries() {
    let p = path("ddb_throttle").await;
    let raw = finding("finding/ddb-throttle", "HIGH");
    let (retried, _) = retry_policy("CheckSeen");
    assert!(retried.iter().any(|r| r == error_names::TRANSIENT));
    // One execution throughout: each step below is the definition's Retry running it again.
    let delivery = Delivery::of_event(&unique("event"));

    // The look (GetItem) throttled on every SDK attempt.
    p.aws.arm_fault(
        "dynamodb",
        "GetItem",
        "ProvisionedThroughputExceededException",
        400,
        SDK_ATTEMPTS,
    );
    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(
        ended.task_failure(),
        Some(("CheckSeen", error_names::TRANSIENT)),
        "{ended:?}"
    );
    assert!(p.records().await.is_empty());

    // The claim (PutItem) throttled on every SDK attempt: nothing was written.
    p.aws.arm_fault(
        "dynamodb",
        "PutItem",
        "ThrottlingException",
        400,
        SDK_ATTEMPTS,
    );
    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(
        ended.task_failure(),
        Some(("CheckSeen", error_names::TRANSIENT)),
        "{ended:?}"
    );
    assert!(p.records().await.is_empty());
    assert!(p.outbox().is_empty());

    // The Retry runs CheckSeen again on the same input, and it alerts once.
    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(ended.kind(), Some(DecisionKind::New), "{ended:?}");
    assert_eq!(p.outbox().len(), 1);
}

#[tokio::test]
async fn dynamodb_throttling_a_realert_claim_is_retried_and_alerts_once() {
    let p = path("ddb_throttle_realert").await;
    let raw = finding("finding/ddb-throttle-realert", "CRITICAL");
    assert_eq!(p.deliver(&raw).await.kind(), Some(DecisionKind::New));
    let (retried, _) = retry_policy("AgeCheck");
    assert!(retried.iter().any(|r| r == error_names::TRANSIENT));

    p.advance(Duration::days(1));
    p.aws.arm_fault(
        "dynamodb",
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        400,
        SDK_ATTEMPTS,
    );
    let delivery = Delivery::of_event(&unique("event"));
    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(
        ended.task_failure(),
        Some(("AgeCheck", error_names::TRANSIENT)),
        "{ended:?}"
    );
    assert_eq!(p.records().await[0].alert_count, 1, "no claim was written");

    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(ended.kind(), Some(DecisionKind::Realert), "{ended:?}");
    assert_eq!(p.outbox().len(), 2);
    assert_eq!(p.records().await[0].alert_count, 2);
}

#[tokio::test]
async fn claim_that_landed_with_its_answer_lost_is_retried_and_alerts_once() {
    let p = path("claim_answer_lost").await;
    let raw = finding("finding/claim-answer-lost", "HIGH");
    let (retried, _) = retry_policy("CheckSeen");
    assert!(retried.iter().any(|r| r == error_names::TRANSIENT));
    // The claim (PutItem) lands, and no SDK attempt gets an answer back: the SDK's retries
    // fail too, so CheckSeen fails with a transient error after its claim was written.
    p.aws.arm_fault_after(
        "dynamodb",
        "PutItem",
        "InternalServerError",
        500,
        SDK_ATTEMPTS,
    );
    let delivery = Delivery::of_event(&unique("event"));

    let ended = p.deliver_as(&delivery, &raw).await;
    assert_eq!(
        ended.task_failure(),
        Some(("CheckSeen", error_names::TRANSIENT)),
        "{ended:?}"
    );
    assert_eq!(p.records().await.len(), 1, "the claim landed");
    assert!(p.outbox().is_empty());

    // The definition's Retry: the same execution finds its own claim and alerts.
    let retried = p.deliver_as(&delivery, &raw).await;
    assert_eq!(retried.kind(), Some(DecisionKind::New), "{retried:?}");
    assert_eq!(p.outbox().len(), 1);

    // A second execution of the same event (Express's at-least-once) stays quiet.
    let duplicate = p.deliver_in(&delivery.event_id, &raw).await;
    assert_eq!(
        duplicate.kind(),
        Some(DecisionKind::Suppressed),
        "{duplicate:?}"
    );
    assert_eq!(p.outbox().len(), 1, "one email in total");
    assert_eq!(p.records().await[0].alert_count, 1);
}

#[tokio::test]
async fn realert_claim_that_landed_with_its_answer_lost_is_retried_and_realerts_once() {
    let p = path("realert_answer_lost").await;
    let raw = finding("finding/realert-answer-lost", "CRITICAL");
    assert_eq!(p.deliver(&raw).await.kind(), Some(DecisionKind::New));
    p.advance(Duration::days(1));
    let delivery = Delivery::of_event(&unique("event"));
    let checked = p.check_seen(&delivery, &raw).await.expect("check-seen");
    assert_eq!(checked.decision.kind, DecisionKind::Seen);
    p.aws.arm_fault_after(
        "dynamodb",
        "UpdateItem",
        "InternalServerError",
        500,
        SDK_ATTEMPTS,
    );

    let ended = p.after_check_seen(checked.clone()).await;
    assert_eq!(
        ended.task_failure(),
        Some(("AgeCheck", error_names::TRANSIENT)),
        "{ended:?}"
    );
    assert_eq!(
        p.records().await[0].alert_count,
        2,
        "the re-alert claim landed"
    );

    // AgeCheck's Retry: the same input again.
    let retried = p.after_check_seen(checked).await;
    assert_eq!(retried.kind(), Some(DecisionKind::Realert), "{retried:?}");
    assert_eq!(p.outbox().len(), 2, "the first alert and one re-alert");
    assert_eq!(p.records().await[0].alert_count, 2);
}

#[tokio::test]
async fn bedrock_down_sends_the_fallback_summary() {
    for (test, down) in [
        (
            "bedrock_503",
            Answer::error(503, "ServiceUnavailableException"),
        ),
        ("bedrock_429", Answer::error(429, "ThrottlingException")),
        ("bedrock_403", Answer::error(403, "AccessDeniedException")),
    ] {
        let p = AlertPath::new(test, down).await;
        let raw = finding(&format!("finding/{test}"), "HIGH");

        let ended = p.deliver(&raw).await;

        let Ended::Sent {
            decision, summary, ..
        } = &ended
        else {
            panic!("{test}: {ended:?}");
        };
        assert_eq!(decision.kind, DecisionKind::New);
        assert!(
            matches!(summary.source, SummarySource::Fallback { .. }),
            "{test}: {:?}",
            summary.source
        );
        assert!(p.stub.calls() >= 1, "{test}: the model was asked");
        assert_eq!(p.outbox().len(), 1, "{test}: the alert went out");
        assert!(
            p.records().await[0].summary_cache.is_none(),
            "{test}: a fallback is never cached"
        );
    }
}

/// Security Hub's answer, after a delivery of `touched` refreshed its record: what happens when
/// the finding is updated between the reaper's scan and its delete.
struct UpdatedMeanwhile {
    source: SecurityHubStatusSource,
    store: Arc<DynamoSeenStore>,
    touched: FindingId,
    at: DateTime<Utc>,
}

impl FindingStatusSource for UpdatedMeanwhile {
    async fn states(&self, ids: &[FindingId]) -> Result<Vec<FindingState>, StatusError> {
        self.store
            .refresh_last_seen(&self.touched, self.at, expires_at(self.at))
            .await
            .expect("refresh");
        self.source.states(ids).await
    }
}

#[test]
fn reaper_keeps_a_finding_updated_between_its_scan_and_its_delete() {
    on_big_stack(async {
        let aws = TestAws::new("reaper_race").await;
        let store = Arc::new(aws.store().await);
        // Neither finding is in Security Hub: both read as gone.
        let (touched, untouched) = (
            unique("finding/reaper-race-touched"),
            unique("finding/reaper-race-untouched"),
        );
        for id in [&touched, &untouched] {
            store
                .claim_new(&first_sighting(
                    id,
                    Severity::High,
                    at("2026-11-20T10:00:00Z"),
                ))
                .await
                .expect("claim");
        }
        let ports = daily_reaper::Ports {
            store: store.clone(),
            source: UpdatedMeanwhile {
                source: SecurityHubStatusSource::new(aws.clients.securityhub()),
                store: store.clone(),
                touched: FindingId::new(&touched).expect("id"),
                at: at("2026-11-30T10:00:00Z"),
            },
        };

        let report = daily_reaper::handle(&ports).await.expect("reaper");

        assert_eq!(report.scanned, 2, "{report:?}");
        assert_eq!(report.kept_changed, 1, "{report:?}");
        assert_eq!(report.deleted.get("gone"), Some(&1), "{report:?}");
        assert_eq!(report.errors, 0, "{report:?}");
        let left: Vec<String> = {
            let page = store.scan_page(None, 100).await.expect("scan");
            page.records
                .iter()
                .map(|r| r.finding_id.to_string())
                .collect()
        };
        assert_eq!(left, vec![touched], "the updated finding is kept");
    });
}
