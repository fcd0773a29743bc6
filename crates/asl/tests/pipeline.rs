//! The deployed definition, `statemachine/pipeline.asl.json`, run against fake handlers.

use hushhub_asl::{Definition, Execution, ExecutionOptions, TaskFailure};
use serde_json::{Value, json};

const CHECK_SEEN: &str = "${check_seen_function_arn}";
const AGE_CHECK: &str = "${age_check_function_arn}";
const SCORE: &str = "${score_and_summarise_function_arn}";
const RENDER: &str = "${render_html_email_function_arn}";

fn pipeline() -> Definition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/pipeline.asl.json"
    );
    let text = std::fs::read_to_string(path).expect("pipeline definition is readable");
    Definition::from_json(&text).expect("pipeline definition loads")
}

/// An EventBridge "Security Hub Findings - Imported" event. Each finding's `fake` field tells
/// the fake handlers which path to take.
fn event(fakes: &[&str]) -> Value {
    let findings: Vec<Value> = fakes
        .iter()
        .enumerate()
        .map(|(i, fake)| json!({"Id": format!("finding-{i}"), "fake": fake}))
        .collect();
    json!({"id": "evt-1", "detail-type": "Security Hub Findings - Imported", "detail": {"findings": findings}})
}

/// The outcome of a decision on the input's finding: raw (`Id`) before CheckSeen, compact
/// (`id`) after it.
fn outcome(decision: &str, input: &Value) -> Value {
    let finding = &input["finding"];
    let id = if finding["id"].is_null() {
        &finding["Id"]
    } else {
        &finding["id"]
    };
    json!({"decision": decision, "finding_id": id})
}

/// Stands in for the four Lambdas, answering from the finding's `fake` field.
fn handlers(resource: &str, input: &Value) -> Result<Value, TaskFailure> {
    let fake = input["finding"]["fake"].as_str().unwrap_or_default();
    // CheckSeen gets the Map item as it is (no action: check_seen is the default).
    match (resource, input["action"].as_str()) {
        (CHECK_SEEN, None) => {
            let decision = match fake {
                "invalid" => {
                    return Err(TaskFailure::new(
                        "Hushhub.InvalidFinding",
                        "finding has no Resources",
                    ));
                }
                "resolved" => json!({"kind": "resolved", "outcome": outcome("resolved", input)}),
                // `silenced` and `escalate_now` are always present (null and false when
                // they do not apply): AgeCheck's Parameters select them, and a missing path
                // fails the state.
                "recent" | "old" => json!({"kind": "seen", "silenced": null, "escalate_now": false,
                                           "record": {"fingerprint": "fp", "fake": fake}}),
                _ => json!({"kind": "new", "claim": {"fingerprint": "fp", "token": "t1"}}),
            };
            // The compact finding CheckSeen passes on, as the real one does.
            let compact = json!({"id": input["finding"]["Id"], "title": "Fake finding", "severity": "HIGH", "fake": fake});
            Ok(
                json!({"event_id": input["event_id"], "index": input["index"], "claim_token": "t0", "finding": compact, "decision": decision}),
            )
        }
        (CHECK_SEEN, Some("release_claim")) => Ok(json!({"released": input["claim"]})),
        (AGE_CHECK, _) => Ok(match input["record"]["fake"].as_str() {
            Some("old") => json!({"kind": "realert", "claim": {"token": "t2"}}),
            _ => json!({"kind": "suppressed", "outcome": outcome("suppressed", input)}),
        }),
        (SCORE, _) => Ok(json!({"score": 80, "summary": "S3 bucket is public"})),
        (RENDER, _) => match fake {
            "unsendable" => Err(TaskFailure::new(
                "Hushhub.SendRejected",
                "SES rejected the recipient",
            )),
            _ => Ok(json!({"outcome": outcome("sent", input)})),
        },
        _ => Err(TaskFailure::new("Test.UnknownResource", resource)),
    }
}

/// Runs `fakes` through the pipeline, recording every invocation as (resource, payload).
fn run(fakes: &[&str]) -> (Execution, Vec<(String, Value)>) {
    let mut calls = Vec::new();
    let options = ExecutionOptions {
        trace: true,
        ..ExecutionOptions::default()
    };
    let execution = pipeline().execute_with(
        event(fakes),
        &mut |resource: &str, input: &Value| {
            let result = handlers(resource, input);
            calls.push((resource.to_owned(), input.clone()));
            result
        },
        &options,
    );
    (execution, calls)
}

fn path(execution: &Execution) -> Vec<String> {
    execution.trace.iter().map(ToString::to_string).collect()
}

#[test]
fn the_pipeline_loads_and_names_its_four_lambdas() {
    let mut expected = vec![AGE_CHECK, CHECK_SEEN, RENDER, SCORE];
    expected.sort_unstable();
    assert_eq!(pipeline().resources(), expected);
}

