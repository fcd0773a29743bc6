//! The pipeline end to end: events through the real definition, the local runner and the same
//! handlers the Lambdas run, asserting the exact decisions, records and emails.

use hushhub_core::config::AlertPolicy;
use hushhub_tests::{Harness, finding_id, fixture, redelivered, sample, with_findings};
use serde_json::Value;

#[test]
fn new_finding_sends_one_email() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining");
    let results = h.deliver(&event);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].decision, "new");
    assert_eq!(results[0].severity.as_deref(), Some("HIGH"));
    assert!(results[0].priority.is_some());
    assert_eq!(h.emails().len(), 1);
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(record.alert_count, 1);
    let eml = std::fs::read_to_string(&h.emails()[0]).expect("eml");
    assert!(eml.contains("multipart/alternative"));
    assert!(eml.contains("Content-Type: text/plain") && eml.contains("Content-Type: text/html"));
}

#[test]
fn duplicate_within_window_sends_nothing() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining");
    assert_eq!(h.decisions(&event), ["new"]);
    // HIGH re-notifies after 5 days; four days later it is still quiet.
    let later = redelivered(&event, "redelivery-1", "2026-10-06T03:15:23Z");
    assert_eq!(h.decisions(&later), ["suppressed"]);
    assert_eq!(h.emails().len(), 1);
    assert_eq!(
        h.record(&finding_id(&event)).expect("recorded").alert_count,
        1
    );
}

#[test]
fn realerts_high_after_its_five_day_window() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining"); // 2026-10-02T03:15:23Z
    h.deliver(&event);
    let due = redelivered(&event, "redelivery-1", "2026-10-07T03:15:23Z");
    let results = h.deliver(&due);
    assert_eq!(results[0].decision, "realert");
    assert!(
        results[0].reason.contains("5d renotify_after window"),
        "{}",
        results[0].reason
    );
    assert_eq!(h.emails().len(), 2);
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(record.alert_count, 2);
    assert_eq!(
        record.last_alerted_at.to_rfc3339(),
        "2026-10-07T03:15:23+00:00"
    );
}

#[test]
fn realerts_critical_after_one_day_window() {
    let mut h = Harness::new();
    let event = sample("inspector-ec2-package-cve-critical"); // 2026-10-01T02:12:23Z
    assert_eq!(h.decisions(&event), ["new"]);
    assert_eq!(
        h.decisions(&redelivered(&event, "r1", "2026-10-02T02:12:22Z")),
        ["suppressed"]
    );
    assert_eq!(
        h.decisions(&redelivered(&event, "r2", "2026-10-02T02:12:23Z")),
        ["realert"]
    );
    assert_eq!(
        h.decisions(&redelivered(&event, "r3", "2026-10-02T09:00:00Z")),
        ["suppressed"]
    );
    assert_eq!(h.emails().len(), 2);
}

#[test]
fn a_shorter_renotify_window_is_tried_locally_before_terraform() {
    let policy = AlertPolicy {
        renotify: "HIGH=1d".parse().expect("policy"),
        ..AlertPolicy::default()
    };
    let mut h = Harness::with(policy, None);
    let event = sample("guardduty-ec2-crypto-mining");
    h.deliver(&event);
    assert_eq!(
        h.decisions(&redelivered(&event, "r1", "2026-10-03T03:15:23Z")),
        ["realert"]
    );
}

#[test]
fn severity_escalation_alerts_at_once() {
    let mut h = Harness::new();
    let event = sample("cspm-s3-1-failed"); // MEDIUM, 15-day window
    assert_eq!(h.decisions(&event), ["new"]);
    let escalated = with_findings(&redelivered(&event, "r1", "2026-10-01T09:16:23Z"), |f| {
        f["Severity"]["Label"] = Value::from("CRITICAL");
    });
    let results = h.deliver(&escalated);
    assert_eq!(results[0].decision, "realert");
    assert!(
        results[0]
            .reason
            .contains("escalated from MEDIUM to CRITICAL"),
        "{}",
        results[0].reason
    );
    assert_eq!(h.emails().len(), 2);
    // Back to the same severity an hour later: quiet again, the escalation was the alert.
    let again = with_findings(&redelivered(&event, "r2", "2026-10-01T10:16:23Z"), |f| {
        f["Severity"]["Label"] = Value::from("CRITICAL");
    });
    assert_eq!(h.decisions(&again), ["suppressed"]);
}

