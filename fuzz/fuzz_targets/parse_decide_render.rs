//! Any bytes → parse → the dedup decision (fixed clock, in-memory record) → score → fallback
//! summary → email and MIME: never panics, the subject is one line, the HTML stays small and
//! carries no markup from the finding.
#![no_main]

use chrono::{DateTime, Duration, Utc};
use hushhub_core::email::{AlertFacts, SUBJECT_MAX_CHARS, render, to_mime};
use hushhub_core::finding::{Finding, ImportedEvent};
use hushhub_core::score::score;
use hushhub_core::seen::{Due, RenotifyPolicy, SeenRecord, resolution};
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::fallback;
use libfuzzer_sys::fuzz_target;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(event) = ImportedEvent::parse(text) else {
        return;
    };
    let policy = RenotifyPolicy::default();
    for (i, raw) in event.findings().iter().enumerate() {
        let Ok(finding) = Finding::from_asff(raw, &format!("detail.findings[{i}]")) else {
            continue;
        };
        if resolution(&finding).is_some() {
            continue;
        }
        // First delivery: new. A second one a little later: due or not, by the pure rule.
        let first = SeenRecord::first_sighting(&finding, now());
        check_email(
            &finding,
            &first,
            DecisionKind::New,
            "first time seen".into(),
        );
        for later in [Duration::minutes(1), Duration::days(40)] {
            let at = now() + later;
            match policy.is_due(&first, &finding, at) {
                Due::NotYet { next_due_at } => {
                    assert!(
                        next_due_at.is_none_or(|due| due > at),
                        "quiet means not yet due"
                    );
                }
                Due::Escalated { .. } => panic!("the same severity cannot escalate"),
                Due::WindowElapsed { window } => {
                    assert!(at - first.last_alerted_at >= window);
                    let again = first.realerted(&finding, at);
                    assert_eq!(again.alert_count, 2);
                    check_email(
                        &finding,
                        &again,
                        DecisionKind::Realert,
                        "window elapsed".into(),
                    );
                }
            }
        }
    }
});

fn check_email(finding: &Finding, record: &SeenRecord, kind: DecisionKind, reason: String) {
    let s = score(finding);
    assert!(s.points <= 100);
    let summary = fallback(finding, &s, "fuzz");
    let decision = StepDecision::new("fuzz-event", finding, kind, reason, Some(record.clone()));
    let to = vec!["secops@example.com".to_owned()];
    let email = render(&AlertFacts {
        finding,
        decision: &decision,
        record,
        score: &s,
        summary: &summary,
        account_alias: Some("prod"),
        from: "hushhub@example.com",
        to: &to,
    });
    assert!(!email.subject.contains(['\r', '\n']), "{:?}", email.subject);
    assert!(email.subject.chars().count() <= SUBJECT_MAX_CHARS);
    assert!(
        email.html.len() < 100 * 1024,
        "{} bytes of HTML",
        email.html.len()
    );
    let lower = email.html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script tag in the HTML");
    assert!(
        !lower.contains("href=\"javascript"),
        "a javascript: link in the HTML"
    );
    let mime = to_mime(&email, record.last_alerted_at);
    let (headers, _) = mime
        .split_once("\r\n\r\n")
        .expect("headers end with an empty line");
    for line in headers.split("\r\n") {
        assert!(
            line.split_once(": ")
                .is_some_and(|(name, _)| !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
            "a header line that is not `Name: value`: {line:?}"
        );
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
}
