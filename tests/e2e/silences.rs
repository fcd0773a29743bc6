//! Silences through the real definition: a matching finding is recorded but not alerted while
//! the silence holds, and alerts at the first delivery after it ends if it is due then.

use hushhub_core::config::AlertPolicy;
use hushhub_core::silence::Silences;
use hushhub_tests::{Harness, finding_id, redelivered, sample, with_findings};

/// The CVE finding (CRITICAL, 1-day window) first arrives 2026-10-01T02:12:23Z.
const CVE: &str = "inspector-ec2-package-cve-critical";

fn silenced_by(json: &str) -> Harness {
    let policy = AlertPolicy {
        silences: Silences::parse(json).expect("valid silences"),
        ..AlertPolicy::default()
    };
    Harness::with(policy, None)
}

#[test]
fn silence_suppresses_matching_finding_until_its_end() {
    let mut h = silenced_by(
        r#"[{"resource_id": "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b*",
             "until": "2026-10-05T00:00:00Z", "reason": "instance is being rebuilt"}]"#,
    );
    let event = sample(CVE);
    let results = h.deliver(&event);
    assert_eq!(results[0].decision, "suppressed");
    assert_eq!(results[0].reason, "silenced: instance is being rebuilt");
    let record = h.record(&finding_id(&event)).expect("still tracked");
    assert_eq!(record.alert_count, 0, "tracked, not alerted");

    // Two days on the CRITICAL window has long passed, but the silence still holds.
    let results = h.deliver(&redelivered(&event, "r1", "2026-10-03T00:00:00Z"));
    assert_eq!(results[0].decision, "suppressed");
    assert_eq!(results[0].reason, "silenced: instance is being rebuilt");
    assert!(h.emails().is_empty());

    // The first delivery after the silence ends alerts.
    let results = h.deliver(&redelivered(&event, "r2", "2026-10-05T00:00:00Z"));
    assert_eq!(results[0].decision, "realert", "{:?}", results[0]);
    assert_eq!(h.emails().len(), 1);
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(record.alert_count, 1);
    assert_eq!(
        record.first_seen_at.to_rfc3339(),
        "2026-10-01T02:12:23+00:00",
        "the record kept its first sighting through the silence"
    );
}

#[test]
fn silence_holds_back_a_due_realert_and_it_alerts_when_the_silence_ends() {
    let mut h = silenced_by(
        r#"[{"tag": "change-freeze=true", "account_id": "111122223333",
             "until": "2026-10-04T00:00:00Z", "reason": "change freeze"}]"#,
    );
    let event = sample(CVE);
    // Alerted before the resource was tagged into the freeze.
    assert_eq!(h.decisions(&event), ["new"]);
    let frozen = with_findings(&event, |f| {
        f["Resources"][0]["Tags"]["change-freeze"] = "true".into();
    });
    // A day later the CRITICAL window has passed: due, but silenced.
    let results = h.deliver(&redelivered(&frozen, "r1", "2026-10-03T00:00:00Z"));
    assert_eq!(
        (results[0].decision.as_str(), results[0].reason.as_str()),
        ("suppressed", "silenced: change freeze")
    );
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(
        record.alert_count, 1,
        "the silenced re-alert is not counted"
    );
    assert_eq!(
        record.last_alerted_at.to_rfc3339(),
        "2026-10-01T02:12:23+00:00"
    );
    assert_eq!(
        h.decisions(&redelivered(&frozen, "r2", "2026-10-04T00:00:00Z")),
        ["realert"]
    );
    assert_eq!(h.emails().len(), 2);
}

#[test]
fn a_quiet_duplicate_keeps_its_window_reason_under_a_silence() {
    let mut h = silenced_by(
        r#"[{"tag": "change-freeze=true", "until": "2027-01-01T00:00:00Z",
             "reason": "change freeze"}]"#,
    );
    let event = sample(CVE);
    assert_eq!(h.decisions(&event), ["new"]);
    let frozen = with_findings(&event, |f| {
        f["Resources"][0]["Tags"]["change-freeze"] = "true".into();
    });
    // Nothing would be sent an hour later anyway: the reason stays the window's.
    let results = h.deliver(&redelivered(&frozen, "r1", "2026-10-01T03:12:23Z"));
    assert_eq!(results[0].decision, "suppressed");
    assert!(
        results[0]
            .reason
            .starts_with("within its renotify_after window"),
        "{}",
        results[0].reason
    );
}

#[test]
fn expired_silence_is_ignored() {
    let mut h = silenced_by(
        r#"[{"control_id": "S3.1", "until": "2026-09-30T00:00:00Z", "reason": "old exception"}]"#,
    );
    let event = sample("cspm-s3-1-failed");
    assert_eq!(h.decisions(&event), ["new"]);
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn silence_that_matches_another_finding_changes_nothing() {
    let mut h = silenced_by(
        r#"[{"control_id": "S3.2", "until": "2027-01-01T00:00:00Z", "reason": "other control"},
            {"account_id": "999999999999", "until": "2027-01-01T00:00:00Z", "reason": "other account"}]"#,
    );
    assert_eq!(h.decisions(&sample("cspm-s3-1-failed")), ["new"]);
}

#[test]
fn resolved_and_ignored_findings_are_not_reported_as_silenced() {
    let mut h = silenced_by(
        r#"[{"control_id": "S3.1", "until": "2027-01-01T00:00:00Z", "reason": "exception"}]"#,
    );
    let results = h.deliver(&sample("cspm-s3-1-passed"));
    assert_eq!(results[0].decision, "resolved");
}
