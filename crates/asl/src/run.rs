//! Runs a loaded definition against one input.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::data::{Data, NULL, Sel};
use crate::load::{Handling, Kind, Operand, Retrier, Rule, Scope, State, Test, Text};
use crate::path::{Ctx, Path, Template};
use crate::{Definition, Execution, ExecutionFailure, ExecutionOptions, ExecutionStats, Status};
use crate::{TaskInvoker, TraceStep};

const RUNTIME: &str = "States.Runtime";

/// An error travelling up from the state that raised it.
struct Failure {
    error: String,
    cause: String,
    /// Raised by a task invocation, which is what `States.TaskFailed` matches.
    from_task: bool,
    state: String,
    map_items: Vec<usize>,
}

/// Where a state goes next (`None` ends its scope) and its output.
type Step = (Option<usize>, Data);

pub(crate) fn execute<I: TaskInvoker + ?Sized>(
    definition: &Definition,
    input: Data,
    invoker: &mut I,
    options: &ExecutionOptions,
) -> Execution<Data> {
    // Only copied when some template reads `$$.Execution.Input`: inputs can be large.
    let execution_input = match definition.uses_execution_input {
        true => input.to_json().into_owned(),
        false => Value::Null,
    };
    let mut runner = Runner {
        invoker,
        options,
        execution_input: &execution_input,
        stats: ExecutionStats::default(),
        trace: Vec::new(),
        items: Vec::new(),
        rng: seed(options),
    };
    let status = match runner.scope(&definition.root, input) {
        Ok(output) => Status::Succeeded(output),
        Err(f) => Status::Failed(ExecutionFailure {
            error: f.error,
            cause: f.cause,
            state: f.state,
            map_items: f.map_items,
        }),
    };
    Execution {
        status,
        stats: runner.stats,
        trace: runner.trace,
    }
}

/// FNV-1a of the execution id mixed with the seed: distinct executions jitter differently, and
/// the same execution jitters the same way every run.
fn seed(options: &ExecutionOptions) -> u64 {
    let hash = options
        .execution_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    match hash ^ options.jitter_seed {
        0 => 0x9e37_79b9_7f4a_7c15,
        s => s,
    }
}

struct Runner<'r, I: ?Sized> {
    invoker: &'r mut I,
    options: &'r ExecutionOptions,
    execution_input: &'r Value,
    stats: ExecutionStats,
    trace: Vec<TraceStep>,
    /// Indices of the Map items being run, outermost first.
    items: Vec<usize>,
    rng: u64,
}

impl<'r, I: TaskInvoker + ?Sized> Runner<'r, I> {
    fn scope(&mut self, scope: &Scope, mut value: Data) -> Result<Data, Failure> {
        let mut index = scope.start;
        loop {
            let state = &scope.states[index];
            self.transition(state, 0)?;
            match self.state(state, value)? {
                (Some(next), output) => (index, value) = (next, output),
                (None, output) => return Ok(output),
            }
        }
    }

    fn transition(&mut self, state: &State, attempt: u32) -> Result<(), Failure> {
        self.stats.state_transitions += 1;
        let limit = self.options.max_state_transitions;
        if self.stats.state_transitions > limit {
            let cause = format!("the execution exceeded {limit} state transitions");
            return Err(self.runtime(state, cause));
        }
        if self.options.trace {
            let step = TraceStep {
                state: state.name.clone(),
                map_items: self.items.clone(),
                attempt,
            };
            self.trace.push(step);
        }
        Ok(())
    }

