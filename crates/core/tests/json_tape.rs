//! Specifications of the finding reader on a [`JsonTape`]: it must give exactly what it gives on
//! the `serde_json::Value` of the same text, finding or error, for every fixture and sample
//! event and for every one-field change of their findings (a field removed, given another JSON
//! type, or repeated), since the local replay reads findings on tapes and the Lambda reads them
//! as values.

use std::path::Path;

use hushhub_core::finding::{EventOnTape, Finding, FindingFormat, ImportedEvent};
use hushhub_core::json::{JsonRef, JsonTape};
use serde::Deserialize;
use serde_json::{Value, json};

const FORMATS: [FindingFormat; 2] = [FindingFormat::Asff, FindingFormat::Ocsf];

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Every JSON document under `tests/fixtures/` and every line of `examples/*.jsonl`.
fn documents() -> Vec<(String, String)> {
    let mut documents = Vec::new();
    for folder in [
        "tests/fixtures/asff",
        "tests/fixtures/bad",
        "tests/fixtures/ocsf",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(repo(folder))
            .expect("a fixture folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("a fixture");
            documents.push((path.display().to_string(), text));
        }
    }
    let mut examples: Vec<_> = std::fs::read_dir(repo("examples/events"))
        .expect("the example events")
        .map(|e| e.expect("an entry").path())
        .collect();
    examples.sort();
    examples.push(repo("examples/month.jsonl"));
    for path in examples {
        let text = std::fs::read_to_string(&path).expect("an example");
        let name = path.display().to_string();
        if path.extension().is_some_and(|e| e == "jsonl") {
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                documents.push((format!("{name}:{}", n + 1), line.to_owned()));
            }
        } else {
            documents.push((name, text));
        }
    }
    documents
}

/// The findings of an event, or the document itself when it is a bare finding.
fn findings(event: &Value) -> Vec<&Value> {
    match event.pointer("/detail/findings") {
        Some(Value::Array(items)) => items.iter().collect(),
        _ => vec![event],
    }
}

/// Reads `finding` (given as text) on a tape and as a value, in both formats, and asserts
/// the results are the same.
fn assert_same_reading(text: &str, what: &str) -> usize {
    let tape = JsonTape::parse(text).expect("the tape parses what serde_json parses");
    let value: Value = serde_json::from_str(text).expect("valid JSON");
    let mut read = 0;
    for format in FORMATS {
        let on_tape = Finding::read(JsonRef::Tape(tape.root()), format, "detail.findings[0]");
        let as_value = Finding::read(&value, format, "detail.findings[0]");
        assert_eq!(on_tape, as_value, "{what} read as {format:?}");
        read += usize::from(as_value.is_ok());
    }
    read
}

#[test]
fn every_fixture_and_sample_event_is_the_same_json_on_a_tape() {
    let documents = documents();
    assert!(documents.len() > 1000, "the month's events are among them");
    for (name, text) in &documents {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            let tape = JsonTape::parse(text).expect_err("refused as serde_json refuses it");
            let message = serde_json::from_str::<Value>(text)
                .expect_err("invalid")
                .to_string();
            assert_eq!(tape.to_string(), message, "{name}");
            continue;
        };
        let tape = JsonTape::parse(text).expect("parses");
        assert_eq!(tape.root().to_value(), value, "{name}");
        // What a `Deserialize` type reads of the tape is that same JSON.
        assert_eq!(
            Value::deserialize(tape.root()).expect("deserialises"),
            value,
            "{name}"
        );
    }
}

/// `EventOnTape::check` against `ImportedEvent::from_value` on the same text: the same events
/// pass, with the same id, time, format and findings.
fn assert_same_check(text: &str, what: &str) -> bool {
    let tape = JsonTape::parse(text).expect("parses");
    let value: Value = serde_json::from_str(text).expect("valid JSON");
    let on_tape = EventOnTape::check(tape.root());
    let as_value = ImportedEvent::from_value(value);
    match (&on_tape, &as_value) {
        (Some(on_tape), Ok(as_value)) => {
            assert_eq!(
                (on_tape.id(), on_tape.time(), on_tape.format()),
                (as_value.id(), as_value.time(), as_value.format()),
                "{what}"
            );
            let findings: Vec<Value> = on_tape.findings().map(|f| f.to_value()).collect();
            assert_eq!(findings, as_value.findings(), "{what}");
        }
        (None, Err(_)) => {}
        _ => panic!(
            "{what}: on a tape {}, as a value {:?}",
            on_tape.is_some(),
            as_value.err()
        ),
    }
    on_tape.is_some()
}

