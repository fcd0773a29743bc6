//! `hushhub replay` shows escalate now and resolved notices as decision reasons, so a user tries
//! them locally before turning them on in Terraform.

mod common;

use common::{example, replay};

#[test]
fn replay_sends_a_resolved_notice_after_an_alert_when_asked() {
    let (failed, passed) = (example("cspm-s3-1-failed"), example("cspm-s3-1-passed"));
    let out = replay(
        "replay-resolved-notices",
        &[
            "--resolved-notices".as_ref(),
            failed.as_os_str(),
            passed.as_os_str(),
        ],
    )
    .ok();
    let line = out
        .lines()
        .find(|l| l.contains(" resolved "))
        .unwrap_or_else(|| panic!("a resolved line: {out}"));
    assert!(line.ends_with("; resolved notice sent"), "{line}");
    assert!(out.contains("2 emails"), "the alert and its notice: {out}");

    let out = replay("replay-resolved-notices-off", &[&failed, &passed]).ok();
    assert!(!out.contains("resolved notice"), "{out}");
    assert!(out.contains("1 email"), "{out}");
}

#[test]
fn replay_alerts_at_once_on_a_custom_action_event() {
    let out = replay(
        "replay-escalate-now",
        &[
            example("guardduty-ec2-crypto-mining"),
            example("custom-action-alert-now"),
        ],
    )
    .ok();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("EC2 instance")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains(" new "), "{}", lines[0]);
    assert!(lines[1].contains(" realert "), "{}", lines[1]);
    assert!(
        lines[1].ends_with("— escalated now on request; last alert 2026-10-02 03:15 UTC"),
        "{}",
        lines[1]
    );
}
