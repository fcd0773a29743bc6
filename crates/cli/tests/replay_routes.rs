//! `hushhub replay --routes`: a user tries routes locally before adding them to the Terraform
//! variable `routes`, and sees which routes each alert went to, one email per route.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the replay of sample `event` with `args`; its output, and the outbox folder.
fn replay(name: &str, event: &str, args: &[&str]) -> (Output, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test dir");
    let event =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/events/{event}.json"));
    let output = Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .args(["replay", "--fresh", "--state"])
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .args(args)
        .arg(event)
        .env_remove("HUSHHUB_ROUTES")
        .env_remove("HUSHHUB_OWNER_TAG_KEY")
        .output()
        .expect("hushhub runs");
    (output, dir.join("outbox"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The `To:` header of every `.eml` in `outbox`, in the order they were written.
fn recipients(outbox: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .expect("outbox")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let eml = std::fs::read_to_string(f).expect("eml");
            eml.lines()
                .find_map(|l| l.strip_prefix("To: ").map(str::to_owned))
                .expect("To header")
        })
        .collect()
}

const ROUTES: &str = r#"[
    {"name":"platform","owners":["platform-team"],"recipients":["platform@example.com"]},
    {"name":"p0-oncall","severities":["CRITICAL"],"priorities":["P0"],"recipients":["oncall@example.com","lead@example.com"]},
    {"name":"payments","accounts":["444455556666"],"recipients":["payments@example.com"]}
]"#;

#[test]
fn replay_shows_the_routes_an_alert_went_to() {
    let (output, outbox) = replay(
        "replay-routes-match",
        "inspector-ec2-package-cve-critical",
        &["--routes", ROUTES, "--owner-tag-key", "owner"],
    );
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains(" new "))
        .unwrap_or_else(|| panic!("a line for the finding: {out}"));
    assert!(
        line.ends_with("— first time seen  → routes: platform, p0-oncall"),
        "{line}"
    );
    assert!(out.contains("2 emails"), "{out}");
    assert_eq!(
        recipients(&outbox),
        [
            "platform@example.com",
            "oncall@example.com, lead@example.com"
        ]
    );
}

#[test]
fn replay_sends_what_no_route_matches_to_the_recipients() {
    let (output, outbox) = replay(
        "replay-routes-default",
        "cspm-s3-1-failed",
        &[
            "--routes",
            ROUTES,
            "--recipients",
            "secops@example.com",
            "--format",
            "json",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(line["decision"], "new");
    assert_eq!(line["routes"], serde_json::json!(["default"]));
    assert_eq!(recipients(&outbox), ["secops@example.com"]);
}

#[test]
fn replay_without_routes_reads_as_before() {
    let (output, _) = replay(
        "replay-routes-none",
        "cspm-s3-1-failed",
        &["--format", "json"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    assert!(!stdout.contains("routes"), "{stdout}");
}

#[test]
fn replay_names_an_invalid_route() {
    let (output, _) = replay(
        "replay-routes-invalid",
        "cspm-s3-1-failed",
        &[
            "--routes",
            r#"[{"name":"a","priorities":["P0"],"recipients":["x"]}]"#,
        ],
    );
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(err.contains("--routes"), "{err}");
    assert!(err.contains("[0]: \"x\" is not an email address"), "{err}");
}
