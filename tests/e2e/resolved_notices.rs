//! Resolved notices through the real definition (off by default): one short email, threaded
//! under the alerts, when a finding hushhub alerted on is resolved; never for a finding it did
//! not alert on.

use hushhub_core::config::AlertPolicy;
use hushhub_core::routing::Routes;
use hushhub_core::silence::Silences;
use hushhub_tests::{Harness, default_recipients, finding_id, redelivered, sample, with_findings};
use serde_json::Value;

/// The CRITICAL CVE finding, first imported 2026-10-01T02:12:23Z.
const CVE: &str = "inspector-ec2-package-cve-critical";

fn with_notices() -> Harness {
    Harness::with(
        AlertPolicy {
            resolved_notices: true,
            ..AlertPolicy::default()
        },
        None,
    )
}

/// `event` a day later, with Security Hub reporting the finding resolved.
fn resolved(event: &Value, event_id: &str) -> Value {
    let later = redelivered(event, event_id, "2026-10-02T02:00:00Z");
    with_findings(&later, |f| f["Workflow"]["Status"] = "RESOLVED".into())
}

/// The `.eml` text of the email hushhub tagged with `X-Hushhub-Decision: <decision>`.
fn email_for(h: &Harness, decision: &str) -> String {
    h.emails()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("eml"))
        .find(|m| header(m, "X-Hushhub-Decision") == Some(decision))
        .unwrap_or_else(|| panic!("no email for decision {decision:?}"))
}

/// How many emails are resolved notices.
fn notices(h: &Harness) -> usize {
    h.emails()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("eml"))
        .filter(|m| header(m, "X-Hushhub-Decision") == Some("resolved"))
        .count()
}

/// `event`'s findings at INFORMATIONAL, which is not alerted on by default.
fn informational(event: &Value) -> Value {
    with_findings(event, |f| {
        f["Severity"] = serde_json::json!({"Label": "INFORMATIONAL", "Normalized": 0});
    })
}

fn header<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message
        .split("\r\n")
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[test]
fn resolved_notice_follows_an_alert_threaded_under_it() {
    let mut h = with_notices();
    let event = sample(CVE);
    assert_eq!(h.decisions(&event), ["new"]);
    let results = h.deliver(&resolved(&event, "r1"));
    assert_eq!(results[0].decision, "resolved");
    assert_eq!(
        results[0].reason,
        "resolved: record deleted, a later active update alerts as new; resolved notice sent"
    );
    assert!(results[0].email.is_some(), "{:?}", results[0]);
    assert_eq!(h.emails().len(), 2, "the alert and its notice");
    assert!(h.record(&finding_id(&event)).is_none(), "record deleted");

    let alert = email_for(&h, "new");
    let notice = email_for(&h, "resolved");
    let text = std::fs::read_to_string(
        h.emails()
            .into_iter()
            .find(|p| std::fs::read_to_string(p).is_ok_and(|m| m == notice))
            .expect("the notice's file")
            .with_extension("txt"),
    )
    .expect("text part");
    assert!(text.starts_with("RESOLVED · CRITICAL\n"), "{text}");
    let root = header(&alert, "Message-ID").expect("the alert's Message-ID");
    assert_eq!(header(&notice, "References"), Some(root));
    assert_eq!(header(&notice, "In-Reply-To"), Some(root));
    assert_ne!(header(&notice, "Message-ID"), Some(root));
    assert_eq!(header(&notice, "To"), Some("security-team@example.com"));
}

#[test]
fn resolved_notice_says_what_changed_and_how_often_hushhub_alerted() {
    let mut h = with_notices();
    let event = sample(CVE);
    h.deliver(&event);
    // The CRITICAL window is one day: a second alert, then the resolution.
    h.deliver(&redelivered(&event, "r1", "2026-10-02T02:12:23Z"));
    let later = redelivered(&event, "r2", "2026-10-03T00:00:00Z");
    h.deliver(&with_findings(&later, |f| {
        f["RecordState"] = "ARCHIVED".into();
    }));
    assert_eq!(h.emails().len(), 3);
    let text = h
        .emails()
        .iter()
        .map(|p| std::fs::read_to_string(p.with_extension("txt")).expect("text"))
        .find(|t| t.starts_with("RESOLVED"))
        .expect("a notice");
    assert!(
        text.contains("Security Hub now reports this finding archived."),
        "{text}"
    );
    assert!(
        text.contains("hushhub alerted on it 2 times: first seen 2026-10-01 02:12 UTC, last alert 2026-10-02 02:12 UTC."),
        "{text}"
    );
}

