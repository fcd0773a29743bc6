//! Specifications of what the email's body shows of a hostile finding: text a reader sees in the
//! order it was written, with no invisible characters and no terminal escapes.

use chrono::{DateTime, Utc};
use hushhub_core::email::{AlertFacts, Email, render, visible_text};
use hushhub_core::finding::Finding;
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::fallback;
use serde_json::Value;

fn render_fixture(path: &str) -> (Finding, Email) {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(&full).expect(&full)).expect("json");
    let f = Finding::from_asff(&event["detail"]["findings"][0], "detail.findings[0]")
        .expect("valid finding");
    let s = score(&f);
    let summary = fallback(&f, &s, "offline");
    let at = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let record = SeenRecord::first_sighting(&f, at);
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
        account_alias: Some("prod\u{202E}dorp"),
        from: "hushhub@example.com",
        to: &to,
    });
    (f, email)
}

fn is_trick(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
}

#[test]
fn direction_overrides_and_invisible_characters_never_reach_the_body() {
    let (f, email) = render_fixture("tests/fixtures/asff/hostile-unicode.json");
    assert!(f.title.chars().any(is_trick), "the fixture has tricks");
    assert!(!email.html.chars().any(is_trick), "HTML part");
    assert!(!email.text.chars().any(is_trick), "text part");
    assert!(
        email.text.contains("(proddorp)"),
        "the alias is cleaned too"
    );
}

#[test]
fn control_characters_leave_the_body_but_its_line_breaks_stay() {
    let (f, email) = render_fixture("tests/fixtures/asff/hostile-crlf-title.json");
    assert!(f.description.contains('\u{1b}'), "the fixture has escapes");
    for part in [&email.html, &email.text] {
        assert!(
            !part
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{part}"
        );
    }
    assert!(
        email
            .text
            .contains("Line one\nLine two\nCarriage return only")
    );
}

#[test]
fn visible_text_keeps_plain_text_as_it_is() {
    let plain = "CVE-2023-44487 — golang.org/x/net\n\tfix: 0.17.0 (עברית, العربية)";
    assert!(matches!(visible_text(plain), std::borrow::Cow::Borrowed(_)));
    assert_eq!(
        visible_text("a\r\nb\rc\u{1b}[31md\u{202E}e\u{7}"),
        "a\nb\nc[31mde"
    );
}