#[test]
fn resolved_finding_is_forgotten_and_alerts_as_new_when_active_again() {
    let mut h = Harness::new();
    let failed = sample("cspm-s3-1-failed");
    let passed = sample("cspm-s3-1-passed");
    assert_eq!(finding_id(&failed), finding_id(&passed));
    assert_eq!(h.decisions(&failed), ["new"]);
    assert!(h.record(&finding_id(&failed)).is_some());

    let results = h.deliver(&passed);
    assert_eq!(results[0].decision, "resolved");
    assert!(
        results[0].reason.contains("record deleted"),
        "{}",
        results[0].reason
    );
    assert!(h.record(&finding_id(&failed)).is_none());
    assert_eq!(h.emails().len(), 1, "a resolution sends no email");

    let back = redelivered(&failed, "back-again", "2026-10-21T08:16:23Z");
    assert_eq!(h.decisions(&back), ["new"]);
    assert_eq!(h.emails().len(), 2);
}

#[test]
fn archived_and_workflow_resolved_findings_end_without_email() {
    let mut h = Harness::new();
    assert_eq!(h.decisions(&sample("inspector-archived")), ["resolved"]);
    assert_eq!(h.decisions(&sample("guardduty-resolved")), ["resolved"]);
    let suppressed = with_findings(&sample("guardduty-ec2-crypto-mining"), |f| {
        f["Workflow"]["Status"] = Value::from("SUPPRESSED");
    });
    assert_eq!(h.decisions(&suppressed), ["resolved"]);
    assert!(h.emails().is_empty());
    assert_eq!(h.recorded(), 0);
}

#[test]
fn three_findings_in_one_event_give_three_decisions() {
    let mut h = Harness::new();
    let event = sample("three-findings-one-event");
    let results = h.deliver(&event);
    assert_eq!(results.len(), 3);
    let ids: Vec<String> = event["detail"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["Id"].as_str().unwrap_or_default().to_owned())
        .collect();
    for (result, id) in results.iter().zip(&ids) {
        assert_eq!(result.decision, "new");
        assert_eq!(
            result.finding_id.as_deref(),
            Some(id.as_str()),
            "results keep the order of the findings"
        );
    }
    assert_eq!(h.emails().len(), 3);
}

