//! JSON read without building a `serde_json::Value` tree: a [`JsonTape`] is a document parsed
//! into one flat list of nodes that borrow their strings from the document's text, and a
//! [`JsonRef`] reads either kind alike, so findings have one reader.
//!
//! Most deliveries are duplicates: their raw finding is read once for about forty fields and
//! dropped. As a `Value` tree it costs a map node and a `String` per member to build and as
//! many to free, more than reading it; a tape costs a few allocations per event. The tape
//! stands for exactly the `Value` serde_json would make of the same text (the same parser runs;
//! a repeated key keeps its last value), and [`JsonRef::to_value`] makes that `Value` when
//! something needs it whole.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON document parsed into a flat list of nodes, in document order.
#[derive(Debug)]
pub struct JsonTape {
    text: Box<str>,
    /// Strings that had escapes, unescaped (the others are spans of `text`).
    unescaped: String,
    nodes: Vec<Node>,
    /// Each object's members, contiguous, in document order.
    members: Vec<Member>,
}

/// One member of an object: where its key and value nodes are, and the key's length, which
/// tells most keys apart before their text is compared.
#[derive(Debug, Clone, Copy)]
struct Member {
    key: u32,
    key_len: u32,
    value: u32,
}

/// One node. A container is followed by its children (an object's as key, value, key, …)
/// and records where its last descendant ends, so readers can step over it.
#[derive(Debug, Clone, Copy)]
enum Node {
    Null,
    Bool(bool),
    PosInt(u64),
    NegInt(i64),
    Float(f64),
    /// A span of the text.
    Text {
        at: u32,
        len: u32,
    },
    /// A span of `unescaped`.
    Unescaped {
        at: u32,
        len: u32,
    },
    /// `len` items.
    Array {
        len: u32,
        end: u32,
    },
    /// Its members are `members[first..first + len]`.
    Object {
        first: u32,
        len: u32,
        end: u32,
    },
}

/// The text could not be read as one JSON document.
#[derive(Debug, thiserror::Error)]
pub enum TapeError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("a JSON document of {0} bytes is more than a tape can index")]
    TooLarge(usize),
}

impl JsonTape {
    /// Parses `text` as serde_json does (`serde_json::from_str::<Value>` accepts the same texts).
    pub fn parse(text: &str) -> Result<JsonTape, TapeError> {
        // Every node and span is within the text, so u32 offsets hold for any event (EventBridge
        // caps them at 256 KB).
        if u32::try_from(text.len()).is_err() {
            return Err(TapeError::TooLarge(text.len()));
        }
        let mut builder = Builder {
            text,
            unescaped: String::new(),
            nodes: Vec::with_capacity(text.len() / 16),
            members: Vec::with_capacity(text.len() / 64),
            open_members: Vec::new(),
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        (&mut builder).deserialize(&mut deserializer)?;
        deserializer.end()?;
        let Builder {
            unescaped,
            nodes,
            members,
            ..
        } = builder;
        Ok(JsonTape {
            text: text.into(),
            unescaped,
            nodes,
            members,
        })
    }

    /// The document's top-level value.
    pub fn root(&self) -> TapeRef<'_> {
        TapeRef { tape: self, at: 0 }
    }

    fn node(&self, at: u32) -> Node {
        self.nodes.get(at as usize).copied().unwrap_or(Node::Null)
    }

    /// The index just past the node at `at` and its descendants.
    fn end(&self, at: u32) -> u32 {
        match self.node(at) {
            Node::Array { end, .. } | Node::Object { end, .. } => end,
            _ => at + 1,
        }
    }

    fn str_at(&self, at: u32) -> Option<&str> {
        let (source, at, len) = match self.node(at) {
            Node::Text { at, len } => (&*self.text, at, len),
            Node::Unescaped { at, len } => (self.unescaped.as_str(), at, len),
            _ => return None,
        };
        source.get(at as usize..at as usize + len as usize)
    }
}

/// Builds a tape as serde_json's parser visits the text.
struct Builder<'t> {
    text: &'t str,
    unescaped: String,
    nodes: Vec<Node>,
    members: Vec<Member>,
    /// The members of the objects still open, innermost last: an object's go to `members`
    /// together when it closes, after those of the objects inside it.
    open_members: Vec<Member>,
}

