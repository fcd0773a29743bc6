//! `hushhub smoke-test` against a stub of Step Functions and DynamoDB (both awsJson 1.0: `POST /`
//! with `X-Amz-Target`), for Express and Standard workflows: what the command sends, how it reads
//! the execution's outcome, what it prints and how it exits.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

const STATE_MACHINE: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:hushhub";
const EXECUTION: &str = "arn:aws:states:eu-west-1:111122223333:execution:hushhub:smoke";

/// One request the stub received.
#[derive(Debug, Clone)]
struct Call {
    target: String,
    host: String,
    body: Value,
}

/// How the stub's executions end.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// SUCCEEDED, the finding alerted as new and the email went out.
    Sent,
    /// FAILED with `Hushhub.SendFailed`.
    SendFailed,
}

struct Stub {
    endpoint: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Stub {
    fn start(workflow: &'static str, ending: Ending) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = recorded.clone();
                std::thread::spawn(move || serve(stream, &recorded, workflow, ending));
            }
        });
        Stub { endpoint, calls }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn call(&self, target: &str) -> Call {
        self.calls()
            .into_iter()
            .find(|c| c.target == target)
            .unwrap_or_else(|| panic!("no {target} in {:?}", self.calls()))
    }
}

fn serve(stream: TcpStream, calls: &Mutex<Vec<Call>>, workflow: &str, ending: Ending) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let call = Call {
            target: headers.get("x-amz-target").cloned().unwrap_or_default(),
            host: headers.get("host").cloned().unwrap_or_default(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        };
        let answer = {
            let mut calls = calls.lock().unwrap_or_else(|p| p.into_inner());
            calls.push(call.clone());
            let polls = calls
                .iter()
                .filter(|c| c.target.ends_with(".DescribeExecution"))
                .count();
            let input = calls
                .iter()
                .find(|c| c.target.contains("StartExecution") || c.target.contains("StartSync"))
                .map(|c| c.body["input"].clone());
            answer(&call, workflow, ending, polls, input)
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
             content-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The execution's output for the input it was given: the Map's array of outcome lines.
fn outcome(input: Option<Value>) -> String {
    let event: Value = input
        .and_then(|i| i.as_str().and_then(|s| serde_json::from_str(s).ok()))
        .unwrap_or(Value::Null);
    let finding_id = event["detail"]["findings"][0]["Id"].clone();
    json!([{
        "event_id": event["id"],
        "finding_id": finding_id,
        "decision": "new",
        "reason": "first time seen",
        "severity": "HIGH",
        "priority": "P1",
        "email": "0100019a-smoke-test-message"
    }])
    .to_string()
}

fn answer(
    call: &Call,
    workflow: &str,
    ending: Ending,
    polls: usize,
    input: Option<Value>,
) -> String {
    let now = 1_764_460_800.0;
    let finished = |status: &str| match ending {
        Ending::Sent => json!({
            "executionArn": EXECUTION, "stateMachineArn": STATE_MACHINE, "name": "smoke",
            "startDate": now, "stopDate": now + 2.5, "status": status, "output": outcome(input.clone())
        }),
        Ending::SendFailed => json!({
            "executionArn": EXECUTION, "stateMachineArn": STATE_MACHINE, "name": "smoke",
            "startDate": now, "stopDate": now + 2.5, "status": "FAILED",
            "error": "Hushhub.SendFailed",
            "cause": "The alert email could not be sent; the claim was released so the next delivery of this finding alerts again."
        }),
    };
    let body = match call.target.as_str() {
        "AWSStepFunctions.DescribeStateMachine" => json!({
            "stateMachineArn": STATE_MACHINE, "name": "hushhub", "status": "ACTIVE",
            "definition": "{}", "roleArn": "arn:aws:iam::111122223333:role/hushhub",
            "type": workflow, "creationDate": now
        }),
        "AWSStepFunctions.StartSyncExecution" => finished("SUCCEEDED"),
        "AWSStepFunctions.StartExecution" => json!({ "executionArn": EXECUTION, "startDate": now }),
        "AWSStepFunctions.DescribeExecution" if polls <= 1 => json!({
            "executionArn": EXECUTION, "stateMachineArn": STATE_MACHINE,
            "status": "RUNNING", "startDate": now
        }),
        "AWSStepFunctions.DescribeExecution" => finished("SUCCEEDED"),
        "DynamoDB_20120810.DeleteItem" => json!({ "Attributes": call.body["Key"] }),
        other => json!({ "__type": "UnknownOperationException", "message": other }),
    };
    body.to_string()
}

fn smoke_test(stub: &Stub, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hushhub"))
        .env_clear()
        .env("AWS_ENDPOINT_URL", &stub.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "smoke-test",
            "--state-machine-arn",
            STATE_MACHINE,
            "--table-name",
            "hushhub-seen",
        ])
        .args(args)
        .output()
        .expect("run hushhub")
}

fn text(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The event the command started the execution with, checked for the test markings.
fn started_event(call: &Call) -> Value {
    assert_eq!(call.body["stateMachineArn"], STATE_MACHINE);
    let event: Value =
        serde_json::from_str(call.body["input"].as_str().expect("input is a string"))
            .expect("input is JSON");
    assert_eq!(event["detail-type"], "Security Hub Findings - Imported");
    let findings = event["detail"]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    let id = finding["Id"].as_str().expect("Id");
    assert!(id.starts_with("hushhub-smoke-test/"), "{id}");
    let title = finding["Title"].as_str().expect("Title");
    assert!(title.starts_with("[hushhub smoke test]"), "{title}");
    assert_eq!(finding["Severity"]["Label"], "HIGH");
    assert_eq!(finding["AwsAccountId"], "111122223333");
    assert_eq!(finding["Region"], "eu-west-1");
    event
}

fn assert_record_deleted(stub: &Stub, event: &Value) {
    let delete = stub.call("DynamoDB_20120810.DeleteItem");
    assert_eq!(delete.body["TableName"], "hushhub-seen");
    assert_eq!(
        delete.body["Key"]["pk"]["S"],
        event["detail"]["findings"][0]["Id"]
    );
}

#[test]
fn express_runs_synchronously_and_reports_the_sent_email() {
    let stub = Stub::start("EXPRESS", Ending::Sent);
    let output = smoke_test(&stub, &["--workflow-type", "express"]);
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");

    let start = stub.call("AWSStepFunctions.StartSyncExecution");
    // Step Functions' `sync-` host prefix is not put in front of a custom endpoint.
    assert_eq!(
        format!("http://{}", start.host),
        stub.endpoint,
        "{:?}",
        stub.calls()
    );
    let event = started_event(&start);
    assert!(
        stub.calls()
            .iter()
            .all(|c| !c.target.ends_with("DescribeStateMachine")),
        "the type was given"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("path: CheckSeen -> ScoreAndSummarise -> RenderAndSendEmail -> Sent"),
        "{shown}"
    );
    assert!(
        stdout.contains("decision: new (first time seen)"),
        "{shown}"
    );
    assert!(stdout.contains("priority: P1"), "{shown}");
    assert!(
        stdout.contains("email: sent, message id 0100019a-smoke-test-message"),
        "{shown}"
    );
    assert!(
        stdout.contains("cleanup: deleted the test record"),
        "{shown}"
    );
    assert_record_deleted(&stub, &event);
}

#[test]
fn standard_is_detected_started_and_polled_until_it_ends() {
    let stub = Stub::start("STANDARD", Ending::Sent);
    let output = smoke_test(&stub, &[]);
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");

    let targets: Vec<String> = stub.calls().into_iter().map(|c| c.target).collect();
    assert_eq!(
        targets,
        [
            "AWSStepFunctions.DescribeStateMachine",
            "AWSStepFunctions.StartExecution",
            "AWSStepFunctions.DescribeExecution",
            "AWSStepFunctions.DescribeExecution",
            "DynamoDB_20120810.DeleteItem",
        ]
    );
    let event = started_event(&stub.call("AWSStepFunctions.StartExecution"));
    let name = stub.call("AWSStepFunctions.StartExecution").body["name"].clone();
    assert!(
        name.as_str()
            .is_some_and(|n| n.starts_with("hushhub-smoke-test-")),
        "{name}"
    );
    assert_eq!(
        stub.call("AWSStepFunctions.DescribeExecution").body["executionArn"],
        EXECUTION
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("execution: {EXECUTION} SUCCEEDED")),
        "{shown}"
    );
    assert!(
        stdout.contains("email: sent, message id 0100019a-smoke-test-message"),
        "{shown}"
    );
    assert_record_deleted(&stub, &event);
}

#[test]
fn a_failed_send_exits_non_zero_and_still_deletes_the_record() {
    let stub = Stub::start("EXPRESS", Ending::SendFailed);
    let output = smoke_test(&stub, &["--workflow-type", "express"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("email: NOT sent"), "{shown}");
    assert!(stdout.contains("Hushhub.SendFailed"), "{shown}");
    assert!(stdout.contains("ReleaseClaim -> SendFailed"), "{shown}");
    let event = started_event(&stub.call("AWSStepFunctions.StartSyncExecution"));
    assert_record_deleted(&stub, &event);
}