#[test]
fn same_event_delivered_twice_sends_one_email() {
    let mut h = Harness::new();
    let event = sample("macie-sensitive-data-s3");
    assert_eq!(h.decisions(&event), ["new"]);
    assert_eq!(h.decisions(&event), ["suppressed"]);
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn reimport_with_only_a_note_or_updated_at_sends_nothing() {
    let mut h = Harness::new();
    let event = sample("access-analyzer-public-bucket");
    h.deliver(&event);
    let noted = with_findings(&event, |f| {
        f["Note"] = serde_json::json!({"Text": "hushhub alerted", "UpdatedBy": "hushhub", "UpdatedAt": "2026-10-01T01:00:00Z"});
        f["Workflow"]["Status"] = Value::from("NOTIFIED");
    });
    assert_eq!(h.decisions(&noted), ["suppressed"]);
    let touched = redelivered(&event, "touched", "2026-10-01T06:00:00Z");
    assert_eq!(h.decisions(&touched), ["suppressed"]);
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn informational_finding_is_ignored() {
    let mut h = Harness::new();
    let info = with_findings(&sample("guardduty-ec2-crypto-mining"), |f| {
        f["Severity"] = serde_json::json!({"Label": "INFORMATIONAL", "Normalized": 0});
    });
    let results = h.deliver(&info);
    assert_eq!(results[0].decision, "ignored");
    assert!(
        results[0].reason.contains("INFORMATIONAL"),
        "{}",
        results[0].reason
    );
    assert!(h.emails().is_empty());
    assert_eq!(h.recorded(), 0, "an ignored finding is not recorded");
}

#[test]
fn product_outside_the_filter_is_ignored() {
    let policy = AlertPolicy {
        alert_products: ["inspector".to_owned()].into(),
        ..AlertPolicy::default()
    };
    let mut h = Harness::with(policy, None);
    assert_eq!(
        h.decisions(&sample("guardduty-ec2-crypto-mining")),
        ["ignored"]
    );
    assert_eq!(
        h.decisions(&sample("inspector-ec2-package-cve-critical")),
        ["new"]
    );
}

fn ecr_images() -> String {
    std::fs::read_to_string(hushhub_tests::root().join("examples/ecr-images.jsonl"))
        .expect("images file")
}

#[test]
fn ecr_finding_on_an_image_that_is_not_the_latest_tagged_is_ignored() {
    let mut h = Harness::with(AlertPolicy::default(), Some(&ecr_images()));
    let results = h.deliver(&sample("inspector-ecr-image-superseded-digest"));
    assert_eq!(results[0].decision, "ignored");
    assert!(
        results[0].reason.contains("not the latest tagged image"),
        "{}",
        results[0].reason
    );
    assert!(h.emails().is_empty());
}

#[test]
fn ecr_finding_on_the_latest_tagged_image_alerts() {
    let mut h = Harness::with(AlertPolicy::default(), Some(&ecr_images()));
    assert_eq!(
        h.decisions(&sample("inspector-ecr-image-cve-high")),
        ["new"]
    );
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn ecr_latest_only_can_be_switched_off() {
    let policy = AlertPolicy {
        ecr_latest_only: false,
        ..AlertPolicy::default()
    };
    let mut h = Harness::with(policy, Some(&ecr_images()));
    assert_eq!(
        h.decisions(&sample("inspector-ecr-image-superseded-digest")),
        ["new"]
    );
}

#[test]
fn malformed_finding_is_rejected_naming_the_field_without_state_or_email() {
    let mut h = Harness::new();
    let event = fixture("tests/fixtures/bad/unknown-severity.json");
    let results = h.deliver(&event);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].decision, "rejected");
    let error = results[0].error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("detail.findings[0].Severity.Label: unknown value \"SUPER\""),
        "{error}"
    );
    assert_eq!(h.recorded(), 0);
    assert!(h.emails().is_empty());
}

#[test]
fn one_bad_finding_does_not_stop_the_others_in_its_event() {
    let mut h = Harness::new();
    let results = h.deliver(&fixture("tests/fixtures/bad/missing-id.json"));
    let decisions: Vec<&str> = results.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, ["new", "rejected"]);
    assert!(
        results[1]
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("detail.findings[1].Id: is missing")
    );
    assert_eq!(h.recorded(), 1);
    assert_eq!(h.emails().len(), 1);
}

#[test]
fn every_malformed_event_is_rejected_naming_its_field() {
    let cases = [
        ("wrong-detail-type.json", "detail-type: "),
        ("missing-findings.json", "detail.findings: is missing"),
        ("empty-findings.json", "detail.findings: is empty"),
        ("empty-id.json", "detail.findings[0].Id: must not be empty"),
        (
            "unknown-severity.json",
            "detail.findings[0].Severity.Label: ",
        ),
        ("bad-timestamp.json", "detail.findings[0].UpdatedAt: "),
        (
            "wrong-types.json",
            "detail.findings[0].Types: expected a list",
        ),
        ("bad-account-id.json", "detail.findings[0].AwsAccountId: "),
        ("empty-resources.json", "detail.findings[0].Resources: "),
        ("huge-finding.json", "detail.findings[0].Resources: "),
    ];
    for (file, expected) in cases {
        let mut h = Harness::new();
        let results = h.deliver(&fixture(&format!("tests/fixtures/bad/{file}")));
        let rejected: Vec<_> = results
            .iter()
            .filter(|r| r.decision == "rejected")
            .collect();
        assert_eq!(rejected.len(), 1, "{file}: {results:?}");
        let error = rejected[0].error.as_deref().unwrap_or_default();
        assert!(error.starts_with(expected), "{file}: {error}");
        assert_eq!(h.recorded(), 0, "{file}: no state change");
        assert!(h.emails().is_empty(), "{file}: no email");
    }
}

