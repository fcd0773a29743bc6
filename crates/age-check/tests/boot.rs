//! The age-check binary boots as Lambda starts it and answers through the Runtime API.

#[path = "../../../tests/runtime_api/mod.rs"]
mod runtime_api;

use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::{DynamoSeenStore, create_table};
use hushhub_core::error_names;
use hushhub_core::finding::{Finding, Severity};
use hushhub_core::ports::{ClaimOutcome, Clock, SeenStore, SystemClock};
use hushhub_core::seen::SeenRecord;
use runtime_api::{Function, asff_finding, block_on, lambda_env, require_emulator, unique};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_age-check");

fn finding(id: &str, severity: &str) -> Finding {
    Finding::from_asff(&asff_finding(id, severity), "finding").expect("a valid finding")
}

fn age_check(finding: &Finding, record: &SeenRecord) -> Value {
    json!({
        "event_id": "boot-event",
        "claim_token": "arn:aws:states:local:000000000000:execution:hushhub:boot#0",
        "finding": finding,
        "record": record,
    })
}

#[test]
fn suppresses_a_quiet_duplicate_and_names_a_bad_input() {
    let mut env = lambda_env("age-check", "hushhub-boot-unused");
    // No window for HIGH: it re-alerts only on escalation, whatever the date.
    env.insert("HUSHHUB_RENOTIFY_AFTER".into(), "CRITICAL=1d".into());
    let mut function = Function::start(BINARY, env);

    let high = finding(&unique("boot/quiet"), "HIGH");
    // Seen just now, so its last_seen_at needs no refresh: decided without touching AWS.
    let record = SeenRecord::first_sighting(&high, SystemClock.now());
    let answer = function.invoke(age_check(&high, &record)).response();
    assert_eq!(answer["kind"], "suppressed", "{answer}");
    assert_eq!(answer["outcome"]["decision"], "suppressed", "{answer}");

    let (error_type, message) = function
        .invoke(json!({
            "event_id": "boot-event",
            "claim_token": "arn:aws:states:local:000000000000:execution:hushhub:boot#0",
            "finding": high,
        }))
        .error();
    assert_eq!(error_type, error_names::INVALID_INPUT);
    assert!(message.contains("record"), "{message}");
}

#[test]
fn claims_an_escalation_against_the_emulator() {
    require_emulator();
    let table = unique("boot-seen");
    let aws = block_on(AwsClients::from_env());
    block_on(create_table(&aws.dynamodb(), &table)).expect("create the table");
    let store = DynamoSeenStore::new(aws.dynamodb(), table.clone());
    let id = unique("boot/escalates");
    let record = SeenRecord::first_sighting(&finding(&id, "HIGH"), SystemClock.now());
    let claimed = block_on(store.claim_new(&record)).expect("seed the record");
    assert_eq!(claimed, ClaimOutcome::Won);
    let mut function = Function::start(BINARY, lambda_env("age-check", &table));

    let critical = finding(&id, "CRITICAL");
    let answer = function.invoke(age_check(&critical, &record)).response();
    assert_eq!(answer["kind"], "realert", "{answer}");
    assert!(answer["claim"].is_object(), "{answer}");
    let stored = block_on(store.get(&critical.id))
        .expect("read")
        .expect("still there");
    assert_eq!(stored.alert_count, 2);
    assert_eq!(stored.severity, Severity::Critical);
}
