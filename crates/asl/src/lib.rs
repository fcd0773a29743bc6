//! Runs hushhub's Step Functions definition locally: a small, synchronous interpreter for the
//! Amazon States Language (ASL) subset that `statemachine/pipeline.asl.json` uses.
//!
//! The local replay and the tests drive the very definition that is deployed, so the routing,
//! retries and catches they exercise are the deployed ones rather than a hand-written copy.
//!
//! # What is supported
//!
//! * States `Task`, `Pass`, `Choice`, `Succeed`, `Fail` and inline `Map`, with `InputPath`,
//!   `Parameters`, `ResultSelector`, `ResultPath` and `OutputPath` where ASL allows them.
//! * `Retry` (`ErrorEquals`, `MaxAttempts`, `IntervalSeconds`, `BackoffRate`, `MaxDelaySeconds`,
//!   `JitterStrategy`) and `Catch` (`ErrorEquals`, `ResultPath`, `Next`) on `Task` and `Map`.
//! * Choice rules `And`, `Or`, `Not`, `IsPresent`, `IsNull`, `IsString`, `IsNumeric`, `IsBoolean`,
//!   and the `String*`, `Numeric*` and `BooleanEquals` comparators with their `*Path` forms.
//! * JSONPath `$`, `$.a.b`, `$.a[0]`, `$['x']`; context paths `$$.Execution.Id`,
//!   `$$.Execution.Input…`, `$$.State.Name`, and inside a Map's `ItemSelector`
//!   `$$.Map.Item.Index` and `$$.Map.Item.Value…`.
//!
//! Anything else (other state types, intrinsic functions, wildcards, JSONata, distributed Map,
//! `ItemReader`, `ToleratedFailure*`, timestamps, …) is rejected by [`Definition::from_json`]
//! with an error naming the state, never ignored. `TimeoutSeconds` is accepted and ignored:
//! tasks run in-process and their duration is not modelled.
//!
//! # Semantics worth knowing
//!
//! * `Map` iterations run one after another, in item order; `MaxConcurrency` is accepted and
//!   has no effect. An iteration's unhandled error fails the Map state with that error.
//! * Retry waits are virtual: nothing sleeps, the wait is added to
//!   [`ExecutionStats::waited_seconds`]. `FULL` jitter draws from a small generator seeded from
//!   [`ExecutionOptions::jitter_seed`] and the execution id, so a run is reproducible.
//! * As AWS documents, `States.Runtime` (a path that matches nothing, no Choice rule matching)
//!   is never retried or caught, not even by `States.ALL`: it fails the execution.
//!   `States.TaskFailed` matches any error a task invocation returned, except `States.Timeout`.
//! * A state's data is [`Data`]: JSON, possibly with typed values a Task returned. Every path,
//!   Choice rule and template sees exactly the JSON those stand for (`TypedJson::to_json`), made
//!   only for the part it reads, so a typed value nothing reads into is never made JSON.
//! * [`ExecutionStats::state_transitions`] counts what AWS Standard workflows bill: one per
//!   state entered (the Map state itself and every state entered inside its iterations) plus one
//!   per retry. It always equals the length of the trace, when the trace is on.

mod data;
mod load;
mod path;
mod run;

use std::fmt;

use serde_json::Value;

pub use data::{Data, TypedJson, json_member};
pub use load::{DefinitionError, Location};

/// A checked, pre-compiled state machine definition, ready to run any number of times.
#[derive(Debug, Clone)]
pub struct Definition {
    root: load::Scope,
    resources: Vec<String>,
    uses_execution_input: bool,
}

impl Definition {
    /// Parses and checks an ASL definition, compiling its paths and payload templates.
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        load::load(text)
    }

    /// Every distinct task `Resource` the definition invokes, sorted, so a caller can check it
    /// has a handler for each before running anything.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// Runs one execution with default [`ExecutionOptions`].
    pub fn execute<I: TaskInvoker + ?Sized>(&self, input: Value, invoker: &mut I) -> Execution {
        self.execute_with(input, invoker, &ExecutionOptions::default())
    }

    /// Runs one execution.
    pub fn execute_with<I: TaskInvoker + ?Sized>(
        &self,
        input: Value,
        invoker: &mut I,
        options: &ExecutionOptions,
    ) -> Execution {
        run::execute(self, Data::Json(input), invoker, options).into_json()
    }

    /// Runs one execution on input that may hold typed parts (see [`Data`]): what a path or
    /// a Task reads of it is exactly the JSON it stands for. The output is kept as data, so a
    /// caller can take typed results back as they are.
    pub fn execute_data_with<I: TaskInvoker + ?Sized>(
        &self,
        input: Data,
        invoker: &mut I,
        options: &ExecutionOptions,
    ) -> Execution<Data> {
        run::execute(self, input, invoker, options)
    }
}