#[test]
fn no_resolved_notice_when_notices_are_off() {
    let mut h = Harness::new();
    let event = sample(CVE);
    h.deliver(&event);
    let results = h.deliver(&resolved(&event, "r1"));
    assert_eq!(results[0].decision, "resolved");
    assert_eq!(results[0].email, None);
    assert_eq!(h.emails().len(), 1, "resolved notices are off by default");
}

#[test]
fn no_resolved_notice_for_a_finding_never_alerted() {
    // Silenced when first seen: recorded, never alerted.
    let policy = AlertPolicy {
        resolved_notices: true,
        silences: Silences::parse(
            r#"[{"account_id": "111122223333", "until": "2027-01-01T00:00:00Z", "reason": "migration"}]"#,
        )
        .expect("valid silences"),
        ..AlertPolicy::default()
    };
    let mut h = Harness::with(policy, None);
    let event = sample(CVE);
    assert_eq!(h.decisions(&event), ["suppressed"]);
    assert!(h.record(&finding_id(&event)).is_some());
    let results = h.deliver(&resolved(&event, "r1"));
    assert_eq!(results[0].decision, "resolved");
    assert_eq!(results[0].email, None);

    // Never recorded: an INFORMATIONAL finding, and a finding first seen resolved.
    let mut h = with_notices();
    let quiet = informational(&sample("guardduty-ec2-crypto-mining"));
    assert_eq!(h.decisions(&quiet), ["ignored"]);
    let quiet_resolved = with_findings(&quiet, |f| f["Workflow"]["Status"] = "RESOLVED".into());
    assert_eq!(h.decisions(&quiet_resolved), ["resolved"]);
    assert_eq!(h.decisions(&sample("cspm-s3-1-passed")), ["resolved"]);
    assert_eq!(h.decisions(&resolved(&sample(CVE), "r2")), ["resolved"]);
    assert!(h.emails().is_empty());
}

#[test]
fn a_resolved_update_delivered_twice_sends_one_notice() {
    let mut h = with_notices();
    let event = sample(CVE);
    h.deliver(&event);
    let update = resolved(&event, "r1");
    assert!(h.deliver(&update)[0].email.is_some());
    let again = h.deliver(&update);
    assert_eq!(again[0].decision, "resolved");
    assert_eq!(again[0].email, None);
    assert_eq!(again[0].reason, "resolved: nothing recorded");
    assert_eq!(h.emails().len(), 2);
}

#[test]
fn a_finding_back_after_its_notice_alerts_as_new_and_gets_its_own_notice() {
    let mut h = with_notices();
    let event = sample(CVE);
    h.deliver(&event);
    h.deliver(&resolved(&event, "r1"));
    let back = redelivered(&event, "r2", "2026-10-05T00:00:00Z");
    assert_eq!(h.decisions(&back), ["new"]);
    let later = redelivered(&event, "r3", "2026-10-06T00:00:00Z");
    let again = with_findings(&later, |f| f["Workflow"]["Status"] = "RESOLVED".into());
    assert!(h.deliver(&again)[0].email.is_some());
    assert_eq!(notices(&h), 2, "one notice per alerted life of the finding");
}

#[test]
fn resolved_notice_goes_to_each_route_of_the_alert_in_its_own_thread() {
    let routes = Routes::parse(
        r#"[{"name": "platform", "owners": ["platform-team"], "recipients": ["platform@example.com"]},
            {"name": "payments", "accounts": ["444455556666"], "recipients": ["payments@example.com"]}]"#,
        "Owner",
        default_recipients(),
    )
    .expect("valid routes");
    let policy = AlertPolicy {
        resolved_notices: true,
        ..AlertPolicy::default()
    };
    let mut h = Harness::with_policy_and_routes(policy, routes);
    let event = sample(CVE); // tagged owner=platform-team
    assert_eq!(h.deliver(&event)[0].routes, ["platform"]);
    let results = h.deliver(&resolved(&event, "r1"));
    assert_eq!(results[0].routes, ["platform"]);
    assert_eq!(
        h.emails().len(),
        2,
        "the alert and its notice, both to platform only"
    );
    let alert = email_for(&h, "new");
    let notice = email_for(&h, "resolved");
    assert_eq!(header(&notice, "To"), Some("platform@example.com"));
    assert_eq!(header(&notice, "X-Hushhub-Route"), Some("platform"));
    assert_eq!(
        header(&notice, "In-Reply-To"),
        header(&alert, "Message-ID"),
        "threaded under the route's own first alert"
    );
}