    fn state(&mut self, state: &State, raw: Data) -> Result<Step, Failure> {
        match &state.kind {
            Kind::Task {
                resource,
                parameters,
                handling,
            } => self.handled(state, handling, raw, |r: &mut Self, input: &Data| {
                r.task(state, resource, parameters.as_ref(), handling, input)
            }),
            Kind::Map {
                items_path,
                item_selector,
                processor,
                handling,
                moves_items: true,
            } => {
                let input = self.input_owned(state, raw)?;
                let result = self.map_moving(
                    state,
                    items_path,
                    item_selector.as_ref(),
                    processor,
                    handling,
                    input,
                )?;
                Ok((handling.next, self.output(state, result)?))
            }
            Kind::Map {
                items_path,
                item_selector,
                processor,
                handling,
                moves_items: false,
            } => self.handled(state, handling, raw, |r: &mut Self, input: &Data| {
                r.map(
                    state,
                    items_path,
                    item_selector.as_ref(),
                    processor,
                    handling,
                    input,
                )
            }),
            Kind::Pass {
                parameters,
                result,
                result_path,
                next,
            } => {
                let result = match (result, parameters) {
                    (Some(result), _) => Data::Json(result.clone()),
                    (None, Some(template)) => {
                        let input = self.input_ref(state, &raw)?;
                        self.eval(state, template, &input, None)?
                    }
                    // A plain pass-through moves its input instead of copying it.
                    (None, None) if result_path.as_ref().is_some_and(Path::is_root) => {
                        let input = self.input_owned(state, raw)?;
                        return Ok((*next, self.output(state, input)?));
                    }
                    (None, None) => self.input_ref(state, &raw)?.into_owned(),
                };
                let merged = self.merge(state, result_path.as_ref(), raw, result)?;
                Ok((*next, self.output(state, merged)?))
            }
            Kind::Choice { choices, default } => {
                let input = self.input_owned(state, raw)?;
                let mut next = *default;
                for (rule, target) in choices {
                    if self.rule(state, rule, &input)? {
                        next = Some(*target);
                        break;
                    }
                }
                if next.is_none() {
                    // AWS reports an unmatched Choice as States.Runtime, not NoChoiceMatched.
                    let cause = "no Choice rule matched and the state has no Default";
                    return Err(self.runtime(state, cause.to_owned()));
                }
                Ok((next, self.output(state, input)?))
            }
            Kind::Succeed => {
                let input = self.input_owned(state, raw)?;
                Ok((None, self.output(state, input)?))
            }
            Kind::Fail { error, cause } => {
                let error = self.text(state, error, &raw)?;
                let cause = self.text(state, cause, &raw)?;
                Err(self.failure(state, error, cause, false))
            }
        }
    }

    /// Runs `attempt` under the state's Retry and Catch, then applies ResultPath and OutputPath.
    fn handled(
        &mut self,
        state: &State,
        handling: &Handling,
        mut raw: Data,
        mut attempt: impl FnMut(&mut Self, &Data) -> Result<Data, Failure>,
    ) -> Result<Step, Failure> {
        // Each retrier counts its own retries, afresh for every entry into the state.
        let mut retries: Vec<u32> = Vec::new();
        let mut attempt_number = 0;
        let failure = loop {
            let failure = match attempt(self, &raw) {
                Ok(result) => match &handling.result_path {
                    None => return Ok((handling.next, self.output(state, raw)?)),
                    Some(path) => match path.set(&mut raw, result) {
                        Ok(()) => return Ok((handling.next, self.output(state, raw)?)),
                        Err(()) => self.result_path_failure(state, path),
                    },
                },
                Err(failure) => failure,
            };
            if failure.error == RUNTIME {
                return Err(failure);
            }
            let retrier = handling
                .retry
                .iter()
                .position(|r| matches(&r.errors, &failure));
            let Some(i) = retrier else { break failure };
            retries.resize(handling.retry.len(), 0);
            if retries[i] >= handling.retry[i].max_attempts {
                break failure;
            }
            let wait = self.delay(&handling.retry[i], retries[i]);
            retries[i] += 1;
            attempt_number += 1;
            self.stats.retries += 1;
            self.stats.waited_seconds += wait;
            self.transition(state, attempt_number)?;
        };
        let Some(catcher) = handling.catch.iter().find(|c| matches(&c.errors, &failure)) else {
            return Err(failure);
        };
        let error_output = Data::Json(Value::Object(Map::from_iter([
            ("Error".to_owned(), Value::String(failure.error)),
            ("Cause".to_owned(), Value::String(failure.cause)),
        ])));
        let output = self.merge(state, catcher.result_path.as_ref(), raw, error_output)?;
        Ok((Some(catcher.next), output))
    }

