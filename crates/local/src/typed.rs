//! The handlers' results as the local interpreter carries them: the finding, the record and the
//! outcome stay typed between Task states, and become JSON only if a path reads into them.
//!
//! check-seen's output holds the compact finding and the record; most deliveries end at
//! age-check as duplicates, which reads three fields of the one and takes the other whole. Made
//! into JSON and read back, the two cost more than the decision itself. Each conversion here
//! stands for exactly the JSON `serde_json::to_value` makes of the handler's output: debug
//! builds (the tests) check that on every call.
//!
//! The raw findings come the other way: an event is parsed onto a [`JsonTape`], and each of its
//! findings stays there ([`TapeFinding`]) until check-seen reads it, instead of becoming a
//! `Value` tree that is built, read once and freed.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use hushhub_asl::{Data, TypedJson, json_member};
use hushhub_core::finding::Finding;
use hushhub_core::json::{JsonRef, JsonTape, TapeRef};
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{AgeCheckInput, CheckSeenOutput, StepDecision};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The compact finding.
#[derive(Debug)]
pub struct TypedFinding(pub Finding);

impl TypedJson for TypedFinding {
    fn to_json(&self) -> Value {
        to_json(&self.0)
    }

    /// AgeCheck's `Parameters` read these three, for every duplicate.
    fn member(&self, key: &str) -> Option<Data> {
        let member = match key {
            "id" => to_json(&self.0.id),
            "title" => Value::String(self.0.title.clone()),
            "severity" => to_json(&self.0.severity),
            other => return json_member(self.to_json(), other),
        };
        debug_assert_eq!(self.to_json().get(key), Some(&member), "member {key}");
        Some(Data::Json(member))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A handler's result carried as it is: a finding's record (check-seen and age-check hand it
/// on) or a delivery's outcome (the Map's iterations end with it, and the runner reads it back).
/// Its JSON is what `serde_json::to_value` makes of it.
#[derive(Debug)]
pub struct Typed<T>(pub T);

impl<T: Serialize + std::fmt::Debug + Send + Sync + 'static> TypedJson for Typed<T> {
    fn to_json(&self) -> Value {
        to_json(&self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `serde_json::to_value` of a value whose `Serialize` cannot fail (no maps with non-string
/// keys, no foreign serialisers): the handlers' outputs already go through it.
fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// check-seen's output.
pub fn check_seen_output(output: CheckSeenOutput) -> Result<Data, serde_json::Error> {
    #[cfg(debug_assertions)]
    let expected = serde_json::to_value(&output)?;
    let CheckSeenOutput {
        event_id,
        claim_token,
        finding,
        decision,
    } = output;
    let data = Data::object([
        ("event_id".to_owned(), Data::Json(Value::String(event_id))),
        (
            "claim_token".to_owned(),
            Data::Json(serde_json::to_value(claim_token)?),
        ),
        ("finding".to_owned(), Data::typed(TypedFinding(finding))),
        ("decision".to_owned(), step_decision(decision)?),
    ]);
    #[cfg(debug_assertions)]
    assert_eq!(data.to_json().as_ref(), &expected, "check-seen output");
    Ok(data)
}

/// A decision of check-seen or age-check.
pub fn step_decision(decision: StepDecision) -> Result<Data, serde_json::Error> {
    #[cfg(debug_assertions)]
    let expected = serde_json::to_value(&decision)?;
    let StepDecision {
        kind,
        reason,
        silenced,
        escalate_now,
        record,
        claim,
        outcome,
    } = decision;
    let data = Data::object([
        ("kind".to_owned(), Data::Json(serde_json::to_value(kind)?)),
        ("reason".to_owned(), Data::Json(Value::String(reason))),
        (
            "silenced".to_owned(),
            Data::Json(serde_json::to_value(silenced)?),
        ),
        (
            "escalate_now".to_owned(),
            Data::Json(Value::Bool(escalate_now)),
        ),
        (
            "record".to_owned(),
            record.map_or(Data::Json(Value::Null), |r| Data::typed(Typed(r))),
        ),
        ("claim".to_owned(), Data::Json(serde_json::to_value(claim)?)),
        ("outcome".to_owned(), Data::typed(Typed(outcome))),
    ]);
    #[cfg(debug_assertions)]
    assert_eq!(data.to_json().as_ref(), &expected, "step decision");
    Ok(data)
}

/// age-check's input, taking the record as it is when check-seen left it typed.
pub fn age_check_input(input: &Data) -> Result<AgeCheckInput, String> {
    let record = match input.get("record") {
        Some(record) => match record.as_typed::<Typed<SeenRecord>>() {
            Some(Typed(record)) => record.clone(),
            None => member(input, "record")?,
        },
        None => return Err("missing field `record`".to_owned()),
    };
    let parsed = AgeCheckInput {
        event_id: member(input, "event_id")?,
        claim_token: member(input, "claim_token")?,
        finding: member(input, "finding")?,
        record,
        silenced: optional_member(input, "silenced")?,
        escalate_now: optional_member(input, "escalate_now")?,
    };
    #[cfg(debug_assertions)]
    assert_eq!(
        serde_json::from_value::<AgeCheckInput>(input.to_json().into_owned()).ok(),
        Some(parsed.clone()),
        "age-check input"
    );
    Ok(parsed)
}

fn member<T: DeserializeOwned>(input: &Data, key: &str) -> Result<T, String> {
    let value = input
        .get(key)
        .ok_or_else(|| format!("missing field `{key}`"))?;
    T::deserialize(value.to_json().as_ref()).map_err(|e| format!("{key}: {e}"))
}

/// A member that is `#[serde(default)]`: absent reads as the default.
fn optional_member<T: DeserializeOwned + Default>(input: &Data, key: &str) -> Result<T, String> {
    match input.get(key) {
        None => Ok(T::default()),
        Some(value) => T::deserialize(value.to_json().as_ref()).map_err(|e| format!("{key}: {e}")),
    }
}

/// A raw finding, still on its event's tape.
#[derive(Debug)]
pub struct TapeFinding {
    tape: Arc<JsonTape>,
    position: u32,
}

impl TapeFinding {
    fn on_tape(&self) -> TapeRef<'_> {
        self.tape.at(self.position)
    }

    pub fn json(&self) -> JsonRef<'_> {
        JsonRef::Tape(self.on_tape())
    }
}

impl TypedJson for TapeFinding {
    fn to_json(&self) -> Value {
        self.on_tape().to_value()
    }

    fn member(&self, key: &str) -> Option<Data> {
        let member = self.on_tape().get(key)?;
        Some(Data::Json(member.to_value()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An event on its tape, as the state machine's input. Paths read its envelope's members as
/// JSON; `detail` is handed over with its findings as [`TapeFinding`]s, so the Map passes each
/// on to check-seen without a copy.
#[derive(Debug)]
pub struct TapeEvent {
    tape: Arc<JsonTape>,
}

impl TapeEvent {
    /// The event on `tape`; it must have passed `EventOnTape::check`.
    pub fn new(tape: Arc<JsonTape>) -> Self {
        TapeEvent { tape }
    }

    fn detail(&self, detail: TapeRef<'_>) -> Data {
        // Each key once with its last value, as serde_json keeps an object.
        let mut members = BTreeMap::new();
        for (key, value) in detail.members().into_iter().flatten() {
            let member = match key {
                "findings" => match value.items() {
                    Some(items) => Data::array(
                        items
                            .map(|item| {
                                Data::typed(TapeFinding {
                                    tape: Arc::clone(&self.tape),
                                    position: item.position(),
                                })
                            })
                            .collect(),
                    ),
                    None => Data::Json(value.to_value()),
                },
                _ => Data::Json(value.to_value()),
            };
            members.insert(key.to_owned(), member);
        }
        Data::object(members)
    }
}

impl TypedJson for TapeEvent {
    fn to_json(&self) -> Value {
        self.tape.root().to_value()
    }

    fn member(&self, key: &str) -> Option<Data> {
        let member = self.tape.root().get(key)?;
        Some(match key {
            "detail" => self.detail(member),
            _ => Data::Json(member.to_value()),
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// check-seen's payload when its finding is still on a tape: the finding, and the rest of the
/// payload as JSON.
pub fn finding_apart(input: &Data) -> Option<(&TapeFinding, Value)> {
    let Data::Object(members) = input else {
        return None;
    };
    let finding = members.get("finding")?.as_typed::<TapeFinding>()?;
    #[cfg(debug_assertions)]
    for format in [
        hushhub_core::finding::FindingFormat::Asff,
        hushhub_core::finding::FindingFormat::Ocsf,
    ] {
        let path = "detail.findings[0]";
        assert_eq!(
            Finding::read(finding.json(), format, path),
            Finding::read(&finding.json().to_value(), format, path),
            "a finding read on its tape and as a Value"
        );
    }
    let rest = members
        .iter()
        .filter(|(k, _)| k.as_str() != "finding")
        .map(|(k, m)| (k.clone(), m.to_json().into_owned()))
        .collect();
    Some((finding, Value::Object(rest)))
}
