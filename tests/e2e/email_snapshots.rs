//! The alert email word for word: the HTML and plain-text parts of a few findings, as the real
//! definition on the local adapters writes them (the clock is each event's own time, so they are
//! stable). A change of the template shows up here as a diff to read before accepting it:
//!
//! ```sh
//! INSTA_UPDATE=always cargo nextest run -p hushhub-tests --test email_snapshots   # or: cargo insta review
//! ```
//!
//! The HTML is snapshotted with a line break between adjacent tags, only so that a diff shows
//! which element changed; maud escapes every `<` and `>` of the finding's text, so the break
//! lands only between real tags.

use std::collections::BTreeMap;

use hushhub_core::config::AlertPolicy;
use hushhub_core::finding::AccountId;
use hushhub_tests::{Harness, fixture, redelivered, sample, with_findings};
use serde_json::Value;

/// The HTML and text parts of every email the harness has written, in order.
fn emails(h: &Harness) -> Vec<(String, String)> {
    h.emails()
        .into_iter()
        .map(|eml| {
            let html = std::fs::read_to_string(eml.with_extension("html")).expect("html part");
            let text = std::fs::read_to_string(eml.with_extension("txt")).expect("text part");
            (html, text)
        })
        .collect()
}

fn tag_per_line(html: &str) -> String {
    html.replace("><", ">\n<")
}

/// Delivers `event` as the first sighting and snapshots its one email.
fn snapshot_new_alert(name: &str, h: &mut Harness, event: &Value) {
    let decisions = h.decisions(event);
    assert_eq!(decisions, ["new"], "{name}");
    let all = emails(h);
    assert_eq!(all.len(), 1, "{name}");
    let (html, text) = &all[0];
    insta::assert_snapshot!(format!("{name}.html"), tag_per_line(html));
    insta::assert_snapshot!(format!("{name}.txt"), text);
}

fn with_aliases() -> Harness {
    let aliases: BTreeMap<AccountId, String> = [
        ("111122223333", "acme-prod"),
        ("444455556666", "acme-payments"),
    ]
    .into_iter()
    .map(|(id, alias)| (AccountId::new(id).expect("account id"), alias.to_owned()))
    .collect();
    Harness::with_aliases(AlertPolicy::default(), None, aliases)
}

#[test]
fn guardduty_network_finding() {
    snapshot_new_alert(
        "guardduty_ec2_crypto_mining",
        &mut with_aliases(),
        &sample("guardduty-ec2-crypto-mining"),
    );
}

#[test]
fn inspector_ecr_image_vulnerability_with_a_fix() {
    snapshot_new_alert(
        "inspector_ecr_image_cve_high",
        &mut with_aliases(),
        &sample("inspector-ecr-image-cve-high"),
    );
}

#[test]
fn security_hub_control_failure_with_a_remediation_link() {
    snapshot_new_alert(
        "cspm_s3_1_failed",
        &mut Harness::new(),
        &sample("cspm-s3-1-failed"),
    );
}

#[test]
fn hostile_html_in_the_finding_reads_as_text() {
    snapshot_new_alert(
        "hostile_html_title",
        &mut Harness::new(),
        &fixture("tests/fixtures/asff/hostile-html-title.json"),
    );
}

#[test]
fn severity_escalation_realert_says_why_now() {
    let mut h = with_aliases();
    let event = sample("cspm-s3-1-failed"); // MEDIUM
    assert_eq!(h.decisions(&event), ["new"]);
    let escalated = with_findings(&redelivered(&event, "r1", "2026-10-03T09:16:23Z"), |f| {
        f["Severity"]["Label"] = Value::from("CRITICAL");
    });
    assert_eq!(h.decisions(&escalated), ["realert"]);
    let all = emails(&h);
    assert_eq!(all.len(), 2);
    let (html, text) = &all[1];
    insta::assert_snapshot!("cspm_s3_1_escalated_realert.html", tag_per_line(html));
    insta::assert_snapshot!("cspm_s3_1_escalated_realert.txt", text);
}
