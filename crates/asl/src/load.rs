//! Parses and checks a definition up front, so a run never meets a malformed or unsupported
//! construct halfway through an execution.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::Definition;
use crate::path::{Path, Problem, Seg, Template, TemplateScope};

/// Where in the definition a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The top level (`StartAt`, `States`, …).
    Definition,
    /// A state, by name; problems in a Map's `ItemProcessor` header belong to the Map state.
    State(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Definition => f.write_str("the definition"),
            Self::State(name) => write!(f, "state {name:?}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionError {
    #[error("the definition is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Valid ASL that this interpreter does not implement.
    #[error("{at}: {what} is not supported by the local runner")]
    Unsupported { at: Location, what: String },
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

type Result<T, E = DefinitionError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub start: usize,
    pub states: Vec<State>,
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub name: String,
    /// `None` is an explicit JSON `null`, which makes the effective input `{}`.
    pub input_path: Option<Path>,
    /// `None` is an explicit JSON `null`, which makes the output `{}`.
    pub output_path: Option<Path>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Task {
        resource: String,
        parameters: Option<Template>,
        handling: Handling,
    },
    Map {
        items_path: Path,
        item_selector: Option<Template>,
        processor: Box<Scope>,
        handling: Handling,
        /// The Map's input is dead once its items are handed out (no Retry or Catch needs it,
        /// its result replaces it), so items move into their iterations instead of being copied.
        moves_items: bool,
    },
    Pass {
        parameters: Option<Template>,
        result: Option<Value>,
        result_path: Option<Path>,
        next: Option<usize>,
    },
    Choice {
        choices: Vec<(Rule, usize)>,
        default: Option<usize>,
    },
    Succeed,
    Fail {
        error: Text,
        cause: Text,
    },
}

/// What Task and Map share: shaping the result and handling errors.
#[derive(Debug, Clone)]
pub(crate) struct Handling {
    pub result_selector: Option<Template>,
    /// `None` discards the result (`"ResultPath": null`).
    pub result_path: Option<Path>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub next: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub errors: Vec<String>,
    pub max_attempts: u32,
    pub interval: f64,
    pub backoff: f64,
    pub max_delay: Option<f64>,
    pub full_jitter: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub errors: Vec<String>,
    pub result_path: Option<Path>,
    pub next: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Text {
    Fixed(String),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Test(Path, Test),
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// `IsPresent`: the one test that a missing variable does not fail.
    Present(bool),
    /// `IsNull`, `IsString`, `IsNumeric`, `IsBoolean`, with the expected answer.
    Is(fn(&Value) -> bool, bool),
    /// A comparator: its operand, how it orders two values (`None` when their types do not
    /// fit, which makes the comparison false), and which orderings pass.
    Compare(Operand, Order, fn(Ordering) -> bool),
}

pub(crate) type Order = fn(&Value, &Value) -> Option<Ordering>;

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Literal(Value),
    Path(Path),
}

pub(crate) fn load(text: &str) -> Result<Definition> {
    let value: Value = serde_json::from_str(text)?;
    let at = Location::Definition;
    let top = "Comment StartAt States Version TimeoutSeconds QueryLanguage";
    let f = Fields::new(&at, String::new(), &value, top)?;
    if let Some(lang) = f.str("QueryLanguage")?.filter(|l| *l != "JSONPath") {
        return Err(f.unsupported("QueryLanguage", &format!("{lang:?}")));
    }
    if let Some(version) = f.str("Version")?.filter(|v| *v != "1.0") {
        return Err(f.invalid("Version", &format!("must be \"1.0\", not {version:?}")));
    }
    f.uint("TimeoutSeconds", 1)?;
    let mut loader = Loader::default();
    let root = loader.scope(&f)?;
    Ok(Definition {
        root,
        resources: loader.resources.into_iter().collect(),
        uses_execution_input: loader.uses_execution_input,
    })
}

#[derive(Default)]
struct Loader {
    names: HashSet<String>,
    resources: BTreeSet<String>,
    uses_execution_input: bool,
}

impl Loader {
    /// Loads `StartAt` and `States` from `f`: the definition itself or a Map's processor.
    fn scope(&mut self, f: &Fields<'_>) -> Result<Scope> {
        let start = f.required_str("StartAt")?;
        let states = f
            .get("States")
            .and_then(Value::as_object)
            .filter(|states| !states.is_empty())
            .ok_or_else(|| f.invalid("States", "must be a non-empty object"))?;
        let index: HashMap<&str, usize> = states
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        let start = *index
            .get(start)
            .ok_or_else(|| f.invalid("StartAt", &format!("names no state: {start:?}")))?;
        let mut loaded = Vec::with_capacity(states.len());
        for (name, value) in states {
            if !self.names.insert(name.clone()) {
                return Err(invalid(
                    &Location::State(name.clone()),
                    "the state name is used twice",
                ));
            }
            loaded.push(self.state(name, value, &index)?);
        }
        let scope = Scope {
            start,
            states: loaded,
        };
        check_reachable(&scope)?;
        Ok(scope)
    }

    fn state(&mut self, name: &str, value: &Value, index: &HashMap<&str, usize>) -> Result<State> {
        let at = Location::State(name.to_owned());
        let kind = value.get("Type").and_then(Value::as_str);
        let allowed = match kind {
            Some("Task") => {
                "Resource Parameters ResultSelector ResultPath InputPath OutputPath Retry Catch Next End TimeoutSeconds"
            }
            Some("Map") => {
                "ItemsPath ItemSelector Parameters ItemProcessor Iterator MaxConcurrency ResultSelector ResultPath InputPath OutputPath Retry Catch Next End"
            }
            Some("Pass") => "Parameters Result ResultPath InputPath OutputPath Next End",
            Some("Choice") => "Choices Default InputPath OutputPath",
            Some("Succeed") => "InputPath OutputPath",
            Some("Fail") => "Error Cause ErrorPath CausePath",
            Some(other) => {
                let what = format!("state type {other:?}");
                return Err(DefinitionError::Unsupported { at, what });
            }
            None => return Err(invalid(&at, "field \"Type\" must be a string")),
        };
        let f = Fields::new(
            &at,
            String::new(),
            value,
            &format!("Type Comment {allowed}"),
        )?;
        let target = |key: &str, name: &str| {
            index
                .get(name)
                .copied()
                .ok_or_else(|| f.invalid(key, &format!("names no state in its scope: {name:?}")))
        };
        let next = || -> Result<Option<usize>> {
            match (f.str("Next")?, f.get("End")) {
                (Some(name), None) => target("Next", name).map(Some),
                (None, Some(Value::Bool(true))) => Ok(None),
                _ => Err(invalid(
                    &at,
                    "needs exactly one of \"Next\" or \"End\": true",
                )),
            }
        };
        let kind = match kind {
            Some("Task") => {
                f.uint("TimeoutSeconds", 1)?;
                let resource = f.required_str("Resource")?.to_owned();
                self.resources.insert(resource.clone());
                Kind::Task {
                    resource,
                    parameters: self.template(&f, "Parameters", false)?,
                    handling: self.handling(&f, next()?, &target)?,
                }
            }
            Some("Map") => {
                let selector = one_of(&f, "ItemSelector", "Parameters")?;
                let processor = one_of(&f, "ItemProcessor", "Iterator")?
                    .ok_or_else(|| invalid(&at, "needs an \"ItemProcessor\""))?;
                f.uint("MaxConcurrency", 0)?;
                let items_path = f
                    .path("ItemsPath")?
                    .ok_or_else(|| f.invalid("ItemsPath", "must not be null"))?;
                let item_selector = match selector {
                    Some(key) => self.template(&f, key, true)?,
                    None => None,
                };
                let handling = self.handling(&f, next()?, &target)?;
                let moves_items = handling.retry.is_empty()
                    && handling.catch.is_empty()
                    && handling.result_path.as_ref().is_some_and(Path::is_root)
                    && item_selector
                        .as_ref()
                        .is_none_or(|t| t.can_move_item(&items_path));
                Kind::Map {
                    items_path,
                    item_selector,
                    processor: Box::new(self.processor(&f, processor)?),
                    handling,
                    moves_items,
                }
            }
            Some("Pass") => Kind::Pass {
                parameters: self.template(&f, "Parameters", false)?,
                result: f.get("Result").cloned(),
                result_path: f.result_path("ResultPath")?,
                next: next()?,
            },
            Some("Choice") => {
                let choices = f
                    .get("Choices")
                    .and_then(Value::as_array)
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| f.invalid("Choices", "must be a non-empty array"))?;
                let choices = choices
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| {
                        let rf = Fields::new(&at, format!("Choices[{i}]."), rule, "")?;
                        let next = rf.required_str("Next")?;
                        Ok((rule_of(&rf, true)?, target(&rf.name("Next"), next)?))
                    })
                    .collect::<Result<_>>()?;
                let default = f
                    .str("Default")?
                    .map(|name| target("Default", name))
                    .transpose()?;
                Kind::Choice { choices, default }
            }
            Some("Succeed") => Kind::Succeed,
            _ => Kind::Fail {
                error: text_of(&f, "Error", "ErrorPath")?,
                cause: text_of(&f, "Cause", "CausePath")?,
            },
        };
        Ok(State {
            name: name.to_owned(),
            input_path: f.path("InputPath")?,
            output_path: f.path("OutputPath")?,
            kind,
        })
    }

    fn processor(&mut self, map: &Fields<'_>, key: &str) -> Result<Scope> {
        let value = map.get(key).unwrap_or(&Value::Null);
        let allowed = "Comment StartAt States ProcessorConfig";
        let f = Fields::new(map.at, format!("{key}."), value, allowed)?;
        if let Some(config) = f.get("ProcessorConfig") {
            let cf = Fields::new(map.at, f.name("ProcessorConfig."), config, "Mode")?;
            if let Some(mode) = cf.str("Mode")?.filter(|m| *m != "INLINE") {
                return Err(cf.unsupported("Mode", &format!("{mode:?}")));
            }
        }
        self.scope(&f)
    }

    fn template(&mut self, f: &Fields<'_>, key: &str, map_item: bool) -> Result<Option<Template>> {
        let Some(value) = f.get(key) else {
            return Ok(None);
        };
        let mut scope = TemplateScope {
            map_item,
            uses_execution_input: false,
        };
        let template = Template::compile(value, &mut scope).map_err(|p| f.problem(key, p))?;
        self.uses_execution_input |= scope.uses_execution_input;
        Ok(Some(template))
    }

    fn handling(
        &mut self,
        f: &Fields<'_>,
        next: Option<usize>,
        target: &dyn Fn(&str, &str) -> Result<usize>,
    ) -> Result<Handling> {
        let list = |key: &str| match f.get(key) {
            None => Ok(&[][..]),
            Some(Value::Array(items)) => Ok(items.as_slice()),
            Some(_) => Err(f.invalid(key, "must be an array")),
        };
        let retriers = list("Retry")?;
        let retry = retriers
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let allowed = "ErrorEquals IntervalSeconds MaxAttempts BackoffRate MaxDelaySeconds JitterStrategy Comment";
                let rf = Fields::new(f.at, format!("Retry[{i}]."), value, allowed)?;
                let backoff = rf.number("BackoffRate")?.unwrap_or(2.0);
                if backoff < 1.0 {
                    return Err(rf.invalid("BackoffRate", "must be at least 1.0"));
                }
                let full_jitter = match rf.str("JitterStrategy")? {
                    None | Some("NONE") => false,
                    Some("FULL") => true,
                    Some(_) => return Err(rf.invalid("JitterStrategy", "must be FULL or NONE")),
                };
                let max_attempts = rf.uint("MaxAttempts", 0)?.unwrap_or(3);
                Ok(Retrier {
                    errors: error_equals(&rf, i + 1 == retriers.len())?,
                    max_attempts: u32::try_from(max_attempts)
                        .map_err(|_| rf.invalid("MaxAttempts", "is too large"))?,
                    interval: rf.uint("IntervalSeconds", 1)?.unwrap_or(1) as f64,
                    backoff,
                    max_delay: rf.uint("MaxDelaySeconds", 1)?.map(|s| s as f64),
                    full_jitter,
                })
            })
            .collect::<Result<_>>()?;
        let catchers = list("Catch")?;
        let catch = catchers
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let allowed = "ErrorEquals Next ResultPath Comment";
                let cf = Fields::new(f.at, format!("Catch[{i}]."), value, allowed)?;
                Ok(Catcher {
                    errors: error_equals(&cf, i + 1 == catchers.len())?,
                    result_path: cf.result_path("ResultPath")?,
                    next: target(&cf.name("Next"), cf.required_str("Next")?)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Handling {
            result_selector: self.template(f, "ResultSelector", false)?,
            result_path: f.result_path("ResultPath")?,
            retry,
            catch,
            next,
        })
    }
}

