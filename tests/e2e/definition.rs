//! The one state machine definition agrees with the code: error names, functions, and the
//! Amazon States Language itself (checked by the `asl-validator` npm package).

use std::collections::BTreeSet;
use std::process::Command;

use hushhub_asl::Definition;
use hushhub_core::error_names;
use hushhub_local::PIPELINE_DEFINITION;
use hushhub_local::replay::FUNCTIONS;
use serde_json::Value;

fn collect(value: &Value, key: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    match v {
                        Value::String(s) => {
                            out.insert(s.clone());
                        }
                        Value::Array(items) => {
                            out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
                        }
                        _ => {}
                    }
                }
                collect(v, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, key, out)),
        _ => {}
    }
}

fn definition() -> Value {
    serde_json::from_str(PIPELINE_DEFINITION).expect("definition is JSON")
}

#[test]
fn every_hushhub_error_name_in_the_definition_is_a_core_constant() {
    let mut names = BTreeSet::new();
    collect(&definition(), "ErrorEquals", &mut names);
    collect(&definition(), "Error", &mut names);
    let ours: Vec<&String> = names.iter().filter(|n| n.starts_with("Hushhub.")).collect();
    assert!(!ours.is_empty());
    for name in ours {
        assert!(
            error_names::ALL.contains(&name.as_str()),
            "{name} is not a constant in hushhub_core::error_names"
        );
    }
    // Step Functions' own names, and Lambda's for a function that ran out of time.
    for name in names.iter().filter(|n| !n.starts_with("Hushhub.")) {
        assert!(
            name.starts_with("States.")
                || name.starts_with("Lambda.")
                || name == "Sandbox.Timedout",
            "unexpected error name {name}"
        );
    }
}

/// A Task that timed out may have made its claim: only the states whose claims carry the
/// delivery's token (so a retry finds its own claim) may retry a timeout. RenderAndSendEmail
/// must not: SES may have sent before the timeout, and a retry would send again.
#[test]
fn only_claiming_states_retry_a_lambda_timeout() {
    let definition = definition();
    let states = &definition["States"]["Findings"]["ItemProcessor"]["States"];
    let retries_timeout = |state: &str| {
        states[state]["Retry"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| {
                r["ErrorEquals"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|n| n == "Sandbox.Timedout"))
            })
    };
    assert!(retries_timeout("CheckSeen"));
    assert!(retries_timeout("AgeCheck"));
    assert!(!retries_timeout("RenderAndSendEmail"));
    assert_eq!(
        definition["States"]["Findings"]["ItemSelector"]["execution_id.$"], "$$.Execution.Id",
        "the claim token is made of the execution id"
    );
}

#[test]
fn retryable_and_caught_errors_are_the_ones_the_handlers_raise() {
    let text = PIPELINE_DEFINITION;
    assert!(
        text.contains(error_names::TRANSIENT),
        "Retry must cover {}",
        error_names::TRANSIENT
    );
    assert!(
        text.contains(error_names::INVALID_FINDING),
        "Catch must route {}",
        error_names::INVALID_FINDING
    );
}

#[test]
fn every_task_resource_names_a_function_the_workspace_builds() {
    let definition = Definition::from_json(PIPELINE_DEFINITION)
        .expect("the local runner accepts the definition");
    let workspace = std::fs::read_to_string(hushhub_tests::root().join("Cargo.toml"))
        .expect("workspace manifest");
    for resource in definition.resources() {
        let placeholder = resource
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix("_function_arn}"))
            .unwrap_or_else(|| {
                panic!("{resource} is not a ${{<function>_function_arn}} placeholder")
            });
        let function = placeholder.replace('_', "-");
        assert!(
            FUNCTIONS.contains(&(resource.as_str(), function.as_str())),
            "{resource} has no local function"
        );
        assert!(
            workspace.contains(&format!("\"crates/{function}\"")),
            "crates/{function} is not a workspace member"
        );
        let main = hushhub_tests::root().join(format!("crates/{function}/src/main.rs"));
        assert!(
            main.is_file(),
            "{} must exist: the function is built as a Lambda binary",
            main.display()
        );
    }
}

#[test]
fn definition_is_valid_amazon_states_language() {
    let validator = hushhub_tests::root().join("tools/asl/node_modules/.bin/asl-validator");
    assert!(
        validator.is_file(),
        "{} is missing: run scripts/test.sh, which installs it (npm ci in tools/asl)",
        validator.display()
    );
    let path = hushhub_tests::root().join("statemachine/pipeline.asl.json");
    let output = Command::new(&validator)
        .arg("--json-path")
        .arg(&path)
        .output()
        .expect("asl-validator runs");
    assert!(
        output.status.success(),
        "asl-validator rejected the definition:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn asl_validator_rejects_a_broken_definition() {
    // Proves the check above can fail: a Next pointing nowhere must be caught.
    let validator = hushhub_tests::root().join("tools/asl/node_modules/.bin/asl-validator");
    assert!(
        validator.is_file(),
        "asl-validator is not installed (scripts/test.sh installs it)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.asl.json");
    let text =
        PIPELINE_DEFINITION.replace("\"Next\": \"RouteBySeen\"", "\"Next\": \"NoSuchState\"");
    std::fs::write(&broken, text).expect("write");
    let output = Command::new(&validator)
        .arg("--json-path")
        .arg(&broken)
        .output()
        .expect("asl-validator runs");
    assert!(
        !output.status.success(),
        "asl-validator accepted a definition with a dangling Next"
    );
}
