//! Specifications of the pure domain: reading ASFF, the dedup decisions, the score, the summary
//! check and the email's escaping.

use chrono::{DateTime, Duration, Utc};
use hushhub_core::email::{AlertFacts, one_line, render, subject, to_mime};
use hushhub_core::finding::{Finding, ImportedEvent, Severity};
use hushhub_core::score::{Priority, Signal, score};
use hushhub_core::seen::{Due, RenotifyPolicy, SeenRecord, resolution};
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::{ReplyRejection, accept_reply, build_prompt, fallback};
use serde_json::{Value, json};

fn event(path: &str) -> Value {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).expect(&full)).expect("json")
}

fn finding(name: &str) -> Finding {
    let e = event(&format!("examples/events/{name}.json"));
    Finding::from_asff(&e["detail"]["findings"][0], "detail.findings[0]").expect("valid finding")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

#[test]
fn reads_every_sample_event_into_compact_findings() {
    let dir = format!("{}/../../examples/events", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).expect("samples") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("sample");
        let event =
            ImportedEvent::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (i, raw) in event.findings().iter().enumerate() {
            let f = Finding::from_asff(raw, &format!("detail.findings[{i}]"))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(f.account_id.as_str().len(), 12);
            assert!(!f.resources.is_empty());
        }
    }
}

#[test]
fn compact_finding_round_trips_through_json_between_states() {
    let f = finding("inspector-ec2-package-cve-critical");
    let back: Finding =
        serde_json::from_value(serde_json::to_value(&f).expect("serialize")).expect("deserialize");
    assert_eq!(back, f);
}

#[test]
fn unknown_severity_names_its_path() {
    let mut raw =
        event("examples/events/guardduty-ec2-crypto-mining.json")["detail"]["findings"][0].clone();
    raw["Severity"]["Label"] = json!("SUPER");
    let err = Finding::from_asff(&raw, "detail.findings[2]").expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "detail.findings[2].Severity.Label: unknown value \"SUPER\""
    );
}

#[test]
fn severity_label_falls_back_to_normalized() {
    let mut raw =
        event("examples/events/guardduty-ec2-crypto-mining.json")["detail"]["findings"][0].clone();
    raw["Severity"] = json!({"Normalized": 75});
    assert_eq!(
        Finding::from_asff(&raw, "f").expect("valid").severity,
        Severity::High
    );
}

#[test]
fn long_description_is_cut_and_marked() {
    let e = event("tests/fixtures/asff/huge-description.json");
    let f = Finding::from_asff(&e["detail"]["findings"][0], "detail.findings[0]").expect("valid");
    assert!(f.description_truncated);
    assert!(f.description.chars().count() <= hushhub_core::finding::limits::DESCRIPTION_CHARS);
}

#[test]
fn remediation_keeps_only_https_links() {
    let mut raw = event("examples/events/cspm-s3-1-failed.json")["detail"]["findings"][0].clone();
    raw["Remediation"]["Recommendation"]["Url"] = json!("javascript:alert(1)");
    let f = Finding::from_asff(&raw, "f").expect("valid");
    assert_eq!(f.remediation.and_then(|r| r.url), None);
}

fn record(f: &Finding, alerted: &str) -> SeenRecord {
    SeenRecord::first_sighting(f, at(alerted))
}

#[test]
fn realerts_critical_after_one_day_window() {
    let policy = RenotifyPolicy::default();
    let f = finding("inspector-ec2-package-cve-critical");
    let r = record(&f, "2026-10-01T00:00:00Z");
    assert!(matches!(
        policy.is_due(&r, &f, at("2026-10-01T23:59:59Z")),
        Due::NotYet { .. }
    ));
    assert!(matches!(
        policy.is_due(&r, &f, at("2026-10-02T00:00:00Z")),
        Due::WindowElapsed { .. }
    ));
}

#[test]
fn escalation_is_due_at_once_and_a_lower_severity_is_not() {
    let policy = RenotifyPolicy::default();
    let mut f = finding("cspm-s3-1-failed");
    let r = record(&f, "2026-10-01T00:00:00Z");
    f.severity = Severity::Critical;
    assert_eq!(
        policy.is_due(&r, &f, at("2026-10-01T00:00:01Z")),
        Due::Escalated {
            from: Severity::Medium,
            to: Severity::Critical
        }
    );
    f.severity = Severity::Low;
    assert!(matches!(
        policy.is_due(&r, &f, at("2026-10-02T00:00:00Z")),
        Due::NotYet { .. }
    ));
}