fn one_of<'k>(f: &Fields<'_>, key: &'k str, legacy: &'k str) -> Result<Option<&'k str>> {
    match (f.get(key), f.get(legacy)) {
        (Some(_), Some(_)) => Err(f.invalid(legacy, &format!("cannot be used with {key:?}"))),
        (Some(_), None) => Ok(Some(key)),
        (None, Some(_)) => Ok(Some(legacy)),
        (None, None) => Ok(None),
    }
}

fn text_of(f: &Fields<'_>, key: &str, path_key: &str) -> Result<Text> {
    match (f.str(key)?, f.str(path_key)?) {
        (Some(_), Some(_)) => Err(f.invalid(path_key, &format!("cannot be used with {key:?}"))),
        (_, Some(path)) => Path::parse(path)
            .map(Text::Path)
            .map_err(|p| f.problem(path_key, p)),
        (text, None) => Ok(Text::Fixed(text.unwrap_or_default().to_owned())),
    }
}

fn error_equals(f: &Fields<'_>, last: bool) -> Result<Vec<String>> {
    let errors: Vec<String> = f
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .filter(|names| !names.is_empty())
        .and_then(|names| {
            names
                .iter()
                .map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| f.invalid("ErrorEquals", "must be a non-empty array of error names"))?;
    if errors.iter().any(|e| e == "States.ALL") && (errors.len() > 1 || !last) {
        let message = "may name \"States.ALL\" only alone and in the last retrier or catcher";
        return Err(f.invalid("ErrorEquals", message));
    }
    Ok(errors)
}

/// Parses a Choice rule; only top-level rules carry `Next`.
fn rule_of(f: &Fields<'_>, top: bool) -> Result<Rule> {
    let mut variable = None;
    let mut found: Option<(&str, &Value)> = None;
    for (key, value) in f.map {
        match key.as_str() {
            "Comment" => {}
            "Next" if top => {}
            "Next" => return Err(f.invalid(key, "is only allowed on a top-level Choice rule")),
            "Variable" => variable = Some(f.str(key)?.unwrap_or_default()),
            other if found.is_some() => {
                return Err(f.invalid(other, "is a second condition; use And/Or"));
            }
            other => found = Some((other, value)),
        }
    }
    let Some((key, value)) = found else {
        return Err(invalid(f.at, &format!("{}rule has no condition", f.prefix)));
    };
    let nested = |i: Option<usize>, value: &Value| {
        let prefix = match i {
            Some(i) => format!("{}{key}[{i}].", f.prefix),
            None => format!("{}{key}.", f.prefix),
        };
        rule_of(&Fields::new(f.at, prefix, value, "")?, false)
    };
    if matches!(key, "And" | "Or" | "Not") && variable.is_some() {
        return Err(f.invalid("Variable", &format!("cannot be used with {key:?}")));
    }
    let rules = || -> Result<Vec<Rule>> {
        let items = value
            .as_array()
            .filter(|items| !items.is_empty())
            .ok_or_else(|| f.invalid(key, "must be a non-empty array of rules"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| nested(Some(i), v))
            .collect()
    };
    match key {
        "And" => return Ok(Rule::And(rules()?)),
        "Or" => return Ok(Rule::Or(rules()?)),
        "Not" => return Ok(Rule::Not(Box::new(nested(None, value)?))),
        _ => {}
    }
    let variable = variable.ok_or_else(|| f.invalid(key, "needs a \"Variable\""))?;
    let variable = Path::parse(variable).map_err(|p| f.problem("Variable", p))?;
    let expected = || {
        value
            .as_bool()
            .ok_or_else(|| f.invalid(key, "must be a boolean"))
    };
    let test = match key {
        "IsPresent" => Test::Present(expected()?),
        "IsNull" => Test::Is(Value::is_null, expected()?),
        "IsString" => Test::Is(Value::is_string, expected()?),
        "IsNumeric" => Test::Is(Value::is_number, expected()?),
        "IsBoolean" => Test::Is(Value::is_boolean, expected()?),
        _ => {
            let (base, by_path) = key.strip_suffix("Path").map_or((key, false), |b| (b, true));
            let kinds: [(&str, Order); 3] = [
                ("String", strings),
                ("Numeric", numbers),
                ("Boolean", booleans),
            ];
            let unsupported = || f.unsupported(key, "comparison operator");
            let (order, op) = kinds
                .into_iter()
                .find_map(|(prefix, order)| Some((order, base.strip_prefix(prefix)?)))
                .ok_or_else(unsupported)?;
            let accept: fn(Ordering) -> bool = match op {
                "Equals" => Ordering::is_eq,
                _ if base.starts_with("Boolean") => return Err(unsupported()),
                "LessThan" => Ordering::is_lt,
                "GreaterThan" => Ordering::is_gt,
                "LessThanEquals" => Ordering::is_le,
                "GreaterThanEquals" => Ordering::is_ge,
                _ => return Err(unsupported()),
            };
            let operand = match value.as_str() {
                Some(path) if by_path => {
                    Operand::Path(Path::parse(path).map_err(|p| f.problem(key, p))?)
                }
                // A literal fits the comparator when it can be ordered against itself.
                _ if !by_path && order(value, value).is_some() => Operand::Literal(value.clone()),
                _ => return Err(f.invalid(key, "has a value of the wrong type")),
            };
            Test::Compare(operand, order, accept)
        }
    };
    Ok(Rule::Test(variable, test))
}

fn strings(a: &Value, b: &Value) -> Option<Ordering> {
    Some(a.as_str()?.cmp(b.as_str()?))
}

fn booleans(a: &Value, b: &Value) -> Option<Ordering> {
    Some(a.as_bool()?.cmp(&b.as_bool()?))
}

/// Integers compare exactly; anything else as `f64`.
fn numbers(a: &Value, b: &Value) -> Option<Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn check_reachable(scope: &Scope) -> Result<()> {
    let mut seen = vec![false; scope.states.len()];
    let mut todo = vec![scope.start];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        match &scope.states[i].kind {
            Kind::Task { handling, .. } | Kind::Map { handling, .. } => {
                todo.extend(handling.next);
                todo.extend(handling.catch.iter().map(|c| c.next));
            }
            Kind::Pass { next, .. } => todo.extend(*next),
            Kind::Choice { choices, default } => {
                todo.extend(choices.iter().map(|(_, next)| *next));
                todo.extend(*default);
            }
            Kind::Succeed | Kind::Fail { .. } => {}
        }
    }
    match seen.iter().position(|reached| !reached) {
        Some(i) => Err(invalid(
            &Location::State(scope.states[i].name.clone()),
            "is not reachable from StartAt",
        )),
        None => Ok(()),
    }
}

fn invalid(at: &Location, message: &str) -> DefinitionError {
    DefinitionError::Invalid {
        at: at.clone(),
        message: message.to_owned(),
    }
}

/// One JSON object of the definition, with the location and field prefix its errors name.
struct Fields<'a> {
    at: &'a Location,
    prefix: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// `allowed` lists the permitted keys, space-separated; empty skips the check, for objects
    /// whose keys are checked by hand.
    fn new(at: &'a Location, prefix: String, value: &'a Value, allowed: &str) -> Result<Self> {
        let Some(map) = value.as_object() else {
            let what = prefix.strip_suffix('.').unwrap_or("the state");
            return Err(invalid(at, &format!("{what} must be a JSON object")));
        };
        let f = Self { at, prefix, map };
        match map
            .keys()
            .find(|key| !allowed.is_empty() && !allowed.split(' ').any(|a| a == key.as_str()))
        {
            Some(key) => Err(DefinitionError::Unsupported {
                at: at.clone(),
                what: format!("field {:?}", f.name(key)),
            }),
            None => Ok(f),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn invalid(&self, key: &str, message: &str) -> DefinitionError {
        invalid(self.at, &format!("field {:?} {message}", self.name(key)))
    }

    fn unsupported(&self, key: &str, value: &str) -> DefinitionError {
        let what = format!("{value} in field {:?}", self.name(key));
        DefinitionError::Unsupported {
            at: self.at.clone(),
            what,
        }
    }

    fn problem(&self, key: &str, problem: Problem) -> DefinitionError {
        match problem {
            Problem::Unsupported(what) => self.unsupported(key, &what),
            Problem::Invalid(message) => {
                invalid(self.at, &format!("field {:?}: {message}", self.name(key)))
            }
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(key, "must be a string")),
        }
    }

    fn required_str(&self, key: &str) -> Result<&'a str> {
        self.str(key)?
            .ok_or_else(|| self.invalid(key, "is required"))
    }

    fn uint(&self, key: &str, min: u64) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => match value.as_u64().filter(|n| *n >= min) {
                Some(n) => Ok(Some(n)),
                None => Err(self.invalid(key, &format!("must be an integer of at least {min}"))),
            },
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)
            .map(|value| {
                value
                    .as_f64()
                    .ok_or_else(|| self.invalid(key, "must be a number"))
            })
            .transpose()
    }

    /// `InputPath`-style: absent means `$`, `null` gives `None`.
    fn path(&self, key: &str) -> Result<Option<Path>> {
        match self.get(key) {
            None => Ok(Some(Path {
                text: "$".to_owned(),
                segs: Vec::new(),
            })),
            Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Path::parse(text)
                .map(Some)
                .map_err(|p| self.problem(key, p)),
            Some(_) => Err(self.invalid(key, "must be a path or null")),
        }
    }

    fn result_path(&self, key: &str) -> Result<Option<Path>> {
        let path = self.path(key)?;
        if path
            .iter()
            .flat_map(|p| &p.segs)
            .any(|s| matches!(s, Seg::Index(_)))
        {
            return Err(self.unsupported(key, "an array index"));
        }
        Ok(path)
    }
}
