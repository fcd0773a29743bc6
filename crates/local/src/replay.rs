//! The local pipeline: `statemachine/pipeline.asl.json` itself, run by the `hushhub-asl`
//! interpreter, with its Task states answered by the same handlers the Lambdas run.
//!
//! Payloads cross each Task boundary as JSON, as they do through Lambda, so a contract mismatch
//! between the definition and a handler shows up here first. The one exception is speed: the
//! event's raw findings stay on its JSON tape until check-seen reads them, and check-seen's
//! finding and record and each delivery's outcome stay typed until a path reads into them
//! (`crate::typed`). Debug builds check on every call that each stands for exactly the JSON
//! Lambda would carry.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hushhub_asl::{Data, Definition, Execution, ExecutionOptions, TaskFailure, TaskInvoker};
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::finding::{EventOnTape, ImportedEvent};
use hushhub_core::json::JsonTape;
use hushhub_core::ports::{FixedClock, ImageRegistry, Mailer, Summariser};
use hushhub_core::steps::{CheckSeenRequest, DecisionKind, Outcome, RenderRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::SqliteSeenStore;

/// The definition compiled into the binary: the one Terraform deploys.
pub const PIPELINE_DEFINITION: &str = include_str!("../../../statemachine/pipeline.asl.json");

/// The Task resource placeholders of the definition and the functions that answer them.
pub const FUNCTIONS: [(&str, &str); 4] = [
    ("${check_seen_function_arn}", "check-seen"),
    ("${age_check_function_arn}", "age-check"),
    ("${score_and_summarise_function_arn}", "score-and-summarise"),
    ("${render_html_email_function_arn}", "render-html-email"),
];

/// The local pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("the state machine definition is not usable: {0}")]
    Definition(#[from] hushhub_asl::DefinitionError),
    #[error("the definition invokes {0:?}, which no local function answers")]
    UnknownResource(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The ports and settings of the four functions the definition invokes.
pub struct Functions<R, Z, M> {
    pub check_seen: check_seen::Ports<Arc<SqliteSeenStore>, R, Arc<FixedClock>>,
    pub age_check: age_check::Ports<Arc<SqliteSeenStore>, Arc<FixedClock>>,
    pub score_and_summarise: score_and_summarise::Ports<Z, Arc<SqliteSeenStore>>,
    pub render_html_email: render_html_email::Ports<M>,
}

/// What happened to one finding (or to an event that could not be read at all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingResult {
    pub event_id: String,
    pub finding_id: Option<String>,
    /// `new`, `realert`, `suppressed`, `resolved`, `ignored`, `rejected`; or `failed` when the
    /// whole execution failed (its error says why).
    pub decision: String,
    pub reason: String,
    pub severity: Option<String>,
    pub priority: Option<String>,
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The routes that were sent an email, when routes are configured (not in the JSON
    /// otherwise, so a replay without routes reads as it always did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
    /// The finding's title as it arrived, for people reading the replay (not in its JSON).
    #[serde(skip)]
    pub title: Option<String>,
}

impl FindingResult {
    fn rejected(event_id: &str, finding_id: Option<String>, error: String) -> Self {
        Self {
            event_id: event_id.to_owned(),
            finding_id,
            decision: DecisionKind::Rejected.as_str().to_owned(),
            reason: "malformed input".to_owned(),
            severity: None,
            priority: None,
            email: None,
            error: Some(error),
            routes: Vec::new(),
            title: None,
        }
    }

    fn from_outcome(o: Outcome) -> Self {
        Self {
            event_id: o.event_id,
            finding_id: o.finding_id,
            decision: o.decision.as_str().to_owned(),
            reason: o.reason,
            severity: o.severity.map(|s| s.label().to_owned()),
            priority: o.priority.map(|p| p.label().to_owned()),
            email: o.email,
            error: None,
            routes: o.routes,
            title: None,
        }
    }
}

/// The result of one event.
#[derive(Debug, Clone)]
pub struct EventResult {
    pub event_id: String,
    pub time: Option<DateTime<Utc>>,
    pub findings: Vec<FindingResult>,
    /// State transitions of the execution (0 when the event was rejected before it).
    pub state_transitions: u64,
    /// Its output as the interpreter left it (typed outcomes included).
    pub execution: Option<Execution<Data>>,
}

/// The definition and the four functions, ready to run events.
pub struct LocalPipeline<R, Z, M> {
    definition: Definition,
    functions: Functions<R, Z, M>,
    clock: Arc<FixedClock>,
    runtime: tokio::runtime::Runtime,
    /// Names this pipeline's executions apart from any earlier run's on the same state file.
    run_id: String,
    executions: u64,
    /// Keep each execution's trace (for tests and `--trace`).
    pub trace: bool,
}

/// Execution ids are what claims are told apart by (their tokens), so two runs must never reuse
/// one: a replay resumed on an old state file would otherwise take another run's claim for its
/// own. The time and the process id make one that no earlier run on this machine had.
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

impl<R: ImageRegistry, Z: Summariser, M: Mailer> LocalPipeline<R, Z, M> {
    /// Builds the pipeline on `definition` (usually [`PIPELINE_DEFINITION`]). `clock` must be
    /// the clock the functions' ports use: each event sets it to the event's time.
    pub fn new(
        definition: &str,
        functions: Functions<R, Z, M>,
        clock: Arc<FixedClock>,
    ) -> Result<Self, PipelineError> {
        let definition = Definition::from_json(definition)?;
        if let Some(unknown) = definition
            .resources()
            .iter()
            .find(|r| !FUNCTIONS.iter().any(|(p, _)| p == r))
        {
            return Err(PipelineError::UnknownResource(unknown.clone()));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            definition,
            functions,
            clock,
            runtime,
            run_id: new_run_id(),
            executions: 0,
            trace: false,
        })
    }

    /// The functions (and so their ports), e.g. to inspect the store after a run.
    pub fn functions(&self) -> &Functions<R, Z, M> {
        &self.functions
    }

    /// Runs one event given as text. Its findings stay on the event's tape until check-seen
    /// reads them (see [`crate::typed`]); an event whose envelope is wrong is read as a
    /// `Value`, so it is refused exactly as [`LocalPipeline::run_event`] refuses it.
    pub fn run_text(&mut self, text: &str) -> EventResult {
        let tape = match JsonTape::parse(text) {
            Ok(tape) => Arc::new(tape),
            Err(_) => {
                return match serde_json::from_str::<Value>(text) {
                    Ok(value) => self.run_event(value),
                    Err(e) => reject_event("", format!("event: not valid JSON: {e}")),
                };
            }
        };
        #[cfg(debug_assertions)]
        assert_eq!(
            Some(tape.root().to_value()),
            serde_json::from_str::<Value>(text).ok(),
            "an event on its tape and as a Value"
        );
        let Some(event) = EventOnTape::check(tape.root()) else {
            return self.run_event(tape.root().to_value());
        };
        #[cfg(debug_assertions)]
        {
            let checked = ImportedEvent::from_value(tape.root().to_value());
            assert_eq!(
                checked
                    .as_ref()
                    .map(|e| (e.id(), e.time(), e.format()))
                    .ok(),
                Some((event.id(), event.time(), event.format())),
                "an event checked on its tape and as a Value"
            );
        }
        let format = event.format();
        let (ids, titles) = ids_and_titles(event.findings().map(|f| format.id_and_title(f)));
        let (event_id, time) = (event.id().to_owned(), event.time());
        let input = Data::typed(crate::typed::TapeEvent::new(Arc::clone(&tape)));
        self.execute_event(event_id, time, ids, titles, input)
    }

    /// Runs one event: its envelope is checked, the clock moves to its time, and the definition
    /// runs once over it.
    pub fn run_event(&mut self, event: Value) -> EventResult {
        let raw_id = event
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let event = match ImportedEvent::from_value(event) {
            Ok(e) => e,
            Err(e) => return reject_event(&raw_id, e.to_string()),
        };
        let format = event.format();
        let (ids, titles) = ids_and_titles(event.findings().iter().map(|f| format.id_and_title(f)));
        let (event_id, time) = (event.id().to_owned(), event.time());
        self.execute_event(event_id, time, ids, titles, Data::Json(event.into_value()))
    }

    /// Runs the definition once over an event that was checked, with the clock at its time.
    fn execute_event(
        &mut self,
        event_id: String,
        time: Option<DateTime<Utc>>,
        ids: Vec<Option<String>>,
        titles: Vec<Option<String>>,
        input: Data,
    ) -> EventResult {
        if let Some(t) = time {
            self.clock.set(t);
        }
        self.executions += 1;
        let options = ExecutionOptions {
            execution_id: format!(
                "arn:aws:states:local:000000000000:execution:hushhub:{}-{}",
                self.run_id, self.executions
            ),
            trace: self.trace,
            ..Default::default()
        };
        let mut invoker = Invoker {
            functions: &self.functions,
            runtime: &self.runtime,
        };
        let execution = self
            .definition
            .execute_data_with(input, &mut invoker, &options);
        let id = |i: usize| ids.get(i).cloned().flatten();
        let mut findings: Vec<FindingResult> = match execution.output() {
            Some(Data::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| read_data_item(&event_id, id(i), item))
                .collect(),
            Some(Data::Json(Value::Array(items))) => items
                .iter()
                .enumerate()
                .map(|(i, item)| read_item(&event_id, id(i), item))
                .collect(),
            Some(other) => vec![FindingResult::rejected(
                &event_id,
                None,
                format!("unexpected execution output {}", other.to_json()),
            )],
            None => {
                let failure = execution
                    .failure()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                ids.iter()
                    .map(|id| FindingResult {
                        decision: "failed".to_owned(),
                        reason: "the execution failed".to_owned(),
                        ..FindingResult::rejected(&event_id, id.clone(), failure.clone())
                    })
                    .collect()
            }
        };
        for (result, title) in findings.iter_mut().zip(titles) {
            result.title = title;
        }
        EventResult {
            event_id,
            time,
            findings,
            state_transitions: execution.stats.state_transitions,
            execution: Some(execution),
        }
    }
}

/// The findings' ids and titles, owned, for the results.
fn ids_and_titles<'a>(
    found: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> (Vec<Option<String>>, Vec<Option<String>>) {
    found
        .map(|(id, title)| (id.map(str::to_owned), title.map(str::to_owned)))
        .unzip()
}

fn reject_event(event_id: &str, error: String) -> EventResult {
    EventResult {
        event_id: event_id.to_owned(),
        time: None,
        findings: vec![FindingResult::rejected(event_id, None, error)],
        state_transitions: 0,
        execution: None,
    }
}

/// [`read_item`] of an item that may be an outcome left typed (`crate::typed::Typed`).
fn read_data_item(event_id: &str, finding_id: Option<String>, item: &Data) -> FindingResult {
    match item.as_typed::<crate::typed::Typed<Outcome>>() {
        Some(typed) => {
            let result = FindingResult::from_outcome(typed.0.clone());
            #[cfg(debug_assertions)]
            assert_eq!(
                read_item(event_id, finding_id, &item.to_json()),
                result,
                "an outcome read typed and as JSON"
            );
            result
        }
        None => read_item(event_id, finding_id, &item.to_json()),
    }
}

/// One Map item's output: an `Outcome` from a Succeed state, or the `Rejected` Pass state's
/// `{event_id, index, decision, error}` where `error` is the Lambda-style cause. Public so that
/// another runner's output (the differential test) is read exactly as this one's.
pub fn read_item(event_id: &str, finding_id: Option<String>, item: &Value) -> FindingResult {
    if item.get("decision").and_then(Value::as_str) == Some(DecisionKind::Rejected.as_str()) {
        let cause = item.get("error").and_then(Value::as_str).unwrap_or("");
        let message = serde_json::from_str::<Value>(cause)
            .ok()
            .and_then(|c| {
                c.get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| cause.to_owned());
        return FindingResult::rejected(event_id, finding_id, message);
    }
    match Outcome::deserialize(item) {
        Ok(outcome) => FindingResult::from_outcome(outcome),
        Err(e) => FindingResult::rejected(
            event_id,
            finding_id,
            format!("unexpected outcome {item}: {e}"),
        ),
    }
}

/// Answers Task states by calling the handlers, with JSON in and out as Lambda does.
struct Invoker<'a, R, Z, M> {
    functions: &'a Functions<R, Z, M>,
    runtime: &'a tokio::runtime::Runtime,
}

impl<R: ImageRegistry, Z: Summariser, M: Mailer> TaskInvoker for Invoker<'_, R, Z, M> {
    /// check-seen reads its raw finding on the event's tape; check-seen's finding and record,
    /// and age-check's record and outcome, stay typed on their way to the next state (see
    /// [`crate::typed`]); everything else crosses as JSON.
    fn invoke(&mut self, resource: &str, input: &Data) -> Result<Data, TaskFailure> {
        let f = self.functions;
        let json = || input.to_json();
        match FUNCTIONS
            .iter()
            .find(|(p, _)| *p == resource)
            .map(|(_, name)| *name)
        {
            Some("check-seen") => {
                let apart = crate::typed::finding_apart(input);
                let payload = match &apart {
                    Some((_, rest)) => Cow::Borrowed(rest),
                    None => json(),
                };
                let request = match &apart {
                    Some((finding, _)) => CheckSeenRequest::with_finding(&payload, finding.json()),
                    None => CheckSeenRequest::from_value_ref(&payload),
                };
                call_typed(
                    self.runtime,
                    request,
                    |req| check_seen::handle(&f.check_seen, req),
                    |response| match response {
                        check_seen::CheckSeenResponse::Checked(output) => {
                            crate::typed::check_seen_output(*output)
                        }
                        released => serde_json::to_value(released).map(Data::Json),
                    },
                )
            }
            Some("age-check") => call_typed(
                self.runtime,
                crate::typed::age_check_input(input),
                |req| age_check::handle(&f.age_check, req),
                crate::typed::step_decision,
            ),
            Some("score-and-summarise") => call(self.runtime, &json(), |req| {
                score_and_summarise::handle(&f.score_and_summarise, req)
            })
            .map(Data::Json),
            Some("render-html-email") => {
                call_with(self.runtime, RenderRequest::from_value(&json()), |req| {
                    render_html_email::handle_request(&f.render_html_email, req)
                })
                .map(Data::Json)
            }
            _ => Err(TaskFailure::new(
                "States.TaskFailed",
                format!("no local function answers {resource}"),
            )),
        }
    }
}

/// Runs one function (`check-seen`, `age-check`, `score-and-summarise`, `render-html-email`)
/// on a JSON payload exactly as a Task state of the local pipeline does, for `hushhub invoke`.
/// The caller sets the functions' clock first. A failure's `cause` is the Lambda-style
/// `{"errorType","errorMessage"}` text.
pub fn invoke_function<R: ImageRegistry, Z: Summariser, M: Mailer>(
    functions: &Functions<R, Z, M>,
    runtime: &tokio::runtime::Runtime,
    function: &str,
    input: &Value,
) -> Result<Value, TaskFailure> {
    let resource = FUNCTIONS
        .iter()
        .find(|(_, name)| *name == function)
        .map_or(function, |(placeholder, _)| *placeholder);
    Invoker { functions, runtime }
        .invoke(resource, &Data::Json(input.clone()))
        .map(Data::into_json)
}

/// Runs one typed handler on a JSON payload; errors become `{errorType, errorMessage}` causes,
/// as Lambda reports them to Step Functions.
fn call<I, O, E, Fut>(
    runtime: &tokio::runtime::Runtime,
    input: &Value,
    handler: impl FnOnce(I) -> Fut,
) -> Result<Value, TaskFailure>
where
    I: DeserializeOwned,
    O: Serialize,
    E: LambdaError,
    Fut: Future<Output = Result<O, E>>,
{
    call_with(
        runtime,
        I::deserialize(input).map_err(|e| e.to_string()),
        handler,
    )
}

/// Like [`call`], with the input already read into the handler's type.
fn call_with<I, O, E, Fut>(
    runtime: &tokio::runtime::Runtime,
    request: Result<I, String>,
    handler: impl FnOnce(I) -> Fut,
) -> Result<Value, TaskFailure>
where
    O: Serialize,
    E: LambdaError,
    Fut: Future<Output = Result<O, E>>,
{
    call_typed(runtime, request, handler, |output| {
        serde_json::to_value(output)
    })
}

/// Like [`call_with`], with the output turned into the state's data by `into_data`.
fn call_typed<I, O, E, Fut, D>(
    runtime: &tokio::runtime::Runtime,
    request: Result<I, String>,
    handler: impl FnOnce(I) -> Fut,
    into_data: impl FnOnce(O) -> Result<D, serde_json::Error>,
) -> Result<D, TaskFailure>
where
    E: LambdaError,
    Fut: Future<Output = Result<O, E>>,
{
    let failure = |name: &str, message: String| {
        TaskFailure::new(
            name,
            json!({ "errorType": name, "errorMessage": message }).to_string(),
        )
    };
    let request = request.map_err(|e| {
        failure(
            error_names::INVALID_INPUT,
            format!("the step input does not match its contract: {e}"),
        )
    })?;
    match runtime.block_on(handler(request)) {
        Ok(output) => {
            into_data(output).map_err(|e| failure(error_names::INVALID_INPUT, e.to_string()))
        }
        Err(e) => Err(failure(e.error_name(), e.to_string())),
    }
}