    fn task(
        &mut self,
        state: &State,
        resource: &str,
        parameters: Option<&Template>,
        handling: &Handling,
        raw: &Data,
    ) -> Result<Data, Failure> {
        let input = self.input_ref(state, raw)?;
        let payload = match parameters {
            Some(template) => Cow::Owned(self.eval(state, template, &input, None)?),
            None => input,
        };
        self.stats.task_invocations += 1;
        let result = self
            .invoker
            .invoke(resource, &payload)
            .map_err(|f| self.failure(state, f.error, f.cause, true))?;
        self.select_result(state, handling, result)
    }

    fn map(
        &mut self,
        state: &State,
        items_path: &Path,
        item_selector: Option<&Template>,
        processor: &Scope,
        handling: &Handling,
        raw: &Data,
    ) -> Result<Data, Failure> {
        let input = self.input_ref(state, raw)?;
        let selected = items_path.select_data(&input).map(Sel::into_data);
        let Some(items) = selected.and_then(Data::into_items) else {
            return Err(self.not_an_array(state, items_path));
        };
        let mut outputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_input = match item_selector {
                Some(template) => self.eval(state, template, &input, Some((index, item)))?,
                None => item.clone(),
            };
            self.items.push(index);
            let output = self.scope(processor, item_input);
            self.items.pop();
            outputs.push(output?);
        }
        self.select_result(state, handling, Data::array(outputs))
    }

    /// A Map whose input dies with it (see `Kind::Map::moves_items`): each item moves into its
    /// iteration, so a large item is never copied. Same results as [`Runner::map`].
    fn map_moving(
        &mut self,
        state: &State,
        items_path: &Path,
        item_selector: Option<&Template>,
        processor: &Scope,
        handling: &Handling,
        mut input: Data,
    ) -> Result<Data, Failure> {
        let taken = items_path.take_in_place(&mut input);
        let Some(items) = taken.and_then(Data::into_items) else {
            return Err(self.not_an_array(state, items_path));
        };
        let mut outputs = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let item_input = match item_selector {
                Some(template) => {
                    let ctx = Ctx {
                        execution_id: &self.options.execution_id,
                        execution_input: self.execution_input,
                        state_name: &state.name,
                        item: Some((index, &NULL)),
                    };
                    template
                        .eval_moving_item(&input, &ctx, item)
                        .map_err(|cause| self.runtime(state, cause))?
                }
                None => item,
            };
            self.items.push(index);
            let output = self.scope(processor, item_input);
            self.items.pop();
            outputs.push(output?);
        }
        self.select_result(state, handling, Data::array(outputs))
    }

    fn not_an_array(&self, state: &State, items_path: &Path) -> Failure {
        let cause = format!("ItemsPath {:?} does not select an array", items_path.text);
        self.runtime(state, cause)
    }

    fn select_result(&self, state: &State, h: &Handling, result: Data) -> Result<Data, Failure> {
        match &h.result_selector {
            Some(template) => self.eval(state, template, &result, None),
            None => Ok(result),
        }
    }

    fn eval(
        &self,
        state: &State,
        template: &Template,
        input: &Data,
        item: Option<(usize, &Data)>,
    ) -> Result<Data, Failure> {
        let ctx = Ctx {
            execution_id: &self.options.execution_id,
            execution_input: self.execution_input,
            state_name: &state.name,
            item,
        };
        template
            .eval(input, &ctx)
            .map_err(|cause| self.runtime(state, cause))
    }

    fn rule(&self, state: &State, rule: &Rule, input: &Data) -> Result<bool, Failure> {
        let missing = |path: &Path| {
            let cause = format!(
                "the Choice rule path {:?} matched nothing in the input",
                path.text
            );
            self.runtime(state, cause)
        };
        Ok(match rule {
            Rule::And(rules) => {
                for rule in rules {
                    if !self.rule(state, rule, input)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if self.rule(state, rule, input)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(rule) => !self.rule(state, rule, input)?,
            Rule::Test(variable, Test::Present(expected)) => {
                variable.select_data(input).is_some() == *expected
            }
            Rule::Test(variable, test) => {
                let selected = variable
                    .select_data(input)
                    .ok_or_else(|| missing(variable))?;
                let value = selected.value();
                match test {
                    Test::Present(expected) => *expected,
                    Test::Is(is, expected) => is(&value) == *expected,
                    Test::Compare(operand, order, accept) => match operand {
                        Operand::Literal(other) => order(&value, other).is_some_and(accept),
                        Operand::Path(path) => {
                            let other = path.select_data(input).ok_or_else(|| missing(path))?;
                            order(&value, &other.value()).is_some_and(accept)
                        }
                    },
                }
            }
        })
    }

    fn input_ref<'v>(&self, state: &State, raw: &'v Data) -> Result<Cow<'v, Data>, Failure> {
        match &state.input_path {
            None => Ok(Cow::Owned(Data::Json(Value::Object(Map::new())))),
            Some(path) => match path.select_data(raw) {
                Some(Sel::Data(data)) => Ok(Cow::Borrowed(data)),
                Some(other) => Ok(Cow::Owned(other.into_data())),
                None => Err(self.missing(state, "InputPath", path)),
            },
        }
    }

    fn input_owned(&self, state: &State, raw: Data) -> Result<Data, Failure> {
        match &state.input_path {
            None => Ok(Data::Json(Value::Object(Map::new()))),
            Some(path) => path
                .take(raw)
                .ok_or_else(|| self.missing(state, "InputPath", path)),
        }
    }

    fn output(&self, state: &State, value: Data) -> Result<Data, Failure> {
        match &state.output_path {
            None => Ok(Data::Json(Value::Object(Map::new()))),
            Some(path) => path
                .take(value)
                .ok_or_else(|| self.missing(state, "OutputPath", path)),
        }
    }

    fn merge(
        &self,
        state: &State,
        path: Option<&Path>,
        mut raw: Data,
        result: Data,
    ) -> Result<Data, Failure> {
        match path {
            None => Ok(raw),
            Some(path) => match path.set(&mut raw, result) {
                Ok(()) => Ok(raw),
                Err(()) => Err(self.result_path_failure(state, path)),
            },
        }
    }

    fn text(&self, state: &State, text: &Text, raw: &Data) -> Result<String, Failure> {
        match text {
            Text::Fixed(text) => Ok(text.clone()),
            Text::Path(path) => match path
                .select_data(raw)
                .and_then(|sel| sel.value().as_str().map(str::to_owned))
            {
                Some(text) => Ok(text),
                None => {
                    let cause = format!("the path {:?} does not select a string", path.text);
                    Err(self.runtime(state, cause))
                }
            },
        }
    }

    fn delay(&mut self, retrier: &Retrier, retries_so_far: u32) -> f64 {
        let exponent = i32::try_from(retries_so_far).unwrap_or(i32::MAX);
        let mut delay = retrier.interval * retrier.backoff.powi(exponent);
        if let Some(max) = retrier.max_delay {
            delay = delay.min(max);
        }
        if retrier.full_jitter {
            delay *= self.next_unit();
        }
        delay
    }

    /// xorshift64*: a uniform draw in [0, 1).
    fn next_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn failure(&self, state: &State, error: String, cause: String, from_task: bool) -> Failure {
        let map_items = self.items.clone();
        Failure {
            error,
            cause,
            from_task,
            state: state.name.clone(),
            map_items,
        }
    }

    fn runtime(&self, state: &State, cause: String) -> Failure {
        self.failure(state, RUNTIME.to_owned(), cause, false)
    }

    fn missing(&self, state: &State, field: &str, path: &Path) -> Failure {
        let cause = format!(
            "{field} {:?} matched nothing in the state's data",
            path.text
        );
        self.runtime(state, cause)
    }

    fn result_path_failure(&self, state: &State, path: &Path) -> Failure {
        let cause = format!(
            "ResultPath {:?} cannot be applied to the state's input",
            path.text
        );
        self.failure(
            state,
            "States.ResultPathMatchFailure".to_owned(),
            cause,
            false,
        )
    }
}

fn matches(errors: &[String], failure: &Failure) -> bool {
    errors.iter().any(|name| match name.as_str() {
        "States.ALL" => true,
        "States.TaskFailed" => failure.from_task && failure.error != "States.Timeout",
        name => name == failure.error,
    })
}
