//! `hushhub replay --summariser bedrock` against a Converse stub (reached through the standard
//! `AWS_ENDPOINT_URL`): the model writes the summaries, and the state file caches them, so the
//! re-alert of an unchanged finding asks the model nothing while a changed one asks again.

#[path = "../../../tests/converse_stub/mod.rs"]
mod converse_stub;

use std::path::{Path, PathBuf};
use std::process::Command;

use converse_stub::{Answer, ConverseStub};
use serde_json::{Value, json};

/// A reply that passes the fact check for any finding: it names no id at all.
const HEADLINE: &str = "Critical curl flaw on a production instance";

fn reply() -> String {
    json!({
        "headline": HEADLINE,
        "what_happened": "Inspector reported a critical curl vulnerability on an instance.",
        "why_it_matters": "The instance runs in production.",
        "next_steps": ["Ask the instance owner to review the finding."],
    })
    .to_string()
}

/// The sample CVE event delivered again `days_later`, with another event id, optionally with
/// another description.
fn delivery(days_later: i64, description: Option<&str>) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/events/inspector-ec2-package-cve-critical.json");
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    event["id"] = json!(format!("replay-bedrock-{days_later}"));
    event["time"] = json!(format!("2026-10-{:02}T02:12:23Z", 1 + days_later));
    if let Some(description) = description {
        event["detail"]["findings"][0]["Description"] = json!(description);
    }
    event
}

struct Replay {
    dir: PathBuf,
}

impl Replay {
    fn new(name: &str) -> Replay {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        Replay { dir }
    }

    /// Replays `events` (as one JSON-lines file) with the model on `stub`; the output.
    fn run(&self, stub: &ConverseStub, events: &[Value]) -> String {
        let lines: Vec<String> = events.iter().map(Value::to_string).collect();
        let file = self.dir.join("events.jsonl");
        std::fs::write(&file, lines.join("\n")).expect("events file");
        let missing = self.dir.join("no-such-aws-file");
        let output = Command::new(env!("CARGO_BIN_EXE_hushhub"))
            .args(["replay", "--summariser", "bedrock", "--state"])
            .arg(self.dir.join("state.sqlite"))
            .arg("--outbox")
            .arg(self.dir.join("outbox"))
            .arg(&file)
            .env_remove("AWS_PROFILE")
            .env_remove("HUSHHUB_BEDROCK_MODEL_ID")
            .env("AWS_CONFIG_FILE", &missing)
            .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &stub.url)
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

    /// The plain-text parts of the emails written so far.
    fn emails(&self) -> Vec<String> {
        let mut texts: Vec<String> = std::fs::read_dir(self.dir.join("outbox"))
            .expect("outbox")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .map(|p| std::fs::read_to_string(p).expect("email"))
            .collect();
        texts.sort();
        texts
    }
}

#[test]
fn the_realert_of_an_unchanged_finding_reuses_the_cached_summary() {
    let stub = ConverseStub::start(Answer::Text(reply()));
    let replay = Replay::new("replay-bedrock-unchanged");

    let output = replay.run(&stub, &[delivery(0, None), delivery(2, None)]);

    assert!(output.contains(" new "), "{output}");
    assert!(output.contains(" realert "), "{output}");
    assert_eq!(stub.calls(), 1, "one model call for two alerts: {output}");
    let body = stub.received()[0].json();
    assert!(body["toolConfig"].is_object(), "structured output: {body}");
    let emails = replay.emails();
    assert_eq!(emails.len(), 2);
    assert!(
        emails.iter().all(|e| e.contains(HEADLINE)),
        "both alerts carry the model's summary: {emails:?}"
    );
}

#[test]
fn the_realert_of_a_changed_finding_asks_the_model_again() {
    let stub = ConverseStub::start(Answer::Text(reply()));
    let replay = Replay::new("replay-bedrock-changed");

    let output = replay.run(
        &stub,
        &[
            delivery(0, None),
            delivery(
                2,
                Some("A public exploit for this curl flaw is now available."),
            ),
        ],
    );

    assert!(output.contains(" realert "), "{output}");
    assert_eq!(stub.calls(), 2, "{output}");
}
