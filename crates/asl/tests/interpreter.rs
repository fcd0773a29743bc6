//! The interpreter's semantics, one small state machine at a time.

use hushhub_asl::{Definition, DefinitionError, ExecutionOptions, Location, TaskFailure};
use serde_json::{Value, json};

fn load(definition: Value) -> Definition {
    Definition::from_json(&definition.to_string()).expect("definition loads")
}

fn load_error(definition: Value) -> String {
    match Definition::from_json(&definition.to_string()) {
        Ok(_) => panic!("definition should have been rejected"),
        Err(e) => e.to_string(),
    }
}

fn traced() -> ExecutionOptions {
    ExecutionOptions {
        trace: true,
        ..ExecutionOptions::default()
    }
}

/// A one-task machine with the given extra Task fields.
fn one_task(fields: Value) -> Value {
    let mut task = json!({"Type": "Task", "Resource": "work", "End": true});
    for (k, v) in fields.as_object().expect("fields object") {
        task[k] = v.clone();
    }
    json!({"StartAt": "Work", "States": {"Work": task}})
}

/// Fails `failures` times with `error`, then echoes its input.
fn flaky(error: &str, failures: usize) -> impl FnMut(&str, &Value) -> Result<Value, TaskFailure> {
    let error = error.to_owned();
    let mut left = failures;
    move |_, input: &Value| match left {
        0 => Ok(input.clone()),
        _ => {
            left -= 1;
            Err(TaskFailure::new(error.clone(), "try again"))
        }
    }
}

#[test]
fn unsupported_field_is_an_error_naming_the_state() {
    let definition = json!({"StartAt": "Foo", "States": {"Foo": {
        "Type": "Map", "ItemReader": {}, "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
        "End": true
    }}});
    assert_eq!(
        load_error(definition),
        r#"state "Foo": field "ItemReader" is not supported by the local runner"#
    );
    let err = Definition::from_json(
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#,
    )
    .expect_err("Wait is not supported");
    assert!(
        matches!(err, DefinitionError::Unsupported { at: Location::State(ref s), .. } if s == "W")
    );
    assert_eq!(
        err.to_string(),
        r#"state "W": state type "Wait" is not supported by the local runner"#
    );
}

#[test]
fn intrinsics_wildcards_and_distributed_maps_are_rejected_as_unsupported() {
    let intrinsic = one_task(json!({"Parameters": {"msg.$": "States.Format('hi {}', $.name)"}}));
    assert!(load_error(intrinsic).contains("intrinsic function"));
    let wildcard = one_task(json!({"InputPath": "$.items[*]"}));
    assert!(load_error(wildcard).ends_with("is not supported by the local runner"));
    let processor = |config: Value| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor":
            {"ProcessorConfig": config, "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}}})
    };
    assert!(load_error(processor(json!({"Mode": "DISTRIBUTED"}))).contains("\"DISTRIBUTED\""));
    let mut tolerated = processor(json!({"Mode": "INLINE"}));
    tolerated["States"]["M"]["ToleratedFailurePercentage"] = json!(10);
    assert!(load_error(tolerated).contains("ToleratedFailurePercentage"));
    let jsonata =
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
    assert!(load_error(jsonata).contains("QueryLanguage"));
    let context = one_task(json!({"Parameters": {"t.$": "$$.State.EnteredTime"}}));
    assert!(load_error(context).contains("context object path"));
    let map_context = one_task(json!({"Parameters": {"i.$": "$$.Map.Item.Index"}}));
    assert!(load_error(map_context).contains("only available in a Map state's ItemSelector"));
}

#[test]
fn every_transition_must_name_an_existing_reachable_state() {
    let missing_next =
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}});
    assert_eq!(
        load_error(missing_next),
        r#"state "A": field "Next" names no state in its scope: "Nowhere""#
    );
    let missing_catch =
        one_task(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]}));
    assert!(load_error(missing_catch).contains(r#"field "Catch[0].Next" names no state"#));
    let missing_start = json!({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}});
    assert!(load_error(missing_start).starts_with("the definition: field \"StartAt\""));
    let unreachable =
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}});
    assert_eq!(
        load_error(unreachable),
        r#"state "B": is not reachable from StartAt"#
    );
    let into_map = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Inner", "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Succeed"}}}}
    }});
    assert!(load_error(into_map).contains("names no state in its scope"));
    let both = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}});
    assert!(load_error(both).contains("exactly one of"));
}

