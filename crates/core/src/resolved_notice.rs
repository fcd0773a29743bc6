//! The resolved notice: one short email, threaded under a finding's alerts, saying Security Hub
//! now reports it resolved (off by default: `HUSHHUB_RESOLVED_NOTICES`).
//!
//! Only a finding hushhub alerted on gets one, so every notice answers an alert its readers
//! already have; it says what changed, how often hushhub alerted, and that a return alerts as
//! new. Like the alert, everything from the finding is data: escaped in HTML, one line in
//! headers.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, html};
use sha2::{Digest, Sha256};

use crate::email::{Email, head, message_id, one_line, subject_tagged, visible_text};
use crate::finding::{Finding, clip};
use crate::seen::{SeenRecord, resolution};

/// Everything a resolved notice shows.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedFacts<'a> {
    pub finding: &'a Finding,
    /// The record as it was before check-seen deleted it: how often and when hushhub alerted.
    pub record: &'a SeenRecord,
    pub account_alias: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a [String],
}

/// `Message-ID` of the notice that closes the alerts of the sighting first seen at
/// `first_seen_at`: a finding resolved, back, and resolved again gets a second notice.
pub fn notice_message_id(finding_id: &str, first_seen_at: DateTime<Utc>) -> String {
    let digest = Sha256::digest(finding_id.as_bytes());
    format!(
        "hushhub.{}.resolved.{}@hushhub.alerts",
        hex::encode(&digest[..12]),
        first_seen_at.timestamp_millis()
    )
}

/// What Security Hub now says of the finding, as a phrase: "resolved", "archived", ….
fn what_changed(finding: &Finding) -> &'static str {
    resolution(finding).unwrap_or("resolved")
}

/// `[Resolved · HIGH] <title> — <account> <region>`, on one line, capped.
pub fn notice_subject(finding: &Finding) -> String {
    subject_tagged(&format!("Resolved · {}", finding.severity), finding)
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "hushhub alerted on it 3 times: first 2026-10-01 02:12 UTC, last 2026-10-09 02:12 UTC."
fn alert_history(record: &SeenRecord) -> String {
    match record.alert_count {
        1 => format!(
            "hushhub alerted on it once, {}.",
            time(record.last_alerted_at)
        ),
        n => format!(
            "hushhub alerted on it {n} times: first seen {}, last alert {}.",
            time(record.first_seen_at),
            time(record.last_alerted_at)
        ),
    }
}

const RETURN_NOTE: &str = "Its record is deleted: if the finding becomes active again, hushhub alerts on it as a new finding.";

/// Renders the notice.
pub fn render_resolved_notice(facts: &ResolvedFacts<'_>) -> Email {
    let f = facts.finding;
    let subject = notice_subject(f);
    let title = visible_text(&f.title);
    let alias = facts.account_alias.map(visible_text);
    let status = format!("Security Hub now reports this finding {}.", what_changed(f));
    let history = alert_history(facts.record);
    let account = match &alias {
        Some(alias) => format!("{} ({alias})", f.account_id),
        None => f.account_id.to_string(),
    };
    let console = f.console_url();
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            (head(&subject))
            body style="margin:0;padding:16px;background:#f6f8fa;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2328;" {
                table role="presentation" cellpadding="0" cellspacing="0" width="100%" style="max-width:600px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:6px;" {
                    tr { td style="padding:20px;word-break:break-word;overflow-wrap:anywhere;" {
                        p style="margin:0 0 8px 0;font-size:12px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:#1a7f37;" { "Resolved · " (f.severity) }
                        h1 style="margin:0 0 12px 0;font-size:18px;line-height:1.3;color:#1f2328;" { (title) }
                        p style="margin:0 0 8px 0;font-size:14px;line-height:1.5;" { (status) }
                        p style="margin:0 0 8px 0;font-size:14px;line-height:1.5;" { (history) }
                        p style="margin:0 0 16px 0;font-size:14px;line-height:1.5;color:#57606a;" { (RETURN_NOTE) }
                        p style="margin:0 0 16px 0;font-size:13px;line-height:1.4;color:#57606a;" {
                            "Account " (account) " · " (f.region)
                        }
                        a href=(console) style="display:inline-block;padding:8px 14px;background:#24292f;color:#ffffff;text-decoration:none;border-radius:6px;font-size:14px;" { "Open in Security Hub" }
                        p style="margin:16px 0 0 0;font-size:12px;color:#57606a;font-family:SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all;" { "Finding id: " (f.id.as_str()) }
                    } }
                }
            }
        }
    };
    let text = format!(
        "RESOLVED · {severity}\n{title}\n\n{status}\n{history}\n{RETURN_NOTE}\n\nAccount {account} · {region}\nOpen in Security Hub: {console}\n\n-- \nFinding id: {id}\n",
        severity = f.severity,
        title = one_line(&title),
        account = one_line(&account),
        region = f.region,
        id = one_line(f.id.as_str()),
    );
    Email {
        from: facts.from.to_owned(),
        to: facts.to.to_vec(),
        subject,
        html: html.into_string(),
        text,
        message_id: notice_message_id(f.id.as_str(), facts.record.first_seen_at),
        thread_root: message_id(f.id.as_str(), 1),
        extra_headers: vec![
            (
                "X-Hushhub-Severity".to_owned(),
                f.severity.label().to_owned(),
            ),
            ("X-Hushhub-Decision".to_owned(), "resolved".to_owned()),
            (
                "X-Hushhub-Finding-Id".to_owned(),
                one_line(clip(f.id.as_str(), 500)),
            ),
        ],
    }
}
