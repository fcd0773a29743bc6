//! Both generations of Security Hub through the same pipeline: an OCSF ("Findings Imported V2")
//! finding and its ASFF twin must give the same decisions and the same email facts.

use hushhub_core::finding::{Finding, FindingFormat, ImportedEvent};
use hushhub_core::score::score;
use hushhub_tests::{Harness, fixture, redelivered};
use serde_json::Value;

/// The fixture pairs under `tests/fixtures/ocsf/`: `<name>.json` (OCSF) and `<name>.asff.json`.
const PAIRS: [&str; 2] = ["cspm-s3-1-failed", "inspector-ec2-package-cve-critical"];

fn pair(name: &str) -> (Value, Value) {
    (
        fixture(&format!("tests/fixtures/ocsf/{name}.json")),
        fixture(&format!("tests/fixtures/ocsf/{name}.asff.json")),
    )
}

/// An OCSF event delivered again later: new event id and time, `modified_time_dt` moved along.
fn ocsf_redelivered(event: &Value, event_id: &str, at: &str) -> Value {
    let mut e = event.clone();
    e["id"] = Value::from(event_id);
    e["time"] = Value::from(at);
    if let Some(findings) = e["detail"]["findings"].as_array_mut() {
        for f in findings {
            f["finding_info"]["modified_time_dt"] = Value::from(at);
            f["time_dt"] = Value::from(at);
        }
    }
    e
}

fn compact(event: &Value) -> Finding {
    let event = ImportedEvent::from_value(event.clone()).expect("a valid event");
    Finding::read(&event.findings()[0], event.format(), "detail.findings[0]").expect("valid")
}

fn subjects(h: &Harness) -> Vec<String> {
    h.emails()
        .iter()
        .map(|p| {
            let eml = std::fs::read_to_string(p).expect("eml");
            eml.lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
                .expect("a Subject header")
        })
        .collect()
}

#[test]
fn v2_events_are_read_as_ocsf_and_imported_events_as_asff() {
    let (ocsf, asff) = pair("cspm-s3-1-failed");
    let read = |e: &Value| {
        ImportedEvent::from_value(e.clone())
            .expect("valid")
            .format()
    };
    assert_eq!(read(&ocsf), FindingFormat::Ocsf);
    assert_eq!(read(&asff), FindingFormat::Asff);
}

#[test]
fn ocsf_finding_and_its_asff_twin_have_the_same_email_facts() {
    for name in PAIRS {
        let (ocsf, asff) = pair(name);
        let (o, a) = (compact(&ocsf), compact(&asff));
        assert_eq!(o.title, a.title, "{name}");
        assert_eq!(o.severity, a.severity, "{name}");
        assert_eq!(o.account_id, a.account_id, "{name}");
        assert_eq!(o.region, a.region, "{name}");
        assert_eq!(o.control_id, a.control_id, "{name}");
        assert_eq!(o.control_or_type(), a.control_or_type(), "{name}");
        assert_eq!(o.product_name, a.product_name, "{name}");
        assert_eq!(o.resources, a.resources, "{name}");
        assert_eq!(o.vulnerabilities, a.vulnerabilities, "{name}");
        assert_eq!(
            o.remediation.as_ref().map(|r| &r.text),
            a.remediation.as_ref().map(|r| &r.text),
            "{name}"
        );
        assert_eq!(o.workflow_status, a.workflow_status, "{name}");
        assert_eq!(o.record_state, a.record_state, "{name}");
        assert_eq!(o.compliance_status, a.compliance_status, "{name}");
        assert_eq!(
            (o.created_at, o.updated_at, o.first_observed_at),
            (a.created_at, a.updated_at, a.first_observed_at),
            "{name}"
        );
        assert_eq!(
            score(&o),
            score(&a),
            "{name}: same score, breakdown and priority"
        );
    }
}