#[test]
fn states_all_must_stand_alone_in_the_last_catcher() {
    let not_alone = one_task(json!({"Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}));
    assert!(load_error(not_alone).contains("States.ALL"));
    let not_last = json!({"StartAt": "W", "States": {
        "W": {"Type": "Task", "Resource": "r", "End": true, "Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["X"], "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}});
    assert!(load_error(not_last).contains("last retrier or catcher"));
}

#[test]
fn task_shapes_its_input_and_result_with_paths_and_templates() {
    let definition = load(one_task(json!({
        "InputPath": "$.order",
        "Parameters": {"id.$": "$.id", "first_line.$": "$.lines[0]", "quoted.$": "$['odd key']",
                       "fixed": {"nested": [1, {"sku.$": "$.lines[1].sku"}]}},
        "ResultSelector": {"total.$": "$.sum"},
        "ResultPath": "$.order.priced",
        "OutputPath": "$.order"
    })));
    let input = json!({"order": {"id": 7, "odd key": true, "lines": [{"sku": "a"}, {"sku": "b"}]}, "other": 1});
    let mut seen = Vec::new();
    let execution = definition.execute(input, &mut |resource: &str, payload: &Value| {
        seen.push((resource.to_owned(), payload.clone()));
        Ok(json!({"sum": 12, "ignored": true}))
    });
    assert_eq!(
        seen,
        vec![(
            "work".to_owned(),
            json!({"id": 7, "first_line": {"sku": "a"}, "quoted": true,
                                        "fixed": {"nested": [1, {"sku": "b"}]}})
        )]
    );
    assert_eq!(
        execution.output(),
        Some(
            &json!({"id": 7, "odd key": true, "lines": [{"sku": "a"}, {"sku": "b"}], "priced": {"total": 12}})
        )
    );
}

#[test]
fn context_object_paths_read_the_execution_and_state() {
    let definition = load(one_task(json!({"Parameters": {
        "execution.$": "$$.Execution.Id", "original.$": "$$.Execution.Input.x", "state.$": "$$.State.Name"}})));
    let options = ExecutionOptions {
        execution_id: "exec-1".to_owned(),
        ..ExecutionOptions::default()
    };
    let execution =
        definition.execute_with(json!({"x": 1}), &mut |_: &str, v: &Value| Ok(v.clone()), &options);
    assert_eq!(
        execution.output(),
        Some(&json!({"execution": "exec-1", "original": 1, "state": "Work"}))
    );
}

#[test]
fn result_path_sets_creates_or_discards() {
    let run = |result_path: Value, input: Value| {
        let definition = load(one_task(json!({"ResultPath": result_path})));
        definition
            .execute(input, &mut |_: &str, _: &Value| Ok(json!("r")))
            .status
    };
    let ok = |v: Value| hushhub_asl::Status::Succeeded(v);
    assert_eq!(run(json!("$"), json!({"a": 1})), ok(json!("r")));
    assert_eq!(
        run(json!("$.x.y"), json!({"a": 1})),
        ok(json!({"a": 1, "x": {"y": "r"}}))
    );
    assert_eq!(run(Value::Null, json!({"a": 1})), ok(json!({"a": 1})));
    let failed = run(json!("$.a.b"), json!({"a": 1}));
    assert!(
        matches!(failed, hushhub_asl::Status::Failed(f) if f.error == "States.ResultPathMatchFailure")
    );
}

#[test]
fn missing_path_is_states_runtime_error() {
    // Not even a States.ALL retrier or catcher handles States.Runtime: it fails the execution.
    let definition = load(json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "r", "Parameters": {"id.$": "$.missing"}, "End": true,
                 "Retry": [{"ErrorEquals": ["States.ALL"]}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}}));
    let mut calls = 0;
    let execution = definition.execute(json!({}), &mut |_: &str, v: &Value| {
        calls += 1;
        Ok(v.clone())
    });
    let failure = execution.failure().expect("execution fails");
    assert_eq!(
        (failure.error.as_str(), failure.state.as_str()),
        ("States.Runtime", "Work")
    );
    assert!(failure.cause.contains("$.missing"), "{}", failure.cause);
    assert_eq!((calls, execution.stats.retries), (0, 0));
    let output_path = load(one_task(json!({"OutputPath": "$.nope"})));
    let failure = output_path.execute(json!({}), &mut |_: &str, v: &Value| Ok(v.clone()));
    assert_eq!(
        failure.failure().map(|f| f.error.as_str()),
        Some("States.Runtime")
    );
}

#[test]
fn choice_rules_compare_combine_and_fall_back_to_default() {
    let definition = load(json!({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 10}, {"Not": {"Variable": "$.flag", "BooleanEquals": true}}],
             "Next": "Big"},
            {"Or": [{"Variable": "$.name", "StringEqualsPath": "$.wanted"}, {"Variable": "$.extra", "IsPresent": true}],
             "Next": "Named"},
            {"Variable": "$.n", "IsNull": true, "Next": "Null"}
        ], "Default": "Other"},
        "Big": {"Type": "Pass", "Result": "big", "End": true},
        "Named": {"Type": "Pass", "Result": "named", "End": true},
        "Null": {"Type": "Pass", "Result": "null", "End": true},
        "Other": {"Type": "Pass", "Result": "other", "End": true}}}));
    let route = |input: Value| {
        definition
            .execute(input, &mut |_: &str, v: &Value| Ok(v.clone()))
            .output()
            .cloned()
    };
    assert_eq!(route(json!({"n": 10, "flag": false})), Some(json!("big")));
    assert_eq!(
        route(json!({"n": 10, "flag": true, "name": "a", "wanted": "a"})),
        Some(json!("named"))
    );
    assert_eq!(
        route(json!({"n": "10", "flag": false, "name": "a", "wanted": "b", "extra": 0})),
        Some(json!("named"))
    );
    assert_eq!(
        route(json!({"n": null, "flag": false, "name": "a", "wanted": "b"})),
        Some(json!("null"))
    );
    assert_eq!(
        route(json!({"n": 1, "flag": false, "name": "a", "wanted": "b"})),
        Some(json!("other"))
    );
    // A compared variable that is absent is a runtime error, not a non-match.
    let failed = definition.execute(json!({"flag": false}), &mut |_: &str, v: &Value| Ok(v.clone()));
    assert_eq!(
        failed.failure().map(|f| f.error.as_str()),
        Some("States.Runtime")
    );
}

