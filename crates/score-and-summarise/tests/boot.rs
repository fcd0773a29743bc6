//! The score-and-summarise binary boots as Lambda starts it and answers through the Runtime API.

#[path = "../../../tests/runtime_api/mod.rs"]
mod runtime_api;

use hushhub_core::error_names;
use hushhub_core::finding::Finding;
use hushhub_core::ports::{Clock, SystemClock};
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{DecisionKind, StepDecision};
use runtime_api::{Function, asff_finding, lambda_env, unique, unreachable_endpoint};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_score-and-summarise");

#[test]
fn scores_a_new_finding_and_names_a_decision_that_does_not_alert() {
    // Bedrock off: the summary is the deterministic fallback, and no AWS is touched.
    let mut function = Function::start(BINARY, lambda_env("score-and-summarise", "unused"));
    let finding = Finding::from_asff(&asff_finding(&unique("boot/score"), "CRITICAL"), "finding")
        .expect("a valid finding");
    let record = SeenRecord::first_sighting(&finding, SystemClock.now());
    let new = StepDecision::new(
        "boot-event",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record.clone()),
    );

    let answer = function
        .invoke(json!({ "event_id": "boot-event", "finding": finding, "decision": new }))
        .response();
    assert!(answer["score"]["points"].as_u64().is_some(), "{answer}");
    assert!(answer["score"]["priority"].is_string(), "{answer}");
    assert_eq!(answer["summary"]["source"]["kind"], "fallback", "{answer}");
    assert!(
        !answer["summary"]["headline"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{answer}"
    );

    let suppressed = StepDecision::new(
        "boot-event",
        &finding,
        DecisionKind::Suppressed,
        "quiet".into(),
        Some(record),
    );
    let (error_type, message) = function
        .invoke(json!({ "event_id": "boot-event", "finding": finding, "decision": suppressed }))
        .error();
    assert_eq!(error_type, error_names::INVALID_INPUT);
    assert!(message.contains("suppressed"), "{message}");
}

#[test]
fn falls_back_when_bedrock_cannot_be_reached() {
    // Bedrock on, but nothing answers: the alert still gets its summary, marked as the fallback.
    let mut env = lambda_env("score-and-summarise", "unused");
    env.insert("HUSHHUB_BEDROCK_ENABLED".into(), "true".into());
    env.insert("AWS_ENDPOINT_URL".into(), unreachable_endpoint());
    let mut function = Function::start(BINARY, env);
    let finding = Finding::from_asff(&asff_finding(&unique("boot/model"), "HIGH"), "finding")
        .expect("a valid finding");
    let record = SeenRecord::first_sighting(&finding, SystemClock.now());
    let new = StepDecision::new(
        "boot-event",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record),
    );
    let answer = function
        .invoke(json!({ "event_id": "boot-event", "finding": finding, "decision": new }))
        .response();
    assert_eq!(answer["summary"]["source"]["kind"], "fallback", "{answer}");
    let reason = answer["summary"]["source"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("Converse"), "{reason}\n{}", function.logs());
}