#[test]
fn ocsf_finding_and_its_asff_twin_give_the_same_decisions_and_emails() {
    for name in PAIRS {
        let (ocsf, asff) = pair(name);
        let time = asff["time"].as_str().expect("time").to_owned();
        let day = &time[..10];
        let (mut o, mut a) = (Harness::new(), Harness::new());
        // First sighting, a duplicate an hour later, and one 31 days later (past every window).
        let hour_later = format!("{day}T23:59:00Z");
        let month_later = "2026-12-01T00:00:00Z";
        let ocsf_stream = [
            ocsf.clone(),
            ocsf_redelivered(&ocsf, "r1", &hour_later),
            ocsf_redelivered(&ocsf, "r2", month_later),
        ];
        let asff_stream = [
            asff.clone(),
            redelivered(&asff, "r1", &hour_later),
            redelivered(&asff, "r2", month_later),
        ];
        for (oe, ae) in ocsf_stream.iter().zip(&asff_stream) {
            let (ro, ra) = (o.deliver(oe), a.deliver(ae));
            assert_eq!(ro.len(), 1, "{name}");
            assert_eq!(ro[0].decision, ra[0].decision, "{name}: {:?}", ro[0]);
            assert_eq!(ro[0].severity, ra[0].severity, "{name}");
            assert_eq!(ro[0].priority, ra[0].priority, "{name}");
            assert_eq!(ro[0].title, ra[0].title, "{name}");
        }
        assert_eq!(
            o.decisions(&ocsf_redelivered(&ocsf, "r3", month_later)),
            ["suppressed"],
            "{name}"
        );
        assert_eq!(subjects(&o), subjects(&a), "{name}");
        assert_eq!(o.emails().len(), 2, "{name}: new and one re-alert");
    }
}

#[test]
fn ocsf_resolved_status_forgets_the_record() {
    let (ocsf, _) = pair("cspm-s3-1-failed");
    let mut h = Harness::new();
    assert_eq!(h.decisions(&ocsf), ["new"]);
    assert_eq!(h.recorded(), 1);
    let mut resolved = ocsf_redelivered(&ocsf, "r1", "2026-10-02T00:00:00Z");
    resolved["detail"]["findings"][0]["status_id"] = Value::from(4);
    resolved["detail"]["findings"][0]["status"] = Value::from("Resolved");
    let results = h.deliver(&resolved);
    assert_eq!(results[0].decision, "resolved", "{:?}", results[0]);
    assert_eq!(h.recorded(), 0);
}

#[test]
fn ocsf_passed_control_and_closed_activity_end_at_once() {
    let (ocsf, _) = pair("cspm-s3-1-failed");
    let mut passed = ocsf.clone();
    passed["detail"]["findings"][0]["compliance"]["status_id"] = Value::from(1);
    let mut closed = ocsf.clone();
    closed["detail"]["findings"][0]["activity_id"] = Value::from(3);
    for event in [passed, closed] {
        let mut h = Harness::new();
        assert_eq!(h.decisions(&event), ["resolved"]);
        assert!(h.emails().is_empty());
    }
}

#[test]
fn malformed_ocsf_finding_is_rejected_naming_its_field() {
    let (ocsf, _) = pair("cspm-s3-1-failed");
    let mut bad = ocsf.clone();
    bad["detail"]["findings"][0]["severity_id"] = Value::from(7);
    let mut h = Harness::new();
    let results = h.deliver(&bad);
    assert_eq!(results[0].decision, "rejected");
    assert_eq!(
        results[0].error.as_deref(),
        Some("detail.findings[0].severity_id: unknown value 7")
    );
}

#[test]
fn an_ocsf_finding_is_recorded_as_ocsf_so_the_daily_reaper_keeps_it() {
    let (ocsf, asff) = pair("cspm-s3-1-failed");
    let mut h = Harness::new();
    h.deliver(&ocsf);
    let id = compact(&ocsf).id;
    assert_eq!(
        h.record(id.as_str()).map(|r| r.finding_format),
        Some(FindingFormat::Ocsf)
    );
    let mut h = Harness::new();
    h.deliver(&asff);
    let id = compact(&asff).id;
    assert_eq!(
        h.record(id.as_str()).map(|r| r.finding_format),
        Some(FindingFormat::Asff)
    );
}