#[test]
fn choice_without_match_or_default_is_states_runtime_error() {
    let definition = load(json!({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.k", "StringEquals": "x", "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}}));
    let execution = definition.execute(json!({"k": "y"}), &mut |_: &str, v: &Value| Ok(v.clone()));
    assert_eq!(
        execution.failure().map(|f| f.error.as_str()),
        Some("States.Runtime")
    );
}

#[test]
fn retry_waits_are_virtual_and_back_off() {
    let definition = load(one_task(
        json!({"Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1,
        "BackoffRate": 2, "MaxDelaySeconds": 3, "MaxAttempts": 4}]}),
    ));
    let started = std::time::Instant::now();
    let execution = definition.execute_with(json!({"ok": true}), &mut flaky("Flaky", 4), &traced());
    assert!(
        started.elapsed().as_secs() < 1,
        "retry waits must not sleep"
    );
    assert_eq!(execution.output(), Some(&json!({"ok": true})));
    assert_eq!(
        (execution.stats.retries, execution.stats.task_invocations),
        (4, 5)
    );
    // 1, 2, then 4 and 8 capped at MaxDelaySeconds.
    assert_eq!(execution.stats.waited_seconds, 1.0 + 2.0 + 3.0 + 3.0);
    let attempts: Vec<u32> = execution.trace.iter().map(|s| s.attempt).collect();
    assert_eq!(attempts, [0, 1, 2, 3, 4]);
}

#[test]
fn full_jitter_is_reproducible_and_bounded() {
    let definition = load(one_task(
        json!({"Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 3,
        "JitterStrategy": "FULL"}]}),
    ));
    let waited = |seed: u64| {
        let options = ExecutionOptions {
            jitter_seed: seed,
            ..ExecutionOptions::default()
        };
        definition
            .execute_with(json!({}), &mut flaky("Flaky", 3), &options)
            .stats
            .waited_seconds
    };
    assert_eq!(waited(1), waited(1));
    assert_ne!(waited(1), waited(2));
    assert!((0.0..1.0 + 2.0 + 4.0).contains(&waited(1)));
}