#[test]
fn a_severity_without_a_window_never_realerts_on_time() {
    let policy: RenotifyPolicy = "CRITICAL=1d".parse().expect("policy");
    let f = finding("guardduty-ec2-crypto-mining");
    let r = record(&f, "2026-10-01T00:00:00Z");
    assert_eq!(
        policy.is_due(&r, &f, at("2027-10-01T00:00:00Z")),
        Due::NotYet { next_due_at: None }
    );
}

#[test]
fn renotify_policy_parses_units_and_rejects_nonsense() {
    let p: RenotifyPolicy = "CRITICAL=12h, high=5d ,LOW=30m".parse().expect("policy");
    assert_eq!(p.window(Severity::Critical), Some(Duration::hours(12)));
    assert_eq!(p.window(Severity::High), Some(Duration::days(5)));
    assert_eq!(p.window(Severity::Low), Some(Duration::minutes(30)));
    assert_eq!(p.to_string(), "CRITICAL=12h,HIGH=5d,LOW=30m");
    for bad in [
        "CRITICAL",
        "SUPER=1d",
        "HIGH=soon",
        "HIGH=1d,HIGH=2d",
        "HIGH=-1d",
    ] {
        assert!(bad.parse::<RenotifyPolicy>().is_err(), "{bad}");
    }
}

#[test]
fn quiet_duplicate_refreshes_last_seen_at_most_daily() {
    let f = finding("guardduty-ec2-crypto-mining");
    let r = record(&f, "2026-10-01T00:00:00Z");
    assert!(!r.needs_last_seen_refresh(at("2026-10-01T23:00:00Z")));
    assert!(r.needs_last_seen_refresh(at("2026-10-02T00:00:00Z")));
    assert_eq!(
        r.expires_at,
        at("2026-12-30T00:00:00Z"),
        "90 days after last seen"
    );
}

#[test]
fn resolution_covers_archived_resolved_suppressed_and_passed() {
    assert_eq!(resolution(&finding("inspector-archived")), Some("archived"));
    assert_eq!(resolution(&finding("guardduty-resolved")), Some("resolved"));
    assert!(resolution(&finding("cspm-s3-1-passed")).is_some());
    assert_eq!(resolution(&finding("cspm-s3-1-failed")), None);
}

#[test]
fn critical_exploitable_fixable_public_production_cve_is_p0() {
    let s = score(&finding("inspector-ec2-package-cve-critical"));
    assert_eq!(s.priority, Priority::P0, "{s:?}");
    let signals: Vec<Signal> = s.breakdown.iter().map(|c| c.signal).collect();
    for expected in [
        Signal::Severity,
        Signal::ExploitAvailable,
        Signal::FixAvailable,
        Signal::InternetExposure,
        Signal::ProductionTag,
    ] {
        assert!(
            signals.contains(&expected),
            "{expected:?} missing from {signals:?}"
        );
    }
    assert_eq!(
        s.points as u32,
        s.breakdown
            .iter()
            .map(|c| c.points as u32)
            .sum::<u32>()
            .min(100)
    );
}

#[test]
fn low_finding_without_signals_is_backlog() {
    let mut f = finding("cspm-s3-1-failed");
    f.severity = Severity::Low;
    f.control_id = None;
    f.types.clear();
    f.resources.iter_mut().for_each(|r| r.tags.clear());
    let s = score(&f);
    assert_eq!((s.points, s.priority), (5, Priority::P3));
}

#[test]
fn score_is_deterministic() {
    let f = finding("macie-sensitive-data-s3");
    assert_eq!(score(&f), score(&f));
}

fn good_reply(f: &Finding) -> String {
    json!({
        "headline": "Public bucket in production",
        "what_happened": format!("Account {} has a finding in {}.", f.account_id, f.region),
        "why_it_matters": "Data may be exposed.",
        "next_steps": ["Review the bucket policy with its owner."]
    })
    .to_string()
}

#[test]
fn a_reply_that_keeps_to_the_facts_is_accepted() {
    let f = finding("cspm-s3-1-failed");
    let summary = accept_reply(&good_reply(&f), &f, "model").expect("accepted");
    assert!(summary.is_ai());
}

#[test]
fn a_reply_inventing_an_account_or_cve_is_rejected() {
    let f = finding("cspm-s3-1-failed");
    let reply = good_reply(&f).replace(f.account_id.as_str(), "999999999999");
    assert_eq!(
        accept_reply(&reply, &f, "m"),
        Err(ReplyRejection::InventedFact("999999999999".into()))
    );
    let reply = good_reply(&f).replace("Data may be exposed.", "See CVE-2099-0001.");
    assert!(matches!(
        accept_reply(&reply, &f, "m"),
        Err(ReplyRejection::InventedFact(_))
    ));
}

