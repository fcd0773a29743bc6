//! `hushhub invoke`: one handler on the local runner's ports, once (result on stdout, or the
//! Lambda-style error and exit 1) or as a JSON-lines server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty folder of this test's own under the target's temporary folder.
fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("invoke-{name}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean the previous run");
    }
    std::fs::create_dir_all(&dir).expect("create the work folder");
    dir
}

fn invoke(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .arg("invoke")
        .args(args)
        .arg("--state")
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hushhub runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("hushhub ends")
}

/// The CheckSeen input of the sample event's first finding, as the Map's ItemSelector makes it.
fn check_seen_input() -> Value {
    let text =
        std::fs::read_to_string(root().join("examples/events/guardduty-ec2-crypto-mining.json"))
            .expect("sample");
    let event: Value = serde_json::from_str(&text).expect("JSON");
    json!({
        "event_id": event["id"],
        "execution_id": "arn:aws:states:local:000000000000:execution:hushhub:invoke-test",
        "index": 0,
        "finding": event["detail"]["findings"][0],
    })
}

#[test]
fn check_seen_once_claims_a_new_finding_at_the_given_time() {
    let dir = work_dir("once");
    let output = invoke(
        &dir,
        &["check-seen", "--now", "2026-10-02T03:15:23Z"],
        &check_seen_input().to_string(),
    );
    assert!(output.status.success(), "{output:?}");
    let result: Value = serde_json::from_slice(&output.stdout).expect("JSON result");
    assert_eq!(result["decision"]["kind"], "new", "{result}");
    assert_eq!(
        result["decision"]["claim"]["claimed_at"], "2026-10-02T03:15:23Z",
        "{result}"
    );
}

#[test]
fn a_handler_error_prints_the_lambda_error_and_exits_1() {
    let dir = work_dir("error");
    let mut input = check_seen_input();
    input["finding"]["Severity"]["Label"] = json!("SUPER");
    let output = invoke(&dir, &["check-seen"], &input.to_string());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error: Value = serde_json::from_slice(&output.stdout).expect("JSON error");
    assert_eq!(error["errorType"], "Hushhub.InvalidFinding", "{error}");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("Severity.Label")),
        "{error}"
    );
}

#[test]
fn serve_answers_each_request_line_with_its_id() {
    let dir = work_dir("serve");
    let input = check_seen_input();
    // The same finding in another execution (its own claim token), a day later.
    let mut next_day = input.clone();
    next_day["execution_id"] =
        json!("arn:aws:states:local:000000000000:execution:hushhub:next-day");
    let requests = [
        json!({"id": 1, "function": "check-seen", "input": input, "now": "2026-10-02T03:15:23Z"}),
        json!({"id": 2, "function": "check-seen", "input": next_day, "now": "2026-10-03T03:15:23Z"}),
        json!({"id": 3, "function": "no-such-function", "input": {}}),
        json!({"id": 4, "function": "age-check", "input": {"event_id": "e"}}),
    ];
    let stdin: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let output = invoke(&dir, &["--serve"], &stdin);
    assert!(output.status.success(), "{output:?}");
    let responses: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(responses.len(), 4, "{responses:?}");
    assert_eq!(responses[0]["id"], 1);
    assert_eq!(responses[0]["output"]["decision"]["kind"], "new");
    // The same finding a day later: the state file remembers it.
    assert_eq!(responses[1]["id"], 2);
    assert_eq!(responses[1]["output"]["decision"]["kind"], "seen");
    assert_eq!(responses[2]["id"], 3);
    assert_eq!(responses[2]["error"], "Hushhub.InvalidRequest");
    // A handler's error: Step Functions' Error and the Lambda-style Cause.
    assert_eq!(responses[3]["id"], 4);
    let cause: Value =
        serde_json::from_str(responses[3]["cause"].as_str().expect("cause")).expect("JSON cause");
    assert_eq!(cause["errorType"], responses[3]["error"]);
}