#[test]
fn exhausted_retries_fall_through_to_catch_and_each_retrier_counts_its_own() {
    let definition = load(json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "r", "End": true,
                 "Retry": [{"ErrorEquals": ["A"], "MaxAttempts": 1}, {"ErrorEquals": ["B"], "MaxAttempts": 0},
                           {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}}));
    let mut errors = vec!["A", "C", "C", "A"].into_iter();
    let execution = definition.execute(json!({}), &mut |_: &str, _: &Value| {
        Err(TaskFailure::new(errors.next().unwrap_or("B"), "boom"))
    });
    // A is retried once and C twice, each against its own retrier; the second A is caught.
    assert_eq!(execution.stats.retries, 3);
    assert_eq!(execution.stats.task_invocations, 4);
    assert_eq!(
        execution.output(),
        Some(&json!({"Error": "A", "Cause": "boom"}))
    );
    let never = load(one_task(
        json!({"Retry": [{"ErrorEquals": ["B"], "MaxAttempts": 0}]}),
    ));
    let failed = never.execute(json!({}), &mut flaky("B", 1));
    assert_eq!(
        (
            failed.stats.retries,
            failed.failure().map(|f| f.error.as_str())
        ),
        (0, Some("B"))
    );
}

#[test]
fn catch_routes_error_to_next_with_result_path() {
    let definition = load(json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "r", "Next": "Done", "ResultPath": "$.result",
                 "Catch": [{"ErrorEquals": ["Other"], "Next": "Done"},
                           {"ErrorEquals": ["Bad.Input"], "ResultPath": "$.error", "Next": "Handle"}]},
        "Handle": {"Type": "Pass", "Parameters": {"why.$": "$.error.Cause", "id.$": "$.id"}, "End": true},
        "Done": {"Type": "Succeed"}}}));
    let execution =
        definition.execute_with(json!({"id": 3}), &mut flaky("Bad.Input", 1), &traced());
    assert_eq!(
        execution.output(),
        Some(&json!({"why": "try again", "id": 3}))
    );
    let path: Vec<String> = execution.trace.iter().map(ToString::to_string).collect();
    assert_eq!(path, ["Work", "Handle"]);
}

#[test]
fn states_task_failed_matches_task_errors_but_not_fail_states() {
    let machine = |inner: Value| {
        load(json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                  "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": inner}},
                  "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "Result": "caught", "End": true}}}))
    };
    let task = machine(json!({"Type": "Task", "Resource": "r", "End": true}));
    let caught = task.execute(json!({"items": [1]}), &mut flaky("Custom.Error", 1));
    assert_eq!(caught.output(), Some(&json!("caught")));
    let fail = machine(json!({"Type": "Fail", "Error": "Custom.Error"}));
    let failed = fail.execute(json!({"items": [1]}), &mut flaky("unused", 0));
    assert_eq!(
        failed.failure().map(|f| f.error.as_str()),
        Some("Custom.Error")
    );
}

#[test]
fn fail_state_fails_execution_with_error_and_cause() {
    let fixed = load(
        json!({"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "My.Error", "Cause": "because"}}}),
    );
    let execution = fixed.execute(json!({}), &mut flaky("unused", 0));
    let failure = execution.failure().expect("fails");
    assert_eq!(
        (
            failure.error.as_str(),
            failure.cause.as_str(),
            failure.state.as_str()
        ),
        ("My.Error", "because", "Stop")
    );
    assert_eq!(
        failure.to_string(),
        r#"state "Stop" failed with My.Error: because"#
    );
    let by_path = load(
        json!({"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}}),
    );
    let execution = by_path.execute(
        json!({"e": "Dyn.Error", "c": "from input"}),
        &mut flaky("unused", 0),
    );
    assert_eq!(
        execution
            .failure()
            .map(|f| (f.error.as_str(), f.cause.as_str())),
        Some(("Dyn.Error", "from input"))
    );
}

#[test]
fn pass_state_uses_result_or_parameters() {
    let definition = load(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.fixed", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.fixed", "Parameters": {"y.$": "$.x"}, "ResultPath": "$.shaped", "Next": "C"},
        "C": {"Type": "Pass", "OutputPath": "$.shaped", "End": true}}}));
    let execution = definition.execute(json!({"keep": true}), &mut flaky("unused", 0));
    assert_eq!(execution.output(), Some(&json!({"y": 1})));
}