#[test]
fn a_reply_with_a_destructive_step_or_bad_json_is_rejected() {
    let f = finding("cspm-s3-1-failed");
    let reply = good_reply(&f).replace(
        "Review the bucket policy with its owner.",
        "Delete the bucket.",
    );
    assert!(matches!(
        accept_reply(&reply, &f, "m"),
        Err(ReplyRejection::Destructive(_))
    ));
    assert!(matches!(
        accept_reply("I think it is fine", &f, "m"),
        Err(ReplyRejection::InvalidJson(_))
    ));
    let long = good_reply(&f).replace("Public bucket in production", &"x".repeat(200));
    assert!(matches!(
        accept_reply(&long, &f, "m"),
        Err(ReplyRejection::Schema(_))
    ));
}

#[test]
fn prompt_keeps_finding_text_inside_the_data_block() {
    let e = event("tests/fixtures/asff/hostile-prompt-injection.json");
    let f = Finding::from_asff(&e["detail"]["findings"][0], "detail.findings[0]").expect("valid");
    let prompt = build_prompt(&f, &score(&f));
    let start = prompt.user.find("<finding_data>").expect("opening tag");
    let end = prompt.user.rfind("</finding_data>").expect("closing tag");
    assert_eq!(
        prompt.user.matches("</finding_data>").count(),
        1,
        "the finding cannot close the block"
    );
    assert!(prompt.user[start..end].contains("gnore previous instructions"));
    assert!(!prompt.system.contains("gnore previous instructions"));
}

fn render_fixture(path: &str) -> (Finding, hushhub_core::email::Email) {
    let e = event(path);
    let f = Finding::from_asff(&e["detail"]["findings"][0], "detail.findings[0]").expect("valid");
    let s = score(&f);
    let summary = fallback(&f, &s, "offline");
    let record = SeenRecord::first_sighting(&f, at("2026-10-01T00:00:00Z"));
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
    (f, email)
}

#[test]
fn hostile_html_is_escaped_in_the_email() {
    let (_, email) = render_fixture("tests/fixtures/asff/hostile-html-title.json");
    assert!(!email.html.contains("<script"), "script tag survived");
    assert!(!email.html.contains("<img"), "img tag survived");
    assert!(
        !email.html.contains("href=\"javascript"),
        "javascript link survived"
    );
    assert!(email.html.contains("&lt;script&gt;"));
}

#[test]
fn crlf_in_title_cannot_add_a_header() {
    let (f, email) = render_fixture("tests/fixtures/asff/hostile-crlf-title.json");
    assert!(
        f.title.contains('\n') || f.title.contains('\r'),
        "the fixture has CR/LF"
    );
    assert!(!email.subject.contains(['\r', '\n']));
    let mime = to_mime(&email, at("2026-10-01T00:00:00Z"));
    let headers = mime.split("\r\n\r\n").next().expect("headers");
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
}

#[test]
fn bidi_and_zero_width_tricks_are_removed_from_the_subject() {
    let (_, email) = render_fixture("tests/fixtures/asff/hostile-unicode.json");
    assert!(!email.subject.chars().any(
        |c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{200B}'..='\u{200F}' | '\u{2066}'..='\u{2069}')
    ));
}

#[test]
fn email_for_a_200_kb_description_stays_under_100_kb() {
    let (_, email) = render_fixture("tests/fixtures/asff/huge-description.json");
    assert!(email.html.len() < 100 * 1024, "{} bytes", email.html.len());
    assert!(email.html.contains("[cut"));
}

#[test]
fn subject_is_one_line_and_capped_on_a_character_boundary() {
    let mut f = finding("guardduty-ec2-crypto-mining");
    f.title = format!("é\r\n{}", "ü".repeat(400));
    let s = subject(Priority::P1, &f);
    assert!(s.starts_with("[P1 · HIGH] é "));
    assert!(s.chars().count() <= hushhub_core::email::SUBJECT_MAX_CHARS);
    assert!(s.ends_with('…'));
    assert_eq!(one_line("a\u{202E}b\r\n\tc"), "ab c");
}

#[test]
fn every_alert_of_a_finding_names_the_first_as_its_thread_root() {
    let (f, first) = render_fixture("examples/events/guardduty-ec2-crypto-mining.json");
    let mime = to_mime(&first, at("2026-10-01T00:00:00Z"));
    assert!(mime.contains(&format!("References: <{}>", first.message_id)));
    assert!(
        !mime.contains("In-Reply-To"),
        "the first alert replies to nothing"
    );
    assert_eq!(
        first.thread_root,
        hushhub_core::email::message_id(f.id.as_str(), 1)
    );
    let again = hushhub_core::email::message_id(f.id.as_str(), 2);
    assert_ne!(again, first.message_id, "each alert has its own Message-ID");
}
