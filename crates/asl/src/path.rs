//! JSONPath references and payload templates, compiled once at load time.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::{self, Data, Sel};

/// Why a path or template was refused at load time.
#[derive(Debug)]
pub(crate) enum Problem {
    /// Valid ASL the local runner does not implement; names the feature.
    Unsupported(String),
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Field(String),
    Index(usize),
}

/// A reference path (`$`, `$.a.b`, `$.a[0]`, `$['x']`), kept with its text for error causes.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub text: String,
    pub segs: Vec<Seg>,
}

impl Path {
    /// Parses a path on the state input.
    pub fn parse(text: &str) -> Result<Self, Problem> {
        if text.starts_with("States.") {
            return Err(Problem::Unsupported(format!("intrinsic function {text:?}")));
        }
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| Problem::Invalid(format!("path {text:?} does not start with '$'")))?;
        if rest.starts_with('$') {
            return Err(Problem::Unsupported(format!(
                "context object path {text:?} outside a payload template"
            )));
        }
        Ok(Self {
            text: text.to_owned(),
            segs: parse_segs(text, rest)?,
        })
    }

    pub fn is_root(&self) -> bool {
        self.segs.is_empty()
    }

    /// What this path selects in `data`.
    pub fn select_data<'d>(&self, data: &'d Data) -> Option<Sel<'d>> {
        data::select(data, &self.segs)
    }

    /// Moves the selected part out of `data`, so outputs need no copy.
    pub fn take(&self, data: Data) -> Option<Data> {
        data::take(data, &self.segs)
    }

    /// Moves the selected part out of `data`, leaving `null` in its place.
    pub fn take_in_place(&self, data: &mut Data) -> Option<Data> {
        data::take_in_place(data, &self.segs)
    }

    /// Sets `value` at this path, creating missing objects. Leaves `target` untouched when it
    /// fails, so a failed ResultPath can still be caught against the original input.
    pub fn set(&self, target: &mut Data, value: Data) -> Result<(), ()> {
        data::set(target, &self.segs, value)
    }
}

pub(crate) fn select<'v>(mut value: &'v Value, segs: &[Seg]) -> Option<&'v Value> {
    for seg in segs {
        value = match seg {
            Seg::Field(name) => value.as_object()?.get(name)?,
            Seg::Index(i) => value.as_array()?.get(*i)?,
        };
    }
    Some(value)
}

fn parse_segs(text: &str, mut rest: &str) -> Result<Vec<Seg>, Problem> {
    let unsupported = |what: &str| Problem::Unsupported(format!("{what} in path {text:?}"));
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() {
                return Err(unsupported("recursive descent or an empty field name"));
            }
            if name.contains(['*', '@', '?', '(', ')', '\'', '"', ']', ' ']) {
                return Err(unsupported(&format!("field {name:?}")));
            }
            segs.push(Seg::Field(name.to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after
                .find(']')
                .ok_or_else(|| Problem::Invalid(format!("unclosed '[' in path {text:?}")))?;
            let inner = &after[..end];
            let quoted = ['\'', '"'].iter().find_map(|q| {
                inner
                    .strip_prefix(*q)
                    .and_then(|s| s.strip_suffix(*q))
                    .filter(|s| !s.contains(*q))
            });
            if let Some(name) = quoted {
                segs.push(Seg::Field(name.to_owned()));
            } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                let index = inner
                    .parse()
                    .map_err(|_| unsupported(&format!("index [{inner}]")))?;
                segs.push(Seg::Index(index));
            } else {
                return Err(unsupported(&format!("selector [{inner}]")));
            }
            rest = &after[end + 1..];
        } else {
            return Err(Problem::Invalid(format!(
                "unexpected {rest:?} in path {text:?}"
            )));
        }
    }
    Ok(segs)
}

/// What a `$$` path reads from the context object.
#[derive(Debug, Clone)]
pub(crate) enum ContextRef {
    ExecutionId,
    ExecutionInput(Vec<Seg>),
    StateName,
    MapItemIndex,
    MapItemValue(Vec<Seg>),
}

/// The context object of the state being run, without materialising it as JSON.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub execution_id: &'a str,
    pub execution_input: &'a Value,
    pub state_name: &'a str,
    pub item: Option<(usize, &'a Data)>,
}

/// A payload template (`Parameters`, `ItemSelector`, `ResultSelector`).
#[derive(Debug, Clone)]
pub(crate) enum Template {
    Literal(Value),
    Input(Path),
    Context(ContextRef, String),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

/// What a template may reference, and what it turned out to reference.
pub(crate) struct TemplateScope {
    pub map_item: bool,
    pub uses_execution_input: bool,
}

impl Template {
    pub fn compile(value: &Value, scope: &mut TemplateScope) -> Result<Self, Problem> {
        let template = match value {
            Value::Object(map) => {
                let mut keys = BTreeSet::new();
                let mut fields = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let (name, field) = match key.strip_suffix(".$") {
                        Some(name) => (name, Self::compile_path(key, value, scope)?),
                        None => (key.as_str(), Self::compile(value, scope)?),
                    };
                    if !keys.insert(name) {
                        return Err(Problem::Invalid(format!("field {name:?} appears twice")));
                    }
                    fields.push((name.to_owned(), field));
                }
                Self::Object(fields)
            }
            Value::Array(items) => Self::Array(
                items
                    .iter()
                    .map(|item| Self::compile(item, scope))
                    .collect::<Result<_, _>>()?,
            ),
            other => Self::Literal(other.clone()),
        };
        let literal = match &template {
            Self::Object(fields) => fields.iter().all(|(_, t)| matches!(t, Self::Literal(_))),
            Self::Array(items) => items.iter().all(|t| matches!(t, Self::Literal(_))),
            _ => false,
        };
        Ok(if literal {
            Self::Literal(value.clone())
        } else {
            template
        })
    }

