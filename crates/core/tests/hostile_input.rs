//! Specifications of the input edge against the malformed corpus in `tests/fixtures/bad/` (its
//! README lists each defect and the field path the error must name), one named test per case,
//! and of oversized fields: rejected or bounded, never a panic. The end-to-end counterparts
//! (no record, no email) are in `tests/e2e/pipeline.rs`.

use hushhub_core::email::{AlertFacts, render};
use hushhub_core::finding::{Finding, FindingError, ImportedEvent};
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::fallback;
use serde_json::{Value, json};

fn read(path: &str) -> String {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).expect(&full)
}

/// The first error reading an event and each of its findings, as check-seen meets them.
fn first_error(text: &str) -> Option<FindingError> {
    let event = match ImportedEvent::parse(text) {
        Ok(event) => event,
        Err(e) => return Some(e),
    };
    event
        .findings()
        .iter()
        .enumerate()
        .find_map(|(i, raw)| Finding::from_asff(raw, &format!("detail.findings[{i}]")).err())
}

fn rejected(fixture: &str) -> FindingError {
    first_error(&read(&format!("tests/fixtures/bad/{fixture}")))
        .unwrap_or_else(|| panic!("{fixture} was accepted"))
}

fn assert_names(fixture: &str, path: &str, problem_starts: &str) {
    let e = rejected(fixture);
    assert_eq!(e.path, path, "{fixture}: {e}");
    assert!(e.problem.starts_with(problem_starts), "{fixture}: {e}");
}

#[test]
fn not_json_is_a_syntax_error_with_its_position() {
    let e = rejected("not-json.json");
    assert_eq!(e.path, "event");
    assert!(e.problem.contains("EOF while parsing"), "{e}");
    assert!(e.problem.contains("line"), "{e}");
}

#[test]
fn wrong_detail_type_names_detail_type() {
    assert_names(
        "wrong-detail-type.json",
        "detail-type",
        "expected \"Security Hub Findings - Imported\"",
    );
}

#[test]
fn missing_findings_names_detail_findings() {
    assert_names("missing-findings.json", "detail.findings", "is missing");
}

#[test]
fn empty_findings_names_detail_findings() {
    assert_names("empty-findings.json", "detail.findings", "is empty");
}

#[test]
fn missing_id_names_the_second_findings_id() {
    assert_names("missing-id.json", "detail.findings[1].Id", "is missing");
}

#[test]
fn empty_id_names_the_id() {
    assert_names(
        "empty-id.json",
        "detail.findings[0].Id",
        "must not be empty",
    );
}

#[test]
fn unknown_severity_names_the_label_and_value() {
    assert_names(
        "unknown-severity.json",
        "detail.findings[0].Severity.Label",
        "unknown value \"SUPER\"",
    );
}

#[test]
fn bad_timestamp_names_updated_at() {
    assert_names(
        "bad-timestamp.json",
        "detail.findings[0].UpdatedAt",
        "\"yesterday\" is not an ISO 8601 timestamp",
    );
}

#[test]
fn wrong_types_names_types() {
    assert_names(
        "wrong-types.json",
        "detail.findings[0].Types",
        "expected a list",
    );
}

#[test]
fn a_five_digit_account_id_names_aws_account_id() {
    assert_names(
        "bad-account-id.json",
        "detail.findings[0].AwsAccountId",
        "\"12345\" is not a 12-digit account id",
    );
}

#[test]
fn empty_resources_names_resources() {
    assert_names(
        "empty-resources.json",
        "detail.findings[0].Resources",
        "must name at least one resource",
    );
}

#[test]
fn a_287_kb_finding_is_rejected_naming_a_capped_field() {
    let e = rejected("huge-finding.json");
    assert!(
        [
            "detail.findings[0]",
            "detail.findings[0].Description",
            "detail.findings[0].Resources"
        ]
        .contains(&e.path.as_str()),
        "{e}"
    );
}

