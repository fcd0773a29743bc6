//! Escalate now through the real definition: the Security Hub custom action "hushhub: alert
//! now" alerts at once, bypassing the renotify_after window, the alert filters and silences,
//! but still claims, so a double click sends one email.

use hushhub_core::config::AlertPolicy;
use hushhub_core::silence::Silences;
use hushhub_tests::{Harness, finding_id, redelivered, sample, with_findings};
use serde_json::Value;

/// The HIGH GuardDuty finding (5-day window), first imported 2026-10-02T03:15:23Z.
const MINING: &str = "guardduty-ec2-crypto-mining";

/// `event`'s findings as someone sends them with the custom action at `at`: the event
/// Security Hub publishes for a custom action, in the shape of `examples/events/custom-action-alert-now.json`.
fn alert_now(event: &Value, event_id: &str, at: &str) -> Value {
    let mut e = sample("custom-action-alert-now");
    e["id"] = Value::from(event_id);
    e["time"] = Value::from(at);
    e["detail"]["findings"] = event["detail"]["findings"].clone();
    e
}

fn email_text(h: &Harness, index: usize) -> String {
    let eml = &h.emails()[index];
    std::fs::read_to_string(eml.with_extension("txt")).expect("text part")
}

#[test]
fn sample_custom_action_event_alerts_at_once() {
    let mut h = Harness::new();
    let results = h.deliver(&sample("custom-action-alert-now"));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].decision, "new");
    assert_eq!(
        results[0].reason,
        "escalated now on request; first time seen"
    );
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn escalate_now_alerts_a_quiet_duplicate_at_once() {
    let mut h = Harness::new();
    let event = sample(MINING);
    assert_eq!(h.decisions(&event), ["new"]);
    // An hour later the 5-day window holds the re-import back…
    assert_eq!(
        h.decisions(&redelivered(&event, "r1", "2026-10-02T04:15:23Z")),
        ["suppressed"]
    );
    // …but someone asking for it gets it now.
    let results = h.deliver(&alert_now(&event, "click-1", "2026-10-02T05:00:00Z"));
    assert_eq!(results[0].decision, "realert", "{:?}", results[0]);
    assert_eq!(
        results[0].reason,
        "escalated now on request; last alert 2026-10-02 03:15 UTC"
    );
    assert_eq!(h.emails().len(), 2);
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(record.alert_count, 2);
    assert_eq!(
        record.last_alerted_at.to_rfc3339(),
        "2026-10-02T05:00:00+00:00",
        "the request's alert restarts the window"
    );
    // The email says why it came.
    let text = std::fs::read_dir(&h.outbox)
        .expect("outbox")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).expect("text part"))
        .find(|t| t.contains("escalated now on request"));
    assert!(text.is_some(), "no email says it was escalated on request");
}

#[test]
fn double_click_on_a_seen_finding_sends_one_email() {
    let mut h = Harness::new();
    let event = sample(MINING);
    h.deliver(&event);
    let first = h.deliver(&alert_now(&event, "click-1", "2026-10-02T05:00:00Z"));
    assert_eq!(first[0].decision, "realert");
    // The second click, two seconds later, is its own event and its own execution.
    let second = h.deliver(&alert_now(&event, "click-2", "2026-10-02T05:00:02Z"));
    assert_eq!(second[0].decision, "suppressed");
    assert_eq!(
        second[0].reason,
        "escalate now: already alerted 2026-10-02 05:00 UTC, within 10 minutes, so this request sends nothing more"
    );
    assert_eq!(h.emails().len(), 2, "the first alert and one escalation");
    assert_eq!(
        h.record(&finding_id(&event)).expect("recorded").alert_count,
        2
    );
}

#[test]
fn the_same_request_delivered_twice_sends_one_email() {
    let mut h = Harness::new();
    let event = sample(MINING);
    h.deliver(&event);
    let click = alert_now(&event, "click-1", "2026-10-02T05:00:00Z");
    assert_eq!(h.decisions(&click), ["realert"]);
    // EventBridge delivers at least once: the same event, a second execution.
    assert_eq!(h.decisions(&click), ["suppressed"]);
    assert_eq!(h.emails().len(), 2);
}

#[test]
fn double_click_on_an_unseen_finding_sends_one_email_and_claims_it() {
    let mut h = Harness::new();
    let event = sample(MINING);
    assert_eq!(
        h.decisions(&alert_now(&event, "click-1", "2026-10-02T03:00:00Z")),
        ["new"]
    );
    assert_eq!(
        h.decisions(&alert_now(&event, "click-2", "2026-10-02T03:00:01Z")),
        ["suppressed"]
    );
    // The import that follows finds the finding claimed: no second first alert.
    assert_eq!(h.decisions(&event), ["suppressed"]);
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn a_request_after_the_quiet_period_alerts_again() {
    let mut h = Harness::new();
    let event = sample(MINING);
    h.deliver(&event);
    h.deliver(&alert_now(&event, "click-1", "2026-10-02T05:00:00Z"));
    assert_eq!(
        h.decisions(&alert_now(&event, "click-2", "2026-10-02T05:10:00Z")),
        ["realert"],
        "ten minutes on, a request is a new request"
    );
    assert_eq!(h.emails().len(), 3);
}

#[test]
fn escalate_now_bypasses_the_severity_filter() {
    let mut h = Harness::new();
    let event = with_findings(&sample(MINING), |f| {
        f["Severity"] = serde_json::json!({"Label": "INFORMATIONAL", "Normalized": 0});
    });
    assert_eq!(h.decisions(&event), ["ignored"]);
    assert_eq!(
        h.decisions(&alert_now(&event, "click-1", "2026-10-02T05:00:00Z")),
        ["new"]
    );
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn escalate_now_bypasses_a_silence() {
    let policy = AlertPolicy {
        silences: Silences::parse(
            r#"[{"account_id": "111122223333", "until": "2027-01-01T00:00:00Z", "reason": "migration"}]"#,
        )
        .expect("valid silences"),
        ..AlertPolicy::default()
    };
    let mut h = Harness::with(policy, None);
    let event = sample(MINING);
    assert_eq!(h.decisions(&event), ["suppressed"]);
    let results = h.deliver(&alert_now(&event, "click-1", "2026-10-02T05:00:00Z"));
    assert_eq!(results[0].decision, "realert", "{:?}", results[0]);
    assert_eq!(
        results[0].reason,
        "escalated now on request; never alerted before (it was silenced)"
    );
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn escalate_now_does_not_alert_a_resolved_finding() {
    let mut h = Harness::new();
    let event = sample(MINING);
    h.deliver(&event);
    let resolved = with_findings(&event, |f| {
        f["Workflow"]["Status"] = "RESOLVED".into();
    });
    let results = h.deliver(&alert_now(&resolved, "click-1", "2026-10-02T05:00:00Z"));
    assert_eq!(results[0].decision, "resolved");
    assert_eq!(h.emails().len(), 1);
    assert!(h.record(&finding_id(&event)).is_none());
}

#[test]
fn escalate_now_email_says_it_was_asked_for() {
    let mut h = Harness::new();
    h.deliver(&sample("custom-action-alert-now"));
    let text = email_text(&h, 0);
    assert!(
        text.contains("someone asked for it in Security Hub"),
        "the email should say it was sent on request:\n{text}"
    );
}
