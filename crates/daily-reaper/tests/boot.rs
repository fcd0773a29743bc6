//! The daily-reaper binary boots as Lambda starts it, takes the EventBridge scheduled event and
//! answers its report through the Runtime API.

#[path = "../../../tests/runtime_api/mod.rs"]
mod runtime_api;

use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::{DynamoSeenStore, create_table};
use hushhub_core::error_names;
use hushhub_core::finding::Finding;
use hushhub_core::ports::{Clock, SeenStore, SystemClock};
use hushhub_core::seen::SeenRecord;
use runtime_api::{
    Function, asff_finding, block_on, lambda_env, require_emulator, unique, unreachable_endpoint,
};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_daily-reaper");

fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T03:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/hushhub-daily-reaper"],
        "detail": {}
    })
}

#[test]
fn forgets_a_finding_security_hub_no_longer_has_against_the_emulator() {
    require_emulator();
    let table = unique("boot-seen");
    let aws = block_on(AwsClients::from_env());
    block_on(create_table(&aws.dynamodb(), &table)).expect("create the table");
    let store = DynamoSeenStore::new(aws.dynamodb(), table.clone());
    let finding = Finding::from_asff(&asff_finding(&unique("boot/gone"), "HIGH"), "finding")
        .expect("a valid finding");
    let record = SeenRecord::first_sighting(&finding, SystemClock.now());
    block_on(store.claim_new(&record)).expect("seed the record");
    let mut function = Function::start(BINARY, lambda_env("daily-reaper", &table));

    let report = function.invoke(scheduled_event()).response();
    assert_eq!(report["scanned"], 1, "{report}");
    assert_eq!(report["deleted"], json!({ "gone": 1 }), "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert!(block_on(store.get(&finding.id)).expect("read").is_none());
}

#[test]
fn names_an_unreachable_table_transient() {
    // The scan cannot connect, which retrying later may fix.
    let mut env = lambda_env("daily-reaper", "unreachable");
    env.insert("AWS_ENDPOINT_URL".into(), unreachable_endpoint());
    let mut function = Function::start(BINARY, env);
    let (error_type, message) = function.invoke(scheduled_event()).error();
    assert_eq!(
        error_type,
        error_names::TRANSIENT,
        "{message}\n{}",
        function.logs()
    );
}
