//! `hushhub replay` shows escalate now and resolved notices as decision reasons, so a user tries
//! them locally before turning them on in Terraform.

use std::path::{Path, PathBuf};
use std::process::Command;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/events/{name}.json"))
}

fn replay(name: &str, options: &[&str], events: &[PathBuf]) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test dir");
    let output = Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .args(["replay", "--fresh", "--state"])
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .args(options)
        .args(events)
        .env_remove("HUSHHUB_RESOLVED_NOTICES")
        .env_remove("HUSHHUB_SILENCES")
        .output()
        .expect("hushhub runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

#[test]
fn replay_sends_a_resolved_notice_after_an_alert_when_asked() {
    let events = [example("cspm-s3-1-failed"), example("cspm-s3-1-passed")];
    let out = replay("replay-resolved-notices", &["--resolved-notices"], &events);
    let line = out
        .lines()
        .find(|l| l.contains(" resolved "))
        .unwrap_or_else(|| panic!("a resolved line: {out}"));
    assert!(line.ends_with("; resolved notice sent"), "{line}");
    assert!(out.contains("2 emails"), "the alert and its notice: {out}");

    let out = replay("replay-resolved-notices-off", &[], &events);
    assert!(!out.contains("resolved notice"), "{out}");
    assert!(out.contains("1 email"), "{out}");
}

#[test]
fn replay_alerts_at_once_on_a_custom_action_event() {
    let out = replay(
        "replay-escalate-now",
        &[],
        &[
            example("guardduty-ec2-crypto-mining"),
            example("custom-action-alert-now"),
        ],
    );
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
