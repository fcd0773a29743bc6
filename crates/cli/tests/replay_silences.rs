//! `hushhub replay --silences`: a user tries a silence locally before adding it to the Terraform
//! variable `silences`, and sees `suppressed` with the reason `silenced: <reason>`.

mod common;

use std::path::Path;
use std::process::Command;

use common::example;

fn replay(name: &str, silences: &str) -> String {
    let event = example("cspm-s3-1-failed");
    common::replay(
        name,
        &["--silences".as_ref(), silences.as_ref(), event.as_os_str()],
    )
    .ok()
}

#[test]
fn replay_shows_a_silenced_finding_as_suppressed_with_its_reason() {
    let out = replay(
        "replay-silences-active",
        r#"[{"control_id":"S3.1","until":"2026-12-31T00:00:00Z","reason":"accepted risk RISK-42"}]"#,
    );
    let line = out
        .lines()
        .find(|l| l.contains("S3 general purpose buckets"))
        .unwrap_or_else(|| panic!("a line for the finding: {out}"));
    assert!(line.contains(" suppressed "), "{line}");
    assert!(
        line.ends_with("— silenced: accepted risk RISK-42"),
        "{line}"
    );
    assert!(out.contains("0 emails"), "{out}");
}

#[test]
fn replay_ignores_an_expired_silence() {
    let out = replay(
        "replay-silences-expired",
        r#"[{"control_id":"S3.1","until":"2026-01-01T00:00:00Z","reason":"accepted risk"}]"#,
    );
    assert!(out.contains(" new "), "{out}");
    assert!(!out.contains("silenced"), "{out}");
}

#[test]
fn replay_names_an_invalid_silence() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-silences-invalid");
    let output = Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .args([
            "replay",
            "--silences",
            r#"[{"until":"2026-12-31T00:00:00Z","reason":"x"}]"#,
        ])
        .arg("--state")
        .arg(dir.join("state.sqlite"))
        .arg("-")
        .env_remove("HUSHHUB_SILENCES")
        .output()
        .expect("hushhub runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(err.contains("--silences"), "{err}");
    assert!(err.contains("[0]: needs at least one of"), "{err}");
}
