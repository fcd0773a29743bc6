//! Typed Task results: a run whose tasks hand back typed values gives exactly the output of the
//! same run on their JSON, and a typed value nothing reads into is never made JSON.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hushhub_asl::{Data, Definition, TaskFailure, TaskInvoker, TypedJson};
use serde_json::{Value, json};

/// A typed value that is some JSON, counting how often it was made JSON.
#[derive(Debug)]
struct Counted {
    json: Value,
    made_json: Arc<AtomicUsize>,
}

impl TypedJson for Counted {
    fn to_json(&self) -> Value {
        self.made_json.fetch_add(1, Ordering::SeqCst);
        self.json.clone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Answers each task with `result(input)`: as JSON, or with the members named in `typed` (at
/// the top level of the result) as typed values.
struct Tasks {
    typed: Vec<&'static str>,
    made_json: Arc<AtomicUsize>,
    result: fn(&Value) -> Value,
}

impl TaskInvoker for Tasks {
    fn invoke(&mut self, _: &str, input: &Data) -> Result<Data, TaskFailure> {
        let result = (self.result)(&input.to_json());
        if self.typed.is_empty() {
            return Ok(Data::Json(result));
        }
        let Value::Object(members) = result else {
            return Ok(Data::Json(result));
        };
        Ok(Data::object(members.into_iter().map(|(key, value)| {
            let member = if self.typed.contains(&key.as_str()) {
                Data::typed(Counted {
                    json: value,
                    made_json: self.made_json.clone(),
                })
            } else {
                Data::Json(value)
            };
            (key, member)
        })))
    }
}

/// Runs `definition` on `input` twice, with JSON results and with `typed` members typed, and
/// returns both outputs (or failures) and how often typed values were made JSON.
fn run_both(
    definition: Value,
    input: Value,
    typed: Vec<&'static str>,
    result: fn(&Value) -> Value,
) -> (String, String, usize) {
    let definition = Definition::from_json(&definition.to_string()).expect("definition loads");
    let made_json = Arc::new(AtomicUsize::new(0));
    let outcome = |typed: Vec<&'static str>| {
        let mut tasks = Tasks {
            typed,
            made_json: made_json.clone(),
            result,
        };
        let execution = definition.execute(input.clone(), &mut tasks);
        match execution.output() {
            Some(output) => output.to_string(),
            None => format!("{:?}", execution.failure()),
        }
    };
    let plain = outcome(Vec::new());
    let typed = outcome(typed);
    (plain, typed, made_json.load(Ordering::SeqCst))
}

/// check: a decision on the finding `input.id`; age (given a record): its input back.
fn decide(input: &Value) -> Value {
    if input.get("record").is_some() {
        return input.clone();
    }
    json!({
        "finding": {"id": input["id"], "title": "t", "resources": [{"id": "r1"}, {"id": "r2"}]},
        "decision": {"kind": if input["id"] == json!(1) { "new" } else { "seen" }, "record": {"n": 7}},
        "event_id": "e"
    })
}

fn pipeline_like() -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": "check", "ResultPath": "$", "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.decision.kind", "StringEquals": "seen", "Next": "Age"}
        ], "Default": "Done"},
        "Age": {"Type": "Task", "Resource": "age",
            "Parameters": {"id.$": "$.finding.id", "first.$": "$.finding.resources[0].id", "record.$": "$.decision.record"},
            "ResultSelector": {"echo.$": "$.record", "id.$": "$.id"},
            "ResultPath": "$.decision.age", "Next": "Done"},
        "Done": {"Type": "Succeed", "OutputPath": "$.decision"}
    }})
}

#[test]
fn typed_results_give_the_output_their_json_gives() {
    for id in [1, 2] {
        let (plain, typed, _) = run_both(
            pipeline_like(),
            json!({"id": id}),
            vec!["finding", "decision"],
            decide,
        );
        assert_eq!(plain, typed, "finding {id}");
    }
    // The second run really went through the typed reads: the Choice, the Parameters reaching
    // into an array of a typed value, and a ResultPath set inside a typed object.
    let (plain, _, _) = run_both(pipeline_like(), json!({"id": 2}), vec![], decide);
    assert_eq!(
        plain,
        json!({"kind": "seen", "record": {"n": 7}, "age": {"echo": {"n": 7}, "id": 2}}).to_string()
    );
}

#[test]
fn a_typed_value_nothing_reads_into_is_never_made_json() {
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": "check", "ResultPath": "$", "Next": "Done"},
        "Done": {"Type": "Succeed", "OutputPath": "$.event_id"}
    }});
    let (plain, typed, made_json) = run_both(
        definition,
        json!({"id": 2}),
        vec!["finding", "decision"],
        decide,
    );
    assert_eq!(plain, typed);
    assert_eq!(plain, "\"e\"");
    assert_eq!(
        made_json, 0,
        "neither the finding nor the decision was made JSON"
    );
}

#[test]
fn typed_results_in_a_map_and_a_catch_give_the_output_their_json_gives() {
    let definition = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items",
            "ItemSelector": {"id.$": "$$.Map.Item.Value", "at.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"StartAt": "Check", "States": {
                "Check": {"Type": "Task", "Resource": "check", "ResultPath": "$.checked", "Next": "Fail?"},
                "Fail?": {"Type": "Choice", "Choices": [
                    {"Variable": "$.checked.decision.kind", "StringEquals": "new", "Next": "Boom"}
                ], "Default": "Keep"},
                "Boom": {"Type": "Fail", "Error": "Boom", "CausePath": "$.checked.finding.title"},
                "Keep": {"Type": "Pass", "Parameters": {"f.$": "$.checked.finding", "at.$": "$.at"}, "End": true}
            }},
            "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": true},
        "Caught": {"Type": "Pass", "End": true}
    }});
    for items in [json!([2, 3]), json!([2, 1, 3])] {
        let input = json!({"items": items});
        let (plain, typed, _) = run_both(
            definition.clone(),
            input,
            vec!["finding", "decision"],
            decide,
        );
        assert_eq!(plain, typed, "items {items}");
    }
}

#[test]
fn a_map_iterates_a_typed_value_that_is_a_list_as_its_json() {
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": "check", "ResultPath": "$", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.resources",
            "ItemProcessor": {"StartAt": "Id", "States": {
                "Id": {"Type": "Pass", "OutputPath": "$.id", "End": true}
            }},
            "End": true}
    }});
    let resources =
        |input: &Value| -> Value { json!({"resources": decide(input)["finding"]["resources"]}) };
    let (plain, typed, made_json) =
        run_both(definition, json!({"id": 2}), vec!["resources"], resources);
    assert_eq!(plain, typed);
    assert_eq!(plain, json!(["r1", "r2"]).to_string());
    assert_eq!(made_json, 1, "the typed list was read as its JSON");
}
