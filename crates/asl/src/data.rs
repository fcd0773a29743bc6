//! A state's data as the interpreter carries it: JSON, or JSON with typed parts that become JSON
//! only when a path reads into them.
//!
//! Step Functions hands each state JSON text. Here a Task may hand back typed values instead (a
//! finding, a record), which the next Task takes as they are; a path that reads into one gets
//! exactly the JSON `serde_json` would have made of it. Most of a replay's findings are decided
//! without anything reading their typed parts, so they are never turned into JSON at all.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::path::Seg;

/// A typed value that stands for the JSON `serde_json::to_value` makes of it.
pub trait TypedJson: fmt::Debug + Send + Sync + 'static {
    /// The JSON this value stands for.
    fn to_json(&self) -> Value;

    /// One member of the JSON object this value stands for (`None` when it has no such member
    /// or is not an object). Implementations may answer without building the whole object.
    fn member(&self, key: &str) -> Option<Data> {
        json_member(self.to_json(), key)
    }

    /// For a Task invoker to take the typed value back.
    fn as_any(&self) -> &dyn Any;
}

/// The member `key` of `json`, when it is an object that has one: [`TypedJson::member`] for a
/// value that has no quicker way to a member than building all of itself.
pub fn json_member(json: Value, key: &str) -> Option<Data> {
    match json {
        Value::Object(mut members) => members.remove(key).map(Data::Json),
        _ => None,
    }
}

/// JSON, possibly with typed parts.
#[derive(Debug, Clone)]
pub enum Data {
    Json(Value),
    /// An object with at least one member that is not plain JSON.
    Object(BTreeMap<String, Data>),
    /// An array with at least one item that is not plain JSON.
    Array(Vec<Data>),
    Typed(Arc<dyn TypedJson>),
}

/// `null`, for a Map item's context when the item itself has moved on.
pub(crate) static NULL: Data = Data::Json(Value::Null);

impl From<Value> for Data {
    fn from(value: Value) -> Self {
        Data::Json(value)
    }
}

impl Data {
    /// A typed value.
    pub fn typed<T: TypedJson>(value: T) -> Self {
        Data::Typed(Arc::new(value))
    }

    /// An object of these members: plain JSON when they all are.
    pub fn object(members: impl IntoIterator<Item = (String, Data)>) -> Self {
        let members: BTreeMap<String, Data> = members.into_iter().collect();
        if members.values().all(|m| matches!(m, Data::Json(_))) {
            Data::Json(Value::Object(
                members
                    .into_iter()
                    .map(|(k, m)| (k, m.into_json()))
                    .collect(),
            ))
        } else {
            Data::Object(members)
        }
    }

    /// An array of these items: plain JSON when they all are.
    pub fn array(items: Vec<Data>) -> Self {
        if items.iter().all(|i| matches!(i, Data::Json(_))) {
            Data::Json(Value::Array(
                items.into_iter().map(Data::into_json).collect(),
            ))
        } else {
            Data::Array(items)
        }
    }

    /// The JSON this stands for.
    pub fn into_json(self) -> Value {
        match self {
            Data::Json(value) => value,
            Data::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, m)| (k, m.into_json()))
                    .collect::<Map<_, _>>(),
            ),
            Data::Array(items) => Value::Array(items.into_iter().map(Data::into_json).collect()),
            Data::Typed(typed) => typed.to_json(),
        }
    }

    /// The JSON this stands for, borrowed when it is plain JSON.
    pub fn to_json(&self) -> Cow<'_, Value> {
        match self {
            Data::Json(value) => Cow::Borrowed(value),
            other => Cow::Owned(other.clone().into_json()),
        }
    }

    /// The typed value this is, when it is a `T`.
    pub fn as_typed<T: 'static>(&self) -> Option<&T> {
        match self {
            Data::Typed(typed) => typed.as_any().downcast_ref(),
            _ => None,
        }
    }

    /// The items of the array this stands for, as data; `None` when it is not an array.
    pub(crate) fn into_items(self) -> Option<Vec<Data>> {
        let json = match self {
            Data::Array(items) => return Some(items),
            Data::Json(json) => json,
            Data::Typed(typed) => typed.to_json(),
            Data::Object(_) => return None,
        };
        match json {
            Value::Array(items) => Some(items.into_iter().map(Data::Json).collect()),
            _ => None,
        }
    }

    /// A member of this object, as data.
    pub fn get(&self, key: &str) -> Option<Cow<'_, Data>> {
        match self {
            Data::Json(value) => Some(Cow::Owned(Data::Json(value.get(key)?.clone()))),
            Data::Object(members) => members.get(key).map(Cow::Borrowed),
            Data::Array(_) => None,
            Data::Typed(typed) => typed.member(key).map(Cow::Owned),
        }
    }
}