/// serde_json stops at 128 levels: the 10,000-deep fixture is an error, read on a thread with a
/// quarter of a test thread's stack, so the depth cannot reach the stack.
#[test]
fn json_nested_10000_deep_is_rejected_within_a_small_stack() {
    let text = read("tests/fixtures/bad/deeply-nested.json");
    assert!(text.len() > 10_000, "the fixture is the deep one");
    let e = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || rejected_text(&text))
        .expect("thread")
        .join()
        .expect("no stack overflow, no panic");
    assert_eq!(e.path, "event");
    assert!(e.problem.contains("recursion limit exceeded"), "{e}");
}

fn rejected_text(text: &str) -> FindingError {
    first_error(text).expect("rejected")
}

/// Every fixture in the folder is covered above: a new one needs its own named test.
#[test]
fn every_bad_fixture_has_a_named_test() {
    let dir = format!("{}/../../tests/fixtures/bad", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bad-account-id.json",
            "bad-timestamp.json",
            "deeply-nested.json",
            "empty-findings.json",
            "empty-id.json",
            "empty-resources.json",
            "huge-finding.json",
            "missing-findings.json",
            "missing-id.json",
            "not-json.json",
            "unknown-severity.json",
            "wrong-detail-type.json",
            "wrong-types.json",
        ]
    );
}

// --- oversized fields that ASFF caps but a hostile sender need not ----------------------------

fn sample_finding() -> Value {
    let event: Value =
        serde_json::from_str(&read("examples/events/cspm-s3-1-failed.json")).expect("json");
    event["detail"]["findings"][0].clone()
}

/// The alert's HTML for `raw`, if the finding is accepted.
fn html_of(raw: &Value) -> Option<String> {
    let f = Finding::from_asff(raw, "detail.findings[0]").ok()?;
    let s = score(&f);
    let summary = fallback(&f, &s, "offline");
    let record = SeenRecord::first_sighting(&f, f.updated_at);
    let decision = StepDecision::new(
        "e",
        &f,
        DecisionKind::New,
        "first time seen".into(),
        Some(record.clone()),
    );
    let to = vec!["secops@example.com".to_owned()];
    let email = render(&AlertFacts {
        finding: &f,
        decision: &decision,
        record: &record,
        score: &s,
        summary: &summary,
        account_alias: None,
        from: "hushhub@example.com",
        to: &to,
    });
    assert!(!email.subject.contains(['\r', '\n']));
    Some(email.html)
}

/// Puts a large value into one field of a finding.
type SetField = fn(&mut Value, &str);

/// A 200 KB value (an event under EventBridge's 256 KB) in any field the email shows is either
/// rejected or cut: the HTML stays under 100 KB.
#[test]
fn a_200_kb_value_in_any_shown_field_keeps_the_email_under_100_kb() {
    let big = "A".repeat(200 * 1024);
    let cases: [(&str, SetField); 9] = [
        ("Title", |f, big| f["Title"] = json!(big)),
        ("Region", |f, big| f["Region"] = json!(big)),
        ("ProductName", |f, big| f["ProductName"] = json!(big)),
        ("GeneratorId", |f, big| f["GeneratorId"] = json!(big)),
        ("Compliance.SecurityControlId", |f, big| {
            f["Compliance"]["SecurityControlId"] = json!(big)
        }),
        (
            "Remediation.Recommendation.Url",
            |f, big| {
                f["Remediation"] =
                    json!({"Recommendation": {"Url": format!("https://x.example/{big}")}})
            },
        ),
        ("Remediation.Recommendation.Text", |f, big| {
            f["Remediation"] = json!({"Recommendation": {"Text": big}})
        }),
        ("Network.Direction", |f, big| {
            f["Network"] = json!({"Direction": big, "SourceIpV4": big})
        }),
        ("Resources[0].Id", |f, big| {
            f["Resources"][0]["Id"] = json!(big)
        }),
    ];
    let mut too_big = Vec::new();
    for (field, set) in cases {
        let mut raw = sample_finding();
        set(&mut raw, &big);
        if let Some(html) = html_of(&raw).filter(|html| html.len() >= 100 * 1024) {
            too_big.push(format!("{field}: {} bytes of HTML", html.len()));
        }
    }
    assert!(too_big.is_empty(), "{too_big:#?}");
}