impl Builder<'_> {
    fn push_str(&mut self, s: &str) -> u32 {
        let text_start = self.text.as_ptr() as usize;
        let start = s.as_ptr() as usize;
        // A string without escapes is handed over as a slice of the text itself.
        let node = match start.checked_sub(text_start) {
            Some(offset) if offset + s.len() <= self.text.len() => Node::Text {
                at: offset as u32,
                len: s.len() as u32,
            },
            _ => {
                let at = self.unescaped.len() as u32;
                self.unescaped.push_str(s);
                Node::Unescaped {
                    at,
                    len: s.len() as u32,
                }
            }
        };
        self.nodes.push(node);
        s.len() as u32
    }

    /// Puts the finished node of the container opened at `at`, now that its children are in.
    fn close(&mut self, at: usize, node: Node) {
        if let Some(slot) = self.nodes.get_mut(at) {
            *slot = node;
        }
    }
}

impl<'de> DeserializeSeed<'de> for &mut Builder<'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object's key, which serde_json hands over as a string; its value is the key's length.
struct Key<'b, 't>(&'b mut Builder<'t>);

impl<'de> DeserializeSeed<'de> for Key<'_, 'de> {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, 'de> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<u32, E> {
        Ok(self.0.push_str(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        Ok(self.0.push_str(v))
    }
}

impl<'de> Visitor<'de> for &mut Builder<'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.nodes.push(Node::Null);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.nodes.push(Node::Bool(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.nodes.push(Node::PosInt(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        // As `Number::from(i64)`: a non-negative one is a PosInt.
        self.nodes.push(match u64::try_from(v) {
            Ok(u) => Node::PosInt(u),
            Err(_) => Node::NegInt(v),
        });
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As serde_json's `Value`: a number with no JSON form is null.
        self.nodes.push(match Number::from_f64(v) {
            Some(_) => Node::Float(v),
            None => Node::Null,
        });
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.push_str(v);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.push_str(v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Array { len: 0, end: 0 });
        let mut len = 0;
        while seq.next_element_seed(&mut *self)?.is_some() {
            len += 1;
        }
        let end = self.nodes.len() as u32;
        self.close(at, Node::Array { len, end });
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Object {
            first: 0,
            len: 0,
            end: 0,
        });
        let open = self.open_members.len();
        loop {
            let key = self.nodes.len() as u32;
            let Some(key_len) = map.next_key_seed(Key(&mut *self))? else {
                break;
            };
            let value = self.nodes.len() as u32;
            map.next_value_seed(&mut *self)?;
            self.open_members.push(Member {
                key,
                key_len,
                value,
            });
        }
        let first = self.members.len() as u32;
        self.members.extend(self.open_members.drain(open..));
        let node = Node::Object {
            first,
            len: self.members.len() as u32 - first,
            end: self.nodes.len() as u32,
        };
        self.close(at, node);
        Ok(())
    }
}

/// A place on a tape: one value and its descendants.
#[derive(Debug, Clone, Copy)]
pub struct TapeRef<'a> {
    tape: &'a JsonTape,
    at: u32,
}

impl<'a> TapeRef<'a> {
    fn node(self) -> Node {
        self.tape.node(self.at)
    }