/// What a path selects: a part of the data, borrowed where it can be.
pub(crate) enum Sel<'a> {
    Json(&'a Value),
    Data(&'a Data),
    Owned(Data),
}

impl Sel<'_> {
    /// The selected part as JSON.
    pub fn value(&self) -> Cow<'_, Value> {
        match self {
            Sel::Json(value) => Cow::Borrowed(value),
            Sel::Data(data) => data.to_json(),
            Sel::Owned(data) => data.to_json(),
        }
    }

    /// Whether the selected part is an object, without turning typed parts into JSON unless
    /// they are the part.
    fn is_object(&self) -> bool {
        match self {
            Sel::Json(value) => value.is_object(),
            Sel::Data(Data::Json(value)) => value.is_object(),
            Sel::Owned(Data::Json(value)) => value.is_object(),
            Sel::Data(Data::Object(_)) | Sel::Owned(Data::Object(_)) => true,
            Sel::Data(Data::Array(_)) | Sel::Owned(Data::Array(_)) => false,
            Sel::Data(Data::Typed(typed)) | Sel::Owned(Data::Typed(typed)) => {
                typed.to_json().is_object()
            }
        }
    }

    /// The selected part, copied out (a typed part is shared, not copied).
    pub fn into_data(self) -> Data {
        match self {
            Sel::Json(value) => Data::Json(value.clone()),
            Sel::Data(data) => data.clone(),
            Sel::Owned(data) => data,
        }
    }
}

fn step_json<'a>(value: &'a Value, seg: &Seg) -> Option<&'a Value> {
    match seg {
        Seg::Field(name) => value.as_object()?.get(name),
        Seg::Index(i) => value.as_array()?.get(*i),
    }
}

fn step_typed(typed: &dyn TypedJson, seg: &Seg) -> Option<Data> {
    match seg {
        Seg::Field(name) => typed.member(name),
        Seg::Index(i) => match typed.to_json() {
            Value::Array(mut items) if *i < items.len() => Some(Data::Json(items.swap_remove(*i))),
            _ => None,
        },
    }
}

pub(crate) fn select<'a>(data: &'a Data, segs: &[Seg]) -> Option<Sel<'a>> {
    let mut current = data;
    for (at, seg) in segs.iter().enumerate() {
        current = match current {
            Data::Json(value) => return json_at(value, &segs[at..]).map(Sel::Json),
            Data::Object(members) => match seg {
                Seg::Field(name) => members.get(name)?,
                Seg::Index(_) => return None,
            },
            Data::Array(items) => match seg {
                Seg::Index(i) => items.get(*i)?,
                Seg::Field(_) => return None,
            },
            // A typed value's member is made for this read, so the rest is taken from it.
            Data::Typed(typed) => {
                let member = step_typed(typed.as_ref(), seg)?;
                return take(member, &segs[at + 1..]).map(Sel::Owned);
            }
        };
    }
    Some(Sel::Data(current))
}

fn json_at<'a>(mut value: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    for seg in segs {
        value = step_json(value, seg)?;
    }
    Some(value)
}

