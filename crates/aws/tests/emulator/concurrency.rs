//! No duplicate alert under concurrency: many deliveries of one finding at once through the whole
//! handler path (`alert_path.rs`) send exactly one email, counted in the emulator's sent mail,
//! and leave one item. The emulator serves one request at a time, as DynamoDB applies
//! conditional writes atomically (stock moto's threaded server would let two claims win).

use std::sync::Arc;

use chrono::Duration;
use hushhub_core::finding::DetailType;
use hushhub_core::steps::DecisionKind;
use serde_json::Value;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::alert_path::{AlertPath, Delivery, Ended, model_reply};
use crate::common::{asff, unique};
use crate::converse_stub::Answer;

const DELIVERIES: usize = 100;

/// `n` deliveries of `raw` at once, each in an event of its own (EventBridge delivering the same
/// finding in `n` Imported events), with the definition's retries; how each ended.
async fn race(p: &Arc<AlertPath>, raw: &Value, n: usize) -> Vec<Ended> {
    race_as(p, raw, n, DetailType::Imported).await
}

/// As [`race`], each delivery an event of `detail_type`.
async fn race_as(p: &Arc<AlertPath>, raw: &Value, n: usize, detail_type: DetailType) -> Vec<Ended> {
    let barrier = Arc::new(Barrier::new(n));
    let mut racers = JoinSet::new();
    for _ in 0..n {
        let (p, raw, barrier) = (p.clone(), raw.clone(), barrier.clone());
        racers.spawn(async move {
            barrier.wait().await;
            match detail_type {
                DetailType::CustomAction => p.alert_now_retrying(&raw).await,
                _ => p.deliver_retrying(&raw).await,
            }
        });
    }
    let mut ended = Vec::with_capacity(n);
    while let Some(joined) = racers.join_next().await {
        ended.push(joined.expect("delivery"));
    }
    ended
}