#[test]
fn map_runs_each_item_with_item_selector() {
    let definition = load(json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.things", "MaxConcurrency": 4,
        "ItemSelector": {"batch.$": "$.batch", "index.$": "$$.Map.Item.Index", "name.$": "$$.Map.Item.Value.name"},
        "ItemProcessor": {"StartAt": "Visit", "States": {"Visit": {"Type": "Task", "Resource": "visit", "End": true}}},
        "ResultPath": "$.visited", "End": true}}}));
    let mut order = Vec::new();
    let execution = definition.execute_with(
        json!({"batch": "b1", "things": [{"name": "x"}, {"name": "y"}]}),
        &mut |_: &str, input: &Value| {
            order.push(input["index"].clone());
            Ok(json!(format!(
                "{}:{}",
                input["batch"].as_str().unwrap_or(""),
                input["name"].as_str().unwrap_or("")
            )))
        },
        &traced(),
    );
    assert_eq!(order, [json!(0), json!(1)]);
    assert_eq!(
        execution.output().map(|o| o["visited"].clone()),
        Some(json!(["b1:x", "b1:y"]))
    );
    let path: Vec<String> = execution.trace.iter().map(ToString::to_string).collect();
    assert_eq!(path, ["Each", "[0] Visit", "[1] Visit"]);
    // The legacy spelling (Iterator, Parameters) behaves the same.
    let legacy = load(json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}}, "End": true}}}));
    let execution = legacy.execute(json!([1, 2]), &mut flaky("unused", 0));
    assert_eq!(execution.output(), Some(&json!([{"v": 1}, {"v": 2}])));
}

#[test]
fn map_iteration_failure_fails_the_map_where_its_catch_can_handle_it() {
    let machine = |catch: Value| {
        load(json!({"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "End": true, "Catch": catch,
                     "ItemProcessor": {"StartAt": "Check", "States": {
                         "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 2, "Next": "Fine"}], "Default": "Boom"},
                         "Fine": {"Type": "Succeed"},
                         "Boom": {"Type": "Fail", "Error": "Too.Big", "Cause": "item too big"}}}},
            "Recover": {"Type": "Pass", "End": true}}}))
    };
    let uncaught = machine(json!([{"ErrorEquals": ["Other.Error"], "Next": "Recover"}]));
    let execution = uncaught.execute(json!([1, 5, 1]), &mut flaky("unused", 0));
    let failure = execution.failure().expect("the map fails");
    assert_eq!(
        (
            failure.error.as_str(),
            failure.state.as_str(),
            failure.map_items.as_slice()
        ),
        ("Too.Big", "Boom", &[1][..])
    );
    // Sequential: the third item never ran.
    assert_eq!(execution.stats.state_transitions, 1 + 2 + 2);
    let caught =
        machine(json!([{"ErrorEquals": ["Too.Big"], "ResultPath": "$", "Next": "Recover"}]));
    let execution = caught.execute(json!([1, 5]), &mut flaky("unused", 0));
    assert_eq!(
        execution.output(),
        Some(&json!({"Error": "Too.Big", "Cause": "item too big"}))
    );
}

#[test]
fn counts_state_transitions_including_map_iterations() {
    let definition = load(json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Each"},
        "Each": {"Type": "Map", "Next": "Done", "ItemProcessor": {"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "r", "Next": "Route",
                     "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 1}]},
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$", "IsNumeric": true, "Next": "End"}]},
            "End": {"Type": "Succeed"}}}},
        "Done": {"Type": "Succeed"}}}));
    let execution = definition.execute_with(json!([1, 2, 3]), &mut flaky("Flaky", 2), &traced());
    // Prepare, Each, Done; three iterations of Work, Route, End; two retries of Work.
    assert_eq!(execution.stats.state_transitions, 3 + 3 * 3 + 2);
    assert_eq!(
        execution.stats.state_transitions,
        execution.trace.len() as u64
    );
    assert_eq!(
        (
            execution.stats.task_invocations,
            execution.stats.waited_seconds
        ),
        (5, 4.0)
    );
    assert_eq!(execution.output(), Some(&json!([1, 2, 3])));
}

#[test]
fn a_looping_definition_is_stopped_by_the_transition_limit() {
    let definition = load(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}));
    let options = ExecutionOptions {
        max_state_transitions: 50,
        ..ExecutionOptions::default()
    };
    let execution = definition.execute_with(json!({}), &mut flaky("unused", 0), &options);
    assert_eq!(
        execution.failure().map(|f| f.error.as_str()),
        Some("States.Runtime")
    );
    assert_eq!(execution.stats.state_transitions, 51);
}