    fn compile_path(key: &str, value: &Value, scope: &mut TemplateScope) -> Result<Self, Problem> {
        let Some(text) = value.as_str() else {
            return Err(Problem::Invalid(format!("{key:?} must be a path string")));
        };
        let Some(rest) = text.strip_prefix("$$") else {
            return Path::parse(text).map(Self::Input);
        };
        let segs = parse_segs(text, rest)?;
        let field = |i: usize, name: &str| matches!(segs.get(i), Some(Seg::Field(f)) if f == name);
        let context = if field(0, "Execution") && field(1, "Id") && segs.len() == 2 {
            ContextRef::ExecutionId
        } else if field(0, "Execution") && field(1, "Input") {
            scope.uses_execution_input = true;
            ContextRef::ExecutionInput(segs[2..].to_vec())
        } else if field(0, "State") && field(1, "Name") && segs.len() == 2 {
            ContextRef::StateName
        } else if field(0, "Map") && !scope.map_item {
            return Err(Problem::Invalid(format!(
                "context path {text:?} is only available in a Map state's ItemSelector"
            )));
        } else if field(0, "Map") && field(1, "Item") && field(2, "Index") && segs.len() == 3 {
            ContextRef::MapItemIndex
        } else if field(0, "Map") && field(1, "Item") && field(2, "Value") {
            ContextRef::MapItemValue(segs[3..].to_vec())
        } else {
            return Err(Problem::Unsupported(format!(
                "context object path {text:?}"
            )));
        };
        Ok(Self::Context(context, text.to_owned()))
    }

    /// Whether [`Template::eval_moving_item`] may hand a Map item over instead of copying it:
    /// one top-level field takes the whole item, nothing else reads the item, and no input path
    /// reaches into (or contains) the items array, which the Map empties as it goes.
    pub fn can_move_item(&self, items: &Path) -> bool {
        let Self::Object(fields) = self else {
            return false;
        };
        let whole_item = |t: &Template| matches!(t, Self::Context(ContextRef::MapItemValue(segs), _) if segs.is_empty());
        let mut item_refs = 0;
        let mut overlaps = false;
        self.visit(&mut |t| match t {
            Self::Context(ContextRef::MapItemValue(_), _) => item_refs += 1,
            Self::Input(path) => {
                let shared = path.segs.iter().zip(&items.segs).all(|(a, b)| a == b);
                overlaps |= shared;
            }
            _ => {}
        });
        item_refs == 1 && !overlaps && fields.iter().any(|(_, t)| whole_item(t))
    }

    fn visit(&self, f: &mut impl FnMut(&Template)) {
        match self {
            Self::Object(fields) => fields.iter().for_each(|(_, t)| t.visit(f)),
            Self::Array(items) => items.iter().for_each(|t| t.visit(f)),
            leaf => f(leaf),
        }
    }

    /// [`Template::eval`] for a Map item the caller owns: the item moves into the field that
    /// takes it whole. Only for templates [`Template::can_move_item`] accepts.
    pub fn eval_moving_item(
        &self,
        input: &Data,
        ctx: &Ctx<'_>,
        item: Data,
    ) -> Result<Data, String> {
        let Self::Object(fields) = self else {
            return self.eval(input, ctx);
        };
        let mut item = Some(item);
        let mut members = Vec::with_capacity(fields.len());
        for (name, t) in fields {
            let value = match t {
                Self::Context(ContextRef::MapItemValue(segs), _) if segs.is_empty() => {
                    item.take().unwrap_or(Data::Json(Value::Null))
                }
                t => t.eval(input, ctx)?,
            };
            members.push((name.clone(), value));
        }
        Ok(Data::object(members))
    }

    /// Builds the payload, copying only the parts of `input` it references (typed parts are
    /// shared, not copied); `Err` is the cause of a `States.Runtime` error.
    pub fn eval(&self, input: &Data, ctx: &Ctx<'_>) -> Result<Data, String> {
        let missing = |text: &str| format!("the path {text:?} matched nothing in the input");
        Ok(match self {
            Self::Literal(value) => Data::Json(value.clone()),
            Self::Input(path) => path
                .select_data(input)
                .ok_or_else(|| missing(&path.text))?
                .into_data(),
            Self::Context(context, text) => {
                let found = match (context, ctx.item) {
                    (ContextRef::ExecutionId, _) => return Ok(Value::from(ctx.execution_id).into()),
                    (ContextRef::StateName, _) => return Ok(Value::from(ctx.state_name).into()),
                    (ContextRef::MapItemIndex, Some((index, _))) => {
                        return Ok(Value::from(index).into());
                    }
                    (ContextRef::ExecutionInput(segs), _) => {
                        select(ctx.execution_input, segs).map(|v| Data::Json(v.clone()))
                    }
                    (ContextRef::MapItemValue(segs), Some((_, item))) => {
                        data::select(item, segs).map(Sel::into_data)
                    }
                    (ContextRef::MapItemIndex | ContextRef::MapItemValue(_), None) => None,
                };
                found.ok_or_else(|| missing(text))?
            }
            Self::Object(fields) => Data::object(
                fields
                    .iter()
                    .map(|(name, t)| Ok((name.clone(), t.eval(input, ctx)?)))
                    .collect::<Result<Vec<_>, String>>()?,
            ),
            Self::Array(items) => Data::array(
                items
                    .iter()
                    .map(|t| t.eval(input, ctx))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}
