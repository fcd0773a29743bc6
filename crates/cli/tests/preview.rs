//! `hushhub preview`: the email each finding of an event would get, with no state, the same
//! every time; a malformed event names its field and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty folder of this test's own under the target's temporary folder.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("preview-{name}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean the previous run");
    }
    dir
}

fn preview(out: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .arg("preview")
        .arg("--out")
        .arg(out)
        .args(args)
        // The flag's environment variable would change what is shown.
        .env_remove("HUSHHUB_ACCOUNT_ALIASES")
        .current_dir(root())
        .output()
        .expect("hushhub runs")
}

/// The files written, by name, with their bytes.
fn written(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("readable"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn writes_each_findings_email_the_same_every_time() {
    let event = "examples/events/three-findings-one-event.json";
    let first = out_dir("first");
    let again = out_dir("again");
    let output = preview(&first, &[event]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 3, "one line per email: {stdout}");
    assert!(stdout.lines().all(|l| l.contains(".html  [P")), "{stdout}");
    let files = written(&first);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    for ext in ["eml", "html", "txt"] {
        assert_eq!(
            names.iter().filter(|n| n.ends_with(ext)).count(),
            3,
            "{names:?}"
        );
    }
    assert!(preview(&again, &[event]).status.success());
    assert_eq!(
        written(&again),
        files,
        "the clock is each finding's UpdatedAt"
    );
}

#[test]
fn a_malformed_event_names_its_field_and_writes_nothing() {
    let out = out_dir("malformed");
    let output = preview(
        &out,
        &[
            "examples/events/guardduty-ec2-crypto-mining.json",
            "tests/fixtures/bad/unknown-severity.json",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown-severity.json: detail.findings[0].Severity.Label: unknown value"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written, not even the folder");
}

#[test]
fn a_resolved_finding_gets_no_email_and_says_so() {
    let out = out_dir("resolved");
    let output = preview(&out, &["examples/events/guardduty-resolved.json"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("no email: "), "{stdout}");
    assert!(written(&out).is_empty());
}

#[test]
fn account_aliases_are_shown_and_a_bad_one_names_the_flag() {
    let out = out_dir("aliases");
    let event = "examples/events/guardduty-ec2-crypto-mining.json";
    let output = preview(
        &out,
        &["--account-aliases", "111122223333=acme-prod", event],
    );
    assert!(output.status.success(), "{output:?}");
    let html = written(&out)
        .into_iter()
        .find(|(n, _)| n.ends_with(".html"))
        .map(|(_, bytes)| String::from_utf8(bytes).expect("utf-8"))
        .expect("an html part");
    assert!(html.contains("<strong>acme-prod</strong>"));

    let output = preview(&out_dir("bad-alias"), &["--account-aliases", "prod", event]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--account-aliases: "),
        "{output:?}"
    );
}