    fn at(self, at: u32) -> TapeRef<'a> {
        TapeRef {
            tape: self.tape,
            at,
        }
    }

    /// Where this value sits on its tape, to find it again with [`JsonTape::at`].
    pub fn position(self) -> u32 {
        self.at
    }

    /// An array's items, in order; `None` for anything else.
    pub fn items(self) -> Option<TapeItems<'a>> {
        match self.node() {
            Node::Array { len, .. } => Some(TapeItems {
                tape: self.tape,
                next: self.at + 1,
                left: len,
            }),
            _ => None,
        }
    }

    /// An object's members in document order, repeated keys included; `None` for anything else.
    pub fn members(self) -> Option<TapeMembers<'a>> {
        Some(TapeMembers {
            tape: self.tape,
            members: self.member_table()?.iter(),
        })
    }

    fn member_table(self) -> Option<&'a [Member]> {
        match self.node() {
            Node::Object { first, len, .. } => self
                .tape
                .members
                .get(first as usize..(first + len) as usize),
            _ => None,
        }
    }

    /// An object's member `key` (its last, if repeated, as serde_json keeps).
    pub fn get(self, key: &str) -> Option<TapeRef<'a>> {
        self.member_table()?
            .iter()
            .rev()
            .find(|m| m.key_len as usize == key.len() && self.tape.str_at(m.key) == Some(key))
            .map(|m| self.at(m.value))
    }

    pub fn as_str(self) -> Option<&'a str> {
        self.tape.str_at(self.at)
    }

    /// The `Value` serde_json makes of the same text.
    pub fn to_value(self) -> Value {
        match self.node() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::PosInt(_) | Node::NegInt(_) | Node::Float(_) => {
                self.number().map_or(Value::Null, Value::Number)
            }
            Node::Text { .. } | Node::Unescaped { .. } => {
                Value::String(self.as_str().unwrap_or_default().to_owned())
            }
            Node::Array { .. } => Value::Array(
                self.items()
                    .into_iter()
                    .flatten()
                    .map(TapeRef::to_value)
                    .collect(),
            ),
            Node::Object { .. } => {
                let mut map = Map::new();
                for (key, value) in self.members().into_iter().flatten() {
                    map.insert(key.to_owned(), value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    fn number(self) -> Option<Number> {
        match self.node() {
            Node::PosInt(u) => Some(Number::from(u)),
            Node::NegInt(i) => Some(Number::from(i)),
            Node::Float(f) => Number::from_f64(f),
            _ => None,
        }
    }
}

/// The items of an array on a tape.
#[derive(Debug, Clone)]
pub struct TapeItems<'a> {
    tape: &'a JsonTape,
    next: u32,
    left: u32,
}

impl<'a> Iterator for TapeItems<'a> {
    type Item = TapeRef<'a>;

    fn next(&mut self) -> Option<TapeRef<'a>> {
        (self.left > 0).then(|| {
            let item = TapeRef {
                tape: self.tape,
                at: self.next,
            };
            self.next = self.tape.end(self.next);
            self.left -= 1;
            item
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for TapeItems<'_> {}

/// The members of an object on a tape.
#[derive(Debug, Clone)]
pub struct TapeMembers<'a> {
    tape: &'a JsonTape,
    members: std::slice::Iter<'a, Member>,
}

impl<'a> Iterator for TapeMembers<'a> {
    type Item = (&'a str, TapeRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let member = self.members.next()?;
        Some((
            self.tape.str_at(member.key).unwrap_or_default(),
            TapeRef {
                tape: self.tape,
                at: member.value,
            },
        ))
    }
}

impl JsonTape {
    /// The value at `position` (from [`TapeRef::position`]).
    pub fn at(&self, position: u32) -> TapeRef<'_> {
        self.root().at(position)
    }
}

/// A value on a tape read by a `Deserialize` type, as it would read the same `Value` (serde_json's
/// `&Value` deserializer), except that a repeated key reaches the type twice (a derived struct
/// refuses that) and enums are refused: a caller that meets an error reads the `Value` instead.
impl<'de> Deserializer<'de> for TapeRef<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.node() {
            Node::Null => visitor.visit_unit(),
            Node::Bool(b) => visitor.visit_bool(b),
            Node::PosInt(u) => visitor.visit_u64(u),
            Node::NegInt(i) => visitor.visit_i64(i),
            Node::Float(f) => visitor.visit_f64(f),
            Node::Text { .. } | Node::Unescaped { .. } => {
                visitor.visit_borrowed_str(self.as_str().unwrap_or_default())
            }
            Node::Array { .. } => {
                let mut items = TapeSeq(self.items().into_iter().flatten());
                let value = visitor.visit_seq(&mut items)?;
                match items.0.count() {
                    0 => Ok(value),
                    left => Err(de::Error::invalid_length(left, &"fewer elements in array")),
                }
            }
            Node::Object { .. } => {
                let mut members = TapeMap {
                    members: self.members().into_iter().flatten(),
                    value: None,
                };
                let value = visitor.visit_map(&mut members)?;
                match members.members.count() {
                    0 => Ok(value),
                    left => Err(de::Error::invalid_length(left, &"fewer elements in map")),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.node() {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("enums are not read on a tape"))
    }

    /// Stepped over without a look: the tape knows where the value ends.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct TapeSeq<'a>(std::iter::Flatten<std::option::IntoIter<TapeItems<'a>>>);

impl<'de> SeqAccess<'de> for &mut TapeSeq<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0.next().map(|item| seed.deserialize(item)).transpose()
    }
}

struct TapeMap<'a> {
    members: std::iter::Flatten<std::option::IntoIter<TapeMembers<'a>>>,
    value: Option<TapeRef<'a>>,
}

impl<'de> MapAccess<'de> for &mut TapeMap<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a map value asked for before its key")),
        }
    }
}