#[test]
fn every_sample_event_and_envelope_change_checks_the_same_on_a_tape() {
    let others = [
        Value::Null,
        json!(7),
        json!("Security Hub Findings - Imported"),
        json!("2026-10-01T00:00:00Z"),
        json!([]),
        json!({}),
        json!({"findings": []}),
    ];
    let mut passed = 0;
    let mut changes = 0;
    for (name, text) in documents() {
        let Ok(event) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        passed += usize::from(assert_same_check(&text, &name));
        if name.contains("month.jsonl:") && !name.ends_with(":1") {
            continue;
        }
        let Value::Object(envelope) = &event else {
            continue;
        };
        for key in envelope.keys() {
            let mut removed = envelope.clone();
            removed.remove(key);
            assert_same_check(
                &Value::Object(removed).to_string(),
                &format!("{name} without {key}"),
            );
            for other in &others {
                let mut changed = envelope.clone();
                changed.insert(key.clone(), other.clone());
                let text = Value::Object(changed).to_string();
                assert_same_check(&text, &format!("{name} with {key} = {other}"));
                changes += 1;
            }
        }
    }
    assert!(passed > 2900, "{passed} events passed");
    assert!(changes > 100, "{changes} envelope changes");
}

#[test]
fn every_fixture_and_sample_finding_reads_the_same_on_a_tape() {
    let mut findings_read = 0;
    for (name, text) in documents() {
        let Ok(event) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for (i, finding) in findings(&event).into_iter().enumerate() {
            let text = serde_json::to_string(finding).expect("serialises");
            findings_read += assert_same_reading(&text, &format!("{name} finding {i}"));
        }
    }
    // The month alone has thousands of valid findings: a reader that failed on everything
    // would agree with itself and prove nothing.
    assert!(findings_read > 3000, "{findings_read} findings read");
}

/// Every path to a member of an object inside `value`, outermost first.
fn member_paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(k.clone());
                out.push(prefix.clone());
                member_paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate().take(3) {
                prefix.push(i.to_string());
                member_paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// The container holding the member at `path`, and the member's key.
fn parent_of<'v>(value: &'v mut Value, path: &[String]) -> Option<(&'v mut Value, String)> {
    let (last, walk) = path.split_last()?;
    let mut at = value;
    for step in walk {
        at = match at {
            Value::Object(map) => map.get_mut(step)?,
            Value::Array(items) => items.get_mut(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some((at, last.clone()))
}

#[test]
fn every_one_field_change_of_a_finding_reads_the_same_on_a_tape() {
    let others = [
        Value::Null,
        json!(true),
        json!(7),
        json!(-7),
        json!(2.5),
        json!("SUPER"),
        json!(""),
        json!([]),
        json!({}),
    ];
    let mut changes = 0;
    for (name, text) in documents() {
        // The month repeats the fixtures' shapes; its first events are enough here.
        if name.contains("month.jsonl:") && !name.ends_with(":1") {
            continue;
        }
        let Ok(event) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for finding in findings(&event) {
            if serde_json::to_string(finding).map_or(0, |t| t.len()) > 64 * 1024 {
                continue;
            }
            let mut paths = Vec::new();
            member_paths(finding, &mut Vec::new(), &mut paths);
            for path in &paths {
                let what = format!("{name} at {}", path.join("."));
                // Removed.
                let mut changed = finding.clone();
                if let Some((Value::Object(map), key)) = parent_of(&mut changed, path) {
                    map.remove(&key);
                }
                assert_same_reading(&changed.to_string(), &format!("{what} removed"));
                // Another JSON type.
                for other in &others {
                    let mut changed = finding.clone();
                    if let Some((Value::Object(map), key)) = parent_of(&mut changed, path) {
                        map.insert(key, other.clone());
                    }
                    assert_same_reading(&changed.to_string(), &format!("{what} = {other}"));
                }
                // Repeated: an earlier copy with another value, which serde_json drops.
                if let Some((Value::Object(map), key)) = parent_of(&mut finding.clone(), path) {
                    let mut changed = finding.clone();
                    if let Some((Value::Object(inner), _)) = parent_of(&mut changed, path) {
                        inner.insert(key.clone(), json!("__placeholder__"));
                    }
                    let kept = map.get(&key).cloned().unwrap_or(Value::Null);
                    let repeated = changed.to_string().replacen(
                        &format!("{}:\"__placeholder__\"", Value::String(key.clone())),
                        &format!("{k}:\"SUPER\",{k}:{kept}", k = Value::String(key.clone())),
                        1,
                    );
                    assert_same_reading(&repeated, &format!("{what} repeated"));
                }
                changes += 1;
            }
        }
    }
    assert!(changes > 500, "{changes} fields changed");
}
