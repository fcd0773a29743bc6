//! The check-seen binary boots as Lambda starts it and answers through the Runtime API, with
//! the error type names the state machine's `ErrorEquals` branch on.

#[path = "../../../tests/runtime_api/mod.rs"]
mod runtime_api;

use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::{DynamoSeenStore, create_table};
use hushhub_core::error_names;
use hushhub_core::finding::FindingId;
use hushhub_core::ports::SeenStore;
use runtime_api::{Function, asff_finding, block_on, lambda_env, require_emulator, unique};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_check-seen");

/// One delivery of `finding`: each call is a new execution, so its claim token is new too.
fn check_seen(finding: serde_json::Value) -> serde_json::Value {
    static EXECUTIONS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    json!({
        "action": "check_seen",
        "event_id": "boot-event",
        "execution_id": format!("arn:aws:states:local:000000000000:execution:hushhub:boot-{n}"),
        "index": 0,
        "finding": finding,
    })
}

#[test]
fn answers_an_ignored_finding_and_names_a_malformed_one_invalid_finding() {
    let mut function = Function::start(BINARY, lambda_env("check-seen", "hushhub-boot-unused"));

    // INFORMATIONAL is not alerted on by default: decided without touching AWS.
    let answer = function
        .invoke(check_seen(asff_finding(
            &unique("boot/info"),
            "INFORMATIONAL",
        )))
        .response();
    assert_eq!(answer["decision"]["kind"], "ignored", "{answer}");
    assert_eq!(answer["finding"]["severity"], "INFORMATIONAL", "{answer}");

    let mut malformed = asff_finding("boot/malformed", "HIGH");
    malformed["AwsAccountId"] = json!("not-an-account");
    let (error_type, message) = function.invoke(check_seen(malformed)).error();
    assert_eq!(error_type, error_names::INVALID_FINDING);
    assert!(message.contains("AwsAccountId"), "{message}");

    // An input that is not the step's contract at all: the definition's mistake, named so.
    let (error_type, _) = function.invoke(json!({ "action": "explode" })).error();
    assert_eq!(error_type, error_names::INVALID_INPUT);

    // Still serving after errors.
    let answer = function
        .invoke(check_seen(asff_finding(
            &unique("boot/info"),
            "INFORMATIONAL",
        )))
        .response();
    assert_eq!(answer["decision"]["kind"], "ignored", "{}", function.logs());
}

#[test]
fn missing_table_name_fails_init_naming_the_variable() {
    let mut env = lambda_env("check-seen", "unused");
    env.remove("HUSHHUB_TABLE_NAME");
    let mut function = Function::start(BINARY, env);
    let (status, init_error) = function.wait_for_exit();
    let logs = function.logs();
    assert!(!status.success(), "{status}\n{logs}");
    let init_error = init_error.unwrap_or_else(|| panic!("no POST /init/error\n{logs}"));
    assert_eq!(
        init_error.body["errorType"], "Hushhub.InvalidConfig",
        "{logs}"
    );
    let message = init_error.body["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("HUSHHUB_TABLE_NAME"), "{message}");
    assert!(
        logs.contains("[stderr]") && logs.contains("HUSHHUB_TABLE_NAME"),
        "{logs}"
    );
    assert!(!logs.contains("invocation/next"), "took an event: {logs}");
}

#[test]
fn claims_a_new_finding_and_releases_the_claim_against_the_emulator() {
    require_emulator();
    let table = unique("boot-seen");
    let aws = block_on(AwsClients::from_env());
    block_on(create_table(&aws.dynamodb(), &table)).expect("create the table");
    let store = DynamoSeenStore::new(aws.dynamodb(), table.clone());
    let mut function = Function::start(BINARY, lambda_env("check-seen", &table));

    let id = unique("boot/new");
    let answer = function
        .invoke(check_seen(asff_finding(&id, "HIGH")))
        .response();
    assert_eq!(answer["decision"]["kind"], "new", "{answer}");
    let finding_id = FindingId::new(id.clone()).expect("valid id");
    assert!(block_on(store.get(&finding_id)).expect("read").is_some());

    let again = function
        .invoke(check_seen(asff_finding(&id, "HIGH")))
        .response();
    assert_eq!(again["decision"]["kind"], "seen", "{again}");

    let claim = answer["decision"]["claim"].clone();
    let released = function
        .invoke(json!({ "action": "release_claim", "claim": claim }))
        .response();
    assert_eq!(released, json!({ "released": true }));
    assert!(block_on(store.get(&finding_id)).expect("read").is_none());
}