/// Carries out the `Resource` of a Task state.
pub trait TaskInvoker {
    /// Invokes `resource` with the state's payload and returns its result, or the error that
    /// the state's `Retry` and `Catch` match on.
    ///
    /// The payload is lent, as Step Functions serialises it for Lambda: the state keeps its
    /// input for a retry or a `Catch`, so handing it over would mean copying it first. A result
    /// may hold typed values ([`Data::Typed`]) that the next Task takes as they are; paths read
    /// them as the JSON they stand for.
    fn invoke(&mut self, resource: &str, input: &Data) -> Result<Data, TaskFailure>;
}

/// A closure over JSON answers a Task as Lambda would: with the payload as JSON.
impl<F> TaskInvoker for F
where
    F: FnMut(&str, &Value) -> Result<Value, TaskFailure>,
{
    fn invoke(&mut self, resource: &str, input: &Data) -> Result<Data, TaskFailure> {
        self(resource, &input.to_json()).map(Data::Json)
    }
}

/// A task's failure: `error` is the name `ErrorEquals` matches (e.g. `Hushhub.Transient`,
/// `Lambda.TooManyRequestsException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// Per-execution settings.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// What `$$.Execution.Id` reads; also mixed into the jitter seed.
    pub execution_id: String,
    /// Seed for `FULL` jitter; the same seed and execution id give the same waits.
    pub jitter_seed: u64,
    /// Records every state entered in [`Execution::trace`].
    pub trace: bool,
    /// Fails the execution with `States.Runtime` beyond this many transitions, so a
    /// definition that loops cannot hang the caller.
    pub max_state_transitions: u64,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        Self {
            execution_id: "arn:aws:states:local:000000000000:execution:hushhub:local".to_owned(),
            jitter_seed: 0x5eed,
            trace: false,
            max_state_transitions: 1_000_000,
        }
    }
}

/// The result of one execution; its output is JSON unless asked for as [`Data`].
#[derive(Debug, Clone, PartialEq)]
pub struct Execution<O = Value> {
    pub status: Status<O>,
    pub stats: ExecutionStats,
    /// Every state entered, in order; empty unless [`ExecutionOptions::trace`] is set.
    pub trace: Vec<TraceStep>,
}

impl Execution<Data> {
    /// The same execution with its output as JSON.
    pub fn into_json(self) -> Execution {
        Execution {
            status: match self.status {
                Status::Succeeded(output) => Status::Succeeded(output.into_json()),
                Status::Failed(failure) => Status::Failed(failure),
            },
            stats: self.stats,
            trace: self.trace,
        }
    }
}

impl<O> Execution<O> {
    /// The output, when the execution succeeded.
    pub fn output(&self) -> Option<&O> {
        match &self.status {
            Status::Succeeded(output) => Some(output),
            Status::Failed(_) => None,
        }
    }

    /// The failure, when the execution failed.
    pub fn failure(&self) -> Option<&ExecutionFailure> {
        match &self.status {
            Status::Succeeded(_) => None,
            Status::Failed(failure) => Some(failure),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status<O = Value> {
    Succeeded(O),
    Failed(ExecutionFailure),
}

/// Why an execution failed: a `Fail` state, or an error nothing caught.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state \"{state}\" failed with {error}: {cause}")]
pub struct ExecutionFailure {
    pub error: String,
    pub cause: String,
    /// The innermost state the error was raised in (inside a Map iteration, the iteration's
    /// state rather than the Map).
    pub state: String,
    /// The Map item indices, outermost first, that `state` was running for.
    pub map_items: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionStats {
    /// States entered plus retries, as AWS Standard workflows bill them.
    pub state_transitions: u64,
    /// Calls to [`TaskInvoker::invoke`], retries included.
    pub task_invocations: u64,
    /// Retries taken, over all states.
    pub retries: u64,
    /// Total virtual wait before retries, in seconds.
    pub waited_seconds: f64,
}

/// One state transition: a state entered (`attempt` 0) or retried (`attempt` n for the n-th
/// retry of that entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    pub state: String,
    /// The Map item indices, outermost first, the state ran for.
    pub map_items: Vec<usize>,
    pub attempt: u32,
}

impl fmt::Display for TraceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for index in &self.map_items {
            write!(f, "[{index}] ")?;
        }
        f.write_str(&self.state)?;
        if self.attempt > 0 {
            write!(f, " (retry {})", self.attempt)?;
        }
        Ok(())
    }
}
