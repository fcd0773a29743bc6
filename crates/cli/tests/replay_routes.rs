//! `hushhub replay --routes`: a user tries routes locally before adding them to the Terraform
//! variable `routes`, and sees which routes each alert went to, one email per route.

mod common;

use common::{Replayed, example};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Runs the replay of sample `event` with `args`.
fn replay(name: &str, event: &str, args: &[&str]) -> Replayed {
    let mut all: Vec<OsString> = args.iter().map(OsString::from).collect();
    all.push(example(event).into());
    common::replay(name, &all)
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
    let r = replay(
        "replay-routes-match",
        "inspector-ec2-package-cve-critical",
        &["--routes", ROUTES, "--owner-tag-key", "owner"],
    );
    let out = r.ok();
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
        recipients(&r.outbox()),
        [
            "platform@example.com",
            "oncall@example.com, lead@example.com"
        ]
    );
}

#[test]
fn replay_sends_what_no_route_matches_to_the_recipients() {
    let r = replay(
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
    r.ok();
    let stdout = String::from_utf8_lossy(&r.output.stdout);
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(line["decision"], "new");
    assert_eq!(line["routes"], serde_json::json!(["default"]));
    assert_eq!(recipients(&r.outbox()), ["secops@example.com"]);
}

#[test]
fn replay_without_routes_reads_as_before() {
    let r = replay(
        "replay-routes-none",
        "cspm-s3-1-failed",
        &["--format", "json"],
    );
    r.ok();
    let stdout = String::from_utf8_lossy(&r.output.stdout);
    assert!(!stdout.contains("routes"), "{stdout}");
}

#[test]
fn replay_names_an_invalid_route() {
    let r = replay(
        "replay-routes-invalid",
        "cspm-s3-1-failed",
        &[
            "--routes",
            r#"[{"name":"a","priorities":["P0"],"recipients":["x"]}]"#,
        ],
    );
    let err = String::from_utf8_lossy(&r.output.stderr);
    assert!(!r.output.status.success(), "{}", r.text());
    assert!(err.contains("--routes"), "{err}");
    assert!(err.contains("[0]: \"x\" is not an email address"), "{err}");
}