/// The deliveries that sent an email, and a check that every other one ended quiet.
fn sent(ended: &[Ended]) -> Vec<&Ended> {
    for e in ended {
        assert!(
            matches!(e, Ended::Sent { .. } | Ended::Quiet(_)),
            "no delivery fails under concurrency: {e:?}"
        );
        if let Ended::Quiet(d) = e {
            assert_eq!(d.kind, DecisionKind::Suppressed, "{}", d.reason);
        }
    }
    ended
        .iter()
        .filter(|e| matches!(e, Ended::Sent { .. }))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_deliveries_of_a_new_finding_send_one_email() {
    let p = Arc::new(AlertPath::new("conc_new", Answer::Text(model_reply())).await);
    let raw = asff(
        &unique("finding/conc-new"),
        "CRITICAL",
        Some("NEW"),
        "ACTIVE",
        None,
    );

    let ended = race(&p, &raw, DELIVERIES).await;

    let sent = sent(&ended);
    assert_eq!(sent.len(), 1, "exactly one delivery alerts");
    assert_eq!(sent[0].kind(), Some(DecisionKind::New));
    let outbox = p.outbox();
    assert_eq!(outbox.len(), 1, "one email in SES");
    if let Ended::Sent { message_id, .. } = sent[0] {
        assert_eq!(outbox[0]["message_id"].as_str(), Some(message_id.as_str()));
    }
    let records = p.records().await;
    assert_eq!(records.len(), 1, "one item");
    assert_eq!(records[0].alert_count, 1);
    assert_eq!(p.stub.calls(), 1, "the model is asked once");
    assert_eq!(p.aws.counter.get("sesv2:SendEmail"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_deliveries_of_a_due_realert_send_one_email() {
    let p = Arc::new(AlertPath::new("conc_realert", Answer::Text(model_reply())).await);
    let raw = asff(
        &unique("finding/conc-due"),
        "CRITICAL",
        None,
        "ACTIVE",
        None,
    );
    assert_eq!(p.deliver(&raw).await.kind(), Some(DecisionKind::New));
    let first_alert = p.records().await[0].last_alerted_at;

    // CRITICAL re-notifies after a day: last_alerted_at is now older than the window.
    p.advance(Duration::days(1) + Duration::minutes(5));
    let ended = race(&p, &raw, DELIVERIES).await;

    let sent = sent(&ended);
    assert_eq!(sent.len(), 1, "exactly one delivery re-alerts");
    assert_eq!(sent[0].kind(), Some(DecisionKind::Realert));
    assert_eq!(p.outbox().len(), 2, "the first alert and one re-alert");
    let records = p.records().await;
    assert_eq!(records.len(), 1, "one item");
    assert_eq!(records[0].alert_count, 2);
    assert!(records[0].last_alerted_at > first_alert);
    assert_eq!(p.aws.counter.get("sesv2:SendEmail"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_alert_now_requests_on_a_seen_finding_send_one_email() {
    let p = Arc::new(AlertPath::new("conc_alert_now", Answer::Text(model_reply())).await);
    let raw = asff(
        &unique("finding/conc-alert-now"),
        "HIGH",
        None,
        "ACTIVE",
        None,
    );
    assert_eq!(p.deliver(&raw).await.kind(), Some(DecisionKind::New));

    // An hour on, well inside the HIGH window, twenty people click "hushhub: alert now".
    p.advance(Duration::hours(1));
    let ended = race_as(&p, &raw, 20, DetailType::CustomAction).await;

    let sent = sent(&ended);
    assert_eq!(sent.len(), 1, "exactly one request re-alerts");
    assert_eq!(sent[0].kind(), Some(DecisionKind::Realert));
    assert_eq!(p.outbox().len(), 2, "the first alert and one escalation");
    let records = p.records().await;
    assert_eq!(records.len(), 1, "one item");
    assert_eq!(records[0].alert_count, 2);
    assert_eq!(p.aws.counter.get("sesv2:SendEmail"), 2);

    // A click a minute later finds the alert it asked for.
    p.advance(Duration::minutes(1));
    let late = p.alert_now_retrying(&raw).await;
    assert_eq!(late.kind(), Some(DecisionKind::Suppressed), "{late:?}");
    assert_eq!(p.outbox().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resolved_updates_send_one_resolved_notice() {
    let p = Arc::new(
        AlertPath::new("conc_resolved", Answer::Text(model_reply()))
            .await
            .with_resolved_notices(),
    );
    let id = unique("finding/conc-resolved");
    let active = asff(&id, "CRITICAL", None, "ACTIVE", None);
    assert_eq!(p.deliver(&active).await.kind(), Some(DecisionKind::New));

    p.advance(Duration::hours(2));
    let resolved = asff(&id, "CRITICAL", Some("RESOLVED"), "ACTIVE", None);
    let ended = race(&p, &resolved, 20).await;

    let notices: Vec<&Ended> = ended
        .iter()
        .filter(|e| matches!(e, Ended::NoticeSent { .. }))
        .collect();
    assert_eq!(
        notices.len(),
        1,
        "one delivery sends the notice, of {}",
        ended.len()
    );
    for e in &ended {
        assert!(
            matches!(e, Ended::NoticeSent { .. }) || e.kind() == Some(DecisionKind::Resolved),
            "{e:?}"
        );
    }
    let outbox = p.outbox();
    assert_eq!(outbox.len(), 2, "the alert and one resolved notice");
    if let Ended::NoticeSent { message_id, .. } = notices[0] {
        assert_eq!(outbox[1]["message_id"].as_str(), Some(message_id.as_str()));
    }
    assert!(p.records().await.is_empty(), "the record is deleted");
}

#[tokio::test]
async fn duplicate_execution_run_after_the_first_sends_one_email() {
    let p = AlertPath::new("dup_exec_seq", Answer::Text(model_reply())).await;
    let raw = asff(
        &unique("finding/dup-seq"),
        "HIGH",
        Some("NEW"),
        "ACTIVE",
        None,
    );
    // Express runs an asynchronous execution at least once: the same input, twice.
    let event_id = unique("event");

    let first = p.deliver_in(&event_id, &raw).await;
    let second = p.deliver_in(&event_id, &raw).await;

    assert_eq!(first.kind(), Some(DecisionKind::New), "{first:?}");
    assert_eq!(second.kind(), Some(DecisionKind::Suppressed), "{second:?}");
    assert_eq!(p.outbox().len(), 1);
    assert_eq!(p.records().await[0].alert_count, 1);
}

#[tokio::test]
async fn duplicate_executions_interleaved_send_one_email() {
    let p = AlertPath::new("dup_exec_mix", Answer::Text(model_reply())).await;
    let raw = asff(
        &unique("finding/dup-mix"),
        "HIGH",
        Some("NEW"),
        "ACTIVE",
        None,
    );
    let event_id = unique("event");

    // Both executions pass CheckSeen before either goes on; the later one then finishes first.
    let a = p
        .check_seen(&Delivery::of_event(&event_id), &raw)
        .await
        .expect("check-seen a");
    let b = p
        .check_seen(&Delivery::of_event(&event_id), &raw)
        .await
        .expect("check-seen b");
    let b = p.after_check_seen(b).await;
    let a = p.after_check_seen(a).await;

    assert_eq!(a.kind(), Some(DecisionKind::New), "{a:?}");
    assert_eq!(b.kind(), Some(DecisionKind::Suppressed), "{b:?}");
    assert_eq!(p.outbox().len(), 1);

    // And two executions at once, on a finding that is due again.
    p.advance(Duration::days(5));
    let (c, d) = tokio::join!(p.deliver_in(&event_id, &raw), p.deliver_in(&event_id, &raw));
    let kinds = [c.kind(), d.kind()];
    assert!(
        kinds.contains(&Some(DecisionKind::Realert))
            && kinds.contains(&Some(DecisionKind::Suppressed)),
        "{c:?} {d:?}"
    );
    assert_eq!(p.outbox().len(), 2);
    assert_eq!(p.records().await[0].alert_count, 2);
}
