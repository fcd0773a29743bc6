//! The render-html-email binary boots as Lambda starts it and answers through the Runtime API.

#[path = "../../../tests/runtime_api/mod.rs"]
mod runtime_api;

use hushhub_aws::clients::AwsClients;
use hushhub_core::error_names;
use hushhub_core::finding::Finding;
use hushhub_core::ports::{Clock, SystemClock};
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{Assessment, DecisionKind, StepDecision};
use hushhub_core::summary::fallback;
use runtime_api::{
    Function, asff_finding, block_on, emulator_get, lambda_env, require_emulator, unique,
};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_render-html-email");

/// What RenderAndSendEmail receives for a new finding; `with_record: false` breaks the contract.
fn render_input(finding_id: &str, with_record: bool) -> Value {
    let finding =
        Finding::from_asff(&asff_finding(finding_id, "HIGH"), "finding").expect("a valid finding");
    let record = with_record.then(|| SeenRecord::first_sighting(&finding, SystemClock.now()));
    let decision = StepDecision::new(
        "boot-event",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        record,
    );
    let score = score(&finding);
    let summary = fallback(&finding, &score, "Bedrock is not enabled");
    let assessment = Assessment { score, summary };
    json!({ "event_id": "boot-event", "finding": finding, "decision": decision, "assessment": assessment })
}

#[test]
fn names_an_input_without_a_record_invalid_input() {
    let mut function = Function::start(BINARY, lambda_env("render-html-email", "unused"));
    let (error_type, message) = function
        .invoke(render_input(&unique("boot/no-record"), false))
        .error();
    assert_eq!(
        error_type,
        error_names::INVALID_INPUT,
        "{}",
        function.logs()
    );
    assert!(message.contains("record"), "{message}");
}

#[test]
fn sends_the_alert_through_ses_and_survives_a_failed_note_against_the_emulator() {
    require_emulator();
    let sender = format!("{}@hushhub.example.com", unique("alerts"));
    let recipient = format!("{}@example.com", unique("secops"));
    let aws = block_on(AwsClients::from_env());
    block_on(
        aws.sesv2()
            .create_email_identity()
            .email_identity(&sender)
            .send(),
    )
    .expect("verify the sender");
    let mut env = lambda_env("render-html-email", "unused");
    env.insert("HUSHHUB_SENDER".into(), sender.clone());
    env.insert("HUSHHUB_RECIPIENTS".into(), recipient.clone());
    // The finding is not in Security Hub: the note fails, the alert must not.
    env.insert("HUSHHUB_SECURITYHUB_NOTES_ENABLED".into(), "true".into());
    let mut function = Function::start(BINARY, env);

    let answer = function
        .invoke(render_input(&unique("boot/send"), true))
        .response();
    let message_id = answer["message_id"].as_str().unwrap_or_default().to_owned();
    assert!(!message_id.is_empty(), "{answer}");
    assert_eq!(answer["outcome"]["email"], message_id.as_str(), "{answer}");
    assert_eq!(answer["outcome"]["decision"], "new", "{answer}");

    let outbox = emulator_get(&format!("/hushhub/ses/messages?to={recipient}"));
    let sent = outbox.as_array().cloned().unwrap_or_default();
    assert_eq!(sent.len(), 1, "{outbox}");
    assert_eq!(sent[0]["message_id"], message_id.as_str(), "{outbox}");
    assert_eq!(sent[0]["from"], sender.as_str(), "{outbox}");
    assert_eq!(sent[0]["subject"], answer["subject"], "{outbox}");
    assert!(
        function.logs().contains("Security Hub note not written"),
        "{}",
        function.logs()
    );
}
