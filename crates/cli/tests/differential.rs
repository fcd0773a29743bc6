//! Differential check of the local runner: `statemachine/pipeline.asl.json` executed by the npm
//! package aws-local-stepfunctions (tools/differential/run.mjs, an independent implementation
//! of the States Language), its Task states answered by the same handlers through
//! `hushhub invoke --serve`, gives the same per-finding results, final outputs and emails as the
//! Rust runner (`hushhub replay`) over the month of sample events.
//!
//! It lives in the `hushhub` package rather than `tests/` because only here does cargo build
//! the `hushhub` binary for the test and name it (`CARGO_BIN_EXE_hushhub`).
//!
//! Needs `npm ci` in tools/differential (scripts/test.sh runs it), which brings a Node 22
//! binary: the package needs Node >= 22, and on Node 20 every Task fails while a Catch on
//! States.ALL hides it. So the test fails, never skips, when that Node is missing, and it
//! checks that every Task really ran.
//!
//! By hand, over any stream (`--limit N` for a prefix):
//!
//! ```sh
//! cargo build -p hushhub
//! tools/differential/node_modules/.bin/node tools/differential/run.mjs \
//!   --hushhub target/debug/hushhub examples/month.jsonl -- --state /tmp/d/state.sqlite \
//!   --outbox /tmp/d/outbox --ecr-images examples/ecr-images.jsonl
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hushhub_core::finding::ImportedEvent;
use hushhub_local::FindingResult;
use hushhub_local::replay::read_item;
use serde_json::Value;

const EVENTS: &str = "examples/month.jsonl";
const ECR_IMAGES: &str = "examples/ecr-images.jsonl";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty folder of this test's own under the target's temporary folder.
fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("differential-{name}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean the previous run");
    }
    std::fs::create_dir_all(&dir).expect("create the work folder");
    dir
}

/// The Node 22 that `npm ci` in tools/differential installs; the test fails without it.
fn node() -> PathBuf {
    let node = root().join("tools/differential/node_modules/.bin/node");
    assert!(
        node.exists(),
        "{} is missing: run `npm ci` in tools/differential (scripts/test.sh does)",
        node.display()
    );
    let version = Command::new(&node)
        .arg("--version")
        .output()
        .expect("node runs");
    let version = String::from_utf8_lossy(&version.stdout);
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 22,
        "aws-local-stepfunctions needs Node >= 22, {} is {version}",
        node.display()
    );
    node
}