fn json_at_mut<'a>(mut value: &'a mut Value, segs: &[Seg]) -> Option<&'a mut Value> {
    for seg in segs {
        value = match seg {
            Seg::Field(name) => value.as_object_mut()?.get_mut(name)?,
            Seg::Index(i) => value.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(value)
}

/// Moves the selected part out of `data`.
pub(crate) fn take(mut data: Data, segs: &[Seg]) -> Option<Data> {
    for (at, seg) in segs.iter().enumerate() {
        data = match data {
            Data::Json(mut value) => {
                return json_at_mut(&mut value, &segs[at..]).map(|part| Data::Json(part.take()));
            }
            Data::Object(mut members) => match seg {
                Seg::Field(name) => members.remove(name)?,
                Seg::Index(_) => return None,
            },
            Data::Array(mut items) => match seg {
                Seg::Index(i) if *i < items.len() => items.swap_remove(*i),
                _ => return None,
            },
            Data::Typed(typed) => step_typed(typed.as_ref(), seg)?,
        };
    }
    Some(data)
}

/// Moves the selected part out of `data`, leaving `null` in its place.
pub(crate) fn take_in_place(data: &mut Data, segs: &[Seg]) -> Option<Data> {
    let mut current = data;
    for (at, seg) in segs.iter().enumerate() {
        current = match current {
            Data::Json(value) => {
                return json_at_mut(value, &segs[at..]).map(|part| Data::Json(part.take()));
            }
            Data::Object(members) => match seg {
                Seg::Field(name) => members.get_mut(name)?,
                Seg::Index(_) => return None,
            },
            Data::Array(items) => match seg {
                Seg::Index(i) => items.get_mut(*i)?,
                Seg::Field(_) => return None,
            },
            Data::Typed(typed) => {
                let part = step_typed(typed.as_ref(), seg)?;
                return take(part, &segs[at + 1..]);
            }
        };
    }
    Some(std::mem::replace(current, Data::Json(Value::Null)))
}

/// The members of `data` as an object of data, so that one of them can be replaced; `Err` when
/// it is not an object.
fn members_mut(data: &mut Data) -> Result<&mut BTreeMap<String, Data>, ()> {
    let members = match data {
        Data::Object(members) => return Ok(members),
        Data::Json(Value::Object(json)) => std::mem::take(json)
            .into_iter()
            .map(|(k, v)| (k, Data::Json(v)))
            .collect(),
        Data::Typed(typed) => match typed.to_json() {
            Value::Object(json) => json.into_iter().map(|(k, v)| (k, Data::Json(v))).collect(),
            _ => return Err(()),
        },
        _ => return Err(()),
    };
    *data = Data::Object(members);
    match data {
        Data::Object(members) => Ok(members),
        _ => Err(()),
    }
}

/// Sets `value` at `segs`, creating missing objects. Leaves `target` as it was when it fails.
pub(crate) fn set(target: &mut Data, segs: &[Seg], value: Data) -> Result<(), ()> {
    let Some((last, parents)) = segs.split_last() else {
        *target = value;
        return Ok(());
    };
    let Seg::Field(last) = last else {
        return Err(());
    };
    if parents.iter().any(|s| matches!(s, Seg::Index(_))) {
        return Err(());
    }
    // Plain JSON into plain JSON: as before, without turning objects into data.
    if let (Data::Json(json), Data::Json(_)) = (&mut *target, &value) {
        let Data::Json(value) = value else {
            return Err(());
        };
        return set_json(json, parents, last, value);
    }
    // Check the whole way first, so that a failure changes nothing.
    if !settable(target, parents) {
        return Err(());
    }
    let mut current = target;
    for seg in parents {
        let Seg::Field(name) = seg else {
            return Err(());
        };
        current = members_mut(current)?
            .entry(name.clone())
            .or_insert_with(|| Data::Json(Value::Object(Map::new())));
    }
    members_mut(current)?.insert(last.clone(), value);
    Ok(())
}

/// Whether every existing step of `parents` is an object (missing ones will be created).
fn settable(target: &Data, parents: &[Seg]) -> bool {
    let mut current = Some(Sel::Data(target));
    for seg in parents {
        let Some(sel) = current else {
            return true;
        };
        if !sel.is_object() {
            return false;
        }
        current = match sel {
            Sel::Json(value) => step_json(value, seg).map(Sel::Json),
            Sel::Data(data) => select(data, std::slice::from_ref(seg)),
            Sel::Owned(data) => take(data, std::slice::from_ref(seg)).map(Sel::Owned),
        };
    }
    current.is_none_or(|sel| sel.is_object())
}

fn set_json(target: &mut Value, parents: &[Seg], last: &str, value: Value) -> Result<(), ()> {
    let mut current = target;
    for seg in parents {
        let Seg::Field(name) = seg else {
            return Err(());
        };
        current = current
            .as_object_mut()
            .ok_or(())?
            .entry(name.as_str())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    current
        .as_object_mut()
        .ok_or(())?
        .insert(last.to_owned(), value);
    Ok(())
}