/// Read access to JSON held either as a `serde_json::Value` or on a [`JsonTape`].
#[derive(Debug, Clone, Copy)]
pub enum JsonRef<'a> {
    Value(&'a Value),
    Tape(TapeRef<'a>),
}

impl<'a> From<&'a Value> for JsonRef<'a> {
    fn from(value: &'a Value) -> Self {
        JsonRef::Value(value)
    }
}

impl<'a> From<TapeRef<'a>> for JsonRef<'a> {
    fn from(value: TapeRef<'a>) -> Self {
        JsonRef::Tape(value)
    }
}

/// The JSON types, as [`JsonRef::kind`] tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl JsonKind {
    /// How an error message names the kind: "expected a string, got a number".
    pub fn described(self) -> &'static str {
        match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "a list",
            JsonKind::Object => "an object",
        }
    }
}

impl<'a> JsonRef<'a> {
    pub fn kind(self) -> JsonKind {
        match self {
            JsonRef::Value(v) => match v {
                Value::Null => JsonKind::Null,
                Value::Bool(_) => JsonKind::Bool,
                Value::Number(_) => JsonKind::Number,
                Value::String(_) => JsonKind::String,
                Value::Array(_) => JsonKind::Array,
                Value::Object(_) => JsonKind::Object,
            },
            JsonRef::Tape(t) => match t.node() {
                Node::Null => JsonKind::Null,
                Node::Bool(_) => JsonKind::Bool,
                Node::PosInt(_) | Node::NegInt(_) | Node::Float(_) => JsonKind::Number,
                Node::Text { .. } | Node::Unescaped { .. } => JsonKind::String,
                Node::Array { .. } => JsonKind::Array,
                Node::Object { .. } => JsonKind::Object,
            },
        }
    }

    pub fn is_null(self) -> bool {
        self.kind() == JsonKind::Null
    }

    pub fn is_object(self) -> bool {
        self.kind() == JsonKind::Object
    }