#[test]
fn new_finding_is_scored_summarised_and_sent() {
    let (execution, calls) = run(&["new"]);
    assert_eq!(
        execution.output(),
        Some(&json!([{"decision": "sent", "finding_id": "finding-0"}]))
    );
    assert_eq!(
        path(&execution),
        [
            "Findings",
            "[0] CheckSeen",
            "[0] RouteBySeen",
            "[0] ScoreAndSummarise",
            "[0] RenderAndSendEmail",
            "[0] Sent"
        ]
    );
    assert_eq!(execution.stats.state_transitions, 6);
    let check_seen = &calls[0].1;
    assert_eq!(
        check_seen,
        &json!({"event_id": "evt-1",
                "execution_id": ExecutionOptions::default().execution_id,
                "index": 0,
                "detail_type": "Security Hub Findings - Imported",
                "finding": {"Id": "finding-0", "fake": "new"}})
    );
    let render = &calls[2].1;
    assert_eq!(
        render["assessment"],
        json!({"score": 80, "summary": "S3 bucket is public"})
    );
    assert_eq!(render["decision"]["kind"], json!("new"));
}

#[test]
fn seen_finding_inside_its_window_is_suppressed() {
    let (execution, calls) = run(&["recent"]);
    assert_eq!(
        execution.output(),
        Some(&json!([{"decision": "suppressed", "finding_id": "finding-0"}]))
    );
    assert_eq!(
        path(&execution),
        [
            "Findings",
            "[0] CheckSeen",
            "[0] RouteBySeen",
            "[0] AgeCheck",
            "[0] RouteByAge",
            "[0] Suppressed"
        ]
    );
    assert_eq!(
        calls[1].1["record"],
        json!({"fingerprint": "fp", "fake": "recent"})
    );
}

#[test]
fn seen_finding_past_its_window_realerts() {
    let (execution, _) = run(&["old"]);
    assert_eq!(
        execution.output(),
        Some(&json!([{"decision": "sent", "finding_id": "finding-0"}]))
    );
    assert!(path(&execution).contains(&"[0] AgeCheck".to_owned()));
    assert!(path(&execution).contains(&"[0] RenderAndSendEmail".to_owned()));
}

#[test]
fn resolved_finding_is_done_without_an_alert() {
    let (execution, calls) = run(&["resolved"]);
    assert_eq!(
        execution.output(),
        Some(&json!([{"decision": "resolved", "finding_id": "finding-0"}]))
    );
    assert_eq!(calls.len(), 1);
}

#[test]
fn invalid_finding_is_rejected_by_the_pass_state() {
    let (execution, _) = run(&["invalid"]);
    assert_eq!(
        execution.output(),
        Some(
            &json!([{"event_id": "evt-1", "index": 0, "decision": "rejected", "error": "finding has no Resources"}])
        )
    );
    assert_eq!(
        path(&execution),
        ["Findings", "[0] CheckSeen", "[0] Rejected"]
    );
    assert_eq!(execution.stats.retries, 0);
}

#[test]
fn unsendable_alert_releases_its_claim_and_fails_with_send_failed() {
    let (execution, calls) = run(&["unsendable"]);
    let failure = execution.failure().expect("the execution fails");
    assert_eq!(
        (
            failure.error.as_str(),
            failure.state.as_str(),
            failure.map_items.as_slice()
        ),
        ("Hushhub.SendFailed", "SendFailed", &[0][..])
    );
    let (resource, release) = calls.last().expect("ReleaseClaim was invoked");
    assert_eq!(resource, CHECK_SEEN);
    assert_eq!(
        release,
        &json!({"action": "release_claim", "claim": {"fingerprint": "fp", "token": "t1"}})
    );
    assert_eq!(
        path(&execution)[4..],
        [
            "[0] RenderAndSendEmail",
            "[0] ReleaseClaim",
            "[0] SendFailed"
        ]
    );
}

#[test]
fn transient_failures_are_retried_with_virtual_backoff() {
    let mut failures_left = 2;
    let options = ExecutionOptions {
        trace: true,
        ..ExecutionOptions::default()
    };
    let execution = pipeline().execute_with(
        event(&["new"]),
        &mut |resource: &str, input: &Value| {
            if resource == CHECK_SEEN && failures_left > 0 {
                failures_left -= 1;
                return Err(TaskFailure::new("Hushhub.Transient", "DynamoDB throttled"));
            }
            handlers(resource, input)
        },
        &options,
    );
    assert_eq!(
        execution.output(),
        Some(&json!([{"decision": "sent", "finding_id": "finding-0"}]))
    );
    assert_eq!(
        (execution.stats.retries, execution.stats.task_invocations),
        (2, 5)
    );
    // FULL jitter: each wait is somewhere below 1 s and 2 s.
    assert!((0.0..3.0).contains(&execution.stats.waited_seconds));
    assert_eq!(
        path(&execution)[1..4],
        [
            "[0] CheckSeen",
            "[0] CheckSeen (retry 1)",
            "[0] CheckSeen (retry 2)"
        ]
    );
    assert_eq!(execution.stats.state_transitions, 6 + 2);
}

#[test]
fn a_batch_runs_every_finding_in_order() {
    let (execution, _) = run(&["new", "recent", "invalid", "resolved"]);
    let decisions: Vec<Value> = execution
        .output()
        .and_then(Value::as_array)
        .map(|outputs| outputs.iter().map(|o| o["decision"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(decisions, ["sent", "suppressed", "rejected", "resolved"]);
    assert_eq!(execution.stats.state_transitions, 1 + 5 + 5 + 2 + 3);
}