/// `hushhub replay --fresh --format json` over `events`.
fn rust_runner(events: &Path, dir: &Path) -> Vec<FindingResult> {
    let output = Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .args([
            "replay",
            "--fresh",
            "--format",
            "json",
            "--ecr-images",
            ECR_IMAGES,
        ])
        .arg("--state")
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .arg(events)
        .current_dir(root())
        .output()
        .expect("hushhub replay runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What the Node runner printed: each event's execution output (or failure), and its stats.
struct NodeRun {
    events: Vec<Value>,
    stats: Value,
}

fn node_runner(events: &Path, dir: &Path) -> NodeRun {
    let output = Command::new(node())
        .arg("tools/differential/run.mjs")
        .arg("--hushhub")
        .arg(env!("CARGO_BIN_EXE_hushhub"))
        .arg(events)
        .args(["--", "--ecr-images", ECR_IMAGES])
        .arg("--state")
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .current_dir(root())
        .output()
        .expect("the Node runner runs");
    assert!(output.status.success(), "{output:?}");
    let mut lines: Vec<Value> = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let stats = lines.pop().and_then(|l| l.get("stats").cloned());
    NodeRun {
        events: lines,
        stats: stats.expect("the Node runner ends with its stats"),
    }
}

/// Each finding's result from the Node runner's outputs, read as the Rust runner reads its own
/// (`read_item`), with the finding ids taken from the events themselves.
fn node_results(events_file: &Path, run: &NodeRun) -> Vec<FindingResult> {
    let text = std::fs::read_to_string(events_file).expect("events");
    let events: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an event"))
        .collect();
    assert_eq!(events.len(), run.events.len(), "one line per event");
    let mut results = Vec::new();
    for (event, line) in events.iter().zip(&run.events) {
        let event_id = event["id"].as_str().unwrap_or_default();
        assert_eq!(line["event_id"].as_str(), Some(event_id), "{line}");
        let ids: Vec<Option<String>> = event["detail"]["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| f["Id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match line.get("output") {
            Some(Value::Array(items)) => {
                assert_eq!(items.len(), ids.len(), "one output per finding: {line}");
                results.extend(
                    items
                        .iter()
                        .zip(&ids)
                        .map(|(item, id)| read_item(event_id, id.clone(), item)),
                );
            }
            _ => results.extend(ids.iter().map(|id| FindingResult {
                event_id: event_id.to_owned(),
                finding_id: id.clone(),
                decision: "failed".to_owned(),
                reason: "the execution failed".to_owned(),
                severity: None,
                priority: None,
                email: None,
                error: Some(line["failed"].to_string()),
                routes: Vec::new(),
                title: None,
            })),
        }
    }
    results
}

/// The files of a folder, by name, with their bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
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
        .unwrap_or_default()
}

/// Both runners over `events`: the same results for every finding, every Task really run, and
/// the same emails, byte for byte. Returns the results.
fn assert_same(name: &str, events: &Path) -> Vec<FindingResult> {
    let rust_dir = work_dir(&format!("{name}-rust"));
    let node_dir = work_dir(&format!("{name}-node"));
    let rust = rust_runner(events, &rust_dir);
    let run = node_runner(events, &node_dir);
    let node = node_results(events, &run);

    // Every Task really ran: one CheckSeen per finding, one email per alert.
    let calls = |f: &str| run.stats["task_calls"][f].as_u64().unwrap_or(0);
    let emails = rust.iter().filter(|r| r.email.is_some()).count() as u64;
    assert_eq!(calls("check-seen"), rust.len() as u64, "{}", run.stats);
    assert_eq!(calls("render-html-email"), emails, "{}", run.stats);
    assert!(emails > 0);

    assert_eq!(rust.len(), node.len(), "as many findings");
    let differences: Vec<String> = rust
        .iter()
        .zip(&node)
        .filter(|(r, n)| r != n)
        .take(5)
        .map(|(r, n)| format!("rust: {r:?}\nnode: {n:?}"))
        .collect();
    assert!(
        differences.is_empty(),
        "the runners differ on {} of {} findings, first ones:\n{}",
        rust.iter().zip(&node).filter(|(r, n)| r != n).count(),
        rust.len(),
        differences.join("\n\n")
    );

    let rust_mail = files(&rust_dir.join("outbox"));
    let node_mail = files(&node_dir.join("outbox"));
    assert_eq!(rust_mail.len() as u64, emails * 3, ".eml, .html and .txt");
    assert_eq!(
        rust_mail.keys().collect::<Vec<_>>(),
        node_mail.keys().collect::<Vec<_>>(),
        "the same emails"
    );
    for (name, bytes) in &rust_mail {
        assert!(node_mail[name] == *bytes, "{name} differs");
    }
    rust
}

#[test]
fn aws_local_stepfunctions_gives_the_same_results_and_emails_over_the_month() {
    let results = assert_same("month", &root().join(EVENTS));
    // The month takes every path of the definition but Rejected and ReleaseClaim.
    for decision in ["new", "realert", "suppressed", "resolved", "ignored"] {
        assert!(
            results.iter().any(|r| r.decision == decision),
            "no {decision} in the month"
        );
    }
}

/// The sample events, the hostile findings and the malformed ones whose envelope is valid (the
/// EventBridge rule and the Rust runner's envelope check keep the others out of any execution):
/// this takes the Catch on Hushhub.InvalidFinding to the Rejected state, whose output carries
/// the Lambda error's Cause.
#[test]
fn aws_local_stepfunctions_gives_the_same_results_on_samples_hostile_and_malformed_findings() {
    let mut lines = Vec::new();
    for folder in [
        "examples/events",
        "tests/fixtures/asff",
        "tests/fixtures/bad",
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
            .expect("fixtures")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("readable");
            let Ok(event) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if ImportedEvent::from_value(event.clone()).is_ok() {
                lines.push(serde_json::to_string(&event).expect("JSON"));
            }
        }
    }
    let dir = work_dir("fixtures-events");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, lines.join("\n") + "\n").expect("write the events");
    let results = assert_same("fixtures", &events);
    assert!(
        results.iter().filter(|r| r.decision == "rejected").count() >= 8,
        "{results:?}"
    );
}