    /// An object's member `key`; `None` when absent or when this is not an object.
    pub fn get(self, key: &str) -> Option<JsonRef<'a>> {
        match self {
            JsonRef::Value(v) => v.get(key).map(JsonRef::Value),
            JsonRef::Tape(t) => t.get(key).map(JsonRef::Tape),
        }
    }

    pub fn as_str(self) -> Option<&'a str> {
        match self {
            JsonRef::Value(v) => v.as_str(),
            JsonRef::Tape(t) => t.as_str(),
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self {
            JsonRef::Value(v) => v.as_bool(),
            JsonRef::Tape(t) => match t.node() {
                Node::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// A number, as serde_json's `Number` (for `as_u64`, `as_i64`, `as_f64` and display).
    pub fn as_number(self) -> Option<Number> {
        match self {
            JsonRef::Value(Value::Number(n)) => Some(n.clone()),
            JsonRef::Value(_) => None,
            JsonRef::Tape(t) => t.number(),
        }
    }

    pub fn as_u64(self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub fn as_i64(self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_f64(self) -> Option<f64> {
        self.as_number()?.as_f64()
    }

    /// An array's items; `None` for anything else.
    pub fn items(self) -> Option<JsonItems<'a>> {
        match self {
            JsonRef::Value(Value::Array(items)) => Some(JsonItems::Value(items.iter())),
            JsonRef::Value(_) => None,
            JsonRef::Tape(t) => t.items().map(JsonItems::Tape),
        }
    }

    /// An object's members as a `serde_json::Map` holds them: sorted by key, a repeated key
    /// once with its last value. `None` for anything else.
    pub fn sorted_members(self) -> Option<Vec<(&'a str, JsonRef<'a>)>> {
        match self {
            JsonRef::Value(Value::Object(map)) => Some(
                map.iter()
                    .map(|(k, v)| (k.as_str(), JsonRef::Value(v)))
                    .collect(),
            ),
            JsonRef::Value(_) => None,
            JsonRef::Tape(t) => {
                let mut members: Vec<(&str, JsonRef<'a>)> =
                    t.members()?.map(|(k, v)| (k, JsonRef::Tape(v))).collect();
                // Stable: of a repeated key, the last one stays last, and is the one kept.
                members.sort_by(|a, b| a.0.cmp(b.0));
                let mut kept: Vec<(&str, JsonRef<'a>)> = Vec::with_capacity(members.len());
                for member in members {
                    match kept.last_mut() {
                        Some(last) if last.0 == member.0 => *last = member,
                        _ => kept.push(member),
                    }
                }
                Some(kept)
            }
        }
    }

    /// The `Value` this stands for.
    pub fn to_value(self) -> Value {
        match self {
            JsonRef::Value(v) => v.clone(),
            JsonRef::Tape(t) => t.to_value(),
        }
    }
}

/// Compared as the JSON they stand for.
impl PartialEq for JsonRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

/// The items of an array, wherever it is held.
#[derive(Debug, Clone)]
pub enum JsonItems<'a> {
    Value(std::slice::Iter<'a, Value>),
    Tape(TapeItems<'a>),
}

impl<'a> Iterator for JsonItems<'a> {
    type Item = JsonRef<'a>;

    fn next(&mut self) -> Option<JsonRef<'a>> {
        match self {
            JsonItems::Value(items) => items.next().map(JsonRef::Value),
            JsonItems::Tape(items) => items.next().map(JsonRef::Tape),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            JsonItems::Value(items) => items.size_hint(),
            JsonItems::Tape(items) => items.size_hint(),
        }
    }
}

impl ExactSizeIterator for JsonItems<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde_json(text: &str) {
        let tape = JsonTape::parse(text).expect("parses");
        let value: Value = serde_json::from_str(text).expect("serde_json parses");
        assert_eq!(tape.root().to_value(), value, "{text}");
    }

    #[test]
    fn a_tape_stands_for_the_value_serde_json_makes() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-3,"g":1.5e3,"h":18446744073709551615}"#,
            r#"{"escaped":"line\nbreak \"quoted\" \u00e9 \ud83d\ude00","k\u0065y":"v"}"#,
            r#"{"repeated":1,"other":2,"repeated":{"last":true}}"#,
            r#"[[],{},[[{}]],"",0,-0,123456789012345678901234567890]"#,
            r#"  "top-level string"  "#,
            "null",
        ] {
            same_as_serde_json(text);
        }
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_value_and_sorts_once() {
        let tape = JsonTape::parse(r#"{"b":1,"a":2,"b":3}"#).expect("parses");
        let root = JsonRef::Tape(tape.root());
        assert_eq!(root.get("b").and_then(JsonRef::as_u64), Some(3));
        let members: Vec<(&str, Option<u64>)> = root
            .sorted_members()
            .expect("an object")
            .into_iter()
            .map(|(k, v)| (k, v.as_u64()))
            .collect();
        assert_eq!(members, vec![("a", Some(2)), ("b", Some(3))]);
    }

    #[test]
    fn a_tape_refuses_what_serde_json_refuses_with_the_same_message() {
        for text in [r#"{"a":}"#, r#"{"a":1} trailing"#, "", r#"["unclosed""#] {
            let tape = JsonTape::parse(text).expect_err("refused").to_string();
            let value = serde_json::from_str::<Value>(text)
                .expect_err("refused")
                .to_string();
            assert_eq!(tape, value, "{text}");
        }
    }

    #[test]
    fn items_and_members_step_over_nested_values() {
        let tape = JsonTape::parse(r#"[{"a":[1,[2]]},3,{"b":{}}]"#).expect("parses");
        let items: Vec<Value> = tape
            .root()
            .items()
            .expect("a list")
            .map(TapeRef::to_value)
            .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1], Value::from(3));
        let last = tape
            .root()
            .items()
            .expect("a list")
            .nth(2)
            .expect("three items");
        assert_eq!(
            last.get("b").map(TapeRef::to_value),
            Some(serde_json::json!({}))
        );
        assert_eq!(tape.at(last.position()).to_value(), items[2]);
    }
}
