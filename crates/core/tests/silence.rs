//! Which findings a silence matches, when it holds, and which configurations are refused.

use chrono::{DateTime, Utc};
use hushhub_core::finding::{Finding, ImportedEvent};
use hushhub_core::silence::Silences;

fn finding() -> Finding {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/events/inspector-ec2-package-cve-critical.json"
    );
    let event = ImportedEvent::parse(&std::fs::read_to_string(path).expect("fixture")).expect("ok");
    Finding::from_asff(&event.findings()[0], "detail.findings[0]").expect("valid")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

fn one(matcher: &str) -> Silences {
    Silences::parse(&format!(
        r#"[{{{matcher}, "until": "2026-11-01T00:00:00Z", "reason": "r"}}]"#
    ))
    .expect(matcher)
}

#[test]
fn each_matcher_matches_its_field() {
    let f = finding();
    let now = at("2026-10-15T00:00:00Z");
    for matcher in [
        r#""finding_type": "Software and Configuration Checks/Vulnerabilities""#,
        r#""finding_type": "Software and Configuration Checks/Vulnerabilities/CVE""#,
        r#""account_id": "111122223333""#,
        r#""resource_id": "arn:aws:ec2:*:111122223333:instance/*""#,
        r#""tag": "environment=production""#,
        r#""tag": "owner=platform-team", "account_id": "111122223333""#,
    ] {
        assert_eq!(
            one(matcher).reason(&f, now).as_deref(),
            Some("silenced: r"),
            "{matcher}"
        );
    }
    for matcher in [
        r#""control_id": "S3.1""#,
        r#""finding_type": "Software and Configuration Checks/Vuln""#,
        r#""account_id": "444455556666""#,
        r#""resource_id": "arn:aws:s3:::*""#,
        r#""tag": "environment=staging""#,
        r#""tag": "environment=production", "account_id": "444455556666""#,
    ] {
        assert_eq!(one(matcher).reason(&f, now), None, "{matcher}");
    }
}

#[test]
fn a_silence_ends_at_its_until() {
    let f = finding();
    let s = one(r#""account_id": "111122223333""#);
    assert!(s.find(&f, at("2026-10-31T23:59:59Z")).is_some());
    assert!(s.find(&f, at("2026-11-01T00:00:00Z")).is_none());
}

#[test]
fn invalid_silences_are_refused_naming_the_silence() {
    for (json, problem) in [
        (
            r#"[{"until": "2027-01-01T00:00:00Z", "reason": "r"}]"#,
            "[0]: needs at least one of",
        ),
        (
            r#"[{"control_id": "S3.1", "until": "2027-01-01T00:00:00Z", "reason": " "}]"#,
            "[0]: reason must not be empty",
        ),
        (
            r#"[{"control_id": "S3.1", "until": "2027-01-01T00:00:00Z", "reason": "r"},
                {"tag": "no-equals", "until": "2027-01-01T00:00:00Z", "reason": "r"}]"#,
            "[1]: tag",
        ),
        (
            r#"[{"account_id": "12", "until": "2027-01-01T00:00:00Z", "reason": "r"}]"#,
            "12-digit",
        ),
        (
            r#"[{"control": "S3.1", "until": "2027-01-01T00:00:00Z", "reason": "r"}]"#,
            "unknown field",
        ),
        (
            r#"[{"control_id": "S3.1", "until": "next week", "reason": "r"}]"#,
            "",
        ),
    ] {
        let err = Silences::parse(json).expect_err(json);
        assert!(err.contains(problem), "{json}: {err}");
    }
    assert_eq!(Silences::parse("").expect("empty"), Silences::default());
    assert_eq!(Silences::parse("[]").expect("none"), Silences::default());
}