#[test]
fn unparseable_text_is_rejected_without_panicking() {
    let root = hushhub_tests::root().join("tests/fixtures/bad");
    for file in ["not-json.json", "deeply-nested.json"] {
        let mut h = Harness::new();
        let text = std::fs::read_to_string(root.join(file)).expect("fixture");
        let result = h.pipeline.run_text(&text);
        assert_eq!(result.findings.len(), 1);
        assert_eq!(result.findings[0].decision, "rejected");
        assert!(
            result.findings[0]
                .error
                .as_deref()
                .unwrap_or_default()
                .starts_with("event: not valid JSON"),
            "{file}"
        );
        assert_eq!(h.recorded(), 0);
        assert!(h.emails().is_empty(), "{file}: no email");
    }
}

#[test]
fn suppressed_duplicate_takes_six_state_transitions() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining");
    h.deliver(&event);
    let result = h
        .pipeline
        .run_event(redelivered(&event, "r1", "2026-10-03T03:15:23Z"));
    // Findings (Map), CheckSeen, RouteBySeen, AgeCheck, RouteByAge, Suppressed.
    assert_eq!(result.state_transitions, 6);
    assert_eq!(result.findings[0].decision, "suppressed");
}

/// The header block of an `.eml` file, as (name, value) pairs in order.
fn eml_headers(path: &std::path::Path) -> Vec<(String, String)> {
    let eml = std::fs::read_to_string(path).expect("eml");
    let (head, _) = eml
        .split_once("\r\n\r\n")
        .expect("headers end with an empty line");
    head.split("\r\n")
        .map(|line| {
            let (name, value) = line.split_once(": ").expect("one header per line");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
    let value = values.next().map(|(_, v)| v.as_str());
    assert!(values.next().is_none(), "{name} appears once");
    value
}

#[test]
fn realert_email_threads_under_the_first_alert() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining");
    assert_eq!(h.decisions(&event), ["new"]);
    let due = redelivered(&event, "redelivery-1", "2026-10-07T03:15:23Z");
    assert_eq!(h.decisions(&due), ["realert"]);
    let emails = h.emails();
    assert_eq!(emails.len(), 2);
    let first = eml_headers(&emails[0]);
    let again = eml_headers(&emails[1]);

    let root = header(&first, "Message-ID").expect("the first alert has a Message-ID");
    assert!(
        root.starts_with('<') && root.ends_with('>') && root.contains('@'),
        "{root}"
    );
    assert_eq!(
        header(&first, "References"),
        Some(root),
        "the first alert names itself as the thread root (SES replaces Message-ID)"
    );
    assert_eq!(header(&first, "In-Reply-To"), None);

    let realert_id = header(&again, "Message-ID").expect("the re-alert has a Message-ID");
    assert_ne!(realert_id, root);
    assert_eq!(header(&again, "References"), Some(root));
    assert_eq!(header(&again, "In-Reply-To"), Some(root));
}

#[test]
fn alert_email_carries_hushhub_headers_for_mail_filters() {
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining");
    let results = h.deliver(&event);
    h.deliver(&redelivered(&event, "redelivery-1", "2026-10-07T03:15:23Z"));
    let emails = h.emails();
    assert_eq!(emails.len(), 2);
    for (eml, decision) in emails.iter().zip(["new", "realert"]) {
        let headers = eml_headers(eml);
        assert_eq!(
            header(&headers, "X-Hushhub-Priority"),
            results[0].priority.as_deref()
        );
        assert_eq!(header(&headers, "X-Hushhub-Severity"), Some("HIGH"));
        assert_eq!(header(&headers, "X-Hushhub-Decision"), Some(decision));
        assert_eq!(
            header(&headers, "X-Hushhub-Finding-Id"),
            Some(finding_id(&event).as_str())
        );
    }
}
