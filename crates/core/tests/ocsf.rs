//! Malformed OCSF findings: every wrong field is an error naming its path, never a panic.

use hushhub_core::finding::{Finding, FindingFormat, Severity};
use serde_json::{Value, json};

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/ocsf/cspm-s3-1-failed.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let event: Value = serde_json::from_str(&text).expect("fixture is JSON");
    event["detail"]["findings"][0].clone()
}

fn read(finding: &Value) -> Result<Finding, String> {
    Finding::read(finding, FindingFormat::Ocsf, "detail.findings[0]").map_err(|e| e.to_string())
}

#[test]
fn documented_fixture_reads() {
    let f = read(&fixture()).expect("valid");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.control_id.as_deref(), Some("S3.1"));
    assert_eq!(f.generator_id, "security-control/S3.1");
    assert_eq!(f.account_id.as_str(), "111122223333");
}

#[test]
fn malformed_fields_name_their_path() {
    let cases: [(&str, Value, &str); 10] = [
        (
            "/severity_id",
            json!(7),
            "detail.findings[0].severity_id: unknown value 7",
        ),
        (
            "/severity_id",
            json!("High"),
            "detail.findings[0].severity_id: expected a number, got a string",
        ),
        (
            "/metadata/uid",
            json!(""),
            "detail.findings[0].metadata.uid: must not be empty",
        ),
        (
            "/cloud/account/uid",
            json!("1234"),
            "detail.findings[0].cloud.account.uid: \"1234\" is not a 12-digit account id",
        ),
        (
            "/resources",
            json!([]),
            "detail.findings[0].resources: must name at least one resource",
        ),
        (
            "/resources/0/uid",
            json!(17),
            "detail.findings[0].resources[0].uid: expected a string, got a number",
        ),
        (
            "/status_id",
            json!(42),
            "detail.findings[0].status_id: unknown value 42",
        ),
        (
            "/compliance/status_id",
            json!(-1),
            "detail.findings[0].compliance.status_id: unknown value -1",
        ),
        (
            "/finding_info/created_time_dt",
            json!("yesterday"),
            "detail.findings[0].finding_info.created_time_dt: \"yesterday\" is not an ISO 8601 timestamp",
        ),
        (
            "/finding_info/title",
            Value::Null,
            "detail.findings[0].finding_info.title: is missing",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut f = fixture();
        *f.pointer_mut(pointer).expect(pointer) = value;
        assert_eq!(read(&f).expect_err(pointer), expected);
    }
}

#[test]
fn unmapped_severity_id_falls_back_to_the_caption() {
    let mut f = fixture();
    f["severity_id"] = json!(99);
    f["severity"] = json!("High");
    assert_eq!(read(&f).expect("valid").severity, Severity::High);
    f["severity"] = json!("Bad");
    assert_eq!(
        read(&f).expect_err("unknown caption"),
        "detail.findings[0].severity: unknown value \"Bad\""
    );
    f["severity_id"] = json!(6);
    assert_eq!(read(&f).expect("fatal").severity, Severity::Critical);
}

#[test]
fn epoch_millisecond_times_are_read_when_the_dt_form_is_absent() {
    let mut f = fixture();
    let info = f["finding_info"].as_object_mut().expect("object");
    info.remove("created_time_dt");
    info.insert("created_time".into(), json!(1_758_528_900_000_i64));
    let read = read(&f).expect("valid");
    assert_eq!(read.created_at.to_rfc3339(), "2025-09-22T08:15:00+00:00");
}

#[test]
fn missing_created_time_is_named() {
    let mut f = fixture();
    f["finding_info"]
        .as_object_mut()
        .expect("object")
        .remove("created_time_dt");
    assert_eq!(
        read(&f).expect_err("no created time"),
        "detail.findings[0].finding_info: needs created_time_dt (or created_time)"
    );
}

#[test]
fn wrong_shapes_anywhere_never_panic() {
    let base = fixture();
    let keys: Vec<String> = base.as_object().expect("object").keys().cloned().collect();
    for key in keys {
        for value in [
            json!(null),
            json!(1),
            json!("x"),
            json!([]),
            json!({}),
            json!([{}]),
        ] {
            let mut f = base.clone();
            f[key.as_str()] = value;
            let _ = read(&f);
        }
    }
}
